//! Running targets: trigger, then follow every operation to its end.

use std::time::Duration;

use backup_core::{Error, Operation, WaitOptions};
use futures_util::StreamExt;
use tokio::time::Instant;
use tracing::Instrument;

use super::{Plan, PlanError, PlanErrors, PlanSettings};
use crate::run::{Attempt, RunItem, RunOptions, RunReport, StopSignal, run_bounded_until};
use crate::{AnyClient, Target};

/// How long after the deadline a trigger still in flight is cut off: the transport
/// gives up at the deadline itself (a request is never sent after it, nor waited for
/// past it), with the more precise error; this is the backstop for work that does not
/// go through it.
const DEADLINE_GRACE: Duration = Duration::from_secs(1);

/// Sees every change of every operation: the target's name and the operation.
pub type Observer<'a> = &'a (dyn Fn(&str, &Operation) + Send + Sync);

/// A plan whose clients are all built: nothing has been sent yet.
#[derive(Debug)]
pub struct PreparedPlan {
    /// How it runs.
    pub settings: PlanSettings,
    /// Its targets, in file order.
    pub targets: Vec<Target>,
}

impl Plan {
    /// Builds every target's client (from its vendor's environment names and its
    /// settings) and request, before anything is sent.
    ///
    /// # Errors
    /// Every target that cannot be prepared, each with the file, target and field.
    pub fn prepare(&self) -> Result<PreparedPlan, PlanErrors> {
        let mut errors = Vec::new();
        let mut targets = Vec::new();
        for target in &self.targets {
            if let Some(message) = super::preflight::env_fault(&target.env) {
                errors.push(
                    PlanError::new(&self.source, message)
                        .target(&target.name)
                        .field("env"),
                );
                continue;
            }
            match Target::from_env_with(
                &target.name,
                &target.params,
                &target.config,
                &target.env,
                &self.settings.transport,
            ) {
                Ok(prepared) => targets.push(prepared),
                Err(error) => {
                    // A missing credential names its variables in the message.
                    let field = match &error {
                        Error::InvalidInput { field, .. } => Some(
                            super::key_of_field(target.vendor(), field)
                                .map_or_else(|| field.clone(), str::to_owned),
                        ),
                        _ => None,
                    };
                    let mut e =
                        PlanError::new(&self.source, error.to_string()).target(&target.name);
                    e.field = field;
                    errors.push(e);
                }
            }
        }
        if errors.is_empty() {
            Ok(PreparedPlan {
                settings: self.settings.clone(),
                targets,
            })
        } else {
            Err(PlanErrors(errors))
        }
    }
}

impl PreparedPlan {
    /// Runs every target as the settings say and reports on each.
    pub async fn run(&self, observer: Observer<'_>) -> RunReport {
        self.run_until(observer, &StopSignal::never()).await
    }

    /// [`PreparedPlan::run`] that stops at once when `interrupt` fires
    /// ([`StopSignal::interrupted_by`] a [`crate::Interrupter`]): targets not started
    /// are skipped, waits are abandoned with each operation as last seen, and a trigger
    /// still in flight is reported as [`Error::OutcomeUnknown`] (it may have started a
    /// backup).
    pub async fn run_until(&self, observer: Observer<'_>, interrupt: &StopSignal) -> RunReport {
        let options = RunOptions {
            concurrency: self.settings.concurrency,
            deadline: self.settings.timeout,
            fail_fast: self.settings.fail_fast,
        };
        let interval = self.settings.poll_interval;
        let items = self
            .targets
            .iter()
            .map(|target| RunItem {
                name: target.name.clone(),
                vendor: target.vendor(),
                item: target,
            })
            .collect();
        run_bounded_until(items, &options, interrupt, |target, remaining, stop| {
            // The plan's timeout is one deadline for all: it bounds this target's
            // trigger and its waits together.
            let deadline = remaining.and_then(|left| Instant::now().checked_add(left));
            let wait = WaitOptions::every(interval);
            run_target_within(target, wait, deadline, stop, observer)
        })
        .await
    }
}

/// Triggers `target` and follows each of its operations to the end (or to the
/// deadline in `wait`, or until `stop` fires).
///
/// The deadline of `wait` counts from the start of waiting. When `stop` is interrupted
/// ([`StopSignal::interrupted`]), everything stops at once: a trigger still in flight
/// is reported as [`Error::OutcomeUnknown`], the operations being waited for as last
/// seen (the attempt is then `abandoned`).
pub async fn run_target(
    target: &Target,
    wait: WaitOptions,
    stop: StopSignal,
    observer: Observer<'_>,
) -> Attempt {
    run_target_within(target, wait, None, stop, observer).await
}

