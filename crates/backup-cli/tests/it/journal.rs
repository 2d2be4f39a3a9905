//! Durable runs (docs/runs.md): a real `backupctl run` killed with SIGKILL at each step
//! against every vendor's emulator, then run again; several workers on PostgreSQL with
//! one killed mid-run. The emulators' accepted-trigger counts prove that no target was
//! backed up twice, and the journal must hold the whole story.
//!
//! The PostgreSQL tests need `BACKUPCTL_TEST_POSTGRES_URL` (`.ci/run` starts a server
//! and sets it); without it they say they were skipped, and on CI they fail.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use backup_all::Vendor;
use backup_all::core::emulator::{Fault, LifecycleSpec, RouteClass, VendorEmulator};
use backup_all::journal::{self, EventRecord, Journal, TargetRecord, TargetState};
use backup_all::run::TargetOutcome;
use serde_json::Value;

use crate::common::{Run, Setup, backupctl, temp_file};

/// How long any wait of these tests may last: generous, never what decides.
const PATIENCE: Duration = Duration::from_secs(120);

/// Where the journal is: a SQLite file, or a fresh PostgreSQL database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh database on the test server, or `None` (saying the test was skipped)
/// without `BACKUPCTL_TEST_POSTGRES_URL`; on CI a missing URL fails.
async fn postgres_database(test: &str) -> Option<String> {
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
    let name = format!(
        "backupctl_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
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

/// Every vendor's emulator, one target each in one plan.
struct Fleet {
    setups: Vec<Setup>,
    plan: PathBuf,
    env: Vec<(String, String)>,
    state: String,
    journal: tokio::sync::OnceCell<Arc<dyn Journal>>,
}

impl Fleet {
    /// The fleet with backups done after `polls` polls, and its journal; `None` when
    /// the backend is PostgreSQL and no server is given.
    async fn start(test: &str, backend: Backend, polls: u32) -> Option<Fleet> {
        let state = match backend {
            Backend::Postgres => postgres_database(test).await?,
            Backend::Sqlite => String::new(),
        };
        let setups = Setup::all().await;
        let mut plan = "concurrency = 8\npoll_interval = \"40ms\"\n".to_owned();
        let mut env = Vec::new();
        for setup in &setups {
            setup
                .emulator()
                .set_lifecycle(LifecycleSpec::after_polls(polls));
            plan.push_str(&format!(
                "\n[[target]]\nname = \"{}\"\n{}",
                setup.name(),
                setup.plan()
            ));
            env.extend(setup.env.iter().cloned());
        }
        let plan = temp_file("plan.toml", &plan);
        let state = if state.is_empty() {
            plan.parent()
                .unwrap()
                .join("journal.sqlite")
                .display()
                .to_string()
        } else {
            state
        };
        Some(Fleet {
            setups,
            plan,
            env,
            state,
            journal: tokio::sync::OnceCell::new(),
        })
    }

    fn args(&self, extra: &[&str]) -> Vec<String> {
        let mut args = vec![
            "run".to_owned(),
            self.plan.display().to_string(),
            "--output".to_owned(),
            "json".to_owned(),
            "--state".to_owned(),
            self.state.clone(),
        ];
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        args
    }

    /// Starts `backupctl run` in the background.
    fn spawn(&self, extra: &[&str]) -> Child {
        let mut command = Command::new(env!("CARGO_BIN_EXE_backupctl"));
        command
            .args(self.args(extra))
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env_remove("RUST_LOG")
            .env_remove("BACKUPCTL_STATE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command.spawn().unwrap()
    }

    /// Runs `backupctl run` to its end.
    async fn run(&self, extra: &[&str]) -> Run {
        backupctl(&self.args(extra), &self.env).await
    }

    async fn journal(&self) -> Arc<dyn Journal> {
        self.opened().await.unwrap()
    }

    /// The journal, once it exists (opened once).
    async fn opened(&self) -> Option<Arc<dyn Journal>> {
        if let Some(journal) = self.journal.get() {
            return Some(journal.clone());
        }
        let journal = journal::open_existing(&self.state).await.ok()?;
        Some(self.journal.get_or_init(|| async { journal }).await.clone())
    }

    /// The only run of the journal and its targets.
    async fn targets(&self) -> Option<(String, Vec<TargetRecord>)> {
        let journal = self.opened().await?;
        let run = journal.runs(10).await.ok()?.into_iter().next()?;
        let targets = journal.targets(&run.id).await.ok()?;
        Some((run.id, targets))
    }

    fn setup(&self, name: &str) -> &Setup {
        self.setups.iter().find(|s| s.name() == name).unwrap()
    }

    fn clear_faults(&self) {
        for setup in &self.setups {
            setup.emulator().faults().clear();
        }
    }
}

/// Waits until `check` holds, for at most [`PATIENCE`].
async fn until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let started = Instant::now();
    while !check().await {
        assert!(
            started.elapsed() < PATIENCE,
            "timed out waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
}

/// SIGKILL, and reap.
fn kill(mut child: Child) {
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Whether the vendor's trigger carries an idempotency key it honours.
fn idempotent(vendor: Vendor) -> bool {
    struct Idempotent;
    impl backup_all::EmulatorVisitor for Idempotent {
        type Output = bool;
        fn visit<E: VendorEmulator>(self) -> bool {
            E::IDEMPOTENT_TRIGGER
        }
    }
    vendor.visit_emulator(Idempotent).unwrap()
}

/// The kinds of a target's events, in order.
fn story<'a>(events: &'a [EventRecord], target: &str) -> Vec<&'a str> {
    events
        .iter()
        .filter(|e| e.target.as_deref() == Some(target))
        .map(|e| e.kind.as_str())
        .collect()
}

/// Where the first process was killed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KillPoint {
    /// The intent is recorded and the trigger was refused with 503 + Retry-After: the
    /// process sleeps before sending it again. Nothing was accepted.
    BeforeTrigger,
    /// The trigger was accepted (a backup started) and its answer is held back.
    AfterSentBeforeAnswer,
    /// The answer came and the references are recorded; the first poll is held back.
    AfterAnswer,
    /// Waiting: several state changes recorded.
    WhileWaiting,
}

/// Kills a `backupctl run` at `point` against every vendor, runs the plan again, and
/// checks the emulators' counts and the journal. Prints one row per vendor of the
/// table in docs/runs.md.
async fn kill_and_resume(test: &str, backend: Backend, point: KillPoint) {
    let polls = if point == KillPoint::WhileWaiting {
        40
    } else {
        4
    };
    let Some(fleet) = Fleet::start(test, backend, polls).await else {
        return;
    };
    let hold = Duration::from_secs(600);
    for setup in &fleet.setups {
        let faults = setup.emulator().faults();
        match point {
            KillPoint::BeforeTrigger => {
                faults.inject(
                    RouteClass::Trigger,
                    Fault::retry_after(503, Duration::from_secs(80)),
                );
            }
            KillPoint::AfterSentBeforeAnswer => {
                faults.inject(RouteClass::Trigger, Fault::Delay(hold));
            }
            KillPoint::AfterAnswer => faults.inject(RouteClass::Poll, Fault::Delay(hold)),
            KillPoint::WhileWaiting => {}
        }
    }
    let first = fleet.spawn(&[]);
    let expected = fleet.setups.len();
    until(&format!("{point:?} is reached"), || async {
        let Some((run_id, targets)) = fleet.targets().await else {
            return false;
        };
        let every = |f: &dyn Fn(&TargetRecord, &Setup) -> bool| {
            targets.len() == expected && targets.iter().all(|t| f(t, fleet.setup(&t.name)))
        };
        match point {
            KillPoint::BeforeTrigger => every(&|t, s| {
                t.state == TargetState::Triggering
                    && s.emulator().requests().count(RouteClass::Trigger) >= 1
            }),
            KillPoint::AfterSentBeforeAnswer => {
                every(&|t, s| t.state == TargetState::Triggering && s.accepted() == 1)
            }
            KillPoint::AfterAnswer => every(&|t, s| {
                t.state == TargetState::Waiting
                    && s.emulator().requests().count(RouteClass::Poll) >= 1
            }),
            KillPoint::WhileWaiting => {
                let Ok(events) = fleet.journal().await.events(&run_id).await else {
                    return false;
                };
                every(&|t, _| {
                    t.state == TargetState::Waiting
                        && story(&events, &t.name)
                            .iter()
                            .filter(|k| **k == "state")
                            .count()
                            >= 2
                })
            }
        }
    })
    .await;
    kill(first);
    let (run_id, before) = fleet.targets().await.unwrap();
    for (target, setup) in before.iter().map(|t| (t, fleet.setup(&t.name))) {
        let accepted = setup.accepted();
        match point {
            KillPoint::BeforeTrigger => assert_eq!(accepted, 0, "{}", target.name),
            _ => assert_eq!(accepted, 1, "{}", target.name),
        }
        assert!(!target.state.is_ended(), "{target:?}");
    }

    // Run again: the same plan resumes the unfinished run.
    fleet.clear_faults();
    let second = fleet.run(&[]).await;
    assert!(
        second.stderr.contains(&format!("resuming run {run_id}")),
        "{second:#?}"
    );
    let lines = second.json();
    assert!(!lines.is_empty(), "{second:#?}");
    for line in &lines {
        assert_eq!(line["run_id"], Value::String(run_id.clone()), "{line}");
    }
    let journal = fleet.journal().await;
    let run = journal.run(&run_id).await.unwrap().unwrap();
    assert!(run.ended_at.is_some(), "the run has ended: {run:?}");
    let targets = journal.targets(&run_id).await.unwrap();
    let events = journal.events(&run_id).await.unwrap();
    let mut any_unknown = false;
    for target in &targets {
        let setup = fleet.setup(&target.name);
        let accepted = setup.accepted();
        let kinds = story(&events, &target.name);
        let TargetState::Ended(outcome) = target.state else {
            panic!("{target:?}");
        };
        // One row of the kill-point table of docs/runs.md (`--nocapture` shows it).
        #[allow(clippy::print_stderr)]
        {
            eprintln!(
                "| {point:?} | {backend:?} | {} | {accepted} | {} |",
                target.name,
                outcome.as_str()
            );
        }
        // Never a second intent: nothing is triggered twice blindly.
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
        assert_eq!(kinds.last(), Some(&"ended"), "{kinds:?}");
        assert_eq!(target.claims, 2);
        assert!(target.intent_at.is_some(), "{target:?}");
        assert!(accepted <= 1, "{}: {accepted} backups", target.name);
        match outcome {
            TargetOutcome::Succeeded => {
                assert_eq!(accepted, 1, "{}", target.name);
                assert!(!target.operations.is_empty());
                assert!(target.operations.iter().all(|op| op.status.is_success()));
                let resumed_at = kinds.iter().rposition(|k| *k == "claimed").unwrap();
                assert!(kinds[resumed_at..].contains(&"state"), "{kinds:?}");
            }
            TargetOutcome::OutcomeUnknown => {
                any_unknown = true;
                assert!(
                    matches!(
                        point,
                        KillPoint::BeforeTrigger | KillPoint::AfterSentBeforeAnswer
                    ),
                    "{}: unknown at {point:?}",
                    target.name
                );
                assert!(
                    !idempotent(setup.vendor),
                    "{}: it has an idempotency key",
                    target.name
                );
                assert_eq!(target.recovery.as_deref(), Some("unknown"));
                let error = target.error.as_ref().unwrap();
                assert_eq!(error.kind, "outcome_unknown");
                assert!(
                    error.message.contains("the trigger was sent at")
                        && error.message.contains("answer never came"),
                    "{}",
                    error.message
                );
            }
            other => panic!("{}: {other:?}", target.name),
        }
        match point {
            KillPoint::BeforeTrigger | KillPoint::AfterSentBeforeAnswer => {
                // The intent without a reference was resolved through the vendor.
                assert!(
                    kinds.contains(&"recovered") || outcome == TargetOutcome::OutcomeUnknown,
                    "{kinds:?}"
                );
                assert!(!kinds.contains(&"triggered"), "{kinds:?}");
                if idempotent(setup.vendor) {
                    assert_eq!(outcome, TargetOutcome::Succeeded, "{}", target.name);
                    assert_eq!(target.recovery.as_deref(), Some("vendor"));
                    assert!(target.idempotency_key.is_some());
                }
            }
            KillPoint::AfterAnswer | KillPoint::WhileWaiting => {
                // Waited on from the recorded references, never triggered again.
                assert_eq!(outcome, TargetOutcome::Succeeded, "{}", target.name);
                assert!(
                    kinds.starts_with(&["claimed", "intent", "triggered"]),
                    "{kinds:?}"
                );
                assert!(!kinds.contains(&"recovered"), "{kinds:?}");
                // The recorded reference was followed (a vendor may refine it while
                // waiting: Azure adds the job).
                let recorded = &before
                    .iter()
                    .find(|t| t.name == target.name)
                    .unwrap()
                    .operations;
                for (after, recorded) in target.operations.iter().zip(recorded) {
                    assert!(
                        after
                            .reference
                            .to_string()
                            .starts_with(&recorded.reference.to_string()),
                        "{}: {} is not {}",
                        target.name,
                        after.reference,
                        recorded.reference
                    );
                }
            }
        }
    }
    assert_eq!(second.code, if any_unknown { 5 } else { 0 }, "{second:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_kill_before_the_trigger_is_sent() {
    kill_and_resume(
        "sqlite_kill_before_the_trigger_is_sent",
        Backend::Sqlite,
        KillPoint::BeforeTrigger,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_kill_after_the_trigger_is_sent_before_its_answer() {
    kill_and_resume(
        "sqlite_kill_after_the_trigger_is_sent_before_its_answer",
        Backend::Sqlite,
        KillPoint::AfterSentBeforeAnswer,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_kill_after_the_answer() {
    kill_and_resume(
        "sqlite_kill_after_the_answer",
        Backend::Sqlite,
        KillPoint::AfterAnswer,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_kill_while_waiting() {
    kill_and_resume(
        "sqlite_kill_while_waiting",
        Backend::Sqlite,
        KillPoint::WhileWaiting,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_kill_before_the_trigger_is_sent() {
    kill_and_resume(
        "postgres_kill_before_the_trigger_is_sent",
        Backend::Postgres,
        KillPoint::BeforeTrigger,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_kill_after_the_trigger_is_sent_before_its_answer() {
    kill_and_resume(
        "postgres_kill_after_the_trigger_is_sent_before_its_answer",
        Backend::Postgres,
        KillPoint::AfterSentBeforeAnswer,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_kill_after_the_answer() {
    kill_and_resume(
        "postgres_kill_after_the_answer",
        Backend::Postgres,
        KillPoint::AfterAnswer,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_kill_while_waiting() {
    kill_and_resume(
        "postgres_kill_while_waiting",
        Backend::Postgres,
        KillPoint::WhileWaiting,
    )
    .await;
}

/// `workers` processes share one run on PostgreSQL (`--run-id`); the first one to
/// hold a target that is being waited on is killed. The others take its target over
/// after its lease and finish the run: one backup per target, each ended once.
async fn workers_share_a_run(test: &str, workers: usize) {
    let Some(fleet) = Fleet::start(test, Backend::Postgres, 30).await else {
        return;
    };
    let run_id = format!("shared-{workers}");
    let extra = [
        "--run-id",
        run_id.as_str(),
        "--concurrency",
        "1",
        "--lease",
        "3s",
    ];
    let mut children: Vec<Option<Child>> =
        (0..workers).map(|_| Some(fleet.spawn(&extra))).collect();
    let pids: Vec<u32> = children.iter().map(|c| c.as_ref().unwrap().id()).collect();

    // Kill the worker holding the first target seen waiting with progress.
    let victim = std::sync::Mutex::new(None);
    until("a worker is waiting on a target", || {
        let fleet = &fleet;
        let pids = &pids;
        let victim = &victim;
        async move {
            let Some((_, targets)) = fleet.targets().await else {
                return false;
            };
            let holder = targets.iter().find_map(|t| {
                let waiting = t.state == TargetState::Waiting
                    && t.operations
                        .iter()
                        .any(|op| op.progress.unwrap_or(0.0) > 0.0);
                let owner = t.owner.as_deref()?;
                let index = pids
                    .iter()
                    .position(|pid| owner.contains(&format!("/{pid}/")))?;
                waiting.then(|| (index, owner.to_owned(), t.name.clone()))
            });
            let found = holder.is_some();
            *victim.lock().unwrap() = holder;
            found
        }
    })
    .await;
    let (index, killed_worker, killed_target) = victim.into_inner().unwrap().unwrap();
    kill(children[index].take().unwrap());

    // The others end the run, each reporting every target of it.
    for child in children.into_iter().flatten() {
        let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
            .await
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let reported: std::collections::BTreeSet<String> = stdout
            .lines()
            .map(|line| {
                let line: Value = serde_json::from_str(line).unwrap();
                assert_eq!(line["run_id"], Value::String(run_id.clone()), "{line}");
                line["target"].as_str().unwrap().to_owned()
            })
            .collect();
        assert_eq!(reported.len(), fleet.setups.len(), "{stdout}");
    }

    let journal = fleet.journal().await;
    let run = journal.run(&run_id).await.unwrap().unwrap();
    assert_eq!(run.outcome.as_deref(), Some("succeeded"), "{run:?}");
    let targets = journal.targets(&run_id).await.unwrap();
    let events = journal.events(&run_id).await.unwrap();
    assert_eq!(targets.len(), fleet.setups.len());
    for target in &targets {
        let kinds = story(&events, &target.name);
        assert_eq!(
            fleet.setup(&target.name).accepted(),
            1,
            "{}: {kinds:?}",
            target.name
        );
        assert_eq!(target.state, TargetState::Ended(TargetOutcome::Succeeded));
        assert_eq!(
            kinds.iter().filter(|k| **k == "intent").count(),
            1,
            "{kinds:?}"
        );
        assert_eq!(
            kinds.iter().filter(|k| **k == "ended").count(),
            1,
            "{kinds:?}"
        );
        if target.name == killed_target {
            assert_eq!(target.claims, 2, "{target:?}");
            assert_eq!(
                target.previous_owner.as_deref(),
                Some(killed_worker.as_str())
            );
            assert_ne!(target.owner.as_deref(), Some(killed_worker.as_str()));
        } else {
            assert_eq!(target.claims, 1, "{target:?}");
        }
    }
    // More than one worker took part.
    let claimants: std::collections::BTreeSet<&str> = events
        .iter()
        .filter(|e| e.kind == "claimed")
        .filter_map(|e| e.worker.as_deref())
        .collect();
    assert!(claimants.len() >= 2, "{claimants:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_two_workers_one_killed_mid_run() {
    workers_share_a_run("postgres_two_workers_one_killed_mid_run", 2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_three_workers_one_killed_mid_run() {
    workers_share_a_run("postgres_three_workers_one_killed_mid_run", 3).await;
}

/// The journal of a plan with one target on the first vendor of the registry.
fn one_target(setup: &Setup) -> (PathBuf, PathBuf) {
    let plan = temp_file(
        "plan.toml",
        &format!(
            "poll_interval = \"20ms\"\n[[target]]\nname = \"one\"\n{}",
            setup.plan()
        ),
    );
    let journal = plan
        .parent()
        .unwrap()
        .join(".backupctl")
        .join("journal.sqlite");
    (plan, journal)
}

#[tokio::test]
async fn the_journal_sits_next_to_the_plan_and_runs_list_and_show_read_it() {
    let setup = Setup::start(Vendor::ALL[0]).await;
    let (plan, journal_path) = one_target(&setup);
    let plan_arg = plan.display().to_string();
    let run = backupctl(&["run", &plan_arg, "--output", "json"], &setup.env)
        .await
        .expect(0);
    assert!(journal_path.exists(), "{journal_path:?}");
    let run_id = run.json()[0]["run_id"].as_str().unwrap().to_owned();
    assert_eq!(setup.accepted(), 1);

    let list = backupctl(
        &["runs", "list", "--plan", &plan_arg, "--output", "json"],
        &[],
    )
    .await
    .expect(0);
    let runs = list.json();
    assert_eq!(runs.len(), 1, "{list:#?}");
    assert_eq!(runs[0]["id"], Value::String(run_id.clone()));
    assert_eq!(runs[0]["outcome"], "succeeded");
    assert_eq!(
        (runs[0]["targets"].as_u64(), runs[0]["succeeded"].as_u64()),
        (Some(1), Some(1))
    );
    let text = backupctl(&["runs", "list", "--plan", &plan_arg], &[])
        .await
        .expect(0);
    assert!(
        text.stdout.contains(&run_id) && text.stdout.contains("succeeded"),
        "{text:#?}"
    );

    let state = journal_path.display().to_string();
    let show = backupctl(
        &[
            "runs", "show", &run_id, "--state", &state, "--output", "json",
        ],
        &[],
    )
    .await
    .expect(0);
    let shown = show.one();
    assert_eq!(shown["run"]["id"], Value::String(run_id.clone()));
    let target = &shown["targets"][0];
    assert_eq!(target["name"], "one");
    assert_eq!(target["state"], "succeeded");
    let kinds: Vec<&str> = target["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.first(), Some(&"claimed"));
    assert_eq!(&kinds[1..3], ["intent", "triggered"]);
    assert!(kinds.contains(&"state"), "{kinds:?}");
    assert_eq!(kinds.last(), Some(&"ended"));
    let run_kinds: Vec<&str> = shown["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(run_kinds, ["run_created", "run_ended"]);
    let text = backupctl(&["runs", "show", &run_id, "--state", &state], &[])
        .await
        .expect(0);
    assert!(
        text.stdout.contains("intent") && text.stdout.contains("ended"),
        "{text:#?}"
    );

    // A second run of the ended plan is a new run; an unknown run is an error.
    let again = backupctl(&["run", &plan_arg, "--output", "json"], &setup.env)
        .await
        .expect(0);
    assert_ne!(again.json()[0]["run_id"], Value::String(run_id));
    assert_eq!(setup.accepted(), 2);
    let missing = backupctl(&["runs", "show", "no-such-run", "--state", &state], &[]).await;
    assert_eq!(missing.code, 2, "{missing:#?}");
    assert!(
        missing.stderr.contains("no run no-such-run"),
        "{missing:#?}"
    );
}

#[tokio::test]
async fn a_corrupt_journal_stops_the_run_before_anything_is_sent() {
    let setup = Setup::start(Vendor::ALL[0]).await;
    let (plan, journal_path) = one_target(&setup);
    std::fs::create_dir_all(journal_path.parent().unwrap()).unwrap();
    std::fs::write(&journal_path, b"garbage, not SQLite ".repeat(300)).unwrap();
    let run = backupctl(&["run", &plan.display().to_string()], &setup.env).await;
    assert_eq!(run.code, 2, "{run:#?}");
    assert!(
        run.stderr.contains(&journal_path.display().to_string()),
        "{run:#?}"
    );
    assert!(run.stderr.contains("corrupt"), "{run:#?}");
    assert!(!run.stderr.contains("panicked"), "{run:#?}");
    assert_eq!(setup.emulator().requests().total(), 0);
}

#[tokio::test]
async fn a_locked_journal_stops_the_run_before_anything_is_sent() {
    let setup = Setup::start(Vendor::ALL[0]).await;
    let (plan, journal_path) = one_target(&setup);
    let plan_arg = plan.display().to_string();
    // A first run creates the journal; another process then holds its write lock.
    backupctl(&["run", &plan_arg], &setup.env).await.expect(0);
    let holder = rusqlite::Connection::open(&journal_path).unwrap();
    holder
        .execute_batch("BEGIN EXCLUSIVE; INSERT INTO backupctl_schema VALUES (0, 0);")
        .unwrap();
    let accepted = setup.accepted();
    let run = backupctl(&["run", &plan_arg], &setup.env).await;
    assert_ne!(run.code, 0, "{run:#?}");
    assert!(
        run.stderr.contains(&journal_path.display().to_string()),
        "{run:#?}"
    );
    assert!(run.stderr.contains("locked"), "{run:#?}");
    assert!(!run.stderr.contains("panicked"), "{run:#?}");
    assert_eq!(setup.accepted(), accepted, "nothing triggered");
    holder.execute_batch("ROLLBACK").unwrap();
    drop(holder);
}

#[tokio::test]
async fn a_run_id_of_another_plan_is_refused() {
    let setup = Setup::start(Vendor::ALL[0]).await;
    let (plan, journal_path) = one_target(&setup);
    let state = journal_path.display().to_string();
    let plan_arg = plan.display().to_string();
    backupctl(
        &["run", &plan_arg, "--run-id", "nightly-1", "--state", &state],
        &setup.env,
    )
    .await
    .expect(0);
    let other = temp_file(
        "other.toml",
        &format!("[[target]]\nname = \"two\"\n{}", setup.plan()),
    );
    let run = backupctl(
        &[
            "run",
            &other.display().to_string(),
            "--run-id",
            "nightly-1",
            "--state",
            &state,
        ],
        &setup.env,
    )
    .await;
    assert_eq!(run.code, 2, "{run:#?}");
    assert!(
        run.stderr
            .contains("run nightly-1 is a run of another plan"),
        "{run:#?}"
    );
    assert_eq!(setup.accepted(), 1);
    let bad = backupctl(&["run", &plan_arg, "--run-id", "no spaces"], &setup.env).await;
    assert_eq!(bad.code, 2, "{bad:#?}");
    let _ = Path::new(&state);
}
