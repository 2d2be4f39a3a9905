//! `backupctl emulate`: the vendors' emulators as a local service for other programs.
//!
//! The emulators run on a thread of their own (a single-threaded runtime, so that
//! `--seed` decides every id they draw), each on its port, with backups on the clock
//! (`--backup-duration`). Once all listen, one JSON object (or, with `--print-env`, the
//! `export` lines) goes to stdout; the process then serves until SIGINT or SIGTERM and
//! exits 0. `--detach` runs the same command as a background process, relays what it
//! printed, and exits at once: `eval "$(backupctl emulate --detach --print-env)"`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

use backup_all::core::emulator::{CONTROL_PREFIX, LifecycleSpec, ServeOptions, seed_random_ids};
use backup_all::{AnyEmulator, Vendor};
use serde_json::{Map, Value, json};
use tokio::sync::oneshot;

use crate::cli::EmulateArgs;
use crate::exit::Exit;
use crate::output::Printer;

/// The variable that holds the serving process's id in `--print-env`'s lines.
const PID_VARIABLE: &str = "BACKUPCTL_EMULATE_PID";
/// How long `--detach` waits for the background process to listen.
const DETACH_READY_TIMEOUT: Duration = Duration::from_secs(60);

/// What to serve: each vendor with its address, how backups unfold, the seed.
#[derive(Debug, Clone)]
struct Plan {
    vendors: Vec<(Vendor, SocketAddr)>,
    lifecycle: LifecycleSpec,
    seed: Option<u64>,
}

impl Plan {
    /// The vendors (all enabled ones by default, in registry order) and their ports.
    fn of(args: &EmulateArgs) -> Result<Self, String> {
        let mut vendors: Vec<Vendor> = if args.vendors.is_empty() {
            Vendor::enabled().collect()
        } else {
            args.vendors.clone()
        };
        vendors.sort_unstable();
        vendors.dedup();
        if let Some(missing) = vendors.iter().find(|v| !v.is_enabled()) {
            return Err(format!("{missing} is not in this build"));
        }
        let mut ports: BTreeMap<Vendor, u16> = BTreeMap::new();
        for &(vendor, port) in &args.ports {
            if !vendors.contains(&vendor) {
                return Err(format!(
                    "--ports names {vendor}, which is not among the --vendor values"
                ));
            }
            if ports.insert(vendor, port).is_some() {
                return Err(format!("--ports names {vendor} twice"));
            }
        }
        if let Some(first) = args.port.filter(|port| *port != 0) {
            for (i, vendor) in vendors.iter().enumerate() {
                let port = u16::try_from(i)
                    .ok()
                    .and_then(|i| first.checked_add(i))
                    .ok_or_else(|| {
                        format!(
                            "--port {first}: {} emulators do not fit below port 65536",
                            vendors.len()
                        )
                    })?;
                ports.insert(*vendor, port);
            }
        }
        let mut taken = BTreeMap::new();
        for (vendor, port) in &ports {
            if *port != 0
                && let Some(other) = taken.insert(*port, *vendor)
            {
                return Err(format!(
                    "{other} and {vendor} cannot both listen on port {port}"
                ));
            }
        }
        Ok(Self {
            vendors: vendors
                .into_iter()
                .map(|vendor| {
                    let port = ports.get(&vendor).copied().unwrap_or(0);
                    (vendor, SocketAddr::new(args.host, port))
                })
                .collect(),
            lifecycle: LifecycleSpec::default().after(args.backup_duration),
            seed: args.seed,
        })
    }
}

