//! [`TriggerParams`]: one `Policy.Execute`, as plans and `backupctl trigger yandex` give
//! it.

use serde::{Deserialize, Serialize};

/// Execute a backup policy on one Compute instance: the flat form of a
/// [`TriggerRequest`](crate::TriggerRequest) (plans in TOML, `backupctl trigger yandex`
/// flags with the `cli` feature).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct TriggerParams {
    /// Backup policy id (applied to the instance).
    #[cfg_attr(feature = "cli", arg(long))]
    pub policy: String,
    /// Compute instance id.
    #[cfg_attr(feature = "cli", arg(long))]
    pub instance: String,
    /// Idempotency-Key (a UUID) to repeat a trigger safely; a fresh one otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "cli", arg(long, value_name = "UUID"))]
    pub idempotency_key: Option<String>,
}
