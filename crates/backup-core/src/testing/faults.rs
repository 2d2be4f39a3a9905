//! The fault suite: one vendor's emulator through every fault, each with the outcome
//! it must end in and the backups the emulator may have started (never two).
//!
//! Written once over [`VendorEmulator`]; every vendor crate runs it from its tests with
//! [`vendor_suite!`](crate::vendor_suite), and `cargo xtask faults` prints the whole
//! matrix (the `backup-faults` crate).

use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use url::Url;

use crate::contract::{BackupClient, BackupClientBuilder};
use crate::emulator::{Fault, LifecycleSpec, RouteClass, VendorEmulator, lock};
use crate::{Error, Operation, OperationStatus, RequestSent, Result, RetryPolicy, WaitOptions};

/// How long a slow answer takes in the slow-answer cells: twenty times
/// [`SHORT_TIMEOUT`], so that no machine is slow enough for the answer to win.
pub const SLOW_ANSWER: Duration = Duration::from_secs(60);
/// The request timeout of the slow-answer cells: far under [`SLOW_ANSWER`], and long
/// enough that the cell's other requests (tokens, the repeat of a safe request) never
/// run into it on a loaded machine. The cell's outcome never depends on the clock.
pub const SHORT_TIMEOUT: Duration = Duration::from_secs(3);
/// The request timeout of every other cell.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// The body cap of the oversized-body cells.
pub const BODY_CAP: usize = 16 * 1024;
/// The body cap of every other cell (far above any emulator answer).
pub const DEFAULT_BODY_CAP: usize = 64 * 1024;
/// The size of the oversized bodies (four times [`BODY_CAP`]).
pub const OVERSIZED: usize = 4 * BODY_CAP;

/// Retries with millisecond backoffs: 4 attempts, 2 ms doubling to 20 ms, no jitter.
#[must_use]
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_backoff: Duration::from_millis(2),
        max_backoff: Duration::from_millis(20),
        budget: Duration::from_secs(10),
        jitter: false,
    }
}

/// Short waits: a poll every 5 ms (hints clamped to 1..=50 ms), a 10 s deadline.
#[must_use]
pub fn fast_wait() -> WaitOptions {
    WaitOptions::every(Duration::from_millis(5))
        .interval_limits(Duration::from_millis(1), Duration::from_millis(50))
        .deadline(Some(Duration::from_secs(10)))
}

/// A `http://127.0.0.1:PORT/` where nothing listens (the port was bound, then freed).
///
/// # Errors
/// When no local port can be bound.
pub fn unreachable_url() -> std::io::Result<Url> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
    let port = listener.local_addr()?.port();
    drop(listener);
    Url::parse(&format!("http://127.0.0.1:{port}/")).map_err(std::io::Error::other)
}

/// One fault, aimed at the trigger, a poll, the token or the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultCase {
    /// The trigger is answered 429 with `Retry-After: 1`.
    Throttled,
    /// The trigger is answered 503.
    Unavailable,
    /// The trigger is answered 500 (the service did not act, the client cannot know).
    ServerErrorOnTrigger,
    /// A poll is answered 500.
    ServerErrorOnPoll,
    /// The connection of the trigger is dropped before the service acts.
    DropBeforeTrigger,
    /// The service starts the backup, then the connection is dropped before the answer.
    DropAfterTrigger,
    /// The connection of a poll is dropped before the answer.
    DropOnPoll,
    /// The trigger's answer comes after the request timeout (the service acted).
    SlowTrigger,
    /// A poll's answer comes after the request timeout.
    SlowPoll,
    /// The trigger's success answer is truncated JSON or XML (the service acted).
    MalformedTrigger,
    /// A poll's answer is truncated JSON or XML.
    MalformedPoll,
    /// A proxy answers the trigger with an HTML 502 page (the service did not act).
    HtmlTrigger,
    /// A proxy answers a poll with an HTML 502 page.
    HtmlPoll,
    /// The trigger's success answer has an empty body (the service acted).
    EmptyTrigger,
    /// A poll's answer has an empty body.
    EmptyPoll,
    /// The trigger's answer is larger than the body cap (the service acted).
    OversizedTrigger,
    /// A poll's answer is larger than the body cap.
    OversizedPoll,
    /// Every token expires in the middle of the wait: a poll is answered 401.
    ExpiredTokenMidWait,
    /// The trigger is refused in the vendor's own error format.
    VendorError,
    /// Nothing listens at the endpoint: the connection is refused.
    ConnectionRefused,
}

