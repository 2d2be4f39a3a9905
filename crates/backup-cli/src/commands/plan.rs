//! `backupctl run <plan.toml>`.

use backup_all::{Plan, RunReport, TargetOutcome};

use crate::cli::{Output, RunArgs};
use crate::exit::Exit;
use crate::output::Printer;
use crate::progress::Progress;

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
    let report = prepared
        .run(&|target, operation| progress.observe(target, operation))
        .await;
    progress.finish();
    print_report(printer, &report);
    exit_of(&report)
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
            (TargetOutcome::Error, None) => Exit::Api,
        };
        exit.worst(code)
    })
}
