//! The one error type of backup-rs.
//!
//! Every variant says whether the request that failed may have reached the service
//! ([`Error::request_sent`]): a caller deciding whether to trigger a backup again must
//! know, because triggering twice starts two backups.

use std::fmt;
use std::time::Duration;

use crate::operation::Operation;

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Whether the request behind an error may have reached the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestSent {
    /// Nothing was sent: the error came before any byte left, or the connection was
    /// refused.
    No,
    /// The request may have been sent and acted upon; nothing says it was not.
    Maybe,
    /// The service received the request and answered it.
    Yes,
}

/// What kind of failure a service reported, derived from the HTTP status and refined
/// by the vendor's own error code where the status alone misleads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ApiErrorKind {
    /// 400 or 422: the request was malformed or invalid.
    BadRequest,
    /// 401: the credential was rejected.
    Unauthorized,
    /// 403: the credential lacks permission.
    Forbidden,
    /// 404: the resource does not exist.
    NotFound,
    /// 409 or the vendor's "already running" code: the request conflicts with the
    /// resource's current state, typically a backup already in progress.
    Conflict,
    /// 412 or the vendor's "failed precondition": the resource is not ready for this
    /// request (for example a policy not applied to the instance).
    PreconditionFailed,
    /// 408: the service gave up waiting for the request.
    RequestTimeout,
    /// 429: too many requests; retry after the hint.
    Throttled,
    /// 500, 502, 504: the service failed; it may or may not have acted.
    Server,
    /// 503: the service is unavailable and did not act.
    Unavailable,
    /// Any other status.
    Other,
}

impl ApiErrorKind {
    /// The kind an HTTP status implies when the vendor says nothing more precise.
    #[must_use]
    pub fn from_status(status: u16) -> Self {
        match status {
            400 | 422 => Self::BadRequest,
            401 => Self::Unauthorized,
            403 => Self::Forbidden,
            404 | 410 => Self::NotFound,
            409 => Self::Conflict,
            412 => Self::PreconditionFailed,
            408 => Self::RequestTimeout,
            429 => Self::Throttled,
            503 => Self::Unavailable,
            500..=599 => Self::Server,
            _ => Self::Other,
        }
    }

    /// Whether a request that failed with this kind may succeed when repeated unchanged.
    #[must_use]
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            Self::RequestTimeout | Self::Throttled | Self::Server | Self::Unavailable
        )
    }

    /// A stable lower-case name (`bad_request`, `throttled`, ...) for JSON output.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadRequest => "bad_request",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::Conflict => "conflict",
            Self::PreconditionFailed => "precondition_failed",
            Self::RequestTimeout => "request_timeout",
            Self::Throttled => "throttled",
            Self::Server => "server",
            Self::Unavailable => "unavailable",
            Self::Other => "other",
        }
    }
}

impl fmt::Display for ApiErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error answer from a service: it received the request and refused it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiError {
    /// The vendor that answered (`azure`, `yandex`, ...).
    pub vendor: &'static str,
    /// The HTTP status. Commvault reports errors with 200; its errors keep 200 here.
    pub status: u16,
    /// What kind of failure this is.
    pub kind: ApiErrorKind,
    /// The vendor's own error code (`UserErrorBackupOperationInProgress`, `CSBS.1001`, a
    /// gRPC code, a Commvault errorCode ...), when the answer carried one.
    pub code: Option<String>,
    /// The vendor's message, or a short excerpt of an unparsable body.
    pub message: String,
    /// The request id the service gave, for its support.
    pub request_id: Option<String>,
    /// The service's hint for when to retry.
    pub retry_after: Option<Duration>,
}

impl ApiError {
    /// An error of the kind the status implies, with the given message.
    #[must_use]
    pub fn new(vendor: &'static str, status: u16, message: impl Into<String>) -> Self {
        Self {
            vendor,
            status,
            kind: ApiErrorKind::from_status(status),
            code: None,
            message: message.into(),
            request_id: None,
            retry_after: None,
        }
    }

    /// Sets the vendor's error code.
    #[must_use]
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// Overrides the kind the status implied.
    #[must_use]
    pub fn with_kind(mut self, kind: ApiErrorKind) -> Self {
        self.kind = kind;
        self
    }

    /// Sets the request id.
    #[must_use]
    pub fn with_request_id(mut self, request_id: Option<String>) -> Self {
        self.request_id = request_id;
        self
    }

