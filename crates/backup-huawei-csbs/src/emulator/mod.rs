//! A local fake of CSBS and IAM, built from Huawei's documents (not from this
//! crate's client), for tests, demos and benchmarks.
//!
//! It serves, on one local port:
//!
//! - `POST /v3/auth/tokens` (IAM): password identity with project scope; the token in
//!   `X-Subject-Token`, `token.expires_at` in the body (24 h by default);
//! - `POST /v1/{project_id}/providers/{provider_id}/checkpoints`: checks the body as
//!   documented (`checkpoint.plan_id` and `checkpoint.parameters` mandatory,
//!   `resources` among the policy's), answers `CSBS.1001` (HTTP 500, "The policy is
//!   executing backup.") while a backup of the policy runs, else creates one
//!   checkpoint item per resource and answers as the document's example does (with a
//!   properly escaped `extra_info`);
//! - `GET /v1/{project_id}/checkpoint_items`: the items, filtered by the reference's
//!   `checkpoint_id`, `policy_id`, `start_time`, `end_time`, `resource_id` and `status`
//!   ("Querying All Backups"; other filters are ignored), each checkpoint's hidden from
//!   its first [`EmulatorOptions::hidden_list_calls`] list calls (as right after
//!   creation);
//! - `GET /v1/{project_id}/checkpoint_items/{item_id}`: each read moves the item along
//!   its [`LifecycleSpec`]: `waiting_protect` -> `protecting` (with `progress`) ->
//!   `available`, or `error` with `fail_reason` (and `fail_code` for
//!   [`Emulator::fail_resource`]).
//!
//! Items carry the fields of "Querying a Single Backup": `extend_info.auto_trigger` (the
//! create request's), `resource_name`, `taskid`, `finished_at`, and once `available` a
//! `size` (MB) that is the sum of its `volume_backups` (one per disk of the server).
//!
//! Every CSBS request must carry a valid `X-Auth-Token` or an AK/SK
//! `SDK-HMAC-SHA256` signature, checked by the emulator's own implementation of the
//! algorithm: a wrong signature, an `X-Sdk-Date` more than 15 minutes off, an unsigned
//! `host` header, or a missing/unsigned security token for temporary keys is refused
//! with 401 `{"error_code": "APIGW.0301", "error_msg": "Incorrect IAM authentication
//! information: ..."}`; an expired token with 401 `APIGW.0307`.
//!
//! Codes the documents do not give are the emulator's choice: `CSBS.9001` (the
//! documented "parameter check" code) for invalid bodies, unknown policies and items,
//! and a foreign project; `APIGW.0101` for unknown paths; injected faults use
//! [`fault_body`].
//!
//! # Example
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use backup_core::emulator::{Fault, RouteClass};
//! use backup_huawei_csbs::emulator::Emulator;
//! use backup_huawei_csbs::prelude::*;
//! use backup_huawei_csbs::{OperationStatus, WaitOptions};
//!
//! let emulator = Emulator::start().await?;
//! // The first trigger is throttled; the client retries it after the hint.
//! emulator
//!     .faults()
//!     .inject(RouteClass::Trigger, Fault::retry_after(429, Duration::ZERO));
//! let client = emulator.client_builder().build()?;
//! for operation in client.trigger(&emulator.demo_request()).await? {
//!     let done = client.wait(operation, WaitOptions::every(Duration::from_millis(5))).await?;
//!     assert_eq!(done.status, OperationStatus::Succeeded);
//! }
//! assert_eq!(emulator.accepted_backups(), 1);
//! # Ok(())
//! # }
//! ```

mod authn;
mod handlers;
mod iam;
mod reply;
mod signature;
mod state;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use backup_core::RetryPolicy;
use backup_core::emulator::{
    EmulatorConfig, EmulatorServer, EmulatorShared, Fault, LifecycleSpec, LoadOptions, RouteClass,
    TokenIssuer, VendorEmulator,
};
use http::Method;
use url::Url;

pub use reply::fault_body;

use crate::auth::{AkSk, IamPassword};
use crate::{Client, ClientBuilder, Config, TriggerParams, TriggerRequest};
use signature::KeyPair;
use state::{EmuState, Plan, PlanResource, Store};

