//! [`SqliteJournal`] and [`PostgresJournal`]: one set of statements, two dialects.
//!
//! Times are Unix milliseconds (`BIGINT`), taken from the database's clock (leases are
//! compared on one clock whatever the hosts' clocks say); JSON is kept as text.
//! Placeholders are `$1`, `$2` ... in both dialects.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use backup_core::Operation;
use serde_json::Value;
use sqlx::Row;
use time::OffsetDateTime;

use super::record::{
    ErrorRecord, EventRecord, NewRun, Opened, Opening, RunRecord, RunSelect, TargetRecord,
    TargetState, Update,
};
use super::{Journal, JournalError};

/// The schema version this build writes; older journals are migrated on open.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The migrations, in order: (`SQLite`, `PostgreSQL`). Version N is `MIGRATIONS[N-1]`.
/// Never edit one that has shipped: add the next.
pub(super) const MIGRATIONS: [(&str, &str); 3] = [
    (
        // 1: runs, targets, events.
        "CREATE TABLE backupctl_runs (
            id TEXT PRIMARY KEY,
            plan_path TEXT NOT NULL,
            plan_hash TEXT NOT NULL,
            settings TEXT NOT NULL,
            created_by TEXT NOT NULL,
            started_at INTEGER NOT NULL,
            ended_at INTEGER,
            outcome TEXT
        );
        CREATE INDEX backupctl_runs_plan ON backupctl_runs (plan_hash, ended_at);
        CREATE TABLE backupctl_targets (
            run_id TEXT NOT NULL REFERENCES backupctl_runs (id),
            name TEXT NOT NULL,
            position INTEGER NOT NULL,
            vendor TEXT NOT NULL,
            state TEXT NOT NULL,
            owner TEXT,
            previous_owner TEXT,
            lease_until INTEGER,
            claims INTEGER NOT NULL DEFAULT 0,
            idempotency_key TEXT,
            intent_at INTEGER,
            operations TEXT NOT NULL DEFAULT '[]',
            error TEXT,
            updated_at INTEGER NOT NULL,
            ended_at INTEGER,
            PRIMARY KEY (run_id, name)
        );
        CREATE TABLE backupctl_events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id TEXT NOT NULL,
            target TEXT,
            at INTEGER NOT NULL,
            worker TEXT,
            kind TEXT NOT NULL,
            detail TEXT NOT NULL
        );
        CREATE INDEX backupctl_events_run ON backupctl_events (run_id, id);",
        "CREATE TABLE backupctl_runs (
            id TEXT PRIMARY KEY,
            plan_path TEXT NOT NULL,
            plan_hash TEXT NOT NULL,
            settings TEXT NOT NULL,
            created_by TEXT NOT NULL,
            started_at BIGINT NOT NULL,
            ended_at BIGINT,
            outcome TEXT
        );
        CREATE INDEX backupctl_runs_plan ON backupctl_runs (plan_hash, ended_at);
        CREATE TABLE backupctl_targets (
            run_id TEXT NOT NULL REFERENCES backupctl_runs (id),
            name TEXT NOT NULL,
            position BIGINT NOT NULL,
            vendor TEXT NOT NULL,
            state TEXT NOT NULL,
            owner TEXT,
            previous_owner TEXT,
            lease_until BIGINT,
            claims BIGINT NOT NULL DEFAULT 0,
            idempotency_key TEXT,
            intent_at BIGINT,
            operations TEXT NOT NULL DEFAULT '[]',
            error TEXT,
            updated_at BIGINT NOT NULL,
            ended_at BIGINT,
            PRIMARY KEY (run_id, name)
        );
        CREATE TABLE backupctl_events (
            id BIGSERIAL PRIMARY KEY,
            run_id TEXT NOT NULL,
            target TEXT,
            at BIGINT NOT NULL,
            worker TEXT,
            kind TEXT NOT NULL,
            detail TEXT NOT NULL
        );
        CREATE INDEX backupctl_events_run ON backupctl_events (run_id, id);",
    ),
    (
        // 2: how a trigger whose answer was lost was resolved.
        "ALTER TABLE backupctl_targets ADD COLUMN recovery TEXT;",
        "ALTER TABLE backupctl_targets ADD COLUMN recovery TEXT;",
    ),
    (
        // 3: a claim finds its target through an index instead of reading every
        // target of the run (claims were quadratic in the run's size).
        CLAIM_INDEXES,
        CLAIM_INDEXES,
    ),
];

