//! Against a real CommServe or Metallic tenant; `#[ignore]`d, run with
//! `cargo test -p backup-commvault --test it live:: -- --ignored`.
//!
//! Needs `COMMVAULT_API_URL` and `COMMVAULT_USERNAME` / `COMMVAULT_PASSWORD` (or
//! `COMMVAULT_AUTHTOKEN`). The backup test also needs `COMMVAULT_LIVE_CLIENT` and
//! `COMMVAULT_LIVE_SUBCLIENT` (optional: `COMMVAULT_LIVE_BACKUPSET`,
//! `COMMVAULT_LIVE_INSTANCE`, `COMMVAULT_LIVE_APP`): it STARTS A BACKUP there.
//! Without the variables the tests return at once.

use std::time::Duration;

use backup_commvault::prelude::*;
use backup_commvault::{Client, TriggerRequest, WaitOptions};

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

#[tokio::test]
#[ignore = "needs a real CommServe (COMMVAULT_* variables)"]
async fn live_login_and_logout() {
    if var("COMMVAULT_API_URL").is_none() {
        return;
    }
    let client = Client::from_env().unwrap();
    client.login().await.unwrap();
    client.logout().await.unwrap();
}

#[tokio::test]
#[ignore = "starts a real backup (COMMVAULT_LIVE_* variables)"]
async fn live_backup_to_the_end() {
    let (Some(_), Some(client_name), Some(subclient)) = (
        var("COMMVAULT_API_URL"),
        var("COMMVAULT_LIVE_CLIENT"),
        var("COMMVAULT_LIVE_SUBCLIENT"),
    ) else {
        return;
    };
    let mut request = TriggerRequest::new(client_name, subclient);
    if let Some(v) = var("COMMVAULT_LIVE_BACKUPSET") {
        request = request.backupset_name(v);
    }
    if let Some(v) = var("COMMVAULT_LIVE_INSTANCE") {
        request = request.instance_name(v);
    }
    if let Some(v) = var("COMMVAULT_LIVE_APP") {
        request = request.app_name(v);
    }
    let client = Client::from_env().unwrap();
    let jobs = client.trigger(&request).await.unwrap();
    assert!(!jobs.is_empty());
    let options =
        WaitOptions::every(Duration::from_secs(15)).deadline(Some(Duration::from_secs(4 * 3600)));
    let done = client.wait(jobs[0].clone(), options).await.unwrap();
    assert!(done.status.is_success(), "{done:?}");
    client.logout().await.unwrap();
}
