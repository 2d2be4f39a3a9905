//! Commvault's credentials and how each becomes an authenticator.
//!
//! | credential | header | on a 401 |
//! |---|---|---|
//! | [`Credential::Password`] | `Authtoken: QSDK ...` from `POST Login` | `RenewLoginToken` with the rejected token, else `Login` again; then one replay |
//! | [`Credential::Token`] (a `QSDK` token you have) | `Authtoken: QSDK ...` (prefix added if missing) | `RenewLoginToken`, then one replay |
//! | [`Credential::Bearer`] (Metallic access token) | `Authorization: Bearer ...` | none: the error says to check the token |

pub(crate) mod session;

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

pub(crate) use session::SessionProvider;

/// How the client proves who it is.
#[derive(Clone)]
#[non_exhaustive]
pub enum Credential {
    /// A user name and password: `POST Login` (password base64-encoded) gives a `QSDK`
    /// token, renewed with `RenewLoginToken` when it is refused.
    Password {
        /// The user name (`admin`, `DOMAIN\\user` or an e-mail address).
        username: String,
        /// The password (sent base64-encoded, as Login wants it).
        password: SecretString,
        /// The domain, for a directory user (sent as `domain`).
        domain: Option<String>,
    },
    /// A `QSDK` token obtained elsewhere; `QSDK ` is prefixed when missing. It is
    /// renewed with `RenewLoginToken` when refused.
    Token(SecretString),
    /// A Metallic access token, sent as `Authorization: Bearer`; never renewed.
    Bearer(SecretString),
}

impl Credential {
    /// A user name and password.
    pub fn password(username: impl Into<String>, password: impl Into<SecretString>) -> Self {
        Self::Password {
            username: username.into(),
            password: password.into(),
            domain: None,
        }
    }

    /// A `QSDK` token.
    pub fn token(token: impl Into<SecretString>) -> Self {
        Self::Token(token.into())
    }

    /// A Metallic bearer access token.
    pub fn bearer(token: impl Into<SecretString>) -> Self {
        Self::Bearer(token.into())
    }

    /// The kind, for `Debug` output (`password`, `token`, `bearer`).
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Password { .. } => "password",
            Self::Token(_) => "token",
            Self::Bearer(_) => "bearer",
        }
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Password {
                username, domain, ..
            } => f
                .debug_struct("Password")
                .field("username", username)
                .field("password", &"<redacted>")
                .field("domain", domain)
                .finish(),
            Self::Token(_) => f.debug_tuple("Token").field(&"<redacted>").finish(),
            Self::Bearer(_) => f.debug_tuple("Bearer").field(&"<redacted>").finish(),
        }
    }
}

/// `token` with the `QSDK ` prefix Commvault's `Authtoken` header carries (added when
/// missing; kept when present in any case).
#[must_use]
pub fn with_qsdk_prefix(token: &str) -> String {
    let token = token.trim();
    let has_prefix = token
        .get(..5)
        .is_some_and(|head| head.eq_ignore_ascii_case("qsdk "));
    if has_prefix {
        token.to_owned()
    } else {
        format!("QSDK {token}")
    }
}

/// `token` without a `Bearer ` scheme a user may have pasted along.
pub(crate) fn without_bearer(token: &SecretString) -> SecretString {
    let text = token.expose_secret().trim();
    let stripped = match text.get(..7) {
        Some(head) if head.eq_ignore_ascii_case("bearer ") => text.get(7..).unwrap_or_default(),
        _ => text,
    };
    SecretString::from(stripped.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_added_once() {
        assert_eq!(with_qsdk_prefix("abc"), "QSDK abc");
        assert_eq!(with_qsdk_prefix("QSDK abc"), "QSDK abc");
        assert_eq!(with_qsdk_prefix(" qsdk abc "), "qsdk abc");
        assert_eq!(with_qsdk_prefix("QSDKabc"), "QSDK QSDKabc");
        assert_eq!(
            without_bearer(&SecretString::from("Bearer x.y")).expose_secret(),
            "x.y"
        );
    }
}