    /// Sets the retry hint.
    #[must_use]
    pub fn with_retry_after(mut self, retry_after: Option<Duration>) -> Self {
        self.retry_after = retry_after;
        self
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} answered {} ({})",
            self.vendor, self.status, self.kind
        )?;
        if let Some(code) = &self.code {
            write!(f, " {code}")?;
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " [request id {id}]")?;
        }
        Ok(())
    }
}

/// Every error backup-rs returns.
///
/// Messages name the vendor and, where possible, what to do. None of them ever contains
/// a secret: bodies are excerpted only from answers, and credentials never enter them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input was rejected before any request was built. Nothing was sent.
    #[error("{vendor}: invalid {field}: {reason}")]
    InvalidInput {
        /// The vendor whose client refused the input.
        vendor: &'static str,
        /// The field at fault (`policy_id`, `endpoint`, ...).
        field: String,
        /// Why it was refused.
        reason: String,
    },

    /// The client is not configured well enough to be built (missing environment
    /// variable, unreadable key file, bad certificate ...). Nothing was sent.
    #[error("{vendor}: configuration error: {message}")]
    Config {
        /// The vendor being configured.
        vendor: &'static str,
        /// What is wrong and how to fix it.
        message: String,
    },

    /// Authentication failed: the credential was rejected, a token exchange failed, or
    /// a step such as MFA is required. The request it guarded was not acted upon
    /// (the service refused it, or it was never sent).
    #[error("{vendor}: authentication failed{}: {message}", status_suffix(*.status))]
    Auth {
        /// The vendor that refused.
        vendor: &'static str,
        /// The HTTP status of the refusal, if one came.
        status: Option<u16>,
        /// What failed and what to check.
        message: String,
        /// The vendor's error code of the refusal (a gRPC `UNAUTHENTICATED`, an ARM
        /// `InvalidAuthenticationToken` ...), when its answer carried one.
        code: Option<String>,
        /// The request id of the refusal.
        request_id: Option<String>,
    },

    /// The service received the request and answered with an error. The request was
    /// sent ([`RequestSent::Yes`]) and refused.
    #[error("{0}")]
    Api(Box<ApiError>),

    /// The request could not be completed at the transport level (connection refused,
    /// reset, timed out, TLS failure). [`Error::request_sent`] tells whether it may
    /// have reached the service.
    #[error("{vendor}: {message}")]
    Transport {
        /// The vendor being called.
        vendor: &'static str,
        /// What went wrong.
        message: String,
        /// Whether the request may have been sent.
        sent: RequestSent,
        /// The underlying error.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },

    /// The service answered, but the answer could not be understood (malformed JSON or
    /// XML, an HTML page from a proxy, an empty or oversized body). The request was sent.
    #[error("{vendor}: could not decode the answer ({status}): {message}{}", excerpt_suffix(.body_excerpt))]
    Decode {
        /// The vendor that answered.
        vendor: &'static str,
        /// The HTTP status of the answer.
        status: u16,
        /// What could not be decoded.
        message: String,
        /// A short excerpt of the body (never of a request; never a credential).
        body_excerpt: String,
        /// The request id of the answer.
        request_id: Option<String>,
    },

    /// A trigger was sent and no usable answer came back: the backup may or may not
    /// have started. It is never re-sent blindly; check the vendor's console or list
    /// its running jobs before triggering again.
    #[error("{vendor}: outcome unknown for {action}: {reason}; the backup may have started, check before triggering again{}", request_id_suffix(.request_id))]
    OutcomeUnknown {
        /// The vendor called.
        vendor: &'static str,
        /// What was being done (`trigger backup of policy p-1`).
        action: String,
        /// Why the outcome is unknown.
        reason: String,
        /// The HTTP status, if an error answer came.
        status: Option<u16>,
        /// The request id, if one came back.
        request_id: Option<String>,
    },

    /// The backup ran and ended as failed or cancelled. The operation tells how.
    #[error("{}: backup {} ended {}{}", .0.reference.vendor, .0.reference, .0.status, message_suffix(.0))]
    OperationFailed(Box<Operation>),

    /// The deadline passed while waiting. The backup keeps running; the operation
    /// carried here is the last one seen, and waiting can resume from it.
    #[error("{}: gave up waiting after {waited:?}; backup {} is still {} (resume with its reference)", .operation.reference.vendor, .operation.reference, .operation.status)]
    Timeout {
        /// The last known state of the operation.
        operation: Box<Operation>,
        /// How long the wait lasted.
        waited: Duration,
    },

    /// The operation does not support what was asked (cancelling where the vendor has
    /// no cancel, for example). Nothing was sent.
    #[error("{vendor}: {what} is not supported")]
    Unsupported {
        /// The vendor.
        vendor: &'static str,
        /// What was asked.
        what: String,
    },
}

