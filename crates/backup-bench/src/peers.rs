//! Scenario 5 (`--peers`): backup-rs against the official Python SDKs a user would
//! pick instead, in the same run, against the same emulator (`backup-bench emulate`,
//! a child process): CPU per trigger and status call, and the whole-process cost of a
//! one-shot status check (`backupctl status` against a Python one-shot with the SDK).
//!
//! The Python side is `peers/peers.py`, run with the interpreter of the virtual
//! environment `cargo xtask bench --peers` makes from `peers/requirements.txt`. It has
//! a peer for Azure (`azure-mgmt-recoveryservicesbackup`: trigger, status and the
//! one-shot), Huawei CSBS (`huaweicloudsdkcore`'s signing and requests: trigger and
//! status) and Commvault (cvpysdk's `Job` status read).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use backup_all::{EmulatorVisitor, Vendor};
use backup_core::contract::BackupClient;
use backup_core::emulator::VendorEmulator;
use serde_json::{Value, json};

use crate::procfs::process_cpu;
use crate::remote::{Load, RemoteEmulators};
use crate::vendors::{BoxFuture, Reach};

/// The vendors `peers.py` has a peer for.
pub const PEER_VENDORS: [&str; 3] = ["azure", "huawei-csbs", "commvault"];

/// A vendor's peer: the Python package, and what each side sends per call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer {
    /// The package (or packages) the Python side calls.
    pub package: &'static str,
    /// Whether the peer triggers backups too (else only the status read is compared).
    pub triggers: bool,
    /// What a trigger and a status read send, on both sides.
    pub requests: &'static str,
}

/// The peer of `vendor` (one of [`PEER_VENDORS`]).
#[must_use]
pub fn peer(vendor: &str) -> Option<Peer> {
    match vendor {
        "azure" => Some(Peer {
            package: "azure-mgmt-recoveryservicesbackup",
            triggers: true,
            requests: "trigger: POST backup (202) on both sides; status: backup-rs GET of the operation and of the job it names, Python one GET of backup_operation_statuses",
        }),
        "huawei-csbs" => Some(Peer {
            package: "huaweicloudsdkcore",
            triggers: true,
            requests: "AK/SK signing (SDK-HMAC-SHA256) of every request on both sides; trigger: POST providers/{provider_id}/checkpoints; status: GET checkpoint_items?checkpoint_id= then GET checkpoint_items/{id} of each item (the demo policy's two servers), the same requests on both sides",
        }),
        "commvault" => Some(Peer {
            package: "cvpysdk",
            triggers: false,
            requests: "status of the job backup-rs started last: backup-rs GET Job/{id}; cvpysdk Job.status (Job built once, logged in with Login) GET Job/{id} then POST JobDetails; no trigger peer (cvpysdk has no call for the demo CreateTask)",
        }),
        _ => None,
    }
}

/// How the peers are run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The virtual environment's Python.
    pub python: PathBuf,
    /// `backupctl`, for the one-shot comparison (skipped without it).
    pub backupctl: Option<PathBuf>,
    /// Calls per side and kind.
    pub calls: usize,
    /// One-shot processes per side (the median is kept).
    pub oneshots: usize,
}

/// `peers/peers.py` of this crate.
fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("peers/peers.py")
}

/// backup-rs's side of a vendor's peer comparison.
#[derive(Debug, Clone)]
struct RustCalls {
    /// CPU µs per trigger call.
    trigger_us: f64,
    /// CPU µs per status call.
    status_us: f64,
    /// The last operation's reference (for the one-shot).
    reference: String,
    /// Its vendor id (for a peer that reads that operation).
    reference_id: String,
}

