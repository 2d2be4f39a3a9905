//! The send loop: authorize, send, read within the cap, classify, retry or fail.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::{Method, StatusCode};
use tokio::time::Instant;
use tracing::Instrument;

use super::{Idempotency, Request, Response, Transport};
use crate::auth::Authenticator;
use crate::error::{ApiError, ApiErrorKind, Error, RequestSent};

/// Why one attempt produced no answer.
struct AttemptFailure {
    sent: RequestSent,
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
    /// Set when an answer came but its body could not be read (too large).
    answered: Option<Error>,
}

/// What to do after an error answer.
enum Verdict {
    Retry(Option<Duration>),
    Fail(Error),
}

impl Transport {
    /// Sends `request`, authorizing each attempt with `auth`, retrying per the policy
    /// and the request's [`Idempotency`], and returns a 2xx answer (or one of the
    /// request's accepted statuses).
    ///
    /// A 401 makes the authenticator drop its token and the request is replayed once.
    ///
    /// # Errors
    /// - [`Error::Auth`] when the credential is refused (after one replay);
    /// - [`Error::Api`] for the vendor's error answers;
    /// - [`Error::OutcomeUnknown`] when a trigger was sent and no usable answer came;
    /// - [`Error::Transport`] when no answer came for another request;
    /// - [`Error::Decode`] when the answer is larger than the body cap (for a trigger,
    ///   [`Error::OutcomeUnknown`]: the service may have acted on it).
    pub async fn send(
        &self,
        mut request: Request,
        auth: &dyn Authenticator,
    ) -> Result<Response, Error> {
        self.send_mut(&mut request, auth).await
    }

    /// [`Transport::send`] on a request kept by the caller: each attempt authorizes
    /// the request in place (the authenticator replaces what it set before), so a
    /// request is never copied to be sent again.
    async fn send_mut(
        &self,
        request: &mut Request,
        auth: &dyn Authenticator,
    ) -> Result<Response, Error> {
        let started = Instant::now();
        let mut attempt: u32 = 0;
        let mut replayed_unauthorized = false;
        loop {
            attempt += 1;
            let ticket = auth.authorize(request).await?;
            let span = tracing::debug_span!(
                "backup_request",
                vendor = self.inner.vendor,
                method = %request.method,
                path = request.url.path(),
                attempt,
                status = tracing::field::Empty,
            );
            // Nothing listens (no subscriber, or one below DEBUG): skip the wrapper
            // that would enter and leave the span at every poll.
            let outcome = if span.is_disabled() {
                self.attempt(request).await
            } else {
                self.attempt(request).instrument(span.clone()).await
            };
            match outcome {
                Ok(response) => {
                    span.record("status", response.status.as_u16());
                    let status = response.status;
                    if status.is_success() || request.accept_statuses.contains(&status) {
                        return Ok(response);
                    }
                    if status == StatusCode::UNAUTHORIZED
                        && !replayed_unauthorized
                        && auth.reject(ticket)
                    {
                        tracing::debug!(parent: &span, "credential refused; replaying once with a fresh one");
                        replayed_unauthorized = true;
                        attempt -= 1;
                        continue;
                    }
                    match self.judge_answer(request, &response, attempt, started.elapsed()) {
                        Verdict::Retry(delay) => {
                            let delay = delay.unwrap_or_default();
                            tracing::debug!(parent: &span, ?delay, "retrying after error answer");
                            tokio::time::sleep(delay).await;
                        }
                        Verdict::Fail(error) => return Err(error),
                    }
                }
                Err(failure) => {
                    if let Some(error) = failure.answered {
                        return Err(self.unusable_answer(request, error));
                    }
                    let retryable =
                        failure.sent == RequestSent::No || request.idempotency == Idempotency::Safe;
                    let delay = retryable
                        .then(|| {
                            self.inner
                                .retry
                                .next_delay(attempt, started.elapsed(), None)
                        })
                        .flatten();
                    if let Some(delay) = delay {
                        tracing::debug!(parent: &span, ?delay, error = %failure.message, "retrying after transport error");
                        tokio::time::sleep(delay).await;
                        continue;
                    }
                    return Err(self.transport_error(request, failure));
                }
            }
        }
    }

