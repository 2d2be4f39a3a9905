//! What the journal holds: runs, targets, events, and the steps written to them.

use std::fmt;
use std::str::FromStr;

use backup_core::{ApiError, Error, Operation, RequestSent};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::plan::PlanErrors;
use crate::run::TargetOutcome;
use crate::{Plan, Vendor};

/// A run to create: the plan's identity, settings and targets.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRun {
    /// Where the plan was read from.
    pub plan_path: String,
    /// The SHA-256 of the plan's text (hex): a run resumes only the same plan.
    pub plan_hash: String,
    /// The settings it runs with (JSON).
    pub settings: Value,
    /// Its targets, in plan order, with their vendors.
    pub targets: Vec<(String, Vendor)>,
}

impl NewRun {
    /// A run of `plan`, identified by the hash of `text`, the plan's own text.
    #[must_use]
    pub fn new(plan: &Plan, text: &str) -> Self {
        Self {
            plan_path: plan.source.clone(),
            plan_hash: hash(text),
            settings: serde_json::json!({
                "concurrency": plan.settings.concurrency,
                "timeout_s": plan.settings.timeout.map(|t| t.as_secs_f64()),
                "fail_fast": plan.settings.fail_fast,
                "poll_interval_s": plan.settings.poll_interval.as_secs_f64(),
            }),
            targets: plan
                .targets
                .iter()
                .map(|target| (target.name.clone(), target.vendor()))
                .collect(),
        }
    }

    /// A run of `plan`, its text read again from [`Plan::source`].
    ///
    /// # Errors
    /// When the file cannot be read.
    pub fn of_plan(plan: &Plan) -> Result<Self, PlanErrors> {
        let text = std::fs::read_to_string(&plan.source).map_err(|e| {
            PlanErrors(vec![crate::PlanError::new(
                &plan.source,
                format!("cannot read: {e}"),
            )])
        })?;
        Ok(Self::new(plan, &text))
    }
}

/// The SHA-256 of `text`, in hex.
fn hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Which run [`super::Journal::open_run`] opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunSelect {
    /// The newest unfinished run of the same plan, else a new one.
    ResumeOrNew,
    /// Always a new run.
    New,
    /// This run: joined when it exists (it must be of the same plan), created with
    /// this id otherwise. Several hosts give the same id to share a run.
    Id(String),
}

/// How a run was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opening {
    /// A new run.
    Created,
    /// An unfinished run of the same plan, found by its hash.
    Resumed,
    /// The run the id named, which existed already.
    Joined,
}

/// A run opened by [`super::Journal::open_run`].
#[derive(Debug, Clone, PartialEq)]
pub struct Opened {
    /// The run.
    pub run: RunRecord,
    /// How it was opened.
    pub how: Opening,
}

/// One run as recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunRecord {
    /// Its id.
    pub id: String,
    /// The plan's path.
    pub plan_path: String,
    /// The plan's SHA-256.
    pub plan_hash: String,
    /// The settings it ran with.
    pub settings: Value,
    /// The worker that created it.
    pub created_by: String,
    /// When it started.
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    /// When it ended (every target ended); `None` while unfinished.
    #[serde(with = "time::serde::rfc3339::option")]
    pub ended_at: Option<OffsetDateTime>,
    /// `succeeded` when every target succeeded, else `failed`; `None` while unfinished.
    pub outcome: Option<String>,
    /// Its targets.
    pub targets: u64,
    /// Those that have ended.
    pub ended: u64,
    /// Those that succeeded.
    pub succeeded: u64,
}

/// Where a target of a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetState {
    /// Nothing sent yet.
    Pending,
    /// The intent to trigger is recorded; no answer yet (if the worker died here, the
    /// trigger's outcome is unknown until the vendor says).
    Triggering,
    /// The operation references are recorded: waiting for them to end.
    Waiting,
    /// Ended.
    Ended(TargetOutcome),
}

impl TargetState {
    /// The stable name in the journal (`pending`, `triggering`, `waiting`, or the
    /// outcome's name).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            TargetState::Pending => "pending",
            TargetState::Triggering => "triggering",
            TargetState::Waiting => "waiting",
            TargetState::Ended(outcome) => outcome.as_str(),
        }
    }

    /// Whether the target has ended.
    #[must_use]
    pub fn is_ended(self) -> bool {
        matches!(self, TargetState::Ended(_))
    }
}

