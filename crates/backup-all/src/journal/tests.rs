//! The journal on SQLite (always) and PostgreSQL (with `BACKUPCTL_TEST_POSTGRES_URL`):
//! migrations, unreadable files, claims, leases and takeovers.

use std::path::PathBuf;
use std::time::Duration;

use backup_core::{Operation, OperationRef, OperationStatus};

use super::*;
use crate::run::TargetOutcome;

/// A path for a journal file `name` in a directory that does not exist yet (opening
/// creates it), inside a new temporary directory that the returned guard removes with
/// everything in it when dropped, whether the test passed or not.
pub(super) fn temp_path(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::Builder::new()
        .prefix("backup-all-journal-")
        .tempdir()
        .expect("a temporary directory");
    let path = dir.path().join("journal").join(name);
    (dir, path)
}

fn new_run(hash: &str) -> NewRun {
    NewRun {
        plan_path: "plan.toml".to_owned(),
        plan_hash: hash.to_owned(),
        settings: serde_json::json!({ "concurrency": 2 }),
        targets: vec![
            ("web".to_owned(), crate::Vendor::ALL[0]),
            ("db".to_owned(), crate::Vendor::ALL[0]),
        ],
    }
}

/// A fresh database on the test server, or `None` (and a line saying the test was
/// skipped) without `BACKUPCTL_TEST_POSTGRES_URL`. On CI (`CI` set) a missing URL
/// fails the test: CI must run them.
async fn postgres(test: &str) -> Option<String> {
    let Ok(url) = std::env::var("BACKUPCTL_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "{test}: BACKUPCTL_TEST_POSTGRES_URL is not set on CI (.ci/run starts PostgreSQL and sets it)"
        );
        // Straight to stderr, past the test harness's capture: shown even when it passes.
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            format!("SKIPPED {test}: set BACKUPCTL_TEST_POSTGRES_URL to run it on PostgreSQL\n")
                .as_bytes(),
        );
        return None;
    };
    let name = format!("journal_{}", uuid::Uuid::new_v4().simple());
    let admin = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .unwrap_or_else(|e| panic!("{test}: cannot reach PostgreSQL: {e}"));
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    let mut parsed = url::Url::parse(&url).unwrap();
    parsed.set_path(&format!("/{name}"));
    Some(parsed.to_string())
}

fn op(id: &str, status: OperationStatus) -> Operation {
    Operation::new(OperationRef::new("yandex", id), status)
}

