//! The secret-hygiene audit every vendor crate runs on its own flows: tracing captured
//! at TRACE (spans opened and closed, with their fields), errors formatted with Display
//! and Debug, clients formatted with Debug, and then no secret, no token the vendor's
//! emulator issued and no JSON web token may appear anywhere.
//!
//! A vendor's test drives its secret-exercising flows (sentinel credentials, tokens
//! expiring mid-wait, services echoing secrets back, wrong credentials) with a
//! [`Seen`], then hands it to [`audit`] with the prefixes of the tokens its emulator
//! issues:
//!
//! ```ignore
//! use backup_core::testing::secrets::{self, Seen, TraceCapture};
//!
//! #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
//! async fn no_secret_in_traces_errors_or_debug_output() {
//!     let capture = TraceCapture::start();
//!     let mut seen = Seen::default();
//!     flows(&mut seen).await; // seen.expect_err(..), seen.debug(..), seen.secret(..)
//!     let report = secrets::audit(capture, &seen, &["t1."]);
//!     assert!(report.errors >= 3 && report.redacted >= 1, "{report:?}");
//! }
//! ```
//!
//! Only one global tracing subscriber can be installed in a process, and the other
//! tests of the same binary run alongside: [`TraceCapture::start`] installs the
//! capturing subscriber once per process and records from then until [`audit`]; the
//! lines other tests log in that window are audited too (they may log; they must not
//! leak either). Hold one capture at a time: one audit test per test binary.

use std::fmt;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::{EnvFilter, reload};

use crate::Error;

/// The filter of the capturing subscriber: everything at TRACE but the emulator
/// toolkit's own debug lines, which print the faults a test injects (whose bodies echo
/// secrets on purpose: the test's input, not the SDK's output).
pub const TRACE_FILTER: &str = "trace,backup_core::emulator=info";

/// Bytes written by the subscriber while recording.
#[derive(Clone, Default)]
struct Buffer {
    bytes: Arc<Mutex<Vec<u8>>>,
    recording: Arc<AtomicBool>,
}

impl io::Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.recording.load(Ordering::Acquire) {
            self.bytes
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Buffer {
    type Writer = Buffer;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// The process-wide capturing subscriber, installed by the first
/// [`TraceCapture::start`] (`None` when another global subscriber was there first).
static INSTALLED: OnceLock<Option<Installed>> = OnceLock::new();

/// The buffer of the installed subscriber and the handle that turns its filter on
/// ([`TRACE_FILTER`]) while a capture records and off otherwise, so that the other
/// tests of the process do not pay for TRACE lines nobody reads.
struct Installed {
    buffer: Buffer,
    filter: reload::Handle<EnvFilter, Formatter>,
}

impl Installed {
    fn install() -> Option<Self> {
        let buffer = Buffer::default();
        let builder = tracing_subscriber::fmt()
            .with_env_filter(TRACE_FILTER)
            .with_ansi(false)
            .with_span_events(FmtSpan::FULL)
            .with_writer(buffer.clone())
            .with_filter_reloading();
        let filter = builder.reload_handle();
        builder.try_init().ok()?;
        Some(Self { buffer, filter })
    }

    fn filter(&self, directives: &str) {
        self.filter
            .reload(EnvFilter::new(directives))
            .expect("the capturing subscriber is installed for good");
    }
}

/// The subscriber type of [`Installed`].
type Formatter = tracing_subscriber::fmt::Formatter<
    tracing_subscriber::fmt::format::DefaultFields,
    tracing_subscriber::fmt::format::Format,
    Buffer,
>;

/// Everything the process logs at TRACE (filter [`TRACE_FILTER`]) from
/// [`TraceCapture::start`] until [`TraceCapture::finish`] (or [`audit`]).
#[must_use = "a capture records until it is finished"]
pub struct TraceCapture {
    installed: &'static Installed,
}

impl fmt::Debug for TraceCapture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TraceCapture").finish_non_exhaustive()
    }
}

impl TraceCapture {
    /// Installs the capturing subscriber as the global default (once per process, with
    /// `try_init`: ANSI off, span events in full) and starts recording into an empty
    /// buffer.
    ///
    /// # Panics
    /// When another global subscriber was installed first (the audit would see
    /// nothing), or when a capture is already recording.
    pub fn start() -> Self {
        let Some(installed) = INSTALLED.get_or_init(Installed::install) else {
            panic!(
                "another global tracing subscriber is installed in this process: the secret \
                 audit cannot capture traces"
            );
        };
        let buffer = &installed.buffer;
        let was = buffer.recording.swap(true, Ordering::AcqRel);
        assert!(!was, "a trace capture is already recording in this process");
        buffer
            .bytes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        installed.filter(TRACE_FILTER);
        Self { installed }
    }

