//! AWS Backup's own flows on the emulator, beyond the shared suites: every state in
//! its order, parent jobs and their child jobs, stops, idempotency tokens, the start
//! window, Regions, instance-metadata credentials, and signatures refused.
#![cfg(feature = "emulator")]

use std::time::Duration;

use backup_aws::emulator::{
    DEMO_ACCESS_KEY_ID, DEMO_DATABASE_ARN, DEMO_FILE_SYSTEM_ARN, DEMO_REGION, DEMO_RESOURCE_ARN,
    DEMO_ROLE_ARN, DEMO_SECRET_ACCESS_KEY, DEMO_STACK_ARN, DEMO_VAULT, Emulator, EmulatorOptions,
};
use backup_aws::operation::RECOVERY_POINT;
use backup_aws::prelude::*;
use backup_aws::{
    Client, Credential, Error, OperationRef, OperationStatus, TriggerRequest, VENDOR, WaitOptions,
};
use backup_core::ApiErrorKind;
use backup_core::emulator::{LifecycleSpec, RouteClass};
use backup_core::testing::SingleOperation;

fn every(ms: u64) -> WaitOptions {
    WaitOptions::every(Duration::from_millis(ms))
}

async fn started(spec: LifecycleSpec) -> (Emulator, Client) {
    let emulator = Emulator::start_with(EmulatorOptions::default().lifecycle(spec))
        .await
        .unwrap();
    let client = emulator.client_builder().build().unwrap();
    (emulator, client)
}

fn request(resource: &str) -> TriggerRequest {
    TriggerRequest::new(DEMO_VAULT, resource, DEMO_ROLE_ARN)
}

#[tokio::test]
async fn a_job_goes_through_created_pending_running_completed() {
    let (emulator, client) = started(LifecycleSpec::after_polls(2).queued_for(2)).await;
    let operation = client
        .trigger(&request(DEMO_RESOURCE_ARN))
        .await
        .unwrap()
        .single();
    assert_eq!(operation.vendor_status.as_deref(), Some("CREATED"));
    let mut states = Vec::new();
    let done = client
        .wait(operation, every(1))
        .run_with(|op| states.push(op.vendor_status.clone().unwrap_or_default()))
        .await
        .unwrap();
    states.dedup();
    assert_eq!(states, ["CREATED", "PENDING", "RUNNING", "COMPLETED"]);
    assert_eq!(done.status, OperationStatus::Succeeded);
    assert_eq!(done.progress, Some(100.0));
    assert_eq!(done.size_bytes, Some(8 << 30));
    assert_eq!(done.produced.len(), 1);
    assert_eq!(done.produced[0].kind, RECOVERY_POINT);
    assert!(
        done.produced[0]
            .id
            .starts_with("arn:aws:ec2:us-east-1::snapshot/snap-")
    );
    assert!(done.duration().is_some());
    assert_eq!(emulator.accepted_backups(), 1);
}

#[tokio::test]
async fn a_failed_job_carries_its_status_message() {
    let (_emulator, client) =
        started(LifecycleSpec::after_polls(1).failing("Insufficient privileges")).await;
    let operation = client
        .trigger(&request(DEMO_RESOURCE_ARN))
        .await
        .unwrap()
        .single();
    let error = client.wait(operation, every(1)).await.unwrap_err();
    let Error::OperationFailed(failed) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(failed.vendor_status.as_deref(), Some("FAILED"));
    assert_eq!(
        failed.error.as_ref().unwrap().message,
        "Insufficient privileges"
    );
    assert!(failed.produced.is_empty());
}

#[tokio::test]
async fn an_efs_job_names_its_recovery_point_at_once() {
    let (_emulator, client) = started(LifecycleSpec::after_polls(1)).await;
    let operation = client
        .trigger(&request(DEMO_FILE_SYSTEM_ARN))
        .await
        .unwrap()
        .single();
    assert_eq!(operation.produced.len(), 1);
    let done = client.wait(operation.clone(), every(1)).await.unwrap();
    assert_eq!(
        done.produced, operation.produced,
        "the same recovery point at the end"
    );
    assert!(
        done.produced[0]
            .id
            .starts_with("arn:aws:backup:us-east-1:123456789012:recovery-point:")
    );
}

