//! The command line, as clap parses it. This is the contract scripts depend on.

use std::path::PathBuf;
use std::time::Duration;

use backup_all::core::OperationRef;
use backup_all::{TriggerCommand, Vendor, parse_duration};
use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::Shell;

use crate::exit::EXIT_CODES_HELP;

/// Start on-demand backups on every backup service of the vendor registry
/// (`backup_all::Vendor`), and follow them to the end; `--help` names the services.
#[derive(Debug, Parser)]
#[command(
    name = "backupctl",
    version,
    about = about(),
    long_about = long_about(),
    after_help = EXIT_CODES_HELP
)]
pub struct Cli {
    /// More logs on stderr (-v info, -vv debug, -vvv trace); RUST_LOG wins when set.
    #[arg(short, long, action = clap::ArgAction::Count, global = true, display_order = 1000)]
    pub verbose: u8,

    /// Output format on stdout: text for people, json (one object per line) for machines.
    #[arg(long, value_enum, default_value_t = Output::Text, global = true, display_order = 1001)]
    pub output: Output,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// Lines for people (live progress bars on a terminal).
    Text,
    /// One JSON object per operation per line.
    Json,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start a backup on one vendor (and wait for it with --wait).
    Trigger(TriggerArgs),
    /// Read an operation's current state from the reference `trigger` printed.
    #[command(after_help = EXIT_CODES_HELP)]
    Status(RefArgs),
    /// Wait for an operation to end, from the reference `trigger` printed.
    #[command(after_help = EXIT_CODES_HELP)]
    Wait(WaitRefArgs),
    /// Ask the vendor to cancel an operation (where the vendor can).
    #[command(after_help = EXIT_CODES_HELP)]
    Cancel(RefArgs),
    /// Run a plan: many targets on any vendors, from a TOML file.
    #[command(after_help = EXIT_CODES_HELP)]
    Run(RunArgs),
    /// The runs the journal holds (`run` records every step): list them, or show one.
    Runs(RunsArgs),
    /// Back up on built-in emulators of every vendor: no account, no network, no setup.
    #[command(after_help = EXIT_CODES_HELP)]
    Demo(DemoArgs),
    /// Serve the vendors' emulators on loopback for other programs (the vendors' own
    /// SDKs, curl, CI jobs) until SIGINT or SIGTERM; prints one JSON object with each
    /// one's URL, credentials, ids and `export` lines (docs/emulators.md).
    #[command(after_help = EMULATE_HELP)]
    Emulate(EmulateArgs),
    /// Print a shell completion script.
    Completions {
        /// The shell.
        shell: Shell,
    },
}

/// `Start on-demand backups on A, B and C, and follow them to the end.`, the services
/// taken from the registry.
fn about() -> String {
    let services: Vec<&str> = Vendor::enabled().filter_map(Vendor::service).collect();
    let list = match services.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => "no backup service (this build enables no vendor)".to_owned(),
    };
    format!("Start on-demand backups on {list}, and follow them to the end.")
}

fn long_about() -> String {
    format!(
        "{}\n\nCredentials come from each vendor's environment variables only (see \
         `backupctl trigger <vendor> --help`), never from flags. Try `backupctl demo`: it \
         needs no account and no network.",
        about()
    )
}

fn duration(text: &str) -> Result<Duration, String> {
    parse_duration(text).map_err(|e| e.to_string())
}

fn vendor(text: &str) -> Result<Vendor, String> {
    text.parse()
        .map_err(|e: backup_all::UnknownVendor| e.to_string())
}

fn reference(text: &str) -> Result<OperationRef, String> {
    text.parse()
        .map_err(|e: backup_all::core::operation::ParseOperationRefError| e.to_string())
}

/// `backupctl trigger <vendor> ...`: the vendor's own flags (its crate's `TriggerParams`
/// and `Config`) and the flags every trigger takes.
#[derive(Debug, Args)]
pub struct TriggerArgs {
    #[command(flatten, next_help_heading = "Waiting")]
    #[allow(missing_docs)]
    pub common: TriggerCommon,
    /// The vendor.
    #[command(subcommand)]
    pub vendor: TriggerCommand,
}

/// The connect and request timeouts of a command's client (every request, token and
/// login requests included).
#[derive(Debug, Clone, Copy, Args)]
pub struct TimeoutArgs {
    /// Give up opening a connection after this long [default: 10s].
    #[arg(long, value_parser = positive_duration, value_name = "DURATION", global = true)]
    pub connect_timeout: Option<Duration>,
    /// Give up on one request (token and login requests included) after this long
    /// [default: 60s]; a wait's --timeout still bounds it.
    #[arg(long, value_parser = positive_duration, value_name = "DURATION", global = true)]
    pub request_timeout: Option<Duration>,
}

impl TimeoutArgs {
    /// The transport settings these flags give.
    pub fn settings(self) -> backup_all::TransportSettings {
        backup_all::TransportSettings {
            connect_timeout: self.connect_timeout,
            request_timeout: self.request_timeout,
        }
    }
}

