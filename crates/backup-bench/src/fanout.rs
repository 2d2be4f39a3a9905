//! Scenario 2: thousands of backups triggered and waited for at once on every vendor's
//! emulator, through one SDK client per vendor.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use backup_core::WaitOptions;
use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::procfs::{current_rss, peak_rss, process_cpu, reset_peak_rss};
use crate::remote::{Load, RemoteEmulators};
use crate::stats::percentile;
use crate::vendors::{Loaded, start_remote};

/// How big one point of the curve is.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    /// Backups, all vendors together (vendors interleaved).
    pub backups: usize,
    /// Backups in flight (all vendors together).
    pub concurrency: usize,
    /// The poll interval (the emulators' hints say the same where they send one).
    pub interval: Duration,
    /// How long each backup runs on the emulator, from its acceptance.
    pub duration: Duration,
}

impl Config {
    /// The emulators' load for `vendors` vendors: each gets its share of the backups
    /// as distinct targets, every backup running `duration`, the poll hint `interval`.
    #[must_use]
    pub fn load(&self, vendors: usize) -> Load {
        Load {
            targets: self.backups.div_ceil(vendors.max(1)),
            duration: self.duration,
            hint: self.interval,
        }
    }
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

/// One point of the cost curve: `config.backups` backups on every vendor's emulator,
/// served by a child process (`backup-bench emulate`), through one client per vendor
/// built from the emulators' settings and environment as a program of a user builds
/// it; so the CPU time and the peak RSS measured are the client's.
///
/// # Errors
/// When the emulators or a client cannot be started.
#[allow(clippy::cast_precision_loss)] // counts far below 2^52
pub async fn run(config: Config) -> Result<Value, String> {
    let vendors = crate::vendors::all();
    let load = config.load(vendors.len());
    let per_vendor = load.targets;
    let mut remote = RemoteEmulators::start(load)?;
    let mut clients: Vec<Box<dyn Loaded>> = Vec::new();
    for vendor in &vendors {
        let reach = remote
            .reaches
            .iter()
            .find(|r| r.vendor == vendor.to_string())
            .cloned()
            .ok_or_else(|| format!("the emulators' process has no {vendor}"))?;
        clients.push(start_remote(*vendor, load.options(), reach).await?);
    }
    let vendor_count = clients.len();
    let clients = Arc::new(clients);
    let jobs = config.backups;
    // Everything is started: what grows from here is the fan-out's.
    let rss_reset = reset_peak_rss();
    let rss_before = current_rss();
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
    let stats = remote.stats()?;
    let emulators_peak = remote.peak_rss();
    drop(remote);
    let interval_ms = config.interval.as_secs_f64() * 1e3;
    let mut rows = Vec::new();
    let mut all_delays = Vec::new();
    let mut all_requests = 0;
    for (loaded, total) in clients.iter().zip(&totals) {
        let vendor = loaded.vendor();
        let counted = stats
            .iter()
            .find(|s| s["vendor"] == vendor)
            .cloned()
            .unwrap_or(Value::Null);
        let requests = counted["requests"].as_u64().unwrap_or(0);
        all_requests += requests;
        let backups = total.operations.max(1) as f64;
        let p99 = percentile(&total.delays_ms, 99.0);
        all_delays.extend_from_slice(&total.delays_ms);
        rows.push(json!({
            "vendor": vendor,
            "triggers_accepted": counted["accepted_backups"],
            "backups_done": total.operations,
            "errors": total.errors.len(),
            "first_errors": total.errors.iter().take(3).collect::<Vec<_>>(),
            "token_requests": counted["token_requests"],
            "requests": requests,
            "requests_per_backup": requests as f64 / backups,
            "poll_requests_per_backup": counted["poll_requests"].as_u64().unwrap_or(0) as f64 / backups,
            "polls_per_backup": total.polls as f64 / backups,
            "notice_delay_ms_p50": percentile(&total.delays_ms, 50.0),
            "notice_delay_ms_p99": p99,
            "notice_delay_ms_max": percentile(&total.delays_ms, 100.0),
            "token_target_met": counted["token_requests"].as_u64().is_some_and(|n| n <= 1),
            "delay_target_met": p99 <= interval_ms,
        }));
    }
    for loaded in Arc::into_inner(clients).into_iter().flatten() {
        loaded.shutdown().await;
    }
    let done: u64 = totals.iter().map(|t| t.operations).sum();
    let errors: usize = totals.iter().map(|t| t.errors.len()).sum();
    let in_flight = config.concurrency.min(jobs).max(1) as f64;
    let grown = match (peak, rss_before) {
        (Some(peak), Some(before)) => Some(peak.saturating_sub(before)),
        _ => None,
    };
    let per_in_flight_kb = grown.map(|bytes| bytes as f64 / 1024.0 / in_flight);
    let mb = |bytes: Option<u64>| bytes.map(|b| b as f64 / 1_048_576.0);
    Ok(json!({
        "backups": jobs,
        "backups_per_vendor": per_vendor,
        "backups_done": done,
        "errors": errors,
        "concurrency": config.concurrency,
        "poll_interval_ms": interval_ms,
        "backup_duration_ms": config.duration.as_secs_f64() * 1e3,
        "wall_s": wall.as_secs_f64(),
        "cpu_s": cpu.as_secs_f64(),
        "cpu_ms_per_backup": cpu.as_secs_f64() * 1e3 / (done.max(1) as f64),
        "requests_per_backup": all_requests as f64 / (done.max(1) as f64),
        "client_peak_rss_mb": mb(peak),
        "client_rss_before_mb": mb(rss_before),
        "client_rss_grown_mb": mb(grown),
        "client_kb_per_in_flight_backup": per_in_flight_kb,
        "memory_target_met": per_in_flight_kb.is_some_and(|kb| kb < 8.0),
        "peak_rss_reset": rss_reset,
        "emulators_peak_rss_mb": mb(emulators_peak),
        "note": "the emulators run in a child process (backup-bench emulate); CPU and RSS are the client process's; RSS grown = peak (VmHWM, reset before the fan-out) - RSS once every client was built, per backup in flight",
        "notice_delay_ms_p50": percentile(&all_delays, 50.0),
        "notice_delay_ms_p99": percentile(&all_delays, 99.0),
        "notice_delay_note": "from the end the emulator's lifecycle gives (trigger answer received + duration) to the moment wait() returned; each backup starts waiting at a random phase of the poll interval, so the delay is uniform over one interval plus the client's lateness",
        "vendors": rows,
    }))
}

/// The cost curve: one [`run`] per size, each with fresh emulators and clients.
///
/// # Errors
/// As [`run`].
pub async fn curve(points: &[Config]) -> Result<Value, String> {
    let mut runs = Vec::new();
    for point in points {
        eprintln!("cost curve: {} backups ...", point.backups);
        let run = run(*point).await?;
        println!("{}", table(&run));
        runs.push(run);
    }
    let per_backup: Vec<f64> = runs
        .iter()
        .filter_map(|r| r["cpu_ms_per_backup"].as_f64())
        .collect();
    let lowest = per_backup.iter().copied().fold(f64::INFINITY, f64::min);
    let highest = per_backup.iter().copied().fold(0.0, f64::max);
    let spread = highest / lowest;
    let tokens_met = runs.iter().all(|r| {
        r["vendors"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|v| v["token_target_met"].as_bool() == Some(true))
    });
    Ok(json!({
        "points": runs,
        "cpu_per_backup_spread": spread,
        "cpu_flat_target_met": spread <= 1.2,
        "memory_target_met": runs.iter().all(|r| r["memory_target_met"].as_bool() == Some(true)),
        "token_target_met": tokens_met,
        "token_note": "token requests as the emulators count them; Huawei (AK/SK) and AWS (access keys) sign each request and fetch none; Azure's client gets the static token the emulator hands out through its environment (one issue, counted as one request)",
    }))
}

/// The cost-curve table: one line per size.
#[must_use]
pub fn curve_table(report: &Value) -> String {
    let num = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    let mut out = String::from(
        "Scenario 2: cost curve (emulators in a child process; client figures)\n\
         backups  in flight  done    errors  wall s  cpu s  cpu ms/backup  req/backup  RSS grown MB  KB/in-flight  p99 ms  tokens per vendor\n",
    );
    for r in report["points"].as_array().into_iter().flatten() {
        let tokens: Vec<String> = r["vendors"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| {
                format!(
                    "{}={}",
                    v["vendor"].as_str().unwrap_or("?"),
                    v["token_requests"]
                )
            })
            .collect();
        out.push_str(&format!(
            "{:>7} {:>10} {:>6} {:>8} {:>7.1} {:>6.1} {:>14.3} {:>11.2} {:>13.1} {:>13.2} {:>7.0}  {}\n",
            r["backups"],
            r["concurrency"],
            r["backups_done"],
            r["errors"],
            num(&r["wall_s"]),
            num(&r["cpu_s"]),
            num(&r["cpu_ms_per_backup"]),
            num(&r["requests_per_backup"]),
            num(&r["client_rss_grown_mb"]),
            num(&r["client_kb_per_in_flight_backup"]),
            num(&r["notice_delay_ms_p99"]),
            tokens.join(" "),
        ));
    }
    let yes = |key: &str| {
        if report[key].as_bool() == Some(true) {
            "met"
        } else {
            "MISSED"
        }
    };
    out.push_str(&format!(
        "CPU per backup max/min {:.2} (target <= 1.20: {}); memory per in-flight backup < 8 KB: {}; at most one token request per vendor: {}\n",
        num(&report["cpu_per_backup_spread"]),
        yes("cpu_flat_target_met"),
        yes("memory_target_met"),
        yes("token_target_met"),
    ));
    out
}

/// The fan-out table.
#[must_use]
pub fn table(report: &Value) -> String {
    let num = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    let mut out = format!(
        "Fan-out of {} backups ({} per vendor, concurrency {}, poll every {} ms, backups run {} ms; emulators in a child process)\n\
         wall {:.1} s, client CPU {:.1} s, client peak RSS {:.1} MB, notice delay p50 {:.0} ms, p99 {:.0} ms\n",
        report["backups"],
        report["backups_per_vendor"],
        report["concurrency"],
        report["poll_interval_ms"],
        report["backup_duration_ms"],
        num(&report["wall_s"]),
        num(&report["cpu_s"]),
        num(&report["client_peak_rss_mb"]),
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
