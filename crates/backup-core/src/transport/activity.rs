//! What the transport is waiting for right now: the requests in flight, each with its
//! vendor, [`Step`] and host, so that a command line can say what a silent wait is
//! waiting for ("waiting 12s for the token request to iam.example.com:443").
//!
//! Off by default (nothing is recorded, one atomic read per request); a program turns
//! it on once with [`track_in_flight`] and reads it with [`in_flight`].

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use tokio::time::Instant;

use super::Step;

static TRACKING: AtomicBool = AtomicBool::new(false);
static NEXT: AtomicU64 = AtomicU64::new(0);
static TABLE: Mutex<BTreeMap<u64, InFlight>> = Mutex::new(BTreeMap::new());

/// One request in flight: sent (or being connected) and not answered yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InFlight {
    /// The vendor it goes to.
    pub vendor: &'static str,
    /// What it is for.
    pub step: Step,
    /// `host:port` it goes to.
    pub host: String,
    /// When the attempt started.
    pub since: Instant,
}

/// Turns the record of requests in flight on or off for the whole process.
pub fn track_in_flight(on: bool) {
    TRACKING.store(on, Ordering::Relaxed);
    if !on {
        TABLE.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }
}

/// The requests in flight, oldest first (empty unless [`track_in_flight`] is on).
#[must_use]
pub fn in_flight() -> Vec<InFlight> {
    let table = TABLE.lock().unwrap_or_else(PoisonError::into_inner);
    let mut all: Vec<InFlight> = table.values().cloned().collect();
    all.sort_by_key(|request| request.since);
    all
}

/// Removes its request from the record when the attempt ends (answered, failed or
/// dropped).
pub(crate) struct Guard(Option<u64>);

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(id) = self.0 {
            TABLE
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&id);
        }
    }
}

/// Records an attempt starting now, when tracking is on.
pub(crate) fn enter(vendor: &'static str, step: Step, host: impl FnOnce() -> String) -> Guard {
    if !TRACKING.load(Ordering::Relaxed) {
        return Guard(None);
    }
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    let request = InFlight {
        vendor,
        step,
        host: host(),
        since: Instant::now(),
    };
    TABLE
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(id, request);
    Guard(Some(id))
}