pub async fn run(args: EmulateArgs) -> Exit {
    let plan = match Plan::of(&args) {
        Ok(plan) => plan,
        Err(message) => {
            Printer::stderr(&format!("error: {message}"));
            return Exit::Usage;
        }
    };
    if args.detach {
        return detach(&args, &plan).await;
    }
    // Listen for the signals before anything is printed: a caller may stop us as soon
    // as it has read the JSON.
    let stop = match Stop::install() {
        Ok(stop) => stop,
        Err(error) => {
            Printer::stderr(&format!("error: cannot handle SIGINT and SIGTERM: {error}"));
            return Exit::Api;
        }
    };
    let (ready_tx, ready_rx) = oneshot::channel();
    let (stop_tx, stop_rx) = oneshot::channel();
    let serving = match std::thread::Builder::new()
        .name("emulators".to_owned())
        .spawn(move || serve(plan, ready_tx, stop_rx))
    {
        Ok(thread) => thread,
        Err(error) => {
            Printer::stderr(&format!(
                "error: cannot start the emulators' thread: {error}"
            ));
            return Exit::Api;
        }
    };
    let exit = match ready_rx.await {
        Ok(Ok(description)) => {
            let text = if args.print_env {
                exports_text(&description)
            } else {
                format!("{description}\n")
            };
            print(&text);
            let signal = stop.wait().await;
            tracing::info!(signal, "stopping the emulators");
            Exit::Success
        }
        Ok(Err(message)) => {
            Printer::stderr(&format!("error: {message}"));
            Exit::Usage
        }
        Err(_) => {
            Printer::stderr("error: the emulators stopped before they listened");
            Exit::Api
        }
    };
    // The thread shuts every emulator down (ports closed, connections ended), then ends.
    let _ = stop_tx.send(());
    if tokio::task::spawn_blocking(move || serving.join())
        .await
        .map_or(true, |joined| joined.is_err())
    {
        Printer::stderr("error: the emulators' thread ended abnormally");
        return Exit::Api;
    }
    exit
}

/// Writes `text` to stdout at once (a pipe or a file sees it before we serve).
fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    // A closed stdout is the reader's choice: keep serving.
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// SIGINT and SIGTERM, listened to from the start.
struct Stop {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Stop {
    #[cfg(unix)]
    fn install() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    #[cfg(not(unix))]
    fn install() -> std::io::Result<Self> {
        Ok(Self {})
    }

    /// Waits for the first signal and names it.
    #[cfg(unix)]
    async fn wait(mut self) -> &'static str {
        tokio::select! {
            _ = self.interrupt.recv() => "SIGINT",
            _ = self.terminate.recv() => "SIGTERM",
        }
    }

    #[cfg(not(unix))]
    async fn wait(self) -> &'static str {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}

/// The emulators' thread: starts every emulator, says whether they listen (with
/// their description), serves until told to stop, then shuts them down.
fn serve(plan: Plan, ready: oneshot::Sender<Result<Value, String>>, stop: oneshot::Receiver<()>) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            let _ = ready.send(Err(format!("cannot start the emulators' runtime: {error}")));
            return;
        }
    };
    if let Some(seed) = plan.seed {
        seed_random_ids(seed);
    }
    runtime.block_on(async move {
        let mut running = Vec::with_capacity(plan.vendors.len());
        for &(vendor, bind) in &plan.vendors {
            let options = ServeOptions::default()
                .bind(bind)
                .lifecycle(plan.lifecycle.clone());
            match AnyEmulator::serve(vendor, options).await {
                Ok(emulator) => running.push(emulator),
                Err(error) => {
                    let _ = ready.send(Err(format!("{vendor}: cannot listen on {bind}: {error}")));
                    for emulator in running {
                        emulator.shutdown().await;
                    }
                    return;
                }
            }
        }
        let description = describe(&running, &plan);
        if ready.send(Ok(description)).is_ok() {
            // Stopped by the main task, or it is gone: either way, stop.
            let _ = stop.await;
        }
        for emulator in running {
            emulator.shutdown().await;
        }
    });
}

