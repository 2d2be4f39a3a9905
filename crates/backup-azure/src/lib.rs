//! Trigger Azure Recovery Services backups (`Backups - Trigger`) and follow them to the
//! end of their backup job.
//!
//! `POST .../protectedItems/{item}/backup` answers `202 Accepted` with an
//! `Azure-AsyncOperation` URL, a `Location` URL and a `Retry-After` hint, and nothing
//! else. This crate returns that answer as an [`Operation`], follows the async
//! operation until it names the backup job (`properties.jobId`), and then follows the
//! job (`GET .../backupJobs/{jobId}`) to Completed, CompletedWithWarnings, Failed or
//! Cancelled, which the official SDKs do not offer.
//!
//! [`Client`] implements backup-core's [`BackupClient`] (import it with
//! `use backup_azure::prelude::*;`):
//!
//! - [`Client`] / [`ClientBuilder`]: the public cloud, Azure China or US Government
//!   ([`Cloud`]) or any endpoint (`http` allowed, for tests and proxies);
//!   api-version 2024-04-01 (the document's), 2025-08-01 or 2026-10-01 (the official
//!   Python SDK's default) ([`ApiVersion`]).
//! - Auth: any `azure_identity` `TokenCredential`, asked for the cloud's ARM scope, a
//!   static bearer token, or the environment ([`BackupClientBuilder::from_env`],
//!   [`ENVIRONMENT`]); tokens are cached and refreshed before they expire (a 401
//!   refreshes and replays once).
//! - [`BackupClient::trigger`] starts the backup, [`BackupClient::status`] /
//!   [`BackupClient::wait`] follow it; [`Tracking`]: to the end of the job (default)
//!   or only until accepted.
//! - [`BackupClient::cancel`] cancels the backup job
//!   (`POST .../backupJobs/{jobId}/cancel`).
//! - What the backup made: the job's own `duration` (in each of the three forms
//!   Microsoft's documents write it), its size (`Backup Size`), its error details and
//!   recommendations as warnings, and, after a successful end,
//!   [`BackupClient::produced`] names the recovery point it made (the item's recovery
//!   points taken while the job ran).
//! - A lost trigger ([`BackupClient::recover_trigger`]): the trigger carries an
//!   `x-ms-client-request-id` ([`BackupClient::idempotency_key`]), which Azure keeps as
//!   the job's `activityId`; the vault's job list (`Jobs - List`) finds the job, running
//!   or ended, and the trigger is never sent a second time while one exists.
//! - Safety: a status URL that points at another host than the endpoint is never
//!   followed, so a hostile answer cannot make the client send its token elsewhere.
//! - Errors: ARM's `CloudError` as [`Error::Api`] ([`ApiErrors`]), with
//!   `UserErrorBackupOperationInProgress` and kin as [`ApiErrorKind::Conflict`].
//! - [`TriggerParams`] and [`Config`]: what plans and `backupctl` give (serde, and clap
//!   with the `cli` feature).
//! - Feature `emulator`: a local fake of the service, for your own tests too.
//!
//! # Example
//!
//! Triggering the document's example VM backup on the emulator and waiting for the
//! job's end:
//!
//! ```
//! # #[cfg(feature = "emulator")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//!
//! use backup_azure::emulator::Emulator;
//! use backup_azure::prelude::*;
//! use backup_azure::{OperationStatus, WaitOptions};
//!
//! let emulator = Emulator::start().await?;
//! let client = emulator.client_builder().build()?;
//!
//! for operation in client.trigger(&emulator.demo_request()).await? {
//!     println!("started: {}", operation.reference);
//!     let done = client
//!         .wait(operation, WaitOptions::every(Duration::from_millis(10)))
//!         .await?;
//!     assert_eq!(done.status, OperationStatus::Succeeded);
//!     assert!(done.job_id.is_some());
//! }
//! assert_eq!(emulator.accepted_backups(), 1);
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "emulator"))]
//! # fn main() {}
//! ```
//!
//! Against Azure, build the client from the environment and name the item:
//!
//! ```no_run
//! # async fn run() -> backup_core::Result<()> {
//! use backup_azure::prelude::*;
//! use backup_azure::{Client, ProtectedItem, TriggerRequest, WaitOptions};
//!
//! let client = Client::from_env()?;
//! let item = ProtectedItem::azure_vm(
//!     "00000000-0000-0000-0000-000000000000", "linuxRsVaultRG", "linuxRsVault",
//!     "testrg", "v1win2012r",
//! );
//! for operation in client.trigger(&TriggerRequest::azure_vm(item)).await? {
//!     let done = client.wait(operation, WaitOptions::default()).await?;
//!     println!("{} ended {}", done.job_id.unwrap_or_default(), done.status);
//! }
//! # Ok(())
//! # }
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod auth;
mod client;
mod cloud;
mod config;
mod error;
pub mod model;
pub mod operation;
mod params;

#[cfg(feature = "emulator")]
#[cfg_attr(docsrs, doc(cfg(feature = "emulator")))]
pub mod emulator;

pub use auth::{
    ArmTokenProvider, Credential, ENV_ACCESS_TOKEN, ENV_CLIENT_ID, ENV_CLIENT_SECRET,
    ENV_FEDERATED_TOKEN_FILE, ENV_TENANT_ID, ENVIRONMENT,
};
pub use backup_core::prelude;
pub use backup_core::{
    ApiErrorKind, BackupClient, BackupClientBuilder, Error, Operation, OperationRef,
    OperationStatus, Poller, Result, RetryPolicy, WaitOptions,
};
pub use client::{Client, ClientBuilder};
pub use cloud::{ApiVersion, Cloud};
pub use config::Config;
pub use error::{ApiErrors, IN_PROGRESS_CODES, REQUEST_ID_HEADERS, api_error, is_in_progress_code};
pub use model::{
    AzureFileShareBackupRequest, AzureWorkloadBackupRequest, BackupRequest, BackupRequestResource,
    BackupType, IaasVmBackupRequest, ProtectedItem, TriggerRequest,
};
pub use operation::{Tracking, TrackingRef};
pub use params::{DEFAULT_FABRIC, ObjectType, TriggerParams};

/// The vendor name in errors and operation references.
pub const VENDOR: &str = "azure";
