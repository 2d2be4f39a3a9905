//! [`Client`] (the [`BackupClient`] of Veeam Backup for Microsoft Azure: start
//! policies, read, stop and wait for job sessions), its extras (session logs, stopping
//! policies, logout) and [`ClientBuilder`].

mod builder;
mod follow;

use std::fmt;
use std::sync::Arc;

use backup_core::auth::TokenAuth;
use backup_core::contract::{BackupClient, EnvVar, Recovered};
use backup_core::transport::ErrorDecoder;
use backup_core::{Error, Operation, OperationRef, Request, Result, Transport, WaitOptions, path};
use http::{Method, StatusCode};
use url::Url;

pub use builder::{
    ClientBuilder, ENV_ACCESS_TOKEN, ENV_API_VERSION, ENV_PASSWORD, ENV_URL, ENV_USERNAME,
    ENVIRONMENT,
};
pub use follow::RECOVERY_CLOCK_SKEW;

use crate::auth::PasswordGrant;
use crate::error::ApiErrors;
use crate::model::{JobSession, SessionLog, SessionStatus, TriggerRequest};
use crate::operation::{parse_reference, parse_reference_id, to_operation, to_operation_with_log};
use crate::version::ApiVersion;
use crate::{Config, TriggerParams, VENDOR};

/// A client of one Veeam Backup for Microsoft Azure appliance. Cheap to clone.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    transport: Transport,
    base: Url,
    version: ApiVersion,
    auth: TokenAuth,
    password_grant: Option<Arc<PasswordGrant>>,
    fetch_log: bool,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.inner.base.as_str())
            .field("api_version", &self.inner.version)
            .field(
                "credential",
                &if self.inner.password_grant.is_some() {
                    "password"
                } else {
                    "access token"
                },
            )
            .field("transport", &self.inner.transport)
            .finish_non_exhaustive()
    }
}

/// What starting a policy gave: its job sessions, or the session it attached to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PolicyStart {
    /// The API version the sessions are read through.
    pub api_version: ApiVersion,
    /// The job sessions (the document's example: a `PolicySnapshot` and a
    /// `PolicyBackup` session). Never empty.
    pub sessions: Vec<JobSession>,
    /// Set when the policy was already running: the appliance answered `409` naming
    /// this session, nothing new was started, and `sessions` holds that session.
    pub attached_to: Option<String>,
    /// The request id of the answer.
    pub request_id: Option<String>,
}

impl PolicyStart {
    /// Whether the policy was already running and the client attached to its session.
    #[must_use]
    pub fn attached(&self) -> bool {
        self.attached_to.is_some()
    }

    /// One operation per session. When attached, the message says so
    /// (`attached to running session N: ...`).
    #[must_use]
    pub fn operations(&self) -> Vec<Operation> {
        self.sessions
            .iter()
            .map(|session| {
                let message = self.attached_to.as_ref().map(|id| {
                    format!(
                        "attached to running session {id}: the policy was already running, nothing new was started"
                    )
                });
                to_operation(self.api_version, session, message)
            })
            .collect()
    }
}

impl Client {
    /// The configured API version.
    #[must_use]
    pub fn api_version(&self) -> ApiVersion {
        self.inner.version
    }

    /// The password grant behind the client, when it logs in with a password (its
    /// counters show how many grants were sent).
    #[must_use]
    pub fn password_grant(&self) -> Option<&PasswordGrant> {
        self.inner.password_grant.as_deref()
    }

    fn url(&self, segments: &[&str]) -> Result<Url> {
        path::join_segments(VENDOR, &self.inner.base, segments)
    }

    /// Starts a policy: `POST /api/v1/policies/{id}/start` (v1, `200`) or
    /// `POST /api/{v}/policies/virtualMachines/{id}/start` (v6+, `202`).
    ///
    /// A `409` naming the running session (`sessionId`) is not an error: the session
    /// is read and returned with [`PolicyStart::attached_to`] set.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an empty or malformed id (nothing sent);
    /// [`Error::OutcomeUnknown`] when the start was sent and no usable answer came;
    /// [`Error::Api`] / [`Error::Auth`] for refusals.
    pub async fn start_policy(&self, request: &TriggerRequest) -> Result<PolicyStart> {
        let policy_id = request.policy_id.as_str();
        path::validate_id(VENDOR, "policy_id", policy_id)?;
        let version = self.inner.version;
        let url = self.url(&version.policy_segments(policy_id, "start"))?;
        let request = Request::post(VENDOR, url)
            .header_static("accept", "application/json")
            .trigger(format!("start policy {policy_id}"))
            .accept_status(StatusCode::CONFLICT);
        let response = self.inner.transport.send(request, &self.inner.auth).await?;
        if response.status == StatusCode::CONFLICT {
            return self.attach(&response).await;
        }
        let sessions: Vec<JobSession> = response.json()?;
        if sessions.is_empty() {
            return Err(response.undecodable("the answer lists no job session"));
        }
        Ok(PolicyStart {
            api_version: version,
            sessions,
            attached_to: None,
            request_id: response.request_id.clone(),
        })
    }

