//! The emulated CommServe's state: users, sessions with idle expiry, subclients, jobs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use backup_core::emulator::{Counter, EmulatorShared, Lifecycle, Phase, TokenCheck, random_hex};
use tokio::time::Instant;

use super::{EmulatedSubclient, EmulatorOptions};

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One `QSDK` session.
#[derive(Debug)]
struct Session {
    last_used: Instant,
    expired: bool,
}

/// One job started by CreateTask.
#[derive(Debug)]
pub(crate) struct Job {
    pub lifecycle: Lifecycle,
    pub suspended: bool,
    pub subclient: EmulatedSubclient,
    pub level: String,
}

/// What a job looks like at one observation.
pub(crate) struct JobView {
    pub phase: Phase,
    pub suspended: bool,
    pub started: Option<i64>,
    pub finished: Option<i64>,
    pub subclient: EmulatedSubclient,
    pub level: String,
}

#[derive(Debug)]
struct Inner {
    sessions: HashMap<String, Session>,
    jobs: HashMap<String, Job>,
    next_task: u64,
    next_job: u64,
    bearer_expired: bool,
}

/// The shared state behind every handler (a cheap handle).
#[derive(Debug, Clone)]
pub(crate) struct State {
    inner: Arc<Mutex<Inner>>,
    pub options: Arc<EmulatorOptions>,
    /// The backups started, the tokens issued (logins and renewals) and the lifecycle
    /// of new jobs.
    pub shared: EmulatorShared,
    pub scheduled: Counter,
    pub logins: Counter,
    pub renewals: Counter,
    pub logouts: Counter,
}

/// The session key of a token sent with or without its `QSDK ` prefix.
fn session_key(token: &str) -> String {
    crate::auth::with_qsdk_prefix(token)
}

