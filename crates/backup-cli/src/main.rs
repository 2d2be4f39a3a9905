//! `backupctl`: start on-demand backups on the backup services of `backup_all::Vendor`
//! and follow them.
//!
//! See `backupctl --help`; the exit codes are in `exit::exit_codes!`.

mod cli;
mod commands;
mod connect;
mod exit;
mod output;
mod progress;
mod signals;

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::process::ExitCode;

use tracing_subscriber::EnvFilter;

use crate::exit::Exit;
use crate::output::Printer;

fn init_tracing(verbose: u8) {
    // -v and -vv raise our own crates' level; -vvv shows every crate at trace.
    let (ours, others) = match verbose {
        0 => ("warn", "warn"),
        1 => ("info", "warn"),
        2 => ("debug", "info"),
        _ => ("trace", "trace"),
    };
    let mut default = format!("{others},backupctl={ours},backup_all={ours},backup_core={ours}");
    for vendor in backup_all::Vendor::ALL {
        // Each vendor's crate is backup-<vendor>.
        let _ = write!(
            default,
            ",backup_{}={ours}",
            vendor.as_str().replace('-', "_")
        );
    }
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(verbose >= 2)
        .init();
}

fn main() -> ExitCode {
    let cli = cli::parse();
    init_tracing(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            Printer::stderr(&format!("error: cannot start the async runtime: {e}"));
            return Exit::Api.into();
        }
    };
    let exit = runtime.block_on(commands::run(cli));
    // Requests cut off by a signal or a deadline may leave blocking work (a name
    // lookup) behind: do not wait for it.
    runtime.shutdown_background();
    exit.into()
}
