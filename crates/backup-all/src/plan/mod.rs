//! [`Plan`]: many named targets on any vendors, read from a TOML file.
//!
//! ```toml
//! concurrency = 4          # targets in flight at once (default 4)
//! timeout = "2h"           # overall deadline (default: none)
//! fail_fast = false        # stop at the first failure (default: run all)
//! poll_interval = "10s"    # how often to poll (default 10s)
//! connect_timeout = "10s"  # time to open a connection (default 10s)
//! request_timeout = "60s"  # time for one request, token requests included (default 60s)
//! max_concurrent_requests = 64  # opt-in: requests in flight per client (default: no limit)
//!
//! [[target]]
//! name = "web-vm"
//! vendor = "yandex"
//! policy = "cdgf1oubg9bsn2l5h7sq"
//! instance = "epd2a1jtr2nhfg0hnd3f"
//!
//! [[target]]
//! name = "file-server"
//! vendor = "commvault"
//! endpoint = "https://commserve.example.com/commandcenter/api/"
//! ca_cert = "/etc/ssl/commserve-ca.pem"
//! client = "fs01"
//! instance = "DefaultInstanceName"
//! backupset = "defaultBackupSet"
//! subclient = "default"
//! app_name = "File System"
//! ```
//!
//! A target holds its vendor, the vendor's trigger parameters (the vendor crate's
//! `TriggerParams`, named as the `backupctl trigger` flags), its connection settings (the
//! vendor crate's `Config`) and an optional `env` table of environment names.
//! Credentials are never written in a plan: each vendor client reads its own
//! environment names. A plan is checked whole before anything runs; each error names
//! the file, the target and the field.

mod execute;
mod parse;
mod preflight;

pub use execute::{Followed, Observer, PreparedPlan, follow, run_target, run_target_within};
pub use preflight::{key_of_field, unset_env_names};

use std::fmt;
use std::path::Path;
use std::time::Duration;

use crate::{AnyConfig, AnyParams, EnvNames, TransportSettings, Vendor};

/// A plan read and checked: every target is valid and its vendor is in this build.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Where the plan was read from (for messages).
    pub source: String,
    /// How to run it.
    pub settings: PlanSettings,
    /// What to back up, in file order.
    pub targets: Vec<PlanTarget>,
}

/// How a plan runs; the command line may override each setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanSettings {
    /// Targets in flight at once (at least 1).
    pub concurrency: usize,
    /// The overall deadline, from the start of the run.
    pub timeout: Option<Duration>,
    /// Stop starting targets (and stop waiting) after the first failure.
    pub fail_fast: bool,
    /// How often operations are polled.
    pub poll_interval: Duration,
    /// Connect and request timeouts of every target's client (`connect_timeout`,
    /// `request_timeout`), and its opt-in limit on requests in flight
    /// (`max_concurrent_requests`).
    pub transport: TransportSettings,
}

impl Default for PlanSettings {
    fn default() -> Self {
        Self {
            concurrency: 4,
            timeout: None,
            fail_fast: false,
            poll_interval: Duration::from_secs(10),
            transport: TransportSettings::default(),
        }
    }
}

/// One named thing to back up.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanTarget {
    /// Its name, unique in the plan.
    pub name: String,
    /// What to trigger.
    pub params: AnyParams,
    /// Endpoints, API version and TLS settings of its client.
    pub config: AnyConfig,
    /// Where its vendor's environment names are read from.
    pub env: EnvNames,
}

impl PlanTarget {
    /// The target's vendor.
    #[must_use]
    pub fn vendor(&self) -> Vendor {
        self.params.vendor()
    }
}

/// A plan that cannot run, with where the fault is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct PlanError {
    /// The plan file.
    pub file: String,
    /// The target at fault, when the fault is in one.
    pub target: Option<String>,
    /// The field at fault, when known.
    pub field: Option<String>,
    /// The line of the file at fault, when the file is not valid TOML.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl PlanError {
    pub(crate) fn new(file: &str, message: impl Into<String>) -> Self {
        Self {
            file: file.to_owned(),
            target: None,
            field: None,
            line: None,
            message: message.into(),
        }
    }

    pub(crate) fn target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    pub(crate) fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ": line {line}")?;
        }
        if let Some(target) = &self.target {
            write!(f, ": target {target:?}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": field `{field}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Every fault found in a plan (it is checked whole, not up to the first fault).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct PlanErrors(pub Vec<PlanError>);

impl fmt::Display for PlanErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for error in &self.0 {
            if !first {
                f.write_str("\n")?;
            }
            first = false;
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl Plan {
    /// Reads and checks the plan in `path`.
    ///
    /// # Errors
    /// Every fault found, each naming the file, target and field.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Plan, PlanErrors> {
        let path = path.as_ref();
        let source = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| PlanErrors(vec![PlanError::new(&source, format!("cannot read: {e}"))]))?;
        Self::parse(&source, &text)
    }

    /// Parses and checks plan `text`; `source` names it in messages.
    ///
    /// # Errors
    /// Every fault found, each naming `source`, the target and the field.
    pub fn parse(source: &str, text: &str) -> Result<Plan, PlanErrors> {
        parse::parse(source, text)
    }
}

#[cfg(test)]
mod tests;
