//! [`Client`] (the [`BackupClient`] of Commvault / Metallic: trigger, status, cancel),
//! job control, login and logout.

mod builder;

pub use builder::{
    ClientBuilder, DEFAULT_API_PATH, DEFAULT_DEVICE_ID, ENV_API_URL, ENV_AUTHTOKEN, ENV_PASSWORD,
    ENV_USERNAME, ENVIRONMENT,
};

mod follow;

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use backup_core::auth::{Authenticator, TokenCache};
use backup_core::contract::{BackupClient, EnvVar, Recovered};
use backup_core::transport::{Idempotency, Response, Transport};
use backup_core::{ApiError, ApiErrorKind, Error, Operation, OperationRef, Request, Result, path};
use http::HeaderValue;
use url::Url;

use crate::auth::SessionProvider;
use crate::error::error_in_body;
use crate::model::Format;
use crate::model::details::{JobDetail, JobDetailsRequest, JobDetailsResponse};
use crate::model::job::{JobResponse, JobSummary};
use crate::model::lookup::ClientList;
use crate::model::response::{CreateTaskAnswer, CreateTaskResp};
use crate::model::task::{Association, CreateTaskReq, TriggerRequest};
use crate::operation::{job_reference, operation_from_summary, started_job};
use crate::redact::Secrets;
use crate::{Config, TriggerParams, VENDOR};

pub use follow::UNSEEN_JOB_READS;
pub(crate) use follow::Unseen;

/// A job control action: `POST Job/{jobId}/action/{action}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JobAction {
    Kill,
    Pause,
    Resume,
}

impl JobAction {
    fn path(self) -> &'static str {
        match self {
            Self::Kill => "kill",
            Self::Pause => "pause",
            Self::Resume => "resume",
        }
    }
}