/// The one JSON object `emulate` prints: every emulator's URL, credentials, ids and
/// `export` lines.
fn describe(emulators: &[AnyEmulator], plan: &Plan) -> Value {
    let pid = std::process::id();
    let mut vendors = Map::new();
    let mut exports = Vec::new();
    for emulator in emulators {
        let vendor = emulator.vendor();
        let url = emulator.as_dyn().url();
        let environment = emulator.environment();
        let mut credentials = Map::new();
        for (name, value) in environment.iter().chain(&emulator.other_credentials()) {
            credentials.insert((*name).to_owned(), Value::String(value.clone()));
        }
        let mut env: Vec<(String, String)> = environment
            .iter()
            .chain(&emulator.settings_environment())
            .map(|(name, value)| ((*name).to_owned(), value.clone()))
            .collect();
        env.push((url_variable(vendor), url.to_string()));
        let lines: Vec<String> = env.iter().map(|(n, v)| export_line(n, v)).collect();
        exports.extend(lines.iter().cloned());
        let params = emulator.demo_params().to_json();
        let config = emulator.config().to_json();
        vendors.insert(
            vendor.as_str().to_owned(),
            json!({
                "service": vendor.service(),
                "url": url.as_str(),
                // At the server's root, whatever path the vendor's base has (Commvault's
                // is `/commandcenter/api/`).
                "control_url": format!("{}{CONTROL_PREFIX}/", url.origin().ascii_serialization()),
                "credentials": credentials,
                "env": env.iter().map(|(n, v)| (n.clone(), Value::String(v.clone()))).collect::<Map<_, _>>(),
                "exports": lines,
                "params": params,
                "config": config,
                "trigger": trigger_argv(vendor, &params, &config),
            }),
        );
    }
    exports.push(export_line(PID_VARIABLE, &pid.to_string()));
    json!({
        "pid": pid,
        "backup_duration_s": plan.lifecycle.duration.map(|d| d.as_secs_f64()),
        "control_prefix": CONTROL_PREFIX,
        "vendors": vendors,
        "exports": exports,
    })
}

/// `BACKUPCTL_EMULATE_HUAWEI_CSBS_URL`: the variable holding a vendor's emulator URL.
fn url_variable(vendor: Vendor) -> String {
    format!(
        "BACKUPCTL_EMULATE_{}_URL",
        vendor.as_str().to_ascii_uppercase().replace('-', "_")
    )
}

/// `export NAME=value`, the value quoted for a POSIX shell when it needs it.
fn export_line(name: &str, value: &str) -> String {
    format!("export {name}={}", shell_quote(value))
}

/// `value` as one word of a POSIX shell: as it is when every character is plain,
/// else in single quotes (a quote inside as `'\''`).
fn shell_quote(value: &str) -> String {
    let plain = !value.is_empty()
        && value.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'_' | b'-' | b'.' | b'/' | b':' | b'@' | b'%' | b'+' | b',' | b'='
                )
        });
    if plain {
        value.to_owned()
    } else {
        format!("'{}'", value.replace('\'', r"'\''"))
    }
}

/// `--print-env`'s text: every `export` line of the description, one per line.
fn exports_text(description: &Value) -> String {
    description["exports"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|line| format!("{line}\n"))
        .collect()
}

/// `backupctl trigger <vendor> ...` with `params` and `config` as flags (credentials
/// come from the environment): each field is the flag whose id is the field's name; a
/// bool that takes no value is a bare flag, a list repeats the flag, null is left out.
fn trigger_argv(vendor: Vendor, params: &Value, config: &Value) -> Vec<String> {
    let mut root = <backup_all::TriggerCommand as clap::Subcommand>::augment_subcommands(
        clap::Command::new("trigger"),
    );
    root.build();
    let mut argv = vec![
        "backupctl".to_owned(),
        "trigger".to_owned(),
        vendor.as_str().to_owned(),
    ];
    let Some(command) = root.find_subcommand(vendor.as_str()) else {
        return argv;
    };
    let fields = [params, config]
        .into_iter()
        .filter_map(Value::as_object)
        .flatten();
    for (field, value) in fields {
        let Some(arg) = command
            .get_arguments()
            .find(|arg| arg.get_id().as_str() == field)
        else {
            continue;
        };
        let Some(long) = arg.get_long().map(|long| format!("--{long}")) else {
            continue;
        };
        let takes_value = arg.get_action().takes_values();
        let optional_value = arg.get_num_args().is_some_and(|n| n.min_values() == 0);
        match value {
            Value::Null | Value::Object(_) => {}
            Value::Bool(true) if !takes_value || optional_value => argv.push(long),
            Value::Bool(false) if !takes_value => {}
            Value::Array(items) => {
                for item in items {
                    argv.extend([long.clone(), flag_value(item)]);
                }
            }
            other => argv.extend([long, flag_value(other)]),
        }
    }
    argv
}

