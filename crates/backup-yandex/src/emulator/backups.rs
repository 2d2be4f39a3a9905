//! `GET /backup/v1/backups` (`Backup.List`): the backups the emulated policy runs made.
//!
//! A `Policy.Execute` operation that ended well made one backup of its instance by its
//! policy: created when the run started, last seen when it ended, the first of an
//! instance and policy `FULL` and the next ones `INCREMENTAL`, sizes as `int64` strings
//! (the REST mapping). The query selects exactly one of the documented `id` fields
//! (`computeInstanceId`, `archive.*`, `folderId`, `instancePolicy.*`, `resourceId`,
//! `policyId`, `backup.*`); `orderBy` is `createdAt desc` (the default) or
//! `createdAt asc`; `pageSize` is at most 1000. `filter` is refused (the emulator does
//! not parse filter expressions), and so is any other parameter.

use std::collections::{BTreeMap, HashMap};

use axum::extract::{Query, State as Extract};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use backup_core::emulator::{Outcome, Phase};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::model::{GrpcCode, MAX_PAGE_SIZE};

use super::answer::{Refusal, authorize, json_answer};
use super::state::{Op, State, lock, rfc3339};

/// The folder the emulated cloud's resources are in.
pub(crate) const FOLDER_ID: &str = "b1gemulatorfolder001";
/// The backup vault of every emulated backup.
pub(crate) const VAULT_ID: &str = "c4demovault000000001";

/// The size of the demo instance's disk (10 GiB).
const DISK_SIZE: i64 = 10 * 1024 * 1024 * 1024;
/// What a full backup reads (the used 3 GiB), and stores (1.5 GiB compressed).
const FULL_READ: i64 = 3 * 1024 * 1024 * 1024;
const FULL_SIZE: i64 = 1536 * 1024 * 1024;
/// What an incremental backup reads (100 MiB changed) and stores (50 MiB).
const INCREMENTAL_READ: i64 = 100 * 1024 * 1024;
const INCREMENTAL_SIZE: i64 = 50 * 1024 * 1024;

/// The selectors of `ListBackupsRequest.id` (a oneof: exactly one must be given).
const SELECTORS: [&str; 7] = [
    "computeInstanceId",
    "archive",
    "folderId",
    "instancePolicy",
    "resourceId",
    "policyId",
    "backup",
];

/// Every query parameter the REST mapping of `ListBackupsRequest` has.
const PARAMETERS: [&str; 14] = [
    "computeInstanceId",
    "archive.archiveId",
    "archive.folderId",
    "folderId",
    "instancePolicy.computeInstanceId",
    "instancePolicy.policyId",
    "resourceId",
    "policyId",
    "backup.backupId",
    "backup.folderId",
    "orderBy",
    "filter",
    "type",
    "pageSize",
];

/// The backup an operation made, if it ended well: its JSON before the `type`.
struct Made {
    created: OffsetDateTime,
    json: Value,
    key: (String, String),
}

/// The archive of an instance's backups by a policy (one per pair, as Cloud Backup
/// keeps them).
pub(crate) fn archive_id(instance_id: &str, policy_id: &str) -> String {
    let digest = fnv(&format!("{instance_id}/{policy_id}"));
    format!(
        "{:08x}-{:04x}-4000-8000-{:012x}",
        digest >> 32,
        digest & 0xffff,
        digest & 0xffff_ffff_ffff
    )
}

/// The Cloud Backup resource id of an instance.
pub(crate) fn resource_id(instance_id: &str) -> String {
    format!("{:016x}", fnv(instance_id))
}

fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn made(op: &Op) -> Option<Made> {
    match op.lifecycle.peek() {
        Phase::Done(Outcome::Success | Outcome::Warning) => {}
        _ => return None,
    }
    let created = op
        .lifecycle
        .started_at()
        .unwrap_or_else(|| op.lifecycle.created_at());
    let last_seen = op.lifecycle.finished_at().unwrap_or(created);
    let archive = archive_id(&op.instance_id, &op.policy_id);
    Some(Made {
        created,
        key: (op.instance_id.clone(), op.policy_id.clone()),
        json: json!({
            "id": op.backup_id,
            "vaultId": VAULT_ID,
            "archiveId": archive,
            "createdAt": rfc3339(created),
            "lastSeenAt": rfc3339(last_seen),
            "attributes": {
                "streamName": format!("{}-{}", op.instance_id, op.policy_id),
                "uri": format!("backup://{VAULT_ID}/{archive}"),
            },
            "computeInstanceId": op.instance_id,
            "deleted": false,
            "policyId": op.policy_id,
            "resourceId": resource_id(&op.instance_id),
        }),
    })
}

/// Every backup made so far, oldest first, with its type and sizes.
pub(crate) fn all_backups(ops: &HashMap<String, Op>) -> Vec<(OffsetDateTime, Value)> {
    let mut made: Vec<Made> = ops.values().filter_map(made).collect();
    made.sort_by(|a, b| {
        (a.created, a.json["id"].as_str()).cmp(&(b.created, b.json["id"].as_str()))
    });
    let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
    made.into_iter()
        .map(|mut backup| {
            let count = seen.entry(backup.key.clone()).or_insert(0);
            let full = *count == 0;
            *count += 1;
            let (kind, read, size) = if full {
                ("FULL", FULL_READ, FULL_SIZE)
            } else {
                ("INCREMENTAL", INCREMENTAL_READ, INCREMENTAL_SIZE)
            };
            let fields = [
                ("type", json!(kind)),
                ("size", json!(size.to_string())),
                ("deduplicatedSize", json!(size.to_string())),
                ("backedUpDataSize", json!(read.to_string())),
                ("originalDataSize", json!(DISK_SIZE.to_string())),
                (
                    "disks",
                    json!([{
                        "deviceModel": "virtio-blk",
                        "name": "vda",
                        "size": DISK_SIZE.to_string(),
                        "volumes": [{
                            "freeSpace": (DISK_SIZE - FULL_READ).to_string(),
                            "isBootable": true,
                            "isSystem": true,
                            "name": "/",
                            "size": DISK_SIZE.to_string(),
                            "mountStrid": "/",
                        }],
                    }]),
                ),
            ];
            for (name, value) in fields {
                backup.json[name] = value;
            }
            (backup.created, backup.json)
        })
        .collect()
}

