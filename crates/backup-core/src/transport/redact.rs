//! Keeps the credentials a request carried out of the errors built from its answer.
//!
//! Some services echo what they were sent (a header, a form field) into their error
//! bodies. Every secret a request carried (sensitive headers, and secrets registered
//! with [`crate::Request::redacting`]) is replaced by `<redacted>` in error messages,
//! codes and body excerpts built from the answer.

use std::fmt;

use http::HeaderValue;
use secrecy::{ExposeSecret, SecretString};

use crate::error::{ApiError, Error};

/// The text that replaces a secret.
pub const REDACTED: &str = "<redacted>";

/// The shortest token part of a sensitive header replaced on its own: shorter ones
/// (a test's `QSDK t`) would blank out letters of ordinary words.
const MIN_HEADER_TOKEN: usize = 8;

/// The secrets one request carried.
///
/// Cheap to build on the hot path: a sensitive header is kept as the header value it
/// is (a reference-counted clone), and turned into text only when an error is scrubbed.
#[derive(Clone, Default)]
pub struct Redactor {
    secrets: Vec<Secret>,
}

/// One secret: text registered by a caller, or a sensitive header value as sent.
#[derive(Clone)]
enum Secret {
    Text(SecretString),
    /// A sensitive header (`Bearer <token>`, `QSDK <token>`, a signature): the whole
    /// value and, after a scheme word, the token alone are replaced.
    Header(HeaderValue),
}

impl Secret {
    fn bytes(&self) -> &[u8] {
        match self {
            Secret::Text(text) => text.expose_secret().as_bytes(),
            Secret::Header(value) => value.as_bytes(),
        }
    }
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redactor({} secrets)", self.secrets.len())
    }
}

impl Redactor {
    /// Adds a secret (empty ones and ones already known are ignored).
    pub fn add(&mut self, secret: SecretString) {
        if !self.knows(secret.expose_secret().as_bytes()) {
            self.secrets.push(Secret::Text(secret));
        }
    }

    /// Adds the value of a sensitive header (see [`HeaderValue::is_sensitive`]): the
    /// value, and the token after its scheme word (`Bearer `, `QSDK `; 8 bytes or
    /// more), are replaced.
    pub fn add_header(&mut self, value: &HeaderValue) {
        if !self.knows(value.as_bytes()) {
            self.secrets.push(Secret::Header(value.clone()));
        }
    }

    fn knows(&self, secret: &[u8]) -> bool {
        secret.is_empty() || self.secrets.iter().any(|known| known.bytes() == secret)
    }

    /// Whether no secret is registered.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// `text` with every secret (and the token part of every sensitive header)
    /// replaced.
    #[must_use]
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_owned();
        let mut secrets: Vec<&str> = Vec::new();
        for secret in &self.secrets {
            let Ok(whole) = std::str::from_utf8(secret.bytes()) else {
                continue;
            };
            secrets.push(whole);
            if let Secret::Header(_) = secret
                && let Some((scheme, token)) = whole.split_once(' ')
                && !scheme.is_empty()
                && token.trim().len() >= MIN_HEADER_TOKEN
            {
                secrets.push(token.trim());
            }
        }
        // Longest first, so a header value is replaced before the token inside it.
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
                code,
                request_id,
            } => Error::Auth {
                vendor,
                status,
                message: self.scrub(&message),
                code,
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

    #[test]
    fn sensitive_headers_are_scrubbed_whole_and_by_token() {
        let mut redactor = Redactor::default();
        let mut value = HeaderValue::from_static("QSDK tok-456789");
        value.set_sensitive(true);
        redactor.add_header(&value);
        redactor.add_header(&value);
        redactor.add_header(&HeaderValue::from_static(""));
        assert_eq!(format!("{redactor:?}"), "Redactor(1 secrets)");
        assert_eq!(
            redactor.scrub("sent QSDK tok-456789; token tok-456789"),
            "sent <redacted>; token <redacted>"
        );
        let mut short = Redactor::default();
        short.add_header(&HeaderValue::from_static("QSDK t"));
        assert_eq!(short.scrub("QSDK t: not found"), "<redacted>: not found");
        let mut bare = Redactor::default();
        bare.add_header(&HeaderValue::from_static("plain-token"));
        assert_eq!(bare.scrub("x plain-token y"), "x <redacted> y");
    }
}
