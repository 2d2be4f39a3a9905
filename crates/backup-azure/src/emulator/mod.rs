//! A local fake of the Recovery Services backup API, for tests and demos (yours too).
//!
//! Built from the vendor's documents and ARM's async-operation rules, not from this
//! crate's client:
//!
//! - `POST .../protectedItems/{item}/backup?api-version=...` checks the bearer token
//!   (401 `AuthenticationFailed`, `InvalidAuthenticationToken`,
//!   `ExpiredAuthenticationToken`, with a `WWW-Authenticate` challenge), the
//!   api-version ([`SUPPORTED_API_VERSIONS`]), the vault and item (404), the content
//!   type (415) and the `BackupRequestResource` (400 for an `objectType` that does not
//!   fit the item, an unknown `backupType`, a bad `recoveryPointExpiryTimeInUTC`);
//!   refuses a second backup of an item whose backup still runs with 400
//!   `UserErrorBackupOperationInProgress`; and answers `202` with `Location`,
//!   `Azure-AsyncOperation` (both on the emulator's own address, with their own
//!   `api-version=2016-12-01`) and `Retry-After` (default 0 seconds).
//! - `GET .../operationsStatus/{opId}` answers 200 with `{id, name, status, startTime,
//!   endTime, error, properties: {objectType: OperationStatusJobExtendedInfo, jobId}}`.
//! - `GET .../operationResults/{opId}` answers 202 while running, 204 once done, the
//!   operation's `CloudError` (400) when it failed.
//! - `GET .../vaults/{vault}/backupJobs/{jobId}` answers the `JobResource`
//!   (`AzureIaaSVMJob`, `AzureStorageJob` or `AzureWorkloadJob`) with status
//!   InProgress, Cancelling, Completed, CompletedWithWarnings, Failed or Cancelled.
//! - `POST .../vaults/{vault}/backupJobs/{jobId}/cancel` answers 202 and moves a
//!   running job to Cancelling, then Cancelled; a job that ended is refused (400
//!   `BMSUserErrorJobNotCancellable`).
//! - Every answer carries `x-ms-request-id` and `x-ms-correlation-request-id`.
//!
//! Tokens: Entra ID cannot be emulated on `http`, and `azure_identity` refuses
//! non-https authorities, so the emulator hands its tokens out through
//! [`EmulatorCredential`], an in-process `TokenCredential` (each `get_token` counts as
//! one token request); [`Emulator::expire_tokens`] expires every token issued so far.
//!
//! Faults ([`Emulator::faults`]) target [`RouteClass::Trigger`] (the backup POST),
//! [`RouteClass::Poll`] (the three reads) or [`RouteClass::Control`] (the job cancel).
//!
//! The error codes of the refusals that Azure's documents do not spell out (unknown
//! item or job, a body that does not fit the item, a job that cannot be cancelled) are
//! the emulator's own choice, in Azure's `CloudError` shape.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//!
//! use backup_azure::emulator::{Emulator, Fault, RouteClass};
//! use backup_azure::{ApiErrorKind, WaitOptions};
//!
//! let emulator = Emulator::start().await?;
//! let client = emulator.client_builder().build()?;
//! // The first trigger is throttled; the client retries it after Retry-After.
//! emulator
//!     .faults()
//!     .inject(RouteClass::Trigger, Fault::retry_after(429, Duration::ZERO));
//! let operation = client.trigger(&Emulator::demo_request()).await?;
//!
//! // A second backup of the same item is refused while the first one runs.
//! let refused = client.trigger(&Emulator::demo_request()).await.unwrap_err();
//! assert_eq!(refused.api().map(|e| e.kind), Some(ApiErrorKind::Conflict));
//!
//! client.wait(operation, WaitOptions::every(Duration::from_millis(5))).await?;
//! assert_eq!(emulator.accepted_backups(), 1);
//! # Ok(())
//! # }
//! ```

mod answers;
mod credential;
mod handlers;
mod jobs;
mod options;
mod routes;
mod state;
mod validate;

use std::io;
use std::sync::Arc;

use axum::Router;
use backup_core::emulator::{EmulatorConfig, EmulatorServer, LifecycleSpec, RequestLog};
pub use backup_core::emulator::{Fault, Faults, Outcome, RouteClass};
use url::Url;

