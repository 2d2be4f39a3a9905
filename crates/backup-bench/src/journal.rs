//! Scenario 6: what the run journal costs. The same plan of N backups (vendors
//! interleaved, every emulator in a child process as in scenario 2) run through
//! backup-all's plan machinery twice, `PreparedPlan::run` without a journal and
//! `PreparedPlan::run_journaled` with a fresh SQLite journal, at the same concurrency;
//! the client's CPU time of each, their ratio, and the journal's size on disk.
//!
//! The plan is a plan file as a user writes one (`Plan::parse` of TOML text): target
//! `i` is load target `i / vendors` of vendor `i % vendors`, its parameters the
//! emulator's `VendorEmulator::load_params` (the same target as `load_request`, which
//! the contract suite checks). Each vendor's client is built once from the emulators'
//! settings and environment (`AnyClient::from_config_with`), as in scenario 2, and
//! shared by its targets (one token per vendor, not one per target).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use backup_all::journal::{Journal as _, NewRun, RunSelect, SqliteJournal, WorkerOptions};
use backup_all::plan::PreparedPlan;
use backup_all::{
    AnyClient, AnyConfig, AnyRequest, EmulatorVisitor, Plan, RunReport, Target, TargetOutcome,
    Vendor,
};
use backup_core::contract::BackupClient;
use backup_core::emulator::{LoadOptions, VendorEmulator};
use serde_json::{Value, json};

use crate::fanout::Config as FanOut;
use crate::procfs::process_cpu;
use crate::remote::{Load, RemoteEmulators};
use crate::vendors::{BoxFuture, Reach};

/// The target of issue 20: the journaled run costs at most this much more CPU.
pub const TARGET_RATIO: f64 = 1.10;

/// The size of the comparison.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    /// The fan-out each run makes, as scenario 2's: its concurrency is the plan's
    /// (targets in flight), its interval the plan's poll interval.
    pub fan_out: FanOut,
    /// Pairs of runs; the order alternates (without, with; then with, without ...).
    pub rounds: usize,
}

/// Which run of a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    /// `PreparedPlan::run`.
    Plain,
    /// `PreparedPlan::run_journaled` on a fresh SQLite file.
    Journaled,
}

impl Side {
    fn name(self) -> &'static str {
        match self {
            Side::Plain => "without journal",
            Side::Journaled => "sqlite journal",
        }
    }
}

/// A JSON value as TOML (nulls, which TOML cannot say, left out: an absent optional
/// field reads as `None`).
fn to_toml(value: &Value) -> Option<toml::Value> {
    Some(match value {
        Value::Null => return None,
        Value::Bool(b) => toml::Value::Boolean(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => toml::Value::Integer(i),
            None => toml::Value::Float(n.as_f64()?),
        },
        Value::String(s) => toml::Value::String(s.clone()),
        Value::Array(items) => toml::Value::Array(items.iter().filter_map(to_toml).collect()),
        Value::Object(fields) => toml::Value::Table(
            fields
                .iter()
                .filter_map(|(key, value)| Some((key.clone(), to_toml(value)?)))
                .collect(),
        ),
    })
}

/// A JSON object as a TOML table.
fn to_table(value: &Value) -> Result<toml::Table, String> {
    match to_toml(value) {
        Some(toml::Value::Table(table)) => Ok(table),
        _ => Err(format!("not an object: {value}")),
    }
}

/// The flat parameters of load targets `0..targets` of `vendor`'s emulator, as JSON,
/// from an idle emulator of the vendor started for that load in this process.
async fn load_params(vendor: Vendor, load: LoadOptions) -> Result<Vec<Value>, String> {
    struct Params(LoadOptions);
    impl EmulatorVisitor for Params {
        type Output = BoxFuture<'static, Result<Vec<Value>, String>>;

        fn visit<E: VendorEmulator>(self) -> Self::Output {
            Box::pin(async move {
                let vendor = <E::Client as BackupClient>::VENDOR;
                let targets = self.0.targets;
                let emulator = E::start_for_load(self.0)
                    .await
                    .map_err(|e| format!("{vendor}: idle emulator: {e}"))?;
                let params: Result<Vec<Value>, String> = (0..targets)
                    .map(|i| {
                        serde_json::to_value(emulator.load_params(i))
                            .map_err(|e| format!("{vendor}: load_params({i}): {e}"))
                    })
                    .collect();
                emulator.shutdown().await;
                params
            })
        }
    }
    vendor
        .visit_emulator(Params(load))
        .map_err(|e| e.to_string())?
        .await
}

