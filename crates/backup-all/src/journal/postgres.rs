//! [`PostgresJournal`]: the journal in PostgreSQL, for several hosts on one run
//! (claims under renewed leases, `FOR UPDATE SKIP LOCKED`).

use std::sync::LazyLock;
use std::time::Duration;

use sqlx::Row;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::Query;

use super::record::{EventRecord, NewRun, Opened, RunRecord, RunSelect, TargetRecord, Update};
use super::sql::{self, Columns, POSTGRES, Param, RunSteps, Sql, Statement, Statements};
use super::{Journal, JournalError};

static STATEMENTS: LazyLock<Statements> = LazyLock::new(|| Statements::new(&POSTGRES));

/// The run journal in PostgreSQL: several hosts share a run.
#[derive(Debug, Clone)]
pub struct PostgresJournal {
    location: String,
    pool: sqlx::PgPool,
}

impl PostgresJournal {
    /// Connects to `url` (`postgres://user:password@host/db`; TLS as its `sslmode`
    /// says, through rustls) and migrates the schema.
    ///
    /// # Errors
    /// [`JournalError::Open`] naming the URL without its password.
    pub async fn connect(url: &str) -> Result<Self, JournalError> {
        let location = redact(url);
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(15))
            .connect(url)
            .await
            .map_err(|e| JournalError::Open {
                location: location.clone(),
                message: describe(&e),
            })?;
        let journal = Self { location, pool };
        journal.migrate().await?;
        Ok(journal)
    }

    fn store_error(&self, error: &sqlx::Error) -> JournalError {
        JournalError::Store {
            location: self.location.clone(),
            message: describe(error),
        }
    }

    fn record<T>(&self, record: Result<T, String>) -> Result<T, JournalError> {
        record.map_err(|message| JournalError::Store {
            location: self.location.clone(),
            message,
        })
    }

    /// The rows `statement` returns, each made into a record by `record`.
    async fn rows<T>(
        &self,
        statement: Statement,
        record: impl Fn(&PgRow) -> Result<T, String>,
    ) -> Result<Vec<T>, JournalError> {
        let rows = query(&statement)
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.store_error(&e))?;
        rows.iter().map(|row| self.record(record(row))).collect()
    }

    /// Applies every migration the journal lacks, in one transaction; hosts starting
    /// together migrate one after the other.
    async fn migrate(&self) -> Result<(), JournalError> {
        let open_error = |e: sqlx::Error| JournalError::Open {
            location: self.location.clone(),
            message: describe(&e),
        };
        let mut tx = self.pool.begin().await.map_err(open_error)?;
        sqlx::query("SELECT pg_advisory_xact_lock(72170018)")
            .execute(&mut *tx)
            .await
            .map_err(open_error)?;
        sqlx::query(STATEMENTS.get(Sql::CreateSchemaTable))
            .execute(&mut *tx)
            .await
            .map_err(open_error)?;
        let version: Option<i64> = sqlx::query_scalar(STATEMENTS.get(Sql::SchemaVersion))
            .fetch_one(&mut *tx)
            .await
            .map_err(open_error)?;
        let version = version.unwrap_or(0);
        if let Some(newer) = sql::newer_schema(&self.location, version) {
            return Err(newer);
        }
        for (version, migration) in sql::pending_migrations(version) {
            for statement in sql::migration_statements(migration.1) {
                sqlx::query(statement)
                    .execute(&mut *tx)
                    .await
                    .map_err(open_error)?;
            }
            let record = Statement {
                sql: Sql::RecordMigration,
                params: vec![version.into()],
            };
            query(&record).execute(&mut *tx).await.map_err(open_error)?;
        }
        tx.commit().await.map_err(open_error)
    }
}

/// `statement` with its parameters bound.
fn query(statement: &Statement) -> Query<'_, sqlx::Postgres, PgArguments> {
    statement.params.iter().fold(
        sqlx::query(STATEMENTS.get(statement.sql)),
        |query, param| match param {
            Param::Text(text) => query.bind(text.as_str()),
            Param::OptText(text) => query.bind(text.as_deref()),
            Param::Int(n) => query.bind(*n),
        },
    )
}

