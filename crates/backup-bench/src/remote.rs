//! Every vendor's emulator in a child process (`backup-bench emulate`), so that the
//! fan-out's figures (CPU, peak RSS) are the client's alone.
//!
//! The child starts each emulator of the registry with `start_for_load`, prints one
//! line `READY <json>` with how to reach each ([`Reach`]), then answers `stats` lines
//! on stdin with one JSON line of counters per vendor, and ends at the end of stdin.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Duration;

use backup_all::EmulatorVisitor;
use backup_all::emulator::DynEmulator;
use backup_core::contract::BackupClient;
use backup_core::emulator::{LifecycleSpec, LoadOptions, RouteClass, VendorEmulator};
use serde_json::{Value, json};

use crate::vendors::{BoxFuture, Reach};

/// The load of a fan-out, as the child's command line gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Load {
    /// Distinct targets per vendor.
    pub targets: usize,
    /// How long each backup runs after its acceptance.
    pub duration: Duration,
    /// The poll hint sent while a backup runs.
    pub hint: Duration,
}

impl Load {
    /// The emulators' load options.
    #[must_use]
    pub fn options(self) -> LoadOptions {
        LoadOptions::new(LifecycleSpec::default().after(self.duration))
            .targets(self.targets)
            .poll_hint(self.hint)
    }

    fn args(self) -> [String; 3] {
        [
            self.targets.to_string(),
            self.duration.as_millis().to_string(),
            self.hint.as_millis().to_string(),
        ]
    }

    fn parse(args: &[String]) -> Result<Self, String> {
        let number = |i: usize| -> Result<u64, String> {
            args.get(i)
                .ok_or("usage: backup-bench emulate TARGETS DURATION_MS HINT_MS")?
                .parse::<u64>()
                .map_err(|e| format!("argument {}: {e}", i + 1))
        };
        Ok(Self {
            targets: usize::try_from(number(0)?).map_err(|e| e.to_string())?,
            duration: Duration::from_millis(number(1)?),
            hint: Duration::from_millis(number(2)?),
        })
    }
}

/// The counters of one vendor's emulator, as JSON.
fn stats(emulator: &dyn DynEmulator, vendor: &str) -> Value {
    let requests = emulator.requests();
    json!({
        "vendor": vendor,
        "token_requests": emulator.token_requests(),
        "accepted_backups": emulator.accepted_backups(),
        "requests": requests.total(),
        "poll_requests": requests.count(RouteClass::Poll),
    })
}

/// The `emulate` subcommand (internal): `backup-bench emulate TARGETS DURATION_MS
/// HINT_MS`.
///
/// # Errors
/// Bad arguments, an emulator that cannot start, stdout closed.
pub fn emulate_main(args: &[String]) -> Result<(), String> {
    let load = Load::parse(args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    runtime.block_on(async move {
        struct Start(LoadOptions);
        impl EmulatorVisitor for Start {
            type Output = BoxFuture<'static, Result<(Box<dyn DynEmulator>, Reach), String>>;

            fn visit<E: VendorEmulator>(self) -> Self::Output {
                Box::pin(async move {
                    let vendor = <E::Client as BackupClient>::VENDOR;
                    let emulator = E::start_for_load(self.0)
                        .await
                        .map_err(|e| format!("{vendor}: emulator: {e}"))?;
                    let reach = Reach::of(&emulator)?;
                    Ok((Box::new(emulator) as Box<dyn DynEmulator>, reach))
                })
            }
        }
        let mut emulators = Vec::new();
        let mut reaches = Vec::new();
        for vendor in crate::vendors::all() {
            let (emulator, reach) = vendor
                .visit_emulator(Start(load.options()))
                .map_err(|e| e.to_string())?
                .await?;
            emulators.push((reach.vendor.clone(), emulator));
            reaches.push(reach);
        }
        let line = serde_json::to_string(&reaches).map_err(|e| e.to_string())?;
        let mut out = std::io::stdout().lock();
        writeln!(out, "READY {line}").map_err(|e| e.to_string())?;
        out.flush().map_err(|e| e.to_string())?;
        drop(out);
        let (lines, mut asked) = tokio::sync::mpsc::channel::<String>(1);
        std::thread::spawn(move || {
            for line in std::io::stdin().lock().lines().map_while(Result::ok) {
                if lines.blocking_send(line).is_err() {
                    break;
                }
            }
        });
        while let Some(command) = asked.recv().await {
            if command.trim() == "stats" {
                let all: Vec<Value> = emulators
                    .iter()
                    .map(|(vendor, emulator)| stats(emulator.as_ref(), vendor))
                    .collect();
                let mut out = std::io::stdout().lock();
                writeln!(out, "{}", Value::Array(all)).map_err(|e| e.to_string())?;
                out.flush().map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    })
}

/// The emulators' child process; killed on drop.
#[derive(Debug)]
pub struct RemoteEmulators {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    /// How to reach each vendor's emulator, in the registry's order.
    pub reaches: Vec<Reach>,
}

impl RemoteEmulators {
    /// Starts `backup-bench emulate` for `load` and waits until every emulator listens.
    ///
    /// # Errors
    /// When the child cannot start or does not say how to reach its emulators.
    pub fn start(load: Load) -> Result<Self, String> {
        let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
        let mut child = Command::new(exe)
            .arg("emulate")
            .args(load.args())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("starting the emulators: {e}"))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err("the emulators' process has no pipes".to_owned());
        };
        let mut remote = Self {
            child,
            stdin,
            stdout: BufReader::new(stdout),
            reaches: Vec::new(),
        };
        let line = remote.line()?;
        let Some(json) = line.trim().strip_prefix("READY ") else {
            return Err(format!("the emulators' process said {:?}", line.trim()));
        };
        remote.reaches =
            serde_json::from_str(json).map_err(|e| format!("the emulators' READY line: {e}"))?;
        Ok(remote)
    }

    fn line(&mut self) -> Result<String, String> {
        let mut line = String::new();
        self.stdout
            .read_line(&mut line)
            .map_err(|e| format!("reading the emulators' process: {e}"))?;
        if line.is_empty() {
            return Err("the emulators' process ended".to_owned());
        }
        Ok(line)
    }

    /// Every emulator's counters, in the registry's order.
    ///
    /// # Errors
    /// When the child does not answer.
    pub fn stats(&mut self) -> Result<Vec<Value>, String> {
        writeln!(self.stdin, "stats").map_err(|e| e.to_string())?;
        self.stdin.flush().map_err(|e| e.to_string())?;
        let line = self.line()?;
        serde_json::from_str(&line).map_err(|e| format!("the emulators' stats: {e}"))
    }

    /// The child's peak RSS (`VmHWM`), in bytes.
    #[must_use]
    pub fn peak_rss(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        crate::procfs::parse_status_kib(&status, "VmHWM:").map(|kib| kib * 1024)
    }
}

impl Drop for RemoteEmulators {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_load_goes_through_the_command_line() {
        let load = Load {
            targets: 1200,
            duration: Duration::from_millis(3000),
            hint: Duration::from_millis(1000),
        };
        assert_eq!(Load::parse(&load.args()), Ok(load));
        assert!(Load::parse(&["12".to_owned()]).is_err());
        assert!(Load::parse(&["x".to_owned(), "1".to_owned(), "1".to_owned()]).is_err());
    }
}