impl FaultCase {
    /// Every fault, in the order of the table.
    pub const ALL: [FaultCase; 20] = [
        FaultCase::Throttled,
        FaultCase::Unavailable,
        FaultCase::ServerErrorOnTrigger,
        FaultCase::ServerErrorOnPoll,
        FaultCase::DropBeforeTrigger,
        FaultCase::DropAfterTrigger,
        FaultCase::DropOnPoll,
        FaultCase::SlowTrigger,
        FaultCase::SlowPoll,
        FaultCase::MalformedTrigger,
        FaultCase::MalformedPoll,
        FaultCase::HtmlTrigger,
        FaultCase::HtmlPoll,
        FaultCase::EmptyTrigger,
        FaultCase::EmptyPoll,
        FaultCase::OversizedTrigger,
        FaultCase::OversizedPoll,
        FaultCase::ExpiredTokenMidWait,
        FaultCase::VendorError,
        FaultCase::ConnectionRefused,
    ];

    /// A short name for the table.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            FaultCase::Throttled => "429 + Retry-After (trigger)",
            FaultCase::Unavailable => "503 (trigger)",
            FaultCase::ServerErrorOnTrigger => "500 on the trigger",
            FaultCase::ServerErrorOnPoll => "500 on a poll",
            FaultCase::DropBeforeTrigger => "dropped before handling (trigger)",
            FaultCase::DropAfterTrigger => "dropped before the answer (trigger)",
            FaultCase::DropOnPoll => "dropped before the answer (poll)",
            FaultCase::SlowTrigger => "slower than the timeout (trigger)",
            FaultCase::SlowPoll => "slower than the timeout (poll)",
            FaultCase::MalformedTrigger => "malformed JSON/XML (trigger)",
            FaultCase::MalformedPoll => "malformed JSON/XML (poll)",
            FaultCase::HtmlTrigger => "HTML error page (trigger)",
            FaultCase::HtmlPoll => "HTML error page (poll)",
            FaultCase::EmptyTrigger => "empty body (trigger)",
            FaultCase::EmptyPoll => "empty body (poll)",
            FaultCase::OversizedTrigger => "body over the cap (trigger)",
            FaultCase::OversizedPoll => "body over the cap (poll)",
            FaultCase::ExpiredTokenMidWait => "401: token expired mid-wait",
            FaultCase::VendorError => "vendor's own error body",
            FaultCase::ConnectionRefused => "connection refused",
        }
    }

    /// Where the fault is aimed, and the fault (none for the token and connection
    /// cells), for the vendor of `E`.
    #[must_use]
    pub fn fault<E: VendorEmulator>(self) -> Option<(RouteClass, Fault)> {
        let trigger = |fault| Some((RouteClass::Trigger, fault));
        let poll = |fault| Some((RouteClass::Poll, fault));
        let ok = E::TRIGGER_SUCCESS_STATUS;
        match self {
            FaultCase::Throttled => trigger(Fault::retry_after(429, Duration::from_secs(1))),
            FaultCase::Unavailable => trigger(Fault::status(503)),
            FaultCase::ServerErrorOnTrigger => trigger(Fault::status(500)),
            FaultCase::ServerErrorOnPoll => poll(Fault::status(500)),
            FaultCase::DropBeforeTrigger => trigger(Fault::DropBeforeHandling),
            FaultCase::DropAfterTrigger => trigger(Fault::DropAfterHandling),
            FaultCase::DropOnPoll => poll(Fault::DropAfterHandling),
            FaultCase::SlowTrigger => trigger(Fault::Delay(SLOW_ANSWER)),
            FaultCase::SlowPoll => poll(Fault::Delay(SLOW_ANSWER)),
            FaultCase::MalformedTrigger => trigger(Fault::MalformedBody { status: ok }),
            FaultCase::MalformedPoll => poll(Fault::MalformedBody { status: 200 }),
            FaultCase::HtmlTrigger => trigger(Fault::HtmlBody { status: 502 }),
            FaultCase::HtmlPoll => poll(Fault::HtmlBody { status: 502 }),
            FaultCase::EmptyTrigger => trigger(Fault::EmptyBody { status: ok }),
            FaultCase::EmptyPoll => poll(Fault::EmptyBody { status: 200 }),
            FaultCase::OversizedTrigger => trigger(Fault::OversizedBody { bytes: OVERSIZED }),
            FaultCase::OversizedPoll => poll(Fault::OversizedBody { bytes: OVERSIZED }),
            FaultCase::VendorError => trigger(E::vendor_error().0),
            FaultCase::ExpiredTokenMidWait | FaultCase::ConnectionRefused => None,
        }
    }

    /// Whether the service acts on the faulted trigger (starts the backup).
    #[must_use]
    pub fn trigger_reaches_service<E: VendorEmulator>(self) -> bool {
        match self.fault::<E>() {
            Some((RouteClass::Trigger, fault)) => fault.reaches_service(),
            _ => false,
        }
    }

    /// Whether the faulted trigger's answer is usable as it is for `E`'s client (it
    /// follows the trigger from the answer's headers), so that nothing is re-sent.
    fn answer_usable<E: VendorEmulator>(self) -> bool {
        E::TRIGGER_BODY_UNUSED
            && matches!(self, FaultCase::MalformedTrigger | FaultCase::EmptyTrigger)
    }

    /// The client's request timeout in this cell.
    #[must_use]
    pub fn request_timeout(self) -> Duration {
        match self {
            FaultCase::SlowTrigger | FaultCase::SlowPoll => SHORT_TIMEOUT,
            _ => REQUEST_TIMEOUT,
        }
    }

    /// The client's body cap in this cell.
    #[must_use]
    pub fn body_cap(self) -> usize {
        match self {
            FaultCase::OversizedTrigger | FaultCase::OversizedPoll => BODY_CAP,
            _ => DEFAULT_BODY_CAP,
        }
    }

    /// What this cell must end in for the vendor of `E`.
    #[must_use]
    pub fn expected<E: VendorEmulator>(self) -> Expected {
        use FaultCase as F;
        let recovered = Expected::new(Outcome::Recovered, 1);
        match self {
            F::Throttled
            | F::Unavailable
            | F::ServerErrorOnPoll
            | F::DropOnPoll
            | F::SlowPoll
            | F::MalformedPoll
            | F::HtmlPoll
            | F::EmptyPoll
            | F::OversizedPoll
            | F::ExpiredTokenMidWait => recovered,
            F::VendorError => Expected::new(Outcome::Api, 0),
            F::ConnectionRefused => Expected::new(Outcome::Transport, 0),
            // Lost or unusable answers to a trigger.
            F::ServerErrorOnTrigger
            | F::DropBeforeTrigger
            | F::DropAfterTrigger
            | F::SlowTrigger
            | F::MalformedTrigger
            | F::HtmlTrigger
            | F::EmptyTrigger
            | F::OversizedTrigger => {
                if E::IDEMPOTENT_TRIGGER || self.answer_usable::<E>() {
                    // The same idempotency key again, or an answer whose headers are
                    // all the client needs: one operation, one backup.
                    return recovered;
                }
                Expected::new(
                    Outcome::OutcomeUnknown,
                    u64::from(self.trigger_reaches_service::<E>()),
                )
            }
        }
    }
}

