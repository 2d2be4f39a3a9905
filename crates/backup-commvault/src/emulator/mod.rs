//! A local, stateful fake of a CommServe's REST API, built from the *Run Backup Job*
//! document and the vendor notes (not from this crate's client), for tests and demos.
//!
//! It serves the API under both `/commandcenter/api/` and `/webconsole/api/`:
//!
//! | endpoint | behaviour |
//! |---|---|
//! | `GET {base}` | 200 (cvpysdk's service probe before `Commcell()` logs in) |
//! | `POST Login` | JSON `{username, password}` (cvpysdk's `mode`, `clientType` ignored) or XML `<DM2ContentIndexing_CheckCredentialReq username password/>`; the password must be base64 of the UTF-8 password. Success: `token` (`QSDK ...`), `userName`; failure: HTTP 200 with `errList` |
//! | `POST RenewLoginToken` | `{"sessionId": <token>, "deviceId"}` -> `{"token"}`; the old token ends. A token that expired by idleness is renewed (unless [`EmulatorOptions::renew_expired`] is off); an unknown or logged-out one gets the 401 |
//! | `POST Logout` | ends the session of the `Authtoken` header |
//! | `POST WhoAmI` (and `GET`) | `{"user": {"userName"}}` of the token (cvpysdk's login with an existing token) |
//! | `GET Client`, `Client/{id}`, `VSAClientAndClientGroupList`, `Agent`, `Instance`, `Instance/{id}`, `Backupset`, `Backupset/{id}`, `Subclient`, `Subclient/{id}`, `Schedules` | the lookups cvpysdk makes down to a subclient, from [`EmulatorOptions::subclients`] with the ids the emulator gives them (clients from 2, `File System` agent 33, `Cloud Apps` 134, `DefaultInstanceName` 1, backup sets from 10, subclients from 20); JSON only |
//! | `POST CreateTask` | XML `TMMsg_CreateTaskReq` or its JSON form, enums by name (`IMMEDIATE`, `BACKUP`) or number (cvpysdk: `taskType` 1, `subTaskType` 2, `operationType` 2), `backupLevel` in any case (`FULL`, `Full`, `Synthetic_full`); associations by names or `subclientId`; answers as `Accept` asks (else as sent). Strict: an unknown client or subclient (or instance, backup set, agent when named) gives the document's `TMMsg_GenericResp` "no eligible subclients" (errorCode 587207178); every error comes **with HTTP 200**; a `taskType` other than `IMMEDIATE` / `1` creates a schedule, answered with the `taskId` only |
//! | `POST Subclient/{id}/action/backup?backupLevel=Full` | cvpysdk's plain `subclient.backup()`: one job, `{"taskId", "jobIds"}` |
//! | `GET Job/{jobId}` | `{"jobs":[{"jobSummary":{...}}]}`: `Waiting` -> `Running` -> `Completed` (or `Failed` with `pendingReason` `Error Code: [19:1131]<br>Description: {reason}`, `Completed w/ one or more errors` with 2 failed files, `Killed`) per [`LifecycleSpec`], with sizes (1 MiB per percent), times (`jobStartTime` at submission, `lastUpdateTime`, `jobElapsedTime`) and the subclient's names and ids; an unknown job gives `{"totalRecordsWithoutPaging":0}` |
//! | `GET Job?clientId=&jobCategory=&completedJobLookupTime=&jobFilter=` | the backup jobs, newest first, filtered as the API reference says (without moving them) |
//! | `POST JobDetails` | `{"job": {"jobDetail": {generalInfo, detailInfo, progressInfo}}}` of `{"jobId": N}` (or the XML request); an unknown job gives `{"error": {"errList": [...]}}` |
//! | `POST Job/{jobId}/action/kill`, `pause`, `resume` | `{"errorCode":0}`, or a non-zero `errorCode` for a finished job |
//!
//! Every endpoint but Login checks `Authtoken: QSDK ...` (or `Authorization: Bearer`
//! with one of [`EmulatorOptions::access_tokens`]) and answers 401
//! `{"errorMessage":"Access denied","errorCode":5}` otherwise. Sessions expire after
//! [`EmulatorOptions::idle_timeout`] without use (Commvault: 30 minutes), or at once
//! with [`VendorEmulator::expire_tokens`].
//!
//! Faults ([`Faults`]) target the route classes: Login, RenewLoginToken, Logout and WhoAmI
//! are [`RouteClass::Auth`], CreateTask and the subclient backup action
//! [`RouteClass::Trigger`], `GET Job/{id}`, `GET Job` and `JobDetails` [`RouteClass::Poll`],
//! the job actions [`RouteClass::Control`], the probe and lookups [`RouteClass::Other`]. Error bodies of injected statuses are
//! Commvault's JSON `{errorMessage, errorCode}`.
//!
//! The [`VendorEmulator`] accessors (`url`, `faults`, `requests`, `accepted_backups`,
//! `token_requests`, `set_lifecycle`, `client_builder`, `demo_request` ...) come from
//! the trait: import it with `use backup_commvault::prelude::*;`.
//!
//! ```
//! use backup_commvault::emulator::Emulator;
//! use backup_commvault::prelude::*;
//! use backup_commvault::WaitOptions;
//! use std::time::Duration;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let emulator = Emulator::start().await?;
//! let client = emulator.client_builder().build()?;
//! for job in client.trigger(&emulator.demo_request()).await? {
//!     let done = client.wait(job, WaitOptions::every(Duration::from_millis(5))).await?;
//!     assert_eq!(done.vendor_status.as_deref(), Some("Completed"));
//! }
//! assert_eq!(emulator.accepted_backups(), 1);
//! # Ok(())
//! # }
//! ```