/// [`run_target`] under an overall `deadline` that bounds the trigger and the waits
/// together (a plan's timeout): no request is sent after it, the waits end at it with
/// [`Error::Timeout`], and a trigger whose answer has not come by then is an
/// [`Error::OutcomeUnknown`] (or, when it could not be sent at all, an error saying no
/// backup was requested). The deadline of `wait` is replaced by what is left of it.
pub async fn run_target_within(
    target: &Target,
    wait: WaitOptions,
    deadline: Option<Instant>,
    stop: StopSignal,
    observer: Observer<'_>,
) -> Attempt {
    let span = tracing::info_span!("target", name = %target.name, vendor = %target.vendor());
    run_target_inner(target, wait, deadline, stop, observer)
        .instrument(span)
        .await
}

/// The unknown outcome of a trigger cut off before its answer came.
fn cut_off(target: &Target, why: &str) -> Error {
    Error::OutcomeUnknown {
        vendor: target.vendor().as_str(),
        action: format!("trigger of target {}", target.name),
        reason: format!("{why} before the trigger's answer came"),
        status: None,
        request_id: None,
    }
}

/// Triggers `target`, bounded by `deadline` and cut off by an interrupt.
async fn bounded_trigger(
    target: &Target,
    deadline: Option<Instant>,
    stop: &mut StopSignal,
) -> Result<Vec<Operation>, Error> {
    let trigger = async {
        match deadline {
            Some(at) => {
                let bounded = backup_core::transport::with_deadline(at, target.trigger());
                tokio::time::timeout_at(at + DEADLINE_GRACE, bounded)
                    .await
                    .unwrap_or_else(|_| Err(cut_off(target, "the deadline passed")))
            }
            None => target.trigger().await,
        }
    };
    tokio::select! {
        biased;
        result = trigger => result,
        () = stop.interrupted() => Err(cut_off(target, "interrupted")),
    }
}

async fn run_target_inner(
    target: &Target,
    mut wait: WaitOptions,
    deadline: Option<Instant>,
    mut stop: StopSignal,
    observer: Observer<'_>,
) -> Attempt {
    let operations = match bounded_trigger(target, deadline, &mut stop).await {
        Ok(operations) => operations,
        Err(error) => {
            tracing::info!(%error, "trigger failed");
            return Attempt {
                error: Some(error),
                ..Attempt::default()
            };
        }
    };
    if let Some(at) = deadline {
        wait.deadline = Some(at.saturating_duration_since(Instant::now()));
    }
    for operation in &operations {
        tracing::info!(operation = %operation.reference, "backup started");
    }
    // Each operation as last seen, for a wait stopped halfway.
    let last_seen: Vec<std::sync::Mutex<Operation>> = operations
        .iter()
        .cloned()
        .map(std::sync::Mutex::new)
        .collect();
    let observers: Vec<_> = last_seen
        .iter()
        .map(|slot| {
            move |op: &Operation| {
                *slot
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = op.clone();
                observer(&target.name, op);
            }
        })
        .collect();
    let follow_all = futures_util::future::join_all(operations.iter().zip(&observers).map(
        |(operation, observe)| follow(&target.client, operation.clone(), wait.clone(), observe),
    ));
    tokio::select! {
        followed = follow_all => {
            let mut attempt = Attempt::default();
            for one in followed {
                attempt.polls += one.polls;
                attempt.operations.push(one.last);
                if attempt.error.is_none() {
                    attempt.error = one.error;
                }
            }
            attempt
        }
        () = stop.stopped() => Attempt {
            operations: last_seen
                .into_iter()
                .map(|slot| slot.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner))
                .collect(),
            abandoned: true,
            ..Attempt::default()
        },
    }
}

/// One operation followed to its end.
#[derive(Debug)]
pub struct Followed {
    /// The operation as last seen.
    pub last: Operation,
    /// Status polls made.
    pub polls: u32,
    /// [`Error::OperationFailed`] when it ended failed or cancelled, [`Error::Timeout`]
    /// at the deadline, or the poll error; `None` when it succeeded.
    pub error: Option<Error>,
}

/// Follows `operation` through `client` to its end, calling `observer` with the
/// operation first and then with each change.
pub async fn follow(
    client: &AnyClient,
    operation: Operation,
    options: WaitOptions,
    observer: &(dyn Fn(&Operation) + Send + Sync),
) -> Followed {
    let mut last = operation.clone();
    let mut poller = client.wait(operation, options);
    let mut error = None;
    while let Some(item) = poller.next().await {
        match item {
            Ok(operation) => {
                observer(&operation);
                last = operation;
            }
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    match &error {
        Some(Error::Timeout { operation, .. }) => last = (**operation).clone(),
        None if last.status.is_terminal() && !last.status.is_success() => {
            error = Some(Error::OperationFailed(Box::new(last.clone())));
        }
        None if !last.status.is_terminal() => {
            error = Some(Error::Timeout {
                operation: Box::new(last.clone()),
                waited: Duration::ZERO,
            });
        }
        _ => {}
    }
    Followed {
        last,
        polls: poller.polls(),
        error,
    }
}
