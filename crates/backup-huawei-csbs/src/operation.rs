//! CSBS states -> [`OperationStatus`], and the [`OperationRef`] encoding.
//!
//! # Reference
//!
//! `OperationRef { vendor: "huawei-csbs", id: "{project_id}/{checkpoint_id}" }`, printed
//! `huawei-csbs:{project_id}/{checkpoint_id}`: the project (part of every CSBS path)
//! and the checkpoint (backup record) id are all that is needed to read the backup
//! again. Neither id can hold a `/` (Huawei ids are hex and UUIDs); [`decode_reference`]
//! splits at the first `/` and validates both parts.
//!
//! # States
//!
//! A checkpoint covers one backup ("checkpoint item") per resource. The operation is:
//!
//! - `Pending` when no item is listed yet (right after creation) or every item is
//!   `waiting_protect`;
//! - `Running` while any item is not terminal (`protecting`, `waiting_protect` with
//!   others further on, or an unknown status);
//! - once every item is terminal: `Failed` if any is `error` (the first failed item's
//!   `fail_code` and `fail_reason` become the error; every failed resource is named in
//!   the message), else `Cancelled` if any backup is being or was deleted
//!   (`waiting_delete`, `deleting`, `deleted`: no usable backup remains), else
//!   `Succeeded` (`available`, or `waiting_restore` / `restoring`: the backup exists
//!   and is being restored from).
//!
//! Progress is the mean of the items' `extend_info.progress` (an `available` item
//! without one counts 100); the start is the earliest item `created_at` (the
//! checkpoint's `created_at` from the create answer until items are listed: see
//! [`refreshed`]), the end the latest `extend_info.finished_at` (or `updated_at`) once
//! all are terminal. CSBS has no duration field: [`Operation::duration`] is the end
//! minus the start.
//!
//! # What the backup produced
//!
//! - `items`: one [`OperationItem`] per checkpoint item: the resource (`resource_id`,
//!   `extend_info.resource_name`), the item's own status, its size and, for an `error`
//!   item, its `fail_code` / `fail_reason`;
//! - `size_bytes`: the sum of the sizes of the items that ended well; an item's size is
//!   `extend_info.size`, else the sum of its `extend_info.volume_backups[].size` (both
//!   documented in MB, counted here as [`BYTES_PER_MB`] bytes);
//! - `produced`: once an item ended well, the checkpoint ([`PRODUCED_CHECKPOINT`], the
//!   backup record) and the backup of each such item ([`PRODUCED_BACKUP`], the
//!   checkpoint item id: what a restore names).

use backup_core::operation::{OperationItem, Produced};
use backup_core::{Error, Operation, OperationRef, OperationStatus, Result, VendorError};

use crate::VENDOR;
use crate::model::{CheckpointItem, CheckpointResp, CheckpointStatus, ItemStatus};

/// [`Produced::kind`] of the checkpoint (backup record) a backup made.
pub const PRODUCED_CHECKPOINT: &str = "checkpoint";

/// [`Produced::kind`] of one server's backup (checkpoint item) within it.
pub const PRODUCED_BACKUP: &str = "backup";

/// Bytes in one of the MB in which CSBS gives sizes (`extend_info.size`,
/// `volume_backups[].size`): 2^20, as Huawei's storage figures count (a GB of disk is
/// 1024 MB).
pub const BYTES_PER_MB: u64 = 1024 * 1024;

/// The reference of checkpoint `checkpoint_id` in project `project_id`.
#[must_use]
pub fn reference(project_id: &str, checkpoint_id: &str) -> OperationRef {
    OperationRef::new(VENDOR, format!("{project_id}/{checkpoint_id}"))
}

/// The longest reference id accepted (`{project_id}/{checkpoint_id}`: Huawei's are a
/// 32-character project id and a 36-character UUID).
pub const MAX_REFERENCE_ID_LEN: usize = 256;

/// The project id and checkpoint id of a reference.
///
/// # Errors
/// [`Error::InvalidInput`] (field `reference`) for another vendor's reference or a
/// malformed id (see [`split_reference_id`]).
pub fn decode_reference(reference: &OperationRef) -> Result<(&str, &str)> {
    split_reference_id(reference.expect_vendor(VENDOR)?)
}

