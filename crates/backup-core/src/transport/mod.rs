//! The HTTP transport every vendor client sends through.
//!
//! One pooled `reqwest` client (rustls) per [`Transport`], with connect and request
//! timeouts, a response body cap, request ids captured from the vendor's headers, a
//! `tracing` span per attempt (vendor, method, path, status: never headers, query or
//! body), and retries by [`RetryPolicy`] that respect each request's [`Idempotency`].
//!
//! Every request is bounded: by its timeout (the transport's, or its own), by the
//! deadline in force ([`with_deadline`]: never sent after it, never waited for past
//! it), and the credential step before it (token exchange, login) by the same limits.
//! A transport error names the step ([`Step`]: token, trigger, poll, cancel) and the
//! `host:port`, and says "TLS handshake failed" or "the server speaks plain HTTP" where
//! that is what happened. A failure of the credential step before a trigger is never
//! an unknown outcome: it says that no backup was requested.
//!
//! There is no limit on the requests in flight through one transport unless one is
//! asked for ([`TransportBuilder::max_concurrent_requests`], opt-in): then at most that
//! many are in flight at once (so its connections are bounded too), a request waits
//! for a slot within the time it has, and one that gets none is not sent.

mod activity;
mod deadline;
mod limit;
mod options;
mod redact;
mod request;
mod retry;
mod send;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::HeaderName;

pub use activity::{InFlight, in_flight, track_in_flight};
pub use deadline::{deadline, time_left, with_deadline};
pub use options::TransportOptions;
pub use redact::{REDACTED, Redactor};
pub use request::{ErrorDecoder, Idempotency, PlainErrors, Request, Response, Step};
pub use retry::{RetryPolicy, retry_after};

use crate::{Error, Result};

/// The default cap on a response body: 8 MiB.
pub const DEFAULT_BODY_CAP: usize = 8 * 1024 * 1024;

/// Sends requests for one vendor. Cheap to clone; clones share the connection pool.
#[derive(Clone)]
pub struct Transport {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    vendor: &'static str,
    user_agent: String,
    body_cap: usize,
    connect_timeout: Duration,
    request_timeout: Duration,
    request_id_headers: Vec<HeaderName>,
    retry: RetryPolicy,
    errors: Arc<dyn ErrorDecoder>,
    /// The limit on requests in flight, when one was asked for.
    slots: Option<limit::Slots>,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("vendor", &self.inner.vendor)
            .field("user_agent", &self.inner.user_agent)
            .field("body_cap", &self.inner.body_cap)
            .field("connect_timeout", &self.inner.connect_timeout)
            .field("request_timeout", &self.inner.request_timeout)
            .field("retry", &self.inner.retry)
            .field("max_concurrent_requests", &self.max_concurrent_requests())
            .finish_non_exhaustive()
    }
}

impl Transport {
    /// A builder for `vendor`'s transport; `crate_name` goes into the user agent.
    #[must_use]
    pub fn builder(vendor: &'static str, crate_name: &'static str) -> TransportBuilder {
        TransportBuilder::new(vendor, crate_name)
    }

    /// The vendor it sends for.
    #[must_use]
    pub fn vendor(&self) -> &'static str {
        self.inner.vendor
    }

    /// The user agent sent with every request.
    #[must_use]
    pub fn user_agent(&self) -> &str {
        &self.inner.user_agent
    }

    /// The retry policy.
    #[must_use]
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// The body cap.
    #[must_use]
    pub fn body_cap(&self) -> usize {
        self.inner.body_cap
    }

    /// The time allowed to open a connection.
    #[must_use]
    pub fn connect_timeout(&self) -> Duration {
        self.inner.connect_timeout
    }

    /// The time allowed for one attempt, unless a request sets its own.
    #[must_use]
    pub fn request_timeout(&self) -> Duration {
        self.inner.request_timeout
    }

    /// The most requests in flight at once through this transport (and its clones);
    /// `None`, the default, when there is no limit.
    #[must_use]
    pub fn max_concurrent_requests(&self) -> Option<usize> {
        self.inner.slots.as_ref().map(limit::Slots::max)
    }
}

