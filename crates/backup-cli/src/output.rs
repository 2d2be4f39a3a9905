//! Rendering operations and errors: JSON objects for machines, lines for people.

use std::io::Write;

use backup_all::core::operation::OperationItem;
use backup_all::core::{Error, Operation, VendorError};
use backup_all::{TargetOutcome, TargetReport};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::cli::Output;

fn rfc3339(at: Option<OffsetDateTime>) -> Value {
    at.and_then(|t| t.format(&Rfc3339).ok())
        .map_or(Value::Null, Value::String)
}

/// A message as people read it: an HTML page a proxy answered with
/// (`<html><head><title>502 Bad Gateway</title>...`) reduced to its text, and every
/// run of whitespace (the page's indentation and line breaks) one space.
pub fn for_people(message: &str) -> String {
    let lower = message.to_ascii_lowercase();
    let html = ["<html", "<!doctype html", "<body", "<head", "<title"]
        .iter()
        .any(|tag| lower.contains(tag));
    let mut text = String::with_capacity(message.len());
    let mut in_tag = false;
    for c in message.chars() {
        match c {
            '<' if html => {
                in_tag = true;
                text.push(' ');
            }
            '>' if html && in_tag => in_tag = false,
            _ if in_tag => {}
            c => text.push(c),
        }
    }
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// The stable kind of an error in JSON output.
pub fn error_kind(error: &Error) -> &'static str {
    match error {
        Error::InvalidInput { .. } => "invalid_input",
        Error::Config { .. } => "config",
        Error::Auth { .. } => "auth",
        Error::Api(api) => api.kind.as_str(),
        Error::Transport { .. } => "transport",
        Error::Decode { .. } => "decode",
        Error::OutcomeUnknown { .. } => "outcome_unknown",
        Error::OperationFailed(_) => "operation_failed",
        Error::Timeout { .. } => "timeout",
        Error::Unsupported { .. } => "unsupported",
        _ => "other",
    }
}

/// `{kind, code, message, request_id}` of an error.
pub fn error_json(error: &Error) -> Value {
    let vendor_error = match error {
        Error::OperationFailed(op) => op.error.as_ref(),
        _ => None,
    };
    json!({
        "kind": error_kind(error),
        "code": vendor_error.and_then(|e| e.code.clone()).or_else(|| error.code().map(str::to_owned)),
        "message": for_people(&error.to_string()),
        "request_id": error.request_id(),
    })
}

fn vendor_error_json(error: &VendorError) -> Value {
    json!({
        "kind": "operation_failed",
        "code": error.code,
        "message": error.message,
        "request_id": error.request_id,
    })
}

/// The JSON object of one operation; `error` overrides the operation's own error.
pub fn operation_json(operation: &Operation, error: Option<&Error>) -> Value {
    let error = match (error, &operation.error) {
        (Some(error), _) => error_json(error),
        (None, Some(vendor)) => vendor_error_json(vendor),
        (None, None) => Value::Null,
    };
    json!({
        "vendor": operation.vendor(),
        "operation": operation.reference.to_string(),
        "status": operation.status.as_str(),
        "vendor_status": operation.vendor_status,
        "progress": operation.progress,
        "job_id": operation.job_id,
        "started_at": rfc3339(operation.started_at),
        "finished_at": rfc3339(operation.finished_at),
        "message": operation.message,
        "error": error,
        "duration_s": operation.duration().map(|d| d.as_secs_f64()),
        "size_bytes": operation.size_bytes,
        "produced": operation.produced,
        "items": operation.items.iter().map(item_json).collect::<Vec<_>>(),
        "warnings": operation.warnings,
    })
}

/// `{id, name, status, size_bytes, error}` of one resource of an operation.
fn item_json(item: &OperationItem) -> Value {
    json!({
        "id": item.id,
        "name": item.name,
        "status": item.status.as_str(),
        "size_bytes": item.size_bytes,
        "error": item.error.as_ref().map(vendor_error_json),
    })
}

/// The JSON object of a failure with no operation (a trigger that failed).
pub fn failure_json(vendor: &str, error: &Error) -> Value {
    json!({
        "vendor": vendor,
        "operation": null,
        "status": null,
        "vendor_status": null,
        "progress": null,
        "job_id": null,
        "started_at": null,
        "finished_at": null,
        "message": null,
        "error": error_json(error),
        "duration_s": null,
        "size_bytes": null,
        "produced": [],
        "items": [],
        "warnings": [],
    })
}

