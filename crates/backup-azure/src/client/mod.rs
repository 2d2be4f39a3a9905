//! [`Client`]: trigger a backup, read it again from its reference, wait for its end.

mod builder;
mod calls;

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use backup_core::auth::{TokenAuth, TokenCache};
use backup_core::{Operation, OperationRef, Pollable, Poller, Result, Transport, WaitOptions};
use url::Url;

pub use builder::ClientBuilder;

use crate::cloud::{ApiVersion, Cloud};
use crate::model::TriggerRequest;
use crate::operation::Tracking;

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
    /// A [`ClientBuilder`].
    #[must_use]
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// A client configured from the environment (see [`ClientBuilder::from_env`]).
    ///
    /// # Errors
    /// As [`ClientBuilder::build`].
    pub fn from_env() -> Result<Self> {
        ClientBuilder::from_env()?.build()
    }

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

    /// Triggers the backup: `POST .../protectedItems/{item}/backup`.
    ///
    /// Returns a [`backup_core::OperationStatus::Pending`] operation whose reference
    /// holds the `Azure-AsyncOperation` and `Location` URLs, with the `Retry-After`
    /// hint as `poll_after`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`](backup_core::Error::InvalidInput) for a bad name (nothing
    /// sent); [`Error::Api`](backup_core::Error::Api) for a refusal (a backup already in
    /// progress is [`backup_core::ApiErrorKind::Conflict`]);
    /// [`Error::OutcomeUnknown`](backup_core::Error::OutcomeUnknown) when the backup may
    /// have started but no usable answer came (including a 202 whose status URLs point
    /// away from the endpoint).
    pub async fn trigger(&self, request: &TriggerRequest) -> Result<Operation> {
        calls::trigger(self, request).await
    }

    /// Reads the backup again from its reference alone: the async operation, then
    /// (by default) the backup job it names.
    ///
    /// # Errors
    /// [`Error::InvalidInput`](backup_core::Error::InvalidInput) for a reference that is
    /// not Azure's, does not parse, or points away from the endpoint (nothing sent); the
    /// errors of the reads.
    pub async fn status(&self, reference: &OperationRef) -> Result<Operation> {
        calls::status(self, reference).await
    }

    /// Cancels the backup job: `POST .../backupJobs/{jobId}/cancel` (the job is first
    /// found through the async operation when the reference does not name it yet),
    /// then reads the job again.
    ///
    /// # Errors
    /// [`Error::Unsupported`](backup_core::Error::Unsupported) while the service has not
    /// named the backup job yet (the trigger is still being accepted, or it answered
    /// through `Location` only); the errors of the calls (a job that already ended is
    /// refused by the service).
    pub async fn cancel(&self, reference: &OperationRef) -> Result<Operation> {
        calls::cancel(self, reference).await
    }

    /// Follows `operation` to its end (see [`Poller`]).
    pub fn wait(&self, operation: Operation, options: WaitOptions) -> Poller<'_> {
        Poller::new(self, operation, options)
    }
}

#[async_trait]
impl Pollable for Client {
    async fn poll(&self, operation: &Operation) -> Result<Operation> {
        self.status(&operation.reference).await
    }

    async fn cancel(&self, operation: &Operation) -> Result<Operation> {
        Client::cancel(self, &operation.reference).await
    }
}
