//! Trigger-and-wait runs on the emulator, and the Veeam-specific sides of faults.
#![cfg(feature = "emulator")]

use std::time::Duration;

use backup_core::emulator::{Fault, LifecycleSpec, RouteClass};
use backup_core::{ApiErrorKind, Operation, OperationRef, OperationStatus, WaitOptions};
use backup_veeam::emulator::{
    DEMO_POLICY_ID, EMULATOR_PASSWORD, Emulator, EmulatorOptions, MFA_USERNAME, SNAPSHOT_POLICY_ID,
};
use backup_veeam::prelude::*;
use backup_veeam::{ApiVersion, Client, Error, TriggerRequest};

fn every() -> WaitOptions {
    WaitOptions::every(Duration::from_millis(5)).deadline(Some(Duration::from_secs(10)))
}

async fn emulator() -> (Emulator, Client) {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator.client_builder().build().unwrap();
    (emulator, client)
}

/// Waits for every operation and returns the final statuses.
async fn wait_all(client: &Client, operations: Vec<Operation>) -> Vec<OperationStatus> {
    client
        .wait_all(operations, every())
        .await
        .into_iter()
        .map(|result| match result {
            Ok(op) => op.status,
            Err(Error::OperationFailed(op)) => op.status,
            Err(other) => panic!("{other:?}"),
        })
        .collect()
}

#[tokio::test]
async fn a_policy_with_two_sessions_runs_pending_running_success() {
    let (emulator, client) = emulator().await;
    let operations = client.trigger(&emulator.demo_request()).await.unwrap();
    assert_eq!(operations.len(), 2);
    assert!(
        operations
            .iter()
            .all(|op| op.status == OperationStatus::Pending)
    );
    assert!(
        operations[0]
            .reference
            .to_string()
            .starts_with("veeam:v8.1/")
    );
    let mut seen = Vec::new();
    let done = client
        .wait(operations[0].clone(), every())
        .run_with(|op| seen.push(op.vendor_status.clone().unwrap_or_default()))
        .await
        .unwrap();
    seen.dedup();
    assert_eq!(seen, ["Pending", "Running", "Success"]);
    assert_eq!(done.status, OperationStatus::Succeeded);
    assert_eq!(done.message.as_deref(), Some("Job finished with Success"));
    assert!(done.started_at.is_some() && done.finished_at.is_some());
    assert_eq!(
        wait_all(&client, operations[1..].to_vec()).await,
        [OperationStatus::Succeeded]
    );
    assert_eq!(emulator.accepted_backups(), 1);
    assert_eq!(emulator.token_requests(), 1);
    assert_eq!(emulator.requests().count(RouteClass::Trigger), 1);
}

#[tokio::test]
async fn the_v1_layout_and_a_one_session_policy() {
    let emulator = Emulator::start_with(EmulatorOptions::default().client_version(ApiVersion::V1))
        .await
        .unwrap();
    let client = emulator.client_builder().build().unwrap();
    let operations = client
        .trigger(&TriggerRequest::new(SNAPSHOT_POLICY_ID))
        .await
        .unwrap();
    assert_eq!(operations.len(), 1);
    assert!(operations[0].reference.to_string().starts_with("veeam:v1/"));
    assert_eq!(
        wait_all(&client, operations).await,
        [OperationStatus::Succeeded]
    );
    let paths: Vec<String> = emulator
        .requests()
        .records()
        .iter()
        .map(|r| r.path().to_owned())
        .collect();
    assert!(
        paths.contains(&format!("/api/v1/policies/{SNAPSHOT_POLICY_ID}/start")),
        "{paths:?}"
    );
    assert_eq!(emulator.accepted_backups(), 1);
}

#[tokio::test]
async fn warning_and_error_outcomes() {
    let (emulator, client) = emulator().await;
    emulator.set_lifecycle(LifecycleSpec::after_polls(2).with_warning());
    let operations = client
        .trigger(&TriggerRequest::new(SNAPSHOT_POLICY_ID))
        .await
        .unwrap();
    let mut seen = Vec::new();
    let done = client
        .wait(operations[0].clone(), every())
        .run_with(|op| seen.push(op.vendor_status.clone().unwrap_or_default()))
        .await
        .unwrap();
    seen.dedup();
    assert_eq!(seen, ["RunningWithWarning", "Warning"]);
    assert_eq!(done.status, OperationStatus::SucceededWithWarnings);
    assert!(
        done.message
            .unwrap()
            .starts_with("Job finished with Warning")
    );

    emulator.set_lifecycle(LifecycleSpec::after_polls(1).failing("the VM was deleted"));
    let operations = client
        .trigger(&TriggerRequest::new(SNAPSHOT_POLICY_ID))
        .await
        .unwrap();
    let err = client
        .wait(operations[0].clone(), every())
        .await
        .unwrap_err();
    let Error::OperationFailed(op) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(op.status, OperationStatus::Failed);
    assert_eq!(op.vendor_status.as_deref(), Some("Error"));
    assert_eq!(
        op.error.as_ref().unwrap().to_string(),
        "Error: Job failed: the VM was deleted"
    );
    assert_eq!(emulator.accepted_backups(), 2);
}

