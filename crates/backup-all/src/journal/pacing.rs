//! How soon the SQLite journal's thread may start its next batch.
//!
//! A commit costs about the same CPU however many jobs it carries: on the machines
//! measured (a virtual disk), the `fsync` of `synchronous = FULL` was 40 % of the
//! journal thread's time and did not shrink with the batch. Committing as soon as a
//! batch is ready made a busy journal commit back to back, one `fsync` every few
//! milliseconds, each for the few jobs that came during the last one. While the journal
//! is busy (the last batch held more than one job), the next batch starts no sooner
//! than [`BUSY_SPACING`] after the last one started, so the jobs of that time share
//! one commit. A lone job (a caller with nothing beside it, an idle journal) never
//! waits.

use std::time::{Duration, Instant};

/// The least time between the starts of two batches while the journal is busy: the
/// most a job waits more than it did before.
pub(super) const BUSY_SPACING: Duration = Duration::from_millis(50);

/// When the last batch started and whether it was busy.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Pacing {
    /// When the last batch started, if it held more than one job.
    busy_since: Option<Instant>,
}

impl Pacing {
    /// How long to wait at `now` before taking the next batch: what is left of
    /// `spacing` since a busy batch started, else nothing.
    pub(super) fn wait(&self, now: Instant, spacing: Duration) -> Duration {
        self.busy_since.map_or(Duration::ZERO, |since| {
            spacing.saturating_sub(now.saturating_duration_since(since))
        })
    }

    /// A batch of `jobs` jobs started at `started`.
    pub(super) fn started(&mut self, started: Instant, jobs: usize) {
        self.busy_since = (jobs > 1).then_some(started);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPACING: Duration = Duration::from_millis(50);

    #[test]
    fn the_first_batch_and_one_after_a_lone_job_do_not_wait() {
        let t0 = Instant::now();
        let mut pacing = Pacing::default();
        assert_eq!(pacing.wait(t0, SPACING), Duration::ZERO);
        pacing.started(t0, 1);
        assert_eq!(pacing.wait(t0, SPACING), Duration::ZERO);
    }

    #[test]
    fn after_a_busy_batch_the_next_waits_for_the_rest_of_the_spacing() {
        let t0 = Instant::now();
        let mut pacing = Pacing::default();
        pacing.started(t0, 2);
        assert_eq!(pacing.wait(t0, SPACING), SPACING);
        assert_eq!(
            pacing.wait(t0 + Duration::from_millis(20), SPACING),
            Duration::from_millis(30)
        );
        assert_eq!(pacing.wait(t0 + SPACING, SPACING), Duration::ZERO);
        assert_eq!(
            pacing.wait(t0 + Duration::from_secs(60), SPACING),
            Duration::ZERO
        );
        // A second after a busy batch started, nothing is left to wait.
        pacing.started(t0 + Duration::from_secs(60), 1024);
        assert_eq!(
            pacing.wait(t0 + Duration::from_secs(61), SPACING),
            Duration::ZERO
        );
        // A lone job after it: busy no more.
        pacing.started(t0 + Duration::from_secs(61), 1);
        assert_eq!(
            pacing.wait(t0 + Duration::from_secs(61), SPACING),
            Duration::ZERO
        );
    }
}
