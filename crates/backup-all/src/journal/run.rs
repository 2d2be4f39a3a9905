//! [`PreparedPlan::run_journaled`]: a plan's targets run through a [`Journal`], by any
//! number of workers (processes or hosts) sharing the run.
//!
//! Each worker runs `concurrency` loops; each loop claims a target, takes it from where
//! the journal says it stands, and claims the next. A worker renews its claims every
//! third of the lease; a worker that dies stops renewing, and once its lease has
//! expired its targets are claimed by another worker, which resumes them from the
//! recorded references. When nothing is left to claim, a worker waits for the targets
//! other workers hold, then ends the run and reports every target of it.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use backup_core::contract::Recovered;
use backup_core::{Error, Operation, WaitOptions};
use futures_util::StreamExt;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::sync::watch;
use tokio::time::Instant;

use super::lookout::{Lookout, Next};
use super::record::{ErrorRecord, TargetRecord, TargetState, Update};
use super::{DEFAULT_LEASE, Journal, JournalError};
use crate::plan::{Observer, PreparedPlan};
use crate::run::{Attempt, RunReport, TargetOutcome, TargetReport, outcome_of};
use crate::{Target, Vendor};

/// Who this worker is and how long its claims last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerOptions {
    /// The worker's id in the journal (`host/pid/random` by default): every claim and
    /// event names it.
    pub worker: String,
    /// How long a claim lasts unless renewed ([`DEFAULT_LEASE`]); renewed every third
    /// of it. A dead worker's targets are taken over after it.
    pub lease: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        Self {
            worker: default_worker_id(),
            lease: DEFAULT_LEASE,
        }
    }
}

impl WorkerOptions {
    /// Sets the lease (at least 300 ms).
    #[must_use]
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(Duration::from_millis(300));
        self
    }
}

/// This host's name: `HOSTNAME`, else `/etc/hostname`.
fn host_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().replace('/', "-"))
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".to_owned())
}

/// `host/pid/random`.
fn default_worker_id() -> String {
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("{}/{}/{}", host_name(), std::process::id(), &random[..6])
}

/// Whether `worker` (an id of [`default_worker_id`]'s form) was a process of this host
/// that is gone: its claims need not wait for their lease. Only where it can be told
/// (Linux's `/proc`); a worker of another host, or of a live process, is never taken
/// for dead.
fn is_dead_local_worker(worker: &str, me: &str) -> bool {
    let mut parts = worker.splitn(3, '/');
    let (Some(host), Some(pid), Some(_)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let Ok(pid) = pid.parse::<u32>() else {
        return false;
    };
    worker != me
        && host == host_name()
        && pid != std::process::id()
        && std::path::Path::new("/proc/self").exists()
        && !std::path::Path::new("/proc").join(pid.to_string()).exists()
}

/// Releases the claims of this host's workers whose process is gone (killed), so that
/// a run resumed on the same host does not wait for their leases to expire.
async fn release_dead_local_workers(
    journal: &dyn Journal,
    run_id: &str,
    me: &str,
) -> Result<(), JournalError> {
    let mut dead: Vec<String> = journal
        .targets(run_id)
        .await?
        .into_iter()
        .filter(|t| !t.state.is_ended())
        .filter_map(|t| t.owner)
        .filter(|owner| is_dead_local_worker(owner, me))
        .collect();
    dead.sort();
    dead.dedup();
    for owner in dead {
        let released = journal.release(run_id, &owner).await?;
        tracing::info!(worker = %owner, released, "released the claims of a worker of this host that is gone");
    }
    Ok(())
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_else(|_| at.to_string())
}

/// What one run of the loops shares.
struct Context<'a> {
    plan: &'a PreparedPlan,
    /// The plan's targets by name (a claim names its target: found in constant time,
    /// not by a walk of the plan, which made a run quadratic in its targets).
    targets: HashMap<&'a str, &'a Target>,
    journal: &'a dyn Journal,
    run_id: &'a str,
    worker: &'a WorkerOptions,
    observer: Observer<'a>,
    started: Instant,
    /// Fail-fast fired: claim nothing more, stop waiting.
    stop: watch::Sender<bool>,
    /// What this worker did, by target.
    reports: Mutex<HashMap<String, TargetReport>>,
    /// The loops that found nothing to claim.
    lookout: Lookout,
}

