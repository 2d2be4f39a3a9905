//! The command line, as clap parses it. This is the contract scripts depend on.

use std::path::PathBuf;
use std::time::Duration;

use backup_all::core::OperationRef;
use backup_all::{TriggerCommand, Vendor, parse_duration};
use clap::builder::{PossibleValue, TypedValueParser};
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use clap_complete::Shell;

use crate::exit::exit_codes;

/// The help heading of the flags every subcommand takes (listed after its own).
pub const GLOBAL_HEADING: &str = "Global options";

/// Start on-demand backups on every backup service of the vendor registry
/// (`backup_all::Vendor`), and follow them to the end; `--help` names the services.
#[derive(Debug, Parser)]
#[command(
    name = "backupctl",
    version,
    about = about(),
    long_about = long_about(),
    after_help = concat!(
        "Examples:
  backupctl demo                                 # every vendor on built-in emulators
  backupctl trigger yandex --help                # one vendor's flags and credentials
  ref=$(backupctl trigger yandex --policy POLICY --instance INSTANCE -o id)
  backupctl wait \"$ref\" --timeout 2h            # follow it to the end
  backupctl run plan.toml --concurrency 4        # many targets, any vendors
  source <(backupctl completions bash)           # completions in this shell

",
        exit_codes!()
    )
)]
pub struct Cli {
    /// More logs on stderr (-v info, -vv debug, -vvv trace); RUST_LOG wins when set.
    #[arg(
        short,
        long,
        action = clap::ArgAction::Count,
        global = true,
        help_heading = GLOBAL_HEADING,
        display_order = 1000
    )]
    pub verbose: u8,

    /// Output on stdout: text for people, json (one object per line) for machines, id
    /// (one operation reference per line, for `$(...)`).
    #[arg(
        short,
        long,
        value_enum,
        default_value_t = Output::Text,
        global = true,
        help_heading = GLOBAL_HEADING,
        display_order = 1001
    )]
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
    /// One operation reference per line and nothing else (`ref=$(backupctl ... -o id)`);
    /// errors go to stderr only.
    Id,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start a backup on one vendor (and wait for it with --wait).
    #[command(after_help = TRIGGER_HELP)]
    Trigger(TriggerArgs),
    /// Read an operation's current state from the reference `trigger` printed.
    #[command(after_help = STATUS_HELP)]
    Status(RefArgs),
    /// Wait for an operation to end, from the reference `trigger` printed.
    #[command(after_help = WAIT_HELP)]
    Wait(WaitRefArgs),
    /// Ask the vendor to cancel an operation (where the vendor can); says so when the
    /// operation had already ended and nothing was cancelled.
    #[command(after_help = CANCEL_HELP)]
    Cancel(RefArgs),
    /// Run a plan: many targets on any vendors, from a TOML file.
    #[command(after_help = RUN_HELP)]
    Run(RunArgs),
    /// The runs the journal holds (`run` records every step): list them, or show one.
    #[command(after_help = RUNS_HELP)]
    Runs(RunsArgs),
    /// Back up on built-in emulators of every vendor: no account, no network, no setup.
    #[command(after_help = DEMO_HELP)]
    Demo(DemoArgs),
    /// Serve the vendors' emulators on loopback for other programs (the vendors' own
    /// SDKs, curl, CI jobs) until SIGINT or SIGTERM; prints one JSON object with each
    /// one's URL, credentials, ids and `export` lines (docs/emulators.md).
    #[command(after_help = EMULATE_HELP)]
    Emulate(EmulateArgs),
    /// Print a shell completion script (vendors, flags and their values complete).
    #[command(after_help = COMPLETIONS_HELP)]
    Completions {
        /// The shell.
        shell: Shell,
    },
}

/// `trigger --help`.
const TRIGGER_HELP: &str = "Examples:
  backupctl trigger yandex --help                # the vendor's flags and credentials
  backupctl trigger yandex --policy POLICY --instance INSTANCE --wait --timeout 2h
  ref=$(backupctl trigger yandex --policy POLICY --instance INSTANCE -o id)

Every vendor's subcommand lists its own flags, examples and credentials under --help.";

/// `status --help`.
const STATUS_HELP: &str = concat!(
    "Examples:
  backupctl status yandex:fd8k2dp4vq8o3hstblhq
  backupctl status \"$ref\" -o json | jq -r .status
  backupctl status huawei-csbs:PROJECT/CHECKPOINT --region eu-west-101

",
    exit_codes!()
);

