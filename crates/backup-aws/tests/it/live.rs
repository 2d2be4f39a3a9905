//! Against a real AWS account. Ignored by default; run with
//!
//! ```sh
//! AWS_PROFILE=... AWS_REGION=eu-west-1 \
//! AWS_LIVE_VAULT=Default AWS_LIVE_RESOURCE_ARN=arn:aws:... AWS_LIVE_ROLE_ARN=arn:aws:iam::...:role/... \
//!   cargo test -p backup-aws --test it live:: -- --ignored --nocapture
//! ```
//!
//! It starts a real backup job (billed by AWS) and waits up to `AWS_LIVE_WAIT_MINUTES`
//! (default 60) for it; with `AWS_LIVE_STOP=1` it stops the job instead.

#![allow(clippy::print_stderr)] // progress of a manual live run

use std::time::Duration;

use backup_aws::prelude::*;
use backup_aws::{Client, TriggerRequest, WaitOptions};

#[tokio::test]
#[ignore = "starts a real backup job; needs AWS_LIVE_VAULT, AWS_LIVE_RESOURCE_ARN, AWS_LIVE_ROLE_ARN and credentials"]
async fn live_start_and_wait() {
    let (Ok(vault), Ok(resource), Ok(role)) = (
        std::env::var("AWS_LIVE_VAULT"),
        std::env::var("AWS_LIVE_RESOURCE_ARN"),
        std::env::var("AWS_LIVE_ROLE_ARN"),
    ) else {
        eprintln!("AWS_LIVE_VAULT / AWS_LIVE_RESOURCE_ARN / AWS_LIVE_ROLE_ARN not set: skipped");
        return;
    };
    let minutes = std::env::var("AWS_LIVE_WAIT_MINUTES")
        .ok()
        .and_then(|m| m.parse().ok())
        .unwrap_or(60);
    let client = Client::from_env().expect("credentials and a Region from the environment");
    let request = TriggerRequest::new(vault, resource, role);
    for operation in client.trigger(&request).await.expect("StartBackupJob") {
        eprintln!("started {}", operation.reference);
        if std::env::var("AWS_LIVE_STOP").is_ok_and(|v| v == "1") {
            let stopped = client
                .cancel(&operation.reference)
                .await
                .expect("StopBackupJob");
            eprintln!("stopping: {:?}", stopped.vendor_status);
            continue;
        }
        let done = client
            .wait(
                operation,
                WaitOptions::every(Duration::from_secs(30))
                    .deadline(Some(Duration::from_secs(minutes * 60))),
            )
            .await
            .expect("the backup job ends well");
        eprintln!("{done:#?}");
    }
}
