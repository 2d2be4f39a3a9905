//! AWS error answers -> backup-core [`ApiError`].
//!
//! AWS Backup speaks `rest-json`. An error answer is read as AWS's own clients read it
//! (botocore's `RestJSONParser`):
//!
//! - the code comes from the `x-amzn-ErrorType` header, else the body's `Code` /
//!   `code`, else its `__type`; what follows a `:` and precedes a `#` is dropped;
//! - the message from the body's `message` / `Message`;
//! - the request id from `x-amzn-RequestId` (`x-amz-request-id` otherwise);
//! - a retry hint from `x-amz-retry-after` (milliseconds), else `Retry-After`.
//!
//! The kind follows the code where the HTTP status misleads: AWS Backup answers
//! `ResourceNotFoundException` with 400, throttling with 400 (`ThrottlingException`,
//! and every code AWS's retry rules treat as throttling: [`THROTTLING_CODES`]), and a
//! refused credential with 400 or 403 ([`CREDENTIAL_CODES`]: [`ApiErrorKind::Unauthorized`],
//! so the transport reports [`backup_core::Error::Auth`]). An expired session token
//! ([`EXPIRED_TOKEN_CODES`]) stays [`ApiErrorKind::Forbidden`] with its code: the
//! client fetches fresh credentials and sends the request once more.

use std::time::Duration;

use backup_core::transport::{ErrorDecoder, Response};
use backup_core::{ApiError, ApiErrorKind};

use crate::model::{ErrorBody, clean_error_code};

/// The environment variables and sources to check when a credential is refused.
pub const AUTH_HINT: &str = "check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / \
    AWS_SESSION_TOKEN, or the profile (AWS_PROFILE), SSO login, web identity, container \
    or instance role that the default credential chain found, and the system clock";

/// Codes AWS's clients retry as throttling (botocore's standard retry mode, the AWS
/// SDKs' shared list).
pub const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
];

/// Codes AWS's clients retry as transient (besides 500, 502, 503 and 504).
pub const TRANSIENT_CODES: &[&str] = &[
    "RequestTimeout",
    "RequestTimeoutException",
    "PriorRequestNotComplete",
];

/// Codes by which AWS refuses the credential or the signature itself.
pub const CREDENTIAL_CODES: &[&str] = &[
    "IncompleteSignature",
    "IncompleteSignatureException",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "MissingAuthenticationToken",
    "MissingAuthenticationTokenException",
    "InvalidAccessKeyId",
    "AuthFailure",
    "RequestExpired",
];

/// Codes by which AWS refuses an expired session token: fresh credentials may succeed.
pub const EXPIRED_TOKEN_CODES: &[&str] = &["ExpiredToken", "ExpiredTokenException"];

/// The header that names the error's code in rest-json answers.
pub const ERROR_TYPE_HEADER: &str = "x-amzn-errortype";
/// The header that carries the request id.
pub const REQUEST_ID_HEADER: &str = "x-amzn-requestid";
/// The retry hint AWS's newer retry rules read, in milliseconds.
pub const RETRY_AFTER_MS_HEADER: &str = "x-amz-retry-after";

/// The [`ErrorDecoder`] for AWS Backup answers.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiErrors;

impl ErrorDecoder for ApiErrors {
    fn decode_error(&self, response: &Response) -> ApiError {
        let body = serde_json::from_slice::<ErrorBody>(&response.body).ok();
        let header_code = response
            .header(ERROR_TYPE_HEADER)
            .map(clean_error_code)
            .filter(|code| !code.is_empty());
        let body_code = body.as_ref().and_then(|body| {
            body.code
                .as_deref()
                .or(body.type_name.as_deref())
                .map(clean_error_code)
                .filter(|code| !code.is_empty())
        });
        let Some(code) = header_code.or(body_code).map(str::to_owned) else {
            let mut api = response.unparsed_error();
            api.retry_after = retry_hint(response);
            return api;
        };
        let status = response.status.as_u16();
        let message = body
            .and_then(|body| body.message)
            .map(|message| response.redact(&message))
            .filter(|message| !message.trim().is_empty())
            .unwrap_or_else(|| {
                response
                    .status
                    .canonical_reason()
                    .unwrap_or("error")
                    .to_owned()
            });
        let mut error = ApiError::new(crate::VENDOR, status, message)
            .with_request_id(response.request_id.clone())
            .with_retry_after(retry_hint(response));
        if let Some(kind) = code_kind(&code) {
            error = error.with_kind(kind);
        }
        error.with_code(code)
    }

    fn auth_hint(&self) -> &'static str {
        AUTH_HINT
    }
}

