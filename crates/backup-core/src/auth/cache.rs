use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use time::OffsetDateTime;

use super::{AccessToken, TokenProvider};
use crate::{Error, Result};

/// A token handed out by a [`TokenCache`], with the generation it belongs to (so a 401
/// invalidates only the token that was rejected, not a newer one).
#[derive(Debug, Clone)]
pub struct CachedToken {
    /// The token.
    pub token: AccessToken,
    /// Which fetch produced it.
    pub generation: u64,
}

struct Slot {
    token: AccessToken,
    generation: u64,
    /// When the token is due for a refresh, on tokio's clock (so tests with a paused
    /// clock can move a token to its refresh point); `None`: never (no expiry known).
    /// Worked out once at fetch time, so that a lookup reads the clock once.
    refresh_at: Option<tokio::time::Instant>,
}

impl Slot {
    fn is_fresh(&self) -> bool {
        self.refresh_at
            .is_none_or(|refresh_at| tokio::time::Instant::now() < refresh_at)
    }
}

/// When a token fetched now and expiring at `expires_at` is due for a refresh:
/// `margin` before expiry, or half-way through its life when it lives less than twice
/// the margin. `None` when it does not expire (or so far ahead the clock cannot say).
fn refresh_point(
    expires_at: Option<OffsetDateTime>,
    margin: Duration,
    fetched_at: OffsetDateTime,
    fetched_instant: tokio::time::Instant,
) -> Option<tokio::time::Instant> {
    let expires_at = expires_at?;
    let life = expires_at - fetched_at;
    let margin = time::Duration::try_from(margin).unwrap_or(time::Duration::MAX);
    let margin = margin.min(life / 2).max(time::Duration::ZERO);
    let usable = Duration::try_from(life - margin).unwrap_or(Duration::ZERO);
    // A point past what the clock can hold: as good as never.
    fetched_instant.checked_add(usable)
}

struct Failure {
    attempt: u64,
    error: Error,
}

/// Caches a provider's token until `margin` before it expires.
///
/// - Any number of concurrent callers share one fetch (single flight): the first caller
///   fetches, the others wait for its result.
/// - [`TokenCache::invalidate`] forgets the token a service rejected (401); only that
///   generation is forgotten, so a thousand requests rejected at once cause one refresh.
/// - A failed fetch is not cached: callers that were waiting for it get its error, and
///   the next call tries again.
pub struct TokenCache<P: ?Sized = dyn TokenProvider> {
    provider: Arc<P>,
    margin: Duration,
    slot: RwLock<Option<Slot>>,
    last_failure: RwLock<Option<Failure>>,
    refresh: tokio::sync::Mutex<()>,
    attempts: AtomicU64,
    generations: AtomicU64,
}

/// The default refresh margin: five minutes before expiry.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(300);

impl TokenCache {
    /// A shared cache over any provider, refreshing `margin` before expiry: the form
    /// [`crate::auth::TokenAuth`] takes.
    #[must_use]
    pub fn shared(provider: Arc<dyn TokenProvider>, margin: Duration) -> Arc<Self> {
        Arc::new(Self::with_margin(provider, margin))
    }
}

impl<P: TokenProvider + ?Sized> TokenCache<P> {
    /// A cache refreshing [`DEFAULT_REFRESH_MARGIN`] before expiry.
    pub fn new(provider: Arc<P>) -> Self {
        Self::with_margin(provider, DEFAULT_REFRESH_MARGIN)
    }

    /// A cache refreshing `margin` before expiry.
    pub fn with_margin(provider: Arc<P>, margin: Duration) -> Self {
        Self {
            provider,
            margin,
            slot: RwLock::new(None),
            last_failure: RwLock::new(None),
            refresh: tokio::sync::Mutex::new(()),
            attempts: AtomicU64::new(0),
            generations: AtomicU64::new(0),
        }
    }

    /// The provider behind the cache.
    pub fn provider(&self) -> &Arc<P> {
        &self.provider
    }

    /// Whether a rejected token can be replaced by fetching again.
    pub fn can_refresh(&self) -> bool {
        self.provider.can_refresh()
    }

    /// How many fetches were started so far (successful or not).
    pub fn fetch_count(&self) -> u64 {
        self.attempts.load(Ordering::Relaxed)
    }

    /// A valid token: the cached one, or a fresh one fetched once for all callers.
    ///
    /// # Errors
    /// The provider's error when the fetch fails.
    pub async fn token(&self) -> Result<CachedToken> {
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        let seen_attempts = self.attempts.load(Ordering::Acquire);
        let _guard = self.refresh.lock().await;
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        // A fetch that ran while we waited failed: share its error instead of hammering
        // the token service once per waiting caller.
        if let Some(failure) = self
            .last_failure
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            && failure.attempt > seen_attempts
        {
            return Err(failure.error.shared_copy());
        }
        let attempt = self.attempts.fetch_add(1, Ordering::AcqRel) + 1;
        match self.provider.fetch_token().await {
            Ok(token) => {
                let generation = self.generations.fetch_add(1, Ordering::AcqRel) + 1;
                *self.slot.write().unwrap_or_else(PoisonError::into_inner) = Some(Slot {
                    refresh_at: refresh_point(
                        token.expires_at,
                        self.margin,
                        OffsetDateTime::now_utc(),
                        tokio::time::Instant::now(),
                    ),
                    token: token.clone(),
                    generation,
                });
                *self
                    .last_failure
                    .write()
                    .unwrap_or_else(PoisonError::into_inner) = None;
                Ok(CachedToken { token, generation })
            }
            Err(error) => {
                *self
                    .last_failure
                    .write()
                    .unwrap_or_else(PoisonError::into_inner) = Some(Failure {
                    attempt,
                    error: error.shared_copy(),
                });
                Err(error)
            }
        }
    }

    /// Forgets the token of `generation` (after a 401), unless a newer one replaced it.
    pub fn invalidate(&self, generation: u64) {
        let mut slot = self.slot.write().unwrap_or_else(PoisonError::into_inner);
        if slot.as_ref().is_some_and(|s| s.generation == generation) {
            *slot = None;
        }
    }

    /// Forgets whatever token is cached.
    pub fn clear(&self) {
        *self.slot.write().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// The generation of the cached token if it is still fresh, without copying the
    /// token: lets an authenticator reuse what it built from that token (a header
    /// value) while the token lasts.
    pub fn fresh_generation(&self) -> Option<u64> {
        let slot = self.slot.read().unwrap_or_else(PoisonError::into_inner);
        slot.as_ref()
            .filter(|slot| slot.is_fresh())
            .map(|slot| slot.generation)
    }

    fn fresh(&self) -> Option<CachedToken> {
        let slot = self.slot.read().unwrap_or_else(PoisonError::into_inner);
        let slot = slot.as_ref().filter(|slot| slot.is_fresh())?;
        Some(CachedToken {
            token: slot.token.clone(),
            generation: slot.generation,
        })
    }
}

impl<P: TokenProvider + ?Sized> fmt::Debug for TokenCache<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cached = self
            .slot
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map(|s| s.token.expires_at);
        f.debug_struct("TokenCache")
            .field("provider", &self.provider)
            .field("margin", &self.margin)
            .field("cached_until", &cached)
            .finish_non_exhaustive()
    }
}
