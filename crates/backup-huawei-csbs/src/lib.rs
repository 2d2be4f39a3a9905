//! Execute Huawei Cloud CSBS (Cloud Server Backup Service) backup policies and follow
//! the checkpoint they create to its end, on [`backup_core`].
//!
//! [`Client`] implements backup-core's [`BackupClient`] (import it with
//! `use backup_huawei_csbs::prelude::*;`):
//!
//! - [`BackupClient::trigger`]: `POST /v1/{project_id}/providers/{provider_id}/checkpoints`
//!   ("Executing a Backup Policy"), one [`Operation`] referenced as
//!   `huawei-csbs:{project_id}/{checkpoint_id}`;
//! - [`BackupClient::status`] / [`BackupClient::wait`]: the checkpoint's backups through
//!   `GET /v1/{project_id}/checkpoint_items?checkpoint_id=` and
//!   `GET /v1/{project_id}/checkpoint_items/{item_id}`, summed up per
//!   [`operation`], with what the backup produced (the checkpoint and each server's
//!   backup, sizes, per-server results); CSBS has no cancel ([`BackupClient::cancel`]
//!   is [`Error::Unsupported`]);
//! - [`BackupClient::recover_trigger`]: a trigger whose answer was lost is found among
//!   the policy's backups started since it was sent (the time a run journal keeps
//!   through [`BackupClient::idempotency_key`]), never sent again;
//! - auth: AK/SK `SDK-HMAC-SHA256` signing ([`auth::AkSk`], preferred), an IAM
//!   user's password exchanged for an `X-Auth-Token` ([`auth::IamPassword`]), or a ready
//!   token;
//! - [`ApiErrors`]: `{"error_code", "error_msg"}` and `{"error": {"code", "message"}}`
//!   into [`backup_core::Error`]; `CSBS.1001` ("The policy is executing backup", HTTP
//!   500) is a [`backup_core::ApiErrorKind::Conflict`];
//! - [`TriggerParams`] and [`Config`]: what plans and `backupctl` give (serde, and clap
//!   with the `cli` feature).
//!
//! With the `emulator` feature, `emulator::Emulator` is a local fake of CSBS and IAM
//! that checks signatures and tokens and runs backups through their states.
//!
//! # Example
//!
//! Against the emulator (a real account only needs another builder:
//! `Client::from_env()` reads `HUAWEICLOUD_SDK_AK`, `HUAWEICLOUD_SDK_SK`,
//! `HUAWEICLOUD_SDK_PROJECT_ID` and `HUAWEICLOUD_SDK_REGION`: [`ENVIRONMENT`]):
//!
//! ```
//! # #[cfg(feature = "emulator")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//!
//! use backup_huawei_csbs::emulator::{DEMO_PLAN_ID, Emulator};
//! use backup_huawei_csbs::prelude::*;
//! use backup_huawei_csbs::{OperationStatus, TriggerRequest, WaitOptions};
//!
//! let emulator = Emulator::start().await?;
//! let client = emulator.client_builder().build()?;
//!
//! let request = TriggerRequest::new(DEMO_PLAN_ID);
//! for operation in client.trigger(&request).await? {
//!     println!("started {}", operation.reference); // huawei-csbs:{project}/{checkpoint}
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
    AkSk, Credential, ENV_AK, ENV_PROJECT_ID, ENV_REGION, ENV_SECURITY_TOKEN, ENV_SK, ENVIRONMENT,
    IamPassword,
};
pub use backup_core::prelude;
pub use backup_core::{
    BackupClient, BackupClientBuilder, Error, Operation, OperationRef, OperationStatus, Poller,
    Result, RetryPolicy, WaitOptions,
};
pub use client::{
    Client, ClientBuilder, DEFAULT_PROVIDER_ID, RECOVERY_CLOCK_MARGIN, RECOVERY_LOOKS,
    TriggerRequest,
};
pub use config::Config;
pub use error::{AUTH_HINT, ApiErrors, POLICY_EXECUTING, kind_of_code};
pub use params::TriggerParams;

/// The vendor name in errors and operation references.
pub const VENDOR: &str = "huawei-csbs";
