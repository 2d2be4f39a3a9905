//! The emulated cloud: tokens, keys, policies, operations.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use backup_core::emulator::{EmulatorShared, Lifecycle, Outcome, Phase, TokenIssuer};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::model::{EMPTY_TYPE, EXECUTE_METADATA_TYPE, GrpcCode, REQUEST_INFO_TYPE};

use super::EmulatorOptions;

/// A public key registered for a service account.
#[derive(Debug, Clone)]
pub(crate) struct RegisteredKey {
    pub(crate) service_account_id: String,
    pub(crate) public_key_pem: String,
}

/// One operation started by `Policy.Execute`.
#[derive(Debug)]
pub(crate) struct Op {
    pub(crate) id: String,
    pub(crate) policy_id: String,
    pub(crate) instance_id: String,
    pub(crate) lifecycle: Lifecycle,
    /// The id of the backup it makes, once it ends well (`Backup.List`).
    pub(crate) backup_id: String,
    /// The request id of the `Policy.Execute` that started it (the `RequestInfo` of its
    /// error, if it fails).
    pub(crate) request_id: String,
    /// Reads answered so far (for the replica lag).
    pub(crate) reads: u32,
    /// Whether the failure was shown once as "rolling back" (error without done).
    pub(crate) failure_reported: bool,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) tokens: TokenIssuer,
    pub(crate) shared: EmulatorShared,
    pub(crate) policies: HashMap<String, HashSet<String>>,
    pub(crate) oauth_tokens: HashSet<String>,
    pub(crate) keys: HashMap<String, RegisteredKey>,
    pub(crate) token_ttl: Duration,
    pub(crate) poll_interval: Option<Duration>,
    pub(crate) replica_lag: u32,
    pub(crate) progress_as_number: bool,
    pub(crate) ops: Mutex<HashMap<String, Op>>,
    pub(crate) idempotency: Mutex<HashMap<String, String>>,
}

/// The state shared by every handler.
#[derive(Debug, Clone)]
pub(crate) struct State(pub(crate) Arc<Inner>);

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl State {
    pub(crate) fn new(options: &EmulatorOptions) -> Self {
        let policies = options
            .policies
            .iter()
            .map(|(policy, instances)| (policy.clone(), instances.iter().cloned().collect()))
            .collect();
        let keys = options
            .service_account_keys
            .iter()
            .map(|(key_id, service_account_id, public_key_pem)| {
                (
                    key_id.clone(),
                    RegisteredKey {
                        service_account_id: service_account_id.clone(),
                        public_key_pem: public_key_pem.clone(),
                    },
                )
            })
            .collect();
        Self(Arc::new(Inner {
            tokens: TokenIssuer::new("t1."),
            shared: EmulatorShared::new(options.lifecycle.clone()),
            policies,
            oauth_tokens: options.oauth_tokens.iter().cloned().collect(),
            keys,
            token_ttl: options.token_ttl,
            poll_interval: options.poll_interval,
            replica_lag: options.replica_lag_polls,
            progress_as_number: options.progress_as_number,
            ops: Mutex::new(HashMap::new()),
            idempotency: Mutex::new(HashMap::new()),
        }))
    }

    /// The JSON of `op` in `phase`; `observed` says whether this read moves a failed
    /// operation from "rolling back" to done.
    pub(crate) fn view(&self, op: &mut Op, phase: &Phase, observed: bool) -> Value {
        let progress = phase.progress();
        let progress: Value = if self.0.progress_as_number {
            json!(progress)
        } else {
            json!(progress.to_string())
        };
        let mut body = json!({
            "id": op.id,
            "description": "Execute backup policy",
            "createdAt": rfc3339(op.lifecycle.created_at()),
            "createdBy": super::DEMO_SERVICE_ACCOUNT_ID,
            "modifiedAt": rfc3339(op.lifecycle.finished_at().unwrap_or_else(OffsetDateTime::now_utc)),
            "done": false,
            "metadata": {
                "@type": EXECUTE_METADATA_TYPE,
                "policyId": op.policy_id,
                "computeInstanceId": op.instance_id,
                "progressPercentage": progress,
            },
        });
        let (done, error) = match phase {
            Phase::Queued | Phase::Running { .. } => (false, None),
            Phase::Cancelling => (
                false,
                Some((
                    GrpcCode::Cancelled,
                    "the operation is being cancelled".to_owned(),
                )),
            ),
            Phase::Done(Outcome::Success | Outcome::Warning) => (true, None),
            Phase::Done(Outcome::Cancelled) => (
                true,
                Some((
                    GrpcCode::Cancelled,
                    "the operation was cancelled".to_owned(),
                )),
            ),
            Phase::Done(Outcome::Failure { reason }) => {
                let first = !op.failure_reported;
                if observed {
                    op.failure_reported = true;
                }
                (!first, Some((GrpcCode::Internal, reason.clone())))
            }
        };
        body["done"] = json!(done);
        match error {
            Some((code, message)) => {
                body["error"] = json!({
                    "code": code.as_i64(),
                    "message": message,
                    "details": [{ "@type": REQUEST_INFO_TYPE, "requestId": op.request_id }],
                });
            }
            None if done => body["response"] = json!({ "@type": EMPTY_TYPE }),
            None => {}
        }
        body
    }
}

pub(crate) fn rfc3339(at: OffsetDateTime) -> String {
    backup_core::timefmt::format_rfc3339(at)
}