/// backup-rs's CPU per trigger call and per status call, sequential, on `reach`'s
/// emulator; and the reference of the last operation.
async fn rust_per_call<C: BackupClient>(reach: &Reach, calls: usize) -> Result<RustCalls, String> {
    let client: C = reach.client()?;
    let request = reach.demo_request::<C>()?;
    let trigger = async || {
        let operations = client.trigger(&request).await.map_err(|e| e.to_string())?;
        operations
            .into_iter()
            .next()
            .ok_or_else(|| "a trigger without an operation".to_owned())
    };
    let mut operation = trigger().await?; // warm-up: token, connection
    let before = process_cpu();
    for _ in 0..calls {
        operation = trigger().await?;
    }
    let trigger_cpu = process_cpu().saturating_sub(before);
    let reference = operation.reference.clone();
    client.status(&reference).await.map_err(|e| e.to_string())?;
    let before = process_cpu();
    for _ in 0..calls {
        client.status(&reference).await.map_err(|e| e.to_string())?;
    }
    let status_cpu = process_cpu().saturating_sub(before);
    #[allow(clippy::cast_precision_loss)] // calls far below 2^52
    let per = |cpu: Duration| cpu.as_secs_f64() * 1e6 / calls.max(1) as f64;
    Ok(RustCalls {
        trigger_us: per(trigger_cpu),
        status_us: per(status_cpu),
        reference: reference.to_string(),
        reference_id: reference.id.clone(),
    })
}

