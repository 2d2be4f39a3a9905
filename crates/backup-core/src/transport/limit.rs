//! The opt-in limit on requests in flight through one [`crate::Transport`], modelled
//! on object_store's `LimitStore`: a semaphore of `max_concurrent_requests` slots.
//! There is none unless the builder asks for one.
//!
//! Without it, every concurrent request may open a connection of its own (HTTP/1.1
//! carries one request at a time, and reqwest has no per-host cap), each with tens of
//! kilobytes of buffers; a client following thousands of backups against a slow
//! service then holds about as many connections as backups in flight. With it, at
//! most that many requests are in flight at once and the others wait their turn (in
//! the order they came: tokio's semaphore is fair), so the connections are bounded
//! too. The price is that wait: notices come later (a 10,000-backup fan-out's p99
//! notice delay went from 6 s to 39 s with 32 slots, docs/performance.md), and a
//! request that gets no slot within the time it has is not sent.
//!
//! A slot is taken for one attempt, from sending to the end of the answer's body, and
//! given back before any backoff; the wait for it is bounded by the time the request
//! has (see `Transport::send`).

use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};

use crate::{Error, Result};

/// The slots of one transport.
pub(crate) struct Slots {
    semaphore: Semaphore,
    max: usize,
}

impl Slots {
    /// `max` slots, checked: zero (no request could ever be sent) and more than the
    /// semaphore can count are refused.
    pub(crate) fn new(vendor: &'static str, max: usize) -> Result<Self> {
        if max == 0 {
            return Err(Error::invalid_input(
                vendor,
                "max_concurrent_requests",
                "must be at least 1 (no request could be sent)",
            ));
        }
        if max > Semaphore::MAX_PERMITS {
            return Err(Error::invalid_input(
                vendor,
                "max_concurrent_requests",
                format!("must be at most {}", Semaphore::MAX_PERMITS),
            ));
        }
        Ok(Self {
            semaphore: Semaphore::new(max),
            max,
        })
    }

    /// The number of slots.
    pub(crate) fn max(&self) -> usize {
        self.max
    }

    /// A free slot, waiting for one at most `limit`; `None` when none came free in
    /// time. The slot is given back when the permit is dropped (answered, failed or
    /// cancelled).
    pub(crate) async fn acquire(&self, limit: Duration) -> Option<SemaphorePermit<'_>> {
        // A free slot is taken without arming a timer.
        if let Ok(permit) = self.semaphore.try_acquire() {
            return Some(permit);
        }
        // The semaphore is never closed: an error cannot come, and would mean no slot.
        tokio::time::timeout(limit, self.semaphore.acquire())
            .await
            .ok()?
            .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_and_too_many_slots_are_refused() {
        for max in [0, Semaphore::MAX_PERMITS + 1, usize::MAX] {
            let Err(error) = Slots::new("v", max) else {
                panic!("{max} slots were accepted");
            };
            assert!(matches!(error, Error::InvalidInput { .. }), "{error:?}");
            assert!(
                error.to_string().contains("max_concurrent_requests"),
                "{error}"
            );
        }
        assert_eq!(Slots::new("v", 1).map(|slots| slots.max()).ok(), Some(1));
    }

    #[tokio::test(start_paused = true)]
    async fn a_slot_is_waited_for_within_the_limit_and_given_back_on_drop() {
        let slots = Slots::new("v", 1).unwrap();
        let first = slots.acquire(Duration::ZERO).await;
        assert!(first.is_some());
        let started = tokio::time::Instant::now();
        assert!(slots.acquire(Duration::from_secs(3)).await.is_none());
        assert_eq!(started.elapsed(), Duration::from_secs(3));
        drop(first);
        assert!(slots.acquire(Duration::ZERO).await.is_some());
    }
}