/// The project the emulator serves (the document's example project).
pub const DEMO_PROJECT_ID: &str = "b942cc8342734d15bcb246babb1953cf";
/// The project's name (for IAM scopes by name).
pub const DEMO_PROJECT_NAME: &str = "cn-north-4";
/// The backup policy it knows (the document's example request's `plan_id`).
pub const DEMO_PLAN_ID: &str = "62171999-3df1-42f7-9513-6f9b1bea4744";
/// The policy's name.
pub const DEMO_PLAN_NAME: &str = "backup";
/// The servers the policy protects (the document's example request's `resources`).
pub const DEMO_RESOURCES: [&str; 2] = [
    "7a32a8b5-7977-4e24-b5da-e0eb457db75b",
    "b2b433bf-7dd6-4a74-aa8f-85673dfbda48",
];
/// A second policy with a single server.
pub const DEMO_SINGLE_PLAN_ID: &str = "6a6cda7e-7b89-4b14-8e5c-3b6821a97d2c";
/// The single policy's server (the document's example response's resource).
pub const DEMO_SINGLE_RESOURCE: &str = "1c960fe4-e679-421a-97cd-4f7463d2344b";
/// The permanent access key it accepts (test-only credentials).
pub const DEMO_ACCESS_KEY: &str = "EMULATORACCESSKEY001";
/// Its secret key.
pub const DEMO_SECRET_KEY: &str = "emulator-secret-key-for-tests-only";
/// A temporary access key (needs [`DEMO_SECURITY_TOKEN`]).
pub const DEMO_TEMP_ACCESS_KEY: &str = "EMULATORTEMPORARYAK1";
/// Its secret key.
pub const DEMO_TEMP_SECRET_KEY: &str = "emulator-temporary-secret-key";
/// The security token that must come, signed, with [`DEMO_TEMP_ACCESS_KEY`].
pub const DEMO_SECURITY_TOKEN: &str = "emulator-security-token";
/// The IAM user it accepts.
pub const DEMO_USER: &str = "emulator-user";
/// The user's password.
pub const DEMO_PASSWORD: &str = "emulator-password";
/// The user's account (domain).
pub const DEMO_DOMAIN: &str = "emulator-domain";

/// How to run an [`Emulator`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmulatorOptions {
    /// How backups started from now on unfold (default: one poll waiting, one
    /// protecting, then available).
    pub lifecycle: LifecycleSpec,
    /// How many `checkpoint_items` list calls of a new checkpoint see no item yet
    /// (default 1).
    pub hidden_list_calls: u32,
    /// How long IAM tokens live (default 24 h).
    pub token_ttl: Duration,
    /// The largest `X-Sdk-Date` skew accepted (default 15 minutes).
    pub max_clock_skew: Duration,
    /// Backup policies served besides the demo ones: `(plan id, resource ids)` (default
    /// none). CSBS refuses a second backup of a policy still running, so many backups
    /// at once (the benchmarks) need many policies.
    pub extra_plans: Vec<(String, Vec<String>)>,
}

impl Default for EmulatorOptions {
    fn default() -> Self {
        Self {
            lifecycle: LifecycleSpec::after_polls(1).queued_for(1),
            hidden_list_calls: 1,
            token_ttl: Duration::from_secs(24 * 3600),
            max_clock_skew: Duration::from_secs(15 * 60),
            extra_plans: Vec::new(),
        }
    }
}

/// A running CSBS + IAM emulator.
pub struct Emulator {
    server: EmulatorServer,
    state: Arc<EmuState>,
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
    if path == "/v3/auth/tokens" {
        RouteClass::Auth
    } else if method == Method::POST && path.ends_with("/checkpoints") {
        RouteClass::Trigger
    } else if method == Method::GET && path.contains("/checkpoint_items") {
        RouteClass::Poll
    } else {
        RouteClass::Other
    }
}

