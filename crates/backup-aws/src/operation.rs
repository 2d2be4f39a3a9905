//! AWS Backup jobs -> backup-core [`Operation`].
//!
//! # Reference encoding
//!
//! `OperationRef { vendor: "aws", id: "{region}/{BackupJobId}" }`, printed
//! `aws:us-east-1/7BA8D5F3-...`: backup jobs live in a Region, so the reference names
//! it, and a client configured with nothing but credentials (and, for a custom
//! endpoint, that endpoint) reads the job with `DescribeBackupJob` in that Region.
//!
//! # States
//!
//! | `State` | status | why |
//! |---|---|---|
//! | `CREATED` | Pending | accepted; stays so until the job begins or its start window passes |
//! | `PENDING` | Pending | waiting to run |
//! | `RUNNING` | Running | |
//! | `ABORTING` | Running | a stop is under way; the job has not ended |
//! | `ABORTED` | Cancelled | stopped (`StopBackupJob`, or its complete window passed) |
//! | `COMPLETED` | Succeeded | the recovery point exists |
//! | `FAILED` | Failed | |
//! | `EXPIRED` | Failed | the start window passed before the job began: no backup was made |
//! | `PARTIAL` | SucceededWithWarnings | a parent job some of whose child jobs did not complete |
//! | anything else | Running, or Failed once a `CompletionDate` says it ended | kept raw in `vendor_status` |
//!
//! Progress is `PercentDone` (100 once completed); start and end are `CreationDate` and
//! `CompletionDate`; the size is `BackupSizeInBytes`; what was made is the
//! `RecoveryPointArn` ([`Produced`] of kind `recovery_point`); the message is
//! `StatusMessage`, else the expected completion (`ExpectedCompletionDate`) while the
//! job runs. A failed, expired or aborted job carries its `StatusMessage` as the
//! vendor error, coded by its `MessageCategory` (else its state). A parent job's child
//! jobs become [`OperationItem`]s (read by `ListBackupJobs` after the end: see
//! [`BackupClient::produced`](backup_core::BackupClient::produced)); its counts per
//! state are summed up in the warnings.

use backup_core::operation::{OperationItem, Produced};
use backup_core::{Error, Operation, OperationRef, OperationStatus, Result, VendorError};

use crate::endpoint::validate_region;
use crate::model::{BackupJob, BackupJobState, StartBackupJobOutput};
use crate::{MAX_JOB_ID_LEN, VENDOR};

/// The kind of [`Produced`] a recovery point is.
pub const RECOVERY_POINT: &str = "recovery_point";

/// The reference of job `job_id` in `region`.
#[must_use]
pub fn reference(region: &str, job_id: &str) -> OperationRef {
    OperationRef::new(VENDOR, format!("{region}/{job_id}"))
}

/// The Region and job id of a reference id.
///
/// # Errors
/// [`Error::InvalidInput`] (field `reference`) saying the form expected.
pub fn parse_reference_id(id: &str) -> Result<(&str, &str)> {
    let bad = |why: &str| {
        Error::invalid_input(
            VENDOR,
            "reference",
            format!("expected <region>/<backup job id>: {why}"),
        )
    };
    let (region, job) = id.split_once('/').ok_or_else(|| bad("no `/`"))?;
    validate_region("reference", region).map_err(|_| bad("the Region is malformed"))?;
    backup_core::path::validate_id(VENDOR, "reference", job)?;
    if job.len() > MAX_JOB_ID_LEN {
        return Err(bad(&format!("a job id has at most {MAX_JOB_ID_LEN} bytes")));
    }
    if job.contains('/') {
        return Err(bad("the job id holds a `/`"));
    }
    Ok((region, job))
}

/// The status of `state`; `ended` says whether a `CompletionDate` was given (for
/// states the documents do not list).
#[must_use]
pub fn map_state(state: Option<&BackupJobState>, ended: bool) -> OperationStatus {
    match state {
        Some(BackupJobState::Created | BackupJobState::Pending) => OperationStatus::Pending,
        Some(BackupJobState::Aborted) => OperationStatus::Cancelled,
        Some(BackupJobState::Completed) => OperationStatus::Succeeded,
        Some(BackupJobState::Failed | BackupJobState::Expired) => OperationStatus::Failed,
        Some(BackupJobState::Partial) => OperationStatus::SucceededWithWarnings,
        Some(BackupJobState::Other(_)) | None if ended => OperationStatus::Failed,
        Some(BackupJobState::Running | BackupJobState::Aborting | BackupJobState::Other(_))
        | None => OperationStatus::Running,
    }
}

/// The operation a `StartBackupJob` answer describes (the job is `CREATED`).
#[must_use]
pub fn started(region: &str, job_id: &str, output: &StartBackupJobOutput) -> Operation {
    let produced = output
        .recovery_point_arn
        .iter()
        .map(|arn| Produced::new(RECOVERY_POINT, arn.clone()))
        .collect();
    Operation::new(reference(region, job_id), OperationStatus::Pending)
        .with_vendor_status(BackupJobState::Created.as_str())
        .with_progress(Some(0.0))
        .with_times(output.creation_date, None)
        .with_produced(produced)
}

