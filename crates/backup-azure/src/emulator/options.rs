//! [`EmulatorOptions`] and the demo resources the emulator knows.

use std::time::Duration;

use backup_core::emulator::LifecycleSpec;

use crate::model::{
    AzureFileShareBackupRequest, AzureWorkloadBackupRequest, BackupType, ProtectedItem,
    TriggerRequest,
};

/// The demo subscription (the document's example).
pub const DEMO_SUBSCRIPTION: &str = "00000000-0000-0000-0000-000000000000";
/// The demo vault's resource group (the document's example).
pub const DEMO_RESOURCE_GROUP: &str = "linuxRsVaultRG";
/// The demo vault (the document's example).
pub const DEMO_VAULT: &str = "linuxRsVault";
/// The fabric of Azure workloads.
pub const DEMO_FABRIC: &str = "Azure";
/// The demo VM's container (the document's example).
pub const DEMO_VM_CONTAINER: &str = "IaasVMContainer;iaasvmcontainerv2;testrg;v1win2012r";
/// The demo VM's protected item (the document's example).
pub const DEMO_VM_ITEM: &str = "VM;iaasvmcontainerv2;testrg;v1win2012r";
/// The demo file share's container.
pub const DEMO_FILE_SHARE_CONTAINER: &str = "StorageContainer;Storage;testrg;teststorage";
/// The demo file share's protected item.
pub const DEMO_FILE_SHARE_ITEM: &str = "AzureFileShare;testshare";
/// The demo SQL database's container.
pub const DEMO_WORKLOAD_CONTAINER: &str = "VMAppContainer;Compute;testrg;sqlvm";
/// The demo SQL database's protected item.
pub const DEMO_WORKLOAD_ITEM: &str = "SQLDataBase;MSSQLSERVER;testdb";

/// What kind of workload a protected item is; the trigger's `objectType` must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ItemKind {
    /// An Azure VM: `IaasVMBackupRequest`, job type `AzureIaaSVMJob`.
    IaasVm,
    /// An Azure file share: `AzureFileShareBackupRequest`, job type `AzureStorageJob`.
    AzureFileShare,
    /// A workload in a VM (SQL, SAP HANA): `AzureWorkloadBackupRequest`, job type
    /// `AzureWorkloadJob`.
    AzureWorkload,
}

impl ItemKind {
    /// The `objectType` of the backup request this kind takes.
    #[must_use]
    pub fn object_type(self) -> &'static str {
        match self {
            Self::IaasVm => "IaasVMBackupRequest",
            Self::AzureFileShare => "AzureFileShareBackupRequest",
            Self::AzureWorkload => "AzureWorkloadBackupRequest",
        }
    }

    /// The `jobType` of the jobs it runs.
    #[must_use]
    pub fn job_type(self) -> &'static str {
        match self {
            Self::IaasVm => "AzureIaaSVMJob",
            Self::AzureFileShare => "AzureStorageJob",
            Self::AzureWorkload => "AzureWorkloadJob",
        }
    }

    /// The `backupManagementType` of its jobs.
    #[must_use]
    pub fn management_type(self) -> &'static str {
        match self {
            Self::IaasVm => "AzureIaasVM",
            Self::AzureFileShare => "AzureStorage",
            Self::AzureWorkload => "AzureWorkload",
        }
    }
}

/// How to run an [`Emulator`](super::Emulator).
#[derive(Debug, Clone)]
pub struct EmulatorOptions {
    pub(crate) items: Vec<([String; 6], ItemKind)>,
    pub(crate) lifecycle: LifecycleSpec,
    pub(crate) operation_lifecycle: LifecycleSpec,
    pub(crate) retry_after: Duration,
    pub(crate) token_ttl: Duration,
    pub(crate) async_operation_header: bool,
    pub(crate) job_page_size: usize,
    pub(crate) backup_size_mb: u64,
}

