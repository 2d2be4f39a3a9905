//! The run journal from Rust, without the command line: a journaled run of every
//! vendor's emulator interrupted once every backup is started, then resumed from the
//! recorded references; fail-fast in a journaled run.
#![cfg(all(feature = "full", feature = "emulator", feature = "journal"))]

use std::time::Duration;

use backup_all::core::emulator::LifecycleSpec;
use backup_all::journal::{
    Journal, NewRun, Opening, RunSelect, SqliteJournal, TargetState, WorkerOptions,
};
use backup_all::plan::PreparedPlan;
use backup_all::{AnyEmulator, PlanSettings, Target, TargetOutcome, Vendor};

async fn emulators(polls: u32) -> Vec<AnyEmulator> {
    let mut emulators = Vec::new();
    for &vendor in Vendor::ALL {
        let emulator = AnyEmulator::start(vendor).await.unwrap();
        emulator
            .as_dyn()
            .set_lifecycle(LifecycleSpec::after_polls(polls));
        emulators.push(emulator);
    }
    emulators
}

fn plan(emulators: &[AnyEmulator], concurrency: usize, fail_fast: bool) -> PreparedPlan {
    PreparedPlan {
        settings: PlanSettings {
            concurrency,
            fail_fast,
            poll_interval: Duration::from_millis(10),
            ..PlanSettings::default()
        },
        targets: emulators
            .iter()
            .map(|emulator| {
                Target::new(
                    emulator.vendor().as_str(),
                    emulator.client().unwrap(),
                    emulator.demo_request(),
                )
            })
            .collect(),
    }
}

fn new_run(plan: &PreparedPlan, hash: &str) -> NewRun {
    NewRun {
        plan_path: "in-process".to_owned(),
        plan_hash: hash.to_owned(),
        settings: serde_json::Value::Null,
        targets: plan
            .targets
            .iter()
            .map(|t| (t.name.clone(), t.vendor()))
            .collect(),
    }
}