    /// Sends `request` and decodes its answer with `decode`; for a [`Idempotency::Safe`]
    /// request whose 2xx answer cannot be decoded (truncated, a proxy's page with 200),
    /// the request is sent again within the retry policy, since repeating it is
    /// harmless. Other requests return the decode error at once.
    ///
    /// # Errors
    /// As [`Transport::send`], and `decode`'s error.
    pub async fn send_decoded<T>(
        &self,
        mut request: Request,
        auth: &dyn Authenticator,
        decode: impl Fn(&Response) -> Result<T, Error> + Send + Sync,
    ) -> Result<T, Error> {
        // The retry budget of decode failures runs from the first one: reading the
        // clock up front would cost every successful call.
        let mut started = None;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            // An answer over the body cap is a decode error from `send` itself; for a
            // safe request it is worth asking for again, like an undecodable one.
            let decoded = match self.send_mut(&mut request, auth).await {
                Ok(response) => decode(&response),
                Err(error) => Err(error),
            };
            match decoded {
                Ok(value) => return Ok(value),
                Err(error @ Error::Decode { .. }) if request.idempotency == Idempotency::Safe => {
                    let started = *started.get_or_insert_with(Instant::now);
                    match self
                        .inner
                        .retry
                        .next_delay(attempt, started.elapsed(), None)
                    {
                        Some(delay) => {
                            tracing::debug!(?delay, error = %error, "answer not decodable; sending again");
                            tokio::time::sleep(delay).await;
                        }
                        None => return Err(error),
                    }
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// One attempt: send and read the body within the cap.
    async fn attempt(&self, request: &Request) -> Result<Response, AttemptFailure> {
        let vendor = self.inner.vendor;
        let trigger_action =
            (request.idempotency == Idempotency::Trigger).then(|| request.action.clone());
        let mut secrets = request.secrets.clone();
        for value in request.headers.values() {
            if value.is_sensitive() {
                secrets.add_header(value);
            }
        }
        let sends_a_length = matches!(request.method, Method::POST | Method::PUT | Method::PATCH)
            && !request.headers.contains_key(http::header::CONTENT_LENGTH);
        let mut builder = self
            .inner
            .http
            .request(request.method.clone(), request.url.clone())
            .headers(request.headers.clone());
        // The client's own timeout is the transport's default: only a request with a
        // timeout of its own sets one.
        if let Some(timeout) = request.timeout {
            builder = builder.timeout(timeout);
        }
        // A bodiless POST/PUT/PATCH still says `Content-Length: 0`: ARM (and other
        // gateways) answer 411 Length Required without it.
        if request.body.is_empty() {
            if sends_a_length {
                builder = builder.header(http::header::CONTENT_LENGTH, "0");
            }
        } else {
            builder = builder.body(request.body.clone());
        }
        let mut answer = builder.send().await.map_err(classify_send_error)?;
        let status = answer.status();
        let headers = std::mem::take(answer.headers_mut());
        let request_id = self
            .inner
            .request_id_headers
            .iter()
            .find_map(|name| headers.get(name)?.to_str().ok().map(str::to_owned));
        let too_large = |read: usize| AttemptFailure {
            sent: RequestSent::Yes,
            message: String::new(),
            source: None,
            answered: Some(Error::Decode {
                vendor,
                status: status.as_u16(),
                message: format!(
                    "the answer is larger than the {} byte body cap ({read} bytes read)",
                    self.inner.body_cap
                ),
                body_excerpt: String::new(),
                request_id: request_id.clone(),
            }),
        };
        let cap = self.inner.body_cap;
        if let Some(length) = answer.content_length()
            && usize::try_from(length).map_or(true, |length| length > cap)
        {
            return Err(too_large(0));
        }
        // Most answers come in one chunk, kept as it is; more are joined.
        let mut first: Option<Bytes> = None;
        let mut body = BytesMut::new();
        loop {
            match answer.chunk().await {
                Ok(Some(chunk)) => {
                    let read = first.as_ref().map_or(0, Bytes::len) + body.len();
                    if read + chunk.len() > cap {
                        return Err(too_large(read + chunk.len()));
                    }
                    if let Some(head) = first.take() {
                        body.extend_from_slice(&head);
                    }
                    if body.is_empty() {
                        first = Some(chunk);
                    } else {
                        body.extend_from_slice(&chunk);
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    return Err(AttemptFailure {
                        sent: RequestSent::Maybe,
                        message: format!(
                            "the answer ({}) broke off while being read",
                            status.as_u16()
                        ),
                        source: Some(Box::new(e.without_url())),
                        answered: None,
                    });
                }
            }
        }
        Ok(Response {
            status,
            headers,
            body: first.unwrap_or_else(|| body.freeze()),
            request_id,
            vendor,
            trigger_action,
            secrets,
        })
    }

    fn judge_answer(
        &self,
        request: &Request,
        response: &Response,
        attempt: u32,
        elapsed: Duration,
    ) -> Verdict {
        let vendor = self.inner.vendor;
        let mut api = self.inner.errors.decode_error(response);
        response.secrets.scrub_api(&mut api);
        let status = response.status.as_u16();
        if status == 401 || api.kind == ApiErrorKind::Unauthorized {
            return Verdict::Fail(unauthorized(&api, self.inner.errors.auth_hint()));
        }
        let retryable = match request.idempotency {
            Idempotency::Safe => api.kind.is_transient(),
            Idempotency::Trigger | Idempotency::Unsafe => {
                matches!(
                    api.kind,
                    ApiErrorKind::Throttled | ApiErrorKind::Unavailable
                )
            }
        };
        if retryable
            && let Some(delay) = self
                .inner
                .retry
                .next_delay(attempt, elapsed, api.retry_after)
        {
            return Verdict::Retry(Some(delay));
        }
        if request.idempotency == Idempotency::Trigger
            && matches!(
                api.kind,
                ApiErrorKind::Server | ApiErrorKind::RequestTimeout
            )
        {
            return Verdict::Fail(Error::OutcomeUnknown {
                vendor,
                action: request.action.to_string(),
                reason: format!("the service answered {api}"),
                status: Some(status),
                request_id: api.request_id.clone(),
            });
        }
        Verdict::Fail(Error::Api(Box::new(api)))
    }

    /// An answer came but cannot be used (larger than the body cap): for a trigger
    /// the service may have acted on it, so the outcome is unknown, never a plain
    /// decode error that invites a blind retry.
    fn unusable_answer(&self, request: &Request, error: Error) -> Error {
        if request.idempotency != Idempotency::Trigger {
            return error;
        }
        let reason = match &error {
            Error::Decode { message, .. } => message.clone(),
            other => other.to_string(),
        };
        Error::OutcomeUnknown {
            vendor: self.inner.vendor,
            action: request.action.to_string(),
            reason,
            status: error.status(),
            request_id: error.request_id().map(str::to_owned),
        }
    }

    fn transport_error(&self, request: &Request, failure: AttemptFailure) -> Error {
        let vendor = self.inner.vendor;
        if failure.sent != RequestSent::No && request.idempotency == Idempotency::Trigger {
            let reason = match &failure.source {
                Some(source) => format!("{}: {}", failure.message, source_chain(source.as_ref())),
                None => failure.message,
            };
            return Error::OutcomeUnknown {
                vendor,
                action: request.action.to_string(),
                reason,
                status: None,
                request_id: None,
            };
        }
        Error::Transport {
            vendor,
            message: format!("{} failed: {}", request.action, failure.message),
            sent: failure.sent,
            source: failure.source,
        }
    }
}

fn unauthorized(api: &ApiError, hint: &str) -> Error {
    Error::Auth {
        vendor: api.vendor,
        status: Some(api.status),
        message: format!(
            "{} rejected the credential: {}; {hint}",
            api.vendor, api.message
        ),
        request_id: api.request_id.clone(),
    }
}

fn classify_send_error(error: reqwest::Error) -> AttemptFailure {
    let (sent, message) = if error.is_connect() {
        (RequestSent::No, "could not connect".to_owned())
    } else if error.is_timeout() {
        (
            RequestSent::Maybe,
            "no answer within the timeout".to_owned(),
        )
    } else if error.is_builder() {
        (RequestSent::No, "the request could not be built".to_owned())
    } else {
        (
            RequestSent::Maybe,
            "the connection failed before an answer came".to_owned(),
        )
    };
    AttemptFailure {
        sent,
        message,
        source: Some(Box::new(error.without_url())),
        answered: None,
    }
}

/// The error and its sources on one line (without URLs: reqwest's Display names the
/// URL, which may carry a query; sources below it do not).
fn source_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = Vec::new();
    let mut current = error.source();
    while let Some(e) = current {
        parts.push(e.to_string());
        current = e.source();
    }
    if parts.is_empty() {
        "no further detail".to_owned()
    } else {
        parts.join(": ")
    }
}
