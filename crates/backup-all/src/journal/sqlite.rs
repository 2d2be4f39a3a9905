//! [`SqliteJournal`]: the journal in a SQLite file (the default: no server), on one
//! connection owned by a thread of its own that commits the steps of many targets
//! together ([`super::writer`]).

use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use rusqlite::types::ToSqlOutput;
use rusqlite::{CachedStatement, Connection, ToSql};

use super::record::{EventRecord, NewRun, Opened, RunRecord, RunSelect, TargetRecord, Update};
use super::sql::{self, Columns, Param, RunSteps, SQLITE, Sql, Statement, Statements};
use super::writer::{Writer, describe};
use super::{Journal, JournalError};

/// How long a write waits for another process's lock before failing.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

static STATEMENTS: LazyLock<Statements> = LazyLock::new(|| Statements::new(&SQLITE));

/// The names of the placeholders, by position.
const PLACEHOLDERS: [&str; 9] = ["$1", "$2", "$3", "$4", "$5", "$6", "$7", "$8", "$9"];

/// The run journal in a SQLite file (the default: no server).
///
/// One connection, on a thread of its own: the steps every loop of the run writes
/// meanwhile are committed together, and each caller goes on once its step is on disk
/// (`synchronous = FULL`, WAL).
#[derive(Debug, Clone)]
pub struct SqliteJournal {
    /// Shared with every job (an error names it), not copied per step.
    location: Arc<str>,
    writer: Arc<Writer>,
}

impl SqliteJournal {
    /// Opens (or creates, with its directory) the journal file at `path` and migrates
    /// it.
    ///
    /// # Errors
    /// [`JournalError::Open`] naming the file: it cannot be created, is not a SQLite
    /// database (corrupt, or another kind of file), is locked by another process
    /// beyond a few seconds, or was written by a newer version.
    pub async fn open(path: &Path) -> Result<Self, JournalError> {
        let location = path.display().to_string();
        let open_error = |message: String| JournalError::Open {
            location: location.clone(),
            message: open_message(message),
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| open_error(format!("cannot create {}: {e}", dir.display())))?;
        }
        let file = path.to_path_buf();
        let writer = Writer::start(location.as_str().into(), move || connect(&file))
            .await
            .map_err(open_error)?;
        let journal = Self {
            location: location.as_str().into(),
            writer: Arc::new(writer),
        };
        journal.migrate().await.map_err(|error| match error {
            JournalError::Store { message, .. } => open_error(message),
            other => other,
        })?;
        Ok(journal)
    }

    /// Applies every migration the journal lacks, in one transaction.
    async fn migrate(&self) -> Result<(), JournalError> {
        let location = Arc::clone(&self.location);
        self.call_checked(move |connection| {
            execute(connection, &query(Sql::CreateSchemaTable, vec![]))?;
            let version: Option<i64> = prepare(connection, &query(Sql::SchemaVersion, vec![]))?
                .raw_query()
                .next()?
                .map(|row| row.get(0))
                .transpose()?
                .flatten();
            let version = version.unwrap_or(0);
            if let Some(newer) = sql::newer_schema(&location, version) {
                return Ok(Err(newer));
            }
            for (version, migration) in sql::pending_migrations(version) {
                for statement in sql::migration_statements(migration.0) {
                    connection.execute(statement, [])?;
                }
                execute(
                    connection,
                    &query(Sql::RecordMigration, vec![version.into()]),
                )?;
            }
            Ok(Ok(()))
        })
        .await
    }

    /// Runs `work` on the journal's connection, in the next batch; database errors
    /// become [`JournalError::Store`].
    async fn call<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, JournalError> {
        self.call_checked(move |connection| work(connection).map(Ok))
            .await
    }

    /// Like [`Self::call`], for work that may also fail with a journal error of its
    /// own (which rolls its writes back like a database error).
    async fn call_checked<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> rusqlite::Result<Result<T, JournalError>> + Send + 'static,
    ) -> Result<T, JournalError> {
        let location = Arc::clone(&self.location);
        self.writer
            .call(move |connection| {
                work(connection).unwrap_or_else(|e| Err(store_error(&location, describe(&e))))
            })
            .await
    }

    fn store(&self, message: String) -> JournalError {
        store_error(&self.location, message)
    }

    /// The rows `statement` returns, each made into a record by `record`.
    async fn rows<T: Send + 'static>(
        &self,
        statement: Statement,
        record: fn(&rusqlite::Row<'_>) -> Result<T, String>,
    ) -> Result<Vec<T>, JournalError> {
        let rows = self
            .call(move |connection| {
                let mut prepared = prepare(connection, &statement)?;
                let mut rows = prepared.raw_query();
                let mut records = Vec::new();
                while let Some(row) = rows.next()? {
                    records.push(record(row));
                }
                Ok(records)
            })
            .await?;
        rows.into_iter()
            .map(|row| row.map_err(|message| self.store(message)))
            .collect()
    }
}

