//! The transport settings every vendor client builder offers, in one place.

use std::fmt;
use std::time::Duration;

use super::{DEFAULT_BODY_CAP, RetryPolicy, TransportBuilder};

/// Retry policy, timeouts, body cap, opt-in request limit, TLS trust and user agent of
/// a client: what every vendor's `ClientBuilder` holds and hands to
/// [`TransportBuilder`] at build time.
///
/// Vendor builders get the setters with [`crate::transport_setters!`].
#[derive(Clone, PartialEq, Eq)]
pub struct TransportOptions {
    /// The retry policy.
    pub retry: RetryPolicy,
    /// The time allowed to open a connection (default 10 s).
    pub connect_timeout: Duration,
    /// The time allowed for one attempt, body included (default 60 s).
    pub request_timeout: Duration,
    /// The largest answer body read (default 8 MiB).
    pub body_cap: usize,
    /// The most requests in flight at once through the client, token requests
    /// included: `None` (the default) for no limit; opt in with `Some(n)` (zero is
    /// refused at build). A limit bounds the connections the client opens and keeps
    /// idle per host (each HTTP/1.1 connection costs tens of KB of buffers): without
    /// one, a client following thousands of backups against a slow service opens
    /// about one connection per backup in flight. What it costs: the others wait for
    /// a slot in turn, so state changes are noticed later, and a request that gets no
    /// slot within its timeouts and deadline fails without being sent. See
    /// [`TransportBuilder::max_concurrent_requests`].
    pub max_concurrent_requests: Option<usize>,
    /// Extra root certificates (PEM).
    pub root_certificates: Vec<Vec<u8>>,
    /// Whether any server certificate is accepted (dangerous; see
    /// [`TransportBuilder::danger_accept_invalid_certs`]).
    pub accept_invalid_certs: bool,
    /// Text appended to the user agent.
    pub user_agent_suffix: Option<String>,
}

impl Default for TransportOptions {
    fn default() -> Self {
        Self {
            retry: RetryPolicy::default(),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            body_cap: DEFAULT_BODY_CAP,
            max_concurrent_requests: None,
            root_certificates: Vec::new(),
            accept_invalid_certs: false,
            user_agent_suffix: None,
        }
    }
}

impl fmt::Debug for TransportOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportOptions")
            .field("retry", &self.retry)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("body_cap", &self.body_cap)
            .field("max_concurrent_requests", &self.max_concurrent_requests)
            .field("root_certificates", &self.root_certificates.len())
            .field("accept_invalid_certs", &self.accept_invalid_certs)
            .field("user_agent_suffix", &self.user_agent_suffix)
            .finish()
    }
}

impl TransportOptions {
    /// Applies these settings to `builder`.
    #[must_use]
    pub fn apply(&self, builder: TransportBuilder) -> TransportBuilder {
        let mut builder = builder
            .retry(self.retry.clone())
            .connect_timeout(self.connect_timeout)
            .request_timeout(self.request_timeout)
            .body_cap(self.body_cap)
            .danger_accept_invalid_certs(self.accept_invalid_certs);
        if let Some(max) = self.max_concurrent_requests {
            builder = builder.max_concurrent_requests(max);
        }
        for pem in &self.root_certificates {
            builder = builder.root_certificate_pem(pem.clone());
        }
        if let Some(suffix) = &self.user_agent_suffix {
            builder = builder.user_agent_suffix(suffix.clone());
        }
        builder
    }
}

