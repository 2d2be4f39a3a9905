//! Keeps the credentials a request carried out of the errors built from its answer.
//!
//! Some services echo what they were sent (a header, a form field) into their error
//! bodies. Every secret a request carried (sensitive headers, and secrets registered
//! with [`crate::Request::redacting`]) is replaced by `<redacted>` in error messages,
//! codes and body excerpts built from the answer.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

use crate::error::{ApiError, Error};

/// The text that replaces a secret.
pub const REDACTED: &str = "<redacted>";

/// The secrets one request carried.
#[derive(Clone, Default)]
pub struct Redactor {
    secrets: Vec<SecretString>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redactor({} secrets)", self.secrets.len())
    }
}

impl Redactor {
    /// Adds a secret (empty ones and ones already known are ignored).
    pub fn add(&mut self, secret: SecretString) {
        let text = secret.expose_secret();
        if !text.is_empty()
            && !self
                .secrets
                .iter()
                .any(|known| known.expose_secret() == text)
        {
            self.secrets.push(secret);
        }
    }

    /// Whether no secret is registered.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// `text` with every secret (and every secret's `Bearer`-less token part) replaced.
    #[must_use]
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_owned();
        // Longest first, so a header value is replaced before the token inside it.
        let mut secrets: Vec<&str> = self
            .secrets
            .iter()
            .map(ExposeSecret::expose_secret)
            .collect();
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        for secret in secrets {
            if out.contains(secret) {
                out = out.replace(secret, REDACTED);
            }
        }
        out
    }

    /// Scrubs the text fields of an [`ApiError`].
    pub fn scrub_api(&self, api: &mut ApiError) {
        if self.is_empty() {
            return;
        }
        api.message = self.scrub(&api.message);
        api.code = api.code.as_deref().map(|code| self.scrub(code));
    }
}

impl Redactor {
    /// `error` with every secret replaced in the texts it took from answers (messages,
    /// codes, reasons, body excerpts).
    #[must_use]
    pub fn scrub_error(&self, error: Error) -> Error {
        if self.is_empty() {
            return error;
        }
        match error {
            Error::Api(mut api) => {
                self.scrub_api(&mut api);
                Error::Api(api)
            }
            Error::Auth {
                vendor,
                status,
                message,
                request_id,
            } => Error::Auth {
                vendor,
                status,
                message: self.scrub(&message),
                request_id,
            },
            Error::Decode {
                vendor,
                status,
                message,
                body_excerpt,
                request_id,
            } => Error::Decode {
                vendor,
                status,
                message: self.scrub(&message),
                body_excerpt: self.scrub(&body_excerpt),
                request_id,
            },
            Error::OutcomeUnknown {
                vendor,
                action,
                reason,
                status,
                request_id,
            } => Error::OutcomeUnknown {
                vendor,
                action: self.scrub(&action),
                reason: self.scrub(&reason),
                status,
                request_id,
            },
            Error::Transport {
                vendor,
                message,
                sent,
                source,
            } => Error::Transport {
                vendor,
                message: self.scrub(&message),
                sent,
                source,
            },
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubs_all_registered_secrets() {
        let mut redactor = Redactor::default();
        redactor.add(SecretString::from("Bearer tok-123"));
        redactor.add(SecretString::from("tok-123"));
        redactor.add(SecretString::from(""));
        assert_eq!(
            redactor.scrub("got Bearer tok-123 and tok-123"),
            "got <redacted> and <redacted>"
        );
        assert_eq!(format!("{redactor:?}"), "Redactor(2 secrets)");
        redactor.add(SecretString::from("tok-123"));
        assert_eq!(format!("{redactor:?}"), "Redactor(2 secrets)");
        let err = redactor.scrub_error(Error::auth("v", "refused tok-123"));
        assert_eq!(
            err.to_string(),
            "v: authentication failed: refused <redacted>"
        );
    }
}
