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
//! `modifiedAt` once done; the message is the error's message, else `description`; the
//! error's details other than `RequestInfo` become warnings. The Operation API has no
//! duration field: [`Operation::duration`] is `modifiedAt` minus `createdAt`.
//!
//! # What the backup produced
//!
//! The operation does not name the backup it made. [`find_backup`] picks it from
//! `Backup.List` filtered by the instance and the policy (`instancePolicy`): the backup
//! created while the operation ran, from `createdAt` to `modifiedAt` (of several, the
//! first created); failing that, the one created nearest to the run within
//! [`BACKUP_TIME_SKEW`] of it (the API's clock and the VM agent's need not agree). [`with_backup`] reports it as `produced` (`backup`, its id) and its
//! `size` as the size.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use backup_core::{
    ApiErrorKind, Operation, OperationRef, OperationStatus, VendorError, operation::Produced,
};
use time::OffsetDateTime;

use crate::model::{self, Backup, GrpcCode};
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
    let error = op.error.as_ref().map(vendor_error);
    let warnings = op
        .error
        .as_ref()
        .map(model::Status::detail_notes)
        .unwrap_or_default();
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
        .with_warnings(warnings)
        .with_poll_after(poll_after)
}

/// The backup-core error of an operation's `google.rpc.Status`: the code by name, the
/// message, and the request id of its `RequestInfo` detail
/// ([`model::Status::request_id`]).
#[must_use]
pub fn vendor_error(status: &model::Status) -> VendorError {
    VendorError {
        code: Some(status.code.name()),
        message: status.message.clone(),
        request_id: status.request_id().map(str::to_owned),
    }
}

/// The `kind` of [`Produced`] for a Cloud Backup backup.
pub const PRODUCED_BACKUP: &str = "backup";

/// How far a backup's `createdAt` may lie before the operation's `createdAt` or after its
/// `modifiedAt` and still be the operation's (clock skew between the API and the VM's
/// backup agent).
pub const BACKUP_TIME_SKEW: Duration = Duration::from_secs(60);

/// What [`find_backup`] found.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundBackup<'a> {
    /// The backup the operation made, if one can be told.
    pub backup: Option<&'a Backup>,
    /// What the caller should know: other candidates, or why none matched.
    pub warnings: Vec<String>,
}

/// Picks the backup that the `Policy.Execute` operation `op` made from `backups` (the
/// answer of `Backup.List` by instance and policy): not deleted, of the operation's
/// instance and policy, created within the operation's run (`createdAt` to
/// `modifiedAt`), the first created of several (the others named in a warning); else
/// the one created nearest to the run within [`BACKUP_TIME_SKEW`] of it.
#[must_use]
pub fn find_backup<'a>(op: &model::Operation, backups: &'a [Backup]) -> FoundBackup<'a> {
    let metadata = op.metadata.clone().unwrap_or_default();
    let skew = time::Duration::try_from(BACKUP_TIME_SKEW).unwrap_or(time::Duration::MINUTE);
    let Some(started) = op.created_at_time() else {
        return FoundBackup {
            backup: None,
            warnings: vec![format!(
                "operation {} has no createdAt: its backup cannot be told from the others",
                op.id
            )],
        };
    };
    let from = started - skew;
    // The run's end (`modifiedAt` once done), and the latest a backup of it may be made.
    let end = op.modified_at_time().filter(|_| op.done);
    let until = end.map(|end| end + skew);
    let same = |mine: Option<&str>, theirs: Option<&str>| match (mine, theirs) {
        (Some(mine), Some(theirs)) => mine == theirs,
        _ => true,
    };
    // How far outside the run (from `createdAt` to `modifiedAt`) a backup was created.
    let outside = |at: OffsetDateTime| -> time::Duration {
        if at < started {
            started - at
        } else {
            end.filter(|end| at > *end)
                .map_or(time::Duration::ZERO, |end| at - end)
        }
    };
    let mut candidates: Vec<(&Backup, OffsetDateTime)> = backups
        .iter()
        .filter(|b| !b.id.is_empty())
        .filter(|b| {
            same(
                metadata.compute_instance_id.as_deref(),
                b.compute_instance_id.as_deref(),
            ) && same(metadata.policy_id.as_deref(), b.policy_id.as_deref())
        })
        .filter_map(|b| b.created_at_time().map(|at| (b, at)))
        .filter(|(_, at)| *at >= from && until.is_none_or(|until| *at <= until))
        .collect();
    // Those made within the run first, the earliest first; then the nearest to it.
    candidates.sort_by_key(|(b, at)| (outside(*at), *at, b.id.clone()));
    let deleted: Vec<&str> = candidates
        .iter()
        .filter(|(b, at)| b.deleted && outside(*at).is_zero())
        .map(|(b, _)| b.id.as_str())
        .collect();
    candidates.retain(|(b, _)| !b.deleted);
    let mut warnings = Vec::new();
    if !deleted.is_empty() {
        warnings.push(format!(
            "backup {} made while operation {} ran is already deleted",
            deleted.join(", "),
            op.id
        ));
    }
    let Some(((first, first_at), others)) = candidates.split_first() else {
        if deleted.is_empty() {
            warnings.push(format!(
                "Cloud Backup lists no backup of instance {} by policy {} created while \
                 operation {} ran (from {}{})",
                metadata.compute_instance_id.as_deref().unwrap_or("?"),
                metadata.policy_id.as_deref().unwrap_or("?"),
                op.id,
                op.created_at.as_deref().unwrap_or("?"),
                op.modified_at
                    .as_deref()
                    .filter(|_| op.done)
                    .map(|end| format!(" to {end}"))
                    .unwrap_or_default(),
            ));
        }
        return FoundBackup {
            backup: None,
            warnings,
        };
    };
    // Within the run, the other backups made within it; outside, every other near one.
    let inside = outside(*first_at).is_zero();
    let ids: Vec<&str> = others
        .iter()
        .filter(|(_, at)| !inside || outside(*at).is_zero())
        .map(|(b, _)| b.id.as_str())
        .collect();
    if !ids.is_empty() {
        warnings.push(format!(
            "{} backups were created while operation {} ran; {}, the {}, is reported \
             (the others: {})",
            ids.len() + 1,
            op.id,
            first.id,
            if inside { "first" } else { "nearest" },
            ids.join(", ")
        ));
    }
    FoundBackup {
        backup: Some(first),
        warnings,
    }
}

