//! [`SigV4`]: signs each attempt of a request with `aws-sigv4` (Signature Version 4,
//! service `backup`), with the cached credentials.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use async_trait::async_trait;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use backup_core::auth::{AuthTicket, Authenticator, TokenCache};
use backup_core::transport::Request;
use backup_core::{Error, Result};
use http::header::AUTHORIZATION;
use http::{HeaderName, HeaderValue};
use tracing::subscriber::NoSubscriber;

use super::decode_credentials;
use crate::VENDOR;

/// The signing name of AWS Backup (the model's `signingName`, its `endpointPrefix`).
pub const SERVICE_NAME: &str = "backup";

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
}

impl fmt::Debug for SigV4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigV4")
            .field("region", &self.region)
            .field("service", &SERVICE_NAME)
            .field("credentials", &self.credentials)
            .finish()
    }
}

impl SigV4 {
    /// A signer for `region` with the credentials `credentials` caches.
    pub fn new(credentials: Arc<TokenCache>, region: impl Into<Arc<str>>) -> Self {
        Self {
            credentials,
            region: region.into(),
        }
    }

    /// The Region it signs for.
    #[must_use]
    pub fn region(&self) -> &str {
        &self.region
    }

    /// Signs `request` as of `time` with `credentials` (what `authorize` does with the
    /// cached credentials and the clock; for tests with a fixed time).
    ///
    /// # Errors
    /// [`Error::Auth`] when the request cannot be signed (a header that is no text, a
    /// URL `aws-sigv4` refuses).
    pub fn sign_at(
        &self,
        request: &mut Request,
        credentials: aws_credential_types::Credentials,
        time: SystemTime,
    ) -> Result<()> {
        for name in SIGNATURE_HEADERS {
            request.headers.remove(name);
        }
        let identity = credentials.into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name(SERVICE_NAME)
            .time(time)
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| unsignable(&e))?
            .into();
        let mut headers = Vec::with_capacity(request.headers.len());
        for (name, value) in &request.headers {
            let value = value
                .to_str()
                .map_err(|_| Error::auth(VENDOR, format!("header {name} is not text")))?;
            headers.push((name.as_str(), value));
        }
        let signable = SignableRequest::new(
            request.method.as_str(),
            request.url.as_str(),
            headers.into_iter(),
            SignableBody::Bytes(&request.body),
        )
        .map_err(|e| unsignable(&e))?;
        // aws-sigv4 traces its parameters, the access key id among them: sign with no
        // subscriber listening (the canonical request is ours to know, and the key id
        // is kept out of every log, as backupctl's secret checks demand).
        let signed =
            tracing::subscriber::with_default(NoSubscriber::default(), || sign(signable, &params));
        let (instructions, _signature) = signed.map_err(|e| unsignable(&e))?.into_parts();
        let (signed_headers, _query) = instructions.into_parts();
        for header in signed_headers {
            let name = HeaderName::from_static(header.name());
            let mut value = HeaderValue::from_str(header.value())
                .map_err(|_| Error::auth(VENDOR, "the signature is not a header value"))?;
            if header.sensitive() || name == AUTHORIZATION {
                value.set_sensitive(true);
            }
            request.headers.insert(name, value);
        }
        Ok(())
    }
}

fn unsignable(error: &dyn std::error::Error) -> Error {
    Error::auth(VENDOR, format!("cannot sign the request: {error}"))
}

#[async_trait]
impl Authenticator for SigV4 {
    async fn authorize(&self, request: &mut Request) -> Result<AuthTicket> {
        let cached = self.credentials.token().await?;
        let credentials = decode_credentials(&cached.token.secret)?;
        self.sign_at(request, credentials, SystemTime::now())?;
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
