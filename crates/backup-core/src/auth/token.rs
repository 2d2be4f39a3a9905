use std::fmt;

use async_trait::async_trait;
use secrecy::SecretString;
use time::OffsetDateTime;

use crate::Result;

/// A bearer token (or session token) and when it expires.
///
/// `Debug` shows only whether it expires, never the secret.
#[derive(Clone)]
pub struct AccessToken {
    /// The token itself.
    pub secret: SecretString,
    /// When it stops being valid; `None` when unknown (kept until rejected).
    pub expires_at: Option<OffsetDateTime>,
}

impl AccessToken {
    /// A token expiring at `expires_at`.
    pub fn new(secret: impl Into<String>, expires_at: Option<OffsetDateTime>) -> Self {
        Self {
            secret: SecretString::from(secret.into()),
            expires_at,
        }
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("secret", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Fetches a fresh token. Implementations do the vendor's exchange (OAuth, JWT, login,
/// metadata service ...); caching belongs to [`crate::auth::TokenCache`].
#[async_trait]
pub trait TokenProvider: Send + Sync + fmt::Debug {
    /// Fetches a new token.
    async fn fetch_token(&self) -> Result<AccessToken>;

    /// Whether fetching again can give a different token. A static token cannot, so a
    /// request it made that was answered 401 is not replayed.
    fn can_refresh(&self) -> bool {
        true
    }
}

/// A token given once by the user, never refreshed.
#[derive(Clone)]
pub struct StaticToken {
    token: AccessToken,
}

impl StaticToken {
    /// A static token without expiry.
    pub fn new(secret: impl Into<String>) -> Self {
        Self {
            token: AccessToken::new(secret, None),
        }
    }

    /// A static token from a secret already wrapped.
    #[must_use]
    pub fn from_secret(secret: SecretString) -> Self {
        Self {
            token: AccessToken {
                secret,
                expires_at: None,
            },
        }
    }
}

impl fmt::Debug for StaticToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticToken")
            .field("secret", &"<redacted>")
            .finish()
    }
}

#[async_trait]
impl TokenProvider for StaticToken {
    async fn fetch_token(&self) -> Result<AccessToken> {
        Ok(self.token.clone())
    }

    fn can_refresh(&self) -> bool {
        false
    }
}
