//! The request and answer shapes of AWS Backup's `StartBackupJob`, `DescribeBackupJob`,
//! `StopBackupJob` and `ListBackupJobs`, member for member as the service's API model
//! (botocore's `backup/2018-11-15/service-2.json`) and the AWS Backup API reference
//! define them (`docs/vendors/aws.md` lists the sources).
//!
//! The protocol is `rest-json`: member names are PascalCase, timestamps are Unix
//! seconds with a fraction (`1516925490.087`), `Long`s are JSON numbers and
//! `PercentDone` is a string. Decoding is lenient where a value could come in another
//! form (numbers as numeric strings, timestamps as RFC 3339 text); unknown members are
//! ignored and unknown states kept raw ([`BackupJobState::Other`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use time::OffsetDateTime;

backup_core::string_enum! {
    /// `BackupJobState`: where a backup job stands, every value the model lists.
    pub enum BackupJobState {
        /// Accepted; stays so until the job has begun or its start window has passed.
        Created = "CREATED",
        /// Waiting to run.
        Pending = "PENDING",
        /// Running.
        Running = "RUNNING",
        /// A stop was asked for and is under way.
        Aborting = "ABORTING",
        /// Stopped (`StopBackupJob`, or the complete window passed).
        Aborted = "ABORTED",
        /// Done: the recovery point exists.
        Completed = "COMPLETED",
        /// Failed.
        Failed = "FAILED",
        /// The start window passed before the job could begin.
        Expired = "EXPIRED",
        /// A parent (composite) job some of whose child jobs did not complete.
        Partial = "PARTIAL",
    }
}

backup_core::string_enum! {
    /// `Index`: whether a backup index is made for the recovery point (EBS and S3).
    pub enum Index {
        /// Make the index.
        Enabled = "ENABLED",
        /// Delete the index.
        Disabled = "DISABLED",
    }
}

backup_core::string_enum! {
    /// `LifecycleDeleteAfterEvent`: the event after which a recovery point is deleted
    /// (answers only: "Not valid as an input").
    pub enum LifecycleDeleteAfterEvent {
        /// Deleted once copied.
        DeleteAfterCopy = "DELETE_AFTER_COPY",
    }
}

/// `Lifecycle`: when a recovery point moves to cold storage and when it is deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Lifecycle {
    /// Days after creation before the recovery point moves to cold storage.
    #[serde(
        default,
        deserialize_with = "backup_core::lenient::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub move_to_cold_storage_after_days: Option<i64>,
    /// Days after creation before the recovery point is deleted (at least 90 more than
    /// `MoveToColdStorageAfterDays`).
    #[serde(
        default,
        deserialize_with = "backup_core::lenient::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub delete_after_days: Option<i64>,
    /// Move supported resources to the archive (cold) tier per the lifecycle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opt_in_to_archive_for_supported_resources: Option<bool>,
    /// The event after which the recovery point is deleted (answers only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_after_event: Option<LifecycleDeleteAfterEvent>,
}

impl Lifecycle {
    /// Whether no member is set (then the request leaves `Lifecycle` out).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

/// The body of `StartBackupJob` (`PUT /backup-jobs`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StartBackupJobInput {
    /// The backup vault (`^[a-zA-Z0-9\-\_]{2,50}$`). Required.
    pub backup_vault_name: String,
    /// A logically air-gapped vault (same account and Region) to back up into.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logically_air_gapped_backup_vault_arn: Option<String>,
    /// The resource to back up. Required.
    pub resource_arn: String,
    /// The IAM role that creates the recovery point. Required.
    pub iam_role_arn: String,
    /// Makes repeats of the same call harmless: "Retrying a successful request with the
    /// same idempotency token results in a success message with no action taken."
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_token: Option<String>,
    /// Minutes after which a job that has not started is cancelled (default 8 hours;
    /// at least 60).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_window_minutes: Option<i64>,
    /// Minutes within which a started job must complete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complete_window_minutes: Option<i64>,
    /// When the recovery point moves to cold storage and expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<Lifecycle>,
    /// Tags for the recovery point (a sensitive member in the model).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub recovery_point_tags: BTreeMap<String, String>,
    /// Backup options (`WindowsVSS`: `enabled` / `disabled`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub backup_options: BTreeMap<String, String>,
    /// Whether to make a backup index (EBS, S3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<Index>,
}

