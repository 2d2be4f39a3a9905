//! [`ClientBuilder`]: endpoints, credential, retries and timeouts.

use std::fmt;
use std::sync::Arc;

use backup_core::Transport;
use backup_core::auth::{TokenAuth, TokenCache, TokenProvider};
use backup_core::contract::{BackupClientBuilder, Lookup};
use backup_core::path::{join_segments, parse_endpoint};
use backup_core::transport::TransportOptions;

use super::Client;
use crate::auth::{
    Credential, DEFAULT_METADATA_ADDR, ENV_METADATA_ADDR, MetadataTokenProvider,
    OAuthTokenProvider, ServiceAccountKeyProvider, metadata_base,
};
use crate::error::ApiErrors;
use crate::operation::NotFoundTolerance;
use crate::{Config, Error, Result, VENDOR};

/// The public Cloud Backup API endpoint.
pub const DEFAULT_BACKUP_ENDPOINT: &str = "https://backup.api.cloud.yandex.net/";
/// The public Operation API endpoint.
pub const DEFAULT_OPERATION_ENDPOINT: &str = "https://operation.api.cloud.yandex.net/";
/// The public IAM API endpoint.
pub const DEFAULT_IAM_ENDPOINT: &str = "https://iam.api.cloud.yandex.net/";

/// Builds a [`Client`].
#[derive(Clone)]
pub struct ClientBuilder {
    backup_endpoint: String,
    operation_endpoint: String,
    iam_endpoint: String,
    metadata_address: String,
    credential: Option<Credential>,
    transport: TransportOptions,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            backup_endpoint: DEFAULT_BACKUP_ENDPOINT.to_owned(),
            operation_endpoint: DEFAULT_OPERATION_ENDPOINT.to_owned(),
            iam_endpoint: DEFAULT_IAM_ENDPOINT.to_owned(),
            metadata_address: DEFAULT_METADATA_ADDR.to_owned(),
            credential: None,
            transport: TransportOptions::default(),
        }
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("backup_endpoint", &self.backup_endpoint)
            .field("operation_endpoint", &self.operation_endpoint)
            .field("iam_endpoint", &self.iam_endpoint)
            .field("metadata_address", &self.metadata_address)
            .field("credential", &self.credential)
            .field("transport", &self.transport)
            .finish()
    }
}

impl ClientBuilder {
    /// The public endpoints, no credential yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the Cloud Backup endpoint (`https://backup.api.cloud.yandex.net/`); http is
    /// allowed (tests, proxies).
    #[must_use]
    pub fn endpoint(self, url: &str) -> Self {
        self.backup_endpoint(url)
    }

    /// Sets the Cloud Backup endpoint.
    #[must_use]
    pub fn backup_endpoint(mut self, url: &str) -> Self {
        url.clone_into(&mut self.backup_endpoint);
        self
    }

    /// Sets the Operation API endpoint (`https://operation.api.cloud.yandex.net/`).
    #[must_use]
    pub fn operation_endpoint(mut self, url: &str) -> Self {
        url.clone_into(&mut self.operation_endpoint);
        self
    }

    /// Sets the IAM endpoint (`https://iam.api.cloud.yandex.net/`).
    #[must_use]
    pub fn iam_endpoint(mut self, url: &str) -> Self {
        url.clone_into(&mut self.iam_endpoint);
        self
    }

    /// Sets the metadata service address (`169.254.169.254`, `host:port` or a URL).
    #[must_use]
    pub fn metadata_address(mut self, address: &str) -> Self {
        address.clone_into(&mut self.metadata_address);
        self
    }

    /// Sets the credential.
    #[must_use]
    pub fn credential(mut self, credential: Credential) -> Self {
        self.credential = Some(credential);
        self
    }

    backup_core::transport_setters!(transport);
}

impl BackupClientBuilder for ClientBuilder {
    type Client = Client;

    /// The endpoints `config` sets, the credential the environment names (see
    /// [`Credential::from_env_vars`]) and the metadata address `YC_METADATA_ADDR`.
    ///
    /// # Errors
    /// [`Error::Config`] when a named key file cannot be read.
    fn from_config(config: &Config, lookup: Lookup<'_>) -> Result<Self> {
        let mut builder = Self::new().credential(Credential::from_env_vars(lookup)?);
        if let Some(address) = lookup(ENV_METADATA_ADDR).filter(|a| !a.trim().is_empty()) {
            builder = builder.metadata_address(address.trim());
        }
        for (setting, value) in [
            (&mut builder.backup_endpoint, &config.endpoint),
            (&mut builder.operation_endpoint, &config.operation_endpoint),
            (&mut builder.iam_endpoint, &config.iam_endpoint),
        ] {
            if let Some(url) = value {
                url.clone_into(setting);
            }
        }
        Ok(builder)
    }

    fn transport_options_mut(&mut self) -> &mut TransportOptions {
        &mut self.transport
    }

    /// Builds the client.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the bad endpoint; [`Error::Config`] without a
    /// credential.
    fn build(self) -> Result<Client> {
        let backup = parse_endpoint(VENDOR, "backup_endpoint", &self.backup_endpoint)?;
        let operation = parse_endpoint(VENDOR, "operation_endpoint", &self.operation_endpoint)?;
        let iam = parse_endpoint(VENDOR, "iam_endpoint", &self.iam_endpoint)?;
        let metadata = metadata_base(&self.metadata_address)?;
        let credential = self.credential.ok_or_else(|| {
            Error::config(
                VENDOR,
                "no credential: set one on the builder, or use from_env() with YC_IAM_TOKEN, \
                 YC_TOKEN or YC_SERVICE_ACCOUNT_KEY_FILE",
            )
        })?;
        let transport = self
            .transport
            .apply(Transport::builder(VENDOR, "backup-yandex"))
            .request_id_headers(&["x-request-id", "x-server-trace-id"])
            .errors(Arc::new(ApiErrors))
            .build()?;
        let tokens_url = join_segments(VENDOR, &iam, &["iam", "v1", "tokens"])?;
        let credential_flow = credential.flow();
        let provider: Arc<dyn TokenProvider> = match credential {
            Credential::IamToken(token) => Credential::static_provider(&token),
            Credential::OAuthToken(token) => Arc::new(OAuthTokenProvider::new(
                transport.clone(),
                tokens_url,
                token,
            )),
            Credential::ServiceAccountKey(key) => Arc::new(ServiceAccountKeyProvider::new(
                transport.clone(),
                tokens_url,
                key,
            )),
            Credential::Metadata => {
                Arc::new(MetadataTokenProvider::new(transport.clone(), &metadata)?)
            }
            Credential::Provider(provider) => provider,
        };
        let auth = TokenAuth::bearer(Arc::new(TokenCache::new(provider)));
        Ok(Client {
            transport,
            auth,
            backup,
            operation,
            not_found: Arc::new(NotFoundTolerance::default()),
            iam,
            credential_flow,
        })
    }
}
