//! [`ClientBuilder`]: endpoint, credentials, version, retries, timeouts, TLS.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use backup_core::auth::{
    DEFAULT_REFRESH_MARGIN, StaticToken, TokenAuth, TokenCache, TokenProvider,
};
use backup_core::contract::{BackupClientBuilder, EnvVar, Lookup};
use backup_core::transport::TransportOptions;
use backup_core::{Error, Result, Transport, path};

use super::{Client, Inner};
use crate::auth::{Credential, PasswordGrant};
use crate::error::ApiErrors;
use crate::version::ApiVersion;
use crate::{Config, VENDOR};

/// Environment variable: the appliance URL (`https://veeam.example.com`).
pub const ENV_URL: &str = "VEEAM_URL";
/// Environment variable: the user name (with [`ENV_PASSWORD`]).
pub const ENV_USERNAME: &str = "VEEAM_USERNAME";
/// Environment variable: the password.
pub const ENV_PASSWORD: &str = "VEEAM_PASSWORD";
/// Environment variable: a static access token (instead of user and password).
pub const ENV_ACCESS_TOKEN: &str = "VEEAM_ACCESS_TOKEN";
/// Environment variable: the API version (`v1`, `v6`, `v7`, `v8`, `v8.1`).
pub const ENV_API_VERSION: &str = "VEEAM_API_VERSION";

/// The variables [`ClientBuilder::from_config`] reads, credentials first (a user name
/// and password win over an access token).
pub const ENVIRONMENT: &[EnvVar] = &[
    EnvVar::new(
        ENV_USERNAME,
        "the password grant's user (with VEEAM_PASSWORD)",
    ),
    EnvVar::new(ENV_PASSWORD, "the password grant's password"),
    EnvVar::new(ENV_ACCESS_TOKEN, "or an access token"),
    EnvVar::new(ENV_URL, "the appliance (or --endpoint)"),
    EnvVar::new(ENV_API_VERSION, "v1, v6, v7, v8, v8.1 (or --api-version)"),
];

/// Builds a [`Client`].
#[derive(Clone)]
pub struct ClientBuilder {
    endpoint: Option<String>,
    credential: Option<Credential>,
    api_version: ApiVersion,
    transport: TransportOptions,
    fetch_log: bool,
    refresh_margin: Duration,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("endpoint", &self.endpoint)
            .field("credential", &self.credential)
            .field("api_version", &self.api_version)
            .field("transport", &self.transport)
            .field("fetch_log", &self.fetch_log)
            .finish_non_exhaustive()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            endpoint: None,
            credential: None,
            api_version: ApiVersion::default(),
            transport: TransportOptions::default(),
            fetch_log: true,
            refresh_margin: DEFAULT_REFRESH_MARGIN,
        }
    }
}

impl ClientBuilder {
    /// A builder with defaults: API [`ApiVersion::V8_1`], default retries, connect
    /// timeout 10 s, request timeout 60 s, the session log read on every status.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The appliance URL (`https://veeam.example.com`; http is allowed for tests).
    /// Paths such as `/api/v8.1/...` are appended below it.
    #[must_use]
    pub fn endpoint(mut self, endpoint: &str) -> Self {
        self.endpoint = Some(endpoint.to_owned());
        self
    }

    /// The credential.
    #[must_use]
    pub fn credential(mut self, credential: Credential) -> Self {
        self.credential = Some(credential);
        self
    }

    /// Shorthand for [`Credential::password`].
    #[must_use]
    pub fn password(self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.credential(Credential::password(username, password))
    }

    /// Shorthand for [`Credential::access_token`].
    #[must_use]
    pub fn access_token(self, token: impl Into<String>) -> Self {
        self.credential(Credential::access_token(token))
    }

    /// The API version, which also picks the URL layout (default [`ApiVersion::V8_1`]).
    #[must_use]
    pub fn api_version(mut self, version: ApiVersion) -> Self {
        self.api_version = version;
        self
    }

    backup_core::transport_setters!(transport);

    /// Whether [`BackupClient::status`](backup_core::BackupClient::status) also reads
    /// the session log to take its last message as
    /// [`Operation::message`](backup_core::Operation::message) (default: yes; one more
    /// request per poll).
    #[must_use]
    pub fn fetch_log(mut self, fetch: bool) -> Self {
        self.fetch_log = fetch;
        self
    }

    /// How long before expiry the access token is refreshed (default 5 minutes, or half
    /// the token's life when shorter).
    #[must_use]
    pub fn token_refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }
}

impl BackupClientBuilder for ClientBuilder {
    type Client = Client;

