//! `backup-bench`: the benchmarks of backup-rs: scenarios 1 to 3 of issue 9, 5 and 6 of
//! issue 20.
//!
//! ```text
//! backup-bench [--quick] [--out PATH] [--footprint PATH] [--only 1,2,3,6]
//! ```
//!
//! 1. overhead: trigger calls through the SDK against the same requests through a fair
//!    raw client (the SDK's timeouts, each answer decoded) and a bare one (bytes only),
//!    all against a canned-response server in a child process;
//! 2. cost curve: 1,000, 10,000 and 50,000 backups triggered and waited for on every
//!    vendor's emulator, served by a child process (`backup-bench emulate`);
//! 3. polls: the polls made for a backup that ends at a known time with a known hint;
//! 6. journal overhead: the same plan of 10,000 backups run through backup-all's plan
//!    machinery without a journal and with a fresh SQLite journal (the CPU ratio, the
//!    journal's size per backup).
//!
//! The vendors are those of backup-all's registry (`Vendor::enabled()`); everything
//! vendor-specific comes from their `VendorEmulator` and `BackupClient`.
//!
//! It prints one table per scenario and writes every figure as JSON to `--out`
//! (default `target/bench/scenarios.json`). `cargo xtask bench` runs it in release
//! mode, adds the footprint (scenario 4) and writes `target/bench/report.json`.
//! Everything runs on 127.0.0.1.
//!
//! `backup-bench serve` is the canned server itself (internal: reads the answers to
//! serve as JSON on stdin).

// A command-line tool: printing is its job.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod canned;
mod fanout;
mod journal;
mod overhead;
mod peers;
mod polls;
mod procfs;
mod remote;
mod stats;
mod vendors;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use serde_json::{Value, json};

const USAGE: &str = "\
usage: backup-bench [--quick] [--out PATH] [--footprint PATH] [--only LIST]

  --quick           reduced sizes (a smoke test, under a minute)
  --out PATH        where to write the JSON figures (default target/bench/scenarios.json)
  --footprint PATH  JSON of scenario 4 (written by `cargo xtask bench`) to include
  --only LIST       the scenarios to run, e.g. 1,3 (default 1,2,3,6; 6 is the
                    journal overhead)
  --vendors LIST    scenario 1 only for these vendors, e.g. yandex,veeam (for profiling)
  --sizes LIST      scenario 2 at these numbers of backups, e.g. 1000,10000
  --journal-backups N  scenario 6 with N backups (default 10000, --quick 200)
  --journal-concurrency N  scenario 6's plan concurrency (default 1000, --quick 100)
  --peers PYTHON    also scenario 5: the official Python SDKs (PYTHON of a venv made
                    from crates/backup-bench/peers/requirements.txt)
  --backupctl PATH  with --peers: the backupctl binary for the one-shot comparison
";

