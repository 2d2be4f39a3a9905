//! Commvault job states -> [`OperationStatus`], and how a job is referenced.
//!
//! # References
//!
//! An [`OperationRef`] of this crate is `commvault:{jobId}` (`commvault:5976`): the job
//! id is all `GET Job/{jobId}` needs, with a client configured for the same CommServe.
//! A job id is a positive integer: anything else is refused before a request
//! ([`BackupClient::check_reference_id`]).
//!
//! # States
//!
//! | `status` (any case) | [`OperationStatus`] |
//! |---|---|
//! | `Completed` | `Succeeded` |
//! | `Completed w/ one or more errors`, `Completed w/ one or more warnings` | `SucceededWithWarnings` |
//! | `Committed` (stopped, the data written so far kept) | `SucceededWithWarnings` |
//! | `Failed`, `Failed to Start` | `Failed` |
//! | `Killed` | `Cancelled` |
//! | `Waiting`, `Pending`, `Queued` | `Pending` |
//! | `Running`, `Suspended`, `Suspend Pending`, `Kill Pending`, `Interrupt Pending` | `Running` |
//! | anything else | `Running`, the text kept in `vendor_status` |

use std::fmt;

use backup_core::contract::BackupClient;
use backup_core::{Operation, OperationRef, OperationStatus, Result, VendorError, timefmt};

use crate::model::job::JobSummary;
use crate::{Client, VENDOR};

/// A Commvault job status, parsed case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JobStatus {
    /// `Completed`.
    Completed,
    /// `Completed w/ one or more errors`.
    CompletedWithErrors,
    /// `Completed w/ one or more warnings`.
    CompletedWithWarnings,
    /// `Committed`: stopped, the data written so far kept.
    Committed,
    /// `Failed`.
    Failed,
    /// `Failed to Start`.
    FailedToStart,
    /// `Killed`.
    Killed,
    /// `Running`.
    Running,
    /// `Waiting`.
    Waiting,
    /// `Pending`.
    Pending,
    /// `Queued`.
    Queued,
    /// `Suspended`.
    Suspended,
    /// `Suspend Pending`.
    SuspendPending,
    /// `Kill Pending`.
    KillPending,
    /// `Interrupt Pending`.
    InterruptPending,
    /// Any other text, kept as sent.
    Other(String),
}

impl JobStatus {
    /// Parses a status, ignoring case and surrounding white space.
    #[must_use]
    pub fn parse(text: &str) -> Self {
        let normalised = text
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        match normalised.as_str() {
            "completed" => Self::Completed,
            "completed w/ one or more errors" => Self::CompletedWithErrors,
            "completed w/ one or more warnings" => Self::CompletedWithWarnings,
            "committed" => Self::Committed,
            "failed" => Self::Failed,
            "failed to start" => Self::FailedToStart,
            "killed" => Self::Killed,
            "running" => Self::Running,
            "waiting" => Self::Waiting,
            "pending" => Self::Pending,
            "queued" => Self::Queued,
            "suspended" => Self::Suspended,
            "suspend pending" => Self::SuspendPending,
            "kill pending" => Self::KillPending,
            "interrupt pending" => Self::InterruptPending,
            _ => Self::Other(text.trim().to_owned()),
        }
    }

    /// The status in the shared model (see the table in the module docs).
    #[must_use]
    pub fn operation_status(&self) -> OperationStatus {
        match self {
            Self::Completed => OperationStatus::Succeeded,
            Self::CompletedWithErrors | Self::CompletedWithWarnings | Self::Committed => {
                OperationStatus::SucceededWithWarnings
            }
            Self::Failed | Self::FailedToStart => OperationStatus::Failed,
            Self::Killed => OperationStatus::Cancelled,
            Self::Waiting | Self::Pending | Self::Queued => OperationStatus::Pending,
            Self::Running
            | Self::Suspended
            | Self::SuspendPending
            | Self::KillPending
            | Self::InterruptPending
            | Self::Other(_) => OperationStatus::Running,
        }
    }

    /// The status as Commvault words it.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Completed => "Completed",
            Self::CompletedWithErrors => "Completed w/ one or more errors",
            Self::CompletedWithWarnings => "Completed w/ one or more warnings",
            Self::Committed => "Committed",
            Self::Failed => "Failed",
            Self::FailedToStart => "Failed to Start",
            Self::Killed => "Killed",
            Self::Running => "Running",
            Self::Waiting => "Waiting",
            Self::Pending => "Pending",
            Self::Queued => "Queued",
            Self::Suspended => "Suspended",
            Self::SuspendPending => "Suspend Pending",
            Self::KillPending => "Kill Pending",
            Self::InterruptPending => "Interrupt Pending",
            Self::Other(text) => text,
        }
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The reference of job `job_id`: `commvault:{job_id}`.
///
/// # Errors
/// [`backup_core::Error::InvalidInput`] (field `reference`) when `job_id` is not a job
/// id (a positive integer).
pub fn job_reference(job_id: &str) -> Result<OperationRef> {
    Client::check_reference_id(job_id)?;
    Ok(OperationRef::new(VENDOR, job_id))
}