/// A client of one CommServe's (or Metallic's) REST API.
///
/// Cheap to clone: clones share the connection pool and the session.
#[derive(Clone)]
pub struct Client {
    pub(super) transport: Transport,
    pub(super) base: Url,
    pub(super) auth: Arc<dyn Authenticator>,
    pub(super) session: Option<Arc<SessionProvider>>,
    pub(super) cache: Option<Arc<TokenCache>>,
    pub(super) format: Format,
    pub(super) credential_kind: &'static str,
    pub(super) secrets: Arc<Secrets>,
    /// Jobs read without being found, not seen yet (see [`UNSEEN_JOB_READS`]).
    pub(super) unseen: Arc<Unseen>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.base.as_str())
            .field("credential", &self.credential_kind)
            .field("format", &self.format)
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// The API base every path is joined to (`https://host/commandcenter/api/`).
    #[must_use]
    pub fn endpoint(&self) -> &Url {
        &self.base
    }

    fn url(&self, segments: &[&str]) -> Result<Url> {
        path::join_segments(VENDOR, &self.base, segments)
    }

    /// Logs in now (or checks the supplied token is at hand), instead of on the first
    /// request. Nothing to do for a bearer token.
    ///
    /// # Errors
    /// [`Error::Auth`] when Login is refused; transport errors.
    pub async fn login(&self) -> Result<()> {
        self.login_inner().await.map_err(|e| self.secrets.error(e))
    }

    async fn login_inner(&self) -> Result<()> {
        if let Some(cache) = &self.cache {
            cache.token().await?;
        }
        Ok(())
    }

    /// `POST Logout`: ends the session of the current token, if one was obtained. The
    /// next request logs in again (password) or fails (a supplied token).
    ///
    /// # Errors
    /// Transport errors; an already ended session is not an error.
    pub async fn logout(&self) -> Result<()> {
        self.logout_inner().await.map_err(|e| self.secrets.error(e))
    }

    async fn logout_inner(&self) -> Result<()> {
        if let Some(session) = &self.session {
            let result = session.logout().await;
            if let Some(cache) = &self.cache {
                cache.clear();
            }
            result?;
        }
        Ok(())
    }

    /// `POST CreateTask`: creates the task and returns its id and the jobs it started
    /// (none for a schedule: see [`CreateTaskResp::is_scheduled_only`]).
    ///
    /// # Errors
    /// - [`Error::InvalidInput`] before any request for a bad request;
    /// - [`Error::Api`] with status 200, Commvault's `errorCode` and `errorMessage` for a
    ///   `TMMsg_GenericResp` / `CVGui_GenericResp` / JSON error, or for a generic answer
    ///   that started nothing;
    /// - [`Error::OutcomeUnknown`] when no usable answer came (the job may have started).
    pub async fn create_task(&self, request: &TriggerRequest) -> Result<CreateTaskResp> {
        self.create_task_inner(request)
            .await
            .map_err(|e| self.secrets.error(e))
    }

    async fn create_task_inner(&self, request: &TriggerRequest) -> Result<CreateTaskResp> {
        let (task, _) = self.send_task(&request.to_task()?).await?;
        Ok(task)
    }

    /// `POST CreateTask` with a `TMMsg_CreateTaskReq` of your own (for options
    /// [`TriggerRequest`] does not cover; start from [`TriggerRequest::to_task`]).
    ///
    /// # Errors
    /// As [`Client::create_task`]; [`Error::InvalidInput`] for a task without
    /// associations or with unusable names.
    pub async fn submit_task(&self, task: &CreateTaskReq) -> Result<CreateTaskResp> {
        self.send_task(task)
            .await
            .map(|(task, _)| task)
            .map_err(|e| self.secrets.error(e))
    }

    async fn send_task(&self, task: &CreateTaskReq) -> Result<(CreateTaskResp, Response)> {
        let first = validate_task(task)?;
        let action = create_task_action(&first.subclient_name, &first.client_name);
        let body = match self.format {
            Format::Xml => task.to_xml()?,
            Format::Json => task.to_json()?,
        };
        self.post_task(action, body).await
    }

    /// `POST CreateTask` with `body` (in the client's format), the answer read.
    async fn post_task(&self, action: String, body: String) -> Result<(CreateTaskResp, Response)> {
        let request = Request::post(VENDOR, self.url(&["CreateTask"])?)
            .trigger(action)
            .header(
                http::header::ACCEPT,
                HeaderValue::from_static(self.format.media_type()),
            )
            .body(self.format.media_type(), body);
        let response = self.transport.send(request, &*self.auth).await?;
        match CreateTaskAnswer::parse(&response.body) {
            Ok(CreateTaskAnswer::Task(task)) => Ok((task, response)),
            Ok(CreateTaskAnswer::Refused(found)) => Err(found.to_api_error(&response).into()),
            Ok(CreateTaskAnswer::NothingStarted(found)) => {
                Err(scheduled_error(&response, None, found.message.as_deref()))
            }
            Err(reason) => Err(response.undecodable(reason)),
        }
    }

    async fn trigger_request(&self, request: &TriggerRequest) -> Result<Vec<Operation>> {
        // XML straight from the request (the same bytes as its task's `to_xml`).
        let body = match self.format {
            Format::Xml => request.to_xml()?,
            Format::Json => request.to_task()?.to_json()?,
        };
        let action = create_task_action(&request.subclient_name, &request.client_name);
        let (task, response) = self.post_task(action, body).await?;
        started_jobs(&task, &response)
    }

    /// As [`BackupClient::trigger`], with a `TMMsg_CreateTaskReq` of your own.
    ///
    /// # Errors
    /// As [`BackupClient::trigger`].
    pub async fn trigger_task(&self, task: &CreateTaskReq) -> Result<Vec<Operation>> {
        self.trigger_task_inner(task)
            .await
            .map_err(|e| self.secrets.error(e))
    }

    async fn trigger_task_inner(&self, task: &CreateTaskReq) -> Result<Vec<Operation>> {
        let (task, response) = self.send_task(task).await?;
        started_jobs(&task, &response)
    }

    /// `GET Job/{jobId}`: the job's summary. The id is only checked to be one usable
    /// path segment ([`BackupClient::status`] also wants a job id's form: a positive
    /// integer).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a malformed id; [`Error::Api`] (kind `NotFound`) when
    /// the answer lists no job; [`Error::Decode`] for an unreadable answer.
    pub async fn job(&self, job_id: &str) -> Result<JobSummary> {
        self.job_inner(job_id)
            .await
            .map_err(|e| self.secrets.error(e))
    }

    async fn job_inner(&self, job_id: &str) -> Result<JobSummary> {
        path::validate_id(VENDOR, "job_id", job_id)?;
        let request = Request::get(VENDOR, self.url(&["Job", job_id])?)
            .action(format!("read job {job_id}"))
            .header(
                http::header::ACCEPT,
                HeaderValue::from_static("application/json"),
            );
        let response = self.transport.send(request, &*self.auth).await?;
        if let Some(api) = error_in_body(&response) {
            return Err(api.into());
        }
        let parsed: JobResponse = response.json()?;
        let found = parsed
            .jobs
            .into_iter()
            .map(|entry| entry.job_summary)
            .find(|summary| {
                summary
                    .job_id
                    .as_deref()
                    .is_none_or(|id| id.trim() == job_id)
            });
        found.ok_or_else(|| {
            ApiError::new(
                VENDOR,
                response.status.as_u16(),
                format!("job {job_id} was not found"),
            )
            .with_kind(ApiErrorKind::NotFound)
            .with_request_id(response.request_id.clone())
            .into()
        })
    }

    /// `POST JobDetails` (`{"jobId": N}`): the job's `jobDetail` (sizes, skipped
    /// items, per-VM results).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an id that is not a job id; [`Error::Api`] (status
    /// 200) when the answer carries an `error`; [`Error::Decode`] for an unreadable
    /// answer.
    pub async fn job_details(&self, job_id: &str) -> Result<JobDetail> {
        self.job_details_inner(job_id)
            .await
            .map_err(|e| self.secrets.error(e))
    }

    async fn job_details_inner(&self, job_id: &str) -> Result<JobDetail> {
        Self::check_reference_id(job_id).map_err(|_| {
            Error::invalid_input(VENDOR, "job_id", "a job id is a positive integer")
        })?;
        let number: u64 = job_id
            .parse()
            .map_err(|_| Error::invalid_input(VENDOR, "job_id", "a job id fits in 64 bits"))?;
        let body = serde_json::to_string(&JobDetailsRequest { job_id: number })
            .map_err(|e| Error::invalid_input(VENDOR, "job_id", e.to_string()))?;
        let request = Request::post(VENDOR, self.url(&["JobDetails"])?)
            .action(format!("read the details of job {job_id}"))
            .idempotency(Idempotency::Safe)
            .header(
                http::header::ACCEPT,
                HeaderValue::from_static("application/json"),
            )
            .body("application/json", body);
        let response = self.transport.send(request, &*self.auth).await?;
        if let Some(api) = error_in_body(&response) {
            return Err(api.into());
        }
        let parsed: JobDetailsResponse = response.json()?;
        if let Some(job) = parsed.job {
            return Ok(job.job_detail);
        }
        let first = parsed.error.and_then(|e| e.err_list.into_iter().next());
        let message = first
            .as_ref()
            .and_then(|e| e.err_log_message.clone())
            .filter(|m| !m.trim().is_empty())
            .unwrap_or_else(|| format!("JobDetails answered without job {job_id}"));
        let mut api = ApiError::new(VENDOR, response.status.as_u16(), message)
            .with_request_id(response.request_id.clone());
        if let Some(code) = first.and_then(|e| e.error_code) {
            api = api.with_code(code);
        }
        Err(api.into())
    }

    /// `GET Client`: the id of the client named `name` (its `clientName`, else its
    /// `displayName`, in any case); `None` when the CommServe lists no such client.
    ///
    /// # Errors
    /// As [`Client::job`].
    pub async fn client_id(&self, name: &str) -> Result<Option<String>> {
        self.client_id_inner(name)
            .await
            .map_err(|e| self.secrets.error(e))
    }

    async fn client_id_inner(&self, name: &str) -> Result<Option<String>> {
        let request = Request::get(VENDOR, self.url(&["Client"])?)
            .action("list the clients")
            .header(
                http::header::ACCEPT,
                HeaderValue::from_static("application/json"),
            );
        let response = self.transport.send(request, &*self.auth).await?;
        if let Some(api) = error_in_body(&response) {
            return Err(api.into());
        }
        let clients: ClientList = response.json()?;
        Ok(clients.id_of(name.trim()))
    }

    /// `GET Job?clientId={id}&jobFilter=Backup&jobCategory=All&completedJobLookupTime={s}`:
    /// the backup jobs of a client, running ones and those finished in the last
    /// `lookup_seconds`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a malformed client id; as [`Client::job`] otherwise.
    pub async fn client_jobs(
        &self,
        client_id: &str,
        lookup_seconds: u64,
    ) -> Result<Vec<JobSummary>> {
        self.client_jobs_inner(client_id, lookup_seconds)
            .await
            .map_err(|e| self.secrets.error(e))
    }

    async fn client_jobs_inner(
        &self,
        client_id: &str,
        lookup_seconds: u64,
    ) -> Result<Vec<JobSummary>> {
        path::validate_id(VENDOR, "client_id", client_id)?;
        let mut url = self.url(&["Job"])?;
        url.query_pairs_mut()
            .append_pair("clientId", client_id)
            .append_pair("jobFilter", "Backup")
            .append_pair("jobCategory", "All")
            .append_pair("completedJobLookupTime", &lookup_seconds.to_string());
        let request = Request::get(VENDOR, url)
            .action(format!("list the backup jobs of client {client_id}"))
            .header(
                http::header::ACCEPT,
                HeaderValue::from_static("application/json"),
            );
        let response = self.transport.send(request, &*self.auth).await?;
        if let Some(api) = error_in_body(&response) {
            return Err(api.into());
        }
        let parsed: JobResponse = response.json()?;
        Ok(parsed.jobs.into_iter().map(|e| e.job_summary).collect())
    }

    async fn act(&self, reference: &OperationRef, action: JobAction) -> Result<Operation> {
        self.act_inner(reference, action)
            .await
            .map_err(|e| self.secrets.error(e))
    }

    async fn act_inner(&self, reference: &OperationRef, action: JobAction) -> Result<Operation> {
        Self::check_reference(reference)?;
        let job_id = reference.id.as_str();
        let request = Request::post(VENDOR, self.url(&["Job", job_id, "action", action.path()])?)
            .action(format!("{} job {job_id}", action.path()))
            .header(
                http::header::ACCEPT,
                HeaderValue::from_static("application/json"),
            );
        let response = self.transport.send(request, &*self.auth).await?;
        if let Some(api) = error_in_body(&response) {
            return Err(api.into());
        }
        self.status(reference).await
    }

    /// Suspends the job (`POST Job/{jobId}/action/pause`) and returns its state after.
    ///
    /// # Errors
    /// [`Error::Api`] when Commvault refuses.
    pub async fn suspend(&self, reference: &OperationRef) -> Result<Operation> {
        self.act(reference, JobAction::Pause).await
    }

    /// Resumes a suspended job (`POST Job/{jobId}/action/resume`) and returns its state
    /// after.
    ///
    /// # Errors
    /// [`Error::Api`] when Commvault refuses.
    pub async fn resume(&self, reference: &OperationRef) -> Result<Operation> {
        self.act(reference, JobAction::Resume).await
    }

    /// The reference of job `job_id` (`commvault:{job_id}`).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when `job_id` is not a job id (a positive integer).
    pub fn reference(job_id: &str) -> Result<OperationRef> {
        job_reference(job_id)
    }
}

