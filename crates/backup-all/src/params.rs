//! What to back up, per vendor: the parameters of one trigger, in the vendor's words.
//!
//! These are plain data, present whatever the enabled features, so that plans can be
//! parsed and checked anywhere; [`crate::AnyClient`] turns them into the vendor crate's
//! request. Field names are those of `backupctl trigger <vendor>` flags, in snake case.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::Vendor;

/// A field that failed validation, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field (`policy`, `resources[1]` ...).
    pub field: String,
    /// Why it was refused.
    pub reason: String,
}

impl FieldError {
    fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Checks an identifier the way the vendor crates do (`backup_core::path::validate_id`).
fn check_id(field: &str, value: &str) -> Result<(), FieldError> {
    backup_core::path::validate_id("backup-all", field, value).map_err(|e| match e {
        backup_core::Error::InvalidInput { reason, .. } => FieldError::new(field, reason),
        other => FieldError::new(field, other.to_string()),
    })
}

fn check_opt_id(field: &str, value: Option<&str>) -> Result<(), FieldError> {
    value.map_or(Ok(()), |v| check_id(field, v))
}

/// The kind of item an Azure backup request is for (`objectType`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AzureObjectType {
    /// `IaasVMBackupRequest`: an Azure VM.
    #[default]
    IaasVm,
    /// `AzureFileShareBackupRequest`: an Azure file share.
    AzureFileShare,
    /// `AzureWorkloadBackupRequest`: SQL / SAP HANA in a VM.
    AzureWorkload,
}

/// Azure Recovery Services: `Backups_Trigger` of one protected item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AzureParams {
    /// Subscription id.
    pub subscription: String,
    /// Resource group of the vault.
    pub resource_group: String,
    /// Recovery Services vault name.
    pub vault: String,
    /// Backup fabric (`Azure` unless told otherwise).
    #[serde(default = "default_fabric")]
    pub fabric: String,
    /// Protection container (`IaasVMContainer;iaasvmcontainerv2;rg;vm`).
    pub container: String,
    /// Protected item (`VM;iaasvmcontainerv2;rg;vm`).
    pub item: String,
    /// The request kind.
    #[serde(default)]
    pub object_type: AzureObjectType,
    /// `backupType` (`Full`, `Differential`, `Log`, `CopyOnlyFull`, `Incremental`,
    /// `SnapshotFull`, `SnapshotCopyOnlyFull`), for file shares and workloads.
    #[serde(default)]
    pub backup_type: Option<String>,
    /// `recoveryPointExpiryTimeInUTC`.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expiry: Option<OffsetDateTime>,
    /// `enableCompression` (workloads).
    #[serde(default)]
    pub enable_compression: Option<bool>,
}

fn default_fabric() -> String {
    "Azure".to_owned()
}

/// The documented values of Azure's `backupType`.
pub const AZURE_BACKUP_TYPES: [&str; 8] = [
    "Full",
    "Differential",
    "Log",
    "CopyOnlyFull",
    "Incremental",
    "SnapshotFull",
    "SnapshotCopyOnlyFull",
    "Invalid",
];

impl AzureParams {
    fn validate(&self) -> Result<(), FieldError> {
        check_id("subscription", &self.subscription)?;
        check_id("resource_group", &self.resource_group)?;
        check_id("vault", &self.vault)?;
        check_id("fabric", &self.fabric)?;
        check_id("container", &self.container)?;
        check_id("item", &self.item)?;
        if let Some(kind) = &self.backup_type
            && !AZURE_BACKUP_TYPES.contains(&kind.as_str())
        {
            return Err(FieldError::new(
                "backup_type",
                format!("{kind:?} is not one of {}", AZURE_BACKUP_TYPES.join(", ")),
            ));
        }
        Ok(())
    }
}

/// Yandex Cloud Backup: `Policy.Execute` on one instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YandexParams {
    /// Policy id.
    pub policy: String,
    /// Compute instance id (the policy must be applied to it).
    pub instance: String,
    /// The `Idempotency-Key` (UUID); the client makes one when absent.
    #[serde(default)]
    pub idempotency_key: Option<String>,
}

impl YandexParams {
    fn validate(&self) -> Result<(), FieldError> {
        check_id("policy", &self.policy)?;
        check_id("instance", &self.instance)?;
        check_opt_id("idempotency_key", self.idempotency_key.as_deref())
    }
}

/// Huawei CSBS: a checkpoint (backup) of a backup policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HuaweiParams {
    /// Backup policy (plan) id.
    pub plan: String,
    /// Resources to back up; all of the policy's when empty.
    #[serde(default)]
    pub resources: Vec<String>,
    /// `auto_trigger`.
    #[serde(default)]
    pub auto_trigger: bool,
}