/// Migration 3 (the same in both dialects): the claimed targets not ended by the end
/// of their lease (expired claims are found by a range), the targets nobody has claimed
/// yet in plan order, and the targets not ended in plan order.
const CLAIM_INDEXES: &str = "CREATE INDEX backupctl_targets_leased ON backupctl_targets \
       (run_id, lease_until) \
       WHERE state IN ('pending', 'triggering', 'waiting') AND owner IS NOT NULL;
    CREATE INDEX backupctl_targets_unclaimed ON backupctl_targets (run_id, position) \
       WHERE state = 'pending' AND owner IS NULL;
    CREATE INDEX backupctl_targets_open ON backupctl_targets (run_id, position) \
       WHERE state IN ('pending', 'triggering', 'waiting');";

/// What differs between the two dialects.
struct Dialect {
    /// The database's clock in Unix milliseconds.
    now: &'static str,
    /// After the claim's `SELECT ... LIMIT 1`.
    lock: &'static str,
}

const SQLITE: Dialect = Dialect {
    now: "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)",
    // SQLite runs one writer at a time: the claim's single statement is atomic.
    lock: "",
};

const POSTGRES: Dialect = Dialect {
    now: "(CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT))",
    lock: "FOR UPDATE SKIP LOCKED",
};

/// Targets not ended.
const OPEN_STATES: &str = "('pending', 'triggering', 'waiting')";

const TARGET_COLUMNS: &str = "name, position, vendor, state, owner, previous_owner, lease_until, \
     claims, idempotency_key, intent_at, recovery, operations, error, updated_at, ended_at";

const RUN_COLUMNS: &str = "r.id, r.plan_path, r.plan_hash, r.settings, r.created_by, \
     r.started_at, r.ended_at, r.outcome, \
     (SELECT COUNT(*) FROM backupctl_targets t WHERE t.run_id = r.id) AS n_targets, \
     (SELECT COUNT(*) FROM backupctl_targets t WHERE t.run_id = r.id \
        AND t.state NOT IN ('pending', 'triggering', 'waiting')) AS n_ended, \
     (SELECT COUNT(*) FROM backupctl_targets t WHERE t.run_id = r.id \
        AND t.state = 'succeeded') AS n_succeeded";

fn time_of(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

fn json_text<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

/// A new run id: the time and a random suffix (`20261202T153521Z-4f2a9c`), so ids sort
/// by time.
fn new_run_id() -> String {
    let now = OffsetDateTime::now_utc();
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z-{}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        &suffix[..6]
    )
}

