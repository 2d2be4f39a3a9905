//! [`Client`] (the [`BackupClient`] of Azure Recovery Services) and [`ClientBuilder`].

mod builder;
mod calls;

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

    /// Triggers again. While the backup the lost trigger started still runs, Azure
    /// refuses a second one of the item (`UserErrorBackupOperationInProgress`): nothing
    /// new starts, and the answer says where to find the running job. An item with no
    /// backup running is backed up now (the lost trigger never reached Azure, or its
    /// backup has already ended).
    ///
    /// # Errors
    /// As [`BackupClient::trigger`], except that a backup in progress is
    /// [`Recovered::Unknown`].
    async fn recover_trigger(&self, request: &TriggerRequest) -> Result<Recovered> {
        match calls::trigger(self, request).await {
            Ok(operation) => Ok(Recovered::Operations(vec![operation])),
            Err(error) => {
                let in_progress = error
                    .api()
                    .and_then(|api| api.code.as_deref())
                    .filter(|code| crate::error::is_in_progress_code(code));
                match in_progress {
                    Some(code) => Ok(Recovered::Unknown(format!(
                        "Azure refuses a second backup of item {} in vault {}: a backup is in \
                         progress ({code}), most likely the one the lost trigger started; its \
                         job is in the vault's Backup jobs",
                        request.item.item, request.item.vault
                    ))),
                    None => Err(error),
                }
            }
        }
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
