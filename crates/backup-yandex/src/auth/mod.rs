//! Yandex Cloud credentials: every flow ends in an IAM token sent as
//! `Authorization: Bearer <IAM token>`, cached by backup-core's
//! [`TokenCache`](backup_core::auth::TokenCache).
//!
//! | flow | [`Credential`] | provider |
//! |---|---|---|
//! | a static IAM token (`YC_IAM_TOKEN`) | [`Credential::IamToken`] | [`StaticToken`] |
//! | OAuth token exchange (`YC_TOKEN`) | [`Credential::OAuthToken`] | [`OAuthTokenProvider`] |
//! | service-account authorized key (`YC_SERVICE_ACCOUNT_KEY_FILE`) | [`Credential::ServiceAccountKey`] | [`ServiceAccountKeyProvider`] |
//! | the `yc` CLI's active profile (`~/.config/yandex-cloud/config.yaml`) | its token or key, as above | see [`yc_profile`] |
//! | VM metadata service (`YC_METADATA_ADDR`) | [`Credential::Metadata`] | [`MetadataTokenProvider`] |
//!
//! Fetched tokens are refreshed hourly ([`REFRESH_AFTER`]), well before IAM's 12 h
//! limit; a token the service rejects (401) is dropped and fetched again once.

mod iam;
mod key;
mod metadata;
pub mod yc_profile;

use std::fmt;
use std::sync::Arc;

use backup_core::auth::{StaticToken, TokenProvider};
use backup_core::contract::EnvVar;
use secrecy::SecretString;

pub use iam::{OAuthTokenProvider, REFRESH_AFTER, ServiceAccountKeyProvider};
pub use key::{JWT_AUDIENCE, JWT_LIFETIME_SECS, JwtClaims, ServiceAccountKey};
pub use metadata::{
    DEFAULT_METADATA_ADDR, METADATA_TOKEN_PATH, MetadataTokenProvider, metadata_base,
};

use crate::{Result, VENDOR};

/// The static IAM token variable.
pub const ENV_IAM_TOKEN: &str = "YC_IAM_TOKEN";
/// The OAuth token variable.
pub const ENV_OAUTH_TOKEN: &str = "YC_TOKEN";
/// The service-account key variable: a path to the key file, or its JSON content.
pub const ENV_SERVICE_ACCOUNT_KEY_FILE: &str = "YC_SERVICE_ACCOUNT_KEY_FILE";
/// The metadata service address variable.
pub const ENV_METADATA_ADDR: &str = "YC_METADATA_ADDR";

/// The variables [`Credential::from_env_vars`] reads, first match wins.
pub const ENVIRONMENT: &[EnvVar] = &[
    EnvVar::new(ENV_IAM_TOKEN, "an IAM token"),
    EnvVar::new(ENV_OAUTH_TOKEN, "an OAuth token, exchanged for IAM tokens"),
    EnvVar::new(
        ENV_SERVICE_ACCOUNT_KEY_FILE,
        "a service account's authorized key (path or JSON)",
    ),
    EnvVar::new(
        ENV_METADATA_ADDR,
        "otherwise the yc CLI's active profile (~/.config/yandex-cloud/config.yaml), else the VM metadata service, at this address",
    ),
];

/// How the client gets its IAM tokens.
#[derive(Clone)]
#[non_exhaustive]
pub enum Credential {
    /// An IAM token given as is; never refreshed (a 401 is final).
    IamToken(SecretString),
    /// A Yandex Passport OAuth token, exchanged for IAM tokens.
    OAuthToken(SecretString),
    /// A service account's authorized key: a signed JWT is exchanged for IAM tokens.
    ServiceAccountKey(ServiceAccountKey),
    /// The IAM token of the VM's service account, from the metadata service.
    Metadata,
    /// Any other token provider (its tokens are sent as IAM tokens).
    Provider(Arc<dyn TokenProvider>),
}

impl Credential {
    /// A static IAM token.
    pub fn iam_token(token: impl Into<String>) -> Self {
        Self::IamToken(SecretString::from(token.into()))
    }

    /// An OAuth token to exchange.
    pub fn oauth_token(token: impl Into<String>) -> Self {
        Self::OAuthToken(SecretString::from(token.into()))
    }

