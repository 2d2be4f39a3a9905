//! Yandex operations -> backup-core [`Operation`].
//!
//! # Reference encoding
//!
//! `OperationRef { vendor: "yandex", id: <operation id> }`, printed `yandex:<operation
//! id>`: the Operation API (`GET {operation endpoint}/operations/{id}`) needs nothing
//! else, so any client configured with the same endpoints and a credential of the same
//! cloud can follow it.
//!
//! # States
//!
//! A Yandex operation has no status word, only `done` and `error`:
//!
//! | `done` | `error` | status | `vendor_status` |
//! |---|---|---|---|
//! | false | absent | Running | `running` |
//! | false | present | Running (failing: rolling back) | `rolling_back` |
//! | true | absent | Succeeded | `done` |
//! | true | code 1 `CANCELLED` | Cancelled | `cancelled` |
//! | true | any other code | Failed | `failed` |
//!
//! Progress is `metadata.progressPercentage`; start time `createdAt`; end time
//! `modifiedAt` once done; the message is the error's message, else `description`.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use backup_core::{ApiErrorKind, Operation, OperationRef, OperationStatus, VendorError};

use crate::model::{self, GrpcCode};
use crate::{Error, VENDOR};

/// The header by which the Operation API suggests the next poll, in seconds.
pub const POLL_INTERVAL_HEADER: &str = "x-operation-poll-interval";

/// How many NotFound answers are tolerated for a fresh operation (replica lag), as the
/// official SDKs do.
pub const MAX_NOT_FOUND: u32 = 3;

/// The status of an operation from `done` and `error` (see the module table).
#[must_use]
pub fn map_status(done: bool, error: Option<&model::Status>) -> (OperationStatus, &'static str) {
    match (done, error.map(|e| e.code)) {
        (false, None) => (OperationStatus::Running, "running"),
        (false, Some(_)) => (OperationStatus::Running, "rolling_back"),
        (true, None) => (OperationStatus::Succeeded, "done"),
        (true, Some(GrpcCode::Cancelled)) => (OperationStatus::Cancelled, "cancelled"),
        (true, Some(_)) => (OperationStatus::Failed, "failed"),
    }
}

/// The reference of a Yandex operation.
#[must_use]
pub fn reference(operation_id: &str) -> OperationRef {
    OperationRef::new(VENDOR, operation_id)
}

/// Converts a Yandex operation to the shared model.
#[must_use]
pub fn to_operation(op: &model::Operation, poll_after: Option<Duration>) -> Operation {
    let (status, raw) = map_status(op.done, op.error.as_ref());
    let progress = op
        .metadata
        .as_ref()
        .and_then(|m| m.progress_percentage)
        .or_else(|| (status == OperationStatus::Succeeded).then_some(100.0));
    let error = op.error.as_ref().map(|e| VendorError {
        code: Some(e.code.name()),
        message: e.message.clone(),
    });
    let message = op
        .error
        .as_ref()
        .map(|e| e.message.clone())
        .filter(|m| !m.is_empty())
        .or_else(|| op.description.clone().filter(|d| !d.is_empty()));
    let finished_at = if op.done { op.modified_at_time() } else { None };
    Operation::new(reference(&op.id), status)
        .with_vendor_status(raw)
        .with_progress(progress)
        .with_times(op.created_at_time(), finished_at)
        .with_message(message)
        .with_error(error)
        .with_poll_after(poll_after)
}

/// Reads `x-operation-poll-interval`: seconds (possibly fractional), also with an `s` or
/// `ms` unit.
#[must_use]
pub fn poll_interval(headers: &http::HeaderMap) -> Option<Duration> {
    let value = headers.get(POLL_INTERVAL_HEADER)?.to_str().ok()?.trim();
    let seconds = match value.strip_suffix("ms") {
        Some(millis) => millis.trim().parse::<f64>().ok()? / 1000.0,
        None => value
            .strip_suffix('s')
            .unwrap_or(value)
            .trim()
            .parse::<f64>()
            .ok()?,
    };
    if seconds.is_finite() && seconds >= 0.0 {
        Duration::try_from_secs_f64(seconds).ok()
    } else {
        None
    }
}

