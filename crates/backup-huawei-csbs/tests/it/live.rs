//! Against a real Huawei Cloud account; `#[ignore]`d. Run with
//! `cargo test -p backup-huawei-csbs --test it live:: -- --ignored` and:
//!
//! - `HUAWEICLOUD_SDK_AK`, `HUAWEICLOUD_SDK_SK` (`HUAWEICLOUD_SDK_SECURITY_TOKEN`),
//!   `HUAWEICLOUD_SDK_PROJECT_ID`, `HUAWEICLOUD_SDK_REGION`;
//! - `HUAWEICLOUD_CSBS_PLAN_ID`: a backup policy it may execute (this starts a real
//!   backup, which costs storage);
//! - optionally `HUAWEICLOUD_CSBS_WAIT_MINUTES` (default 60).

// A live run reports what it sees to the person running it.
#![allow(clippy::print_stderr)]

use std::time::Duration;

use backup_core::WaitOptions;
use backup_huawei_csbs::prelude::*;
use backup_huawei_csbs::{Client, TriggerRequest};

#[tokio::test]
#[ignore = "needs a real Huawei Cloud account; see the file's docs"]
async fn live_trigger_and_wait() {
    let Ok(plan_id) = std::env::var("HUAWEICLOUD_CSBS_PLAN_ID") else {
        eprintln!("HUAWEICLOUD_CSBS_PLAN_ID is not set: skipping");
        return;
    };
    let client = Client::from_env().expect("HUAWEICLOUD_SDK_* variables");
    let minutes = std::env::var("HUAWEICLOUD_CSBS_WAIT_MINUTES")
        .ok()
        .and_then(|m| m.parse().ok())
        .unwrap_or(60);
    let operation = client
        .trigger(&TriggerRequest::new(plan_id))
        .await
        .unwrap()
        .remove(0);
    eprintln!("started {}", operation.reference);
    let done = client
        .wait(
            operation,
            WaitOptions::default().deadline(Some(Duration::from_secs(60 * minutes))),
        )
        .run_with(|op| eprintln!("{} {:?} {:?}", op.status, op.vendor_status, op.progress))
        .await
        .unwrap();
    eprintln!("ended {} {:?}", done.status, done.message);
}
