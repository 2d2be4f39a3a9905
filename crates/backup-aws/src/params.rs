//! [`TriggerParams`]: one `StartBackupJob`, as plans and `backupctl trigger aws` give it.

use std::collections::BTreeMap;

use backup_core::{Error, Result};
use serde::{Deserialize, Serialize};

use crate::VENDOR;
use crate::client::TriggerRequest;
use crate::model::{Index, Lifecycle};

/// Back up one resource into a backup vault: the flat form of a [`TriggerRequest`]
/// (plans in TOML, `backupctl trigger aws` flags with the `cli` feature).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct TriggerParams {
    /// Backup vault name.
    #[cfg_attr(feature = "cli", arg(long))]
    pub vault: String,
    /// ARN of the resource to back up.
    #[cfg_attr(feature = "cli", arg(long, value_name = "ARN"))]
    pub resource_arn: String,
    /// ARN of the IAM role AWS Backup assumes to make the recovery point.
    #[cfg_attr(feature = "cli", arg(long, value_name = "ARN"))]
    pub iam_role_arn: String,
    /// IdempotencyToken to repeat a trigger safely (`--idempotency-key` too, as for the
    /// other vendors): AWS Backup answers a repeated StartBackupJob with the same token
    /// with the job the first one started; a fresh UUID otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "cli",
        arg(long, value_name = "TOKEN", visible_alias = "idempotency-key")
    )]
    pub idempotency_token: Option<String>,
    /// Minutes before a job that has not started is cancelled (60 at least; AWS's
    /// default 8 hours).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "cli", arg(long, value_name = "MINUTES"))]
    pub start_window_minutes: Option<i64>,
    /// Minutes within which a started job must complete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "cli", arg(long, value_name = "MINUTES"))]
    pub complete_window_minutes: Option<i64>,
    /// Days before the recovery point moves to cold storage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "cli", arg(long, value_name = "DAYS"))]
    pub move_to_cold_storage_after_days: Option<i64>,
    /// Days before the recovery point is deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "cli", arg(long, value_name = "DAYS"))]
    pub delete_after_days: Option<i64>,
    /// Move supported resources to the archive tier per the lifecycle.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[cfg_attr(feature = "cli", arg(long))]
    pub opt_in_to_archive_for_supported_resources: bool,
    /// A recovery point tag, KEY=VALUE (repeatable).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(
        feature = "cli",
        arg(long = "recovery-point-tag", value_name = "KEY=VALUE")
    )]
    pub recovery_point_tags: Vec<String>,
    /// A backup option, KEY=VALUE (WindowsVSS=enabled; repeatable).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "cli", arg(long = "backup-option", value_name = "KEY=VALUE"))]
    pub backup_options: Vec<String>,
    /// Backup index: ENABLED or DISABLED (EBS, S3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "cli", arg(long, value_name = "ENABLED|DISABLED"))]
    pub index: Option<String>,
    /// ARN of a logically air-gapped vault to back up into.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "cli", arg(long, value_name = "ARN"))]
    pub logically_air_gapped_backup_vault_arn: Option<String>,
}

impl TriggerParams {
    /// The parameters of a plain backup of `resource_arn` into `vault`.
    pub fn new(
        vault: impl Into<String>,
        resource_arn: impl Into<String>,
        iam_role_arn: impl Into<String>,
    ) -> Self {
        Self {
            vault: vault.into(),
            resource_arn: resource_arn.into(),
            iam_role_arn: iam_role_arn.into(),
            idempotency_token: None,
            start_window_minutes: None,
            complete_window_minutes: None,
            move_to_cold_storage_after_days: None,
            delete_after_days: None,
            opt_in_to_archive_for_supported_resources: false,
            recovery_point_tags: Vec::new(),
            backup_options: Vec::new(),
            index: None,
            logically_air_gapped_backup_vault_arn: None,
        }
    }

    /// The request these parameters describe (not validated yet).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a tag or option that is not `KEY=VALUE`, or the same
    /// key twice.
    pub fn to_request(&self) -> Result<TriggerRequest> {
        let mut request = TriggerRequest::new(&self.vault, &self.resource_arn, &self.iam_role_arn);
        request
            .idempotency_token
            .clone_from(&self.idempotency_token);
        request.start_window_minutes = self.start_window_minutes;
        request.complete_window_minutes = self.complete_window_minutes;
        request.lifecycle = Lifecycle {
            move_to_cold_storage_after_days: self.move_to_cold_storage_after_days,
            delete_after_days: self.delete_after_days,
            opt_in_to_archive_for_supported_resources: self
                .opt_in_to_archive_for_supported_resources
                .then_some(true),
            delete_after_event: None,
        };
        request.recovery_point_tags = pairs("recovery_point_tags", &self.recovery_point_tags)?;
        request.backup_options = pairs("backup_options", &self.backup_options)?;
        request.index = self.index.as_deref().map(Index::parse);
        request
            .logically_air_gapped_backup_vault_arn
            .clone_from(&self.logically_air_gapped_backup_vault_arn);
        Ok(request)
    }
}

/// `KEY=VALUE` items as a map; each key once.
fn pairs(field: &str, items: &[String]) -> Result<BTreeMap<String, String>> {
    let mut map = BTreeMap::new();
    for item in items {
        let Some((key, value)) = item.split_once('=') else {
            return Err(Error::invalid_input(
                VENDOR,
                field,
                format!(
                    "{:?} is not KEY=VALUE",
                    item.chars().take(60).collect::<String>()
                ),
            ));
        };
        if map.insert(key.to_owned(), value.to_owned()).is_some() {
            return Err(Error::invalid_input(
                VENDOR,
                field,
                format!("{key:?} is given twice"),
            ));
        }
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_key_value_pairs_and_unknown_keys_are_refused() {
        let params: TriggerParams = serde_json::from_str(
            r#"{"vault": "Default", "resource_arn": "arn:aws:ec2:us-east-1:1:volume/v",
                "iam_role_arn": "arn:aws:iam::1:role/r",
                "recovery_point_tags": ["owner=ops", "env=a=b"],
                "backup_options": ["WindowsVSS=enabled"], "delete_after_days": 120}"#,
        )
        .unwrap();
        let request = params.to_request().unwrap();
        assert_eq!(request.recovery_point_tags["env"], "a=b");
        assert_eq!(request.backup_options["WindowsVSS"], "enabled");
        assert_eq!(request.lifecycle.delete_after_days, Some(120));
        let mut twice = params.clone();
        twice.backup_options.push("WindowsVSS=disabled".into());
        assert!(twice.to_request().is_err());
        let mut bare = params;
        bare.recovery_point_tags = vec!["owner".into()];
        assert!(bare.to_request().is_err());
        for wrong in [
            r#"{"vault": "v", "resource_arn": "a", "iam_role_arn": "r", "region": "x"}"#,
            r#"{"vault": "v", "resource_arn": "a", "iam_role_arn": "r", "delete_after_days": "soon"}"#,
            r#"{"vault": "v", "resource_arn": "a"}"#,
        ] {
            assert!(
                serde_json::from_str::<TriggerParams>(wrong).is_err(),
                "{wrong}"
            );
        }
    }
}