/// The longest job id accepted in a reference: 20 digits (every `u64`).
pub const MAX_JOB_ID_LEN: usize = 20;

impl BackupClient for Client {
    const VENDOR: &'static str = VENDOR;
    const SERVICE: &'static str = "Commvault / Metallic";
    const TRIGGER_SUMMARY: &'static str = "run a backup job of a subclient";
    const ENVIRONMENT: &'static [EnvVar] = ENVIRONMENT;

    type Builder = ClientBuilder;
    type Request = TriggerRequest;
    type Params = TriggerParams;
    type Config = Config;

    /// The request for `params`: every name checked as one id (not empty, no
    /// surrounding white space, no control characters), the directive file making it
    /// an ad-hoc backup.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the parameter (`client`, `subclient`,
    /// `directive_file` ...).
    fn request(params: &TriggerParams) -> Result<TriggerRequest> {
        for (field, value) in [
            ("client", Some(params.client.as_str())),
            ("instance", Some(params.instance.as_str())),
            ("backupset", Some(params.backupset.as_str())),
            ("subclient", Some(params.subclient.as_str())),
            ("app_name", Some(params.app_name.as_str())),
            ("storage_policy", params.storage_policy.as_deref()),
        ] {
            if let Some(value) = value {
                path::validate_id(VENDOR, field, value)?;
            }
        }
        let mut request = TriggerRequest::new(&params.client, &params.subclient)
            .instance_name(&params.instance)
            .backupset_name(&params.backupset)
            .app_name(&params.app_name)
            .backup_level(params.level.unwrap_or_default());
        if let Some(policy) = &params.storage_policy {
            request = request.storage_policy_name(policy);
        }
        if let Some(file) = &params.directive_file {
            request = request.ad_hoc(directive_file(file)?);
        }
        request.validate()?;
        Ok(request)
    }