pub use credential::EmulatorCredential;
pub use handlers::{STATUS_API_VERSION, SUPPORTED_API_VERSIONS};
pub use options::{
    DEMO_FABRIC, DEMO_FILE_SHARE_CONTAINER, DEMO_FILE_SHARE_ITEM, DEMO_RESOURCE_GROUP,
    DEMO_SUBSCRIPTION, DEMO_VAULT, DEMO_VM_CONTAINER, DEMO_VM_ITEM, DEMO_WORKLOAD_CONTAINER,
    DEMO_WORKLOAD_ITEM, EmulatorOptions, ItemKind, demo_file_share, demo_requests, demo_vm,
    demo_workload,
};

use crate::client::ClientBuilder;
use crate::model::TriggerRequest;
use state::State;

/// A running emulator. Dropping it stops the server.
#[derive(Debug)]
pub struct Emulator {
    server: EmulatorServer,
    state: State,
    credential: Arc<EmulatorCredential>,
}

impl Emulator {
    /// Starts an emulator with [`EmulatorOptions::default`] on `127.0.0.1` (a free port).
    ///
    /// # Errors
    /// When no port can be bound.
    pub async fn start() -> io::Result<Self> {
        Self::start_with(EmulatorOptions::default()).await
    }

    /// Starts an emulator with `options`.
    ///
    /// # Errors
    /// When no port can be bound.
    pub async fn start_with(options: EmulatorOptions) -> io::Result<Self> {
        let state = State::new(&options);
        let router = Router::new()
            .fallback(handlers::dispatch)
            .with_state(state.clone());
        let config = EmulatorConfig::new(router)
            .classify(routes::classify)
            .error_body(answers::fault_body);
        let server = EmulatorServer::start(config).await?;
        // Set once, before any request can arrive; a second set cannot happen.
        let _ = state.base.set(server.url());
        let credential = Arc::new(EmulatorCredential::new(state.clone()));
        Ok(Self {
            server,
            state,
            credential,
        })
    }

    /// The base URL (`http://127.0.0.1:PORT/`): the ARM endpoint to configure.
    #[must_use]
    pub fn url(&self) -> Url {
        self.server.url()
    }

    /// The fault queue.
    #[must_use]
    pub fn faults(&self) -> &Faults {
        self.server.faults()
    }

    /// Every request received.
    #[must_use]
    pub fn requests(&self) -> RequestLog {
        self.server.requests()
    }

    /// How many backups were accepted (202 answers to the trigger).
    #[must_use]
    pub fn accepted_backups(&self) -> u64 {
        self.state.accepted.get()
    }

    /// How backup jobs started from now on unfold.
    pub fn set_lifecycle(&self, spec: LifecycleSpec) {
        self.state.lock().job_spec = spec;
    }

    /// How async operations started from now on unfold (a failing one starts no job).
    pub fn set_operation_lifecycle(&self, spec: LifecycleSpec) {
        self.state.lock().operation_spec = spec;
    }

    /// Expires every token issued so far (the "expired token" fault).
    pub fn expire_tokens(&self) {
        self.state.tokens.expire_all();
    }

    /// How many tokens [`EmulatorCredential`] handed out.
    #[must_use]
    pub fn token_requests(&self) -> u64 {
        self.state.token_requests.get()
    }

    /// A token credential whose tokens this emulator accepts.
    #[must_use]
    pub fn credential(&self) -> Arc<EmulatorCredential> {
        Arc::clone(&self.credential)
    }

    /// A builder with this emulator's endpoint and credential, and a retry policy with
    /// millisecond backoffs.
    #[must_use]
    pub fn client_builder(&self) -> ClientBuilder {
        ClientBuilder::new()
            .endpoint(self.url().as_str())
            .token_credential(self.credential())
            .retry(backup_core::RetryPolicy {
                max_attempts: 4,
                base_backoff: std::time::Duration::from_millis(5),
                max_backoff: std::time::Duration::from_millis(50),
                budget: std::time::Duration::from_secs(10),
                jitter: false,
            })
    }

    /// A trigger request the emulator accepts: the document's example (an Azure VM).
    #[must_use]
    pub fn demo_request() -> TriggerRequest {
        TriggerRequest::azure_vm(demo_vm())
    }

    /// Stops the server and waits until its port is closed.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}
