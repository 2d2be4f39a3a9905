//! What `backupctl trigger <vendor>` is made of (feature `cli`): each vendor crate's
//! `TriggerParams` and `Config` as clap arguments, and help texts from the contract.

use std::fmt::Write as _;

use backup_core::contract::BackupClient;

/// The flags of `backupctl trigger <vendor>`: what to back up, then how to connect.
#[derive(Debug, Clone, clap::Args)]
pub struct VendorArgs<P: clap::Args, C: clap::Args> {
    /// What to back up (the vendor crate's `TriggerParams`).
    #[command(flatten)]
    pub params: P,
    /// How to connect (the vendor crate's `Config`).
    #[command(flatten, next_help_heading = "Connection")]
    pub config: C,
}

/// The one-line help of a vendor's subcommand: `Yandex Cloud Backup: execute ...`.
#[must_use]
pub fn about<C: BackupClient>() -> String {
    format!("{}: {}", C::SERVICE, C::TRIGGER_SUMMARY)
}

/// The environment variables a vendor reads, as a help section.
#[must_use]
pub fn environment_help<C: BackupClient>() -> String {
    let width = C::ENVIRONMENT
        .iter()
        .map(|var| var.name.len())
        .max()
        .unwrap_or(0);
    let mut text = String::from("Credentials (environment only, in this order):\n");
    for var in C::ENVIRONMENT {
        let _ = writeln!(text, "  {:width$}  {}", var.name, var.meaning);
    }
    text.truncate(text.trim_end().len());
    text
}