/// `wait --help`.
const WAIT_HELP: &str = concat!(
    "Examples:
  backupctl wait yandex:fd8k2dp4vq8o3hstblhq
  backupctl wait \"$ref\" --timeout 2h --poll-interval 30s
  backupctl wait \"$ref\" -o json > result.json

",
    exit_codes!()
);

/// `cancel --help`.
const CANCEL_HELP: &str = concat!(
    "Examples:
  backupctl cancel yandex:fd8k2dp4vq8o3hstblhq
  backupctl cancel \"$ref\" -o json

An operation that had already ended is not cancelled: cancel says so on stderr (JSON:
\"cancelled\": false) and exits as `status` would.

",
    exit_codes!()
);

/// `run --help`.
const RUN_HELP: &str = concat!(
    "Examples:
  backupctl run plan.toml
  backupctl run plan.toml --concurrency 8 --timeout 2h --fail-fast
  backupctl run plan.toml -o json > report.jsonl
  backupctl run plan.toml --state postgres://backup@db/backups --run-id nightly-2030-01-31

",
    exit_codes!()
);

/// `runs --help`.
const RUNS_HELP: &str = "Examples:
  backupctl runs list --plan plan.toml
  backupctl runs show 01JH3Q7Z8X --plan plan.toml
  backupctl runs list --state postgres://backup@db/backups -o json";

/// `demo --help`.
const DEMO_HELP: &str = concat!(
    "Examples:
  backupctl demo                                 # every vendor, one backup each
  backupctl demo --vendor azure --vendor aws     # only these
  backupctl demo --fail yandex                   # the failure path (exit 1)
  backupctl demo -o json                         # the JSON objects scripts read

",
    exit_codes!()
);

/// `completions --help`.
const COMPLETIONS_HELP: &str = "Examples:
  source <(backupctl completions bash)                        # this shell
  backupctl completions bash > /etc/bash_completion.d/backupctl
  backupctl completions zsh > \"${fpath[1]}/_backupctl\"
  backupctl completions fish > ~/.config/fish/completions/backupctl.fish";

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

/// What every DURATION flag takes, for its help.
pub const DURATION_UNITS: &str = "a number with a unit: 500ms, 90s, 15m, 2h, 1d, or sums (1h30m)";

/// A duration flag's value: a number with its unit (a bare `90` is refused rather than
/// taken in a unit the reader has to guess); zero is refused by [`positive_duration`].
fn duration(text: &str) -> Result<Duration, String> {
    let trimmed = text.trim();
    if !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "{trimmed} has no unit: write {trimmed}s, {trimmed}m or {trimmed}h ({DURATION_UNITS})"
        ));
    }
    parse_duration(text).map_err(|e| e.to_string())
}

/// A vendor name, completed by shells from the registry's list.
#[derive(Debug, Clone, Copy)]
pub struct VendorParser;

impl TypedValueParser for VendorParser {
    type Value = Vendor;

    fn parse_ref(
        &self,
        command: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Vendor, clap::Error> {
        let text = value.to_string_lossy();
        text.parse().map_err(|e: backup_all::UnknownVendor| {
            let arg = arg.map_or_else(|| "VENDOR".to_owned(), ToString::to_string);
            clap::Error::raw(
                clap::error::ErrorKind::InvalidValue,
                format!("invalid value '{text}' for '{arg}': {e}\n"),
            )
            .with_cmd(command)
        })
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(
            Vendor::enabled().map(|vendor| PossibleValue::new(vendor.as_str())),
        ))
    }
}

