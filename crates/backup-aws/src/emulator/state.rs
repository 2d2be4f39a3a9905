//! The emulated account: access keys and sessions, vaults, backup jobs.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use backup_core::emulator::{
    EmulatorShared, Lifecycle, Outcome, Phase, TokenCheck, TokenIssuer, random_hex,
};
use serde_json::{Value, json};
use time::OffsetDateTime;
use tokio::time::Instant;

use super::EmulatorOptions;
use super::sigv4::Refusal;
use crate::model::epoch_seconds::to_seconds;

/// The default start window of a job: 8 hours.
pub(crate) const DEFAULT_START_WINDOW: Duration = Duration::from_secs(8 * 3600);

/// A session issued by instance metadata.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub(crate) access_key_id: String,
    pub(crate) secret: String,
    pub(crate) token: String,
    pub(crate) expires_at: OffsetDateTime,
}

/// One backup job.
#[derive(Debug)]
pub(crate) struct Job {
    pub(crate) id: String,
    pub(crate) region: String,
    pub(crate) vault: String,
    pub(crate) resource_arn: String,
    pub(crate) resource_type: String,
    pub(crate) role_arn: String,
    /// Its lifecycle (a child job shows its parent's phase and times).
    pub(crate) lifecycle: Lifecycle,
    pub(crate) created: Instant,
    pub(crate) start_window: Duration,
    pub(crate) expired: bool,
    /// Reads that saw it queued (the first sees `CREATED`, later ones `PENDING`).
    pub(crate) queued_reads: u32,
    pub(crate) parent: Option<String>,
    pub(crate) children: Vec<String>,
    /// Whether a parent's `Warning` outcome fails this child (the last one).
    pub(crate) fails_on_warning: bool,
    pub(crate) recovery_point_arn: String,
    /// EFS and DynamoDB name their recovery point from the start.
    pub(crate) recovery_point_at_start: bool,
    pub(crate) size_bytes: i64,
    pub(crate) backup_options: BTreeMap<String, String>,
    pub(crate) recovery_point_lifecycle: Option<Value>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) shared: EmulatorShared,
    pub(crate) account: String,
    pub(crate) region: String,
    pub(crate) static_keys: HashMap<String, String>,
    /// Session tokens (their expiry and `expire_tokens`).
    pub(crate) session_tokens: TokenIssuer,
    pub(crate) sessions: Mutex<HashMap<String, Session>>,
    /// The session instance metadata hands out until it expires.
    pub(crate) current_session: Mutex<Option<Session>>,
    pub(crate) session_ttl: Duration,
    pub(crate) imds_tokens: TokenIssuer,
    pub(crate) role_name: String,
    pub(crate) vaults: HashSet<String>,
    pub(crate) stacks: HashMap<String, Vec<String>>,
    pub(crate) jobs: Mutex<HashMap<String, Job>>,
    pub(crate) idempotency: Mutex<HashMap<String, String>>,
}

/// The state shared by every handler.
#[derive(Debug, Clone)]
pub(crate) struct State(pub(crate) Arc<Inner>);

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The key of a job: `{region}/{id}`.
pub(crate) fn job_key(region: &str, id: &str) -> String {
    format!("{region}/{id}")
}

impl State {
    pub(crate) fn new(options: &EmulatorOptions) -> Self {
        Self(Arc::new(Inner {
            shared: EmulatorShared::new(options.lifecycle.clone()),
            account: options.account.clone(),
            region: options.region.clone(),
            static_keys: options.access_keys.iter().cloned().collect(),
            session_tokens: TokenIssuer::new("IQoJ"),
            sessions: Mutex::new(HashMap::new()),
            current_session: Mutex::new(None),
            session_ttl: options.session_ttl,
            imds_tokens: TokenIssuer::new("AQAEA"),
            role_name: options.role_name.clone(),
            vaults: options.vaults.iter().cloned().collect(),
            stacks: options.stacks.iter().cloned().collect(),
            jobs: Mutex::new(HashMap::new()),
            idempotency: Mutex::new(HashMap::new()),
        }))
    }

    /// The secret of `access_key_id`, checking the session token a session key needs.
    pub(crate) fn secret_of(
        &self,
        access_key_id: &str,
        session_token: Option<&str>,
    ) -> Result<String, Refusal> {
        let invalid = || Refusal {
            status: 403,
            code: "UnrecognizedClientException",
            message: "The security token included in the request is invalid.".to_owned(),
        };
        if let Some(secret) = self.0.static_keys.get(access_key_id) {
            return Ok(secret.clone());
        }
        let session = lock(&self.0.sessions)
            .get(access_key_id)
            .cloned()
            .ok_or_else(invalid)?;
        if session_token != Some(session.token.as_str()) {
            return Err(invalid());
        }
        match self.0.session_tokens.check(&session.token) {
            TokenCheck::Valid => Ok(session.secret),
            TokenCheck::Expired => Err(Refusal {
                status: 403,
                code: "ExpiredTokenException",
                message: "The security token included in the request is expired".to_owned(),
            }),
            TokenCheck::Unknown => Err(invalid()),
        }
    }