impl std::fmt::Debug for StartBackupJobInput {
    /// Tag values are sensitive in the API model: only their keys are shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StartBackupJobInput")
            .field("backup_vault_name", &self.backup_vault_name)
            .field(
                "logically_air_gapped_backup_vault_arn",
                &self.logically_air_gapped_backup_vault_arn,
            )
            .field("resource_arn", &self.resource_arn)
            .field("iam_role_arn", &self.iam_role_arn)
            .field("idempotency_token", &self.idempotency_token)
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

/// The answer of `StartBackupJob`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StartBackupJobOutput {
    /// The job started.
    #[serde(
        default,
        deserialize_with = "backup_core::lenient::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub backup_job_id: Option<String>,
    /// The recovery point ("only returned for Amazon EFS and Advanced DynamoDB
    /// resources").
    #[serde(
        default,
        deserialize_with = "backup_core::lenient::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub recovery_point_arn: Option<String>,
    /// When the job was created.
    #[serde(
        default,
        with = "epoch_seconds",
        skip_serializing_if = "Option::is_none"
    )]
    pub creation_date: Option<OffsetDateTime>,
    /// Whether it is a parent (composite) job.
    #[serde(default, deserialize_with = "lenient_bool")]
    pub is_parent: bool,
}

/// `RecoveryPointCreator`: the backup plan and rule that made a job (empty for an
/// on-demand job).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RecoveryPointCreator {
    /// The backup plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_plan_id: Option<String>,
    /// Its ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_plan_arn: Option<String>,
    /// Its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_plan_name: Option<String>,
    /// Its version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_plan_version: Option<String>,
    /// The rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_rule_id: Option<String>,
    /// Its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_rule_name: Option<String>,
    /// Its schedule (cron).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_rule_cron: Option<String>,
    /// The time zone of the schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_rule_timezone: Option<String>,
}