/// A read or write of the journal at `location` that failed.
fn store_error(location: &str, message: String) -> JournalError {
    JournalError::Store {
        location: location.to_owned(),
        message,
    }
}

/// Opens the file with the journal's settings.
fn connect(path: &PathBuf) -> Result<Connection, String> {
    let connection = Connection::open(path).map_err(|e| describe(&e))?;
    let set_up = || -> rusqlite::Result<()> {
        connection.busy_timeout(SQLITE_BUSY_TIMEOUT)?;
        // The journal mode is answered with a row.
        connection.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
        // Every step is on disk before its caller goes on.
        connection.pragma_update(None, "synchronous", "FULL")?;
        connection.pragma_update(None, "foreign_keys", "ON")?;
        Ok(())
    };
    set_up().map_err(|e| describe(&e))?;
    Ok(connection)
}

/// What an opening error means to the user: locked, not a journal, or as it is.
fn open_message(message: String) -> String {
    if message.contains("(code 26)") || message.contains("not a database") {
        format!("not a backupctl journal, or corrupt: {message}")
    } else if message.contains("(code 5)") || message.contains("locked") {
        format!(
            "locked by another process (waited {}s): {message}",
            SQLITE_BUSY_TIMEOUT.as_secs()
        )
    } else {
        message
    }
}

impl ToSql for Param {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        match self {
            Param::Text(text) => text.to_sql(),
            Param::OptText(text) => text.to_sql(),
            Param::Int(n) => n.to_sql(),
        }
    }
}

impl Columns for rusqlite::Row<'_> {
    fn text(&self, column: &str) -> Result<String, String> {
        self.get(column).map_err(|e| describe(&e))
    }

    fn opt_text(&self, column: &str) -> Result<Option<String>, String> {
        self.get(column).map_err(|e| describe(&e))
    }

    fn int(&self, column: &str) -> Result<i64, String> {
        self.get(column).map_err(|e| describe(&e))
    }

    fn opt_int(&self, column: &str) -> Result<Option<i64>, String> {
        self.get(column).map_err(|e| describe(&e))
    }
}

fn query(sql: Sql, params: Vec<Param>) -> Statement {
    Statement { sql, params }
}

/// `statement` prepared (from the connection's cache) with its parameters bound.
fn prepare<'c>(
    connection: &'c Connection,
    statement: &Statement,
) -> rusqlite::Result<CachedStatement<'c>> {
    let mut prepared = connection.prepare_cached(STATEMENTS.get(statement.sql))?;
    for (param, name) in statement.params.iter().zip(PLACEHOLDERS) {
        if let Some(index) = prepared.parameter_index(name)? {
            prepared.raw_bind_parameter(index, param)?;
        }
    }
    Ok(prepared)
}

/// Runs `statement`; how many rows it changed.
fn execute(connection: &Connection, statement: &Statement) -> rusqlite::Result<usize> {
    prepare(connection, statement)?.raw_execute()
}

