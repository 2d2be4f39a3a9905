//! What both journals share: the schema and its migrations, the statements (one text,
//! two dialects) and their parameters, how rows become records, and how a run is
//! opened and finished.
//!
//! Times are Unix milliseconds (`BIGINT`), taken from the database's clock (leases are
//! compared on one clock whatever the hosts' clocks say); JSON is kept as text.
//! Placeholders are `$1`, `$2` ... in both dialects.

use std::str::FromStr;
use std::time::Duration;

use backup_core::Operation;
use serde_json::Value;
use time::OffsetDateTime;

use super::JournalError;
use super::record::{
    ErrorRecord, EventRecord, NewRun, Opened, Opening, RunRecord, RunSelect, TargetRecord,
    TargetState, Update,
};

/// The schema version this build writes; older journals are migrated on open.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The migrations, in order: (`SQLite`, `PostgreSQL`). Version N is `MIGRATIONS[N-1]`.
/// Never edit one that has shipped: add the next.
pub(super) const MIGRATIONS: [(&str, &str); 5] = [
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
    (
        // 4: the targets a claim may take without a lease to wait out, one index: the
        // unclaimed ones, and any other open target with no owner or no lease (which
        // version 3's claim found only by reading every open target).
        UNLEASED_INDEX,
        UNLEASED_INDEX,
    ),
    (
        // 5: the same three partial indexes, their open states written as equalities
        // joined by OR: SQLite builds a temporary b-tree for an IN list of three
        // constants at every statement that evaluates it, and every write to a target
        // evaluates each partial index's condition (up to seven b-trees per claim or
        // end).
        OPEN_AS_EQUALITIES,
        OPEN_AS_EQUALITIES,
    ),
];

/// Migration 3 (the same in both dialects): the claimed targets not ended by the end
/// of their lease (expired claims are found by a range), the targets nobody has claimed
/// yet in plan order, and the targets not ended in plan order. The open states are
/// spelled out rather than taken from [`OPEN_STATES`]: a shipped migration must not
/// change with a constant.
const CLAIM_INDEXES: &str = "CREATE INDEX backupctl_targets_leased ON backupctl_targets \
       (run_id, lease_until) \
       WHERE state IN ('pending', 'triggering', 'waiting') AND owner IS NOT NULL;
    CREATE INDEX backupctl_targets_unclaimed ON backupctl_targets (run_id, position) \
       WHERE state = 'pending' AND owner IS NULL;
    CREATE INDEX backupctl_targets_open ON backupctl_targets (run_id, position) \
       WHERE state IN ('pending', 'triggering', 'waiting');";

/// Migration 4 (the same in both dialects): the open targets with no owner or no
/// lease, in plan order (replacing version 3's index of the unclaimed ones). The claim
/// repeats its condition word for word, which is what lets both databases use it.
const UNLEASED_INDEX: &str = "CREATE INDEX backupctl_targets_unleased ON backupctl_targets \
       (run_id, position) \
       WHERE state IN ('pending', 'triggering', 'waiting') \
         AND (owner IS NULL OR lease_until IS NULL);
    DROP INDEX backupctl_targets_unclaimed;";

/// Migration 5 (the same in both dialects): version 3's and 4's indexes again, their
/// open states spelled as [`OPEN_STATES`] spells them (a query uses a partial index
/// only when it repeats the index's condition word for word). Spelled out here too: a
/// shipped migration must not change with a constant.
const OPEN_AS_EQUALITIES: &str = "DROP INDEX backupctl_targets_leased;
    CREATE INDEX backupctl_targets_leased ON backupctl_targets (run_id, lease_until) \
       WHERE (state = 'pending' OR state = 'triggering' OR state = 'waiting') \
         AND owner IS NOT NULL;
    DROP INDEX backupctl_targets_open;
    CREATE INDEX backupctl_targets_open ON backupctl_targets (run_id, position) \
       WHERE (state = 'pending' OR state = 'triggering' OR state = 'waiting');
    DROP INDEX backupctl_targets_unleased;
    CREATE INDEX backupctl_targets_unleased ON backupctl_targets (run_id, position) \
       WHERE (state = 'pending' OR state = 'triggering' OR state = 'waiting') \
         AND (owner IS NULL OR lease_until IS NULL);";