fn by(sql: Sql, params: Vec<Param>) -> Statement {
    Statement { sql, params }
}

impl Columns for PgRow {
    fn text(&self, column: &str) -> Result<String, String> {
        self.try_get(column).map_err(|e| describe(&e))
    }

    fn opt_text(&self, column: &str) -> Result<Option<String>, String> {
        self.try_get(column).map_err(|e| describe(&e))
    }

    fn int(&self, column: &str) -> Result<i64, String> {
        self.try_get(column).map_err(|e| describe(&e))
    }

    fn opt_int(&self, column: &str) -> Result<Option<i64>, String> {
        self.try_get(column).map_err(|e| describe(&e))
    }
}

#[async_trait::async_trait]
impl RunSteps for PostgresJournal {
    fn location(&self) -> &str {
        &self.location
    }

    async fn find_open_run(&self, plan_hash: &str) -> Result<Option<String>, JournalError> {
        let statement = by(Sql::FindOpenRun, vec![plan_hash.into()]);
        query(&statement)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| self.store_error(&e))?
            .map(|row| self.record(row.text("id")))
            .transpose()
    }

    async fn write_if_changed(&self, statements: Vec<Statement>) -> Result<bool, JournalError> {
        let store = |e: sqlx::Error| self.store_error(&e);
        let mut tx = self.pool.begin().await.map_err(store)?;
        let mut statements = statements.iter();
        let changed = match statements.next() {
            Some(first) => {
                query(first)
                    .execute(&mut *tx)
                    .await
                    .map_err(store)?
                    .rows_affected()
                    > 0
            }
            None => false,
        };
        if changed {
            for statement in statements {
                query(statement).execute(&mut *tx).await.map_err(store)?;
            }
        }
        tx.commit().await.map_err(store)?;
        Ok(changed)
    }

    async fn write(&self, statements: Vec<Statement>) -> Result<(), JournalError> {
        let store = |e: sqlx::Error| self.store_error(&e);
        let mut tx = self.pool.begin().await.map_err(store)?;
        for statement in &statements {
            query(statement).execute(&mut *tx).await.map_err(store)?;
        }
        tx.commit().await.map_err(store)
    }

    async fn run_record(&self, run_id: &str) -> Result<Option<RunRecord>, JournalError> {
        let statement = by(Sql::Run, vec![run_id.into()]);
        query(&statement)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| self.store_error(&e))?
            .map(|row| self.record(sql::run_of(&row)))
            .transpose()
    }
}

