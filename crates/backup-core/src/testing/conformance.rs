//! The contract suite: what every vendor's client and emulator must do the same way,
//! checked on the emulator: the demo backup to its end, resuming from a printed
//! reference, references of other vendors and malformed ones refused before anything
//! is sent, parameters that agree with the request, cancel or a clear "unsupported",
//! a dropped wait that leaves nothing behind, a deadline that carries the operation,
//! one token refresh for a thousand concurrent calls, and an emulator started for load
//! (the benchmarks') that backs up its targets at once, on time, with its poll hint.

use std::future::IntoFuture;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::time::{Instant, sleep};

use crate::contract::{BackupClient, BackupClientBuilder};
use crate::emulator::{Fault, LifecycleSpec, LoadOptions, RouteClass, VendorEmulator};
use crate::testing::faults::{fast_retry, fast_wait};
use crate::{Error, OperationRef, OperationStatus, WaitOptions};

async fn start<E: VendorEmulator>() -> (E, E::Client) {
    let emulator = E::start().await.expect("the emulator starts");
    let mut builder = emulator.client_builder();
    builder.transport_options_mut().retry = fast_retry();
    let client = builder.build().expect("the emulator's builder builds");
    (emulator, client)
}

/// The demo backup runs to its end; its reference, printed and parsed back, reads the
/// ended operation again (as does the reference the wait ended with); the emulator
/// started exactly one backup.
///
/// # Panics
/// When a check fails.
pub async fn demo_backup_runs_to_the_end_and_resumes_from_its_printed_reference<
    E: VendorEmulator,
>() {
    let (emulator, client) = start::<E>().await;
    let operations = client
        .trigger(&emulator.demo_request())
        .await
        .expect("the demo trigger is accepted");
    assert!(!operations.is_empty(), "a trigger returns its operations");
    for operation in operations {
        assert_eq!(operation.vendor(), <E::Client as BackupClient>::VENDOR);
        let printed = operation.reference.to_string();
        let parsed = E::Client::parse_reference(&printed).expect("a printed reference parses");
        assert_eq!(parsed, operation.reference);
        let done = client
            .wait(operation, fast_wait())
            .await
            .expect("the demo backup succeeds");
        assert_eq!(done.status, OperationStatus::Succeeded);
        // The reference printed at the start reads the ended operation; a vendor may
        // refine it while waiting (Azure adds the job once the operation names it), and
        // the refined one, printed and parsed back, reads it too.
        let again = client
            .status(&parsed)
            .await
            .expect("status from the reference");
        assert_eq!(again.reference, done.reference);
        assert_eq!(again.status, OperationStatus::Succeeded);
        let refined = E::Client::parse_reference(&done.reference.to_string())
            .expect("the refined reference parses");
        let last = client
            .status(&refined)
            .await
            .expect("status from the refined reference");
        assert_eq!(last.reference, done.reference);
        assert_eq!(last.status, OperationStatus::Succeeded);
    }
    assert_eq!(emulator.accepted_backups(), 1);
}

/// A client from the emulator's [`VendorEmulator::config`] and
/// [`VendorEmulator::environment`] (as plans and `backupctl` build one) runs the demo
/// backup; every variable the emulator names is one the vendor declares.
///
/// # Panics
/// When a check fails.
pub async fn config_and_environment_reach_the_emulator<E: VendorEmulator>() {
    let emulator = E::start().await.expect("the emulator starts");
    let environment = emulator.environment();
    let declared: Vec<&str> = <E::Client as BackupClient>::ENVIRONMENT
        .iter()
        .map(|var| var.name)
        .collect();
    assert!(!environment.is_empty(), "no credential in the environment");
    for (name, value) in &environment {
        assert!(
            declared.contains(name),
            "{name} is not in ENVIRONMENT {declared:?}"
        );
        assert!(!value.trim().is_empty(), "{name} is blank");
    }
    let lookup = |name: &str| {
        environment
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, value)| value.clone())
    };
    let mut builder =
        <E::Client as BackupClient>::Builder::from_config(&emulator.config(), &lookup)
            .expect("the emulator's config and environment make a builder");
    builder.transport_options_mut().retry = fast_retry();
    let client = builder.build().expect("it builds");
    for operation in client
        .trigger(&emulator.demo_request())
        .await
        .expect("the demo trigger is accepted")
    {
        let done = client
            .wait(operation, fast_wait())
            .await
            .expect("it succeeds");
        assert_eq!(done.status, OperationStatus::Succeeded);
    }
    assert_eq!(emulator.accepted_backups(), 1);
}

