//! IAM token exchanges: `POST {iam}/iam/v1/tokens` with an OAuth token or a JWT.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use backup_core::auth::{AccessToken, NoAuth, TokenProvider};
use backup_core::transport::{Idempotency, Request, Response};
use backup_core::{Transport, timefmt};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use time::OffsetDateTime;
use url::Url;

use super::key::ServiceAccountKey;
use crate::model::IamTokenResponse;
use crate::{Error, Result, VENDOR};

/// How long a fetched IAM token is used before it is refreshed: Yandex advises to
/// refresh hourly, well before the 12 h limit.
pub const REFRESH_AFTER: Duration = Duration::from_secs(3600);

/// Exchanges a Yandex Passport OAuth token (`YC_TOKEN`) for IAM tokens.
#[derive(Clone)]
pub struct OAuthTokenProvider {
    transport: Transport,
    url: Url,
    oauth_token: SecretString,
}

impl OAuthTokenProvider {
    /// A provider posting to `tokens_url` (`{iam}/iam/v1/tokens`) through `transport`.
    #[must_use]
    pub fn new(transport: Transport, tokens_url: Url, oauth_token: SecretString) -> Self {
        Self {
            transport,
            url: tokens_url,
            oauth_token,
        }
    }
}

impl fmt::Debug for OAuthTokenProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthTokenProvider")
            .field("url", &self.url.as_str())
            .field("oauth_token", &"<redacted>")
            .finish()
    }
}

#[async_trait]
impl TokenProvider for OAuthTokenProvider {
    async fn fetch_token(&self) -> Result<AccessToken> {
        let body = json!({ "yandexPassportOauthToken": self.oauth_token.expose_secret() });
        exchange(
            &self.transport,
            &self.url,
            &body,
            &self.oauth_token,
            "OAuth token",
        )
        .await
    }
}

/// Signs a PS256 JWT with a service account's authorized key and exchanges it for IAM
/// tokens.
#[derive(Clone)]
pub struct ServiceAccountKeyProvider {
    transport: Transport,
    url: Url,
    key: ServiceAccountKey,
}

impl ServiceAccountKeyProvider {
    /// A provider posting to `tokens_url` (`{iam}/iam/v1/tokens`) through `transport`.
    #[must_use]
    pub fn new(transport: Transport, tokens_url: Url, key: ServiceAccountKey) -> Self {
        Self {
            transport,
            url: tokens_url,
            key,
        }
    }
}

impl fmt::Debug for ServiceAccountKeyProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceAccountKeyProvider")
            .field("url", &self.url.as_str())
            .field("key", &self.key)
            .finish()
    }
}

#[async_trait]
impl TokenProvider for ServiceAccountKeyProvider {
    async fn fetch_token(&self) -> Result<AccessToken> {
        let jwt = self.key.sign_jwt(OffsetDateTime::now_utc())?;
        let body = json!({ "jwt": jwt.expose_secret() });
        exchange(
            &self.transport,
            &self.url,
            &body,
            &jwt,
            "service account key",
        )
        .await
    }
}

/// Posts `body`, which carries `secret`, to the IAM token endpoint and reads
/// `{iamToken, expiresAt}`. The transport keeps `secret` out of any error built from
/// the answer, in case the token service echoes it back.
async fn exchange(
    transport: &Transport,
    url: &Url,
    body: &serde_json::Value,
    secret: &SecretString,
    what: &str,
) -> Result<AccessToken> {
    // The exchange starts nothing: it is safe to repeat.
    let request = Request::post(VENDOR, url.clone())
        .idempotency(Idempotency::Safe)
        .action(format!("exchange the {what} for an IAM token"))
        .redacting(secret)
        .json(body)?;
    let response = transport
        .send(request, &NoAuth)
        .await
        .map_err(|e| as_auth_error(e, what))?;
    let answer: IamTokenResponse = response.json()?;
    let expires_at = answer
        .expires_at
        .as_deref()
        .and_then(timefmt::parse_rfc3339);
    Ok(AccessToken {
        secret: answer.iam_token,
        expires_at: Some(refresh_deadline(expires_at)),
    })
}

/// When the cache should consider a token fetched now due: at its expiry, or after
/// [`REFRESH_AFTER`], whichever comes first.
pub(crate) fn refresh_deadline(expires_at: Option<OffsetDateTime>) -> OffsetDateTime {
    let hourly = OffsetDateTime::now_utc()
        + time::Duration::try_from(REFRESH_AFTER).unwrap_or(time::Duration::HOUR);
    expires_at.map_or(hourly, |at| at.min(hourly))
}

/// A refusal of the token service is an authentication failure; transport trouble
/// stays what it is.
pub(crate) fn as_auth_error(error: Error, what: &str) -> Error {
    match error {
        Error::Api(api) if !api.kind.is_transient() => Error::Auth {
            code: api.code.clone(),
            vendor: VENDOR,
            status: Some(api.status),
            message: format!(
                "the IAM token service refused the {what}: {}{}; {}",
                api.code
                    .as_deref()
                    .map(|c| format!("{c}: "))
                    .unwrap_or_default(),
                api.message,
                crate::error::AUTH_HINT
            ),
            request_id: api.request_id.clone(),
        },
        other => other,
    }
}

/// Reads a token answer (used by the metadata provider too).
pub(crate) fn decode<T: serde::de::DeserializeOwned>(response: &Response) -> Result<T> {
    response.json()
}
