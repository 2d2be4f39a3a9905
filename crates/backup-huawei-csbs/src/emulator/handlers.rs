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
    if let Some(auto) = parameters.get("auto_trigger")
        && !auto.is_boolean()
        && !auto.is_null()
    {
        return Err(refuse("parameters.auto_trigger must be a Boolean."));
    }
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
        };
        store.items.insert(item_id.clone(), item);
        item_ids.push(item_id);
    }
    store.checkpoints.insert(
        checkpoint_id.clone(),
        Checkpoint {
            plan_id: request.plan_id.clone(),
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

/// The item as CSBS shows it, at `phase`.
fn item_json(state: &EmuState, id: &str, item: &Item, phase: &Phase) -> Value {
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
    json!({
        "id": id,
        "name": format!("manualbk_{}", id.get(0..4).unwrap_or_default()),
        "description": "",
        "status": status,
        "checkpoint_id": item.checkpoint_id,
        "resource_id": item.resource.id,
        "resource_type": "OS::Nova::Server",
        "created_at": reply::naive(item.created_at),
        "updated_at": reply::naive(item.lifecycle.finished_at().unwrap_or_else(OffsetDateTime::now_utc)),
        "extend_info": {
            "auto_trigger": false,
            "progress": progress,
            "fail_reason": failure.as_ref().map_or("", |(_, reason)| reason.as_str()),
            "fail_code": fail_code,
            "fail_op": if failure.is_some() { "backup" } else { "" },
            "finished_at": finished_at,
            "resource_name": item.resource.name,
            "supported_restore_mode": "backup",
        },
        "project_id": state.project_id,
    })
}

/// `GET /v1/{project_id}/checkpoint_items?checkpoint_id=`.
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
    let wanted = uri.query().and_then(|query| {
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(key, _)| key == "checkpoint_id")
            .map(|(_, value)| value.into_owned())
    });
    let mut store = state.store();
    let mut ids: Vec<String> = Vec::new();
    let hidden = state.hidden_list_calls;
    for (checkpoint_id, checkpoint) in &mut store.checkpoints {
        if wanted.as_ref().is_some_and(|w| w != checkpoint_id) {
            continue;
        }
        checkpoint.list_calls = checkpoint.list_calls.saturating_add(1);
        if checkpoint.list_calls > hidden {
            ids.extend(checkpoint.item_ids.iter().cloned());
        }
    }
    let items: Vec<Value> = ids
        .iter()
        .filter_map(|id| {
            let item = store.items.get(id)?;
            Some(item_json(&state, id, item, &item.lifecycle.peek()))
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
    let Some(item) = store.items.get_mut(&item_id) else {
        return reply::error(
            StatusCode::NOT_FOUND,
            "CSBS.9001",
            &format!("Backup {item_id} not found."),
        );
    };
    let phase = item.lifecycle.observe();
    let body = json!({"checkpoint_item": item_json(&state, &item_id, item, &phase)});
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
