//! [`Client`] (the [`BackupClient`] of AWS Backup), [`ClientBuilder`] and
//! [`TriggerRequest`].

mod builder;
mod request;

use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use aws_config::imds;
use aws_config::meta::region::RegionProviderChain;
use backup_core::auth::TokenCache;
use backup_core::contract::{BackupClient, EnvVar, Recovered};
use backup_core::path::join_segments;
use backup_core::transport::{Idempotency, Request, Response, Step};
use backup_core::{ApiError, Transport};
use http::Method;
use serde::de::DeserializeOwned;
use tokio::sync::OnceCell;
use url::Url;

pub use builder::{ClientBuilder, DEFAULT_MAX_ATTEMPTS, standard_retry};
pub use request::{
    MAX_LIFECYCLE_DAYS, MAX_WINDOW_MINUTES, MIN_COLD_STORAGE_DAYS, MIN_START_WINDOW_MINUTES,
    TriggerRequest,
};

use crate::auth::sigv4::SigningKeys;
use crate::auth::{ENVIRONMENT, SigV4};
use crate::endpoint::Endpoint;
use crate::error::{AUTH_HINT, is_expired_token};
use crate::model::{BackupJob, BackupJobState, ListBackupJobsOutput, StartBackupJobOutput};
use crate::operation::{
    RECOVERY_POINT, child_item, map_state, parse_reference_id, reference, started, to_operation,
};
use crate::{Config, Error, Operation, OperationRef, Result, TriggerParams, VENDOR};
use backup_core::operation::Produced;

/// The longest backup job id accepted in a reference.
pub const MAX_JOB_ID_LEN: usize = 1024;
/// The most child jobs one `ListBackupJobs` page holds (`MaxResults`, 1-1000).
pub const LIST_PAGE_SIZE: u32 = 1000;

/// An AWS Backup client: starts on-demand backup jobs and follows them.
///
/// Cheap to clone (clones share connections and the credentials cache).
#[derive(Clone)]
pub struct Client {
    transport: Transport,
    credentials: Arc<TokenCache>,
    endpoint: Endpoint,
    region: Arc<RegionSource>,
    parents: Arc<ParentJobs>,
    /// The derived SigV4 signing keys, shared by the signers of every call.
    signing_keys: Arc<SigningKeys>,
    credential_kind: &'static str,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("credential", &self.credential_kind)
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

/// Where the Region of triggers comes from.
pub(crate) enum RegionSource {
    Fixed(String),
    /// `aws-config`'s Region chain (environment, profile, instance metadata), asked
    /// once, at the first trigger.
    Chain {
        profile: Option<String>,
        imds_endpoint: Option<String>,
        resolved: OnceCell<String>,
    },
}

impl fmt::Debug for RegionSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Fixed(region) => f.write_str(region),
            Self::Chain { resolved, .. } => match resolved.get() {
                Some(region) => write!(f, "{region} (from the Region chain)"),
                None => f.write_str("(the Region chain, not asked yet)"),
            },
        }
    }
}

impl RegionSource {
    pub(crate) fn chain(profile: Option<String>, imds_endpoint: Option<String>) -> Self {
        Self::Chain {
            profile,
            imds_endpoint,
            resolved: OnceCell::new(),
        }
    }

    async fn get(&self) -> Result<String> {
        let (profile, imds_endpoint, resolved) = match self {
            Self::Fixed(region) => return Ok(region.clone()),
            Self::Chain {
                profile,
                imds_endpoint,
                resolved,
            } => (profile, imds_endpoint, resolved),
        };
        resolved
            .get_or_try_init(|| async {
                let mut profile_region = aws_config::profile::ProfileFileRegionProvider::builder();
                if let Some(profile) = profile {
                    profile_region = profile_region.profile_name(profile);
                }
                let mut imds_region = aws_config::imds::region::ImdsRegionProvider::builder();
                if let Some(endpoint) = imds_endpoint
                    && let Ok(client) = imds::Client::builder().endpoint(endpoint)
                {
                    imds_region = imds_region.imds_client(client.build());
                }
                let chain = RegionProviderChain::first_try(
                    aws_config::environment::EnvironmentVariableRegionProvider::new(),
                )
                .or_else(profile_region.build())
                .or_else(imds_region.build());
                let region = chain.region().await.ok_or_else(|| {
                    Error::config(
                        VENDOR,
                        "no AWS Region: set AWS_REGION (or --region, or region = ... in the \
                         profile)",
                    )
                })?;
                let region = region.as_ref().to_owned();
                crate::endpoint::validate_region("region", &region)?;
                Ok(region)
            })
            .await
            .cloned()
    }
}

/// The jobs seen as parent (composite) jobs, whose child jobs `produced` lists.
#[derive(Debug, Default)]
pub(crate) struct ParentJobs {
    ids: Mutex<HashSet<String>>,
}

