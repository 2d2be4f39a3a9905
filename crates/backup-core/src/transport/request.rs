//! One request and one answer, vendor-neutral.

use std::borrow::Cow;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use secrecy::SecretString;
use serde::de::DeserializeOwned;
use url::Url;

use super::redact::Redactor;
use crate::error::{ApiError, Error};

/// Whether a request may be sent again when its answer is lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotency {
    /// Repeating it changes nothing: a GET, or a POST carrying an idempotency key the
    /// service honours. Retried on transport errors, 408, 429, 500, 502, 503 and 504.
    Safe,
    /// Repeating it may start a second backup. Retried only when the service provably
    /// did not take it (connection refused, 429, 503); any other failure after sending
    /// becomes [`Error::OutcomeUnknown`].
    Trigger,
    /// Not idempotent, but harmless to fail (cancel, stop, logout): retried like a
    /// trigger, but failures stay ordinary errors.
    Unsafe,
}

/// What a request is for, as errors and progress lines name it: `token`, `trigger`,
/// `poll`, `cancel`.
///
/// A request that does not say ([`Request::step`]) is a [`Step::Token`] when it is
/// sent while authorizing another request (a token exchange, a login), a
/// [`Step::Trigger`] when it is a [`Request::trigger`], a [`Step::Poll`] when it is a
/// GET or HEAD safe to repeat, a [`Step::Cancel`] when it is [`Idempotency::Unsafe`],
/// and [`Step::Other`] otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Step {
    /// Getting a credential: a token exchange, a login, a metadata token.
    Token,
    /// Starting a backup.
    Trigger,
    /// Reading an operation (status, wait, what a backup made).
    Poll,
    /// Cancelling or stopping a backup.
    Cancel,
    /// Anything else.
    Other,
}

impl Step {
    /// The step's name in messages: `token`, `trigger`, `poll`, `cancel`, `request`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Token => "token",
            Step::Trigger => "trigger",
            Step::Poll => "poll",
            Step::Cancel => "cancel",
            Step::Other => "request",
        }
    }
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request about to be sent by a [`crate::Transport`].
///
/// `Debug` shows the method, the URL without its query, the header names and the body's
/// length: never header values, query strings or bodies, which may hold credentials.
#[derive(Clone)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The full URL.
    pub url: Url,
    /// Headers (credentials are added by the authenticator, per attempt).
    pub headers: HeaderMap,
    /// The body (empty for none).
    pub body: Bytes,
    /// Whether it may be repeated.
    pub idempotency: Idempotency,
    /// What it does, in words (`trigger backup of policy p-1`), for error messages.
    pub action: Cow<'static, str>,
    /// Statuses outside 2xx the caller handles itself (e.g. Veeam's 409 that names the
    /// running session): they are returned as answers, not errors, and not retried.
    pub accept_statuses: Vec<StatusCode>,
    /// A timeout for this request instead of the transport's default (a deadline in
    /// force may shorten it: [`crate::transport::with_deadline`]).
    pub timeout: Option<Duration>,
    /// What the request is for, when the transport cannot tell by itself (see
    /// [`Step`]).
    pub step: Option<Step>,
    vendor: &'static str,
    pub(crate) secrets: Redactor,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut url = self.url.clone();
        url.set_query(None);
        f.debug_struct("Request")
            .field("vendor", &self.vendor)
            .field("method", &self.method)
            .field("url", &url.as_str())
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("body_len", &self.body.len())
            .field("idempotency", &self.idempotency)
            .field("action", &self.action)
            .field("step", &self.step)
            .finish_non_exhaustive()
    }
}

impl Request {
    /// A request of `vendor` with no body, safe to repeat.
    #[must_use]
    pub fn new(vendor: &'static str, method: Method, url: Url) -> Self {
        let idempotency = if method == Method::GET || method == Method::HEAD {
            Idempotency::Safe
        } else {
            Idempotency::Unsafe
        };
        Self {
            method,
            url,
            headers: HeaderMap::new(),
            body: Bytes::new(),
            idempotency,
            action: Cow::Borrowed("request"),
            accept_statuses: Vec::new(),
            timeout: None,
            step: None,
            vendor,
            secrets: Redactor::default(),
        }
    }