fn status_suffix(status: Option<u16>) -> String {
    status.map(|s| format!(" ({s})")).unwrap_or_default()
}

fn excerpt_suffix(excerpt: &str) -> String {
    if excerpt.is_empty() {
        " (empty body)".to_owned()
    } else {
        format!(": {excerpt:?}")
    }
}

fn request_id_suffix(id: &Option<String>) -> String {
    id.as_ref()
        .map(|id| format!(" [request id {id}]"))
        .unwrap_or_default()
}

fn message_suffix(op: &Operation) -> String {
    let mut out = String::new();
    if let Some(error) = &op.error {
        out.push_str(": ");
        out.push_str(&error.to_string());
    } else if let Some(message) = &op.message {
        out.push_str(": ");
        out.push_str(message);
    }
    out
}

/// The longest body excerpt kept in an error.
pub const BODY_EXCERPT_LIMIT: usize = 200;

/// A short, printable excerpt of a response body for error messages: at most
/// [`BODY_EXCERPT_LIMIT`] characters, control characters replaced, cut on a character
/// boundary.
#[must_use]
pub fn body_excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out = String::new();
    for (count, c) in text.trim().chars().enumerate() {
        if count == BODY_EXCERPT_LIMIT {
            out.push('…');
            break;
        }
        out.push(if c.is_control() { ' ' } else { c });
    }
    out
}

impl Error {
    /// An [`Error::InvalidInput`].
    pub fn invalid_input(
        vendor: &'static str,
        field: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Self::InvalidInput {
            vendor,
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// An [`Error::Config`].
    pub fn config(vendor: &'static str, message: impl Into<String>) -> Self {
        Self::Config {
            vendor,
            message: message.into(),
        }
    }

    /// An [`Error::Auth`] without an HTTP answer.
    pub fn auth(vendor: &'static str, message: impl Into<String>) -> Self {
        Self::Auth {
            vendor,
            status: None,
            message: message.into(),
            code: None,
            request_id: None,
        }
    }

    /// An [`Error::Decode`] for an answer whose body could not be understood.
    pub fn decode(
        vendor: &'static str,
        status: u16,
        message: impl Into<String>,
        body: &[u8],
        request_id: Option<String>,
    ) -> Self {
        Self::Decode {
            vendor,
            status,
            message: message.into(),
            body_excerpt: body_excerpt(body),
            request_id,
        }
    }

    /// Whether the request may have reached the service.
    #[must_use]
    pub fn request_sent(&self) -> RequestSent {
        match self {
            Self::InvalidInput { .. } | Self::Config { .. } | Self::Unsupported { .. } => {
                RequestSent::No
            }
            Self::Transport { sent, .. } => *sent,
            Self::OutcomeUnknown { .. } => RequestSent::Maybe,
            Self::Auth { status, .. } => {
                if status.is_some() {
                    RequestSent::Yes
                } else {
                    RequestSent::Maybe
                }
            }
            Self::Api(_)
            | Self::Decode { .. }
            | Self::OperationFailed(_)
            | Self::Timeout { .. } => RequestSent::Yes,
        }
    }

    /// Whether the service may have acted on the request behind this error although no
    /// usable answer came: a request that may have been sent and was not answered
    /// (transport failure after sending, timeout), an answer that could not be read, a
    /// 5xx or 408 that does not say whether the service acted. Never true for a failure
    /// of the credential step before the request (the transport turns those into
    /// [`Error::Auth`] or an unsent [`Error::Transport`]).
    #[must_use]
    pub fn may_have_been_acted_on(&self) -> bool {
        match self {
            Self::Transport { sent, .. } => *sent != RequestSent::No,
            Self::Decode { .. } | Self::OutcomeUnknown { .. } => true,
            Self::Api(api) => matches!(
                api.kind,
                ApiErrorKind::Server | ApiErrorKind::RequestTimeout
            ),
            _ => false,
        }
    }

    /// The error of a trigger, as the caller must see it: [`Error::OutcomeUnknown`]
    /// for `action` when the trigger itself may have reached the service
    /// ([`Error::may_have_been_acted_on`]), with `note` (what makes a repeat safe, if
    /// anything) after the reason; the error unchanged otherwise. For a vendor that
    /// sends its trigger as a repeatable request (an idempotency key) and so cannot
    /// leave the classification to [`crate::Transport::send`]: the one rule that an
    /// unknown outcome needs the trigger to have been sent.
    #[must_use]
    pub fn into_trigger_outcome(self, action: &str, note: &str) -> Self {
        if matches!(self, Self::OutcomeUnknown { .. }) || !self.may_have_been_acted_on() {
            return self;
        }
        let reason = if note.is_empty() {
            self.to_string()
        } else {
            format!("{self}; {note}")
        };
        Self::OutcomeUnknown {
            vendor: match &self {
                Self::Transport { vendor, .. } | Self::Decode { vendor, .. } => vendor,
                Self::Api(api) => api.vendor,
                _ => "backup",
            },
            action: action.to_owned(),
            reason,
            status: self.status(),
            request_id: self.request_id().map(str::to_owned),
        }
    }

    /// Whether repeating the same call later may succeed. An [`Error::OutcomeUnknown`]
    /// is not retryable: the backup may already be running.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Api(api) => api.kind.is_transient(),
            Self::Transport { .. } | Self::Timeout { .. } => true,
            _ => false,
        }
    }

