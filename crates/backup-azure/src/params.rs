//! [`TriggerParams`]: one `Backups - Trigger`, as plans and `backupctl trigger azure`
//! give it.

use backup_core::path::validate_id;
use backup_core::{Error, Result};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::VENDOR;
use crate::model::{
    AzureFileShareBackupRequest, AzureWorkloadBackupRequest, BackupRequest, BackupType,
    IaasVmBackupRequest, ProtectedItem, TriggerRequest,
};

/// The kind of item a backup request is for (`objectType` of the body).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum ObjectType {
    /// `IaasVMBackupRequest`: an Azure VM.
    #[default]
    IaasVm,
    /// `AzureFileShareBackupRequest`: an Azure file share.
    AzureFileShare,
    /// `AzureWorkloadBackupRequest`: SQL / SAP HANA in a VM.
    AzureWorkload,
}

impl ObjectType {
    /// The name in plans and on the command line (`iaas-vm`, `azure-file-share`,
    /// `azure-workload`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::IaasVm => "iaas-vm",
            Self::AzureFileShare => "azure-file-share",
            Self::AzureWorkload => "azure-workload",
        }
    }
}

/// Back up one protected item of a Recovery Services vault: the flat form of a
/// [`TriggerRequest`] (plans in TOML, `backupctl trigger azure` flags with the `cli`
/// feature).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct TriggerParams {
    /// Subscription id.
    #[cfg_attr(feature = "cli", arg(long))]
    pub subscription: String,
    /// Resource group of the vault.
    #[cfg_attr(feature = "cli", arg(long))]
    pub resource_group: String,
    /// Recovery Services vault.
    #[cfg_attr(feature = "cli", arg(long))]
    pub vault: String,
    /// Backup fabric.
    #[serde(default = "default_fabric")]
    #[cfg_attr(feature = "cli", arg(long, default_value = DEFAULT_FABRIC))]
    pub fabric: String,
    /// Protection container (IaasVMContainer;iaasvmcontainerv2;rg;vm).
    #[cfg_attr(feature = "cli", arg(long))]
    pub container: String,
    /// Protected item (VM;iaasvmcontainerv2;rg;vm).
    #[cfg_attr(feature = "cli", arg(long))]
    pub item: String,
    /// The kind of item.
    #[serde(default)]
    #[cfg_attr(feature = "cli", arg(long, value_enum, default_value_t = ObjectType::IaasVm))]
    pub object_type: ObjectType,
    /// backupType (azure-workload; Full when not given): Full, Differential, Log,
    /// CopyOnlyFull, Incremental, SnapshotFull, SnapshotCopyOnlyFull.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "cli", arg(long))]
    pub backup_type: Option<String>,
    /// recoveryPointExpiryTimeInUTC, RFC 3339 (2030-01-31T00:00:00Z).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    #[cfg_attr(
        feature = "cli",
        arg(long, value_name = "RFC3339", value_parser = parse_expiry)
    )]
    pub expiry: Option<OffsetDateTime>,
    /// enableCompression (azure-workload); the bare flag means true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "cli",
        arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")
    )]
    pub enable_compression: Option<bool>,
}

/// The fabric of Azure workloads, the default of [`TriggerParams::fabric`].
pub const DEFAULT_FABRIC: &str = "Azure";

fn default_fabric() -> String {
    DEFAULT_FABRIC.to_owned()
}

/// `--expiry`: RFC 3339 text.
#[cfg(feature = "cli")]
fn parse_expiry(text: &str) -> std::result::Result<OffsetDateTime, String> {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_err(|e| format!("{text:?} is not RFC 3339: {e}"))
}

impl TriggerParams {
    /// Parameters for `item` of `container` in `vault` (fabric `Azure`, an Azure VM,
    /// nothing else set).
    #[must_use]
    pub fn new(
        subscription: impl Into<String>,
        resource_group: impl Into<String>,
        vault: impl Into<String>,
        container: impl Into<String>,
        item: impl Into<String>,
    ) -> Self {
        Self {
            subscription: subscription.into(),
            resource_group: resource_group.into(),
            vault: vault.into(),
            fabric: default_fabric(),
            container: container.into(),
            item: item.into(),
            object_type: ObjectType::IaasVm,
            backup_type: None,
            expiry: None,
            enable_compression: None,
        }
    }

