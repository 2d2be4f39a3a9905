//! Huawei's error bodies -> [`ApiError`].
//!
//! Two shapes are documented: CSBS and the API gateway answer
//! `{"error_code": "CSBS.1001", "error_msg": "...", "request_id"?: "..."}`; IAM and
//! other services `{"error": {"code": "...", "message": "...", "title"?: "..."}}` (IAM
//! sends `code` as a number). The request id comes from `X-Request-Id`, or from the
//! body's `request_id` when the header is missing.
//!
//! `CSBS.1001` ("The policy is executing backup.") comes with HTTP 500 but is a
//! [`ApiErrorKind::Conflict`]: a backup of the policy is already running, so the
//! trigger must not be retried and its outcome is known (nothing new started).

use backup_core::transport::ErrorDecoder;
use backup_core::{ApiError, ApiErrorKind, Response};
use serde::Deserialize;

use crate::VENDOR;

/// The code CSBS answers while a policy's backup is running.
pub const POLICY_EXECUTING: &str = "CSBS.1001";

/// The environment variables and settings to check when a credential is refused.
pub const AUTH_HINT: &str = "check HUAWEICLOUD_SDK_AK / HUAWEICLOUD_SDK_SK (and HUAWEICLOUD_SDK_SECURITY_TOKEN for temporary credentials) or the IAM user, password and domain, the project id (HUAWEICLOUD_SDK_PROJECT_ID), and that the local clock is right (X-Sdk-Date must be within 15 minutes)";

/// Either documented error body.
#[derive(Debug, Deserialize)]
struct Body {
    #[serde(default, deserialize_with = "backup_core::lenient::opt_text")]
    error_code: Option<String>,
    #[serde(default)]
    error_msg: Option<String>,
    #[serde(default)]
    request_id: Option<String>,
    #[serde(default)]
    error: Option<Nested>,
}

#[derive(Debug, Deserialize)]
struct Nested {
    #[serde(default, deserialize_with = "backup_core::lenient::opt_text")]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    title: Option<String>,
}

/// The kind a Huawei error code implies, when it says more than the status.
#[must_use]
pub fn kind_of_code(code: &str) -> Option<ApiErrorKind> {
    match code {
        POLICY_EXECUTING => Some(ApiErrorKind::Conflict),
        _ => None,
    }
}

/// Parses Huawei's error bodies (the [`ErrorDecoder`] of the client).
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiErrors;

impl ErrorDecoder for ApiErrors {
    fn decode_error(&self, response: &Response) -> ApiError {
        let Ok(body) = serde_json::from_slice::<Body>(&response.body) else {
            return response.unparsed_error();
        };
        let (code, message) = match (body.error_code, body.error_msg, body.error) {
            (code @ Some(_), message, _) | (code, message @ Some(_), None) => (code, message),
            (None, None, Some(nested)) => (nested.code, nested.message.or(nested.title)),
            (None, None, None) => return response.unparsed_error(),
            (None, Some(message), Some(nested)) => (nested.code, Some(message)),
        };
        let request_id = response.request_id.clone().or(body.request_id);
        let mut api = ApiError::new(
            VENDOR,
            response.status.as_u16(),
            message.unwrap_or_default(),
        )
        .with_request_id(request_id)
        .with_retry_after(response.retry_after());
        if let Some(code) = code {
            if let Some(kind) = kind_of_code(&code) {
                api = api.with_kind(kind);
            }
            api = api.with_code(code);
        }
        api
    }

    fn auth_hint(&self) -> &'static str {
        AUTH_HINT
    }
}
