//! Deadlines that bound every request made on their behalf.
//!
//! A caller with a deadline (the [`crate::Poller`] of a wait with
//! [`crate::WaitOptions::deadline`], a plan with an overall timeout) runs its work
//! inside [`with_deadline`]. Every request the [`crate::Transport`] sends inside it,
//! token and login requests included, then:
//!
//! - is not sent at all once the deadline has passed ([`crate::Error::Transport`] with
//!   [`crate::RequestSent::No`], saying so);
//! - gets the smaller of its own timeout and the time left;
//! - is not retried when the backoff would end past the deadline.
//!
//! Deadlines nest: the earliest one wins. The deadline is a tokio task-local, so it
//! follows the future (and a paused test clock), not the thread.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

tokio::task_local! {
    static DEADLINE: Instant;
}

/// Runs `work` with `deadline` (or an earlier one already in force) bounding every
/// request the transport sends on its behalf. It does not cut `work` off itself: wrap
/// it in [`tokio::time::timeout_at`] for that.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use std::time::Duration;
/// use backup_core::transport::{deadline, time_left, with_deadline};
/// use tokio::time::Instant;
///
/// let at = Instant::now() + Duration::from_secs(30);
/// with_deadline(at, async {
///     assert_eq!(deadline(), Some(at));
///     assert!(time_left().is_some_and(|left| left <= Duration::from_secs(30)));
/// })
/// .await;
/// assert_eq!(deadline(), None);
/// # }
/// ```
pub async fn with_deadline<F: Future>(deadline: Instant, work: F) -> F::Output {
    let effective = self::deadline().map_or(deadline, |outer| outer.min(deadline));
    DEADLINE.scope(effective, work).await
}

/// The deadline in force for the current task, if any.
#[must_use]
pub fn deadline() -> Option<Instant> {
    DEADLINE.try_with(|deadline| *deadline).ok()
}

/// The time left before the deadline in force (zero once it has passed), or `None`
/// without a deadline.
#[must_use]
pub fn time_left() -> Option<Duration> {
    deadline().map(|deadline| deadline.saturating_duration_since(Instant::now()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn nested_deadlines_keep_the_earliest() {
        let now = Instant::now();
        let early = now + Duration::from_secs(5);
        let late = now + Duration::from_secs(50);
        with_deadline(early, async {
            with_deadline(late, async {
                assert_eq!(deadline(), Some(early));
            })
            .await;
        })
        .await;
        with_deadline(late, async {
            with_deadline(early, async { assert_eq!(deadline(), Some(early)) }).await;
            assert_eq!(deadline(), Some(late));
        })
        .await;
        assert_eq!(time_left(), None);
    }

    #[tokio::test(start_paused = true)]
    async fn time_left_counts_down_to_zero() {
        let at = Instant::now() + Duration::from_secs(2);
        with_deadline(at, async {
            assert_eq!(time_left(), Some(Duration::from_secs(2)));
            tokio::time::sleep(Duration::from_secs(5)).await;
            assert_eq!(time_left(), Some(Duration::ZERO));
        })
        .await;
    }
}