    /// The policy is already running: read the session the 409 names.
    async fn attach(&self, response: &backup_core::Response) -> Result<PolicyStart> {
        let session_id = ApiErrors::problem(response)
            .and_then(|problem| problem.session_id)
            .filter(|id| path::validate_id(VENDOR, "session_id", id).is_ok());
        let Some(session_id) = session_id else {
            return Err(Error::Api(Box::new(ApiErrors.decode_error(response))));
        };
        let session = match self.session(&session_id).await {
            Ok(session) => session,
            Err(error) => {
                tracing::debug!(vendor = VENDOR, %error, "cannot read the running session yet; following it by id");
                JobSession {
                    id: session_id.clone(),
                    status: SessionStatus::Running,
                    ..JobSession::default()
                }
            }
        };
        tracing::info!(vendor = VENDOR, session = %session_id, "policy already running; attached to its session");
        Ok(PolicyStart {
            api_version: self.inner.version,
            sessions: vec![session],
            attached_to: Some(session_id),
            request_id: response.request_id.clone(),
        })
    }

    /// Reads a job session: `GET /api/{v}/jobSessions/{id}`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`], [`Error::Api`], [`Error::Decode`] ...
    pub async fn session(&self, session_id: &str) -> Result<JobSession> {
        self.get_session(self.inner.version, session_id).await
    }

    async fn get_session(&self, version: ApiVersion, session_id: &str) -> Result<JobSession> {
        path::validate_id(VENDOR, "session_id", session_id)?;
        let url = self.url(&version.session_segments(session_id, None))?;
        let request = Request::get(VENDOR, url)
            .header_static("accept", "application/json")
            .action(format!("read job session {session_id}"));
        self.inner
            .transport
            .send(request, &self.inner.auth)
            .await?
            .json()
    }

    /// Reads a session's log: `GET /api/{v}/jobSessions/{id}/log`.
    ///
    /// # Errors
    /// As [`Client::session`].
    pub async fn session_log(&self, session_id: &str) -> Result<SessionLog> {
        self.get_log(self.inner.version, session_id).await
    }

    async fn get_log(&self, version: ApiVersion, session_id: &str) -> Result<SessionLog> {
        path::validate_id(VENDOR, "session_id", session_id)?;
        let url = self.url(&version.session_segments(session_id, Some("log")))?;
        let request = Request::get(VENDOR, url)
            .header_static("accept", "application/json")
            .action(format!("read the log of job session {session_id}"));
        self.inner
            .transport
            .send(request, &self.inner.auth)
            .await?
            .json()
    }

    /// Stops a job session: `POST /api/{v}/jobSessions/{id}/stop` (`204`).
    ///
    /// # Errors
    /// [`Error::InvalidInput`], [`Error::Api`] ...
    pub async fn stop_session(&self, session_id: &str) -> Result<()> {
        path::validate_id(VENDOR, "session_id", session_id)?;
        self.post_stop(
            self.inner
                .version
                .session_segments(session_id, Some("stop")),
            "stop job session",
        )
        .await
    }

    /// Stops a policy's running sessions: `POST /api/v1/policies/{id}/stop` or
    /// `POST /api/{v}/policies/virtualMachines/{id}/stop` (`204`).
    ///
    /// # Errors
    /// [`Error::InvalidInput`], [`Error::Api`] ...
    pub async fn stop_policy(&self, policy_id: &str) -> Result<()> {
        path::validate_id(VENDOR, "policy_id", policy_id)?;
        self.post_stop(
            self.inner.version.policy_segments(policy_id, "stop"),
            "stop policy",
        )
        .await
    }

    async fn post_stop(&self, segments: Vec<&str>, action: &'static str) -> Result<()> {
        let url = self.url(&segments)?;
        let request = Request::post(VENDOR, url)
            .header_static("accept", "application/json")
            .action(action);
        self.inner.transport.send(request, &self.inner.auth).await?;
        Ok(())
    }

    /// Logs out: `DELETE /api/oauth2/token` with the current token, then forgets the
    /// tokens. With a password, nothing is sent when no logon session exists.
    ///
    /// # Errors
    /// [`Error::Api`], [`Error::Transport`] ... (the tokens are forgotten anyway).
    pub async fn logout(&self) -> Result<()> {
        if let Some(grant) = &self.inner.password_grant
            && !grant.is_logged_in()
        {
            self.inner.auth.cache().clear();
            return Ok(());
        }
        let url = self.url(&["api", "oauth2", "token"])?;
        let request = Request::new(VENDOR, Method::DELETE, url).action("logout");
        let result = self.inner.transport.send(request, &self.inner.auth).await;
        self.inner.auth.cache().clear();
        if let Some(grant) = &self.inner.password_grant {
            grant.forget();
        }
        result.map(|_| ())
    }

    /// Follows each operation to its end, one after the other (they run at the same
    /// time on the appliance), and returns each result in order.
    pub async fn wait_all(
        &self,
        operations: Vec<Operation>,
        options: WaitOptions,
    ) -> Vec<Result<Operation>> {
        let mut results = Vec::with_capacity(operations.len());
        for operation in operations {
            results.push(self.wait(operation, options.clone()).await);
        }
        results
    }
}

