//! [`TriggerParams`]: one policy start, as plans and `backupctl trigger veeam` give it.

use serde::{Deserialize, Serialize};

/// Start one backup policy: the flat form of a [`TriggerRequest`](crate::TriggerRequest)
/// (plans in TOML, `backupctl trigger veeam` flags with the `cli` feature).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct TriggerParams {
    /// Policy id.
    #[cfg_attr(feature = "cli", arg(long))]
    pub policy: String,
}
