//! Credentials and the OAuth 2.0 flows of the appliance.
//!
//! `POST /api/oauth2/token`, form-encoded (`application/x-www-form-urlencoded`):
//!
//! 1. `grant_type=Password&username=..&password=..` gives an access token (60 min by
//!    default), a refresh token (14 days) and `expires_in`;
//! 2. later fetches use `grant_type=Refresh_token&refresh_token=..` (grant names are
//!    capitalised as the API wants); refresh tokens rotate, so the newest is kept;
//! 3. when the refresh token is rejected (any 4xx), the password grant runs again.
//!
//! If MFA is enabled for the user, the password grant answers an `mfa_token` instead
//! of tokens; the `Mfa` grant needs a code from a person, so this is reported as an
//! [`Error::Auth`] saying that MFA must be completed. The [`TokenCache`] in front of
//! the provider refreshes before `expires_in` runs out and shares one fetch among
//! concurrent callers. `DELETE /api/oauth2/token` logs out ([`crate::Client::logout`]).

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use async_trait::async_trait;
use backup_core::auth::{AccessToken, ExposeSecret, NoAuth, SecretString, TokenProvider};
use backup_core::transport::Request;
use backup_core::{Error, Result, Transport};
use time::OffsetDateTime;
use url::Url;

use crate::VENDOR;
use crate::model::TokenResponse;

/// How the client authenticates.
#[derive(Clone)]
#[non_exhaustive]
pub enum Credential {
    /// A Veeam Backup for Microsoft Azure user: the password grant, then refresh grants.
    Password {
        /// The user name.
        username: String,
        /// The password.
        password: SecretString,
    },
    /// An access token obtained elsewhere, sent as is and never refreshed.
    AccessToken(SecretString),
}

impl Credential {
    /// A user name and password.
    pub fn password(username: impl Into<String>, password: impl Into<String>) -> Self {
        Self::Password {
            username: username.into(),
            password: SecretString::from(password.into()),
        }
    }

    /// A static access token.
    pub fn access_token(token: impl Into<String>) -> Self {
        Self::AccessToken(SecretString::from(token.into()))
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Password { username, .. } => f
                .debug_struct("Password")
                .field("username", username)
                .field("password", &"<redacted>")
                .finish(),
            Self::AccessToken(_) => f.debug_tuple("AccessToken").field(&"<redacted>").finish(),
        }
    }
}

/// The password grant with refresh grants: a [`TokenProvider`] for the
/// [`backup_core::auth::TokenCache`].
pub struct PasswordGrant {
    transport: Transport,
    token_url: Url,
    username: String,
    password: SecretString,
    refresh_token: Mutex<Option<SecretString>>,
    logged_in: AtomicBool,
    password_grants: AtomicU64,
    refresh_grants: AtomicU64,
}

impl fmt::Debug for PasswordGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordGrant")
            .field("token_url", &self.token_url.as_str())
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("logged_in", &self.is_logged_in())
            .field("has_refresh_token", &self.has_refresh_token())
            .finish_non_exhaustive()
    }
}

/// Whether a failed refresh grant means the refresh token was refused (so the password
/// grant should run), rather than the service being unreachable.
fn refused(error: &Error) -> bool {
    error.status().is_some_and(|s| (400..500).contains(&s))
        && !matches!(error.status(), Some(408 | 429))
}

impl PasswordGrant {
    /// A provider posting to `token_url` (`{endpoint}/api/oauth2/token`) through
    /// `transport`.
    #[must_use]
    pub fn new(
        transport: Transport,
        token_url: Url,
        username: String,
        password: SecretString,
    ) -> Self {
        Self {
            transport,
            token_url,
            username,
            password,
            refresh_token: Mutex::new(None),
            logged_in: AtomicBool::new(false),
            password_grants: AtomicU64::new(0),
            refresh_grants: AtomicU64::new(0),
        }
    }

    /// How many password grants were sent.
    #[must_use]
    pub fn password_grants(&self) -> u64 {
        self.password_grants.load(Ordering::Relaxed)
    }

    /// How many refresh grants were sent.
    #[must_use]
    pub fn refresh_grants(&self) -> u64 {
        self.refresh_grants.load(Ordering::Relaxed)
    }

    /// Whether a refresh token is held.
    #[must_use]
    pub fn has_refresh_token(&self) -> bool {
        self.refresh_token
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some()
    }

    /// Whether a token was obtained and not forgotten since (a logon session exists).
    #[must_use]
    pub fn is_logged_in(&self) -> bool {
        self.logged_in.load(Ordering::Acquire)
    }

    /// Forgets the logon session and its refresh token (after a logout).
    pub fn forget(&self) {
        self.logged_in.store(false, Ordering::Release);
        self.forget_refresh_token();
    }

    fn forget_refresh_token(&self) {
        *self
            .refresh_token
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = None;
    }

    fn current_refresh_token(&self) -> Option<SecretString> {
        self.refresh_token
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    async fn password_grant(&self) -> Result<AccessToken> {
        self.password_grants.fetch_add(1, Ordering::Relaxed);
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "Password")
            .append_pair("username", &self.username)
            .append_pair("password", self.password.expose_secret())
            .finish();
        // Asking for a token again changes nothing on the appliance: safe to repeat.
        let request = self
            .form_request(body)
            .redacting(&self.password)
            .idempotency(backup_core::Idempotency::Safe)
            .action("password grant");
        self.grant(request).await
    }