/// The statements of one migration, in order.
pub(super) fn migration_statements(text: &'static str) -> impl Iterator<Item = &'static str> {
    text.split(';').map(str::trim).filter(|s| !s.is_empty())
}

/// What differs between the two dialects.
pub(super) struct Dialect {
    /// The database's clock in Unix milliseconds.
    now: &'static str,
    /// After the claim's `SELECT ... LIMIT 1`.
    lock: &'static str,
}

/// SQLite's.
pub(super) const SQLITE: Dialect = Dialect {
    now: "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)",
    // SQLite runs one writer at a time: the claim's single statement is atomic.
    lock: "",
};

/// PostgreSQL's.
pub(super) const POSTGRES: Dialect = Dialect {
    now: "(CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT))",
    lock: "FOR UPDATE SKIP LOCKED",
};

/// Targets not ended: the condition of migration 5's partial indexes, word for word.
/// Equalities joined by OR, not an IN list: SQLite evaluates an IN list of more than
/// two constants through a temporary b-tree it builds at each statement.
const OPEN_STATES: &str = "(state = 'pending' OR state = 'triggering' OR state = 'waiting')";

const TARGET_COLUMNS: &str = "name, position, vendor, state, owner, previous_owner, lease_until, \
     claims, idempotency_key, intent_at, recovery, operations, error, updated_at, ended_at";

const RUN_COLUMNS: &str = "r.id, r.plan_path, r.plan_hash, r.settings, r.created_by, \
     r.started_at, r.ended_at, r.outcome, \
     (SELECT COUNT(*) FROM backupctl_targets t WHERE t.run_id = r.id) AS n_targets, \
     (SELECT COUNT(*) FROM backupctl_targets t WHERE t.run_id = r.id \
        AND t.state NOT IN ('pending', 'triggering', 'waiting')) AS n_ended, \
     (SELECT COUNT(*) FROM backupctl_targets t WHERE t.run_id = r.id \
        AND t.state = 'succeeded') AS n_succeeded";

/// A statement both journals run. Its text names the dialect's differences as
/// `{now}`, `{lock}`, and repeats the open states' condition as `{open}` and lists as
/// `{target_columns}`, `{run_columns}`; [`Statements`] holds them filled in for one
/// dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sql {
    /// The schema table (before the first migration).
    CreateSchemaTable,
    /// The journal's schema version.
    SchemaVersion,
    /// A migration applied: `$1` version.
    RecordMigration,
    /// The newest unfinished run of a plan: `$1` plan hash.
    FindOpenRun,
    /// A new run: `$1` id, `$2` plan path, `$3` hash, `$4` settings, `$5` worker.
    CreateRun,
    /// An event: `$1` run, `$2` target, `$3` worker, `$4` kind, `$5` detail.
    Event,
    /// A target of a run: `$1` run, `$2` name, `$3` position, `$4` vendor.
    InsertTarget,
    /// One run: `$1` id.
    Run,
    /// The newest runs: `$1` how many.
    Runs,
    /// A claim: `$1` run, `$2` worker, `$3` lease (ms).
    Claim,
    /// A renewal of a worker's claims: `$1` run, `$2` worker, `$3` lease (ms).
    Renew,
    /// A worker's claims given up: `$1` run, `$2` worker.
    Release,
    /// [`Update::Intent`]: `$1` run, `$2` target, `$3` worker, `$4` idempotency key.
    Intent,
    /// [`Update::Triggered`]: ... `$4` operations, `$5` recovery.
    Triggered,
    /// [`Update::Observed`]: ... `$4` operations.
    Observed,
    /// [`Update::Ended`]: ... `$4` outcome, `$5` operations, `$6` error, `$7` recovery.
    Ended,
    /// The pending targets skipped: `$1` run, `$2` worker; returns their names.
    SkipPending,
    /// The run ended when no target is open: `$1` run.
    EndRun,
    /// A run's targets: `$1` run.
    Targets,
    /// How many of a run's targets are open: `$1` run.
    OpenTargets,
    /// A run's events: `$1` run.
    Events,
}

