//! The run journal (feature `journal`): a plan run that survives a kill, never triggers
//! a target twice, and can be shared by several hosts.
//!
//! Everything a run does is written before and after each step: the run (plan path and
//! content hash, settings, start, end, outcome), each target's intent to trigger
//! before the request is sent (with the vendor's idempotency key, where it has one),
//! the operation references as soon as the answer arrives, every state change seen
//! while waiting, and the final outcome with what was produced.
//!
//! - [`Journal`] is the store: [`SqliteJournal`] (a file, the default: no server) and
//!   [`PostgresJournal`] (several hosts on one run: claims under renewed leases, `FOR
//!   UPDATE SKIP LOCKED`). [`open`] picks one from a path or a `postgres://` URL.
//!   Schema migrations are versioned and run on open; a journal written by an older
//!   version opens, a corrupt or locked file is a [`JournalError::Open`] naming it.
//! - [`crate::plan::PreparedPlan::run_journaled`] runs a plan's targets through a journal:
//!   a target already ended is not touched, a target with recorded references is
//!   waited on from them (never triggered again), and a target whose trigger was sent
//!   but whose answer never came is resolved through the vendor
//!   (backup-core's `BackupClient::recover_trigger`), else ended `outcome_unknown`.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use backup_all::journal::{self, NewRun, RunSelect, WorkerOptions};
//!
//! let plan = backup_all::Plan::from_path("backups.toml")?;
//! let journal = journal::open(".backupctl/journal.sqlite").await?;
//! let worker = WorkerOptions::default();
//! let opened = journal
//!     .open_run(&NewRun::of_plan(&plan)?, &RunSelect::ResumeOrNew, &worker.worker)
//!     .await?;
//! let report = plan
//!     .prepare()?
//!     .run_journaled(&*journal, &opened.run.id, &worker, &|_, _| {}, std::future::pending())
//!     .await?;
//! println!("run {} succeeded: {}", opened.run.id, report.is_success());
//! # Ok(())
//! # }
//! ```

mod lookout;
mod pacing;
mod postgres;
mod record;
mod run;
mod sql;
mod sqlite;
mod writer;

pub use postgres::PostgresJournal;
pub use record::{
    ErrorRecord, EventRecord, NewRun, Opened, Opening, RunRecord, RunSelect, TargetRecord,
    TargetState, Update,
};
pub use run::WorkerOptions;
pub use sql::SCHEMA_VERSION;
pub use sqlite::SqliteJournal;

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// How long a claim on a target lasts unless its worker renews it (every third of it).
pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);

/// The journal file's name under `.backupctl/`, next to the plan by default.
pub const DEFAULT_FILE: &str = "journal.sqlite";

/// The environment variable that names the journal when `--state` is not given.
pub const STATE_ENV: &str = "BACKUPCTL_STATE";

/// Something the journal could not do. Each names the journal (a file path, or a
/// PostgreSQL URL without its password).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// The journal cannot be opened: unreachable, locked, corrupt, not a journal, or
    /// written by a newer version. Nothing was run.
    #[error("journal {location}: {message}")]
    Open {
        /// The file or URL.
        location: String,
        /// What is wrong and what to do.
        message: String,
    },
    /// A read or write failed.
    #[error("journal {location}: {message}")]
    Store {
        /// The file or URL.
        location: String,
        /// What failed.
        message: String,
    },
    /// `--run-id` names a run of another plan (another content hash).
    #[error(
        "journal {location}: run {run_id} is a run of another plan ({plan_path}, sha256 \
         {plan_hash}); give another run id or run that plan"
    )]
    RunOfAnotherPlan {
        /// The file or URL.
        location: String,
        /// The run.
        run_id: String,
        /// The plan it runs.
        plan_path: String,
        /// That plan's content hash.
        plan_hash: String,
    },
    /// No run has this id.
    #[error("journal {location}: no run {run_id}")]
    NoSuchRun {
        /// The file or URL.
        location: String,
        /// The run asked for.
        run_id: String,
    },
    /// The target is no longer claimed by this worker (its lease expired and another
    /// worker took it over): this worker leaves it alone.
    #[error("target {target} of run {run_id} is no longer claimed by worker {worker}")]
    LostClaim {
        /// The run.
        run_id: String,
        /// The target.
        target: String,
        /// This worker.
        worker: String,
    },
    /// The plan's targets differ from the run's: the run has a target the plan does
    /// not (a run id given with another plan).
    #[error("run {run_id} has a target {target} that the plan does not have")]
    UnknownTarget {
        /// The run.
        run_id: String,
        /// The target.
        target: String,
    },
}

/// The journal's store: the runs, their targets and every event, on SQLite or
/// PostgreSQL. Every method is one or a few statements; a write on a target is made
/// only while this worker holds its claim ([`JournalError::LostClaim`] otherwise).
#[async_trait::async_trait]
pub trait Journal: Send + Sync + fmt::Debug {
    /// The file or URL (without password), for messages.
    fn location(&self) -> &str;