    async fn refresh_grant(&self, refresh_token: &SecretString) -> Result<AccessToken> {
        self.refresh_grants.fetch_add(1, Ordering::Relaxed);
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "Refresh_token")
            .append_pair("refresh_token", refresh_token.expose_secret())
            .finish();
        // Refresh tokens rotate: a lost answer may have used the token up, so this is
        // not repeated blindly (the password grant is the fallback).
        let request = self
            .form_request(body)
            .redacting(refresh_token)
            .action("refresh grant");
        self.grant(request).await
    }

    fn form_request(&self, body: String) -> Request {
        Request::post(VENDOR, self.token_url.clone())
            .body("application/x-www-form-urlencoded", body)
            .header_static("accept", "application/json")
    }

    async fn grant(&self, request: Request) -> Result<AccessToken> {
        let response = self
            .transport
            .send(request, &NoAuth)
            .await
            .map_err(refusal)?;
        // Never put the body of a token answer in an error: it may hold tokens.
        let answer: TokenResponse =
            serde_json::from_slice(&response.body).map_err(|_| Error::Auth {
                code: None,
                vendor: VENDOR,
                status: Some(response.status.as_u16()),
                message:
                    "the token answer could not be decoded (body withheld: it may hold tokens)"
                        .to_owned(),
                request_id: response.request_id.clone(),
            })?;
        if answer.mfa_token.as_deref().is_some_and(|t| !t.is_empty()) {
            return Err(Error::Auth {
                code: None,
                vendor: VENDOR,
                status: Some(response.status.as_u16()),
                message: "multi-factor authentication is enabled for this user: the appliance \
                          answered an mfa_token and the Mfa grant must be completed with a code; \
                          use a REST API user without MFA or pass an access token \
                          (VEEAM_ACCESS_TOKEN)"
                    .to_owned(),
                request_id: response.request_id.clone(),
            });
        }
        let Some(access_token) = answer.access_token.filter(|t| !t.is_empty()) else {
            return Err(Error::Auth {
                code: None,
                vendor: VENDOR,
                status: Some(response.status.as_u16()),
                message: "the token answer carries no access_token".to_owned(),
                request_id: response.request_id.clone(),
            });
        };
        let now = OffsetDateTime::now_utc();
        let expires_at = answer
            .expires_in
            .map(|seconds| now + time::Duration::seconds(seconds.max(0)))
            .or_else(|| answer.expires.as_deref().and_then(parse_expires));
        self.logged_in.store(true, Ordering::Release);
        if let Some(refresh) = answer.refresh_token.filter(|t| !t.is_empty()) {
            *self
                .refresh_token
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(SecretString::from(refresh));
        }
        Ok(AccessToken::new(access_token, expires_at))
    }
}

#[async_trait]
impl TokenProvider for PasswordGrant {
    async fn fetch_token(&self) -> Result<AccessToken> {
        if let Some(refresh_token) = self.current_refresh_token() {
            match self.refresh_grant(&refresh_token).await {
                Ok(token) => return Ok(token),
                Err(error) if refused(&error) => {
                    tracing::debug!(
                        vendor = VENDOR,
                        status = error.status(),
                        "refresh token refused; falling back to the password grant"
                    );
                    self.forget_refresh_token();
                }
                Err(error) => return Err(error),
            }
        }
        self.password_grant().await
    }
}

/// `.expires` of a token answer: an HTTP date (`Mon, 03 Feb 2020 15:25:03 GMT`, as
/// ASP.NET's OAuth server writes it) or RFC 3339.
fn parse_expires(text: &str) -> Option<OffsetDateTime> {
    httpdate::parse_http_date(text.trim())
        .ok()
        .map(OffsetDateTime::from)
        .or_else(|| backup_core::timefmt::parse_timestamp(text))
}

/// A token endpoint's refusal (a 4xx other than 429) as [`Error::Auth`]. Secrets the
/// request carried are already kept out of the error by the transport
/// ([`Request::redacting`]).
fn refusal(error: Error) -> Error {
    match error {
        Error::Api(api) if (400..500).contains(&api.status) && api.status != 429 => Error::Auth {
            code: api.code.clone(),
            vendor: VENDOR,
            status: Some(api.status),
            message: format!("the token endpoint refused the grant: {api}"),
            request_id: api.request_id.clone(),
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_secrets() {
        let text = format!(
            "{:?} {:?}",
            Credential::password("admin", "pa55-SENTINEL"),
            Credential::access_token("tok-SENTINEL")
        );
        assert!(!text.contains("SENTINEL"), "{text}");
        assert!(text.contains("admin"));
    }

    #[test]
    fn refusals_become_auth_errors() {
        let api = backup_core::ApiError::new(VENDOR, 400, "invalid_grant");
        let error = refusal(Error::Api(Box::new(api)));
        assert!(matches!(
            error,
            Error::Auth {
                status: Some(400),
                ..
            }
        ));
        let api = backup_core::ApiError::new(VENDOR, 503, "busy");
        assert!(matches!(refusal(Error::Api(Box::new(api))), Error::Api(_)));
    }

    #[test]
    fn expires_forms() {
        let http = parse_expires("Mon, 03 Feb 2020 15:25:03 GMT").unwrap();
        assert_eq!(http.unix_timestamp(), 1_580_743_503);
        assert_eq!(parse_expires("2020-02-03T15:25:03Z"), Some(http));
        assert_eq!(parse_expires("soon"), None);
    }

    #[test]
    fn refusal_kinds() {
        let auth = Error::Auth {
            code: None,
            vendor: VENDOR,
            status: Some(401),
            message: String::new(),
            request_id: None,
        };
        assert!(refused(&auth));
        assert!(!refused(&Error::auth(VENDOR, "no status")));
        let throttled = Error::Api(Box::new(backup_core::ApiError::new(VENDOR, 429, "")));
        assert!(!refused(&throttled));
    }
}
