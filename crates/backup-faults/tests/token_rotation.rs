//! 1,000 concurrent operations (status reads) against one emulator per vendor that
//! expires every token it issued once, in the middle of the run: exactly one refresh
//! (the emulator's token count goes up by one), and no call fails.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use backup_core::emulator::{LifecycleSpec, RouteClass};
use backup_faults::{Harness, Settings, Vendor};
use futures_util::future::join_all;

/// How many concurrent operations.
const CALLS: usize = 1_000;
/// After how many finished calls every token expires.
const EXPIRE_AFTER: usize = 200;

async fn one_refresh_for_a_thousand_calls(vendor: Vendor) {
    let settings = Settings {
        token_flow: true,
        ..Settings::default()
    };
    let harness = Arc::new(Harness::start(vendor, &settings).await.unwrap());
    // Operations that keep running for the whole test.
    harness.set_lifecycle(LifecycleSpec::after_polls(1_000_000));
    let operations = harness.trigger().await.unwrap();
    let reference = operations[0].reference.clone();
    // One status first, so every token the client needs is fetched and cached.
    harness.status(&reference).await.unwrap();
    let before = harness.token_requests();
    assert!(before >= 1, "{vendor}: no token was fetched");

    let finished = Arc::new(AtomicUsize::new(0));
    let calls = (0..CALLS).map(|_| {
        let harness = Arc::clone(&harness);
        let reference = reference.clone();
        let finished = Arc::clone(&finished);
        tokio::spawn(async move {
            let result = harness.status(&reference).await;
            if finished.fetch_add(1, Ordering::SeqCst) + 1 == EXPIRE_AFTER {
                harness.expire_tokens();
            }
            result
        })
    });
    let results = join_all(calls).await;
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
        harness.token_requests(),
        before + 1,
        "{vendor}: expected exactly one refresh"
    );
    // The expiry really hit calls in flight: some polls were answered 401 and replayed.
    let polls = harness.requests().count(RouteClass::Poll);
    assert!(
        polls > CALLS,
        "{vendor}: {polls} polls, no 401 was replayed"
    );
    assert_eq!(harness.accepted_backups(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn azure() {
    one_refresh_for_a_thousand_calls(Vendor::Azure).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn yandex() {
    one_refresh_for_a_thousand_calls(Vendor::Yandex).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huawei_csbs_iam_password() {
    one_refresh_for_a_thousand_calls(Vendor::HuaweiCsbs).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commvault() {
    one_refresh_for_a_thousand_calls(Vendor::Commvault).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn veeam() {
    one_refresh_for_a_thousand_calls(Vendor::Veeam).await;
}
