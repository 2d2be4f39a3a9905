//! A stateful local fake of the Veeam Backup for Microsoft Azure REST API, for tests
//! and demos (feature `emulator`).
//!
//! Built from the vendor's document and notes, not from this crate's client:
//!
//! - `POST /api/oauth2/token` (form-encoded): `grant_type=Password` with
//!   [`EMULATOR_USERNAME`] / [`EMULATOR_PASSWORD`] gives an access token (valid
//!   [`EmulatorOptions::access_token_ttl`]) and a refresh token; `Refresh_token` spends
//!   the refresh token and gives a new pair (refresh tokens rotate); [`MFA_USERNAME`]
//!   gets an `mfa_token` instead of tokens. Wrong passwords are answered `401`, bad
//!   refresh tokens and unknown grant types `400`, all as problem+json.
//!   `DELETE /api/oauth2/token` logs out (`204`).
//! - `POST /api/v1/policies/{id}/start` (`200`) and
//!   `POST /api/{v6|v7|v8|v8.1}/policies/virtualMachines/{id}/start` (`202`): a list of
//!   job sessions, one or two per policy ([`DEMO_POLICY_ID`] gives a `PolicySnapshot`
//!   and a `PolicyBackup` session, [`SNAPSHOT_POLICY_ID`] only the snapshot). A policy
//!   whose sessions are still running answers `409` with `resourceId` and `sessionId`.
//!   Each accepted start counts once in
//!   [`accepted_backups`](VendorEmulator::accepted_backups).
//! - `GET /api/{v}/jobSessions/{id}`: each read moves the session along its
//!   [`LifecycleSpec`] (by default one read `Pending`, two `Running`, then `Success`;
//!   `Warning` and failures (`Error`) on demand, with `RunningWithWarning` /
//!   `RunningWithError` while running). Sessions carry `backupJobInfo.policyType`
//!   `VirtualMachines` (v6+, the v8.1 spec's `PolicyType`) and the policy's VM count.
//!   `GET .../log` gives `{jobSessionId, log: [...]}` (it does not move the session),
//!   with a `resourceHashId` on each VM's entries.
//! - What sessions made, as the v8.1 spec shapes it (none of these reads moves a
//!   session): `GET /api/{v}/jobSessions` (`PageOfJobSession`, filtered by `PolicyId`,
//!   `FromUtc`, `ToUtc`, `Status`, `Types`, paged by `Offset` / `Limit`),
//!   `GET .../jobSessions/{id}/protectedItems` (the policy's VMs with the session's run
//!   and, once it ended well, its `rates`) and, in v6+,
//!   `GET /api/{v}/restorePoints/virtualMachines` (`VirtualMachineId`, `OnlyLatest`):
//!   one restore point per VM of each session that ended with `Success` or `Warning`
//!   (snapshot sessions: `Snapshot`, the VM's data size; backup sessions: `AzureBlob`,
//!   half of it). `POST .../jobSessions/{id}/stop` (`204`) and
//!   `POST .../policies/.../{id}/stop` (`204`; v1 answers `200` with the sessions, as
//!   the document's example) stop sessions: `Canceling`, then `Canceled`.
//! - Every API call needs `Authorization: Bearer <access token>`: a missing, unknown or
//!   expired token is answered `401` with a problem body. Errors are RFC 7807
//!   problem+json with a `traceId`.
//!
//! Faults ([`faults`](VendorEmulator::faults)) target [`RouteClass`]es: `Auth` (token
//! grants), `Trigger` (policy start), `Poll` (session read), `Control` (stops); session
//! log reads, the lists, protected items, restore points and logout are `Other`.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use backup_core::emulator::{Fault, LifecycleSpec, RouteClass};
//! use backup_veeam::emulator::Emulator;
//! use backup_veeam::prelude::*;
//! use backup_veeam::{Error, OperationStatus, WaitOptions};
//!
//! let emulator = Emulator::start().await?;
//! emulator.set_lifecycle(LifecycleSpec::after_polls(1).failing("the VM was deleted"));
//! let client = emulator.client_builder().build()?;
//! let operations = client.trigger(&emulator.demo_request()).await?;
//! let wait = WaitOptions::every(Duration::from_millis(5));
//! match client.wait(operations[0].clone(), wait).await {
//!     Err(Error::OperationFailed(op)) => assert_eq!(op.status, OperationStatus::Failed),
//!     other => panic!("{other:?}"),
//! }
//! # Ok(())
//! # }
//! ```

mod lists;
mod problem;
mod produced;
mod routes;
mod state;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use backup_core::RetryPolicy;
use backup_core::emulator::{
    EmulatorConfig, EmulatorServer, EmulatorShared, LoadOptions, TokenIssuer,
};
pub use backup_core::emulator::{
    Fault, Faults, LifecycleSpec, Outcome, RequestLog, RouteClass, VendorEmulator,
};
use url::Url;