impl fmt::Display for TargetState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TargetState {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "pending" => TargetState::Pending,
            "triggering" => TargetState::Triggering,
            "waiting" => TargetState::Waiting,
            other => TargetState::Ended(
                TargetOutcome::ALL
                    .into_iter()
                    .find(|outcome| outcome.as_str() == other)
                    .ok_or_else(|| format!("unknown target state {other:?}"))?,
            ),
        })
    }
}

/// One target of a run as recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetRecord {
    /// Its name in the plan.
    pub name: String,
    /// Its place in the plan (from 0).
    pub position: u32,
    /// Its vendor.
    pub vendor: String,
    /// Where it stands.
    #[serde(serialize_with = "serialize_state")]
    pub state: TargetState,
    /// The worker that holds (or last held) it.
    pub owner: Option<String>,
    /// The worker that held it before (set when it was claimed again).
    pub previous_owner: Option<String>,
    /// Until when the owner's claim lasts, unless renewed.
    #[serde(with = "time::serde::rfc3339::option")]
    pub lease_until: Option<OffsetDateTime>,
    /// How many times it was claimed (more than once: resumed or taken over).
    pub claims: u64,
    /// The vendor's idempotency key the trigger was sent with, recorded with the intent.
    pub idempotency_key: Option<String>,
    /// When the intent to trigger was recorded (just before the request was sent).
    #[serde(with = "time::serde::rfc3339::option")]
    pub intent_at: Option<OffsetDateTime>,
    /// How a trigger whose answer was lost was resolved (`vendor`, `unknown`).
    pub recovery: Option<String>,
    /// Its operations as last seen.
    pub operations: Vec<Operation>,
    /// What ended it badly.
    pub error: Option<ErrorRecord>,
    /// When it last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// When it ended.
    #[serde(with = "time::serde::rfc3339::option")]
    pub ended_at: Option<OffsetDateTime>,
}

fn serialize_state<S: serde::Serializer>(state: &TargetState, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(state.as_str())
}

/// One event of a run: a step of a target, or of the run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventRecord {
    /// Its number, in the order written.
    pub id: i64,
    /// The target, or `None` for the run.
    pub target: Option<String>,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The worker that wrote it.
    pub worker: Option<String>,
    /// What happened: `run_created`, `run_resumed`, `run_joined`, `claimed`, `intent`,
    /// `triggered`, `recovered`, `state`, `ended`, `skipped`, `released`, `run_ended`.
    pub kind: String,
    /// Its details.
    pub detail: Value,
}

/// An error as the journal keeps it: enough to tell and to rebuild it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorRecord {
    /// Its kind (`outcome_unknown`, `operation_failed`, `timeout`, `auth`, `transport`,
    /// an API error kind such as `conflict` ...).
    pub kind: String,
    /// The whole message.
    pub message: String,
    /// The vendor's code.
    pub code: Option<String>,
    /// The HTTP status.
    pub status: Option<u16>,
    /// The request id.
    pub request_id: Option<String>,
    /// The vendor's own message (API errors) or the reason (outcome unknown).
    pub detail: Option<String>,
}

impl ErrorRecord {
    /// The record of `error`.
    #[must_use]
    pub fn of(error: &Error) -> Self {
        let (kind, detail) = match error {
            Error::InvalidInput { reason, .. } => ("invalid_input", Some(reason.clone())),
            Error::Config { message, .. } => ("config", Some(message.clone())),
            Error::Auth { message, .. } => ("auth", Some(message.clone())),
            Error::Api(api) => (api.kind.as_str(), Some(api.message.clone())),
            Error::Transport { message, .. } => ("transport", Some(message.clone())),
            Error::Decode { message, .. } => ("decode", Some(message.clone())),
            Error::OutcomeUnknown { reason, .. } => ("outcome_unknown", Some(reason.clone())),
            Error::OperationFailed(_) => ("operation_failed", None),
            Error::Timeout { .. } => ("timeout", None),
            Error::Unsupported { what, .. } => ("unsupported", Some(what.clone())),
            _ => ("other", None),
        };
        Self {
            kind: kind.to_owned(),
            message: error.to_string(),
            code: error.code().map(str::to_owned),
            status: error.status(),
            request_id: error.request_id().map(str::to_owned),
            detail,
        }
    }

