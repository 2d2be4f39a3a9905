//! [`ClientBuilder`]: endpoint, credential, formats, retry, timeouts, TLS, and the
//! [`BackupClientBuilder`] constructors (`from_env`, `from_lookup`, `from_config`).

use std::fmt;
use std::sync::Arc;

use backup_core::auth::{Authenticator, StaticToken, TokenAuth, TokenCache, TokenProvider};
use backup_core::contract::{BackupClientBuilder, EnvVar, Lookup};
use backup_core::transport::{Transport, TransportOptions};
use backup_core::{Error, Result, path};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use super::Client;
use crate::auth::session::{AUTHTOKEN, LoginSettings};
use crate::auth::{Credential, SessionProvider, without_bearer};
use crate::error::{AUTH_HINT, ApiErrors};
use crate::model::Format;
use crate::redact::Secrets;
use crate::{Config, VENDOR};

/// The API path used when an endpoint names only a host.
pub const DEFAULT_API_PATH: &str = "/commandcenter/api/";
/// The device id sent with Login and RenewLoginToken unless set otherwise.
pub const DEFAULT_DEVICE_ID: &str = "backup-rs";

/// Environment variable: the API base (`https://host/commandcenter/api/`).
pub const ENV_API_URL: &str = "COMMVAULT_API_URL";
/// Environment variable: the user name.
pub const ENV_USERNAME: &str = "COMMVAULT_USERNAME";
/// Environment variable: the password.
pub const ENV_PASSWORD: &str = "COMMVAULT_PASSWORD";
/// Environment variable: a `QSDK` token (used when no user name and password are set).
pub const ENV_AUTHTOKEN: &str = "COMMVAULT_AUTHTOKEN";

/// The variables [`ClientBuilder::from_config`] reads, credentials first: a user name
/// and password win over a token; [`Config::endpoint`] wins over [`ENV_API_URL`].
pub const ENVIRONMENT: &[EnvVar] = &[
    EnvVar::new(
        ENV_USERNAME,
        "a login: the user name (with COMMVAULT_PASSWORD)",
    ),
    EnvVar::new(ENV_PASSWORD, "a login: the password"),
    EnvVar::new(ENV_AUTHTOKEN, "or an existing QSDK token"),
    EnvVar::new(ENV_API_URL, "the API base (or --endpoint)"),
];

/// Builds a [`Client`].
#[derive(Clone)]
pub struct ClientBuilder {
    endpoint: Option<String>,
    credential: Option<Credential>,
    device_id: String,
    format: Format,
    login_format: Format,
    transport: TransportOptions,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("endpoint", &self.endpoint)
            .field("credential", &self.credential)
            .field("device_id", &self.device_id)
            .field("format", &self.format)
            .field("login_format", &self.login_format)
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ClientBuilder {
    /// A builder with XML requests (as the document), JSON login, the default retry
    /// policy and timeouts.
    #[must_use]
    pub fn new() -> Self {
        Self {
            endpoint: None,
            credential: None,
            device_id: DEFAULT_DEVICE_ID.to_owned(),
            format: Format::Xml,
            login_format: Format::Json,
            transport: TransportOptions::default(),
        }
    }

    /// The API base: `https://host/commandcenter/api/` (`/webconsole/api/` on older
    /// releases). A URL with only a host gets [`DEFAULT_API_PATH`]. `http` is allowed
    /// (tests, appliances behind a proxy).
    #[must_use]
    pub fn endpoint(mut self, url: &str) -> Self {
        self.endpoint = Some(url.to_owned());
        self
    }

    /// The credential.
    #[must_use]
    pub fn credential(mut self, credential: Credential) -> Self {
        self.credential = Some(credential);
        self
    }

    /// Log in with a user name and password.
    #[must_use]
    pub fn username_password(
        self,
        username: impl Into<String>,
        password: impl Into<SecretString>,
    ) -> Self {
        self.credential(Credential::password(username, password))
    }

    /// Use a `QSDK` token (`QSDK ` is prefixed when missing).
    #[must_use]
    pub fn token(self, token: impl Into<SecretString>) -> Self {
        self.credential(Credential::token(token))
    }

    /// Use a Metallic access token, sent as `Authorization: Bearer`.
    #[must_use]
    pub fn bearer_token(self, token: impl Into<SecretString>) -> Self {
        self.credential(Credential::bearer(token))
    }

    /// The `deviceId` sent with Login and RenewLoginToken (default [`DEFAULT_DEVICE_ID`]).
    #[must_use]
    pub fn device_id(mut self, device_id: impl Into<String>) -> Self {
        self.device_id = device_id.into();
        self
    }

    /// The body format of CreateTask (XML by default, as the document).
    #[must_use]
    pub fn format(mut self, format: Format) -> Self {
        self.format = format;
        self
    }

    /// The body format of Login (JSON by default; some servers take only XML).
    #[must_use]
    pub fn login_format(mut self, format: Format) -> Self {
        self.login_format = format;
        self
    }

    backup_core::transport_setters!(transport);

    /// The credential named by the environment: [`ENV_USERNAME`] with [`ENV_PASSWORD`],
    /// else [`ENV_AUTHTOKEN`].
    fn credential_from(lookup: Lookup<'_>) -> Result<Credential> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        match (get(ENV_USERNAME), get(ENV_PASSWORD), get(ENV_AUTHTOKEN)) {
            (Some(username), Some(password), _) => Ok(Credential::password(username, password)),
            (_, _, Some(token)) => Ok(Credential::token(token)),
            (Some(_), None, None) => Err(Error::config(
                VENDOR,
                format!("{ENV_USERNAME} is set but {ENV_PASSWORD} is not"),
            )),
            _ => Err(Error::config(
                VENDOR,
                format!("set {ENV_USERNAME} and {ENV_PASSWORD}, or {ENV_AUTHTOKEN}"),
            )),
        }
    }