/// `value` with `"interrupted": true` when `interrupted` (the key is absent otherwise).
pub fn mark_interrupted(mut value: Value, interrupted: bool) -> Value {
    if interrupted && let Some(object) = value.as_object_mut() {
        object.insert("interrupted".into(), Value::Bool(true));
    }
    value
}

/// A reference short enough for a progress line (Azure's hold two URLs): the full
/// reference is printed with the results.
pub fn short_reference(operation: &Operation) -> String {
    let full = operation.reference.to_string();
    let chars: Vec<char> = full.chars().collect();
    if chars.len() <= 48 {
        return full;
    }
    let tail: String = chars[chars.len() - 12..].iter().collect();
    format!("{}:…{tail}", operation.vendor())
}

/// One line for people about an operation.
pub fn operation_line(operation: &Operation) -> String {
    operation_line_with(operation, &operation.reference.to_string())
}

/// One progress line for people about an operation, with a shortened reference.
pub fn progress_line(operation: &Operation) -> String {
    operation_line_with(operation, &short_reference(operation))
}

fn operation_line_with(operation: &Operation, reference: &str) -> String {
    let mut line = format!("{reference}  {}", operation.status);
    if let Some(progress) = operation.progress {
        line.push_str(&format!("  {progress:.0}%"));
    }
    if let Some(vendor_status) = &operation.vendor_status {
        line.push_str(&format!("  ({vendor_status})"));
    }
    if let Some(job) = &operation.job_id {
        line.push_str(&format!("  job {job}"));
    }
    if operation.status.is_terminal() {
        if let Some(duration) = operation.duration() {
            line.push_str(&format!("  in {}", human_duration(duration)));
        }
        if let Some(size) = operation.size_bytes {
            line.push_str(&format!("  {}", human_size(size)));
        }
        for produced in &operation.produced {
            line.push_str(&format!(
                "  {} {}",
                produced.kind.replace('_', " "),
                produced.id
            ));
        }
    }
    if let Some(error) = &operation.error {
        line.push_str(&format!("  error: {error}"));
    } else if let Some(message) = &operation.message {
        line.push_str(&format!("  {message}"));
    }
    line
}

/// `1h 02m 03s`, `2m 05s`, `9.9s`.
fn human_duration(duration: std::time::Duration) -> String {
    let seconds = duration.as_secs();
    match seconds {
        0..60 => format!("{:.1}s", duration.as_secs_f64()),
        60..3600 => format!("{}m {:02}s", seconds / 60, seconds % 60),
        _ => format!(
            "{}h {:02}m {:02}s",
            seconds / 3600,
            (seconds % 3600) / 60,
            seconds % 60
        ),
    }
}

/// `512 B`, `1.5 KiB`, `2.0 GiB`.
fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    #[allow(clippy::cast_precision_loss)]
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// The journal's run id, set once a plan run has one: every target object carries it.
static RUN_ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Sets the run id the target objects carry (the first call wins).
pub fn set_run_id(run_id: &str) {
    let _ = RUN_ID.set(run_id.to_owned());
}

/// Writes results to stdout in the chosen format.
#[derive(Debug, Clone, Copy)]
pub struct Printer {
    output: Output,
}

impl Printer {
    /// A printer for `output`.
    pub fn new(output: Output) -> Self {
        Self { output }
    }

    /// Whether output is JSON.
    pub fn is_json(self) -> bool {
        self.output == Output::Json
    }

    /// Whether output is references only (`--output id`).
    pub fn is_id(self) -> bool {
        self.output == Output::Id
    }

    fn stdout(line: &str) {
        let mut out = std::io::stdout().lock();
        // A closed stdout (a pipe to `head`) is not an error worth a panic.
        let _ = writeln!(out, "{line}");
    }

    /// Writes a line to stderr.
    pub fn stderr(line: &str) {
        let _ = writeln!(std::io::stderr().lock(), "{line}");
    }

    /// Prints an operation (with the error that ended it, if any).
    pub fn operation(self, operation: &Operation, error: Option<&Error>) {
        if self.is_json() {
            Self::stdout(&operation_json(operation, error).to_string());
        } else if self.is_id() {
            Self::stdout(&operation.reference.to_string());
            if let Some(error) = error {
                Self::stderr(&format!("error: {}", for_people(&error.to_string())));
            }
        } else {
            Self::stdout(&operation_line(operation));
            if let Some(error) = error {
                Self::stderr(&format!("error: {}", for_people(&error.to_string())));
            }
        }
    }

