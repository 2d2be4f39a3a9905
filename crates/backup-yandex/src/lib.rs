//! Execute Yandex Cloud Backup policies (`Policy.Execute`) and follow the operation.
//!
//! - [`Client::trigger`]: `POST {backup}/backup/v1/policies/{policyId}:execute` with
//!   `{"computeInstanceId"}` and an `Idempotency-Key` (UUID v4, or the caller's), so a
//!   lost answer is retried safely and never starts a second backup;
//! - [`Client::status`] / [`Client::wait`]: `GET {operation}/operations/{id}` until
//!   `done`, honouring `x-operation-poll-interval` and tolerating up to three NotFound
//!   answers for a fresh operation (replica lag), as Yandex's SDKs do;
//! - [`Client::cancel`]: `GET {operation}/operations/{id}:cancel`;
//! - [`auth`]: a static IAM token, OAuth token exchange, service-account authorized key
//!   (PS256 JWT) and the VM metadata service, all cached and refreshed hourly;
//! - [`error`]: `google.rpc.Status` bodies mapped onto backup-core's [`Error`];
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
//! use backup_yandex::{OperationStatus, TriggerRequest, WaitOptions};
//!
//! let emulator = Emulator::start().await?;
//! // Against Yandex Cloud: `Client::from_env()?` (YC_IAM_TOKEN, YC_TOKEN,
//! // YC_SERVICE_ACCOUNT_KEY_FILE or the VM's metadata service).
//! let client = emulator.client_builder().build()?;
//!
//! let operation = client
//!     .trigger(&TriggerRequest::new(DEMO_POLICY_ID, DEMO_INSTANCE_ID))
//!     .await?;
//! println!("started {}", operation.reference); // yandex:<operation id>
//!
//! let done = client
//!     .wait(operation, WaitOptions::every(Duration::from_millis(10)))
//!     .await?;
//! assert_eq!(done.status, OperationStatus::Succeeded);
//! assert_eq!(emulator.accepted_backups(), 1);
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "emulator"))]
//! # fn main() {}
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod auth;
pub mod client;
pub mod error;
pub mod model;
pub mod operation;

#[cfg(feature = "emulator")]
#[cfg_attr(docsrs, doc(cfg(feature = "emulator")))]
pub mod emulator;

pub use auth::{Credential, ServiceAccountKey};
pub use backup_core::{
    Error, Operation, OperationRef, OperationStatus, Result, RetryPolicy, WaitOptions,
};
pub use client::{Client, ClientBuilder, TriggerRequest};

/// The vendor name in errors and operation references.
pub const VENDOR: &str = "yandex";
