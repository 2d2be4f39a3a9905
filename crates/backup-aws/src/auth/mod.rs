//! Credentials and SigV4 signing.
//!
//! Credentials come from AWS's own crates, as Azure's come from `azure_identity`:
//! [`Credential::DefaultChain`] is `aws-config`'s default credential chain
//! (environment variables, the shared config and credentials files with their profiles,
//! SSO, `credential_process` and assumed roles, web identity, the ECS/EKS container
//! endpoint, and EC2 instance metadata (IMDSv2)); [`Credential::Provider`] takes any
//! `aws-credential-types` provider; [`Credential::Static`] takes keys given once.
//!
//! Whatever the source, a backup-core [`TokenCache`](backup_core::auth::TokenCache)
//! keeps the credentials until five minutes before they expire and shares one refresh
//! among concurrent callers ([`CredentialsProvider`]). [`SigV4`] signs every attempt
//! with our own Signature Version 4 signer ([`sigv4`], service `backup`, checked against
//! `aws-sigv4` by the tests) on our own transport.

mod provider;
mod signer;
pub mod sigv4;

use std::fmt;

use aws_credential_types::provider::SharedCredentialsProvider;
use backup_core::auth::{ExposeSecret, SecretString};
use backup_core::contract::{EnvVar, Lookup};
use backup_core::{Error, Result};

pub use provider::{CredentialsProvider, decode_credentials};
pub use signer::{SERVICE_NAME, SigV4};

use crate::VENDOR;

/// `AWS_ACCESS_KEY_ID`: an access key id (with `AWS_SECRET_ACCESS_KEY`).
pub const ENV_ACCESS_KEY_ID: &str = "AWS_ACCESS_KEY_ID";
/// `AWS_SECRET_ACCESS_KEY`: the secret of `AWS_ACCESS_KEY_ID`.
pub const ENV_SECRET_ACCESS_KEY: &str = "AWS_SECRET_ACCESS_KEY";
/// `AWS_SESSION_TOKEN`: the session token of temporary keys.
pub const ENV_SESSION_TOKEN: &str = "AWS_SESSION_TOKEN";
/// `AWS_PROFILE`: the profile of the shared config and credentials files.
pub const ENV_PROFILE: &str = "AWS_PROFILE";
/// `AWS_REGION`: the Region.
pub const ENV_REGION: &str = "AWS_REGION";
/// `AWS_DEFAULT_REGION`: the Region, when `AWS_REGION` is unset (the AWS CLI's name).
pub const ENV_DEFAULT_REGION: &str = "AWS_DEFAULT_REGION";
/// `AWS_ENDPOINT_URL_BACKUP`: the AWS Backup endpoint (AWS's service-specific name).
pub const ENV_ENDPOINT_URL_BACKUP: &str = "AWS_ENDPOINT_URL_BACKUP";
/// `AWS_ENDPOINT_URL`: the endpoint of every AWS service.
pub const ENV_ENDPOINT_URL: &str = "AWS_ENDPOINT_URL";
/// `AWS_USE_FIPS_ENDPOINT`: `true` for the FIPS endpoint (`backup-fips.{region}...`).
pub const ENV_USE_FIPS_ENDPOINT: &str = "AWS_USE_FIPS_ENDPOINT";
/// `AWS_USE_DUALSTACK_ENDPOINT`: `true` for the dual-stack (IPv6) endpoint.
pub const ENV_USE_DUALSTACK_ENDPOINT: &str = "AWS_USE_DUALSTACK_ENDPOINT";
/// `AWS_MAX_ATTEMPTS`: attempts per request, the first included (AWS's default: 3).
pub const ENV_MAX_ATTEMPTS: &str = "AWS_MAX_ATTEMPTS";
/// `AWS_EC2_METADATA_SERVICE_ENDPOINT`: the instance metadata service (IMDS) the
/// default chain asks for credentials and the Region.
pub const ENV_EC2_METADATA_SERVICE_ENDPOINT: &str = "AWS_EC2_METADATA_SERVICE_ENDPOINT";

/// The variables [`crate::ClientBuilder`]'s `from_config` reads through its lookup, in
/// order of precedence. When no keys are given, `aws-config`'s default chain also reads
/// its own variables from the process environment (`AWS_CONFIG_FILE`,
/// `AWS_SHARED_CREDENTIALS_FILE`, `AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN`,
/// `AWS_CONTAINER_CREDENTIALS_FULL_URI` / `_RELATIVE_URI`, `AWS_EC2_METADATA_DISABLED`
/// ...): see `docs/vendors/aws.md`.
pub const ENVIRONMENT: &[EnvVar] = &[
    EnvVar::new(
        ENV_ACCESS_KEY_ID,
        "an access key id (with AWS_SECRET_ACCESS_KEY); otherwise aws-config's default chain \
         (profiles, SSO, web identity, container and instance roles)",
    ),
    EnvVar::new(ENV_SECRET_ACCESS_KEY, "the secret access key"),
    EnvVar::new(ENV_SESSION_TOKEN, "the session token of temporary keys"),
    EnvVar::new(
        ENV_PROFILE,
        "the profile of ~/.aws/config and ~/.aws/credentials (SSO, assumed roles, credential_process)",
    ),
    EnvVar::new(
        ENV_REGION,
        "the Region, unless the config gives one (else the profile's, else instance metadata)",
    ),
    EnvVar::new(ENV_DEFAULT_REGION, "the Region when AWS_REGION is unset"),
    EnvVar::new(ENV_ENDPOINT_URL_BACKUP, "the AWS Backup endpoint"),
    EnvVar::new(ENV_ENDPOINT_URL, "the endpoint of every AWS service"),
    EnvVar::new(ENV_USE_FIPS_ENDPOINT, "true: the FIPS endpoint"),
    EnvVar::new(ENV_USE_DUALSTACK_ENDPOINT, "true: the dual-stack endpoint"),
    EnvVar::new(ENV_MAX_ATTEMPTS, "attempts per request (default 3)"),
    EnvVar::new(
        ENV_EC2_METADATA_SERVICE_ENDPOINT,
        "the instance metadata service (IMDSv2) for credentials and the Region",
    ),
];