/// A journal's path in a new temporary directory, removed with it when the guard drops.
fn journal_path(name: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::Builder::new()
        .prefix(&format!("backup-all-it-{name}-"))
        .tempdir()
        .expect("a temporary directory");
    let path = dir.path().join("journal.sqlite");
    (dir, path)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_run_resumes_from_its_recorded_references() {
    let emulators = emulators(40).await;
    let plan = plan(&emulators, 8, false);
    let (_dir, path) = journal_path("resume");
    let journal = SqliteJournal::open(&path).await.unwrap();
    let first = WorkerOptions::default();
    let opened = journal
        .open_run(
            &new_run(&plan, "resume"),
            &RunSelect::ResumeOrNew,
            &first.worker,
        )
        .await
        .unwrap();
    let run_id = opened.run.id.clone();
    // Interrupted once every target's references are recorded.
    let all_waiting = async {
        loop {
            let targets = journal.targets(&run_id).await.unwrap();
            if targets.iter().all(|t| t.state == TargetState::Waiting) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let interrupted = plan
        .run_journaled(&journal, &run_id, &first, &|_, _| {}, all_waiting)
        .await
        .unwrap();
    assert_eq!(interrupted.run_id.as_deref(), Some(run_id.as_str()));
    assert_eq!(
        interrupted.count(TargetOutcome::Abandoned),
        emulators.len(),
        "{interrupted:?}"
    );
    assert!(
        journal
            .run(&run_id)
            .await
            .unwrap()
            .unwrap()
            .ended_at
            .is_none()
    );

    // Another worker resumes at once (the claims were released) and never triggers again.
    let second = WorkerOptions::default();
    let opened = journal
        .open_run(
            &new_run(&plan, "resume"),
            &RunSelect::ResumeOrNew,
            &second.worker,
        )
        .await
        .unwrap();
    assert_eq!(
        (opened.how, opened.run.id.as_str()),
        (Opening::Resumed, run_id.as_str())
    );
    let report = plan
        .run_journaled(
            &journal,
            &run_id,
            &second,
            &|_, _| {},
            std::future::pending(),
        )
        .await
        .unwrap();
    assert!(report.is_success(), "{report:?}");
    for emulator in &emulators {
        assert_eq!(
            emulator.as_dyn().accepted_backups(),
            1,
            "{}",
            emulator.vendor()
        );
    }
    let events = journal.events(&run_id).await.unwrap();
    for target in journal.targets(&run_id).await.unwrap() {
        let kinds: Vec<&str> = events
            .iter()
            .filter(|e| e.target.as_deref() == Some(&target.name))
            .map(|e| e.kind.as_str())
            .collect();
        assert_eq!(
            kinds.iter().filter(|k| **k == "intent").count(),
            1,
            "{kinds:?}"
        );
        assert_eq!(
            kinds.iter().filter(|k| **k == "claimed").count(),
            2,
            "{kinds:?}"
        );
        assert_eq!(target.claims, 2);
        assert_eq!(
            target.previous_owner.as_deref(),
            Some(first.worker.as_str())
        );
        assert_eq!(target.owner.as_deref(), Some(second.worker.as_str()));
    }
    let run = journal.run(&run_id).await.unwrap().unwrap();
    assert_eq!(run.outcome.as_deref(), Some("succeeded"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fail_fast_skips_the_targets_not_started_and_ends_the_run() {
    let emulators = emulators(2).await;
    emulators[0]
        .as_dyn()
        .set_lifecycle(LifecycleSpec::after_polls(1).failing("tape jammed"));
    let plan = plan(&emulators, 1, true);
    let (_dir, path) = journal_path("fail-fast");
    let journal = SqliteJournal::open(&path).await.unwrap();
    let worker = WorkerOptions::default();
    let run_id = journal
        .open_run(
            &new_run(&plan, "fail-fast"),
            &RunSelect::New,
            &worker.worker,
        )
        .await
        .unwrap()
        .run
        .id;
    let report = plan
        .run_journaled(
            &journal,
            &run_id,
            &worker,
            &|_, _| {},
            std::future::pending(),
        )
        .await
        .unwrap();
    assert_eq!(report.targets[0].outcome, TargetOutcome::Failed);
    assert_eq!(
        report.count(TargetOutcome::Skipped),
        emulators.len() - 1,
        "{report:?}"
    );
    let run = journal.run(&run_id).await.unwrap().unwrap();
    assert_eq!(run.outcome.as_deref(), Some("failed"));
    assert!(run.ended_at.is_some());
    for (i, emulator) in emulators.iter().enumerate() {
        assert_eq!(emulator.as_dyn().accepted_backups(), u64::from(i == 0));
    }
}

/// A claimed target is found in the plan by its name: one the plan does not have (a
/// run opened from another plan) is a clear error naming it, and only it is left
/// unstarted; the plan's own targets, claimed before it, end as usual.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recorded_target_the_plan_lacks_is_an_error_naming_it() {
    let emulators = emulators(1).await;
    let whole = plan(&emulators, 1, false);
    let (_dir, path) = journal_path("unknown");
    let journal = SqliteJournal::open(&path).await.unwrap();
    let worker = WorkerOptions::default();
    let run_id = journal
        .open_run(&new_run(&whole, "unknown"), &RunSelect::New, &worker.worker)
        .await
        .unwrap()
        .run
        .id;
    let mut partial = plan(&emulators, 1, false);
    let missing = partial.targets.pop().unwrap().name;
    let error = partial
        .run_journaled(
            &journal,
            &run_id,
            &worker,
            &|_, _| {},
            std::future::pending(),
        )
        .await
        .unwrap_err();
    let text = error.to_string();
    assert!(text.contains(&missing), "{text}");
    let targets = journal.targets(&run_id).await.unwrap();
    for target in &targets {
        let expected = if target.name == missing {
            TargetState::Pending
        } else {
            TargetState::Ended(TargetOutcome::Succeeded)
        };
        assert_eq!(target.state, expected, "{}", target.name);
    }
    for (i, emulator) in emulators.iter().enumerate() {
        assert_eq!(
            emulator.as_dyn().accepted_backups(),
            u64::from(i + 1 < emulators.len())
        );
    }
}