impl Emulator {
    /// Starts an emulator with `options`.
    ///
    /// # Errors
    /// When no local port can be bound.
    pub async fn start_with(options: EmulatorOptions) -> std::io::Result<Self> {
        let mut keys = HashMap::new();
        keys.insert(
            DEMO_ACCESS_KEY.to_owned(),
            KeyPair {
                secret_key: DEMO_SECRET_KEY.to_owned(),
                security_token: None,
            },
        );
        keys.insert(
            DEMO_TEMP_ACCESS_KEY.to_owned(),
            KeyPair {
                secret_key: DEMO_TEMP_SECRET_KEY.to_owned(),
                security_token: Some(DEMO_SECURITY_TOKEN.to_owned()),
            },
        );
        let mut plans = HashMap::new();
        plans.insert(
            DEMO_PLAN_ID.to_owned(),
            Plan {
                name: DEMO_PLAN_NAME.to_owned(),
                resources: vec![
                    PlanResource::server(DEMO_RESOURCES[0], "server0").with_disk(
                        "server0-data",
                        100,
                        30_720,
                    ),
                    PlanResource::server(DEMO_RESOURCES[1], "server1"),
                ],
            },
        );
        plans.insert(
            DEMO_SINGLE_PLAN_ID.to_owned(),
            Plan {
                name: "single".to_owned(),
                resources: vec![PlanResource::server(DEMO_SINGLE_RESOURCE, "server0")],
            },
        );
        for (plan_id, resources) in &options.extra_plans {
            plans.insert(
                plan_id.clone(),
                Plan {
                    name: format!("plan-{plan_id}"),
                    resources: resources
                        .iter()
                        .enumerate()
                        .map(|(index, id)| PlanResource::server(id, format!("server{index}")))
                        .collect(),
                },
            );
        }
        let state = Arc::new(EmuState {
            project_id: DEMO_PROJECT_ID.to_owned(),
            project_name: DEMO_PROJECT_NAME.to_owned(),
            keys,
            user: (
                DEMO_USER.to_owned(),
                DEMO_PASSWORD.to_owned(),
                DEMO_DOMAIN.to_owned(),
            ),
            plans,
            tokens: TokenIssuer::new("MIIemu"),
            token_ttl: options.token_ttl,
            max_skew: options.max_clock_skew,
            hidden_list_calls: options.hidden_list_calls,
            shared: EmulatorShared::new(options.lifecycle),
            store: Mutex::new(Store::default()),
        });
        let router = Router::new()
            .route("/v3/auth/tokens", post(iam::issue_token))
            .route(
                "/v1/{project_id}/providers/{provider_id}/checkpoints",
                post(handlers::create_checkpoint),
            )
            .route(
                "/v1/{project_id}/checkpoint_items",
                get(handlers::list_items),
            )
            .route(
                "/v1/{project_id}/checkpoint_items/{item_id}",
                get(handlers::get_item),
            )
            .fallback(handlers::not_found)
            .with_state(Arc::clone(&state));
        let config = EmulatorConfig::new(router)
            .classify(classify)
            .error_body(fault_body)
            .shared(state.shared.clone());
        // The control API's reset forgets checkpoints, their items and the failures set
        // with `fail_resource` (tokens stay valid).
        let weak = Arc::downgrade(&state);
        state.shared.on_reset(move || {
            if let Some(state) = weak.upgrade() {
                *state.store() = Store::default();
            }
        });
        let server = EmulatorServer::start(config).await?;
        Ok(Self { server, state })
    }

    /// Makes the backups of `resource_id` started from now on end in `error` with
    /// `fail_code {"Code": code, "Description": reason}` (or `{}` without a code) and
    /// `fail_reason: reason`.
    pub fn fail_resource(&self, resource_id: &str, code: Option<&str>, reason: &str) {
        self.state.store().failing_resources.insert(
            resource_id.to_owned(),
            (code.map(str::to_owned), reason.to_owned()),
        );
    }

    /// Like [`client_builder`](VendorEmulator::client_builder), with temporary AK/SK
    /// and security token.
    #[must_use]
    pub fn client_builder_temporary(&self) -> ClientBuilder {
        Self::bare_builder(&self.url()).credential(
            AkSk::new(DEMO_TEMP_ACCESS_KEY, DEMO_TEMP_SECRET_KEY)
                .with_security_token(DEMO_SECURITY_TOKEN),
        )
    }

    /// Like [`client_builder`](VendorEmulator::client_builder), with the IAM user's
    /// password (token flow).
    #[must_use]
    pub fn client_builder_password(&self) -> ClientBuilder {
        Self::bare_builder(&self.url()).credential(IamPassword::new(
            DEMO_USER,
            DEMO_PASSWORD,
            DEMO_DOMAIN,
        ))
    }

    /// Every endpoint (CSBS and IAM) at `base`, the demo project, no credential, and
    /// a retry policy with millisecond backoffs.
    fn bare_builder(base: &Url) -> ClientBuilder {
        ClientBuilder::new()
            .endpoint(base.as_str())
            .iam_endpoint(base.as_str())
            .project_id(DEMO_PROJECT_ID)
            .retry(RetryPolicy {
                max_attempts: 4,
                base_backoff: Duration::from_millis(5),
                max_backoff: Duration::from_millis(50),
                budget: Duration::from_secs(10),
                jitter: false,
            })
            .request_timeout(Duration::from_secs(10))
    }
}