/// The command line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Options {
    quick: bool,
    out: PathBuf,
    footprint: Option<PathBuf>,
    scenarios: Vec<u8>,
    vendors: Vec<vendors::Vendor>,
    peers: Option<PathBuf>,
    backupctl: Option<PathBuf>,
    sizes: Option<Vec<usize>>,
    journal_backups: Option<usize>,
    journal_concurrency: Option<usize>,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        quick: false,
        out: PathBuf::from("target/bench/scenarios.json"),
        footprint: None,
        scenarios: vec![1, 2, 3, 6],
        vendors: vendors::all(),
        peers: None,
        backupctl: None,
        sizes: None,
        journal_backups: None,
        journal_concurrency: None,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => options.quick = true,
            "--out" => {
                options.out = PathBuf::from(args.next().ok_or("--out needs a path")?);
            }
            "--sizes" => {
                let list = args.next().ok_or("--sizes needs a list, e.g. 1000,10000")?;
                let mut sizes = Vec::new();
                for item in list.split(',') {
                    match item.trim().parse::<usize>() {
                        Ok(n) if n > 0 => sizes.push(n),
                        _ => return Err(format!("--sizes: {item:?} is no count of backups")),
                    }
                }
                options.sizes = Some(sizes);
            }
            flag @ ("--journal-backups" | "--journal-concurrency") => {
                let n = args.next().ok_or(format!("{flag} needs a count"))?;
                let n = match n.trim().parse::<usize>() {
                    Ok(n) if n > 0 => n,
                    _ => return Err(format!("{flag}: {n:?} is no count")),
                };
                if flag == "--journal-backups" {
                    options.journal_backups = Some(n);
                } else {
                    options.journal_concurrency = Some(n);
                }
            }
            "--peers" => {
                let path = args.next().ok_or("--peers needs a Python interpreter")?;
                options.peers = Some(PathBuf::from(path));
            }
            "--backupctl" => {
                let path = args.next().ok_or("--backupctl needs a path")?;
                options.backupctl = Some(PathBuf::from(path));
            }
            "--footprint" => {
                let path = args.next().ok_or("--footprint needs a path")?;
                options.footprint = Some(PathBuf::from(path));
            }
            "--vendors" => {
                let list = args
                    .next()
                    .ok_or("--vendors needs a list, e.g. yandex,veeam")?;
                let mut chosen = Vec::new();
                for name in list.split(',') {
                    let vendor: vendors::Vendor =
                        name.trim().parse().map_err(|e| format!("--vendors: {e}"))?;
                    if !vendor.is_enabled() {
                        return Err(format!("--vendors: {vendor} is not in this build"));
                    }
                    chosen.push(vendor);
                }
                options.vendors = chosen;
            }
            "--only" => {
                let list = args.next().ok_or("--only needs a list, e.g. 1,3")?;
                let mut scenarios = Vec::new();
                for item in list.split(',') {
                    match item.trim().parse::<u8>() {
                        Ok(n @ (1..=3 | 6)) => scenarios.push(n),
                        _ => {
                            return Err(format!("--only: no scenario {item:?} (1, 2, 3 or 6)"));
                        }
                    }
                }
                options.scenarios = scenarios;
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(options)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("emulate") {
        return match remote::emulate_main(&args[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(why) => {
                eprintln!("backup-bench emulate: {why}");
                ExitCode::FAILURE
            }
        };
    }
    if args.first().map(String::as_str) == Some("serve") {
        return match canned::serve_main() {
            Ok(()) => ExitCode::SUCCESS,
            Err(why) => {
                eprintln!("backup-bench serve: {why}");
                ExitCode::FAILURE
            }
        };
    }
    if args.iter().any(|a| a == "-h" || a == "--help") {
        print!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let options = match parse(&args) {
        Ok(options) => options,
        Err(why) => {
            eprintln!("backup-bench: {why}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("backup-bench: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(&options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(why) => {
            eprintln!("backup-bench: {why}");
            ExitCode::FAILURE
        }
    }
}

/// The machine the figures come from.
fn machine() -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|line| line.starts_with("model name"))
        .and_then(|line| line.split_once(':'))
        .map(|(_, model)| model.trim().to_owned());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_kib = procfs::parse_status_kib(&meminfo, "MemTotal:");
    json!({
        "cpus": std::thread::available_parallelism().map(std::num::NonZero::get).ok(),
        "cpu_model": model,
        "memory_mib": mem_kib.map(|kib| kib / 1024),
    })
}

async fn run(options: &Options) -> Result<(), String> {
    let mut report = json!({
        "quick": options.quick,
        "machine": machine(),
        "cpu_clock": "CLOCK_PROCESS_CPUTIME_ID (user + sys of every thread, ns)",
    });
    if options.scenarios.contains(&2) {
        let (sizes, concurrency, interval, duration): (&[usize], usize, u64, u64) = if options.quick
        {
            (&[120, 600], 200, 500, 1500)
        } else {
            (&[1_000, 10_000, 50_000], 1_000, 1_000, 3_000)
        };
        let sizes = options.sizes.as_deref().unwrap_or(sizes);
        let points: Vec<fanout::Config> = sizes
            .iter()
            .map(|&backups| fanout::Config {
                backups,
                concurrency,
                interval: Duration::from_millis(interval),
                duration: Duration::from_millis(duration),
            })
            .collect();
        let curve = fanout::curve(&points).await?;
        println!("{}", fanout::curve_table(&curve));
        report["cost_curve"] = curve;
    }
    if options.scenarios.contains(&6) {
        // The same fan-out as scenario 2's 10,000 point (quick: 200 backups).
        let mut config = if options.quick {
            journal::Config {
                fan_out: fanout::Config {
                    backups: 200,
                    concurrency: 100,
                    interval: Duration::from_millis(500),
                    duration: Duration::from_millis(1500),
                },
                rounds: 1,
            }
        } else {
            journal::Config {
                fan_out: fanout::Config {
                    backups: 10_000,
                    concurrency: 1_000,
                    interval: Duration::from_millis(1_000),
                    duration: Duration::from_millis(3_000),
                },
                rounds: 2,
            }
        };
        if let Some(backups) = options.journal_backups {
            config.fan_out.backups = backups;
        }
        if let Some(concurrency) = options.journal_concurrency {
            config.fan_out.concurrency = concurrency;
        }
        let overhead = journal::run(config).await?;
        println!("{}", journal::table(&overhead));
        report["journal_overhead"] = overhead;
    }
    if options.scenarios.contains(&3) {
        let polls = polls::run().await?;
        println!("{}", polls::table(&polls));
        report["polls"] = polls;
    }
    if options.scenarios.contains(&1) {
        // Quick: three sides of 1,000 calls in 3 rounds (CI's smoke test stays short).
        let config = overhead::Config {
            calls: if options.quick { 1_000 } else { 20_000 },
            concurrency: 32,
            rounds: if options.quick { 3 } else { 5 },
        };
        let overhead = overhead::run(config, &options.vendors).await?;
        println!("{}", overhead::table(&overhead));
        report["overhead"] = overhead;
    }
    if let Some(python) = &options.peers {
        let config = peers::Config {
            python: python.clone(),
            backupctl: options.backupctl.clone(),
            calls: if options.quick { 50 } else { 500 },
            oneshots: if options.quick { 5 } else { 30 },
        };
        let peers = peers::run(&config).await?;
        println!("{}", peers::table(&peers));
        report["peers"] = peers;
    }
    if let Some(path) = &options.footprint {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("reading {}: {e}", path.display()))?;
        report["footprint"] = serde_json::from_str(&text)
            .map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
    }
    if let Some(dir) = options.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    }
    let text = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
    std::fs::write(&options.out, text)
        .map_err(|e| format!("writing {}: {e}", options.out.display()))?;
    println!("figures written to {}", options.out.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn parses_the_command_line() {
        let options = parse(&args(&["--quick", "--out", "x.json", "--only", "1,3"])).unwrap();
        assert!(options.quick);
        assert_eq!(options.out, PathBuf::from("x.json"));
        assert_eq!(options.scenarios, [1, 3]);
        assert!(parse(&args(&["--only", "4"])).is_err());
        assert_eq!(parse(&args(&["--only", "6"])).unwrap().scenarios, [6]);
        let journal = parse(&args(&["--journal-backups", "1000"])).unwrap();
        assert_eq!(journal.journal_backups, Some(1000));
        assert!(parse(&args(&["--journal-backups", "0"])).is_err());
        let concurrency = parse(&args(&["--journal-concurrency", "100"])).unwrap();
        assert_eq!(concurrency.journal_concurrency, Some(100));
        assert!(parse(&args(&["--out"])).is_err());
        assert!(parse(&args(&["--fast"])).is_err());
        let sized = parse(&args(&["--sizes", "1000,50000"])).unwrap();
        assert_eq!(sized.sizes, Some(vec![1000, 50000]));
        assert!(parse(&args(&["--sizes", "0"])).is_err());
        assert!(parse(&args(&["--sizes", "many"])).is_err());
        assert_eq!(parse(&[]).unwrap().scenarios, [1, 2, 3, 6]);
    }

    #[test]
    fn vendors_come_from_the_registry() {
        let every = parse(&[]).unwrap().vendors;
        assert_eq!(every, vendors::Vendor::enabled().collect::<Vec<_>>());
        assert!(every.len() >= 2, "{every:?}");
        let names = format!("{}, {}", every[1], every[0]);
        let options = parse(&args(&["--vendors", &names])).unwrap();
        assert_eq!(options.vendors, [every[1], every[0]]);
        assert!(parse(&args(&["--vendors", "nobody"])).is_err());
    }
}
