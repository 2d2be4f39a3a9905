//! [`TokenIssuer`]: the access tokens an emulated vendor hands out and checks.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::HeaderMap;
use http::header::AUTHORIZATION;
use tokio::time::Instant;

use super::lock;

/// The prefix of tokens issued by [`TokenIssuer::default`].
pub const DEFAULT_TOKEN_PREFIX: &str = "emu-";

/// What [`TokenIssuer::check`] found out about a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenCheck {
    /// Issued here, not expired, not revoked.
    Valid,
    /// Issued here, but expired (by time or by [`TokenIssuer::expire_all`]).
    Expired,
    /// Never issued here, or revoked.
    Unknown,
}

impl TokenCheck {
    /// Whether the token may be used.
    #[must_use]
    pub fn is_valid(self) -> bool {
        self == TokenCheck::Valid
    }
}

#[derive(Debug)]
struct Entry {
    /// `None` when the TTL reaches past what the clock can represent.
    expires_at: Option<Instant>,
    expired: bool,
}

#[derive(Debug, Default)]
struct Inner {
    tokens: HashMap<String, Entry>,
    issued: usize,
}

/// Issues and checks random access tokens with a time to live.
///
/// A cheap handle: clones share the same tokens. Expiry is measured on the
/// `tokio` clock, so a test with a paused clock (`start_paused = true`) decides
/// when tokens expire by advancing it.
#[derive(Debug, Clone)]
pub struct TokenIssuer {
    prefix: Arc<str>,
    inner: Arc<Mutex<Inner>>,
}

impl Default for TokenIssuer {
    /// An issuer of tokens prefixed with [`DEFAULT_TOKEN_PREFIX`].
    fn default() -> Self {
        Self::new(DEFAULT_TOKEN_PREFIX)
    }
}

impl TokenIssuer {
    /// An issuer of tokens that start with `prefix` (such as `"ya29."` or `"eyJ"`)
    /// followed by 32 random hex digits.
    #[must_use]
    pub fn new(prefix: &str) -> Self {
        Self {
            prefix: Arc::from(prefix),
            inner: Arc::default(),
        }
    }

    /// Issues a new token valid for `ttl` from now.
    #[must_use]
    pub fn issue(&self, ttl: Duration) -> String {
        let token = format!("{}{}", self.prefix, random_hex(32));
        let entry = Entry {
            expires_at: Instant::now().checked_add(ttl),
            expired: false,
        };
        let mut inner = lock(&self.inner);
        inner.issued = inner.issued.saturating_add(1);
        inner.tokens.insert(token.clone(), entry);
        token
    }

    /// Checks `token` (exactly as issued, without any `Bearer ` scheme).
    #[must_use]
    pub fn check(&self, token: &str) -> TokenCheck {
        let inner = lock(&self.inner);
        match inner.tokens.get(token) {
            None => TokenCheck::Unknown,
            Some(entry) if entry.expired => TokenCheck::Expired,
            Some(Entry {
                expires_at: Some(at),
                ..
            }) if Instant::now() >= *at => TokenCheck::Expired,
            Some(_) => TokenCheck::Valid,
        }
    }

    /// Checks the bearer token of an `Authorization` header; no header, or
    /// another scheme, is [`TokenCheck::Unknown`].
    #[must_use]
    pub fn check_bearer(&self, headers: &HeaderMap) -> TokenCheck {
        bearer_token(headers).map_or(TokenCheck::Unknown, |token| self.check(token))
    }

    /// Expires `token` now; returns whether it was known.
    pub fn expire(&self, token: &str) -> bool {
        lock(&self.inner)
            .tokens
            .get_mut(token)
            .map(|entry| entry.expired = true)
            .is_some()
    }

    /// Expires every token issued so far (the "expired token" fault); tokens
    /// issued afterwards are valid as usual.
    pub fn expire_all(&self) {
        for entry in lock(&self.inner).tokens.values_mut() {
            entry.expired = true;
        }
    }

    /// Forgets `token`: it checks as [`TokenCheck::Unknown`] from now on.
    /// Returns whether it was known.
    pub fn revoke(&self, token: &str) -> bool {
        lock(&self.inner).tokens.remove(token).is_some()
    }

    /// How many tokens were issued so far (tests assert a single login under load).
    #[must_use]
    pub fn issued(&self) -> usize {
        lock(&self.inner).issued
    }
}

/// The token of an `Authorization: Bearer <token>` header (scheme matched
/// case-insensitively), if there is one.
#[must_use]
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// `chars` random lowercase hex digits, for tokens and resource ids.
///
/// Random enough that a client cannot guess them (not for real secrets).
#[must_use]
pub fn random_hex(chars: usize) -> String {
    let mut out = String::with_capacity(chars.saturating_add(32));
    while out.len() < chars {
        // Writing to a String cannot fail.
        let _ = write!(out, "{:032x}", fastrand::u128(..));
    }
    out.truncate(chars);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn random_hex_has_the_length_asked() {
        for n in [0, 1, 31, 32, 33, 100] {
            let hex = random_hex(n);
            assert_eq!(hex.len(), n);
            assert!(hex.bytes().all(|b| b.is_ascii_hexdigit()));
        }
        assert_ne!(random_hex(32), random_hex(32));
    }

    #[test]
    fn bearer_token_is_parsed_leniently() {
        let mut headers = HeaderMap::new();
        assert_eq!(bearer_token(&headers), None);
        headers.insert(AUTHORIZATION, HeaderValue::from_static("bearer abc"));
        assert_eq!(bearer_token(&headers), Some("abc"));
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer_token(&headers), None);
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer "));
        assert_eq!(bearer_token(&headers), None);
    }

    #[tokio::test(start_paused = true)]
    async fn huge_ttl_does_not_overflow() {
        let issuer = TokenIssuer::new("t.");
        let token = issuer.issue(Duration::MAX);
        assert!(token.starts_with("t."));
        assert_eq!(token.len(), 34);
        assert_eq!(issuer.check(&token), TokenCheck::Valid);
        assert!(issuer.expire(&token));
        assert_eq!(issuer.check(&token), TokenCheck::Expired);
    }
}