/// The plan file's text: `backups` targets, vendors interleaved (target `j` is load
/// target `j / n` of vendor `j % n`), with the plan's concurrency and poll interval.
async fn plan_text(config: &FanOut, vendors: &[Vendor], load: Load) -> Result<String, String> {
    let mut params = Vec::new();
    for vendor in vendors {
        params.push(load_params(*vendor, load.options()).await?);
    }
    let mut targets = Vec::with_capacity(config.backups);
    for job in 0..config.backups {
        let v = job % vendors.len().max(1);
        let (Some(vendor), Some(target_params)) = (
            vendors.get(v),
            params
                .get(v)
                .and_then(|p| p.get(job / vendors.len().max(1))),
        ) else {
            return Err(format!("no load target for backup {job}"));
        };
        let mut table = to_table(target_params)?;
        table.insert("name".to_owned(), format!("{vendor}-{job:06}").into());
        table.insert("vendor".to_owned(), vendor.as_str().into());
        targets.push(toml::Value::Table(table));
    }
    let mut plan = toml::Table::new();
    let concurrency = i64::try_from(config.concurrency).map_err(|e| e.to_string())?;
    plan.insert("concurrency".to_owned(), concurrency.into());
    plan.insert(
        "poll_interval".to_owned(),
        format!("{}ms", config.interval.as_millis()).into(),
    );
    // A backstop only: the runs end long before it.
    plan.insert("timeout".to_owned(), "30m".into());
    plan.insert("target".to_owned(), toml::Value::Array(targets));
    toml::to_string(&plan).map_err(|e| format!("writing the plan: {e}"))
}

/// The plan with every target's client: one client per vendor, built from the
/// emulators' settings and environment, shared by its targets.
fn prepare(plan: &Plan, reaches: &[Reach]) -> Result<PreparedPlan, String> {
    let mut clients: Vec<(Vendor, AnyClient)> = Vec::new();
    for reach in reaches {
        let vendor: Vendor = reach.vendor.parse().map_err(|e| format!("{e}"))?;
        let config = AnyConfig::from_toml(vendor, to_table(&reach.config)?)
            .map_err(|faults| format!("{vendor}: the emulator's settings: {faults:?}"))?;
        let lookup = |name: &str| reach.lookup(name);
        let client = AnyClient::from_config_with(&config, &lookup, &plan.settings.transport)
            .map_err(|e| format!("{vendor}: client: {e}"))?;
        clients.push((vendor, client));
    }
    let mut targets = Vec::with_capacity(plan.targets.len());
    for target in &plan.targets {
        let vendor = target.vendor();
        let client = clients
            .iter()
            .find(|(v, _)| *v == vendor)
            .map(|(_, client)| client.clone())
            .ok_or_else(|| format!("the emulators' process has no {vendor}"))?;
        let request = AnyRequest::from_params(&target.params)
            .map_err(|e| format!("target {}: {e}", target.name))?;
        targets.push(Target::new(&target.name, client, request));
    }
    Ok(PreparedPlan {
        settings: plan.settings.clone(),
        targets,
    })
}

/// Bytes of `path`, 0 when it does not exist.
fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

/// `path` with `suffix` appended (`journal.sqlite-wal`).
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// A directory of its own under the system's temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Result<Self, String> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!(
            "backup-bench-journal-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        Ok(Self(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One run of the plan on fresh emulators, measured.