#[tokio::test]
async fn a_stack_is_a_parent_job_whose_children_become_items() {
    let (emulator, client) = started(LifecycleSpec::after_polls(2)).await;
    let operation = client
        .trigger(&request(DEMO_STACK_ARN))
        .await
        .unwrap()
        .single();
    let done = client.wait(operation, every(1)).await.unwrap();
    assert_eq!(done.status, OperationStatus::Succeeded);
    assert_eq!(done.items.len(), 2, "{done:?}");
    assert!(
        done.items
            .iter()
            .all(|item| item.status == OperationStatus::Succeeded)
    );
    assert_eq!(
        done.produced.len(),
        3,
        "the composite recovery point and each child's"
    );
    // One backup accepted: the parent (its children are the service's own).
    assert_eq!(emulator.accepted_backups(), 1);
    assert_eq!(
        emulator
            .requests()
            .count_where(|r| r.target.starts_with("/backup-jobs/?parentJobId=")),
        1,
        "one ListBackupJobs after the end"
    );

    // Without the follow-up, nothing more is read.
    let operation = client
        .trigger(&request(DEMO_STACK_ARN))
        .await
        .unwrap()
        .single();
    let done = client
        .wait(operation, every(1).follow_up(false))
        .await
        .unwrap();
    assert!(done.items.is_empty());
}

#[tokio::test]
async fn a_stack_with_a_failed_child_ends_partial() {
    let (_emulator, client) = started(LifecycleSpec::after_polls(1).with_warning()).await;
    let operation = client
        .trigger(&request(DEMO_STACK_ARN))
        .await
        .unwrap()
        .single();
    let done = client.wait(operation, every(1)).await.unwrap();
    assert_eq!(done.status, OperationStatus::SucceededWithWarnings);
    assert_eq!(done.vendor_status.as_deref(), Some("PARTIAL"));
    assert_eq!(done.warnings, ["1 of 2 child jobs FAILED"]);
    let failed: Vec<_> = done
        .items
        .iter()
        .filter(|i| i.status == OperationStatus::Failed)
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(
        done.produced.len(),
        2,
        "the composite recovery point and the completed child's"
    );
}

#[tokio::test]
async fn a_plain_job_is_never_listed() {
    let (emulator, client) = started(LifecycleSpec::after_polls(1)).await;
    let operation = client
        .trigger(&request(DEMO_RESOURCE_ARN))
        .await
        .unwrap()
        .single();
    client.wait(operation, every(1)).await.unwrap();
    assert_eq!(
        emulator
            .requests()
            .count_where(|r| r.path() == "/backup-jobs/"),
        0
    );
    assert_eq!(
        emulator.requests().count(RouteClass::Poll),
        2,
        "one read running, one done"
    );
}

#[tokio::test]
async fn stop_aborts_and_what_aws_cannot_stop_is_refused() {
    let (emulator, client) = started(LifecycleSpec::after_polls(1000)).await;
    let operation = client
        .trigger(&request(DEMO_RESOURCE_ARN))
        .await
        .unwrap()
        .single();
    let after = client.cancel(&operation.reference).await.unwrap();
    assert_eq!(after.vendor_status.as_deref(), Some("ABORTING"));
    assert_eq!(after.status, OperationStatus::Running);
    let error = client.wait(after, every(1)).await.unwrap_err();
    let Error::OperationFailed(aborted) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(aborted.status, OperationStatus::Cancelled);
    assert_eq!(aborted.vendor_status.as_deref(), Some("ABORTED"));
    // A job that ended cannot be stopped.
    let error = client.cancel(&operation.reference).await.unwrap_err();
    assert_eq!(
        error.api().unwrap().code.as_deref(),
        Some("InvalidRequestException")
    );
    // Nor can an RDS database's.
    let database = client
        .trigger(&request(DEMO_DATABASE_ARN))
        .await
        .unwrap()
        .single();
    let error = client.cancel(&database.reference).await.unwrap_err();
    let api = error.api().unwrap();
    assert_eq!(
        (api.kind, api.code.as_deref()),
        (ApiErrorKind::BadRequest, Some("InvalidRequestException"))
    );
    assert_eq!(emulator.requests().count(RouteClass::Control), 3);
}

