//! [`Fault`]s and the [`Faults`] queue that the server consumes.
//!
//! A fault is queued for a [`RouteClass`] and fires once on the next request of
//! that class. Whether the emulated service *acted* on the request matters to
//! tests (a backup must be started exactly once, or not at all), so every fault
//! documents it, and [`Fault::reaches_service`] tells it in code.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::lock;
use super::route::RouteClass;

/// A misbehaviour injected into one request by the emulator server.
///
/// Status codes are plain `u16` for convenience; a value that is not a valid
/// HTTP status (outside `100..=999`) is answered as `500`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Refuse the request with `status` and the vendor's own error body
    /// (see [`EmulatorConfig::error_body`](super::EmulatorConfig::error_body)),
    /// plus a `Retry-After` header in whole seconds (rounded up) when set.
    ///
    /// **The service does not act**: the router is not called.
    Status {
        /// The HTTP status to answer with, such as 429 or 503.
        status: u16,
        /// The `Retry-After` delay to advertise, if any.
        retry_after: Option<Duration>,
    },
    /// Close the connection without any response.
    ///
    /// **The service does not act**: the router is not called, so nothing happened,
    /// although the client cannot know that.
    DropBeforeHandling,
    /// Handle the request, then close the connection without sending the answer.
    ///
    /// **The service acts**: the router runs (a backup *is* started), only the
    /// answer is lost.
    DropAfterHandling,
    /// Handle the request, then wait this long before answering.
    ///
    /// **The service acts**: the router runs before the delay. The delay uses
    /// `tokio::time`, so a paused test clock skips it.
    Delay(Duration),
    /// Handle the request, then answer with `status` and a truncated, invalid
    /// JSON body under the real answer's headers (content type kept).
    ///
    /// **The service acts**: the router runs.
    MalformedBody {
        /// The HTTP status to answer with.
        status: u16,
    },
    /// Answer an HTML error page the way a proxy or load balancer would
    /// (`text/html`, `<html><body><h1>502 Bad Gateway</h1></body></html>`).
    ///
    /// **The service does not act**: the router is not called.
    HtmlBody {
        /// The HTTP status to answer with (usually 502, 503 or 504).
        status: u16,
    },
    /// Handle the request, then answer `status` with an empty body (the real
    /// answer's content type kept).
    ///
    /// **The service acts**: the router runs.
    EmptyBody {
        /// The HTTP status to answer with.
        status: u16,
    },
    /// Handle the request, then answer `200` with the real answer's content type
    /// and a body of exactly `bytes` bytes (JSON-looking padding, streamed,
    /// with a `Content-Length`).
    ///
    /// **The service acts**: the router runs.
    OversizedBody {
        /// The length of the body, in bytes.
        bytes: usize,
    },
    /// Answer exactly this, for vendor quirks such as an error inside a `200`.
    ///
    /// **The service does not act**: the router is not called.
    Respond {
        /// The HTTP status to answer with.
        status: u16,
        /// The `Content-Type` of the answer.
        content_type: String,
        /// The body of the answer.
        body: String,
    },
}

impl Fault {
    /// [`Fault::Status`] without a `Retry-After` header.
    #[must_use]
    pub fn status(status: u16) -> Self {
        Fault::Status {
            status,
            retry_after: None,
        }
    }

    /// [`Fault::Status`] with a `Retry-After` header (whole seconds, rounded up).
    #[must_use]
    pub fn retry_after(status: u16, after: Duration) -> Self {
        Fault::Status {
            status,
            retry_after: Some(after),
        }
    }

    /// Whether the emulated service acts on a request hit by this fault, i.e.
    /// whether the vendor's router is called (and, for a trigger, a backup starts).
    #[must_use]
    pub fn reaches_service(&self) -> bool {
        match self {
            Fault::Status { .. }
            | Fault::DropBeforeHandling
            | Fault::HtmlBody { .. }
            | Fault::Respond { .. } => false,
            Fault::DropAfterHandling
            | Fault::Delay(_)
            | Fault::MalformedBody { .. }
            | Fault::EmptyBody { .. }
            | Fault::OversizedBody { .. } => true,
        }
    }

    /// Whether the client gets an answer at all (false for the dropped connections).
    #[must_use]
    pub fn answers(&self) -> bool {
        !matches!(self, Fault::DropBeforeHandling | Fault::DropAfterHandling)
    }
}

/// A queued fault and how many more requests it will hit.
#[derive(Debug)]
struct Pending {
    target: RouteClass,
    fault: Fault,
    remaining: usize,
}

