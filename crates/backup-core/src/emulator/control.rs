//! The control API every [`EmulatorServer`](super::EmulatorServer) serves under
//! [`CONTROL_PREFIX`], before the vendor's router.

use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use http::{Method, Response, StatusCode};
use serde::de::{Deserializer, Error as _};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::time::Instant;

use super::body;
use super::fault::{Fault, Faults};
use super::lifecycle::{LifecycleSpec, Outcome};
use super::log::{RequestLog, RequestRecord};
use super::route::RouteClass;
use super::vendor::EmulatorShared;

/// The path prefix of the control API that every [`EmulatorServer`](super::EmulatorServer)
/// serves before the vendor's router (as moto's `/moto-api/`): JSON in and out, for
/// programs that drive an emulator from outside the Rust process (`backupctl emulate`,
/// the real-client tests, a CI job).
///
/// | request | what it does |
/// |---|---|
/// | `GET /_emulator/` | the endpoints below |
/// | `GET /_emulator/state` | accepted backups, tokens issued, requests per class, faults pending and fired, the lifecycle of the next backups |
/// | `POST /_emulator/reset` | forgets faults, the request log, the counts and the vendor's own state (jobs, operations, sessions), and sets the lifecycle back to the one the emulator started with; answers the state |
/// | `GET /_emulator/lifecycle` | how the next backups unfold |
/// | `POST /_emulator/lifecycle` | changes the fields given (`duration_s`, `queued_polls`, `running_polls`, `outcome`, `reason`); the others keep their value |
/// | `GET /_emulator/faults` | faults pending and fired |
/// | `POST /_emulator/faults` | `{"route": "trigger", "times": 2, "fault": {"kind": "status", "status": 503, "retry_after_s": 1}}`: the next 2 requests of the class get the fault |
/// | `DELETE /_emulator/faults` | forgets the pending faults |
/// | `GET /_emulator/requests` | the request log, oldest first (`?class=trigger`, `?limit=N` for the last N) |
/// | `DELETE /_emulator/requests` | forgets the request log |
///
/// A fault is `{"kind": ...}` with its fields: `status` (`status`, `retry_after_s`),
/// `drop_before_handling`, `drop_after_handling`, `delay` (`delay_s`), `malformed_body`
/// (`status`, 200), `html_body` (`status`, 502), `empty_body` (`status`, 200),
/// `oversized_body` (`bytes`), `respond` (`status`, `content_type`, `body`): each as
/// [`Fault`]'s variant of that name says, including whether the service acts on the
/// request. Route classes are `auth`, `trigger`, `poll`, `control`, `other` and `any`
/// ([`RouteClass`]); durations are seconds (fractions allowed, at most a day).
///
/// Control requests are neither logged nor hit by faults. Errors are
/// `{"error": "<what is wrong>"}` with 400 (bad input), 404 (no such endpoint, or no
/// shared state behind this emulator) or 405.
pub const CONTROL_PREFIX: &str = "/_emulator";

/// The largest control request body read (bigger ones are refused with 400).
pub(crate) const MAX_CONTROL_BODY: usize = 64 * 1024;

/// The longest duration the control API takes (delays, `Retry-After`, backups): a day.
const MAX_SECONDS: f64 = 86_400.0;
/// The most requests one injection may hit.
const MAX_TIMES: usize = 1_000_000;
/// The largest oversized body one injection may ask for: 1 GiB.
const MAX_OVERSIZED: usize = 1 << 30;

/// The failure reason when `outcome: "failure"` comes without one.
const DEFAULT_REASON: &str = "failure requested through the emulator's control API";

/// The endpoints, as `GET /_emulator/` lists them.
const ENDPOINTS: &[&str] = &[
    "GET /_emulator/state",
    "POST /_emulator/reset",
    "GET /_emulator/lifecycle",
    "POST /_emulator/lifecycle",
    "GET /_emulator/faults",
    "POST /_emulator/faults",
    "DELETE /_emulator/faults",
    "GET /_emulator/requests",
    "DELETE /_emulator/requests",
];

