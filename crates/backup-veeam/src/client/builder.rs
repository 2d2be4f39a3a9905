//! [`ClientBuilder`]: endpoint, credentials, version, retries, timeouts, TLS.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use backup_core::auth::{
    DEFAULT_REFRESH_MARGIN, StaticToken, TokenAuth, TokenCache, TokenProvider,
};
use backup_core::transport::TransportOptions;
use backup_core::{Error, Result, Transport, path};

use super::{Client, Inner};
use crate::VENDOR;
use crate::auth::{Credentials, PasswordGrant};
use crate::error::VeeamErrors;
use crate::version::ApiVersion;

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

/// Builds a [`Client`].
#[derive(Clone)]
pub struct ClientBuilder {
    endpoint: Option<String>,
    credentials: Option<Credentials>,
    api_version: ApiVersion,
    transport: TransportOptions,
    fetch_log: bool,
    refresh_margin: Duration,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("endpoint", &self.endpoint)
            .field("credentials", &self.credentials)
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
            credentials: None,
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

    /// A builder from the environment: [`ENV_URL`], [`ENV_USERNAME`] and
    /// [`ENV_PASSWORD`] or [`ENV_ACCESS_TOKEN`], and optionally [`ENV_API_VERSION`].
    /// Setters called afterwards override what it read.
    ///
    /// # Errors
    /// [`Error::Config`] when a variable is missing, [`Error::InvalidInput`] for a bad
    /// API version.
    pub fn from_env() -> Result<Self> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// Like [`ClientBuilder::from_env`], reading variables through `var` (for tests and
    /// for configuration kept elsewhere).
    ///
    /// # Errors
    /// As [`ClientBuilder::from_env`].
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let get = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let endpoint = get(ENV_URL).ok_or_else(|| {
            Error::config(VENDOR, format!("{ENV_URL} is not set (the appliance URL)"))
        })?;
        let credentials = match (get(ENV_ACCESS_TOKEN), get(ENV_USERNAME), get(ENV_PASSWORD)) {
            (_, Some(username), Some(password)) => Credentials::password(username, password),
            (Some(token), _, _) => Credentials::access_token(token),
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
        let mut builder = Self::new().endpoint(&endpoint).credentials(credentials);
        if let Some(version) = get(ENV_API_VERSION) {
            builder = builder.api_version(version.parse()?);
        }
        Ok(builder)
    }

    /// The appliance URL (`https://veeam.example.com`; http is allowed for tests).
    /// Paths such as `/api/v8.1/...` are appended below it.
    #[must_use]
    pub fn endpoint(mut self, endpoint: &str) -> Self {
        self.endpoint = Some(endpoint.to_owned());
        self
    }

    /// The credentials.
    #[must_use]
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Shorthand for [`Credentials::password`].
    #[must_use]
    pub fn password(self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.credentials(Credentials::password(username, password))
    }

    /// Shorthand for [`Credentials::access_token`].
    #[must_use]
    pub fn access_token(self, token: impl Into<String>) -> Self {
        self.credentials(Credentials::access_token(token))
    }

    /// The API version, which also picks the URL layout (default [`ApiVersion::V8_1`]).
    #[must_use]
    pub fn api_version(mut self, version: ApiVersion) -> Self {
        self.api_version = version;
        self
    }

    backup_core::transport_setters!(transport);

    /// Whether [`Client::status`] also reads the session log to take its last message
    /// as [`Operation::message`](backup_core::Operation::message) (default: yes; one more request per poll).
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

    /// Builds the client. Nothing is sent.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a bad endpoint or empty user name or token;
    /// [`Error::Config`] when no endpoint or credentials were given or a certificate
    /// cannot be read.
    pub fn build(self) -> Result<Client> {
        let endpoint = self.endpoint.as_deref().ok_or_else(|| {
            Error::invalid_input(
                VENDOR,
                "endpoint",
                format!("is required (e.g. from {ENV_URL})"),
            )
        })?;
        let base = path::parse_endpoint(VENDOR, "endpoint", endpoint)?;
        let credentials = self.credentials.clone().ok_or_else(|| {
            Error::config(
                VENDOR,
                "no credentials: give a user name and password or an access token",
            )
        })?;
        let transport = self
            .transport
            .apply(Transport::builder(VENDOR, "backup-veeam"))
            .request_id_headers(&["x-request-id", "request-id", "x-correlation-id"])
            .errors(Arc::new(VeeamErrors))
            .build()?;
        let (provider, password_grant): (Arc<dyn TokenProvider>, _) = match credentials {
            Credentials::Password { username, password } => {
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
            Credentials::AccessToken(token) => {
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
