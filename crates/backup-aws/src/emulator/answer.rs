//! Answers in AWS's rest-json format: JSON bodies with `x-amzn-RequestId`, errors named
//! by `x-amzn-ErrorType` with a `Code` and `Message` body (the members of every AWS
//! Backup error shape).

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::sigv4::Refusal;

/// A fresh request id.
pub(crate) fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// An answer with `x-amzn-RequestId`.
pub(crate) fn answer(status: StatusCode, content_type: &'static str, body: String) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert("content-type", HeaderValue::from_static(content_type));
    if let Ok(id) = HeaderValue::from_str(&request_id()) {
        headers.insert("x-amzn-requestid", id);
    }
    response
}

/// A JSON answer.
pub(crate) fn json_answer(status: StatusCode, body: &Value) -> Response {
    answer(status, "application/json", body.to_string())
}

/// An error of AWS Backup itself: `x-amzn-ErrorType: {code}`, body `{Code, Message}`.
pub(crate) fn error(status: u16, code: &str, message: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = json_answer(status, &json!({ "Code": code, "Message": message }));
    if let Ok(value) = HeaderValue::from_str(code) {
        response.headers_mut().insert("x-amzn-errortype", value);
    }
    response
}

/// A refusal of AWS's front end (signature, credentials): `x-amzn-ErrorType` and a
/// `{message}` body.
pub(crate) fn refusal(refusal: &Refusal) -> Response {
    let status = StatusCode::from_u16(refusal.status).unwrap_or(StatusCode::FORBIDDEN);
    let mut response = json_answer(status, &json!({ "message": refusal.message }));
    if let Ok(value) = HeaderValue::from_str(refusal.code) {
        response.headers_mut().insert("x-amzn-errortype", value);
    }
    response
}

/// The AWS error code an injected status stands for.
pub(crate) fn code_for_status(status: StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        401 | 403 => (
            "AccessDeniedException",
            "You do not have sufficient access to perform this action.",
        ),
        404 => (
            "ResourceNotFoundException",
            "A resource that is required for the action doesn't exist.",
        ),
        409 => (
            "ConflictException",
            "Backup can't perform the action that you requested until it finishes performing a previous action.",
        ),
        413 => ("InvalidRequestException", "The request is too large."),
        429 => ("ThrottlingException", "Rate exceeded"),
        500 => (
            "InternalFailure",
            "The request processing has failed because of an unknown error, exception or failure.",
        ),
        503 => (
            "ServiceUnavailable",
            "The request has failed due to a temporary failure of the server.",
        ),
        other if (501..=599).contains(&other) => (
            "ServiceUnavailableException",
            "The request failed due to a temporary failure of the server.",
        ),
        _ => (
            "InvalidRequestException",
            "Indicates that something is wrong with the input to the request.",
        ),
    }
}

/// The body of an injected fault answer (the server adds no header, so the code goes
/// in `__type`).
pub(crate) fn fault_body(status: StatusCode) -> (&'static str, String) {
    let (code, message) = code_for_status(status);
    (
        "application/json",
        json!({ "__type": code, "message": message }).to_string(),
    )
}
