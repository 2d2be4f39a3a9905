//! SIGINT and SIGTERM while `trigger`, `wait` and `run` follow backups: the first one
//! interrupts (everything in flight stops within a second, and the operations still
//! running are printed with their references and last known states, exit 130 or 143);
//! a second one exits at once, between two lines of output.

use std::io::Write;
use std::sync::{Arc, OnceLock};

use backup_all::Interrupter;
use backup_all::run::StopSignal;

use crate::exit::Exit;

/// Which signal interrupted the command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT (Ctrl-C): exit 130.
    Interrupt,
    /// SIGTERM: exit 143.
    Terminate,
}

impl Signal {
    /// The exit code it ends the command with.
    pub fn exit(self) -> Exit {
        match self {
            Signal::Interrupt => Exit::Interrupted,
            Signal::Terminate => Exit::Terminated,
        }
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
        }
    }
}

/// The signal handlers of one command.
#[derive(Debug, Clone)]
pub struct Signals {
    interrupter: Interrupter,
    received: Arc<OnceLock<Signal>>,
}

impl Signals {
    /// Installs the handlers (on the current tokio runtime). When they cannot be
    /// installed the signals keep their default effect, with a warning.
    pub fn install() -> Self {
        let signals = Self {
            interrupter: Interrupter::new(),
            received: Arc::new(OnceLock::new()),
        };
        let listening = signals.clone();
        match listening.listen() {
            Ok(task) => drop(tokio::spawn(task)),
            Err(error) => tracing::warn!(%error, "cannot handle SIGINT and SIGTERM"),
        }
        signals
    }

    /// The stop signal the run loop observes.
    pub fn stop_signal(&self) -> StopSignal {
        StopSignal::interrupted_by(&self.interrupter)
    }

    /// The signal received, if any.
    pub fn received(&self) -> Option<Signal> {
        self.received.get().copied()
    }

    #[cfg(unix)]
    fn listen(self) -> std::io::Result<impl Future<Output = ()> + Send + 'static> {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        Ok(async move {
            loop {
                let which = tokio::select! {
                    Some(()) = interrupt.recv() => Signal::Interrupt,
                    Some(()) = terminate.recv() => Signal::Terminate,
                    else => return,
                };
                if self.received.set(which).is_ok() {
                    tracing::info!(signal = which.name(), "interrupted: stopping");
                    self.interrupter.interrupt();
                } else {
                    exit_now(which.exit());
                }
            }
        })
    }

    #[cfg(not(unix))]
    fn listen(self) -> std::io::Result<impl Future<Output = ()> + Send + 'static> {
        Ok(async move {
            loop {
                if tokio::signal::ctrl_c().await.is_err() {
                    return;
                }
                if self.received.set(Signal::Interrupt).is_ok() {
                    self.interrupter.interrupt();
                } else {
                    exit_now(Exit::Interrupted);
                }
            }
        })
    }
}

/// Exits at once, but never in the middle of a line: stdout and stderr are locked
/// (a line being written is finished first) and flushed.
fn exit_now(exit: Exit) -> ! {
    let mut out = std::io::stdout().lock();
    let mut err = std::io::stderr().lock();
    let _ = out.flush();
    let _ = writeln!(err, "interrupted twice: exiting at once");
    let _ = err.flush();
    std::process::exit(exit as i32)
}