impl BackupClient for Client {
    const VENDOR: &'static str = VENDOR;
    const SERVICE: &'static str = "Veeam Backup for Microsoft Azure";
    const TRIGGER_SUMMARY: &'static str = "start a backup policy";
    const ENVIRONMENT: &'static [EnvVar] = ENVIRONMENT;

    type Builder = ClientBuilder;
    type Request = TriggerRequest;
    type Params = TriggerParams;
    type Config = Config;

    /// The request starting policy `params.policy`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] (field `policy`) for an empty or malformed policy id.
    fn request(params: &TriggerParams) -> Result<TriggerRequest> {
        path::validate_id(VENDOR, "policy", &params.policy)?;
        Ok(TriggerRequest::new(&params.policy))
    }

    /// Starts a policy and returns one operation per job session (never empty); see
    /// [`Client::start_policy`]. When the policy was already running, the one
    /// operation follows its running session and says so in its message.
    ///
    /// # Errors
    /// As [`Client::start_policy`].
    async fn trigger(&self, request: &TriggerRequest) -> Result<Vec<Operation>> {
        Ok(self.start_policy(request).await?.operations())
    }

    /// The start's time, which a run journal stores with its intent: `key` (as this
    /// method gave it before: `sent-at:<RFC 3339>`), else now. It is set as
    /// [`TriggerRequest::sent_at`], for [`BackupClient::recover_trigger`]; the appliance
    /// has no idempotency key, and nothing of it is sent. A `key` that is not such a
    /// time leaves the request as it is (`None`).
    fn idempotency_key(request: &mut TriggerRequest, key: Option<&str>) -> Option<String> {
        let sent_at = match key {
            Some(key) => follow::parse_sent_at(key)?,
            None => time::OffsetDateTime::now_utc(),
        };
        request.sent_at = Some(sent_at);
        Some(format!(
            "{}{}",
            follow::SENT_AT_PREFIX,
            backup_core::timefmt::format_rfc3339(sent_at)
        ))
    }

    /// Finds what a start whose answer was lost began. With the start's time
    /// ([`TriggerRequest::sent_at`], from the journal's key), the policy's sessions
    /// launched since then (less [`RECOVERY_CLOCK_SKEW`]), running or already ended,
    /// are listed (`GET /api/{v}/jobSessions?PolicyId=..&FromUtc=..`) and followed:
    /// nothing is started again. Only when there is none (the start never reached the
    /// appliance) is the policy started again; a session still running then answers
    /// `409` naming it, and the operation follows it. Without a recorded time nothing
    /// is sent: [`Recovered::Unknown`], saying which sessions to check.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a malformed policy id (nothing sent); the list's
    /// errors; as [`Client::start_policy`].
    async fn recover_trigger(&self, request: &TriggerRequest) -> Result<Recovered> {
        self.recover(request).await
    }

    /// After a session ended well: its protected items
    /// (`GET /api/{v}/jobSessions/{id}/protectedItems`) and, in v6 and later, the
    /// latest restore points (`GET /api/{v}/restorePoints/virtualMachines?OnlyLatest=true`),
    /// two reads; see [`crate::operation::with_produced`] for what each field gets.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a malformed reference; the protected items read's
    /// errors (a failed restore point read is a warning).
    async fn produced(&self, operation: &Operation) -> Result<Operation> {
        self.follow_up(operation).await
    }

    /// Reads an operation again from its reference alone (see [`crate::operation`] for
    /// the encoding): the session, then its log for the message, the last error and
    /// warnings ([`crate::operation::to_operation_with_log`]; a log that cannot be read
    /// leaves them empty).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a reference that is not Veeam's or is malformed
    /// (nothing is sent); the session read's errors.
    async fn status(&self, reference: &OperationRef) -> Result<Operation> {
        let (version, session_id) = parse_reference(reference)?;
        let version = version.unwrap_or(self.inner.version);
        let session = self.get_session(version, &session_id).await?;
        if !self.inner.fetch_log {
            return Ok(to_operation(version, &session, None));
        }
        match self.get_log(version, &session_id).await {
            Ok(log) => Ok(to_operation_with_log(version, &session, &log)),
            Err(error) => {
                tracing::debug!(vendor = VENDOR, %error, "session log unavailable");
                Ok(to_operation(version, &session, None))
            }
        }
    }

    /// Stops the session behind `reference` (`POST .../jobSessions/{id}/stop`, `204`)
    /// and reads it again.
    ///
    /// # Errors
    /// As [`Client::stop_session`] and [`BackupClient::status`].
    async fn cancel(&self, reference: &OperationRef) -> Result<Operation> {
        let (version, session_id) = parse_reference(reference)?;
        let version = version.unwrap_or(self.inner.version);
        self.post_stop(
            version.session_segments(&session_id, Some("stop")),
            "stop job session",
        )
        .await?;
        self.status(reference).await
    }

    /// `{api_version}/{session_id}` or a bare session id; see
    /// [`crate::operation::parse_reference_id`].
    fn check_reference_id(id: &str) -> Result<()> {
        parse_reference_id(id).map(|_| ())
    }
}
