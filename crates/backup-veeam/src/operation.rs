//! Job session -> [`Operation`]; the [`OperationRef`] encoding.
//!
//! # Reference encoding
//!
//! `OperationRef { vendor: "veeam", id: "{api_version}/{session_id}" }`, printed as
//! `veeam:v8.1/9f1c…` or `veeam:v1/15`. The session id alone is enough to poll a
//! session (`GET /api/{v}/jobSessions/{id}`); the API version is kept so that a
//! reference taken from a v1 appliance is read back with v1 paths even by a client
//! configured for another version. An id without a `/` (`veeam:15`) is a bare session
//! id, read with the client's configured version. Otherwise what comes before the first
//! `/` must be a known version (`veeam:v9/14` is refused), and everything after it is
//! the session id (at most [`MAX_SESSION_ID_LEN`] bytes), sent as one percent-encoded
//! path segment.

use backup_core::operation::{OperationItem, Produced};
use backup_core::{Error, Operation, OperationRef, OperationStatus, Result, VendorError, path};

use crate::VENDOR;
use crate::model::{JobSession, ProtectedItem, RestorePoint, SessionLog, SessionStatus};
use crate::version::ApiVersion;

/// Where a session stands, in the shared model.
///
/// - `Success` -> succeeded; `Warning` -> succeeded with warnings; `Error` -> failed;
///   `Canceled` -> cancelled;
/// - `Running`, `RunningWithWarning`, `RunningWithError` and `Canceling` are still
///   running (the warnings or errors so far show in the raw status and the log);
/// - `Pending` and `NeverExecuted` (not run yet) are pending;
/// - `Unknown` and any undocumented word are taken as running: the session is not
///   known to be done, and the wait's deadline bounds it.
#[must_use]
pub fn map_status(status: &SessionStatus) -> OperationStatus {
    match status {
        SessionStatus::Success => OperationStatus::Succeeded,
        SessionStatus::Warning => OperationStatus::SucceededWithWarnings,
        SessionStatus::Error => OperationStatus::Failed,
        SessionStatus::Canceled => OperationStatus::Cancelled,
        SessionStatus::Pending | SessionStatus::NeverExecuted => OperationStatus::Pending,
        SessionStatus::Running
        | SessionStatus::RunningWithWarning
        | SessionStatus::RunningWithError
        | SessionStatus::Canceling
        | SessionStatus::Unknown
        | SessionStatus::Other(_) => OperationStatus::Running,
    }
}

/// The reference of session `session_id` read through `version`.
#[must_use]
pub fn reference(version: ApiVersion, session_id: &str) -> OperationRef {
    OperationRef::new(VENDOR, format!("{version}/{session_id}"))
}

/// The longest session id a reference may carry (appliances use GUIDs or numbers).
pub const MAX_SESSION_ID_LEN: usize = 256;

/// Splits a reference into its API version (if it names one) and session id.
///
/// # Errors
/// [`Error::InvalidInput`] (field `reference`) for another vendor's reference or a
/// malformed id (see [`parse_reference_id`]).
pub fn parse_reference(reference: &OperationRef) -> Result<(Option<ApiVersion>, String)> {
    let id = reference.expect_vendor(VENDOR)?;
    let (version, session_id) = parse_reference_id(id)?;
    Ok((version, session_id.to_owned()))
}