impl Sql {
    const ALL: [Sql; 21] = [
        Sql::CreateSchemaTable,
        Sql::SchemaVersion,
        Sql::RecordMigration,
        Sql::FindOpenRun,
        Sql::CreateRun,
        Sql::Event,
        Sql::InsertTarget,
        Sql::Run,
        Sql::Runs,
        Sql::Claim,
        Sql::Renew,
        Sql::Release,
        Sql::Intent,
        Sql::Triggered,
        Sql::Observed,
        Sql::Ended,
        Sql::SkipPending,
        Sql::EndRun,
        Sql::Targets,
        Sql::OpenTargets,
        Sql::Events,
    ];

    fn text(self) -> &'static str {
        match self {
            Sql::CreateSchemaTable => {
                "CREATE TABLE IF NOT EXISTS backupctl_schema \
                 (version BIGINT NOT NULL, applied_at BIGINT NOT NULL)"
            }
            Sql::SchemaVersion => "SELECT MAX(version) FROM backupctl_schema",
            Sql::RecordMigration => {
                "INSERT INTO backupctl_schema (version, applied_at) VALUES ($1, {now})"
            }
            Sql::FindOpenRun => {
                "SELECT id FROM backupctl_runs WHERE plan_hash = $1 AND ended_at IS NULL \
                 ORDER BY started_at DESC, id DESC LIMIT 1"
            }
            Sql::CreateRun => {
                "INSERT INTO backupctl_runs (id, plan_path, plan_hash, settings, created_by, \
                 started_at) VALUES ($1, $2, $3, $4, $5, {now}) ON CONFLICT (id) DO NOTHING"
            }
            Sql::Event => {
                "INSERT INTO backupctl_events (run_id, target, at, worker, kind, detail) \
                 VALUES ($1, $2, {now}, $3, $4, $5)"
            }
            Sql::InsertTarget => {
                "INSERT INTO backupctl_targets (run_id, name, position, vendor, state, \
                 updated_at) VALUES ($1, $2, $3, $4, 'pending', {now}) \
                 ON CONFLICT (run_id, name) DO NOTHING"
            }
            Sql::Run => "SELECT {run_columns} FROM backupctl_runs r WHERE r.id = $1",
            Sql::Runs => {
                "SELECT {run_columns} FROM backupctl_runs r \
                 ORDER BY r.started_at DESC, r.id DESC LIMIT $1"
            }
            // The COALESCE's two picks are searches on partial indexes, each reading
            // one row at most (a claim that finds nothing, every idle loop's, costs no
            // scan of the run's targets): an expired or released claim first (`leased`,
            // a range below now), then the first open target with no owner or no lease
            // (`unleased`, migration 4: the unclaimed targets, and any other such row).
            Sql::Claim => {
                "UPDATE backupctl_targets SET previous_owner = owner, owner = $2, \
                   lease_until = {now} + $3, claims = claims + 1, updated_at = {now} \
                 WHERE run_id = $1 AND {open} \
                   AND (owner IS NULL OR lease_until IS NULL OR lease_until < {now}) \
                   AND name = COALESCE( \
                     (SELECT name FROM backupctl_targets \
                       WHERE run_id = $1 AND {open} AND owner IS NOT NULL \
                         AND lease_until < {now} \
                       ORDER BY position LIMIT 1 {lock}), \
                     (SELECT name FROM backupctl_targets \
                       WHERE run_id = $1 AND {open} \
                         AND (owner IS NULL OR lease_until IS NULL) \
                       ORDER BY position LIMIT 1 {lock})) \
                 RETURNING {target_columns}"
            }
            Sql::Renew => {
                "UPDATE backupctl_targets SET lease_until = {now} + $3 \
                 WHERE run_id = $1 AND owner = $2 AND {open}"
            }
            Sql::Release => {
                "UPDATE backupctl_targets SET lease_until = 0 \
                 WHERE run_id = $1 AND owner = $2 AND {open}"
            }
            Sql::Intent => {
                "UPDATE backupctl_targets SET state = 'triggering', idempotency_key = $4, \
                   intent_at = {now}, updated_at = {now} \
                 WHERE run_id = $1 AND name = $2 AND owner = $3 AND state = 'pending'"
            }
            Sql::Triggered => {
                "UPDATE backupctl_targets SET state = 'waiting', operations = $4, \
                   recovery = $5, updated_at = {now} \
                 WHERE run_id = $1 AND name = $2 AND owner = $3 AND state = 'triggering'"
            }
            Sql::Observed => {
                "UPDATE backupctl_targets SET operations = $4, updated_at = {now} \
                 WHERE run_id = $1 AND name = $2 AND owner = $3 AND state = 'waiting'"
            }
            Sql::Ended => {
                "UPDATE backupctl_targets SET state = $4, operations = $5, error = $6, \
                   recovery = COALESCE($7, recovery), ended_at = {now}, updated_at = {now} \
                 WHERE run_id = $1 AND name = $2 AND owner = $3 AND {open}"
            }
            Sql::SkipPending => {
                "UPDATE backupctl_targets SET state = 'skipped', owner = $2, \
                   ended_at = {now}, updated_at = {now} \
                 WHERE run_id = $1 AND state = 'pending' \
                   AND (owner IS NULL OR lease_until IS NULL OR lease_until < {now}) \
                 RETURNING name"
            }
            Sql::EndRun => {
                "UPDATE backupctl_runs SET ended_at = {now}, outcome = CASE WHEN \
                   (SELECT COUNT(*) FROM backupctl_targets \
                     WHERE run_id = $1 AND state <> 'succeeded') = 0 \
                   THEN 'succeeded' ELSE 'failed' END \
                 WHERE id = $1 AND ended_at IS NULL AND NOT EXISTS \
                   (SELECT 1 FROM backupctl_targets WHERE run_id = $1 AND {open})"
            }
            Sql::Targets => {
                "SELECT {target_columns} FROM backupctl_targets WHERE run_id = $1 \
                 ORDER BY position"
            }
            Sql::OpenTargets => {
                "SELECT COUNT(*) FROM backupctl_targets WHERE run_id = $1 AND {open}"
            }
            Sql::Events => {
                "SELECT id, target, at, worker, kind, detail FROM backupctl_events \
                 WHERE run_id = $1 ORDER BY id"
            }
        }
    }
}

