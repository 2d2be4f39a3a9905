//! The trigger's request body: `BackupRequestResource` and its three `BackupRequest`
//! kinds, field for field as the document "Backups - Trigger" (api-version 2024-04-01)
//! defines them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::BackupType;

/// `BackupRequestResource`: the body of `POST .../protectedItems/{item}/backup`.
///
/// `id`, `name` and `type` are documented as part of the resource but are read-only
/// in ARM: they are kept for decoding and skipped when `None`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct BackupRequestResource {
    /// `eTag`: optional ETag.
    #[serde(rename = "eTag", default, skip_serializing_if = "Option::is_none")]
    pub e_tag: Option<String>,
    /// `id`: resource id (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `location`: resource location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// `name`: resource name (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `properties`: the workload-specific backup request.
    pub properties: BackupRequest,
    /// `tags`: resource tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,
    /// `type`: resource type (read-only).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
}

impl BackupRequestResource {
    /// A body with `properties` and nothing else.
    #[must_use]
    pub fn new(properties: impl Into<BackupRequest>) -> Self {
        Self {
            e_tag: None,
            id: None,
            location: None,
            name: None,
            properties: properties.into(),
            tags: None,
            resource_type: None,
        }
    }

    /// Sets `eTag`.
    #[must_use]
    pub fn e_tag(mut self, e_tag: impl Into<String>) -> Self {
        self.e_tag = Some(e_tag.into());
        self
    }

    /// Sets `location`.
    #[must_use]
    pub fn location(mut self, location: impl Into<String>) -> Self {
        self.location = Some(location.into());
        self
    }

    /// Adds a tag.
    #[must_use]
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.tags
            .get_or_insert_with(BTreeMap::new)
            .insert(key.into(), value.into());
        self
    }
}

/// `BackupRequest`: the polymorphic `properties`, told apart by `objectType`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "objectType")]
#[non_exhaustive]
pub enum BackupRequest {
    /// `IaasVMBackupRequest`: an Azure VM.
    #[serde(rename = "IaasVMBackupRequest")]
    IaasVm(IaasVmBackupRequest),
    /// `AzureFileShareBackupRequest`: an Azure file share.
    #[serde(rename = "AzureFileShareBackupRequest")]
    AzureFileShare(AzureFileShareBackupRequest),
    /// `AzureWorkloadBackupRequest`: a workload in a VM (SQL, SAP HANA ...).
    #[serde(rename = "AzureWorkloadBackupRequest")]
    AzureWorkload(AzureWorkloadBackupRequest),
}

impl BackupRequest {
    /// The `objectType` discriminator.
    #[must_use]
    pub fn object_type(&self) -> &'static str {
        match self {
            Self::IaasVm(_) => "IaasVMBackupRequest",
            Self::AzureFileShare(_) => "AzureFileShareBackupRequest",
            Self::AzureWorkload(_) => "AzureWorkloadBackupRequest",
        }
    }
}

/// `IaasVMBackupRequest`: IaaS VM workload-specific backup request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct IaasVmBackupRequest {
    /// `recoveryPointExpiryTimeInUTC`: the backup copy expires after this time (UTC).
    #[serde(
        rename = "recoveryPointExpiryTimeInUTC",
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub recovery_point_expiry_time_in_utc: Option<OffsetDateTime>,
}

impl IaasVmBackupRequest {
    /// A request keeping the recovery point by the policy's retention.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `recoveryPointExpiryTimeInUTC`.
    #[must_use]
    pub fn expiry(mut self, at: OffsetDateTime) -> Self {
        self.recovery_point_expiry_time_in_utc = Some(at);
        self
    }
}

/// `AzureFileShareBackupRequest`: AzureFileShare workload-specific backup request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AzureFileShareBackupRequest {
    /// `recoveryPointExpiryTimeInUTC`: the backup copy expires after this time (UTC).
    #[serde(
        rename = "recoveryPointExpiryTimeInUTC",
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub recovery_point_expiry_time_in_utc: Option<OffsetDateTime>,
}

impl AzureFileShareBackupRequest {
    /// A request keeping the recovery point by the policy's retention.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `recoveryPointExpiryTimeInUTC`.
    #[must_use]
    pub fn expiry(mut self, at: OffsetDateTime) -> Self {
        self.recovery_point_expiry_time_in_utc = Some(at);
        self
    }
}

/// `AzureWorkloadBackupRequest`: AzureWorkload workload-specific backup request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AzureWorkloadBackupRequest {
    /// `backupType`: Full, Differential, Log, CopyOnlyFull ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_type: Option<BackupType>,
    /// `enableCompression`: the compression setting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_compression: Option<bool>,
    /// `recoveryPointExpiryTimeInUTC`: the backup copy expires after this time (UTC).
    #[serde(
        rename = "recoveryPointExpiryTimeInUTC",
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub recovery_point_expiry_time_in_utc: Option<OffsetDateTime>,
}

impl AzureWorkloadBackupRequest {
    /// A request of `backup_type`.
    #[must_use]
    pub fn new(backup_type: BackupType) -> Self {
        Self {
            backup_type: Some(backup_type),
            ..Self::default()
        }
    }

    /// Sets `enableCompression`.
    #[must_use]
    pub fn compression(mut self, enable: bool) -> Self {
        self.enable_compression = Some(enable);
        self
    }

    /// Sets `recoveryPointExpiryTimeInUTC`.
    #[must_use]
    pub fn expiry(mut self, at: OffsetDateTime) -> Self {
        self.recovery_point_expiry_time_in_utc = Some(at);
        self
    }
}

impl From<IaasVmBackupRequest> for BackupRequest {
    fn from(request: IaasVmBackupRequest) -> Self {
        Self::IaasVm(request)
    }
}

impl From<AzureFileShareBackupRequest> for BackupRequest {
    fn from(request: AzureFileShareBackupRequest) -> Self {
        Self::AzureFileShare(request)
    }
}

impl From<AzureWorkloadBackupRequest> for BackupRequest {
    fn from(request: AzureWorkloadBackupRequest) -> Self {
        Self::AzureWorkload(request)
    }
}