#[tokio::test]
async fn the_same_idempotency_token_starts_one_job() {
    let (emulator, client) = started(LifecycleSpec::after_polls(5)).await;
    let first = client
        .trigger(&request(DEMO_RESOURCE_ARN).idempotency_token("nightly-2026-01-02"))
        .await
        .unwrap()
        .single();
    let again = client
        .trigger(&request(DEMO_RESOURCE_ARN).idempotency_token("nightly-2026-01-02"))
        .await
        .unwrap()
        .single();
    assert_eq!(first.reference, again.reference);
    assert_eq!(first.started_at, again.started_at);
    assert_eq!(emulator.accepted_backups(), 1);
    let other = client
        .trigger(&request(DEMO_RESOURCE_ARN))
        .await
        .unwrap()
        .single();
    assert_ne!(other.reference, first.reference);
    assert_eq!(emulator.accepted_backups(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_job_that_never_starts_expires_after_its_start_window() {
    let (_emulator, client) = started(LifecycleSpec::after_polls(1).queued_for(1_000)).await;
    let operation = client
        .trigger(&request(DEMO_RESOURCE_ARN).start_window_minutes(60))
        .await
        .unwrap()
        .single();
    let seen = client.status(&operation.reference).await.unwrap();
    assert_eq!(seen.status, OperationStatus::Pending);
    tokio::time::advance(Duration::from_secs(61 * 60)).await;
    let expired = client.status(&operation.reference).await.unwrap();
    assert_eq!(expired.vendor_status.as_deref(), Some("EXPIRED"));
    assert_eq!(expired.status, OperationStatus::Failed);
    assert_eq!(
        expired.error.as_ref().and_then(|e| e.code.as_deref()),
        Some("EXPIRED")
    );
}

#[tokio::test]
async fn refusals_of_start_backup_job() {
    let (emulator, client) = started(LifecycleSpec::after_polls(1)).await;
    let error = client
        .trigger(&TriggerRequest::new(
            "NoSuchVault",
            DEMO_RESOURCE_ARN,
            DEMO_ROLE_ARN,
        ))
        .await
        .unwrap_err();
    let api = error.api().unwrap();
    assert_eq!(
        (api.kind, api.code.as_deref()),
        (ApiErrorKind::NotFound, Some("ResourceNotFoundException"))
    );
    assert!(api.request_id.is_some(), "x-amzn-RequestId");
    assert_eq!(emulator.accepted_backups(), 0);
}

#[tokio::test]
async fn jobs_live_in_their_region() {
    let (emulator, client) = started(LifecycleSpec::after_polls(1)).await;
    let operation = client
        .trigger(&request(DEMO_RESOURCE_ARN))
        .await
        .unwrap()
        .single();
    assert!(operation.reference.id.starts_with("us-east-1/"));
    let elsewhere = OperationRef::new(
        VENDOR,
        operation.reference.id.replacen("us-east-1", "eu-west-1", 1),
    );
    let error = client.status(&elsewhere).await.unwrap_err();
    assert_eq!(error.api().unwrap().kind, ApiErrorKind::NotFound);
    // A client in another Region triggers there.
    let west = emulator
        .client_builder()
        .region("eu-west-1")
        .build()
        .unwrap();
    let there = west
        .trigger(&request(DEMO_RESOURCE_ARN))
        .await
        .unwrap()
        .single();
    assert!(there.reference.id.starts_with("eu-west-1/"));
    assert_eq!(
        west.status(&there.reference)
            .await
            .unwrap()
            .vendor_status
            .as_deref(),
        Some("RUNNING")
    );
}

#[tokio::test]
async fn instance_metadata_credentials_are_fetched_once_and_refreshed_when_expired() {
    let (emulator, _) = started(LifecycleSpec::after_polls(5)).await;
    let client = emulator.token_client_builder().build().unwrap();
    let operation = client
        .trigger(&request(DEMO_RESOURCE_ARN))
        .await
        .unwrap()
        .single();
    client.status(&operation.reference).await.unwrap();
    assert_eq!(
        emulator.token_requests(),
        1,
        "one set of credentials, cached"
    );
    emulator.expire_tokens();
    let seen = client.status(&operation.reference).await.unwrap();
    assert_eq!(seen.reference, operation.reference);
    assert_eq!(
        emulator.token_requests(),
        2,
        "one refresh after ExpiredTokenException"
    );
    let polls = emulator.requests().count(RouteClass::Poll);
    assert_eq!(polls, 3, "the expired poll and its replay");
}

#[tokio::test]
async fn the_environment_reaches_the_emulator_through_aws_endpoint_url_backup() {
    let emulator = Emulator::start().await.unwrap();
    let url = emulator.url().to_string();
    let lookup = |name: &str| match name {
        "AWS_ACCESS_KEY_ID" => Some(DEMO_ACCESS_KEY_ID.to_owned()),
        "AWS_SECRET_ACCESS_KEY" => Some(DEMO_SECRET_ACCESS_KEY.to_owned()),
        "AWS_DEFAULT_REGION" => Some(DEMO_REGION.to_owned()),
        "AWS_ENDPOINT_URL_BACKUP" => Some(url.clone()),
        _ => None,
    };
    let client = backup_aws::ClientBuilder::from_lookup(&lookup)
        .unwrap()
        .retry(backup_aws::emulator::fast_retry())
        .build()
        .unwrap();
    let operation = client
        .trigger(&emulator.demo_request())
        .await
        .unwrap()
        .single();
    let done = client.wait(operation, every(1)).await.unwrap();
    assert_eq!(done.status, OperationStatus::Succeeded);
}

/// The emulator's refusals of requests that are not signed right, sent by hand.
#[tokio::test]
async fn unsigned_and_badly_signed_requests_are_refused() {
    let emulator = Emulator::start().await.unwrap();
    let http = reqwest::Client::new();
    let url = emulator.url().join("backup-jobs/JOB").unwrap();
    let unsigned = http.get(url.clone()).send().await.unwrap();
    assert_eq!(unsigned.status(), 403);
    assert_eq!(
        unsigned.headers()["x-amzn-errortype"],
        "MissingAuthenticationToken"
    );

    // A client with the wrong secret, with an unknown key, signed 20 minutes ago.
    let wrong_secret = emulator
        .client_builder()
        .credential(Credential::keys(DEMO_ACCESS_KEY_ID, "not-the-secret"))
        .build()
        .unwrap();
    let unknown_key = emulator
        .client_builder()
        .credential(Credential::keys(
            "AKIAUNKNOWNKEY000000",
            DEMO_SECRET_ACCESS_KEY,
        ))
        .build()
        .unwrap();
    for (client, said) in [
        (
            wrong_secret,
            "The request signature we calculated does not match",
        ),
        (
            unknown_key,
            "The security token included in the request is invalid",
        ),
    ] {
        let error = client.trigger(&emulator.demo_request()).await.unwrap_err();
        let Error::Auth {
            status: Some(403),
            message,
            ..
        } = &error
        else {
            panic!("{error:?}")
        };
        assert!(message.contains(said), "{message}");
        assert!(!message.contains("not-the-secret"), "{message}");
    }
    let stale = reqwest::Client::new()
        .get(url)
        .header("x-amz-date", "20150830T123600Z")
        .header(
            "authorization",
            format!("AWS4-HMAC-SHA256 Credential={DEMO_ACCESS_KEY_ID}/20150830/us-east-1/backup/aws4_request, SignedHeaders=host;x-amz-date, Signature={}", "0".repeat(64)),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 403);
    let body = stale.text().await.unwrap();
    assert!(body.contains("Signature expired"), "{body}");
    assert_eq!(emulator.accepted_backups(), 0);
}