fn positive_duration(text: &str) -> Result<Duration, String> {
    let parsed = duration(text)?;
    if parsed.is_zero() {
        return Err("must be longer than zero".to_owned());
    }
    Ok(parsed)
}

/// Flags every trigger takes, before or after the vendor (global to its subcommands;
/// `trigger::run` refuses `--timeout` without `--wait`).
#[derive(Debug, Clone, Args)]
pub struct TriggerCommon {
    /// Wait for the backup to end (otherwise exit once it is accepted).
    #[arg(long, global = true)]
    pub wait: bool,
    /// With --wait: give up waiting after this long (exit 3; the backup goes on).
    #[arg(long, value_parser = duration, value_name = "DURATION", global = true)]
    pub timeout: Option<Duration>,
    /// With --wait: how often to poll (the vendor's hints may ask for longer).
    #[arg(long, value_parser = duration, value_name = "DURATION", default_value = "5s", global = true)]
    pub poll_interval: Duration,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub timeouts: TimeoutArgs,
}

/// TLS flags of the on-premises vendors.
#[derive(Debug, Clone, Args)]
pub struct TlsArgs {
    /// A PEM file with the root certificate of the appliance's private CA.
    #[arg(long, value_name = "PATH")]
    pub ca_cert: Option<PathBuf>,
    /// Accept any certificate (dangerous: only for lab appliances; warns on stderr).
    #[arg(long)]
    pub insecure: bool,
}

/// Connection flags for a command on an existing operation.
#[derive(Debug, Clone, Args)]
pub struct ConnectArgs {
    /// The API endpoint.
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// Yandex: the Operation API endpoint.
    #[arg(long, value_name = "URL")]
    pub operation_endpoint: Option<String>,
    /// Yandex, Huawei: the IAM endpoint.
    #[arg(long, value_name = "URL")]
    pub iam_endpoint: Option<String>,
    /// Huawei: the project (else the reference's, else HUAWEICLOUD_SDK_PROJECT_ID).
    #[arg(long)]
    pub project_id: Option<String>,
    /// Huawei: the region.
    #[arg(long)]
    pub region: Option<String>,
    /// Azure, Veeam: the API version.
    #[arg(long)]
    pub api_version: Option<String>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub tls: TlsArgs,
}

/// `status` and `cancel`.
#[derive(Debug, Args)]
pub struct RefArgs {
    /// The operation reference (`vendor:id`) that trigger printed.
    #[arg(value_parser = reference, value_name = "OPERATION_REF")]
    pub reference: OperationRef,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub connect: ConnectArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub timeouts: TimeoutArgs,
}

/// `wait`.
#[derive(Debug, Args)]
pub struct WaitRefArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub target: RefArgs,
    /// Give up waiting after this long (exit 3; the backup goes on).
    #[arg(long, value_parser = duration, value_name = "DURATION")]
    pub timeout: Option<Duration>,
    /// How often to poll.
    #[arg(long, value_parser = duration, value_name = "DURATION", default_value = "5s")]
    pub poll_interval: Duration,
}

/// `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The plan file (TOML).
    pub plan: PathBuf,
    /// Targets in flight at once (overrides the plan).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub concurrency: Option<u16>,
    /// Overall deadline (overrides the plan).
    #[arg(long, value_parser = duration, value_name = "DURATION")]
    pub timeout: Option<Duration>,
    /// Stop at the first failure (overrides the plan).
    #[arg(long)]
    pub fail_fast: bool,
    /// How often to poll (overrides the plan).
    #[arg(long, value_parser = duration, value_name = "DURATION")]
    pub poll_interval: Option<Duration>,
    /// Connect and request timeouts (override the plan's).
    #[command(flatten)]
    pub timeouts: TimeoutArgs,
    /// The run journal: resuming, several hosts.
    #[command(flatten, next_help_heading = "Journal")]
    pub journal: JournalArgs,
}

/// Where a run is journaled and which run this process takes part in (docs/runs.md).
#[derive(Debug, Clone, Args)]
pub struct JournalArgs {
    /// The journal: a SQLite file, or a postgres:// URL to share runs between hosts
    /// [default: .backupctl/journal.sqlite next to the plan].
    #[arg(
        long,
        env = "BACKUPCTL_STATE",
        value_name = "PATH|URL",
        hide_env_values = true
    )]
    pub state: Option<String>,
    /// Start a fresh run even if a run of this plan is unfinished (by default it is
    /// resumed).
    #[arg(long, conflicts_with = "run_id")]
    pub new_run: bool,
    /// Take part in this run (created if new): every host given the same id shares
    /// its targets.
    #[arg(long, value_parser = run_id, value_name = "ID")]
    pub run_id: Option<String>,
    /// How long this process's claim on a target lasts unless renewed; another host
    /// takes a dead one's targets over after it.
    #[arg(long, value_parser = positive_duration, value_name = "DURATION", default_value = "30s")]
    pub lease: Duration,
}

