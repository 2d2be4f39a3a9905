//! `backupctl trigger <vendor>`.

use backup_all::core::WaitOptions;
use backup_all::plan::run_target;
use backup_all::{EnvNames, Target};

use crate::cli::{Output, TriggerArgs};
use crate::connect;
use crate::exit::Exit;
use crate::output::Printer;
use crate::progress::Progress;
use crate::signals::Signals;

pub async fn run(args: TriggerArgs, output: Output) -> Exit {
    let printer = Printer::new(output);
    let common = args.common;
    if common.timeout.is_some() && !common.wait {
        // Was clap's `requires`, which a global flag given before the vendor escapes.
        Printer::stderr("error: --timeout needs --wait (nothing was sent)");
        return Exit::Usage;
    }
    let vendor = args.vendor.vendor();
    let (params, config) = args.vendor.into_parts();
    super::warn_insecure(connect::insecure(&config));
    let target = match Target::from_env_with(
        vendor.as_str(),
        &params,
        &config,
        &EnvNames::default(),
        &common.timeouts.settings(),
    ) {
        Ok(target) => target,
        Err(error) => {
            let error = connect::name_flag(vendor, error);
            printer.failure(vendor.as_str(), &error);
            return Exit::of(&error);
        }
    };
    let wait = common.wait.then(|| {
        let options = WaitOptions::every(common.poll_interval);
        match common.timeout {
            Some(timeout) => options.deadline(Some(timeout)),
            None => options,
        }
    });
    trigger_and_follow(&target, wait, output).await
}

/// Triggers `target`; with `wait`, follows every operation to its end. Prints the
/// operations and returns the exit code. Waiting goes through
/// [`backup_all::plan::run_target`], the path plans and `backupctl demo` take.
///
/// SIGINT or SIGTERM stops it at once: a trigger whose answer has not come is reported
/// as an unknown outcome, each operation being waited for with its last known state
/// and how to resume; the exit code is then 130 or 143.
pub async fn trigger_and_follow(
    target: &Target,
    wait: Option<WaitOptions>,
    output: Output,
) -> Exit {
    let printer = Printer::new(output);
    let vendor = target.vendor();
    let signals = Signals::install();
    let progress = Progress::new(output);
    let attempt = match wait {
        Some(wait) => {
            run_target(target, wait, signals.stop_signal(), &|_, operation| {
                progress.observe("", operation);
            })
            .await
        }
        None => {
            // The same path without waiting: an interrupt still cuts the trigger off
            // and reports it as an unknown outcome.
            let no_wait = WaitOptions::default().deadline(Some(std::time::Duration::ZERO));
            let mut attempt = run_target(target, no_wait, signals.stop_signal(), &|_, _| {}).await;
            if matches!(attempt.error, Some(backup_all::core::Error::Timeout { .. })) {
                attempt.error = None;
            }
            attempt
        }
    };
    progress.finish();
    let interrupted = signals.received();
    if attempt.operations.is_empty()
        && let Some(error) = &attempt.error
    {
        printer.failure_interrupted(vendor.as_str(), error, interrupted.is_some());
        return interrupted.map_or_else(|| Exit::of(error), crate::signals::Signal::exit);
    }
    for operation in &attempt.operations {
        // The error belongs to the operation it names; the others show their own state.
        let error = attempt.error.as_ref().filter(|error| {
            error
                .operation()
                .is_none_or(|op| op.reference == operation.reference)
        });
        let stopped = interrupted.is_some() && !operation.status.is_terminal();
        printer.operation_interrupted(operation, error, stopped);
        if !printer.is_json()
            && !operation.status.is_terminal()
            && (wait_given(&attempt) || stopped)
        {
            Printer::stderr(&format!(
                "{}the backup goes on; resume with: backupctl wait '{}'",
                if stopped { "interrupted: " } else { "" },
                operation.reference
            ));
        }
    }
    if let Some(signal) = interrupted {
        return signal.exit();
    }
    attempt.error.as_ref().map_or(Exit::Success, Exit::of)
}

/// Whether the attempt ended while waiting (an error or a deadline), so that resuming
/// is worth a line.
fn wait_given(attempt: &backup_all::run::Attempt) -> bool {
    attempt.error.is_some()
}
