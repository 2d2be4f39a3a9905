//! Running many targets: bounded concurrency, an overall deadline, fail-fast or run-all,
//! and a report per target.
//!
//! [`run_bounded`] knows nothing of vendors: it runs a closure per item, so it can be
//! tested (and reused) without any client. [`crate::Plan`] runs its targets through it.

use std::future::Future;
use std::time::Duration;

use backup_core::{Error, Operation};
use futures_util::StreamExt;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::Vendor;

/// How a set of targets runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOptions {
    /// Targets in flight at once (0 is taken as 1).
    pub concurrency: usize,
    /// The overall deadline, from the start of the run: targets not started by then are
    /// skipped, and waiting stops there (the backups go on).
    pub deadline: Option<Duration>,
    /// After the first target that does not succeed, start no other and stop waiting
    /// for those in flight (their backups go on).
    pub fail_fast: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            concurrency: 4,
            deadline: None,
            fail_fast: false,
        }
    }
}

/// Tells a running target to stop: fail-fast asked everything to stop waiting, or the
/// run was interrupted ([`Interrupter`]: a signal such as SIGINT).
///
/// Fail-fast never cuts a trigger in flight; an interrupt does (the caller reports that
/// trigger as an unknown outcome), and stops every wait at once.
#[derive(Debug, Clone)]
pub struct StopSignal {
    fail_fast: watch::Receiver<bool>,
    interrupt: watch::Receiver<bool>,
}

/// Resolves once `flag` is set (never, when its sender is gone unset).
async fn raised(flag: &mut watch::Receiver<bool>) {
    if flag.wait_for(|set| *set).await.is_err() {
        std::future::pending::<()>().await;
    }
}

impl StopSignal {
    /// Whether stopping was asked (fail-fast or interrupt).
    #[must_use]
    pub fn is_stopped(&self) -> bool {
        *self.fail_fast.borrow() || self.is_interrupted()
    }

    /// Whether the run was interrupted.
    #[must_use]
    pub fn is_interrupted(&self) -> bool {
        *self.interrupt.borrow()
    }

    /// Resolves once stopping is asked (never, when it is not).
    pub async fn stopped(&mut self) {
        tokio::select! {
            () = raised(&mut self.fail_fast) => {}
            () = raised(&mut self.interrupt) => {}
        }
    }

    /// Resolves once the run is interrupted (never, when it is not).
    pub async fn interrupted(&mut self) {
        raised(&mut self.interrupt).await;
    }

    /// A signal that never fires, for running one target alone.
    #[must_use]
    pub fn never() -> Self {
        let (fail_fast, fail_fast_rx) = watch::channel(false);
        let (interrupt, interrupt_rx) = watch::channel(false);
        drop((fail_fast, interrupt));
        Self {
            fail_fast: fail_fast_rx,
            interrupt: interrupt_rx,
        }
    }

    /// A signal that fires when `interrupter` interrupts (and never for fail-fast),
    /// for running one target alone under a signal handler.
    #[must_use]
    pub fn interrupted_by(interrupter: &Interrupter) -> Self {
        let (fail_fast, fail_fast_rx) = watch::channel(false);
        drop(fail_fast);
        Self {
            fail_fast: fail_fast_rx,
            interrupt: interrupter.0.subscribe(),
        }
    }
}

/// Interrupts runs: what a signal handler (SIGINT, SIGTERM) holds. Every
/// [`StopSignal`] made from it ([`StopSignal::interrupted_by`],
/// [`crate::plan::PreparedPlan::run_until`]) fires when [`Interrupter::interrupt`] is
/// called; a run then stops at once: targets not started are skipped, waits end with
/// the operations as last seen, triggers in flight are reported as unknown outcomes.
#[derive(Debug, Clone)]
pub struct Interrupter(std::sync::Arc<watch::Sender<bool>>);

impl Default for Interrupter {
    fn default() -> Self {
        Self(std::sync::Arc::new(watch::channel(false).0))
    }
}