/// The demo parameters make the demo request, and survive serde.
///
/// # Panics
/// When a check fails.
pub async fn demo_params_make_the_demo_request<E: VendorEmulator>() {
    let emulator = E::start().await.expect("the emulator starts");
    let params = emulator.demo_params();
    let request = E::Client::request(&params).expect("the demo parameters are valid");
    assert_eq!(request, emulator.demo_request());
    let json = serde_json::to_string(&params).expect("parameters serialize");
    let back: <E::Client as BackupClient>::Params =
        serde_json::from_str(&json).expect("parameters deserialize");
    assert_eq!(back, params);
    for config in [
        <E::Client as BackupClient>::Config::default(),
        emulator.config(),
    ] {
        let json = serde_json::to_string(&config).expect("the config serializes");
        let back: <E::Client as BackupClient>::Config =
            serde_json::from_str(&json).expect("the config deserializes");
        assert_eq!(back, config);
    }
}

/// Another vendor's reference and malformed ones are refused as invalid input, and
/// nothing reaches the emulator.
///
/// # Panics
/// When a check fails.
pub async fn foreign_and_malformed_references_are_refused_before_sending<E: VendorEmulator>() {
    let (emulator, client) = start::<E>().await;
    let vendor = <E::Client as BackupClient>::VENDOR;
    let other = if vendor == "azure" { "yandex" } else { "azure" };
    let foreign = OperationRef::new(other, "op-1");
    for result in [client.status(&foreign).await, client.cancel(&foreign).await] {
        match result {
            Err(Error::InvalidInput { field, reason, .. }) => {
                assert_eq!(field, "reference");
                assert!(
                    reason.contains(other) && reason.contains(vendor),
                    "{reason}"
                );
            }
            other => panic!("{vendor}: a foreign reference gave {other:?}"),
        }
    }
    for id in ["", " ", "a\nb", &"x".repeat(5000)] {
        let malformed = OperationRef::new(vendor, id);
        assert!(
            matches!(
                E::Client::check_reference(&malformed),
                Err(Error::InvalidInput { .. })
            ),
            "{vendor}: {id:?} was taken as a reference id"
        );
        assert!(
            matches!(
                client.status(&malformed).await,
                Err(Error::InvalidInput { .. })
            ),
            "{vendor}: status of {id:?} was not refused"
        );
    }
    assert!(
        E::Client::parse_reference(&format!("{other}:op-1")).is_err(),
        "{vendor} parsed another vendor's reference"
    );
    assert_eq!(emulator.requests().total(), 0, "nothing may be sent");
}

/// Cancelling a running backup either works (the wait then ends cancelled, and
/// nothing more is started) or says clearly that the vendor cannot cancel.
///
/// # Panics
/// When a check fails.
pub async fn cancel_stops_a_running_backup_or_is_unsupported<E: VendorEmulator>() {
    let (emulator, client) = start::<E>().await;
    emulator.set_lifecycle(LifecycleSpec::after_polls(1000));
    let operations = client
        .trigger(&emulator.demo_request())
        .await
        .expect("the demo trigger is accepted");
    for operation in operations {
        match client.cancel(&operation.reference).await {
            Ok(after) => {
                assert_eq!(after.reference.vendor, operation.reference.vendor);
                let wait = fast_wait().deadline(Some(Duration::from_secs(10)));
                match client.wait(after, wait).await {
                    Err(Error::OperationFailed(op)) => {
                        assert_eq!(op.status, OperationStatus::Cancelled, "{op:?}");
                    }
                    other => panic!("a cancelled backup ended {other:?}"),
                }
            }
            Err(Error::Unsupported { vendor, .. }) => {
                assert_eq!(vendor, <E::Client as BackupClient>::VENDOR);
            }
            Err(other) => panic!("cancel failed: {other}"),
        }
    }
    assert_eq!(emulator.accepted_backups(), 1);
}