/// `runs list` and `runs show`.
#[derive(Debug, Args)]
pub struct RunsArgs {
    /// What to show.
    #[command(subcommand)]
    pub command: RunsCommand,
}

/// The journal's runs.
#[derive(Debug, Subcommand)]
pub enum RunsCommand {
    /// The newest runs: id, outcome, targets ended and succeeded, plan.
    List {
        #[command(flatten)]
        #[allow(missing_docs)]
        at: StateArgs,
        /// At most this many runs.
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// One run: every target with its operations and its whole history.
    Show {
        /// The run id (`runs list` prints them).
        #[arg(value_parser = run_id, value_name = "ID")]
        id: String,
        #[command(flatten)]
        #[allow(missing_docs)]
        at: StateArgs,
    },
}

/// Which journal `runs` reads.
#[derive(Debug, Clone, Args)]
pub struct StateArgs {
    /// The journal: a SQLite file or a postgres:// URL [default: the one next to
    /// --plan, else .backupctl/journal.sqlite here].
    #[arg(
        long,
        env = "BACKUPCTL_STATE",
        value_name = "PATH|URL",
        hide_env_values = true
    )]
    pub state: Option<String>,
    /// The plan whose journal to read (the default journal is next to it).
    #[arg(long, value_name = "PLAN")]
    pub plan: Option<PathBuf>,
}

fn run_id(text: &str) -> Result<String, String> {
    let ok = !text.is_empty()
        && text.len() <= 128
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    if ok {
        Ok(text.to_owned())
    } else {
        Err("a run id is 1 to 128 letters, digits, '-', '_', '.' or ':'".to_owned())
    }
}

/// `demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Only these vendors (repeatable; every vendor when absent).
    #[arg(long = "vendor", value_parser = vendor, value_name = "VENDOR")]
    pub vendors: Vec<Vendor>,
    /// Make this vendor's backup fail, to show the failure path (repeatable).
    #[arg(long = "fail", value_parser = vendor, value_name = "VENDOR")]
    pub fail: Vec<Vendor>,
}

/// `emulate --help`: how to use it from a shell.
const EMULATE_HELP: &str = "\
Examples:
  backupctl emulate                                   # every emulator; one JSON object on stdout
  backupctl emulate --vendor azure --port 8080        # Azure on http://127.0.0.1:8080/
  eval \"$(backupctl emulate --detach --print-env)\"    # serve in the background, export its settings
  kill \"$BACKUPCTL_EMULATE_PID\"                       # stop it (exit 0)

Control API on every emulator: GET <url>_emulator/ (reset, lifecycle, faults, request log).
Exit codes: 0 stopped by SIGINT or SIGTERM; 2 usage error or a port that cannot be bound.";

fn vendor_port(text: &str) -> Result<(Vendor, u16), String> {
    let (name, port) = text
        .split_once('=')
        .ok_or_else(|| format!("expected VENDOR=PORT, got {text:?}"))?;
    let port = port
        .trim()
        .parse::<u16>()
        .map_err(|_| format!("{port:?} is not a port (0 to 65535)"))?;
    Ok((vendor(name.trim())?, port))
}

/// `emulate`.
#[derive(Debug, Args)]
pub struct EmulateArgs {
    /// Only these vendors (repeatable; every vendor when absent).
    #[arg(long = "vendor", value_parser = vendor, value_name = "VENDOR")]
    pub vendors: Vec<Vendor>,
    /// The first vendor's port, the next vendors' the ports after it, in the order of
    /// `--help`'s list [default: 0, a free port each].
    #[arg(long, value_name = "PORT", conflicts_with = "ports")]
    pub port: Option<u16>,
    /// Each vendor's own port (comma separated or repeated); the others get free ports.
    #[arg(
        long,
        value_parser = vendor_port,
        value_delimiter = ',',
        value_name = "VENDOR=PORT"
    )]
    pub ports: Vec<(Vendor, u16)>,
    /// The address to listen on (loopback by default; another one exposes credentials
    /// that need no secret to anyone who can reach it).
    #[arg(long, value_name = "IP", default_value = "127.0.0.1")]
    pub host: std::net::IpAddr,
    /// How long every backup runs, on the clock (whether or not anyone reads it).
    #[arg(long, value_parser = duration, value_name = "DURATION", default_value = "3s")]
    pub backup_duration: Duration,
    /// Seed the random ids and tokens: the same requests, one at a time, get the same
    /// ids.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Print only the `export NAME=value` lines (the last one BACKUPCTL_EMULATE_PID),
    /// not the JSON object.
    #[arg(long)]
    pub print_env: bool,
    /// Serve from a background process: print once it listens, then exit 0 (stop it
    /// with `kill $BACKUPCTL_EMULATE_PID`).
    #[arg(long)]
    pub detach: bool,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
