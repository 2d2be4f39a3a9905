//! [`ClientBuilder`]: endpoints, project, credential, retries and timeouts.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use backup_core::auth::{
    Authenticator, DEFAULT_REFRESH_MARGIN, SecretString, StaticToken, TokenAuth, TokenCache,
    TokenProvider,
};
use backup_core::contract::{BackupClientBuilder, Lookup};
use backup_core::transport::TransportOptions;
use backup_core::{Error, Result, Transport, path};
use http::HeaderName;
use url::Url;

use super::{Client, DEFAULT_PROVIDER_ID, trigger};
use crate::auth::{
    AkSk, Credential, ENV_AK, ENV_PROJECT_ID, ENV_REGION, ENV_SECURITY_TOKEN, ENV_SK,
    IamTokenProvider, X_AUTH_TOKEN,
};
use crate::error::ApiErrors;
use crate::{Config, VENDOR};

/// Builds a [`Client`].
///
/// The CSBS endpoint is `https://csbs.{region}.myhuaweicloud.com` unless
/// [`endpoint`](Self::endpoint) overrides it; the IAM endpoint (for
/// [`Credential::Password`]) `https://iam.{region}.myhuaweicloud.com` unless
/// [`iam_endpoint`](Self::iam_endpoint) does.
#[derive(Clone)]
pub struct ClientBuilder {
    endpoint: Option<String>,
    iam_endpoint: Option<String>,
    region: Option<String>,
    project_id: Option<String>,
    credential: Option<Credential>,
    transport: TransportOptions,
    token_refresh_margin: Duration,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            endpoint: None,
            iam_endpoint: None,
            region: None,
            project_id: None,
            credential: None,
            transport: TransportOptions::default(),
            token_refresh_margin: DEFAULT_REFRESH_MARGIN,
        }
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("endpoint", &self.endpoint)
            .field("iam_endpoint", &self.iam_endpoint)
            .field("region", &self.region)
            .field("project_id", &self.project_id)
            .field("credential", &self.credential)
            .field("transport", &self.transport)
            .finish()
    }
}

impl ClientBuilder {
    /// An empty builder.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The CSBS endpoint (`https://csbs.{region}.myhuaweicloud.com`, or any `http`/
    /// `https` URL for tests, proxies and other Huawei clouds).
    #[must_use]
    pub fn endpoint(mut self, endpoint: &str) -> Self {
        self.endpoint = Some(endpoint.to_owned());
        self
    }

    /// The IAM endpoint, for [`Credential::Password`].
    #[must_use]
    pub fn iam_endpoint(mut self, endpoint: &str) -> Self {
        self.iam_endpoint = Some(endpoint.to_owned());
        self
    }

    /// The region (`cn-north-4`, `ap-southeast-1` ...), for the default endpoints.
    #[must_use]
    pub fn region(mut self, region: &str) -> Self {
        self.region = Some(region.to_owned());
        self
    }

    /// The project id (every CSBS path holds it; IAM tokens are scoped to it).
    #[must_use]
    pub fn project_id(mut self, project_id: &str) -> Self {
        self.project_id = Some(project_id.to_owned());
        self
    }

    /// The credential.
    #[must_use]
    pub fn credential(mut self, credential: impl Into<Credential>) -> Self {
        self.credential = Some(credential.into());
        self
    }

    /// AK/SK credentials (shorthand for [`credential`](Self::credential)).
    #[must_use]
    pub fn aksk(self, access_key: &str, secret_key: impl Into<String>) -> Self {
        self.credential(AkSk::new(access_key, secret_key))
    }

    /// A ready IAM token, sent as `X-Auth-Token` and never refreshed.
    #[must_use]
    pub fn token(self, token: impl Into<String>) -> Self {
        self.credential(Credential::Token(SecretString::from(token.into())))
    }

    backup_core::transport_setters!(transport);

    /// How long before its end an IAM token is refreshed (default 5 minutes).
    #[must_use]
    pub fn token_refresh_margin(mut self, margin: Duration) -> Self {
        self.token_refresh_margin = margin;
        self
    }
}

impl BackupClientBuilder for ClientBuilder {
    type Client = Client;

