//! Dropping a `wait` future mid-poll leaves no task or connection behind, and a
//! `Timeout` always carries the operation so waiting can resume from it.

use std::future::IntoFuture;
use std::time::Duration;

use backup_core::emulator::{Fault, LifecycleSpec, RouteClass};
use backup_core::{Error, OperationStatus, WaitOptions};
use backup_faults::{Harness, Settings, Vendor, fast_wait};
use tokio::runtime::Handle;
use tokio::time::{Instant, sleep};

/// How long the emulator holds the answer of the poll the wait is dropped in.
const HELD: Duration = Duration::from_millis(300);

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

async fn dropping_a_wait_mid_poll_leaves_nothing_behind(vendor: Vendor) {
    let harness = Harness::start(vendor, &Settings::default()).await.unwrap();
    harness.set_lifecycle(LifecycleSpec::after_polls(1_000));
    let operations = harness.trigger().await.unwrap();
    let operation = operations[0].clone();
    // One poll outside the wait, so the client holds its token and a pooled connection.
    harness.status(&operation.reference).await.unwrap();
    let log = harness.requests();
    let baseline = Handle::current().metrics().num_alive_tasks();

    // The next poll is answered only after HELD: the wait is dropped while it waits.
    harness.inject(RouteClass::Poll, Fault::Delay(HELD));
    let polls_before = log.count(RouteClass::Poll);
    let mut wait = harness
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
    // held answer is out, the emulator's connection task end). Before the wait the
    // runtime ran the emulator's accept loop, the pool's own task and that pooled
    // connection (one task on each side).
    let limit = baseline.saturating_sub(2);
    let alive = alive_tasks_settle_at_most(limit).await;
    assert!(
        alive <= limit,
        "{vendor}: {alive} tasks alive after dropping the wait, {baseline} before"
    );
    // The client still works after the drop.
    let again = harness.status(&operations[0].reference).await.unwrap();
    assert_eq!(again.reference.vendor, vendor.name());
    assert_eq!(harness.accepted_backups(), 1);
}

async fn a_timeout_carries_the_operation_and_waiting_resumes(vendor: Vendor) {
    let harness = Harness::start(vendor, &Settings::default()).await.unwrap();
    harness.set_lifecycle(LifecycleSpec::after_polls(8));
    let operations = harness.trigger().await.unwrap();
    let first = operations[0].clone();

    // 1. A deadline shorter than the backup: Timeout with the last operation seen.
    let short = WaitOptions::every(Duration::from_millis(2))
        .interval_limits(Duration::from_millis(1), Duration::from_millis(5))
        .deadline(Some(Duration::from_millis(15)));
    let error = harness
        .wait(first.clone(), short.clone())
        .await
        .unwrap_err();
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
    harness.inject_n(RouteClass::Poll, Fault::status(503), 10_000);
    let error = harness
        .wait((**operation).clone(), short)
        .await
        .unwrap_err();
    let Error::Timeout {
        operation: kept, ..
    } = &error
    else {
        panic!("{vendor}: expected a Timeout while polls fail, got {error:?}");
    };
    harness.faults().clear();

    // 3. Waiting again from the operation the Timeout carried ends in success.
    let done = harness
        .wait((**kept).clone(), fast_wait())
        .await
        .unwrap_or_else(|e| panic!("{vendor}: resuming failed: {e}"));
    assert_eq!(done.status, OperationStatus::Succeeded, "{vendor}");
    // And from its printed reference alone, in the same way.
    let printed = kept.reference.to_string();
    let parsed = printed.parse().unwrap();
    let again = harness.status(&parsed).await.unwrap();
    assert_eq!(again.status, OperationStatus::Succeeded, "{vendor}");
    assert_eq!(harness.accepted_backups(), 1);
}

macro_rules! per_vendor {
    ($($name:ident => $vendor:expr),* $(,)?) => {
        mod dropped {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    dropping_a_wait_mid_poll_leaves_nothing_behind($vendor).await;
                }
            )*
        }
        mod timeout {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    a_timeout_carries_the_operation_and_waiting_resumes($vendor).await;
                }
            )*
        }
    };
}

per_vendor! {
    azure => Vendor::Azure,
    yandex => Vendor::Yandex,
    huawei_csbs => Vendor::HuaweiCsbs,
    commvault => Vendor::Commvault,
    veeam => Vendor::Veeam,
}