/// The policy of load target `i` of [`VendorEmulator::start_for_load`].
fn load_plan(i: usize) -> String {
    format!("00000000-0000-4000-8000-{i:012}")
}

/// The one server of [`load_plan`]`(i)`.
fn load_resource(i: usize) -> String {
    format!("10000000-0000-4000-8000-{i:012}")
}

impl VendorEmulator for Emulator {
    type Client = Client;

    const TRIGGER_SUCCESS_STATUS: u16 = 200;

    /// Starts an emulator with [`EmulatorOptions::default`].
    async fn start() -> std::io::Result<Self> {
        Self::start_with(EmulatorOptions::default()).await
    }

    /// The demo policies plus `targets` policies of one server each
    /// ([`EmulatorOptions::extra_plans`]: CSBS refuses a second backup of a policy still
    /// running); backups unfold as `lifecycle` says. CSBS sends no poll hint.
    async fn start_for_load(load: LoadOptions) -> std::io::Result<Self> {
        Self::start_with(EmulatorOptions {
            lifecycle: load.lifecycle,
            extra_plans: (0..load.targets)
                .map(|i| (load_plan(i), vec![load_resource(i)]))
                .collect(),
            ..EmulatorOptions::default()
        })
        .await
    }

    /// A checkpoint of load policy `i`.
    fn load_request(&self, i: usize) -> TriggerRequest {
        TriggerRequest::new(load_plan(i))
    }

    /// [`VendorEmulator::load_request`]`(i)` as flat parameters: load policy `i`.
    fn load_params(&self, i: usize) -> TriggerParams {
        TriggerParams {
            plan: load_plan(i),
            ..self.demo_params()
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

    /// Expires every IAM token issued so far (the next use gets 401 `APIGW.0307`).
    fn expire_tokens(&self) {
        self.state.tokens.expire_all();
    }

    /// Every endpoint (CSBS and IAM) at `base`, the demo project, the permanent AK/SK
    /// and a fast retry policy.
    fn client_builder_at(&self, base: &Url) -> ClientBuilder {
        Self::bare_builder(base).credential(AkSk::new(DEMO_ACCESS_KEY, DEMO_SECRET_KEY))
    }

    /// AK/SK signs each request and has no token to expire: the IAM user's password
    /// instead ([`Emulator::client_builder_password`]).
    fn token_client_builder(&self) -> ClientBuilder {
        self.client_builder_password()
    }

    /// The demo access key and secret key.
    fn environment(&self) -> Vec<(&'static str, String)> {
        vec![
            (crate::ENV_AK, DEMO_ACCESS_KEY.to_owned()),
            (crate::ENV_SK, DEMO_SECRET_KEY.to_owned()),
        ]
    }

    /// The demo project as `HUAWEICLOUD_SDK_PROJECT_ID`.
    fn settings_environment(&self) -> Vec<(&'static str, String)> {
        vec![(crate::ENV_PROJECT_ID, DEMO_PROJECT_ID.to_owned())]
    }

    /// The CSBS and IAM endpoints at the emulator, and the demo project (a setting,
    /// not a secret: every reference carries it).
    fn config(&self) -> Config {
        let url = self.url().to_string();
        Config {
            endpoint: Some(url.clone()),
            iam_endpoint: Some(url),
            project_id: Some(DEMO_PROJECT_ID.to_owned()),
            ..Config::default()
        }
    }

    /// The demo policy, both of its servers.
    fn demo_request(&self) -> TriggerRequest {
        TriggerRequest::new(DEMO_PLAN_ID)
    }

    fn demo_params(&self) -> TriggerParams {
        TriggerParams {
            plan: DEMO_PLAN_ID.to_owned(),
            resources: Vec::new(),
            auto_trigger: false,
        }
    }

    /// `CSBS.1001` as the CSBS error code page words it (HTTP 500).
    fn vendor_error() -> (Fault, &'static str) {
        (
            Fault::Respond {
                status: 500,
                content_type: "application/json".to_owned(),
                body: r#"{"error_code":"CSBS.1001","error_msg":"The policy is executing backup."}"#
                    .to_owned(),
            },
            crate::error::POLICY_EXECUTING,
        )
    }
}
