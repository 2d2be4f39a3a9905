//! The run journal of `backupctl run`: which journal, which run, and the run through it
//! (backup-all's `journal`; docs/runs.md).

use std::path::{Path, PathBuf};

use backup_all::journal::{
    self, DEFAULT_FILE, Journal, JournalError, NewRun, Opening, RunSelect, WorkerOptions,
};
use backup_all::plan::{Observer, PreparedPlan};
use backup_all::run::StopSignal;
use backup_all::{Plan, RunReport};

use crate::cli::JournalArgs;
use crate::exit::Exit;
use crate::output::Printer;

/// The journal `state` names, else the default one next to `plan` (or here).
pub fn state_of(state: Option<&str>, plan: Option<&Path>) -> String {
    if let Some(state) = state.filter(|s| !s.trim().is_empty()) {
        return state.to_owned();
    }
    let dir = plan
        .and_then(Path::parent)
        .map_or_else(PathBuf::new, Path::to_path_buf);
    dir.join(".backupctl")
        .join(DEFAULT_FILE)
        .display()
        .to_string()
}

/// Exit 2 for a journal that cannot be opened (nothing ran), 5 otherwise.
pub fn fail(error: &JournalError) -> Exit {
    Printer::stderr(&format!("error: {error}"));
    match error {
        JournalError::Open { .. }
        | JournalError::RunOfAnotherPlan { .. }
        | JournalError::NoSuchRun { .. } => Exit::Usage,
        _ => Exit::Api,
    }
}

/// Opens the journal, opens the run (saying on stderr when it resumes or joins one)
/// and runs the plan through it; the report carries the run id.
pub async fn run(
    prepared: &PreparedPlan,
    plan: &Plan,
    args: &JournalArgs,
    plan_path: &Path,
    observer: Observer<'_>,
    mut interrupt: StopSignal,
) -> Result<RunReport, Exit> {
    let new_run = NewRun::of_plan(plan).map_err(|errors| {
        for error in &errors.0 {
            Printer::stderr(&format!("error: {error}"));
        }
        Exit::Usage
    })?;
    let state = state_of(args.state.as_deref(), Some(plan_path));
    let journal = journal::open(&state).await.map_err(|e| fail(&e))?;
    let worker = WorkerOptions::default().lease(args.lease);
    let select = match (&args.run_id, args.new_run) {
        (Some(id), _) => RunSelect::Id(id.clone()),
        (None, true) => RunSelect::New,
        (None, false) => RunSelect::ResumeOrNew,
    };
    let opened = journal
        .open_run(&new_run, &select, &worker.worker)
        .await
        .map_err(|e| fail(&e))?;
    announce(&*journal, &opened.run, opened.how);
    prepared
        .run_journaled(&*journal, &opened.run.id, &worker, observer, async move {
            interrupt.interrupted().await;
        })
        .await
        .map_err(|e| fail(&e))
}

/// Says on stderr which run this is when it is not a fresh one.
fn announce(journal: &dyn Journal, run: &journal::RunRecord, how: Opening) {
    let started = run
        .started_at
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    match how {
        Opening::Created => tracing::info!(run = %run.id, journal = journal.location(), "new run"),
        Opening::Resumed => Printer::stderr(&format!(
            "resuming run {} of {} (started {started}; {} of {} targets ended): targets \
             done are not touched, recorded backups are waited on, not triggered again \
             (--new-run starts a fresh run)",
            run.id, run.plan_path, run.ended, run.targets
        )),
        Opening::Joined if run.ended_at.is_some() => Printer::stderr(&format!(
            "run {} has already ended ({}); reporting it",
            run.id,
            run.outcome.as_deref().unwrap_or("?")
        )),
        Opening::Joined => Printer::stderr(&format!(
            "joining run {} (started {started}; {} of {} targets ended)",
            run.id, run.ended, run.targets
        )),
    }
}