/// The kind an AWS error code means, when it says more than the HTTP status.
#[must_use]
pub fn code_kind(code: &str) -> Option<ApiErrorKind> {
    let kind = if THROTTLING_CODES.contains(&code) {
        ApiErrorKind::Throttled
    } else if TRANSIENT_CODES.contains(&code) {
        ApiErrorKind::RequestTimeout
    } else if CREDENTIAL_CODES.contains(&code) {
        ApiErrorKind::Unauthorized
    } else {
        match code {
            "ResourceNotFoundException" => ApiErrorKind::NotFound,
            "ConflictException" | "AlreadyExistsException" | "InvalidResourceStateException" => {
                ApiErrorKind::Conflict
            }
            "InvalidParameterValueException"
            | "MissingParameterValueException"
            | "InvalidRequestException"
            | "ValidationException"
            | "ValidationError"
            | "SerializationException" => ApiErrorKind::BadRequest,
            "AccessDeniedException"
            | "NotAuthorized"
            | "OptInRequired"
            | "ExpiredToken"
            | "ExpiredTokenException" => ApiErrorKind::Forbidden,
            "ServiceUnavailableException" | "ServiceUnavailable" => ApiErrorKind::Unavailable,
            "InternalFailure" | "InternalServerError" | "DependencyFailureException" => {
                ApiErrorKind::Server
            }
            _ => return None,
        }
    };
    Some(kind)
}

/// Whether `code` says the session token expired.
#[must_use]
pub fn is_expired_token(code: Option<&str>) -> bool {
    code.is_some_and(|code| EXPIRED_TOKEN_CODES.contains(&code))
}

/// `x-amz-retry-after` (milliseconds), else the transport's `Retry-After` forms.
fn retry_hint(response: &Response) -> Option<Duration> {
    response
        .header(RETRY_AFTER_MS_HEADER)
        .and_then(|ms| ms.trim().parse::<u64>().ok())
        .map(Duration::from_millis)
        .or_else(|| response.retry_after())
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderMap, HeaderValue, StatusCode};

    fn decode(status: u16, headers: &[(&'static str, &str)], body: &str) -> ApiError {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        let response = Response::from_parts(
            crate::VENDOR,
            StatusCode::from_u16(status).unwrap(),
            map,
            body.to_owned(),
        );
        ApiErrors.decode_error(&response)
    }

    #[test]
    fn the_header_wins_then_code_then_type() {
        let api = decode(
            400,
            &[(
                "x-amzn-errortype",
                "ResourceNotFoundException:http://internal.amazon.com/coral/x/",
            )],
            r#"{"Code":"ERROR_1","__type":"Other","Message":"Vault v does not exist"}"#,
        );
        assert_eq!(api.code.as_deref(), Some("ResourceNotFoundException"));
        assert_eq!(api.kind, ApiErrorKind::NotFound);
        assert_eq!(api.message, "Vault v does not exist");
        let api = decode(
            400,
            &[],
            r#"{"code":"InvalidRequestException","message":"m"}"#,
        );
        assert_eq!(api.code.as_deref(), Some("InvalidRequestException"));
        assert_eq!(api.kind, ApiErrorKind::BadRequest);
        let api = decode(
            400,
            &[],
            r#"{"__type":"com.amazon.coral.availability#ThrottlingException","message":"Rate exceeded"}"#,
        );
        assert_eq!(api.code.as_deref(), Some("ThrottlingException"));
        assert_eq!(api.kind, ApiErrorKind::Throttled);
        assert!(api.kind.is_transient());
    }

    #[test]
    fn every_throttling_and_transient_code_is_retried() {
        for code in THROTTLING_CODES.iter().chain(TRANSIENT_CODES) {
            assert!(
                code_kind(code).is_some_and(ApiErrorKind::is_transient),
                "{code}"
            );
        }
        for code in CREDENTIAL_CODES {
            assert_eq!(code_kind(code), Some(ApiErrorKind::Unauthorized), "{code}");
        }
        assert_eq!(
            code_kind("ExpiredTokenException"),
            Some(ApiErrorKind::Forbidden)
        );
        assert!(is_expired_token(Some("ExpiredToken")));
        assert!(!is_expired_token(Some("AccessDeniedException")));
        assert_eq!(code_kind("SomethingNew"), None);
    }

    #[test]
    fn hints_and_unparsed_bodies() {
        let api = decode(
            400,
            &[("x-amz-retry-after", "1500")],
            r#"{"__type":"ThrottlingException"}"#,
        );
        assert_eq!(api.retry_after, Some(Duration::from_millis(1500)));
        assert_eq!(api.message, "Bad Request");
        let api = decode(502, &[("retry-after", "2")], "<html>Bad Gateway</html>");
        assert_eq!(api.code, None);
        assert_eq!(api.kind, ApiErrorKind::Server);
        assert_eq!(api.retry_after, Some(Duration::from_secs(2)));
        let api = decode(503, &[], "");
        assert_eq!(api.kind, ApiErrorKind::Unavailable);
    }
}
