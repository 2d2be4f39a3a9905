//! `POST /backup/v1/policies/{policyId}:execute`.

use axum::body::Bytes;
use axum::extract::{Path, State as Extract};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use backup_core::emulator::{Lifecycle, random_hex};
use serde::Deserialize;

use crate::model::GrpcCode;

use super::answer::{authorize, error, json_answer};
use super::state::{Op, State, lock};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    #[serde(default)]
    compute_instance_id: Option<String>,
}

fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 50
}

/// Adds the poll hint header when configured.
pub(crate) fn with_poll_hint(state: &State, mut response: Response) -> Response {
    if let Some(interval) = state.0.poll_interval
        && let Ok(value) = HeaderValue::from_str(&format!("{}", interval.as_secs_f64()))
    {
        response
            .headers_mut()
            .insert(crate::operation::POLL_INTERVAL_HEADER, value);
    }
    response
}

pub(crate) async fn execute(
    Extract(state): Extract<State>,
    Path(target): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refusal) = authorize(&state, &headers) {
        return refusal.answer();
    }
    let Some(policy_id) = target.strip_suffix(":execute") else {
        return error(GrpcCode::NotFound, "Not Found");
    };
    if !valid_id(policy_id) {
        return error(
            GrpcCode::InvalidArgument,
            "Request validation error: policy_id: length must be 1-50",
        );
    }
    let Ok(body) = serde_json::from_slice::<Body>(&body) else {
        return error(GrpcCode::InvalidArgument, "Request body is not valid JSON");
    };
    let instance_id = body.compute_instance_id.unwrap_or_default();
    if !valid_id(&instance_id) {
        return error(
            GrpcCode::InvalidArgument,
            "Request validation error: compute_instance_id: length must be 1-50",
        );
    }
    let key = match headers.get("idempotency-key").map(HeaderValue::to_str) {
        None => None,
        Some(Ok(key)) if uuid::Uuid::parse_str(key.trim()).is_ok() => Some(key.trim().to_owned()),
        Some(_) => {
            return error(GrpcCode::InvalidArgument, "Idempotency-Key must be a UUID");
        }
    };
    // The same key answers the same operation, whatever happened to the first answer.
    let mut keys = lock(&state.0.idempotency);
    let mut ops = lock(&state.0.ops);
    if let Some(op) = key
        .as_ref()
        .and_then(|key| keys.get(key))
        .and_then(|id| ops.get_mut(id))
    {
        let phase = op.lifecycle.peek();
        let view = state.view(op, &phase, false);
        return with_poll_hint(&state, json_answer(StatusCode::OK, &view));
    }
    let Some(instances) = state.0.policies.get(policy_id) else {
        return error(GrpcCode::NotFound, &format!("Policy {policy_id} not found"));
    };
    if !instances.contains(&instance_id) {
        return error(
            GrpcCode::FailedPrecondition,
            &format!("Policy {policy_id} is not applied to instance {instance_id}"),
        );
    }
    let id = format!("cdg{}", random_hex(17));
    let request_id = uuid::Uuid::new_v4().to_string();
    let spec = state.0.shared.lifecycle();
    let mut op = Op {
        id: id.clone(),
        policy_id: policy_id.to_owned(),
        instance_id,
        lifecycle: Lifecycle::new(spec),
        backup_id: uuid::Uuid::new_v4().to_string(),
        request_id: request_id.clone(),
        reads: 0,
        failure_reported: false,
    };
    let phase = op.lifecycle.peek();
    let view = state.view(&mut op, &phase, false);
    ops.insert(id.clone(), op);
    if let Some(key) = key {
        keys.insert(key, id);
    }
    state.0.shared.accepted().increment();
    let mut response = json_answer(StatusCode::OK, &view);
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    with_poll_hint(&state, response)
}
