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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_are_a_list_and_auto_trigger_a_bool() {
        let params: TriggerParams =
            serde_json::from_str(r#"{"plan": "plan-1", "resources": ["r1", "r2"]}"#).unwrap();
        assert_eq!(params.resources, ["r1", "r2"]);
        assert!(!params.auto_trigger);
        for wrong in [
            r#"{"plan": "p", "resources": "r1"}"#,
            r#"{"plan": "p", "auto_trigger": "yes"}"#,
            r#"{"plan": "p", "region": "r"}"#,
        ] {
            assert!(
                serde_json::from_str::<TriggerParams>(wrong).is_err(),
                "{wrong}"
            );
        }
    }
}