/// `yandex:op-1`: a reference whose vendor part is no vendor is refused as an unknown
/// vendor (naming the vendors, and the one meant when only the case differs).
fn reference(text: &str) -> Result<OperationRef, String> {
    if let Some((vendor, _)) = text.split_once(':')
        && !vendor.is_empty()
        && vendor.parse::<Vendor>().is_err()
    {
        let near = Vendor::ALL
            .iter()
            .find(|known| known.as_str().eq_ignore_ascii_case(vendor))
            .map(|known| format!("; did you mean {known}?"))
            .unwrap_or_default();
        let unknown = backup_all::UnknownVendor {
            name: vendor.chars().take(40).collect(),
        };
        return Err(format!("{unknown}{near}"));
    }
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
            // One backup's client: no limit (a plan's `max_concurrent_requests`, or
            // `run --max-concurrent-requests`, sets one).
            max_concurrent_requests: None,
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
    /// With --wait: give up waiting after this long (exit 3; the backup goes on); a
    /// number with a unit (90s, 15m, 2h).
    #[arg(long, value_parser = positive_duration, value_name = "DURATION", global = true)]
    pub timeout: Option<Duration>,
    /// With --wait: how often to poll (the vendor's hints may ask for longer); a number
    /// with a unit (500ms, 5s, 1m).
    #[arg(long, value_parser = positive_duration, value_name = "DURATION", default_value = "5s", global = true)]
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
    /// Give up waiting after this long (exit 3; the backup goes on); a number with a
    /// unit (90s, 15m, 2h).
    #[arg(long, value_parser = positive_duration, value_name = "DURATION")]
    pub timeout: Option<Duration>,
    /// How often to poll; a number with a unit (500ms, 5s, 1m).
    #[arg(long, value_parser = positive_duration, value_name = "DURATION", default_value = "5s")]
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
    /// Overall deadline (overrides the plan); a number with a unit (90s, 15m, 2h).
    #[arg(long, value_parser = positive_duration, value_name = "DURATION")]
    pub timeout: Option<Duration>,
    /// Stop at the first failure (overrides the plan).
    #[arg(long)]
    pub fail_fast: bool,
    /// How often to poll (overrides the plan); a number with a unit (500ms, 5s, 1m).
    #[arg(long, value_parser = positive_duration, value_name = "DURATION")]
    pub poll_interval: Option<Duration>,
    /// Connect and request timeouts (override the plan's).
    #[command(flatten)]
    pub timeouts: TimeoutArgs,
    /// Opt in to a limit on each client's requests in flight at once (overrides the
    /// plan's; default: no limit). It bounds memory and connections when thousands of
    /// backups are followed at once, at a cost: requests wait their turn, so ends are
    /// noticed later, and one without a turn within its timeouts fails unsent.
    #[arg(long, value_name = "N")]
    pub max_concurrent_requests: Option<std::num::NonZeroUsize>,
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
    #[command(after_help = "Examples:
  backupctl runs list --plan plan.toml
  backupctl runs list --state postgres://backup@db/backups --limit 5 -o json
  backupctl runs list --plan plan.toml -o id        # run ids only")]
    List {
        #[command(flatten)]
        #[allow(missing_docs)]
        at: StateArgs,
        /// At most this many runs.
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// One run: every target with its operations and its whole history.
    #[command(after_help = "Examples:
  backupctl runs show 01JH3Q7Z8X --plan plan.toml
  backupctl runs show nightly-2030-01-31 --state postgres://backup@db/backups -o json
  backupctl runs show 01JH3Q7Z8X --plan plan.toml -o id   # its operation references")]
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
    #[arg(long = "vendor", value_parser = VendorParser, value_name = "VENDOR")]
    pub vendors: Vec<Vendor>,
    /// Make this vendor's backup fail, to show the failure path (repeatable).
    #[arg(long = "fail", value_parser = VendorParser, value_name = "VENDOR")]
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
    let vendor = name
        .trim()
        .parse()
        .map_err(|e: backup_all::UnknownVendor| e.to_string())?;
    Ok((vendor, port))
}

/// `emulate`.
#[derive(Debug, Args)]
pub struct EmulateArgs {
    /// Only these vendors (repeatable; every vendor when absent).
    #[arg(long = "vendor", value_parser = VendorParser, value_name = "VENDOR")]
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
    #[arg(long, value_parser = positive_duration, value_name = "DURATION", default_value = "3s")]
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

/// The width help texts are laid out for (clap wraps longer lines where it likes).
const HELP_WIDTH: usize = 78;

/// The command line: the derived [`Cli`], each vendor's `trigger` subcommand given its
/// examples and credentials (from its own flags and the registry: nothing here is kept
/// per vendor).
pub fn command() -> clap::Command {
    Cli::command().mut_subcommand("trigger", |trigger| {
        let vendors: Vec<Vendor> = trigger
            .get_subcommands()
            .filter_map(|sub| sub.get_name().parse().ok())
            .collect();
        vendors.into_iter().fold(trigger, |trigger, vendor| {
            trigger.mut_subcommand(vendor.as_str(), |sub| {
                let help = vendor_help(vendor, &sub);
                sub.after_help(help)
            })
        })
    })
}

/// Parses the process's arguments (exiting with clap's message and code 2 on a usage
/// error, 0 for --help and --version).
pub fn parse() -> Cli {
    let matches = command().get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|error| error.exit())
}

/// `--flag VALUE` for each flag `sub` requires (the first of each required group),
/// with each flag's value name as the value.
fn required_flags(sub: &clap::Command) -> Vec<String> {
    let flag = |arg: &clap::Arg| {
        let long = arg.get_long()?;
        // `NAME|ID` would be a pipe in a shell: the first alternative stands for all.
        let value = arg
            .get_value_names()
            .and_then(|names| names.first())
            .map_or_else(|| arg.get_id().as_str().to_uppercase(), ToString::to_string);
        let value = value.split('|').next().unwrap_or_default().to_owned();
        Some(format!("--{long} {value}"))
    };
    let mut flags: Vec<String> = sub
        .get_arguments()
        .filter(|arg| arg.is_required_set())
        .filter_map(flag)
        .collect();
    for group in sub.get_groups().filter(|group| group.is_required_set()) {
        if let Some(arg) = group
            .get_args()
            .next()
            .and_then(|id| sub.get_arguments().find(|arg| arg.get_id() == id))
        {
            flags.extend(flag(arg));
        }
    }
    flags
}

/// A shell command laid out in lines of at most [`HELP_WIDTH`] columns, continued with
/// `\`.
fn shell_lines(words: &[String], comment: &str) -> String {
    let mut out = String::from("  #");
    out.push(' ');
    out.push_str(comment);
    out.push_str("\n  ");
    let mut column = 2;
    for (index, word) in words.iter().enumerate() {
        if index > 0 {
            if column + 1 + word.len() > HELP_WIDTH - 2 {
                out.push_str(" \\\n      ");
                column = 6;
            } else {
                out.push(' ');
                column += 1;
            }
        }
        out.push_str(word);
        column += word.len();
    }
    out
}

/// `text` wrapped at [`HELP_WIDTH`] columns, each line after the first indented by
/// `indent` spaces.
fn wrap(text: &str, first: usize, indent: usize) -> String {
    let mut out = String::new();
    let mut column = first;
    for word in text.split_whitespace() {
        if column > indent && column + 1 + word.len() > HELP_WIDTH {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            column = indent;
        } else if !out.is_empty() {
            out.push(' ');
            column += 1;
        }
        out.push_str(word);
        column += word.len();
    }
    out
}

/// The end of `backupctl trigger <vendor> --help`: examples built from the vendor's
/// required flags, then the environment variables it reads.
fn vendor_help(vendor: Vendor, sub: &clap::Command) -> String {
    let name = vendor.as_str();
    let base: Vec<String> = ["backupctl", "trigger", name]
        .into_iter()
        .map(str::to_owned)
        .chain(required_flags(sub))
        .collect();
    let with = |extra: &[&str]| -> Vec<String> {
        base.iter()
            .cloned()
            .chain(extra.iter().map(|word| (*word).to_owned()))
            .collect()
    };
    let mut id = with(&["-o", "id)"]);
    id[0] = "ref=$(backupctl".to_owned();
    let mut help = String::from("Examples:\n");
    help.push_str(&shell_lines(
        &with(&[]),
        "start the backup; print its reference (for status, wait and cancel)",
    ));
    help.push('\n');
    help.push_str(&shell_lines(
        &with(&["--wait", "--timeout", "2h"]),
        "follow it to the end: exit 0 once it succeeded, 3 after 2 hours",
    ));
    help.push('\n');
    help.push_str(&shell_lines(
        &id,
        "keep the reference only, wait for it later",
    ));
    help.push_str(
        "\n  backupctl wait \"$ref\"\n\nCredentials (never a flag; the first one found wins):\n",
    );
    let environment = vendor.environment();
    let width = environment
        .iter()
        .map(|var| var.name.len())
        .max()
        .unwrap_or(0)
        .min(28);
    for var in environment {
        let name = format!("  {:width$}  ", var.name);
        help.push_str(&name);
        help.push_str(&wrap(var.meaning, name.len(), width + 4));
        help.push('\n');
    }
    help.truncate(help.trim_end().len());
    help
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
