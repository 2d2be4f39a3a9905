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
#[cfg_attr(
    feature = "cli",
    command(group(
        clap::ArgGroup::new("what")
            .required(true)
            .args(["vm", "container"])
    ))
)]
pub struct TriggerParams {
    /// Subscription id.
    #[cfg_attr(feature = "cli", arg(long))]
    pub subscription: String,
    /// Resource group of the vault (and of the VM --vm names by its name).
    #[cfg_attr(feature = "cli", arg(long, short = 'g', value_name = "RG"))]
    pub resource_group: String,
    /// Recovery Services vault.
    #[cfg_attr(feature = "cli", arg(long))]
    pub vault: String,
    /// Backup fabric.
    #[serde(default = "default_fabric")]
    #[cfg_attr(feature = "cli", arg(long, default_value = DEFAULT_FABRIC))]
    pub fabric: String,
    /// An Azure VM, by name (in --resource-group) or full resource id
    /// (/subscriptions/S/resourceGroups/RG/providers/Microsoft.Compute/virtualMachines/NAME):
    /// --container and --item are derived from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "cli",
        arg(long, value_name = "NAME|ID", conflicts_with_all = ["container", "item"])
    )]
    pub vm: Option<String>,
    /// Protection container (IaasVMContainer;iaasvmcontainerv2;rg;vm), with --item;
    /// left empty when the VM is given.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[cfg_attr(
        feature = "cli",
        arg(long, requires = "item", default_value = "", hide_default_value = true)
    )]
    pub container: String,
    /// Protected item (VM;iaasvmcontainerv2;rg;vm), with --container; left empty when
    /// the VM is given.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            requires = "container",
            default_value = "",
            hide_default_value = true
        )
    )]
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
            vm: None,
            container: container.into(),
            item: item.into(),
            object_type: ObjectType::IaasVm,
            backup_type: None,
            expiry: None,
            enable_compression: None,
        }
    }

    /// Parameters for the Azure VM `vm` (a name in `resource_group`, or a full resource
    /// id) backed up in `vault`: the container and item are derived from it (see
    /// [`TriggerParams::container_and_item`]).
    #[must_use]
    pub fn for_vm(
        subscription: impl Into<String>,
        resource_group: impl Into<String>,
        vault: impl Into<String>,
        vm: impl Into<String>,
    ) -> Self {
        let mut params = Self::new(subscription, resource_group, vault, "", "");
        params.vm = Some(vm.into());
        params
    }

    /// The container and item these parameters name: given, or derived from
    /// [`TriggerParams::vm`].
    ///
    /// # Errors
    /// [`Error::InvalidInput`] (field `vm`) for a VM name or id that cannot be used, or
    /// a VM given with a container or item, or with another kind of item.
    pub fn container_and_item(&self) -> Result<(String, String)> {
        let Some(vm) = &self.vm else {
            return Ok((self.container.clone(), self.item.clone()));
        };
        if !self.container.is_empty() || !self.item.is_empty() {
            return Err(Error::invalid_input(
                VENDOR,
                "vm",
                "give the VM, or the container and item, not both",
            ));
        }
        if self.object_type != ObjectType::IaasVm {
            return Err(Error::invalid_input(
                VENDOR,
                "vm",
                format!(
                    "names an Azure VM: only with object type iaas-vm, not {}",
                    self.object_type.as_str()
                ),
            ));
        }
        vm_container_and_item(vm, &self.resource_group)
    }

    /// The request these parameters describe (see [`crate::BackupClient::request`]).
    pub(crate) fn to_request(&self) -> Result<TriggerRequest> {
        for (field, value) in [
            ("subscription", &self.subscription),
            ("resource_group", &self.resource_group),
            ("vault", &self.vault),
            ("fabric", &self.fabric),
        ] {
            validate_id(VENDOR, field, value)?;
        }
        let (container, item) = self.container_and_item()?;
        let (container_field, item_field) = if self.vm.is_some() {
            ("vm", "vm")
        } else {
            ("container", "item")
        };
        validate_id(VENDOR, container_field, &container)?;
        validate_id(VENDOR, item_field, &item)?;
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
            &container,
            &item,
        );
        Ok(TriggerRequest::with_properties(item, properties))
    }
}

