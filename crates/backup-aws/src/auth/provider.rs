//! [`CredentialsProvider`]: AWS credentials as a backup-core [`TokenProvider`], so that
//! backup-core's [`TokenCache`](backup_core::auth::TokenCache) keeps them (until five
//! minutes before they expire, one refresh shared by every concurrent caller, a
//! rejected generation forgotten).
//!
//! The cache holds one secret per generation; here it is the access key id, the secret
//! key and the session token joined by newlines (none of them can hold one), split
//! again by [`decode_credentials`] when a request is signed.

use std::fmt;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::SystemTime;

use async_trait::async_trait;
use aws_config::default_provider::credentials::DefaultCredentialsChain;
use aws_config::imds;
use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use backup_core::auth::{AccessToken, ExposeSecret, SecretString, TokenProvider};
use backup_core::{Error, RequestSent, Result};
use futures_util::FutureExt as _;
use time::OffsetDateTime;
use tokio::sync::OnceCell;

use super::Credential;
use super::sigv4::Keys;
use crate::VENDOR;

/// What to tell a user for whom no source had credentials.
const NO_CREDENTIALS: &str = "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE \
    (aws configure, aws sso login), or run where a web identity, container or instance role \
    provides them";

/// AWS credentials from a [`Credential`], for a [`TokenCache`](backup_core::auth::TokenCache).
pub struct CredentialsProvider {
    source: Source,
}

enum Source {
    Static(Credentials),
    Provider(SharedCredentialsProvider),
    /// Built on first use (building it is async: it resolves the Region).
    Chain {
        profile: Option<String>,
        imds_endpoint: Option<String>,
        region: Option<String>,
        chain: OnceCell<DefaultCredentialsChain>,
    },
}

impl fmt::Debug for CredentialsProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.source {
            Source::Static(credentials) => {
                return f
                    .debug_struct("CredentialsProvider")
                    .field(
                        "static_access_key_id",
                        &super::mask_key(credentials.access_key_id()),
                    )
                    .finish_non_exhaustive();
            }
            Source::Provider(_) => "provider",
            Source::Chain { .. } => "default_chain",
        };
        f.debug_struct("CredentialsProvider")
            .field("source", &kind)
            .finish_non_exhaustive()
    }
}

impl CredentialsProvider {
    /// The provider of `credential`; `region` is handed to the default chain (for STS
    /// calls of web identities and assumed roles).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a malformed metadata endpoint.
    pub fn new(credential: Credential, region: Option<&str>) -> Result<Arc<Self>> {
        let source = match credential {
            Credential::Static { .. } => {
                let Some((key, secret, token)) = credential.static_parts() else {
                    return Err(Error::config(VENDOR, "static keys expected"));
                };
                Source::Static(Credentials::new(
                    key,
                    secret,
                    token,
                    None,
                    "backup-rs-static",
                ))
            }
            Credential::Provider(provider) => Source::Provider(provider),
            Credential::DefaultChain {
                profile,
                imds_endpoint,
            } => {
                if let Some(endpoint) = &imds_endpoint {
                    imds::Client::builder().endpoint(endpoint).map_err(|e| {
                        Error::invalid_input(VENDOR, "imds_endpoint", e.to_string())
                    })?;
                }
                Source::Chain {
                    profile,
                    imds_endpoint,
                    region: region.map(str::to_owned),
                    chain: OnceCell::new(),
                }
            }
        };
        Ok(Arc::new(Self { source }))
    }

    async fn credentials(&self) -> Result<Credentials> {
        let provider: &dyn ProvideCredentials = match &self.source {
            Source::Static(credentials) => return Ok(credentials.clone()),
            Source::Provider(provider) => provider,
            Source::Chain {
                profile,
                imds_endpoint,
                region,
                chain,
            } => {
                chain
                    .get_or_init(|| build_chain(profile, imds_endpoint, region))
                    .await
            }
        };
        // A provider must not take the client down: aws-config's IMDS client panics on
        // a role name that is no valid URI path (`expect("valid request")`), which a
        // proxy or a broken metadata service can answer.
        match AssertUnwindSafe(provider.provide_credentials())
            .catch_unwind()
            .await
        {
            Ok(result) => result.map_err(|error| credentials_error(&error)),
            Err(_) => Err(Error::Transport {
                vendor: VENDOR,
                message: "the AWS credential provider failed on an answer it could not handle"
                    .to_owned(),
                sent: RequestSent::No,
                source: None,
            }),
        }
    }
}

async fn build_chain(
    profile: &Option<String>,
    imds_endpoint: &Option<String>,
    region: &Option<String>,
) -> DefaultCredentialsChain {
    let mut builder = DefaultCredentialsChain::builder();
    if let Some(profile) = profile {
        builder = builder.profile_name(profile);
    }
    if let Some(endpoint) = imds_endpoint
        && let Ok(client) = imds::Client::builder().endpoint(endpoint)
    {
        builder = builder.imds_client(client.build());
    }
    if let Some(region) = region {
        builder = builder.region(aws_config::Region::new(region.clone()));
    }
    builder.build().await
}