/// Whether `path` is under [`CONTROL_PREFIX`] (`/_emulator` itself or below it).
#[must_use]
pub(crate) fn is_control(path: &str) -> bool {
    path.strip_prefix(CONTROL_PREFIX)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// What the control API acts on: the server's faults and log, and the vendor's
/// shared state when the vendor linked it
/// ([`EmulatorConfig::shared`](super::EmulatorConfig::shared)).
#[derive(Debug, Clone)]
pub(crate) struct Control {
    pub(crate) faults: Faults,
    pub(crate) log: RequestLog,
    pub(crate) shared: Option<EmulatorShared>,
    /// When the server started: records are timed from it.
    pub(crate) started: Instant,
}

/// A control error: a status and what is wrong.
struct Refusal(StatusCode, String);

impl Refusal {
    fn bad(message: impl Into<String>) -> Self {
        Self(StatusCode::BAD_REQUEST, message.into())
    }
}

type Answer = Result<Value, Refusal>;

fn json_answer(status: StatusCode, value: &Value) -> Response<Body> {
    body::answer(status, "application/json", value.to_string())
}

impl Control {
    /// Answers one control request (`path` without the query).
    pub(crate) fn answer(
        &self,
        method: &Method,
        path: &str,
        query: &str,
        body: &Bytes,
    ) -> Response<Body> {
        let rest = path.strip_prefix(CONTROL_PREFIX).unwrap_or(path);
        let endpoint = rest.trim_end_matches('/');
        let result = match (endpoint, method) {
            ("", &Method::GET) => Ok(json!({ "endpoints": ENDPOINTS })),
            ("/state", &Method::GET) => Ok(self.state()),
            ("/reset", &Method::POST) => Ok(self.reset()),
            ("/lifecycle", &Method::GET) => self.lifecycle(),
            ("/lifecycle", &Method::POST) => self.change_lifecycle(body),
            ("/faults", &Method::GET) => Ok(self.faults_view()),
            ("/faults", &Method::POST) => self.inject(body),
            ("/faults", &Method::DELETE) => {
                self.faults.clear();
                Ok(self.faults_view())
            }
            ("/requests", &Method::GET) => self.requests(query),
            ("/requests", &Method::DELETE) => {
                self.log.clear();
                Ok(self.requests_view(None, None))
            }
            ("" | "/state" | "/reset" | "/lifecycle" | "/faults" | "/requests", _) => Err(Refusal(
                StatusCode::METHOD_NOT_ALLOWED,
                format!("{method} is not allowed on {CONTROL_PREFIX}{endpoint}"),
            )),
            _ => Err(Refusal(
                StatusCode::NOT_FOUND,
                format!("no control endpoint {path}; GET {CONTROL_PREFIX}/ lists them"),
            )),
        };
        match result {
            Ok(value) => json_answer(StatusCode::OK, &value),
            Err(Refusal(status, message)) => json_answer(status, &json!({ "error": message })),
        }
    }

    /// The shared state, or a 404 saying the emulator has none.
    fn shared(&self) -> Result<&EmulatorShared, Refusal> {
        self.shared.as_ref().ok_or_else(|| {
            Refusal(
                StatusCode::NOT_FOUND,
                "this emulator keeps no shared state (no counts, no lifecycle)".to_owned(),
            )
        })
    }

    fn state(&self) -> Value {
        json!({
            "accepted_backups": self.shared.as_ref().map(|s| s.accepted().get()),
            "token_requests": self.shared.as_ref().map(|s| s.token_requests().get()),
            "requests": counts(&self.log),
            "faults": self.faults_view(),
            "lifecycle": self.shared.as_ref().map(|s| lifecycle_view(&s.lifecycle())),
        })
    }

    fn reset(&self) -> Value {
        self.faults.reset();
        if let Some(shared) = &self.shared {
            shared.reset();
        }
        self.log.clear();
        self.state()
    }

    fn lifecycle(&self) -> Answer {
        Ok(lifecycle_view(&self.shared()?.lifecycle()))
    }

    fn change_lifecycle(&self, body: &Bytes) -> Answer {
        let shared = self.shared()?;
        let change: LifecycleChange = parse(body)?;
        let spec = change.apply(shared.lifecycle())?;
        shared.set_lifecycle(spec.clone());
        Ok(lifecycle_view(&spec))
    }

    fn faults_view(&self) -> Value {
        json!({ "pending": self.faults.pending(), "fired": self.faults.fired() })
    }

    fn inject(&self, body: &Bytes) -> Answer {
        let injection: Injection = parse(body)?;
        let times = injection.times.unwrap_or(1);
        if times == 0 || times > MAX_TIMES {
            return Err(Refusal::bad(format!(
                "times must be within 1..={MAX_TIMES}"
            )));
        }
        let fault = injection.fault.into_fault()?;
        self.faults.inject_n(injection.route.class(), fault, times);
        Ok(self.faults_view())
    }

    fn requests(&self, query: &str) -> Answer {
        let mut class = None;
        let mut limit = None;
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            match &*key {
                "class" => {
                    let name: RouteName = serde_json::from_value(Value::String(value.into_owned()))
                        .map_err(|_| {
                            Refusal::bad(format!("class must be one of {}", RouteName::NAMES))
                        })?;
                    class = Some(name.class());
                }
                "limit" => {
                    let n = value
                        .parse::<usize>()
                        .map_err(|_| Refusal::bad("limit must be a whole number"))?;
                    limit = Some(n);
                }
                other => {
                    return Err(Refusal::bad(format!(
                        "unknown query parameter {other:?} (class, limit)"
                    )));
                }
            }
        }
        Ok(self.requests_view(class, limit))
    }

    fn requests_view(&self, class: Option<RouteClass>, limit: Option<usize>) -> Value {
        let mut records: Vec<Value> = self
            .log
            .records()
            .iter()
            .filter(|record| class.is_none_or(|class| class.matches(record.class)))
            .map(|record| self.record_view(record))
            .collect();
        if let Some(limit) = limit {
            let skip = records.len().saturating_sub(limit);
            records.drain(..skip);
        }
        json!({ "counts": counts(&self.log), "records": records })
    }

    fn record_view(&self, record: &RequestRecord) -> Value {
        let at = record.at.saturating_duration_since(self.started);
        json!({
            "method": record.method.as_str(),
            "target": record.target,
            "path": record.path(),
            "class": RouteName::of(record.class),
            "at_s": at.as_secs_f64(),
            "fault": record.fault.as_ref().map(FaultSpec::of),
        })
    }
}

