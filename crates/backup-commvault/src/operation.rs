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
//!
//! # What a job summary gives
//!
//! | field of the [`Operation`] | from `jobSummary` |
//! |---|---|
//! | `started_at` | `jobStartTime` (Unix seconds; 0 = not yet) |
//! | `finished_at` | `jobEndTime`, else for an ended job `lastUpdateTime` (as cvpysdk's `Job.end_time`) |
//! | `duration` | `jobElapsedTime` (seconds) |
//! | `size_bytes` | `sizeOfApplication` (the application data protected), else `sizeOfMediaOnDisk` |
//! | `message` | `pendingReason` without its HTML (`<br>`, tags, entities) |
//! | `error` (failed jobs) | `pendingReason`: the code of `Error Code: [19:1131]` and the text after `Description:` |
//! | `warnings` | for an ended job: its `pendingReason` when it succeeded with warnings, and `totalFailedFiles` / `totalFailedFolders` when not 0 |
//! | `produced` | a job that ended well: the job (`job`, its id) |
//! | `items` | the subclient the job backed up (`subclient`), with the job's status, size and error |

use std::fmt;
use std::time::Duration;

use backup_core::contract::BackupClient;
use backup_core::operation::{OperationItem, Produced};
use backup_core::{Operation, OperationRef, OperationStatus, Result, VendorError, timefmt};

use crate::model::job::JobSummary;
use crate::{Client, VENDOR};

/// The kind of what a Commvault backup produced: its job (`produced[].kind`).
pub const PRODUCED_JOB: &str = "job";

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

/// A `pendingReason` read: Commvault writes `Error Code: [19:1131]<br>Description: ...`
/// (HTML line breaks, sometimes tags and entities) for a job that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PendingReason {
    /// The code of `Error Code: [19:1131]` (`19:1131`), when it names one.
    pub code: Option<String>,
    /// The text after `Description:`, when it has one.
    pub description: Option<String>,
    /// The whole reason as plain text, one line per `<br>` joined by spaces.
    pub text: String,
}

impl PendingReason {
    /// Reads a reason; `None` for a blank one.
    #[must_use]
    pub fn parse(raw: &str) -> Option<Self> {
        let lines = plain_lines(raw);
        if lines.is_empty() {
            return None;
        }
        let text = lines.join(" ");
        let code = lines.iter().find_map(|line| error_code(line));
        let description = lines
            .iter()
            .find_map(|line| strip_prefix_ignore_case(line, "Description:"))
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(str::to_owned);
        Some(Self {
            code,
            description,
            text,
        })
    }

    /// The error of a failed job: the code, and the description (else the whole text).
    #[must_use]
    pub fn to_error(&self) -> VendorError {
        VendorError {
            request_id: None,
            code: self.code.clone(),
            message: self
                .description
                .clone()
                .unwrap_or_else(|| self.text.clone()),
        }
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| text.get(prefix.len()..))
        .flatten()
}

/// The code of `Error Code: [19:1131]` in `line`.
fn error_code(line: &str) -> Option<String> {
    let lower = line.to_ascii_lowercase();
    let at = lower.find("error code:")?;
    let rest = line.get(at + "error code:".len()..)?.trim_start();
    let inner = rest.strip_prefix('[')?;
    let code = inner.get(..inner.find(']')?)?.trim();
    (!code.is_empty()).then(|| code.to_owned())
}

/// `raw` as plain text lines: `<br>` (any form) ends a line, other tags are dropped,
/// entities decoded, white space collapsed, blank lines left out.
fn plain_lines(raw: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut rest = raw;
    while let Some(c) = rest.chars().next() {
        if c == '<' {
            // A tag starts with a letter, `/` or `!`; anything else is text.
            let is_tag = rest[1..]
                .chars()
                .next()
                .is_some_and(|n| n.is_ascii_alphabetic() || n == '/' || n == '!');
            if let (true, Some(end)) = (is_tag, rest.find('>')) {
                let name: String = rest[1..end]
                    .trim_start_matches('/')
                    .chars()
                    .take_while(char::is_ascii_alphanumeric)
                    .collect();
                if matches!(
                    name.to_ascii_lowercase().as_str(),
                    "br" | "p" | "div" | "li"
                ) {
                    lines.push(std::mem::take(&mut line));
                }
                rest = &rest[end + 1..];
                continue;
            }
        }
        if c == '&'
            && let Some((decoded, used)) = entity(rest)
        {
            line.push(decoded);
            rest = &rest[used..];
            continue;
        }
        if c == '\n' || c == '\r' {
            lines.push(std::mem::take(&mut line));
        } else {
            line.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    lines.push(line);
    lines
        .into_iter()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect()
}

/// The character an entity at the start of `text` stands for, and its length.
fn entity(text: &str) -> Option<(char, usize)> {
    let end = text.get(..text.len().min(12))?.find(';')?;
    let name = &text[1..end];
    let c = match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        _ => {
            let number = name.strip_prefix('#')?;
            let value = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(value)?
        }
    };
    Some((c, end + 1))
}

fn non_negative(value: Option<i64>) -> Option<u64> {
    value.and_then(|v| u64::try_from(v).ok())
}

/// "2 files and 1 folder failed" from `totalFailedFiles` / `totalFailedFolders`.
fn failed_counts(summary: &JobSummary) -> Option<String> {
    let plural = |n: u64, one: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {one}s")
        }
    };
    let files = non_negative(summary.total_failed_files).filter(|n| *n > 0);
    let folders = non_negative(summary.total_failed_folders).filter(|n| *n > 0);
    let what = match (files, folders) {
        (Some(files), Some(folders)) => {
            format!(
                "{} and {}",
                plural(files, "file"),
                plural(folders, "folder")
            )
        }
        (Some(files), None) => plural(files, "file"),
        (None, Some(folders)) => plural(folders, "folder"),
        (None, None) => return None,
    };
    Some(format!("{what} failed to back up"))
}