pub use problem::PROBLEM_CONTENT_TYPE;
use state::{Data, Instance, Policy, State};

use crate::model::SessionType;
use crate::version::ApiVersion;
use crate::{Client, ClientBuilder, Config, TriggerParams, TriggerRequest};

/// The policy of the document's example: one start gives a `PolicySnapshot` and a
/// `PolicyBackup` session.
pub const DEMO_POLICY_ID: &str = "4094906f-2d81-4a73-b9bc-00482690c285";
/// The name of [`DEMO_POLICY_ID`].
pub const DEMO_POLICY_NAME: &str = "Backup Policy";
/// A policy that only takes snapshots: one session per start.
pub const SNAPSHOT_POLICY_ID: &str = "7d1e3a52-0c8b-4f6e-9a21-53c0d9b8e114";
/// The name of [`SNAPSHOT_POLICY_ID`].
pub const SNAPSHOT_POLICY_NAME: &str = "Snapshot Policy";
/// The VMs [`DEMO_POLICY_ID`] protects: (id, name, data bytes).
pub const DEMO_POLICY_VMS: [(&str, &str, u64); 2] = [
    (
        "3c2f1e9a-6b1d-4a4e-9f62-0d8c5b7a1e01",
        "vm-web-01",
        12_884_901_888,
    ),
    (
        "3c2f1e9a-6b1d-4a4e-9f62-0d8c5b7a1e02",
        "vm-web-02",
        8_589_934_592,
    ),
];
/// The VM [`SNAPSHOT_POLICY_ID`] protects: (id, name, data bytes).
pub const SNAPSHOT_POLICY_VM: (&str, &str, u64) = (
    "3c2f1e9a-6b1d-4a4e-9f62-0d8c5b7a1e03",
    "vm-db-01",
    4_294_967_296,
);
/// The data size of the one VM of each policy [`Emulator::add_policy`] adds.
pub const ADDED_POLICY_VM_BYTES: u64 = 1_073_741_824;
/// The user the emulator accepts.
pub const EMULATOR_USERNAME: &str = "veeam-admin";
/// The password of [`EMULATOR_USERNAME`] and [`MFA_USERNAME`] (test-only, not a secret).
pub const EMULATOR_PASSWORD: &str = "emulator-password";
/// A user with MFA enabled: the password grant answers an `mfa_token`.
pub const MFA_USERNAME: &str = "mfa-admin";

/// How to run an [`Emulator`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct EmulatorOptions {
    /// The API versions served (default: all).
    pub versions: Vec<ApiVersion>,
    /// The version [`client_builder`](VendorEmulator::client_builder) configures
    /// (default v8.1).
    pub client_version: ApiVersion,
    /// How sessions started from now on unfold.
    pub lifecycle: LifecycleSpec,
    /// How long an access token is valid (default 60 minutes, as the appliance).
    pub access_token_ttl: Duration,
    /// How long a refresh token is valid (default 14 days).
    pub refresh_token_ttl: Duration,
}

impl Default for EmulatorOptions {
    fn default() -> Self {
        Self {
            versions: ApiVersion::ALL.to_vec(),
            client_version: ApiVersion::V8_1,
            lifecycle: LifecycleSpec::default(),
            access_token_ttl: Duration::from_secs(3600),
            refresh_token_ttl: Duration::from_secs(14 * 24 * 3600),
        }
    }
}

impl EmulatorOptions {
    /// The version [`client_builder`](VendorEmulator::client_builder) configures.
    #[must_use]
    pub fn client_version(mut self, version: ApiVersion) -> Self {
        self.client_version = version;
        self
    }

    /// The lifecycle of sessions.
    #[must_use]
    pub fn lifecycle(mut self, spec: LifecycleSpec) -> Self {
        self.lifecycle = spec;
        self
    }

    /// The access token lifetime.
    #[must_use]
    pub fn access_token_ttl(mut self, ttl: Duration) -> Self {
        self.access_token_ttl = ttl;
        self
    }

    /// The refresh token lifetime.
    #[must_use]
    pub fn refresh_token_ttl(mut self, ttl: Duration) -> Self {
        self.refresh_token_ttl = ttl;
        self
    }

    /// The versions served.
    #[must_use]
    pub fn versions(mut self, versions: &[ApiVersion]) -> Self {
        self.versions = versions.to_vec();
        self
    }
}

/// A running emulated appliance.
pub struct Emulator {
    server: EmulatorServer,
    state: State,
    client_version: ApiVersion,
}

