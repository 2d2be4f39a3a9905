//! [`TriggerRequest`]: one `StartBackupJob`, every documented member, validated before
//! any request.

use std::collections::BTreeMap;
use std::fmt;

use backup_core::{Error, Result};

use crate::VENDOR;
use crate::model::{Index, Lifecycle, StartBackupJobInput};

/// The longest start or complete window: 100 years (52,560,000 minutes).
pub const MAX_WINDOW_MINUTES: i64 = 52_560_000;
/// The shortest start window that avoids errors: 60 minutes.
pub const MIN_START_WINDOW_MINUTES: i64 = 60;
/// The longest lifecycle: 100 years (36,500 days).
pub const MAX_LIFECYCLE_DAYS: i64 = 36_500;
/// How much longer a recovery point lives than it waits for cold storage: 90 days.
pub const MIN_COLD_STORAGE_DAYS: i64 = 90;

/// What to back up: one on-demand backup job (`StartBackupJob`).
///
/// `Debug` shows the keys of the recovery point tags, not their values (the API model
/// marks the tags sensitive).
#[derive(Clone, PartialEq, Eq)]
pub struct TriggerRequest {
    /// The backup vault.
    pub backup_vault_name: String,
    /// The resource to back up (an ARN).
    pub resource_arn: String,
    /// The role AWS Backup assumes to make the recovery point (an ARN).
    pub iam_role_arn: String,
    /// The `IdempotencyToken`: a fresh UUID v4 per trigger when `None`, sent unchanged
    /// on every retry of that trigger.
    pub idempotency_token: Option<String>,
    /// A logically air-gapped vault to back up into.
    pub logically_air_gapped_backup_vault_arn: Option<String>,
    /// Minutes after which a job that has not started is cancelled (60 at least).
    pub start_window_minutes: Option<i64>,
    /// Minutes within which a started job must complete.
    pub complete_window_minutes: Option<i64>,
    /// When the recovery point moves to cold storage and is deleted.
    pub lifecycle: Lifecycle,
    /// Tags of the recovery point.
    pub recovery_point_tags: BTreeMap<String, String>,
    /// Backup options (`WindowsVSS` = `enabled`).
    pub backup_options: BTreeMap<String, String>,
    /// Whether to make a backup index.
    pub index: Option<Index>,
}

impl fmt::Debug for TriggerRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TriggerRequest")
            .field("backup_vault_name", &self.backup_vault_name)
            .field("resource_arn", &self.resource_arn)
            .field("iam_role_arn", &self.iam_role_arn)
            .field("idempotency_token", &self.idempotency_token)
            .field(
                "logically_air_gapped_backup_vault_arn",
                &self.logically_air_gapped_backup_vault_arn,
            )
            .field("start_window_minutes", &self.start_window_minutes)
            .field("complete_window_minutes", &self.complete_window_minutes)
            .field("lifecycle", &self.lifecycle)
            .field(
                "recovery_point_tags",
                &self.recovery_point_tags.keys().collect::<Vec<_>>(),
            )
            .field("backup_options", &self.backup_options)
            .field("index", &self.index)
            .finish()
    }
}

impl TriggerRequest {
    /// Backs up `resource_arn` into `backup_vault_name` as `iam_role_arn`, with a fresh
    /// idempotency token and the service's defaults for everything else.
    pub fn new(
        backup_vault_name: impl Into<String>,
        resource_arn: impl Into<String>,
        iam_role_arn: impl Into<String>,
    ) -> Self {
        Self {
            backup_vault_name: backup_vault_name.into(),
            resource_arn: resource_arn.into(),
            iam_role_arn: iam_role_arn.into(),
            idempotency_token: None,
            logically_air_gapped_backup_vault_arn: None,
            start_window_minutes: None,
            complete_window_minutes: None,
            lifecycle: Lifecycle::default(),
            recovery_point_tags: BTreeMap::new(),
            backup_options: BTreeMap::new(),
            index: None,
        }
    }

    /// Uses `token` as the `IdempotencyToken`: repeating a trigger whose outcome is
    /// unknown with the same token starts nothing new.
    #[must_use]
    pub fn idempotency_token(mut self, token: impl Into<String>) -> Self {
        self.idempotency_token = Some(token.into());
        self
    }

    /// Sets the start window.
    #[must_use]
    pub fn start_window_minutes(mut self, minutes: i64) -> Self {
        self.start_window_minutes = Some(minutes);
        self
    }

    /// Sets the complete window.
    #[must_use]
    pub fn complete_window_minutes(mut self, minutes: i64) -> Self {
        self.complete_window_minutes = Some(minutes);
        self
    }