/// Counts the NotFound answers seen per fresh operation, so that a poll can tolerate
/// [`MAX_NOT_FOUND`] of them (the operation service's replicas may lag behind the
/// service that created it).
#[derive(Debug, Default)]
pub(crate) struct NotFoundTolerance {
    seen: Mutex<HashMap<String, u32>>,
}

/// Forget counts beyond this many operations (a long-lived client following many).
const MAX_TRACKED: usize = 10_000;

impl NotFoundTolerance {
    /// Whether `error` for operation `id` is a NotFound to ignore (counting it).
    pub(crate) fn tolerate(&self, id: &str, error: &Error) -> bool {
        let not_found = error
            .api()
            .is_some_and(|api| api.kind == ApiErrorKind::NotFound);
        if !not_found {
            return false;
        }
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        if seen.len() >= MAX_TRACKED && !seen.contains_key(id) {
            seen.clear();
        }
        let count = seen.entry(id.to_owned()).or_insert(0);
        if *count < MAX_NOT_FOUND {
            *count += 1;
            tracing::debug!(
                operation = id,
                count = *count,
                "operation not found yet; tolerated"
            );
            true
        } else {
            false
        }
    }

    /// Forgets operation `id` (it was found done).
    pub(crate) fn forget(&self, id: &str) {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: GrpcCode) -> model::Status {
        model::Status {
            code,
            message: "m".into(),
            details: Vec::new(),
        }
    }

    #[test]
    fn every_row_of_the_state_table() {
        assert_eq!(
            map_status(false, None),
            (OperationStatus::Running, "running")
        );
        assert_eq!(
            map_status(false, Some(&status(GrpcCode::Internal))),
            (OperationStatus::Running, "rolling_back")
        );
        assert_eq!(map_status(true, None), (OperationStatus::Succeeded, "done"));
        assert_eq!(
            map_status(true, Some(&status(GrpcCode::Cancelled))),
            (OperationStatus::Cancelled, "cancelled")
        );
        for n in [2, 3, 4, 5, 9, 13, 14, 16, 99] {
            assert_eq!(
                map_status(true, Some(&status(GrpcCode::from_i64(n)))).0,
                OperationStatus::Failed,
                "{n}"
            );
        }
    }

    #[test]
    fn poll_interval_header_forms() {
        let mut headers = http::HeaderMap::new();
        assert_eq!(poll_interval(&headers), None);
        for (value, expected) in [
            ("1", Some(Duration::from_secs(1))),
            ("0.25", Some(Duration::from_millis(250))),
            ("2s", Some(Duration::from_secs(2))),
            ("250ms", Some(Duration::from_millis(250))),
            ("-1", None),
            ("soon", None),
            ("NaN", None),
        ] {
            headers.insert(POLL_INTERVAL_HEADER, http::HeaderValue::from_static(value));
            assert_eq!(poll_interval(&headers), expected, "{value}");
        }
    }

    #[test]
    fn not_found_tolerated_three_times_per_operation() {
        let tolerance = NotFoundTolerance::default();
        let not_found: Error = backup_core::ApiError::new(VENDOR, 404, "no").into();
        let other: Error = backup_core::ApiError::new(VENDOR, 500, "no").into();
        assert!(!tolerance.tolerate("a", &other));
        for _ in 0..MAX_NOT_FOUND {
            assert!(tolerance.tolerate("a", &not_found));
        }
        assert!(!tolerance.tolerate("a", &not_found));
        assert!(tolerance.tolerate("b", &not_found));
        tolerance.forget("a");
        assert!(tolerance.tolerate("a", &not_found));
    }
}
