//! A local, stateful fake of Yandex Cloud's Backup, Operation and IAM APIs (and the VM
//! metadata token), built from Yandex's documents, for tests and demos.
//!
//! One server answers every API:
//!
//! | request | what it does |
//! |---|---|
//! | `POST /iam/v1/tokens` `{"yandexPassportOauthToken"}` | accepts [`DEMO_OAUTH_TOKEN`] (and [`EmulatorOptions::oauth_token`]s) |
//! | `POST /iam/v1/tokens` `{"jwt"}` | verifies the PS256 signature with the registered public key of the `kid`, `iss`, `aud` = [`JWT_AUDIENCE`](crate::auth::JWT_AUDIENCE), `exp` at most 1 h after `iat` |
//! | `GET /computeMetadata/v1/instance/service-accounts/default/token` | needs `Metadata-Flavor: Google` |
//! | `POST /backup/v1/policies/{policyId}:execute` | checks the IAM token, the body, the `Idempotency-Key` (a UUID; a repeat returns the same operation), `NOT_FOUND` for an unknown policy, `FAILED_PRECONDITION` for an instance the policy is not applied to |
//! | `GET /operations/{id}` | moves the operation along its [`LifecycleSpec`]: `progressPercentage` 0 -> 100, `done`, `error` (a failure shows once as "rolling back", error without done) |
//! | `GET /operations/{id}:cancel` | cancels (the next read shows the error `CANCELLED` without done, the one after done); `POST` is answered 405 |
//! | `GET /backup/v1/backups` | `Backup.List`: the backup each operation that ended well made (created when it started, `FULL` first, then `INCREMENTAL`, sizes as `int64` strings), selected by exactly one of `computeInstanceId`, `instancePolicy.*`, `policyId`, `resourceId`, `folderId` ([`DEMO_FOLDER_ID`]), `archive.*`, `backup.*`; `orderBy` `createdAt desc` (default) or `asc`; `pageSize` <= 1000; `filter` and unknown parameters are refused |
//!
//! Errors are `{code, message, details: [RequestInfo]}` with the gateway's status; every
//! answer has an `x-request-id`. IAM tokens (`t1.…`) live [`EmulatorOptions::token_ttl`]
//! on the tokio clock; [`Emulator::expire_tokens`] expires them all.
//!
//! Faults ([`Emulator::faults`]) are aimed by [`RouteClass`]: `Auth` (IAM, metadata),
//! `Trigger` (execute), `Poll` (operation reads and `Backup.List`), `Control` (cancel).
//!
//! # Example
//!
//! ```
//! use std::time::Duration;
//! use backup_yandex::emulator::Emulator;
//! use backup_yandex::prelude::*;
//! use backup_yandex::{OperationStatus, WaitOptions};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let emulator = Emulator::start().await?;
//! let client = emulator.client_builder().build()?;
//! for operation in client.trigger(&emulator.demo_request()).await? {
//!     let done = client.wait(operation, WaitOptions::every(Duration::from_millis(10))).await?;
//!     assert_eq!(done.status, OperationStatus::Succeeded);
//!     assert_eq!(done.progress, Some(100.0));
//! }
//! assert_eq!(emulator.accepted_backups(), 1);
//! # Ok(())
//! # }
//! ```

mod answer;
mod backup;
mod backups;
mod iam;
mod operations;
mod state;

use std::fmt;
use std::time::Duration;

use axum::Router;
use axum::http::Method;
use axum::routing::{get, post};
use backup_core::RetryPolicy;
use backup_core::emulator::{
    EmulatorConfig, EmulatorServer, EmulatorShared, Fault, LifecycleSpec, LoadOptions, RouteClass,
    VendorEmulator,
};
use url::Url;

use crate::auth::{Credential, ServiceAccountKey};
use crate::{Client, ClientBuilder, Config, TriggerParams, TriggerRequest};

use state::State;