    /// Starts the backup: `POST CreateTask`, one [`Operation`] per job started (never
    /// empty on success).
    ///
    /// # Errors
    /// As [`Client::create_task`], plus [`Error::Api`] (status 200) saying "scheduled, no
    /// job started" when the task started no job.
    async fn trigger(&self, request: &TriggerRequest) -> Result<Vec<Operation>> {
        self.trigger_request(request)
            .await
            .map_err(|e| self.secrets.error(e))
    }

    /// Reads a job again from its reference (`commvault:{jobId}`): `GET Job/{jobId}`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for another vendor's reference or an id that is not a
    /// job id (nothing is sent); as [`Client::job`] otherwise.
    async fn status(&self, reference: &OperationRef) -> Result<Operation> {
        Self::check_reference(reference)?;
        let job_id = reference.id.as_str();
        let summary = self.job(job_id).await?;
        Ok(operation_from_summary(job_id, &summary))
    }

    /// Kills the job (`POST Job/{jobId}/action/kill`) and returns its state after.
    ///
    /// # Errors
    /// As [`BackupClient::status`]; [`Error::Api`] when Commvault refuses (a finished
    /// job, for example).
    async fn cancel(&self, reference: &OperationRef) -> Result<Operation> {
        self.act(reference, JobAction::Kill).await
    }