/// The protection container and protected item of an Azure Resource Manager VM, as
/// Microsoft's REST documentation builds them from the VM's resource group and name
/// ("Back up an Azure VM using Azure Backup via REST API": the protectable item
/// `iaasvmcontainerv2;{rg};{vm}`, prefixed `iaasvmcontainer;` for the container and
/// `vm;` for the item; the Backups - Trigger example spells them
/// `IaasVMContainer;iaasvmcontainerv2;testrg;v1win2012r` and
/// `VM;iaasvmcontainerv2;testrg;v1win2012r`):
/// `IaasVMContainer;iaasvmcontainerv2;<rg>;<vm>` and `VM;iaasvmcontainerv2;<rg>;<vm>`.
/// Names keep their case (Azure Resource Manager compares resource group and resource
/// names without case).
///
/// `vm` is the VM's name, its resource group then `resource_group` (as `az backup
/// protection enable-for-vm --vm NAME -g RG` takes it), or its full resource id
/// (`/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines/{name}`,
/// segments matched without case), whose resource group wins.
///
/// # Errors
/// [`Error::InvalidInput`] (field `vm`) for an id that is not a VM's, or a name that
/// is empty or holds `;`, `/`, `\\`, whitespace or control characters (the separators of
/// the names built here and of the request path).
pub fn vm_container_and_item(vm: &str, resource_group: &str) -> Result<(String, String)> {
    let refuse = |reason: String| Error::invalid_input(VENDOR, "vm", reason);
    let excerpt: String = vm.chars().take(120).collect();
    let (group, name) = if vm.starts_with('/') {
        let segments: Vec<&str> = vm.trim_end_matches('/').split('/').skip(1).collect();
        match segments.as_slice() {
            [
                subscriptions,
                _,
                groups,
                group,
                providers,
                compute,
                machines,
                name,
            ] if subscriptions.eq_ignore_ascii_case("subscriptions")
                && groups.eq_ignore_ascii_case("resourceGroups")
                && providers.eq_ignore_ascii_case("providers")
                && compute.eq_ignore_ascii_case("Microsoft.Compute")
                && machines.eq_ignore_ascii_case("virtualMachines") =>
            {
                (*group, *name)
            }
            _ => {
                return Err(refuse(format!(
                    "{excerpt:?} is not a VM's resource id (/subscriptions/S/resourceGroups/RG/providers/Microsoft.Compute/virtualMachines/NAME)"
                )));
            }
        }
    } else {
        (resource_group, vm)
    };
    for (what, value) in [("resource group", group), ("VM name", name)] {
        if value.is_empty()
            || value
                .chars()
                .any(|c| matches!(c, ';' | '/' | '\\') || c.is_whitespace() || c.is_control())
        {
            return Err(refuse(format!(
                "the {what} {:?} cannot name a VM (empty, or holding `;`, `/`, `\\`, whitespace or control characters)",
                value.chars().take(90).collect::<String>()
            )));
        }
    }
    Ok((
        format!("IaasVMContainer;iaasvmcontainerv2;{group};{name}"),
        format!("VM;iaasvmcontainerv2;{group};{name}"),
    ))
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
    fn a_vm_name_or_id_derives_the_documented_container_and_item() {
        let expected = (
            "IaasVMContainer;iaasvmcontainerv2;web-rg;vm01".to_owned(),
            "VM;iaasvmcontainerv2;web-rg;vm01".to_owned(),
        );
        // A name: the VM is in the vault's resource group.
        let by_name = TriggerParams::for_vm("s", "web-rg", "v", "vm01");
        assert_eq!(by_name.container_and_item().unwrap(), expected);
        let request = by_name.to_request().unwrap();
        assert_eq!(request.item.container, expected.0);
        assert_eq!(request.item.item, expected.1);
        // A resource id: its own resource group wins; segments match without case.
        for id in [
            "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/web-rg/providers/Microsoft.Compute/virtualMachines/vm01",
            "/SUBSCRIPTIONS/x/resourcegroups/web-rg/PROVIDERS/microsoft.compute/VirtualMachines/vm01/",
        ] {
            let params = TriggerParams::for_vm("s", "vault-rg", "v", id);
            assert_eq!(params.container_and_item().unwrap(), expected, "{id}");
        }
        // Case is kept (ARM compares names without case).
        let params = TriggerParams::for_vm("s", "Web-RG", "v", "VM01");
        assert_eq!(
            params.container_and_item().unwrap().0,
            "IaasVMContainer;iaasvmcontainerv2;Web-RG;VM01"
        );
        // Refused: another resource type, names that would break the container name,
        // a VM with a container, a VM with another kind of item.
        for bad in [
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/a",
            "/subscriptions/s/resourceGroups/rg",
            "vm;1",
            "vm 1",
            "",
        ] {
            let params = TriggerParams::for_vm("s", "rg", "v", bad);
            assert_eq!(refused_field(&params), "vm", "{bad:?}");
        }
        assert_eq!(
            refused_field(&TriggerParams::for_vm("s", "r;g", "v", "vm")),
            "vm"
        );
        let mut both = TriggerParams::for_vm("s", "rg", "v", "vm");
        both.container = "c".into();
        assert_eq!(refused_field(&both), "vm");
        let mut share = TriggerParams::for_vm("s", "rg", "v", "vm");
        share.object_type = ObjectType::AzureFileShare;
        assert_eq!(refused_field(&share), "vm");
        // Without a VM, a container and item are needed.
        assert_eq!(
            refused_field(&TriggerParams::new("s", "rg", "v", "", "")),
            "container"
        );
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

        // -g, and --vm in place of --container and --item (not with them).
        let vm = |extra: &[&str]| {
            Cli::try_parse_from(
                ["x", "--subscription", "s", "-g", "rg", "--vault", "v"]
                    .iter()
                    .chain(extra),
            )
            .map(|cli| cli.params)
        };
        let params = vm(&["--vm", "vm01"]).unwrap();
        assert_eq!(params.resource_group, "rg");
        assert_eq!(params.vm.as_deref(), Some("vm01"));
        assert_eq!((params.container.as_str(), params.item.as_str()), ("", ""));
        assert!(vm(&["--vm", "vm01", "--container", "c", "--item", "i"]).is_err());
        assert!(vm(&[]).is_err());
        assert!(vm(&["--container", "c"]).is_err());
        assert!(vm(&["--container", "c", "--item", "i"]).is_ok());
    }
}
