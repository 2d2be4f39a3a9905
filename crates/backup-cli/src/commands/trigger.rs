//! `backupctl trigger <vendor>`.

use backup_all::core::WaitOptions;
use backup_all::plan::run_target;
use backup_all::run::StopSignal;
use backup_all::{EnvNames, Target};

use crate::cli::{Output, TriggerArgs};
use crate::connect;
use crate::exit::Exit;
use crate::output::Printer;
use crate::progress::Progress;

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
    let target = match Target::from_env(vendor.as_str(), &params, &config, &EnvNames::default()) {
        Ok(target) => target,
        Err(error) => {
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
pub async fn trigger_and_follow(
    target: &Target,
    wait: Option<WaitOptions>,
    output: Output,
) -> Exit {
    let printer = Printer::new(output);
    let vendor = target.vendor();
    let Some(wait) = wait else {
        return match target.trigger().await {
            Ok(operations) => {
                for operation in &operations {
                    printer.operation(operation, None);
                }
                Exit::Success
            }
            Err(error) => {
                printer.failure(vendor.as_str(), &error);
                Exit::of(&error)
            }
        };
    };
    let progress = Progress::new(output);
    let attempt = run_target(target, wait, StopSignal::never(), &|_, operation| {
        progress.observe("", operation);
    })
    .await;
    progress.finish();
    if attempt.operations.is_empty()
        && let Some(error) = &attempt.error
    {
        printer.failure(vendor.as_str(), error);
        return Exit::of(error);
    }
    for operation in &attempt.operations {
        // The error belongs to the operation it names; the others show their own state.
        let error = attempt.error.as_ref().filter(|error| {
            error
                .operation()
                .is_none_or(|op| op.reference == operation.reference)
        });
        printer.operation(operation, error);
        if !printer.is_json() && !operation.status.is_terminal() {
            Printer::stderr(&format!(
                "the backup goes on; resume with: backupctl wait '{}'",
                operation.reference
            ));
        }
    }
    attempt.error.as_ref().map_or(Exit::Success, Exit::of)
}