    /// The HTTP status of the answer behind this error, if one came.
    #[must_use]
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api(api) => Some(api.status),
            Self::Decode { status, .. } => Some(*status),
            Self::Auth { status, .. } | Self::OutcomeUnknown { status, .. } => *status,
            _ => None,
        }
    }

    /// The request id the service gave, if any.
    #[must_use]
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Self::Api(api) => api.request_id.as_deref(),
            Self::Decode { request_id, .. }
            | Self::Auth { request_id, .. }
            | Self::OutcomeUnknown { request_id, .. } => request_id.as_deref(),
            Self::OperationFailed(op) => op.error.as_ref().and_then(|e| e.request_id.as_deref()),
            _ => None,
        }
    }

    /// The vendor concerned.
    #[must_use]
    pub fn vendor(&self) -> &str {
        match self {
            Self::InvalidInput { vendor, .. }
            | Self::Config { vendor, .. }
            | Self::Auth { vendor, .. }
            | Self::Transport { vendor, .. }
            | Self::Decode { vendor, .. }
            | Self::OutcomeUnknown { vendor, .. }
            | Self::Unsupported { vendor, .. } => vendor,
            Self::Api(api) => api.vendor,
            Self::OperationFailed(op) => &op.reference.vendor,
            Self::Timeout { operation, .. } => &operation.reference.vendor,
        }
    }

    /// The vendor's error code, if the answer carried one.
    #[must_use]
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Api(api) => api.code.as_deref(),
            Self::Auth { code, .. } => code.as_deref(),
            Self::OperationFailed(op) => op.error.as_ref().and_then(|e| e.code.as_deref()),
            _ => None,
        }
    }

    /// The [`ApiError`] behind this error, if the service answered with one.
    #[must_use]
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Self::Api(api) => Some(api),
            _ => None,
        }
    }

    /// The operation carried by [`Error::OperationFailed`] and [`Error::Timeout`].
    #[must_use]
    pub fn operation(&self) -> Option<&Operation> {
        match self {
            Self::OperationFailed(op) | Self::Timeout { operation: op, .. } => Some(op),
            _ => None,
        }
    }

    /// A copy of this error for another caller that shared the same failed work (a
    /// token fetch, for instance). A transport error's source is folded into the
    /// message, since sources cannot be copied.
    #[must_use]
    pub fn shared_copy(&self) -> Self {
        match self {
            Self::InvalidInput {
                vendor,
                field,
                reason,
            } => Self::InvalidInput {
                vendor,
                field: field.clone(),
                reason: reason.clone(),
            },
            Self::Config { vendor, message } => Self::Config {
                vendor,
                message: message.clone(),
            },
            Self::Auth {
                vendor,
                status,
                message,
                code,
                request_id,
            } => Self::Auth {
                vendor,
                status: *status,
                message: message.clone(),
                code: code.clone(),
                request_id: request_id.clone(),
            },
            Self::Api(api) => Self::Api(api.clone()),
            Self::Transport {
                vendor,
                message,
                sent,
                source,
            } => Self::Transport {
                vendor,
                message: match source {
                    Some(source) => format!("{message}: {source}"),
                    None => message.clone(),
                },
                sent: *sent,
                source: None,
            },
            Self::Decode {
                vendor,
                status,
                message,
                body_excerpt,
                request_id,
            } => Self::Decode {
                vendor,
                status: *status,
                message: message.clone(),
                body_excerpt: body_excerpt.clone(),
                request_id: request_id.clone(),
            },
            Self::OutcomeUnknown {
                vendor,
                action,
                reason,
                status,
                request_id,
            } => Self::OutcomeUnknown {
                vendor,
                action: action.clone(),
                reason: reason.clone(),
                status: *status,
                request_id: request_id.clone(),
            },
            Self::OperationFailed(op) => Self::OperationFailed(op.clone()),
            Self::Timeout { operation, waited } => Self::Timeout {
                operation: operation.clone(),
                waited: *waited,
            },
            Self::Unsupported { vendor, what } => Self::Unsupported {
                vendor,
                what: what.clone(),
            },
        }
    }

    /// A stable lower-case name of the variant (`invalid_input`, `api`, ...), for JSON
    /// output and metrics.
    #[must_use]
    pub fn kind_name(&self) -> &'static str {
        match self {
            Self::InvalidInput { .. } => "invalid_input",
            Self::Config { .. } => "config",
            Self::Auth { .. } => "auth",
            Self::Api(_) => "api",
            Self::Transport { .. } => "transport",
            Self::Decode { .. } => "decode",
            Self::OutcomeUnknown { .. } => "outcome_unknown",
            Self::OperationFailed(_) => "operation_failed",
            Self::Timeout { .. } => "timeout",
            Self::Unsupported { .. } => "unsupported",
        }
    }
}