    /// A GET.
    #[must_use]
    pub fn get(vendor: &'static str, url: Url) -> Self {
        Self::new(vendor, Method::GET, url)
    }

    /// A POST (not idempotent unless said otherwise).
    #[must_use]
    pub fn post(vendor: &'static str, url: Url) -> Self {
        Self::new(vendor, Method::POST, url)
    }

    /// The vendor this request goes to.
    #[must_use]
    pub fn vendor(&self) -> &'static str {
        self.vendor
    }

    /// Sets a header.
    #[must_use]
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.insert(name, value);
        self
    }

    /// Sets a header from static text.
    #[must_use]
    pub fn header_static(self, name: &'static str, value: &'static str) -> Self {
        self.header(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        )
    }

    /// Sets a JSON body and `Content-Type: application/json`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] if the value cannot be serialised.
    pub fn json<T: serde::Serialize + ?Sized>(mut self, value: &T) -> Result<Self, Error> {
        let body = serde_json::to_vec(value)
            .map_err(|e| Error::invalid_input(self.vendor, "body", e.to_string()))?;
        self.body = Bytes::from(body);
        self.headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        Ok(self)
    }

    /// Sets a raw body with its content type.
    #[must_use]
    pub fn body(mut self, content_type: &'static str, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self.headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static(content_type),
        );
        self
    }

    /// Sets how the request may be repeated.
    #[must_use]
    pub fn idempotency(mut self, idempotency: Idempotency) -> Self {
        self.idempotency = idempotency;
        self
    }

    /// Marks the request as a backup trigger: never repeated unless provably not
    /// taken, and an unknown outcome is reported as such.
    #[must_use]
    pub fn trigger(self, action: impl Into<Cow<'static, str>>) -> Self {
        self.idempotency(Idempotency::Trigger).action(action)
    }

    /// Describes what the request does.
    #[must_use]
    pub fn action(mut self, action: impl Into<Cow<'static, str>>) -> Self {
        self.action = action.into();
        self
    }

    /// Returns answers with this status to the caller instead of failing.
    #[must_use]
    pub fn accept_status(mut self, status: StatusCode) -> Self {
        self.accept_statuses.push(status);
        self
    }

    /// Registers a secret this request carries in its body or URL (a password, a
    /// refresh token): it is kept out of any error built from the answer. Sensitive
    /// headers are registered by themselves.
    #[must_use]
    pub fn redacting(mut self, secret: &SecretString) -> Self {
        self.secrets.add(secret.clone());
        self
    }

    /// Registers a secret in place; see [`Request::redacting`].
    pub fn add_secret(&mut self, secret: &SecretString) {
        self.secrets.add(secret.clone());
    }

    /// Sets a timeout for this request.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Says what the request is for, where the transport cannot tell by itself (a
    /// trigger sent as a repeatable request with an idempotency key; a cancel sent as
    /// a GET).
    #[must_use]
    pub fn step(mut self, step: Step) -> Self {
        self.step = Some(step);
        self
    }

    /// `host:port` of the URL (the scheme's default port when none is written).
    #[must_use]
    pub fn host_port(&self) -> String {
        let host = self.url.host_str().unwrap_or("?");
        match self.url.port_or_known_default() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        }
    }
}

/// An answer read in full (within the body cap).
#[derive(Debug, Clone)]
pub struct Response {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
    /// The request id, from the first configured header present.
    pub request_id: Option<String>,
    pub(crate) vendor: &'static str,
    pub(crate) trigger_action: Option<Cow<'static, str>>,
    pub(crate) secrets: Redactor,
}