/// Forget beyond this many parent jobs (a long-lived client following many).
const MAX_PARENTS: usize = 10_000;

impl ParentJobs {
    fn remember(&self, id: &str) {
        let mut ids = self.ids.lock().unwrap_or_else(PoisonError::into_inner);
        if ids.len() >= MAX_PARENTS {
            ids.clear();
        }
        ids.insert(id.to_owned());
    }

    fn take(&self, id: &str) -> bool {
        self.ids
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(id)
    }
}

impl Client {
    /// The Region of triggers: the one configured, else `aws-config`'s Region chain.
    ///
    /// # Errors
    /// [`Error::Config`] when no source names a Region.
    pub async fn region(&self) -> Result<String> {
        self.region.get().await
    }

    /// The credentials cache (how many fetches were made, ...).
    #[must_use]
    pub fn credentials_cache(&self) -> &Arc<TokenCache> {
        &self.credentials
    }

    /// The base URL for `region`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a malformed Region.
    pub fn endpoint_for(&self, region: &str) -> Result<Url> {
        self.endpoint.url(region)
    }

    /// `StartBackupJob`: the reference of the job started and the answer as AWS sent
    /// it. The request carries the request's `IdempotencyToken`, else a fresh UUID v4,
    /// unchanged on every retry.
    ///
    /// # Errors
    /// As [`BackupClient::trigger`].
    pub async fn start_backup_job(
        &self,
        request: &TriggerRequest,
    ) -> Result<(OperationRef, StartBackupJobOutput)> {
        request.validate()?;
        let region = self.region().await?;
        let token = request
            .idempotency_token
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let action = format!(
            "start a backup job of {} into vault {} (IdempotencyToken {token})",
            request.resource_arn, request.backup_vault_name
        );
        let url = join_segments(VENDOR, &self.endpoint_for(&region)?, &["backup-jobs"])?;
        let http_request = Request::new(VENDOR, Method::PUT, url)
            .idempotency(Idempotency::Safe)
            .step(Step::Trigger)
            .action(action.clone())
            .json(&request.body(&token))?;
        let output: StartBackupJobOutput = self
            .send_decoded(&region, http_request, decode)
            .await
            // Only StartBackupJob itself may leave the outcome unknown (a failure of the
            // credential step before it requested nothing): backup-core's rule.
            .map_err(|error| {
                error.into_trigger_outcome(
                    &action,
                    &format!("repeating with IdempotencyToken {token} starts no second job"),
                )
            })?;
        let job_id = output
            .backup_job_id
            .clone()
            .filter(|id| Self::check_reference_id(&format!("{region}/{id}")).is_ok())
            .ok_or_else(|| Error::OutcomeUnknown {
                vendor: VENDOR,
                action: action.clone(),
                reason: format!(
                    "the answer names no usable BackupJobId; repeating with \
                     IdempotencyToken {token} is safe"
                ),
                status: Some(200),
                request_id: None,
            })?;
        Ok((reference(&region, &job_id), output))
    }

    /// `DescribeBackupJob`: the job as AWS sent it.
    ///
    /// # Errors
    /// As [`BackupClient::status`].
    pub async fn describe_backup_job(&self, reference: &OperationRef) -> Result<BackupJob> {
        Self::check_reference(reference)?;
        let (region, job_id) = parse_reference_id(&reference.id)?;
        let url = join_segments(
            VENDOR,
            &self.endpoint_for(region)?,
            &["backup-jobs", job_id],
        )?;
        let request = Request::get(VENDOR, url).action(format!("describe backup job {job_id}"));
        let job: BackupJob = self.send_decoded(region, request, decode).await?;
        if job.is_parent {
            self.parents.remember(&reference.id);
        }
        Ok(job)
    }

    /// `StopBackupJob` (`POST /backup-jobs/{id}`, no body): asks AWS to stop the job.
    ///
    /// # Errors
    /// As [`BackupClient::cancel`]; AWS refuses resources it cannot stop (Aurora, RDS,
    /// FSx ...) with `InvalidRequestException`.
    pub async fn stop_backup_job(&self, reference: &OperationRef) -> Result<()> {
        Self::check_reference(reference)?;
        let (region, job_id) = parse_reference_id(&reference.id)?;
        let url = join_segments(
            VENDOR,
            &self.endpoint_for(region)?,
            &["backup-jobs", job_id],
        )?;
        let request = Request::post(VENDOR, url)
            .idempotency(Idempotency::Unsafe)
            .action(format!("stop backup job {job_id}"));
        self.send(region, request).await.map(drop)
    }

