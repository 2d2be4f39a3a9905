//! Execute Yandex Cloud Backup policies (`Policy.Execute`) and follow the operation.
//!
//! [`Client`] implements backup-core's [`BackupClient`] (import it with
//! `use backup_yandex::prelude::*;`):
//!
//! - [`BackupClient::trigger`]: `POST {backup}/backup/v1/policies/{policyId}:execute` with
//!   `{"computeInstanceId"}` and an `Idempotency-Key` (UUID v4, or the caller's), so a
//!   lost answer is retried safely and never starts a second backup;
//! - [`BackupClient::status`] / [`BackupClient::wait`]: `GET {operation}/operations/{id}` until
//!   `done`, honouring `x-operation-poll-interval` and tolerating up to three NotFound
//!   answers for a fresh operation (replica lag), as Yandex's SDKs do;
//! - [`BackupClient::cancel`]: `GET {operation}/operations/{id}:cancel`;
//! - [`BackupClient::produced`]: after a successful end, the backup the run made, from
//!   `Backup.List` by instance and policy ([`operation::find_backup`]), and its size;
//! - [`BackupClient::recover_trigger`]: a trigger whose answer was lost is sent again
//!   with its recorded `Idempotency-Key`, which answers the operation the first one
//!   started (Yandex's documented idempotency), never a second backup;
//! - [`auth`]: a static IAM token, OAuth token exchange, service-account authorized key
//!   (PS256 JWT) and the VM metadata service, all cached and refreshed hourly;
//! - [`ApiErrors`]: `google.rpc.Status` bodies mapped onto backup-core's [`Error`];
//! - [`TriggerParams`] and [`Config`]: what plans and `backupctl` give (serde, and clap
//!   with the `cli` feature);
//! - `emulator` (feature): a local fake of the Backup, Operation and IAM APIs.
//!
//! # Example (on the emulator)
//!
//! ```
//! # #[cfg(feature = "emulator")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use backup_yandex::emulator::{Emulator, DEMO_INSTANCE_ID, DEMO_POLICY_ID};
//! use backup_yandex::prelude::*;
//! use backup_yandex::{OperationStatus, TriggerRequest, WaitOptions};
//!
//! let emulator = Emulator::start().await?;
//! // Against Yandex Cloud: `Client::from_env()?` (YC_IAM_TOKEN, YC_TOKEN,
//! // YC_SERVICE_ACCOUNT_KEY_FILE or the VM's metadata service).
//! let client = emulator.client_builder().build()?;
//!
//! let request = TriggerRequest::new(DEMO_POLICY_ID, DEMO_INSTANCE_ID);
//! for operation in client.trigger(&request).await? {
//!     println!("started {}", operation.reference); // yandex:<operation id>
//!     let done = client
//!         .wait(operation, WaitOptions::every(Duration::from_millis(10)))
//!         .await?;
//!     assert_eq!(done.status, OperationStatus::Succeeded);
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
mod error;
pub mod model;
pub mod operation;
mod params;

#[cfg(feature = "emulator")]
#[cfg_attr(docsrs, doc(cfg(feature = "emulator")))]
pub mod emulator;

pub use auth::{
    Credential, ENV_IAM_TOKEN, ENV_METADATA_ADDR, ENV_OAUTH_TOKEN, ENV_SERVICE_ACCOUNT_KEY_FILE,
    ENVIRONMENT, ServiceAccountKey,
};
pub use backup_core::prelude;
pub use backup_core::{
    BackupClient, BackupClientBuilder, Error, Operation, OperationRef, OperationStatus, Poller,
    Result, RetryPolicy, WaitOptions,
};
pub use client::{
    BACKUP_PAGE_SIZE, Client, ClientBuilder, DEFAULT_BACKUP_ENDPOINT, DEFAULT_IAM_ENDPOINT,
    DEFAULT_OPERATION_ENDPOINT, IDEMPOTENCY_KEY_HEADER, MAX_ID_LEN, MAX_OPERATION_ID_LEN,
    TriggerRequest,
};
pub use config::Config;
pub use error::{ApiErrors, grpc_kind};
pub use params::TriggerParams;

/// The vendor name in errors and operation references.
pub const VENDOR: &str = "yandex";