#[derive(Debug, Default)]
struct Queue {
    pending: VecDeque<Pending>,
    fired: usize,
}

/// The faults waiting to fire, shared between a test and the server.
///
/// A cheap handle: clones share the same queue. Faults fire in the order they
/// were injected; a request takes the oldest queued fault whose target
/// [matches](RouteClass::matches) its class, and at most one fault.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    inner: Arc<Mutex<Queue>>,
}

impl Faults {
    /// An empty queue.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Queues `fault` to fire once, on the next request of class `target`
    /// ([`RouteClass::Any`] for the next request of any class).
    pub fn inject(&self, target: RouteClass, fault: Fault) {
        self.inject_n(target, fault, 1);
    }

    /// Queues `fault` to fire on the next `n` requests of class `target`
    /// (`n == 0` queues nothing).
    pub fn inject_n(&self, target: RouteClass, fault: Fault, n: usize) {
        if n == 0 {
            return;
        }
        lock(&self.inner).pending.push_back(Pending {
            target,
            fault,
            remaining: n,
        });
    }

    /// Forgets every queued fault (the [`fired`](Self::fired) count stays).
    pub fn clear(&self) {
        lock(&self.inner).pending.clear();
    }

    /// Forgets every queued fault and sets the [`fired`](Self::fired) count back to zero.
    pub fn reset(&self) {
        let mut queue = lock(&self.inner);
        queue.pending.clear();
        queue.fired = 0;
    }

    /// How many faults have fired so far.
    #[must_use]
    pub fn fired(&self) -> usize {
        lock(&self.inner).fired
    }

    /// How many firings are still queued (a fault injected with `n` counts `n`).
    #[must_use]
    pub fn pending(&self) -> usize {
        lock(&self.inner).pending.iter().map(|p| p.remaining).sum()
    }

    /// Takes the fault for one request of class `class`, if one is queued,
    /// and counts it as fired.
    ///
    /// The server calls this once per request; a vendor handler may call it
    /// itself to apply faults of its own making.
    #[must_use]
    pub fn take(&self, class: RouteClass) -> Option<Fault> {
        let class = class.concrete();
        let mut queue = lock(&self.inner);
        let index = queue.pending.iter().position(|p| p.target.matches(class))?;
        let pending = queue.pending.get_mut(index)?;
        pending.remaining = pending.remaining.saturating_sub(1);
        let fault = pending.fault.clone();
        if pending.remaining == 0 {
            queue.pending.remove(index);
        }
        queue.fired = queue.fired.saturating_add(1);
        Some(fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fires_once_per_injection_in_order() {
        let faults = Faults::new();
        faults.inject(RouteClass::Poll, Fault::status(503));
        faults.inject(RouteClass::Any, Fault::DropBeforeHandling);
        assert_eq!(faults.pending(), 2);
        // A trigger skips the poll fault and takes the `Any` one.
        assert_eq!(
            faults.take(RouteClass::Trigger),
            Some(Fault::DropBeforeHandling)
        );
        assert_eq!(faults.take(RouteClass::Trigger), None);
        assert_eq!(faults.take(RouteClass::Poll), Some(Fault::status(503)));
        assert_eq!(faults.take(RouteClass::Poll), None);
        assert_eq!(faults.fired(), 2);
    }

    #[test]
    fn inject_n_fires_n_times_and_clear_forgets() {
        let faults = Faults::new();
        faults.inject_n(RouteClass::Auth, Fault::status(500), 2);
        faults.inject_n(RouteClass::Auth, Fault::status(501), 0);
        assert_eq!(faults.take(RouteClass::Auth), Some(Fault::status(500)));
        assert_eq!(faults.take(RouteClass::Auth), Some(Fault::status(500)));
        assert_eq!(faults.take(RouteClass::Auth), None);
        faults.inject_n(RouteClass::Auth, Fault::status(500), 3);
        faults.clear();
        assert_eq!(faults.pending(), 0);
        assert_eq!(faults.take(RouteClass::Auth), None);
        assert_eq!(faults.fired(), 2);
    }

    #[test]
    fn reaches_service_is_documented_per_variant() {
        assert!(!Fault::status(429).reaches_service());
        assert!(!Fault::DropBeforeHandling.reaches_service());
        assert!(Fault::DropAfterHandling.reaches_service());
        assert!(!Fault::DropAfterHandling.answers());
        assert!(Fault::Delay(Duration::ZERO).reaches_service());
        assert!(!Fault::HtmlBody { status: 502 }.reaches_service());
    }
}
