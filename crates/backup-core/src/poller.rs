//! Waiting for an operation to end.
//!
//! [`Poller`] is both a [`Stream`] of the operation's changes (for progress bars) and a
//! future of its end (`poller.await`), like `azure_core`'s poller. It spawns nothing:
//! dropping it stops the polling and leaves no task behind.
//!
//! The interval starts at [`WaitOptions::initial_interval`] and grows by
//! [`WaitOptions::backoff_factor`] up to [`WaitOptions::max_interval`]; a vendor's hint
//! ([`Operation::poll_after`], from `Retry-After` or `x-operation-poll-interval`) wins,
//! clamped to `min_interval ..= max_interval`. Transient poll errors are retried with
//! the operation kept. At the deadline the result is [`Error::Timeout`] carrying the
//! last operation seen: the backup keeps running and waiting can resume from it.
//!
//! The deadline bounds everything, whatever the service does: each poll runs under
//! [`crate::transport::with_deadline`] (no request is sent after the deadline, each
//! request's timeout is the smaller of its own and the time left, token requests
//! included) and is cut off at the deadline itself, so the wait ends with
//! [`Error::Timeout`] at the deadline even when an answer trickles in byte by byte.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use async_trait::async_trait;
use futures_core::Stream;
use futures_util::StreamExt;
use tokio::time::Instant;

use crate::{Error, Operation, Result};

/// What a vendor client offers to the poller. Every
/// [`BackupClient`](crate::contract::BackupClient) is one.
#[async_trait]
pub trait Pollable: Send + Sync {
    /// Reads the operation's current state.
    async fn poll(&self, operation: &Operation) -> Result<Operation>;

    /// After the operation ended well, reads what the backup made (recovery points,
    /// backups, sizes): at most one or two reads. The default reads nothing.
    ///
    /// # Errors
    /// The read's error; the poller then keeps the operation as it was, with a warning.
    async fn follow_up(&self, operation: &Operation) -> Result<Operation> {
        Ok(operation.clone())
    }
}

/// How to wait.
#[derive(Debug, Clone, PartialEq)]
pub struct WaitOptions {
    /// The first interval between polls.
    pub initial_interval: Duration,
    /// How much the interval grows after each poll without a hint (1.0 keeps it).
    pub backoff_factor: f64,
    /// The shortest interval a vendor's hint may ask for.
    pub min_interval: Duration,
    /// The longest interval, hints included.
    pub max_interval: Duration,
    /// How long to wait in all; `None` waits until the operation ends.
    pub deadline: Option<Duration>,
    /// How many transient poll errors in a row are tolerated.
    pub max_poll_errors: u32,
    /// After a successful end, read what the backup made ([`Pollable::follow_up`]:
    /// one or two more requests). On by default.
    pub follow_up: bool,
}

impl Default for WaitOptions {
    fn default() -> Self {
        Self {
            initial_interval: Duration::from_secs(2),
            backoff_factor: 1.5,
            min_interval: Duration::from_millis(500),
            max_interval: Duration::from_secs(60),
            deadline: Some(Duration::from_secs(6 * 3600)),
            max_poll_errors: 10,
            follow_up: true,
        }
    }
}

impl WaitOptions {
    /// Polls every `interval`, ignoring growth; hints still win within
    /// `interval ..= max_interval`.
    #[must_use]
    pub fn every(interval: Duration) -> Self {
        Self {
            initial_interval: interval,
            backoff_factor: 1.0,
            min_interval: interval.min(Duration::from_millis(500)),
            ..Self::default()
        }
    }

    /// Sets the deadline.
    #[must_use]
    pub fn deadline(mut self, deadline: Option<Duration>) -> Self {
        self.deadline = deadline;
        self
    }

    /// Whether to read what the backup made after a successful end (default: yes).
    #[must_use]
    pub fn follow_up(mut self, follow_up: bool) -> Self {
        self.follow_up = follow_up;
        self
    }

    /// Sets the interval limits hints are clamped to.
    #[must_use]
    pub fn interval_limits(mut self, min: Duration, max: Duration) -> Self {
        self.min_interval = min;
        self.max_interval = max.max(min);
        self
    }

