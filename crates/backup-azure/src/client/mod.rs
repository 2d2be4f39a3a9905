//! [`Client`] (the [`BackupClient`] of Azure Recovery Services) and [`ClientBuilder`].

mod builder;
mod calls;
mod lookup;

use std::fmt;
use std::sync::Arc;

use backup_core::auth::{TokenAuth, TokenCache};
use backup_core::contract::{BackupClient, EnvVar, Recovered};
use backup_core::{Operation, OperationRef, Result, Transport};
use url::Url;

pub use builder::ClientBuilder;

use crate::auth::ENVIRONMENT;
use crate::cloud::{ApiVersion, Cloud};
use crate::model::TriggerRequest;
use crate::operation::{Tracking, TrackingRef};
use crate::{Config, TriggerParams, VENDOR};

/// A client of the Recovery Services backup API. Cheap to clone; clones share the
/// connection pool and the token cache.
///
/// `Debug` shows the endpoint, cloud, scope, API version and the kind of credential,
/// never a secret.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
    tracking: Tracking,
}

struct Inner {
    transport: Transport,
    auth: TokenAuth,
    endpoint: Url,
    cloud: Cloud,
    scope: String,
    api_version: ApiVersion,
    credential_kind: &'static str,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.inner.endpoint.as_str())
            .field("cloud", &self.inner.cloud)
            .field("scope", &self.inner.scope)
            .field("api_version", &self.inner.api_version)
            .field("credential", &self.inner.credential_kind)
            .field("tracking", &self.tracking)
            .field("transport", &self.inner.transport)
            .finish()
    }
}

impl Client {
    /// The ARM endpoint.
    #[must_use]
    pub fn endpoint(&self) -> &Url {
        &self.inner.endpoint
    }

    /// The cloud.
    #[must_use]
    pub fn cloud(&self) -> Cloud {
        self.inner.cloud
    }

    /// The token scope asked for.
    #[must_use]
    pub fn scope(&self) -> &str {
        &self.inner.scope
    }

    /// The `api-version` of the trigger and job requests.
    #[must_use]
    pub fn api_version(&self) -> ApiVersion {
        self.inner.api_version
    }

    /// How far backups are followed.
    #[must_use]
    pub fn tracking(&self) -> Tracking {
        self.tracking
    }

    /// The same client (same pool, same token cache) following backups as far as
    /// `tracking` says.
    #[must_use]
    pub fn with_tracking(&self, tracking: Tracking) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
            tracking,
        }
    }

    /// The token cache (to share or to inspect).
    #[must_use]
    pub fn token_cache(&self) -> &Arc<TokenCache> {
        self.inner.auth.cache()
    }
}

impl BackupClient for Client {
    const VENDOR: &'static str = VENDOR;
    const SERVICE: &'static str = "Azure Recovery Services";
    const TRIGGER_SUMMARY: &'static str =
        "back up one protected item of a Recovery Services vault (Backups - Trigger)";
    const ENVIRONMENT: &'static [EnvVar] = ENVIRONMENT;

    type Builder = ClientBuilder;
    type Request = TriggerRequest;
    type Params = TriggerParams;
    type Config = Config;

    /// The request for `params`: the protected item and a body of `params.object_type`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) naming the field: a bad
    /// name, a `backup_type` that is not one of
    /// [`BackupType::DOCUMENTED`](crate::BackupType::DOCUMENTED), or `backup_type` /
    /// `enable_compression` for another object type than `azure-workload`.
    fn request(params: &TriggerParams) -> Result<TriggerRequest> {
        params.to_request()
    }