/// A backup job: the answer of `DescribeBackupJob` (every member), and an element of
/// `ListBackupJobs` (which has neither `NumberOfChildJobs` nor `ChildJobsInState`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BackupJob {
    /// The account that owns the job.
    #[serde(
        default,
        deserialize_with = "backup_core::lenient::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub account_id: Option<String>,
    /// The job.
    #[serde(
        default,
        deserialize_with = "backup_core::lenient::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub backup_job_id: Option<String>,
    /// The vault.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_vault_name: Option<String>,
    /// The lifecycle of the recovery point.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_point_lifecycle: Option<Lifecycle>,
    /// The vault's ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_vault_arn: Option<String>,
    /// `BACKUP_VAULT` or `LOGICALLY_AIR_GAPPED_BACKUP_VAULT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vault_type: Option<String>,
    /// `LOCKED` or `UNLOCKED` (logically air-gapped vaults).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vault_lock_state: Option<String>,
    /// The recovery point made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_point_arn: Option<String>,
    /// The KMS key that encrypts the backup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption_key_arn: Option<String>,
    /// Whether the backup is encrypted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_encrypted: Option<bool>,
    /// The resource backed up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_arn: Option<String>,
    /// When the job was created.
    #[serde(
        default,
        with = "epoch_seconds",
        skip_serializing_if = "Option::is_none"
    )]
    pub creation_date: Option<OffsetDateTime>,
    /// When it completed.
    #[serde(
        default,
        with = "epoch_seconds",
        skip_serializing_if = "Option::is_none"
    )]
    pub completion_date: Option<OffsetDateTime>,
    /// Its state.
    #[serde(
        default,
        deserialize_with = "job_state",
        skip_serializing_if = "Option::is_none"
    )]
    pub state: Option<BackupJobState>,
    /// A detailed message about its status.
    #[serde(
        default,
        deserialize_with = "backup_core::lenient::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub status_message: Option<String>,
    /// An estimated percentage done ("Type: String").
    #[serde(
        default,
        deserialize_with = "backup_core::lenient::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub percent_done: Option<String>,
    /// The size of the backup (recovery point), in bytes.
    #[serde(
        default,
        deserialize_with = "backup_core::lenient::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub backup_size_in_bytes: Option<i64>,
    /// The role that made the recovery point.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iam_role_arn: Option<String>,
    /// The plan and rule that made the job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<RecoveryPointCreator>,
    /// The kind of resource (`EBS`, `EFS`, `DynamoDB` ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    /// Bytes transferred to the vault so far.
    #[serde(
        default,
        deserialize_with = "backup_core::lenient::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub bytes_transferred: Option<i64>,
    /// When the job is expected to complete.
    #[serde(
        default,
        with = "epoch_seconds",
        skip_serializing_if = "Option::is_none"
    )]
    pub expected_completion_date: Option<OffsetDateTime>,
    /// When the job must have started before it is cancelled.
    #[serde(
        default,
        with = "epoch_seconds",
        skip_serializing_if = "Option::is_none"
    )]
    pub start_by: Option<OffsetDateTime>,
    /// The backup options of the job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_options: Option<BTreeMap<String, String>>,
    /// The backup type taken (`WindowsVSS`; empty for a regular backup).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_type: Option<String>,
    /// The parent (composite) job of a child job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_job_id: Option<String>,
    /// Whether it is a parent (composite) job.
    #[serde(default, deserialize_with = "lenient_bool")]
    pub is_parent: bool,
    /// How many child jobs a parent job has (`DescribeBackupJob` only).
    #[serde(
        default,
        deserialize_with = "backup_core::lenient::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub number_of_child_jobs: Option<i64>,
    /// How many child jobs are in each state (`DescribeBackupJob` only).
    #[serde(
        default,
        deserialize_with = "child_jobs",
        skip_serializing_if = "Option::is_none"
    )]
    pub child_jobs_in_state: Option<BTreeMap<String, i64>>,
    /// The (non-unique) name of the resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_name: Option<String>,
    /// When the job was initiated.
    #[serde(
        default,
        with = "epoch_seconds",
        skip_serializing_if = "Option::is_none"
    )]
    pub initiation_date: Option<OffsetDateTime>,
    /// The message category (`SUCCESS`, `AccessDenied`, `INVALIDPARAMETERS` ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_category: Option<String>,
}

/// The answer of `DescribeBackupJob`: a [`BackupJob`] with its child-job counts.
pub type DescribeBackupJobOutput = BackupJob;

impl BackupJob {
    /// [`BackupJob::percent_done`] as a number (`"14.0"`, `"50.00 %"`), when it is one.
    #[must_use]
    pub fn percent(&self) -> Option<f64> {
        let text = self.percent_done.as_deref()?.trim();
        let text = text.strip_suffix('%').unwrap_or(text).trim();
        text.parse::<f64>().ok().filter(|p| p.is_finite())
    }

    /// The child jobs in `state`, from [`BackupJob::child_jobs_in_state`].
    #[must_use]
    pub fn children_in(&self, state: &BackupJobState) -> i64 {
        self.child_jobs_in_state
            .as_ref()
            .and_then(|counts| {
                counts
                    .iter()
                    .find(|(name, _)| BackupJobState::parse(name) == *state)
                    .map(|(_, count)| *count)
            })
            .unwrap_or(0)
    }
}

/// The answer of `ListBackupJobs` (`GET /backup-jobs/`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListBackupJobsOutput {
    /// The jobs of this page.
    #[serde(default, deserialize_with = "jobs")]
    pub backup_jobs: Vec<BackupJob>,
    /// The token of the next page, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// An error answer's body: `Code`, `Message`, `Type`, `Context` (every Backup error
