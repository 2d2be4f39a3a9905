//! Against a real appliance: `cargo test -p backup-veeam --test it live:: -- --ignored`.
//!
//! Needs `VEEAM_URL`, `VEEAM_USERNAME` / `VEEAM_PASSWORD` (or `VEEAM_ACCESS_TOKEN`),
//! optionally `VEEAM_API_VERSION`, and `VEEAM_TEST_POLICY_ID`: a policy that may
//! really be started (this STARTS A BACKUP). `VEEAM_CA_CERT_FILE` may name the
//! appliance's CA certificate (PEM).

#![allow(clippy::print_stderr)] // a live check reports what it saw

use std::path::PathBuf;
use std::time::Duration;

use backup_core::contract::process_env;
use backup_veeam::prelude::*;
use backup_veeam::{ClientBuilder, Config, TriggerRequest, WaitOptions};

#[tokio::test]
#[ignore = "starts a real backup; needs VEEAM_* environment variables"]
async fn start_a_policy_and_follow_its_sessions() {
    let Ok(policy_id) = std::env::var("VEEAM_TEST_POLICY_ID") else {
        eprintln!("VEEAM_TEST_POLICY_ID is not set; skipping");
        return;
    };
    let config = Config {
        ca_cert: std::env::var_os("VEEAM_CA_CERT_FILE").map(PathBuf::from),
        ..Config::default()
    };
    let client = ClientBuilder::from_config(&config, &process_env)
        .expect("VEEAM_URL, credentials and the CA file")
        .build()
        .expect("client");
    let start = client
        .start_policy(&TriggerRequest::new(policy_id))
        .await
        .expect("start");
    eprintln!("attached: {:?}", start.attached_to);
    let options =
        WaitOptions::every(Duration::from_secs(10)).deadline(Some(Duration::from_secs(3600)));
    for result in client.wait_all(start.operations(), options).await {
        let operation = result.expect("session ended well");
        eprintln!(
            "{} {} {:?}",
            operation.reference, operation.status, operation.message
        );
    }
    client.logout().await.expect("logout");
}
