//! [`Lifecycle`]: how an emulated backup moves through its phases, by polls or by time.
//!
//! A vendor emulator keeps one [`Lifecycle`] per backup it accepted, calls
//! [`Lifecycle::observe`] each time the client reads the backup, and maps the
//! vendor-neutral [`Phase`] to the vendor's own states.

use std::time::Duration;

use time::OffsetDateTime;
use tokio::time::Instant;

/// How a finished backup ended.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Completed without issue.
    Success,
    /// Completed with warnings (Veeam's `Warning`, Commvault's "completed w/ one or more errors").
    Warning,
    /// Failed.
    Failure {
        /// Why, in the vendor's words.
        reason: String,
    },
    /// Cancelled by the client.
    Cancelled,
}

/// Where a backup stands, as seen by one observation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Accepted, not running yet.
    Queued,
    /// Running; `progress` rises monotonically within `0..=99`.
    Running {
        /// Percent done, `0..=99`.
        progress: u8,
    },
    /// A cancellation was requested with [`Lifecycle::request_cancel`] and is under way.
    Cancelling,
    /// Finished, for good: a terminal phase never changes again.
    Done(Outcome),
}

impl Phase {
    /// Percent done: 0 while queued, `0..=99` while running or cancelling, 100 once done.
    #[must_use]
    pub fn progress(&self) -> u8 {
        match self {
            Phase::Queued => 0,
            Phase::Running { progress } => *progress,
            Phase::Cancelling => 99,
            Phase::Done(_) => 100,
        }
    }

    /// Whether the backup is finished.
    #[must_use]
    pub fn is_terminal(&self) -> bool {
        matches!(self, Phase::Done(_))
    }

    /// How the backup ended, once it has.
    #[must_use]
    pub fn outcome(&self) -> Option<&Outcome> {
        match self {
            Phase::Done(outcome) => Some(outcome),
            _ => None,
        }
    }
}

/// How a backup's [`Lifecycle`] unfolds.
///
/// By polls (the default): the first `queued_polls` observations see
/// [`Phase::Queued`], the next `running_polls` see [`Phase::Running`], and every
/// later one sees [`Phase::Done`] with `outcome`.
///
/// By time (when `duration` is set; poll counts are then ignored): the backup
/// runs from its creation and is done once `duration` has passed on the
/// `tokio` clock, progress rising with the time elapsed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LifecycleSpec {
    /// How many observations see the backup queued (by polls only).
    pub queued_polls: u32,
    /// How many observations see it running (by polls only).
    pub running_polls: u32,
    /// When set, the backup is done this long after its creation, whatever the polls.
    pub duration: Option<Duration>,
    /// How the backup ends.
    pub outcome: Outcome,
}

impl Default for LifecycleSpec {
    /// One poll queued, two running, then success.
    fn default() -> Self {
        Self {
            queued_polls: 1,
            running_polls: 2,
            duration: None,
            outcome: Outcome::Success,
        }
    }
}

impl LifecycleSpec {
    /// Running for the first `n` observations, done (successfully) from
    /// observation `n + 1` on; `after_polls(0)` is done at once.
    #[must_use]
    pub fn after_polls(n: u32) -> Self {
        Self {
            queued_polls: 0,
            running_polls: n,
            duration: None,
            outcome: Outcome::Success,
        }
    }

    /// Queued for the first `polls` observations, before running (by polls only).
    #[must_use]
    pub fn queued_for(mut self, polls: u32) -> Self {
        self.queued_polls = polls;
        self
    }

    /// Done once `duration` has passed since creation, on the `tokio` clock,
    /// instead of after a number of polls.
    #[must_use]
    pub fn after(mut self, duration: Duration) -> Self {
        self.duration = Some(duration);
        self
    }

    /// Ends in [`Outcome::Failure`] with `reason`.
    #[must_use]
    pub fn failing(mut self, reason: impl Into<String>) -> Self {
        self.outcome = Outcome::Failure {
            reason: reason.into(),
        };
        self
    }

    /// Ends in [`Outcome::Warning`].
    #[must_use]
    pub fn with_warning(mut self) -> Self {
        self.outcome = Outcome::Warning;
        self
    }

    /// Ends in `outcome`.
    #[must_use]
    pub fn with_outcome(mut self, outcome: Outcome) -> Self {
        self.outcome = outcome;
        self
    }
}

