//! A local fake of the Recovery Services backup API, for tests and demos (yours too).
//!
//! Built from the vendor's documents and ARM's async-operation rules, not from this
//! crate's client:
//!
//! - `POST .../protectedItems/{item}/backup?api-version=...` checks the bearer token
//!   (401 `AuthenticationFailed`, `InvalidAuthenticationToken`,
//!   `ExpiredAuthenticationToken`, with a `WWW-Authenticate` challenge), the
//!   api-version ([`SUPPORTED_API_VERSIONS`], up to the Python SDK's default
//!   2026-10-01; every endpoint checks it), the vault and item (404), the content
//!   type (415) and the `BackupRequestResource` (400 for an `objectType` that does not
//!   fit the item, an unknown `backupType`, a bad `recoveryPointExpiryTimeInUTC`);
//!   refuses a second backup of an item whose backup still runs with 400
//!   `UserErrorBackupOperationInProgress`; and answers `202` with `Location`,
//!   `Azure-AsyncOperation` (both on the emulator's own address, with their own
//!   `api-version=2016-12-01`) and `Retry-After` (default 0 seconds).
//! - `GET .../operationsStatus/{opId}` answers 200 with `{id, name, status, startTime,
//!   endTime, error, properties: {objectType: OperationStatusJobExtendedInfo, jobId}}`
//!   (`endTime` `0001-01-01T00:00:00Z`, ARM's "not ended", while in progress).
//! - `GET .../operationResults/{opId}` answers 202 while running, 204 once done, the
//!   operation's `CloudError` (400) when it failed.
//! - `GET .../vaults/{vault}/backupJobs/{jobId}` answers the `JobResource`
//!   (`AzureIaaSVMJob`, `AzureStorageJob` or `AzureWorkloadJob`) with status
//!   InProgress, Cancelling, Completed, CompletedWithWarnings, Failed or Cancelled.
//!   Its `activityId` is the trigger's `x-ms-client-request-id` (as in Microsoft's
//!   tutorials), `duration` is ISO 8601, a completed job has `Backup Size` in its
//!   property bag ([`EmulatorOptions::backup_size_mb`]), a VM job its `containerName`.
//! - `GET .../vaults/{vault}/backupOperations/{opId}` and
//!   `.../backupOperationResults/{opId}`: the same operation found by its vault (the
//!   URLs the Azure CLI and Microsoft's tutorials poll).
//! - `GET .../vaults/{vault}/backupJobs` (`BackupJobs_List`): the vault's jobs, newest
//!   first, `$filter` on `status`, `backupManagementType`, `operation`, `jobId` and the
//!   `startTime`/`endTime` window (`yyyy-MM-dd hh:mm:ss tt`, or RFC 3339; any other
//!   property is a 400 `BMSUserErrorInvalidInput`), pages of
//!   [`EmulatorOptions::job_page_size`] with a `nextLink` (`$skipToken`). Reading the
//!   list moves the vault's async operations on, as a poll would.
//! - `GET .../protectedItems/{item}/recoveryPoints` (`$filter` window
//!   `startDate`/`endDate`) and `.../recoveryPoints/{id}`: one recovery point per
//!   completed job of the item, taken when the job started, in its kind's shape
//!   (`IaasVMRecoveryPoint`, `AzureFileShareRecoveryPoint` with its size in GB,
//!   `AzureWorkloadSQLRecoveryPoint`).
//! - `POST .../vaults/{vault}/backupJobs/{jobId}/cancel` answers 202 with a `Location`
//!   naming its operation result (`.../backupJobs/{jobId}/operationResults/{opId}`:
//!   202 while the job is being cancelled, 204 once it ended) and moves a running job
//!   to Cancelling, then Cancelled; a job that ended is refused (400
//!   `BMSUserErrorJobNotCancellable`).
//! - Every answer carries `x-ms-request-id` and `x-ms-correlation-request-id`, and
//!   echoes the caller's `x-ms-client-request-id`.
//!
//! Tokens: Entra ID cannot be emulated on `http`, and `azure_identity` refuses
//! non-https authorities, so the emulator hands its tokens out through
//! [`EmulatorCredential`], an in-process `TokenCredential` (each `get_token` counts as
//! one token request); [`VendorEmulator::expire_tokens`] expires every token issued so
//! far.
//!
//! Faults ([`VendorEmulator::faults`]) target [`RouteClass::Trigger`] (the backup POST),
//! [`RouteClass::Poll`] (the operation, operation-result and job reads) or
//! [`RouteClass::Control`] (the job cancel); the job and recovery-point lists are
//! [`RouteClass::Other`].
//!
//! The error codes of the refusals that Azure's documents do not spell out (unknown
//! item, job, operation or recovery point, a body that does not fit the item, a job
//! that cannot be cancelled, a filter it cannot read) are the emulator's own choice, in
//! Azure's `CloudError` shape.
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
mod lists;
mod options;
mod routes;
mod state;
mod validate;