impl Context<'_> {
    fn remaining(&self) -> Option<Duration> {
        self.plan
            .settings
            .timeout
            .map(|timeout| timeout.saturating_sub(self.started.elapsed()))
    }

    fn stopped(&self) -> bool {
        *self.stop.borrow()
    }

    fn target(&self, name: &str) -> Result<&Target, JournalError> {
        self.targets
            .get(name)
            .copied()
            .ok_or_else(|| JournalError::UnknownTarget {
                run_id: self.run_id.to_owned(),
                target: name.to_owned(),
            })
    }

    async fn update(&self, target: &str, update: &Update) -> Result<(), JournalError> {
        self.journal
            .update(self.run_id, target, &self.worker.worker, update)
            .await
    }
}

/// How a target's processing by this worker ended.
enum Processed {
    /// It ended, as this worker recorded.
    Ended(TargetReport),
    /// Another worker holds it now (this worker's lease expired).
    Lost,
}

impl PreparedPlan {
    /// Runs the targets of run `run_id` (opened with [`Journal::open_run`]) through
    /// `journal` as worker `worker`, and reports on every target of the run, including
    /// those ended earlier or by other workers.
    ///
    /// Each step is written before and after it is taken: a target already ended is
    /// not touched, one with recorded references is waited on from them (never
    /// triggered again), and one whose trigger was sent without an answer is resolved
    /// through the vendor (else ended `outcome_unknown`, saying what to check). When
    /// `interrupt` resolves, the worker stops at once and gives up its claims: the run
    /// stays unfinished, and the next run of the plan resumes it.
    ///
    /// # Errors
    /// A [`JournalError`] when the journal cannot be read or written (the intent to
    /// trigger is always written before the trigger: nothing is sent unrecorded).
    pub async fn run_journaled(
        &self,
        journal: &dyn Journal,
        run_id: &str,
        worker: &WorkerOptions,
        observer: Observer<'_>,
        interrupt: impl Future<Output = ()> + Send,
    ) -> Result<RunReport, JournalError> {
        let (stop, _) = watch::channel(false);
        let mut targets = HashMap::with_capacity(self.targets.len());
        for target in &self.targets {
            // A plan's names are unique; were one not, the first would be found, as before.
            targets.entry(target.name.as_str()).or_insert(target);
        }
        let context = Context {
            plan: self,
            targets,
            journal,
            run_id,
            worker,
            observer,
            started: Instant::now(),
            stop,
            reports: Mutex::new(HashMap::new()),
            lookout: Lookout::new(),
        };
        release_dead_local_workers(journal, run_id, &worker.worker).await?;
        let loops = self.settings.concurrency.max(1);
        let work = async {
            let results =
                futures_util::future::join_all((0..loops).map(|_| worker_loop(&context))).await;
            results
                .into_iter()
                .collect::<Result<Vec<()>, _>>()
                .map(|_| ())
        };
        let renew = async {
            loop {
                tokio::time::sleep(worker.lease / 3).await;
                if let Err(error) = journal.renew(run_id, &worker.worker, worker.lease).await {
                    tracing::warn!(%error, "cannot renew this worker's claims");
                }
            }
        };
        let interrupted = tokio::select! {
            result = work => { result?; false }
            _ = renew => false,
            () = interrupt => true,
        };
        if interrupted {
            let released = journal.release(run_id, &worker.worker).await?;
            tracing::info!(
                run = run_id,
                released,
                "interrupted: claims released, the run stays unfinished"
            );
        } else {
            if context.stopped() {
                journal
                    .skip_pending(run_id, &worker.worker, "fail-fast stopped the run")
                    .await?;
            } else if context.remaining().is_some_and(|left| left.is_zero()) {
                journal
                    .skip_pending(
                        run_id,
                        &worker.worker,
                        "the deadline passed before it started",
                    )
                    .await?;
            }
            journal.finish(run_id, &worker.worker).await?;
        }
        let records = journal.targets(run_id).await?;
        let mut mine = context
            .reports
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let targets = records
            .into_iter()
            .map(|record| {
                mine.remove(&record.name)
                    .unwrap_or_else(|| report_of(&record))
            })
            .collect();
        Ok(RunReport {
            targets,
            duration: context.started.elapsed(),
            run_id: Some(run_id.to_owned()),
        })
    }
}