/// The tasks alive on the current runtime, once they settle at `limit` or after 3 s.
async fn alive_tasks_settle_at_most(limit: usize) -> usize {
    let metrics = Handle::current().metrics();
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let alive = metrics.num_alive_tasks();
        if alive <= limit || Instant::now() >= deadline {
            return alive;
        }
        sleep(Duration::from_millis(10)).await;
    }
}

/// Dropping a `wait` while a poll is in flight leaves no task and no request behind,
/// and the client still works afterwards. Needs a multi-threaded runtime.
///
/// # Panics
/// When a check fails.
pub async fn dropping_a_wait_mid_poll_leaves_nothing_behind<E: VendorEmulator>() {
    /// How long the emulator holds the answer of the poll the wait is dropped in.
    const HELD: Duration = Duration::from_millis(300);
    let vendor = <E::Client as BackupClient>::VENDOR;
    let (emulator, client) = start::<E>().await;
    emulator.set_lifecycle(LifecycleSpec::after_polls(1_000));
    let operations = client
        .trigger(&emulator.demo_request())
        .await
        .expect("the demo trigger is accepted");
    let operation = operations[0].clone();
    // One poll outside the wait, so the client holds its token and a pooled connection.
    client.status(&operation.reference).await.expect("status");
    let log = emulator.requests();
    let baseline = Handle::current().metrics().num_alive_tasks();

    // The next poll is answered only after HELD: the wait is dropped while it waits.
    emulator
        .faults()
        .inject(RouteClass::Poll, Fault::Delay(HELD));
    let polls_before = log.count(RouteClass::Poll);
    let mut wait = client
        .wait(operation, WaitOptions::every(Duration::from_millis(1)))
        .into_future();
    let poll_arrived = async {
        while log.count(RouteClass::Poll) == polls_before {
            sleep(Duration::from_millis(1)).await;
        }
    };
    tokio::select! {
        ended = &mut wait => panic!("{vendor}: the wait ended before it was dropped: {ended:?}"),
        () = poll_arrived => {}
    }
    drop(wait);

    // Nothing polls any more: the request log stops growing.
    let requests_at_drop = log.total();
    sleep(HELD + Duration::from_millis(200)).await;
    assert_eq!(
        log.total(),
        requests_at_drop,
        "{vendor}: requests went on after the wait was dropped"
    );
    // No task is left behind: the poller spawns nothing, and the connection the
    // dropped poll was using is closed on both sides (its client task and, once the
    // held answer is out, the emulator's connection task end).
    let limit = baseline.saturating_sub(2);
    let alive = alive_tasks_settle_at_most(limit).await;
    assert!(
        alive <= limit,
        "{vendor}: {alive} tasks alive after dropping the wait, {baseline} before"
    );
    // The client still works after the drop.
    let again = client
        .status(&operations[0].reference)
        .await
        .expect("status after the drop");
    assert_eq!(again.reference.vendor, vendor);
    assert_eq!(emulator.accepted_backups(), 1);
}

/// A deadline gives [`Error::Timeout`] carrying the last operation seen (also while
/// every poll fails), and waiting again from it, or from its printed reference, ends
/// the backup.
///
/// # Panics
/// When a check fails.
pub async fn a_timeout_carries_the_operation_and_waiting_resumes<E: VendorEmulator>() {
    let vendor = <E::Client as BackupClient>::VENDOR;
    let (emulator, client) = start::<E>().await;
    emulator.set_lifecycle(LifecycleSpec::after_polls(8));
    let operations = client
        .trigger(&emulator.demo_request())
        .await
        .expect("the demo trigger is accepted");
    let first = operations[0].clone();

    // 1. A deadline shorter than the backup: Timeout with the last operation seen.
    let short = WaitOptions::every(Duration::from_millis(2))
        .interval_limits(Duration::from_millis(1), Duration::from_millis(5))
        .deadline(Some(Duration::from_millis(15)));
    let error = client
        .wait(first.clone(), short.clone())
        .await
        .expect_err("the deadline passes first");
    let Error::Timeout { operation, .. } = &error else {
        panic!("{vendor}: expected a Timeout, got {error:?}");
    };
    assert!(!operation.status.is_terminal(), "{vendor}: {operation:?}");
    assert!(
        error.to_string().contains("resume with its reference"),
        "{vendor}: {error}"
    );
    assert_eq!(
        error.operation().map(|op| &op.reference.vendor),
        Some(&first.reference.vendor)
    );

    // 2. Polls that keep failing until the deadline: still a Timeout with the operation.
    emulator
        .faults()
        .inject_n(RouteClass::Poll, Fault::status(503), 10_000);
    let error = client
        .wait((**operation).clone(), short)
        .await
        .expect_err("the deadline passes while polls fail");
    let Error::Timeout {
        operation: kept, ..
    } = &error
    else {
        panic!("{vendor}: expected a Timeout while polls fail, got {error:?}");
    };
    emulator.faults().clear();

    // 3. Waiting again from the operation the Timeout carried ends in success.
    let done = client
        .wait((**kept).clone(), fast_wait())
        .await
        .unwrap_or_else(|e| panic!("{vendor}: resuming failed: {e}"));
    assert_eq!(done.status, OperationStatus::Succeeded, "{vendor}");
    // And from its printed reference alone, in the same way.
    let parsed = E::Client::parse_reference(&kept.reference.to_string()).expect("parses");
    let again = client.status(&parsed).await.expect("status");
    assert_eq!(again.status, OperationStatus::Succeeded, "{vendor}");
    assert_eq!(emulator.accepted_backups(), 1);
}

