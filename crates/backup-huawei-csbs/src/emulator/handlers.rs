//! The CSBS endpoints: create a checkpoint, list and read checkpoint items.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use backup_core::emulator::{Lifecycle, Outcome, Phase, random_hex};
use http::{HeaderMap, Method, StatusCode, Uri};
use serde_json::{Value, json};
use std::sync::Arc;
use time::OffsetDateTime;

use super::authn::authenticate;
use super::reply;
use super::state::{Checkpoint, EmuState, Item};
use crate::DEFAULT_PROVIDER_ID;

type Shared = State<Arc<EmuState>>;

/// The id of a new checkpoint or item: a UUID-shaped random id.
fn uuid() -> String {
    let hex = random_hex(32);
    format!(
        "{}-{}-{}-{}-{}",
        hex.get(0..8).unwrap_or_default(),
        hex.get(8..12).unwrap_or_default(),
        hex.get(12..16).unwrap_or_default(),
        hex.get(16..20).unwrap_or_default(),
        hex.get(20..32).unwrap_or_default()
    )
}

fn bad_request(message: &str) -> Response {
    reply::error(StatusCode::BAD_REQUEST, "CSBS.9001", message)
}

fn refuse(message: &str) -> Box<Response> {
    Box::new(bad_request(message))
}

fn check_project(state: &EmuState, project_id: &str) -> Result<(), Box<Response>> {
    if project_id == state.project_id {
        Ok(())
    } else {
        Err(Box::new(reply::error(
            StatusCode::FORBIDDEN,
            "CSBS.9001",
            &format!("project {project_id} is not the project of the credential"),
        )))
    }
}

/// What the body of a create request asks for, once checked as documented.
struct CreateBody {
    plan_id: String,
    resources: Option<Vec<String>>,
    auto_trigger: bool,
}

fn parse_create_body(body: &[u8]) -> Result<CreateBody, Box<Response>> {
    let value: Value =
        serde_json::from_slice(body).map_err(|_| refuse("Invalid request body: not JSON."))?;
    let checkpoint = value
        .get("checkpoint")
        .and_then(Value::as_object)
        .ok_or_else(|| refuse("checkpoint is mandatory."))?;
    let plan_id = checkpoint
        .get("plan_id")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
        .ok_or_else(|| refuse("checkpoint.plan_id is mandatory."))?;
    let parameters = checkpoint
        .get("parameters")
        .and_then(Value::as_object)
        .ok_or_else(|| refuse("checkpoint.parameters is mandatory."))?;
    let auto_trigger = match parameters.get("auto_trigger") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(auto)) => *auto,
        Some(_) => return Err(refuse("parameters.auto_trigger must be a Boolean.")),
    };
    let resources = match parameters.get("resources") {
        None | Some(Value::Null) => None,
        Some(Value::Array(list)) => Some(
            list.iter()
                .map(|r| r.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| refuse("parameters.resources must be a list of strings."))?,
        ),
        Some(_) => {
            return Err(refuse("parameters.resources must be a list of strings."));
        }
    };
    Ok(CreateBody {
        plan_id: plan_id.to_owned(),
        resources,
        auto_trigger,
    })
}

/// `POST /v1/{project_id}/providers/{provider_id}/checkpoints`.
pub(crate) async fn create_checkpoint(
    State(state): Shared,
    Path((project_id, provider_id)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refused) = authenticate(&state, &method, &uri, &headers, &body) {
        return *refused;
    }
    if let Err(refused) = check_project(&state, &project_id) {
        return *refused;
    }
    if provider_id != DEFAULT_PROVIDER_ID {
        return bad_request("provider invalid");
    }
    let request = match parse_create_body(&body) {
        Ok(request) => request,
        Err(refused) => return *refused,
    };
    let Some(plan) = state.plans.get(&request.plan_id) else {
        return reply::error(
            StatusCode::NOT_FOUND,
            "CSBS.9001",
            &format!("Backup policy {} not found.", request.plan_id),
        );
    };
    let resources = match &request.resources {
        None => plan.resources.clone(),
        Some(ids) => {
            let mut chosen = Vec::with_capacity(ids.len());
            for id in ids {
                match plan.resources.iter().find(|r| &r.id == id) {
                    Some(resource) => chosen.push(resource.clone()),
                    None => {
                        return reply::error(
                            StatusCode::BAD_REQUEST,
                            "CSBS.6000",
                            "server do not exist",
                        );
                    }
                }
            }
            chosen
        }
    };
    if resources.is_empty() {
        return bad_request("The backup policy has no resources.");
    }

    let lifecycle = state.shared.lifecycle();
    let mut store = state.store();
    if store.plan_executing(&request.plan_id) {
        return reply::error(
            StatusCode::INTERNAL_SERVER_ERROR,
            crate::error::POLICY_EXECUTING,
            "The policy is executing backup.",
        );
    }
    let now = OffsetDateTime::now_utc();
    let checkpoint_id = uuid();
    let mut item_ids = Vec::with_capacity(resources.len());
    for resource in &resources {
        let item_id = uuid();
        let forced_failure = store.failing_resources.get(&resource.id).cloned();
        let item = Item {
            checkpoint_id: checkpoint_id.clone(),
            resource: resource.clone(),
            lifecycle: Lifecycle::new(lifecycle.clone()),
            forced_failure,
            created_at: now,
            volume_backup_ids: resource.disks.iter().map(|_| uuid()).collect(),
            task_id: uuid(),
        };
        store.items.insert(item_id.clone(), item);
        item_ids.push(item_id);
    }
    store.checkpoints.insert(
        checkpoint_id.clone(),
        Checkpoint {
            plan_id: request.plan_id.clone(),
            auto_trigger: request.auto_trigger,
            item_ids,
            list_calls: 0,
        },
    );
    drop(store);
    state.shared.accepted().increment();

    let plan_resources: Vec<Value> = resources
        .iter()
        .map(
            |r| json!({"type": "OS::Nova::Server", "id": r.id, "name": r.name, "extra_info": "{}"}),
        )
        .collect();
    reply::json(
        StatusCode::OK,
        &json!({"checkpoint": {
            "status": "protecting",
            "created_at": reply::naive(now),
            "id": checkpoint_id,
            "resource_graph": null,
            "project_id": state.project_id,
            "protection_plan": {
                "id": request.plan_id,
                "resources": plan_resources,
                "name": plan.name,
            },
            "extra_info": "{\"created_by\": \"manual\"}",
        }}),
    )
}

