//! The fault matrix: every vendor through every fault, the outcome each cell must have,
//! and a table of what happened.

use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use backup_core::emulator::{Fault, LifecycleSpec, RouteClass};
use backup_core::{Error, Operation, OperationStatus, RequestSent};

use crate::harness::{Harness, Settings, Vendor, fast_wait};

/// How long a slow answer takes in the slow-answer cells.
pub const SLOW_ANSWER: Duration = Duration::from_millis(1200);
/// The request timeout of the slow-answer cells (well under [`SLOW_ANSWER`]).
pub const SHORT_TIMEOUT: Duration = Duration::from_millis(300);
/// The body cap of the oversized-body cells.
pub const BODY_CAP: usize = 16 * 1024;
/// The size of the oversized bodies (four times [`BODY_CAP`]).
pub const OVERSIZED: usize = 4 * BODY_CAP;

/// One fault of the issue, aimed at the trigger, a poll, the token or the connection.
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

    /// Where the fault is aimed, and the fault (none for the token and connection cells).
    #[must_use]
    pub fn fault(self, vendor: Vendor) -> Option<(RouteClass, Fault)> {
        let trigger = |fault| Some((RouteClass::Trigger, fault));
        let poll = |fault| Some((RouteClass::Poll, fault));
        let ok = vendor.trigger_success_status();
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
            FaultCase::VendorError => trigger(vendor.vendor_error().0),
            FaultCase::ExpiredTokenMidWait | FaultCase::ConnectionRefused => None,
        }
    }

    /// Whether the service acts on the faulted trigger (starts the backup).
    #[must_use]
    pub fn trigger_reaches_service(self, vendor: Vendor) -> bool {
        match self.fault(vendor) {
            Some((RouteClass::Trigger, fault)) => fault.reaches_service(),
            _ => false,
        }
    }

    /// The client settings of this cell.
    #[must_use]
    pub fn settings(self) -> Settings {
        let mut settings = Settings::default();
        match self {
            FaultCase::SlowTrigger | FaultCase::SlowPoll => {
                settings.request_timeout = SHORT_TIMEOUT;
            }
            FaultCase::OversizedTrigger | FaultCase::OversizedPoll => settings.body_cap = BODY_CAP,
            FaultCase::ExpiredTokenMidWait => settings.token_flow = true,
            FaultCase::ConnectionRefused => settings.unreachable = true,
            _ => {}
        }
        settings
    }

    /// What this cell must end in for `vendor`.
    #[must_use]
    pub fn expected(self, vendor: Vendor) -> Expected {
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
                if vendor.idempotent_trigger() {
                    // The same idempotency key again: the same operation, one backup.
                    return recovered;
                }
                // Azure tracks its operation by the 202's headers; its body is unused.
                if vendor == Vendor::Azure && matches!(self, F::MalformedTrigger | F::EmptyTrigger)
                {
                    return recovered;
                }
                Expected::new(
                    Outcome::OutcomeUnknown,
                    u64::from(self.trigger_reaches_service(vendor)),
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
    /// The vendor.
    pub vendor: Vendor,
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
}

/// Runs one cell: a fresh emulator and client, the fault, trigger and wait, and every
/// check of the issue.
pub async fn run_cell(vendor: Vendor, case: FaultCase) -> Cell {
    let started = Instant::now();
    let expected = case.expected(vendor);
    let mut problems = Vec::new();
    let harness = match Harness::start(vendor, &case.settings()).await {
        Ok(harness) => harness,
        Err(error) => {
            return Cell {
                vendor,
                case,
                expected,
                outcome: Outcome::Other,
                accepted: 0,
                triggers: 0,
                error: Some(error.to_string()),
                problems: vec![format!("could not start: {error}")],
                elapsed: started.elapsed(),
            };
        }
    };
    // Long enough for a token to expire between two polls.
    harness.set_lifecycle(LifecycleSpec::after_polls(3));
    let fault = case.fault(vendor);
    if let Some((RouteClass::Trigger, fault)) = &fault {
        harness.inject(RouteClass::Trigger, fault.clone());
    }
    let wait = fast_wait();
    let mut refresh = None;
    let result = match harness.trigger().await {
        Err(error) => Err(error),
        Ok(operations) => {
            if operations.is_empty() {
                problems.push("the trigger returned no operation".to_owned());
            }
            if let Some((RouteClass::Poll, fault)) = &fault {
                harness.inject(RouteClass::Poll, fault.clone());
            }
            if case == FaultCase::ExpiredTokenMidWait {
                // Expire every token after the first poll of the wait.
                let changes = AtomicU32::new(0);
                let before = std::sync::Mutex::new(None);
                let result = harness
                    .wait_all(operations, &wait, |_| {
                        if changes.fetch_add(1, Ordering::SeqCst) == 1 {
                            *before
                                .lock()
                                .unwrap_or_else(std::sync::PoisonError::into_inner) =
                                Some(harness.token_requests());
                            harness.expire_tokens();
                        }
                    })
                    .await;
                refresh = Some(
                    before
                        .into_inner()
                        .unwrap_or_else(std::sync::PoisonError::into_inner),
                );
                result
            } else {
                harness.wait_all(operations, &wait, |_| {}).await
            }
        }
    };
    let outcome = Outcome::of(&result);
    let accepted = harness.accepted_backups();
    let triggers = harness.requests().count(RouteClass::Trigger);

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
        // faulted answer was usable as it was (Azure reads the 202's headers).
        let resent = usize::from(
            !(vendor == Vendor::Azure
                && matches!(case, FaultCase::MalformedTrigger | FaultCase::EmptyTrigger)),
        );
        if triggers != 1 + resent {
            problems.push(format!(
                "the trigger was sent {triggers} times, expected {}",
                1 + resent
            ));
        }
    }
    if fault.is_some() && harness.faults().pending() != 0 {
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
        Err(error) => check_error(vendor, case, error, triggers, &mut problems),
    }
    if case == FaultCase::ExpiredTokenMidWait {
        match refresh {
            Some(Some(before)) => {
                let after = harness.token_requests();
                if after != before + 1 {
                    problems.push(format!(
                        "expected exactly one token refresh, the emulator issued {}",
                        after.saturating_sub(before)
                    ));
                }
            }
            _ => problems.push("the wait ended before the token could expire".to_owned()),
        }
    }
    let error = result.err().map(|e| e.to_string());
    harness.shutdown().await;
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
fn check_error(
    vendor: Vendor,
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
            let code = vendor.vendor_error().1;
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

/// Runs every fault for `vendor`, one after the other.
pub async fn run_vendor(vendor: Vendor) -> Vec<Cell> {
    let mut cells = Vec::with_capacity(FaultCase::ALL.len());
    for case in FaultCase::ALL {
        cells.push(run_cell(vendor, case).await);
    }
    cells
}

/// Runs the whole matrix (the vendors side by side, each vendor's faults in turn).
pub async fn run_all() -> Vec<Cell> {
    let all = futures_util::future::join_all(Vendor::ALL.map(run_vendor)).await;
    all.into_iter().flatten().collect()
}

/// The matrix as a text table (fault rows, vendor columns; each cell: outcome,
/// accepted backups, PASS or FAIL), then the failures in detail.
#[must_use]
pub fn render(cells: &[Cell]) -> String {
    let first = FaultCase::ALL
        .iter()
        .map(|c| c.name().len())
        .max()
        .unwrap_or(0);
    let text = |cell: &Cell| {
        format!(
            "{} {} {}",
            cell.outcome,
            cell.accepted,
            if cell.passed() { "PASS" } else { "FAIL" }
        )
    };
    let width = cells
        .iter()
        .map(|c| text(c).len())
        .chain(Vendor::ALL.iter().map(|v| v.name().len()))
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    let _ = write!(out, "{:first$}", "fault \\ vendor");
    for vendor in Vendor::ALL {
        let _ = write!(out, " | {:width$}", vendor.name());
    }
    out.push('\n');
    out.push_str(&"-".repeat(first));
    for _ in Vendor::ALL {
        out.push_str("-+-");
        out.push_str(&"-".repeat(width));
    }
    out.push('\n');
    for case in FaultCase::ALL {
        let _ = write!(out, "{:first$}", case.name());
        for vendor in Vendor::ALL {
            let cell = cells.iter().find(|c| c.vendor == vendor && c.case == case);
            let shown = cell.map_or_else(|| "-".to_owned(), text);
            let _ = write!(out, " | {shown:width$}");
        }
        out.push('\n');
    }
    let failed: Vec<&Cell> = cells.iter().filter(|c| !c.passed()).collect();
    let _ = writeln!(
        out,
        "\n{} cells: {} PASS, {} FAIL (outcome, backups the emulator started, verdict)",
        cells.len(),
        cells.len() - failed.len(),
        failed.len()
    );
    for cell in failed {
        let _ = writeln!(
            out,
            "FAIL {} / {}: {}{}",
            cell.vendor,
            cell.case,
            cell.problems.join("; "),
            cell.error
                .as_ref()
                .map(|e| format!(" [error: {e}]"))
                .unwrap_or_default()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(vendor: Vendor, case: FaultCase, problems: Vec<String>) -> Cell {
        Cell {
            vendor,
            case,
            expected: case.expected(vendor),
            outcome: Outcome::Recovered,
            accepted: 1,
            triggers: 2,
            error: None,
            problems,
            elapsed: Duration::ZERO,
        }
    }

    #[test]
    fn render_shows_every_cell_and_details_failures() {
        let cells = vec![
            cell(Vendor::Yandex, FaultCase::DropAfterTrigger, Vec::new()),
            cell(Vendor::Veeam, FaultCase::Throttled, vec!["boom".to_owned()]),
        ];
        let table = render(&cells);
        assert!(table.contains("recovered 1 PASS"), "{table}");
        assert!(table.contains("recovered 1 FAIL"), "{table}");
        assert!(table.contains("2 cells: 1 PASS, 1 FAIL"), "{table}");
        assert!(
            table.contains("FAIL veeam / 429 + Retry-After (trigger): boom"),
            "{table}"
        );
        // Cells not run show as `-`.
        assert!(table.contains("| -"), "{table}");
    }

    #[test]
    fn every_fault_has_a_name_and_a_target() {
        for case in FaultCase::ALL {
            assert!(!case.name().is_empty());
            for vendor in Vendor::ALL {
                let has_fault = case.fault(vendor).is_some();
                let special = matches!(
                    case,
                    FaultCase::ExpiredTokenMidWait | FaultCase::ConnectionRefused
                );
                assert_eq!(has_fault, !special, "{vendor} / {case}");
            }
        }
    }
}