/// A job just started by `CreateTask`: pending, its state not read yet.
#[must_use]
pub fn started_job(job_id: &str, task_id: &str) -> Operation {
    Operation::new(OperationRef::new(VENDOR, job_id), OperationStatus::Pending)
        .with_job_id(Some(job_id.to_owned()))
        .with_message(Some(format!("started by task {task_id}")))
}

/// The operation a job summary describes; `job_id` names it when the summary does not.
#[must_use]
pub fn operation_from_summary(job_id: &str, summary: &JobSummary) -> Operation {
    let raw = summary.status.as_deref().unwrap_or_default();
    let status = JobStatus::parse(raw);
    let operation_status = status.operation_status();
    let id = summary
        .job_id
        .as_deref()
        .filter(|id| !id.trim().is_empty())
        .unwrap_or(job_id);
    let reason = summary
        .pending_reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned);
    let error = (operation_status == OperationStatus::Failed).then(|| VendorError {
        code: None,
        message: reason
            .clone()
            .unwrap_or_else(|| format!("the job ended {}", status.as_str())),
    });
    let mut operation = Operation::new(OperationRef::new(VENDOR, id), operation_status)
        .with_job_id(Some(id.to_owned()))
        .with_progress(summary.percent_complete)
        .with_times(
            summary.job_start_time.and_then(timefmt::from_unix_seconds),
            summary.job_end_time.and_then(timefmt::from_unix_seconds),
        )
        .with_message(reason)
        .with_error(error);
    if !raw.trim().is_empty() {
        operation = operation.with_vendor_status(raw.trim());
    }
    operation
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_status_maps() {
        use OperationStatus::*;
        let rows = [
            ("Completed", Succeeded),
            ("Completed w/ one or more errors", SucceededWithWarnings),
            ("Completed w/ one or more warnings", SucceededWithWarnings),
            ("Committed", SucceededWithWarnings),
            ("Failed", Failed),
            ("Failed to Start", Failed),
            ("Killed", Cancelled),
            ("Running", Running),
            ("Waiting", Pending),
            ("Pending", Pending),
            ("Queued", Pending),
            ("Suspended", Running),
            ("Suspend Pending", Running),
            ("Kill Pending", Running),
            ("Interrupt Pending", Running),
        ];
        for (text, expected) in rows {
            let parsed = JobStatus::parse(text);
            assert!(!matches!(parsed, JobStatus::Other(_)), "{text}");
            assert_eq!(parsed.operation_status(), expected, "{text}");
            assert_eq!(parsed.as_str(), text);
            assert_eq!(JobStatus::parse(&text.to_uppercase()), parsed, "{text}");
            assert_eq!(
                JobStatus::parse(&format!("  {}  ", text.to_lowercase())),
                parsed
            );
        }
        assert!(!Pending.is_terminal() && !Running.is_terminal());
        let other = JobStatus::parse("Running (cannot be verified)");
        assert_eq!(
            other,
            JobStatus::Other("Running (cannot be verified)".into())
        );
        assert_eq!(other.operation_status(), Running);
    }

    #[test]
    fn references() {
        assert_eq!(job_reference("5976").unwrap().to_string(), "commvault:5976");
        assert!(job_reference("").is_err());
        assert!(job_reference("..").is_err());
        assert!(Client::check_reference(&OperationRef::new("veeam", "1")).is_err());
        assert_eq!(
            Client::parse_reference("commvault:42").unwrap(),
            OperationRef::new(VENDOR, "42")
        );
    }

    #[test]
    fn a_job_id_is_a_positive_integer() {
        for id in ["1", "5976", "18446744073709551615", "99999999999999999999"] {
            assert!(Client::check_reference_id(id).is_ok(), "{id}");
        }
        for id in [
            "",
            " ",
            "abc",
            "-1",
            "0",
            "00",
            "007",
            "+5",
            "5 ",
            " 5",
            "1.5",
            "5e3",
            "0x1f",
            "123456789012345678901",
            "５",
            "a\nb",
        ] {
            let err = Client::check_reference_id(id).unwrap_err();
            assert!(
                matches!(&err, backup_core::Error::InvalidInput { field, .. } if field == "reference"),
                "{id:?}: {err:?}"
            );
        }
        let err = Client::check_reference_id("abc").unwrap_err();
        assert!(err.to_string().contains("positive integer"), "{err}");
    }
}