/// Splits the id of a Veeam reference: `{api_version}/{session_id}`, or a bare session
/// id without any `/`.
///
/// # Errors
/// [`Error::InvalidInput`] (field `reference`) when a `/` follows something other than
/// a known API version (`v9/14`), or the session id is empty, `.` or `..`, has control
/// characters or surrounding white space, or is longer than [`MAX_SESSION_ID_LEN`].
pub fn parse_reference_id(id: &str) -> Result<(Option<ApiVersion>, &str)> {
    let (version, session_id) = match id.split_once('/') {
        Some((prefix, rest)) => {
            let version = prefix.parse::<ApiVersion>().map_err(|_| {
                let prefix: String = prefix.chars().take(20).collect();
                Error::invalid_input(
                    VENDOR,
                    "reference",
                    format!(
                        "expected {{api_version}}/{{session_id}} with a version of \
                         v1, v6, v7, v8 or v8.1, not {prefix:?}"
                    ),
                )
            })?;
            (Some(version), rest)
        }
        None => (None, id),
    };
    path::validate_id(VENDOR, "reference", session_id)?;
    if session_id.len() > MAX_SESSION_ID_LEN {
        return Err(Error::invalid_input(
            VENDOR,
            "reference",
            format!("a session id has at most {MAX_SESSION_ID_LEN} bytes"),
        ));
    }
    Ok((version, session_id))
}

/// The operation for `session`, read through `version`, with `message` (the latest
/// log message, or what the client says about the session). Its `duration` is the
/// session's `executionDuration` (milliseconds or `TimeSpan`, see
/// [`JobSession::duration`]); a failed session's error carries `message`.
#[must_use]
pub fn to_operation(
    version: ApiVersion,
    session: &JobSession,
    message: Option<String>,
) -> Operation {
    operation(version, session, message, None)
}

/// The operation for `session` with what its log says: the latest message as
/// [`Operation::message`]; the log's last error (its newest `Error` entry) as the
/// vendor error of a failed session and, when it says something else, as a warning;
/// for a session with warnings and no error entry, the newest `Warning` entry as a
/// warning.
#[must_use]
pub fn to_operation_with_log(
    version: ApiVersion,
    session: &JobSession,
    log: &SessionLog,
) -> Operation {
    let message = log.last_message().map(str::to_owned);
    let status = map_status(&session.status);
    let error_text = (status == OperationStatus::Failed)
        .then(|| log.last_error().or(message.as_deref()))
        .flatten()
        .map(str::to_owned);
    let mut warnings = Vec::new();
    match log.last_error() {
        Some(error) if error_text.as_deref() != Some(error) => warnings.push(error.to_owned()),
        Some(_) => {}
        None => {
            let warned = matches!(
                session.status,
                SessionStatus::Warning | SessionStatus::RunningWithWarning
            );
            if let Some(warning) = log.last_warning().filter(|_| warned) {
                warnings.push(warning.to_owned());
            }
        }
    }
    operation(version, session, message, error_text).with_warnings(warnings)
}

fn operation(
    version: ApiVersion,
    session: &JobSession,
    message: Option<String>,
    error_text: Option<String>,
) -> Operation {
    let status = map_status(&session.status);
    let error = (status == OperationStatus::Failed).then(|| VendorError {
        request_id: None,
        code: Some(session.status.as_str().to_owned()),
        message: error_text.or_else(|| message.clone()).unwrap_or_else(|| {
            format!(
                "job session {} ended with status {}",
                session.id, session.status
            )
        }),
    });
    Operation::new(reference(version, &session.id), status)
        .with_vendor_status(session.status.as_str())
        .with_times(session.started_at(), session.stopped_at())
        .with_duration(session.duration())
        .with_message(message)
        .with_error(error)
}