/// The project id and checkpoint id of a reference id `{project_id}/{checkpoint_id}`.
///
/// # Errors
/// [`Error::InvalidInput`] (field `reference`, or `reference.project_id` /
/// `reference.checkpoint_id` for a malformed part) for an id longer than
/// [`MAX_REFERENCE_ID_LEN`], without a `/`, or with a part that is not one id.
pub fn split_reference_id(id: &str) -> Result<(&str, &str)> {
    if id.len() > MAX_REFERENCE_ID_LEN {
        return Err(Error::invalid_input(
            VENDOR,
            "reference",
            format!("a reference id has at most {MAX_REFERENCE_ID_LEN} bytes"),
        ));
    }
    let Some((project_id, checkpoint_id)) = id.split_once('/') else {
        return Err(Error::invalid_input(
            VENDOR,
            "reference",
            "expected {project_id}/{checkpoint_id}",
        ));
    };
    backup_core::path::validate_id(VENDOR, "reference.project_id", project_id)?;
    backup_core::path::validate_id(VENDOR, "reference.checkpoint_id", checkpoint_id)?;
    if checkpoint_id.contains('/') {
        return Err(Error::invalid_input(
            VENDOR,
            "reference.checkpoint_id",
            "must not contain `/`",
        ));
    }
    Ok((project_id, checkpoint_id))
}

/// What one item's status means for the operation.
#[must_use]
pub fn item_status(status: &ItemStatus) -> OperationStatus {
    match status {
        ItemStatus::WaitingProtect => OperationStatus::Pending,
        ItemStatus::Protecting | ItemStatus::Other(_) => OperationStatus::Running,
        ItemStatus::Available | ItemStatus::WaitingRestore | ItemStatus::Restoring => {
            OperationStatus::Succeeded
        }
        ItemStatus::Error => OperationStatus::Failed,
        ItemStatus::WaitingDelete | ItemStatus::Deleting | ItemStatus::Deleted => {
            OperationStatus::Cancelled
        }
    }
}

/// What the checkpoint's own status (in the create answer) means.
#[must_use]
pub fn checkpoint_status(status: &CheckpointStatus) -> OperationStatus {
    match status {
        CheckpointStatus::Protecting | CheckpointStatus::Other(_) => OperationStatus::Running,
        CheckpointStatus::Available => OperationStatus::Succeeded,
        CheckpointStatus::Error => OperationStatus::Failed,
        CheckpointStatus::Deleting => OperationStatus::Cancelled,
    }
}

/// The operation of a freshly created checkpoint.
#[must_use]
pub fn from_checkpoint(reference: OperationRef, checkpoint: &CheckpointResp) -> Operation {
    let (status, raw) = match &checkpoint.status {
        Some(status) => (checkpoint_status(status), Some(status.as_str().to_owned())),
        None => (OperationStatus::Running, None),
    };
    let mut operation = Operation::new(reference, status)
        .with_times(checkpoint.created_time(), None)
        .with_message(
            checkpoint
                .protection_plan
                .as_ref()
                .and_then(|plan| plan.name.as_ref())
                .map(|name| format!("backup policy {name}")),
        );
    operation.vendor_status = raw;
    operation
}

/// The operation of a checkpoint from its items (see the module docs).
#[must_use]
pub fn from_items(reference: OperationRef, items: &[CheckpointItem]) -> Operation {
    if items.is_empty() {
        return Operation::new(reference, OperationStatus::Pending)
            .with_message(Some("no backup listed for the checkpoint yet".to_owned()));
    }
    let statuses: Vec<OperationStatus> = items
        .iter()
        .map(|item| {
            item.status
                .as_ref()
                .map_or(OperationStatus::Running, item_status)
        })
        .collect();
    let all_terminal = statuses.iter().all(|s| s.is_terminal());
    let status = if !all_terminal {
        if statuses.iter().all(|s| *s == OperationStatus::Pending) {
            OperationStatus::Pending
        } else {
            OperationStatus::Running
        }
    } else if statuses.contains(&OperationStatus::Failed) {
        OperationStatus::Failed
    } else if statuses.contains(&OperationStatus::Cancelled) {
        OperationStatus::Cancelled
    } else {
        OperationStatus::Succeeded
    };

    let started = items.iter().filter_map(CheckpointItem::created_time).min();
    let finished = all_terminal
        .then(|| {
            items
                .iter()
                .filter_map(|item| {
                    item.extend_info
                        .as_ref()
                        .and_then(crate::model::ItemExtendInfo::finished_time)
                        .or_else(|| {
                            item.updated_at
                                .as_deref()
                                .and_then(backup_core::timefmt::parse_timestamp)
                        })
                })
                .max()
        })
        .flatten();

    let checkpoint_id = split_reference_id(&reference.id)
        .ok()
        .map(|(_, checkpoint)| checkpoint.to_owned())
        .or_else(|| items.iter().find_map(|item| item.checkpoint_id.clone()));
    let mut operation = Operation::new(reference, status)
        .with_progress(progress(items))
        .with_times(started, finished)
        .with_vendor_status(vendor_status(items))
        .with_job_id(job_id(items))
        .with_items(items.iter().map(operation_item).collect())
        .with_size(size_bytes(items))
        .with_produced(produced(checkpoint_id.as_deref(), items));
    if status == OperationStatus::Failed {
        let (error, message) = failure(items);
        operation = operation.with_error(error).with_message(message);
    }
    operation
}

