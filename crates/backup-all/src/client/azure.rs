//! Azure Recovery Services behind [`super::AnyClient`].

use backup_azure::model::{
    AzureFileShareBackupRequest, AzureWorkloadBackupRequest, BackupRequest, BackupType,
    IaasVmBackupRequest,
};
use backup_azure::{ApiVersion, Client, ClientBuilder, ProtectedItem, TriggerRequest};
use backup_core::{Error, Result};

use crate::ClientOptions;
use crate::params::{AzureObjectType, AzureParams};

pub(super) fn build(options: &ClientOptions) -> Result<Client> {
    let mut builder = ClientBuilder::from_vars(|name| options.lookup(name, &[]));
    if let Some(url) = &options.endpoint {
        builder = builder.endpoint(url);
    }
    if let Some(version) = &options.api_version {
        let parsed = ApiVersion::parse(version).ok_or_else(|| {
            Error::invalid_input(
                backup_azure::VENDOR,
                "api_version",
                format!("{version:?} is not one of 2024-04-01, 2025-08-01"),
            )
        })?;
        builder = builder.api_version(parsed);
    }
    builder.build()
}

pub(super) fn request(params: &AzureParams) -> Result<TriggerRequest> {
    let item = ProtectedItem::new(
        &params.subscription,
        &params.resource_group,
        &params.vault,
        &params.fabric,
        &params.container,
        &params.item,
    );
    let workload_only = |field: &str| {
        Error::invalid_input(
            backup_azure::VENDOR,
            field,
            "applies to --object-type azure-workload only",
        )
    };
    let properties: BackupRequest = match params.object_type {
        AzureObjectType::IaasVm | AzureObjectType::AzureFileShare
            if params.backup_type.is_some() =>
        {
            return Err(workload_only("backup_type"));
        }
        AzureObjectType::IaasVm | AzureObjectType::AzureFileShare
            if params.enable_compression.is_some() =>
        {
            return Err(workload_only("enable_compression"));
        }
        AzureObjectType::IaasVm => {
            let mut body = IaasVmBackupRequest::new();
            if let Some(at) = params.expiry {
                body = body.expiry(at);
            }
            body.into()
        }
        AzureObjectType::AzureFileShare => {
            let mut body = AzureFileShareBackupRequest::new();
            if let Some(at) = params.expiry {
                body = body.expiry(at);
            }
            body.into()
        }
        AzureObjectType::AzureWorkload => {
            let kind = params.backup_type.as_deref().unwrap_or("Full");
            let mut body = AzureWorkloadBackupRequest::new(BackupType::parse(kind));
            if let Some(enable) = params.enable_compression {
                body = body.compression(enable);
            }
            if let Some(at) = params.expiry {
                body = body.expiry(at);
            }
            body.into()
        }
    };
    Ok(TriggerRequest::with_properties(item, properties))
}