/// The state of a cancellation requested with [`Lifecycle::request_cancel`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cancel {
    None,
    /// Requested, not observed yet.
    Requested,
    /// Observed once as [`Phase::Cancelling`].
    Seen,
}

/// One emulated backup moving through its phases, as [`LifecycleSpec`] says.
///
/// Timestamps ([`created_at`](Self::created_at), [`started_at`](Self::started_at),
/// [`finished_at`](Self::finished_at)) are wall-clock times for the vendor to
/// report, derived from the `tokio` clock so that they agree with a paused test clock.
#[derive(Debug, Clone)]
pub struct Lifecycle {
    spec: LifecycleSpec,
    created: Instant,
    created_wall: OffsetDateTime,
    polls: u32,
    phase: Phase,
    started: Option<Instant>,
    finished: Option<Instant>,
    cancel: Cancel,
}

impl Lifecycle {
    /// A backup accepted now.
    #[must_use]
    pub fn new(spec: LifecycleSpec) -> Self {
        let created = Instant::now();
        let runs_at_once = spec.duration.is_some() || spec.queued_polls == 0;
        let phase = if runs_at_once {
            Phase::Running { progress: 0 }
        } else {
            Phase::Queued
        };
        Self {
            spec,
            created,
            created_wall: OffsetDateTime::now_utc(),
            polls: 0,
            phase,
            started: runs_at_once.then_some(created),
            finished: None,
            cancel: Cancel::None,
        }
    }

    /// The spec this lifecycle follows.
    #[must_use]
    pub fn spec(&self) -> &LifecycleSpec {
        &self.spec
    }

    /// How many times [`observe`](Self::observe) was called.
    #[must_use]
    pub fn polls(&self) -> u32 {
        self.polls
    }

    /// Observes the backup, as a poll does: moves it along and returns its phase.
    ///
    /// A terminal phase stays terminal. After [`request_cancel`](Self::request_cancel),
    /// the next observation returns [`Phase::Cancelling`] and the one after
    /// `Done(Cancelled)`.
    pub fn observe(&mut self) -> Phase {
        self.polls = self.polls.saturating_add(1);
        if self.phase.is_terminal() {
            return self.phase.clone();
        }
        let now = Instant::now();
        match self.cancel {
            Cancel::Requested => {
                self.cancel = Cancel::Seen;
                self.phase = Phase::Cancelling;
            }
            Cancel::Seen => self.finish(Outcome::Cancelled, now),
            Cancel::None => {
                let next = match self.spec.duration {
                    Some(duration) => self.phase_by_time(now, duration),
                    None => self.phase_by_polls(),
                };
                match next {
                    Phase::Done(outcome) => {
                        let at = self.timed_end().unwrap_or(now);
                        self.finish(outcome, at);
                    }
                    Phase::Running { progress } => {
                        self.started.get_or_insert(now);
                        // Never let progress go back.
                        let progress = progress.max(self.phase.progress());
                        self.phase = Phase::Running { progress };
                    }
                    phase @ (Phase::Queued | Phase::Cancelling) => self.phase = phase,
                }
            }
        }
        self.phase.clone()
    }

    /// The phase now, without counting a poll: the last observed phase, or for a
    /// backup timed by [`LifecycleSpec::after`], the phase the clock says.
    #[must_use]
    pub fn peek(&self) -> Phase {
        match (&self.phase, self.spec.duration, self.cancel) {
            (Phase::Running { progress }, Some(duration), Cancel::None) => {
                match self.phase_by_time(Instant::now(), duration) {
                    Phase::Running { progress: now } => Phase::Running {
                        progress: now.max(*progress),
                    },
                    phase => phase,
                }
            }
            (phase, ..) => phase.clone(),
        }
    }

    /// Cancels the backup at once: it is `Done(Cancelled)` from now on.
    /// Returns `false` (and changes nothing) when it had already finished.
    pub fn cancel(&mut self) -> bool {
        if self.peek().is_terminal() {
            return false;
        }
        self.finish(Outcome::Cancelled, Instant::now());
        true
    }

    /// Requests a cancellation that takes a poll: the next observation sees
    /// [`Phase::Cancelling`], the one after `Done(Cancelled)` ([`peek`](Self::peek)
    /// already shows `Cancelling`). Returns `false` (and changes nothing) when
    /// the backup had already finished or a cancellation was already requested.
    pub fn request_cancel(&mut self) -> bool {
        if self.peek().is_terminal() || self.cancel != Cancel::None {
            return false;
        }
        self.cancel = Cancel::Requested;
        self.phase = Phase::Cancelling;
        true
    }