impl fmt::Display for FaultCase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a cell ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Every operation the trigger returned ended successfully.
    Recovered,
    /// [`Error::OutcomeUnknown`]: the trigger was sent and no usable answer came.
    OutcomeUnknown,
    /// [`Error::Api`]: the vendor refused, in its own words.
    Api,
    /// [`Error::Transport`]: no answer came (for a request that did not start anything).
    Transport,
    /// [`Error::Decode`].
    Decode,
    /// [`Error::Auth`].
    Auth,
    /// [`Error::Timeout`].
    Timeout,
    /// [`Error::OperationFailed`].
    OperationFailed,
    /// Any other error.
    Other,
}

impl Outcome {
    /// The outcome of a result.
    #[must_use]
    pub fn of(result: &Result<Vec<Operation>, Error>) -> Self {
        match result {
            Ok(_) => Outcome::Recovered,
            Err(Error::OutcomeUnknown { .. }) => Outcome::OutcomeUnknown,
            Err(Error::Api(_)) => Outcome::Api,
            Err(Error::Transport { .. }) => Outcome::Transport,
            Err(Error::Decode { .. }) => Outcome::Decode,
            Err(Error::Auth { .. }) => Outcome::Auth,
            Err(Error::Timeout { .. }) => Outcome::Timeout,
            Err(Error::OperationFailed(_)) => Outcome::OperationFailed,
            Err(_) => Outcome::Other,
        }
    }