/// shape), plus `__type`, `code` and `message`, the other spellings rest-json clients
/// read (botocore's `RestJSONParser`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// `__type`: the error's shape name, possibly with a namespace (`ns#Name`) or a
    /// suffix (`Name:http://...`).
    #[serde(
        rename = "__type",
        default,
        deserialize_with = "backup_core::lenient::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub type_name: Option<String>,
    /// `Code` (or `code`).
    #[serde(
        rename = "Code",
        alias = "code",
        default,
        deserialize_with = "backup_core::lenient::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub code: Option<String>,
    /// `Message` (or `message`).
    #[serde(
        rename = "Message",
        alias = "message",
        default,
        deserialize_with = "backup_core::lenient::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub message: Option<String>,
    /// `Type` (`User`, `Server` ...).
    #[serde(
        rename = "Type",
        default,
        deserialize_with = "backup_core::lenient::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub kind: Option<String>,
    /// `Context`.
    #[serde(
        rename = "Context",
        default,
        deserialize_with = "backup_core::lenient::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub context: Option<String>,
}

/// An error code as AWS clients read it: what comes before a `:` and after the last
/// `#` (`aws.protocoltests#ThrottlingException:http://...` -> `ThrottlingException`).
#[must_use]
pub fn clean_error_code(raw: &str) -> &str {
    let code = raw.split(':').next().unwrap_or(raw);
    code.rsplit('#').next().unwrap_or(code).trim()
}

/// A state sent as any value: its text, parsed ([`BackupJobState::Other`] if unknown).
fn job_state<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<BackupJobState>, D::Error> {
    Ok(backup_core::lenient::opt_text(deserializer)?.map(|text| BackupJobState::parse(&text)))
}

fn lenient_bool<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    let text = backup_core::lenient::opt_text(deserializer)?;
    Ok(text.is_some_and(|t| t.trim().eq_ignore_ascii_case("true")))
}

/// `ChildJobsInState`: a map of state to count; counts that are no number are left out.
fn child_jobs<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<BTreeMap<String, i64>>, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(deserializer)?;
    Ok(value.and_then(|value| {
        let object = value.as_object()?;
        Some(
            object
                .iter()
                .filter_map(|(state, count)| {
                    let count = count
                        .as_i64()
                        .or_else(|| count.as_str()?.trim().parse().ok())?;
                    Some((state.clone(), count))
                })
                .collect(),
        )
    }))
}

/// `BackupJobs`: a list; `null` is empty, and an element that is no job is skipped.
fn jobs<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<BackupJob>, D::Error> {
    let value = Option::<Vec<serde_json::Value>>::deserialize(deserializer)?;
    Ok(value
        .unwrap_or_default()
        .into_iter()
        .filter_map(|job| serde_json::from_value(job).ok())
        .collect())
}

/// Timestamps as rest-json sends them: Unix seconds with a fraction. Numeric strings
/// and RFC 3339 text are read too; anything else is `None`.
pub mod epoch_seconds {
    use serde::{Deserializer, Serializer};
    use time::OffsetDateTime;