/// The policy the emulator knows, applied to [`DEMO_INSTANCE_ID`].
pub const DEMO_POLICY_ID: &str = "cbq0demopolicy000001";
/// The instance [`DEMO_POLICY_ID`] is applied to.
pub const DEMO_INSTANCE_ID: &str = "fhm0demoinstance0001";
/// An instance the emulator knows that [`DEMO_POLICY_ID`] is *not* applied to
/// (executing the policy on it gives `FAILED_PRECONDITION`).
pub const DEMO_UNAPPLIED_INSTANCE_ID: &str = "fhm0otherinstance002";
/// The folder of the emulated cloud (`Backup.List` by `folderId`).
pub const DEMO_FOLDER_ID: &str = backups::FOLDER_ID;
/// The backup vault every emulated backup is kept in.
pub const DEMO_VAULT_ID: &str = backups::VAULT_ID;
/// The OAuth token the emulator exchanges for IAM tokens.
pub const DEMO_OAUTH_TOKEN: &str = "y0_emulator-demo-oauth-token";
/// The service account of [`demo_service_account_key`].
pub const DEMO_SERVICE_ACCOUNT_ID: &str = "ajeemulatorsa0000001";
/// The key id of [`demo_service_account_key`].
pub const DEMO_KEY_ID: &str = "ajeemulatorkey000001";

/// The demo authorized key (JSON, with the `PLEASE DO NOT REMOVE THIS LINE!` line).
///
/// TEST-ONLY: a throwaway RSA key generated for this emulator; it grants nothing
/// anywhere else.
pub const DEMO_SERVICE_ACCOUNT_KEY_JSON: &str = include_str!("demo-key.json");

/// The demo authorized key, parsed.
///
/// # Errors
/// Never in practice (the key is fixed); an [`crate::Error::Config`] otherwise.
pub fn demo_service_account_key() -> crate::Result<ServiceAccountKey> {
    ServiceAccountKey::from_json(DEMO_SERVICE_ACCOUNT_KEY_JSON)
}

fn demo_public_key() -> String {
    serde_json::from_str::<serde_json::Value>(DEMO_SERVICE_ACCOUNT_KEY_JSON)
        .ok()
        .and_then(|v| v.get("public_key")?.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// How the emulator behaves.
#[derive(Debug, Clone)]
pub struct EmulatorOptions {
    /// How each accepted backup unfolds (default: running for 3 reads, then done).
    pub lifecycle: LifecycleSpec,
    /// The `x-operation-poll-interval` sent with operations (default: none).
    pub poll_interval: Option<Duration>,
    /// How many reads of a fresh operation answer NotFound (replica lag; default 0).
    pub replica_lag_polls: u32,
    /// Send `progressPercentage` as a number (the proto's double) instead of a string
    /// (the REST page); default false.
    pub progress_as_number: bool,
    /// How long issued IAM tokens live (default 12 h, on the tokio clock).
    pub token_ttl: Duration,
    /// Policies and the instances each is applied to.
    pub policies: Vec<(String, Vec<String>)>,
    /// OAuth tokens accepted.
    pub oauth_tokens: Vec<String>,
    /// Registered keys: (key id, service account id, public key PEM).
    pub service_account_keys: Vec<(String, String, String)>,
}

impl Default for EmulatorOptions {
    fn default() -> Self {
        Self {
            lifecycle: LifecycleSpec::after_polls(3),
            poll_interval: None,
            replica_lag_polls: 0,
            progress_as_number: false,
            token_ttl: Duration::from_secs(12 * 3600),
            policies: vec![(DEMO_POLICY_ID.to_owned(), vec![DEMO_INSTANCE_ID.to_owned()])],
            oauth_tokens: vec![DEMO_OAUTH_TOKEN.to_owned()],
            service_account_keys: vec![(
                DEMO_KEY_ID.to_owned(),
                DEMO_SERVICE_ACCOUNT_ID.to_owned(),
                demo_public_key(),
            )],
        }
    }
}

impl EmulatorOptions {
    /// Sets the lifecycle of backups.
    #[must_use]
    pub fn lifecycle(mut self, spec: LifecycleSpec) -> Self {
        self.lifecycle = spec;
        self
    }

    /// Sends `x-operation-poll-interval` with operations.
    #[must_use]
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = Some(interval);
        self
    }

    /// Answers NotFound to the first `polls` reads of each fresh operation.
    #[must_use]
    pub fn replica_lag_polls(mut self, polls: u32) -> Self {
        self.replica_lag_polls = polls;
        self
    }

    /// Sends `progressPercentage` as a number.
    #[must_use]
    pub fn progress_as_number(mut self, number: bool) -> Self {
        self.progress_as_number = number;
        self
    }

    /// Sets the IAM token lifetime.
    #[must_use]
    pub fn token_ttl(mut self, ttl: Duration) -> Self {
        self.token_ttl = ttl;
        self
    }

    /// Adds a policy applied to `instances`.
    #[must_use]
    pub fn policy(mut self, policy_id: &str, instances: &[&str]) -> Self {
        self.policies.push((
            policy_id.to_owned(),
            instances.iter().map(|i| (*i).to_owned()).collect(),
        ));
        self
    }

    /// Accepts another OAuth token.
    #[must_use]
    pub fn oauth_token(mut self, token: &str) -> Self {
        self.oauth_tokens.push(token.to_owned());
        self
    }

    /// Registers a service account key's public key.
    #[must_use]
    pub fn service_account_key(
        mut self,
        key_id: &str,
        service_account_id: &str,
        public_key_pem: &str,
    ) -> Self {
        self.service_account_keys.push((
            key_id.to_owned(),
            service_account_id.to_owned(),
            public_key_pem.to_owned(),
        ));
        self
    }
}

/// The running emulator. Dropping it stops the server.
pub struct Emulator {
    server: EmulatorServer,
    state: State,
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("url", &self.server.url().as_str())
            .field("accepted_backups", &self.accepted_backups())
            .finish_non_exhaustive()
    }
}