#[tokio::test]
async fn starting_a_running_policy_attaches_to_its_session() {
    let (emulator, client) = emulator().await;
    let first = client.trigger(&emulator.demo_request()).await.unwrap();
    let second = client.start_policy(&emulator.demo_request()).await.unwrap();
    assert_eq!(
        second.attached_to.as_deref(),
        Some(first[0].job_id_or_session())
    );
    let attached = second.operations();
    assert_eq!(attached[0].reference, first[0].reference);
    assert!(
        attached[0]
            .message
            .as_deref()
            .unwrap()
            .starts_with("attached to running session")
    );
    assert_eq!(emulator.accepted_backups(), 1);
    wait_all(&client, first).await;
    // Once done, the policy starts again.
    client.trigger(&emulator.demo_request()).await.unwrap();
    assert_eq!(emulator.accepted_backups(), 2);
}

/// The session id of an operation (after the version prefix).
trait SessionId {
    fn job_id_or_session(&self) -> &str;
}

impl SessionId for Operation {
    fn job_id_or_session(&self) -> &str {
        self.reference.id.split_once('/').unwrap().1
    }
}

#[tokio::test]
async fn concurrent_starts_start_one_backup_and_log_in_once() {
    let (emulator, client) = emulator().await;
    let request = emulator.demo_request();
    let starts = (0..8).map(|_| client.start_policy(&request));
    let results: Vec<_> = futures_util::future::join_all(starts).await;
    let fresh = results
        .iter()
        .filter(|r| !r.as_ref().unwrap().attached())
        .count();
    assert_eq!(fresh, 1);
    assert_eq!(emulator.accepted_backups(), 1);
    assert_eq!(emulator.token_requests(), 1);
}

#[tokio::test]
async fn cancel_stops_a_session() {
    let (emulator, client) = emulator().await;
    emulator.set_lifecycle(LifecycleSpec::after_polls(50));
    let operations = client
        .trigger(&TriggerRequest::new(SNAPSHOT_POLICY_ID))
        .await
        .unwrap();
    let stopping = client.cancel(&operations[0].reference).await.unwrap();
    assert_eq!(stopping.vendor_status.as_deref(), Some("Canceling"));
    assert_eq!(
        stopping.message.as_deref(),
        Some("Stopping the session at user request")
    );
    let err = client.wait(stopping, every()).await.unwrap_err();
    assert_eq!(err.operation().unwrap().status, OperationStatus::Cancelled);
    assert_eq!(
        err.operation().unwrap().vendor_status.as_deref(),
        Some("Canceled")
    );
    // A finished session cannot be stopped again.
    let again = client.cancel(&operations[0].reference).await.unwrap_err();
    assert_eq!(again.api().unwrap().kind, ApiErrorKind::BadRequest);
    assert_eq!(emulator.requests().count(RouteClass::Control), 2);
}

#[tokio::test]
async fn stop_policy_stops_every_session_in_both_layouts() {
    for version in [ApiVersion::V1, ApiVersion::V8_1] {
        let emulator = Emulator::start_with(
            EmulatorOptions::default()
                .client_version(version)
                .lifecycle(LifecycleSpec::after_polls(50)),
        )
        .await
        .unwrap();
        let client = emulator.client_builder().build().unwrap();
        let operations = client.trigger(&emulator.demo_request()).await.unwrap();
        client.stop_policy(DEMO_POLICY_ID).await.unwrap();
        assert_eq!(
            wait_all(&client, operations).await,
            [OperationStatus::Cancelled, OperationStatus::Cancelled],
            "{version}"
        );
    }
}