    /// The request these parameters describe (see [`crate::BackupClient::request`]).
    pub(crate) fn to_request(&self) -> Result<TriggerRequest> {
        for (field, value) in [
            ("subscription", &self.subscription),
            ("resource_group", &self.resource_group),
            ("vault", &self.vault),
            ("fabric", &self.fabric),
            ("container", &self.container),
            ("item", &self.item),
        ] {
            validate_id(VENDOR, field, value)?;
        }
        let backup_type = self.backup_type.as_deref().map(documented_backup_type);
        let backup_type = backup_type.transpose()?;
        let workload_only = |field: &str| {
            Error::invalid_input(
                VENDOR,
                field,
                "applies to --object-type azure-workload only",
            )
        };
        let properties: BackupRequest = match self.object_type {
            ObjectType::IaasVm | ObjectType::AzureFileShare if backup_type.is_some() => {
                return Err(workload_only("backup_type"));
            }
            ObjectType::IaasVm | ObjectType::AzureFileShare
                if self.enable_compression.is_some() =>
            {
                return Err(workload_only("enable_compression"));
            }
            ObjectType::IaasVm => {
                let mut body = IaasVmBackupRequest::new();
                if let Some(at) = self.expiry {
                    body = body.expiry(at);
                }
                body.into()
            }
            ObjectType::AzureFileShare => {
                let mut body = AzureFileShareBackupRequest::new();
                if let Some(at) = self.expiry {
                    body = body.expiry(at);
                }
                body.into()
            }
            ObjectType::AzureWorkload => {
                let mut body =
                    AzureWorkloadBackupRequest::new(backup_type.unwrap_or(BackupType::Full));
                if let Some(enable) = self.enable_compression {
                    body = body.compression(enable);
                }
                if let Some(at) = self.expiry {
                    body = body.expiry(at);
                }
                body.into()
            }
        };
        let item = ProtectedItem::new(
            &self.subscription,
            &self.resource_group,
            &self.vault,
            &self.fabric,
            &self.container,
            &self.item,
        );
        Ok(TriggerRequest::with_properties(item, properties))
    }
}