/// Generates the [`Journal`] implementation of one dialect: the statements are the
/// same, the row and pool types differ.
macro_rules! sql_journal {
    ($journal:ident, $db:ty, $row:ty, $dialect:expr) => {
        impl $journal {
            fn store_error(&self, error: &sqlx::Error) -> JournalError {
                JournalError::Store {
                    location: self.location.clone(),
                    message: describe(error),
                }
            }

            fn sql(text: &str) -> String {
                text.replace("{now}", $dialect.now)
                    .replace("{lock}", $dialect.lock)
                    .replace("{open}", OPEN_STATES)
                    .replace("{target_columns}", TARGET_COLUMNS)
                    .replace("{run_columns}", RUN_COLUMNS)
            }

            fn run_of(&self, row: &$row) -> Result<RunRecord, JournalError> {
                let get = || -> Result<RunRecord, sqlx::Error> {
                    let settings: String = row.try_get("settings")?;
                    Ok(RunRecord {
                        id: row.try_get("id")?,
                        plan_path: row.try_get("plan_path")?,
                        plan_hash: row.try_get("plan_hash")?,
                        settings: serde_json::from_str(&settings).unwrap_or(Value::Null),
                        created_by: row.try_get("created_by")?,
                        started_at: time_of(row.try_get("started_at")?),
                        ended_at: row.try_get::<Option<i64>, _>("ended_at")?.map(time_of),
                        outcome: row.try_get("outcome")?,
                        targets: count(row.try_get("n_targets")?),
                        ended: count(row.try_get("n_ended")?),
                        succeeded: count(row.try_get("n_succeeded")?),
                    })
                };
                get().map_err(|e| self.store_error(&e))
            }

            fn target_of(&self, row: &$row) -> Result<TargetRecord, JournalError> {
                let get = || -> Result<TargetRecord, String> {
                    let e = |e: sqlx::Error| describe(&e);
                    let state: String = row.try_get("state").map_err(e)?;
                    let operations: String = row.try_get("operations").map_err(e)?;
                    let error: Option<String> = row.try_get("error").map_err(e)?;
                    Ok(TargetRecord {
                        name: row.try_get("name").map_err(e)?,
                        position: u32::try_from(row.try_get::<i64, _>("position").map_err(e)?)
                            .unwrap_or(u32::MAX),
                        vendor: row.try_get("vendor").map_err(e)?,
                        state: TargetState::from_str(&state)?,
                        owner: row.try_get("owner").map_err(e)?,
                        previous_owner: row.try_get("previous_owner").map_err(e)?,
                        lease_until: row
                            .try_get::<Option<i64>, _>("lease_until")
                            .map_err(e)?
                            .map(time_of),
                        claims: count(row.try_get("claims").map_err(e)?),
                        idempotency_key: row.try_get("idempotency_key").map_err(e)?,
                        intent_at: row
                            .try_get::<Option<i64>, _>("intent_at")
                            .map_err(e)?
                            .map(time_of),
                        recovery: row.try_get("recovery").map_err(e)?,
                        operations: serde_json::from_str::<Vec<Operation>>(&operations)
                            .map_err(|e| format!("unreadable operations: {e}"))?,
                        error: error
                            .map(|text| serde_json::from_str::<ErrorRecord>(&text))
                            .transpose()
                            .map_err(|e| format!("unreadable error: {e}"))?,
                        updated_at: time_of(row.try_get("updated_at").map_err(e)?),
                        ended_at: row
                            .try_get::<Option<i64>, _>("ended_at")
                            .map_err(e)?
                            .map(time_of),
                    })
                };
                get().map_err(|message| JournalError::Store {
                    location: self.location.clone(),
                    message,
                })
            }

            async fn event<'e, E>(
                executor: E,
                run_id: &str,
                target: Option<&str>,
                worker: &str,
                kind: &str,
                detail: &Value,
            ) -> Result<(), sqlx::Error>
            where
                E: sqlx::Executor<'e, Database = $db>,
            {
                sqlx::query(&Self::sql(
                    "INSERT INTO backupctl_events (run_id, target, at, worker, kind, detail) \
                     VALUES ($1, $2, {now}, $3, $4, $5)",
                ))
                .bind(run_id)
                .bind(target)
                .bind(worker)
                .bind(kind)
                .bind(json_text(detail))
                .execute(executor)
                .await
                .map(|_| ())
            }

            /// Applies every migration the journal lacks, in one transaction each.
            async fn migrate(&self, pick: fn(&(&'static str, &'static str)) -> &'static str) -> Result<(), JournalError> {
                let open_error = |e: sqlx::Error| JournalError::Open {
                    location: self.location.clone(),
                    message: describe(&e),
                };
                let mut tx = self.pool.begin().await.map_err(open_error)?;
                self.lock_schema(&mut tx).await.map_err(open_error)?;
                sqlx::query(
                    "CREATE TABLE IF NOT EXISTS backupctl_schema (version BIGINT NOT NULL, applied_at BIGINT NOT NULL)",
                )
                .execute(&mut *tx)
                .await
                .map_err(open_error)?;
                let version: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM backupctl_schema")
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(open_error)?;
                let version = version.unwrap_or(0);
                if version > SCHEMA_VERSION {
                    return Err(JournalError::Open {
                        location: self.location.clone(),
                        message: format!(
                            "written by a newer backupctl (schema version {version}; this one knows up to {SCHEMA_VERSION}): use that version"
                        ),
                    });
                }
                for (index, migration) in MIGRATIONS.iter().enumerate().skip(usize::try_from(version).unwrap_or(0)) {
                    for statement in pick(migration).split(';').map(str::trim).filter(|s| !s.is_empty()) {
                        sqlx::query(statement).execute(&mut *tx).await.map_err(open_error)?;
                    }
                    sqlx::query(&Self::sql("INSERT INTO backupctl_schema (version, applied_at) VALUES ($1, {now})"))
                        .bind(i64::try_from(index + 1).unwrap_or(i64::MAX))
                        .execute(&mut *tx)
                        .await
                        .map_err(open_error)?;
                }
                tx.commit().await.map_err(open_error)
            }

            async fn insert_targets(
                &self,
                run_id: &str,
                plan: &NewRun,
            ) -> Result<(), sqlx::Error> {
                let mut tx = self.pool.begin().await?;
                for (position, (name, vendor)) in plan.targets.iter().enumerate() {
                    sqlx::query(&Self::sql(
                        "INSERT INTO backupctl_targets (run_id, name, position, vendor, state, updated_at) \
                         VALUES ($1, $2, $3, $4, 'pending', {now}) ON CONFLICT (run_id, name) DO NOTHING",
                    ))
                    .bind(run_id)
                    .bind(name.as_str())
                    .bind(i64::try_from(position).unwrap_or(i64::MAX))
                    .bind(vendor.as_str())
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await
            }

            async fn create(
                &self,
                run_id: &str,
                plan: &NewRun,
                worker: &str,
            ) -> Result<bool, sqlx::Error> {
                let created = sqlx::query(&Self::sql(
                    "INSERT INTO backupctl_runs (id, plan_path, plan_hash, settings, created_by, started_at) \
                     VALUES ($1, $2, $3, $4, $5, {now}) ON CONFLICT (id) DO NOTHING",
                ))
                .bind(run_id)
                .bind(plan.plan_path.as_str())
                .bind(plan.plan_hash.as_str())
                .bind(json_text(&plan.settings))
                .bind(worker)
                .execute(&self.pool)
                .await?
                .rows_affected()
                    == 1;
                if created {
                    Self::event(
                        &self.pool,
                        run_id,
                        None,
                        worker,
                        "run_created",
                        &serde_json::json!({
                            "plan_path": plan.plan_path,
                            "plan_hash": plan.plan_hash,
                            "settings": plan.settings,
                        }),
                    )
                    .await?;
                }
                Ok(created)
            }

            async fn run_record(&self, run_id: &str) -> Result<Option<RunRecord>, JournalError> {
                let row = sqlx::query(&Self::sql("SELECT {run_columns} FROM backupctl_runs r WHERE r.id = $1"))
                    .bind(run_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(|e| self.store_error(&e))?;
                row.map(|row| self.run_of(&row)).transpose()
            }
        }

        #[async_trait::async_trait]
        impl Journal for $journal {
            fn location(&self) -> &str {
                &self.location
            }

            async fn open_run(
                &self,
                plan: &NewRun,
                select: &RunSelect,
                worker: &str,
            ) -> Result<Opened, JournalError> {
                let store = |e: sqlx::Error| self.store_error(&e);
                let (run_id, mut how) = match select {
                    RunSelect::Id(id) => (id.clone(), Opening::Joined),
                    RunSelect::New => (new_run_id(), Opening::Created),
                    RunSelect::ResumeOrNew => {
                        let found: Option<String> = sqlx::query_scalar(
                            "SELECT id FROM backupctl_runs WHERE plan_hash = $1 AND ended_at IS NULL \
                             ORDER BY started_at DESC, id DESC LIMIT 1",
                        )
                        .bind(plan.plan_hash.as_str())
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(store)?;
                        match found {
                            Some(id) => (id, Opening::Resumed),
                            None => (new_run_id(), Opening::Created),
                        }
                    }
                };
                if how != Opening::Resumed && self.create(&run_id, plan, worker).await.map_err(store)? {
                    how = Opening::Created;
                }
                let run = self.run_record(&run_id).await?.ok_or_else(|| JournalError::NoSuchRun {
                    location: self.location.clone(),
                    run_id: run_id.clone(),
                })?;
                if run.plan_hash != plan.plan_hash {
                    return Err(JournalError::RunOfAnotherPlan {
                        location: self.location.clone(),
                        run_id,
                        plan_path: run.plan_path,
                        plan_hash: run.plan_hash,
                    });
                }
                // Idempotent: also completes a run whose creator died before adding them.
                self.insert_targets(&run_id, plan).await.map_err(store)?;
                if how != Opening::Created {
                    let kind = if how == Opening::Resumed { "run_resumed" } else { "run_joined" };
                    Self::event(&self.pool, &run_id, None, worker, kind, &Value::Null)
                        .await
                        .map_err(store)?;
                }
                let run = self.run_record(&run_id).await?.ok_or_else(|| JournalError::NoSuchRun {
                    location: self.location.clone(),
                    run_id: run_id.clone(),
                })?;
                Ok(Opened { run, how })
            }

            async fn claim(
                &self,
                run_id: &str,
                worker: &str,
                lease: Duration,
            ) -> Result<Option<TargetRecord>, JournalError> {
                let store = |e: sqlx::Error| self.store_error(&e);
                let mut tx = self.pool.begin().await.map_err(store)?;
                let row = sqlx::query(&Self::sql(
                    "UPDATE backupctl_targets SET previous_owner = owner, owner = $2, \
                       lease_until = {now} + $3, claims = claims + 1, updated_at = {now} \
                     WHERE run_id = $1 AND state IN {open} \
                       AND (owner IS NULL OR lease_until IS NULL OR lease_until < {now}) \
                       AND name = COALESCE( \
                         (SELECT name FROM backupctl_targets \
                           WHERE run_id = $1 AND state IN {open} AND owner IS NOT NULL \
                             AND lease_until < {now} \
                           ORDER BY position LIMIT 1 {lock}), \
                         (SELECT name FROM backupctl_targets \
                           WHERE run_id = $1 AND state = 'pending' AND owner IS NULL \
                           ORDER BY position LIMIT 1 {lock}), \
                         (SELECT name FROM backupctl_targets \
                           WHERE run_id = $1 AND state IN {open} \
                             AND (owner IS NULL OR lease_until IS NULL OR lease_until < {now}) \
                           ORDER BY position LIMIT 1 {lock})) \
                     RETURNING {target_columns}",
                ))
                .bind(run_id)
                .bind(worker)
                .bind(millis(lease))
                .fetch_optional(&mut *tx)
                .await
                .map_err(store)?;
                let Some(row) = row else {
                    tx.commit().await.map_err(store)?;
                    return Ok(None);
                };
                let target = self.target_of(&row)?;
                Self::event(
                    &mut *tx,
                    run_id,
                    Some(&target.name),
                    worker,
                    "claimed",
                    &serde_json::json!({
                        "state": target.state.as_str(),
                        "previous_owner": target.previous_owner,
                        "lease_ms": millis(lease),
                    }),
                )
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
                sqlx::query(&Self::sql(
                    "UPDATE backupctl_targets SET lease_until = {now} + $3 \
                     WHERE run_id = $1 AND owner = $2 AND state IN {open}",
                ))
                .bind(run_id)
                .bind(worker)
                .bind(millis(lease))
                .execute(&self.pool)
                .await
                .map(|done| done.rows_affected())
                .map_err(|e| self.store_error(&e))
            }

            async fn release(&self, run_id: &str, worker: &str) -> Result<u64, JournalError> {
                let store = |e: sqlx::Error| self.store_error(&e);
                let released = sqlx::query(
                    "UPDATE backupctl_targets SET lease_until = 0 \
                     WHERE run_id = $1 AND owner = $2 AND state IN ('pending', 'triggering', 'waiting')",
                )
                .bind(run_id)
                .bind(worker)
                .execute(&self.pool)
                .await
                .map_err(store)?
                .rows_affected();
                if released > 0 {
                    Self::event(&self.pool, run_id, None, worker, "released", &serde_json::json!({ "targets": released }))
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
                let mut tx = self.pool.begin().await.map_err(store)?;
                let sql = Self::sql(match update {
                    Update::Intent { .. } => {
                        "UPDATE backupctl_targets SET state = 'triggering', idempotency_key = $4, \
                           intent_at = {now}, updated_at = {now} \
                         WHERE run_id = $1 AND name = $2 AND owner = $3 AND state = 'pending'"
                    }
                    Update::Triggered { .. } => {
                        "UPDATE backupctl_targets SET state = 'waiting', operations = $4, \
                           recovery = $5, updated_at = {now} \
                         WHERE run_id = $1 AND name = $2 AND owner = $3 AND state = 'triggering'"
                    }
                    Update::Observed { .. } => {
                        "UPDATE backupctl_targets SET operations = $4, updated_at = {now} \
                         WHERE run_id = $1 AND name = $2 AND owner = $3 AND state = 'waiting'"
                    }
                    Update::Ended { .. } => {
                        "UPDATE backupctl_targets SET state = $4, operations = $5, error = $6, \
                           recovery = COALESCE($7, recovery), ended_at = {now}, updated_at = {now} \
                         WHERE run_id = $1 AND name = $2 AND owner = $3 AND state IN {open}"
                    }
                });
                let query = sqlx::query(&sql).bind(run_id).bind(target).bind(worker);
                let query = match update {
                    Update::Intent { idempotency_key } => query.bind(idempotency_key.as_deref()),
                    Update::Triggered { operations, recovery } => {
                        query.bind(json_text(operations)).bind(recovery.as_deref())
                    }
                    Update::Observed { operations, .. } => query.bind(json_text(operations)),
                    Update::Ended { outcome, operations, error, recovery } => query
                        .bind(outcome.as_str())
                        .bind(json_text(operations))
                        .bind(error.as_ref().map(json_text))
                        .bind(recovery.as_deref()),
                };
                let changed = query.execute(&mut *tx).await.map_err(store)?.rows_affected();
                if changed == 0 {
                    return Err(JournalError::LostClaim {
                        run_id: run_id.to_owned(),
                        target: target.to_owned(),
                        worker: worker.to_owned(),
                    });
                }
                Self::event(&mut *tx, run_id, Some(target), worker, update.kind(), &update.detail())
                    .await
                    .map_err(store)?;
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
                let names: Vec<String> = sqlx::query_scalar(&Self::sql(
                    "UPDATE backupctl_targets SET state = 'skipped', owner = $2, ended_at = {now}, \
                       updated_at = {now} \
                     WHERE run_id = $1 AND state = 'pending' \
                       AND (owner IS NULL OR lease_until IS NULL OR lease_until < {now}) \
                     RETURNING name",
                ))
                .bind(run_id)
                .bind(worker)
                .fetch_all(&mut *tx)
                .await
                .map_err(store)?;
                for name in &names {
                    Self::event(&mut *tx, run_id, Some(name), worker, "skipped", &serde_json::json!({ "reason": reason }))
                        .await
                        .map_err(store)?;
                }
                tx.commit().await.map_err(store)?;
                Ok(names.len() as u64)
            }

            async fn finish(&self, run_id: &str, worker: &str) -> Result<RunRecord, JournalError> {
                let store = |e: sqlx::Error| self.store_error(&e);
                let ended = sqlx::query(&Self::sql(
                    "UPDATE backupctl_runs SET ended_at = {now}, outcome = CASE WHEN \
                       (SELECT COUNT(*) FROM backupctl_targets WHERE run_id = $1 AND state <> 'succeeded') = 0 \
                       THEN 'succeeded' ELSE 'failed' END \
                     WHERE id = $1 AND ended_at IS NULL AND NOT EXISTS \
                       (SELECT 1 FROM backupctl_targets WHERE run_id = $1 AND state IN {open})",
                ))
                .bind(run_id)
                .execute(&self.pool)
                .await
                .map_err(store)?
                .rows_affected();
                let run = self.run_record(run_id).await?.ok_or_else(|| JournalError::NoSuchRun {
                    location: self.location.clone(),
                    run_id: run_id.to_owned(),
                })?;
                if ended == 1 {
                    Self::event(
                        &self.pool,
                        run_id,
                        None,
                        worker,
                        "run_ended",
                        &serde_json::json!({ "outcome": run.outcome, "targets": run.targets, "succeeded": run.succeeded }),
                    )
                    .await
                    .map_err(store)?;
                }
                Ok(run)
            }

            async fn runs(&self, limit: u32) -> Result<Vec<RunRecord>, JournalError> {
                let rows = sqlx::query(&Self::sql(
                    "SELECT {run_columns} FROM backupctl_runs r ORDER BY r.started_at DESC, r.id DESC LIMIT $1",
                ))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(|e| self.store_error(&e))?;
                rows.iter().map(|row| self.run_of(row)).collect()
            }

            async fn run(&self, run_id: &str) -> Result<Option<RunRecord>, JournalError> {
                self.run_record(run_id).await
            }

            async fn targets(&self, run_id: &str) -> Result<Vec<TargetRecord>, JournalError> {
                let rows = sqlx::query(&Self::sql(
                    "SELECT {target_columns} FROM backupctl_targets WHERE run_id = $1 ORDER BY position",
                ))
                .bind(run_id)
                .fetch_all(&self.pool)
                .await
                .map_err(|e| self.store_error(&e))?;
                rows.iter().map(|row| self.target_of(row)).collect()
            }

            async fn open_targets(&self, run_id: &str) -> Result<u64, JournalError> {
                let open: i64 = sqlx::query_scalar(&Self::sql(
                    "SELECT COUNT(*) FROM backupctl_targets WHERE run_id = $1 AND state IN {open}",
                ))
                .bind(run_id)
                .fetch_one(&self.pool)
                .await
                .map_err(|e| self.store_error(&e))?;
                Ok(count(open))
            }

            async fn events(&self, run_id: &str) -> Result<Vec<EventRecord>, JournalError> {
                let rows = sqlx::query(
                    "SELECT id, target, at, worker, kind, detail FROM backupctl_events \
                     WHERE run_id = $1 ORDER BY id",
                )
                .bind(run_id)
                .fetch_all(&self.pool)
                .await
                .map_err(|e| self.store_error(&e))?;
                rows.iter()
                    .map(|row| {
                        let get = || -> Result<EventRecord, sqlx::Error> {
                            let detail: String = row.try_get("detail")?;
                            Ok(EventRecord {
                                id: row.try_get("id")?,
                                target: row.try_get("target")?,
                                at: time_of(row.try_get("at")?),
                                worker: row.try_get("worker")?,
                                kind: row.try_get("kind")?,
                                detail: serde_json::from_str(&detail).unwrap_or(Value::Null),
                            })
                        };
                        get().map_err(|e| self.store_error(&e))
                    })
                    .collect()
            }
        }
    };
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
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

/// The run journal in a SQLite file (the default: no server).
#[derive(Debug, Clone)]
pub struct SqliteJournal {
    location: String,
    pool: sqlx::SqlitePool,
}

/// How long a write waits for another process's lock before failing.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a statement waits for this process's one connection: the queue of a run
/// with thousands of targets in flight (each step a short transaction) drains well
/// within it; beyond it the journal is stuck (a disk that does not answer).
const SQLITE_QUEUE_TIMEOUT: Duration = Duration::from_secs(120);

impl SqliteJournal {
    /// Opens (or creates, with its directory) the journal file at `path` and migrates
    /// it.
    ///
    /// # Errors
    /// [`JournalError::Open`] naming the file: it cannot be created, is not a SQLite
    /// database (corrupt, or another kind of file), is locked by another process
    /// beyond a few seconds, or was written by a newer version.
    pub async fn open(path: &Path) -> Result<Self, JournalError> {
        use sqlx::sqlite::{
            SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
        };

        let location = path.display().to_string();
        let open_error = |message: String| JournalError::Open {
            location: location.clone(),
            message,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| open_error(format!("cannot create {}: {e}", dir.display())))?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // Every step is on disk before the next one is taken.
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(SQLITE_BUSY_TIMEOUT)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            // SQLite has one writer at a time: more connections of this process would
            // only wait for each other in SQLite's busy handler (coarse sleeps, holding
            // their pool slots), which starved a run of 1,000 loops of connections.
            // One connection, and the loops queue for it in order.
            .max_connections(1)
            .acquire_timeout(SQLITE_QUEUE_TIMEOUT)
            // A local file does not go stale: no ping before each use.
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .map_err(|e| open_error(sqlite_open_message(&e)))?;
        let journal = Self {
            location: location.clone(),
            pool,
        };
        journal.migrate(|m| m.0).await.map_err(|e| match e {
            JournalError::Open { message, .. }
                if message.contains("code 5") || message.contains("locked") =>
            {
                open_error(format!(
                    "locked by another process (waited {}s): {message}",
                    SQLITE_BUSY_TIMEOUT.as_secs()
                ))
            }
            JournalError::Open { message, .. }
                if message.contains("code 26") || message.contains("not a database") =>
            {
                open_error(format!("not a backupctl journal, or corrupt: {message}"))
            }
            other => other,
        })?;
        Ok(journal)
    }

    // The same signature as PostgreSQL's, which the shared statements call.
    #[allow(clippy::unused_async)]
    async fn lock_schema(
        &self,
        _tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    ) -> Result<(), sqlx::Error> {
        // The first write of the transaction takes SQLite's one write lock.
        Ok(())
    }
}

fn sqlite_open_message(error: &sqlx::Error) -> String {
    let message = describe(error);
    if message.contains("code 26") || message.contains("not a database") {
        format!("not a backupctl journal, or corrupt: {message}")
    } else if message.contains("code 5") || message.contains("locked") {
        format!(
            "locked by another process (waited {}s): {message}",
            SQLITE_BUSY_TIMEOUT.as_secs()
        )
    } else {
        message
    }
}

sql_journal!(SqliteJournal, sqlx::Sqlite, sqlx::sqlite::SqliteRow, SQLITE);

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
        journal.migrate(|m| m.1).await?;
        Ok(journal)
    }

    async fn lock_schema(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    ) -> Result<(), sqlx::Error> {
        // Hosts starting together migrate one after the other.
        sqlx::query("SELECT pg_advisory_xact_lock(72170018)")
            .execute(&mut **tx)
            .await
            .map(|_| ())
    }
}

sql_journal!(
    PostgresJournal,
    sqlx::Postgres,
    sqlx::postgres::PgRow,
    POSTGRES
);

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

    #[test]
    fn run_ids_sort_by_time() {
        let id = new_run_id();
        assert_eq!(id.len(), "20261202T153521Z-4f2a9c".len(), "{id}");
        assert!(id.as_bytes()[8] == b'T' && id.contains("Z-"), "{id}");
    }

    #[test]
    fn every_migration_has_both_dialects() {
        for (sqlite, postgres) in MIGRATIONS {
            assert_eq!(
                sqlite.matches("CREATE TABLE").count(),
                postgres.matches("CREATE TABLE").count()
            );
            assert_eq!(sqlite.matches(';').count(), postgres.matches(';').count());
        }
    }
}
