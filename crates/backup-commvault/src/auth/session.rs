//! The `QSDK` session: `Login`, `RenewLoginToken` and `Logout` as a [`TokenProvider`].

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use backup_core::auth::{AccessToken, NoAuth, TokenProvider};
use backup_core::transport::{Idempotency, Request, Response, Transport};
use backup_core::{Error, Result};
use http::{HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use super::with_qsdk_prefix;
use crate::VENDOR;
use crate::error::{AUTH_HINT, parse_generic};
use crate::model::Format;
use crate::model::login::{LoginAnswer, LoginJson, LoginXml, RenewJson, encode_password};
use crate::redact::Secrets;

/// The header Commvault reads the token from.
pub(crate) const AUTHTOKEN: HeaderName = HeaderName::from_static("authtoken");

/// What `POST Login` needs.
pub(crate) struct LoginSettings {
    pub username: String,
    pub password: SecretString,
    pub domain: Option<String>,
}

/// Fetches `QSDK` tokens: hands out a supplied token first; afterwards renews the
/// previous token with `RenewLoginToken` and, when that fails and a password is known,
/// logs in again.
pub(crate) struct SessionProvider {
    transport: Transport,
    base: Url,
    login: Option<LoginSettings>,
    device_id: String,
    format: Format,
    initial: Mutex<Option<SecretString>>,
    current: Mutex<Option<SecretString>>,
    secrets: Arc<Secrets>,
}

impl fmt::Debug for SessionProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionProvider")
            .field("base", &self.base.as_str())
            .field(
                "username",
                &self.login.as_ref().map(|l| l.username.as_str()),
            )
            .field("device_id", &self.device_id)
            .field("login_format", &self.format)
            .finish_non_exhaustive()
    }
}

fn slot(mutex: &Mutex<Option<SecretString>>) -> std::sync::MutexGuard<'_, Option<SecretString>> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn token_header(token: &SecretString) -> Result<HeaderValue> {
    let mut value = HeaderValue::from_str(token.expose_secret()).map_err(|_| {
        Error::auth(
            VENDOR,
            "the token holds characters that cannot be sent in a header",
        )
    })?;
    value.set_sensitive(true);
    Ok(value)
}

impl SessionProvider {
    pub(crate) fn new(
        transport: Transport,
        base: Url,
        login: Option<LoginSettings>,
        token: Option<SecretString>,
        device_id: String,
        format: Format,
        secrets: Arc<Secrets>,
    ) -> Self {
        let token = token.map(|t| SecretString::from(with_qsdk_prefix(t.expose_secret())));
        Self {
            transport,
            base,
            login,
            device_id,
            format,
            initial: Mutex::new(token),
            current: Mutex::new(None),
            secrets,
        }
    }

    fn url(&self, name: &str) -> Result<Url> {
        backup_core::path::join_segments(VENDOR, &self.base, &[name])
    }

    fn remember(&self, token: &SecretString) -> AccessToken {
        *slot(&self.current) = Some(token.clone());
        AccessToken {
            secret: token.clone(),
            expires_at: None,
        }
    }

    /// The token of an answer to Login or RenewLoginToken, or the refusal it carries.
    fn token_of(&self, response: &Response, what: &str) -> Result<SecretString> {
        if let Some(found) = parse_generic(&response.body)
            && found.failed
        {
            let api = found.to_api_error(response);
            let code = api
                .code
                .as_deref()
                .map(|c| format!(" (error {c})"))
                .unwrap_or_default();
            return Err(Error::Auth {
                code: api.code.clone(),
                vendor: VENDOR,
                status: Some(response.status.as_u16()),
                message: format!("{what} refused: {}{code}; {AUTH_HINT}", api.message),
                request_id: response.request_id.clone(),
            });
        }
        let text = response.text();
        let text = text.trim();
        let answer: Option<LoginAnswer> = if text.starts_with('<') {
            quick_xml::de::from_str(text).ok()
        } else {
            serde_json::from_str(text).ok()
        };
        match answer
            .and_then(|a| a.token)
            .filter(|t| !t.trim().is_empty())
        {
            Some(token) => {
                let token = with_qsdk_prefix(&token);
                self.secrets.add(&token);
                Ok(SecretString::from(token))
            }
            None => Err(Error::Auth {
                code: None,
                vendor: VENDOR,
                status: Some(response.status.as_u16()),
                message: format!(
                    "{what} answered {} without a token; {AUTH_HINT}",
                    response.status.as_u16()
                ),
                request_id: response.request_id.clone(),
            }),
        }
    }