    /// The endpoints, region and project `config` sets, and from the environment
    /// (`lookup`): [`ENV_AK`], [`ENV_SK`] (required, as an [`AkSk`] credential),
    /// [`ENV_SECURITY_TOKEN`] (optional), [`ENV_PROJECT_ID`] (required unless
    /// `config.project_id` is set) and [`ENV_REGION`] (optional: otherwise
    /// `config.region`, [`region`](Self::region) or [`endpoint`](Self::endpoint)). A
    /// value of `config` wins over the environment.
    ///
    /// # Errors
    /// [`Error::Config`] naming the missing variable.
    fn from_config(config: &Config, lookup: Lookup<'_>) -> Result<Self> {
        let set = |value: &Option<String>| value.clone().filter(|v| !v.trim().is_empty());
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let project_id = set(&config.project_id).or_else(|| get(ENV_PROJECT_ID));
        let (access_key, secret_key, project_id) = match (get(ENV_AK), get(ENV_SK), project_id) {
            (Some(ak), Some(sk), Some(project_id)) => (ak, sk, project_id),
            (ak, sk, project_id) => {
                // Every variable still to set, in one message.
                let mut missing: Vec<&str> = Vec::new();
                if ak.is_none() {
                    missing.push(ENV_AK);
                }
                if sk.is_none() {
                    missing.push(ENV_SK);
                }
                let mut message = if missing.is_empty() {
                    String::new()
                } else {
                    format!(
                        "no credential: set {} (the access key pair; with \
                             {ENV_SECURITY_TOKEN} for temporary credentials)",
                        missing.join(" and ")
                    )
                };
                if project_id.is_none() {
                    if !message.is_empty() {
                        message.push_str("; ");
                    }
                    message.push_str(&format!(
                        "{ENV_PROJECT_ID} is not set (or give the project: \
                             --project-id, `project_id` in a plan)"
                    ));
                }
                return Err(Error::config(VENDOR, message));
            }
        };
        let mut credential = AkSk::new(access_key.trim(), secret_key);
        if let Some(token) = get(ENV_SECURITY_TOKEN) {
            credential = credential.with_security_token(token);
        }
        let mut builder = Self::new()
            .credential(credential)
            .project_id(project_id.trim());
        if let Some(region) = set(&config.region).or_else(|| get(ENV_REGION)) {
            builder = builder.region(region.trim());
        }
        if let Some(url) = &config.endpoint {
            builder = builder.endpoint(url);
        }
        if let Some(url) = &config.iam_endpoint {
            builder = builder.iam_endpoint(url);
        }
        Ok(builder)
    }

    fn transport_options_mut(&mut self) -> &mut TransportOptions {
        &mut self.transport
    }

    /// Builds the client.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the field: `project_id`, `credential`,
    /// `endpoint` / `iam_endpoint` (missing without a region, or malformed), `region`,
    /// or a credential field; [`Error::Config`] when the HTTP client cannot be built.
    fn build(self) -> Result<Client> {
        let project_id = self
            .project_id
            .clone()
            .ok_or_else(|| Error::invalid_input(VENDOR, "project_id", "is required"))?;
        path::validate_id(VENDOR, "project_id", &project_id)?;
        if project_id.contains('/') {
            // It is the first part of `{project_id}/{checkpoint_id}` references.
            return Err(Error::invalid_input(
                VENDOR,
                "project_id",
                "must not contain `/`",
            ));
        }
        let credential = self
            .credential
            .clone()
            .ok_or_else(|| Error::invalid_input(VENDOR, "credential", "is required"))?;
        if let Some(region) = &self.region {
            validate_region(region)?;
        }
        let endpoint = self.endpoint_for("endpoint", self.endpoint.as_deref(), "csbs")?;
        let transport = self
            .transport
            .apply(Transport::builder(VENDOR, "backup-huawei-csbs"))
            .request_id_headers(&["x-request-id", "x-openstack-request-id"])
            .errors(Arc::new(ApiErrors))
            .build()?;
        let auth: Arc<dyn Authenticator> = match credential {
            Credential::AkSk(aksk) => {
                aksk.validate()?;
                Arc::new(aksk)
            }
            Credential::Password(password) => {
                password.validate()?;
                let iam = self.endpoint_for("iam_endpoint", self.iam_endpoint.as_deref(), "iam")?;
                let provider =
                    IamTokenProvider::new(transport.clone(), &iam, password, project_id.clone())?;
                let provider: Arc<dyn TokenProvider> = Arc::new(provider);
                let cache = TokenCache::with_margin(provider, self.token_refresh_margin);
                Arc::new(TokenAuth::header(
                    Arc::new(cache),
                    HeaderName::from_static(X_AUTH_TOKEN),
                    "",
                ))
            }
            Credential::Token(token) => {
                let provider: Arc<dyn TokenProvider> = Arc::new(StaticToken::from_secret(token));
                let cache = TokenCache::new(provider);
                Arc::new(TokenAuth::header(
                    Arc::new(cache),
                    HeaderName::from_static(X_AUTH_TOKEN),
                    "",
                ))
            }
        };
        let default_checkpoints =
            trigger::checkpoints_url(&endpoint, &project_id, DEFAULT_PROVIDER_ID).ok();
        Ok(Client {
            transport,
            auth,
            endpoint,
            project_id,
            default_checkpoints,
        })
    }
}

impl ClientBuilder {
    /// The explicit endpoint, or the region's default for `service`.
    fn endpoint_for(&self, field: &str, explicit: Option<&str>, service: &str) -> Result<Url> {
        match (explicit, &self.region) {
            (Some(endpoint), _) => path::parse_endpoint(VENDOR, field, endpoint),
            (None, Some(region)) => path::parse_endpoint(
                VENDOR,
                field,
                &format!("https://{service}.{region}.myhuaweicloud.com"),
            ),
            (None, None) => Err(Error::invalid_input(
                VENDOR,
                field,
                "is required when no region is set",
            )),
        }
    }
}

/// A region name: lower-case letters, digits and `-`.
fn validate_region(region: &str) -> Result<()> {
    let valid = !region.is_empty()
        && region.len() <= 64
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if valid {
        Ok(())
    } else {
        Err(Error::invalid_input(
            VENDOR,
            "region",
            format!("{region:?} is not a region name (like cn-north-4)"),
        ))
    }
}