/// The item as CSBS shows it, at `phase` ("Querying a Single Backup", Tables 3-7):
/// `extend_info.size` (MB) and `volume_backups` (one per disk, each with its size in
/// MB) once the backup is `available`, `size` 0 and no disk backups before.
fn item_json(id: &str, item: &Item, auto_trigger: bool, phase: &Phase) -> Value {
    let (status, progress, failure) = match (phase, &item.forced_failure) {
        (Phase::Queued, _) => ("waiting_protect", 0, None),
        (Phase::Running { progress }, _) => ("protecting", *progress, None),
        (Phase::Cancelling, _) => ("protecting", 99, None),
        (Phase::Done(_), Some((code, reason))) => {
            ("error", 0, Some((code.clone(), reason.clone())))
        }
        (Phase::Done(Outcome::Success | Outcome::Warning), None) => ("available", 100, None),
        (Phase::Done(Outcome::Failure { reason }), None) => {
            ("error", 0, Some((None, reason.clone())))
        }
        (Phase::Done(Outcome::Cancelled), None) => ("deleted", 0, None),
    };
    let finished_at = item.lifecycle.finished_at().map(reply::naive);
    let fail_code = match &failure {
        Some((Some(code), reason)) => json!({"Code": code, "Description": reason}),
        _ => json!({}),
    };
    let name = format!("manualbk_{}", id.get(0..4).unwrap_or_default());
    let available = status == "available";
    let volume_backups: Vec<Value> = if available {
        item.resource
            .disks
            .iter()
            .zip(&item.volume_backup_ids)
            .enumerate()
            .map(|(index, ((disk, size_gb, used_mb), backup_id))| {
                json!({
                    "id": backup_id,
                    "name": format!("{name}_{disk}"),
                    "status": "available",
                    "size": used_mb,
                    "source_volume_id": format!("{}-disk{index}", item.resource.id),
                    "source_volume_name": disk,
                    "source_volume_size": size_gb,
                    "bootable": index == 0,
                    "incremental": false,
                    "image_type": "backup",
                    "average_speed": 0,
                    "space_saving_ratio": 0,
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    let size: u64 = if available {
        item.resource.disks.iter().map(|(_, _, used)| used).sum()
    } else {
        0
    };
    json!({
        "id": id,
        "name": name,
        "description": "",
        "status": status,
        "checkpoint_id": item.checkpoint_id,
        "resource_id": item.resource.id,
        "resource_type": "OS::Nova::Server",
        "created_at": reply::naive(item.created_at),
        "updated_at": reply::naive(item.lifecycle.finished_at().unwrap_or_else(OffsetDateTime::now_utc)),
        "backup_data": {
            "__openstack_region_name": "",
            "cloudservicetype": "QEMU",
            "disk": 0,
            "eip": "",
            "imagetype": "gold",
            "private_ip": "",
            "ram": 4096,
            "vcpus": 2,
        },
        "tags": [],
        "extend_info": {
            "auto_trigger": auto_trigger,
            "average_speed": 0,
            "copy_from": "",
            "copy_status": "na",
            "progress": progress,
            "fail_reason": failure.as_ref().map_or("", |(_, reason)| reason.as_str()),
            "fail_code": fail_code,
            "fail_op": if failure.is_some() { "backup" } else { "" },
            "finished_at": finished_at,
            "hypervisor_type": "QEMU",
            "image_type": "backup",
            "incremental": false,
            "resource_az": "az1.dc1",
            "resource_name": item.resource.name,
            "resource_type": "OS::Nova::Server",
            "size": size,
            "space_saving_ratio": 0,
            "support_lld": false,
            "supported_restore_mode": "backup",
            "taskid": item.task_id,
            "volume_backups": volume_backups,
        },
    })
}

/// The filters of "Querying All Backups" (Table 2) the emulator applies; the others
/// (`limit`, `marker`, `sort`, `name` ...) are accepted and ignored.
#[derive(Debug, Default)]
struct ListFilter {
    checkpoint_id: Option<String>,
    policy_id: Option<String>,
    resource_id: Option<String>,
    status: Option<String>,
    start_time: Option<OffsetDateTime>,
    end_time: Option<OffsetDateTime>,
}

fn list_filter(uri: &Uri) -> Result<ListFilter, Box<Response>> {
    let mut filter = ListFilter::default();
    let time = |value: &str, name: &str| {
        backup_core::timefmt::parse_timestamp(value)
            .ok_or_else(|| refuse(&format!("Invalid {name}: {value}.")))
    };
    for (key, value) in url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()) {
        match key.as_ref() {
            "checkpoint_id" => filter.checkpoint_id = Some(value.into_owned()),
            "policy_id" => filter.policy_id = Some(value.into_owned()),
            "resource_id" => filter.resource_id = Some(value.into_owned()),
            "status" => filter.status = Some(value.into_owned()),
            "start_time" => filter.start_time = Some(time(&value, "start_time")?),
            "end_time" => filter.end_time = Some(time(&value, "end_time")?),
            _ => {}
        }
    }
    Ok(filter)
}

/// `GET /v1/{project_id}/checkpoint_items` with the filters of [`ListFilter`]
/// (`checkpoint_id`, `policy_id`, `start_time` ...).
pub(crate) async fn list_items(
    State(state): Shared,
    Path(project_id): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refused) = authenticate(&state, &method, &uri, &headers, &body) {
        return *refused;
    }
    if let Err(refused) = check_project(&state, &project_id) {
        return *refused;
    }
    let filter = match list_filter(&uri) {
        Ok(filter) => filter,
        Err(refused) => return *refused,
    };
    let mut store = state.store();
    let mut ids: Vec<(String, bool)> = Vec::new();
    let hidden = state.hidden_list_calls;
    for (checkpoint_id, checkpoint) in &mut store.checkpoints {
        if filter
            .checkpoint_id
            .as_ref()
            .is_some_and(|w| w != checkpoint_id)
            || filter
                .policy_id
                .as_ref()
                .is_some_and(|w| *w != checkpoint.plan_id)
        {
            continue;
        }
        checkpoint.list_calls = checkpoint.list_calls.saturating_add(1);
        if checkpoint.list_calls > hidden {
            ids.extend(
                checkpoint
                    .item_ids
                    .iter()
                    .map(|id| (id.clone(), checkpoint.auto_trigger)),
            );
        }
    }
    let items: Vec<Value> = ids
        .iter()
        .filter_map(|(id, auto_trigger)| {
            let item = store.items.get(id)?;
            if filter
                .resource_id
                .as_ref()
                .is_some_and(|w| *w != item.resource.id)
                || filter.start_time.is_some_and(|at| item.created_at < at)
                || filter.end_time.is_some_and(|at| item.created_at > at)
            {
                return None;
            }
            let json = item_json(id, item, *auto_trigger, &item.lifecycle.peek());
            filter
                .status
                .as_ref()
                .is_none_or(|w| json.get("status").and_then(Value::as_str) == Some(w))
                .then_some(json)
        })
        .collect();
    let count = items.len();
    reply::json(
        StatusCode::OK,
        &json!({"checkpoint_items": items, "count": count}),
    )
}

/// `GET /v1/{project_id}/checkpoint_items/{item_id}`: moves the backup along.
pub(crate) async fn get_item(
    State(state): Shared,
    Path((project_id, item_id)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refused) = authenticate(&state, &method, &uri, &headers, &body) {
        return *refused;
    }
    if let Err(refused) = check_project(&state, &project_id) {
        return *refused;
    }
    let mut store = state.store();
    let auto_trigger = store
        .items
        .get(&item_id)
        .and_then(|item| store.checkpoints.get(&item.checkpoint_id))
        .is_some_and(|checkpoint| checkpoint.auto_trigger);
    let Some(item) = store.items.get_mut(&item_id) else {
        return reply::error(
            StatusCode::NOT_FOUND,
            "CSBS.9001",
            &format!("Backup {item_id} not found."),
        );
    };
    let phase = item.lifecycle.observe();
    let body = json!({"checkpoint_item": item_json(&item_id, item, auto_trigger, &phase)});
    drop(store);
    reply::json(StatusCode::OK, &body)
}

/// Any other path: the gateway's "API does not exist".
pub(crate) async fn not_found() -> Response {
    reply::error(
        StatusCode::NOT_FOUND,
        "APIGW.0101",
        "The API does not exist or has not been published in the environment.",
    )
}