use std::io;
use std::sync::Arc;

use std::time::Duration;

use axum::Router;
use backup_core::emulator::{
    EmulatorConfig, EmulatorServer, EmulatorShared, LoadOptions, ServeOptions, VendorEmulator,
};
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

use crate::model::{ProtectedItem, TriggerRequest};
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
            .error_body(answers::fault_body)
            .shared(state.shared.clone());
        // The control API's reset forgets async operations and jobs, and sets the async
        // operations' lifecycle back to this one (tokens stay valid).
        let data = Arc::downgrade(&state.data);
        let operation_spec = options.operation_lifecycle.clone();
        state.shared.on_reset(move || {
            if let Some(data) = data.upgrade() {
                let mut data = data
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                data.operations.clear();
                data.jobs.clear();
                data.operation_spec = operation_spec.clone();
            }
        });
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

/// Load target `i` of [`VendorEmulator::start_for_load`]: a VM item of its own in the
/// demo vault (ARM refuses a second backup of an item whose backup still runs).
fn load_item(i: usize) -> ProtectedItem {
    ProtectedItem::new(
        DEMO_SUBSCRIPTION,
        DEMO_RESOURCE_GROUP,
        DEMO_VAULT,
        DEMO_FABRIC,
        format!("IaasVMContainer;iaasvmcontainerv2;benchrg;benchvm{i:05}"),
        format!("VM;iaasvmcontainerv2;benchrg;benchvm{i:05}"),
    )
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
    /// `Retry-After` counts whole seconds.
    const POLL_HINT_UNIT: Option<Duration> = Some(Duration::from_secs(1));

    /// Starts an emulator with [`EmulatorOptions::default`] on `127.0.0.1` (a free port).
    async fn start() -> io::Result<Self> {
        Self::start_with(EmulatorOptions::default()).await
    }

    /// The demo items plus `targets` VM items; jobs unfold as `lifecycle` says. ARM
    /// sends `Retry-After` on the async operation only, so with a poll hint the
    /// operation runs as long as the job (the hint then comes with every poll until
    /// the end); without one it is done at once and the job is followed from the first
    /// poll.
    async fn start_for_load(load: LoadOptions) -> io::Result<Self> {
        let operation = match load.poll_hint {
            Some(_) => load.lifecycle.clone(),
            None => LifecycleSpec::default().after(Duration::ZERO),
        };
        let mut options = EmulatorOptions::new()
            .lifecycle(load.lifecycle)
            .operation_lifecycle(operation)
            .retry_after(load.poll_hint.unwrap_or(Duration::ZERO));
        for i in 0..load.targets {
            options = options.protected_item(&load_item(i), ItemKind::IaasVm);
        }
        Self::start_with(options).await
    }

    /// The demo items; jobs unfold as `lifecycle` says, async operations end at once (as
    /// ARM's, done when the job is created: a client that stops at the operation, as the
    /// Azure SDK's poller does, never leaves one running), tokens valid for a day.
    async fn serve(options: ServeOptions) -> io::Result<Self> {
        let azure = EmulatorOptions::new()
            .lifecycle(options.lifecycle.clone())
            .operation_lifecycle(LifecycleSpec::default().after(Duration::ZERO))
            .token_ttl(Duration::from_secs(24 * 3600));
        let emulator = options.scope(Self::start_with(azure)).await?;
        options.check_bound(emulator.server.addr())?;
        emulator
            .state
            .shared
            .set_default_lifecycle(options.lifecycle);
        Ok(emulator)
    }

    /// An Azure VM backup of load item `i`.
    fn load_request(&self, i: usize) -> TriggerRequest {
        TriggerRequest::azure_vm(load_item(i))
    }

    /// [`VendorEmulator::load_request`]`(i)` as flat parameters: the demo VM's, with
    /// load item `i`'s container and item.
    fn load_params(&self, i: usize) -> TriggerParams {
        let item = load_item(i);
        TriggerParams {
            container: item.container,
            item: item.item,
            ..self.demo_params()
        }
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
            vm: None,
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
