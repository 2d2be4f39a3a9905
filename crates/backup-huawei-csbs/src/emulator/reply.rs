//! Answers in Huawei's formats.

use axum::body::Body;
use axum::response::Response;
use backup_core::emulator::random_hex;
use http::{HeaderValue, StatusCode};
use serde_json::{Value, json};

/// The time format of CSBS bodies: `2016-12-06T21:20:29.898823` (UTC, no zone).
pub(crate) fn naive(at: time::OffsetDateTime) -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]"
    );
    at.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_default()
}

/// A JSON answer with an `X-Request-Id`.
pub(crate) fn json(status: StatusCode, body: &Value) -> Response {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    if let Ok(id) = HeaderValue::from_str(&random_hex(32)) {
        headers.insert("x-request-id", id);
    }
    response
}

/// `{"error_code": code, "error_msg": message}` (CSBS and the API gateway).
pub(crate) fn error(status: StatusCode, code: &str, message: &str) -> Response {
    json(status, &json!({"error_code": code, "error_msg": message}))
}

/// IAM's `{"error": {"code": status, "title": ..., "message": ...}}`.
pub(crate) fn iam_error(status: StatusCode, message: &str) -> Response {
    json(
        status,
        &json!({"error": {
            "code": status.as_u16(),
            "title": status.canonical_reason().unwrap_or("Error"),
            "message": message,
        }}),
    )
}

/// The body of an injected error answer ([`backup_core::emulator::Fault::Status`]):
/// `APIGW.0308` for 429 (the gateway's throttling code), `CSBS.9998` for 5xx, and
/// `CSBS.9001` (parameter check) otherwise.
#[must_use]
pub fn fault_body(status: StatusCode) -> (&'static str, String) {
    let (code, message) = match status.as_u16() {
        429 => (
            "APIGW.0308",
            "The throttling threshold has been reached: policy user over ratelimit",
        ),
        500..=599 => ("CSBS.9998", "System error."),
        _ => ("CSBS.9001", "Invalid request."),
    };
    (
        "application/json",
        json!({"error_code": code, "error_msg": message}).to_string(),
    )
}