/// Every [`Sql`] filled in for one dialect, once (not at each call).
#[derive(Debug)]
pub(super) struct Statements(Vec<String>);

impl Statements {
    pub(super) fn new(dialect: &Dialect) -> Self {
        Self(
            Sql::ALL
                .iter()
                .map(|sql| {
                    sql.text()
                        .replace("{now}", dialect.now)
                        .replace("{lock}", dialect.lock)
                        .replace("{open}", OPEN_STATES)
                        .replace("{target_columns}", TARGET_COLUMNS)
                        .replace("{run_columns}", RUN_COLUMNS)
                })
                .collect(),
        )
    }

    pub(super) fn get(&self, sql: Sql) -> &str {
        // `ALL` lists every variant in declaration order.
        &self.0[sql as usize]
    }
}

/// A statement's parameter, owned (SQLite's statements run on the journal's thread).
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Param {
    /// Text.
    Text(String),
    /// Text or `NULL`.
    OptText(Option<String>),
    /// An integer.
    Int(i64),
}

impl From<&str> for Param {
    fn from(text: &str) -> Self {
        Param::Text(text.to_owned())
    }
}

impl From<Option<&str>> for Param {
    fn from(text: Option<&str>) -> Self {
        Param::OptText(text.map(str::to_owned))
    }
}