/// The counts of `log`: in all and per class.
fn counts(log: &RequestLog) -> Value {
    let mut counts = serde_json::Map::new();
    counts.insert("total".to_owned(), log.total().into());
    for class in RouteClass::CONCRETE {
        counts.insert(
            RouteName::of(class).as_str().to_owned(),
            log.count(class).into(),
        );
    }
    Value::Object(counts)
}

/// `body` as `T`; an empty body is `{}`.
fn parse<'de, T: Deserialize<'de>>(body: &'de Bytes) -> Result<T, Refusal> {
    let text: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    serde_json::from_slice(text).map_err(|e| Refusal::bad(format!("invalid JSON body: {e}")))
}

/// Seconds as a [`Duration`], within `0..=MAX_SECONDS`.
fn seconds(field: &str, value: f64) -> Result<Duration, Refusal> {
    if !(0.0..=MAX_SECONDS).contains(&value) {
        return Err(Refusal::bad(format!(
            "{field} must be a number of seconds within 0..={MAX_SECONDS}"
        )));
    }
    Duration::try_from_secs_f64(value)
        .map_err(|_| Refusal::bad(format!("{field} is not a number of seconds")))
}

/// A [`RouteClass`] by its name in the control API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum RouteName {
    Auth,
    Trigger,
    Poll,
    Control,
    Other,
    Any,
}

impl RouteName {
    const NAMES: &'static str = "auth, trigger, poll, control, other, any";

    fn class(self) -> RouteClass {
        match self {
            RouteName::Auth => RouteClass::Auth,
            RouteName::Trigger => RouteClass::Trigger,
            RouteName::Poll => RouteClass::Poll,
            RouteName::Control => RouteClass::Control,
            RouteName::Other => RouteClass::Other,
            RouteName::Any => RouteClass::Any,
        }
    }

    fn of(class: RouteClass) -> Self {
        match class {
            RouteClass::Auth => RouteName::Auth,
            RouteClass::Trigger => RouteName::Trigger,
            RouteClass::Poll => RouteName::Poll,
            RouteClass::Control => RouteName::Control,
            RouteClass::Other => RouteName::Other,
            RouteClass::Any => RouteName::Any,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            RouteName::Auth => "auth",
            RouteName::Trigger => "trigger",
            RouteName::Poll => "poll",
            RouteName::Control => "control",
            RouteName::Other => "other",
            RouteName::Any => "any",
        }
    }
}

/// `POST /_emulator/faults`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Injection {
    route: RouteName,
    #[serde(default)]
    times: Option<usize>,
    fault: FaultSpec,
}