/// Wall seconds, CPU seconds (user + sys) and peak RSS in bytes of one process, as
/// GNU time (`/usr/bin/time -f`) reports them.
fn timed(command: &[&str], env: &[(String, String)]) -> Result<(f64, f64, u64), String> {
    let report = std::env::temp_dir().join(format!("backup-bench-time-{}", std::process::id()));
    let output = Command::new("/usr/bin/time")
        .args(["-f", "%e %U %S %M", "-o"])
        .arg(&report)
        .args(command)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .map_err(|e| format!("/usr/bin/time: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "{} failed: {}",
            command.first().unwrap_or(&""),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let text = std::fs::read_to_string(&report).map_err(|e| e.to_string())?;
    let _ = std::fs::remove_file(&report);
    let numbers: Vec<f64> = text
        .lines()
        .last()
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|n| n.parse().ok())
        .collect();
    match numbers[..] {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // kB counts
        [wall, user, sys, kib] => Ok((wall, user + sys, (kib as u64) * 1024)),
        _ => Err(format!("GNU time said {text:?}")),
    }
}

/// `runs` processes of `command` one after the other, under one GNU time (its CPU
/// figures come in 10 ms steps, more than one `backupctl status` takes): wall and CPU
/// per process, and the peak RSS of the largest.
fn one_shots(command: &[&str], env: &[(String, String)], runs: usize) -> Result<Value, String> {
    let runs = runs.max(1);
    let count = runs.to_string();
    let mut looped = vec![
        "sh",
        "-c",
        "n=$1; shift; i=0; while [ $i -lt $n ]; do \"$@\" >/dev/null || exit 1; i=$((i+1)); done",
        "sh",
        &count,
    ];
    looped.extend_from_slice(command);
    let (wall, cpu, rss) = timed(&looped, env)?;
    #[allow(clippy::cast_precision_loss)] // small counts and byte sizes
    let (per, rss_mb) = (runs as f64, rss as f64 / 1_048_576.0);
    Ok(json!({
        "runs": runs,
        "wall_ms": wall * 1e3 / per,
        "cpu_ms": cpu * 1e3 / per,
        "peak_rss_mb": rss_mb,
    }))
}

/// Runs scenario 5.
///
/// # Errors
/// When the emulators, a client or a peer cannot run.
pub async fn run(config: &Config) -> Result<Value, String> {
    let load = Load {
        targets: 1,
        duration: Duration::ZERO,
        hint: Duration::from_secs(1),
    };
    let remote = RemoteEmulators::start(load)?;
    let mut vendors = Vec::new();
    for name in PEER_VENDORS {
        let Some(reach) = remote.reaches.iter().find(|r| r.vendor == name).cloned() else {
            continue; // not in this build
        };
        let Some(peer) = peer(name) else {
            return Err(format!("{name}: no peer described"));
        };
        let vendor: Vendor = name.parse().map_err(|e| format!("{name}: {e}"))?;
        eprintln!("peers: {name} ...");
        struct Rust(Reach, usize);
        impl EmulatorVisitor for Rust {
            type Output = BoxFuture<'static, Result<RustCalls, String>>;
            fn visit<E: VendorEmulator>(self) -> Self::Output {
                Box::pin(async move { rust_per_call::<E::Client>(&self.0, self.1).await })
            }
        }
        let ours = vendor
            .visit_emulator(Rust(reach.clone(), config.calls))
            .map_err(|e| e.to_string())?
            .await?;
        let reach_file =
            std::env::temp_dir().join(format!("backup-bench-reach-{}.json", std::process::id()));
        std::fs::write(
            &reach_file,
            serde_json::to_vec(&reach).map_err(|e| e.to_string())?,
        )
        .map_err(|e| format!("{}: {e}", reach_file.display()))?;
        let reach_path = reach_file.to_string_lossy().into_owned();
        let python = config.python.to_string_lossy().into_owned();
        let script = script().to_string_lossy().into_owned();
        let output = Command::new(&python)
            .args([
                &script,
                "percall",
                name,
                &config.calls.to_string(),
                &reach_path,
                &ours.reference_id,
            ])
            .output()
            .map_err(|e| format!("{python}: {e}"))?;
        if !output.status.success() {
            let _ = std::fs::remove_file(&reach_file);
            return Err(format!(
                "peers.py percall {name}: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        let measured: Value = serde_json::from_slice(&output.stdout)
            .map_err(|e| format!("peers.py percall {name}: {e}"))?;
        let peer_status = measured["status_cpu_us"].as_f64().unwrap_or(f64::NAN);
        let mut row = json!({
            "vendor": name,
            "calls": config.calls,
            "backup_rs_trigger_cpu_us": ours.trigger_us,
            "backup_rs_status_cpu_us": ours.status_us,
            "peer": format!("{} (peers/requirements.txt)", peer.package),
            "requests": peer.requests,
            "peer_status_cpu_us": peer_status,
            "status_ratio_peer_over_backup_rs": peer_status / ours.status_us,
        });
        if peer.triggers {
            let peer_trigger = measured["trigger_cpu_us"].as_f64().unwrap_or(f64::NAN);
            row["peer_trigger_cpu_us"] = json!(peer_trigger);
            row["trigger_ratio_peer_over_backup_rs"] = json!(peer_trigger / ours.trigger_us);
        }
        let reference = ours.reference;
        if let (Some(backupctl), Some(operation_id)) =
            (&config.backupctl, measured["operation_id"].as_str())
        {
            let endpoint = reach.config["endpoint"].as_str().unwrap_or_default();
            let backupctl = backupctl.to_string_lossy().into_owned();
            let ours = one_shots(
                &[&backupctl, "status", &reference, "--endpoint", endpoint],
                &reach.env,
                config.oneshots,
            )?;
            let theirs = one_shots(
                &[&python, &script, "oneshot", name, &reach_path, operation_id],
                &[],
                config.oneshots,
            )?;
            let ratio = |key: &str| {
                theirs[key].as_f64().unwrap_or(f64::NAN) / ours[key].as_f64().unwrap_or(f64::NAN)
            };
            row["oneshot"] = json!({
                "backupctl_status": ours,
                "python_sdk": theirs,
                "ratio_wall": ratio("wall_ms"),
                "ratio_cpu": ratio("cpu_ms"),
                "ratio_peak_rss": ratio("peak_rss_mb"),
                "note": "whole processes run one after the other under one GNU time, per process (a shell loop's own cost included on both sides); backupctl status makes its own requests (for Azure: the operation, then the job it names), the Python one-shot one GET of backup_operation_statuses",
            });
        }
        let _ = std::fs::remove_file(&reach_file);
        vendors.push(row);
    }
    drop(remote);
    Ok(json!({
        "emulators": "backup-bench emulate (a child process), backups done at once",
        "cpu": "backup-rs: process CPU over sequential calls in this process; Python: time.process_time() over the same calls in its own process",
        "vendors": vendors,
    }))
}

/// The peers' tables.
#[must_use]
pub fn table(report: &Value) -> String {
    let num = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    let mut out = String::from(
        "Scenario 5: peers (CPU us per call, sequential, same emulator)\n\
         vendor       call      backup-rs   Python SDK   Python/backup-rs   peer\n",
    );
    let rows = report["vendors"].as_array().cloned().unwrap_or_default();
    for v in &rows {
        for call in ["trigger", "status"] {
            let theirs = &v[format!("peer_{call}_cpu_us")];
            if theirs.is_null() {
                continue; // no peer for this call
            }
            let package = v["peer"].as_str().unwrap_or("?");
            out.push_str(&format!(
                "{:<12} {:<8} {:>10.1} {:>12.1} {:>18.1}   {}\n",
                v["vendor"].as_str().unwrap_or("?"),
                call,
                num(&v[format!("backup_rs_{call}_cpu_us")]),
                num(theirs),
                num(&v[format!("{call}_ratio_peer_over_backup_rs")]),
                package.split(' ').next().unwrap_or(package),
            ));
        }
    }
    for v in &rows {
        let shot = &v["oneshot"];
        if shot.is_null() {
            continue;
        }
        out.push_str(&format!(
            "one-shot status ({}, mean of {} in a row): backupctl {:.0} ms wall, {:.0} ms CPU, {:.1} MB; Python SDK {:.0} ms wall, {:.0} ms CPU, {:.1} MB; Python/backupctl wall {:.1}x, CPU {:.1}x, RSS {:.1}x\n",
            v["vendor"].as_str().unwrap_or("?"),
            shot["backupctl_status"]["runs"],
            num(&shot["backupctl_status"]["wall_ms"]),
            num(&shot["backupctl_status"]["cpu_ms"]),
            num(&shot["backupctl_status"]["peak_rss_mb"]),
            num(&shot["python_sdk"]["wall_ms"]),
            num(&shot["python_sdk"]["cpu_ms"]),
            num(&shot["python_sdk"]["peak_rss_mb"]),
            num(&shot["ratio_wall"]),
            num(&shot["ratio_cpu"]),
            num(&shot["ratio_peak_rss"]),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_is_there_and_peers_are_vendors() {
        assert!(script().is_file());
        let text = std::fs::read_to_string(script()).unwrap_or_default();
        for name in PEER_VENDORS {
            assert!(name.parse::<Vendor>().is_ok(), "{name}");
            assert!(peer(name).is_some(), "{name} has no peer described");
            // peers.py measures each vendor of PEER_VENDORS (its PERCALL table).
            assert!(
                text.contains(&format!("\n    \"{name}\": ")),
                "{name} not in peers.py"
            );
        }
        assert_eq!(peer("yandex"), None);
    }

    #[test]
    fn the_table_has_a_row_per_call_with_a_peer() {
        let report = json!({"vendors": [
            {
                "vendor": "huawei-csbs",
                "peer": "huaweicloudsdkcore (peers/requirements.txt)",
                "backup_rs_trigger_cpu_us": 100.0,
                "backup_rs_status_cpu_us": 200.0,
                "peer_trigger_cpu_us": 800.0,
                "peer_status_cpu_us": 1000.0,
                "trigger_ratio_peer_over_backup_rs": 8.0,
                "status_ratio_peer_over_backup_rs": 5.0,
            },
            {
                "vendor": "commvault",
                "peer": "cvpysdk (peers/requirements.txt)",
                "backup_rs_trigger_cpu_us": 150.0,
                "backup_rs_status_cpu_us": 120.0,
                "peer_status_cpu_us": 1200.0,
                "status_ratio_peer_over_backup_rs": 10.0,
            },
        ]});
        let table = table(&report);
        let rows: Vec<&str> = table.lines().skip(2).collect();
        assert_eq!(rows.len(), 3, "{table}");
        assert!(rows[0].starts_with("huawei-csbs  trigger"), "{table}");
        assert!(rows[0].contains("8.0") && rows[0].ends_with("huaweicloudsdkcore"));
        assert!(rows[1].starts_with("huawei-csbs  status"), "{table}");
        assert!(rows[2].starts_with("commvault    status"), "{table}");
        assert!(rows[2].contains("1200.0") && rows[2].ends_with("cvpysdk"));
        assert!(!table.contains("commvault    trigger"), "{table}");
    }
}