/// `operation` with what [`find_backup`] found: the backup as [`Produced`]
/// ([`PRODUCED_BACKUP`], its id), its `size` as the size, and the warnings.
#[must_use]
pub fn with_backup(operation: Operation, found: &FoundBackup<'_>) -> Operation {
    let mut warnings = operation.warnings.clone();
    warnings.extend(found.warnings.iter().cloned());
    let Some(backup) = found.backup else {
        return operation.with_warnings(warnings);
    };
    let mut produced = operation.produced.clone();
    let made = Produced::new(PRODUCED_BACKUP, backup.id.clone());
    if !produced.contains(&made) {
        produced.push(made);
    }
    let size = backup.size_bytes().or(operation.size_bytes);
    operation
        .with_produced(produced)
        .with_size(size)
        .with_warnings(warnings)
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

    fn op_ran(from: &str, to: &str) -> model::Operation {
        serde_json::from_value(serde_json::json!({
            "id": "op", "createdAt": from, "modifiedAt": to, "done": true,
            "metadata": {"policyId": "p", "computeInstanceId": "i"}
        }))
        .unwrap()
    }

    fn backup_at(id: &str, at: &str) -> Backup {
        serde_json::from_value(serde_json::json!({
            "id": id, "createdAt": at, "policyId": "p", "computeInstanceId": "i", "size": "7"
        }))
        .unwrap()
    }

    #[test]
    fn a_backup_stamped_just_outside_the_run_is_the_nearest_within_the_skew() {
        let op = op_ran("2026-01-01T10:00:00Z", "2026-01-01T10:10:00Z");
        let backups = [
            backup_at("too-early", "2026-01-01T09:58:59Z"),
            backup_at("early", "2026-01-01T09:59:30Z"),
            backup_at("earlier", "2026-01-01T09:59:10Z"),
            backup_at("too-late", "2026-01-01T10:11:01Z"),
        ];
        let found = find_backup(&op, &backups);
        assert_eq!(found.backup.map(|b| b.id.as_str()), Some("early"));
        assert_eq!(
            found.warnings,
            [
                "2 backups were created while operation op ran; early, the nearest, is reported \
              (the others: earlier)"
            ]
        );
        // One made within the run wins over any near one, without a warning.
        let mut with_inside = backups.to_vec();
        with_inside.push(backup_at("inside", "2026-01-01T10:09:59Z"));
        let found = find_backup(&op, &with_inside);
        assert_eq!(found.backup.map(|b| b.id.as_str()), Some("inside"));
        assert!(found.warnings.is_empty(), "{:?}", found.warnings);
        // An operation still running has no end: anything after its start is a candidate.
        let mut running = op.clone();
        running.done = false;
        let late = [backup_at("late", "2026-01-02T00:00:00Z")];
        let found = find_backup(&running, &late);
        assert_eq!(found.backup.map(|b| b.id.as_str()), Some("late"));
    }

    #[test]
    fn without_a_start_no_backup_can_be_told() {
        let mut op = op_ran("2026-01-01T10:00:00Z", "2026-01-01T10:10:00Z");
        op.created_at = Some("yesterday".to_owned());
        let backups = [backup_at("b", "2026-01-01T10:05:00Z")];
        let found = find_backup(&op, &backups);
        assert_eq!(found.backup, None);
        assert_eq!(
            found.warnings,
            ["operation op has no createdAt: its backup cannot be told from the others"]
        );
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