/// `fresh` (a new read of the checkpoint) with what an earlier sight of it knew and
/// the new read cannot tell: the start. Right after the trigger no item is listed
/// yet, so only the create answer's `created_at` says when the backup started; the
/// earliest of the two starts is kept.
#[must_use]
pub fn refreshed(previous: &Operation, mut fresh: Operation) -> Operation {
    fresh.started_at = match (previous.started_at, fresh.started_at) {
        (Some(before), Some(now)) => Some(before.min(now)),
        (before, now) => now.or(before),
    };
    fresh
}

/// Whether an item's backup ended well (it exists and can be restored from).
fn ended_well(item: &CheckpointItem) -> bool {
    item.status.as_ref().map(item_status) == Some(OperationStatus::Succeeded)
}

/// The size of one item's backup, in bytes.
fn item_size(item: &CheckpointItem) -> Option<u64> {
    item.extend_info
        .as_ref()
        .and_then(crate::model::ItemExtendInfo::size_mb)
        .map(|mb| mb.saturating_mul(BYTES_PER_MB))
}

/// The size of what the checkpoint made: the sum over the items that ended well.
fn size_bytes(items: &[CheckpointItem]) -> Option<u64> {
    let sizes: Vec<u64> = items
        .iter()
        .filter(|item| ended_well(item))
        .filter_map(item_size)
        .collect();
    (!sizes.is_empty()).then(|| sizes.iter().fold(0u64, |sum, s| sum.saturating_add(*s)))
}

/// The checkpoint and the backups of the items that ended well (nothing before one
/// did).
fn produced(checkpoint_id: Option<&str>, items: &[CheckpointItem]) -> Vec<Produced> {
    let done: Vec<&CheckpointItem> = items.iter().filter(|item| ended_well(item)).collect();
    if done.is_empty() {
        return Vec::new();
    }
    checkpoint_id
        .map(|id| Produced::new(PRODUCED_CHECKPOINT, id))
        .into_iter()
        .chain(
            done.iter()
                .filter_map(|item| item.id.as_deref().filter(|id| !id.is_empty()))
                .map(|id| Produced::new(PRODUCED_BACKUP, id)),
        )
        .collect()
}

/// One resource's result.
fn operation_item(item: &CheckpointItem) -> OperationItem {
    let status = item
        .status
        .as_ref()
        .map_or(OperationStatus::Running, item_status);
    let error = (status == OperationStatus::Failed).then(|| {
        let (code, message) = describe_failure(item);
        VendorError {
            request_id: None,
            code,
            message,
        }
    });
    OperationItem::new(resource_of(item), status)
        .with_name(
            item.extend_info
                .as_ref()
                .and_then(|info| info.resource_name.clone())
                .filter(|name| !name.is_empty()),
        )
        .with_size(item_size(item))
        .with_error(error)
}

/// The resource an item backs up (its own id when the resource is not named).
fn resource_of(item: &CheckpointItem) -> &str {
    item.resource_id
        .as_deref()
        .or(item.id.as_deref())
        .unwrap_or("?")
}