    /// Prints what `cancel` left: the operation and whether it was cancelled (JSON
    /// `"cancelled"`); when it was not, says on stderr that it had already ended.
    pub fn cancel_result(self, operation: &Operation, cancelled: bool) {
        if self.is_json() {
            let mut value = operation_json(operation, None);
            value["cancelled"] = Value::Bool(cancelled);
            Self::stdout(&value.to_string());
        } else {
            self.operation(operation, None);
        }
        if !cancelled && !self.is_json() {
            Self::stderr(&format!(
                "nothing was cancelled: the backup had already ended ({})",
                operation.status
            ));
        }
    }

    /// Prints a failure that left no operation.
    pub fn failure(self, vendor: &str, error: &Error) {
        self.failure_interrupted(vendor, error, false);
    }

    /// Prints a failure that left no operation; `interrupted` marks it as cut off by a
    /// signal (JSON `"interrupted": true`).
    pub fn failure_interrupted(self, vendor: &str, error: &Error, interrupted: bool) {
        if self.is_json() {
            Self::stdout(&mark_interrupted(failure_json(vendor, error), interrupted).to_string());
        } else {
            Self::stderr(&format!("error: {}", for_people(&error.to_string())));
            if interrupted {
                Self::stderr("interrupted before the trigger's answer came");
            }
        }
    }

    /// Prints an operation; `interrupted` marks it as still running when a signal
    /// stopped the command (JSON `"interrupted": true`; text: how to resume).
    pub fn operation_interrupted(
        self,
        operation: &Operation,
        error: Option<&Error>,
        interrupted: bool,
    ) {
        if self.is_json() {
            let value = mark_interrupted(operation_json(operation, error), interrupted);
            Self::stdout(&value.to_string());
        } else {
            self.operation(operation, error);
        }
    }

    /// Prints a plan target's report: one object per operation (or one for the target
    /// when it has none), with the target, outcome, duration and polls.
    pub fn target(self, report: &TargetReport) {
        self.target_interrupted(report, false);
    }

    /// [`Printer::target`] for a run a signal stopped (`interrupted`): in JSON, each
    /// object of an operation still running, of a target never started, or of a
    /// trigger whose answer never came has `"interrupted": true`.
    pub fn target_interrupted(self, report: &TargetReport, interrupted: bool) {
        let cut_off = interrupted
            && (matches!(
                report.outcome,
                TargetOutcome::Skipped | TargetOutcome::Abandoned
            ) || matches!(report.error, Some(Error::OutcomeUnknown { .. })));
        if self.is_json() {
            let extra = |mut value: Value| {
                if let Some(object) = value.as_object_mut() {
                    object.insert("target".into(), json!(report.name));
                    object.insert("outcome".into(), json!(report.outcome.as_str()));
                    object.insert("duration_ms".into(), json!(report.duration.as_millis()));
                    object.insert("polls".into(), json!(report.polls));
                    if let Some(run_id) = RUN_ID.get() {
                        object.insert("run_id".into(), json!(run_id));
                    }
                    let running =
                        object
                            .get("status")
                            .and_then(Value::as_str)
                            .is_some_and(|status| {
                                !matches!(
                                    status,
                                    "succeeded"
                                        | "succeeded_with_warnings"
                                        | "failed"
                                        | "cancelled"
                                )
                            });
                    if cut_off && (running || object["operation"].is_null()) {
                        object.insert("interrupted".into(), Value::Bool(true));
                    }
                }
                Self::stdout(&value.to_string());
            };
            if report.operations.is_empty() {
                match &report.error {
                    Some(error) => extra(failure_json(report.vendor.as_str(), error)),
                    None => extra(json!({
                        "vendor": report.vendor.as_str(),
                        "operation": null, "status": null, "vendor_status": null,
                        "progress": null, "job_id": null, "started_at": null,
                        "finished_at": null, "message": null, "error": null,
                        "duration_s": null, "size_bytes": null, "produced": [],
                        "items": [], "warnings": [],
                    })),
                }
            }
            for operation in &report.operations {
                // A target's error belongs to the operation it names (or to all when it
                // names none); another operation of the target shows its own state.
                let error = report.error.as_ref().filter(|error| {
                    error
                        .operation()
                        .is_none_or(|op| op.reference == operation.reference)
                });
                extra(operation_json(operation, error));
            }
        } else if self.is_id() {
            for operation in &report.operations {
                Self::stdout(&operation.reference.to_string());
            }
            if let Some(error) = &report.error {
                Self::stderr(&format!(
                    "error: {}: {}",
                    report.name,
                    for_people(&error.to_string())
                ));
            }
        } else {
            // `Vendor`'s Display ignores padding: pad its name.
            let mut line = format!(
                "{:<16} {:<12} {:<10} {:>6.1}s {:>4} polls",
                report.name,
                report.vendor.as_str(),
                report.outcome.as_str(),
                report.duration.as_secs_f64(),
                report.polls
            );
            for operation in &report.operations {
                line.push_str(&format!("\n    {}", operation.reference));
            }
            if let Some(error) = &report.error {
                line.push_str(&format!("\n    error: {}", for_people(&error.to_string())));
            }
            Self::stdout(&line);
        }
    }