    /// Writes Unix seconds with milliseconds (`1516925490.087`).
    ///
    /// # Errors
    /// The serializer's own errors.
    #[allow(clippy::ref_option)]
    pub fn serialize<S: Serializer>(
        value: &Option<OffsetDateTime>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(at) => serializer.serialize_f64(to_seconds(*at)),
            None => serializer.serialize_none(),
        }
    }

    /// Reads a timestamp leniently.
    ///
    /// # Errors
    /// Only the deserializer's own errors (malformed input).
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<OffsetDateTime>, D::Error> {
        Ok(backup_core::lenient::opt_text(deserializer)?.and_then(|text| parse(&text)))
    }

    /// Unix seconds with milliseconds.
    #[must_use]
    #[allow(clippy::cast_precision_loss)]
    pub fn to_seconds(at: OffsetDateTime) -> f64 {
        let millis = at.unix_timestamp_nanos() / 1_000_000;
        millis as f64 / 1000.0
    }

    /// Parses `1516925490.087`, `1516925490`, `1.516925490087E9` or RFC 3339 text.
    #[must_use]
    pub fn parse(text: &str) -> Option<OffsetDateTime> {
        let text = text.trim();
        if let Some(at) = decimal(text) {
            return Some(at);
        }
        if let Ok(seconds) = text.parse::<f64>() {
            if !seconds.is_finite() || seconds.abs() > 253_402_300_799.0 {
                return None;
            }
            #[allow(clippy::cast_possible_truncation)]
            let nanos = (seconds * 1e9).round() as i128;
            return OffsetDateTime::from_unix_timestamp_nanos(nanos).ok();
        }
        backup_core::timefmt::parse_rfc3339(text)
    }

    /// `seconds[.fraction]` in plain decimal, exactly.
    fn decimal(text: &str) -> Option<OffsetDateTime> {
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        let unsigned = whole.strip_prefix('-').unwrap_or(whole);
        if unsigned.is_empty() || !digits(unsigned) || !digits(fraction) {
            return None;
        }
        let seconds: i64 = whole.parse().ok()?;
        let mut nanos: i64 = 0;
        for (index, byte) in fraction.bytes().take(9).enumerate() {
            let place = 8 - u32::try_from(index).ok()?;
            nanos += i64::from(byte - b'0') * 10_i64.pow(place);
        }
        let nanos = if seconds < 0 { -nanos } else { nanos };
        let total = i128::from(seconds) * 1_000_000_000 + i128::from(nanos);
        OffsetDateTime::from_unix_timestamp_nanos(total).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_state_parses_and_unknown_ones_are_kept() {
        let names = [
            "CREATED",
            "PENDING",
            "RUNNING",
            "ABORTING",
            "ABORTED",
            "COMPLETED",
            "FAILED",
            "EXPIRED",
            "PARTIAL",
        ];
        assert_eq!(BackupJobState::DOCUMENTED.len(), names.len());
        for (state, name) in BackupJobState::DOCUMENTED.iter().zip(names) {
            assert_eq!(state.as_str(), name);
            assert_eq!(&BackupJobState::parse(name), state);
        }
        assert_eq!(
            BackupJobState::parse("QUEUED"),
            BackupJobState::Other("QUEUED".into())
        );
    }

    #[test]
    fn timestamps_are_unix_seconds_with_a_fraction() {
        let at = epoch_seconds::parse("1516925490.087").unwrap();
        assert_eq!(at.unix_timestamp(), 1_516_925_490);
        assert_eq!(at.millisecond(), 87);
        assert_eq!(epoch_seconds::to_seconds(at), 1_516_925_490.087);
        assert_eq!(
            epoch_seconds::parse("1.516925490087E9").map(OffsetDateTime::unix_timestamp),
            Some(1_516_925_490)
        );
        assert_eq!(
            epoch_seconds::parse("2018-01-26T00:11:30.087Z").map(OffsetDateTime::unix_timestamp),
            Some(1_516_925_490)
        );
        for bad in ["", "soon", "1e400", "NaN", "12.3.4"] {
            assert_eq!(epoch_seconds::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn error_codes_lose_namespace_and_suffix() {
        assert_eq!(
            clean_error_code("aws.protocoltests.restjson#FooError:http://internal.amazon.com/x"),
            "FooError"
        );
        assert_eq!(
            clean_error_code("ThrottlingException"),
            "ThrottlingException"
        );
    }

    #[test]
    fn percent_done_is_read_from_its_text() {
        let job = |text: &str| BackupJob {
            percent_done: Some(text.to_owned()),
            ..BackupJob::default()
        };
        assert_eq!(job("14.0").percent(), Some(14.0));
        assert_eq!(job("50.00 %").percent(), Some(50.0));
        assert_eq!(job("n/a").percent(), None);
    }
}
