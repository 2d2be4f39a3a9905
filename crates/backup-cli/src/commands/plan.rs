//! `backupctl run <plan.toml>`.

use backup_all::{Plan, RunReport, TargetOutcome};

use crate::cli::{Output, RunArgs};
use crate::exit::Exit;
use crate::output::Printer;
use crate::progress::Progress;
use crate::signals::Signals;

pub async fn run(args: RunArgs, output: Output) -> Exit {
    let printer = Printer::new(output);
    let mut plan = match Plan::from_path(&args.plan) {
        Ok(plan) => plan,
        Err(errors) => {
            for error in &errors.0 {
                Printer::stderr(&format!("error: {error}"));
            }
            return Exit::Usage;
        }
    };
    if let Some(concurrency) = args.concurrency {
        plan.settings.concurrency = usize::from(concurrency);
    }
    if args.timeout.is_some() {
        plan.settings.timeout = args.timeout;
    }
    if args.fail_fast {
        plan.settings.fail_fast = true;
    }
    if let Some(interval) = args.poll_interval {
        plan.settings.poll_interval = interval;
    }
    let timeouts = args.timeouts.settings();
    if timeouts.connect_timeout.is_some() {
        plan.settings.transport.connect_timeout = timeouts.connect_timeout;
    }
    if timeouts.request_timeout.is_some() {
        plan.settings.transport.request_timeout = timeouts.request_timeout;
    }
    if args.max_concurrent_requests.is_some() {
        plan.settings.transport.max_concurrent_requests = args.max_concurrent_requests;
    }
    for target in &plan.targets {
        super::warn_insecure(crate::connect::insecure(&target.config));
    }
    let prepared = match plan.prepare() {
        Ok(prepared) => prepared,
        Err(errors) => {
            for error in &errors.0 {
                Printer::stderr(&format!("error: {error}"));
            }
            Printer::stderr("nothing was triggered");
            return Exit::Usage;
        }
    };
    let progress = Progress::new(output);
    // SIGINT / SIGTERM stop the run at once (see `crate::signals`).
    let signals = Signals::install();
    // Through the run journal: resumes an unfinished run of the plan (see
    // `super::journal`, docs/runs.md).
    let report = super::journal::run(
        &prepared,
        &plan,
        &args.journal,
        &args.plan,
        &|target, operation| progress.observe(target, operation),
        signals.stop_signal(),
    )
    .await;
    progress.finish();
    let report = match report {
        Ok(report) => report,
        Err(exit) => return exit,
    };
    if let Some(run_id) = &report.run_id {
        crate::output::set_run_id(run_id);
    }
    match signals.received() {
        Some(signal) => {
            print_interrupted_report(printer, &report);
            signal.exit()
        }
        None => {
            print_report(printer, &report);
            exit_of(&report)
        }
    }
}

/// Prints the report of an interrupted run: every target, each operation still
/// running marked interrupted (JSON) or followed by how to resume it (text).
fn print_interrupted_report(printer: Printer, report: &RunReport) {
    for target in &report.targets {
        printer.target_interrupted(target, true);
        if !printer.is_json() {
            for operation in &target.operations {
                if !operation.status.is_terminal() {
                    Printer::stderr(&format!(
                        "interrupted: the backup goes on; resume with: backupctl wait '{}'",
                        operation.reference
                    ));
                }
            }
        }
    }
    printer.note(&format!(
        "interrupted after {:.1}s: {} targets",
        report.duration.as_secs_f64(),
        report.targets.len()
    ));
}

/// Prints every target's report and, for people, a summary line.
pub fn print_report(printer: Printer, report: &RunReport) {
    for target in &report.targets {
        printer.target(target);
    }
    let count = |outcome| report.count(outcome);
    printer.note(&format!(
        "{} targets in {:.1}s: {} succeeded, {} failed, {} timed out, {} errors, {} skipped, {} abandoned",
        report.targets.len(),
        report.duration.as_secs_f64(),
        count(TargetOutcome::Succeeded),
        count(TargetOutcome::Failed),
        count(TargetOutcome::TimedOut),
        count(TargetOutcome::Error),
        count(TargetOutcome::Skipped),
        count(TargetOutcome::Abandoned),
    ));
    let unknown = count(TargetOutcome::OutcomeUnknown);
    if unknown > 0 {
        printer.note(&format!(
            "{unknown} targets with an unknown outcome: their trigger was sent and its answer \
             lost; check each vendor (the error says what) before triggering them again"
        ));
    }
}

/// The exit code of a run: the worst of its targets.
pub fn exit_of(report: &RunReport) -> Exit {
    report.targets.iter().fold(Exit::Success, |exit, target| {
        let code = match (target.outcome, &target.error) {
            (TargetOutcome::Succeeded, _) => Exit::Success,
            (TargetOutcome::Failed | TargetOutcome::Skipped | TargetOutcome::Abandoned, _) => {
                Exit::BackupFailed
            }
            (TargetOutcome::TimedOut, _) => Exit::Deadline,
            (TargetOutcome::Error, Some(error)) => Exit::of(error),
            (TargetOutcome::Error, None) | (TargetOutcome::OutcomeUnknown, _) => Exit::Api,
        };
        exit.worst(code)
    })
}