/// The whole story of one target, on any journal.
async fn claims_and_steps(journal: &dyn Journal) {
    let plan = new_run("hash-1");
    let opened = journal
        .open_run(&plan, &RunSelect::ResumeOrNew, "w1")
        .await
        .unwrap();
    assert_eq!(opened.how, Opening::Created);
    assert_eq!((opened.run.targets, opened.run.ended), (2, 0));
    let run = opened.run.id.clone();

    // The same plan resumes its unfinished run; --new-run makes another.
    let again = journal
        .open_run(&plan, &RunSelect::ResumeOrNew, "w2")
        .await
        .unwrap();
    assert_eq!(
        (again.how, again.run.id.as_str()),
        (Opening::Resumed, run.as_str())
    );
    let other = journal
        .open_run(&plan, &RunSelect::New, "w2")
        .await
        .unwrap();
    assert_ne!(other.run.id, run);
    let joined = journal
        .open_run(&plan, &RunSelect::Id(run.clone()), "w3")
        .await
        .unwrap();
    assert_eq!(joined.how, Opening::Joined);
    let foreign = journal
        .open_run(&new_run("hash-2"), &RunSelect::Id(run.clone()), "w3")
        .await
        .unwrap_err();
    assert!(
        matches!(foreign, JournalError::RunOfAnotherPlan { .. }),
        "{foreign}"
    );

    // Two workers claim the two targets in plan order; nothing is left.
    let lease = Duration::from_millis(400);
    let a = journal.claim(&run, "w1", lease).await.unwrap().unwrap();
    let b = journal
        .claim(&run, "w2", Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((a.name.as_str(), b.name.as_str()), ("web", "db"));
    assert!(journal.claim(&run, "w3", lease).await.unwrap().is_none());

    // Intent before the trigger, references after, a state change, the end.
    let key = Some("5f0c6e1e-8b6a-4d1c-9a53-7d2b4c1e0f11".to_owned());
    journal
        .update(
            &run,
            "web",
            "w1",
            &Update::Intent {
                idempotency_key: key.clone(),
            },
        )
        .await
        .unwrap();
    // A second intent is refused: the target is no longer pending.
    let twice = journal
        .update(
            &run,
            "web",
            "w1",
            &Update::Intent {
                idempotency_key: None,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(twice, JournalError::LostClaim { .. }), "{twice}");

    // w1 dies: after its lease, w3 takes "web" over from where it stood.
    tokio::time::sleep(lease + Duration::from_millis(200)).await;
    let taken = journal.claim(&run, "w3", lease).await.unwrap().unwrap();
    assert_eq!(taken.name, "web");
    assert_eq!(taken.state, TargetState::Triggering);
    assert_eq!(taken.previous_owner.as_deref(), Some("w1"));
    assert_eq!(taken.idempotency_key, key);
    assert!(taken.intent_at.is_some());
    assert_eq!(taken.claims, 2);
    // w1's late writes are refused.
    let late = journal
        .update(
            &run,
            "web",
            "w1",
            &Update::Triggered {
                operations: vec![op("op-1", OperationStatus::Pending)],
                recovery: None,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(late, JournalError::LostClaim { .. }), "{late}");
    assert_eq!(journal.renew(&run, "w1", lease).await.unwrap(), 0);
    assert_eq!(journal.renew(&run, "w3", lease).await.unwrap(), 1);

    journal
        .update(
            &run,
            "web",
            "w3",
            &Update::Triggered {
                operations: vec![op("op-1", OperationStatus::Pending)],
                recovery: Some("vendor".to_owned()),
            },
        )
        .await
        .unwrap();
    let running = vec![op("op-1", OperationStatus::Running).with_progress(Some(40.0))];
    journal
        .update(
            &run,
            "web",
            "w3",
            &Update::Observed {
                index: 0,
                operations: running,
            },
        )
        .await
        .unwrap();
    let done = vec![op("op-1", OperationStatus::Succeeded)];
    journal
        .update(
            &run,
            "web",
            "w3",
            &Update::Ended {
                outcome: TargetOutcome::Succeeded,
                operations: done.clone(),
                error: None,
                recovery: None,
            },
        )
        .await
        .unwrap();
    // Not every target has ended: the run goes on.
    assert!(journal.finish(&run, "w3").await.unwrap().ended_at.is_none());

    journal
        .update(
            &run,
            "db",
            "w2",
            &Update::Ended {
                outcome: TargetOutcome::OutcomeUnknown,
                operations: Vec::new(),
                error: Some(ErrorRecord::of(&backup_core::Error::OutcomeUnknown {
                    vendor: "yandex",
                    action: "trigger".to_owned(),
                    reason: "lost".to_owned(),
                    status: None,
                    request_id: None,
                })),
                recovery: Some("unknown".to_owned()),
            },
        )
        .await
        .unwrap();
    let ended = journal.finish(&run, "w2").await.unwrap();
    assert!(ended.ended_at.is_some());
    assert_eq!(ended.outcome.as_deref(), Some("failed"));
    assert_eq!((ended.targets, ended.ended, ended.succeeded), (2, 2, 1));
    // An ended run is not resumed (the other unfinished run of the plan is).
    let next = journal
        .open_run(&plan, &RunSelect::ResumeOrNew, "w1")
        .await
        .unwrap();
    assert_eq!((next.how, &next.run.id), (Opening::Resumed, &other.run.id));

    let targets = journal.targets(&run).await.unwrap();
    assert_eq!(targets[0].operations, done);
    assert_eq!(targets[0].recovery.as_deref(), Some("vendor"));
    assert_eq!(
        targets[1].state,
        TargetState::Ended(TargetOutcome::OutcomeUnknown)
    );
    assert_eq!(targets[1].error.as_ref().unwrap().kind, "outcome_unknown");

    let story: Vec<(Option<String>, String)> = journal
        .events(&run)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.target, e.kind))
        .collect();
    let of = |target: &str| -> Vec<&str> {
        story
            .iter()
            .filter(|(t, _)| t.as_deref() == Some(target))
            .map(|(_, k)| k.as_str())
            .collect()
    };
    assert_eq!(
        of("web"),
        [
            "claimed",
            "intent",
            "claimed",
            "recovered",
            "state",
            "ended"
        ]
    );
    assert_eq!(of("db"), ["claimed", "ended"]);
    let run_events: Vec<&str> = story
        .iter()
        .filter(|(t, _)| t.is_none())
        .map(|(_, k)| k.as_str())
        .collect();
    assert_eq!(
        run_events,
        ["run_created", "run_resumed", "run_joined", "run_ended"]
    );
    let runs = journal.runs(10).await.unwrap();
    assert_eq!(runs.len(), 2);
    assert!(
        runs.iter()
            .any(|r| r.id == run && r.outcome.as_deref() == Some("failed"))
    );
}

#[tokio::test]
async fn sqlite_records_claims_leases_and_every_step() {
    let (_dir, path) = temp_path("journal.sqlite");
    let journal = SqliteJournal::open(&path).await.unwrap();
    claims_and_steps(&journal).await;
}

#[tokio::test]
async fn postgres_records_claims_leases_and_every_step() {
    let Some(url) = postgres("postgres_records_claims_leases_and_every_step").await else {
        return;
    };
    let journal = PostgresJournal::connect(&url).await.unwrap();
    claims_and_steps(&journal).await;
}

#[tokio::test]
async fn postgres_gives_each_target_to_exactly_one_of_many_workers() {
    let Some(url) = postgres("postgres_gives_each_target_to_exactly_one_of_many_workers").await
    else {
        return;
    };
    let journal = std::sync::Arc::new(PostgresJournal::connect(&url).await.unwrap());
    let mut plan = new_run("many");
    plan.targets = (0..60)
        .map(|i| (format!("t{i:02}"), crate::Vendor::ALL[0]))
        .collect();
    let run = journal
        .open_run(&plan, &RunSelect::New, "w0")
        .await
        .unwrap()
        .run
        .id;
    let workers = (0..6).map(|w| {
        let journal = journal.clone();
        let run = run.clone();
        tokio::spawn(async move {
            let mut mine = Vec::new();
            while let Some(target) = journal
                .claim(&run, &format!("w{w}"), Duration::from_secs(60))
                .await
                .unwrap()
            {
                mine.push(target.name);
            }
            mine
        })
    });
    let mut all: Vec<String> = Vec::new();
    for worker in workers {
        all.extend(worker.await.unwrap());
    }
    all.sort();
    let expected: Vec<String> = plan.targets.iter().map(|(n, _)| n.clone()).collect();
    assert_eq!(all, expected, "every target claimed exactly once");
}

#[tokio::test]
async fn a_journal_of_an_older_version_opens_and_is_migrated() {
    let (_dir, path) = temp_path("old.sqlite");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    // A journal as version 1 wrote it: its schema and one unfinished run.
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        let v1 = sql::MIGRATIONS[0].0;
        conn.execute_batch(v1).unwrap();
        conn.execute_batch(
            "CREATE TABLE backupctl_schema (version BIGINT NOT NULL, applied_at BIGINT NOT NULL);
             INSERT INTO backupctl_schema VALUES (1, 0);
             INSERT INTO backupctl_runs VALUES ('old-run', 'plan.toml', 'hash-old', '{}', 'w-old', 1700000000000, NULL, NULL);",
        )
        .unwrap();
        conn.execute(
            "INSERT INTO backupctl_targets (run_id, name, position, vendor, state, operations, updated_at) \
             VALUES ('old-run', 'web', 0, 'yandex', 'waiting', ?1, 1700000000000)",
            [serde_json::to_string(&[op("op-7", OperationStatus::Running)]).unwrap()],
        )
        .unwrap();
    }
    let journal = SqliteJournal::open(&path).await.unwrap();
    let mut plan = new_run("hash-old");
    plan.targets.truncate(1);
    plan.targets[0].0 = "web".to_owned();
    let opened = journal
        .open_run(&plan, &RunSelect::ResumeOrNew, "w-new")
        .await
        .unwrap();
    assert_eq!(
        (opened.how, opened.run.id.as_str()),
        (Opening::Resumed, "old-run")
    );
    let target = journal
        .claim("old-run", "w-new", DEFAULT_LEASE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(target.state, TargetState::Waiting);
    assert_eq!(target.operations[0].reference.to_string(), "yandex:op-7");
    assert_eq!(target.recovery, None, "the column version 2 added");
}

#[tokio::test]
async fn a_corrupt_file_is_a_clear_error_naming_it() {
    let (_dir, path) = temp_path("corrupt.sqlite");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        &path,
        b"this is not a database, just some bytes ".repeat(200),
    )
    .unwrap();
    let error = super::open(path.display().to_string()).await.unwrap_err();
    let text = error.to_string();
    assert!(matches!(error, JournalError::Open { .. }), "{text}");
    assert!(text.contains(&path.display().to_string()), "{text}");
    assert!(
        text.contains("not a backupctl journal, or corrupt"),
        "{text}"
    );
}

#[tokio::test]
async fn a_journal_of_a_newer_version_is_refused() {
    let (_dir, path) = temp_path("newer.sqlite");
    drop(SqliteJournal::open(&path).await.unwrap());
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute("INSERT INTO backupctl_schema VALUES (99, 0)", [])
        .unwrap();
    let text = SqliteJournal::open(&path).await.unwrap_err().to_string();
    assert!(
        text.contains("newer backupctl") && text.contains("99"),
        "{text}"
    );
}

#[tokio::test]
async fn a_missing_journal_is_not_created_for_reading() {
    let (_dir, path) = temp_path("absent.sqlite");
    let text = open_existing(path.display().to_string())
        .await
        .unwrap_err()
        .to_string();
    assert!(text.contains("no journal here"), "{text}");
    assert!(!path.exists());
}