/// 1,000 concurrent status reads while every token expires once in the middle:
/// exactly one refresh, and no call fails. Needs a multi-threaded runtime.
///
/// # Panics
/// When a check fails.
pub async fn one_token_refresh_for_a_thousand_concurrent_calls<E: VendorEmulator>() {
    /// How many concurrent operations.
    const CALLS: usize = 1_000;
    /// After how many finished calls every token expires.
    const EXPIRE_AFTER: usize = 200;
    let vendor = <E::Client as BackupClient>::VENDOR;
    let emulator = Arc::new(E::start().await.expect("the emulator starts"));
    let mut builder = emulator.token_client_builder();
    let options = builder.transport_options_mut();
    options.retry = fast_retry();
    // A thousand calls at once on a loaded 2-core machine may queue for many seconds:
    // the timeouts are generous so that only single flight decides the outcome.
    options.retry.budget = Duration::from_secs(600);
    options.request_timeout = Duration::from_secs(300);
    options.connect_timeout = Duration::from_secs(120);
    let client = builder.build().expect("the token builder builds");
    // Operations that keep running for the whole test.
    emulator.set_lifecycle(LifecycleSpec::after_polls(1_000_000));
    let operations = client
        .trigger(&emulator.demo_request())
        .await
        .expect("the demo trigger is accepted");
    let reference = operations[0].reference.clone();
    // One status first, so every token the client needs is fetched and cached.
    client.status(&reference).await.expect("status");
    let before = emulator.token_requests();
    assert!(before >= 1, "{vendor}: no token was fetched");

    let finished = Arc::new(AtomicUsize::new(0));
    let calls = (0..CALLS).map(|_| {
        let client = client.clone();
        let emulator = Arc::clone(&emulator);
        let reference = reference.clone();
        let finished = Arc::clone(&finished);
        tokio::spawn(async move {
            let result = client.status(&reference).await;
            if finished.fetch_add(1, Ordering::SeqCst) + 1 == EXPIRE_AFTER {
                emulator.expire_tokens();
            }
            result
        })
    });
    let results = futures_util::future::join_all(calls).await;
    let failed: Vec<String> = results
        .into_iter()
        .filter_map(|joined| match joined {
            Ok(Ok(_)) => None,
            Ok(Err(error)) => Some(error.to_string()),
            Err(panic) => Some(panic.to_string()),
        })
        .collect();
    assert!(
        failed.is_empty(),
        "{vendor}: {} of {CALLS} calls failed, first: {}",
        failed.len(),
        failed[0]
    );
    assert_eq!(
        emulator.token_requests(),
        before + 1,
        "{vendor}: expected exactly one refresh"
    );
    // The expiry really hit calls in flight: some polls were answered 401 and replayed.
    let polls = emulator.requests().count(RouteClass::Poll);
    assert!(
        polls > CALLS,
        "{vendor}: {polls} polls, no 401 was replayed"
    );
    assert_eq!(emulator.accepted_backups(), 1);
}

/// How many load targets [`load_targets_back_up_at_once_and_end_on_time`] backs up at
/// once.
const LOAD_TARGETS: usize = 6;

