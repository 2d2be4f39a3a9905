//! Keeps secrets out of errors, even when a server echoes them back.
//!
//! Error messages quote the answers (Commvault's `errorMessage`, body excerpts). A
//! server, or a proxy in front of it, may echo what it received: the password (plain
//! or base64), a token. Every secret the client knows is registered here and replaced
//! by `<redacted>` in every error the client returns.

use std::sync::{Mutex, PoisonError};

use backup_core::Error;
use backup_core::transport::Redactor;
use secrecy::SecretString;

/// Shorter secrets are not registered (they would mangle ordinary words).
const MIN_LEN: usize = 4;

/// The secrets this client knows, for its whole life (logins and renewals add to it).
#[derive(Default)]
pub(crate) struct Secrets {
    known: Mutex<Redactor>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets(<redacted>)")
    }
}

impl Secrets {
    /// Registers `secret` (and, for a `QSDK` token, the token without its prefix).
    pub(crate) fn add(&self, secret: &str) {
        let secret = secret.trim();
        let bare = secret
            .get(..5)
            .filter(|head| head.eq_ignore_ascii_case("qsdk "))
            .and_then(|_| secret.get(5..))
            .map(str::trim);
        let mut known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        for value in [Some(secret), bare].into_iter().flatten() {
            if value.len() >= MIN_LEN {
                known.add(SecretString::from(value.to_owned()));
            }
        }
    }

    /// `text` with every known secret replaced.
    #[cfg(test)]
    pub(crate) fn text(&self, text: &str) -> String {
        self.known
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .scrub(text)
    }

    /// `error` with every known secret replaced in its texts.
    pub(crate) fn error(&self, error: Error) -> Error {
        self.known
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .scrub_error(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_replaced() {
        let secrets = Secrets::default();
        secrets.add("QSDK abcdef");
        secrets.add("pw1");
        secrets.add("hunter22");
        assert_eq!(
            secrets.text("token QSDK abcdef or abcdef, pw1, hunter22"),
            "token <redacted> or <redacted>, pw1, <redacted>"
        );
        let err = secrets.error(Error::auth("commvault", "refused hunter22"));
        assert_eq!(
            err.to_string(),
            "commvault: authentication failed: refused <redacted>"
        );
    }
}