    /// The error again, for a report of a target another process ran: `operations`
    /// are the target's as recorded.
    #[must_use]
    pub fn to_error(&self, vendor: Vendor, operations: &[Operation]) -> Error {
        let vendor = vendor.as_str();
        let detail = self.detail.clone().unwrap_or_else(|| self.message.clone());
        match self.kind.as_str() {
            "operation_failed" => match operations
                .iter()
                .find(|op| op.status.is_terminal() && !op.status.is_success())
            {
                Some(op) => Error::OperationFailed(Box::new(op.clone())),
                None => Error::config(vendor, detail),
            },
            "timeout" => match operations.first() {
                Some(op) => Error::Timeout {
                    operation: Box::new(op.clone()),
                    waited: std::time::Duration::ZERO,
                },
                None => Error::config(vendor, detail),
            },
            "outcome_unknown" => Error::OutcomeUnknown {
                vendor,
                action: "trigger".to_owned(),
                reason: detail,
                status: self.status,
                request_id: self.request_id.clone(),
            },
            "auth" => Error::Auth {
                code: None,
                vendor,
                status: self.status,
                message: detail,
                request_id: self.request_id.clone(),
            },
            "invalid_input" | "config" => Error::config(vendor, detail),
            "unsupported" => Error::Unsupported {
                vendor,
                what: detail,
            },
            "transport" | "other" => Error::Transport {
                vendor,
                message: detail,
                sent: RequestSent::Maybe,
                source: None,
            },
            "decode" => Error::Decode {
                vendor,
                status: self.status.unwrap_or(0),
                message: detail,
                body_excerpt: String::new(),
                request_id: self.request_id.clone(),
            },
            _ => {
                let mut api = ApiError::new(vendor, self.status.unwrap_or(500), detail)
                    .with_request_id(self.request_id.clone());
                if let Some(code) = &self.code {
                    api = api.with_code(code.clone());
                }
                Error::Api(Box::new(api))
            }
        }
    }
}

/// A step of a target, written by [`super::Journal::update`] with its event.
#[derive(Debug, Clone, PartialEq)]
pub enum Update {
    /// About to send the trigger (from `pending`), with the vendor's idempotency key.
    Intent {
        /// The key the request carries, where the vendor has one.
        idempotency_key: Option<String>,
    },
    /// The trigger's answer: the operations to follow (from `triggering`).
    Triggered {
        /// The operations.
        operations: Vec<Operation>,
        /// How they were found when the answer had been lost (`None`: the answer
        /// came).
        recovery: Option<String>,
    },
    /// An operation changed while waiting (in `waiting`).
    Observed {
        /// Which of the target's operations.
        index: usize,
        /// Every operation of the target, that one changed.
        operations: Vec<Operation>,
    },
    /// The target ended (from any state but ended).
    Ended {
        /// How.
        outcome: TargetOutcome,
        /// Its operations as last seen.
        operations: Vec<Operation>,
        /// What went wrong.
        error: Option<ErrorRecord>,
        /// How a lost trigger was resolved, when it was not (`unknown`).
        recovery: Option<String>,
    },
}

impl Update {
    /// The event's kind.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Update::Intent { .. } => "intent",
            Update::Triggered { recovery: None, .. } => "triggered",
            Update::Triggered { .. } => "recovered",
            Update::Observed { .. } => "state",
            Update::Ended { .. } => "ended",
        }
    }

    /// The event's details.
    #[must_use]
    pub fn detail(&self) -> Value {
        match self {
            Update::Intent { idempotency_key } => {
                serde_json::json!({ "idempotency_key": idempotency_key })
            }
            Update::Triggered {
                operations,
                recovery,
            } => serde_json::json!({
                "operations": operations.iter().map(|op| op.reference.to_string()).collect::<Vec<_>>(),
                "recovery": recovery,
            }),
            Update::Observed { index, operations } => match operations.get(*index) {
                Some(op) => state_detail(op),
                None => Value::Null,
            },
            Update::Ended {
                outcome,
                operations,
                error,
                recovery,
            } => serde_json::json!({
                "outcome": outcome.as_str(),
                "operations": operations.iter().map(|op| op.reference.to_string()).collect::<Vec<_>>(),
                "produced": operations.iter().flat_map(|op| op.produced.iter()).collect::<Vec<_>>(),
                "error": error,
                "recovery": recovery,
            }),
        }
    }
}

/// What a state event keeps of an operation.
fn state_detail(op: &Operation) -> Value {
    let at = |t: Option<OffsetDateTime>| {
        t.and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
    };
    serde_json::json!({
        "operation": op.reference.to_string(),
        "status": op.status.as_str(),
        "progress": op.progress,
        "vendor_status": op.vendor_status,
        "job_id": op.job_id,
        "started_at": at(op.started_at),
        "finished_at": at(op.finished_at),
        "message": op.message,
        "error": op.error,
    })
}