/// How the client gets its AWS credentials.
///
/// `Debug` names the kind of credential and the first four characters of an access key
/// id, never the whole id, a secret key or a session token.
#[derive(Clone)]
#[non_exhaustive]
pub enum Credential {
    /// Keys given once (never refreshed).
    Static {
        /// The access key id (`AKIA...` or, with a session token, `ASIA...`).
        access_key_id: String,
        /// The secret access key.
        secret_access_key: SecretString,
        /// The session token of temporary keys.
        session_token: Option<SecretString>,
    },
    /// `aws-config`'s default credential chain, as the AWS SDKs and CLI use it.
    DefaultChain {
        /// The profile (`AWS_PROFILE` of the process environment when `None`).
        profile: Option<String>,
        /// The instance metadata endpoint (`http://169.254.169.254` when `None`).
        imds_endpoint: Option<String>,
    },
    /// Any `aws-credential-types` provider (an `aws-config` provider built by hand,
    /// an assumed role, a test provider ...).
    Provider(SharedCredentialsProvider),
}

impl Credential {
    /// Keys given once.
    pub fn keys(access_key_id: impl Into<String>, secret_access_key: impl Into<String>) -> Self {
        Self::Static {
            access_key_id: access_key_id.into(),
            secret_access_key: SecretString::from(secret_access_key.into()),
            session_token: None,
        }
    }

    /// Temporary keys given once.
    pub fn session(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: impl Into<String>,
    ) -> Self {
        Self::Static {
            access_key_id: access_key_id.into(),
            secret_access_key: SecretString::from(secret_access_key.into()),
            session_token: Some(SecretString::from(session_token.into())),
        }
    }

    /// `aws-config`'s default chain with the process's profile and metadata endpoint.
    #[must_use]
    pub fn default_chain() -> Self {
        Self::DefaultChain {
            profile: None,
            imds_endpoint: None,
        }
    }

    /// Any credentials provider.
    pub fn provider(
        provider: impl aws_credential_types::provider::ProvideCredentials + 'static,
    ) -> Self {
        Self::Provider(SharedCredentialsProvider::new(provider))
    }

    /// The credential `from_env` picks, reading through `lookup`: `AWS_ACCESS_KEY_ID` +
    /// `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`) as static keys; otherwise the
    /// default chain, with the profile `AWS_PROFILE` and the metadata endpoint
    /// `AWS_EC2_METADATA_SERVICE_ENDPOINT`. Blank values count as unset.
    ///
    /// # Errors
    /// [`Error::Config`] when only one of the two keys is set.
    pub fn from_vars(lookup: Lookup<'_>) -> Result<Self> {
        let get = |name: &str| {
            lookup(name)
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
        };
        match (get(ENV_ACCESS_KEY_ID), get(ENV_SECRET_ACCESS_KEY)) {
            (Some(access_key_id), Some(secret)) => Ok(Self::Static {
                access_key_id,
                secret_access_key: SecretString::from(secret),
                session_token: get(ENV_SESSION_TOKEN).map(SecretString::from),
            }),
            (None, None) => Ok(Self::DefaultChain {
                profile: get(ENV_PROFILE),
                imds_endpoint: get(ENV_EC2_METADATA_SERVICE_ENDPOINT),
            }),
            (Some(_), None) | (None, Some(_)) => Err(Error::config(
                VENDOR,
                format!(
                    "set both {ENV_ACCESS_KEY_ID} and {ENV_SECRET_ACCESS_KEY} (or neither, \
                     to use the default credential chain)"
                ),
            )),
        }
    }

    /// What kind of credential this is, for `Debug` output and messages.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Static {
                session_token: Some(_),
                ..
            } => "session_keys",
            Self::Static { .. } => "static_keys",
            Self::DefaultChain { .. } => "default_chain",
            Self::Provider(_) => "provider",
        }
    }

    /// The static keys' parts, for the credentials provider.
    pub(crate) fn static_parts(&self) -> Option<(String, String, Option<String>)> {
        match self {
            Self::Static {
                access_key_id,
                secret_access_key,
                session_token,
            } => Some((
                access_key_id.clone(),
                secret_access_key.expose_secret().to_owned(),
                session_token
                    .as_ref()
                    .map(|token| token.expose_secret().to_owned()),
            )),
            _ => None,
        }
    }
}

/// An access key id for `Debug` output: its first four characters (`AKIA`: long-term,
/// `ASIA`: temporary), never the whole id.
#[must_use]
pub fn mask_key(access_key_id: &str) -> String {
    let prefix: String = access_key_id.chars().take(4).collect();
    format!("{prefix}…")
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Static {
                access_key_id,
                session_token,
                ..
            } => f
                .debug_struct("Static")
                .field("access_key_id", &mask_key(access_key_id))
                .field("secret_access_key", &"<redacted>")
                .field(
                    "session_token",
                    &session_token.as_ref().map(|_| "<redacted>"),
                )
                .finish(),
            Self::DefaultChain {
                profile,
                imds_endpoint,
            } => f
                .debug_struct("DefaultChain")
                .field("profile", profile)
                .field("imds_endpoint", imds_endpoint)
                .finish(),
            Self::Provider(_) => f.write_str("Provider(..)"),
        }
    }
}