    /// A short name for the table.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Recovered => "recovered",
            Outcome::OutcomeUnknown => "OutcomeUnknown",
            Outcome::Api => "Api",
            Outcome::Transport => "Transport",
            Outcome::Decode => "Decode",
            Outcome::Auth => "Auth",
            Outcome::Timeout => "Timeout",
            Outcome::OperationFailed => "OperationFailed",
            Outcome::Other => "other error",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a cell must end in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expected {
    /// The outcome.
    pub outcome: Outcome,
    /// The backups the emulator must have started (0 or 1; never 2).
    pub accepted: u64,
}

impl Expected {
    /// An expectation.
    #[must_use]
    pub fn new(outcome: Outcome, accepted: u64) -> Self {
        Self { outcome, accepted }
    }
}

/// What one cell did.
#[derive(Debug, Clone)]
pub struct Cell {
    /// The vendor (`BackupClient::VENDOR`).
    pub vendor: &'static str,
    /// The fault.
    pub case: FaultCase,
    /// What it had to end in.
    pub expected: Expected,
    /// What it ended in.
    pub outcome: Outcome,
    /// The backups the emulator started.
    pub accepted: u64,
    /// The triggers the emulator received (retries included).
    pub triggers: usize,
    /// The error's text, when it ended in one.
    pub error: Option<String>,
    /// Every check that failed (empty: PASS).
    pub problems: Vec<String>,
    /// How long the cell took.
    pub elapsed: Duration,
}

impl Cell {
    /// Whether every check passed.
    #[must_use]
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }

    /// Panics with every problem when a check failed (for tests).
    ///
    /// # Panics
    /// When the cell did not pass.
    pub fn assert_passed(&self) {
        assert!(
            self.passed(),
            "{} / {}: {}{}",
            self.vendor,
            self.case,
            self.problems.join("; "),
            self.error
                .as_ref()
                .map(|e| format!(" [error: {e}]"))
                .unwrap_or_default()
        );
    }
}

/// The client of a cell: the emulator's builder with fast retries and the cell's
/// timeouts and body cap, pointed at a dead port for [`FaultCase::ConnectionRefused`].
fn client_for<E: VendorEmulator>(emulator: &E, case: FaultCase) -> Result<E::Client> {
    let mut builder = match case {
        FaultCase::ConnectionRefused => {
            let dead = unreachable_url()
                .map_err(|e| Error::config("faults", format!("no free local port: {e}")))?;
            emulator.client_builder_at(&dead)
        }
        FaultCase::ExpiredTokenMidWait => emulator.token_client_builder(),
        _ => emulator.client_builder(),
    };
    let options = builder.transport_options_mut();
    options.retry = fast_retry();
    options.request_timeout = case.request_timeout();
    options.connect_timeout = Duration::from_secs(2);
    options.body_cap = case.body_cap();
    builder.build()
}

/// Waits for every operation in turn, calling `observer` with each change.
async fn wait_all<C: BackupClient>(
    client: &C,
    operations: Vec<Operation>,
    observer: &(dyn Fn(&Operation) + Sync),
) -> Result<Vec<Operation>> {
    let mut done = Vec::with_capacity(operations.len());
    for operation in operations {
        done.push(
            client
                .wait(operation, fast_wait())
                .run_with(|op| observer(op))
                .await?,
        );
    }
    Ok(done)
}