    /// Triggers the backup: `POST .../protectedItems/{item}/backup`; one operation.
    ///
    /// It is a [`backup_core::OperationStatus::Pending`] operation whose reference
    /// holds the `Azure-AsyncOperation` (else the `Location`) URL, with the
    /// `Retry-After` hint as `poll_after`. The answer's headers are all the client
    /// needs: a malformed or empty body on the `202` does not matter.
    ///
    /// # Errors
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) for a bad name (nothing
    /// sent); [`Error::Api`](crate::Error::Api) for a refusal (a backup already in
    /// progress is [`backup_core::ApiErrorKind::Conflict`]);
    /// [`Error::OutcomeUnknown`](crate::Error::OutcomeUnknown) when the backup may have
    /// started but no usable answer came (including a 202 whose status URLs point away
    /// from the endpoint).
    async fn trigger(&self, request: &TriggerRequest) -> Result<Vec<Operation>> {
        Ok(vec![calls::trigger(self, request).await?])
    }

    /// A fresh (or the given) `x-ms-client-request-id` for the trigger: ARM's
    /// caller-chosen request id, which Azure Backup keeps as the `activityId` of the job
    /// the trigger starts (Microsoft's VM backup and file-share restore tutorials show
    /// the trigger's id as its job's `activityId`). A fresh one is a version 7 UUID
    /// whose first 48 bits are the time it was made. Azure does not deduplicate on it:
    /// [`BackupClient::recover_trigger`] uses it to find the job, never to send the
    /// trigger again blindly.
    fn idempotency_key(request: &mut TriggerRequest, key: Option<&str>) -> Option<String> {
        let id = key.map_or_else(lookup::new_client_request_id, str::to_owned);
        request.client_request_id = Some(id.clone());
        Some(id)
    }

    /// Finds the backup a lost trigger started in the vault's job list (`Jobs - List`:
    /// `GET .../vaults/{vault}/backupJobs?$filter=startTime eq '…' and endTime eq '…' and
    /// operation eq 'Backup' and backupManagementType eq '…'`, from a day before the
    /// trigger's time): the job whose `activityId` is the trigger's
    /// `x-ms-client-request-id`; else the first job of the item (its
    /// `entityFriendlyName` and container) started after the trigger's time (the time
    /// the id carries, less five minutes of clock skew); else a job of the item still
    /// running (which a second trigger would run into). Running or ended, a job found is
    /// followed and no trigger is sent: never a second backup. A job that already
    /// ended well comes with what it made ([`BackupClient::produced`]).
    ///
    /// When the list shows no job of the item, nothing was started: the trigger is sent
    /// (if the trigger's time is less than two minutes ago, the list is first read
    /// again, at once then up to twice two seconds apart, as its job may not exist yet).
    /// If Azure refuses it as "in progress" (the lost trigger is still being accepted),
    /// the list is read again the same way. Without the
    /// trigger's time (no client request id), a job of the item that has already ended
    /// cannot be told apart from an older backup: [`Recovered::Unknown`] names it.
    ///
    /// # Errors
    /// As [`BackupClient::trigger`], and the errors of the list reads.
    async fn recover_trigger(&self, request: &TriggerRequest) -> Result<Recovered> {
        lookup::recover(self, request).await
    }

    /// Reads the backup again from its reference alone: the async operation, then
    /// (by default) the backup job it names.
    ///
    /// # Errors
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) for a reference that is not
    /// Azure's, does not parse, or points away from the endpoint (nothing sent); the
    /// errors of the reads.
    async fn status(&self, reference: &OperationRef) -> Result<Operation> {
        calls::status(self, reference).await
    }

    /// After a job ended well, the recovery point it made: one read of the item's
    /// recovery points taken while the job ran (`GET .../protectedItems/{item}/
    /// recoveryPoints?$filter=startDate eq '…' and endDate eq '…'`, from two minutes
    /// before the job's start to two minutes after its end), the one closest to the
    /// job's start, as [`Produced`](backup_core::operation::Produced) `recovery_point` (its name);
    /// its `recoveryPointSizeInGB` as the size when the job gave none. Nothing is read
    /// when only the acceptance is followed ([`Tracking::Accepted`]) or when no job is
    /// known.
    ///
    /// # Errors
    /// The errors of the read (the poller keeps the operation and adds a warning).
    async fn produced(&self, operation: &Operation) -> Result<Operation> {
        lookup::produced(self, operation).await
    }

    /// Cancels the backup job: `POST .../backupJobs/{jobId}/cancel` (the job is first
    /// found through the async operation when the reference does not name it yet),
    /// then reads the job again.
    ///
    /// # Errors
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) as [`BackupClient::status`];
    /// [`Error::Unsupported`](crate::Error::Unsupported) while the service has not
    /// named the backup job yet (the trigger is still being accepted, or it answered
    /// through `Location` only); the errors of the calls (a job that already ended is
    /// refused by the service).
    async fn cancel(&self, reference: &OperationRef) -> Result<Operation> {
        calls::cancel(self, reference).await
    }

    /// A form-encoded id (`async=...&location=...&job=...`) of at most
    /// [`MAX_REFERENCE_ID_LEN`](crate::operation::MAX_REFERENCE_ID_LEN) bytes, with an
    /// http(s) status URL (see [`crate::operation`]).
    fn check_reference_id(id: &str) -> Result<()> {
        TrackingRef::from_id(id).map(drop)
    }
}
