//! Live progress: a bar per operation on a terminal, plain lines on stderr otherwise,
//! nothing with `--output json`.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use backup_all::core::Operation;
use backup_all::core::transport::{InFlight, in_flight, track_in_flight};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// How long a request may be silent before the progress line says what it waits for.
pub const SILENT_AFTER: Duration = Duration::from_secs(3);

/// What a silent wait is waiting for: the oldest request in flight for at least
/// [`SILENT_AFTER`] (`waiting 12s for the token request to iam.example.com:443
/// (yandex)`), or `None`.
pub fn waiting_line(requests: &[InFlight], now: Instant) -> Option<String> {
    let oldest = requests.iter().min_by_key(|request| request.since)?;
    let silent = now.saturating_duration_since(oldest.since);
    (silent >= SILENT_AFTER).then(|| {
        format!(
            "waiting {}s for the {} request to {} ({})",
            silent.as_secs(),
            oldest.step,
            oldest.host,
            oldest.vendor
        )
    })
}

use crate::cli::Output;
use crate::output::{Printer, progress_line, short_reference};

enum Mode {
    Bars {
        multi: MultiProgress,
        bars: Mutex<HashMap<String, ProgressBar>>,
    },
    Lines {
        last: Mutex<HashMap<String, String>>,
    },
    Silent,
}

/// Shows the changes of the operations being followed, and on a terminal what a
/// silent request is waiting for.
pub struct Progress {
    mode: Mode,
    watcher: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Progress").finish_non_exhaustive()
    }
}

impl Progress {
    /// Bars when text goes to a terminal, lines when it does not, nothing for JSON.
    pub fn new(output: Output) -> Self {
        let mode = match output {
            Output::Json => Mode::Silent,
            Output::Text if std::io::stderr().is_terminal() => Mode::Bars {
                multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
                bars: Mutex::new(HashMap::new()),
            },
            Output::Text => Mode::Lines {
                last: Mutex::new(HashMap::new()),
            },
        };
        let watcher = match &mode {
            Mode::Bars { multi, .. } => Some(watch_silent_requests(multi.clone())),
            _ => None,
        };
        Self { mode, watcher }
    }

    /// Shows `operation` (of target `target`, when in a plan).
    pub fn observe(&self, target: &str, operation: &Operation) {
        let key = operation.reference.to_string();
        match &self.mode {
            Mode::Silent => {}
            Mode::Lines { last } => {
                let line = if target.is_empty() {
                    progress_line(operation)
                } else {
                    format!("[{target}] {}", progress_line(operation))
                };
                let mut last = last.lock().unwrap_or_else(PoisonError::into_inner);
                if last.get(&key) != Some(&line) {
                    Printer::stderr(&line);
                    last.insert(key, line);
                }
            }
            Mode::Bars { multi, bars } => {
                let mut bars = bars.lock().unwrap_or_else(PoisonError::into_inner);
                let bar = bars.entry(key).or_insert_with(|| {
                    let bar = multi.add(ProgressBar::new(100));
                    let style = ProgressStyle::with_template(
                        "{prefix:<24.bold} [{bar:30.cyan/blue}] {pos:>3}% {msg}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> ");
                    bar.set_style(style);
                    let name = if target.is_empty() || target == operation.vendor() {
                        operation.vendor().to_owned()
                    } else {
                        format!("{target} ({})", operation.vendor())
                    };
                    bar.set_prefix(name);
                    bar.enable_steady_tick(Duration::from_millis(200));
                    bar
                });
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let percent = operation.progress.map_or(0, |p| p.round() as u64);
                bar.set_position(percent.min(100));
                let mut message = format!("{}  {}", short_reference(operation), operation.status);
                if let Some(vendor_status) = &operation.vendor_status {
                    message.push_str(&format!(" ({vendor_status})"));
                }
                bar.set_message(message);
                if operation.status.is_terminal() {
                    if operation.status.is_success() {
                        bar.set_position(100);
                    }
                    bar.finish();
                }
            }
        }
    }

    /// Stops every bar still drawn.
    pub fn finish(&self) {
        if let Some(watcher) = &self.watcher {
            watcher.abort();
        }
        if let Mode::Bars { bars, .. } = &self.mode {
            for bar in bars.lock().unwrap_or_else(PoisonError::into_inner).values() {
                if !bar.is_finished() {
                    bar.abandon();
                }
            }
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(watcher) = &self.watcher {
            watcher.abort();
        }
    }
}

/// A line under the bars saying what a silent request waits for (host and step), kept
/// up to date twice a second.
fn watch_silent_requests(multi: MultiProgress) -> JoinHandle<()> {
    track_in_flight(true);
    tokio::spawn(async move {
        let mut line: Option<ProgressBar> = None;
        let mut tick = tokio::time::interval(Duration::from_millis(500));
        loop {
            tick.tick().await;
            match waiting_line(&in_flight(), Instant::now()) {
                Some(text) => {
                    let bar = line.get_or_insert_with(|| {
                        let bar = multi.add(ProgressBar::new_spinner());
                        bar.enable_steady_tick(Duration::from_millis(200));
                        bar
                    });
                    bar.set_message(text);
                }
                None => {
                    if let Some(bar) = line.take() {
                        bar.finish_and_clear();
                    }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use backup_all::core::transport::Step;

    use super::*;

    #[test]
    fn a_request_silent_for_a_few_seconds_is_named_with_its_host_and_step() {
        let start = Instant::now();
        let requests = [
            InFlight {
                vendor: "yandex",
                step: Step::Token,
                host: "iam.api.cloud.yandex.net:443".to_owned(),
                since: start,
            },
            InFlight {
                vendor: "yandex",
                step: Step::Poll,
                host: "operation.api.cloud.yandex.net:443".to_owned(),
                since: start + Duration::from_secs(2),
            },
        ];
        assert_eq!(
            waiting_line(&requests, start + Duration::from_secs(2)),
            None
        );
        assert_eq!(
            waiting_line(&requests, start + Duration::from_secs(12)).as_deref(),
            Some("waiting 12s for the token request to iam.api.cloud.yandex.net:443 (yandex)")
        );
        assert_eq!(waiting_line(&[], start), None);
    }
}