/// Adds the transport setters (`retry`, `connect_timeout`, `request_timeout`,
/// `body_cap`, `max_concurrent_requests`, `root_certificate_pem`,
/// `danger_accept_invalid_certs`, `user_agent_suffix`) to a vendor's client builder whose field `$field` is a
/// [`TransportOptions`]. Invoke it inside the builder's `impl` block.
#[macro_export]
macro_rules! transport_setters {
    ($field:ident) => {
        /// The retry policy (default: backup-core's `RetryPolicy::default()`).
        #[must_use]
        pub fn retry(mut self, retry: $crate::RetryPolicy) -> Self {
            self.$field.retry = retry;
            self
        }

        /// The time allowed to open a connection (default 10 s).
        #[must_use]
        pub fn connect_timeout(mut self, timeout: ::std::time::Duration) -> Self {
            self.$field.connect_timeout = timeout;
            self
        }

        /// The time allowed for one attempt, from sending to the end of the answer
        /// (default 60 s).
        #[must_use]
        pub fn request_timeout(mut self, timeout: ::std::time::Duration) -> Self {
            self.$field.request_timeout = timeout;
            self
        }

        /// The largest answer body read (default 8 MiB); a larger one is a decode error.
        #[must_use]
        pub fn body_cap(mut self, bytes: usize) -> Self {
            self.$field.body_cap = bytes;
            self
        }

        /// Opts in to a limit on requests in flight at once through the client, token
        /// requests included (default: no limit). Use it to bound the client's memory
        /// and connections when it follows many backups at once against a slow
        /// service (each connection costs tens of KB). What it costs: a request
        /// beyond the limit waits for a slot, so state changes are noticed later, and
        /// one that gets no slot within its timeouts and deadline fails without being
        /// sent (for a trigger: no backup was requested). Zero is refused at build.
        #[must_use]
        pub fn max_concurrent_requests(mut self, max: usize) -> Self {
            self.$field.max_concurrent_requests = Some(max);
            self
        }

        /// Trusts an extra root certificate (PEM), such as an appliance's private CA
        /// or a proxy's. Prefer this to `danger_accept_invalid_certs`.
        #[must_use]
        pub fn root_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
            self.$field.root_certificates.push(pem.into());
            self
        }

        /// DANGER: accepts ANY server certificate (self-signed, expired, for another
        /// host). Anyone on the network path can then read and change the traffic,
        /// credentials included. Only for a lab appliance whose certificate cannot be
        /// given with `root_certificate_pem`; a warning is logged at each build.
        #[must_use]
        pub fn danger_accept_invalid_certs(mut self, accept: bool) -> Self {
            self.$field.accept_invalid_certs = accept;
            self
        }

        /// Text appended to the user agent (your application's name).
        #[must_use]
        pub fn user_agent_suffix(mut self, suffix: impl Into<String>) -> Self {
            self.$field.user_agent_suffix = Some(suffix.into());
            self
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Transport;

    #[derive(Default)]
    struct Builder {
        transport: TransportOptions,
    }

    impl Builder {
        crate::transport_setters!(transport);
    }

    #[test]
    fn setters_fill_the_options_and_apply_to_the_transport() {
        let builder = Builder::default()
            .retry(RetryPolicy::never())
            .connect_timeout(Duration::from_secs(1))
            .request_timeout(Duration::from_secs(2))
            .body_cap(10)
            .max_concurrent_requests(3)
            .root_certificate_pem(include_bytes!("../../tests/fixtures/test-ca.pem").to_vec())
            .danger_accept_invalid_certs(false)
            .user_agent_suffix("app/1");
        assert_eq!(builder.transport.retry.max_attempts, 1);
        assert_eq!(builder.transport.root_certificates.len(), 1);
        let transport = builder
            .transport
            .apply(Transport::builder("v", "backup-v"))
            .build()
            .unwrap();
        assert_eq!(transport.body_cap(), 10);
        assert_eq!(transport.max_concurrent_requests(), Some(3));
        assert_eq!(transport.retry_policy().max_attempts, 1);
        assert!(transport.user_agent().ends_with("(backup-v) app/1"));
    }

    #[test]
    fn zero_concurrent_requests_are_refused_at_build() {
        let builder = Builder::default().max_concurrent_requests(0);
        let error = builder
            .transport
            .apply(Transport::builder("v", "backup-v"))
            .build()
            .unwrap_err();
        assert!(
            matches!(&error, crate::Error::InvalidInput { field, .. } if field == "max_concurrent_requests"),
            "{error:?}"
        );
    }

    #[test]
    fn by_default_there_is_no_limit() {
        let builder = Builder::default();
        assert_eq!(builder.transport.max_concurrent_requests, None);
        let transport = builder
            .transport
            .apply(Transport::builder("v", "backup-v"))
            .build()
            .unwrap();
        assert_eq!(transport.max_concurrent_requests(), None);
        assert!(format!("{transport:?}").contains("max_concurrent_requests: None"));
    }
}