    /// Creates, resumes or joins a run of `plan` as `select` says.
    ///
    /// # Errors
    /// [`JournalError::RunOfAnotherPlan`] when a run id names another plan's run;
    /// [`JournalError::Store`].
    async fn open_run(
        &self,
        plan: &NewRun,
        select: &RunSelect,
        worker: &str,
    ) -> Result<Opened, JournalError>;

    /// Claims a target of the run that is not ended and not claimed under a live
    /// lease, for `lease`; `None` when there is none. Which one: first a target whose
    /// claim has expired or was released (a dead worker's target comes back once its
    /// lease has expired: it may be a backup running with nobody watching it), lowest
    /// position first; else the first target with no owner or no lease (nobody has
    /// claimed it), in plan order.
    ///
    /// # Errors
    /// [`JournalError::Store`].
    async fn claim(
        &self,
        run_id: &str,
        worker: &str,
        lease: Duration,
    ) -> Result<Option<TargetRecord>, JournalError>;

    /// Renews every claim `worker` holds in the run; how many.
    ///
    /// # Errors
    /// [`JournalError::Store`].
    async fn renew(&self, run_id: &str, worker: &str, lease: Duration)
    -> Result<u64, JournalError>;

    /// Gives up every claim `worker` holds on targets not ended, so that another worker
    /// may take them over at once; how many.
    ///
    /// # Errors
    /// [`JournalError::Store`].
    async fn release(&self, run_id: &str, worker: &str) -> Result<u64, JournalError>;

    /// Records a step of a target `worker` holds, with its event.
    ///
    /// # Errors
    /// [`JournalError::LostClaim`] when the worker no longer holds the target (or the
    /// target is not in the state the step follows); [`JournalError::Store`].
    async fn update(
        &self,
        run_id: &str,
        target: &str,
        worker: &str,
        update: &Update,
    ) -> Result<(), JournalError>;

    /// Ends every target of the run that nobody has started, as `skipped` (fail-fast,
    /// or the deadline passed); how many.
    ///
    /// # Errors
    /// [`JournalError::Store`].
    async fn skip_pending(
        &self,
        run_id: &str,
        worker: &str,
        reason: &str,
    ) -> Result<u64, JournalError>;

    /// Ends the run when every target has ended (its outcome: `succeeded` when every
    /// target did, else `failed`); the run as it stands.
    ///
    /// # Errors
    /// [`JournalError::NoSuchRun`]; [`JournalError::Store`].
    async fn finish(&self, run_id: &str, worker: &str) -> Result<RunRecord, JournalError>;

    /// The newest runs first, at most `limit`.
    ///
    /// # Errors
    /// [`JournalError::Store`].
    async fn runs(&self, limit: u32) -> Result<Vec<RunRecord>, JournalError>;

    /// One run.
    ///
    /// # Errors
    /// [`JournalError::Store`].
    async fn run(&self, run_id: &str) -> Result<Option<RunRecord>, JournalError>;

    /// The run's targets, in plan order.
    ///
    /// # Errors
    /// [`JournalError::Store`].
    async fn targets(&self, run_id: &str) -> Result<Vec<TargetRecord>, JournalError>;

    /// How many of the run's targets have not ended (a count, without reading them:
    /// what an idle worker asks while others hold the last targets).
    ///
    /// # Errors
    /// [`JournalError::Store`].
    async fn open_targets(&self, run_id: &str) -> Result<u64, JournalError> {
        let targets = self.targets(run_id).await?;
        Ok(targets.iter().filter(|t| !t.state.is_ended()).count() as u64)
    }

    /// Every event of the run, oldest first.
    ///
    /// # Errors
    /// [`JournalError::Store`].
    async fn events(&self, run_id: &str) -> Result<Vec<EventRecord>, JournalError>;
}

/// Whether `state` names a PostgreSQL journal (`postgres://` or `postgresql://`).
#[must_use]
pub fn is_postgres(state: &str) -> bool {
    state.starts_with("postgres://") || state.starts_with("postgresql://")
}

/// Opens the journal `state` names: a `postgres://` URL, else a SQLite file (created
/// with its directory when missing). Migrations run first.
///
/// # Errors
/// [`JournalError::Open`] naming the file or URL.
pub async fn open(state: impl AsRef<str>) -> Result<Arc<dyn Journal>, JournalError> {
    let state = state.as_ref();
    if is_postgres(state) {
        Ok(Arc::new(PostgresJournal::connect(state).await?))
    } else {
        Ok(Arc::new(SqliteJournal::open(Path::new(state)).await?))
    }
}

/// Opens an existing journal only: a SQLite file that does not exist is
/// [`JournalError::Open`] rather than a new, empty journal (for reading runs).
///
/// # Errors
/// [`JournalError::Open`] naming the file or URL.
pub async fn open_existing(state: impl AsRef<str>) -> Result<Arc<dyn Journal>, JournalError> {
    let state = state.as_ref();
    if !is_postgres(state) && !Path::new(state).exists() {
        return Err(JournalError::Open {
            location: state.to_owned(),
            message: "no journal here (no run has been recorded with this state)".to_owned(),
        });
    }
    open(state).await
}

#[cfg(test)]
mod tests;