#[allow(clippy::cast_precision_loss)] // counts far below 2^52
async fn run_side(
    side: Side,
    round: usize,
    plan: &Plan,
    new_run: &NewRun,
    load: Load,
    dir: &Path,
) -> Result<Value, String> {
    let mut remote = RemoteEmulators::start(load)?;
    let prepared = prepare(plan, &remote.reaches)?;
    let observer = |_: &str, _: &backup_core::Operation| {};
    let path = dir.join(format!("journal-{round}.sqlite"));
    let cpu_before = process_cpu();
    let started = Instant::now();
    let (report, journal): (RunReport, Option<(SqliteJournal, String)>) = match side {
        Side::Plain => (prepared.run(&observer).await, None),
        Side::Journaled => {
            // Opening (migrations) and the run's target rows are part of the cost.
            let journal = SqliteJournal::open(&path)
                .await
                .map_err(|e| e.to_string())?;
            let worker = WorkerOptions::default();
            let opened = journal
                .open_run(new_run, &RunSelect::New, &worker.worker)
                .await
                .map_err(|e| e.to_string())?;
            let report = prepared
                .run_journaled(
                    &journal,
                    &opened.run.id,
                    &worker,
                    &observer,
                    std::future::pending(),
                )
                .await
                .map_err(|e| e.to_string())?;
            (report, Some((journal, opened.run.id)))
        }
    };
    let wall = started.elapsed();
    let cpu = process_cpu().saturating_sub(cpu_before);
    let stats = remote.stats()?;
    drop(remote);
    let done = report
        .targets
        .iter()
        .filter(|t| t.outcome == TargetOutcome::Succeeded)
        .count();
    let errors: Vec<String> = report
        .targets
        .iter()
        .filter(|t| t.outcome != TargetOutcome::Succeeded)
        .map(|t| {
            let why = t
                .error
                .as_ref()
                .map_or_else(String::new, ToString::to_string);
            format!("{} {:?}: {why}", t.name, t.outcome)
        })
        .collect();
    let requests: u64 = stats.iter().filter_map(|s| s["requests"].as_u64()).sum();
    let tokens: Vec<Value> = stats
        .iter()
        .map(|s| json!({"vendor": s["vendor"], "token_requests": s["token_requests"]}))
        .collect();
    let backups = done.max(1) as f64;
    let mut row = json!({
        "side": side.name(),
        "round": round,
        "backups": report.targets.len(),
        "backups_done": done,
        "errors": errors.len(),
        "first_errors": errors.iter().take(3).collect::<Vec<_>>(),
        "wall_s": wall.as_secs_f64(),
        "cpu_s": cpu.as_secs_f64(),
        "cpu_ms_per_backup": cpu.as_secs_f64() * 1e3 / backups,
        "requests_per_backup": requests as f64 / backups,
        "token_requests": tokens,
    });
    if let Some((journal, run_id)) = journal {
        // Sizes while the journal is still open, as a run leaves it: the WAL is not
        // checkpointed into the main file until the last connection closes.
        let wal_path = with_suffix(&path, "-wal");
        let db = file_size(&path);
        let wal = file_size(&wal_path);
        let shm = file_size(&with_suffix(&path, "-shm"));
        let events = journal
            .events(&run_id)
            .await
            .map_err(|e| e.to_string())?
            .len();
        drop(journal);
        // Once its last connection has closed, SQLite checkpoints the WAL into the file
        // and removes it: the journal at rest.
        let closing = Instant::now();
        while file_size(&wal_path) > 0 && closing.elapsed() < Duration::from_secs(5) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let closed = file_size(&path) + file_size(&wal_path);
        let targets = report.targets.len().max(1) as f64;
        row["journal"] = json!({
            "db_bytes": db,
            "wal_bytes": wal,
            "shm_bytes": shm,
            "total_bytes": db + wal,
            "bytes_per_backup": (db + wal) as f64 / targets,
            "db_bytes_per_backup": db as f64 / targets,
            "closed_bytes": closed,
            "closed_bytes_per_backup": closed as f64 / targets,
            "events": events,
            "events_per_backup": events as f64 / targets,
        });
    }
    Ok(row)
}