    /// A builder from `config` and the environment read through `lookup`: the
    /// appliance URL (`config.endpoint`, else [`ENV_URL`]), [`ENV_USERNAME`] and
    /// [`ENV_PASSWORD`] or [`ENV_ACCESS_TOKEN`], the API version (`config.api_version`,
    /// else [`ENV_API_VERSION`], else v8.1), the CA certificate file `config.ca_cert`
    /// (read now) and `config.insecure`. Setters called afterwards override it.
    ///
    /// # Errors
    /// [`Error::Config`] when the URL or the credential is missing or the CA file
    /// cannot be read (naming it); [`Error::InvalidInput`] for a bad API version.
    fn from_config(config: &Config, lookup: Lookup<'_>) -> Result<Self> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let endpoint = config.endpoint.clone().or_else(|| get(ENV_URL));
        let no_credential = get(ENV_ACCESS_TOKEN).is_none() && get(ENV_PASSWORD).is_none();
        let endpoint = endpoint.ok_or_else(|| {
            let mut message = format!("{ENV_URL} is not set (the appliance URL)");
            if no_credential {
                // Name the credential variables too when they are missing as well.
                message.push_str(&format!(
                    "; no credentials: set {ENV_USERNAME} and {ENV_PASSWORD}, or {ENV_ACCESS_TOKEN}"
                ));
            }
            Error::config(VENDOR, message)
        })?;
        let credential = match (get(ENV_ACCESS_TOKEN), get(ENV_USERNAME), get(ENV_PASSWORD)) {
            (_, Some(username), Some(password)) => Credential::password(username, password),
            (Some(token), _, _) => Credential::access_token(token),
            (None, Some(_), None) => {
                return Err(Error::config(
                    VENDOR,
                    format!("{ENV_USERNAME} is set but {ENV_PASSWORD} is not"),
                ));
            }
            _ => {
                return Err(Error::config(
                    VENDOR,
                    format!(
                        "no credentials: set {ENV_USERNAME} and {ENV_PASSWORD}, or {ENV_ACCESS_TOKEN}"
                    ),
                ));
            }
        };
        let mut builder = Self::new().endpoint(&endpoint).credential(credential);
        if let Some(version) = config.api_version {
            builder = builder.api_version(version);
        } else if let Some(version) = get(ENV_API_VERSION) {
            builder = builder.api_version(version.parse()?);
        }
        if let Some(path) = &config.ca_cert {
            let pem = std::fs::read(path).map_err(|e| {
                Error::config(
                    VENDOR,
                    format!("cannot read the CA certificate {}: {e}", path.display()),
                )
            })?;
            builder = builder.root_certificate_pem(pem);
        }
        if config.insecure {
            builder = builder.danger_accept_invalid_certs(true);
        }
        Ok(builder)
    }

    fn transport_options_mut(&mut self) -> &mut TransportOptions {
        &mut self.transport
    }

    /// Builds the client. Nothing is sent.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a bad endpoint or empty user name or token;
    /// [`Error::Config`] when no endpoint or credentials were given or a certificate
    /// cannot be read.
    fn build(self) -> Result<Client> {
        let endpoint = self.endpoint.as_deref().ok_or_else(|| {
            Error::invalid_input(
                VENDOR,
                "endpoint",
                format!("is required (e.g. from {ENV_URL})"),
            )
        })?;
        let base = path::parse_endpoint(VENDOR, "endpoint", endpoint)?;
        let credential = self.credential.clone().ok_or_else(|| {
            Error::config(
                VENDOR,
                "no credentials: give a user name and password or an access token",
            )
        })?;
        let transport = self
            .transport
            .apply(Transport::builder(VENDOR, "backup-veeam"))
            .request_id_headers(&["x-request-id", "request-id", "x-correlation-id"])
            .errors(Arc::new(ApiErrors))
            .build()?;
        let (provider, password_grant): (Arc<dyn TokenProvider>, _) = match credential {
            Credential::Password { username, password } => {
                if username.trim().is_empty() {
                    return Err(Error::invalid_input(
                        VENDOR,
                        "username",
                        "must not be empty",
                    ));
                }
                let token_url = path::join_segments(VENDOR, &base, &["api", "oauth2", "token"])?;
                let grant = Arc::new(PasswordGrant::new(
                    transport.clone(),
                    token_url,
                    username,
                    password,
                ));
                (grant.clone() as Arc<dyn TokenProvider>, Some(grant))
            }
            Credential::AccessToken(token) => {
                use backup_core::auth::ExposeSecret;
                if token.expose_secret().trim().is_empty() {
                    return Err(Error::invalid_input(
                        VENDOR,
                        "access_token",
                        "must not be empty",
                    ));
                }
                (
                    Arc::new(StaticToken::from_secret(token)) as Arc<dyn TokenProvider>,
                    None,
                )
            }
        };
        let cache = Arc::new(TokenCache::with_margin(provider, self.refresh_margin));
        Ok(Client {
            inner: Arc::new(Inner {
                transport,
                base,
                version: self.api_version,
                auth: TokenAuth::bearer(cache),
                password_grant,
                fetch_log: self.fetch_log,
            }),
        })
    }
}
