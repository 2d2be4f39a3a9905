//! The token cache: single flight under load, refresh at the margin, no poisoning.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use backup_core::Error;
use backup_core::auth::{AccessToken, ExposeSecret, TokenCache, TokenProvider};
use time::OffsetDateTime;

/// Issues `t1`, `t2`, ... living `lifetime`; fails while `failing` is set.
#[derive(Debug)]
struct Provider {
    fetches: AtomicU32,
    lifetime: time::Duration,
    failing: std::sync::atomic::AtomicBool,
    delay: Duration,
}

impl Provider {
    fn new(lifetime: time::Duration) -> Arc<Self> {
        Arc::new(Self {
            fetches: AtomicU32::new(0),
            lifetime,
            failing: false.into(),
            delay: Duration::from_millis(20),
        })
    }
}

#[async_trait]
impl TokenProvider for Provider {
    async fn fetch_token(&self) -> backup_core::Result<AccessToken> {
        let n = self.fetches.fetch_add(1, Ordering::SeqCst) + 1;
        tokio::time::sleep(self.delay).await;
        if self.failing.load(Ordering::SeqCst) {
            return Err(Error::auth("test", format!("exchange {n} refused")));
        }
        Ok(AccessToken::new(
            format!("t{n}"),
            Some(OffsetDateTime::now_utc() + self.lifetime),
        ))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_callers_cause_one_fetch() {
    let provider = Provider::new(time::Duration::hours(1));
    let cache = Arc::new(TokenCache::new(provider.clone()));
    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move {
                cache
                    .token()
                    .await
                    .map(|t| t.token.secret.expose_secret().to_owned())
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap(), "t1");
    }
    assert_eq!(provider.fetches.load(Ordering::SeqCst), 1);
    assert_eq!(cache.fetch_count(), 1);
}

#[tokio::test]
async fn refreshes_at_the_margin() {
    // Lives 10 minutes; the cache refreshes 5 minutes before expiry: still fresh.
    let provider = Provider::new(time::Duration::minutes(10));
    let cache = TokenCache::with_margin(provider.clone(), Duration::from_secs(300));
    cache.token().await.unwrap();
    cache.token().await.unwrap();
    assert_eq!(provider.fetches.load(Ordering::SeqCst), 1);

    // Lives 4 minutes with a 5-minute margin: refreshed half-way, so still cached now...
    let provider = Provider::new(time::Duration::minutes(4));
    let cache = TokenCache::with_margin(provider.clone(), Duration::from_secs(300));
    cache.token().await.unwrap();
    cache.token().await.unwrap();
    assert_eq!(provider.fetches.load(Ordering::SeqCst), 1);

    // ... while a token already inside its margin is fetched again each time.
    let provider = Provider::new(time::Duration::seconds(-1));
    let cache = TokenCache::with_margin(provider.clone(), Duration::from_secs(300));
    let first = cache.token().await.unwrap();
    let second = cache.token().await.unwrap();
    assert_eq!(provider.fetches.load(Ordering::SeqCst), 2);
    assert_ne!(first.generation, second.generation);
}

#[tokio::test]
async fn a_failed_refresh_is_reported_and_the_next_call_tries_again() {
    let provider = Provider::new(time::Duration::hours(1));
    provider.failing.store(true, Ordering::SeqCst);
    let cache = TokenCache::new(provider.clone());
    let err = cache.token().await.unwrap_err();
    assert!(err.to_string().contains("exchange 1 refused"), "{err}");
    provider.failing.store(false, Ordering::SeqCst);
    let token = cache.token().await.unwrap();
    assert_eq!(token.token.secret.expose_secret(), "t2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiters_share_a_failed_fetch_instead_of_repeating_it() {
    let provider = Provider::new(time::Duration::hours(1));
    provider.failing.store(true, Ordering::SeqCst);
    let cache = Arc::new(TokenCache::new(provider.clone()));
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move { cache.token().await.is_err() })
        })
        .collect();
    for task in tasks {
        assert!(task.await.unwrap());
    }
    // One fetch failed for everyone waiting; a caller that arrived after it may try once more.
    assert!(
        provider.fetches.load(Ordering::SeqCst) <= 3,
        "{}",
        provider.fetches.load(Ordering::SeqCst)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalidating_one_generation_from_many_callers_refreshes_once() {
    let provider = Provider::new(time::Duration::hours(1));
    let cache = Arc::new(TokenCache::new(provider.clone()));
    let first = cache.token().await.unwrap();
    let tasks: Vec<_> = (0..500)
        .map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move {
                cache.invalidate(first.generation);
                cache.token().await.unwrap().generation
            })
        })
        .collect();
    for task in tasks {
        assert_ne!(task.await.unwrap(), first.generation);
    }
    assert_eq!(provider.fetches.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn a_day_long_token_is_refreshed_before_its_end_on_a_paused_clock() {
    let provider = Arc::new(Provider {
        fetches: AtomicU32::new(0),
        lifetime: time::Duration::hours(24),
        failing: false.into(),
        delay: Duration::ZERO,
    });
    let cache = TokenCache::with_margin(provider.clone(), Duration::from_secs(600));
    cache.token().await.unwrap();
    tokio::time::advance(Duration::from_secs(23 * 3600 + 49 * 60)).await;
    cache.token().await.unwrap();
    assert_eq!(
        provider.fetches.load(Ordering::SeqCst),
        1,
        "still 11 minutes to go"
    );
    tokio::time::advance(Duration::from_secs(2 * 60)).await;
    cache.token().await.unwrap();
    assert_eq!(
        provider.fetches.load(Ordering::SeqCst),
        2,
        "inside the 10-minute margin"
    );
}