    fn clamp_hint(&self, hint: Duration) -> Duration {
        hint.clamp(self.min_interval, self.max_interval.max(self.min_interval))
    }
}

/// Follows an operation to its end: a [`Stream`] of its changes and a future of its end.
///
/// The stream yields the operation as first given, then each state that differs from
/// the last one yielded, ending after a terminal state; or it yields one error (a poll
/// error that is not transient, or [`Error::Timeout`]) and ends.
///
/// Awaited, it resolves to the terminal operation when it succeeded (with or without
/// warnings), to [`Error::OperationFailed`] when it failed or was cancelled, and to the
/// error otherwise.
pub struct Poller<'a> {
    stream: Pin<Box<dyn Stream<Item = Result<Operation>> + Send + 'a>>,
    polls: std::sync::Arc<std::sync::atomic::AtomicU32>,
}

impl std::fmt::Debug for Poller<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Poller")
            .field("polls", &self.polls())
            .finish_non_exhaustive()
    }
}

struct State<'a, P: ?Sized> {
    source: &'a P,
    current: Operation,
    options: WaitOptions,
    interval: Duration,
    next_delay: Duration,
    started: Instant,
    poll_errors: u32,
    first: bool,
    done: bool,
    polls: std::sync::Arc<std::sync::atomic::AtomicU32>,
}

impl<'a> Poller<'a> {
    /// Follows `operation` through `source`.
    pub fn new<P: Pollable + ?Sized>(
        source: &'a P,
        operation: Operation,
        options: WaitOptions,
    ) -> Self {
        let polls = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
        let first_delay = operation
            .poll_after
            .map_or(options.initial_interval, |hint| options.clamp_hint(hint));
        let state = State {
            source,
            current: operation,
            interval: options.initial_interval,
            next_delay: first_delay,
            options,
            started: Instant::now(),
            poll_errors: 0,
            first: true,
            done: false,
            polls: polls.clone(),
        };
        let stream = futures_util::stream::unfold(state, |mut state| async move {
            let item = state.next().await?;
            Some((item, state))
        });
        Self {
            stream: Box::pin(stream),
            polls,
        }
    }

    /// How many polls were made so far.
    #[must_use]
    pub fn polls(&self) -> u32 {
        self.polls.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Drives the poller to the end, calling `observer` with each change.
    ///
    /// # Errors
    /// As for awaiting the poller.
    pub async fn run_with(
        mut self,
        mut observer: impl FnMut(&Operation) + Send,
    ) -> Result<Operation> {
        let mut last = None;
        while let Some(item) = self.stream.next().await {
            let operation = item?;
            observer(&operation);
            last = Some(operation);
        }
        finish(last)
    }
}

fn finish(last: Option<Operation>) -> Result<Operation> {
    match last {
        Some(operation) if operation.status.is_success() => Ok(operation),
        Some(operation) if operation.status.is_terminal() => {
            Err(Error::OperationFailed(Box::new(operation)))
        }
        // The stream only ends on a terminal state or after an error.
        Some(operation) => Err(Error::Timeout {
            operation: Box::new(operation),
            waited: Duration::ZERO,
        }),
        None => Err(Error::Unsupported {
            vendor: "backup",
            what: "waiting without an operation".to_owned(),
        }),
    }
}

impl<P: Pollable + ?Sized> State<'_, P> {
    async fn next(&mut self) -> Option<Result<Operation>> {
        if self.done {
            return None;
        }
        if self.first {
            self.first = false;
            self.done = self.current.status.is_terminal();
            return Some(Ok(self.current.clone()));
        }
        loop {
            let elapsed = self.started.elapsed();
            let remaining = self.options.deadline.map(|d| d.saturating_sub(elapsed));
            if remaining.is_some_and(|r| r.is_zero()) {
                return Some(Err(self.timeout()));
            }
            let delay = remaining.map_or(self.next_delay, |r| self.next_delay.min(r));
            tokio::time::sleep(delay).await;
            let at = self.deadline_at();
            if at.is_some_and(|at| Instant::now() >= at) {
                return Some(Err(self.timeout()));
            }
            self.polls
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let polled = match at {
                Some(at) => {
                    let poll = crate::transport::with_deadline(at, self.source.poll(&self.current));
                    match tokio::time::timeout_at(at, poll).await {
                        Ok(polled) => polled,
                        Err(_) => return Some(Err(self.timeout())),
                    }
                }
                None => self.source.poll(&self.current).await,
            };
            if polled.is_err() && at.is_some_and(|at| Instant::now() >= at) {
                // The poll failed because the deadline came (a request not sent, or cut
                // off): the wait ends at its deadline with the operation kept.
                return Some(Err(self.timeout()));
            }
            match polled {
                Ok(operation) => {
                    self.poll_errors = 0;
                    self.advance_interval(operation.poll_after);
                    let changed = operation.differs_from(&self.current);
                    self.current = operation;
                    if self.current.status.is_terminal() {
                        self.done = true;
                        if self.current.status.is_success() && self.options.follow_up {
                            self.follow_up().await;
                        }
                        return Some(Ok(self.current.clone()));
                    }
                    if changed {
                        return Some(Ok(self.current.clone()));
                    }
                }
                Err(error)
                    if is_transient_for_a_poll(&error)
                        && self.poll_errors < self.options.max_poll_errors =>
                {
                    self.poll_errors += 1;
                    tracing::debug!(
                        operation = %self.current.reference,
                        error = %error,
                        "transient poll error; the operation is kept and polled again"
                    );
                    let hint = error.api().and_then(|api| api.retry_after);
                    self.advance_interval(hint);
                }
                Err(error) => {
                    self.done = true;
                    return Some(Err(error));
                }
            }
        }
    }