impl Default for EmulatorOptions {
    /// The three demo items (a VM, a file share, a SQL database) in the demo vault;
    /// jobs running for two polls, then completed; async operations in progress for one
    /// poll, then succeeded; `Retry-After: 0`; tokens valid for an hour; both status
    /// headers on a 202; 200 jobs a page of the job list; completed backups of 2332 MB
    /// (the size in Microsoft's "track jobs" tutorial).
    fn default() -> Self {
        let demo = |container: &str, item: &str, kind| {
            (
                [
                    DEMO_SUBSCRIPTION,
                    DEMO_RESOURCE_GROUP,
                    DEMO_VAULT,
                    DEMO_FABRIC,
                    container,
                    item,
                ]
                .map(str::to_owned),
                kind,
            )
        };
        Self {
            items: vec![
                demo(DEMO_VM_CONTAINER, DEMO_VM_ITEM, ItemKind::IaasVm),
                demo(
                    DEMO_FILE_SHARE_CONTAINER,
                    DEMO_FILE_SHARE_ITEM,
                    ItemKind::AzureFileShare,
                ),
                demo(
                    DEMO_WORKLOAD_CONTAINER,
                    DEMO_WORKLOAD_ITEM,
                    ItemKind::AzureWorkload,
                ),
            ],
            lifecycle: LifecycleSpec::after_polls(2),
            operation_lifecycle: LifecycleSpec::after_polls(1),
            retry_after: Duration::ZERO,
            token_ttl: Duration::from_secs(3600),
            async_operation_header: true,
            job_page_size: 200,
            backup_size_mb: 2332,
        }
    }
}

impl EmulatorOptions {
    /// The defaults.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers another protected item.
    #[must_use]
    pub fn protected_item(mut self, item: &ProtectedItem, kind: ItemKind) -> Self {
        self.items.push((
            [
                &item.subscription_id,
                &item.resource_group,
                &item.vault,
                &item.fabric,
                &item.container,
                &item.item,
            ]
            .map(Clone::clone),
            kind,
        ));
        self
    }

    /// How backup jobs unfold (observed by `GET .../backupJobs/{jobId}`).
    #[must_use]
    pub fn lifecycle(mut self, spec: LifecycleSpec) -> Self {
        self.lifecycle = spec;
        self
    }

    /// How async operations unfold (observed by the `Azure-AsyncOperation` and
    /// `Location` URLs); a failing one refuses the backup and starts no job.
    #[must_use]
    pub fn operation_lifecycle(mut self, spec: LifecycleSpec) -> Self {
        self.operation_lifecycle = spec;
        self
    }

    /// The `Retry-After` of 202 answers, in whole seconds (rounded down).
    #[must_use]
    pub fn retry_after(mut self, after: Duration) -> Self {
        self.retry_after = after;
        self
    }

    /// How long issued tokens are valid.
    #[must_use]
    pub fn token_ttl(mut self, ttl: Duration) -> Self {
        self.token_ttl = ttl;
        self
    }

    /// Whether a 202 carries `Azure-AsyncOperation` (default) or only `Location`.
    #[must_use]
    pub fn async_operation_header(mut self, send: bool) -> Self {
        self.async_operation_header = send;
        self
    }

    /// How many jobs a page of the job list holds (at least one; the rest follows
    /// through `nextLink`).
    #[must_use]
    pub fn job_page_size(mut self, jobs: usize) -> Self {
        self.job_page_size = jobs;
        self
    }

    /// The `Backup Size` a completed job reports, in MB (its recovery point's
    /// `recoveryPointSizeInGB`, for a file share, is that rounded up to whole GB).
    #[must_use]
    pub fn backup_size_mb(mut self, megabytes: u64) -> Self {
        self.backup_size_mb = megabytes;
        self
    }
}

/// The demo VM item (the document's example).
#[must_use]
pub fn demo_vm() -> ProtectedItem {
    demo_item(DEMO_VM_CONTAINER, DEMO_VM_ITEM)
}

/// The demo file share item.
#[must_use]
pub fn demo_file_share() -> ProtectedItem {
    demo_item(DEMO_FILE_SHARE_CONTAINER, DEMO_FILE_SHARE_ITEM)
}

/// The demo SQL database item.
#[must_use]
pub fn demo_workload() -> ProtectedItem {
    demo_item(DEMO_WORKLOAD_CONTAINER, DEMO_WORKLOAD_ITEM)
}

fn demo_item(container: &str, item: &str) -> ProtectedItem {
    ProtectedItem::new(
        DEMO_SUBSCRIPTION,
        DEMO_RESOURCE_GROUP,
        DEMO_VAULT,
        DEMO_FABRIC,
        container,
        item,
    )
}

/// Trigger requests for the three demo items, one per request kind.
#[must_use]
pub fn demo_requests() -> [TriggerRequest; 3] {
    [
        TriggerRequest::azure_vm(demo_vm()),
        TriggerRequest::with_properties(demo_file_share(), AzureFileShareBackupRequest::new()),
        TriggerRequest::with_properties(
            demo_workload(),
            AzureWorkloadBackupRequest::new(BackupType::Full).compression(true),
        ),
    ]
}
