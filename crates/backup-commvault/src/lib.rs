//! Run Commvault / Metallic backup jobs (`POST CreateTask`) and follow them
//! (`GET Job/{jobId}`), on [`backup_core`]'s model.
//!
//! [`Client`] implements backup-core's [`BackupClient`] (import it with
//! `use backup_commvault::prelude::*;`):
//!
//! - **Trigger**: [`BackupClient::trigger`] sends the *Run Backup Job* document's
//!   `TMMsg_CreateTaskReq` (XML by default, JSON with [`Format::Json`]) built from a
//!   [`TriggerRequest`] and returns one [`Operation`] per job started. Commvault reports
//!   errors with HTTP 200 (`TMMsg_GenericResp`, `CVGui_GenericResp`, JSON `errorCode` /
//!   `errList`): they become [`Error::Api`] with status 200, the code and the message.
//!   A task that started no job is an error saying "scheduled, no job started", never
//!   a success.
//! - **Tracking**: [`BackupClient::status`] reads `Job/{jobId}`; every documented status
//!   maps onto [`OperationStatus`] (see [`operation`]); [`BackupClient::wait`] follows a
//!   job to its end (a job not listed yet right after the trigger is read again, up to
//!   [`UNSEEN_JOB_READS`] times, as cvpysdk does). [`BackupClient::cancel`] kills a job,
//!   [`Client::suspend`] and [`Client::resume`] pause and resume it. A reference is
//!   `commvault:{jobId}`, the job id a positive integer.
//! - **What a backup produced**: each [`Operation`] carries the job's size
//!   (`sizeOfApplication`), duration (`jobElapsedTime`), the job as `produced`, its
//!   subclient as the item, failed-file counts as warnings and a failed job's
//!   `pendingReason` as the error (its `Error Code: [..]`, without HTML); after a
//!   successful end [`BackupClient::produced`] reads `JobDetails` once (skipped items,
//!   per-VM results). See [`operation`].
//! - **A lost trigger**: [`BackupClient::recover_trigger`] finds the job a `CreateTask`
//!   whose answer was lost started (the subclient's jobs started after the recorded
//!   [`TriggerRequest::trigger_time`]), never starting another.
//! - **Auth** ([`auth`]): `Login` (password base64-encoded, JSON or XML) gives a `QSDK`
//!   token sent as `Authtoken`; on a 401 the token is renewed (`RenewLoginToken`) or the
//!   client logs in again, once, and the request is replayed. A supplied token gets the
//!   `QSDK ` prefix when it lacks one. Metallic access tokens go as
//!   `Authorization: Bearer`. [`Client::logout`] ends the session.
//! - **Configuration**: [`BackupClient::from_env`] reads `COMMVAULT_API_URL`,
//!   `COMMVAULT_USERNAME` / `COMMVAULT_PASSWORD` or `COMMVAULT_AUTHTOKEN`
//!   ([`ENVIRONMENT`]); [`BackupClientBuilder::from_config`] takes the API base and the
//!   TLS settings from a [`Config`]. A URL with only a host gets `/commandcenter/api/`;
//!   `/webconsole/api/` works too. On-premises CommServes with a private CA:
//!   [`Config::ca_cert`] or [`ClientBuilder::root_certificate_pem`].
//! - [`ApiErrors`]: Commvault's error bodies mapped onto backup-core's [`Error`];
//! - [`TriggerParams`] and [`Config`]: what plans and `backupctl` give (serde, and clap
//!   with the `cli` feature);
//! - **Emulator** (feature `emulator`): `emulator::Emulator`, a stateful fake
//!   CommServe with fault injection, for your own tests.
//!
//! # Example
//!
//! Against the emulator (against a CommServe, use [`BackupClient::from_env`] or
//! [`BackupClient::builder`]):
//!
//! ```
//! # #[cfg(feature = "emulator")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//!
//! use backup_commvault::emulator::Emulator;
//! use backup_commvault::prelude::*;
//! use backup_commvault::{BackupLevel, OperationStatus, TriggerRequest, WaitOptions};
//!
//! let emulator = Emulator::start().await?;
//! let client = emulator.client_builder().build()?;
//!
//! let request = TriggerRequest::new("s-adhoc-object-storage", "stestgroup")
//!     .backupset_name("defaultBackupSet")
//!     .backup_level(BackupLevel::Full);
//! for job in client.trigger(&request).await? {
//!     println!("started {}", job.reference); // commvault:5976
//!     let done = client
//!         .wait(job, WaitOptions::every(Duration::from_millis(10)))
//!         .run_with(|job| println!("{:?} {:?}%", job.vendor_status, job.progress))
//!         .await?;
//!     assert_eq!(done.status, OperationStatus::Succeeded);
//! }
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
mod config;
mod error;
pub mod model;
pub mod operation;
mod params;
mod redact;

#[cfg(feature = "emulator")]
#[cfg_attr(docsrs, doc(cfg(feature = "emulator")))]
pub mod emulator;

pub use auth::{Credential, with_qsdk_prefix};
pub use backup_core::prelude;
pub use backup_core::{
    BackupClient, BackupClientBuilder, Error, Operation, OperationRef, OperationStatus, Poller,
    Result, RetryPolicy, WaitOptions,
};
pub use client::{
    Client, ClientBuilder, DEFAULT_API_PATH, DEFAULT_DEVICE_ID, ENV_API_URL, ENV_AUTHTOKEN,
    ENV_PASSWORD, ENV_USERNAME, ENVIRONMENT, MAX_JOB_ID_LEN, UNSEEN_JOB_READS,
};
pub use config::Config;
pub use error::{ApiErrors, GenericError, error_in_body, parse_generic, xml_root};
pub use model::Format;
pub use model::job::JobSummary;
pub use model::response::{CreateTaskAnswer, CreateTaskResp};
pub use model::task::{BackupLevel, CreateTaskReq, TriggerRequest};
pub use operation::{JobStatus, PendingReason};
pub use params::TriggerParams;

/// The vendor name in errors and operation references.
pub const VENDOR: &str = "commvault";