/// What session `session_id` made, onto `operation` (the follow-up of
/// [`BackupClient::produced`](backup_core::BackupClient::produced)):
///
/// - `produced`: the session itself (`session`), then every restore point of
///   `restore_points` whose `jobSessionId` is the session (`restore_point`, in the
///   listing's order);
/// - `items`: one per protected resource of `items` (`resource.id`, `resource.name`),
///   with the status of the session's run over it (`runs[].status` where
///   `runs[].jobSessionId` is the session; the operation's status when no run names
///   it, as in v1), the run's `rates.transferredDataBytes` as its size, and an error
///   when that run failed;
/// - `size_bytes`: the sum of those restore points' `backupSizeBytes`, else of the
///   items' sizes, else what the operation had.
#[must_use]
pub fn with_produced(
    operation: Operation,
    session_id: &str,
    items: &[ProtectedItem],
    restore_points: &[RestorePoint],
) -> Operation {
    let bytes = |value: Option<i64>| value.and_then(|v| u64::try_from(v).ok());
    let points: Vec<&RestorePoint> = restore_points
        .iter()
        .filter(|point| point.job_session_id.as_deref() == Some(session_id) && point.id.is_some())
        .collect();
    let mut produced = vec![Produced::new("session", session_id)];
    produced.extend(
        points
            .iter()
            .filter_map(|point| point.id.as_deref())
            .map(|id| Produced::new("restore_point", id)),
    );
    let operation_items: Vec<OperationItem> = items
        .iter()
        .filter_map(|item| {
            let resource = item.resource.as_ref()?;
            let id = resource.id.as_deref().or(resource.name.as_deref())?;
            let name = resource
                .name
                .clone()
                .or_else(|| resource.display_name.clone());
            let run = item.run_of(session_id);
            let word = run.and_then(|run| run.status.as_deref());
            let status = word.map_or(operation.status, |word| {
                map_status(&SessionStatus::parse(word))
            });
            let error = (status == OperationStatus::Failed).then(|| VendorError {
                request_id: None,
                code: word.map(str::to_owned),
                message: format!(
                    "the session's run over {} ended with status {}",
                    name.as_deref().unwrap_or(id),
                    word.unwrap_or("Error")
                ),
            });
            let size = run
                .and_then(|run| run.rates.as_ref())
                .and_then(|rates| bytes(rates.transferred_data_bytes));
            Some(
                OperationItem::new(id, status)
                    .with_name(name)
                    .with_size(size)
                    .with_error(error),
            )
        })
        .collect();
    let sum = |sizes: Vec<Option<u64>>| -> Option<u64> {
        let known: Vec<u64> = sizes.into_iter().flatten().collect();
        (!known.is_empty()).then(|| known.iter().fold(0u64, |a, b| a.saturating_add(*b)))
    };
    let size = sum(points.iter().map(|p| bytes(p.backup_size_bytes)).collect())
        .or_else(|| sum(operation_items.iter().map(|i| i.size_bytes).collect()))
        .or(operation.size_bytes);
    operation
        .with_produced(produced)
        .with_items(operation_items)
        .with_size(size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_maps() {
        use OperationStatus as O;
        let rows = [
            ("Success", O::Succeeded),
            ("Warning", O::SucceededWithWarnings),
            ("RunningWithWarning", O::Running),
            ("Error", O::Failed),
            ("RunningWithError", O::Running),
            ("Canceled", O::Cancelled),
            ("Canceling", O::Running),
            ("Pending", O::Pending),
            ("NeverExecuted", O::Pending),
            ("Unknown", O::Running),
            ("Running", O::Running),
            ("SomethingNew", O::Running),
        ];
        for (word, expected) in rows {
            assert_eq!(map_status(&SessionStatus::parse(word)), expected, "{word}");
        }
    }

    #[test]
    fn references_round_trip() {
        let r = reference(ApiVersion::V8_1, "9f1c/x");
        assert_eq!(r.to_string(), "veeam:v8.1/9f1c/x");
        let parsed: OperationRef = r.to_string().parse().unwrap();
        assert_eq!(
            parse_reference(&parsed).unwrap(),
            (Some(ApiVersion::V8_1), "9f1c/x".to_owned())
        );
        assert_eq!(
            parse_reference(&OperationRef::new("veeam", "15")).unwrap(),
            (None, "15".to_owned())
        );
        assert_eq!(
            parse_reference(&OperationRef::new("veeam", "8.1/15")).unwrap(),
            (Some(ApiVersion::V8_1), "15".to_owned())
        );
        for bad in [
            OperationRef::new("azure", "v1/15"),
            OperationRef::new("veeam", "v1/"),
            OperationRef::new("veeam", "v1/.."),
            OperationRef::new("veeam", "v9/15"),
            OperationRef::new("veeam", "/15"),
            OperationRef::new("veeam", "x/../../admin"),
            OperationRef::new("veeam", ""),
            OperationRef::new("veeam", " 15"),
            OperationRef::new("veeam", "1\n5"),
            OperationRef::new(
                "veeam",
                format!("v1/{}", "x".repeat(MAX_SESSION_ID_LEN + 1)),
            ),
        ] {
            assert!(
                matches!(
                    parse_reference(&bad),
                    Err(Error::InvalidInput { ref field, .. }) if field == "reference"
                ),
                "{bad:?}"
            );
        }
        let longest = format!("v1/{}", "x".repeat(MAX_SESSION_ID_LEN));
        assert!(parse_reference(&OperationRef::new("veeam", longest)).is_ok());
        let foreign = parse_reference(&OperationRef::new("azure", "v1/15")).unwrap_err();
        assert!(foreign.to_string().contains("not a veeam one"), "{foreign}");
    }

    #[test]
    fn failed_sessions_carry_the_log_message() {
        let session = JobSession {
            id: "15".into(),
            status: SessionStatus::Error,
            ..JobSession::default()
        };
        let op = to_operation(ApiVersion::V1, &session, Some("disk full".into()));
        assert_eq!(op.status, OperationStatus::Failed);
        assert_eq!(op.error.unwrap().to_string(), "Error: disk full");
        let op = to_operation(ApiVersion::V1, &session, None);
        assert!(
            op.error
                .unwrap()
                .message
                .contains("ended with status Error")
        );
    }

    #[test]
    fn the_log_gives_the_message_the_error_and_the_warnings() {
        let log = |json: &str| -> SessionLog { serde_json::from_str(json).unwrap() };
        let session = |status: SessionStatus| JobSession {
            id: "15".into(),
            status,
            execution_duration: Some(crate::model::ExecutionDuration::Milliseconds(1500)),
            ..JobSession::default()
        };
        let failed = to_operation_with_log(
            ApiVersion::V8_1,
            &session(SessionStatus::Error),
            &log(
                r#"{"log":[{"status":"Error","message":"vm-02: disk not found"},
                {"status":"Warning","message":"Job finished with Error"}]}"#,
            ),
        );
        assert_eq!(failed.message.as_deref(), Some("Job finished with Error"));
        assert_eq!(
            failed.error.as_ref().unwrap().to_string(),
            "Error: vm-02: disk not found"
        );
        assert!(failed.warnings.is_empty(), "{:?}", failed.warnings);
        assert_eq!(
            failed.duration,
            Some(std::time::Duration::from_millis(1500))
        );
        let retried = to_operation_with_log(
            ApiVersion::V8_1,
            &session(SessionStatus::Success),
            &log(r#"{"log":[{"status":"Error","message":"vm-01: retrying"},
                {"status":"Success","message":"Job finished with Success"}]}"#),
        );
        assert_eq!(retried.status, OperationStatus::Succeeded);
        assert_eq!(retried.warnings, ["vm-01: retrying"]);
        let warned = to_operation_with_log(
            ApiVersion::V8_1,
            &session(SessionStatus::Warning),
            &log(
                r#"{"log":[{"status":"Warning","message":"vm-01: slow snapshot"},
                {"status":"Success","message":"done"}]}"#,
            ),
        );
        assert_eq!(warned.warnings, ["vm-01: slow snapshot"]);
        let clean = to_operation_with_log(
            ApiVersion::V8_1,
            &session(SessionStatus::Success),
            &log(r#"{"log":[{"status":"Warning","message":"a warning of a clean run"}]}"#),
        );
        assert!(clean.warnings.is_empty());
    }
}