    /// `ListBackupJobs` filtered by `parentJobId`: the child jobs of a parent
    /// (composite) job, at most two pages of [`LIST_PAGE_SIZE`].
    ///
    /// # Errors
    /// As [`BackupClient::status`].
    pub async fn list_child_jobs(&self, reference: &OperationRef) -> Result<Vec<BackupJob>> {
        Self::check_reference(reference)?;
        let (region, job_id) = parse_reference_id(&reference.id)?;
        let base = join_segments(VENDOR, &self.endpoint_for(region)?, &["backup-jobs", ""])?;
        let mut jobs = Vec::new();
        let mut next: Option<String> = None;
        for _page in 0..2 {
            let mut url = base.clone();
            {
                let mut query = url.query_pairs_mut();
                query.append_pair("parentJobId", job_id);
                query.append_pair("maxResults", &LIST_PAGE_SIZE.to_string());
                if let Some(token) = &next {
                    query.append_pair("nextToken", token);
                }
            }
            let request =
                Request::get(VENDOR, url).action(format!("list the child jobs of {job_id}"));
            let page: ListBackupJobsOutput = self.send_decoded(region, request, decode).await?;
            jobs.extend(page.backup_jobs);
            next = page.next_token.filter(|token| !token.is_empty());
            if next.is_none() {
                break;
            }
        }
        if next.is_some() {
            tracing::debug!(
                job = job_id,
                read = jobs.len(),
                "more child jobs than two pages; the rest is not read"
            );
        }
        Ok(jobs)
    }

    /// A signer for `region` with the client's credentials and signing keys.
    fn signer(&self, region: &str) -> SigV4 {
        SigV4::with_keys(
            Arc::clone(&self.credentials),
            region,
            Arc::clone(&self.signing_keys),
        )
    }

    /// Sends `request` signed for `region`; an expired session token gets fresh
    /// credentials and one more attempt.
    async fn send(&self, region: &str, request: Request) -> Result<Response> {
        let signer = self.signer(region);
        let generation = self.credentials.fresh_generation();
        match self.transport.send(request.clone(), &signer).await {
            Err(Error::Api(api)) if is_expired_token(api.code.as_deref()) => {
                if !self.refresh_after_expiry(generation) {
                    return Err(expired(&api));
                }
                self.transport
                    .send(request, &signer)
                    .await
                    .map_err(still_expired)
            }
            other => other,
        }
    }

    /// [`Client::send`] for a request safe to repeat whose answer `decode` reads (an
    /// undecodable answer is asked for again within the retry policy).
    async fn send_decoded<T>(
        &self,
        region: &str,
        request: Request,
        decode: fn(&Response) -> Result<T>,
    ) -> Result<T> {
        let signer = self.signer(region);
        let generation = self.credentials.fresh_generation();
        match self
            .transport
            .send_decoded(request.clone(), &signer, decode)
            .await
        {
            Err(Error::Api(api)) if is_expired_token(api.code.as_deref()) => {
                if !self.refresh_after_expiry(generation) {
                    return Err(expired(&api));
                }
                self.transport
                    .send_decoded(request, &signer, decode)
                    .await
                    .map_err(still_expired)
            }
            other => other,
        }
    }

    /// Drops the credentials AWS found expired (the generation cached before the
    /// request, else the one its first attempt fetched); whether fresh ones can be had.
    fn refresh_after_expiry(&self, generation: Option<u64>) -> bool {
        if !self.credentials.can_refresh() {
            return false;
        }
        if let Some(generation) = generation.or_else(|| self.credentials.fresh_generation()) {
            self.credentials.invalidate(generation);
        }
        tracing::debug!("session token expired; fetching fresh credentials once");
        true
    }
}

fn decode<T: DeserializeOwned>(response: &Response) -> Result<T> {
    response.json()
}

/// An expired session token as an authentication failure.
fn expired(api: &ApiError) -> Error {
    Error::Auth {
        code: None,
        vendor: VENDOR,
        status: Some(api.status),
        message: format!(
            "{VENDOR} rejected the credential: {}; {AUTH_HINT}",
            api.message
        ),
        request_id: api.request_id.clone(),
    }
}

fn still_expired(error: Error) -> Error {
    match error {
        Error::Api(api) if is_expired_token(api.code.as_deref()) => expired(&api),
        other => other,
    }
}

impl BackupClient for Client {
    const VENDOR: &'static str = VENDOR;
    const SERVICE: &'static str = "AWS Backup";
    const TRIGGER_SUMMARY: &'static str =
        "start an on-demand backup job of a resource into a backup vault";
    const ENVIRONMENT: &'static [EnvVar] = ENVIRONMENT;

    type Builder = ClientBuilder;
    type Request = TriggerRequest;
    type Params = TriggerParams;
    type Config = Config;

    fn request(params: &TriggerParams) -> Result<TriggerRequest> {
        let request = params.to_request()?;
        request.validate()?;
        Ok(request)
    }

