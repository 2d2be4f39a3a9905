//! Scenario 2: thousands of backups triggered and waited for at once on every vendor's
//! emulator, through one SDK client per vendor.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use backup_core::WaitOptions;
use backup_core::emulator::{LifecycleSpec, LoadOptions, RouteClass};
use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::procfs::{current_rss, peak_rss, process_cpu, reset_peak_rss};
use crate::stats::percentile;
use crate::vendors::{Loaded, start_loaded};

/// How big a run is.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    /// Backups per vendor.
    pub per_vendor: usize,
    /// Backups in flight (all vendors together).
    pub concurrency: usize,
    /// The poll interval (the emulators' hints say the same where they send one).
    pub interval: Duration,
    /// How long each backup runs on the emulator, from its acceptance.
    pub duration: Duration,
}

/// What one backup gave.
#[derive(Debug, Default)]
struct Outcome {
    /// Notice delays in ms, one per operation.
    delays_ms: Vec<f64>,
    polls: u64,
    operations: u64,
    errors: Vec<String>,
}

async fn one_backup(sdk: &dyn Loaded, target: usize, config: Config, outcome: &mut Outcome) {
    let options = WaitOptions::every(config.interval)
        .interval_limits(config.interval, Duration::from_secs(60))
        .deadline(Some(Duration::from_secs(300)));
    let operations = match sdk.trigger(target).await {
        Ok(operations) => operations,
        Err(e) => {
            outcome.errors.push(format!("trigger: {e}"));
            return;
        }
    };
    let accepted = Instant::now();
    // A random phase between the backup's end and the poll schedule, as when backups
    // of different lengths are followed: without it every backup would end at the
    // same point between two polls.
    let phase = config.interval.mul_f64(fastrand::f64());
    tokio::time::sleep(phase).await;
    // The emulator marks the backup done `duration` after accepting it, which it did
    // just before its answer arrived: `accepted + duration` is the end, late by the
    // answer's way back over loopback (the delays are low by that much).
    let done = accepted + config.duration;
    for operation in operations {
        match sdk.wait(operation, options.clone()).await {
            Ok((_, polls)) => {
                let noticed = Instant::now();
                let delay = noticed.saturating_duration_since(done);
                outcome.delays_ms.push(delay.as_secs_f64() * 1e3);
                outcome.polls += u64::from(polls);
                outcome.operations += 1;
            }
            Err(e) => outcome.errors.push(format!("wait: {e}")),
        }
    }
}