    /// Reads the job again; right after the trigger a job the CommServe does not list
    /// yet (`{"totalRecordsWithoutPaging":0}`, a `NotFound`) is a fresh job not yet
    /// visible, as cvpysdk's `Job` retries it: while the job was never read, up to
    /// [`UNSEEN_JOB_READS`] such reads in a row keep the operation as it was; the next
    /// one is the `NotFound`.
    async fn refresh(&self, operation: &Operation) -> Result<Operation> {
        follow::refresh(self, operation).await
    }

    /// After a successful end: `POST JobDetails` (one request) for what the summary
    /// lacks: the size (`detailInfo.sizeOfApplication`) when the summary had none,
    /// skipped items as a warning, the per-VM results of a Virtual Server job
    /// (`clientStatusInfo.vmStatus`) as items; the job itself is already in `produced`.
    async fn produced(&self, operation: &Operation) -> Result<Operation> {
        follow::produced(self, operation).await
    }

    /// Commvault has no idempotency key; the "key" a journal records with its intent
    /// is the time the trigger is about to be sent (RFC 3339, whole seconds; `key` when
    /// given, else now), kept in [`TriggerRequest::trigger_time`] for
    /// [`BackupClient::recover_trigger`]. Nothing of it is sent.
    fn idempotency_key(request: &mut TriggerRequest, key: Option<&str>) -> Option<String> {
        follow::trigger_time_key(request, key)
    }

