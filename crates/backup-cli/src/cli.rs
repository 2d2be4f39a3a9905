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
    /// Back up on built-in emulators of every vendor: no account, no network, no setup.
    #[command(after_help = EXIT_CODES_HELP)]
    Demo(DemoArgs),
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

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