#[tokio::test]
async fn status_works_from_the_printed_reference_in_another_client() {
    let (emulator, client) = emulator().await;
    let operations = client.trigger(&emulator.demo_request()).await.unwrap();
    let printed = operations[1].reference.to_string();
    let other = emulator
        .client_builder()
        .api_version(ApiVersion::V6)
        .build()
        .unwrap();
    let reference: OperationRef = printed.parse().unwrap();
    let op = other.status(&reference).await.unwrap();
    assert_eq!(op.reference.to_string(), printed);
    assert!(!op.status.is_terminal());
}

#[tokio::test]
async fn unknown_policies_and_unserved_versions_are_not_found() {
    let emulator = Emulator::start_with(EmulatorOptions::default().versions(&[ApiVersion::V1]))
        .await
        .unwrap();
    let client = emulator
        .client_builder()
        .api_version(ApiVersion::V1)
        .build()
        .unwrap();
    let err = client
        .trigger(&TriggerRequest::new("no-such-policy"))
        .await
        .unwrap_err();
    assert_eq!(err.api().unwrap().kind, ApiErrorKind::NotFound);
    assert!(err.request_id().unwrap().starts_with("00-"), "{err}");
    let v8 = emulator.client_builder().build().unwrap();
    let err = v8.trigger(&emulator.demo_request()).await.unwrap_err();
    assert_eq!(err.api().unwrap().kind, ApiErrorKind::NotFound);
    assert_eq!(emulator.accepted_backups(), 0);
}

#[tokio::test]
async fn wrong_password_and_mfa_users_start_nothing() {
    let (emulator, _) = emulator().await;
    let wrong = emulator
        .client_builder()
        .password("veeam-admin", "not-the-password")
        .build()
        .unwrap();
    let err = wrong.trigger(&emulator.demo_request()).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Auth {
                status: Some(401),
                ..
            }
        ),
        "{err:?}"
    );
    let mfa = emulator
        .client_builder()
        .password(MFA_USERNAME, EMULATOR_PASSWORD)
        .build()
        .unwrap();
    let err = mfa.trigger(&emulator.demo_request()).await.unwrap_err();
    assert!(
        err.to_string().contains("Mfa grant must be completed"),
        "{err}"
    );
    assert_eq!(emulator.accepted_backups(), 0);
    assert_eq!(emulator.requests().count(RouteClass::Trigger), 0);
}

#[tokio::test]
async fn a_static_token_from_the_emulator_works_and_logout_revokes_it() {
    let (emulator, client) = emulator().await;
    client.trigger(&emulator.demo_request()).await.unwrap();
    client.logout().await.unwrap();
    // The next call logs in again.
    client
        .trigger(&TriggerRequest::new(SNAPSHOT_POLICY_ID))
        .await
        .unwrap();
    assert_eq!(emulator.token_requests(), 2);
    let revoked = emulator
        .client_builder()
        .access_token("eyJ.emu-access.unknown")
        .build()
        .unwrap();
    let err = revoked.trigger(&emulator.demo_request()).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Auth {
                status: Some(401),
                ..
            }
        ),
        "{err:?}"
    );
}

// ---------------------------------------------------------------- faults
//
// Every fault of the shared suite runs in `faults::*` (`backup_core::vendor_suite!`);
// these check what it does not: Veeam's status and trace id on a refused start, the
// 409 after a lost answer, a single read's `Decode`, the refresh and password grants.

async fn trigger_with_fault(fault: Fault) -> (Emulator, Client, Result<Vec<Operation>, Error>) {
    let (emulator, client) = emulator().await;
    // Log in first, so that the fault hits the start itself.
    client.session_log("none").await.ok();
    emulator.faults().inject(RouteClass::Trigger, fault);
    let result = client.trigger(&emulator.demo_request()).await;
    (emulator, client, result)
}

