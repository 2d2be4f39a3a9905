//! The send loop: authorize, send, read within the cap, classify, retry or fail.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::{Method, StatusCode};
use tokio::time::Instant;
use tracing::Instrument;

use super::{Idempotency, Request, Response, Step, Transport, activity, deadline};
use crate::auth::{AuthTicket, Authenticator};
use crate::error::{ApiError, ApiErrorKind, Error, RequestSent};

tokio::task_local! {
    /// Set while the credential step of a request runs: the requests it sends are
    /// [`Step::Token`].
    static AUTHORIZING: ();
}

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
        let step = step_of(request);
        let mut attempt: u32 = 0;
        let mut replayed_unauthorized = false;
        loop {
            attempt += 1;
            let ticket = self.authorize(request, auth, step).await?;
            if deadline::time_left().is_some_and(|left| left.is_zero()) {
                return Err(self.deadline_passed(request, step));
            }
            // With a limit (opt-in): held for this attempt only, body included, and
            // given back before any backoff, so a retry waits for a slot again.
            let slot = self.slot(request, step).await?;
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
                self.attempt(request, step).await
            } else {
                self.attempt(request, step).instrument(span.clone()).await
            };
            drop(slot);
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
                        .then(|| self.next_delay(attempt, started.elapsed(), None))
                        .flatten();
                    if let Some(delay) = delay {
                        tracing::debug!(parent: &span, ?delay, error = %failure.message, "retrying after transport error");
                        tokio::time::sleep(delay).await;
                        continue;
                    }
                    return Err(self.transport_error(request, step, failure));
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
                    match self.next_delay(attempt, started.elapsed(), None) {
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

    /// The policy's delay before the next attempt, unless it would end past the
    /// deadline in force.
    fn next_delay(
        &self,
        attempt: u32,
        elapsed: Duration,
        hint: Option<Duration>,
    ) -> Option<Duration> {
        let delay = self.inner.retry.next_delay(attempt, elapsed, hint)?;
        match deadline::time_left() {
            Some(left) if delay >= left => None,
            _ => Some(delay),
        }
    }

    /// The credential step of `request`: bounded by the connect and request timeouts
    /// and the deadline in force; its failure is never taken for the request's own.
    async fn authorize(
        &self,
        request: &mut Request,
        auth: &dyn Authenticator,
        step: Step,
    ) -> Result<AuthTicket, Error> {
        let own = self
            .inner
            .connect_timeout
            .saturating_add(self.inner.request_timeout);
        let limit = deadline::time_left().map_or(own, |left| left.min(own));
        let authorizing = AUTHORIZING.scope((), auth.authorize(request));
        match tokio::time::timeout(limit, authorizing).await {
            Ok(Ok(ticket)) => Ok(ticket),
            Ok(Err(error)) => Err(self.before_sending(request, step, error)),
            Err(_) => Err(Error::Transport {
                vendor: self.inner.vendor,
                message: format!(
                    "the credential (token or login) step before the {step} request to {} \
                     gave no answer within {}; {}",
                    request.host_port(),
                    seconds(limit),
                    not_sent(request, step)
                ),
                sent: RequestSent::No,
                source: None,
            }),
        }
    }

    /// A slot among the transport's requests in flight for `request` when the
    /// transport has a limit (`None` at once when it has none), waited for within the
    /// time the request has: its connect timeout and its own request timeout, or less
    /// when the deadline in force is nearer. Without one in time the request is not
    /// sent, and the error says so (never retried here: every slot is taken, and
    /// another wait would only add to the queue).
    async fn slot(
        &self,
        request: &Request,
        step: Step,
    ) -> Result<Option<tokio::sync::SemaphorePermit<'_>>, Error> {
        let Some(slots) = &self.inner.slots else {
            return Ok(None);
        };
        let own = self
            .inner
            .connect_timeout
            .saturating_add(request.timeout.unwrap_or(self.inner.request_timeout));
        let (limit, cut_by_deadline) = match deadline::time_left() {
            Some(left) if left < own => (left, true),
            _ => (own, false),
        };
        if let Some(slot) = slots.acquire(limit).await {
            return Ok(Some(slot));
        }
        let until = if cut_by_deadline {
            "the deadline came"
        } else {
            "its connect and request timeouts passed"
        };
        Err(Error::Transport {
            vendor: self.inner.vendor,
            message: format!(
                "no slot for the {step} request to {} ({}) within {}: the client's {} \
                 requests in flight (max_concurrent_requests) were all still running when \
                 {until}; {}",
                request.host_port(),
                request.action,
                seconds(limit),
                slots.max(),
                not_sent(request, step)
            ),
            sent: RequestSent::No,
            source: None,
        })
    }

    /// An error of the credential step, as the error of the request it was for: that
    /// request was not sent. Before a trigger it says that no backup was requested,
    /// and is never an unknown outcome (nor an error that a vendor could take for one).
    fn before_sending(&self, request: &Request, step: Step, error: Error) -> Error {
        let not_sent = not_sent(request, step);
        match error {
            Error::Transport {
                vendor,
                message,
                source,
                ..
            } => Error::Transport {
                vendor,
                message: format!("{message}; {not_sent}"),
                sent: RequestSent::No,
                source,
            },
            // Before a read, a transient refusal of the token service stays what it
            // is, so that a waiter tries again; before a trigger, it must not look like
            // the trigger's own answer.
            Error::Api(api) if step == Step::Trigger && api.kind.is_transient() => {
                Error::Transport {
                    vendor: api.vendor,
                    message: format!("the credential step failed: {api}; {not_sent}"),
                    sent: RequestSent::No,
                    source: None,
                }
            }
            Error::Api(api) if step == Step::Trigger => Error::Auth {
                vendor: api.vendor,
                status: Some(api.status),
                message: format!("the credential step was refused: {api}; {not_sent}"),
                code: api.code.clone(),
                request_id: api.request_id.clone(),
            },
            Error::Decode {
                vendor,
                status,
                message,
                body_excerpt,
                request_id,
            } if step == Step::Trigger => Error::Auth {
                vendor,
                status: Some(status),
                message: format!(
                    "the credential step's answer could not be decoded ({message}): \
                     {body_excerpt:?}; {not_sent}"
                ),
                code: None,
                request_id,
            },
            Error::OutcomeUnknown {
                vendor,
                action,
                reason,
                request_id,
                ..
            } => Error::Auth {
                vendor,
                status: None,
                message: format!("the credential step ({action}) failed: {reason}; {not_sent}"),
                code: None,
                request_id,
            },
            Error::Config { vendor, message } if step == Step::Trigger => Error::Config {
                vendor,
                message: format!("{message}; {not_sent}"),
            },
            Error::Auth {
                vendor,
                status,
                message,
                code,
                request_id,
            } if step == Step::Trigger => Error::Auth {
                vendor,
                status,
                message: format!("{message}; {not_sent}"),
                code,
                request_id,
            },
            other => other,
        }
    }

    /// The deadline passed before `request` could be sent: it was not.
    fn deadline_passed(&self, request: &Request, step: Step) -> Error {
        Error::Transport {
            vendor: self.inner.vendor,
            message: format!(
                "the deadline passed before the {step} request to {} ({}) could be sent; {}",
                request.host_port(),
                request.action,
                not_sent(request, step)
            ),
            sent: RequestSent::No,
            source: None,
        }
    }

    /// One attempt: send and read the body within the cap.
    async fn attempt(&self, request: &Request, step: Step) -> Result<Response, AttemptFailure> {
        let vendor = self.inner.vendor;
        let _in_flight = activity::enter(vendor, step, || request.host_port());
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
        // timeout of its own, or under a deadline nearer than its timeout, sets one.
        let own = request.timeout.unwrap_or(self.inner.request_timeout);
        let (timeout, cut_by_deadline) = match deadline::time_left() {
            Some(left) if left < own => (left, true),
            _ => (own, false),
        };
        if request.timeout.is_some() || cut_by_deadline {
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
        let mut answer = builder
            .send()
            .await
            .map_err(|e| classify_send_error(e, timeout, cut_by_deadline))?;
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
                    let message = if e.is_timeout() {
                        format!(
                            "the answer ({}) was still coming when {}",
                            status.as_u16(),
                            timeout_words(timeout, cut_by_deadline)
                        )
                    } else {
                        format!(
                            "the answer ({}) broke off while being read",
                            status.as_u16()
                        )
                    };
                    return Err(AttemptFailure {
                        sent: RequestSent::Maybe,
                        message,
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
        if retryable && let Some(delay) = self.next_delay(attempt, elapsed, api.retry_after) {
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
                reason: api.to_string(),
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

    fn transport_error(&self, request: &Request, step: Step, failure: AttemptFailure) -> Error {
        let vendor = self.inner.vendor;
        let host = request.host_port();
        if failure.sent != RequestSent::No && request.idempotency == Idempotency::Trigger {
            let reason = match &failure.source {
                Some(source) => format!(
                    "{step} request to {host}: {}: {}",
                    failure.message,
                    source_chain(source.as_ref())
                ),
                None => format!("{step} request to {host}: {}", failure.message),
            };
            return Error::OutcomeUnknown {
                vendor,
                action: request.action.to_string(),
                reason,
                status: None,
                request_id: None,
            };
        }
        let mut message = format!(
            "{step} request to {host} ({}) failed: {}",
            request.action, failure.message
        );
        if failure.sent == RequestSent::No && step == Step::Trigger {
            message.push_str("; no backup was requested");
        }
        Error::Transport {
            vendor,
            message,
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
        code: api.code.clone(),
        request_id: api.request_id.clone(),
    }
}

/// What a request is for, when it does not say: see [`Step`].
fn step_of(request: &Request) -> Step {
    if let Some(step) = request.step {
        return step;
    }
    if AUTHORIZING.try_with(|()| ()).is_ok() {
        return Step::Token;
    }
    match request.idempotency {
        Idempotency::Trigger => Step::Trigger,
        Idempotency::Safe if matches!(request.method, Method::GET | Method::HEAD) => Step::Poll,
        Idempotency::Unsafe => Step::Cancel,
        Idempotency::Safe => Step::Other,
    }
}

/// What a failure before sending means for the request: for a trigger, that no backup
/// was requested.
fn not_sent(request: &Request, step: Step) -> String {
    if step == Step::Trigger {
        "no backup was requested".to_owned()
    } else {
        format!("the {step} request ({}) was not sent", request.action)
    }
}

/// `2s`, `1.5s`, `250ms`.
fn seconds(duration: Duration) -> String {
    if duration < Duration::from_secs(1) {
        format!("{}ms", duration.as_millis())
    } else if duration.subsec_millis() == 0 {
        format!("{}s", duration.as_secs())
    } else {
        format!("{:.1}s", duration.as_secs_f64())
    }
}

fn timeout_words(timeout: Duration, cut_by_deadline: bool) -> String {
    if cut_by_deadline {
        format!("the deadline came ({} after sending)", seconds(timeout))
    } else {
        format!("the {} request timeout passed", seconds(timeout))
    }
}

/// A TLS failure found among an error's sources.
enum TlsProblem {
    /// The server answered the TLS hello with something that is not TLS.
    PlainHttp,
    /// The handshake failed (certificate, alert, protocol).
    Handshake(String),
}

/// Looks for a rustls error among `error`'s sources (reqwest wraps it in an
/// `io::Error`, whose own `source` skips it).
fn tls_problem(error: &(dyn std::error::Error + 'static)) -> Option<TlsProblem> {
    let mut current = Some(error);
    while let Some(e) = current {
        let tls = e.downcast_ref::<rustls::Error>().or_else(|| {
            e.downcast_ref::<std::io::Error>()
                .and_then(std::io::Error::get_ref)
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        });
        if let Some(tls) = tls {
            return Some(match tls {
                rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType) => {
                    TlsProblem::PlainHttp
                }
                other => TlsProblem::Handshake(other.to_string()),
            });
        }
        // Some layers box their cause (`Box<dyn Error>` hides its type from a
        // downcast): read rustls' own words then.
        let text = e.to_string();
        if text.contains("InvalidContentType") {
            return Some(TlsProblem::PlainHttp);
        }
        if [
            "received fatal alert",
            "invalid peer certificate",
            "peer is incompatible",
            "peer misbehaved",
            "handshake",
        ]
        .iter()
        .any(|words| text.contains(words))
        {
            return Some(TlsProblem::Handshake(text));
        }
        current = e.source();
    }
    None
}

/// The innermost cause of `error`, in words (`connection refused`).
fn root_cause(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut current = error.source();
    let mut last = None;
    while let Some(e) = current {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => {
                    return Some("connection refused".to_owned());
                }
                std::io::ErrorKind::ConnectionReset => return Some("connection reset".to_owned()),
                _ => {}
            }
        }
        last = Some(e.to_string());
        current = e.source();
    }
    last
}

fn classify_send_error(
    error: reqwest::Error,
    timeout: Duration,
    cut_by_deadline: bool,
) -> AttemptFailure {
    let (sent, message) = if let Some(problem) = tls_problem(&error) {
        match problem {
            TlsProblem::PlainHttp => (
                RequestSent::No,
                "TLS handshake failed: the server speaks plain HTTP (use an http:// URL, \
                 or the server's TLS port)"
                    .to_owned(),
            ),
            TlsProblem::Handshake(detail) => {
                (RequestSent::No, format!("TLS handshake failed: {detail}"))
            }
        }
    } else if error.is_connect() {
        let why = if error.is_timeout() {
            Some("no connection within the connect timeout".to_owned())
        } else {
            root_cause(&error)
        };
        let message = match why {
            Some(why) => format!("could not connect ({why})"),
            None => "could not connect".to_owned(),
        };
        (RequestSent::No, message)
    } else if error.is_timeout() {
        (
            RequestSent::Maybe,
            format!("no answer: {}", timeout_words(timeout, cut_by_deadline)),
        )
    } else if error.is_builder() {
        (RequestSent::No, "the request could not be built".to_owned())
    } else {
        let message = match root_cause(&error) {
            Some(why) => format!("the connection failed before an answer came ({why})"),
            None => "the connection failed before an answer came".to_owned(),
        };
        (RequestSent::Maybe, message)
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