/// `text` if it is one of [`BackupType::DOCUMENTED`], spelt as documented.
fn documented_backup_type(text: &str) -> Result<BackupType> {
    BackupType::DOCUMENTED
        .iter()
        .find(|known| known.as_str() == text)
        .cloned()
        .ok_or_else(|| {
            let known: Vec<&str> = BackupType::DOCUMENTED
                .iter()
                .map(BackupType::as_str)
                .collect();
            Error::invalid_input(
                VENDOR,
                "backup_type",
                format!("{text:?} is not one of {}", known.join(", ")),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vm() -> TriggerParams {
        TriggerParams::new(
            "s",
            "rg",
            "v",
            "IaasVMContainer;iaasvmcontainerv2;rg;vm",
            "VM;iaasvmcontainerv2;rg;vm",
        )
    }

    fn refused_field(params: &TriggerParams) -> String {
        match params.to_request() {
            Err(Error::InvalidInput { field, .. }) => field,
            other => panic!("not refused: {other:?}"),
        }
    }

    #[test]
    fn every_object_type_makes_its_body() {
        let at = time::macros::datetime!(2030-01-31 00:00 UTC);
        let mut params = vm();
        params.expiry = Some(at);
        let request = params.to_request().unwrap();
        assert_eq!(
            request.body.properties,
            BackupRequest::from(IaasVmBackupRequest::new().expiry(at))
        );
        assert_eq!(request.item.subscription_id, "s");
        assert_eq!(request.item.fabric, "Azure");

        params.object_type = ObjectType::AzureFileShare;
        assert_eq!(
            params.to_request().unwrap().body.properties,
            BackupRequest::from(AzureFileShareBackupRequest::new().expiry(at))
        );

        params.object_type = ObjectType::AzureWorkload;
        assert_eq!(
            params.to_request().unwrap().body.properties,
            BackupRequest::from(AzureWorkloadBackupRequest::new(BackupType::Full).expiry(at))
        );
        params.backup_type = Some("Log".into());
        params.enable_compression = Some(false);
        assert_eq!(
            params.to_request().unwrap().body.properties,
            BackupRequest::from(
                AzureWorkloadBackupRequest::new(BackupType::Log)
                    .compression(false)
                    .expiry(at)
            )
        );
    }

    #[test]
    fn refusals_name_the_field() {
        for (index, field) in [
            "subscription",
            "resource_group",
            "vault",
            "fabric",
            "container",
            "item",
        ]
        .into_iter()
        .enumerate()
        {
            let mut params = vm();
            let slot = match index {
                0 => &mut params.subscription,
                1 => &mut params.resource_group,
                2 => &mut params.vault,
                3 => &mut params.fabric,
                4 => &mut params.container,
                _ => &mut params.item,
            };
            *slot = " ".to_owned();
            assert_eq!(refused_field(&params), field);
        }
        // Only the documented spellings of backupType.
        let mut params = vm();
        params.object_type = ObjectType::AzureWorkload;
        for bad in ["Weekly", "full", ""] {
            params.backup_type = Some(bad.to_owned());
            assert_eq!(refused_field(&params), "backup_type", "{bad:?}");
        }
        for known in BackupType::DOCUMENTED {
            params.backup_type = Some(known.as_str().to_owned());
            assert!(params.to_request().is_ok(), "{known}");
        }
        // backupType and enableCompression are for workloads only.
        for object_type in [ObjectType::IaasVm, ObjectType::AzureFileShare] {
            let mut params = vm();
            params.object_type = object_type;
            params.backup_type = Some("Full".into());
            assert_eq!(refused_field(&params), "backup_type");
            params.backup_type = None;
            params.enable_compression = Some(true);
            assert_eq!(refused_field(&params), "enable_compression");
        }
    }

    #[test]
    fn serde_reads_plans_and_refuses_unknown_keys() {
        let params: TriggerParams = serde_json::from_value(serde_json::json!({
            "subscription": "s",
            "resource_group": "rg",
            "vault": "v",
            "container": "c",
            "item": "i",
            "object_type": "azure-workload",
            "backup_type": "Differential",
            "expiry": "2030-01-31T00:00:00Z",
            "enable_compression": true,
        }))
        .unwrap();
        assert_eq!(params.fabric, "Azure");
        assert_eq!(params.object_type, ObjectType::AzureWorkload);
        assert_eq!(
            params.expiry,
            Some(time::macros::datetime!(2030-01-31 00:00 UTC))
        );
        let json = serde_json::to_value(&params).unwrap();
        assert_eq!(json["object_type"], "azure-workload");
        assert_eq!(json["expiry"], "2030-01-31T00:00:00Z");
        let back: TriggerParams = serde_json::from_value(json).unwrap();
        assert_eq!(back, params);
        // Unset options are left out.
        let json = serde_json::to_value(vm()).unwrap();
        assert!(json.get("expiry").is_none() && json.get("backup_type").is_none());
        assert!(
            serde_json::from_value::<TriggerParams>(serde_json::json!({
                "subscription": "s", "resource_group": "rg", "vault": "v",
                "container": "c", "item": "i", "policy": "p",
            }))
            .is_err()
        );
        assert!(
            serde_json::from_value::<TriggerParams>(serde_json::json!({
                "subscription": "s", "resource_group": "rg", "vault": "v",
                "container": "c", "item": "i", "expiry": "tomorrow",
            }))
            .is_err()
        );
        for object_type in [
            ObjectType::IaasVm,
            ObjectType::AzureFileShare,
            ObjectType::AzureWorkload,
        ] {
            assert_eq!(
                serde_json::to_value(object_type).unwrap(),
                object_type.as_str()
            );
        }
    }

    #[cfg(feature = "cli")]
    #[test]
    fn command_line_flags() {
        use clap::Parser;

        #[derive(Debug, Parser)]
        struct Cli {
            #[command(flatten)]
            params: TriggerParams,
        }

        let base = [
            "x",
            "--subscription",
            "s",
            "--resource-group",
            "rg",
            "--vault",
            "v",
            "--container",
            "c",
            "--item",
            "i",
        ];
        let parse =
            |extra: &[&str]| Cli::try_parse_from(base.iter().chain(extra)).map(|cli| cli.params);
        let params = parse(&[]).unwrap();
        assert_eq!(params.fabric, "Azure");
        assert_eq!(params.object_type, ObjectType::IaasVm);
        assert_eq!(params.enable_compression, None);
        let params = parse(&[
            "--object-type",
            "azure-workload",
            "--backup-type",
            "Log",
            "--enable-compression",
            "--expiry",
            "2030-01-31T00:00:00Z",
        ])
        .unwrap();
        assert_eq!(params.object_type, ObjectType::AzureWorkload);
        assert_eq!(params.backup_type.as_deref(), Some("Log"));
        assert_eq!(params.enable_compression, Some(true));
        assert_eq!(
            params.expiry,
            Some(time::macros::datetime!(2030-01-31 00:00 UTC))
        );
        let params = parse(&["--enable-compression", "false"]).unwrap();
        assert_eq!(params.enable_compression, Some(false));
        let error = parse(&["--expiry", "tomorrow"]).unwrap_err().to_string();
        assert!(error.contains("is not RFC 3339"), "{error}");
        assert!(parse(&["--object-type", "vm"]).is_err());
    }
}