    /// Which flow this is, for `Debug` and logs (`iam_token`, `oauth_token`, ...).
    #[must_use]
    pub fn flow(&self) -> &'static str {
        match self {
            Self::IamToken(_) => "iam_token",
            Self::OAuthToken(_) => "oauth_token",
            Self::ServiceAccountKey(_) => "service_account_key",
            Self::Metadata => "metadata",
            Self::Provider(_) => "provider",
        }
    }

    /// The credential the environment names, in Yandex's order: `YC_IAM_TOKEN`, else
    /// `YC_TOKEN`, else `YC_SERVICE_ACCOUNT_KEY_FILE` (a path, or the JSON itself),
    /// else the `yc` CLI's active profile (`$HOME/.config/yandex-cloud/config.yaml`:
    /// its token or service account key, see [`yc_profile`]; logged at info), else the
    /// metadata service. Empty variables count as unset.
    ///
    /// # Errors
    /// [`crate::Error::Config`] when the key file cannot be read or parsed, or the `yc`
    /// config file cannot be used (a federated profile included).
    pub fn from_env_vars(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        if let Some(token) = get(ENV_IAM_TOKEN) {
            return Ok(Self::iam_token(token.trim()));
        }
        if let Some(token) = get(ENV_OAUTH_TOKEN) {
            return Ok(Self::oauth_token(token.trim()));
        }
        if let Some(key) = get(ENV_SERVICE_ACCOUNT_KEY_FILE) {
            let key = if key.trim_start().starts_with('{') {
                ServiceAccountKey::from_json(&key)
            } else {
                ServiceAccountKey::from_file(key.trim())
            }
            .map_err(|e| {
                crate::Error::config(VENDOR, format!("{ENV_SERVICE_ACCOUNT_KEY_FILE}: {e}"))
            })?;
            return Ok(Self::ServiceAccountKey(key));
        }
        if let Some(home) = get(yc_profile::ENV_HOME)
            && let Some(credential) = yc_profile::credential(std::path::Path::new(home.trim()))?
        {
            return Ok(credential);
        }
        Ok(Self::Metadata)
    }

    /// [`Credential::from_env_vars`] on the process environment.
    ///
    /// # Errors
    /// As [`Credential::from_env_vars`].
    pub fn from_env() -> Result<Self> {
        Self::from_env_vars(|name| std::env::var(name).ok())
    }

    pub(crate) fn static_provider(token: &SecretString) -> Arc<dyn TokenProvider> {
        Arc::new(StaticToken::from_secret(token.clone()))
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::IamToken(_) | Self::OAuthToken(_) => f
                .debug_struct("Credential")
                .field("flow", &self.flow())
                .field("token", &"<redacted>")
                .finish(),
            Self::ServiceAccountKey(key) => f
                .debug_struct("Credential")
                .field("flow", &self.flow())
                .field("key", key)
                .finish(),
            Self::Metadata => f
                .debug_struct("Credential")
                .field("flow", &self.flow())
                .finish(),
            Self::Provider(provider) => f
                .debug_struct("Credential")
                .field("flow", &self.flow())
                .field("provider", provider)
                .finish(),
        }
    }
}

impl From<ServiceAccountKey> for Credential {
    fn from(key: ServiceAccountKey) -> Self {
        Self::ServiceAccountKey(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn environment_order() {
        let all = [
            (ENV_IAM_TOKEN, "t1.iam"),
            (ENV_OAUTH_TOKEN, "y0_oauth"),
            (ENV_SERVICE_ACCOUNT_KEY_FILE, "/nonexistent"),
        ];
        assert_eq!(
            Credential::from_env_vars(env(&all)).unwrap().flow(),
            "iam_token"
        );
        assert_eq!(
            Credential::from_env_vars(env(&all[1..])).unwrap().flow(),
            "oauth_token"
        );
        assert_eq!(
            Credential::from_env_vars(env(&[(ENV_IAM_TOKEN, " "), (ENV_OAUTH_TOKEN, "y0")]))
                .unwrap()
                .flow(),
            "oauth_token"
        );
        assert_eq!(
            Credential::from_env_vars(env(&[])).unwrap().flow(),
            "metadata"
        );
        let err = Credential::from_env_vars(env(&all[2..])).unwrap_err();
        assert!(
            err.to_string().contains(ENV_SERVICE_ACCOUNT_KEY_FILE),
            "{err}"
        );
        let err = Credential::from_env_vars(env(&[(ENV_SERVICE_ACCOUNT_KEY_FILE, "{\"x\":1}")]))
            .unwrap_err();
        assert!(err.to_string().contains("service account key"), "{err}");
    }

    #[test]
    fn debug_hides_tokens() {
        let text = format!("{:?}", Credential::iam_token("SENTINEL"));
        assert!(!text.contains("SENTINEL"));
        let text = format!("{:?}", Credential::oauth_token("SENTINEL"));
        assert!(!text.contains("SENTINEL"));
    }
}
