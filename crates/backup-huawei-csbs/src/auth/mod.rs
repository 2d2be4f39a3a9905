//! Huawei Cloud's credential flows.
//!
//! - [`AkSk`]: access key / secret key (and security token for temporary
//!   credentials), signing every request with `SDK-HMAC-SHA256` (the preferred flow);
//! - [`IamPassword`]: an IAM user's password, exchanged for a project-scoped token at
//!   `POST {iam}/v3/auth/tokens` by [`IamTokenProvider`], cached and sent as
//!   `X-Auth-Token`;
//! - a ready IAM token ([`Credential::Token`]), sent as it is.

pub mod canonical;
mod iam;
mod signer;

use std::fmt;

use backup_core::auth::SecretString;
use backup_core::contract::EnvVar;

pub use iam::{
    Domain, IamPassword, IamTokenProvider, Identity, PasswordIdentity, ProjectScope, Scope,
    TOKEN_LIFETIME, TokenAuthBody, TokenBody, TokenRequest, TokenResponse, User, X_AUTH_TOKEN,
    X_SUBJECT_TOKEN,
};
pub use signer::{AkSk, X_SDK_DATE, X_SECURITY_TOKEN, sdk_date};

/// Access key (Huawei SDK name).
pub const ENV_AK: &str = "HUAWEICLOUD_SDK_AK";
/// Secret key (Huawei SDK name).
pub const ENV_SK: &str = "HUAWEICLOUD_SDK_SK";
/// Security token of temporary credentials (Huawei SDK name).
pub const ENV_SECURITY_TOKEN: &str = "HUAWEICLOUD_SDK_SECURITY_TOKEN";
/// Project id (Huawei SDK name).
pub const ENV_PROJECT_ID: &str = "HUAWEICLOUD_SDK_PROJECT_ID";
/// Region, for the default endpoints (this crate's name; Huawei's SDKs take the
/// region in code).
pub const ENV_REGION: &str = "HUAWEICLOUD_SDK_REGION";

/// The variables the client builder reads (`from_env`), credentials first.
pub const ENVIRONMENT: &[EnvVar] = &[
    EnvVar::new(ENV_AK, "access key (AK/SK signing)"),
    EnvVar::new(ENV_SK, "secret key (AK/SK signing)"),
    EnvVar::new(ENV_SECURITY_TOKEN, "for temporary credentials"),
    EnvVar::new(ENV_PROJECT_ID, "the project (or --project-id)"),
    EnvVar::new(ENV_REGION, "the region (or --region, or --endpoint)"),
];

/// How the client authenticates.
#[derive(Clone)]
#[non_exhaustive]
pub enum Credential {
    /// Sign every request with the access key and secret key.
    AkSk(AkSk),
    /// Get IAM tokens with a user's password.
    Password(IamPassword),
    /// Send this IAM token as `X-Auth-Token` (not refreshed; a 401 is final).
    Token(SecretString),
}

impl From<AkSk> for Credential {
    fn from(value: AkSk) -> Self {
        Self::AkSk(value)
    }
}

impl From<IamPassword> for Credential {
    fn from(value: IamPassword) -> Self {
        Self::Password(value)
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AkSk(aksk) => f.debug_tuple("AkSk").field(aksk).finish(),
            Self::Password(password) => f.debug_tuple("Password").field(password).finish(),
            Self::Token(_) => f.debug_tuple("Token").field(&"<redacted>").finish(),
        }
    }
}