impl From<i64> for Param {
    fn from(n: i64) -> Self {
        Param::Int(n)
    }
}

/// A statement and its parameters.
#[derive(Debug, Clone)]
pub(super) struct Statement {
    pub(super) sql: Sql,
    pub(super) params: Vec<Param>,
}

/// The event `worker` writes about `target` (or the run).
pub(super) fn event(
    run_id: &str,
    target: Option<&str>,
    worker: &str,
    kind: &str,
    detail: &Value,
) -> Statement {
    Statement {
        sql: Sql::Event,
        params: vec![
            run_id.into(),
            target.into(),
            worker.into(),
            kind.into(),
            Param::Text(json_text(detail)),
        ],
    }
}

/// The step `update` of `target` (changing exactly one row while `worker` holds it)
/// and its event.
pub(super) fn step(run_id: &str, target: &str, worker: &str, update: &Update) -> [Statement; 2] {
    let mut params: Vec<Param> = vec![run_id.into(), target.into(), worker.into()];
    let sql = match update {
        Update::Intent { idempotency_key } => {
            params.push(idempotency_key.as_deref().into());
            Sql::Intent
        }
        Update::Triggered {
            operations,
            recovery,
        } => {
            params.push(Param::Text(json_text(operations)));
            params.push(recovery.as_deref().into());
            Sql::Triggered
        }
        Update::Observed { operations, .. } => {
            params.push(Param::Text(json_text(operations)));
            Sql::Observed
        }
        Update::Ended {
            outcome,
            operations,
            error,
            recovery,
        } => {
            params.push(outcome.as_str().into());
            params.push(Param::Text(json_text(operations)));
            params.push(Param::OptText(error.as_ref().map(json_text)));
            params.push(recovery.as_deref().into());
            Sql::Ended
        }
    };
    [
        Statement { sql, params },
        event(
            run_id,
            Some(target),
            worker,
            update.kind(),
            &update.detail(),
        ),
    ]
}