mod catalog;
mod entities;
mod handlers;
mod state;
mod wire;

use std::fmt;
use std::time::Duration;

use backup_core::RetryPolicy;
use backup_core::emulator::{
    EmulatorConfig, EmulatorServer, EmulatorShared, LoadOptions, VendorEmulator,
};
pub use backup_core::emulator::{Fault, Faults, LifecycleSpec, Outcome, RequestLog, RouteClass};
use http::{Method, StatusCode};
use url::Url;

use crate::{BackupLevel, Client, ClientBuilder, Config, TriggerParams, TriggerRequest};

/// The user the emulator accepts by default.
pub const DEMO_USERNAME: &str = "admin";
/// The password of [`DEMO_USERNAME`].
pub const DEMO_PASSWORD: &str = "emulator-password";
/// The Metallic access token accepted as `Authorization: Bearer` by default.
pub const DEMO_ACCESS_TOKEN: &str = "emulator-metallic-access-token";
/// The seeded client (the document's sample).
pub const DEMO_CLIENT: &str = "s-adhoc-object-storage";
/// The seeded instance.
pub const DEMO_INSTANCE: &str = "s-adhoc-object-storage";
/// The seeded backup set.
pub const DEMO_BACKUPSET: &str = "defaultBackupSet";
/// The seeded subclient (content group).
pub const DEMO_SUBCLIENT: &str = "stestgroup";
/// The seeded agent.
pub const DEMO_APP: &str = "Cloud Apps";
/// The seeded plan.
pub const DEMO_PLAN: &str = "default-plan";
/// The document's error code for "no eligible subclients".
pub const NO_ELIGIBLE_SUBCLIENTS_CODE: &str = "587207178";
/// The document's message for "no eligible subclients" (trailing space included).
pub const NO_ELIGIBLE_SUBCLIENTS_MESSAGE: &str =
    "Failed to start backups as no eligible subclients were found. ";