impl From<ApiError> for Error {
    fn from(api: ApiError) -> Self {
        Self::Api(Box::new(api))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_status() {
        assert_eq!(ApiErrorKind::from_status(400), ApiErrorKind::BadRequest);
        assert_eq!(ApiErrorKind::from_status(404), ApiErrorKind::NotFound);
        assert_eq!(ApiErrorKind::from_status(409), ApiErrorKind::Conflict);
        assert_eq!(ApiErrorKind::from_status(429), ApiErrorKind::Throttled);
        assert_eq!(ApiErrorKind::from_status(502), ApiErrorKind::Server);
        assert_eq!(ApiErrorKind::from_status(503), ApiErrorKind::Unavailable);
        assert_eq!(ApiErrorKind::from_status(302), ApiErrorKind::Other);
    }

    #[test]
    fn api_error_display_names_vendor_code_and_request_id() {
        let err: Error = ApiError::new("huawei-csbs", 500, "The policy is executing backup.")
            .with_code("CSBS.1001")
            .with_kind(ApiErrorKind::Conflict)
            .with_request_id(Some("req-1".into()))
            .into();
        assert_eq!(
            err.to_string(),
            "huawei-csbs answered 500 (conflict) CSBS.1001: The policy is executing backup. [request id req-1]"
        );
        assert!(!err.is_retryable());
        assert_eq!(err.status(), Some(500));
        assert_eq!(err.request_id(), Some("req-1"));
        assert_eq!(err.code(), Some("CSBS.1001"));
        assert_eq!(err.request_sent(), RequestSent::Yes);
    }

    #[test]
    fn excerpt_is_short_and_printable() {
        let body = format!("<html>\n{}</html>", "x".repeat(500));
        let excerpt = body_excerpt(body.as_bytes());
        assert!(excerpt.chars().count() <= BODY_EXCERPT_LIMIT + 1);
        assert!(!excerpt.contains('\n'));
        assert_eq!(body_excerpt(b""), "");
        assert_eq!(body_excerpt(&[0xff, 0xfe]), "\u{fffd}\u{fffd}");
    }

    #[test]
    fn outcome_unknown_says_to_check() {
        let err = Error::OutcomeUnknown {
            vendor: "azure",
            action: "trigger backup".into(),
            reason: "the connection closed before the answer".into(),
            status: None,
            request_id: Some("abc".into()),
        };
        let text = err.to_string();
        assert!(text.contains("check before triggering again"), "{text}");
        assert!(text.contains("abc"));
        assert_eq!(err.request_sent(), RequestSent::Maybe);
        assert!(!err.is_retryable());
    }
}
