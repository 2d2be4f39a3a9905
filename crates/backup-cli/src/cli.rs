//! The command line, as clap parses it. This is the contract scripts depend on.

use std::path::PathBuf;
use std::time::Duration;

use backup_all::core::OperationRef;
use backup_all::{Vendor, parse_duration};
use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::Shell;

use crate::exit::EXIT_CODES_HELP;

/// Start on-demand backups on Azure Recovery Services, Yandex Cloud Backup, Huawei
/// CSBS, Commvault and Veeam Backup for Microsoft Azure, and follow them to the end.
///
/// Credentials come from each vendor's environment variables only (see
/// `backupctl trigger <vendor> --help`), never from flags. Try `backupctl demo`: it
/// needs no account and no network.
#[derive(Debug, Parser)]
#[command(name = "backupctl", version, after_help = EXIT_CODES_HELP)]
pub struct Cli {
    /// More logs on stderr (-v info, -vv debug, -vvv trace); RUST_LOG wins when set.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// Output format on stdout: text for people, json (one object per line) for machines.
    #[arg(long, value_enum, default_value_t = Output::Text, global = true)]
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
    #[command(subcommand)]
    Trigger(TriggerCommand),
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

/// Flags every trigger takes.
#[derive(Debug, Clone, Args)]
pub struct TriggerCommon {
    /// Wait for the backup to end (otherwise exit once it is accepted).
    #[arg(long)]
    pub wait: bool,
    /// With --wait: give up waiting after this long (exit 3; the backup goes on).
    #[arg(long, value_parser = duration, value_name = "DURATION", requires = "wait")]
    pub timeout: Option<Duration>,
    /// With --wait: how often to poll (the vendor's hints may ask for longer).
    #[arg(long, value_parser = duration, value_name = "DURATION", default_value = "5s")]
    pub poll_interval: Duration,
    /// The API endpoint (for sovereign clouds, proxies, appliances, emulators).
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
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

/// One subcommand per vendor, with the vendor's own flags.
#[derive(Debug, Subcommand)]
pub enum TriggerCommand {
    /// Azure Recovery Services: Backups_Trigger of one protected item.
    #[command(after_help = crate::vendors::AZURE_HELP)]
    Azure(AzureTrigger),
    /// Yandex Cloud Backup: execute a policy on an instance.
    #[command(after_help = crate::vendors::YANDEX_HELP)]
    Yandex(YandexTrigger),
    /// Huawei Cloud CSBS: create a checkpoint of a backup policy.
    #[command(name = "huawei-csbs", after_help = crate::vendors::HUAWEI_HELP)]
    HuaweiCsbs(HuaweiTrigger),
    /// Commvault / Metallic: run a backup job of a subclient.
    #[command(after_help = crate::vendors::COMMVAULT_HELP)]
    Commvault(CommvaultTrigger),
    /// Veeam Backup for Microsoft Azure: start a policy.
    #[command(after_help = crate::vendors::VEEAM_HELP)]
    Veeam(VeeamTrigger),
}

/// `backupctl trigger azure`.
#[derive(Debug, Args)]
pub struct AzureTrigger {
    /// Subscription id.
    #[arg(long)]
    pub subscription: String,
    /// Resource group of the vault.
    #[arg(long)]
    pub resource_group: String,
    /// Recovery Services vault.
    #[arg(long)]
    pub vault: String,
    /// Backup fabric.
    #[arg(long, default_value = "Azure")]
    pub fabric: String,
    /// Protection container (IaasVMContainer;iaasvmcontainerv2;rg;vm).
    #[arg(long)]
    pub container: String,
    /// Protected item (VM;iaasvmcontainerv2;rg;vm).
    #[arg(long)]
    pub item: String,
    /// The kind of item.
    #[arg(long, value_enum, default_value_t = AzureObjectType::IaasVm)]
    pub object_type: AzureObjectType,
    /// backupType (azure-workload): Full, Differential, Log, CopyOnlyFull, Incremental,
    /// SnapshotFull, SnapshotCopyOnlyFull.
    #[arg(long)]
    pub backup_type: Option<String>,
    /// recoveryPointExpiryTimeInUTC, RFC 3339 (2030-01-31T00:00:00Z).
    #[arg(long, value_name = "RFC3339")]
    pub expiry: Option<String>,
    /// enableCompression (azure-workload).
    #[arg(long)]
    pub enable_compression: bool,
    /// The api-version: 2024-04-01 (default) or 2025-08-01.
    #[arg(long)]
    pub api_version: Option<String>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub common: TriggerCommon,
}

/// `--object-type` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AzureObjectType {
    /// IaasVMBackupRequest.
    IaasVm,
    /// AzureFileShareBackupRequest.
    AzureFileShare,
    /// AzureWorkloadBackupRequest.
    AzureWorkload,
}

/// `backupctl trigger yandex`.
#[derive(Debug, Args)]
pub struct YandexTrigger {
    /// Backup policy id (applied to the instance).
    #[arg(long)]
    pub policy: String,
    /// Compute instance id.
    #[arg(long)]
    pub instance: String,
    /// Idempotency-Key (a UUID) to repeat a trigger safely; a fresh one otherwise.
    #[arg(long)]
    pub idempotency_key: Option<String>,
    /// The Operation API endpoint.
    #[arg(long, value_name = "URL")]
    pub operation_endpoint: Option<String>,
    /// The IAM endpoint.
    #[arg(long, value_name = "URL")]
    pub iam_endpoint: Option<String>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub common: TriggerCommon,
}

/// `backupctl trigger huawei-csbs`.
#[derive(Debug, Args)]
pub struct HuaweiTrigger {
    /// Project id (else HUAWEICLOUD_SDK_PROJECT_ID).
    #[arg(long)]
    pub project_id: Option<String>,
    /// Backup policy (plan) id.
    #[arg(long)]
    pub plan: String,
    /// A resource of the policy to back up (repeatable; all of them when absent).
    #[arg(long = "resource", value_name = "ID")]
    pub resources: Vec<String>,
    /// Send auto_trigger = true.
    #[arg(long)]
    pub auto_trigger: bool,
    /// The region (builds https://csbs.{region}.myhuaweicloud.com).
    #[arg(long)]
    pub region: Option<String>,
    /// The IAM endpoint.
    #[arg(long, value_name = "URL")]
    pub iam_endpoint: Option<String>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub common: TriggerCommon,
}

/// `backupctl trigger commvault`.
#[derive(Debug, Args)]
pub struct CommvaultTrigger {
    /// clientName.
    #[arg(long)]
    pub client: String,
    /// instanceName.
    #[arg(long)]
    pub instance: String,
    /// backupsetName.
    #[arg(long)]
    pub backupset: String,
    /// subclientName.
    #[arg(long)]
    pub subclient: String,
    /// appName (File System, Cloud Apps ...).
    #[arg(long)]
    pub app_name: String,
    /// storagePolicyName (plan).
    #[arg(long)]
    pub storage_policy: Option<String>,
    /// backupLevel.
    #[arg(long, value_enum)]
    pub level: Option<CommvaultLevel>,
    /// An ad-hoc backup of the items listed in this directive file (on the client).
    #[arg(long, value_name = "PATH")]
    pub directive_file: Option<PathBuf>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub tls: TlsArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub common: TriggerCommon,
}

/// `--level` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CommvaultLevel {
    /// FULL.
    Full,
    /// INCREMENTAL.
    Incremental,
    /// DIFFERENTIAL.
    Differential,
    /// SYNTHETIC_FULL.
    SyntheticFull,
}

/// `backupctl trigger veeam`.
#[derive(Debug, Args)]
pub struct VeeamTrigger {
    /// Policy id.
    #[arg(long)]
    pub policy: String,
    /// The REST API version: v1, v6, v7, v8 or v8.1 (default; else VEEAM_API_VERSION).
    #[arg(long, value_parser = ["v1", "v6", "v7", "v8", "v8.1"])]
    pub api_version: Option<String>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub tls: TlsArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub common: TriggerCommon,
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
    /// Only these vendors (repeatable; all five when absent).
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