impl HuaweiParams {
    fn validate(&self) -> Result<(), FieldError> {
        check_id("plan", &self.plan)?;
        for (i, resource) in self.resources.iter().enumerate() {
            check_id(&format!("resources[{i}]"), resource)?;
        }
        Ok(())
    }
}

/// A Commvault backup level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CommvaultLevel {
    /// `FULL`.
    Full,
    /// `INCREMENTAL` (the document's default).
    #[default]
    Incremental,
    /// `DIFFERENTIAL`.
    Differential,
    /// `SYNTHETIC_FULL`.
    SyntheticFull,
}

/// Commvault / Metallic: `CreateTask` for one subclient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommvaultParams {
    /// `clientName`.
    pub client: String,
    /// `instanceName`.
    pub instance: String,
    /// `backupsetName`.
    pub backupset: String,
    /// `subclientName`.
    pub subclient: String,
    /// `appName` (`File System`, ...).
    pub app_name: String,
    /// `storagePolicyName`.
    #[serde(default)]
    pub storage_policy: Option<String>,
    /// `backupLevel`.
    #[serde(default)]
    pub level: Option<CommvaultLevel>,
    /// `onDemandInputFile`: a directive file on the client.
    #[serde(default)]
    pub directive_file: Option<PathBuf>,
}

impl CommvaultParams {
    fn validate(&self) -> Result<(), FieldError> {
        check_id("client", &self.client)?;
        check_id("instance", &self.instance)?;
        check_id("backupset", &self.backupset)?;
        check_id("subclient", &self.subclient)?;
        check_id("app_name", &self.app_name)?;
        check_opt_id("storage_policy", self.storage_policy.as_deref())?;
        if let Some(path) = &self.directive_file {
            check_id("directive_file", &path.to_string_lossy())?;
        }
        Ok(())
    }
}

/// Veeam Backup for Microsoft Azure: start one policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VeeamParams {
    /// Policy id.
    pub policy: String,
}

impl VeeamParams {
    fn validate(&self) -> Result<(), FieldError> {
        check_id("policy", &self.policy)
    }
}

/// The parameters of one trigger on one vendor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TriggerParams {
    /// Azure.
    Azure(AzureParams),
    /// Yandex.
    Yandex(YandexParams),
    /// Huawei CSBS.
    HuaweiCsbs(HuaweiParams),
    /// Commvault.
    Commvault(CommvaultParams),
    /// Veeam.
    Veeam(VeeamParams),
}

impl TriggerParams {
    /// The vendor these parameters are for.
    #[must_use]
    pub fn vendor(&self) -> Vendor {
        match self {
            TriggerParams::Azure(_) => Vendor::Azure,
            TriggerParams::Yandex(_) => Vendor::Yandex,
            TriggerParams::HuaweiCsbs(_) => Vendor::HuaweiCsbs,
            TriggerParams::Commvault(_) => Vendor::Commvault,
            TriggerParams::Veeam(_) => Vendor::Veeam,
        }
    }

    /// Checks every field as the vendor crate would, before anything is sent.
    ///
    /// # Errors
    /// The first field at fault.
    pub fn validate(&self) -> Result<(), FieldError> {
        match self {
            TriggerParams::Azure(p) => p.validate(),
            TriggerParams::Yandex(p) => p.validate(),
            TriggerParams::HuaweiCsbs(p) => p.validate(),
            TriggerParams::Commvault(p) => p.validate(),
            TriggerParams::Veeam(p) => p.validate(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_the_field() {
        let p = TriggerParams::Yandex(YandexParams {
            policy: "p".into(),
            instance: " ".into(),
            idempotency_key: None,
        });
        assert_eq!(p.validate().unwrap_err().field, "instance");
        let h = TriggerParams::HuaweiCsbs(HuaweiParams {
            plan: "plan".into(),
            resources: vec!["a".into(), "..".into()],
            auto_trigger: false,
        });
        assert_eq!(h.validate().unwrap_err().field, "resources[1]");
        let a = AzureParams {
            subscription: "s".into(),
            resource_group: "rg".into(),
            vault: "v".into(),
            fabric: default_fabric(),
            container: "IaasVMContainer;iaasvmcontainerv2;rg;vm".into(),
            item: "VM;iaasvmcontainerv2;rg;vm".into(),
            object_type: AzureObjectType::IaasVm,
            backup_type: Some("Weekly".into()),
            expiry: None,
            enable_compression: None,
        };
        assert_eq!(
            TriggerParams::Azure(a).validate().unwrap_err().field,
            "backup_type"
        );
    }
}