/// Which backups a query selects.
enum Selector {
    Instance(String),
    Archive(String),
    Folder,
    InstancePolicy(Option<String>, Option<String>),
    Resource(String),
    Policy(String),
    Backup(String),
}

impl Selector {
    fn matches(&self, backup: &Value) -> bool {
        let field = |name: &str| backup[name].as_str().unwrap_or("");
        match self {
            Self::Instance(id) => field("computeInstanceId") == id,
            Self::Archive(id) => field("archiveId") == id,
            Self::Folder => true,
            Self::InstancePolicy(instance, policy) => {
                instance
                    .as_deref()
                    .is_none_or(|i| field("computeInstanceId") == i)
                    && policy.as_deref().is_none_or(|p| field("policyId") == p)
            }
            Self::Resource(id) => field("resourceId") == id,
            Self::Policy(id) => field("policyId") == id,
            Self::Backup(id) => field("id") == id,
        }
    }
}

fn invalid(message: &str) -> Refusal {
    Refusal::new(
        GrpcCode::InvalidArgument,
        format!("Request validation error: {message}"),
    )
}

/// The selector of `query`, or the refusal.
fn selector(query: &HashMap<String, String>) -> Result<Selector, Refusal> {
    if let Some(unknown) = query.keys().find(|k| !PARAMETERS.contains(&k.as_str())) {
        return Err(invalid(&format!("unknown query parameter {unknown}")));
    }
    let given: Vec<&str> = SELECTORS
        .iter()
        .copied()
        .filter(|selector| {
            query
                .keys()
                .any(|k| k == selector || k.starts_with(&format!("{selector}.")))
        })
        .collect();
    if given.len() != 1 {
        return Err(invalid(&format!(
            "exactly one of {} must be set",
            SELECTORS.join(", ")
        )));
    }
    let value = |name: &str| query.get(name).filter(|v| !v.is_empty()).cloned();
    let required = |name: &str| value(name).ok_or_else(|| invalid(&format!("{name} is required")));
    let folder = |name: &str| -> Result<(), Refusal> {
        if required(name)? == FOLDER_ID {
            Ok(())
        } else {
            Err(Refusal::new(
                GrpcCode::NotFound,
                format!("Folder {} not found", value(name).unwrap_or_default()),
            ))
        }
    };
    Ok(match given[0] {
        "computeInstanceId" => Selector::Instance(required("computeInstanceId")?),
        "archive" => {
            folder("archive.folderId")?;
            Selector::Archive(required("archive.archiveId")?)
        }
        "folderId" => {
            folder("folderId")?;
            Selector::Folder
        }
        "instancePolicy" => {
            let instance = value("instancePolicy.computeInstanceId");
            let policy = value("instancePolicy.policyId");
            if instance.is_none() && policy.is_none() {
                return Err(invalid(
                    "instance_policy needs compute_instance_id or policy_id",
                ));
            }
            Selector::InstancePolicy(instance, policy)
        }
        "resourceId" => Selector::Resource(required("resourceId")?),
        "policyId" => Selector::Policy(required("policyId")?),
        _ => {
            folder("backup.folderId")?;
            Selector::Backup(required("backup.backupId")?)
        }
    })
}

pub(crate) async fn list(
    Extract(state): Extract<State>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Err(refusal) = authorize(&state, &headers) {
        return refusal.answer();
    }
    let selector = match selector(&query) {
        Ok(selector) => selector,
        Err(refusal) => return refusal.answer(),
    };
    let ascending = match query.get("orderBy").map(|o| o.trim().to_ascii_lowercase()) {
        None => false,
        Some(order) if order.is_empty() || order == "createdat desc" || order == "createdat" => {
            order == "createdat"
        }
        Some(order) if order == "createdat asc" => true,
        Some(order) => return invalid(&format!("cannot order by {order:?}")).answer(),
    };
    if query.get("filter").is_some_and(|f| !f.trim().is_empty()) {
        return invalid("filter expressions are not supported by this emulator").answer();
    }
    let page_size = match query.get("pageSize").map(|s| s.parse::<u32>()) {
        None | Some(Ok(0)) => MAX_PAGE_SIZE,
        Some(Ok(n)) if n <= MAX_PAGE_SIZE => n,
        Some(_) => {
            return invalid(&format!("page_size must be at most {MAX_PAGE_SIZE}")).answer();
        }
    };
    if let Some(kind) = query.get("type")
        && !["", "RESOURCE_TYPE_UNSPECIFIED", "COMPUTE"].contains(&kind.as_str())
    {
        return json_answer(StatusCode::OK, &json!({ "backups": [] }));
    }
    let mut backups: Vec<Value> = all_backups(&lock(&state.0.ops))
        .into_iter()
        .map(|(_, backup)| backup)
        .filter(|backup| selector.matches(backup))
        .collect();
    if !ascending {
        backups.reverse();
    }
    backups.truncate(usize::try_from(page_size).unwrap_or(usize::MAX));
    json_answer(StatusCode::OK, &json!({ "backups": backups }))
}
