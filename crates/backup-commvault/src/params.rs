//! [`TriggerParams`]: one `CreateTask` for one subclient, as plans and
//! `backupctl trigger commvault` give it.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::BackupLevel;

/// Run a backup job of one subclient (`CreateTask`): the flat form of a
/// [`TriggerRequest`](crate::TriggerRequest) (plans in TOML, `backupctl trigger commvault`
/// flags with the `cli` feature).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct TriggerParams {
    /// clientName.
    #[cfg_attr(feature = "cli", arg(long))]
    pub client: String,
    /// instanceName.
    #[cfg_attr(feature = "cli", arg(long))]
    pub instance: String,
    /// backupsetName.
    #[cfg_attr(feature = "cli", arg(long))]
    pub backupset: String,
    /// subclientName.
    #[cfg_attr(feature = "cli", arg(long))]
    pub subclient: String,
    /// appName (File System, Cloud Apps ...).
    #[cfg_attr(feature = "cli", arg(long))]
    pub app_name: String,
    /// storagePolicyName (plan).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "cli", arg(long))]
    pub storage_policy: Option<String>,
    /// backupLevel (incremental when not set).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "level_name")]
    #[cfg_attr(feature = "cli", arg(long, value_enum))]
    pub level: Option<BackupLevel>,
    /// An ad-hoc backup of the items listed in this directive file (on the client).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "cli", arg(long, value_name = "PATH"))]
    pub directive_file: Option<PathBuf>,
}

/// [`BackupLevel`] by its [`BackupLevel::param_name`] (`synthetic-full`), as plans have
/// always written it.
mod level_name {
    use serde::de::{self, Deserializer};
    use serde::{Deserialize, Serializer};

    use crate::BackupLevel;

    #[allow(clippy::ref_option)] // serde's `with` passes the field by reference
    pub(super) fn serialize<S: Serializer>(
        level: &Option<BackupLevel>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match level {
            Some(level) => serializer.serialize_str(level.param_name()),
            None => serializer.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<BackupLevel>, D::Error> {
        let Some(name) = Option::<String>::deserialize(deserializer)? else {
            return Ok(None);
        };
        BackupLevel::from_param_name(&name)
            .map(Some)
            .ok_or_else(|| {
                let names: Vec<&str> = BackupLevel::ALL
                    .iter()
                    .map(|level| level.param_name())
                    .collect();
                de::Error::invalid_value(
                    de::Unexpected::Str(&name),
                    &format!("one of {}", names.join(", ")).as_str(),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> TriggerParams {
        TriggerParams {
            client: "c".to_owned(),
            instance: "i".to_owned(),
            backupset: "b".to_owned(),
            subclient: "s".to_owned(),
            app_name: "File System".to_owned(),
            storage_policy: None,
            level: None,
            directive_file: None,
        }
    }

    #[test]
    fn levels_are_written_as_plans_write_them() {
        for level in BackupLevel::ALL {
            let params = TriggerParams {
                level: Some(level),
                ..params()
            };
            let json = serde_json::to_value(&params).unwrap();
            assert_eq!(json["level"], level.param_name());
            let back: TriggerParams = serde_json::from_value(json).unwrap();
            assert_eq!(back, params);
        }
        assert_eq!(BackupLevel::SyntheticFull.param_name(), "synthetic-full");
        let json = serde_json::to_value(params()).unwrap();
        assert!(json.get("level").is_none(), "{json}");
        let mut bad = json;
        bad["level"] = "FULL".into();
        let err = serde_json::from_value::<TriggerParams>(bad).unwrap_err();
        assert!(err.to_string().contains("synthetic-full"), "{err}");
    }

    /// The flags of `backupctl trigger commvault`, as they have always been.
    #[cfg(feature = "cli")]
    #[test]
    fn flags_are_the_command_lines() {
        use clap::Parser;

        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            params: TriggerParams,
            #[command(flatten)]
            config: crate::Config,
        }

        let cli = Cli::try_parse_from([
            "backupctl",
            "--client",
            "c",
            "--instance",
            "i",
            "--backupset",
            "b",
            "--subclient",
            "s",
            "--app-name",
            "File System",
            "--storage-policy",
            "plan",
            "--level",
            "synthetic-full",
            "--directive-file",
            "/sk/list.txt",
            "--endpoint",
            "https://cs.example.com",
            "--ca-cert",
            "/etc/ca.pem",
            "--insecure",
        ])
        .unwrap();
        assert_eq!(
            cli.params,
            TriggerParams {
                storage_policy: Some("plan".to_owned()),
                level: Some(BackupLevel::SyntheticFull),
                directive_file: Some("/sk/list.txt".into()),
                ..params()
            }
        );
        assert_eq!(
            cli.config,
            crate::Config {
                endpoint: Some("https://cs.example.com".to_owned()),
                ca_cert: Some("/etc/ca.pem".into()),
                insecure: true,
            }
        );
        let minimal = Cli::try_parse_from([
            "backupctl",
            "--client",
            "c",
            "--instance",
            "i",
            "--backupset",
            "b",
            "--subclient",
            "s",
            "--app-name",
            "File System",
        ])
        .unwrap();
        assert_eq!(minimal.params, params());
        assert_eq!(minimal.config, crate::Config::default());
        assert!(Cli::try_parse_from(["backupctl", "--client", "c"]).is_err());
    }
}
