//! [`Counter`]: a shared count, such as the backups an emulator accepted.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A cloneable atomic counter: clones share the same count.
///
/// Vendor emulators count the triggers they accept with it, so that a test can
/// prove a backup was started exactly once (or not at all).
#[derive(Debug, Clone, Default)]
pub struct Counter {
    count: Arc<AtomicU64>,
}

impl Counter {
    /// A counter at zero.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one and returns the new count.
    pub fn increment(&self) -> u64 {
        self.add(1)
    }

    /// Adds `n` and returns the new count (saturating at `u64::MAX`).
    pub fn add(&self, n: u64) -> u64 {
        let previous = self
            .count
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |count| {
                Some(count.saturating_add(n))
            })
            .unwrap_or_else(|count| count);
        previous.saturating_add(n)
    }

    /// The current count.
    #[must_use]
    pub fn get(&self) -> u64 {
        self.count.load(Ordering::SeqCst)
    }

    /// Sets the count back to zero and returns what it was.
    pub fn reset(&self) -> u64 {
        self.count.swap(0, Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::Counter;

    #[test]
    fn clones_share_the_count() {
        let counter = Counter::new();
        let clone = counter.clone();
        assert_eq!(counter.increment(), 1);
        assert_eq!(clone.add(2), 3);
        assert_eq!(counter.get(), 3);
        assert_eq!(clone.reset(), 3);
        assert_eq!(counter.get(), 0);
        counter.add(u64::MAX);
        assert_eq!(counter.increment(), u64::MAX);
    }
}