    /// Reads what the ended backup made; a failure keeps the operation as it was, with
    /// a warning saying what could not be read.
    async fn follow_up(&mut self) {
        let read = match self.deadline_at() {
            Some(at) => {
                let read =
                    crate::transport::with_deadline(at, self.source.follow_up(&self.current));
                match tokio::time::timeout_at(at, read).await {
                    Ok(read) => read,
                    Err(_) => {
                        self.current.warnings.push(
                            "could not read what the backup made: the deadline passed".to_owned(),
                        );
                        return;
                    }
                }
            }
            None => self.source.follow_up(&self.current).await,
        };
        match read {
            Ok(operation) => self.current = operation,
            Err(error) => {
                tracing::debug!(
                    operation = %self.current.reference,
                    error = %error,
                    "reading what the backup made failed; the operation is kept"
                );
                self.current
                    .warnings
                    .push(format!("could not read what the backup made: {error}"));
            }
        }
    }

    /// When the deadline falls, on tokio's clock (`None`: no deadline, or one too far
    /// for the clock to hold).
    fn deadline_at(&self) -> Option<Instant> {
        self.started.checked_add(self.options.deadline?)
    }

    fn advance_interval(&mut self, hint: Option<Duration>) {
        let grown = self.interval.mul_f64(self.options.backoff_factor.max(1.0));
        self.interval = grown.min(self.options.max_interval);
        self.next_delay = hint.map_or(self.interval, |hint| self.options.clamp_hint(hint));
    }

    fn timeout(&mut self) -> Error {
        self.done = true;
        Error::Timeout {
            operation: Box::new(self.current.clone()),
            waited: self.started.elapsed(),
        }
    }
}

/// A poll is a read: besides retryable errors, an answer that could not be decoded (a
/// truncated body, a proxy's page) is worth reading again.
fn is_transient_for_a_poll(error: &Error) -> bool {
    error.is_retryable() || matches!(error, Error::Decode { .. })
}

impl Stream for Poller<'_> {
    type Item = Result<Operation>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.stream.as_mut().poll_next(cx)
    }
}

impl<'a> IntoFuture for Poller<'a> {
    type Output = Result<Operation>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<Operation>> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run_with(|_| {}))
    }
}

/// Waits for `operation` to end; see [`Poller`].
///
/// # Errors
/// [`Error::OperationFailed`], [`Error::Timeout`] or the poll error.
pub async fn wait<P: Pollable + ?Sized>(
    source: &P,
    operation: Operation,
    options: WaitOptions,
) -> Result<Operation> {
    Poller::new(source, operation, options).await
}
