//! Yandex Cloud error bodies -> backup-core [`ApiError`].
//!
//! Every Yandex API answers errors as `google.rpc.Status` in JSON:
//! `{"code": 9, "message": "...", "details": [{"@type":
//! "type.googleapis.com/google.rpc.RequestInfo", "requestId": "..."}]}`.
//!
//! - The gRPC code is kept as [`ApiError::code`] by **name** (`FAILED_PRECONDITION`;
//!   a code outside `google.rpc.Code` keeps its number).
//! - The kind follows the gRPC code where it is more precise than the HTTP status
//!   (`FAILED_PRECONDITION` is sent as 400 but is [`ApiErrorKind::PreconditionFailed`]);
//!   the gateway's statuses are: 3, 9, 11 -> 400; 5 -> 404; 6, 10 -> 409; 7 -> 403;
//!   8 -> 429; 14 -> 503; 16 -> 401; 4 -> 504; 2, 13, 15 -> 500.
//! - The request id comes from the `RequestInfo` detail, else from `x-request-id` /
//!   `x-server-trace-id`.
//! - A body that is not in this format (an HTML page from a proxy, an empty or
//!   truncated body) gives an error with a short excerpt.

use backup_core::transport::{ErrorDecoder, Response};
use backup_core::{ApiError, ApiErrorKind};

use crate::model::{GrpcCode, Status};

/// The environment variables and sources to check when a credential is refused.
pub const AUTH_HINT: &str = "check YC_IAM_TOKEN, YC_TOKEN or YC_SERVICE_ACCOUNT_KEY_FILE \
    (or the VM's service account) and that the IAM token is not older than 12 hours";

/// The [`ErrorDecoder`] for Yandex Cloud answers.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiErrors;

impl ErrorDecoder for ApiErrors {
    fn decode_error(&self, response: &Response) -> ApiError {
        match serde_json::from_slice::<Status>(&response.body) {
            Ok(status) => api_error(response, &status),
            Err(_) => response.unparsed_error(),
        }
    }

    fn auth_hint(&self) -> &'static str {
        AUTH_HINT
    }
}

/// The [`ApiErrorKind`] a gRPC code means, when it says more than the HTTP status.
#[must_use]
pub fn grpc_kind(code: GrpcCode) -> Option<ApiErrorKind> {
    Some(match code {
        GrpcCode::InvalidArgument | GrpcCode::OutOfRange => ApiErrorKind::BadRequest,
        GrpcCode::FailedPrecondition => ApiErrorKind::PreconditionFailed,
        GrpcCode::NotFound => ApiErrorKind::NotFound,
        GrpcCode::AlreadyExists | GrpcCode::Aborted => ApiErrorKind::Conflict,
        GrpcCode::PermissionDenied => ApiErrorKind::Forbidden,
        GrpcCode::ResourceExhausted => ApiErrorKind::Throttled,
        GrpcCode::Unavailable => ApiErrorKind::Unavailable,
        GrpcCode::Unauthenticated => ApiErrorKind::Unauthorized,
        GrpcCode::Unknown
        | GrpcCode::Internal
        | GrpcCode::DataLoss
        | GrpcCode::DeadlineExceeded => ApiErrorKind::Server,
        GrpcCode::Cancelled | GrpcCode::Unimplemented => ApiErrorKind::Other,
        GrpcCode::Ok | GrpcCode::Other(_) => return None,
    })
}

fn api_error(response: &Response, status: &Status) -> ApiError {
    let http = response.status.as_u16();
    let request_id = status
        .request_id()
        .map(str::to_owned)
        .or_else(|| response.request_id.clone());
    let message = if status.message.is_empty() {
        response
            .status
            .canonical_reason()
            .unwrap_or("error")
            .to_owned()
    } else {
        status.message.clone()
    };
    let mut error = ApiError::new(crate::VENDOR, http, message)
        .with_code(status.code.name())
        .with_request_id(request_id)
        .with_retry_after(response.retry_after());
    if let Some(kind) = grpc_kind(status.code) {
        error = error.with_kind(kind);
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_kind_consistent_with_its_status() {
        for n in 0..=16 {
            let code = GrpcCode::from_i64(n);
            let status = code.http_status();
            match grpc_kind(code) {
                None => assert_eq!(code, GrpcCode::Ok),
                Some(ApiErrorKind::PreconditionFailed) => assert_eq!(status, 400),
                Some(ApiErrorKind::Other) => assert!(status == 499 || status == 501),
                Some(kind) => assert_eq!(kind, ApiErrorKind::from_status(status), "{code}"),
            }
        }
    }
}
