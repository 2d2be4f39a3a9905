//! The trigger's target: the protected item's path and the request as a whole.

use backup_core::Result;
use backup_core::path::validate_id;

use super::{BackupRequest, BackupRequestResource, IaasVmBackupRequest};
use crate::VENDOR;

/// The protected item a backup is triggered for: the six path parameters of
/// `Backups - Trigger`.
///
/// Names with `;` (`IaasVMContainer;iaasvmcontainerv2;testrg;v1win2012r`) go through
/// untouched; every other character that could change the path (`/`, `?`, `#`, `%`) is
/// percent-encoded, so each name stays one path segment.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ProtectedItem {
    /// `subscriptionId`.
    pub subscription_id: String,
    /// `resourceGroupName`: the vault's resource group.
    pub resource_group: String,
    /// `vaultName`: the Recovery Services vault.
    pub vault: String,
    /// `fabricName` (`Azure` for Azure workloads).
    pub fabric: String,
    /// `containerName` (`IaasVMContainer;iaasvmcontainerv2;{rg};{vm}` ...).
    pub container: String,
    /// `protectedItemName` (`VM;iaasvmcontainerv2;{rg};{vm}` ...).
    pub item: String,
}

impl ProtectedItem {
    /// The item `item` in container `container` of fabric `fabric` of vault `vault`.
    #[must_use]
    pub fn new(
        subscription_id: impl Into<String>,
        resource_group: impl Into<String>,
        vault: impl Into<String>,
        fabric: impl Into<String>,
        container: impl Into<String>,
        item: impl Into<String>,
    ) -> Self {
        Self {
            subscription_id: subscription_id.into(),
            resource_group: resource_group.into(),
            vault: vault.into(),
            fabric: fabric.into(),
            container: container.into(),
            item: item.into(),
        }
    }

    /// An Azure VM `vm` in resource group `vm_resource_group`, with the container and
    /// item names Azure gives it (`IaasVMContainer;iaasvmcontainerv2;{rg};{vm}` and
    /// `VM;iaasvmcontainerv2;{rg};{vm}`) in fabric `Azure`.
    #[must_use]
    pub fn azure_vm(
        subscription_id: impl Into<String>,
        resource_group: impl Into<String>,
        vault: impl Into<String>,
        vm_resource_group: &str,
        vm: &str,
    ) -> Self {
        Self::new(
            subscription_id,
            resource_group,
            vault,
            "Azure",
            format!("IaasVMContainer;iaasvmcontainerv2;{vm_resource_group};{vm}"),
            format!("VM;iaasvmcontainerv2;{vm_resource_group};{vm}"),
        )
    }

    /// Checks every name: not empty, not `.` or `..`, no control characters, no
    /// surrounding white space.
    ///
    /// # Errors
    /// [`backup_core::Error::InvalidInput`] naming the field.
    pub fn validate(&self) -> Result<()> {
        validate_id(VENDOR, "subscription_id", &self.subscription_id)?;
        validate_id(VENDOR, "resource_group", &self.resource_group)?;
        validate_id(VENDOR, "vault", &self.vault)?;
        validate_id(VENDOR, "fabric", &self.fabric)?;
        validate_id(VENDOR, "container", &self.container)?;
        validate_id(VENDOR, "item", &self.item)?;
        Ok(())
    }

    /// The path segments of the vault, from `subscriptions` to the vault name.
    pub(crate) fn vault_segments(&self) -> [&str; 8] {
        [
            "subscriptions",
            &self.subscription_id,
            "resourceGroups",
            &self.resource_group,
            "providers",
            "Microsoft.RecoveryServices",
            "vaults",
            &self.vault,
        ]
    }

    /// The path segments of the protected item, from `subscriptions` to its name.
    pub(crate) fn item_segments(&self) -> Vec<&str> {
        let mut segments = self.vault_segments().to_vec();
        segments.extend([
            "backupFabrics",
            &self.fabric,
            "protectionContainers",
            &self.container,
            "protectedItems",
            &self.item,
        ]);
        segments
    }

    /// The path segments of the trigger, from `subscriptions` to `backup`.
    pub(crate) fn backup_segments(&self) -> Vec<&str> {
        let mut segments = self.item_segments();
        segments.push("backup");
        segments
    }

