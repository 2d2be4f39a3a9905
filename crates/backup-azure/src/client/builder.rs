//! [`ClientBuilder`]: endpoint, cloud, credential, API version, retries, timeouts.

use std::fmt;
use std::sync::Arc;

use backup_core::auth::{TokenAuth, TokenCache, TokenProvider};
use backup_core::contract::{BackupClientBuilder, Lookup};
use backup_core::path::parse_endpoint;
use backup_core::transport::TransportOptions;
use backup_core::{Error, Result, Transport};

use super::{Client, Inner};
use crate::auth::Credential;
use crate::cloud::{ApiVersion, Cloud};
use crate::error::{ApiErrors, REQUEST_ID_HEADERS};
use crate::operation::Tracking;
use crate::{Config, VENDOR};

/// Builds a [`Client`].
///
/// Defaults: the public cloud (`https://management.azure.com`, scope
/// `https://management.azure.com/.default`), api-version 2024-04-01, following backups
/// to the end of their job, backup-core's default retry policy and timeouts. A
/// credential is required.
#[derive(Clone, Default)]
pub struct ClientBuilder {
    cloud: Cloud,
    endpoint: Option<String>,
    scope: Option<String>,
    api_version: ApiVersion,
    credential: Option<Credential>,
    provider: Option<Arc<dyn TokenProvider>>,
    transport: TransportOptions,
    tracking: Tracking,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("cloud", &self.cloud)
            .field("endpoint", &self.endpoint)
            .field("scope", &self.scope)
            .field("api_version", &self.api_version)
            .field("credential", &self.credential)
            .field("provider", &self.provider)
            .field("transport", &self.transport)
            .field("tracking", &self.tracking)
            .finish()
    }
}

impl ClientBuilder {
    /// A builder with the defaults and no credential.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The cloud: its ARM endpoint and token scope (unless set otherwise).
    #[must_use]
    pub fn cloud(mut self, cloud: Cloud) -> Self {
        self.cloud = cloud;
        self
    }

    /// The ARM endpoint instead of the cloud's (a proxy, an emulator; `http` allowed).
    /// Status URLs the service hands back must point at this endpoint's host.
    #[must_use]
    pub fn endpoint(mut self, endpoint: &str) -> Self {
        self.endpoint = Some(endpoint.to_owned());
        self
    }

    /// The token scope instead of the cloud's.
    #[must_use]
    pub fn scope(mut self, scope: &str) -> Self {
        self.scope = Some(scope.to_owned());
        self
    }

    /// The `api-version` of the trigger and job requests.
    #[must_use]
    pub fn api_version(mut self, version: ApiVersion) -> Self {
        self.api_version = version;
        self
    }

    /// The credential.
    #[must_use]
    pub fn credential(mut self, credential: Credential) -> Self {
        self.credential = Some(credential);
        self.provider = None;
        self
    }

    /// Any `azure_identity` credential, asked for the cloud's scope.
    #[must_use]
    pub fn token_credential(
        self,
        credential: Arc<dyn azure_core::credentials::TokenCredential>,
    ) -> Self {
        self.credential(Credential::TokenCredential(credential))
    }

    /// A static bearer token (never refreshed; a 401 is final).
    #[must_use]
    pub fn bearer_token(self, token: impl Into<String>) -> Self {
        self.credential(Credential::bearer_token(token))
    }

    /// A backup-core token provider (tokens still cached by the client).
    #[must_use]
    pub fn token_provider(mut self, provider: Arc<dyn TokenProvider>) -> Self {
        self.provider = Some(provider);
        self.credential = None;
        self
    }

    backup_core::transport_setters!(transport);

    /// How far backups are followed: to the end of the job (default) or until the
    /// trigger is accepted.
    #[must_use]
    pub fn tracking(mut self, tracking: Tracking) -> Self {
        self.tracking = tracking;
        self
    }
}

impl BackupClientBuilder for ClientBuilder {
    type Client = Client;

    /// The endpoint and api-version `config` sets, and the credential the environment
    /// names (see [`Credential::from_vars`]): `AZURE_ACCESS_TOKEN`; else
    /// `AZURE_TENANT_ID`, `AZURE_CLIENT_ID` and `AZURE_CLIENT_SECRET`; else a workload
    /// identity when `AZURE_FEDERATED_TOKEN_FILE` is set; else the developer tools'
    /// login. The cloud, endpoint and everything else can still be changed.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] (field `api_version`) for a version that is not one of
    /// [`ApiVersion::ALL`].
    fn from_config(config: &Config, lookup: Lookup<'_>) -> Result<Self> {
        let mut builder = Self::new().credential(Credential::from_vars(lookup));
        if let Some(url) = &config.endpoint {
            builder = builder.endpoint(url);
        }
        if let Some(version) = &config.api_version {
            let parsed = ApiVersion::parse(version).ok_or_else(|| {
                let known: Vec<&str> = ApiVersion::ALL.iter().map(|v| v.as_str()).collect();
                Error::invalid_input(
                    VENDOR,
                    "api_version",
                    format!("{version:?} is not one of {}", known.join(", ")),
                )
            })?;
            builder = builder.api_version(parsed);
        }
        Ok(builder)
    }

    fn transport_options_mut(&mut self) -> &mut TransportOptions {
        &mut self.transport
    }

    /// Builds the client.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a bad `endpoint` or an empty `scope`;
    /// [`Error::Config`] without a credential or when the credential or the HTTP
    /// client cannot be built.
    fn build(self) -> Result<Client> {
        let endpoint = parse_endpoint(
            VENDOR,
            "endpoint",
            self.endpoint.as_deref().unwrap_or(self.cloud.endpoint()),
        )?;
        let scope = self.scope.unwrap_or_else(|| self.cloud.scope().to_owned());
        if scope.trim().is_empty() {
            return Err(Error::invalid_input(VENDOR, "scope", "must not be empty"));
        }
        let (provider, credential_kind) = match (self.provider, self.credential) {
            (Some(provider), _) => (provider, "token_provider"),
            (None, Some(credential)) => {
                let kind = credential.kind();
                (credential.into_provider(self.cloud, &scope)?, kind)
            }
            (None, None) => {
                return Err(Error::config(
                    VENDOR,
                    "no credential: set one on the builder, or AZURE_ACCESS_TOKEN / \
                     AZURE_TENANT_ID + AZURE_CLIENT_ID + AZURE_CLIENT_SECRET for from_env",
                ));
            }
        };
        let transport = self
            .transport
            .apply(Transport::builder(VENDOR, "backup-azure"))
            .request_id_headers(&REQUEST_ID_HEADERS)
            .errors(Arc::new(ApiErrors));
        let cache = Arc::new(TokenCache::new(provider));
        Ok(Client {
            inner: Arc::new(Inner {
                transport: transport.build()?,
                auth: TokenAuth::bearer(cache),
                endpoint,
                cloud: self.cloud,
                scope,
                api_version: self.api_version,
                credential_kind,
            }),
            tracking: self.tracking,
        })
    }
}