    /// The `IdempotencyToken`: `key`, else a fresh UUID v4, set on the request.
    fn idempotency_key(request: &mut TriggerRequest, key: Option<&str>) -> Option<String> {
        let key = key.map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
        request.idempotency_token = Some(key.clone());
        Some(key)
    }

    /// Sends the same `StartBackupJob` again with the request's `IdempotencyToken`: AWS
    /// answers a repeat with the job the first one started ("no action taken"), and
    /// starts one only if the first never arrived.
    async fn recover_trigger(&self, request: &TriggerRequest) -> Result<Recovered> {
        if request.idempotency_token.is_none() {
            return Ok(Recovered::Unknown(
                "the trigger was sent without a recorded IdempotencyToken: check the \
                 vault's backup jobs in AWS Backup"
                    .to_owned(),
            ));
        }
        self.trigger(request).await.map(Recovered::Operations)
    }

    /// Starts a backup job: `PUT {endpoint}/backup-jobs` with the request and an
    /// `IdempotencyToken`; one operation, in the Region of the client.
    ///
    /// The token makes the request safe to repeat: it is retried on any transient
    /// failure (a lost answer, 5xx, throttling, a timeout), and AWS answers a repeat
    /// with the same job, so a lost answer never starts a second one. If every attempt
    /// fails after the request may have arrived, the result is
    /// [`Error::OutcomeUnknown`] naming the token: triggering again with
    /// [`TriggerRequest::idempotency_token`] set to it is safe.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] before any request; [`Error::Config`] without a Region;
    /// [`Error::Api`] for refusals (`ResourceNotFoundException` for an unknown vault,
    /// `InvalidParameterValueException`, `LimitExceededException` once retries are
    /// spent ...); [`Error::Auth`]; [`Error::OutcomeUnknown`].
    async fn trigger(&self, request: &TriggerRequest) -> Result<Vec<Operation>> {
        let (reference, output) = self.start_backup_job(request).await?;
        let (region, job_id) = parse_reference_id(&reference.id)?;
        if output.is_parent {
            self.parents.remember(&reference.id);
        }
        Ok(vec![started(region, job_id, &output)])
    }

    /// Reads the job: `GET {endpoint}/backup-jobs/{id}` in the reference's Region.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a reference of another vendor or a malformed one;
    /// [`Error::Api`] (`ResourceNotFoundException`, which AWS Backup answers with 400, is
    /// [`ApiErrorKind::NotFound`](backup_core::ApiErrorKind::NotFound)), [`Error::Auth`] ...
    async fn status(&self, reference: &OperationRef) -> Result<Operation> {
        let job = self.describe_backup_job(reference).await?;
        let (region, job_id) = parse_reference_id(&reference.id)?;
        Ok(to_operation(region, job_id, &job))
    }

    /// Stops the job (`StopBackupJob`), then reads it (`ABORTING`, then `ABORTED`).
    ///
    /// # Errors
    /// As [`Client::stop_backup_job`] and [`BackupClient::status`].
    async fn cancel(&self, reference: &OperationRef) -> Result<Operation> {
        self.stop_backup_job(reference).await?;
        self.status(reference).await
    }

    /// For a parent (composite) job the client saw (or one that ended `PARTIAL`), its
    /// child jobs (`ListBackupJobs` by `parentJobId`: one request, two for more than
    /// 1,000 children) as items, and the recovery points of those that completed
    /// (beside the parent's composite one); a plain job's recovery point and size came
    /// with its last status, and nothing is sent.
    async fn produced(&self, operation: &Operation) -> Result<Operation> {
        let partial = operation.vendor_status.as_deref() == Some(BackupJobState::Partial.as_str());
        if !self.parents.take(&operation.reference.id) && !partial {
            return Ok(operation.clone());
        }
        let children = self.list_child_jobs(&operation.reference).await?;
        let mut produced = operation.produced.clone();
        // The recovery points of the children that completed (a failed child may name
        // one it never finished).
        let completed = children.iter().filter(|job| {
            map_state(job.state.as_ref(), job.completion_date.is_some()).is_success()
        });
        for arn in completed.filter_map(|job| job.recovery_point_arn.as_ref()) {
            let point = Produced::new(RECOVERY_POINT, arn.clone());
            if !produced.contains(&point) {
                produced.push(point);
            }
        }
        let size = operation.size_bytes.or_else(|| {
            let sizes: Vec<u64> = children
                .iter()
                .filter_map(|job| job.backup_size_in_bytes.and_then(|n| u64::try_from(n).ok()))
                .collect();
            (!sizes.is_empty()).then(|| sizes.iter().sum())
        });
        Ok(operation
            .clone()
            .with_items(children.iter().map(child_item).collect())
            .with_produced(produced)
            .with_size(size))
    }

    /// `<region>/<backup job id>` (see [`crate::operation`]).
    fn check_reference_id(id: &str) -> Result<()> {
        parse_reference_id(id).map(drop)
    }
}
