//! Answers in Yandex's format: JSON bodies with `x-request-id`, errors as
//! `google.rpc.Status` with a `RequestInfo` detail.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use backup_core::emulator::TokenCheck;
use serde_json::{Value, json};

use crate::model::{GrpcCode, REQUEST_INFO_TYPE};

use super::state::State;

fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A JSON answer with an `x-request-id`.
pub(crate) fn json_answer(status: StatusCode, body: &Value) -> Response {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    if let Ok(id) = HeaderValue::from_str(&request_id()) {
        headers.insert("x-request-id", id);
    }
    response
}

/// The error body for `code`, with a fresh request id.
pub(crate) fn error_body(code: GrpcCode, message: &str) -> (String, Value) {
    let id = request_id();
    let body = json!({
        "code": code.as_i64(),
        "message": message,
        "details": [{ "@type": REQUEST_INFO_TYPE, "requestId": id }],
    });
    (id, body)
}

/// An error answer: the gateway's status for `code` and Yandex's body.
pub(crate) fn error(code: GrpcCode, message: &str) -> Response {
    let (id, body) = error_body(code, message);
    let status =
        StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = json_answer(status, &body);
    if let Ok(id) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", id);
    }
    response
}

/// The gRPC code Yandex's gateway would send with an HTTP status (for injected faults).
#[must_use]
pub(crate) fn code_for_status(status: StatusCode) -> GrpcCode {
    match status.as_u16() {
        401 => GrpcCode::Unauthenticated,
        403 => GrpcCode::PermissionDenied,
        404 => GrpcCode::NotFound,
        409 => GrpcCode::Aborted,
        429 => GrpcCode::ResourceExhausted,
        499 => GrpcCode::Cancelled,
        501 => GrpcCode::Unimplemented,
        503 => GrpcCode::Unavailable,
        504 => GrpcCode::DeadlineExceeded,
        500..=599 => GrpcCode::Internal,
        400..=499 => GrpcCode::InvalidArgument,
        _ => GrpcCode::Unknown,
    }
}

/// The body of an injected fault answer.
pub(crate) fn fault_body(status: StatusCode) -> (&'static str, String) {
    let code = code_for_status(status);
    let message = status.canonical_reason().unwrap_or("error");
    ("application/json", error_body(code, message).1.to_string())
}

/// A request refused with a gRPC code and a message.
#[derive(Debug)]
pub(crate) struct Refusal {
    pub(crate) code: GrpcCode,
    pub(crate) message: String,
}

impl Refusal {
    pub(crate) fn new(code: GrpcCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// The error answer.
    pub(crate) fn answer(&self) -> Response {
        error(self.code, &self.message)
    }
}

/// Checks the IAM token of a request.
pub(crate) fn authorize(state: &State, headers: &HeaderMap) -> Result<(), Refusal> {
    if !headers.contains_key("authorization") {
        return Err(Refusal::new(
            GrpcCode::Unauthenticated,
            "Authentication required: the Authorization header is missing",
        ));
    }
    match state.0.tokens.check_bearer(headers) {
        TokenCheck::Valid => Ok(()),
        TokenCheck::Expired => Err(Refusal::new(
            GrpcCode::Unauthenticated,
            "The token has expired",
        )),
        TokenCheck::Unknown => Err(Refusal::new(
            GrpcCode::Unauthenticated,
            "The token is invalid",
        )),
    }
}
