//! Run Commvault / Metallic backup jobs (`POST CreateTask`) and follow them
//! (`GET Job/{jobId}`), on [`backup_core`]'s model.
//!
//! - **Trigger**: [`Client::trigger`] sends the *Run Backup Job* document's
//!   `TMMsg_CreateTaskReq` (XML by default, JSON with [`Format::Json`]) built from a
//!   [`BackupRequest`] and returns one [`Operation`] per job started. Commvault reports
//!   errors with HTTP 200 (`TMMsg_GenericResp`, `CVGui_GenericResp`, JSON `errorCode` /
//!   `errList`): they become [`Error::Api`] with status 200, the code and the message.
//!   A task that started no job is an error saying "scheduled, no job started", never
//!   a success.
//! - **Tracking**: [`Client::status`] reads `Job/{jobId}`; every documented status maps
//!   onto [`OperationStatus`] (see [`operation`]); [`Client::wait`] follows a job to its
//!   end. [`Client::cancel`] kills a job, [`Client::suspend`] and [`Client::resume`]
//!   pause and resume it.
//! - **Auth** ([`auth`]): `Login` (password base64-encoded, JSON or XML) gives a `QSDK`
//!   token sent as `Authtoken`; on a 401 the token is renewed (`RenewLoginToken`) or the
//!   client logs in again, once, and the request is replayed. A supplied token gets the
//!   `QSDK ` prefix when it lacks one. Metallic access tokens go as
//!   `Authorization: Bearer`. [`Client::logout`] ends the session.
//! - **Configuration**: [`ClientBuilder::from_env`] reads `COMMVAULT_API_URL`,
//!   `COMMVAULT_USERNAME` / `COMMVAULT_PASSWORD` or `COMMVAULT_AUTHTOKEN`. A URL with
//!   only a host gets `/commandcenter/api/`; `/webconsole/api/` works too. On-premises
//!   CommServes with a private CA: [`ClientBuilder::root_certificate_pem`].
//! - **Emulator** (feature `emulator`): [`emulator::Emulator`], a stateful fake
//!   CommServe with fault injection, for your own tests.
//!
//! # Example
//!
//! Against the emulator (against a CommServe, use [`Client::from_env`] or
//! [`Client::builder`]):
//!
//! ```
//! # #[cfg(feature = "emulator")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//!
//! use backup_commvault::emulator::Emulator;
//! use backup_commvault::{BackupLevel, BackupRequest, OperationStatus, WaitOptions};
//!
//! let emulator = Emulator::start().await?;
//! let client = emulator.client_builder().build()?;
//!
//! let request = BackupRequest::new("s-adhoc-object-storage", "stestgroup")
//!     .backupset_name("defaultBackupSet")
//!     .backup_level(BackupLevel::Full);
//! let jobs = client.trigger(&request).await?;
//! println!("started {}", jobs[0].reference); // commvault:5976
//!
//! let done = client
//!     .wait(jobs[0].clone(), WaitOptions::every(Duration::from_millis(10)))
//!     .run_with(|job| println!("{:?} {:?}%", job.vendor_status, job.progress))
//!     .await?;
//! assert_eq!(done.status, OperationStatus::Succeeded);
//! assert_eq!(emulator.accepted_backups(), 1);
//! client.logout().await?;
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "emulator"))]
//! # fn main() {}
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod auth;
mod client;
pub mod error;
pub mod model;
pub mod operation;
mod redact;

#[cfg(feature = "emulator")]
#[cfg_attr(docsrs, doc(cfg(feature = "emulator")))]
pub mod emulator;

pub use auth::{Credential, with_qsdk_prefix};
pub use client::{
    Client, ClientBuilder, DEFAULT_API_PATH, DEFAULT_DEVICE_ID, ENV_API_URL, ENV_AUTHTOKEN,
    ENV_PASSWORD, ENV_USERNAME,
};
pub use model::Format;
pub use model::job::JobSummary;
pub use model::response::{CreateTaskAnswer, CreateTaskResp};
pub use model::task::{BackupLevel, BackupRequest, CreateTaskReq};
pub use operation::JobStatus;

pub use backup_core::{Error, Operation, OperationRef, OperationStatus, Result, WaitOptions};

/// The vendor name in errors and operation references.
pub const VENDOR: &str = "commvault";
