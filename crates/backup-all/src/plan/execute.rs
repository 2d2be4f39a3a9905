//! Running targets: trigger, then follow every operation to its end.

use std::time::Duration;

use backup_core::{Error, Operation, WaitOptions};
use futures_util::StreamExt;
use tracing::Instrument;

use super::{Plan, PlanError, PlanErrors, PlanSettings};
use crate::run::{Attempt, RunItem, RunOptions, RunReport, StopSignal, run_bounded};
use crate::{AnyClient, Target};

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
            match Target::from_env(&target.name, &target.params, &target.config, &target.env) {
                Ok(prepared) => targets.push(prepared),
                Err(error) => {
                    let field = match &error {
                        Error::InvalidInput { field, .. } => Some(field.clone()),
                        Error::Config { .. } => Some("environment".to_owned()),
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
        run_bounded(items, &options, |target, remaining, stop| {
            let wait = WaitOptions::every(interval).deadline(remaining);
            run_target(target, wait, stop, observer)
        })
        .await
    }
}

/// Triggers `target` and follows each of its operations to the end (or to the
/// deadline in `wait`, or until `stop` fires).
pub async fn run_target(
    target: &Target,
    wait: WaitOptions,
    stop: StopSignal,
    observer: Observer<'_>,
) -> Attempt {
    let span = tracing::info_span!("target", name = %target.name, vendor = %target.vendor());
    run_target_inner(target, wait, stop, observer)
        .instrument(span)
        .await
}

async fn run_target_inner(
    target: &Target,
    wait: WaitOptions,
    mut stop: StopSignal,
    observer: Observer<'_>,
) -> Attempt {
    let operations = match target.trigger().await {
        Ok(operations) => operations,
        Err(error) => {
            tracing::warn!(%error, "trigger failed");
            return Attempt {
                error: Some(error),
                ..Attempt::default()
            };
        }
    };
    for operation in &operations {
        tracing::info!(operation = %operation.reference, "backup started");
    }
    let observe = |op: &Operation| observer(&target.name, op);
    let observe: &(dyn Fn(&Operation) + Send + Sync) = &observe;
    let follow_all = futures_util::future::join_all(
        operations
            .iter()
            .map(|operation| follow(&target.client, operation.clone(), wait.clone(), observe)),
    );
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
            operations,
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