/// Builds a [`Transport`].
pub struct TransportBuilder {
    vendor: &'static str,
    crate_name: &'static str,
    connect_timeout: Duration,
    request_timeout: Duration,
    body_cap: usize,
    max_concurrent_requests: Option<usize>,
    request_id_headers: Vec<HeaderName>,
    retry: RetryPolicy,
    errors: Arc<dyn ErrorDecoder>,
    root_certificates: Vec<Vec<u8>>,
    accept_invalid_certs: bool,
    user_agent_suffix: Option<String>,
}

impl fmt::Debug for TransportBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportBuilder")
            .field("vendor", &self.vendor)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("body_cap", &self.body_cap)
            .field("max_concurrent_requests", &self.max_concurrent_requests)
            .field("retry", &self.retry)
            .field("root_certificates", &self.root_certificates.len())
            .field("accept_invalid_certs", &self.accept_invalid_certs)
            .finish_non_exhaustive()
    }
}

impl TransportBuilder {
    /// Defaults: connect timeout 10 s, request timeout 60 s, body cap 8 MiB, no limit
    /// on requests in flight, request ids from `x-request-id`, [`RetryPolicy::default`],
    /// [`PlainErrors`].
    #[must_use]
    pub fn new(vendor: &'static str, crate_name: &'static str) -> Self {
        Self {
            vendor,
            crate_name,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            body_cap: DEFAULT_BODY_CAP,
            max_concurrent_requests: None,
            request_id_headers: vec![HeaderName::from_static("x-request-id")],
            retry: RetryPolicy::default(),
            errors: Arc::new(PlainErrors),
            root_certificates: Vec::new(),
            accept_invalid_certs: false,
            user_agent_suffix: None,
        }
    }

    /// The time allowed to open a connection.
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The time allowed for one attempt, from sending to the end of the body.
    #[must_use]
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// The largest body read from an answer; a larger one gives [`Error::Decode`].
    #[must_use]
    pub fn body_cap(mut self, bytes: usize) -> Self {
        self.body_cap = bytes;
        self
    }

    /// Opts in to a limit on requests in flight at once, token and login requests
    /// included (default: no limit); it also caps the idle connections kept per host.
    ///
    /// Use it to bound a client's memory and file descriptors when it follows many
    /// backups at once against a slow service: without it each request in flight may
    /// hold a connection of its own (tens of KB of buffers each). What it costs: a
    /// request beyond the limit waits for a slot, so state changes are noticed later
    /// (a 10,000-backup fan-out's p99 notice delay went from 6 s to 39 s with 32 slots,
    /// see docs/performance.md), and one that gets no slot within the time it has (its
    /// connect and request timeouts, and the deadline in force) fails without being
    /// sent ([`crate::RequestSent::No`]; for a trigger, no backup was requested). Zero
    /// is refused at build.
    #[must_use]
    pub fn max_concurrent_requests(mut self, max: usize) -> Self {
        self.max_concurrent_requests = Some(max);
        self
    }

    /// The headers a request id is read from, first present wins.
    #[must_use]
    pub fn request_id_headers(mut self, names: &[&'static str]) -> Self {
        self.request_id_headers = names.iter().map(|n| HeaderName::from_static(n)).collect();
        self
    }

    /// The retry policy.
    #[must_use]
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The vendor's error decoder.
    #[must_use]
    pub fn errors(mut self, errors: Arc<dyn ErrorDecoder>) -> Self {
        self.errors = errors;
        self
    }

    /// Trusts an extra root certificate (PEM), for appliances with a private CA.
    #[must_use]
    pub fn root_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.root_certificates.push(pem.into());
        self
    }