/// A report of a target from its record (ended earlier, or by another worker).
fn report_of(record: &TargetRecord) -> TargetReport {
    let vendor: Vendor = record.vendor.parse().unwrap_or(Vendor::ALL[0]);
    let outcome = match record.state {
        TargetState::Ended(outcome) => outcome,
        // Still held by another worker, or left when this one gave up: the backups go on.
        _ => TargetOutcome::Abandoned,
    };
    let duration = match (record.intent_at, record.ended_at) {
        (Some(from), Some(to)) => Duration::try_from(to - from).unwrap_or_default(),
        _ => Duration::ZERO,
    };
    TargetReport {
        name: record.name.clone(),
        vendor,
        outcome,
        operations: record.operations.clone(),
        duration,
        polls: 0,
        error: record
            .error
            .as_ref()
            .map(|error| error.to_error(vendor, &record.operations)),
    }
}

/// Claims and runs targets until none is left to claim and every target has ended
/// (waiting for those other workers hold), fail-fast fires or the deadline passes.
async fn worker_loop(context: &Context<'_>) -> Result<(), JournalError> {
    // How often to look again for targets held by others (or freed by a dead worker).
    let idle = (context.worker.lease / 3).min(Duration::from_secs(1));
    loop {
        if context.stopped() || context.remaining().is_some_and(|left| left.is_zero()) {
            return Ok(());
        }
        let claimed = context
            .journal
            .claim(context.run_id, &context.worker.worker, context.worker.lease)
            .await?;
        match claimed {
            Some(record) => {
                context.lookout.claimed();
                let name = record.name.clone();
                if let Processed::Ended(report) = process(context, record).await? {
                    if context.plan.settings.fail_fast && report.outcome != TargetOutcome::Succeeded
                    {
                        context.stop.send_replace(true);
                    }
                    context
                        .reports
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .insert(name, report);
                }
            }
            None => {
                // The deadline, when there is one, bounds the wait for the lookout's word.
                let patience = context
                    .remaining()
                    .map_or(context.worker.lease, |left| left.min(context.worker.lease));
                let next = context
                    .lookout
                    .idle(
                        context.journal,
                        context.run_id,
                        idle,
                        patience,
                        &context.stop,
                    )
                    .await?;
                if next == Next::Done {
                    return Ok(());
                }
            }
        }
    }
}

/// Takes one claimed target from where the journal says it stands to its end.
async fn process(context: &Context<'_>, record: TargetRecord) -> Result<Processed, JournalError> {
    let target = context.target(&record.name)?;
    let started = Instant::now();
    if let Some(previous) = record
        .previous_owner
        .as_deref()
        .filter(|p| *p != context.worker.worker)
    {
        tracing::info!(target = %record.name, state = %record.state, previous, "taking the target over");
    }
    let step = match record.state {
        TargetState::Pending => trigger(context, target).await,
        TargetState::Triggering => recover(context, target, &record).await,
        TargetState::Waiting => {
            tracing::info!(target = %record.name, "waiting on the recorded references (not triggering again)");
            follow(context, target, record.operations.clone()).await
        }
        TargetState::Ended(_) => return Ok(Processed::Lost),
    };
    let (attempt, recovery) = match step {
        Ok(Step::Done(attempt, recovery)) => (attempt, recovery),
        Ok(Step::Lost) | Err(JournalError::LostClaim { .. }) => {
            tracing::warn!(target = %record.name, "another worker holds the target now; leaving it");
            return Ok(Processed::Lost);
        }
        Err(error) => return Err(error),
    };
    let outcome = outcome_of(&attempt);
    let ended = Update::Ended {
        outcome,
        operations: attempt.operations.clone(),
        error: attempt.error.as_ref().map(ErrorRecord::of),
        recovery,
    };
    match context.update(&target.name, &ended).await {
        Ok(()) => {}
        Err(JournalError::LostClaim { .. }) => return Ok(Processed::Lost),
        Err(error) => return Err(error),
    }
    Ok(Processed::Ended(TargetReport {
        name: target.name.clone(),
        vendor: target.vendor(),
        outcome,
        operations: attempt.operations,
        duration: started.elapsed(),
        polls: attempt.polls,
        error: attempt.error,
    }))
}