/// The ad-hoc directive file of the demo request (the document's sample).
pub const DEMO_DIRECTIVE_FILE: &str = "/sk/s-directive-file-blob.txt";
/// The seeded File System client (cvpysdk's `FileSystemSubclient` path: the real-client
/// tests back up its subclient [`DEMO_FS_SUBCLIENT`]).
pub const DEMO_FS_CLIENT: &str = "emulator-fs-client";
/// The subclient of [`DEMO_FS_CLIENT`], in `DefaultInstanceName` / `defaultBackupSet` of
/// its `File System` agent.
pub const DEMO_FS_SUBCLIENT: &str = "default";
/// The error code in the `pendingReason` of a failed emulated job
/// (`Error Code: [19:1131]<br>Description: {reason}`, the form of issue 15's example).
pub const FAILURE_ERROR_CODE: &str = "19:1131";

/// Retries with millisecond backoffs, for clients of the emulator.
#[must_use]
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
        budget: Duration::from_secs(5),
        jitter: false,
    }
}

/// A subclient the emulated CommServe knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmulatedSubclient {
    /// `clientName`.
    pub client_name: String,
    /// `instanceName`.
    pub instance_name: String,
    /// `backupsetName`.
    pub backupset_name: String,
    /// `subclientName`.
    pub subclient_name: String,
    /// `appName`.
    pub app_name: String,
}

impl EmulatedSubclient {
    /// A subclient in the default backup set of a `File System` agent.
    pub fn new(client_name: impl Into<String>, subclient_name: impl Into<String>) -> Self {
        Self {
            client_name: client_name.into(),
            instance_name: "DefaultInstanceName".to_owned(),
            backupset_name: DEMO_BACKUPSET.to_owned(),
            subclient_name: subclient_name.into(),
            app_name: "File System".to_owned(),
        }
    }

    /// The document's sample subclient.
    #[must_use]
    pub fn demo() -> Self {
        Self {
            client_name: DEMO_CLIENT.to_owned(),
            instance_name: DEMO_INSTANCE.to_owned(),
            backupset_name: DEMO_BACKUPSET.to_owned(),
            subclient_name: DEMO_SUBCLIENT.to_owned(),
            app_name: DEMO_APP.to_owned(),
        }
    }

    /// A request backing up this subclient, naming everything.
    #[must_use]
    pub fn backup_request(&self) -> TriggerRequest {
        TriggerRequest::new(&self.client_name, &self.subclient_name)
            .instance_name(&self.instance_name)
            .backupset_name(&self.backupset_name)
            .app_name(&self.app_name)
    }
}

/// How the emulator behaves.
#[derive(Clone)]
#[non_exhaustive]
pub struct EmulatorOptions {
    /// How each job started from now on unfolds (default: one poll `Waiting`, two
    /// `Running`, then `Completed`).
    pub lifecycle: LifecycleSpec,
    /// How long a session lives without use (default 30 minutes, as Commvault).
    pub idle_timeout: Duration,
    /// Whether `RenewLoginToken` renews a token that expired (default true).
    pub renew_expired: bool,
    /// The users and passwords Login accepts.
    pub users: Vec<(String, String)>,
    /// The Metallic access tokens accepted as `Authorization: Bearer`.
    pub access_tokens: Vec<String>,
    /// The subclients CreateTask accepts (by default the document's sample and
    /// [`DEMO_FS_SUBCLIENT`] of [`DEMO_FS_CLIENT`]); the lookups (`GET Client`, `Agent`,
    /// `Backupset`, `Subclient` ...) list them with the ids the emulator gives them.
    pub subclients: Vec<EmulatedSubclient>,
}

impl fmt::Debug for EmulatorOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorOptions")
            .field("lifecycle", &self.lifecycle)
            .field("idle_timeout", &self.idle_timeout)
            .field("renew_expired", &self.renew_expired)
            .field(
                "users",
                &self.users.iter().map(|(u, _)| u).collect::<Vec<_>>(),
            )
            .field("access_tokens", &self.access_tokens.len())
            .field("subclients", &self.subclients)
            .finish()
    }
}

impl Default for EmulatorOptions {
    fn default() -> Self {
        Self {
            lifecycle: LifecycleSpec::default(),
            idle_timeout: Duration::from_secs(30 * 60),
            renew_expired: true,
            users: vec![(DEMO_USERNAME.to_owned(), DEMO_PASSWORD.to_owned())],
            access_tokens: vec![DEMO_ACCESS_TOKEN.to_owned()],
            subclients: vec![
                EmulatedSubclient::demo(),
                EmulatedSubclient::new(DEMO_FS_CLIENT, DEMO_FS_SUBCLIENT),
            ],
        }
    }
}