#[async_trait::async_trait]
impl Journal for PostgresJournal {
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
        let store = |e: sqlx::Error| self.store_error(&e);
        let mut tx = self.pool.begin().await.map_err(store)?;
        let claim = sql::claim(run_id, worker, lease);
        let row = query(&claim)
            .fetch_optional(&mut *tx)
            .await
            .map_err(store)?;
        let Some(row) = row else {
            tx.commit().await.map_err(store)?;
            return Ok(None);
        };
        let target = self.record(sql::target_of(&row))?;
        query(&sql::claimed(run_id, worker, lease, &target))
            .execute(&mut *tx)
            .await
            .map_err(store)?;
        tx.commit().await.map_err(store)?;
        Ok(Some(target))
    }

    async fn renew(
        &self,
        run_id: &str,
        worker: &str,
        lease: Duration,
    ) -> Result<u64, JournalError> {
        let statement = by(
            Sql::Renew,
            vec![run_id.into(), worker.into(), sql::millis(lease).into()],
        );
        query(&statement)
            .execute(&self.pool)
            .await
            .map(|done| done.rows_affected())
            .map_err(|e| self.store_error(&e))
    }

    async fn release(&self, run_id: &str, worker: &str) -> Result<u64, JournalError> {
        let store = |e: sqlx::Error| self.store_error(&e);
        let statement = by(Sql::Release, vec![run_id.into(), worker.into()]);
        let released = query(&statement)
            .execute(&self.pool)
            .await
            .map_err(store)?
            .rows_affected();
        if released > 0 {
            let detail = serde_json::json!({ "targets": released });
            query(&sql::event(run_id, None, worker, "released", &detail))
                .execute(&self.pool)
                .await
                .map_err(store)?;
        }
        Ok(released)
    }

    async fn update(
        &self,
        run_id: &str,
        target: &str,
        worker: &str,
        update: &Update,
    ) -> Result<(), JournalError> {
        let store = |e: sqlx::Error| self.store_error(&e);
        let [step, event] = sql::step(run_id, target, worker, update);
        let mut tx = self.pool.begin().await.map_err(store)?;
        let changed = query(&step)
            .execute(&mut *tx)
            .await
            .map_err(store)?
            .rows_affected();
        if changed == 0 {
            return Err(JournalError::LostClaim {
                run_id: run_id.to_owned(),
                target: target.to_owned(),
                worker: worker.to_owned(),
            });
        }
        query(&event).execute(&mut *tx).await.map_err(store)?;
        tx.commit().await.map_err(store)
    }

    async fn skip_pending(
        &self,
        run_id: &str,
        worker: &str,
        reason: &str,
    ) -> Result<u64, JournalError> {
        let store = |e: sqlx::Error| self.store_error(&e);
        let mut tx = self.pool.begin().await.map_err(store)?;
        let skip = by(Sql::SkipPending, vec![run_id.into(), worker.into()]);
        let rows = query(&skip).fetch_all(&mut *tx).await.map_err(store)?;
        let detail = serde_json::json!({ "reason": reason });
        for row in &rows {
            let name = self.record(row.text("name"))?;
            query(&sql::event(run_id, Some(&name), worker, "skipped", &detail))
                .execute(&mut *tx)
                .await
                .map_err(store)?;
        }
        tx.commit().await.map_err(store)?;
        Ok(rows.len() as u64)
    }

    async fn finish(&self, run_id: &str, worker: &str) -> Result<RunRecord, JournalError> {
        sql::finish(self, run_id, worker).await
    }

    async fn runs(&self, limit: u32) -> Result<Vec<RunRecord>, JournalError> {
        self.rows(by(Sql::Runs, vec![i64::from(limit).into()]), |row| {
            sql::run_of(row)
        })
        .await
    }

    async fn run(&self, run_id: &str) -> Result<Option<RunRecord>, JournalError> {
        self.run_record(run_id).await
    }

    async fn targets(&self, run_id: &str) -> Result<Vec<TargetRecord>, JournalError> {
        self.rows(by(Sql::Targets, vec![run_id.into()]), |row| {
            sql::target_of(row)
        })
        .await
    }

    async fn open_targets(&self, run_id: &str) -> Result<u64, JournalError> {
        let statement = by(Sql::OpenTargets, vec![run_id.into()]);
        let row = query(&statement)
            .fetch_one(&self.pool)
            .await
            .map_err(|e| self.store_error(&e))?;
        let open: i64 = row.try_get(0).map_err(|e| self.store_error(&e))?;
        Ok(sql::count(open))
    }

    async fn events(&self, run_id: &str) -> Result<Vec<EventRecord>, JournalError> {
        self.rows(by(Sql::Events, vec![run_id.into()]), |row| {
            sql::event_of(row)
        })
        .await
    }
}

/// A database error in a sentence, without the connection string.
fn describe(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Database(db) => {
            let code = db
                .code()
                .map(|c| format!(" (code {c})"))
                .unwrap_or_default();
            format!("{}{code}", db.message())
        }
        sqlx::Error::PoolTimedOut => "timed out waiting for a database connection".to_owned(),
        other => other.to_string(),
    }
}

/// `url` without its password (and as given when it does not parse).
#[must_use]
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("***"));
            }
            parsed.to_string()
        }
        Err(_) => "a PostgreSQL URL that does not parse".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact("postgres://backup:s3cret@db.example:5432/runs"),
            "postgres://backup:***@db.example:5432/runs"
        );
        assert_eq!(redact("postgres://db/runs"), "postgres://db/runs");
        assert!(!redact("postgres://u:s3cret@[bad").contains("s3cret"));
    }
}
