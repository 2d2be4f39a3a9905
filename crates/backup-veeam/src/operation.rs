//! Job session -> [`Operation`]; the [`OperationRef`] encoding.
//!
//! # Reference encoding
//!
//! `OperationRef { vendor: "veeam", id: "{api_version}/{session_id}" }`, printed as
//! `veeam:v8.1/9f1c…` or `veeam:v1/15`. The session id alone is enough to poll a
//! session (`GET /api/{v}/jobSessions/{id}`); the API version is kept so that a
//! reference taken from a v1 appliance is read back with v1 paths even by a client
//! configured for another version. An id without a known version prefix (`veeam:15`)
//! is read with the client's configured version. Everything after the first `/` is the
//! session id, sent as one percent-encoded path segment.

use backup_core::{Error, Operation, OperationRef, OperationStatus, Result, VendorError, path};

use crate::VENDOR;
use crate::model::{JobSession, SessionStatus};
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

/// Splits a reference into its API version (if it names one) and session id.
///
/// # Errors
/// [`Error::InvalidInput`] for another vendor's reference or an invalid session id.
pub fn parse_reference(reference: &OperationRef) -> Result<(Option<ApiVersion>, String)> {
    if reference.vendor != VENDOR {
        return Err(Error::invalid_input(
            VENDOR,
            "reference",
            format!("belongs to vendor {:?}, not {VENDOR}", reference.vendor),
        ));
    }
    let (version, session_id) = match reference.id.split_once('/') {
        Some((prefix, rest)) => match prefix.parse::<ApiVersion>() {
            Ok(version) => (Some(version), rest),
            Err(_) => (None, reference.id.as_str()),
        },
        None => (None, reference.id.as_str()),
    };
    path::validate_id(VENDOR, "session_id", session_id)?;
    Ok((version, session_id.to_owned()))
}

/// The operation for `session`, read through `version`, with the latest log message.
#[must_use]
pub fn to_operation(
    version: ApiVersion,
    session: &JobSession,
    message: Option<String>,
) -> Operation {
    let status = map_status(&session.status);
    let error = (status == OperationStatus::Failed).then(|| VendorError {
        code: Some(session.status.as_str().to_owned()),
        message: message.clone().unwrap_or_else(|| {
            format!(
                "job session {} ended with status {}",
                session.id, session.status
            )
        }),
    });
    Operation::new(reference(version, &session.id), status)
        .with_vendor_status(session.status.as_str())
        .with_times(session.started_at(), session.stopped_at())
        .with_message(message)
        .with_error(error)
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
            parse_reference(&OperationRef::new("veeam", "v9/15")).unwrap(),
            (None, "v9/15".to_owned())
        );
        for bad in [
            OperationRef::new("azure", "v1/15"),
            OperationRef::new("veeam", "v1/"),
            OperationRef::new("veeam", "v1/.."),
        ] {
            assert!(matches!(
                parse_reference(&bad),
                Err(Error::InvalidInput { .. })
            ));
        }
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
}
