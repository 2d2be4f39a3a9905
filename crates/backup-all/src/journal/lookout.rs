//! The idle loops of one worker: while other workers (or this worker's own busy loops)
//! hold the last targets, one idle loop, the lookout, asks the journal once per
//! interval whether anything can be claimed or the run has ended; the other idle loops
//! wait for its word instead of each reading the journal.
//!
//! Without it, every idle loop claimed and read the whole run once per interval: at a
//! concurrency of 1,000 that was 1,000 write transactions and 1,000 reads of every
//! target per second, which starved the loops still working of journal connections.

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
}

impl Lookout {
    pub(super) fn new() -> Self {
        Self {
            turn: Mutex::new(()),
            word: watch::channel(0).0,
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
        if let Ok(_turn) = self.turn.try_lock() {
            match journal.open_targets(run_id).await {
                Ok(0) => {
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
        Ok(Next::Claim)
    }
}