/// Runs one cell: a fresh emulator and client, the fault, trigger and wait, and every
/// check.
pub async fn run_cell<E: VendorEmulator>(case: FaultCase) -> Cell {
    let vendor = <E::Client as BackupClient>::VENDOR;
    let started = Instant::now();
    let expected = case.expected::<E>();
    let failed_start = |error: String| Cell {
        vendor,
        case,
        expected,
        outcome: Outcome::Other,
        accepted: 0,
        triggers: 0,
        error: Some(error.clone()),
        problems: vec![format!("could not start: {error}")],
        elapsed: started.elapsed(),
    };
    let emulator = match E::start().await {
        Ok(emulator) => emulator,
        Err(error) => return failed_start(format!("emulator: {error}")),
    };
    let client = match client_for(&emulator, case) {
        Ok(client) => client,
        Err(error) => return failed_start(error.to_string()),
    };
    // Long enough for a token to expire between two polls.
    emulator.set_lifecycle(LifecycleSpec::after_polls(3));
    let mut problems = Vec::new();
    let fault = case.fault::<E>();
    if let Some((RouteClass::Trigger, fault)) = &fault {
        emulator.faults().inject(RouteClass::Trigger, fault.clone());
    }
    let changes = AtomicU32::new(0);
    let tokens_before_expiry = Mutex::new(None);
    let observer = |_: &Operation| {
        // Expire every token after the first poll of the wait.
        if case == FaultCase::ExpiredTokenMidWait && changes.fetch_add(1, Ordering::SeqCst) == 1 {
            *lock(&tokens_before_expiry) = Some(emulator.token_requests());
            emulator.expire_tokens();
        }
    };
    let result = match client.trigger(&emulator.demo_request()).await {
        Err(error) => Err(error),
        Ok(operations) => {
            if operations.is_empty() {
                problems.push("the trigger returned no operation".to_owned());
            }
            if let Some((RouteClass::Poll, fault)) = &fault {
                emulator.faults().inject(RouteClass::Poll, fault.clone());
            }
            wait_all(&client, operations, &observer).await
        }
    };
    let outcome = Outcome::of(&result);
    let accepted = emulator.accepted_backups();
    let triggers = emulator.requests().count(RouteClass::Trigger);

    if outcome != expected.outcome {
        problems.push(format!("expected {}, got {outcome}", expected.outcome));
    }
    if accepted != expected.accepted {
        problems.push(format!(
            "expected {} accepted backup(s), the emulator started {accepted}",
            expected.accepted
        ));
    }
    if accepted > 1 {
        problems.push("TWO OR MORE BACKUPS STARTED".to_owned());
    }
    if let Some((RouteClass::Trigger, _)) = &fault
        && outcome == Outcome::Recovered
    {
        // Recovered from a faulted trigger: sent again exactly once, unless the
        // faulted answer was usable as it was.
        let sends = 1 + usize::from(!case.answer_usable::<E>());
        if triggers != sends {
            problems.push(format!(
                "the trigger was sent {triggers} times, expected {sends}"
            ));
        }
    }
    if fault.is_some() && emulator.faults().pending() != 0 {
        problems.push("the fault never fired".to_owned());
    }
    match &result {
        Ok(done) => {
            for operation in done {
                if operation.status != OperationStatus::Succeeded {
                    problems.push(format!(
                        "{} ended {}",
                        operation.reference, operation.status
                    ));
                }
            }
        }
        Err(error) => check_error::<E>(case, error, triggers, &mut problems),
    }
    if case == FaultCase::ExpiredTokenMidWait {
        match *lock(&tokens_before_expiry) {
            Some(before) => {
                let after = emulator.token_requests();
                if after != before + 1 {
                    problems.push(format!(
                        "expected exactly one token refresh, the emulator issued {}",
                        after.saturating_sub(before)
                    ));
                }
            }
            None => problems.push("the wait ended before the token could expire".to_owned()),
        }
    }
    let error = result.err().map(|e| e.to_string());
    emulator.shutdown().await;
    Cell {
        vendor,
        case,
        expected,
        outcome,
        accepted,
        triggers,
        error,
        problems,
        elapsed: started.elapsed(),
    }
}

/// The checks on the error a cell ended in.
fn check_error<E: VendorEmulator>(
    case: FaultCase,
    error: &Error,
    triggers: usize,
    problems: &mut Vec<String>,
) {
    let text = error.to_string();
    match error {
        Error::OutcomeUnknown { .. } => {
            if !text.contains("check before triggering again") {
                problems.push(format!("OutcomeUnknown does not say how to check: {text}"));
            }
            if triggers != 1 {
                problems.push(format!("the trigger was sent {triggers} times, not once"));
            }
        }
        Error::Api(api) if case == FaultCase::VendorError => {
            let code = E::vendor_error().1;
            if api.code.as_deref() != Some(code) {
                problems.push(format!(
                    "expected the vendor code {code}, got {:?}",
                    api.code
                ));
            }
            if triggers != 1 {
                problems.push(format!("the refused trigger was sent {triggers} times"));
            }
        }
        Error::Transport { .. }
            if case == FaultCase::ConnectionRefused && error.request_sent() != RequestSent::No =>
        {
            problems.push(format!(
                "a refused connection must say the request was not sent: {:?}",
                error.request_sent()
            ));
        }
        _ => {}
    }
}

/// Runs every fault for `E`, one after the other.
pub async fn run_all<E: VendorEmulator>() -> Vec<Cell> {
    let mut cells = Vec::with_capacity(FaultCase::ALL.len());
    for case in FaultCase::ALL {
        cells.push(run_cell::<E>(case).await);
    }
    cells
}
