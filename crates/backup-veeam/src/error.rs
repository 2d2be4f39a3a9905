//! Veeam's error answers -> [`ApiError`].
//!
//! The appliance answers errors as RFC 7807 `application/problem+json`:
//! `{type, title, status, detail, instance, traceId}`, with `errors` on a 400 and
//! `resourceId` / `sessionId` on a 409. The `traceId` is the request id. The token
//! endpoint may answer in the OAuth form `{error, error_description}`; both are read.
//! Anything else (an HTML page from a proxy, an empty or cut body) keeps a short
//! excerpt.

use backup_core::transport::{ErrorDecoder, Response};
use backup_core::{ApiError, ApiErrorKind};
use serde::Deserialize;

use crate::model::ProblemDetails;

/// The [`ErrorDecoder`] of Veeam Backup for Microsoft Azure.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiErrors;

/// The OAuth error form some token endpoints use.
#[derive(Deserialize)]
struct OAuthError {
    error: String,
    error_description: Option<String>,
}

impl ApiErrors {
    /// Reads a problem body, if the answer carries one.
    #[must_use]
    pub fn problem(response: &Response) -> Option<ProblemDetails> {
        serde_json::from_slice::<ProblemDetails>(&response.body)
            .ok()
            .filter(ProblemDetails::is_problem)
    }
}

impl ErrorDecoder for ApiErrors {
    fn decode_error(&self, response: &Response) -> ApiError {
        let status = response.status.as_u16();
        if let Some(problem) = Self::problem(response) {
            let mut message = match (&problem.title, &problem.detail) {
                (Some(title), Some(detail)) if title != detail => format!("{title}: {detail}"),
                (_, Some(detail)) => detail.clone(),
                (Some(title), None) => title.clone(),
                (None, None) => response.unparsed_error().message,
            };
            if let Some(errors) = problem.errors.as_ref().and_then(summarize_errors) {
                message.push_str(" (");
                message.push_str(&errors);
                message.push(')');
            }
            if let Some(session) = &problem.session_id {
                message.push_str(&format!(" [running session {session}]"));
            }
            // Secrets the request carried never reach the error, even when echoed.
            let mut api = ApiError::new(crate::VENDOR, status, response.redact(&message))
                .with_request_id(problem.trace_id.clone().or(response.request_id.clone()))
                .with_retry_after(response.retry_after());
            if let Some(code) = problem
                .problem_type
                .filter(|t| !t.is_empty() && t != "about:blank")
            {
                api = api.with_code(code);
            }
            if status == 409 {
                api = api.with_kind(ApiErrorKind::Conflict);
            }
            return api;
        }
        if let Ok(oauth) = serde_json::from_slice::<OAuthError>(&response.body) {
            let message = oauth
                .error_description
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| oauth.error.clone());
            return ApiError::new(crate::VENDOR, status, response.redact(&message))
                .with_code(response.redact(&oauth.error))
                .with_request_id(response.request_id.clone())
                .with_retry_after(response.retry_after());
        }
        response.unparsed_error()
    }

    fn auth_hint(&self) -> &'static str {
        "check VEEAM_USERNAME and VEEAM_PASSWORD (or VEEAM_ACCESS_TOKEN) and that the user may use the REST API"
    }
}

/// `field: message; field: message` from a validation `errors` object, kept short.
fn summarize_errors(errors: &serde_json::Value) -> Option<String> {
    let object = errors.as_object()?;
    let mut parts = Vec::new();
    for (field, messages) in object {
        let text = match messages {
            serde_json::Value::Array(items) => items
                .iter()
                .filter_map(serde_json::Value::as_str)
                .collect::<Vec<_>>()
                .join(", "),
            serde_json::Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        parts.push(format!("{field}: {text}"));
    }
    let joined = parts.join("; ");
    (!joined.is_empty()).then(|| joined.chars().take(300).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderMap, HeaderValue, StatusCode};

    fn answer(status: u16, body: &str) -> Response {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", HeaderValue::from_static("3"));
        Response::from_parts(
            crate::VENDOR,
            StatusCode::from_u16(status).unwrap(),
            headers,
            body.to_owned(),
        )
    }

    #[test]
    fn problems_oauth_errors_and_the_rest() {
        let api = ApiErrors.decode_error(&answer(
            409,
            r#"{"type":"about:blank","title":"Conflict","status":409,"detail":"Already running.","traceId":"t-1","sessionId":"5"}"#,
        ));
        assert_eq!(api.kind, ApiErrorKind::Conflict);
        assert_eq!(api.code, None);
        assert_eq!(
            api.message,
            "Conflict: Already running. [running session 5]"
        );
        assert_eq!(api.request_id.as_deref(), Some("t-1"));
        assert_eq!(api.retry_after, Some(std::time::Duration::from_secs(3)));

        let api = ApiErrors.decode_error(&answer(
            400,
            r#"{"error":"invalid_grant","error_description":"The refresh token expired."}"#,
        ));
        assert_eq!(api.code.as_deref(), Some("invalid_grant"));
        assert_eq!(api.message, "The refresh token expired.");

        let api = ApiErrors.decode_error(&answer(503, "<html>busy</html>"));
        assert_eq!(api.kind, ApiErrorKind::Unavailable);
        assert!(api.message.contains("<html>busy</html>"), "{}", api.message);

        let api = ApiErrors.decode_error(&answer(500, ""));
        assert!(api.message.contains("empty body"), "{}", api.message);

        // A JSON body that is no problem is excerpted, not misread.
        let api = ApiErrors.decode_error(&answer(500, r#"{"unrelated":true}"#));
        assert!(api.message.contains("unrelated"), "{}", api.message);
    }
}