/// The mean progress of the items that report one (an `available` item without one
/// counts 100).
fn progress(items: &[CheckpointItem]) -> Option<f64> {
    let values: Vec<f64> = items
        .iter()
        .filter_map(|item| {
            let reported = item.extend_info.as_ref().and_then(|info| info.progress);
            match (reported, &item.status) {
                (Some(p), _) => Some(p),
                (None, Some(ItemStatus::Available)) => Some(100.0),
                _ => None,
            }
        })
        .collect();
    if values.is_empty() {
        return None;
    }
    #[allow(clippy::cast_precision_loss)]
    let count = values.len() as f64;
    Some(values.iter().sum::<f64>() / count)
}

/// The items' statuses: one word when they agree, else `resource=status` pairs.
fn vendor_status(items: &[CheckpointItem]) -> String {
    let words: Vec<&str> = items
        .iter()
        .map(|item| item.status.as_ref().map_or("unknown", ItemStatus::as_str))
        .collect();
    if words.windows(2).all(|w| w.first() == w.last()) {
        return words.first().copied().unwrap_or_default().to_owned();
    }
    items
        .iter()
        .zip(&words)
        .map(|(item, word)| {
            format!(
                "{}={word}",
                item.resource_id
                    .as_deref()
                    .or(item.id.as_deref())
                    .unwrap_or("?")
            )
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The backup id when the checkpoint covers a single resource.
fn job_id(items: &[CheckpointItem]) -> Option<String> {
    match items {
        [only] => only.id.clone(),
        _ => None,
    }
}

/// A failed item's code (`fail_code.Code`) and reason (`fail_reason`, else
/// `fail_code.Description`).
fn describe_failure(item: &CheckpointItem) -> (Option<String>, String) {
    let info = item.extend_info.as_ref();
    let reason = info
        .and_then(|i| i.fail_reason.clone())
        .filter(|r| !r.is_empty())
        .or_else(|| {
            info.and_then(|i| i.fail_code.as_ref())
                .and_then(|c| c.description.clone())
        })
        .unwrap_or_else(|| "the backup failed without a reason".to_owned());
    let code = info
        .and_then(|i| i.fail_code.as_ref())
        .and_then(|c| c.code.clone())
        .filter(|c| !c.is_empty());
    (code, reason)
}

/// The error of the first failed item, and a message naming every failed resource.
fn failure(items: &[CheckpointItem]) -> (Option<VendorError>, Option<String>) {
    let failed: Vec<&CheckpointItem> = items
        .iter()
        .filter(|item| item.status == Some(ItemStatus::Error))
        .collect();
    let error = failed.first().map(|item| {
        let (code, message) = describe_failure(item);
        VendorError {
            request_id: None,
            code,
            message,
        }
    });
    let message = failed
        .iter()
        .map(|item| {
            let (code, reason) = describe_failure(item);
            let resource = resource_of(item);
            match code {
                Some(code) => format!("{resource}: {code}: {reason}"),
                None => format!("{resource}: {reason}"),
            }
        })
        .collect::<Vec<_>>()
        .join("; ");
    (error, (!message.is_empty()).then_some(message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FailCode, ItemExtendInfo};

    fn item(resource: &str, status: &str, progress: Option<f64>) -> CheckpointItem {
        serde_json::from_value(serde_json::json!({
            "id": format!("item-{resource}"),
            "resource_id": resource,
            "status": status,
            "created_at": "2017-04-18T01:21:52.701973",
            "updated_at": "2017-04-18T01:30:00",
            "extend_info": {"progress": progress},
        }))
        .unwrap()
    }

    fn r() -> OperationRef {
        reference("p", "c")
    }

    #[test]
    fn every_item_status_maps() {
        use OperationStatus as S;
        let table = [
            ("waiting_protect", S::Pending),
            ("protecting", S::Running),
            ("available", S::Succeeded),
            ("waiting_restore", S::Succeeded),
            ("restoring", S::Succeeded),
            ("error", S::Failed),
            ("waiting_delete", S::Cancelled),
            ("deleting", S::Cancelled),
            ("deleted", S::Cancelled),
            ("something_new", S::Running),
        ];
        assert_eq!(ItemStatus::DOCUMENTED.len(), 9);
        for (word, expected) in table {
            assert_eq!(item_status(&ItemStatus::parse(word)), expected, "{word}");
            assert_eq!(ItemStatus::parse(word).as_str(), word);
        }
    }

    #[test]
    fn every_checkpoint_status_maps() {
        use OperationStatus as S;
        for (word, expected) in [
            ("protecting", S::Running),
            ("deleting", S::Cancelled),
            ("available", S::Succeeded),
            ("error", S::Failed),
            ("new", S::Running),
        ] {
            assert_eq!(
                checkpoint_status(&CheckpointStatus::parse(word)),
                expected,
                "{word}"
            );
        }
        assert_eq!(CheckpointStatus::DOCUMENTED.len(), 4);
    }

    #[test]
    fn no_items_yet_is_pending() {
        let op = from_items(r(), &[]);
        assert_eq!(op.status, OperationStatus::Pending);
        assert!(op.message.is_some());
    }

    #[test]
    fn aggregates_several_items() {
        let op = from_items(
            r(),
            &[
                item("a", "available", Some(100.0)),
                item("b", "protecting", Some(40.0)),
            ],
        );
        assert_eq!(op.status, OperationStatus::Running);
        assert_eq!(op.progress, Some(70.0));
        assert_eq!(
            op.vendor_status.as_deref(),
            Some("a=available,b=protecting")
        );
        assert_eq!(op.finished_at, None);
        assert_eq!(op.job_id, None);

        let op = from_items(
            r(),
            &[
                item("a", "waiting_protect", None),
                item("b", "waiting_protect", Some(0.0)),
            ],
        );
        assert_eq!(op.status, OperationStatus::Pending);
        assert_eq!(op.vendor_status.as_deref(), Some("waiting_protect"));

        let op = from_items(
            r(),
            &[item("a", "available", None), item("b", "available", None)],
        );
        assert_eq!(op.status, OperationStatus::Succeeded);
        assert_eq!(op.progress, Some(100.0));
        assert!(op.finished_at.is_some());
        assert!(op.started_at.is_some());
    }

    #[test]
    fn failure_waits_for_every_item_and_names_each_failed_resource() {
        let mut failed = item("b", "error", Some(30.0));
        failed.extend_info = Some(ItemExtendInfo {
            fail_reason: Some("disk gone".into()),
            fail_code: Some(FailCode {
                code: Some("BackupService.6001".into()),
                description: Some("d".into()),
            }),
            ..ItemExtendInfo::default()
        });
        let running = from_items(r(), &[item("a", "protecting", None), failed.clone()]);
        assert_eq!(running.status, OperationStatus::Running);

        let mut other = item("c", "error", None);
        other.extend_info = Some(ItemExtendInfo {
            fail_code: Some(FailCode::default()),
            ..ItemExtendInfo::default()
        });
        let op = from_items(r(), &[item("a", "available", None), failed, other]);
        assert_eq!(op.status, OperationStatus::Failed);
        let error = op.error.unwrap();
        assert_eq!(error.code.as_deref(), Some("BackupService.6001"));
        assert_eq!(error.message, "disk gone");
        assert_eq!(
            op.message.as_deref(),
            Some("b: BackupService.6001: disk gone; c: the backup failed without a reason")
        );
    }

    #[test]
    fn deleted_items_cancel() {
        let op = from_items(
            r(),
            &[item("a", "available", None), item("b", "deleted", None)],
        );
        assert_eq!(op.status, OperationStatus::Cancelled);
    }

    #[test]
    fn references_round_trip() {
        let reference = reference("b942cc8342734d15bcb246babb1953cf", "14626f11-b54a");
        let text = reference.to_string();
        assert_eq!(
            text,
            "huawei-csbs:b942cc8342734d15bcb246babb1953cf/14626f11-b54a"
        );
        let parsed: OperationRef = text.parse().unwrap();
        assert_eq!(
            decode_reference(&parsed).unwrap(),
            ("b942cc8342734d15bcb246babb1953cf", "14626f11-b54a")
        );
        for bad in ["p", "/c", "p/", "p/c/d", "p/..", "./c"] {
            let r = OperationRef::new(VENDOR, bad);
            assert!(decode_reference(&r).is_err(), "{bad}");
        }
        assert!(decode_reference(&OperationRef::new("azure", "p/c")).is_err());
        let long = format!("p/{}", "c".repeat(MAX_REFERENCE_ID_LEN));
        assert!(split_reference_id(&long).is_err());
    }
}
