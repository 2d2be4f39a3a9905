//! The emulated CommServe's state: users, sessions with idle expiry, the catalog of
//! entities, jobs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use backup_core::emulator::{Counter, EmulatorShared, Lifecycle, Phase, TokenCheck, random_hex};
use tokio::time::Instant;

use super::EmulatorOptions;
use super::catalog::{Catalog, SubclientEntry};

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One `QSDK` session.
#[derive(Debug)]
struct Session {
    last_used: Instant,
    expired: bool,
    user: String,
}

/// One job started by CreateTask (or a subclient's backup action).
#[derive(Debug)]
pub(crate) struct Job {
    pub lifecycle: Lifecycle,
    pub suspended: bool,
    pub subclient: SubclientEntry,
    pub level: String,
    pub task_id: u64,
    pub user: String,
    /// When it was accepted, on the tokio clock.
    pub accepted: Instant,
}

/// What a job looks like at one observation.
#[derive(Debug, Clone)]
pub(crate) struct JobView {
    pub id: u64,
    pub phase: Phase,
    pub suspended: bool,
    /// When the job was started (submitted), Unix seconds.
    pub started: i64,
    pub finished: Option<i64>,
    /// Now, Unix seconds (the last update of a running job).
    pub now: i64,
    pub subclient: SubclientEntry,
    pub level: String,
    pub task_id: u64,
    pub user: String,
}

#[derive(Debug)]
struct Inner {
    sessions: HashMap<String, Session>,
    jobs: HashMap<u64, Job>,
    next_task: u64,
    next_job: u64,
    bearer_expired: bool,
}

/// The shared state behind every handler (a cheap handle).
#[derive(Debug, Clone)]
pub(crate) struct State {
    inner: Arc<Mutex<Inner>>,
    pub options: Arc<EmulatorOptions>,
    /// Every client, agent, instance, backup set and subclient, with its ids.
    pub catalog: Arc<Catalog>,
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
            catalog: Arc::new(Catalog::new(&options.subclients)),
            options: Arc::new(options),
            scheduled: Counter::new(),
            logins: Counter::new(),
            renewals: Counter::new(),
            logouts: Counter::new(),
        }
    }

    /// Issues a new `QSDK` token for `user`.
    pub(crate) fn issue(&self, user: &str) -> String {
        let token = format!("QSDK {}", random_hex(48));
        lock(&self.inner).sessions.insert(
            token.clone(),
            Session {
                last_used: Instant::now(),
                expired: false,
                user: user.to_owned(),
            },
        );
        token
    }

    /// The user of a valid `QSDK` token.
    pub(crate) fn user_of(&self, token: &str) -> Option<String> {
        lock(&self.inner)
            .sessions
            .get(&session_key(token))
            .map(|session| session.user.clone())
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

    /// Ends a session; returns its user if it existed.
    pub(crate) fn revoke(&self, token: &str) -> Option<String> {
        lock(&self.inner)
            .sessions
            .remove(&session_key(token))
            .map(|session| session.user)
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

    /// Starts a job for `subclient` (task `task_id`, by `user`); returns its id.
    pub(crate) fn start_job(
        &self,
        subclient: SubclientEntry,
        level: String,
        task_id: u64,
        user: &str,
    ) -> u64 {
        let mut inner = lock(&self.inner);
        let id = inner.next_job;
        inner.next_job = inner.next_job.saturating_add(1);
        let job = Job {
            lifecycle: Lifecycle::new(self.shared.lifecycle()),
            suspended: false,
            subclient,
            level,
            task_id,
            user: user.to_owned(),
            accepted: Instant::now(),
        };
        inner.jobs.insert(id, job);
        self.shared.accepted().increment();
        id
    }

    /// Observes a job, as `GET Job/{id}` does (a suspended job does not move).
    pub(crate) fn observe(&self, id: &str) -> Option<JobView> {
        let id: u64 = id.parse().ok()?;
        let mut inner = lock(&self.inner);
        let job = inner.jobs.get_mut(&id)?;
        let phase = if job.suspended {
            job.lifecycle.peek()
        } else {
            job.lifecycle.observe()
        };
        Some(view(id, job, phase))
    }

    /// Looks at a job without moving it (`JobDetails`, the job list).
    pub(crate) fn peek(&self, id: u64) -> Option<JobView> {
        let inner = lock(&self.inner);
        let job = inner.jobs.get(&id)?;
        Some(view(id, job, job.lifecycle.peek()))
    }

    /// Every job, newest first, without moving them.
    pub(crate) fn jobs(&self) -> Vec<JobView> {
        let inner = lock(&self.inner);
        let mut jobs: Vec<JobView> = inner
            .jobs
            .iter()
            .map(|(id, job)| view(*id, job, job.lifecycle.peek()))
            .collect();
        jobs.sort_by_key(|job| std::cmp::Reverse(job.id));
        jobs
    }

    /// Applies a job control action; `Err` carries Commvault's refusal message.
    pub(crate) fn act(&self, id: &str, action: &str) -> Result<(), String> {
        let mut inner = lock(&self.inner);
        let Some(job) = id.parse().ok().and_then(|id: u64| inner.jobs.get_mut(&id)) else {
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

    /// The subclient a CreateTask association names (by its names, or by
    /// `subclientId`), if the CommServe has it.
    pub(crate) fn find_subclient(
        &self,
        association: &super::wire::AssociationIn,
    ) -> Option<SubclientEntry> {
        let matches = |wanted: &Option<String>, have: &str| {
            wanted
                .as_deref()
                .is_none_or(|w| w.eq_ignore_ascii_case(have))
        };
        let by_id = association
            .subclient_id
            .as_deref()
            .and_then(|id| id.trim().parse::<u64>().ok())
            .filter(|id| *id != 0);
        self.catalog
            .subclients
            .iter()
            .find(|entry| {
                let s = &entry.subclient;
                let named = association.client_name.is_some()
                    && association.subclient_name.is_some()
                    && matches(&association.client_name, &s.client_name)
                    && matches(&association.subclient_name, &s.subclient_name);
                let identified = by_id == Some(entry.subclient_id);
                (named || identified)
                    && matches(&association.instance_name, &s.instance_name)
                    && matches(&association.backupset_name, &s.backupset_name)
                    && matches(&association.app_name, &s.app_name)
            })
            .cloned()
    }
}

fn unix(at: time::OffsetDateTime) -> i64 {
    at.unix_timestamp()
}

/// A job as seen in `phase`.
fn view(id: u64, job: &Job, phase: Phase) -> JobView {
    JobView {
        id,
        phase,
        suspended: job.suspended,
        started: unix(job.lifecycle.created_at()),
        finished: job.lifecycle.finished_at().map(unix),
        now: unix(
            job.lifecycle.created_at()
                + time::Duration::try_from(job.lifecycle_elapsed()).unwrap_or_default(),
        ),
        subclient: job.subclient.clone(),
        level: job.level.clone(),
        task_id: job.task_id,
        user: job.user.clone(),
    }
}

impl Job {
    /// Time since the job was accepted, on the tokio clock (which a paused test clock
    /// moves).
    fn lifecycle_elapsed(&self) -> Duration {
        self.accepted.elapsed()
    }
}
