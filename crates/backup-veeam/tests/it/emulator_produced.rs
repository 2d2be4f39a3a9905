//! On the emulator: what a session made (duration, size, restore points, protected
//! instances, the log's warnings and errors), the session list, and a lost start found
//! again without a second backup.
#![cfg(feature = "emulator")]

use std::time::Duration;

use backup_core::contract::Recovered;
use backup_core::emulator::{LifecycleSpec, RouteClass};
use backup_core::{Operation, OperationStatus, WaitOptions};
use backup_veeam::emulator::{
    DEMO_POLICY_ID, DEMO_POLICY_VMS, Emulator, EmulatorOptions, SNAPSHOT_POLICY_ID,
    SNAPSHOT_POLICY_VM,
};
use backup_veeam::operation::parse_reference;
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

fn session_id(operation: &Operation) -> String {
    parse_reference(&operation.reference).unwrap().1
}

fn kinds(operation: &Operation) -> Vec<&str> {
    operation.produced.iter().map(|p| p.kind.as_str()).collect()
}

#[tokio::test]
async fn the_demo_backup_reports_duration_size_restore_points_and_items() {
    let (emulator, client) = emulator().await;
    let operations = client.trigger(&emulator.demo_request()).await.unwrap();
    let mut done = Vec::new();
    for operation in operations {
        done.push(client.wait(operation, every()).await.unwrap());
    }
    let [snapshot, backup] = done.as_slice() else {
        panic!("{done:?}");
    };
    for (operation, divisor) in [(snapshot, 1), (backup, 2)] {
        assert_eq!(operation.status, OperationStatus::Succeeded);
        assert!(operation.duration.is_some(), "{operation:?}");
        assert_eq!(
            kinds(operation),
            ["session", "restore_point", "restore_point"]
        );
        assert_eq!(operation.produced[0].id, session_id(operation));
        let names: Vec<_> = operation
            .items
            .iter()
            .map(|item| {
                (
                    item.id.as_str(),
                    item.name.as_deref(),
                    item.status,
                    item.size_bytes,
                )
            })
            .collect();
        assert_eq!(
            names,
            DEMO_POLICY_VMS
                .iter()
                .map(|(id, name, bytes)| (
                    *id,
                    Some(*name),
                    OperationStatus::Succeeded,
                    Some(bytes / divisor)
                ))
                .collect::<Vec<_>>()
        );
        let total: u64 = DEMO_POLICY_VMS.iter().map(|(_, _, b)| b / divisor).sum();
        assert_eq!(operation.size_bytes, Some(total));
        assert!(operation.warnings.is_empty(), "{:?}", operation.warnings);
    }
    // The two sessions made distinct restore points.
    assert_ne!(snapshot.produced[1], backup.produced[1]);
    // Two follow-up reads per session, none of them a poll or a trigger.
    let records = emulator.requests().records();
    let follow_ups = records
        .iter()
        .filter(|r| r.path().ends_with("/protectedItems") || r.path().contains("/restorePoints/"))
        .count();
    assert_eq!(follow_ups, 4);
    assert_eq!(emulator.accepted_backups(), 1);
}

#[tokio::test]
async fn a_warning_is_kept_from_the_log_and_its_vm_says_so() {
    let (emulator, client) = emulator().await;
    emulator.set_lifecycle(LifecycleSpec::after_polls(1).with_warning());
    let operations = client
        .trigger(&TriggerRequest::new(SNAPSHOT_POLICY_ID))
        .await
        .unwrap();
    let done = client.wait(operations[0].clone(), every()).await.unwrap();
    assert_eq!(done.status, OperationStatus::SucceededWithWarnings);
    assert_eq!(done.warnings.len(), 1, "{:?}", done.warnings);
    assert!(done.warnings[0].contains("Warning"), "{:?}", done.warnings);
    assert_eq!(done.items.len(), 1);
    assert_eq!(done.items[0].name.as_deref(), Some(SNAPSHOT_POLICY_VM.1));
    assert_eq!(done.items[0].status, OperationStatus::SucceededWithWarnings);
    assert_eq!(done.size_bytes, Some(SNAPSHOT_POLICY_VM.2));
}

#[tokio::test]
async fn a_failed_session_carries_the_logs_last_error_and_made_no_restore_point() {
    let (emulator, client) = emulator().await;
    emulator.set_lifecycle(LifecycleSpec::after_polls(1).failing("the VM was deleted"));
    let operations = client
        .trigger(&TriggerRequest::new(SNAPSHOT_POLICY_ID))
        .await
        .unwrap();
    let failed = match client.wait(operations[0].clone(), every()).await {
        Err(Error::OperationFailed(op)) => op,
        other => panic!("{other:?}"),
    };
    let error = failed.error.as_ref().unwrap();
    assert_eq!(error.code.as_deref(), Some("Error"));
    assert_eq!(error.message, "Job failed: the VM was deleted");
    // The VM's own error entry is the log's other error: not the last, so not kept.
    assert!(failed.warnings.is_empty(), "{:?}", failed.warnings);
    // Not followed up (it failed); the reads themselves say what happened.
    assert!(failed.produced.is_empty());
    let session = session_id(&failed);
    let items = client.protected_items(&session).await.unwrap();
    assert_eq!(
        items[0].run_of(&session).unwrap().status.as_deref(),
        Some("Error")
    );
    let points = client.latest_restore_points().await.unwrap();
    assert!(
        points
            .iter()
            .all(|p| p.job_session_id.as_deref() != Some(session.as_str()))
    );
}