#[tokio::test]
async fn fault_500_on_start_is_an_unknown_outcome_and_not_resent() {
    let (emulator, _client, result) = trigger_with_fault(Fault::status(500)).await;
    let err = result.unwrap_err();
    assert!(
        matches!(
            err,
            Error::OutcomeUnknown {
                status: Some(500),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.request_id().unwrap().starts_with("00-"));
    assert_eq!(emulator.requests().count(RouteClass::Trigger), 1);
    assert_eq!(emulator.accepted_backups(), 0);
}

#[tokio::test]
async fn fault_dropped_after_handling_then_a_retrigger_attaches() {
    let (emulator, client, result) = trigger_with_fault(Fault::DropAfterHandling).await;
    assert!(matches!(result.unwrap_err(), Error::OutcomeUnknown { .. }));
    assert_eq!(emulator.accepted_backups(), 1);
    // Starting again is safe: the appliance names the running session.
    let start = client.start_policy(&emulator.demo_request()).await.unwrap();
    assert!(start.attached());
    assert_eq!(
        wait_all(&client, start.operations()).await,
        [OperationStatus::Succeeded]
    );
    assert_eq!(emulator.accepted_backups(), 1);
}

#[tokio::test]
async fn fault_html_start_answer_from_a_proxy_starts_nothing() {
    let (emulator, _client, result) = trigger_with_fault(Fault::HtmlBody { status: 502 }).await;
    let err = result.unwrap_err();
    // A 502 to a start may hide a started backup: reported as unknown, never resent.
    assert!(
        matches!(
            err,
            Error::OutcomeUnknown {
                status: Some(502),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("<html>"), "{err}");
    assert_eq!(emulator.requests().count(RouteClass::Trigger), 1);
    assert_eq!(emulator.accepted_backups(), 0);
}

#[tokio::test]
async fn fault_malformed_or_empty_poll_answer_is_a_decode_error_the_wait_rides_out() {
    for fault in [
        Fault::MalformedBody { status: 200 },
        Fault::EmptyBody { status: 200 },
    ] {
        let (emulator, client) = emulator().await;
        let operations = client
            .trigger(&TriggerRequest::new(SNAPSHOT_POLICY_ID))
            .await
            .unwrap();
        // One read alone reports the answer it could not decode...
        emulator.faults().inject(RouteClass::Poll, fault.clone());
        let err = client.status(&operations[0].reference).await.unwrap_err();
        assert!(
            matches!(err, Error::Decode { status: 200, .. }),
            "{fault:?}: {err:?}"
        );
        // ...and a wait polls on through it: the backup is unaffected.
        emulator.faults().inject(RouteClass::Poll, fault.clone());
        let done = client.wait(operations[0].clone(), every()).await.unwrap();
        assert_eq!(done.status, OperationStatus::Succeeded);
        assert_eq!(emulator.faults().fired(), 2);
        assert_eq!(emulator.accepted_backups(), 1);
    }
}

#[tokio::test]
async fn fault_expired_token_mid_wait_is_refreshed_with_the_refresh_grant() {
    let (emulator, client) = emulator().await;
    let operations = client.trigger(&emulator.demo_request()).await.unwrap();
    emulator.expire_tokens();
    assert_eq!(
        wait_all(&client, operations).await,
        [OperationStatus::Succeeded, OperationStatus::Succeeded]
    );
    let grant = client.password_grant().unwrap();
    assert_eq!((grant.password_grants(), grant.refresh_grants()), (1, 1));
    assert_eq!(emulator.token_requests(), 2);
    assert_eq!(emulator.accepted_backups(), 1);
}

#[tokio::test]
async fn fault_expired_refresh_token_falls_back_to_the_password_grant() {
    let (emulator, client) = emulator().await;
    let operations = client.trigger(&emulator.demo_request()).await.unwrap();
    emulator.expire_tokens();
    emulator.expire_refresh_tokens();
    assert_eq!(wait_all(&client, operations).await.len(), 2);
    let grant = client.password_grant().unwrap();
    assert_eq!((grant.password_grants(), grant.refresh_grants()), (2, 1));
    assert_eq!(emulator.accepted_backups(), 1);
}

#[tokio::test]
async fn tokens_are_refreshed_before_expires_in_runs_out() {
    // Access tokens live 1 s: the client refreshes them after half their life, before
    // the appliance would refuse them, so no call is answered 401 (each status read
    // reaches the appliance once).
    let emulator =
        Emulator::start_with(EmulatorOptions::default().access_token_ttl(Duration::from_secs(1)))
            .await
            .unwrap();
    let client = emulator.client_builder().fetch_log(false).build().unwrap();
    let operations = client
        .trigger(&TriggerRequest::new(SNAPSHOT_POLICY_ID))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    client.status(&operations[0].reference).await.unwrap();
    assert_eq!(emulator.requests().count(RouteClass::Poll), 1);
    let grant = client.password_grant().unwrap();
    assert_eq!((grant.password_grants(), grant.refresh_grants()), (1, 1));
}

#[tokio::test]
async fn fault_on_the_token_endpoint_is_retried() {
    let (emulator, client) = emulator().await;
    emulator
        .faults()
        .inject(RouteClass::Auth, Fault::status(503));
    let operations = client.trigger(&emulator.demo_request()).await.unwrap();
    assert_eq!(operations.len(), 2);
    assert_eq!(emulator.requests().count(RouteClass::Auth), 2);
    assert_eq!(emulator.accepted_backups(), 1);
}