    fn parse_base(&self) -> Result<Url> {
        let endpoint = self.endpoint.as_deref().ok_or_else(|| {
            Error::invalid_input(
                VENDOR,
                "endpoint",
                format!("is not set (or set {ENV_API_URL})"),
            )
        })?;
        let mut url = path::parse_endpoint(VENDOR, "endpoint", endpoint)?;
        if url.path() == "/" {
            url.set_path(DEFAULT_API_PATH);
        }
        Ok(url)
    }

    fn build_client(self) -> Result<Client> {
        let base = self.parse_base()?;
        let credential = self.credential.clone().ok_or_else(|| {
            Error::invalid_input(VENDOR, "credential", format!("is not set; {AUTH_HINT}"))
        })?;
        path::validate_id(VENDOR, "device_id", &self.device_id)?;
        let transport = self
            .transport
            .apply(Transport::builder(VENDOR, "backup-commvault"))
            .errors(Arc::new(ApiErrors))
            .build()?;
        let credential_kind = credential.kind();
        let secrets = Arc::new(Secrets::default());
        let (auth, session, cache): (Arc<dyn Authenticator>, _, _) = match credential {
            Credential::Bearer(token) => {
                let token = without_bearer(&token);
                check_secret("credential", &token)?;
                secrets.add(token.expose_secret());
                let provider: Arc<dyn TokenProvider> = Arc::new(StaticToken::from_secret(token));
                let cache = Arc::new(TokenCache::new(provider));
                (Arc::new(TokenAuth::bearer(cache)), None, None)
            }
            Credential::Token(token) => {
                check_secret("credential", &token)?;
                secrets.add(token.expose_secret());
                let session = Arc::new(SessionProvider::new(
                    transport.clone(),
                    base.clone(),
                    None,
                    Some(token),
                    self.device_id.clone(),
                    self.login_format,
                    secrets.clone(),
                ));
                session_auth(session)
            }
            Credential::Password {
                username,
                password,
                domain,
            } => {
                if username.trim().is_empty() {
                    return Err(Error::invalid_input(
                        VENDOR,
                        "username",
                        "must not be empty",
                    ));
                }
                check_secret("password", &password)?;
                secrets.add(password.expose_secret());
                secrets.add(&crate::model::login::encode_password(
                    password.expose_secret(),
                ));
                let session = Arc::new(SessionProvider::new(
                    transport.clone(),
                    base.clone(),
                    Some(LoginSettings {
                        username,
                        password,
                        domain,
                    }),
                    None,
                    self.device_id.clone(),
                    self.login_format,
                    secrets.clone(),
                ));
                session_auth(session)
            }
        };
        Ok(Client {
            transport,
            base,
            auth,
            session,
            cache,
            format: self.format,
            credential_kind,
            secrets,
            unseen: Arc::default(),
        })
    }
}

impl BackupClientBuilder for ClientBuilder {
    type Client = Client;

    /// The API base `config` sets (else [`ENV_API_URL`]), the credential the
    /// environment names ([`ENV_USERNAME`] with [`ENV_PASSWORD`], else
    /// [`ENV_AUTHTOKEN`]) and `config`'s TLS settings: the CA certificate file is read
    /// here.
    ///
    /// # Errors
    /// [`Error::Config`] naming what is missing, or the CA certificate file that cannot
    /// be read.
    fn from_config(config: &Config, lookup: Lookup<'_>) -> Result<Self> {
        let endpoint = config
            .endpoint
            .clone()
            .filter(|e| !e.trim().is_empty())
            .or_else(|| lookup(ENV_API_URL).filter(|v| !v.trim().is_empty()))
            .ok_or_else(|| {
                let mut message = format!(
                    "{ENV_API_URL} is not set (e.g. https://commserve.example.com/commandcenter/api/)"
                );
                // Name the credential variables too when they are missing as well.
                if let Err(Error::Config { message: more, .. }) = Self::credential_from(lookup) {
                    message.push_str("; no credential: ");
                    message.push_str(&more);
                }
                Error::config(VENDOR, message)
            })?;
        let mut builder = Self::new()
            .endpoint(&endpoint)
            .credential(Self::credential_from(lookup)?);
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

    /// Builds the client, checking everything first.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the field (endpoint, credential, `device_id`);
    /// [`Error::Config`] for a certificate that cannot be read.
    fn build(self) -> Result<Client> {
        self.build_client()
    }
}

type SessionParts = (
    Arc<dyn Authenticator>,
    Option<Arc<SessionProvider>>,
    Option<Arc<TokenCache>>,
);

fn session_auth(session: Arc<SessionProvider>) -> SessionParts {
    let provider: Arc<dyn TokenProvider> = session.clone();
    let cache = Arc::new(TokenCache::new(provider));
    let auth = TokenAuth::header(cache.clone(), AUTHTOKEN, "");
    (Arc::new(auth), Some(session), Some(cache))
}

fn check_secret(field: &str, secret: &SecretString) -> Result<()> {
    if secret.expose_secret().trim().is_empty() {
        return Err(Error::invalid_input(VENDOR, field, "must not be empty"));
    }
    Ok(())
}