/// The operation `job` (a `DescribeBackupJob` answer) describes; `job_id` is the id
/// asked for, which the reference keeps.
#[must_use]
pub fn to_operation(region: &str, job_id: &str, job: &BackupJob) -> Operation {
    let status = map_state(job.state.as_ref(), job.completion_date.is_some());
    let progress = if status == OperationStatus::Succeeded {
        Some(100.0)
    } else {
        job.percent()
    };
    let message = job
        .status_message
        .clone()
        .filter(|m| !m.trim().is_empty())
        .or_else(|| {
            let expected = job.expected_completion_date?;
            (!status.is_terminal()).then(|| {
                format!(
                    "expected to complete at {}",
                    backup_core::timefmt::format_rfc3339(expected)
                )
            })
        });
    let error = matches!(status, OperationStatus::Failed | OperationStatus::Cancelled).then(|| {
        VendorError {
            request_id: None,
            code: job
                .message_category
                .clone()
                .filter(|c| !c.trim().is_empty())
                .or_else(|| job.state.as_ref().map(ToString::to_string)),
            message: job.status_message.clone().unwrap_or_else(|| {
                format!(
                    "the backup job ended {}",
                    job.state.as_ref().map_or("", BackupJobState::as_str)
                )
            }),
        }
    });
    let produced = job
        .recovery_point_arn
        .iter()
        .filter(|arn| !arn.is_empty())
        .map(|arn| Produced::new(RECOVERY_POINT, arn.clone()))
        .collect();
    let mut operation = Operation::new(reference(region, job_id), status)
        .with_progress(progress)
        .with_times(job.creation_date, job.completion_date)
        .with_message(message)
        .with_error(error)
        .with_size(job.backup_size_in_bytes.and_then(|n| u64::try_from(n).ok()))
        .with_produced(produced)
        .with_warnings(child_warnings(job));
    if let Some(state) = &job.state {
        operation = operation.with_vendor_status(state.as_str());
    }
    operation
}

/// The counts of a parent job's child jobs that did not complete, as warnings
/// (`1 of 3 child jobs FAILED`).
fn child_warnings(job: &BackupJob) -> Vec<String> {
    let Some(counts) = &job.child_jobs_in_state else {
        return Vec::new();
    };
    let total = job
        .number_of_child_jobs
        .unwrap_or_else(|| counts.values().sum());
    counts
        .iter()
        .filter(|(state, count)| {
            **count > 0
                && matches!(
                    BackupJobState::parse(state),
                    BackupJobState::Failed | BackupJobState::Expired | BackupJobState::Aborted
                )
        })
        .map(|(state, count)| format!("{count} of {total} child jobs {state}"))
        .collect()
}

/// A child job of a parent job, as an [`OperationItem`].
#[must_use]
pub fn child_item(job: &BackupJob) -> OperationItem {
    let status = map_state(job.state.as_ref(), job.completion_date.is_some());
    let error = matches!(status, OperationStatus::Failed | OperationStatus::Cancelled).then(|| {
        VendorError {
            request_id: None,
            code: job.state.as_ref().map(ToString::to_string),
            message: job.status_message.clone().unwrap_or_default(),
        }
    });
    OperationItem::new(job.backup_job_id.clone().unwrap_or_default(), status)
        .with_name(
            job.resource_name
                .clone()
                .or_else(|| job.resource_arn.clone()),
        )
        .with_size(job.backup_size_in_bytes.and_then(|n| u64::try_from(n).ok()))
        .with_error(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_of_the_state_table() {
        use OperationStatus as S;
        let rows = [
            ("CREATED", S::Pending),
            ("PENDING", S::Pending),
            ("RUNNING", S::Running),
            ("ABORTING", S::Running),
            ("ABORTED", S::Cancelled),
            ("COMPLETED", S::Succeeded),
            ("FAILED", S::Failed),
            ("EXPIRED", S::Failed),
            ("PARTIAL", S::SucceededWithWarnings),
        ];
        assert_eq!(rows.len(), BackupJobState::DOCUMENTED.len());
        for (name, status) in rows {
            assert_eq!(
                map_state(Some(&BackupJobState::parse(name)), false),
                status,
                "{name}"
            );
        }
        let odd = BackupJobState::parse("ARCHIVING");
        assert_eq!(map_state(Some(&odd), false), S::Running);
        assert_eq!(map_state(Some(&odd), true), S::Failed);
        assert_eq!(map_state(None, false), S::Running);
    }

    #[test]
    fn references_name_the_region_and_the_job() {
        let r = reference("eu-west-1", "7BA8D5F3-AAAA");
        assert_eq!(r.to_string(), "aws:eu-west-1/7BA8D5F3-AAAA");
        assert_eq!(
            parse_reference_id(&r.id).unwrap(),
            ("eu-west-1", "7BA8D5F3-AAAA")
        );
        for bad in [
            "job-only",
            "/job",
            "us-east-1/",
            "US/job",
            "us-east-1/a/b",
            "us-east-1/..",
        ] {
            assert!(parse_reference_id(bad).is_err(), "{bad}");
        }
    }
}