    /// Sets the lifecycle.
    #[must_use]
    pub fn lifecycle(mut self, lifecycle: Lifecycle) -> Self {
        self.lifecycle = lifecycle;
        self
    }

    /// Adds a recovery point tag.
    #[must_use]
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.recovery_point_tags.insert(key.into(), value.into());
        self
    }

    /// Adds a backup option (`WindowsVSS`, `enabled`).
    #[must_use]
    pub fn backup_option(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.backup_options.insert(key.into(), value.into());
        self
    }

    /// The body sent, with `token` as its idempotency token.
    #[must_use]
    pub fn body(&self, token: &str) -> StartBackupJobInput {
        StartBackupJobInput {
            backup_vault_name: self.backup_vault_name.clone(),
            logically_air_gapped_backup_vault_arn: self
                .logically_air_gapped_backup_vault_arn
                .clone(),
            resource_arn: self.resource_arn.clone(),
            iam_role_arn: self.iam_role_arn.clone(),
            idempotency_token: Some(token.to_owned()),
            start_window_minutes: self.start_window_minutes,
            complete_window_minutes: self.complete_window_minutes,
            lifecycle: (!self.lifecycle.is_empty()).then(|| self.lifecycle.clone()),
            recovery_point_tags: self.recovery_point_tags.clone(),
            backup_options: self.backup_options.clone(),
            index: self.index.clone(),
        }
    }

    /// Checks every member against the API model's constraints.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the member.
    pub fn validate(&self) -> Result<()> {
        validate_vault_name(&self.backup_vault_name)?;
        validate_arn("resource_arn", &self.resource_arn)?;
        validate_role_arn(&self.iam_role_arn)?;
        if let Some(arn) = &self.logically_air_gapped_backup_vault_arn {
            validate_arn("logically_air_gapped_backup_vault_arn", arn)?;
        }
        if let Some(token) = &self.idempotency_token {
            validate_token(token)?;
        }
        if let Some(minutes) = self.start_window_minutes {
            within(
                "start_window_minutes",
                minutes,
                MIN_START_WINDOW_MINUTES,
                MAX_WINDOW_MINUTES,
            )?;
        }
        if let Some(minutes) = self.complete_window_minutes {
            within("complete_window_minutes", minutes, 1, MAX_WINDOW_MINUTES)?;
        }
        self.validate_lifecycle()?;
        for key in self.recovery_point_tags.keys() {
            if key.trim().is_empty() {
                return Err(invalid(
                    "recovery_point_tags",
                    "a tag key must not be empty",
                ));
            }
        }
        for (key, value) in &self.backup_options {
            if !option_word(key) || !option_word(value) {
                return Err(invalid(
                    "backup_options",
                    format!(
                        "{key}={value}: keys and values are 1-50 letters, digits, `-`, `_` or `.`"
                    ),
                ));
            }
        }
        if let Some(Index::Other(other)) = &self.index {
            return Err(invalid(
                "index",
                format!("{other:?} is neither ENABLED nor DISABLED"),
            ));
        }
        Ok(())
    }

    fn validate_lifecycle(&self) -> Result<()> {
        let lifecycle = &self.lifecycle;
        if lifecycle.delete_after_event.is_some() {
            return Err(invalid(
                "lifecycle",
                "DeleteAfterEvent is not valid as an input",
            ));
        }
        if let Some(days) = lifecycle.move_to_cold_storage_after_days {
            within(
                "move_to_cold_storage_after_days",
                days,
                1,
                MAX_LIFECYCLE_DAYS,
            )?;
        }
        if let Some(days) = lifecycle.delete_after_days {
            within("delete_after_days", days, 1, MAX_LIFECYCLE_DAYS)?;
        }
        if let (Some(cold), Some(delete)) = (
            lifecycle.move_to_cold_storage_after_days,
            lifecycle.delete_after_days,
        ) && delete < cold + MIN_COLD_STORAGE_DAYS
        {
            return Err(invalid(
                "delete_after_days",
                format!(
                    "must be at least {MIN_COLD_STORAGE_DAYS} days after \
                     move_to_cold_storage_after_days ({cold})"
                ),
            ));
        }
        Ok(())
    }
}

fn invalid(field: &str, reason: impl Into<String>) -> Error {
    Error::invalid_input(VENDOR, field, reason)
}

fn within(field: &str, value: i64, min: i64, max: i64) -> Result<()> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(invalid(
            field,
            format!("must be within {min}..={max}, not {value}"),
        ))
    }
}

/// `BackupVaultName`: `^[a-zA-Z0-9\-\_]{2,50}$`.
fn validate_vault_name(name: &str) -> Result<()> {
    let valid = (2..=50).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if valid {
        Ok(())
    } else {
        Err(invalid(
            "backup_vault_name",
            format!("{name:?}: 2-50 letters, digits, `-` or `_`"),
        ))
    }
}