impl State {
    pub(crate) fn new(options: EmulatorOptions) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Inner {
                sessions: HashMap::new(),
                jobs: HashMap::new(),
                next_task: 4038,
                next_job: 5976,
                bearer_expired: false,
            })),
            shared: EmulatorShared::new(options.lifecycle.clone()),
            options: Arc::new(options),
            scheduled: Counter::new(),
            logins: Counter::new(),
            renewals: Counter::new(),
            logouts: Counter::new(),
        }
    }

    /// Issues a new `QSDK` token.
    pub(crate) fn issue(&self) -> String {
        let token = format!("QSDK {}", random_hex(48));
        lock(&self.inner).sessions.insert(
            token.clone(),
            Session {
                last_used: Instant::now(),
                expired: false,
            },
        );
        token
    }

    fn idle(&self) -> Duration {
        self.options.idle_timeout
    }

    /// Checks a `QSDK` token; a valid one counts as used now (idle expiry).
    pub(crate) fn check(&self, token: &str) -> TokenCheck {
        let idle = self.idle();
        let mut inner = lock(&self.inner);
        let Some(session) = inner.sessions.get_mut(&session_key(token)) else {
            return TokenCheck::Unknown;
        };
        let now = Instant::now();
        if session.expired || now.saturating_duration_since(session.last_used) >= idle {
            session.expired = true;
            return TokenCheck::Expired;
        }
        session.last_used = now;
        TokenCheck::Valid
    }

    /// Checks a Metallic bearer access token.
    pub(crate) fn check_bearer(&self, token: &str) -> TokenCheck {
        if !self.options.access_tokens.iter().any(|t| t == token) {
            return TokenCheck::Unknown;
        }
        if lock(&self.inner).bearer_expired {
            TokenCheck::Expired
        } else {
            TokenCheck::Valid
        }
    }

    /// Ends a session; returns whether it existed.
    pub(crate) fn revoke(&self, token: &str) -> bool {
        lock(&self.inner)
            .sessions
            .remove(&session_key(token))
            .is_some()
    }

    /// Expires every session and access token issued so far.
    pub(crate) fn expire_all(&self) {
        let mut inner = lock(&self.inner);
        for session in inner.sessions.values_mut() {
            session.expired = true;
        }
        inner.bearer_expired = true;
    }

    /// How many sessions are open (valid or expired, not logged out).
    pub(crate) fn sessions(&self) -> usize {
        lock(&self.inner).sessions.len()
    }

    /// Registers what the control API's reset forgets: every job (sessions stay valid,
    /// task and job ids keep rising so an old id never names a new job) and the counts
    /// of schedules, logins, renewals and logouts.
    pub(crate) fn register_reset(&self) {
        let inner = Arc::downgrade(&self.inner);
        let counts = [
            self.scheduled.clone(),
            self.logins.clone(),
            self.renewals.clone(),
            self.logouts.clone(),
        ];
        self.shared.on_reset(move || {
            if let Some(inner) = inner.upgrade() {
                lock(&inner).jobs.clear();
            }
            for count in &counts {
                count.reset();
            }
        });
    }

    /// A new task id.
    pub(crate) fn next_task(&self) -> u64 {
        let mut inner = lock(&self.inner);
        let id = inner.next_task;
        inner.next_task = inner.next_task.saturating_add(1);
        id
    }

    /// Starts a job for `subclient`; returns its id.
    pub(crate) fn start_job(&self, subclient: EmulatedSubclient, level: String) -> String {
        let mut inner = lock(&self.inner);
        let id = inner.next_job.to_string();
        inner.next_job = inner.next_job.saturating_add(1);
        let job = Job {
            lifecycle: Lifecycle::new(self.shared.lifecycle()),
            suspended: false,
            subclient,
            level,
        };
        inner.jobs.insert(id.clone(), job);
        self.shared.accepted().increment();
        id
    }

    /// Observes a job, as `GET Job/{id}` does (a suspended job does not move).
    pub(crate) fn observe(&self, id: &str) -> Option<JobView> {
        let mut inner = lock(&self.inner);
        let job = inner.jobs.get_mut(id)?;
        let phase = if job.suspended {
            job.lifecycle.peek()
        } else {
            job.lifecycle.observe()
        };
        Some(JobView {
            phase,
            suspended: job.suspended,
            started: job
                .lifecycle
                .started_at()
                .map(time::OffsetDateTime::unix_timestamp),
            finished: job
                .lifecycle
                .finished_at()
                .map(time::OffsetDateTime::unix_timestamp),
            subclient: job.subclient.clone(),
            level: job.level.clone(),
        })
    }

    /// Applies a job control action; `Err` carries Commvault's refusal message.
    pub(crate) fn act(&self, id: &str, action: &str) -> Result<(), String> {
        let mut inner = lock(&self.inner);
        let Some(job) = inner.jobs.get_mut(id) else {
            return Err(format!("Job [{id}] does not exist."));
        };
        let finished = job.lifecycle.peek().is_terminal();
        match action {
            _ if finished => Err(format!("Job [{id}] has already finished.")),
            "kill" => {
                job.suspended = false;
                if job.lifecycle.request_cancel() {
                    Ok(())
                } else {
                    Err(format!("Job [{id}] is already being killed."))
                }
            }
            "pause" if job.suspended => Err(format!("Job [{id}] is already suspended.")),
            "pause" => {
                job.suspended = true;
                Ok(())
            }
            "resume" if !job.suspended => Err(format!("Job [{id}] is not suspended.")),
            "resume" => {
                job.suspended = false;
                Ok(())
            }
            other => Err(format!("Unknown action [{other}].")),
        }
    }

    /// The subclient a CreateTask association names, if the CommServe has it.
    pub(crate) fn find_subclient(
        &self,
        association: &super::wire::AssociationIn,
    ) -> Option<EmulatedSubclient> {
        let matches =
            |wanted: &Option<String>, have: &str| wanted.as_deref().is_none_or(|w| w == have);
        self.options
            .subclients
            .iter()
            .find(|s| {
                association.client_name.as_deref() == Some(s.client_name.as_str())
                    && association.subclient_name.as_deref() == Some(s.subclient_name.as_str())
                    && matches(&association.instance_name, &s.instance_name)
                    && matches(&association.backupset_name, &s.backupset_name)
                    && matches(&association.app_name, &s.app_name)
            })
            .cloned()
    }
}