/// Runs the comparison: `config.rounds` pairs of runs of the same plan, each on fresh
/// emulators in a child process, the order alternating from pair to pair.
///
/// # Errors
/// When the emulators, a client, the plan or the journal cannot be made.
pub async fn run(config: Config) -> Result<Value, String> {
    let vendors = crate::vendors::all();
    let fan_out = config.fan_out;
    let load = fan_out.load(vendors.len());
    let dir = TempDir::new()?;
    let text = plan_text(&fan_out, &vendors, load).await?;
    let plan_path = dir.0.join("plan.toml");
    std::fs::write(&plan_path, &text)
        .map_err(|e| format!("writing {}: {e}", plan_path.display()))?;
    let plan = Plan::from_path(&plan_path).map_err(|e| format!("the bench's plan: {e}"))?;
    let new_run = NewRun::new(&plan, &text);
    let mut runs = Vec::new();
    for round in 0..config.rounds.max(1) {
        let order = if round % 2 == 0 {
            [Side::Plain, Side::Journaled]
        } else {
            [Side::Journaled, Side::Plain]
        };
        for side in order {
            eprintln!(
                "journal overhead: round {} of {}, {} ({} backups) ...",
                round + 1,
                config.rounds.max(1),
                side.name(),
                fan_out.backups
            );
            let run = run_side(side, round, &plan, &new_run, load, &dir.0).await?;
            // Each run as it ends: a long comparison cut short still leaves its figures.
            eprint!("{}", row(&run));
            runs.push(run);
        }
    }
    Ok(summary(&config, &runs))
}

/// The figures of every run and, over them, the CPU ratio and the journal's size.
#[allow(clippy::cast_precision_loss)] // counts far below 2^52
fn summary(config: &Config, runs: &[Value]) -> Value {
    let sum = |side: Side, key: &str| -> f64 {
        runs.iter()
            .filter(|r| r["side"] == side.name())
            .filter_map(|r| r[key].as_f64())
            .sum()
    };
    let plain_cpu = sum(Side::Plain, "cpu_s");
    let journal_cpu = sum(Side::Journaled, "cpu_s");
    let ratio = journal_cpu / plain_cpu;
    let per_round: Vec<f64> = (0..config.rounds.max(1))
        .map(|round| {
            let cpu = |side: Side| {
                runs.iter()
                    .find(|r| r["side"] == side.name() && r["round"] == round)
                    .and_then(|r| r["cpu_s"].as_f64())
                    .unwrap_or(f64::NAN)
            };
            cpu(Side::Journaled) / cpu(Side::Plain)
        })
        .collect();
    let journals: Vec<&Value> = runs
        .iter()
        .filter_map(|r| r.get("journal"))
        .filter(|j| !j.is_null())
        .collect();
    let mean = |key: &str| {
        journals.iter().filter_map(|j| j[key].as_f64()).sum::<f64>() / journals.len().max(1) as f64
    };
    let errors: u64 = runs.iter().filter_map(|r| r["errors"].as_u64()).sum();
    let fan_out = &config.fan_out;
    json!({
        "backups": fan_out.backups,
        "concurrency": fan_out.concurrency,
        "poll_interval_ms": fan_out.interval.as_secs_f64() * 1e3,
        "backup_duration_ms": fan_out.duration.as_secs_f64() * 1e3,
        "rounds": config.rounds.max(1),
        "cpu_s_without": plain_cpu,
        "cpu_s_with_sqlite": journal_cpu,
        "cpu_ratio": ratio,
        "cpu_ratio_per_round": per_round,
        "target_ratio": TARGET_RATIO,
        "target_met": ratio <= TARGET_RATIO && errors == 0,
        "journal_bytes_per_backup": mean("bytes_per_backup"),
        "journal_total_bytes": mean("total_bytes"),
        "journal_closed_bytes_per_backup": mean("closed_bytes_per_backup"),
        "errors": errors,
        "note": "client process CPU (CLOCK_PROCESS_CPUTIME_ID; the emulators run in a child process); the journaled side includes opening the journal and creating the run; journal size = the SQLite file + its -wal while the journal is still open after the run (closed: once its connections closed and the WAL was checkpointed into the file)",
        "runs": runs,
    })
}