/// `BackupOptionKey` / `BackupOptionValue`: `^[a-zA-Z0-9\-\_\.]{1,50}$`.
fn option_word(word: &str) -> bool {
    (1..=50).contains(&word.len())
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// An ARN: `arn:partition:service:region:account-id:resource`, six parts at least,
/// partition, service and resource not empty, no white space or control characters.
fn validate_arn(field: &str, arn: &str) -> Result<()> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let well_formed = parts.len() == 6
        && parts[0] == "arn"
        && !parts[1].is_empty()
        && !parts[2].is_empty()
        && !parts[5].is_empty()
        && arn.len() <= 2048
        && !arn.chars().any(|c| c.is_whitespace() || c.is_control());
    if well_formed {
        Ok(())
    } else {
        Err(invalid(
            field,
            format!(
                "{:?} is not an ARN (arn:partition:service:region:account:resource)",
                excerpt(arn)
            ),
        ))
    }
}

/// A role ARN: `arn:partition:iam::account:role/name`.
fn validate_role_arn(arn: &str) -> Result<()> {
    validate_arn("iam_role_arn", arn)?;
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts[2] == "iam" && parts[5].starts_with("role/") && parts[5].len() > "role/".len() {
        Ok(())
    } else {
        Err(invalid(
            "iam_role_arn",
            format!(
                "{:?} is not an IAM role ARN (arn:aws:iam::123456789012:role/name)",
                excerpt(arn)
            ),
        ))
    }
}

/// An idempotency token: any text without control characters, not blank.
fn validate_token(token: &str) -> Result<()> {
    if token.trim().is_empty() {
        Err(invalid("idempotency_token", "must not be empty"))
    } else if token.chars().any(char::is_control) {
        Err(invalid(
            "idempotency_token",
            "must not contain control characters",
        ))
    } else if token.len() > 1024 {
        Err(invalid("idempotency_token", "is longer than 1024 bytes"))
    } else {
        Ok(())
    }
}

fn excerpt(text: &str) -> String {
    text.chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROLE: &str = "arn:aws:iam::123456789012:role/service-role/AWSBackupDefaultServiceRole";
    const VOLUME: &str = "arn:aws:ec2:us-east-1:123456789012:volume/vol-0abc";

    fn field_of(request: &TriggerRequest) -> String {
        match request.validate() {
            Err(Error::InvalidInput { field, .. }) => field,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_constraint_of_the_model_is_checked() {
        let ok = TriggerRequest::new("Default", VOLUME, ROLE);
        assert!(ok.validate().is_ok());
        let cases = [
            (TriggerRequest::new("x", VOLUME, ROLE), "backup_vault_name"),
            (
                TriggerRequest::new("a b", VOLUME, ROLE),
                "backup_vault_name",
            ),
            (
                TriggerRequest::new("Default", "vol-0abc", ROLE),
                "resource_arn",
            ),
            (
                TriggerRequest::new("Default", VOLUME, VOLUME),
                "iam_role_arn",
            ),
            (ok.clone().start_window_minutes(59), "start_window_minutes"),
            (
                ok.clone().complete_window_minutes(0),
                "complete_window_minutes",
            ),
            (ok.clone().idempotency_token(" "), "idempotency_token"),
            (
                ok.clone().backup_option("WindowsVSS", "on please"),
                "backup_options",
            ),
            (ok.clone().tag("", "v"), "recovery_point_tags"),
            (
                ok.clone().lifecycle(Lifecycle {
                    move_to_cold_storage_after_days: Some(30),
                    delete_after_days: Some(100),
                    ..Lifecycle::default()
                }),
                "delete_after_days",
            ),
        ];
        for (request, field) in cases {
            assert_eq!(field_of(&request), field, "{request:?}");
        }
        let mut odd = ok.clone();
        odd.index = Some(Index::parse("MAYBE"));
        assert_eq!(field_of(&odd), "index");
        assert!(
            ok.start_window_minutes(60)
                .complete_window_minutes(MAX_WINDOW_MINUTES)
                .backup_option("WindowsVSS", "enabled")
                .validate()
                .is_ok()
        );
    }

    #[test]
    fn debug_hides_tag_values() {
        let request = TriggerRequest::new("Default", VOLUME, ROLE).tag("owner", "SECRET-VALUE-1");
        let text = format!("{request:?}");
        assert!(
            text.contains("owner") && !text.contains("SECRET-VALUE-1"),
            "{text}"
        );
        let body = format!("{:?}", request.body("t"));
        assert!(!body.contains("SECRET-VALUE-1"), "{body}");
    }
}