#[tokio::test]
async fn switched_off_the_follow_up_reads_nothing_more() {
    let (emulator, client) = emulator().await;
    let operations = client
        .trigger(&TriggerRequest::new(SNAPSHOT_POLICY_ID))
        .await
        .unwrap();
    let done = client
        .wait(operations[0].clone(), every().follow_up(false))
        .await
        .unwrap();
    assert!(done.produced.is_empty() && done.items.is_empty() && done.size_bytes.is_none());
    assert!(
        emulator
            .requests()
            .records()
            .iter()
            .all(|r| !r.path().ends_with("/protectedItems"))
    );
}

#[tokio::test]
async fn v1_follows_up_with_the_protected_items_only() {
    let emulator = Emulator::start_with(EmulatorOptions::default().client_version(ApiVersion::V1))
        .await
        .unwrap();
    let client = emulator.client_builder().build().unwrap();
    let operations = client
        .trigger(&TriggerRequest::new(SNAPSHOT_POLICY_ID))
        .await
        .unwrap();
    let done = client.wait(operations[0].clone(), every()).await.unwrap();
    assert_eq!(kinds(&done), ["session"]);
    assert_eq!(done.items.len(), 1);
    assert_eq!(done.size_bytes, Some(SNAPSHOT_POLICY_VM.2));
    assert!(
        emulator
            .requests()
            .records()
            .iter()
            .all(|r| !r.path().contains("/restorePoints/"))
    );
    assert!(matches!(
        client.latest_restore_points().await,
        Err(Error::Unsupported { .. })
    ));
}

#[tokio::test]
async fn the_session_list_filters_by_policy_and_launch_time() {
    let (emulator, client) = emulator().await;
    let before = time::OffsetDateTime::now_utc() - time::Duration::seconds(5);
    client
        .trigger(&TriggerRequest::new(SNAPSHOT_POLICY_ID))
        .await
        .unwrap();
    let demo = client.trigger(&emulator.demo_request()).await.unwrap();
    let ids: Vec<String> = demo.iter().map(session_id).collect();
    let listed: Vec<String> = client
        .policy_sessions_since(DEMO_POLICY_ID, before)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(listed, ids);
    let later = time::OffsetDateTime::now_utc() + time::Duration::minutes(5);
    assert!(
        client
            .policy_sessions_since(DEMO_POLICY_ID, later)
            .await
            .unwrap()
            .is_empty()
    );
    // A list is not a poll: no session moved.
    assert_eq!(emulator.requests().count(RouteClass::Poll), 0);
}

/// Issue 18's journal: the start was sent, its answer lost, and its sessions ended
/// before the run was resumed. Starting again would begin a second backup; the
/// sessions since the recorded time are found instead.
#[tokio::test]
async fn a_lost_start_whose_sessions_ended_is_found_without_a_second_backup() {
    let (emulator, client) = emulator().await;
    let mut request = emulator.demo_request();
    let key = Client::idempotency_key(&mut request, None).unwrap();
    // The start reached the appliance; pretend its answer was lost.
    let started = client.trigger(&request).await.unwrap();
    for operation in &started {
        client.wait(operation.clone(), every()).await.unwrap();
    }
    assert_eq!(emulator.accepted_backups(), 1);
    // A new process: the request from the plan, the key from the journal.
    let mut resumed = emulator.demo_request();
    Client::idempotency_key(&mut resumed, Some(&key)).unwrap();
    let Recovered::Operations(found) = client.recover_trigger(&resumed).await.unwrap() else {
        panic!("not recovered");
    };
    let found_ids: Vec<String> = found.iter().map(session_id).collect();
    let started_ids: Vec<String> = started.iter().map(session_id).collect();
    assert_eq!(found_ids, started_ids);
    assert!(
        found
            .iter()
            .all(|op| op.status == OperationStatus::Succeeded)
    );
    assert_eq!(emulator.accepted_backups(), 1, "no second backup");
    assert_eq!(emulator.requests().count(RouteClass::Trigger), 1);
}

#[tokio::test]
async fn a_lost_start_that_never_arrived_is_started_once() {
    let (emulator, client) = emulator().await;
    // An earlier backup of the policy, ended before the lost start was sent.
    let earlier = client.trigger(&emulator.demo_request()).await.unwrap();
    for operation in earlier {
        client.wait(operation, every()).await.unwrap();
    }
    let mut request = emulator.demo_request();
    // Recorded after the earlier sessions' launch (plus the clock-skew allowance).
    request.sent_at = Some(
        time::OffsetDateTime::now_utc()
            + backup_veeam::RECOVERY_CLOCK_SKEW
            + time::Duration::seconds(2),
    );
    let Recovered::Operations(started) = client.recover_trigger(&request).await.unwrap() else {
        panic!("not recovered");
    };
    assert_eq!(started.len(), 2);
    assert_eq!(emulator.accepted_backups(), 2);
}