/// A JSON scalar as a flag's value.
fn flag_value(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// `--detach`: runs this command without `--detach` as a background process (its own
/// process group: a Ctrl-C in this terminal does not reach it), waits until it prints
/// its description, prints it (or its `export` lines) and exits.
async fn detach(args: &EmulateArgs, plan: &Plan) -> Exit {
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(error) => {
            Printer::stderr(&format!(
                "error: cannot find this program to run it again: {error}"
            ));
            return Exit::Api;
        }
    };
    let mut command = Command::new(exe);
    command
        .args(child_args(args, plan))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt as _;
        command.process_group(0);
    }
    let print_env = args.print_env;
    let waited = tokio::task::spawn_blocking(move || wait_for_child(command)).await;
    match waited {
        Ok(Ok(description)) => {
            print(&if print_env {
                exports_text(&description)
            } else {
                format!("{description}\n")
            });
            Exit::Success
        }
        Ok(Err((exit, message))) => {
            Printer::stderr(&format!("error: {message}"));
            exit
        }
        Err(error) => {
            Printer::stderr(&format!("error: {error}"));
            Exit::Api
        }
    }
}

/// The arguments of the background process: the same emulators, ports and settings,
/// printing its description as JSON.
fn child_args(args: &EmulateArgs, plan: &Plan) -> Vec<String> {
    let mut child = vec!["emulate".to_owned()];
    for (vendor, addr) in &plan.vendors {
        child.push("--vendor".to_owned());
        child.push(vendor.as_str().to_owned());
        if addr.port() != 0 {
            child.push("--ports".to_owned());
            child.push(format!("{vendor}={}", addr.port()));
        }
    }
    child.push("--host".to_owned());
    child.push(args.host.to_string());
    child.push("--backup-duration".to_owned());
    child.push(format!("{}ms", args.backup_duration.as_millis()));
    if let Some(seed) = args.seed {
        child.push("--seed".to_owned());
        child.push(seed.to_string());
    }
    child
}

/// Starts the background process and reads its first line: its description; or,
/// when it ends first, its exit code and what it said on stderr.
fn wait_for_child(mut command: Command) -> Result<Value, (Exit, String)> {
    let mut child = command.spawn().map_err(|e| {
        (
            Exit::Api,
            format!("cannot start the background process: {e}"),
        )
    })?;
    let (Some(stdout), Some(mut stderr)) = (child.stdout.take(), child.stderr.take()) else {
        let _ = child.kill();
        return Err((Exit::Api, "the background process has no output".to_owned()));
    };
    // Its stderr is drained on a thread of its own (so that it never blocks on a full
    // pipe) and read only if it fails.
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = (&mut stderr).take(64 * 1024).read_to_string(&mut text);
        text
    });
    let (line_tx, line_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let read = BufReader::new(stdout).read_line(&mut line);
        let _ = line_tx.send(read.map(|_| line));
    });
    let line = match line_rx.recv_timeout(DETACH_READY_TIMEOUT) {
        Ok(Ok(line)) if !line.trim().is_empty() => line,
        Ok(_) | Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            let status = child.wait().ok();
            let said = errors.join().unwrap_or_default();
            let code = status.and_then(|s| s.code());
            let exit = if code == Some(Exit::Usage as i32) {
                Exit::Usage
            } else {
                Exit::Api
            };
            return Err((
                exit,
                format!(
                    "the background process ended before it listened (exit code {}): {}",
                    code.map_or_else(|| "none".to_owned(), |c| c.to_string()),
                    said.trim()
                ),
            ));
        }
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err((
                Exit::Api,
                format!(
                    "the background process did not listen within {}s",
                    DETACH_READY_TIMEOUT.as_secs()
                ),
            ));
        }
    };
    serde_json::from_str(&line).map_err(|e| {
        let _ = child.kill();
        (
            Exit::Api,
            format!("the background process printed no JSON: {e}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_quoted_only_when_needed() {
        assert_eq!(shell_quote("http://127.0.0.1:80/"), "http://127.0.0.1:80/");
        assert_eq!(shell_quote("QSDK abc"), "'QSDK abc'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("a$b"), "'a$b'");
        assert_eq!(export_line("X", "a b"), "export X='a b'");
    }

    #[test]
    fn url_variables_are_shell_names() {
        for &vendor in Vendor::ALL {
            let name = url_variable(vendor);
            assert!(
                name.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'),
                "{name}"
            );
        }
    }
}
