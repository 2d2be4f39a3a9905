//! Azure's `CloudError` bodies as backup-core errors.
//!
//! `{"error": {"code", "message", "target", "details", "additionalInfo"}}` becomes an
//! [`ApiError`] with the HTTP status, the code, the message (with the target and the
//! details' codes appended), the request id (`x-ms-request-id`, else
//! `x-ms-correlation-request-id`) and the `Retry-After` hint. A backup already in
//! progress (`UserErrorBackupOperationInProgress` and kin) is an
//! [`ApiErrorKind::Conflict`] whatever the status. Anything else (HTML from a proxy,
//! an empty or truncated body) keeps the status with a short excerpt.

use backup_core::transport::{ErrorDecoder, Response};
use backup_core::{ApiError, ApiErrorKind};

use crate::VENDOR;
use crate::model::{CloudError, CloudErrorBody};

/// The headers a request id is read from, first present wins.
pub const REQUEST_ID_HEADERS: [&str; 2] = ["x-ms-request-id", "x-ms-correlation-request-id"];

/// The error codes that say "another operation on this item is already running".
pub const IN_PROGRESS_CODES: [&str; 6] = [
    "UserErrorBackupOperationInProgress",
    "UserErrorAnotherOperationInProgress",
    "BMSUserErrorOperationInProgress",
    "UserErrorOperationInProgress",
    "AnotherOperationInProgress",
    "OperationInProgress",
];

/// Whether `code` says that a backup (or another operation) of the item is already
/// running: one of [`IN_PROGRESS_CODES`], or a `UserError…InProgress` code.
#[must_use]
pub fn is_in_progress_code(code: &str) -> bool {
    IN_PROGRESS_CODES
        .iter()
        .any(|known| known.eq_ignore_ascii_case(code))
        || (code.contains("UserError") && code.ends_with("InProgress"))
}

/// The [`ErrorDecoder`] of ARM's `CloudError`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiErrors;

impl ErrorDecoder for ApiErrors {
    fn decode_error(&self, response: &Response) -> ApiError {
        match serde_json::from_slice::<CloudError>(&response.body) {
            Ok(CloudError { error: Some(body) })
                if body.code.is_some() || body.message.is_some() =>
            {
                api_error(response.status.as_u16(), &body)
                    .with_request_id(response.request_id.clone())
                    .with_retry_after(response.retry_after())
            }
            _ => response.unparsed_error(),
        }
    }

    fn auth_hint(&self) -> &'static str {
        "check AZURE_ACCESS_TOKEN (it may have expired), or AZURE_TENANT_ID / AZURE_CLIENT_ID / \
         AZURE_CLIENT_SECRET, or `az login`, and that the identity holds a backup role on the vault"
    }
}

/// The [`ApiError`] for a `CloudErrorBody` answered with `status`.
#[must_use]
pub fn api_error(status: u16, body: &CloudErrorBody) -> ApiError {
    let mut api = ApiError::new(VENDOR, status, describe(body));
    if let Some(code) = body.code.as_deref().filter(|c| !c.is_empty()) {
        if is_in_progress_code(code) {
            api = api.with_kind(ApiErrorKind::Conflict);
        }
        api = api.with_code(code);
    }
    api
}

/// The message, the target and the details' codes and messages on one line.
fn describe(body: &CloudErrorBody) -> String {
    let mut text = body.message.clone().unwrap_or_default();
    if let Some(target) = body.target.as_deref().filter(|t| !t.is_empty()) {
        text.push_str(&format!(" (target: {target})"));
    }
    let details: Vec<String> = body
        .details
        .iter()
        .take(5)
        .map(
            |detail| match (detail.code.as_deref(), detail.message.as_deref()) {
                (Some(code), Some(message)) => format!("{code}: {message}"),
                (Some(text), None) | (None, Some(text)) => text.to_owned(),
                (None, None) => String::new(),
            },
        )
        .filter(|d| !d.is_empty())
        .collect();
    if !details.is_empty() {
        text.push_str(&format!("; details: {}", details.join("; ")));
    }
    text.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_progress_codes_are_conflicts() {
        for code in IN_PROGRESS_CODES {
            assert!(is_in_progress_code(code), "{code}");
        }
        assert!(is_in_progress_code("BMSUserErrorRestoreInProgress"));
        assert!(!is_in_progress_code("UserErrorVmNotFound"));
        let api = api_error(
            400,
            &CloudErrorBody::new("UserErrorBackupOperationInProgress", "busy"),
        );
        assert_eq!(api.kind, ApiErrorKind::Conflict);
        assert_eq!(api.status, 400);
    }

    #[test]
    fn details_and_target_are_described() {
        let mut body = CloudErrorBody::new("BadRequest", "The request is invalid.");
        body.target = Some("properties.objectType".into());
        body.details = vec![CloudErrorBody::new("InvalidObjectType", "unknown type")];
        assert_eq!(
            describe(&body),
            "The request is invalid. (target: properties.objectType); details: InvalidObjectType: unknown type"
        );
    }
}