/// A [`Fault`] in the control API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum FaultSpec {
    /// [`Fault::Status`].
    Status {
        status: u16,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after_s: Option<f64>,
    },
    /// [`Fault::DropBeforeHandling`].
    DropBeforeHandling,
    /// [`Fault::DropAfterHandling`].
    DropAfterHandling,
    /// [`Fault::Delay`].
    Delay { delay_s: f64 },
    /// [`Fault::MalformedBody`].
    MalformedBody {
        #[serde(default = "ok")]
        status: u16,
    },
    /// [`Fault::HtmlBody`].
    HtmlBody {
        #[serde(default = "bad_gateway")]
        status: u16,
    },
    /// [`Fault::EmptyBody`].
    EmptyBody {
        #[serde(default = "ok")]
        status: u16,
    },
    /// [`Fault::OversizedBody`].
    OversizedBody { bytes: usize },
    /// [`Fault::Respond`].
    Respond {
        status: u16,
        #[serde(default = "json_type")]
        content_type: String,
        body: String,
    },
}

fn ok() -> u16 {
    200
}

fn bad_gateway() -> u16 {
    502
}

fn json_type() -> String {
    "application/json".to_owned()
}

/// A status the fault may answer with.
fn status(value: u16) -> Result<u16, Refusal> {
    if (100..=599).contains(&value) {
        Ok(value)
    } else {
        Err(Refusal::bad(format!(
            "status {value} is not within 100..=599"
        )))
    }
}

impl FaultSpec {
    fn into_fault(self) -> Result<Fault, Refusal> {
        Ok(match self {
            FaultSpec::Status {
                status: code,
                retry_after_s,
            } => Fault::Status {
                status: status(code)?,
                retry_after: retry_after_s
                    .map(|s| seconds("retry_after_s", s))
                    .transpose()?,
            },
            FaultSpec::DropBeforeHandling => Fault::DropBeforeHandling,
            FaultSpec::DropAfterHandling => Fault::DropAfterHandling,
            FaultSpec::Delay { delay_s } => Fault::Delay(seconds("delay_s", delay_s)?),
            FaultSpec::MalformedBody { status: code } => Fault::MalformedBody {
                status: status(code)?,
            },
            FaultSpec::HtmlBody { status: code } => Fault::HtmlBody {
                status: status(code)?,
            },
            FaultSpec::EmptyBody { status: code } => Fault::EmptyBody {
                status: status(code)?,
            },
            FaultSpec::OversizedBody { bytes } => {
                if bytes > MAX_OVERSIZED {
                    return Err(Refusal::bad(format!(
                        "bytes must be at most {MAX_OVERSIZED}"
                    )));
                }
                Fault::OversizedBody { bytes }
            }
            FaultSpec::Respond {
                status: code,
                content_type,
                body,
            } => {
                if http::HeaderValue::from_str(&content_type).is_err() {
                    return Err(Refusal::bad("content_type is not a valid header value"));
                }
                Fault::Respond {
                    status: status(code)?,
                    content_type,
                    body,
                }
            }
        })
    }

    fn of(fault: &Fault) -> Self {
        match fault {
            Fault::Status {
                status,
                retry_after,
            } => FaultSpec::Status {
                status: *status,
                retry_after_s: retry_after.map(|d| d.as_secs_f64()),
            },
            Fault::DropBeforeHandling => FaultSpec::DropBeforeHandling,
            Fault::DropAfterHandling => FaultSpec::DropAfterHandling,
            Fault::Delay(delay) => FaultSpec::Delay {
                delay_s: delay.as_secs_f64(),
            },
            Fault::MalformedBody { status } => FaultSpec::MalformedBody { status: *status },
            Fault::HtmlBody { status } => FaultSpec::HtmlBody { status: *status },
            Fault::EmptyBody { status } => FaultSpec::EmptyBody { status: *status },
            Fault::OversizedBody { bytes } => FaultSpec::OversizedBody { bytes: *bytes },
            Fault::Respond {
                status,
                content_type,
                body,
            } => FaultSpec::Respond {
                status: *status,
                content_type: content_type.clone(),
                body: body.clone(),
            },
        }
    }
}

/// An [`Outcome`] by its name in the control API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum OutcomeName {
    Success,
    Warning,
    Failure,
    Cancelled,
}

/// `POST /_emulator/lifecycle`: the fields to change.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LifecycleChange {
    /// `null` makes backups unfold by polls; absent keeps the duration.
    #[serde(default, deserialize_with = "present")]
    duration_s: Option<Option<f64>>,
    queued_polls: Option<u32>,
    running_polls: Option<u32>,
    outcome: Option<OutcomeName>,
    reason: Option<String>,
}