/// The claimed event of `target`.
pub(super) fn claimed(
    run_id: &str,
    worker: &str,
    lease: Duration,
    target: &TargetRecord,
) -> Statement {
    event(
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
}

/// The claim's parameters.
pub(super) fn claim(run_id: &str, worker: &str, lease: Duration) -> Statement {
    Statement {
        sql: Sql::Claim,
        params: vec![run_id.into(), worker.into(), millis(lease).into()],
    }
}

/// The run's targets, to insert (those already there are left alone).
pub(super) fn insert_targets(run_id: &str, plan: &NewRun) -> Vec<Statement> {
    plan.targets
        .iter()
        .enumerate()
        .map(|(position, (name, vendor))| Statement {
            sql: Sql::InsertTarget,
            params: vec![
                run_id.into(),
                name.as_str().into(),
                i64::try_from(position).unwrap_or(i64::MAX).into(),
                vendor.as_str().into(),
            ],
        })
        .collect()
}

/// The new run's row and its `run_created` event.
pub(super) fn create_run(run_id: &str, plan: &NewRun, worker: &str) -> [Statement; 2] {
    [
        Statement {
            sql: Sql::CreateRun,
            params: vec![
                run_id.into(),
                plan.plan_path.as_str().into(),
                plan.plan_hash.as_str().into(),
                Param::Text(json_text(&plan.settings)),
                worker.into(),
            ],
        },
        event(
            run_id,
            None,
            worker,
            "run_created",
            &serde_json::json!({
                "plan_path": plan.plan_path,
                "plan_hash": plan.plan_hash,
                "settings": plan.settings,
            }),
        ),
    ]
}

/// A row's columns by name, whatever the driver.
pub(super) trait Columns {
    /// A text column.
    fn text(&self, column: &str) -> Result<String, String>;
    /// A text column that may be `NULL`.
    fn opt_text(&self, column: &str) -> Result<Option<String>, String>;
    /// An integer column.
    fn int(&self, column: &str) -> Result<i64, String>;
    /// An integer column that may be `NULL`.
    fn opt_int(&self, column: &str) -> Result<Option<i64>, String>;
}

/// A [`Sql::Run`] or [`Sql::Runs`] row.
pub(super) fn run_of(row: &impl Columns) -> Result<RunRecord, String> {
    Ok(RunRecord {
        id: row.text("id")?,
        plan_path: row.text("plan_path")?,
        plan_hash: row.text("plan_hash")?,
        settings: serde_json::from_str(&row.text("settings")?).unwrap_or(Value::Null),
        created_by: row.text("created_by")?,
        started_at: time_of(row.int("started_at")?),
        ended_at: row.opt_int("ended_at")?.map(time_of),
        outcome: row.opt_text("outcome")?,
        targets: count(row.int("n_targets")?),
        ended: count(row.int("n_ended")?),
        succeeded: count(row.int("n_succeeded")?),
    })
}

/// A row of the target columns.
pub(super) fn target_of(row: &impl Columns) -> Result<TargetRecord, String> {
    let error = row.opt_text("error")?;
    Ok(TargetRecord {
        name: row.text("name")?,
        position: u32::try_from(row.int("position")?).unwrap_or(u32::MAX),
        vendor: row.text("vendor")?,
        state: TargetState::from_str(&row.text("state")?)?,
        owner: row.opt_text("owner")?,
        previous_owner: row.opt_text("previous_owner")?,
        lease_until: row.opt_int("lease_until")?.map(time_of),
        claims: count(row.int("claims")?),
        idempotency_key: row.opt_text("idempotency_key")?,
        intent_at: row.opt_int("intent_at")?.map(time_of),
        recovery: row.opt_text("recovery")?,
        operations: serde_json::from_str::<Vec<Operation>>(&row.text("operations")?)
            .map_err(|e| format!("unreadable operations: {e}"))?,
        error: error
            .map(|text| serde_json::from_str::<ErrorRecord>(&text))
            .transpose()
            .map_err(|e| format!("unreadable error: {e}"))?,
        updated_at: time_of(row.int("updated_at")?),
        ended_at: row.opt_int("ended_at")?.map(time_of),
    })
}

/// A [`Sql::Events`] row.
pub(super) fn event_of(row: &impl Columns) -> Result<EventRecord, String> {
    Ok(EventRecord {
        id: row.int("id")?,
        target: row.opt_text("target")?,
        at: time_of(row.int("at")?),
        worker: row.opt_text("worker")?,
        kind: row.text("kind")?,
        detail: serde_json::from_str(&row.text("detail")?).unwrap_or(Value::Null),
    })
}

/// The few steps of opening and finishing a run, which [`open_run`] and [`finish`]
/// put together the same way on either database.
#[async_trait::async_trait]
pub(super) trait RunSteps: Sync {
    /// The file or URL, for messages.
    fn location(&self) -> &str;
    /// The newest unfinished run of the plan with this hash.
    async fn find_open_run(&self, plan_hash: &str) -> Result<Option<String>, JournalError>;
    /// Runs `statements` in one transaction; whether the first changed a row (the
    /// others run only when it did).
    async fn write_if_changed(&self, statements: Vec<Statement>) -> Result<bool, JournalError>;
    /// Runs `statements` in one transaction.
    async fn write(&self, statements: Vec<Statement>) -> Result<(), JournalError>;
    /// One run.
    async fn run_record(&self, run_id: &str) -> Result<Option<RunRecord>, JournalError>;
}

/// [`super::Journal::open_run`] on any database.
pub(super) async fn open_run(
    steps: &impl RunSteps,
    plan: &NewRun,
    select: &RunSelect,
    worker: &str,
) -> Result<Opened, JournalError> {
    let (run_id, mut how) = match select {
        RunSelect::Id(id) => (id.clone(), Opening::Joined),
        RunSelect::New => (new_run_id(), Opening::Created),
        RunSelect::ResumeOrNew => match steps.find_open_run(&plan.plan_hash).await? {
            Some(id) => (id, Opening::Resumed),
            None => (new_run_id(), Opening::Created),
        },
    };
    if how != Opening::Resumed
        && steps
            .write_if_changed(create_run(&run_id, plan, worker).into())
            .await?
    {
        how = Opening::Created;
    }
    let no_such_run = || JournalError::NoSuchRun {
        location: steps.location().to_owned(),
        run_id: run_id.clone(),
    };
    let run = steps.run_record(&run_id).await?.ok_or_else(no_such_run)?;
    if run.plan_hash != plan.plan_hash {
        return Err(JournalError::RunOfAnotherPlan {
            location: steps.location().to_owned(),
            run_id,
            plan_path: run.plan_path,
            plan_hash: run.plan_hash,
        });
    }
    // Idempotent: also completes a run whose creator died before adding them.
    let mut statements = insert_targets(&run_id, plan);
    if how != Opening::Created {
        let kind = if how == Opening::Resumed {
            "run_resumed"
        } else {
            "run_joined"
        };
        statements.push(event(&run_id, None, worker, kind, &Value::Null));
    }
    steps.write(statements).await?;
    let run = steps.run_record(&run_id).await?.ok_or_else(no_such_run)?;
    Ok(Opened { run, how })
}

/// [`super::Journal::finish`] on any database.
pub(super) async fn finish(
    steps: &impl RunSteps,
    run_id: &str,
    worker: &str,
) -> Result<RunRecord, JournalError> {
    let ended = steps
        .write_if_changed(vec![Statement {
            sql: Sql::EndRun,
            params: vec![run_id.into()],
        }])
        .await?;
    let run = steps
        .run_record(run_id)
        .await?
        .ok_or_else(|| JournalError::NoSuchRun {
            location: steps.location().to_owned(),
            run_id: run_id.to_owned(),
        })?;
    if ended {
        steps
            .write(vec![event(
                run_id,
                None,
                worker,
                "run_ended",
                &serde_json::json!({
                    "outcome": run.outcome,
                    "targets": run.targets,
                    "succeeded": run.succeeded,
                }),
            )])
            .await?;
    }
    Ok(run)
}

/// The error for a journal `location` that is newer than this build.
pub(super) fn newer_schema(location: &str, version: i64) -> Option<JournalError> {
    (version > SCHEMA_VERSION).then(|| JournalError::Open {
        location: location.to_owned(),
        message: format!(
            "written by a newer backupctl (schema version {version}; this one knows up to \
             {SCHEMA_VERSION}): use that version"
        ),
    })
}

/// The migrations a journal at `version` lacks, with the version each brings.
pub(super) fn pending_migrations(
    version: i64,
) -> impl Iterator<Item = (i64, &'static (&'static str, &'static str))> {
    MIGRATIONS
        .iter()
        .enumerate()
        .skip(usize::try_from(version).unwrap_or(0))
        .map(|(index, migration)| (i64::try_from(index + 1).unwrap_or(i64::MAX), migration))
}

pub(super) fn time_of(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

pub(super) fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

fn json_text<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

pub(super) fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
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

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn every_statement_is_filled_in_at_its_place() {
        for dialect in [&SQLITE, &POSTGRES] {
            let statements = Statements::new(dialect);
            for (place, sql) in Sql::ALL.into_iter().enumerate() {
                assert_eq!(
                    sql as usize, place,
                    "{sql:?} is at its own place in Sql::ALL"
                );
                let text = statements.get(sql);
                assert!(!text.contains('{'), "{sql:?}: {text}");
            }
        }
        assert!(
            Statements::new(&POSTGRES)
                .get(Sql::Claim)
                .contains("SKIP LOCKED")
        );
        assert!(
            Statements::new(&SQLITE)
                .get(Sql::Claim)
                .contains("julianday")
        );
    }
}