impl std::fmt::Debug for Emulator {
    /// The URL and counters; never the tokens it issued.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("url", &self.server.url().as_str())
            .field("client_version", &self.client_version)
            .field("accepted_backups", &self.accepted_backups())
            .field("token_requests", &self.token_requests())
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// Starts an emulator with `options`.
    ///
    /// # Errors
    /// When no local port can be bound.
    pub async fn start_with(options: EmulatorOptions) -> std::io::Result<Self> {
        let mut policies = BTreeMap::new();
        let instance = |(id, name, data_bytes): (&str, &str, u64)| Instance {
            id: id.to_owned(),
            name: name.to_owned(),
            data_bytes,
        };
        policies.insert(
            DEMO_POLICY_ID.to_owned(),
            Policy {
                name: DEMO_POLICY_NAME.to_owned(),
                sessions: vec![SessionType::PolicySnapshot, SessionType::PolicyBackup],
                instances: DEMO_POLICY_VMS.into_iter().map(instance).collect(),
                started: Vec::new(),
            },
        );
        policies.insert(
            SNAPSHOT_POLICY_ID.to_owned(),
            Policy {
                name: SNAPSHOT_POLICY_NAME.to_owned(),
                sessions: vec![SessionType::PolicySnapshot],
                instances: vec![instance(SNAPSHOT_POLICY_VM)],
                started: Vec::new(),
            },
        );
        let state = State {
            data: Arc::new(Mutex::new(Data {
                policies,
                sessions: HashMap::new(),
                next_session: 13,
                pairs: HashMap::new(),
            })),
            access: TokenIssuer::new("eyJ.emu-access."),
            refresh: TokenIssuer::new("emu-refresh."),
            shared: EmulatorShared::new(options.lifecycle.clone()),
            versions: Arc::new(options.versions.clone()),
            access_ttl: options.access_token_ttl,
            refresh_ttl: options.refresh_token_ttl,
            username: Arc::from(EMULATOR_USERNAME),
            password: Arc::from(EMULATOR_PASSWORD),
            mfa_username: Arc::from(MFA_USERNAME),
        };
        let config = EmulatorConfig::new(routes::router(state.clone()))
            .classify(routes::classify)
            .error_body(problem::fault_body)
            .shared(state.shared.clone());
        // The control API's reset forgets every session and every policy's starts
        // (tokens stay valid; session ids keep rising).
        let data = Arc::downgrade(&state.data);
        state.shared.on_reset(move || {
            if let Some(data) = data.upgrade() {
                let mut data = data
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                data.sessions.clear();
                for policy in data.policies.values_mut() {
                    policy.started.clear();
                }
            }
        });
        let server = EmulatorServer::start(config).await?;
        Ok(Self {
            server,
            state,
            client_version: options.client_version,
        })
    }

    /// How many access tokens were issued.
    #[must_use]
    pub fn tokens_issued(&self) -> usize {
        self.state.access.issued()
    }

    /// Expires every refresh token issued so far (the next refresh grant fails).
    pub fn expire_refresh_tokens(&self) {
        self.state.refresh.expire_all();
    }

    /// Adds a policy whose starts create sessions of `sessions` types (one or more),
    /// protecting one VM (`vm-<name>`, [`ADDED_POLICY_VM_BYTES`] of data) whose id
    /// [`Emulator::policy_vm_ids`] gives.
    pub fn add_policy(&self, id: &str, name: &str, sessions: &[SessionTypeChoice]) {
        let sessions = sessions
            .iter()
            .map(|choice| match choice {
                SessionTypeChoice::Snapshot => SessionType::PolicySnapshot,
                SessionTypeChoice::Backup => SessionType::PolicyBackup,
            })
            .collect();
        let mut data = self.state.lock();
        let number = data.policies.len();
        data.policies.insert(
            id.to_owned(),
            Policy {
                name: name.to_owned(),
                sessions,
                instances: vec![Instance {
                    id: format!("9d0c4b2e-0000-4000-8000-{number:012x}"),
                    name: format!("vm-{}", name.to_ascii_lowercase().replace(' ', "-")),
                    data_bytes: ADDED_POLICY_VM_BYTES,
                }],
                started: Vec::new(),
            },
        );
    }

    /// The ids of the VMs policy `policy_id` protects (empty for an unknown policy).
    #[must_use]
    pub fn policy_vm_ids(&self, policy_id: &str) -> Vec<String> {
        self.state
            .lock()
            .policies
            .get(policy_id)
            .map(|p| p.instances.iter().map(|vm| vm.id.clone()).collect())
            .unwrap_or_default()
    }

    /// The status word a session shows now (without moving it), if it exists.
    #[must_use]
    pub fn session_status(&self, session_id: &str) -> Option<String> {
        let data = self.state.lock();
        let session = data.sessions.get(session_id)?;
        Some(
            state::status_word(&session.lifecycle.peek(), &session.lifecycle.spec().outcome)
                .to_owned(),
        )
    }
}