impl Response {
    /// An answer built by hand: for unit tests of [`ErrorDecoder`]s and decoders, and
    /// for emulators. Answers from the network come from [`crate::Transport::send`].
    #[must_use]
    pub fn from_parts(
        vendor: &'static str,
        status: StatusCode,
        headers: HeaderMap,
        body: impl Into<Bytes>,
    ) -> Self {
        Self {
            status,
            headers,
            body: body.into(),
            request_id: None,
            vendor,
            trigger_action: None,
            secrets: Redactor::default(),
        }
    }

    /// The vendor that answered.
    #[must_use]
    pub fn vendor(&self) -> &'static str {
        self.vendor
    }

    /// A header as text.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)?.to_str().ok()
    }

    /// The body as UTF-8 text (lossy).
    #[must_use]
    pub fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    /// The retry hint the answer carries.
    #[must_use]
    pub fn retry_after(&self) -> Option<Duration> {
        super::retry::retry_after(&self.headers)
    }

    /// `text` with every secret the request carried replaced by `<redacted>`: use it
    /// on anything taken from the body into an error or a message.
    #[must_use]
    pub fn redact(&self, text: &str) -> String {
        self.secrets.scrub(text)
    }

    /// A short excerpt of the body for error messages, secrets redacted.
    #[must_use]
    pub fn body_excerpt(&self) -> String {
        crate::error::body_excerpt(self.redact(&self.text()).as_bytes())
    }

    /// Decodes a JSON body.
    ///
    /// # Errors
    /// [`Error::Decode`]; for the answer to a trigger,
    /// [`Error::OutcomeUnknown`] instead, since the backup may have started but cannot
    /// be followed.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice(&self.body)
            .map_err(|e| self.undecodable(format!("invalid JSON: {e}")))
    }

    /// The error for a body that could not be understood: [`Error::Decode`], or
    /// [`Error::OutcomeUnknown`] for the successful answer to a trigger.
    #[must_use]
    pub fn undecodable(&self, message: impl Into<String>) -> Error {
        let message = message.into();
        match &self.trigger_action {
            Some(action) if self.status.is_success() => Error::OutcomeUnknown {
                vendor: self.vendor,
                action: action.to_string(),
                reason: format!(
                    "the answer ({}) could not be decoded ({message}): {:?}",
                    self.status.as_u16(),
                    self.body_excerpt()
                ),
                status: Some(self.status.as_u16()),
                request_id: self.request_id.clone(),
            },
            _ => Error::Decode {
                vendor: self.vendor,
                status: self.status.as_u16(),
                message: self.redact(&message),
                body_excerpt: self.body_excerpt(),
                request_id: self.request_id.clone(),
            },
        }
    }

    /// An [`ApiError`] for an error answer whose body is not in the vendor's format
    /// (an HTML page from a proxy, an empty body): the message is a short excerpt.
    #[must_use]
    pub fn unparsed_error(&self) -> ApiError {
        let excerpt = self.body_excerpt();
        let message = if excerpt.is_empty() {
            format!(
                "{} with an empty body",
                self.status.canonical_reason().unwrap_or("error")
            )
        } else {
            format!("unexpected answer: {excerpt}")
        };
        ApiError::new(self.vendor, self.status.as_u16(), message)
            .with_request_id(self.request_id.clone())
            .with_retry_after(self.retry_after())
    }
}

/// Turns a vendor's error answer into an [`ApiError`].
pub trait ErrorDecoder: Send + Sync + std::fmt::Debug {
    /// Decodes the error answer; bodies not in the vendor's format should fall back to
    /// [`Response::unparsed_error`].
    fn decode_error(&self, response: &Response) -> ApiError;

    /// What to tell a user whose credential was refused (`check YC_IAM_TOKEN`).
    fn auth_hint(&self) -> &'static str {
        "check the credentials"
    }
}

/// An [`ErrorDecoder`] that knows no vendor format: excerpts only.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlainErrors;

impl ErrorDecoder for PlainErrors {
    fn decode_error(&self, response: &Response) -> ApiError {
        response.unparsed_error()
    }
}