/// The operation a job summary describes; `job_id` names it when the summary does not.
/// See the module docs for where each field comes from.
#[must_use]
pub fn operation_from_summary(job_id: &str, summary: &JobSummary) -> Operation {
    let raw = summary.status.as_deref().unwrap_or_default();
    let status = JobStatus::parse(raw);
    let operation_status = status.operation_status();
    let terminal = operation_status.is_terminal();
    let id = summary
        .job_id
        .as_deref()
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .unwrap_or(job_id);
    let reason = summary
        .pending_reason
        .as_deref()
        .and_then(PendingReason::parse);
    let error = (operation_status == OperationStatus::Failed).then(|| {
        reason.as_ref().map_or_else(
            || VendorError {
                request_id: None,
                code: None,
                message: format!("the job ended {}", status.as_str()),
            },
            PendingReason::to_error,
        )
    });
    let mut warnings = Vec::new();
    if terminal {
        if operation_status == OperationStatus::SucceededWithWarnings
            && let Some(reason) = &reason
        {
            warnings.push(reason.text.clone());
        }
        warnings.extend(failed_counts(summary));
    }
    let finished = summary
        .job_end_time
        .and_then(timefmt::from_unix_seconds)
        .or_else(|| {
            terminal
                .then(|| {
                    summary
                        .last_update_time
                        .and_then(timefmt::from_unix_seconds)
                })
                .flatten()
        });
    let size = non_negative(summary.size_of_application)
        .or_else(|| non_negative(summary.size_of_media_on_disk));
    let duration = non_negative(summary.job_elapsed_time)
        .filter(|s| *s > 0)
        .map(Duration::from_secs);
    let produced = if operation_status.is_success() {
        vec![Produced::new(PRODUCED_JOB, id)]
    } else {
        Vec::new()
    };
    let items = summary
        .subclient
        .as_ref()
        .filter(|s| !s.path().is_empty())
        .map(|subclient| {
            let item_id = subclient
                .subclient_id
                .as_deref()
                .map(str::trim)
                .filter(|i| !i.is_empty() && *i != "0")
                .map_or_else(|| subclient.path(), str::to_owned);
            OperationItem::new(item_id, operation_status)
                .with_name(Some(subclient.path()))
                .with_size(size)
                .with_error(error.clone())
        })
        .into_iter()
        .collect();
    let mut operation = Operation::new(OperationRef::new(VENDOR, id), operation_status)
        .with_job_id(Some(id.to_owned()))
        .with_progress(summary.percent_complete)
        .with_times(
            summary.job_start_time.and_then(timefmt::from_unix_seconds),
            finished,
        )
        .with_message(reason.map(|r| r.text))
        .with_error(error)
        .with_duration(duration)
        .with_size(size)
        .with_produced(produced)
        .with_items(items)
        .with_warnings(warnings);
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
    fn pending_reasons_lose_their_html() {
        let reason = PendingReason::parse(
            "Error Code: [19:1131]<br>Description: Unable to reach &quot;db&amp;1&quot; &lt;port 8400&gt;<br/><span>Source: cs01, Process: JobManager</span>",
        )
        .unwrap();
        assert_eq!(reason.code.as_deref(), Some("19:1131"));
        assert_eq!(
            reason.description.as_deref(),
            Some("Unable to reach \"db&1\" <port 8400>")
        );
        assert_eq!(
            reason.text,
            "Error Code: [19:1131] Description: Unable to reach \"db&1\" <port 8400> Source: cs01, Process: JobManager"
        );
        assert_eq!(
            reason.to_error(),
            VendorError {
                request_id: None,
                code: Some("19:1131".into()),
                message: "Unable to reach \"db&1\" <port 8400>".into()
            }
        );
        // Plain text, a lone `<`, numeric entities, odd case and spacing.
        let plain = PendingReason::parse("  Disk full on the media agent.  ").unwrap();
        assert_eq!((&plain.code, &plain.description), (&None, &None));
        assert_eq!(plain.to_error().message, "Disk full on the media agent.");
        let odd =
            PendingReason::parse("error code:  [ 7:75 ]<BR >description:  a &#60; b &#x26; c")
                .unwrap();
        assert_eq!(odd.code.as_deref(), Some("7:75"));
        assert_eq!(odd.description.as_deref(), Some("a < b & c"));
        assert_eq!(
            PendingReason::parse("x < 3 &unknown; y").unwrap().text,
            "x < 3 &unknown; y"
        );
        for blank in ["", "  ", "<br>", "<br/><p></p>", "&nbsp;"] {
            assert_eq!(PendingReason::parse(blank), None, "{blank:?}");
        }
        // No panic on cut input.
        for cut in ["<", "&", "&#", "&#x;", "Error Code: [", "<br", "é<bé>&é;"] {
            let _ = PendingReason::parse(cut);
        }
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
