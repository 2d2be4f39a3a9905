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
//! one token request); [`VendorEmulator::expire_tokens`] expires every token issued so
//! far.
//!
//! Faults ([`VendorEmulator::faults`]) target [`RouteClass::Trigger`] (the backup POST),
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
//! use backup_azure::prelude::*;
//! use backup_azure::{ApiErrorKind, WaitOptions};
//!
//! let emulator = Emulator::start().await?;
//! let client = emulator.client_builder().build()?;
//! // The first trigger is throttled; the client retries it after Retry-After.
//! emulator
//!     .faults()
//!     .inject(RouteClass::Trigger, Fault::retry_after(429, Duration::ZERO));
//! let operations = client.trigger(&emulator.demo_request()).await?;
//!
//! // A second backup of the same item is refused while the first one runs.
//! let refused = client.trigger(&emulator.demo_request()).await.unwrap_err();
//! assert_eq!(refused.api().map(|e| e.kind), Some(ApiErrorKind::Conflict));
//!
//! for operation in operations {
//!     client.wait(operation, WaitOptions::every(Duration::from_millis(5))).await?;
//! }
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
use backup_core::emulator::{EmulatorConfig, EmulatorServer, EmulatorShared, VendorEmulator};
pub use backup_core::emulator::{Fault, Faults, LifecycleSpec, Outcome, RouteClass};
use url::Url;

pub use credential::EmulatorCredential;
pub use handlers::{STATUS_API_VERSION, SUPPORTED_API_VERSIONS};
pub use options::{
    DEMO_FABRIC, DEMO_FILE_SHARE_CONTAINER, DEMO_FILE_SHARE_ITEM, DEMO_RESOURCE_GROUP,
    DEMO_SUBSCRIPTION, DEMO_VAULT, DEMO_VM_CONTAINER, DEMO_VM_ITEM, DEMO_WORKLOAD_CONTAINER,
    DEMO_WORKLOAD_ITEM, EmulatorOptions, ItemKind, demo_file_share, demo_requests, demo_vm,
    demo_workload,
};

use crate::model::TriggerRequest;
use crate::{Client, ClientBuilder, Config, ObjectType, TriggerParams};
use state::State;

/// A running emulator. Dropping it stops the server.
#[derive(Debug)]
pub struct Emulator {
    server: EmulatorServer,
    state: State,
    credential: Arc<EmulatorCredential>,
}

impl Emulator {
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

    /// How async operations started from now on unfold (a failing one starts no job).
    /// [`VendorEmulator::set_lifecycle`] sets how backup jobs unfold.
    pub fn set_operation_lifecycle(&self, spec: LifecycleSpec) {
        self.state.lock().operation_spec = spec;
    }

    /// A token credential whose tokens this emulator accepts.
    #[must_use]
    pub fn credential(&self) -> Arc<EmulatorCredential> {
        Arc::clone(&self.credential)
    }
}

/// The retry policy of [`VendorEmulator::client_builder`]: millisecond backoffs.
fn fast_retry() -> backup_core::RetryPolicy {
    backup_core::RetryPolicy {
        max_attempts: 4,
        base_backoff: std::time::Duration::from_millis(5),
        max_backoff: std::time::Duration::from_millis(50),
        budget: std::time::Duration::from_secs(10),
        jitter: false,
    }
}

impl VendorEmulator for Emulator {
    type Client = Client;

    const TRIGGER_SUCCESS_STATUS: u16 = 202;
    /// The client follows a trigger through the 202's `Azure-AsyncOperation` (or
    /// `Location`) header: its body is not read.
    const TRIGGER_BODY_UNUSED: bool = true;

    /// Starts an emulator with [`EmulatorOptions::default`] on `127.0.0.1` (a free port).
    async fn start() -> io::Result<Self> {
        Self::start_with(EmulatorOptions::default()).await
    }

    fn server(&self) -> &EmulatorServer {
        &self.server
    }

    fn into_server(self) -> EmulatorServer {
        self.server
    }

    /// The accepted backups (202 answers to the trigger), the tokens
    /// [`EmulatorCredential`] handed out, and how backup jobs unfold.
    fn shared(&self) -> &EmulatorShared {
        &self.state.shared
    }

    /// Expires every token issued so far (the "expired token" fault).
    fn expire_tokens(&self) {
        self.state.tokens.expire_all();
    }

    /// A builder with `base` as the ARM endpoint, this emulator's credential, and a
    /// retry policy with millisecond backoffs.
    fn client_builder_at(&self, base: &Url) -> ClientBuilder {
        ClientBuilder::new()
            .endpoint(base.as_str())
            .token_credential(self.credential())
            .retry(fast_retry())
    }

    /// A bearer token it issued, as `AZURE_ACCESS_TOKEN` (a static token: it is not
    /// refreshed, and [`VendorEmulator::expire_tokens`] ends it).
    fn environment(&self) -> Vec<(&'static str, String)> {
        self.state.shared.token_requests().increment();
        let token = self.state.tokens.issue(self.state.token_ttl);
        vec![(crate::ENV_ACCESS_TOKEN, token)]
    }

    fn config(&self) -> Config {
        Config {
            endpoint: Some(self.url().to_string()),
            ..Config::default()
        }
    }

    /// The document's example: an Azure VM backup kept by the policy's retention.
    fn demo_request(&self) -> TriggerRequest {
        TriggerRequest::azure_vm(demo_vm())
    }

    fn demo_params(&self) -> TriggerParams {
        TriggerParams {
            subscription: DEMO_SUBSCRIPTION.to_owned(),
            resource_group: DEMO_RESOURCE_GROUP.to_owned(),
            vault: DEMO_VAULT.to_owned(),
            fabric: DEMO_FABRIC.to_owned(),
            container: DEMO_VM_CONTAINER.to_owned(),
            item: DEMO_VM_ITEM.to_owned(),
            object_type: ObjectType::IaasVm,
            backup_type: None,
            expiry: None,
            enable_compression: None,
        }
    }

    /// ARM's `CloudError` refusing a backup of an item whose backup still runs.
    fn vendor_error() -> (Fault, &'static str) {
        (
            Fault::Respond {
                status: 400,
                content_type: "application/json".to_owned(),
                body: r#"{"error":{"code":"UserErrorBackupOperationInProgress","message":"Backup is already in progress for this item."}}"#
                    .to_owned(),
            },
            "UserErrorBackupOperationInProgress",
        )
    }
}