/// The policy of load target `i` of [`VendorEmulator::start_for_load`].
fn load_policy(i: usize) -> String {
    format!("00000000-0000-4000-8000-{i:012}")
}

impl VendorEmulator for Emulator {
    type Client = Client;

    /// Current appliances answer a start `202` (v1: `200`).
    const TRIGGER_SUCCESS_STATUS: u16 = 202;

    /// Starts an emulator with [`EmulatorOptions::default`] on a free local port.
    async fn start() -> std::io::Result<Self> {
        Self::start_with(EmulatorOptions::default()).await
    }

    /// The demo policies plus `targets` policies that start one `PolicyBackup` session
    /// each (a policy whose sessions still run answers `409`); sessions unfold as
    /// `lifecycle` says. Veeam sends no poll hint.
    async fn start_for_load(load: LoadOptions) -> std::io::Result<Self> {
        let emulator =
            Self::start_with(EmulatorOptions::default().lifecycle(load.lifecycle)).await?;
        for i in 0..load.targets {
            emulator.add_policy(
                &load_policy(i),
                &format!("Load policy {i}"),
                &[SessionTypeChoice::Backup],
            );
        }
        Ok(emulator)
    }

    /// A start of load policy `i` (one session).
    fn load_request(&self, i: usize) -> TriggerRequest {
        TriggerRequest::new(load_policy(i))
    }

    /// [`VendorEmulator::load_request`]`(i)` as flat parameters: load policy `i`.
    fn load_params(&self, i: usize) -> TriggerParams {
        TriggerParams {
            policy: load_policy(i),
        }
    }

    fn server(&self) -> &EmulatorServer {
        &self.server
    }

    fn into_server(self) -> EmulatorServer {
        self.server
    }

    fn shared(&self) -> &EmulatorShared {
        &self.state.shared
    }

    /// Expires every access token issued so far (refresh tokens stay valid).
    fn expire_tokens(&self) {
        self.state.access.expire_all();
    }

    /// The appliance at `base`, the demo user, the configured API version and a retry
    /// policy with millisecond backoffs.
    fn client_builder_at(&self, base: &Url) -> ClientBuilder {
        ClientBuilder::new()
            .endpoint(base.as_str())
            .password(EMULATOR_USERNAME, EMULATOR_PASSWORD)
            .api_version(self.client_version)
            .retry(RetryPolicy {
                max_attempts: 4,
                base_backoff: Duration::from_millis(5),
                max_backoff: Duration::from_millis(50),
                budget: Duration::from_secs(10),
                jitter: false,
            })
    }

    /// The emulator's user and password (the password grant).
    fn environment(&self) -> Vec<(&'static str, String)> {
        vec![
            (crate::ENV_USERNAME, EMULATOR_USERNAME.to_owned()),
            (crate::ENV_PASSWORD, EMULATOR_PASSWORD.to_owned()),
        ]
    }

    /// The appliance as `VEEAM_URL` and the API version as `VEEAM_API_VERSION`.
    fn settings_environment(&self) -> Vec<(&'static str, String)> {
        vec![
            (crate::ENV_URL, self.url().to_string()),
            (
                crate::ENV_API_VERSION,
                self.client_version.as_str().to_owned(),
            ),
        ]
    }

    /// The appliance at the emulator, in the API version it speaks.
    fn config(&self) -> Config {
        Config {
            endpoint: Some(self.url().to_string()),
            api_version: Some(self.client_version),
            ..Config::default()
        }
    }

    /// [`DEMO_POLICY_ID`]: two sessions.
    fn demo_request(&self) -> TriggerRequest {
        TriggerRequest::new(DEMO_POLICY_ID)
    }

    fn demo_params(&self) -> TriggerParams {
        TriggerParams {
            policy: DEMO_POLICY_ID.to_owned(),
        }
    }

    /// A `400` problem with validation `errors`, as the notes show it; Veeam's problem
    /// details carry no code of their own: the `type` is it.
    fn vendor_error() -> (Fault, &'static str) {
        (
            Fault::Respond {
                status: 400,
                content_type: "application/problem+json".to_owned(),
                body: r#"{"type":"https://tools.ietf.org/html/rfc7231#section-6.5.1","title":"One or more validation errors occurred.","status":400,"traceId":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00","errors":{"policyId":["The value is not valid."]}}"#.to_owned(),
            },
            "https://tools.ietf.org/html/rfc7231#section-6.5.1",
        )
    }
}

/// The session types [`Emulator::add_policy`] can create.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionTypeChoice {
    /// A `PolicySnapshot` session.
    Snapshot,
    /// A `PolicyBackup` session.
    Backup,
}
