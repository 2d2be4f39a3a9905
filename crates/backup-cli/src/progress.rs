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

/// One bar: its target, and the reference it last showed.
struct Bar {
    target: String,
    reference: String,
    bar: ProgressBar,
}

enum Mode {
    Bars {
        multi: MultiProgress,
        bars: Mutex<Vec<Bar>>,
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
    /// Bars when text or ids go to a terminal, lines when text does not, nothing for
    /// JSON (nor for ids off a terminal).
    pub fn new(output: Output) -> Self {
        let mode = match output {
            Output::Text | Output::Id if std::io::stderr().is_terminal() => Mode::Bars {
                multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
                bars: Mutex::new(Vec::new()),
            },
            Output::Text => Mode::Lines {
                last: Mutex::new(HashMap::new()),
            },
            Output::Json | Output::Id => Mode::Silent,
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
                let index = bar_of(&bars, target, &key).unwrap_or_else(|| {
                    bars.push(Bar {
                        target: target.to_owned(),
                        reference: key.clone(),
                        bar: new_bar(multi, target, operation),
                    });
                    bars.len() - 1
                });
                let Bar { reference, bar, .. } = &mut bars[index];
                // A reference that moved (Azure's, from the async operation to the
                // job) stays on its bar.
                reference.clone_from(&key);
                let failed = operation.status.is_terminal() && !operation.status.is_success();
                if !failed {
                    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                    let percent = operation.progress.map_or(0, |p| p.round() as u64);
                    bar.set_position(percent.min(100));
                }
                let mut message = format!("{}  {}", short_reference(operation), operation.status);
                if let Some(vendor_status) = &operation.vendor_status {
                    message.push_str(&format!(" ({vendor_status})"));
                }
                bar.set_message(message);
                if operation.status.is_terminal() {
                    if operation.status.is_success() {
                        bar.set_position(100);
                        bar.finish();
                    } else {
                        // Never drawn as a full bar, whatever the vendor's last
                        // percentage: the bar says how it ended.
                        bar.set_style(ended_style(&operation.status.to_string()));
                        bar.abandon();
                    }
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
            for Bar { bar, .. } in bars.lock().unwrap_or_else(PoisonError::into_inner).iter() {
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

/// The bar showing `reference` of `target`: the one that showed it, else the one whose
/// reference it extends (an Azure reference gains its job: `azure:async=...` becomes
/// `azure:async=...&job=...`), else, when the target has one bar still running, that
/// one (a reference that moved to another form).
fn bar_of(bars: &[Bar], target: &str, reference: &str) -> Option<usize> {
    let of_target = || {
        bars.iter()
            .enumerate()
            .filter(move |(_, bar)| bar.target == target)
    };
    of_target()
        .find(|(_, bar)| bar.reference == reference)
        .or_else(|| of_target().find(|(_, bar)| reference.starts_with(&bar.reference)))
        .or_else(|| {
            let mut running = of_target().filter(|(_, bar)| !bar.bar.is_finished());
            match (running.next(), running.next()) {
                (Some(only), None) => Some(only),
                _ => None,
            }
        })
        .map(|(index, _)| index)
}

/// The style of every bar, in `colors` (`cyan/blue`).
fn bar_style(colors: &str) -> ProgressStyle {
    ProgressStyle::with_template(&format!(
        "{{prefix:<16.bold}} [{{bar:20.{colors}}}] {{pos:>3}}% {{wide_msg}}"
    ))
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ")
}

/// The style of a bar that ended without success: its status in place of the bar.
fn ended_style(status: &str) -> ProgressStyle {
    ProgressStyle::with_template(&format!(
        "{{prefix:<16.bold}} [{status:^20}]      {{wide_msg}}"
    ))
    .unwrap_or_else(|_| ProgressStyle::default_bar())
}

/// The widest name before a bar (a longer one is cut).
const PREFIX_WIDTH: usize = 24;

/// A new bar for `operation` of `target`: name, bar, percent and a message cut to
/// the terminal's width (a line that wraps breaks every redraw).
fn new_bar(multi: &MultiProgress, target: &str, operation: &Operation) -> ProgressBar {
    let bar = multi.add(ProgressBar::new(100));
    bar.set_style(bar_style("cyan/blue"));
    let name = if target.is_empty() || target == operation.vendor() {
        operation.vendor().to_owned()
    } else {
        format!("{target} ({})", operation.vendor())
    };
    let name = if name.chars().count() > PREFIX_WIDTH {
        let mut cut: String = name.chars().take(PREFIX_WIDTH - 1).collect();
        cut.push('…');
        cut
    } else {
        name
    };
    bar.set_prefix(name);
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
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
