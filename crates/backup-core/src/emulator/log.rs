//! [`RequestLog`]: every request the server received, for tests to count.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use http::Method;
use tokio::time::Instant;

use super::fault::Fault;
use super::lock;
use super::route::RouteClass;

/// The default number of records a [`RequestLog`] keeps (counts are always exact).
pub const DEFAULT_LOG_CAPACITY: usize = 10_000;

/// One request received by the emulator server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// The request method.
    pub method: Method,
    /// The path and query, as sent (`/jobs/42?expand=true`).
    pub target: String,
    /// The class the vendor's classifier gave the request.
    pub class: RouteClass,
    /// When the request head arrived (`tokio` time, so paused clocks apply).
    pub at: Instant,
    /// The fault injected into this request, if any.
    pub fault: Option<Fault>,
}

impl RequestRecord {
    /// The path of the request, without the query.
    #[must_use]
    pub fn path(&self) -> &str {
        self.target
            .split_once('?')
            .map_or(self.target.as_str(), |(path, _)| path)
    }
}

#[derive(Debug)]
struct Inner {
    records: VecDeque<RequestRecord>,
    capacity: usize,
    per_class: [usize; 5],
    total: usize,
}

/// The log of every request an [`EmulatorServer`](super::EmulatorServer) received,
/// including those hit by a fault.
///
/// A cheap handle: clones share the same log. Counts ([`total`](Self::total),
/// [`count`](Self::count)) are exact; the records themselves are kept up to a
/// capacity (the most recent ones), so a long benchmark does not grow without bound.
#[derive(Debug, Clone)]
pub struct RequestLog {
    inner: Arc<Mutex<Inner>>,
}

impl Default for RequestLog {
    fn default() -> Self {
        Self::with_capacity(DEFAULT_LOG_CAPACITY)
    }
}

impl RequestLog {
    /// An empty log keeping the latest [`DEFAULT_LOG_CAPACITY`] records.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty log keeping the latest `capacity` records.
    #[must_use]
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Inner {
                records: VecDeque::new(),
                capacity,
                per_class: [0; 5],
                total: 0,
            })),
        }
    }

    /// Appends a record (the server does this for every request).
    pub fn record(&self, record: RequestRecord) {
        let mut inner = lock(&self.inner);
        inner.total = inner.total.saturating_add(1);
        let slot = &mut inner.per_class[record.class.index()];
        *slot = slot.saturating_add(1);
        if inner.capacity == 0 {
            return;
        }
        while inner.records.len() >= inner.capacity {
            inner.records.pop_front();
        }
        inner.records.push_back(record);
    }

    /// How many requests were received in all.
    #[must_use]
    pub fn total(&self) -> usize {
        lock(&self.inner).total
    }

    /// How many requests of class `class` were received
    /// ([`RouteClass::Any`] counts them all).
    #[must_use]
    pub fn count(&self, class: RouteClass) -> usize {
        let inner = lock(&self.inner);
        match class {
            RouteClass::Any => inner.total,
            class => inner.per_class[class.index()],
        }
    }

    /// How many of the kept records satisfy `predicate`.
    pub fn count_where(&self, predicate: impl Fn(&RequestRecord) -> bool) -> usize {
        lock(&self.inner)
            .records
            .iter()
            .filter(|r| predicate(r))
            .count()
    }

    /// A copy of the kept records, oldest first.
    #[must_use]
    pub fn records(&self) -> Vec<RequestRecord> {
        lock(&self.inner).records.iter().cloned().collect()
    }

    /// The most recent record, if any.
    #[must_use]
    pub fn last(&self) -> Option<RequestRecord> {
        lock(&self.inner).records.back().cloned()
    }

    /// Forgets every record and resets the counts.
    pub fn clear(&self) {
        let mut inner = lock(&self.inner);
        inner.records.clear();
        inner.per_class = [0; 5];
        inner.total = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(class: RouteClass, target: &str) -> RequestRecord {
        RequestRecord {
            method: Method::GET,
            target: target.to_owned(),
            class,
            at: Instant::now(),
            fault: None,
        }
    }

    #[test]
    fn counts_are_exact_beyond_capacity() {
        let log = RequestLog::with_capacity(2);
        log.record(record(RouteClass::Auth, "/token"));
        log.record(record(RouteClass::Poll, "/jobs/1?x=1"));
        log.record(record(RouteClass::Poll, "/jobs/2"));
        assert_eq!(log.total(), 3);
        assert_eq!(log.count(RouteClass::Poll), 2);
        assert_eq!(log.count(RouteClass::Auth), 1);
        assert_eq!(log.count(RouteClass::Any), 3);
        assert_eq!(log.records().len(), 2);
        assert_eq!(log.records()[0].path(), "/jobs/1");
        assert_eq!(log.count_where(|r| r.path().starts_with("/jobs/")), 2);
        log.clear();
        assert_eq!(log.total(), 0);
        assert!(log.last().is_none());
    }

    #[test]
    fn zero_capacity_keeps_counts_only() {
        let log = RequestLog::with_capacity(0);
        log.record(record(RouteClass::Trigger, "/backup"));
        assert_eq!(log.count(RouteClass::Trigger), 1);
        assert!(log.records().is_empty());
    }
}
