//! The emulated service's state: the vault and its protected items, the async
//! operations and backup jobs of accepted triggers, and the settings tests change.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use backup_core::emulator::{EmulatorShared, Lifecycle, LifecycleSpec, Phase, TokenIssuer};
use url::Url;

use super::options::{EmulatorOptions, ItemKind};

/// A protected item's identity, compared case-insensitively (ARM names are).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ItemKey {
    pub(crate) subscription: String,
    pub(crate) resource_group: String,
    pub(crate) vault: String,
    pub(crate) fabric: String,
    pub(crate) container: String,
    pub(crate) item: String,
}

impl ItemKey {
    pub(crate) fn new(parts: [&str; 6]) -> Self {
        let [subscription, resource_group, vault, fabric, container, item] =
            parts.map(str::to_ascii_lowercase);
        Self {
            subscription,
            resource_group,
            vault,
            fabric,
            container,
            item,
        }
    }
}

/// A vault's identity (lower case).
pub(crate) type VaultKey = (String, String, String);

/// A known protected item.
#[derive(Debug, Clone)]
pub(crate) struct KnownItem {
    /// The names as registered (for the answers).
    pub(crate) names: [String; 6],
    pub(crate) kind: ItemKind,
}

/// The async operation of an accepted trigger.
#[derive(Debug)]
pub(crate) struct AsyncOperation {
    pub(crate) item: ItemKey,
    pub(crate) life: Lifecycle,
    /// The job it started (when the operation succeeds).
    pub(crate) job_id: String,
}

/// A backup job.
#[derive(Debug)]
pub(crate) struct BackupJob {
    pub(crate) vault: VaultKey,
    /// The protected item it backs up.
    pub(crate) item: ItemKey,
    /// The item's container, as registered (`IaasVMContainer;iaasvmcontainerv2;rg;vm`).
    pub(crate) container: String,
    pub(crate) kind: ItemKind,
    pub(crate) friendly_name: String,
    /// The trigger's `x-ms-client-request-id`, else a fresh GUID (Microsoft's examples
    /// show the trigger's id as its job's `activityId`).
    pub(crate) activity_id: String,
    /// The async operation that starts it; the job exists once that one succeeded.
    pub(crate) operation_id: String,
    pub(crate) life: Lifecycle,
}

/// What the handlers share.
#[derive(Debug)]
pub(crate) struct Data {
    pub(crate) items: HashMap<ItemKey, KnownItem>,
    pub(crate) vaults: Vec<VaultKey>,
    pub(crate) operations: HashMap<String, AsyncOperation>,
    pub(crate) jobs: HashMap<String, BackupJob>,
    /// How async operations unfold (the jobs' lifecycle is the shared one).
    pub(crate) operation_spec: LifecycleSpec,
    pub(crate) retry_after: Duration,
    pub(crate) async_header: bool,
    /// Cancellations asked for: operation id → job id.
    pub(crate) cancellations: HashMap<String, String>,
    /// How many jobs one page of the job list holds.
    pub(crate) job_page_size: usize,
    /// The `Backup Size` of a completed job, in MB.
    pub(crate) backup_size_mb: u64,
}

impl Data {
    /// Whether the job's async operation succeeded (a job exists from then on).
    pub(crate) fn job_started(&self, job: &BackupJob) -> bool {
        self.operations.get(&job.operation_id).is_some_and(|op| {
            matches!(
                op.life.peek(),
                Phase::Done(
                    backup_core::emulator::Outcome::Success
                        | backup_core::emulator::Outcome::Warning
                )
            )
        })
    }

    /// Whether a backup of `item` is still under way: its async operation is not
    /// done, or its job is still running.
    pub(crate) fn busy(&self, item: &ItemKey) -> bool {
        self.operations.values().any(|op| {
            if &op.item != item {
                return false;
            }
            match op.life.peek() {
                Phase::Done(outcome) => {
                    matches!(outcome, backup_core::emulator::Outcome::Success)
                        && self
                            .jobs
                            .get(&op.job_id)
                            .is_some_and(|job| !job.life.peek().is_terminal())
                }
                _ => true,
            }
        })
    }
}

/// The emulator's state, shared by the handlers and the [`super::Emulator`] handle.
///
/// `Debug` shows counts, never the tokens issued.
#[derive(Clone)]
pub(crate) struct State {
    pub(crate) data: Arc<Mutex<Data>>,
    pub(crate) tokens: TokenIssuer,
    /// The accepted backups, the tokens handed out and how backup jobs unfold.
    pub(crate) shared: EmulatorShared,
    pub(crate) token_ttl: Duration,
    pub(crate) base: Arc<OnceLock<Url>>,
}

impl State {
    pub(crate) fn new(options: &EmulatorOptions) -> Self {
        let mut items = HashMap::new();
        let mut vaults = Vec::new();
        for (names, kind) in &options.items {
            let key = ItemKey::new([
                &names[0], &names[1], &names[2], &names[3], &names[4], &names[5],
            ]);
            let vault = (
                key.subscription.clone(),
                key.resource_group.clone(),
                key.vault.clone(),
            );
            if !vaults.contains(&vault) {
                vaults.push(vault);
            }
            items.insert(
                key,
                KnownItem {
                    names: names.clone(),
                    kind: *kind,
                },
            );
        }
        Self {
            data: Arc::new(Mutex::new(Data {
                items,
                vaults,
                operations: HashMap::new(),
                jobs: HashMap::new(),
                operation_spec: options.operation_lifecycle.clone(),
                retry_after: options.retry_after,
                async_header: options.async_operation_header,
                cancellations: HashMap::new(),
                job_page_size: options.job_page_size.max(1),
                backup_size_mb: options.backup_size_mb,
            })),
            tokens: TokenIssuer::new("eyJ0eXAiOiJKV1Qi.emu-"),
            shared: EmulatorShared::new(options.lifecycle.clone()),
            token_ttl: options.token_ttl,
            base: Arc::new(OnceLock::new()),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Data> {
        self.data.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The server's base URL (`http://127.0.0.1:PORT/`).
    pub(crate) fn base(&self) -> Option<&Url> {
        self.base.get()
    }
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let data = self.lock();
        f.debug_struct("State")
            .field("items", &data.items.len())
            .field("operations", &data.operations.len())
            .field("jobs", &data.jobs.len())
            .field("accepted", &self.shared.accepted().get())
            .field("tokens_issued", &self.tokens.issued())
            .field("base", &self.base.get().map(Url::as_str))
            .finish_non_exhaustive()
    }
}