fn classify(method: &Method, path: &str) -> RouteClass {
    let lower = path.to_ascii_lowercase();
    if lower.starts_with("/iam/") || lower.starts_with("/computemetadata/") {
        RouteClass::Auth
    } else if *method == Method::POST
        && lower.starts_with("/backup/v1/policies/")
        && (lower.ends_with(":execute") || lower.ends_with("%3aexecute"))
    {
        RouteClass::Trigger
    } else if *method == Method::GET && lower.trim_end_matches('/') == "/backup/v1/backups" {
        // What a backup made is read like its operation.
        RouteClass::Poll
    } else if lower.starts_with("/operations/") {
        if lower.ends_with(":cancel") || lower.ends_with("%3acancel") {
            RouteClass::Control
        } else {
            RouteClass::Poll
        }
    } else {
        RouteClass::Other
    }
}

impl Emulator {
    /// Starts an emulator with `options`.
    ///
    /// # Errors
    /// When the local port cannot be bound.
    pub async fn start_with(options: EmulatorOptions) -> std::io::Result<Self> {
        let state = State::new(&options);
        let router = Router::new()
            .route("/iam/v1/tokens", post(iam::tokens))
            .route(
                "/computeMetadata/v1/instance/service-accounts/default/token",
                get(iam::metadata_token),
            )
            .route("/backup/v1/policies/{target}", post(backup::execute))
            .route("/backup/v1/backups", get(backups::list))
            .route(
                "/operations/{target}",
                get(operations::get_or_cancel).post(operations::post_not_allowed),
            )
            .fallback(operations::fallback)
            .with_state(state.clone());
        let config = EmulatorConfig::new(router)
            .classify(classify)
            .error_body(answer::fault_body)
            .shared(state.0.shared.clone());
        // The control API's reset forgets operations and idempotency keys (tokens stay).
        let weak = std::sync::Arc::downgrade(&state.0);
        state.0.shared.on_reset(move || {
            if let Some(inner) = weak.upgrade() {
                state::lock(&inner.ops).clear();
                state::lock(&inner.idempotency).clear();
            }
        });
        let server = EmulatorServer::start(config).await?;
        Ok(Self { server, state })
    }

