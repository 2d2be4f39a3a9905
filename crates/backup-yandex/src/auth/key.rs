//! Service-account authorized keys and the PS256 JWT exchanged for an IAM token.

use std::fmt;
use std::path::Path;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{Error, Result, VENDOR};

/// The `aud` of every JWT exchanged for an IAM token (the same whatever IAM endpoint is
/// used, as in Yandex's SDKs).
pub const JWT_AUDIENCE: &str = "https://iam.api.cloud.yandex.net/iam/v1/tokens";

/// How long a signed JWT is valid: the most IAM accepts (`exp <= iat + 1 h`).
pub const JWT_LIFETIME_SECS: i64 = 3600;

/// An authorized key of a service account, as `yc iam key create` writes it:
/// `{id, service_account_id, created_at, key_algorithm, public_key, private_key}`.
///
/// The private key is PKCS#8 PEM, optionally preceded by the line
/// `PLEASE DO NOT REMOVE THIS LINE! Yandex.Cloud SA Key ID <id>`. It is held as a
/// [`SecretString`]; `Debug` shows only the ids.
#[derive(Clone)]
pub struct ServiceAccountKey {
    id: String,
    service_account_id: String,
    private_key: SecretString,
}

#[derive(Deserialize)]
struct KeyFile {
    id: String,
    service_account_id: String,
    private_key: SecretString,
}

/// The claims of the JWT.
#[derive(Debug, Serialize, Deserialize)]
pub struct JwtClaims {
    /// The service account id.
    pub iss: String,
    /// [`JWT_AUDIENCE`].
    pub aud: String,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Expires at (Unix seconds), at most `iat + 3600`.
    pub exp: i64,
}

impl ServiceAccountKey {
    /// A key from its parts; the PEM is checked now.
    ///
    /// # Errors
    /// [`Error::Config`] when an id is empty or the private key is no RSA PEM.
    pub fn new(
        id: impl Into<String>,
        service_account_id: impl Into<String>,
        private_key_pem: SecretString,
    ) -> Result<Self> {
        let id = id.into();
        let service_account_id = service_account_id.into();
        if id.trim().is_empty() || service_account_id.trim().is_empty() {
            return Err(Error::config(
                VENDOR,
                "the service account key needs `id` and `service_account_id`",
            ));
        }
        let private_key = if private_key_pem.expose_secret().starts_with("-----BEGIN") {
            private_key_pem
        } else {
            SecretString::from(strip_preamble(private_key_pem.expose_secret()))
        };
        EncodingKey::from_rsa_pem(private_key.expose_secret().as_bytes()).map_err(|e| {
            Error::config(
                VENDOR,
                format!("the private key of service account key {id} is not an RSA PEM: {e}"),
            )
        })?;
        Ok(Self {
            id,
            service_account_id,
            private_key,
        })
    }

    /// Reads an authorized key JSON document.
    ///
    /// # Errors
    /// [`Error::Config`] when it is not an authorized key (the message never contains
    /// the key).
    pub fn from_json(json: &str) -> Result<Self> {
        let file: KeyFile = serde_json::from_str(json).map_err(|e| {
            Error::config(
                VENDOR,
                format!(
                    "not a service account key JSON (expected id, service_account_id, private_key): {}",
                    classify_json_error(&e)
                ),
            )
        })?;
        Self::new(file.id, file.service_account_id, file.private_key)
    }

    /// Reads an authorized key file.
    ///
    /// # Errors
    /// [`Error::Config`] when it cannot be read or is not an authorized key.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::config(
                VENDOR,
                format!(
                    "cannot read service account key file {}: {e}",
                    path.display()
                ),
            )
        })?;
        Self::from_json(&text)
    }

    /// The key id (the JWT's `kid`).
    #[must_use]
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The service account id (the JWT's `iss`).
    #[must_use]
    pub fn service_account_id(&self) -> &str {
        &self.service_account_id
    }

    /// The claims of a JWT issued at `now`.
    #[must_use]
    pub fn claims(&self, now: OffsetDateTime) -> JwtClaims {
        let iat = now.unix_timestamp();
        JwtClaims {
            iss: self.service_account_id.clone(),
            aud: JWT_AUDIENCE.to_owned(),
            iat,
            exp: iat.saturating_add(JWT_LIFETIME_SECS),
        }
    }

    /// A JWT signed with PS256: header `{"typ":"JWT","alg":"PS256","kid":<id>}`,
    /// claims `iss`, `aud`, `iat`, `exp = iat + 3600`.
    ///
    /// # Errors
    /// [`Error::Auth`] when signing fails.
    pub fn sign_jwt(&self, now: OffsetDateTime) -> Result<SecretString> {
        let mut header = Header::new(Algorithm::PS256);
        header.kid = Some(self.id.clone());
        header.typ = Some("JWT".to_owned());
        let key = EncodingKey::from_rsa_pem(self.private_key.expose_secret().as_bytes())
            .map_err(|e| Error::auth(VENDOR, format!("cannot load the private key: {e}")))?;
        let token = jsonwebtoken::encode(&header, &self.claims(now), &key)
            .map_err(|e| Error::auth(VENDOR, format!("cannot sign the JWT: {e}")))?;
        Ok(SecretString::from(token))
    }
}

impl fmt::Debug for ServiceAccountKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceAccountKey")
            .field("id", &self.id)
            .field("service_account_id", &self.service_account_id)
            .field("private_key", &"<redacted>")
            .finish()
    }
}

/// Drops anything before the PEM's `-----BEGIN` line (Yandex's
/// `PLEASE DO NOT REMOVE THIS LINE!` line).
fn strip_preamble(pem: &str) -> String {
    pem.find("-----BEGIN")
        .and_then(|start| pem.get(start..))
        .unwrap_or(pem)
        .to_owned()
}

/// A JSON error without serde's echo of the input (which could hold the key).
fn classify_json_error(error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match error.classify() {
        Category::Io => "unreadable".to_owned(),
        Category::Syntax | Category::Eof => {
            format!(
                "invalid JSON at line {} column {}",
                error.line(),
                error.column()
            )
        }
        Category::Data => format!(
            "missing or mistyped field near line {} column {}",
            error.line(),
            error.column()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preamble_is_stripped() {
        assert_eq!(
            strip_preamble(
                "PLEASE DO NOT REMOVE THIS LINE! Yandex.Cloud SA Key ID <k>\n-----BEGIN X-----"
            ),
            "-----BEGIN X-----"
        );
        assert_eq!(strip_preamble("-----BEGIN X-----"), "-----BEGIN X-----");
        assert_eq!(strip_preamble("garbage"), "garbage");
    }

    #[test]
    fn bad_keys_are_config_errors_without_the_key() {
        let err = ServiceAccountKey::from_json(
            r#"{"id":"k","service_account_id":"s","private_key":"SENTINEL-SECRET"}"#,
        )
        .unwrap_err();
        assert!(matches!(err, Error::Config { .. }));
        assert!(!err.to_string().contains("SENTINEL"));
        let err = ServiceAccountKey::from_json(r#"{"id":"k","private_key":"SENTINEL-SECRET"}"#)
            .unwrap_err();
        assert!(!err.to_string().contains("SENTINEL"), "{err}");
        let err = ServiceAccountKey::from_json("{\"private_key\": \"SENTINEL-SECRET").unwrap_err();
        assert!(!err.to_string().contains("SENTINEL"), "{err}");
    }
}