/// The table of scenario 6.
#[must_use]
pub fn table(report: &Value) -> String {
    let num = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    let mut out = format!(
        "Scenario 6: journal overhead ({} backups through a plan, concurrency {}, poll every {} ms, backups run {} ms; emulators in a child process)\n\
         round  side              done  errors  wall s  cpu s  cpu ms/backup  req/backup  journal KB  KB/backup  events/backup\n",
        report["backups"],
        report["concurrency"],
        report["poll_interval_ms"],
        report["backup_duration_ms"],
    );
    for r in report["runs"].as_array().into_iter().flatten() {
        out.push_str(&row(r));
    }
    out.push_str(&format!(
        "CPU with / without the journal {:.3} (per round {}; target <= {:.2}: {}); journal {:.0} bytes per backup with its WAL, {:.0} once closed\n",
        num(&report["cpu_ratio"]),
        report["cpu_ratio_per_round"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| format!("{:.3}", num(r)))
            .collect::<Vec<_>>()
            .join(", "),
        TARGET_RATIO,
        if report["target_met"].as_bool() == Some(true) {
            "met"
        } else {
            "MISSED"
        },
        num(&report["journal_bytes_per_backup"]),
        num(&report["journal_closed_bytes_per_backup"]),
    ));
    out
}

/// One run's line of [`table`] (and its first error, if any).
fn row(r: &Value) -> String {
    let num = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    let journal = &r["journal"];
    let mut out = format!(
        "{:>5}  {:<16} {:>5} {:>7} {:>7.1} {:>6.2} {:>14.3} {:>11.2} {:>11.1} {:>10.3} {:>14.2}\n",
        r["round"].as_u64().map_or(0, |n| n + 1),
        r["side"].as_str().unwrap_or("?"),
        r["backups_done"].as_u64().unwrap_or(0),
        r["errors"].as_u64().unwrap_or(0),
        num(&r["wall_s"]),
        num(&r["cpu_s"]),
        num(&r["cpu_ms_per_backup"]),
        num(&r["requests_per_backup"]),
        num(&journal["total_bytes"]) / 1024.0,
        num(&journal["bytes_per_backup"]) / 1024.0,
        num(&journal["events_per_backup"]),
    );
    if let Some(first) = r["first_errors"].get(0).and_then(Value::as_str) {
        out.push_str(&format!("  first error: {first}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_becomes_toml_without_nulls() {
        let value = json!({"a": 1, "b": null, "c": [true, null, "x"], "d": {"e": 1.5, "f": null}});
        let table = to_table(&value).unwrap();
        assert_eq!(
            toml::Value::Table(table).to_string().replace(' ', ""),
            toml::Value::Table(toml::toml! { a = 1
                c = [true, "x"]
                [d]
                e = 1.5
            })
            .to_string()
            .replace(' ', "")
        );
        assert!(to_table(&json!([1])).is_err());
    }

    #[test]
    fn the_ratio_is_with_over_without() {
        let config = Config {
            fan_out: FanOut {
                backups: 10,
                concurrency: 2,
                interval: Duration::from_millis(100),
                duration: Duration::from_millis(200),
            },
            rounds: 2,
        };
        let runs = vec![
            json!({"side": Side::Plain.name(), "round": 0, "cpu_s": 1.0, "errors": 0}),
            json!({"side": Side::Journaled.name(), "round": 0, "cpu_s": 1.2, "errors": 0,
                   "journal": {"bytes_per_backup": 100.0, "total_bytes": 1000.0}}),
            json!({"side": Side::Journaled.name(), "round": 1, "cpu_s": 1.0, "errors": 0,
                   "journal": {"bytes_per_backup": 300.0, "total_bytes": 3000.0}}),
            json!({"side": Side::Plain.name(), "round": 1, "cpu_s": 1.0, "errors": 0}),
        ];
        let report = summary(&config, &runs);
        assert!((report["cpu_ratio"].as_f64().unwrap() - 1.1).abs() < 1e-9);
        assert_eq!(report["cpu_ratio_per_round"], json!([1.2, 1.0]));
        assert_eq!(report["journal_bytes_per_backup"], json!(200.0));
        assert_eq!(report["target_met"], json!(true));
        assert!(table(&report).contains("met"));
    }
}
