//! RFC 7807 problem answers, as the appliance words its errors.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use backup_core::emulator::random_hex;
use serde_json::{Map, Value, json};

/// The content type of problem answers.
pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json; charset=utf-8";

/// A W3C-style trace id, as ASP.NET puts in `traceId`.
pub(crate) fn trace_id() -> String {
    format!("00-{}-{}-00", random_hex(32), random_hex(16))
}

/// The problem body for `status` with `detail` and extra members.
pub(crate) fn body(status: StatusCode, detail: Option<&str>, extra: Map<String, Value>) -> Value {
    let mut problem = json!({
        "type": format!("https://tools.ietf.org/html/rfc9110#status.{}", status.as_u16()),
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "traceId": trace_id(),
    });
    if let Some(object) = problem.as_object_mut() {
        if let Some(detail) = detail {
            object.insert("detail".to_owned(), Value::String(detail.to_owned()));
        }
        object.extend(extra);
    }
    problem
}

/// A problem answer.
pub(crate) fn answer(status: StatusCode, detail: &str) -> Response {
    answer_with(status, detail, Map::new())
}

/// A problem answer with extra members (`errors`, `resourceId`, `sessionId`).
pub(crate) fn answer_with(status: StatusCode, detail: &str, extra: Map<String, Value>) -> Response {
    let text = body(status, Some(detail), extra).to_string();
    let mut response = (status, Body::from(text)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(PROBLEM_CONTENT_TYPE),
    );
    response
}

/// 401 for a missing, unknown or expired access token: the v8.1 spec's
/// `ProblemDetails401` (`type`, `title`, `status`, `detail`, `extensions`; no
/// `traceId`, unlike the token endpoint's 401).
pub(crate) fn unauthorized(expired: bool) -> Response {
    let detail = if expired {
        "The access token has expired."
    } else {
        "The access token is missing or invalid."
    };
    let mut problem = body(StatusCode::UNAUTHORIZED, Some(detail), Map::new());
    if let Some(object) = problem.as_object_mut() {
        object.remove("traceId");
    }
    let mut response = (StatusCode::UNAUTHORIZED, Body::from(problem.to_string())).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(PROBLEM_CONTENT_TYPE),
    );
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(if expired {
            "Bearer error=\"invalid_token\", error_description=\"The token expired\""
        } else {
            "Bearer error=\"invalid_token\""
        }),
    );
    response
}

/// The error body of injected faults: content type and text.
pub(crate) fn fault_body(status: StatusCode) -> (&'static str, String) {
    (
        PROBLEM_CONTENT_TYPE,
        body(status, Some("injected fault"), Map::new()).to_string(),
    )
}
