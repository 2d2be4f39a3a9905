//! [`TriggerParams`]: one execution of a backup policy, as plans and
//! `backupctl trigger huawei-csbs` give it.

use serde::{Deserialize, Serialize};

/// Create a checkpoint (backup) of a backup policy: the flat form of a
/// [`TriggerRequest`](crate::TriggerRequest) (plans in TOML, `backupctl trigger
/// huawei-csbs` flags with the `cli` feature).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct TriggerParams {
    /// Backup policy (plan) id.
    #[cfg_attr(feature = "cli", arg(long))]
    pub plan: String,
    /// A resource of the policy to back up (repeatable; all of them when absent).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "cli", arg(long = "resource", value_name = "ID"))]
    pub resources: Vec<String>,
    /// Send auto_trigger = true.
    #[serde(default)]
    #[cfg_attr(feature = "cli", arg(long))]
    pub auto_trigger: bool,
}