/// A field that is present, `null` included (`Some(None)`); absent is `None` through
/// `#[serde(default)]`.
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Option<f64>>, D::Error> {
    let value = Option::<f64>::deserialize(deserializer)?;
    if value.is_some_and(|v| !v.is_finite()) {
        return Err(D::Error::custom("not a finite number"));
    }
    Ok(Some(value))
}

impl LifecycleChange {
    fn apply(self, mut spec: LifecycleSpec) -> Result<LifecycleSpec, Refusal> {
        if let Some(duration) = self.duration_s {
            spec.duration = duration.map(|s| seconds("duration_s", s)).transpose()?;
        }
        if let Some(polls) = self.queued_polls {
            spec.queued_polls = polls;
        }
        if let Some(polls) = self.running_polls {
            spec.running_polls = polls;
        }
        let failing = match self.outcome {
            Some(OutcomeName::Failure) => true,
            Some(_) => false,
            None => matches!(spec.outcome, Outcome::Failure { .. }),
        };
        if self.reason.is_some() && !failing {
            return Err(Refusal::bad("reason goes with outcome \"failure\" only"));
        }
        match (self.outcome, self.reason) {
            (Some(OutcomeName::Success), _) => spec.outcome = Outcome::Success,
            (Some(OutcomeName::Warning), _) => spec.outcome = Outcome::Warning,
            (Some(OutcomeName::Cancelled), _) => spec.outcome = Outcome::Cancelled,
            (Some(OutcomeName::Failure), reason) => {
                spec.outcome = Outcome::Failure {
                    reason: reason.unwrap_or_else(|| DEFAULT_REASON.to_owned()),
                };
            }
            (None, Some(reason)) => spec.outcome = Outcome::Failure { reason },
            (None, None) => {}
        }
        Ok(spec)
    }
}

/// A [`LifecycleSpec`] in the control API.
fn lifecycle_view(spec: &LifecycleSpec) -> Value {
    let (outcome, reason) = match &spec.outcome {
        Outcome::Success => ("success", None),
        Outcome::Warning => ("warning", None),
        Outcome::Failure { reason } => ("failure", Some(reason.as_str())),
        Outcome::Cancelled => ("cancelled", None),
    };
    json!({
        "duration_s": spec.duration.map(|d| d.as_secs_f64()),
        "queued_polls": spec.queued_polls,
        "running_polls": spec.running_polls,
        "outcome": outcome,
        "reason": reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prefix_is_a_whole_segment() {
        assert!(is_control("/_emulator"));
        assert!(is_control("/_emulator/"));
        assert!(is_control("/_emulator/state"));
        assert!(!is_control("/_emulatorx"));
        assert!(!is_control("/api/_emulator/state"));
    }

    #[test]
    fn every_fault_round_trips() {
        let faults = [
            Fault::status(503),
            Fault::retry_after(429, Duration::from_secs(2)),
            Fault::DropBeforeHandling,
            Fault::DropAfterHandling,
            Fault::Delay(Duration::from_millis(1500)),
            Fault::MalformedBody { status: 200 },
            Fault::HtmlBody { status: 502 },
            Fault::EmptyBody { status: 204 },
            Fault::OversizedBody { bytes: 10 },
            Fault::Respond {
                status: 200,
                content_type: "application/json".to_owned(),
                body: "{}".to_owned(),
            },
        ];
        for fault in faults {
            let spec = FaultSpec::of(&fault);
            let json = serde_json::to_value(&spec).expect("serializes");
            let back: FaultSpec = serde_json::from_value(json.clone()).expect("parses");
            assert_eq!(back, spec, "{json}");
            assert_eq!(back.into_fault().ok(), Some(fault), "{json}");
        }
    }

    #[test]
    fn lifecycle_changes_only_what_is_given() {
        let base = LifecycleSpec::default().after(Duration::from_secs(3));
        let change: LifecycleChange =
            serde_json::from_str(r#"{"outcome":"failure","reason":"disk full"}"#).expect("parses");
        let spec = change.apply(base.clone()).ok();
        assert_eq!(spec, Some(base.clone().failing("disk full")));
        let change: LifecycleChange =
            serde_json::from_str(r#"{"duration_s":null,"running_polls":4}"#).expect("parses");
        let spec = change.apply(base.clone()).ok();
        assert_eq!(
            spec.as_ref().map(|s| (s.duration, s.running_polls)),
            Some((None, 4))
        );
        let change: LifecycleChange = serde_json::from_str(r#"{"reason":"no"}"#).expect("parses");
        assert!(change.apply(base).is_err());
    }
}
