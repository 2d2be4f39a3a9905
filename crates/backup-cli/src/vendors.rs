//! Per-vendor flags -> vendor-neutral trigger parameters and client options, and the
//! environment names each vendor reads (shown in `backupctl trigger <vendor> --help`).

use backup_all::ClientOptions;
use backup_all::params::{
    AzureObjectType as AzureKind, AzureParams, CommvaultLevel as Level, CommvaultParams,
    HuaweiParams, TriggerParams, VeeamParams, YandexParams,
};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::cli::{
    AzureObjectType, CommvaultLevel, ConnectArgs, TlsArgs, TriggerCommand, TriggerCommon,
};

/// Azure's environment names.
pub const AZURE_HELP: &str = "\
Credentials (environment only, first match wins):
  AZURE_ACCESS_TOKEN                                   a bearer token (az account get-access-token)
  AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET  a service principal
  AZURE_FEDERATED_TOKEN_FILE (+ AZURE_TENANT_ID, AZURE_CLIENT_ID)  workload identity
  otherwise the developer tools' login (Azure CLI)";

/// Yandex's environment names.
pub const YANDEX_HELP: &str = "\
Credentials (environment only, first match wins):
  YC_IAM_TOKEN                  an IAM token
  YC_TOKEN                      an OAuth token, exchanged for IAM tokens
  YC_SERVICE_ACCOUNT_KEY_FILE   a service account's authorized key (path or JSON)
  otherwise the VM metadata service (address: YC_METADATA_ADDR)";

/// Huawei's environment names.
pub const HUAWEI_HELP: &str = "\
Credentials (environment only):
  HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK   access key and secret key (AK/SK signing)
  HUAWEICLOUD_SDK_SECURITY_TOKEN           for temporary credentials
  HUAWEICLOUD_SDK_PROJECT_ID               the project (or --project-id)
  HUAWEICLOUD_SDK_REGION                   the region (or --region, or --endpoint)";

/// Commvault's environment names.
pub const COMMVAULT_HELP: &str = "\
Credentials (environment only):
  COMMVAULT_API_URL                          the API base (or --endpoint)
  COMMVAULT_USERNAME, COMMVAULT_PASSWORD     a login
  COMMVAULT_AUTHTOKEN                        or an existing QSDK token";

/// Veeam's environment names.
pub const VEEAM_HELP: &str = "\
Credentials (environment only):
  VEEAM_URL                              the appliance (or --endpoint)
  VEEAM_USERNAME, VEEAM_PASSWORD         the password grant
  VEEAM_ACCESS_TOKEN                     or an access token
  VEEAM_API_VERSION                      v1, v6, v7, v8, v8.1 (or --api-version)";

/// What a `trigger` command asks for.
#[derive(Debug)]
pub struct TriggerSpec {
    /// What to trigger.
    pub params: TriggerParams,
    /// Endpoints and TLS.
    pub options: ClientOptions,
    /// --wait and friends.
    pub common: TriggerCommon,
}

fn tls(options: &mut ClientOptions, tls: TlsArgs) {
    options.ca_cert = tls.ca_cert;
    options.insecure = tls.insecure;
}

/// Turns the vendor subcommand into parameters and options.
///
/// # Errors
/// A message for a flag whose value is malformed (exit 2).
pub fn trigger_spec(command: TriggerCommand) -> Result<TriggerSpec, String> {
    let mut options = ClientOptions::default();
    let (params, common) = match command {
        TriggerCommand::Azure(a) => {
            let expiry = a
                .expiry
                .as_deref()
                .map(|text| {
                    OffsetDateTime::parse(text, &Rfc3339)
                        .map_err(|e| format!("--expiry {text:?} is not RFC 3339: {e}"))
                })
                .transpose()?;
            options.api_version = a.api_version;
            let params = TriggerParams::Azure(AzureParams {
                subscription: a.subscription,
                resource_group: a.resource_group,
                vault: a.vault,
                fabric: a.fabric,
                container: a.container,
                item: a.item,
                object_type: match a.object_type {
                    AzureObjectType::IaasVm => AzureKind::IaasVm,
                    AzureObjectType::AzureFileShare => AzureKind::AzureFileShare,
                    AzureObjectType::AzureWorkload => AzureKind::AzureWorkload,
                },
                backup_type: a.backup_type,
                expiry,
                enable_compression: a.enable_compression.then_some(true),
            });
            (params, a.common)
        }
        TriggerCommand::Yandex(y) => {
            options.operation_endpoint = y.operation_endpoint;
            options.iam_endpoint = y.iam_endpoint;
            let params = TriggerParams::Yandex(YandexParams {
                policy: y.policy,
                instance: y.instance,
                idempotency_key: y.idempotency_key,
            });
            (params, y.common)
        }
        TriggerCommand::HuaweiCsbs(h) => {
            options.project_id = h.project_id;
            options.region = h.region;
            options.iam_endpoint = h.iam_endpoint;
            let params = TriggerParams::HuaweiCsbs(HuaweiParams {
                plan: h.plan,
                resources: h.resources,
                auto_trigger: h.auto_trigger,
            });
            (params, h.common)
        }
        TriggerCommand::Commvault(c) => {
            tls(&mut options, c.tls);
            let params = TriggerParams::Commvault(CommvaultParams {
                client: c.client,
                instance: c.instance,
                backupset: c.backupset,
                subclient: c.subclient,
                app_name: c.app_name,
                storage_policy: c.storage_policy,
                level: c.level.map(|level| match level {
                    CommvaultLevel::Full => Level::Full,
                    CommvaultLevel::Incremental => Level::Incremental,
                    CommvaultLevel::Differential => Level::Differential,
                    CommvaultLevel::SyntheticFull => Level::SyntheticFull,
                }),
                directive_file: c.directive_file,
            });
            (params, c.common)
        }
        TriggerCommand::Veeam(v) => {
            tls(&mut options, v.tls);
            options.api_version = v.api_version;
            (
                TriggerParams::Veeam(VeeamParams { policy: v.policy }),
                v.common,
            )
        }
    };
    options.endpoint.clone_from(&common.endpoint);
    Ok(TriggerSpec {
        params,
        options,
        common,
    })
}

/// Client options from the connection flags of status, wait and cancel.
pub fn connect_options(connect: ConnectArgs) -> ClientOptions {
    let mut options = ClientOptions {
        endpoint: connect.endpoint,
        operation_endpoint: connect.operation_endpoint,
        iam_endpoint: connect.iam_endpoint,
        region: connect.region,
        api_version: connect.api_version,
        ..ClientOptions::default()
    };
    tls(&mut options, connect.tls);
    options
}