/// A credential source's failure, as the error of the request it was for (nothing was
/// sent): no source had credentials, or one was misconfigured, is [`Error::Config`]
/// naming what to set; a source that timed out or failed (IMDS, STS, SSO unreachable
/// or refusing) is an unsent [`Error::Transport`].
fn credentials_error(error: &CredentialsError) -> Error {
    let detail = error_chain(error);
    match error {
        CredentialsError::CredentialsNotLoaded(_) | CredentialsError::InvalidConfiguration(_) => {
            Error::config(
                VENDOR,
                format!("no AWS credentials: {detail}; {NO_CREDENTIALS}"),
            )
        }
        _ => Error::Transport {
            vendor: VENDOR,
            message: format!("the AWS credential provider failed: {detail}"),
            sent: RequestSent::No,
            source: None,
        },
    }
}

/// The error and its sources on one line.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[async_trait]
impl TokenProvider for CredentialsProvider {
    async fn fetch_token(&self) -> Result<AccessToken> {
        let credentials = self.credentials().await?;
        let mut joined = String::with_capacity(
            credentials.access_key_id().len() + credentials.secret_access_key().len() + 512,
        );
        for part in [credentials.access_key_id(), credentials.secret_access_key()]
            .into_iter()
            .chain(credentials.session_token())
        {
            if part.contains('\n') {
                return Err(Error::auth(
                    VENDOR,
                    "the credentials hold a line break, which AWS never issues",
                ));
            }
            if !joined.is_empty() {
                joined.push('\n');
            }
            joined.push_str(part);
        }
        Ok(AccessToken {
            secret: SecretString::from(joined),
            expires_at: credentials.expiry().map(expiry_time),
        })
    }

    /// Static keys cannot be refreshed; every other source can.
    fn can_refresh(&self) -> bool {
        !matches!(self.source, Source::Static(_))
    }
}

fn expiry_time(at: SystemTime) -> OffsetDateTime {
    OffsetDateTime::from(at)
}

/// The access key id, secret key and session token of a cached generation.
///
/// # Errors
/// [`Error::Auth`] when the secret is not of [`CredentialsProvider`]'s making.
pub fn decode_credentials(secret: &SecretString) -> Result<Credentials> {
    let keys = split_credentials(secret.expose_secret())?;
    Ok(Credentials::new(
        keys.access_key_id,
        keys.secret_access_key,
        keys.session_token.map(str::to_owned),
        None,
        "backup-rs",
    ))
}

/// The keys in a cached generation's secret, borrowed from it (what signing a request
/// reads, without copying them).
///
/// # Errors
/// [`Error::Auth`] when the secret is not of [`CredentialsProvider`]'s making.
pub(crate) fn split_credentials(secret: &str) -> Result<Keys<'_>> {
    let mut parts = secret.split('\n');
    let (Some(access_key_id), Some(secret_access_key)) = (parts.next(), parts.next()) else {
        return Err(Error::auth(
            VENDOR,
            "the cached credentials are not AWS keys",
        ));
    };
    Ok(Keys {
        access_key_id,
        secret_access_key,
        session_token: parts.next(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn keys_and_token_round_trip_through_the_cache_secret() {
        for credential in [
            Credential::keys("AKIDEXAMPLE", "secret/with+chars="),
            Credential::session("ASIAEXAMPLE", "s", "token=="),
        ] {
            let provider = CredentialsProvider::new(credential.clone(), None).unwrap();
            assert!(!provider.can_refresh());
            let token = provider.fetch_token().await.unwrap();
            assert_eq!(token.expires_at, None);
            let back = decode_credentials(&token.secret).unwrap();
            let (key, secret, session) = credential.static_parts().unwrap();
            assert_eq!(back.access_key_id(), key);
            assert_eq!(back.secret_access_key(), secret);
            assert_eq!(back.session_token().map(str::to_owned), session);
        }
        assert!(decode_credentials(&SecretString::from("one part")).is_err());
    }

    #[tokio::test]
    async fn a_provider_is_refreshable_and_its_expiry_kept() {
        let expiry = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(2_000_000_000);
        let provider = CredentialsProvider::new(
            Credential::provider(Credentials::new(
                "ASIA1",
                "s",
                Some("t".into()),
                Some(expiry),
                "test",
            )),
            None,
        )
        .unwrap();
        assert!(provider.can_refresh());
        let token = provider.fetch_token().await.unwrap();
        assert_eq!(
            token.expires_at.map(OffsetDateTime::unix_timestamp),
            Some(2_000_000_000)
        );
    }
}