/// Where a step left a target.
enum Step {
    /// Ready to be ended with this attempt (and how a lost trigger was resolved, when
    /// it was not).
    Done(Attempt, Option<String>),
    /// Another worker holds it now.
    Lost,
}

fn failed(error: Error) -> Step {
    Step::Done(
        Attempt {
            error: Some(error),
            ..Attempt::default()
        },
        None,
    )
}

/// A pending target: records the intent (with the vendor's idempotency key), sends the
/// trigger, records the references, and follows them.
// With no vendor enabled a request cannot exist: what follows its clone is unreachable.
#[allow(unused_variables, unused_mut, unreachable_code)]
async fn trigger(context: &Context<'_>, target: &Target) -> Result<Step, JournalError> {
    let mut request = target.request.clone();
    let idempotency_key = request.idempotency_key(None);
    context
        .update(&target.name, &Update::Intent { idempotency_key })
        .await?;
    let sent = match context.remaining() {
        Some(left) => match tokio::time::timeout(left, target.client.trigger(&request)).await {
            Ok(sent) => sent,
            // Nothing more is sent after the deadline: not even to ask the vendor.
            Err(_) => {
                let error = Error::OutcomeUnknown {
                    vendor: target.vendor().as_str(),
                    action: format!("trigger of target {}", target.name),
                    reason: "the deadline passed before the trigger's answer came; check \
                             the vendor before triggering again"
                        .to_owned(),
                    status: None,
                    request_id: None,
                };
                return Ok(Step::Done(
                    Attempt {
                        error: Some(error),
                        ..Attempt::default()
                    },
                    Some("unknown".to_owned()),
                ));
            }
        },
        None => target.client.trigger(&request).await,
    };
    match sent {
        Ok(operations) => {
            for operation in &operations {
                tracing::info!(target = %target.name, operation = %operation.reference, "backup started");
            }
            context
                .update(
                    &target.name,
                    &Update::Triggered {
                        operations: operations.clone(),
                        recovery: None,
                    },
                )
                .await?;
            follow(context, target, operations).await
        }
        // The answer was lost in this very process: resolve it as a resumed run would.
        Err(Error::OutcomeUnknown { reason, .. }) => {
            tracing::warn!(target = %target.name, %reason, "the trigger's answer was lost; asking the vendor what it started");
            recover_request(
                context,
                target,
                &request,
                OffsetDateTime::now_utc(),
                Some(reason),
            )
            .await
        }
        Err(error) => {
            tracing::info!(target = %target.name, %error, "trigger failed");
            Ok(failed(error))
        }
    }
}

/// A target whose intent was recorded and whose answer never was (the worker died in
/// between): the vendor's idempotency (the recorded key) or its answer to a second
/// start tells what it started; otherwise it ends `outcome_unknown`.
// With no vendor enabled a request cannot exist: what follows its clone is unreachable.
#[allow(unused_variables, unused_mut, unreachable_code)]
async fn recover(
    context: &Context<'_>,
    target: &Target,
    record: &TargetRecord,
) -> Result<Step, JournalError> {
    let mut request = target.request.clone();
    if let Some(key) = record.idempotency_key.as_deref() {
        request.idempotency_key(Some(key));
    }
    let intent_at = record.intent_at.unwrap_or_else(OffsetDateTime::now_utc);
    tracing::warn!(target = %target.name, intent_at = %rfc3339(intent_at), "the trigger was sent and its answer never recorded; asking the vendor what it started");
    recover_request(context, target, &request, intent_at, None).await
}