    /// Stops recording and returns what was captured.
    #[must_use]
    pub fn finish(self) -> String {
        let bytes = self.stop();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// Turns the filter off, stops recording and takes the bytes.
    fn stop(&self) -> Vec<u8> {
        self.installed.filter("off");
        let buffer = &self.installed.buffer;
        buffer.recording.store(false, Ordering::Release);
        std::mem::take(&mut *buffer.bytes.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl Drop for TraceCapture {
    /// Stops recording (when a flow panicked before the audit).
    fn drop(&mut self) {
        if self.installed.buffer.recording.load(Ordering::Acquire) {
            self.stop();
        }
    }
}

/// What a vendor's flows produced: errors and clients formatted for people, and the
/// secrets in play.
#[derive(Debug, Default)]
pub struct Seen {
    /// Display and Debug of every error, Debug of every client.
    pub texts: Vec<String>,
    /// Every secret the flows used or were given; none may appear anywhere.
    pub secrets: Vec<String>,
    /// How many errors were formatted.
    pub errors: usize,
}

impl Seen {
    /// Formats `error` with Display and Debug.
    pub fn error(&mut self, error: &Error) {
        self.errors += 1;
        self.texts.push(format!("{error}"));
        self.texts.push(format!("{error:?}"));
    }

    /// Formats the error of `result`.
    ///
    /// # Panics
    /// When `result` is a success (`what` names the step).
    pub fn expect_err<T: fmt::Debug>(&mut self, result: Result<T, Error>, what: &str) {
        match result {
            Err(error) => self.error(&error),
            Ok(value) => panic!("{what}: expected an error, got {value:?}"),
        }
    }

    /// Formats `value` (a client, a builder, a credential) with Debug.
    pub fn debug(&mut self, value: &dyn fmt::Debug) {
        self.texts.push(format!("{value:?}"));
    }

    /// Adds a secret that must appear nowhere.
    pub fn secret(&mut self, secret: impl Into<String>) {
        self.secrets.push(secret.into());
    }

    /// How many texts show a redaction (`<redacted>`): the secrets a service echoed
    /// back, replaced.
    #[must_use]
    pub fn redacted(&self) -> usize {
        self.texts
            .iter()
            .filter(|t| t.contains("<redacted>"))
            .count()
    }
}

/// The token of the form `prefix` followed by at least 16 hex digits in `text`: the
/// form of the tokens the emulators issue.
#[must_use]
pub fn issued_token_in(text: &str, prefix: &str) -> Option<String> {
    text.match_indices(prefix).find_map(|(at, _)| {
        let rest = &text[at + prefix.len()..];
        let hex = rest.chars().take_while(char::is_ascii_hexdigit).count();
        (hex >= 16).then(|| text[at..at + prefix.len() + hex].to_owned())
    })
}

/// A JSON web token (`eyJ…` header, payload and signature) in `text`.
#[must_use]
pub fn jwt_in(text: &str) -> Option<String> {
    let b64 = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    text.match_indices("eyJ").find_map(|(at, _)| {
        let candidate: String = text[at..]
            .chars()
            .take_while(|c| b64(*c) || *c == '.')
            .collect();
        let parts: Vec<&str> = candidate.split('.').collect();
        (parts.len() >= 3 && parts[..3].iter().all(|p| p.len() >= 10)).then_some(candidate)
    })
}

/// What [`audit`] found besides leaks, for the vendor's own assertions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audit {
    /// How many errors the flows formatted.
    pub errors: usize,
    /// How many texts show a redaction ([`Seen::redacted`]).
    pub redacted: usize,
    /// How many bytes of traces were captured.
    pub trace_bytes: usize,
}

/// Finishes `capture` and checks everything seen: the capture worked (a
/// `backup_request` span and TRACE lines are in it), and no secret of `seen`, no token
/// of the form `issued_token_prefixes` + hex ([`issued_token_in`]) and no JWT
/// ([`jwt_in`]) appears in the traces or in any text of `seen`.
///
/// # Panics
/// When the capture is empty of requests or of TRACE lines, or on any leak (listing
/// each, and the first trace lines holding a secret).
#[must_use = "assert on the counts: they show the flows did what they should"]
pub fn audit(capture: TraceCapture, seen: &Seen, issued_token_prefixes: &[&str]) -> Audit {
    let traces = capture.finish();
    // The capture works: request spans with their fields are in it.
    assert!(
        traces.contains("backup_request"),
        "no request span captured"
    );
    assert!(traces.contains("TRACE"), "nothing at TRACE captured");

    let mut leaks = Vec::new();
    for (name, text) in std::iter::once(("tracing output", traces.as_str())).chain(
        seen.texts
            .iter()
            .map(|t| ("an error or Debug text", t.as_str())),
    ) {
        for secret in &seen.secrets {
            if text.contains(secret.as_str()) {
                leaks.push(format!("{name} holds the secret {secret:?}"));
            }
        }
        for prefix in issued_token_prefixes {
            if let Some(token) = issued_token_in(text, prefix) {
                leaks.push(format!("{name} holds an issued token {token:?}"));
            }
        }
        if let Some(jwt) = jwt_in(text) {
            leaks.push(format!("{name} holds a JWT {jwt:?}"));
        }
    }
    // The trace lines that hold a secret, to show where it came from.
    for line in traces
        .lines()
        .filter(|l| seen.secrets.iter().any(|s| l.contains(s.as_str())))
        .take(5)
    {
        leaks.push(format!(
            "  line: {}",
            line.chars().take(400).collect::<String>()
        ));
    }
    leaks.sort();
    leaks.dedup();
    assert!(
        leaks.is_empty(),
        "{} leaks:\n{}",
        leaks.len(),
        leaks.join("\n")
    );
    Audit {
        errors: seen.errors,
        redacted: seen.redacted(),
        trace_bytes: traces.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_detectors_find_what_they_look_for() {
        assert_eq!(
            issued_token_in("x t1.0123456789abcdef0123 y", "t1."),
            Some("t1.0123456789abcdef0123".to_owned())
        );
        assert_eq!(issued_token_in("version t1.2", "t1."), None);
        assert!(
            jwt_in("Bearer eyJhbGciOiJQUzI1NiJ9.eyJpc3MiOiJhamUifQ.c2lnbmF0dXJlMTIz").is_some()
        );
        assert!(jwt_in("eyJ.emu-access.0123").is_none());
    }

    /// The only test of this binary that captures: one capture at a time.
    #[test]
    fn the_audit_sees_traces_errors_and_debug_output() {
        const SECRET: &str = "SENTINEL-core-audit-5a1d";
        let traced = |value: &str| {
            let span = tracing::trace_span!("backup_request", attempt = 1);
            let _entered = span.enter();
            tracing::trace!(header = value, "sent");
        };

        // A secret in a trace line is found, named and shown with its line.
        let capture = TraceCapture::start();
        traced(SECRET);
        let mut seen = Seen::default();
        seen.secret(SECRET);
        let leak = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = audit(capture, &seen, &["t1."]);
        }))
        .expect_err("the leak is found");
        let message = leak.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(
            message.contains("tracing output holds the secret") && message.contains("line:"),
            "{message}"
        );

        // Nothing is kept between captures; issued tokens and JWTs in texts are found.
        traced(SECRET);
        let capture = TraceCapture::start();
        traced("<redacted>");
        let mut seen = Seen::default();
        seen.secret(SECRET);
        seen.expect_err::<()>(
            Err(Error::config("audit", "token t1.0123456789abcdef0123")),
            "config",
        );
        let leak = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = audit(capture, &seen, &["t1."]);
        }))
        .expect_err("the issued token is found");
        let message = leak.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(message.contains("an issued token"), "{message}");
        assert!(!message.contains("tracing output"), "{message}");

        // A clean run passes and counts.
        let capture = TraceCapture::start();
        traced("<redacted>");
        let mut seen = Seen::default();
        seen.secret(SECRET);
        seen.expect_err::<()>(Err(Error::config("audit", "missing <redacted>")), "config");
        seen.debug(&"client");
        let report = audit(capture, &seen, &["t1."]);
        assert_eq!((report.errors, report.redacted), (1, 2), "{report:?}");
        assert!(report.trace_bytes > 0);
    }
}
