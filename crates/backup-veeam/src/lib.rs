//! Start Veeam Backup for Microsoft Azure policies and follow their job sessions.
//!
//! [`Client`] implements backup-core's [`BackupClient`] (import it with
//! `use backup_veeam::prelude::*;`):
//!
//! - Start a policy in either API layout ([`ApiVersion`]): the document's
//!   `POST /api/v1/policies/{policyId}/start` (`200`) or current appliances'
//!   `POST /api/v8.1/policies/virtualMachines/{policyId}/start` (`202`). The answer is
//!   a list of job sessions; [`BackupClient::trigger`] gives one [`Operation`] per
//!   session ([`Client::start_policy`] gives the sessions as sent).
//! - A policy that is already running answers `409` with the running `sessionId`: the
//!   client attaches to that session instead of failing ([`PolicyStart::attached_to`],
//!   and the operation's message says so).
//! - Follow sessions ([`BackupClient::status`] / [`BackupClient::wait`]:
//!   `GET /api/{v}/jobSessions/{id}`, its `executionDuration` (milliseconds or a
//!   .NET `TimeSpan`) as [`Operation::duration`], the last message of `.../log` as
//!   [`Operation::message`] and its last error as a warning), stop a session
//!   ([`BackupClient::cancel`]) or a policy ([`Client::stop_policy`]).
//! - What a session made ([`BackupClient::produced`], called by `wait` after a
//!   success): the session and its restore points as [`Operation::produced`], the
//!   protected instances as [`Operation::items`], the restore points' sizes as
//!   [`Operation::size_bytes`] (`.../jobSessions/{id}/protectedItems` and
//!   `.../restorePoints/virtualMachines?OnlyLatest=true`).
//! - A start whose answer was lost ([`BackupClient::recover_trigger`]): the policy's
//!   sessions since the start's recorded time are followed, and the policy is started
//!   again only when there is none.
//! - Authenticate with the OAuth password grant, refreshed with the refresh grant and
//!   falling back to the password grant ([`Credential::password`]), or with a static
//!   access token ([`Credential::access_token`]); [`Client::logout`] ends the logon
//!   session. Self-signed appliances: [`ClientBuilder::root_certificate_pem`] or
//!   [`Config::ca_cert`].
//! - [`ApiErrors`]: RFC 7807 problem bodies, read into [`backup_core::Error`] with the
//!   `traceId` as request id.
//! - [`TriggerParams`] and [`Config`]: what plans and `backupctl` give (serde, and clap
//!   with the `cli` feature); [`ENVIRONMENT`]: the variables read.
//!
//! # Example
//!
//! On the emulator (feature `emulator`), which runs each session through
//! `Pending -> Running -> Success`:
//!
//! ```
//! # #[cfg(feature = "emulator")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//!
//! use backup_veeam::emulator::{DEMO_POLICY_ID, Emulator};
//! use backup_veeam::prelude::*;
//! use backup_veeam::{OperationStatus, TriggerRequest, WaitOptions};
//!
//! let emulator = Emulator::start().await?;
//! // With a real appliance: `Client::from_env()?` (VEEAM_URL, VEEAM_USERNAME, ...).
//! let client = emulator.client_builder().build()?;
//!
//! let operations = client.trigger(&TriggerRequest::new(DEMO_POLICY_ID)).await?;
//! assert_eq!(operations.len(), 2); // a snapshot session and a backup session
//! for operation in operations {
//!     let reference = operation.reference.to_string(); // "veeam:v8.1/<session id>"
//!     let done = client
//!         .wait(operation, WaitOptions::every(Duration::from_millis(10)))
//!         .await?;
//!     assert_eq!(done.status, OperationStatus::Succeeded);
//!     println!("{reference}: {:?}", done.message);
//! }
//! assert_eq!(emulator.accepted_backups(), 1);
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "emulator"))]
//! # fn main() {}
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

mod auth;
mod client;
mod config;
mod error;
mod model;
pub mod operation;
mod params;
mod version;

#[cfg(feature = "emulator")]
#[cfg_attr(docsrs, doc(cfg(feature = "emulator")))]
pub mod emulator;

pub use auth::{Credential, PasswordGrant};
pub use backup_core::prelude;
pub use backup_core::{
    BackupClient, BackupClientBuilder, Error, Operation, OperationRef, OperationStatus, Poller,
    Result, RetryPolicy, WaitOptions,
};
pub use client::{
    Client, ClientBuilder, ENV_ACCESS_TOKEN, ENV_API_VERSION, ENV_PASSWORD, ENV_URL, ENV_USERNAME,
    ENVIRONMENT, PolicyStart, RECOVERY_CLOCK_SKEW,
};
pub use config::Config;
pub use error::ApiErrors;
pub use model::{
    AzureResource, BackupJobInfo, ExecutionDuration, JobSession, Link, Links, Listing, LogItem,
    PolicyType, ProblemDetails, ProtectedItem, ProtectedRun, Rates, RestorePoint, SessionLog,
    SessionStatus, SessionType, TriggerRequest,
};
pub use params::TriggerParams;
pub use version::ApiVersion;

/// The vendor name in errors and operation references.
pub const VENDOR: &str = "veeam";
