//! Retry policy: how often, how long, and what a service's hints ask for.

use std::time::{Duration, SystemTime};

use http::HeaderMap;

/// How a request is retried.
///
/// A retry waits `max(hint, backoff)`, where the hint is the service's `Retry-After`
/// (seconds or an HTTP date), `retry-after-ms` or `x-ms-retry-after-ms`, and the backoff
/// doubles from `base_backoff` up to `max_backoff` with jitter. A hint may exceed
/// `max_backoff`, but no retry starts once `budget` would be exceeded: the last error is
/// returned instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included. 1 disables retries.
    pub max_attempts: u32,
    /// The first backoff.
    pub base_backoff: Duration,
    /// The longest backoff (hints may ask for more, within the budget).
    pub max_backoff: Duration,
    /// The total time from the first attempt within which retries may start.
    pub budget: Duration,
    /// Whether backoffs are randomised (half fixed, half random) to spread clients out.
    pub jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(15),
            budget: Duration::from_secs(90),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    #[must_use]
    pub fn never() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The backoff before attempt `attempt + 1`, given that `attempt` (1-based) failed.
    #[must_use]
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exponent = attempt.saturating_sub(1).min(20);
        let backoff = self
            .base_backoff
            .saturating_mul(1 << exponent)
            .min(self.max_backoff);
        if self.jitter && !backoff.is_zero() {
            let half = backoff / 2;
            let random = half.mul_f64(fastrand::f64());
            half + random
        } else {
            backoff
        }
    }

    /// How long to wait before the next attempt, or `None` when no attempt is left or
    /// the wait would end past the budget.
    #[must_use]
    pub fn next_delay(
        &self,
        attempt: u32,
        elapsed: Duration,
        hint: Option<Duration>,
    ) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        let backoff = self.backoff(attempt);
        let delay = hint.map_or(backoff, |hint| hint.max(backoff));
        (elapsed + delay <= self.budget).then_some(delay)
    }
}

/// The retry hint a response carries: `retry-after-ms`, `x-ms-retry-after-ms`, or
/// `Retry-After` as seconds or as an HTTP date (a date in the past means now).
#[must_use]
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    for name in ["retry-after-ms", "x-ms-retry-after-ms"] {
        if let Some(ms) = header_str(headers, name).and_then(|v| v.parse::<u64>().ok()) {
            return Some(Duration::from_millis(ms));
        }
    }
    let value = header_str(headers, "retry-after")?;
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    if let Ok(seconds) = value.parse::<f64>()
        && seconds.is_finite()
        && seconds >= 0.0
    {
        return Duration::try_from_secs_f64(seconds).ok();
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(
        date.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name)?.to_str().ok().map(str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(
            retry_after(&headers(&[("retry-after", "7")])),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after-ms", "150"), ("retry-after", "9")])),
            Some(Duration::from_millis(150))
        );
        assert_eq!(
            retry_after(&headers(&[("x-ms-retry-after-ms", "20")])),
            Some(Duration::from_millis(20))
        );
        let future = SystemTime::now() + Duration::from_secs(120);
        let hint = retry_after(&headers(&[(
            "retry-after",
            &httpdate::fmt_http_date(future),
        )]))
        .unwrap();
        assert!(
            hint > Duration::from_secs(115) && hint <= Duration::from_secs(120),
            "{hint:?}"
        );
        assert_eq!(
            retry_after(&headers(&[(
                "retry-after",
                "Wed, 21 Oct 2015 07:28:00 GMT"
            )])),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after(&headers(&[("retry-after", "soon")])), None);
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let policy = RetryPolicy {
            jitter: false,
            base_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(350),
            ..RetryPolicy::default()
        };
        assert_eq!(policy.backoff(1), Duration::from_millis(100));
        assert_eq!(policy.backoff(2), Duration::from_millis(200));
        assert_eq!(policy.backoff(3), Duration::from_millis(350));
        assert_eq!(policy.backoff(60), Duration::from_millis(350));
    }

    #[test]
    fn jitter_stays_within_half_and_full() {
        let policy = RetryPolicy::default();
        for attempt in 1..6 {
            let full = RetryPolicy {
                jitter: false,
                ..policy.clone()
            }
            .backoff(attempt);
            let jittered = policy.backoff(attempt);
            assert!(
                jittered >= full / 2 && jittered <= full,
                "{jittered:?} vs {full:?}"
            );
        }
    }

    #[test]
    fn hint_wins_within_budget() {
        let policy = RetryPolicy {
            jitter: false,
            base_backoff: Duration::from_millis(10),
            budget: Duration::from_secs(30),
            ..RetryPolicy::default()
        };
        assert_eq!(
            policy.next_delay(1, Duration::ZERO, Some(Duration::from_secs(20))),
            Some(Duration::from_secs(20))
        );
        assert_eq!(
            policy.next_delay(1, Duration::from_secs(11), Some(Duration::from_secs(20))),
            None
        );
        assert_eq!(policy.next_delay(5, Duration::ZERO, None), None);
        assert_eq!(
            policy.next_delay(1, Duration::ZERO, Some(Duration::from_millis(1))),
            Some(Duration::from_millis(10))
        );
    }
}