/// An emulator from [`VendorEmulator::start_for_load`] takes a backup of each of its
/// load targets at once, and of its demo resources beside them; every backup ends
/// successfully as the timed lifecycle says, not before. Each target's
/// [`VendorEmulator::load_params`] make its [`VendorEmulator::load_request`].
///
/// # Panics
/// When a check fails.
pub async fn load_targets_back_up_at_once_and_end_on_time<E: VendorEmulator>() {
    /// How long each backup runs after it was accepted.
    const RUNS: Duration = Duration::from_millis(600);
    let vendor = <E::Client as BackupClient>::VENDOR;
    let load = LoadOptions::new(LifecycleSpec::default().after(RUNS)).targets(LOAD_TARGETS);
    let emulator = E::start_for_load(load)
        .await
        .expect("the emulator starts for load");
    let mut builder = emulator.client_builder();
    builder.transport_options_mut().retry = fast_retry();
    let client = builder.build().expect("the emulator's builder builds");
    // The flat parameters of each load target make its load request (plans of load
    // targets are built from them).
    for i in 0..LOAD_TARGETS {
        let from_params = E::Client::request(&emulator.load_params(i))
            .unwrap_or_else(|e| panic!("{vendor}: load_params({i}) make no request: {e}"));
        assert_eq!(
            from_params,
            emulator.load_request(i),
            "{vendor}: load_params({i}) and load_request({i}) name different targets"
        );
    }
    let started = Instant::now();
    let requests: Vec<_> = (0..LOAD_TARGETS)
        .map(|i| emulator.load_request(i))
        .chain([emulator.demo_request()])
        .collect();
    let triggers = requests.iter().map(|request| client.trigger(request));
    let mut operations = Vec::new();
    for (i, result) in futures_util::future::join_all(triggers)
        .await
        .into_iter()
        .enumerate()
    {
        let started_here = result.unwrap_or_else(|e| {
            panic!("{vendor}: request {i} of {LOAD_TARGETS} load targets + the demo was refused while the others ran: {e}")
        });
        assert!(
            !started_here.is_empty(),
            "{vendor}: a trigger returns its operations"
        );
        operations.extend(started_here);
    }
    assert_eq!(
        emulator.accepted_backups(),
        u64::try_from(LOAD_TARGETS + 1).unwrap_or(u64::MAX),
        "{vendor}"
    );
    let waits = operations
        .into_iter()
        .map(|operation| client.wait(operation, fast_wait()).into_future());
    for done in futures_util::future::join_all(waits).await {
        let done = done.unwrap_or_else(|e| panic!("{vendor}: a load backup failed: {e}"));
        assert_eq!(done.status, OperationStatus::Succeeded, "{vendor}");
    }
    let took = started.elapsed();
    assert!(
        took >= RUNS,
        "{vendor}: the backups ended after {took:?}, before the lifecycle's {RUNS:?}"
    );
}

/// While a backup of an emulator started for load runs, each status read carries the
/// poll hint of [`LoadOptions::poll_hint`] as [`crate::Operation::poll_after`] when
/// the vendor declares [`VendorEmulator::POLL_HINT_UNIT`], and none when it does not.
///
/// # Panics
/// When a check fails.
pub async fn load_poll_hint_comes_with_every_running_backup<E: VendorEmulator>() {
    let vendor = <E::Client as BackupClient>::VENDOR;
    // The shortest hint of at least half a second the vendor can say.
    let hint = E::POLL_HINT_UNIT.map_or(Duration::from_secs(1), |unit| {
        let unit = unit.max(Duration::from_millis(1));
        (1..=500_u32)
            .map(|k| unit * k)
            .find(|hint| *hint >= Duration::from_millis(500))
            .unwrap_or(unit)
    });
    let load = LoadOptions::new(LifecycleSpec::after_polls(1_000))
        .targets(1)
        .poll_hint(hint);
    let emulator = E::start_for_load(load)
        .await
        .expect("the emulator starts for load");
    let mut builder = emulator.client_builder();
    builder.transport_options_mut().retry = fast_retry();
    let client = builder.build().expect("the emulator's builder builds");
    let operations = client
        .trigger(&emulator.load_request(0))
        .await
        .expect("the load trigger is accepted");
    for operation in operations {
        for _ in 0..2 {
            let seen = client
                .status(&operation.reference)
                .await
                .expect("status of a running backup");
            assert!(!seen.status.is_terminal(), "{vendor}: {seen:?}");
            match E::POLL_HINT_UNIT {
                Some(_) => {
                    let said = seen.poll_after.unwrap_or_else(|| {
                        panic!("{vendor} declares a poll hint; a running backup came without one")
                    });
                    assert!(
                        said.abs_diff(hint) <= Duration::from_millis(1),
                        "{vendor}: the hint was {said:?}, {hint:?} was asked for"
                    );
                }
                None => assert_eq!(
                    seen.poll_after, None,
                    "{vendor} sends a poll hint: declare VendorEmulator::POLL_HINT_UNIT"
                ),
            }
        }
    }
    assert_eq!(emulator.accepted_backups(), 1);
}

