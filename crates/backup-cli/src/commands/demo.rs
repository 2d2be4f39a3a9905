//! `backupctl demo`: every vendor's emulator in this process, one backup on each.

use std::time::Duration;

use backup_all::core::emulator::{LifecycleSpec, ServeOptions};
use backup_all::plan::PreparedPlan;
use backup_all::{AnyEmulator, PlanSettings, Target, Vendor};

use super::plan::{exit_of, print_report};
use crate::cli::{DemoArgs, Output};
use crate::exit::Exit;
use crate::output::Printer;
use crate::progress::Progress;

/// What a failing demo backup says.
const FAILURE_REASON: &str = "demo: failure requested with --fail";
/// How long each demo backup runs, on the clock.
const BACKUP_DURATION: Duration = Duration::from_secs(1);

fn lifecycle(fail: bool) -> LifecycleSpec {
    let spec = LifecycleSpec::default().after(BACKUP_DURATION);
    if fail {
        spec.failing(FAILURE_REASON)
    } else {
        spec
    }
}

fn failed(vendor: Vendor, what: &str, error: &dyn std::fmt::Display) -> String {
    format!("{vendor}: cannot {what} the emulator: {error}")
}

/// Starts `vendor`'s emulator as `emulate` does (backups on the clock, as `spec`
/// says) and a target on it (the emulator's own credentials and demo request).
async fn start(vendor: Vendor, spec: LifecycleSpec) -> Result<(AnyEmulator, Target), String> {
    let emulator = AnyEmulator::serve(vendor, ServeOptions::default().lifecycle(spec))
        .await
        .map_err(|e| failed(vendor, "start", &e))?;
    let client = emulator
        .client()
        .map_err(|e| failed(vendor, "build a client for", &e))?;
    let target = Target::new(vendor.as_str(), client, emulator.demo_request());
    Ok((emulator, target))
}

pub async fn run(args: DemoArgs, output: Output) -> Exit {
    let printer = Printer::new(output);
    let mut vendors: Vec<Vendor> = if args.vendors.is_empty() {
        Vendor::enabled().collect()
    } else {
        args.vendors.clone()
    };
    vendors.sort_unstable();
    vendors.dedup();
    if let Some(vendor) = args.fail.iter().find(|v| !vendors.contains(v)) {
        Printer::stderr(&format!(
            "error: --fail {vendor} needs {vendor} among the --vendor values"
        ));
        return Exit::Usage;
    }
    let mut running = Vec::new();
    let mut targets = Vec::new();
    for vendor in vendors {
        match start(vendor, lifecycle(args.fail.contains(&vendor))).await {
            Ok((emulator, target)) => {
                running.push(emulator);
                targets.push(target);
            }
            Err(message) => {
                Printer::stderr(&format!("error: {message}"));
                return Exit::Api;
            }
        }
    }
    let emulators = match targets.as_slice() {
        [one] => format!("the local {} emulator", one.vendor()),
        all => format!("each of the {} local emulators", all.len()),
    };
    printer.note(&format!(
        "backupctl demo: one backup on {emulators} (no account, no network){}",
        if args.fail.is_empty() {
            String::new()
        } else {
            let names: Vec<&str> = args.fail.iter().map(|v| v.as_str()).collect();
            format!("; failing on purpose: {}", names.join(", "))
        }
    ));
    let plan = PreparedPlan {
        settings: PlanSettings {
            concurrency: targets.len().max(1),
            timeout: Some(Duration::from_secs(60)),
            fail_fast: false,
            poll_interval: Duration::from_millis(150),
            ..PlanSettings::default()
        },
        targets,
    };
    let progress = Progress::new(output);
    let report = plan
        .run(&|target, operation| progress.observe(target, operation))
        .await;
    progress.finish();
    print_report(printer, &report);
    drop(running);
    exit_of(&report)
}