impl Interrupter {
    /// An interrupter nothing has interrupted yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Interrupts every run watching it.
    pub fn interrupt(&self) {
        self.0.send_replace(true);
    }

    /// Whether [`Interrupter::interrupt`] was called.
    #[must_use]
    pub fn is_interrupted(&self) -> bool {
        *self.0.borrow()
    }
}

/// What one target did, as its runner reports it.
#[derive(Debug, Default)]
pub struct Attempt {
    /// The operations it started, as last seen (empty when the trigger failed).
    pub operations: Vec<Operation>,
    /// How many status polls were made.
    pub polls: u32,
    /// The first error: the trigger's, or the wait's (a failed backup is
    /// [`Error::OperationFailed`], a deadline [`Error::Timeout`]).
    pub error: Option<Error>,
    /// Whether waiting was abandoned because fail-fast stopped the run, or the run was
    /// interrupted.
    pub abandoned: bool,
}

/// How a target ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TargetOutcome {
    /// Its backups succeeded (with or without warnings).
    Succeeded,
    /// A backup ended failed or cancelled.
    Failed,
    /// The deadline passed while waiting; the backup goes on.
    TimedOut,
    /// Triggering or polling failed (authentication, API, transport ...).
    Error,
    /// Not started: fail-fast stopped the run, the run was interrupted, or the
    /// deadline had passed.
    Skipped,
    /// Started, then no longer waited for because fail-fast stopped the run or the run
    /// was interrupted (the backups go on).
    Abandoned,
    /// The trigger was sent and its answer never came; the vendor could not say what it
    /// started (check the vendor before triggering again).
    OutcomeUnknown,
}

impl TargetOutcome {
    /// Every outcome.
    pub const ALL: [TargetOutcome; 7] = [
        TargetOutcome::Succeeded,
        TargetOutcome::Failed,
        TargetOutcome::TimedOut,
        TargetOutcome::Error,
        TargetOutcome::Skipped,
        TargetOutcome::Abandoned,
        TargetOutcome::OutcomeUnknown,
    ];

    /// A stable lower-case name for reports.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            TargetOutcome::Succeeded => "succeeded",
            TargetOutcome::Failed => "failed",
            TargetOutcome::TimedOut => "timed_out",
            TargetOutcome::Error => "error",
            TargetOutcome::Skipped => "skipped",
            TargetOutcome::Abandoned => "abandoned",
            TargetOutcome::OutcomeUnknown => "outcome_unknown",
        }
    }
}

/// The report of one target.
#[derive(Debug)]
pub struct TargetReport {
    /// The target's name.
    pub name: String,
    /// Its vendor.
    pub vendor: Vendor,
    /// How it ended.
    pub outcome: TargetOutcome,
    /// Its operations, as last seen.
    pub operations: Vec<Operation>,
    /// From its start to its end (zero when skipped).
    pub duration: Duration,
    /// Status polls made.
    pub polls: u32,
    /// What went wrong, if anything.
    pub error: Option<Error>,
}

/// The report of a whole run, in the order the targets were given.
#[derive(Debug, Default)]
pub struct RunReport {
    /// One report per target.
    pub targets: Vec<TargetReport>,
    /// From the start of the run to its end.
    pub duration: Duration,
    /// The run's id in the journal, when it ran through one (feature `journal`).
    pub run_id: Option<String>,
}

impl RunReport {
    /// Whether every target succeeded.
    #[must_use]
    pub fn is_success(&self) -> bool {
        self.targets
            .iter()
            .all(|t| t.outcome == TargetOutcome::Succeeded)
    }

    /// How many targets ended with `outcome`.
    #[must_use]
    pub fn count(&self, outcome: TargetOutcome) -> usize {
        self.targets.iter().filter(|t| t.outcome == outcome).count()
    }
}

/// One item to run: its name, vendor, and what the runner needs.
#[derive(Debug)]
pub struct RunItem<T> {
    /// The target's name.
    pub name: String,
    /// Its vendor.
    pub vendor: Vendor,
    /// What `run_one` gets.
    pub item: T,
}