/// Runs scenario 2.
///
/// # Errors
/// When an emulator or a client cannot be started.
#[allow(clippy::cast_precision_loss)] // counts far below 2^52
pub async fn run(config: Config) -> Result<Value, String> {
    let rss_reset = reset_peak_rss();
    let rss_before = current_rss();
    // Distinct targets for vendors that refuse a second backup of a target still
    // running; the vendors' poll hints say the same as the interval.
    let load = LoadOptions::new(LifecycleSpec::default().after(config.duration))
        .targets(config.per_vendor)
        .poll_hint(config.interval);
    let mut clients: Vec<Box<dyn Loaded>> = Vec::new();
    for vendor in crate::vendors::all() {
        clients.push(start_loaded(vendor, load.clone()).await?);
    }
    let vendor_count = clients.len();
    let clients = Arc::new(clients);
    let jobs = config.per_vendor * vendor_count;
    let next = Arc::new(AtomicUsize::new(0));
    let cpu_before = process_cpu();
    let started = Instant::now();
    let mut workers = JoinSet::new();
    for _ in 0..config.concurrency.min(jobs) {
        let clients = Arc::clone(&clients);
        let next = Arc::clone(&next);
        workers.spawn(async move {
            let mut outcomes: Vec<Outcome> =
                (0..vendor_count).map(|_| Outcome::default()).collect();
            loop {
                let job = next.fetch_add(1, Ordering::Relaxed);
                if job >= jobs {
                    break;
                }
                // Vendors interleaved: job j goes to vendor j % n, target j / n.
                let vendor = job % vendor_count;
                one_backup(
                    clients[vendor].as_ref(),
                    job / vendor_count,
                    config,
                    &mut outcomes[vendor],
                )
                .await;
            }
            outcomes
        });
    }
    let mut totals: Vec<Outcome> = (0..vendor_count).map(|_| Outcome::default()).collect();
    while let Some(joined) = workers.join_next().await {
        let outcomes = joined.map_err(|e| format!("a worker panicked: {e}"))?;
        for (total, outcome) in totals.iter_mut().zip(outcomes) {
            total.delays_ms.extend(outcome.delays_ms);
            total.polls += outcome.polls;
            total.operations += outcome.operations;
            total.errors.extend(outcome.errors);
        }
    }
    let wall = started.elapsed();
    let cpu = process_cpu().saturating_sub(cpu_before);
    let peak = peak_rss();
    let interval_ms = config.interval.as_secs_f64() * 1e3;
    let mut vendors = Vec::new();
    let mut all_delays = Vec::new();
    for (loaded, total) in clients.iter().zip(&totals) {
        let emulator = loaded.emulator();
        let requests = emulator.requests();
        let backups = total.operations.max(1) as f64;
        let p99 = percentile(&total.delays_ms, 99.0);
        all_delays.extend_from_slice(&total.delays_ms);
        vendors.push(json!({
            "vendor": loaded.vendor(),
            "triggers_accepted": emulator.accepted_backups(),
            "backups_done": total.operations,
            "errors": total.errors.len(),
            "first_errors": total.errors.iter().take(3).collect::<Vec<_>>(),
            "token_requests": emulator.token_requests(),
            "requests": requests.total(),
            "requests_per_backup": requests.total() as f64 / backups,
            "poll_requests_per_backup": requests.count(RouteClass::Poll) as f64 / backups,
            "polls_per_backup": total.polls as f64 / backups,
            "notice_delay_ms_p50": percentile(&total.delays_ms, 50.0),
            "notice_delay_ms_p99": p99,
            "notice_delay_ms_max": percentile(&total.delays_ms, 100.0),
            "token_target_met": emulator.token_requests() == 1,
            "delay_target_met": p99 <= interval_ms,
        }));
    }
    // The workers are done: theirs were the only other references.
    for loaded in Arc::into_inner(clients).into_iter().flatten() {
        loaded.shutdown().await;
    }
    let peak_mb = peak.map(|bytes| bytes as f64 / 1_048_576.0);
    Ok(json!({
        "backups_per_vendor": config.per_vendor,
        "backups": jobs,
        "concurrency": config.concurrency,
        "poll_interval_ms": interval_ms,
        "backup_duration_ms": config.duration.as_secs_f64() * 1e3,
        "wall_s": wall.as_secs_f64(),
        "cpu_s": cpu.as_secs_f64(),
        "peak_rss_mb": peak_mb,
        "rss_before_mb": rss_before.map(|bytes| bytes as f64 / 1_048_576.0),
        "peak_rss_reset": rss_reset,
        "peak_rss_note": "the whole process: every vendor's emulator (same process) and the SDK clients",
        "rss_target_met": peak_mb.is_some_and(|mb| mb < 100.0),
        "notice_delay_ms_p50": percentile(&all_delays, 50.0),
        "notice_delay_ms_p99": percentile(&all_delays, 99.0),
        "notice_delay_note": "from the end the emulator's lifecycle gives (trigger answer received + duration) to the moment wait() returned; each backup starts waiting at a random phase of the poll interval, so the delay is uniform over one interval plus the client's lateness",
        "vendors": vendors,
    }))
}

/// The fan-out table.
#[must_use]
pub fn table(report: &Value) -> String {
    let num = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    let mut out = format!(
        "Scenario 2: fan-out ({} backups, {} per vendor, concurrency {}, poll every {} ms, backups run {} ms)\n\
         wall {:.1} s, process CPU {:.1} s, peak RSS {:.1} MB (target < 100), notice delay p50 {:.0} ms, p99 {:.0} ms\n",
        report["backups"],
        report["backups_per_vendor"],
        report["concurrency"],
        report["poll_interval_ms"],
        report["backup_duration_ms"],
        num(&report["wall_s"]),
        num(&report["cpu_s"]),
        num(&report["peak_rss_mb"]),
        num(&report["notice_delay_ms_p50"]),
        num(&report["notice_delay_ms_p99"]),
    );
    out.push_str(
        "vendor       done   errors  tokens  req/backup  polls/backup  delay p50 ms  delay p99 ms  max ms  met\n",
    );
    for v in report["vendors"].as_array().into_iter().flatten() {
        let met = v["token_target_met"].as_bool() == Some(true)
            && v["delay_target_met"].as_bool() == Some(true)
            && v["errors"].as_u64() == Some(0);
        out.push_str(&format!(
            "{:<12} {:>5} {:>8} {:>7} {:>11.2} {:>13.2} {:>13.0} {:>13.0} {:>7.0}  {}\n",
            v["vendor"].as_str().unwrap_or("?"),
            v["backups_done"].as_u64().unwrap_or(0),
            v["errors"].as_u64().unwrap_or(0),
            v["token_requests"].as_u64().unwrap_or(0),
            num(&v["requests_per_backup"]),
            num(&v["polls_per_backup"]),
            num(&v["notice_delay_ms_p50"]),
            num(&v["notice_delay_ms_p99"]),
            num(&v["notice_delay_ms_max"]),
            if met { "yes" } else { "NO" },
        ));
    }
    for v in report["vendors"].as_array().into_iter().flatten() {
        if let Some(first) = v["first_errors"].get(0).and_then(Value::as_str) {
            out.push_str(&format!(
                "  {} first error: {first}\n",
                v["vendor"].as_str().unwrap_or("?")
            ));
        }
    }
    out
}
