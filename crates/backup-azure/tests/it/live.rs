//! A live run against a real Recovery Services vault. Ignored by default; run with
//!
//! ```text
//! AZURE_LIVE_SUBSCRIPTION_ID=... AZURE_LIVE_RESOURCE_GROUP=... AZURE_LIVE_VAULT=... \
//! AZURE_LIVE_CONTAINER='IaasVMContainer;iaasvmcontainerv2;rg;vm' \
//! AZURE_LIVE_ITEM='VM;iaasvmcontainerv2;rg;vm' \
//! cargo test -p backup-azure --test it live:: -- --ignored
//! ```
//!
//! with credentials for `BackupClient::from_env` (`AZURE_ACCESS_TOKEN`, a service principal, a
//! workload identity or `az login`). It starts a real backup and waits until Azure
//! accepted it (not for the job, which can take hours); set `AZURE_LIVE_WAIT_JOB=1` to
//! wait for the job too.

#![allow(clippy::print_stderr)] // a live run reports what it does

use std::time::Duration;

use backup_azure::prelude::*;
use backup_azure::{Client, ProtectedItem, Tracking, TriggerRequest, WaitOptions};

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

#[tokio::test]
#[ignore = "starts a real backup; needs AZURE_LIVE_* variables and Azure credentials"]
async fn live_trigger_and_follow() {
    let (Some(subscription), Some(group), Some(vault), Some(container), Some(item)) = (
        var("AZURE_LIVE_SUBSCRIPTION_ID"),
        var("AZURE_LIVE_RESOURCE_GROUP"),
        var("AZURE_LIVE_VAULT"),
        var("AZURE_LIVE_CONTAINER"),
        var("AZURE_LIVE_ITEM"),
    ) else {
        eprintln!("AZURE_LIVE_* not set: skipped");
        return;
    };
    let fabric = var("AZURE_LIVE_FABRIC").unwrap_or_else(|| "Azure".to_owned());
    let tracking = if var("AZURE_LIVE_WAIT_JOB").is_some() {
        Tracking::Job
    } else {
        Tracking::Accepted
    };
    let client = Client::from_env().unwrap().with_tracking(tracking);
    let item = ProtectedItem::new(subscription, group, vault, fabric, container, item);
    let operation = client
        .trigger(&TriggerRequest::azure_vm(item))
        .await
        .unwrap()
        .remove(0);
    eprintln!("accepted: {}", operation.reference);
    let done = client
        .wait(
            operation,
            WaitOptions::default().deadline(Some(Duration::from_secs(6 * 3600))),
        )
        .run_with(|op| eprintln!("{} {:?} {:?}", op.status, op.vendor_status, op.job_id))
        .await
        .unwrap();
    eprintln!("done: {} job {:?}", done.status, done.job_id);
}