    /// DANGER: accepts any server certificate, even expired or for another host, so
    /// anyone on the network path can read and change the traffic, credentials
    /// included. Only for a lab appliance with a self-signed certificate; prefer
    /// [`TransportBuilder::root_certificate_pem`]. A warning is logged at build.
    #[must_use]
    pub fn danger_accept_invalid_certs(mut self, accept: bool) -> Self {
        self.accept_invalid_certs = accept;
        self
    }

    /// Appends text to the user agent (an application name).
    #[must_use]
    pub fn user_agent_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(suffix.into());
        self
    }

    /// Builds the transport.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a zero timeout or a `max_concurrent_requests` of
    /// zero; [`Error::Config`] when a certificate cannot be parsed or the TLS stack
    /// cannot be set up.
    pub fn build(self) -> Result<Transport> {
        for (field, timeout) in [
            ("connect_timeout", self.connect_timeout),
            ("request_timeout", self.request_timeout),
        ] {
            if timeout.is_zero() {
                return Err(Error::invalid_input(
                    self.vendor,
                    field,
                    "must be longer than zero",
                ));
            }
        }
        let slots = self
            .max_concurrent_requests
            .map(|max| limit::Slots::new(self.vendor, max))
            .transpose()?;
        let mut user_agent = format!("backup-rs/{} ({})", crate::VERSION, self.crate_name);
        if let Some(suffix) = &self.user_agent_suffix {
            user_agent.push(' ');
            user_agent.push_str(suffix);
        }
        let mut builder = reqwest::Client::builder()
            .user_agent(user_agent.clone())
            .connect_timeout(self.connect_timeout)
            .timeout(self.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(Duration::from_secs(60));
        if let Some(slots) = &slots {
            // No more idle connections than requests can be in flight: the pool never
            // keeps connections it cannot use at once. Without a limit, reqwest's
            // default.
            builder = builder.pool_max_idle_per_host(slots.max());
        }
        for pem in &self.root_certificates {
            for certificate in parse_certificates(self.vendor, pem)? {
                builder = builder.add_root_certificate(certificate);
            }
        }
        if self.accept_invalid_certs {
            tracing::warn!(
                vendor = self.vendor,
                "TLS certificate verification is DISABLED: credentials and data can be intercepted"
            );
            builder = builder.danger_accept_invalid_certs(true);
        }
        let http = builder.build().map_err(|e| {
            let mut message = format!("cannot build the HTTP client: {e}");
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                message.push_str(": ");
                message.push_str(&cause.to_string());
                source = cause.source();
            }
            if !self.root_certificates.is_empty() {
                message.push_str(" (check the root certificates given)");
            }
            Error::config(self.vendor, message)
        })?;
        Ok(Transport {
            inner: Arc::new(Inner {
                http,
                vendor: self.vendor,
                user_agent,
                body_cap: self.body_cap,
                connect_timeout: self.connect_timeout,
                request_timeout: self.request_timeout,
                request_id_headers: self.request_id_headers,
                retry: self.retry,
                errors: self.errors,
                slots,
            }),
        })
    }
}

/// Every certificate of a PEM bundle; text holding none is an error, so that a wrong
/// file given as a CA is reported instead of silently trusting nothing new.
fn parse_certificates(vendor: &'static str, pem: &[u8]) -> Result<Vec<reqwest::Certificate>> {
    let text = String::from_utf8_lossy(pem);
    if !text.contains("-----BEGIN CERTIFICATE-----") {
        return Err(Error::config(
            vendor,
            "the root certificate holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
        ));
    }
    let certificates = reqwest::Certificate::from_pem_bundle(pem)
        .map_err(|e| Error::config(vendor, format!("invalid root certificate: {e}")))?;
    if certificates.is_empty() {
        return Err(Error::config(
            vendor,
            "the root certificate holds no usable certificate",
        ));
    }
    Ok(certificates)
}
