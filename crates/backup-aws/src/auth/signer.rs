//! [`SigV4`]: signs each attempt of a request with our own Signature Version 4 signer
//! ([`super::sigv4`], service `backup`), with the cached credentials.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use async_trait::async_trait;
use backup_core::auth::{AuthTicket, Authenticator, ExposeSecret, TokenCache};
use backup_core::transport::Request;
use backup_core::{Error, Result};
use http::header::AUTHORIZATION;
use http::{HeaderName, HeaderValue};

use super::provider::split_credentials;
use super::sigv4::{self, Keys, Scope, SigningKeys};
use crate::VENDOR;

/// The signing name of AWS Backup (the model's `signingName`, its `endpointPrefix`).
pub const SERVICE_NAME: &str = "backup";

/// `x-amz-date`.
const X_AMZ_DATE: HeaderName = HeaderName::from_static("x-amz-date");
/// `x-amz-security-token`.
const X_AMZ_SECURITY_TOKEN: HeaderName = HeaderName::from_static("x-amz-security-token");

/// The headers a signature sets, removed before each attempt is signed again.
const SIGNATURE_HEADERS: [&str; 4] = [
    "authorization",
    "x-amz-date",
    "x-amz-security-token",
    "x-amz-content-sha256",
];

/// Signs requests for one Region with the credentials of a cache.
#[derive(Clone)]
pub struct SigV4 {
    credentials: Arc<TokenCache>,
    region: Arc<str>,
    keys: Arc<SigningKeys>,
}

impl fmt::Debug for SigV4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigV4")
            .field("region", &self.region)
            .field("service", &SERVICE_NAME)
            .field("credentials", &self.credentials)
            .field("keys", &self.keys)
            .finish()
    }
}

impl SigV4 {
    /// A signer for `region` with the credentials `credentials` caches (and signing
    /// keys of its own).
    pub fn new(credentials: Arc<TokenCache>, region: impl Into<Arc<str>>) -> Self {
        Self::with_keys(credentials, region, Arc::default())
    }

    /// A signer for `region` that keeps its derived signing keys in `keys`, which
    /// signers made for each call of one client share.
    pub fn with_keys(
        credentials: Arc<TokenCache>,
        region: impl Into<Arc<str>>,
        keys: Arc<SigningKeys>,
    ) -> Self {
        Self {
            credentials,
            region: region.into(),
            keys,
        }
    }

    /// The Region it signs for.
    #[must_use]
    pub fn region(&self) -> &str {
        &self.region
    }

    /// Signs `request` as of `time` with `keys` (what `authorize` does with the cached
    /// credentials and the clock; for tests with a fixed time): sets `x-amz-date`,
    /// `authorization` and, with a session token, `x-amz-security-token`.
    ///
    /// # Errors
    /// [`Error::Auth`] when the request cannot be signed (a header that is no text, a
    /// URL without a host, keys that are no header value).
    pub fn sign_at(&self, request: &mut Request, keys: Keys<'_>, time: SystemTime) -> Result<()> {
        for name in SIGNATURE_HEADERS {
            request.headers.remove(name);
        }
        let token = keys.session_token.map(sensitive_value).transpose()?;
        let scope = Scope {
            region: &self.region,
            service: SERVICE_NAME,
        };
        let signature = sigv4::sign(request, keys, scope, time, &self.keys)?;
        request.headers.insert(
            X_AMZ_DATE,
            HeaderValue::from_str(&signature.amz_date).map_err(|_| unsignable())?,
        );
        request
            .headers
            .insert(AUTHORIZATION, sensitive_value(&signature.authorization)?);
        if let Some(token) = token {
            request.headers.insert(X_AMZ_SECURITY_TOKEN, token);
        }
        Ok(())
    }
}

/// `value` as a header value kept out of logs.
fn sensitive_value(value: &str) -> Result<HeaderValue> {
    let mut value = HeaderValue::from_str(value).map_err(|_| unsignable())?;
    value.set_sensitive(true);
    Ok(value)
}

fn unsignable() -> Error {
    Error::auth(VENDOR, "the signature is not a header value")
}

#[async_trait]
impl Authenticator for SigV4 {
    async fn authorize(&self, request: &mut Request) -> Result<AuthTicket> {
        let cached = self.credentials.token().await?;
        let keys = split_credentials(cached.token.secret.expose_secret())?;
        self.sign_at(request, keys, SystemTime::now())?;
        Ok(AuthTicket {
            generation: Some(cached.generation),
        })
    }

    /// A 401 drops the credentials that signed the attempt, when they can be fetched
    /// again (AWS refuses credentials with 400 or 403, which the client handles itself:
    /// see `Client`).
    fn reject(&self, ticket: AuthTicket) -> bool {
        match ticket.generation {
            Some(generation) if self.credentials.can_refresh() => {
                self.credentials.invalidate(generation);
                true
            }
            _ => false,
        }
    }
}