    /// When the backup was accepted.
    #[must_use]
    pub fn created_at(&self) -> OffsetDateTime {
        self.created_wall
    }

    /// When the backup started running, if it has (for a timed backup, at creation).
    #[must_use]
    pub fn started_at(&self) -> Option<OffsetDateTime> {
        self.started.map(|at| self.wall(at))
    }

    /// When the backup finished, if it has.
    #[must_use]
    pub fn finished_at(&self) -> Option<OffsetDateTime> {
        let finished = self.finished.or_else(|| match (self.cancel, self.peek()) {
            (Cancel::None, Phase::Done(_)) => self.timed_end(),
            _ => None,
        });
        finished.map(|at| self.wall(at))
    }

    fn finish(&mut self, outcome: Outcome, at: Instant) {
        self.started.get_or_insert(at);
        self.finished = Some(at);
        self.phase = Phase::Done(outcome);
    }

    /// The end of a timed backup, when the clock can represent it.
    fn timed_end(&self) -> Option<Instant> {
        self.spec
            .duration
            .and_then(|duration| self.created.checked_add(duration))
    }

    /// The phase of observation number `self.polls` (1-based), by poll counts.
    fn phase_by_polls(&self) -> Phase {
        let polls = u64::from(self.polls);
        let queued = u64::from(self.spec.queued_polls);
        let running = u64::from(self.spec.running_polls);
        if polls <= queued {
            return Phase::Queued;
        }
        let run = polls - queued; // 1-based within the running phase
        if run <= running {
            let percent = (run - 1).saturating_mul(100) / running.max(1);
            Phase::Running {
                progress: clamp_progress(u128::from(percent)),
            }
        } else {
            Phase::Done(self.spec.outcome.clone())
        }
    }

    /// The phase at `now`, for a backup that takes `duration`.
    fn phase_by_time(&self, now: Instant, duration: Duration) -> Phase {
        let elapsed = now.saturating_duration_since(self.created);
        if elapsed >= duration {
            return Phase::Done(self.spec.outcome.clone());
        }
        let percent = elapsed.as_nanos().saturating_mul(100) / duration.as_nanos().max(1);
        Phase::Running {
            progress: clamp_progress(percent),
        }
    }

    /// The wall-clock time of `at`, measured from creation on the `tokio` clock.
    fn wall(&self, at: Instant) -> OffsetDateTime {
        let since = at.saturating_duration_since(self.created);
        time::Duration::try_from(since)
            .ok()
            .and_then(|since| self.created_wall.checked_add(since))
            .unwrap_or(self.created_wall)
    }
}

/// A running progress: at most 99.
fn clamp_progress(percent: u128) -> u8 {
    u8::try_from(percent.min(99)).unwrap_or(99)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn default_spec_is_queued_then_running_then_done() {
        let mut life = Lifecycle::new(LifecycleSpec::default());
        assert_eq!(life.peek(), Phase::Queued);
        assert_eq!(life.started_at(), None);
        assert_eq!(life.observe(), Phase::Queued);
        assert_eq!(life.observe(), Phase::Running { progress: 0 });
        assert!(life.started_at().is_some());
        assert_eq!(life.observe(), Phase::Running { progress: 50 });
        assert_eq!(life.observe(), Phase::Done(Outcome::Success));
        assert_eq!(life.observe(), Phase::Done(Outcome::Success));
        assert_eq!(life.polls(), 5);
        assert!(!life.cancel());
    }

    #[tokio::test(start_paused = true)]
    async fn zero_duration_is_done_at_once() {
        let mut life = Lifecycle::new(LifecycleSpec::default().after(Duration::ZERO));
        assert!(life.peek().is_terminal());
        assert_eq!(life.observe(), Phase::Done(Outcome::Success));
        assert_eq!(life.finished_at(), Some(life.created_at()));
    }

    #[tokio::test(start_paused = true)]
    async fn huge_duration_does_not_overflow() {
        let mut life = Lifecycle::new(LifecycleSpec::default().after(Duration::MAX));
        assert_eq!(life.observe(), Phase::Running { progress: 0 });
        assert_eq!(life.finished_at(), None);
    }

    #[test]
    fn progress_is_clamped() {
        assert_eq!(clamp_progress(0), 0);
        assert_eq!(clamp_progress(500), 99);
        assert_eq!(Phase::Done(Outcome::Cancelled).progress(), 100);
    }
}
