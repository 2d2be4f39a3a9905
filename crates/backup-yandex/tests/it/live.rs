//! Against a real Yandex Cloud account. Ignored by default; run with
//!
//! ```sh
//! YC_TOKEN=... # or YC_IAM_TOKEN / YC_SERVICE_ACCOUNT_KEY_FILE
//! YC_LIVE_POLICY_ID=cbq... YC_LIVE_INSTANCE_ID=fhm... \
//!   cargo test -p backup-yandex --test it live:: -- --ignored --nocapture
//! ```
//!
//! It starts a real backup (billed by Yandex) and waits up to `YC_LIVE_WAIT_MINUTES`
//! (default 60) for it.

#![allow(clippy::print_stderr)] // progress of a manual live run

use std::time::Duration;

use backup_yandex::prelude::*;
use backup_yandex::{Client, TriggerRequest, WaitOptions};

#[tokio::test]
#[ignore = "starts a real backup; needs YC_LIVE_POLICY_ID, YC_LIVE_INSTANCE_ID and credentials"]
async fn live_execute_and_wait() {
    let (Ok(policy), Ok(instance)) = (
        std::env::var("YC_LIVE_POLICY_ID"),
        std::env::var("YC_LIVE_INSTANCE_ID"),
    ) else {
        eprintln!("YC_LIVE_POLICY_ID / YC_LIVE_INSTANCE_ID not set: skipped");
        return;
    };
    let minutes = std::env::var("YC_LIVE_WAIT_MINUTES")
        .ok()
        .and_then(|m| m.parse::<u64>().ok())
        .unwrap_or(60);
    let client = Client::from_env().expect("credentials from the environment");
    let operation = client
        .trigger(&TriggerRequest::new(policy, instance))
        .await
        .expect("execute")
        .remove(0);
    eprintln!("started {}", operation.reference);
    let done = client
        .wait(
            operation,
            WaitOptions::default().deadline(Some(Duration::from_secs(minutes * 60))),
        )
        .run_with(|op| eprintln!("{} {:?} {:?}", op.status, op.progress, op.message))
        .await
        .expect("the backup ends well");
    eprintln!("done: {done:?}");
    // `wait` read the backup the run made (Backup.List by instance and policy).
    assert_eq!(
        done.produced.len(),
        1,
        "the backup made is not told: {:?}",
        done.warnings
    );
}