    /// Finds the job a lost `CreateTask` started, with the Job API: the client's id
    /// (`GET Client`), then its backup jobs (`GET Job?clientId=...`), keeping those of
    /// the request's subclient (and backup set, instance, agent when named) started at
    /// or after [`TriggerRequest::trigger_time`]. One such job is the answer; none, or
    /// several, cannot be told apart from another start, and the outcome stays unknown
    /// with what to check. Nothing is ever triggered.
    ///
    /// # Errors
    /// The errors of `GET Client` and `GET Job`.
    async fn recover_trigger(&self, request: &TriggerRequest) -> Result<Recovered> {
        follow::recover(self, request).await
    }

    /// A job id: a positive integer (`5976`) of at most [`MAX_JOB_ID_LEN`] digits, no
    /// sign, no leading zero.
    fn check_reference_id(id: &str) -> Result<()> {
        path::validate_id(VENDOR, "reference", id)?;
        if id.len() > MAX_JOB_ID_LEN {
            return Err(Error::invalid_input(
                VENDOR,
                "reference",
                format!("a Commvault job id has at most {MAX_JOB_ID_LEN} digits"),
            ));
        }
        let positive = id.bytes().all(|b| b.is_ascii_digit()) && !id.starts_with('0');
        if !positive {
            return Err(Error::invalid_input(
                VENDOR,
                "reference",
                format!("a Commvault job id is a positive integer (such as 5976), not {id:?}"),
            ));
        }
        Ok(())
    }
}

/// The directive file of an ad-hoc backup, as text.
fn directive_file(file: &Path) -> Result<String> {
    let text = file
        .to_str()
        .ok_or_else(|| Error::invalid_input(VENDOR, "directive_file", "must be valid UTF-8"))?;
    path::validate_id(VENDOR, "directive_file", text)?;
    Ok(text.to_owned())
}

/// The error for a task that started no job: never a success.
fn scheduled_error(response: &Response, task_id: Option<&str>, detail: Option<&str>) -> Error {
    let mut message = match task_id {
        Some(id) => format!("CreateTask created task {id}, but it was scheduled, no job started"),
        None => "CreateTask answered without a task: scheduled, no job started".to_owned(),
    };
    if let Some(detail) = detail.map(str::trim).filter(|d| !d.is_empty()) {
        message.push_str(": ");
        message.push_str(detail);
    }
    ApiError::new(VENDOR, response.status.as_u16(), message)
        .with_kind(ApiErrorKind::Other)
        .with_request_id(response.request_id.clone())
        .into()
}

/// The operations of the jobs a task started; an error when it started none.
fn started_jobs(task: &CreateTaskResp, response: &Response) -> Result<Vec<Operation>> {
    if task.is_scheduled_only() {
        return Err(scheduled_error(response, Some(&task.task_id), None));
    }
    Ok(task
        .job_ids
        .iter()
        .map(|job_id| started_job(job_id, &task.task_id))
        .collect())
}

/// What a `CreateTask` does, in words, for error messages.
fn create_task_action(subclient: &str, client: &str) -> String {
    format!("CreateTask (backup of subclient {subclient:?} of client {client:?})")
}

/// Checks a task before sending it; returns its first association.
fn validate_task(task: &CreateTaskReq) -> Result<&Association> {
    let first = task.task_info.associations.first().ok_or_else(|| {
        Error::invalid_input(
            VENDOR,
            "associations",
            "a task needs at least one subclient",
        )
    })?;
    for association in &task.task_info.associations {
        let mut check = TriggerRequest::new(&association.client_name, &association.subclient_name);
        check.instance_name.clone_from(&association.instance_name);
        check.backupset_name.clone_from(&association.backupset_name);
        check.app_name.clone_from(&association.app_name);
        check.validate()?;
    }
    Ok(first)
}