impl EmulatorOptions {
    /// Sets the lifecycle of new jobs.
    #[must_use]
    pub fn lifecycle(mut self, spec: LifecycleSpec) -> Self {
        self.lifecycle = spec;
        self
    }

    /// Sets the idle timeout of sessions.
    #[must_use]
    pub fn idle_timeout(mut self, idle: Duration) -> Self {
        self.idle_timeout = idle;
        self
    }

    /// Sets whether expired tokens can be renewed.
    #[must_use]
    pub fn renew_expired(mut self, renew: bool) -> Self {
        self.renew_expired = renew;
        self
    }

    /// Adds a user.
    #[must_use]
    pub fn user(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.users.push((username.into(), password.into()));
        self
    }

    /// Adds a subclient.
    #[must_use]
    pub fn subclient(mut self, subclient: EmulatedSubclient) -> Self {
        self.subclients.push(subclient);
        self
    }
}

/// A running emulated CommServe. Dropping it stops it.
pub struct Emulator {
    server: EmulatorServer,
    state: state::State,
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("url", &self.url().as_str())
            .field("accepted_backups", &self.accepted_backups())
            .finish_non_exhaustive()
    }
}

fn classify(method: &Method, path: &str) -> RouteClass {
    let api = path
        .strip_prefix("/commandcenter/api/")
        .or_else(|| path.strip_prefix("/webconsole/api/"))
        .unwrap_or(path);
    match api {
        "Login" | "RenewLoginToken" | "Logout" | "WhoAmI" => RouteClass::Auth,
        "CreateTask" => RouteClass::Trigger,
        _ if api.starts_with("Subclient/") && api.ends_with("/action/backup") => {
            RouteClass::Trigger
        }
        _ if api.starts_with("Job/") && api.contains("/action/") => RouteClass::Control,
        "Job" | "JobDetails" => RouteClass::Poll,
        _ if api.starts_with("Job/") && method == Method::GET => RouteClass::Poll,
        _ => RouteClass::Other,
    }
}

fn error_body(status: StatusCode) -> (&'static str, String) {
    if status == StatusCode::UNAUTHORIZED {
        return ("application/json", handlers::ACCESS_DENIED.to_owned());
    }
    let reason = status.canonical_reason().unwrap_or("Error");
    let body = serde_json::json!({"errorMessage": reason, "errorCode": status.as_u16()});
    ("application/json", body.to_string())
}

impl Emulator {
    /// Starts an emulator with `options`.
    ///
    /// # Errors
    /// When no port can be bound.
    pub async fn start_with(options: EmulatorOptions) -> std::io::Result<Self> {
        let state = state::State::new(options);
        let config = EmulatorConfig::new(handlers::router(state.clone()))
            .classify(classify)
            .error_body(error_body)
            .shared(state.shared.clone());
        state.register_reset();
        let server = EmulatorServer::start(config).await?;
        Ok(Self { server, state })
    }

    /// The older API base: `http://127.0.0.1:PORT/webconsole/api/`.
    #[must_use]
    pub fn webconsole_url(&self) -> Url {
        let mut url = self.server.url();
        url.set_path("/webconsole/api/");
        url
    }

    /// How many tasks were created without a job (schedules).
    #[must_use]
    pub fn scheduled_tasks(&self) -> u64 {
        self.state.scheduled.get()
    }

    /// Successful logins.
    #[must_use]
    pub fn logins(&self) -> u64 {
        self.state.logins.get()
    }

    /// Successful token renewals.
    #[must_use]
    pub fn renewals(&self) -> u64 {
        self.state.renewals.get()
    }

    /// Successful logouts.
    #[must_use]
    pub fn logouts(&self) -> u64 {
        self.state.logouts.get()
    }

