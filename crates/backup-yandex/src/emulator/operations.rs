//! `GET /operations/{id}` and `GET /operations/{id}:cancel`.

use axum::extract::{Path, State as Extract};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use crate::model::GrpcCode;

use super::answer::{authorize, error, json_answer};
use super::backup::with_poll_hint;
use super::state::{State, lock};

pub(crate) async fn get_or_cancel(
    Extract(state): Extract<State>,
    Path(target): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(refusal) = authorize(&state, &headers) {
        return refusal.answer();
    }
    match target.strip_suffix(":cancel") {
        Some(id) => cancel(&state, id),
        None => get(&state, &target),
    }
}

fn not_found(id: &str) -> Response {
    error(GrpcCode::NotFound, &format!("Operation {id} not found"))
}

fn get(state: &State, id: &str) -> Response {
    let mut ops = lock(&state.0.ops);
    let Some(op) = ops.get_mut(id) else {
        return not_found(id);
    };
    // Replica lag: the operation service does not know a fresh operation yet.
    if op.reads < state.0.replica_lag {
        op.reads += 1;
        return not_found(id);
    }
    op.reads = op.reads.saturating_add(1);
    let phase = op.lifecycle.observe();
    let view = state.view(op, &phase, true);
    with_poll_hint(state, json_answer(StatusCode::OK, &view))
}

fn cancel(state: &State, id: &str) -> Response {
    let mut ops = lock(&state.0.ops);
    let Some(op) = ops.get_mut(id) else {
        return not_found(id);
    };
    // Cancelling a finished operation changes nothing; the operation is answered as is.
    op.lifecycle.request_cancel();
    let phase = op.lifecycle.peek();
    let view = state.view(op, &phase, false);
    json_answer(StatusCode::OK, &view)
}

/// `POST .../operations/{id}:cancel`: the reference maps Cancel to GET only.
pub(crate) async fn post_not_allowed() -> Response {
    let mut response = error(GrpcCode::Unimplemented, "Method Not Allowed");
    *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    response
}

/// Anything else.
pub(crate) async fn fallback() -> Response {
    error(GrpcCode::NotFound, "Not Found")
}