    /// `POST Login`.
    async fn log_in(&self, login: &LoginSettings) -> Result<SecretString> {
        let password = encode_password(login.password.expose_secret());
        let body = match self.format {
            Format::Json => serde_json::to_vec(&LoginJson {
                username: &login.username,
                password: &password,
                domain: login.domain.as_deref(),
                device_id: &self.device_id,
            })
            .map_err(|e| Error::invalid_input(VENDOR, "login", e.to_string()))?,
            Format::Xml => quick_xml::se::to_string(&LoginXml {
                mode: "Webconsole",
                username: &login.username,
                password: &password,
                domain: login.domain.as_deref(),
                device_id: &self.device_id,
            })
            .map_err(|e| Error::invalid_input(VENDOR, "login", e.to_string()))?
            .into_bytes(),
        };
        let request = Request::post(VENDOR, self.url("Login")?)
            .action("log in")
            .idempotency(Idempotency::Safe)
            .header(
                http::header::ACCEPT,
                HeaderValue::from_static(self.format.media_type()),
            )
            .body(self.format.media_type(), body);
        let response = self.transport.send(request, &NoAuth).await?;
        tracing::debug!(vendor = VENDOR, "logged in");
        self.token_of(&response, "Login")
    }

    /// `POST RenewLoginToken` with the previous token.
    async fn renew(&self, previous: &SecretString) -> Result<SecretString> {
        let body = serde_json::to_vec(&RenewJson {
            session_id: previous.expose_secret(),
            device_id: &self.device_id,
        })
        .map_err(|e| Error::invalid_input(VENDOR, "renew", e.to_string()))?;
        let request = Request::post(VENDOR, self.url("RenewLoginToken")?)
            .action("renew the login token")
            .header(AUTHTOKEN, token_header(previous)?)
            .header(
                http::header::ACCEPT,
                HeaderValue::from_static("application/json"),
            )
            .body("application/json", body);
        let response = self.transport.send(request, &NoAuth).await?;
        self.token_of(&response, "RenewLoginToken")
    }

    /// `POST Logout` for the current token, if any; returns whether one was logged out.
    pub(crate) async fn logout(&self) -> Result<bool> {
        slot(&self.initial).take();
        let Some(token) = slot(&self.current).take() else {
            return Ok(false);
        };
        let request = Request::post(VENDOR, self.url("Logout")?)
            .action("log out")
            .header(AUTHTOKEN, token_header(&token)?);
        match self.transport.send(request, &NoAuth).await {
            Ok(_) => Ok(true),
            // The session had already ended.
            Err(Error::Auth { .. }) => Ok(false),
            Err(error) => Err(error),
        }
    }
}

#[async_trait]
impl TokenProvider for SessionProvider {
    async fn fetch_token(&self) -> Result<AccessToken> {
        let initial = slot(&self.initial).take();
        if let Some(token) = initial {
            return Ok(self.remember(&token));
        }
        let previous = slot(&self.current).clone();
        if let Some(previous) = previous {
            match self.renew(&previous).await {
                Ok(token) => return Ok(self.remember(&token)),
                Err(error) if self.login.is_none() => return Err(error),
                Err(error) => {
                    let error = self.secrets.error(error);
                    tracing::debug!(vendor = VENDOR, %error, "renewal failed; logging in again");
                }
            }
        }
        match &self.login {
            Some(login) => {
                let token = self.log_in(login).await?;
                Ok(self.remember(&token))
            }
            None => Err(Error::auth(
                VENDOR,
                format!(
                    "no token to send (logged out, or the supplied token was refused); {AUTH_HINT}"
                ),
            )),
        }
    }
}