    /// Issues an IAM token directly (to test the static-token flow).
    #[must_use]
    pub fn issue_iam_token(&self) -> String {
        self.state.0.tokens.issue(self.state.0.token_ttl)
    }
}

impl VendorEmulator for Emulator {
    type Client = Client;

    const TRIGGER_SUCCESS_STATUS: u16 = 200;
    const IDEMPOTENT_TRIGGER: bool = true;
    /// `x-operation-poll-interval` is in seconds with a fraction (sent to the
    /// millisecond here).
    const POLL_HINT_UNIT: Option<Duration> = Some(Duration::from_millis(1));

    async fn start() -> std::io::Result<Self> {
        Self::start_with(EmulatorOptions::default()).await
    }

    /// The demo policy (executed on the same instance many times at once: each
    /// execution has its own idempotency key), operations unfolding as `lifecycle`
    /// says, `x-operation-poll-interval` with every operation while a hint is set.
    async fn start_for_load(load: LoadOptions) -> std::io::Result<Self> {
        let mut options = EmulatorOptions::default().lifecycle(load.lifecycle);
        options.poll_interval = load.poll_hint;
        Self::start_with(options).await
    }

    fn server(&self) -> &EmulatorServer {
        &self.server
    }

    fn into_server(self) -> EmulatorServer {
        self.server
    }

    fn shared(&self) -> &EmulatorShared {
        &self.state.0.shared
    }

    /// Expires every IAM token issued so far.
    fn expire_tokens(&self) {
        self.state.0.tokens.expire_all();
    }

    /// Every endpoint (backup, operation, IAM, metadata) at `base`, with the demo
    /// service account key and a retry policy with millisecond backoffs.
    fn client_builder_at(&self, base: &Url) -> ClientBuilder {
        let credential = demo_service_account_key().map_or_else(
            |_| Credential::oauth_token(DEMO_OAUTH_TOKEN),
            Credential::ServiceAccountKey,
        );
        ClientBuilder::new()
            .backup_endpoint(base.as_str())
            .operation_endpoint(base.as_str())
            .iam_endpoint(base.as_str())
            .metadata_address(base.as_str())
            .credential(credential)
            .retry(fast_retry())
    }

    /// The demo OAuth token as `YC_TOKEN` (exchanged at the emulator's IAM API).
    fn environment(&self) -> Vec<(&'static str, String)> {
        vec![(crate::ENV_OAUTH_TOKEN, DEMO_OAUTH_TOKEN.to_owned())]
    }

    /// An IAM token as `YC_IAM_TOKEN` (valid [`EmulatorOptions::token_ttl`]).
    fn other_credentials(&self) -> Vec<(&'static str, String)> {
        vec![(crate::ENV_IAM_TOKEN, self.issue_iam_token())]
    }

    /// The backup, operation and IAM endpoints at the emulator.
    fn config(&self) -> Config {
        let url = self.url().to_string();
        Config {
            endpoint: Some(url.clone()),
            operation_endpoint: Some(url.clone()),
            iam_endpoint: Some(url),
        }
    }

    fn demo_request(&self) -> TriggerRequest {
        TriggerRequest::new(DEMO_POLICY_ID, DEMO_INSTANCE_ID)
    }

    fn demo_params(&self) -> TriggerParams {
        TriggerParams {
            policy: DEMO_POLICY_ID.to_owned(),
            instance: DEMO_INSTANCE_ID.to_owned(),
            idempotency_key: None,
        }
    }

    /// `FAILED_PRECONDITION` as the API reference's error example words it.
    fn vendor_error() -> (Fault, &'static str) {
        (
            Fault::Respond {
                status: 400,
                content_type: "application/json".to_owned(),
                body: r#"{"code":9,"message":"Policy is not applied to instance","details":[]}"#
                    .to_owned(),
            },
            "FAILED_PRECONDITION",
        )
    }
}

/// Millisecond backoffs, for tests against the emulator.
#[must_use]
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 5,
        base_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(50),
        budget: Duration::from_secs(10),
        jitter: false,
    }
}