/// The first row of `statement`, made into a record by `record`.
fn first_row<T>(
    connection: &Connection,
    statement: &Statement,
    record: impl FnOnce(&rusqlite::Row<'_>) -> T,
) -> rusqlite::Result<Option<T>> {
    let mut prepared = prepare(connection, statement)?;
    let mut rows = prepared.raw_query();
    Ok(rows.next()?.map(record))
}

#[async_trait::async_trait]
impl RunSteps for SqliteJournal {
    fn location(&self) -> &str {
        &self.location
    }

    async fn find_open_run(&self, plan_hash: &str) -> Result<Option<String>, JournalError> {
        let statement = query(Sql::FindOpenRun, vec![plan_hash.into()]);
        self.call(move |connection| {
            first_row(connection, &statement, |row| row.get(0))?.transpose()
        })
        .await
    }

    async fn write_if_changed(&self, statements: Vec<Statement>) -> Result<bool, JournalError> {
        self.call(move |connection| {
            let mut statements = statements.iter();
            let changed = match statements.next() {
                Some(first) => execute(connection, first)? > 0,
                None => false,
            };
            if changed {
                for statement in statements {
                    execute(connection, statement)?;
                }
            }
            Ok(changed)
        })
        .await
    }

    async fn write(&self, statements: Vec<Statement>) -> Result<(), JournalError> {
        self.call(move |connection| {
            for statement in &statements {
                execute(connection, statement)?;
            }
            Ok(())
        })
        .await
    }

    async fn run_record(&self, run_id: &str) -> Result<Option<RunRecord>, JournalError> {
        Ok(self
            .rows(query(Sql::Run, vec![run_id.into()]), |row| sql::run_of(row))
            .await?
            .pop())
    }
}

#[async_trait::async_trait]
impl Journal for SqliteJournal {
    fn location(&self) -> &str {
        &self.location
    }

    async fn open_run(
        &self,
        plan: &NewRun,
        select: &RunSelect,
        worker: &str,
    ) -> Result<Opened, JournalError> {
        sql::open_run(self, plan, select, worker).await
    }

    async fn claim(
        &self,
        run_id: &str,
        worker: &str,
        lease: Duration,
    ) -> Result<Option<TargetRecord>, JournalError> {
        let (run_id, worker) = (run_id.to_owned(), worker.to_owned());
        let location = Arc::clone(&self.location);
        self.call_checked(move |connection| {
            let claim = sql::claim(&run_id, &worker, lease);
            let Some(target) = first_row(connection, &claim, |row| sql::target_of(row))? else {
                return Ok(Ok(None));
            };
            let target = match target {
                Ok(target) => target,
                Err(message) => return Ok(Err(store_error(&location, message))),
            };
            execute(connection, &sql::claimed(&run_id, &worker, lease, &target))?;
            Ok(Ok(Some(target)))
        })
        .await
    }

    async fn renew(
        &self,
        run_id: &str,
        worker: &str,
        lease: Duration,
    ) -> Result<u64, JournalError> {
        let statement = query(
            Sql::Renew,
            vec![run_id.into(), worker.into(), sql::millis(lease).into()],
        );
        self.call(move |connection| execute(connection, &statement))
            .await
            .map(|n| n as u64)
    }

    async fn release(&self, run_id: &str, worker: &str) -> Result<u64, JournalError> {
        let statement = query(Sql::Release, vec![run_id.into(), worker.into()]);
        let (run_id, worker) = (run_id.to_owned(), worker.to_owned());
        self.call(move |connection| {
            let released = execute(connection, &statement)? as u64;
            if released > 0 {
                let detail = serde_json::json!({ "targets": released });
                execute(
                    connection,
                    &sql::event(&run_id, None, &worker, "released", &detail),
                )?;
            }
            Ok(released)
        })
        .await
    }

    async fn update(
        &self,
        run_id: &str,
        target: &str,
        worker: &str,
        update: &Update,
    ) -> Result<(), JournalError> {
        let [step, event] = sql::step(run_id, target, worker, update);
        let lost = JournalError::LostClaim {
            run_id: run_id.to_owned(),
            target: target.to_owned(),
            worker: worker.to_owned(),
        };
        self.call_checked(move |connection| {
            if execute(connection, &step)? == 0 {
                return Ok(Err(lost));
            }
            execute(connection, &event)?;
            Ok(Ok(()))
        })
        .await
    }

    async fn skip_pending(
        &self,
        run_id: &str,
        worker: &str,
        reason: &str,
    ) -> Result<u64, JournalError> {
        let skip = query(Sql::SkipPending, vec![run_id.into(), worker.into()]);
        let (run_id, worker) = (run_id.to_owned(), worker.to_owned());
        let detail = serde_json::json!({ "reason": reason });
        self.call(move |connection| {
            let mut names: Vec<String> = Vec::new();
            {
                let mut prepared = prepare(connection, &skip)?;
                let mut rows = prepared.raw_query();
                while let Some(row) = rows.next()? {
                    names.push(row.get(0)?);
                }
            }
            for name in &names {
                execute(
                    connection,
                    &sql::event(&run_id, Some(name), &worker, "skipped", &detail),
                )?;
            }
            Ok(names.len() as u64)
        })
        .await
    }

    async fn finish(&self, run_id: &str, worker: &str) -> Result<RunRecord, JournalError> {
        sql::finish(self, run_id, worker).await
    }

    async fn runs(&self, limit: u32) -> Result<Vec<RunRecord>, JournalError> {
        self.rows(query(Sql::Runs, vec![i64::from(limit).into()]), |row| {
            sql::run_of(row)
        })
        .await
    }

    async fn run(&self, run_id: &str) -> Result<Option<RunRecord>, JournalError> {
        self.run_record(run_id).await
    }

    async fn targets(&self, run_id: &str) -> Result<Vec<TargetRecord>, JournalError> {
        self.rows(query(Sql::Targets, vec![run_id.into()]), |row| {
            sql::target_of(row)
        })
        .await
    }

    async fn open_targets(&self, run_id: &str) -> Result<u64, JournalError> {
        let statement = query(Sql::OpenTargets, vec![run_id.into()]);
        let open: Option<i64> = self
            .call(move |connection| {
                first_row(connection, &statement, |row| row.get(0))?.transpose()
            })
            .await?;
        Ok(sql::count(open.unwrap_or(0)))
    }

    async fn events(&self, run_id: &str) -> Result<Vec<EventRecord>, JournalError> {
        self.rows(query(Sql::Events, vec![run_id.into()]), |row| {
            sql::event_of(row)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The statements every loop of a big run repeats find their rows through an
    /// index: none reads the run's targets one by one (a claim that found nothing
    /// once scanned every open target, at every idle loop's try).
    #[tokio::test]
    async fn the_hot_statements_search_indexes_and_scan_nothing() {
        let (_dir, path) = crate::journal::tests::temp_path("journal.sqlite");
        drop(SqliteJournal::open(&path).await.unwrap());
        let connection = Connection::open(&path).unwrap();
        for sql in [
            Sql::Claim,
            Sql::Renew,
            Sql::Intent,
            Sql::Observed,
            Sql::Ended,
            Sql::OpenTargets,
        ] {
            let mut plan = connection
                .prepare(&format!("EXPLAIN QUERY PLAN {}", STATEMENTS.get(sql)))
                .unwrap();
            // The parameters stay unbound: the plan does not depend on them.
            let mut rows = plan.raw_query();
            let mut steps: Vec<String> = Vec::new();
            while let Some(row) = rows.next().unwrap() {
                steps.push(row.get(3).unwrap());
            }
            assert!(
                steps.iter().all(|step| !step.starts_with("SCAN")),
                "{sql:?}: {steps:#?}"
            );
            if sql == Sql::Claim {
                // Each pick reads one row of its own index: the expired claims, then
                // the open targets with no owner or no lease.
                let picks: Vec<&String> = steps
                    .iter()
                    .filter(|step| step.starts_with("SEARCH backupctl_targets USING INDEX"))
                    .skip(1)
                    .collect();
                assert_eq!(picks.len(), 2, "{steps:#?}");
                assert!(
                    picks[0].contains("_leased (run_id=? AND lease_until<?)"),
                    "{steps:#?}"
                );
                assert!(picks[1].contains("_unleased (run_id=?)"), "{steps:#?}");
            }
        }
    }

    /// No write to a target builds a temporary b-tree to test its state against the
    /// open states (an IN list of three constants did, once for each partial index's
    /// condition at every claim and step): the claim's two are the sort of its expired
    /// claims by position and the row its `RETURNING` gives back.
    #[tokio::test]
    async fn the_hot_writes_build_no_temporary_b_tree_for_the_open_states() {
        let (_dir, path) = crate::journal::tests::temp_path("journal.sqlite");
        drop(SqliteJournal::open(&path).await.unwrap());
        let connection = Connection::open(&path).unwrap();
        for (sql, sorters) in [
            (Sql::Claim, 2),
            (Sql::Renew, 0),
            (Sql::Intent, 0),
            (Sql::Triggered, 0),
            (Sql::Observed, 0),
            (Sql::Ended, 0),
            (Sql::OpenTargets, 0),
        ] {
            let mut program = connection
                .prepare(&format!("EXPLAIN {}", STATEMENTS.get(sql)))
                .unwrap();
            let mut rows = program.raw_query();
            let mut ephemeral = 0;
            while let Some(row) = rows.next().unwrap() {
                let opcode: String = row.get(1).unwrap();
                if opcode == "OpenEphemeral" {
                    ephemeral += 1;
                }
            }
            assert_eq!(ephemeral, sorters, "{sql:?}");
        }
    }
}