async fn recover_request(
    context: &Context<'_>,
    target: &Target,
    request: &crate::AnyRequest,
    intent_at: OffsetDateTime,
    lost: Option<String>,
) -> Result<Step, JournalError> {
    let unknown = |what: String| {
        let lost = lost
            .as_deref()
            .map(|reason| format!(" ({reason})"))
            .unwrap_or_default();
        Error::OutcomeUnknown {
            vendor: target.vendor().as_str(),
            action: format!("trigger of target {}", target.name),
            reason: format!(
                "the trigger was sent at {} and its answer never came{lost}; {what}",
                rfc3339(intent_at)
            ),
            status: None,
            request_id: None,
        }
    };
    match target.client.recover_trigger(request).await {
        Ok(Recovered::Operations(operations)) => {
            for operation in &operations {
                tracing::info!(target = %target.name, operation = %operation.reference, "found what the lost trigger started");
            }
            context
                .update(
                    &target.name,
                    &Update::Triggered {
                        operations: operations.clone(),
                        recovery: Some("vendor".to_owned()),
                    },
                )
                .await?;
            follow(context, target, operations).await
        }
        Ok(Recovered::Unknown(what)) => Ok(Step::Done(
            Attempt {
                error: Some(unknown(what)),
                ..Attempt::default()
            },
            Some("unknown".to_owned()),
        )),
        Ok(_) => Ok(Step::Done(
            Attempt {
                error: Some(unknown(format!(
                    "check {} before triggering again",
                    target.vendor()
                ))),
                ..Attempt::default()
            },
            Some("unknown".to_owned()),
        )),
        Err(error) => Ok(Step::Done(
            Attempt {
                error: Some(unknown(format!(
                    "asking {} what it started failed: {error}",
                    target.vendor()
                ))),
                ..Attempt::default()
            },
            Some("unknown".to_owned()),
        )),
    }
}

/// Follows every operation of `target` to its end, recording each change; stops at the
/// deadline (timed out), when fail-fast fires (abandoned), or when the claim is lost.
async fn follow(
    context: &Context<'_>,
    target: &Target,
    operations: Vec<Operation>,
) -> Result<Step, JournalError> {
    let interval = context.plan.settings.poll_interval;
    let current = Mutex::new(operations.clone());
    let lost = Mutex::new(None::<JournalError>);
    let one = |index: usize, operation: Operation| {
        let current = &current;
        let lost = &lost;
        async move {
            let wait = WaitOptions::every(interval).deadline(context.remaining());
            let mut last = operation.clone();
            let mut poller = target.client.wait(operation, wait);
            let mut error = None;
            while let Some(item) = poller.next().await {
                match item {
                    Ok(operation) => {
                        (context.observer)(&target.name, &operation);
                        let all = {
                            let mut all = current
                                .lock()
                                .unwrap_or_else(std::sync::PoisonError::into_inner);
                            if let Some(slot) = all.get_mut(index) {
                                *slot = operation.clone();
                            }
                            all.clone()
                        };
                        last = operation;
                        match context
                            .update(
                                &target.name,
                                &Update::Observed {
                                    index,
                                    operations: all,
                                },
                            )
                            .await
                        {
                            Ok(()) => {}
                            Err(e @ JournalError::LostClaim { .. }) => {
                                *lost
                                    .lock()
                                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(e);
                                break;
                            }
                            // A state change not recorded is not worth stopping the wait
                            // for: the end is recorded, and a resume reads the operation
                            // again from its reference.
                            Err(e) => tracing::warn!(error = %e, "cannot record a state change"),
                        }
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
            (last, poller.polls(), error)
        }
    };
    let all = futures_util::future::join_all(
        operations
            .iter()
            .cloned()
            .enumerate()
            .map(|(index, operation)| one(index, operation)),
    );
    let mut stop = context.stop.subscribe();
    let attempt = tokio::select! {
        followed = all => {
            let mut attempt = Attempt::default();
            for (last, polls, error) in followed {
                attempt.polls += polls;
                attempt.operations.push(last);
                if attempt.error.is_none() {
                    attempt.error = error;
                }
            }
            attempt
        }
        _ = stop.wait_for(|stopped| *stopped) => Attempt {
            operations: current.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone(),
            abandoned: true,
            ..Attempt::default()
        },
    };
    if lost
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .is_some()
    {
        return Ok(Step::Lost);
    }
    Ok(Step::Done(attempt, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_gone_process_of_this_host_is_taken_for_dead() {
        let me = default_worker_id();
        let host = host_name();
        assert!(!is_dead_local_worker(&me, &me));
        let alive = format!("{host}/{}/abcdef", std::process::id());
        assert!(!is_dead_local_worker(&alive, &me), "this very process");
        assert!(!is_dead_local_worker("other-host/4194303/abcdef", &me));
        assert!(!is_dead_local_worker("no pid here", &me));
        assert!(!is_dead_local_worker(&format!("{host}/x/abcdef"), &me));
        // A pid above Linux's maximum (4194304) is never a live process.
        let gone = format!("{host}/4294967/abcdef");
        assert_eq!(
            is_dead_local_worker(&gone, &me),
            std::path::Path::new("/proc/self").exists()
        );
    }
}