    /// Prints a JSON object as one line (JSON mode only).
    pub fn raw_json(self, value: &Value) {
        if self.is_json() {
            Self::stdout(&value.to_string());
        }
    }

    /// Prints one JSON value on one line.
    pub fn json(self, value: &Value) {
        Self::stdout(&value.to_string());
    }

    /// Prints a line on stdout, whatever the format.
    pub fn line(self, line: &str) {
        Self::stdout(line);
    }

    /// Prints a plain line in text mode (nothing with JSON or ids).
    pub fn note(self, line: &str) {
        if self.output == Output::Text {
            Self::stdout(line);
        }
    }
}

#[cfg(test)]
mod tests {
    use backup_all::core::{ApiError, OperationRef, OperationStatus};

    use super::*;

    #[test]
    fn durations_and_sizes_read_well() {
        use std::time::Duration;
        assert_eq!(human_duration(Duration::from_millis(9878)), "9.9s");
        assert_eq!(human_duration(Duration::from_secs(125)), "2m 05s");
        assert_eq!(human_duration(Duration::from_secs(3723)), "1h 02m 03s");
        assert_eq!(human_size(512), "512 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(3 * 1024 * 1024 * 1024), "3.0 GiB");
    }

    #[test]
    fn a_failed_operations_error_carries_its_request_id() {
        let op = Operation::new(OperationRef::new("yandex", "op-1"), OperationStatus::Failed)
            .with_error(Some(VendorError {
                code: Some("INTERNAL".into()),
                message: "Backup agent lost connection".into(),
                request_id: Some("e38e71c3".into()),
            }));
        let value = operation_json(&op, None);
        assert_eq!(value["error"]["kind"], "operation_failed");
        assert_eq!(value["error"]["code"], "INTERNAL");
        assert_eq!(value["error"]["request_id"], "e38e71c3");
        let failed = Error::OperationFailed(Box::new(op));
        assert_eq!(error_json(&failed)["request_id"], "e38e71c3");
    }

    #[test]
    fn json_has_every_field() {
        let op = Operation::new(
            OperationRef::new("yandex", "op-1"),
            OperationStatus::Running,
        )
        .with_progress(Some(40.0));
        let value = operation_json(&op, None);
        for field in [
            "vendor",
            "operation",
            "status",
            "vendor_status",
            "progress",
            "job_id",
            "started_at",
            "finished_at",
            "message",
            "error",
            "duration_s",
            "size_bytes",
            "produced",
            "items",
            "warnings",
        ] {
            assert!(value.get(field).is_some(), "{field}");
        }
        assert_eq!(value["operation"], "yandex:op-1");
        assert!(value["duration_s"].is_null() && value["size_bytes"].is_null());
        assert_eq!(value["produced"], json!([]));
        assert_eq!(value["status"], "running");
        assert_eq!(value["progress"], 40.0);
        assert!(value["error"].is_null());
    }

    #[test]
    fn errors_carry_kind_code_and_request_id() {
        let error = Error::Api(Box::new(
            ApiError::new("huawei-csbs", 500, "The policy is executing backup.")
                .with_code("CSBS.1001")
                .with_request_id(Some("req-1".into())),
        ));
        let value = failure_json("huawei-csbs", &error);
        assert_eq!(value["error"]["kind"], "server");
        assert_eq!(value["error"]["code"], "CSBS.1001");
        assert_eq!(value["error"]["request_id"], "req-1");
        assert!(value["operation"].is_null());
    }
}
