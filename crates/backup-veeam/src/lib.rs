//! Start Veeam Backup for Microsoft Azure policies and follow their job sessions.
//!
//! - Start a policy in either API layout ([`ApiVersion`]): the document's
//!   `POST /api/v1/policies/{policyId}/start` (`200`) or current appliances'
//!   `POST /api/v8.1/policies/virtualMachines/{policyId}/start` (`202`). The answer is
//!   a list of job sessions; [`Client::trigger`] gives one [`Operation`] per session.
//! - A policy that is already running answers `409` with the running `sessionId`: the
//!   client attaches to that session instead of failing ([`PolicyStart::attached_to`],
//!   and the operation's message says so).
//! - Follow sessions (`GET /api/{v}/jobSessions/{id}`, the last message of
//!   `.../log` as [`Operation::message`]), stop a session ([`Client::cancel`]) or a
//!   policy ([`Client::stop_policy`]).
//! - Authenticate with the OAuth password grant, refreshed with the refresh grant and
//!   falling back to the password grant ([`Credentials::password`]), or with a static
//!   access token ([`Credentials::access_token`]); [`Client::logout`] ends the logon
//!   session. Self-signed appliances: [`ClientBuilder::root_certificate_pem`].
//! - Errors are RFC 7807 problem bodies, read into [`backup_core::Error`] with the
//!   `traceId` as request id.
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
//! use backup_core::{OperationStatus, WaitOptions};
//! use backup_veeam::StartPolicyRequest;
//! use backup_veeam::emulator::{DEMO_POLICY_ID, Emulator};
//!
//! let emulator = Emulator::start().await?;
//! // With a real appliance: `Client::from_env()?` (VEEAM_URL, VEEAM_USERNAME, ...).
//! let client = emulator.client_builder().build()?;
//!
//! let operations = client.trigger(&StartPolicyRequest::new(DEMO_POLICY_ID)).await?;
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
mod error;
mod model;
pub mod operation;
mod version;

#[cfg(feature = "emulator")]
#[cfg_attr(docsrs, doc(cfg(feature = "emulator")))]
pub mod emulator;

pub use auth::{Credentials, PasswordGrant};
pub use backup_core::{Error, Operation, OperationRef, OperationStatus, Result, WaitOptions};
pub use client::{
    Client, ClientBuilder, ENV_ACCESS_TOKEN, ENV_API_VERSION, ENV_PASSWORD, ENV_URL, ENV_USERNAME,
    PolicyStart,
};
pub use error::VeeamErrors;
pub use model::{
    BackupJobInfo, JobSession, LogItem, ProblemDetails, SessionLog, SessionStatus, SessionType,
    StartPolicyRequest,
};
pub use version::ApiVersion;

/// The vendor name in errors and operation references.
pub const VENDOR: &str = "veeam";