/// Runs `run_one` on every item, at most `options.concurrency` at once, and reports.
///
/// `run_one` gets the item, the time left before the overall deadline (`None`: no
/// deadline) and a [`StopSignal`] it should watch while waiting (never while a
/// trigger is in flight: a trigger cut off halfway leaves its outcome unknown).
pub async fn run_bounded<T, F, Fut>(
    items: Vec<RunItem<T>>,
    options: &RunOptions,
    run_one: F,
) -> RunReport
where
    F: Fn(T, Option<Duration>, StopSignal) -> Fut,
    Fut: Future<Output = Attempt>,
{
    run_bounded_until(items, options, &StopSignal::never(), run_one).await
}

/// [`run_bounded`] that also stops when `interrupt` is interrupted: targets not started
/// are skipped, and each `run_one` in flight gets the interrupt through its
/// [`StopSignal`] ([`StopSignal::interrupted`]).
pub async fn run_bounded_until<T, F, Fut>(
    items: Vec<RunItem<T>>,
    options: &RunOptions,
    interrupt: &StopSignal,
    run_one: F,
) -> RunReport
where
    F: Fn(T, Option<Duration>, StopSignal) -> Fut,
    Fut: Future<Output = Attempt>,
{
    let started = Instant::now();
    let (stop_tx, stop_rx) = watch::channel(false);
    let stop_tx = &stop_tx;
    let run_one = &run_one;
    let mut reports: Vec<(usize, TargetReport)> =
        futures_util::stream::iter(items.into_iter().enumerate())
            .map(|(index, RunItem { name, vendor, item })| {
                let stop = StopSignal {
                    fail_fast: stop_rx.clone(),
                    interrupt: interrupt.interrupt.clone(),
                };
                async move {
                    let skipped = |reason: &str| {
                        tracing::info!(target = %name, reason, "target skipped");
                        TargetReport {
                            name: name.clone(),
                            vendor,
                            outcome: TargetOutcome::Skipped,
                            operations: Vec::new(),
                            duration: Duration::ZERO,
                            polls: 0,
                            error: None,
                        }
                    };
                    if stop.is_interrupted() {
                        return (index, skipped("the run was interrupted"));
                    }
                    if stop.is_stopped() {
                        return (index, skipped("fail-fast stopped the run"));
                    }
                    let remaining = options
                        .deadline
                        .map(|d| d.saturating_sub(started.elapsed()));
                    if remaining.is_some_and(|r| r.is_zero()) {
                        return (index, skipped("the deadline passed before it started"));
                    }
                    let target_started = Instant::now();
                    let attempt = run_one(item, remaining, stop).await;
                    let outcome = outcome_of(&attempt);
                    if options.fail_fast && outcome != TargetOutcome::Succeeded {
                        stop_tx.send_replace(true);
                    }
                    let report = TargetReport {
                        name,
                        vendor,
                        outcome,
                        operations: attempt.operations,
                        duration: target_started.elapsed(),
                        polls: attempt.polls,
                        error: attempt.error,
                    };
                    (index, report)
                }
            })
            .buffer_unordered(options.concurrency.max(1))
            .collect()
            .await;
    reports.sort_by_key(|(index, _)| *index);
    RunReport {
        targets: reports.into_iter().map(|(_, report)| report).collect(),
        duration: started.elapsed(),
        run_id: None,
    }
}

pub(crate) fn outcome_of(attempt: &Attempt) -> TargetOutcome {
    match &attempt.error {
        _ if attempt.abandoned => TargetOutcome::Abandoned,
        None => TargetOutcome::Succeeded,
        Some(Error::OperationFailed(_)) => TargetOutcome::Failed,
        Some(Error::Timeout { .. }) => TargetOutcome::TimedOut,
        Some(Error::OutcomeUnknown { .. }) => TargetOutcome::OutcomeUnknown,
        Some(_) => TargetOutcome::Error,
    }
}

#[cfg(test)]
mod tests;