/// How long a hanging token endpoint holds its answer (far past the request timeout).
const TOKEN_HANG: Duration = Duration::from_secs(120);

/// The credential step before a trigger failing (the token or login endpoint dropping
/// the connection, hanging past the request timeout, answering 500, a proxy's HTML page
/// or an unreadable body) is never an unknown outcome: no trigger is sent, no backup
/// starts, and the error says that no backup was requested. Checked on every
/// credential flow the emulator offers (its default builder, its token builder and the
/// environment it names); a flow that needs no token request (a signature, a static
/// token) just backs up.
///
/// # Panics
/// When a check fails.
pub async fn token_failures_before_the_trigger_never_leave_an_unknown_outcome<E: VendorEmulator>() {
    let vendor = <E::Client as BackupClient>::VENDOR;
    let faults = [
        Fault::DropBeforeHandling,
        Fault::DropAfterHandling,
        Fault::Delay(TOKEN_HANG),
        Fault::status(500),
        Fault::HtmlBody { status: 502 },
        Fault::MalformedBody { status: 200 },
    ];
    for flow in ["default", "token", "environment"] {
        for fault in &faults {
            let emulator = E::start().await.expect("the emulator starts");
            let mut builder = match flow {
                "default" => emulator.client_builder(),
                "token" => emulator.token_client_builder(),
                _ => {
                    let environment = emulator.environment();
                    let lookup = |name: &str| {
                        environment
                            .iter()
                            .find(|(n, _)| *n == name)
                            .map(|(_, value)| value.clone())
                    };
                    <E::Client as BackupClient>::Builder::from_config(&emulator.config(), &lookup)
                        .expect("the emulator's config and environment make a builder")
                }
            };
            let options = builder.transport_options_mut();
            options.retry = fast_retry();
            options.request_timeout = Duration::from_secs(3);
            options.connect_timeout = Duration::from_secs(3);
            let client = builder.build().expect("the builder builds");
            emulator
                .faults()
                .inject_n(RouteClass::Auth, fault.clone(), 1_000);
            let result = client.trigger(&emulator.demo_request()).await;
            let log = emulator.requests();
            let case = format!("{vendor}, {flow} credential, token endpoint {fault:?}");
            let error = match result {
                Ok(operations) => {
                    // No token request in this flow (the fault never fired), or one
                    // whose answer did not matter (a token read from the headers).
                    assert!(!operations.is_empty(), "{case}");
                    assert_eq!(emulator.accepted_backups(), 1, "{case}");
                    continue;
                }
                Err(error) => error,
            };
            assert!(log.count(RouteClass::Auth) > 0, "{case}: {error}");
            assert!(
                !matches!(error, Error::OutcomeUnknown { .. }),
                "{case}: a token failure became an unknown outcome: {error}"
            );
            assert_eq!(
                error.request_sent(),
                match error {
                    Error::Auth {
                        status: Some(_), ..
                    } => crate::RequestSent::Yes,
                    _ => crate::RequestSent::No,
                },
                "{case}: {error:?}"
            );
            let text = error.to_string();
            assert!(
                text.contains("no backup was requested"),
                "{case}: the error does not say that no backup was requested: {text}"
            );
            assert_eq!(
                log.count(RouteClass::Trigger),
                0,
                "{case}: a trigger was sent"
            );
            assert_eq!(emulator.accepted_backups(), 0, "{case}: a backup started");
            emulator.shutdown().await;
        }
    }
}
