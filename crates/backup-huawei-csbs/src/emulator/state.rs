//! What the emulated service knows: credentials, policies, checkpoints and their items.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use backup_core::emulator::{EmulatorShared, Lifecycle, TokenIssuer};
use time::OffsetDateTime;

use super::signature::KeyPair;

/// A resource a policy protects.
#[derive(Debug, Clone)]
pub(crate) struct PlanResource {
    pub(crate) id: String,
    pub(crate) name: String,
    /// Its disks: `(name, size in GB, used MB)`, the system disk first.
    pub(crate) disks: Vec<(String, u64, u64)>,
}

impl PlanResource {
    /// A server with a 40 GB system disk, 10,240 MB of it in use.
    pub(crate) fn server(id: impl Into<String>, name: impl Into<String>) -> Self {
        let name = name.into();
        Self {
            id: id.into(),
            disks: vec![(name.clone(), 40, 10_240)],
            name,
        }
    }

    /// The server with one more disk of `size_gb` GB, `used_mb` MB of it in use.
    pub(crate) fn with_disk(mut self, name: &str, size_gb: u64, used_mb: u64) -> Self {
        self.disks.push((name.to_owned(), size_gb, used_mb));
        self
    }
}

/// A backup policy.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub(crate) name: String,
    pub(crate) resources: Vec<PlanResource>,
}

/// A checkpoint (backup record).
#[derive(Debug)]
pub(crate) struct Checkpoint {
    pub(crate) plan_id: String,
    /// `parameters.auto_trigger` of the create request (`false` when absent).
    pub(crate) auto_trigger: bool,
    pub(crate) item_ids: Vec<String>,
    /// How many list calls saw it so far (items are hidden from the first ones).
    pub(crate) list_calls: u32,
}

/// A checkpoint item: one resource's backup.
#[derive(Debug)]
pub(crate) struct Item {
    pub(crate) checkpoint_id: String,
    pub(crate) resource: PlanResource,
    pub(crate) lifecycle: Lifecycle,
    /// `(code, reason)` when this resource's backup fails on its own.
    pub(crate) forced_failure: Option<(Option<String>, String)>,
    pub(crate) created_at: OffsetDateTime,
    /// The ids of its disks' backups (one per disk of the resource).
    pub(crate) volume_backup_ids: Vec<String>,
    /// The backup job's id (`extend_info.taskid`).
    pub(crate) task_id: String,
}

/// The changing part of the state.
#[derive(Debug, Default)]
pub(crate) struct Store {
    pub(crate) checkpoints: HashMap<String, Checkpoint>,
    pub(crate) items: HashMap<String, Item>,
    /// Resource id -> (code, reason) for backups started from then on.
    pub(crate) failing_resources: HashMap<String, (Option<String>, String)>,
}

impl Store {
    /// Whether a backup of `plan_id` is still running (CSBS.1001).
    pub(crate) fn plan_executing(&self, plan_id: &str) -> bool {
        self.checkpoints
            .values()
            .filter(|c| c.plan_id == plan_id)
            .flat_map(|c| c.item_ids.iter())
            .filter_map(|id| self.items.get(id))
            .any(|item| !item.lifecycle.peek().is_terminal())
    }
}

/// The whole emulated service.
#[derive(Debug)]
pub(crate) struct EmuState {
    pub(crate) project_id: String,
    pub(crate) project_name: String,
    pub(crate) keys: HashMap<String, KeyPair>,
    pub(crate) user: (String, String, String),
    pub(crate) plans: HashMap<String, Plan>,
    pub(crate) tokens: TokenIssuer,
    pub(crate) token_ttl: Duration,
    pub(crate) max_skew: Duration,
    pub(crate) hidden_list_calls: u32,
    /// Accepted backups, issued tokens and the lifecycle of new backups.
    pub(crate) shared: EmulatorShared,
    pub(crate) store: Mutex<Store>,
}

impl EmuState {
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