    /// Sessions open (not logged out, not replaced by a renewal).
    #[must_use]
    pub fn open_sessions(&self) -> usize {
        self.state.sessions()
    }
}

impl VendorEmulator for Emulator {
    type Client = Client;

    const TRIGGER_SUCCESS_STATUS: u16 = 200;

    async fn start() -> std::io::Result<Self> {
        Self::start_with(EmulatorOptions::default()).await
    }

    /// The demo subclient (a CommServe runs many jobs of one subclient at once, so
    /// [`VendorEmulator::load_request`] is the demo request), jobs unfolding as
    /// `lifecycle` says. Commvault sends no poll hint.
    async fn start_for_load(load: LoadOptions) -> std::io::Result<Self> {
        Self::start_with(EmulatorOptions::default().lifecycle(load.lifecycle)).await
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

    /// Expires every session and access token issued so far (the "expired token"
    /// fault); renewal still works for sessions unless
    /// [`EmulatorOptions::renew_expired`] is off.
    fn expire_tokens(&self) {
        self.state.expire_all();
    }

    /// The API base: `http://127.0.0.1:PORT/commandcenter/api/` (the older
    /// `/webconsole/api/` is [`Emulator::webconsole_url`]).
    fn url(&self) -> Url {
        let mut url = self.server.url();
        url.set_path("/commandcenter/api/");
        url
    }

    /// The endpoint `base` (a URL with only a host gets `/commandcenter/api/`), the
    /// demo user's credentials and millisecond retry backoffs ([`fast_retry`]).
    fn client_builder_at(&self, base: &Url) -> ClientBuilder {
        ClientBuilder::new()
            .endpoint(base.as_str())
            .username_password(DEMO_USERNAME, DEMO_PASSWORD.to_owned())
            .retry(fast_retry())
    }

    /// The demo user and password.
    fn environment(&self) -> Vec<(&'static str, String)> {
        vec![
            (crate::ENV_USERNAME, DEMO_USERNAME.to_owned()),
            (crate::ENV_PASSWORD, DEMO_PASSWORD.to_owned()),
        ]
    }

    /// The API base at the emulator as `COMMVAULT_API_URL`.
    fn settings_environment(&self) -> Vec<(&'static str, String)> {
        vec![(crate::ENV_API_URL, self.url().to_string())]
    }

    /// The API base at the emulator (`…/commandcenter/api/`).
    fn config(&self) -> Config {
        Config {
            endpoint: Some(self.url().to_string()),
            ..Config::default()
        }
    }

    /// The document's sample (incremental, ad hoc).
    fn demo_request(&self) -> TriggerRequest {
        EmulatedSubclient::demo()
            .backup_request()
            .storage_policy_name(DEMO_PLAN)
            .backup_level(BackupLevel::Incremental)
            .ad_hoc(DEMO_DIRECTIVE_FILE)
    }

    fn demo_params(&self) -> TriggerParams {
        TriggerParams {
            client: DEMO_CLIENT.to_owned(),
            instance: DEMO_INSTANCE.to_owned(),
            backupset: DEMO_BACKUPSET.to_owned(),
            subclient: DEMO_SUBCLIENT.to_owned(),
            app_name: DEMO_APP.to_owned(),
            storage_policy: Some(DEMO_PLAN.to_owned()),
            level: Some(BackupLevel::Incremental),
            directive_file: Some(DEMO_DIRECTIVE_FILE.into()),
        }
    }

    /// The document's error answer, in a 200: `TMMsg_GenericResp` "no eligible
    /// subclients", errorCode 587207178.
    fn vendor_error() -> (Fault, &'static str) {
        (
            Fault::Respond {
                status: 200,
                content_type: "application/xml".to_owned(),
                body: format!(
                    r#"<TMMsg_GenericResp errorMessage="{NO_ELIGIBLE_SUBCLIENTS_MESSAGE}" errorCode="{NO_ELIGIBLE_SUBCLIENTS_CODE}" />"#
                ),
            },
            NO_ELIGIBLE_SUBCLIENTS_CODE,
        )
    }
}