    /// The session instance metadata hands out: the current one while its token is
    /// valid, else a new one (counted as a token issued).
    pub(crate) fn instance_session(&self) -> Session {
        let mut current = lock(&self.0.current_session);
        if let Some(session) = current.as_ref()
            && self.0.session_tokens.check(&session.token).is_valid()
        {
            return session.clone();
        }
        let token = self.0.session_tokens.issue(self.0.session_ttl);
        let ttl = time::Duration::try_from(self.0.session_ttl).unwrap_or(time::Duration::HOUR);
        let session = Session {
            access_key_id: format!("ASIA{}", random_hex(16).to_ascii_uppercase()),
            secret: random_hex(40),
            token,
            expires_at: OffsetDateTime::now_utc() + ttl,
        };
        lock(&self.0.sessions).insert(session.access_key_id.clone(), session.clone());
        *current = Some(session.clone());
        self.0.shared.token_requests().increment();
        session
    }

    /// The state word and status message of a job in `phase`.
    pub(crate) fn state_of(
        job: &Job,
        phase: &Phase,
        is_parent: bool,
    ) -> (&'static str, Option<String>) {
        if job.expired {
            return (
                "EXPIRED",
                Some("The backup job did not start within its start window".to_owned()),
            );
        }
        match phase {
            Phase::Queued if job.queued_reads > 1 => ("PENDING", None),
            Phase::Queued => ("CREATED", None),
            Phase::Running { .. } => ("RUNNING", None),
            Phase::Cancelling => ("ABORTING", None),
            Phase::Done(Outcome::Warning) if is_parent => (
                "PARTIAL",
                Some("One or more child backup jobs did not complete".to_owned()),
            ),
            // A job has no "warnings" state: a parent ends PARTIAL, its last child FAILED.
            Phase::Done(Outcome::Warning) if job.fails_on_warning => (
                "FAILED",
                Some("The backup of this resource failed".to_owned()),
            ),
            Phase::Done(Outcome::Success | Outcome::Warning) => ("COMPLETED", None),
            Phase::Done(Outcome::Failure { reason }) => ("FAILED", Some(reason.clone())),
            Phase::Done(Outcome::Cancelled) => {
                ("ABORTED", Some("The backup job was stopped".to_owned()))
            }
        }
    }

    /// The JSON of `job` in `state` (a `DescribeBackupJob` answer; `children` are the
    /// counts per state of a parent's child jobs).
    pub(crate) fn view(
        &self,
        job: &Job,
        times: &Lifecycle,
        phase: &Phase,
        state: &str,
        message: Option<&str>,
        children: Option<&BTreeMap<&'static str, i64>>,
    ) -> Value {
        let account = &self.0.account;
        let created = times.created_at();
        let done = matches!(
            state,
            "COMPLETED" | "FAILED" | "ABORTED" | "EXPIRED" | "PARTIAL"
        );
        let percent = match state {
            "COMPLETED" | "PARTIAL" => 100,
            "EXPIRED" => 0,
            _ => phase.progress(),
        };
        let mut body = json!({
            "AccountId": account,
            "BackupJobId": job.id,
            "BackupVaultName": job.vault,
            "BackupVaultArn": format!("arn:aws:backup:{}:{account}:backup-vault:{}", job.region, job.vault),
            "VaultType": "BACKUP_VAULT",
            "ResourceArn": job.resource_arn,
            "ResourceType": job.resource_type,
            "ResourceName": job.resource_arn.rsplit(['/', ':']).next().unwrap_or_default(),
            "CreationDate": to_seconds(created),
            "InitiationDate": to_seconds(created),
            "State": state,
            "PercentDone": format!("{percent}.0"),
            "IamRoleArn": job.role_arn,
            "CreatedBy": {},
            "IsEncrypted": true,
            "IsParent": !job.children.is_empty(),
            "BytesTransferred": job.size_bytes * i64::from(percent) / 100,
        });
        let start_by = time::Duration::try_from(job.start_window)
            .ok()
            .and_then(|window| created.checked_add(window));
        if let Some(start_by) = start_by {
            body["StartBy"] = json!(to_seconds(start_by));
        }
        if let Some(duration) = times.spec().duration
            && let Some(expected) = time::Duration::try_from(duration)
                .ok()
                .and_then(|d| created.checked_add(d))
        {
            body["ExpectedCompletionDate"] = json!(to_seconds(expected));
        }
        if let Some(message) = message {
            body["StatusMessage"] = json!(message);
        }
        if done {
            let at = times.finished_at().unwrap_or_else(OffsetDateTime::now_utc);
            body["CompletionDate"] = json!(to_seconds(at));
        }
        if state == "COMPLETED" || state == "PARTIAL" {
            body["BackupSizeInBytes"] = json!(job.size_bytes);
            body["MessageCategory"] = json!("SUCCESS");
        }
        if job.recovery_point_at_start || state == "COMPLETED" || state == "PARTIAL" {
            body["RecoveryPointArn"] = json!(job.recovery_point_arn);
        }
        if !job.backup_options.is_empty() {
            body["BackupOptions"] = json!(job.backup_options);
            if job.backup_options.get("WindowsVSS").map(String::as_str) == Some("enabled") {
                body["BackupType"] = json!("WindowsVSS");
            }
        }
        if let Some(lifecycle) = &job.recovery_point_lifecycle {
            body["RecoveryPointLifecycle"] = lifecycle.clone();
        }
        if let Some(parent) = &job.parent {
            body["ParentJobId"] = json!(parent.rsplit('/').next().unwrap_or(parent));
        }
        if let Some(children) = children {
            body["NumberOfChildJobs"] = json!(job.children.len());
            body["ChildJobsInState"] = json!(children);
        }
        body
    }
}
