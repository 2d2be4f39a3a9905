//! The idle loops of one worker: while other workers (or this worker's own busy loops)
//! hold the last targets, one idle loop, the lookout, asks the journal once per
//! interval whether anything can be claimed or the run has ended; the other idle loops
//! wait for its word instead of each reading the journal.
//!
//! Without it, every idle loop claimed and read the whole run once per interval: at a
//! concurrency of 1,000 that was 1,000 write transactions and 1,000 reads of every
//! target per second, which starved the loops still working of journal connections.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::{Mutex, watch};

use super::{Journal, JournalError};

/// What an idle loop does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Next {
    /// Try to claim a target again.
    Claim,
    /// Every target of the run has ended: the loop ends.
    Done,
}

/// Shared by the loops of one worker.
#[derive(Debug)]
pub(super) struct Lookout {
    /// Held by the loop that is the lookout.
    turn: Mutex<()>,
    /// Bumped when the waiting loops should look again: a target was claimed (there
    /// may be more), the run ended, or the lookout failed.
    word: watch::Sender<u64>,
    /// A lookout found every target of the run ended (for good: an ended target
    /// stays ended). The loops it wakes end at once instead of each claiming once
    /// more, which made the end of a run quadratic in its concurrency (each loop's
    /// last look woke every loop still waiting, and each of those wrote a claim).
    ended: AtomicBool,
}

impl Lookout {
    pub(super) fn new() -> Self {
        Self {
            turn: Mutex::new(()),
            word: watch::channel(0).0,
            ended: AtomicBool::new(false),
        }
    }

    /// A loop claimed a target: the waiting loops try too.
    pub(super) fn claimed(&self) {
        if self.word.receiver_count() > 0 {
            self.tell();
        }
    }

    fn tell(&self) {
        self.word.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Called by a loop that found nothing to claim. The lookout counts the run's open
    /// targets ([`Next::Done`] at none) and otherwise waits `interval`; any other loop
    /// waits for the lookout's word, `stop`, or at most `patience` (a safety net).
    /// Once a lookout has found none open, every loop's answer is [`Next::Done`].
    ///
    /// # Errors
    /// The journal's, when the lookout cannot count (the waiting loops are told).
    pub(super) async fn idle(
        &self,
        journal: &dyn Journal,
        run_id: &str,
        interval: Duration,
        patience: Duration,
        stop: &watch::Sender<bool>,
    ) -> Result<Next, JournalError> {
        let mut word = self.word.subscribe();
        let mut stop = stop.subscribe();
        if self.ended.load(Ordering::Acquire) {
            return Ok(Next::Done);
        }
        if let Ok(_turn) = self.turn.try_lock() {
            match journal.open_targets(run_id).await {
                Ok(0) => {
                    self.ended.store(true, Ordering::Release);
                    self.tell();
                    return Ok(Next::Done);
                }
                Ok(_) => {}
                Err(error) => {
                    self.tell();
                    return Err(error);
                }
            }
            tokio::select! {
                () = tokio::time::sleep(interval) => {}
                _ = stop.wait_for(|stopped| *stopped) => {}
            }
            return Ok(Next::Claim);
        }
        tokio::select! {
            _ = word.changed() => {}
            _ = stop.wait_for(|stopped| *stopped) => {}
            () = tokio::time::sleep(patience) => {}
        }
        if self.ended.load(Ordering::Acquire) {
            return Ok(Next::Done);
        }
        Ok(Next::Claim)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{NewRun, RunSelect, SqliteJournal};

    /// The loops waiting when the lookout finds the run ended end with it: none of
    /// them claims again (which, loop after loop, was quadratic in the concurrency).
    #[tokio::test]
    async fn every_waiting_loop_ends_with_the_lookout() {
        let (_dir, path) = crate::journal::tests::temp_path("journal.sqlite");
        let journal = SqliteJournal::open(&path).await.unwrap();
        let plan = NewRun {
            plan_path: "plan.toml".to_owned(),
            plan_hash: "ended".to_owned(),
            settings: serde_json::Value::Null,
            targets: Vec::new(),
        };
        let run = journal
            .open_run(&plan, &RunSelect::New, "w")
            .await
            .unwrap()
            .run
            .id;
        let lookout = Lookout::new();
        let (stop, _) = watch::channel(false);
        let loops = (0..100).map(|_| {
            lookout.idle(
                &journal,
                &run,
                Duration::from_secs(3600),
                Duration::from_secs(3600),
                &stop,
            )
        });
        let nexts = tokio::time::timeout(
            Duration::from_secs(60),
            futures_util::future::join_all(loops),
        )
        .await
        .expect("no loop waits out its patience");
        assert!(
            nexts.iter().all(|next| matches!(next, Ok(Next::Done))),
            "{nexts:?}"
        );
    }
}