    /// The `backupManagementType` of the item's jobs, from the container's kind (the
    /// mapping of the Azure CLI's backup module: `IaasVMContainer` → `AzureIaasVM`,
    /// `StorageContainer` → `AzureStorage`, `VMAppContainer` → `AzureWorkload`);
    /// `None` for another kind.
    #[must_use]
    pub fn backup_management_type(&self) -> Option<&'static str> {
        let kind = self.container.split(';').next().unwrap_or_default();
        [
            ("IaasVMContainer", "AzureIaasVM"),
            ("StorageContainer", "AzureStorage"),
            ("VMAppContainer", "AzureWorkload"),
        ]
        .into_iter()
        .find(|(container, _)| container.eq_ignore_ascii_case(kind))
        .map(|(_, management)| management)
    }

    /// The name its jobs give as `entityFriendlyName`: the last `;`-separated part of
    /// the item name (`v1win2012r` for `VM;iaasvmcontainerv2;testrg;v1win2012r`, as in
    /// Microsoft's examples).
    #[must_use]
    pub fn friendly_name(&self) -> &str {
        self.item.rsplit(';').next().unwrap_or(&self.item)
    }
}

/// A backup to trigger: the item and the body.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TriggerRequest {
    /// The protected item.
    pub item: ProtectedItem,
    /// The `BackupRequestResource` body.
    pub body: BackupRequestResource,
    /// The trigger's `x-ms-client-request-id` (ARM's caller-chosen request id, a GUID),
    /// when set: Azure Backup records it as the `activityId` of the job the trigger
    /// starts, so a lost answer can be found again in the vault's job list
    /// ([`BackupClient::idempotency_key`](crate::BackupClient::idempotency_key) sets a
    /// time-ordered one).
    pub client_request_id: Option<String>,
}

impl TriggerRequest {
    /// A backup of `item` with `body`.
    #[must_use]
    pub fn new(item: ProtectedItem, body: BackupRequestResource) -> Self {
        Self {
            item,
            body,
            client_request_id: None,
        }
    }

    /// The same request sent with `x-ms-client-request-id: id`.
    #[must_use]
    pub fn client_request_id(mut self, id: impl Into<String>) -> Self {
        self.client_request_id = Some(id.into());
        self
    }

    /// A backup of `item` with `properties` and nothing else in the body.
    #[must_use]
    pub fn with_properties(item: ProtectedItem, properties: impl Into<BackupRequest>) -> Self {
        Self::new(item, BackupRequestResource::new(properties))
    }

    /// An Azure VM backup of `item` kept by the policy's retention
    /// (`{"properties":{"objectType":"IaasVMBackupRequest"}}`, the document's example).
    #[must_use]
    pub fn azure_vm(item: ProtectedItem) -> Self {
        Self::with_properties(item, IaasVmBackupRequest::new())
    }
}

#[cfg(test)]
mod tests {
    use backup_core::path::{join_segments, parse_endpoint};
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Whatever names pass validation, the trigger URL has exactly the trigger's
        /// 15 segments and each name comes back decoded as given.
        #[test]
        fn names_stay_one_segment(names in proptest::array::uniform6("[^\\p{Cc}]{1,12}")) {
            let [sub, rg, vault, fabric, container, item] = names.clone();
            let target = ProtectedItem::new(sub, rg, vault, fabric, container, item);
            prop_assume!(target.validate().is_ok());
            let base = parse_endpoint(VENDOR, "endpoint", "https://management.azure.com").unwrap();
            let url = join_segments(VENDOR, &base, &target.backup_segments()).unwrap();
            let segments: Vec<String> = url
                .path_segments()
                .unwrap()
                .map(percent_decode)
                .collect();
            prop_assert_eq!(segments.len(), 15);
            for (index, name) in [1usize, 3, 7, 9, 11, 13].into_iter().zip(names.iter()) {
                prop_assert_eq!(&segments[index], name);
            }
            prop_assert!(url.query().is_none() && url.fragment().is_none());
        }
    }

    fn percent_decode(segment: &str) -> String {
        percent_encoding::percent_decode_str(segment)
            .decode_utf8()
            .unwrap()
            .into_owned()
    }
}
