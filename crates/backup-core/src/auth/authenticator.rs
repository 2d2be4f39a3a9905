use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};

use async_trait::async_trait;
use http::{HeaderName, HeaderValue};
use secrecy::ExposeSecret;

use super::{TokenCache, TokenProvider};
use crate::transport::Request;
use crate::{Error, Result};

/// What an [`Authenticator`] used to authorize one attempt, handed back to it when the
/// attempt is answered 401.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuthTicket {
    /// The token generation used, if a cached token was used.
    pub generation: Option<u64>,
}

/// Puts credentials on a request, once per attempt (so signatures carry a fresh date
/// and a replay after a 401 carries a fresh token).
#[async_trait]
pub trait Authenticator: Send + Sync + fmt::Debug {
    /// Adds the credentials to `request`.
    ///
    /// A retry calls it again on the same request: it must replace (`insert`, not
    /// `append`) whatever it set the time before, and sign nothing it set itself.
    ///
    /// # Errors
    /// [`Error::Auth`] (or the token provider's error) when no credential can be had.
    async fn authorize(&self, request: &mut Request) -> Result<AuthTicket>;

    /// An attempt authorized with `ticket` was answered 401. Returns whether replaying
    /// it once with fresh credentials may succeed (the cached token is then dropped).
    fn reject(&self, ticket: AuthTicket) -> bool {
        let _ = ticket;
        false
    }
}

/// No credentials (token endpoints, emulators' open endpoints).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoAuth;

#[async_trait]
impl Authenticator for NoAuth {
    async fn authorize(&self, _request: &mut Request) -> Result<AuthTicket> {
        Ok(AuthTicket::default())
    }
}

/// Sends a cached token in a header: `Authorization: Bearer <token>` by default, or any
/// header and prefix a vendor wants (`X-Auth-Token: <token>`, `Authtoken: <token>`).
///
/// The header value is built once per token (not once per request) and shared by the
/// clones of an authenticator.
#[derive(Clone)]
pub struct TokenAuth {
    cache: Arc<TokenCache>,
    header: HeaderName,
    prefix: &'static str,
    built: Arc<RwLock<Option<BuiltHeader>>>,
}

/// The header value made from one token generation (marked sensitive).
struct BuiltHeader {
    generation: u64,
    value: HeaderValue,
}

impl TokenAuth {
    /// `Authorization: Bearer <token>` from `cache`.
    #[must_use]
    pub fn bearer(cache: Arc<TokenCache>) -> Self {
        Self::header(cache, http::header::AUTHORIZATION, "Bearer ")
    }

    /// `<header>: <prefix><token>` from `cache`.
    #[must_use]
    pub fn header(cache: Arc<TokenCache>, header: HeaderName, prefix: &'static str) -> Self {
        Self {
            cache,
            header,
            prefix,
            built: Arc::default(),
        }
    }

    /// A bearer authenticator over a provider with a fresh cache.
    pub fn bearer_from(provider: Arc<dyn TokenProvider>) -> Self {
        Self::bearer(Arc::new(TokenCache::new(provider)))
    }

    /// The cache behind it.
    #[must_use]
    pub fn cache(&self) -> &Arc<TokenCache> {
        &self.cache
    }
}

impl TokenAuth {
    /// The header value built for the cached token, while that token is fresh.
    fn reuse(&self) -> Option<(u64, HeaderValue)> {
        let generation = self.cache.fresh_generation()?;
        let built = self.built.read().unwrap_or_else(PoisonError::into_inner);
        built
            .as_ref()
            .filter(|built| built.generation == generation)
            .map(|built| (generation, built.value.clone()))
    }

    /// Gets a token (fetching one if needed) and builds its header value.
    async fn build(&self, vendor: &'static str) -> Result<(u64, HeaderValue)> {
        let cached = self.cache.token().await?;
        let mut text = String::with_capacity(self.prefix.len() + 64);
        text.push_str(self.prefix);
        text.push_str(cached.token.secret.expose_secret());
        let mut value = HeaderValue::try_from(text).map_err(|_| {
            Error::auth(
                vendor,
                "the token holds characters that cannot be sent in a header",
            )
        })?;
        value.set_sensitive(true);
        *self.built.write().unwrap_or_else(PoisonError::into_inner) = Some(BuiltHeader {
            generation: cached.generation,
            value: value.clone(),
        });
        Ok((cached.generation, value))
    }
}

impl fmt::Debug for TokenAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenAuth")
            .field("header", &self.header)
            .field("cache", &self.cache)
            .finish()
    }
}

#[async_trait]
impl Authenticator for TokenAuth {
    async fn authorize(&self, request: &mut Request) -> Result<AuthTicket> {
        let (generation, value) = match self.reuse() {
            Some(built) => built,
            None => self.build(request.vendor()).await?,
        };
        // The transport registers sensitive headers with the request's redactor: the
        // value and the token inside it never reach an error message.
        request.headers.insert(self.header.clone(), value);
        Ok(AuthTicket {
            generation: Some(generation),
        })
    }

    fn reject(&self, ticket: AuthTicket) -> bool {
        match ticket.generation {
            Some(generation) if self.cache.can_refresh() => {
                self.cache.invalidate(generation);
                true
            }
            _ => false,
        }
    }
}
