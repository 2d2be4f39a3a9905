//! Start AWS Backup on-demand backup jobs (`StartBackupJob`) and follow them to the end.
//!
//! [`Client`] implements backup-core's [`BackupClient`] (import it with
//! `use backup_aws::prelude::*;`):
//!
//! - [`BackupClient::trigger`]: `PUT /backup-jobs` (`StartBackupJob`) with an
//!   `IdempotencyToken` (a UUID v4, or the caller's) sent unchanged on every retry, so
//!   a lost answer is retried safely and never starts a second job;
//! - [`BackupClient::status`] / [`BackupClient::wait`]: `GET /backup-jobs/{id}`
//!   (`DescribeBackupJob`): every state, `PercentDone`, `BackupSizeInBytes`,
//!   `StatusMessage`, the dates, the recovery point, the child jobs of a parent job;
//! - [`BackupClient::cancel`]: `POST /backup-jobs/{id}` (`StopBackupJob`);
//! - [`auth`]: credentials from `aws-config`'s default chain (environment, profiles,
//!   SSO, web identity, container and instance roles), cached and refreshed, and every
//!   request signed with our own SigV4 signer ([`auth::sigv4`]) on backup-core's
//!   transport;
//! - [`ApiErrors`]: `x-amzn-ErrorType` / `__type` answers with `x-amzn-RequestId`,
//!   throttling retried as AWS's clients retry it;
//! - [`TriggerParams`] and [`Config`]: what plans and `backupctl` give (serde, and clap
//!   with the `cli` feature);
//! - `emulator` (feature): a local fake of the three calls (and `ListBackupJobs` and
//!   instance metadata) that checks SigV4 signatures with its own verifier.
//!
//! # Example (on the emulator)
//!
//! ```
//! # #[cfg(feature = "emulator")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use backup_aws::emulator::{DEMO_RESOURCE_ARN, DEMO_ROLE_ARN, DEMO_VAULT, Emulator};
//! use backup_aws::prelude::*;
//! use backup_aws::{OperationStatus, TriggerRequest, WaitOptions};
//!
//! let emulator = Emulator::start().await?;
//! // Against AWS: `Client::from_env()?` (AWS_REGION, and keys, a profile or a role).
//! let client = emulator.client_builder().build()?;
//!
//! let request = TriggerRequest::new(DEMO_VAULT, DEMO_RESOURCE_ARN, DEMO_ROLE_ARN);
//! for operation in client.trigger(&request).await? {
//!     println!("started {}", operation.reference); // aws:<region>/<backup job id>
//!     let done = client
//!         .wait(operation, WaitOptions::every(Duration::from_millis(10)))
//!         .await?;
//!     assert_eq!(done.status, OperationStatus::Succeeded);
//!     assert_eq!(done.produced.len(), 1); // the recovery point
//! }
//! assert_eq!(emulator.accepted_backups(), 1);
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "emulator"))]
//! # fn main() {}
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod auth;
mod client;
mod config;
pub mod endpoint;
mod error;
pub mod model;
pub mod operation;
mod params;

#[cfg(feature = "emulator")]
#[cfg_attr(docsrs, doc(cfg(feature = "emulator")))]
pub mod emulator;

pub use auth::{
    Credential, ENV_ACCESS_KEY_ID, ENV_DEFAULT_REGION, ENV_EC2_METADATA_SERVICE_ENDPOINT,
    ENV_ENDPOINT_URL, ENV_ENDPOINT_URL_BACKUP, ENV_MAX_ATTEMPTS, ENV_PROFILE, ENV_REGION,
    ENV_SECRET_ACCESS_KEY, ENV_SESSION_TOKEN, ENV_USE_DUALSTACK_ENDPOINT, ENV_USE_FIPS_ENDPOINT,
    ENVIRONMENT,
};
pub use backup_core::prelude;
pub use backup_core::{
    BackupClient, BackupClientBuilder, Error, Operation, OperationRef, OperationStatus, Poller,
    Result, RetryPolicy, WaitOptions,
};
pub use client::{
    Client, ClientBuilder, DEFAULT_MAX_ATTEMPTS, LIST_PAGE_SIZE, MAX_JOB_ID_LEN,
    MAX_LIFECYCLE_DAYS, MAX_WINDOW_MINUTES, MIN_COLD_STORAGE_DAYS, MIN_START_WINDOW_MINUTES,
    TriggerRequest, standard_retry,
};
pub use config::Config;
pub use error::{
    ApiErrors, CREDENTIAL_CODES, EXPIRED_TOKEN_CODES, THROTTLING_CODES, TRANSIENT_CODES, code_kind,
    is_expired_token,
};
pub use params::TriggerParams;

/// The vendor name in errors and operation references.
pub const VENDOR: &str = "aws";
