//! Trigger-and-wait runs on the emulator, with every fault of the issue, asserting the
//! outcome and how many backups the emulator accepted.
#![cfg(feature = "emulator")]

use std::time::Duration;

use backup_azure::emulator::{
    DEMO_VM_ITEM, Emulator, EmulatorOptions, Fault, RouteClass, demo_requests, demo_vm,
};
use backup_azure::prelude::*;
use backup_azure::{
    ApiErrorKind, Error, IaasVmBackupRequest, Operation, OperationRef, OperationStatus,
    ProtectedItem, Tracking, TrackingRef, TriggerRequest, WaitOptions,
};
use backup_core::emulator::LifecycleSpec;
use backup_core::testing::SingleOperation;

fn fast() -> WaitOptions {
    WaitOptions::every(Duration::from_millis(5)).deadline(Some(Duration::from_secs(10)))
}

fn polls_to(emulator: &Emulator, segment: &str) -> usize {
    emulator
        .requests()
        .count_where(|r| r.path().to_ascii_lowercase().contains(segment))
}

async fn start() -> Emulator {
    Emulator::start().await.unwrap()
}

#[tokio::test]
async fn vm_backup_runs_to_the_end_of_its_job() {
    let emulator = start().await;
    let client = emulator.client_builder().build().unwrap();
    let operation = client
        .trigger(&emulator.demo_request())
        .await
        .unwrap()
        .single();
    assert_eq!(operation.status, OperationStatus::Pending);
    assert_eq!(operation.vendor_status.as_deref(), Some("Accepted"));
    assert_eq!(operation.poll_after, Some(Duration::ZERO));
    let tracking = TrackingRef::from_reference(&operation.reference).unwrap();
    let async_url = tracking.async_operation.clone().unwrap();
    assert_eq!(async_url.host_str(), emulator.url().host_str());
    assert!(
        async_url.path().starts_with("/Subscriptions/"),
        "{async_url}"
    );
    assert!(
        async_url.path().contains("/operationsStatus/"),
        "{async_url}"
    );
    assert_eq!(async_url.query(), Some("api-version=2016-12-01"));
    // The answer carries a Location too, but ARM clients follow Azure-AsyncOperation
    // when it is given: the reference keeps only that.
    assert_eq!(tracking.location, None);
    assert!(!operation.reference.id.contains("location="));

    let mut seen = Vec::new();
    let done = client
        .wait(operation, fast())
        .run_with(|op| seen.push(op.status))
        .await
        .unwrap();
    assert_eq!(done.status, OperationStatus::Succeeded);
    assert_eq!(done.vendor_status.as_deref(), Some("Completed"));
    assert_eq!(done.progress, Some(100.0));
    assert!(done.started_at.is_some() && done.finished_at.is_some());
    let job_id = done.job_id.clone().unwrap();
    assert_eq!(
        TrackingRef::from_reference(&done.reference).unwrap().job_id,
        Some(job_id)
    );
    seen.dedup();
    assert_eq!(
        seen,
        [
            OperationStatus::Pending,
            OperationStatus::Running,
            OperationStatus::Succeeded
        ]
    );
    assert_eq!(emulator.accepted_backups(), 1);
    assert_eq!(emulator.requests().count(RouteClass::Trigger), 1);
    assert!(polls_to(&emulator, "/backupjobs/") >= 2);
    assert_eq!(emulator.token_requests(), 1, "the token is cached");
    assert_eq!(
        emulator.credential().requested_scopes(),
        ["https://management.azure.com/.default"]
    );
}

#[tokio::test]
async fn every_request_kind_runs_on_its_item() {
    let emulator = start().await;
    let client = emulator.client_builder().build().unwrap();
    for request in demo_requests() {
        let operation = client.trigger(&request).await.unwrap().single();
        let done = client.wait(operation, fast()).await.unwrap();
        assert_eq!(done.status, OperationStatus::Succeeded, "{request:?}");
    }
    assert_eq!(emulator.accepted_backups(), 3);
}

#[tokio::test]
async fn tracking_accepted_stops_at_the_async_operation() {
    let emulator = start().await;
    let client = emulator
        .client_builder()
        .tracking(Tracking::Accepted)
        .build()
        .unwrap();
    let operation = client
        .trigger(&emulator.demo_request())
        .await
        .unwrap()
        .single();
    let done = client.wait(operation, fast()).await.unwrap();
    assert_eq!(done.status, OperationStatus::Succeeded);
    assert_eq!(done.vendor_status.as_deref(), Some("Succeeded"));
    assert!(done.job_id.is_some());
    assert_eq!(polls_to(&emulator, "/backupjobs/"), 0);

    // The same reference, followed by the default client, goes on with the job.
    let full = client.with_tracking(Tracking::Job);
    let mut job = full.status(&done.reference).await.unwrap();
    assert_eq!(job.job_id, done.job_id);
    for _ in 0..5 {
        if job.status.is_terminal() {
            break;
        }
        job = full.status(&job.reference).await.unwrap();
    }
    assert_eq!(job.vendor_status.as_deref(), Some("Completed"));
    assert_eq!(emulator.accepted_backups(), 1);
}

#[tokio::test]
async fn status_resumes_from_a_printed_reference_in_another_client() {
    let emulator = start().await;
    let first = emulator.client_builder().build().unwrap();
    let operation = first
        .trigger(&emulator.demo_request())
        .await
        .unwrap()
        .single();
    let printed = operation.reference.to_string();
    assert!(printed.starts_with("azure:async="), "{printed}");
    drop(first);

    let other = emulator.client_builder().build().unwrap();
    let parsed: OperationRef = printed.parse().unwrap();
    let mut last = other.status(&parsed).await.unwrap();
    for _ in 0..10 {
        if last.status.is_terminal() {
            break;
        }
        last = other.status(&last.reference).await.unwrap();
    }
    assert_eq!(last.status, OperationStatus::Succeeded);
    assert_eq!(emulator.accepted_backups(), 1);
}

#[tokio::test]
async fn failing_job_ends_as_operation_failed_with_its_error() {
    let emulator = start().await;
    emulator.set_lifecycle(
        LifecycleSpec::after_polls(1).failing("UserErrorVmNotFound: The VM is gone."),
    );
    let client = emulator.client_builder().build().unwrap();
    let operation = client
        .trigger(&emulator.demo_request())
        .await
        .unwrap()
        .single();
    let err = client.wait(operation, fast()).await.unwrap_err();
    let Error::OperationFailed(op) = &err else {
        panic!("{err:?}");
    };
    assert_eq!(op.status, OperationStatus::Failed);
    assert_eq!(op.vendor_status.as_deref(), Some("Failed"));
    let error = op.error.clone().unwrap();
    assert_eq!(error.message, "The VM is gone.");
    assert_eq!(error.code.as_deref(), Some("400000"));
    assert_eq!(emulator.accepted_backups(), 1);
}

#[tokio::test]
async fn warnings_end_as_succeeded_with_warnings() {
    let emulator = start().await;
    emulator.set_lifecycle(LifecycleSpec::after_polls(1).with_warning());
    let client = emulator.client_builder().build().unwrap();
    let operation = client
        .trigger(&emulator.demo_request())
        .await
        .unwrap()
        .single();
    let done = client.wait(operation, fast()).await.unwrap();
    assert_eq!(done.status, OperationStatus::SucceededWithWarnings);
    assert_eq!(done.vendor_status.as_deref(), Some("CompletedWithWarnings"));
}

#[tokio::test]
async fn cancelled_job_ends_as_cancelled() {
    let emulator = start().await;
    emulator.set_lifecycle(
        LifecycleSpec::after_polls(1).with_outcome(backup_azure::emulator::Outcome::Cancelled),
    );
    let client = emulator.client_builder().build().unwrap();
    let operation = client
        .trigger(&emulator.demo_request())
        .await
        .unwrap()
        .single();
    let err = client.wait(operation, fast()).await.unwrap_err();
    assert_eq!(
        err.operation().map(|op| op.status),
        Some(OperationStatus::Cancelled)
    );
    assert_eq!(
        err.operation()
            .and_then(|op| op.vendor_status.clone())
            .as_deref(),
        Some("Cancelled")
    );
}

#[tokio::test]
async fn failing_async_operation_starts_no_job() {
    let emulator = start().await;
    emulator.set_operation_lifecycle(
        LifecycleSpec::after_polls(1)
            .failing("UserErrorGuestAgentStatusUnavailableUserError: VM agent unreachable."),
    );
    let client = emulator.client_builder().build().unwrap();
    let operation = client
        .trigger(&emulator.demo_request())
        .await
        .unwrap()
        .single();
    let err = client.wait(operation, fast()).await.unwrap_err();
    let op = err.operation().unwrap();
    assert_eq!(op.status, OperationStatus::Failed);
    assert_eq!(
        op.error.as_ref().and_then(|e| e.code.as_deref()),
        Some("UserErrorGuestAgentStatusUnavailableUserError")
    );
    assert_eq!(
        err.code(),
        Some("UserErrorGuestAgentStatusUnavailableUserError")
    );
    assert_eq!(op.job_id, None);
    assert_eq!(polls_to(&emulator, "/backupjobs/"), 0);
    // The item is free again.
    client.trigger(&emulator.demo_request()).await.unwrap();
    assert_eq!(emulator.accepted_backups(), 2);
}

#[tokio::test]
async fn second_trigger_while_running_is_a_conflict() {
    let emulator = start().await;
    let client = emulator.client_builder().build().unwrap();
    let operation = client
        .trigger(&emulator.demo_request())
        .await
        .unwrap()
        .single();
    let err = client.trigger(&emulator.demo_request()).await.unwrap_err();
    let api = err.api().unwrap();
    assert_eq!(api.status, 400);
    assert_eq!(api.kind, ApiErrorKind::Conflict);
    assert_eq!(
        api.code.as_deref(),
        Some("UserErrorBackupOperationInProgress")
    );
    assert!(api.request_id.is_some());
    assert!(!err.is_retryable());
    assert_eq!(emulator.accepted_backups(), 1);

    client.wait(operation, fast()).await.unwrap();
    client.trigger(&emulator.demo_request()).await.unwrap();
    assert_eq!(emulator.accepted_backups(), 2);
}

#[tokio::test]
async fn location_only_answers_are_followed() {
    let emulator = Emulator::start_with(EmulatorOptions::new().async_operation_header(false))
        .await
        .unwrap();
    let client = emulator.client_builder().build().unwrap();
    let operation = client
        .trigger(&emulator.demo_request())
        .await
        .unwrap()
        .single();
    let tracking = TrackingRef::from_reference(&operation.reference).unwrap();
    assert!(tracking.async_operation.is_none());
    let done = client.wait(operation, fast()).await.unwrap();
    assert_eq!(done.status, OperationStatus::Succeeded);
    assert_eq!(done.vendor_status.as_deref(), Some("204"));
    assert_eq!(done.job_id, None);
    assert!(polls_to(&emulator, "/operationresults/") >= 2);
}

#[tokio::test]
async fn emulator_validates_the_request() {
    let emulator = start().await;
    let client = emulator.client_builder().build().unwrap();
    // A VM request for the file share item.
    let wrong_kind = TriggerRequest::azure_vm(backup_azure::emulator::demo_file_share());
    let err = client.trigger(&wrong_kind).await.unwrap_err();
    assert_eq!(err.code(), Some("BMSUserErrorInvalidInput"));
    assert_eq!(err.api().map(|a| a.kind), Some(ApiErrorKind::BadRequest));
    // An item and a vault it does not know.
    let mut unknown = demo_vm();
    unknown.item = "VM;iaasvmcontainerv2;testrg;nosuchvm".into();
    let err = client
        .trigger(&TriggerRequest::azure_vm(unknown))
        .await
        .unwrap_err();
    assert_eq!(err.api().map(|a| a.kind), Some(ApiErrorKind::NotFound));
    let mut vault = demo_vm();
    vault.vault = "otherVault".into();
    let err = client
        .trigger(&TriggerRequest::azure_vm(vault))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ResourceNotFound"));
    assert_eq!(emulator.accepted_backups(), 0);
}

#[tokio::test]
async fn hostile_names_stay_one_segment_and_are_not_found() {
    let emulator = start().await;
    let client = emulator.client_builder().build().unwrap();
    let mut item = demo_vm();
    item.item = format!("../../{DEMO_VM_ITEM}/backup?x=#");
    let err = client
        .trigger(&TriggerRequest::azure_vm(item))
        .await
        .unwrap_err();
    assert_eq!(err.api().map(|a| a.status), Some(404));
    assert_eq!(emulator.accepted_backups(), 0);
}

#[tokio::test]
async fn references_to_other_hosts_are_refused_before_any_request() {
    let emulator = start().await;
    let client = emulator.client_builder().build().unwrap();
    let hostile = TrackingRef::new(
        Some(
            url::Url::parse("https://attacker.example/Subscriptions/s/operationsStatus/1").unwrap(),
        ),
        None,
    )
    .unwrap()
    .to_reference();
    let before = emulator.requests().total();
    let err = client.status(&hostile).await.unwrap_err();
    assert!(
        matches!(err, Error::InvalidInput { ref field, .. } if field == "reference"),
        "{err}"
    );
    assert_eq!(emulator.requests().total(), before);
    assert_eq!(emulator.token_requests(), 0);
}

// ---- faults ----

async fn trigger_with(emulator: &Emulator, fault: Fault) -> Result<Vec<Operation>, Error> {
    emulator.faults().inject(RouteClass::Trigger, fault);
    let client = emulator.client_builder().build().unwrap();
    client.trigger(&emulator.demo_request()).await
}

#[tokio::test]
async fn server_error_on_trigger_is_outcome_unknown_and_not_resent() {
    let emulator = start().await;
    let err = trigger_with(&emulator, Fault::status(500))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::OutcomeUnknown {
                status: Some(500),
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(emulator.requests().count(RouteClass::Trigger), 1);
    assert_eq!(emulator.accepted_backups(), 0);
}

#[tokio::test]
async fn proxy_html_on_trigger_is_outcome_unknown() {
    let emulator = start().await;
    let err = trigger_with(&emulator, Fault::HtmlBody { status: 502 })
        .await
        .unwrap_err();
    let Error::OutcomeUnknown { reason, .. } = &err else {
        panic!("{err:?}");
    };
    assert!(reason.contains("502 Bad Gateway"), "{reason}");
    assert_eq!(emulator.requests().count(RouteClass::Trigger), 1);
    assert_eq!(emulator.accepted_backups(), 0);
}

#[tokio::test]
async fn dropped_connection_after_handling_is_outcome_unknown_and_the_backup_runs() {
    let emulator = start().await;
    let err = trigger_with(&emulator, Fault::DropAfterHandling)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::OutcomeUnknown { .. }), "{err}");
    assert_eq!(emulator.accepted_backups(), 1);
    // Triggering again blindly is refused while that backup runs.
    let client = emulator.client_builder().build().unwrap();
    let again = client.trigger(&emulator.demo_request()).await.unwrap_err();
    assert_eq!(again.api().map(|a| a.kind), Some(ApiErrorKind::Conflict));
    assert_eq!(emulator.accepted_backups(), 1);
}

#[tokio::test]
async fn slow_trigger_answer_within_the_timeout_is_fine() {
    let emulator = start().await;
    trigger_with(&emulator, Fault::Delay(Duration::from_millis(30)))
        .await
        .unwrap();
    assert_eq!(emulator.accepted_backups(), 1);
}

async fn wait_with_poll_fault(fault: Fault) -> (Emulator, Result<Operation, Error>) {
    let emulator = start().await;
    let client = emulator.client_builder().build().unwrap();
    let operation = client
        .trigger(&emulator.demo_request())
        .await
        .unwrap()
        .single();
    emulator.faults().inject(RouteClass::Poll, fault);
    let result = client.wait(operation, fast()).await;
    (emulator, result)
}

#[tokio::test]
async fn transient_poll_faults_are_retried() {
    for fault in [
        Fault::retry_after(429, Duration::ZERO),
        Fault::status(500),
        Fault::status(503),
        Fault::HtmlBody { status: 502 },
        Fault::DropBeforeHandling,
        Fault::DropAfterHandling,
        Fault::Delay(Duration::from_millis(20)),
    ] {
        let (emulator, result) = wait_with_poll_fault(fault.clone()).await;
        let done = result.unwrap_or_else(|e| panic!("{fault:?}: {e}"));
        assert_eq!(done.status, OperationStatus::Succeeded, "{fault:?}");
        assert_eq!(emulator.faults().fired(), 1, "{fault:?}");
        assert_eq!(emulator.accepted_backups(), 1);
    }
}

#[tokio::test]
async fn a_poll_answer_that_never_decodes_is_a_decode_error() {
    let emulator = start().await;
    let client = emulator.client_builder().build().unwrap();
    let operation = client
        .trigger(&emulator.demo_request())
        .await
        .unwrap()
        .single();
    emulator
        .faults()
        .inject_n(RouteClass::Poll, Fault::MalformedBody { status: 200 }, 1000);
    // One read: the client reads it again within its retry policy, then gives up.
    let err = client.status(&operation.reference).await.unwrap_err();
    let Error::Decode { status, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(*status, 200);
    assert!(err.request_id().is_some(), "{err:?}");
    assert_eq!(emulator.requests().count(RouteClass::Poll), 4);
    // Waiting keeps the operation and ends at the deadline with the last state seen.
    let options = fast().deadline(Some(Duration::from_millis(200)));
    let err = client.wait(operation, options).await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert_eq!(
        err.operation().map(|op| op.status),
        Some(OperationStatus::Pending)
    );
    assert_eq!(emulator.accepted_backups(), 1);
}

#[tokio::test]
async fn expired_static_token_is_an_auth_error() {
    let emulator = start().await;
    let token = {
        use azure_core::credentials::TokenCredential;
        emulator
            .credential()
            .get_token(&["https://management.azure.com/.default"], None)
            .await
            .unwrap()
    };
    let client = backup_azure::Client::builder()
        .endpoint(emulator.url().as_str())
        .bearer_token(token.token.secret())
        .build()
        .unwrap();
    emulator.expire_tokens();
    let err = client.trigger(&emulator.demo_request()).await.unwrap_err();
    let Error::Auth {
        status, message, ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(*status, Some(401));
    assert!(message.contains("AZURE_ACCESS_TOKEN"), "{message}");
    assert_eq!(emulator.accepted_backups(), 0);
}

#[tokio::test]
async fn unknown_token_is_refused() {
    let emulator = start().await;
    let client = backup_azure::Client::builder()
        .endpoint(emulator.url().as_str())
        .bearer_token("not-a-token")
        .build()
        .unwrap();
    let err = client.trigger(&emulator.demo_request()).await.unwrap_err();
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
    assert_eq!(emulator.accepted_backups(), 0);
}

#[tokio::test]
async fn the_other_api_version_is_accepted_too() {
    let emulator = start().await;
    let client = emulator
        .client_builder()
        .api_version(backup_azure::ApiVersion::V2025_08_01)
        .build()
        .unwrap();
    let operation = client
        .trigger(&emulator.demo_request())
        .await
        .unwrap()
        .single();
    client.wait(operation, fast()).await.unwrap();
    let job_polls = emulator.requests().count_where(|r| {
        r.path().contains("/backupJobs/") && r.target.ends_with("api-version=2025-08-01")
    });
    assert!(job_polls >= 1);
}

#[tokio::test]
async fn registered_items_and_timed_jobs() {
    let item = ProtectedItem::azure_vm(
        "11111111-1111-1111-1111-111111111111",
        "rg2",
        "vault2",
        "rg2",
        "vm2",
    );
    let emulator = Emulator::start_with(
        EmulatorOptions::new()
            .protected_item(&item, backup_azure::emulator::ItemKind::IaasVm)
            .lifecycle(LifecycleSpec::default().after(Duration::from_millis(50))),
    )
    .await
    .unwrap();
    let client = emulator.client_builder().build().unwrap();
    let request = TriggerRequest::with_properties(
        item,
        IaasVmBackupRequest::new().expiry(time::macros::datetime!(2030-01-01 00:00 UTC)),
    );
    let operation = client.trigger(&request).await.unwrap().single();
    let done = client.wait(operation, fast()).await.unwrap();
    assert_eq!(done.status, OperationStatus::Succeeded);
}

#[tokio::test]
async fn a_running_job_is_cancelled() {
    let emulator =
        Emulator::start_with(EmulatorOptions::new().lifecycle(LifecycleSpec::after_polls(50)))
            .await
            .unwrap();
    let client = emulator.client_builder().build().unwrap();
    let operation = client
        .trigger(&emulator.demo_request())
        .await
        .unwrap()
        .single();
    // Before the service named the job, there is nothing to cancel yet.
    let early = client.cancel(&operation.reference).await.unwrap_err();
    assert!(matches!(early, Error::Unsupported { .. }), "{early:?}");
    let running = client.status(&operation.reference).await.unwrap();
    assert!(running.job_id.is_some());
    let cancelling = client.cancel(&running.reference).await.unwrap();
    assert_eq!(cancelling.vendor_status.as_deref(), Some("Cancelling"));
    assert_eq!(emulator.requests().count(RouteClass::Control), 1);
    let err = client.wait(cancelling, fast()).await.unwrap_err();
    assert_eq!(
        err.operation().map(|op| op.status),
        Some(OperationStatus::Cancelled)
    );
    // A job that ended cannot be cancelled again.
    let again = client.cancel(&running.reference).await.unwrap_err();
    assert_eq!(again.code(), Some("BMSUserErrorJobNotCancellable"));
    assert_eq!(emulator.accepted_backups(), 1);
}

#[tokio::test]
async fn retry_after_is_configurable() {
    let emulator =
        Emulator::start_with(EmulatorOptions::new().retry_after(Duration::from_secs(12)))
            .await
            .unwrap();
    let client = emulator.client_builder().build().unwrap();
    let operation = client
        .trigger(&emulator.demo_request())
        .await
        .unwrap()
        .single();
    assert_eq!(operation.poll_after, Some(Duration::from_secs(12)));
    let polled = client.status(&operation.reference).await.unwrap();
    assert_eq!(polled.poll_after, Some(Duration::from_secs(12)));
}

#[tokio::test]
async fn emulator_debug_shows_no_token() {
    use azure_core::credentials::TokenCredential;
    let emulator = start().await;
    let token = emulator
        .credential()
        .get_token(&["https://management.azure.com/.default"], None)
        .await
        .unwrap();
    let text = format!("{emulator:?} {:?}", emulator.credential());
    assert!(!text.contains(token.token.secret()), "{text}");
    assert!(text.contains("tokens_issued: 1"), "{text}");
    // Scopes other than `/.default` are refused, as Entra ID does.
    assert!(
        emulator
            .credential()
            .get_token(&["user_impersonation"], None)
            .await
            .is_err()
    );
}

/// What a backup made, on the emulator: the job's duration and `Backup Size`, and the
/// recovery point named by the follow-up read (issue 15).
#[tokio::test]
async fn a_backup_reports_its_duration_size_and_recovery_point() {
    let emulator = Emulator::start_with(EmulatorOptions::new().backup_size_mb(4096))
        .await
        .unwrap();
    let client = emulator.client_builder().build().unwrap();
    let operation = client
        .trigger(&emulator.demo_request())
        .await
        .unwrap()
        .single();
    let done = client.wait(operation, fast()).await.unwrap();
    assert_eq!(done.status, OperationStatus::Succeeded);
    assert_eq!(done.size_bytes, Some(4096 * 1024 * 1024));
    assert!(done.duration.is_some(), "the job's own duration");
    assert_eq!(done.produced.len(), 1, "{:?}", done.produced);
    assert_eq!(done.produced[0].kind, "recovery_point");
    assert!(done.produced[0].id.bytes().all(|b| b.is_ascii_digit()));
    assert!(done.warnings.is_empty(), "{:?}", done.warnings);
    assert_eq!(
        polls_to(&emulator, "/recoverypoints"),
        1,
        "one follow-up read"
    );
    // Switched off, nothing is read after the end.
    let operation = client
        .trigger(&emulator.demo_request())
        .await
        .unwrap()
        .single();
    let quiet = client
        .wait(operation, fast().follow_up(false))
        .await
        .unwrap();
    assert!(quiet.produced.is_empty());
    assert_eq!(polls_to(&emulator, "/recoverypoints"), 1);
}

#[tokio::test]
async fn every_kind_of_item_produces_its_recovery_point() {
    let emulator = start().await;
    let client = emulator.client_builder().build().unwrap();
    let mut points = Vec::new();
    for request in demo_requests() {
        let operation = client.trigger(&request).await.unwrap().single();
        let done = client.wait(operation, fast()).await.unwrap();
        assert_eq!(done.size_bytes, Some(2332 * 1024 * 1024), "{request:?}");
        points.push(done.produced.first().cloned().expect("a recovery point"));
    }
    points.dedup();
    assert_eq!(points.len(), 3);
}

#[tokio::test]
async fn a_job_completed_with_warnings_keeps_them() {
    let emulator = start().await;
    emulator.set_lifecycle(LifecycleSpec::after_polls(1).with_warning());
    let client = emulator.client_builder().build().unwrap();
    let operation = client
        .trigger(&emulator.demo_request())
        .await
        .unwrap()
        .single();
    let done = client.wait(operation, fast()).await.unwrap();
    assert_eq!(done.status, OperationStatus::SucceededWithWarnings);
    assert_eq!(
        done.warnings,
        [
            "400111: Backup completed with warnings: some files were skipped.",
            "recommendation: Check the skipped files and back up again."
        ]
    );
    assert_eq!(done.produced.len(), 1);
}

/// A trigger whose answer is lost (the connection drops after the backup was
/// accepted) is found again in the vault's job list by its client request id: the
/// trigger is never sent twice, whether the backup still runs or has ended (issue 18).
#[tokio::test]
async fn a_lost_trigger_is_found_in_the_job_list_and_never_sent_twice() {
    for ended_first in [false, true] {
        let emulator = start().await;
        let client = emulator.client_builder().build().unwrap();
        let mut request = emulator.demo_request();
        backup_azure::Client::idempotency_key(&mut request, None).unwrap();
        emulator
            .faults()
            .inject(RouteClass::Trigger, Fault::DropAfterHandling);
        let lost = client.trigger(&request).await.unwrap_err();
        assert!(matches!(lost, Error::OutcomeUnknown { .. }), "{lost:?}");
        if ended_first {
            // Someone else saw it through: its job has ended when the answer is sought.
            let mut job = None;
            for _ in 0..10 {
                let found = client.recover_trigger(&request).await.unwrap();
                let backup_core::contract::Recovered::Operations(ops) = found else {
                    panic!("{found:?}");
                };
                let op = ops.single();
                if op.status.is_terminal() {
                    job = Some(op);
                    break;
                }
            }
            let ended = job.expect("the job ended");
            assert_eq!(ended.status, OperationStatus::Succeeded);
        }
        let recovered = client.recover_trigger(&request).await.unwrap();
        let backup_core::contract::Recovered::Operations(operations) = recovered else {
            panic!("not found: {recovered:?}");
        };
        let operation = operations.single();
        assert!(operation.job_id.is_some());
        assert!(
            operation
                .message
                .as_deref()
                .is_some_and(|m| m.contains("activityId") || ended_first),
            "{:?}",
            operation.message
        );
        let done = client.wait(operation, fast()).await.unwrap();
        assert_eq!(done.status, OperationStatus::Succeeded);
        assert_eq!(
            done.produced.len(),
            1,
            "the recovery point of the found job"
        );
        assert_eq!(emulator.accepted_backups(), 1, "ended first: {ended_first}");
        assert_eq!(emulator.requests().count(RouteClass::Trigger), 1);
    }
}

/// A trigger that never reached the service (dropped before it was handled) is sent
/// by the recovery: the job list shows nothing of it.
#[tokio::test]
async fn a_trigger_that_never_arrived_is_sent_by_the_recovery() {
    let emulator = start().await;
    let client = emulator.client_builder().build().unwrap();
    let mut request = emulator.demo_request();
    backup_azure::Client::idempotency_key(&mut request, None).unwrap();
    emulator
        .faults()
        .inject(RouteClass::Trigger, Fault::DropBeforeHandling);
    let _ = client.trigger(&request).await;
    assert_eq!(emulator.accepted_backups(), 0);
    let recovered = client.recover_trigger(&request).await.unwrap();
    let backup_core::contract::Recovered::Operations(operations) = recovered else {
        panic!("{recovered:?}");
    };
    let done = client.wait(operations.single(), fast()).await.unwrap();
    assert_eq!(done.status, OperationStatus::Succeeded);
    assert_eq!(emulator.accepted_backups(), 1);
}

/// Raw HTTP to the emulator, as the vendor's own clients send it.
async fn raw(
    emulator: &Emulator,
    method: reqwest::Method,
    path_and_query: &str,
) -> reqwest::Response {
    use azure_core::credentials::TokenCredential;
    let token = emulator
        .credential()
        .get_token(&["https://management.azure.com/.default"], None)
        .await
        .unwrap();
    let url = format!(
        "{}{}",
        emulator.url().as_str().trim_end_matches('/'),
        path_and_query
    );
    reqwest::Client::new()
        .request(method, url)
        .bearer_auth(token.token.secret())
        .header("content-length", "0")
        .send()
        .await
        .unwrap()
}

const VAULT_PATH: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/linuxRsVaultRG/providers/Microsoft.RecoveryServices/vaults/linuxRsVault";

/// `backupOperations/{op}` and `backupOperationResults/{op}` (the vault-level URLs the
/// Azure CLI and Microsoft's tutorials poll) answer as the item-level ones; the job is
/// read with the Python SDK's default api-version, 2026-10-01.
#[tokio::test]
async fn the_vault_level_operation_urls_and_2026_10_01_are_served() {
    let emulator = start().await;
    let client = emulator.client_builder().build().unwrap();
    let operation = client
        .trigger(&emulator.demo_request())
        .await
        .unwrap()
        .single();
    let tracking = TrackingRef::from_reference(&operation.reference).unwrap();
    let async_url = tracking.async_operation.unwrap();
    let op_id = async_url
        .path_segments()
        .unwrap()
        .next_back()
        .unwrap()
        .to_owned();
    let status = raw(
        &emulator,
        reqwest::Method::GET,
        &format!("{VAULT_PATH}/backupOperations/{op_id}?api-version=2026-10-01"),
    )
    .await;
    assert_eq!(status.status(), 200);
    let body: serde_json::Value = status.json().await.unwrap();
    assert_eq!(body["status"], "InProgress");
    assert_eq!(
        body["endTime"], "0001-01-01T00:00:00Z",
        "ARM's not ended yet"
    );
    let body: serde_json::Value = raw(
        &emulator,
        reqwest::Method::GET,
        &format!("{VAULT_PATH}/backupOperations/{op_id}?api-version=2026-10-01"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(body["status"], "Succeeded");
    let job_id = body["properties"]["jobId"].as_str().unwrap().to_owned();
    let result = raw(
        &emulator,
        reqwest::Method::GET,
        &format!("{VAULT_PATH}/backupOperationResults/{op_id}?api-version=2026-10-01"),
    )
    .await;
    assert_eq!(result.status(), 204);
    let job = raw(
        &emulator,
        reqwest::Method::GET,
        &format!("{VAULT_PATH}/backupJobs/{job_id}?api-version=2026-10-01"),
    )
    .await;
    assert_eq!(job.status(), 200);
    let job: serde_json::Value = job.json().await.unwrap();
    assert_eq!(
        job["properties"]["containerName"],
        "iaasvmcontainerv2;testrg;v1win2012r"
    );
    assert_eq!(job["properties"]["isUserTriggered"], true);
    // Another vault does not know the operation.
    let elsewhere = raw(
        &emulator,
        reqwest::Method::GET,
        &format!(
            "{}/backupOperations/{op_id}?api-version=2026-10-01",
            VAULT_PATH.replace("linuxRsVault", "otherVault")
        ),
    )
    .await;
    assert_eq!(elsewhere.status(), 404);
}

/// Cancel answers `202` with a `Location` naming its operation result
/// (`backupJobs/{job}/operationResults/{op}`): `202` while the job is being cancelled,
/// `204` once it has ended.
#[tokio::test]
async fn a_cancel_answers_the_location_of_its_operation_result() {
    let emulator =
        Emulator::start_with(EmulatorOptions::new().lifecycle(LifecycleSpec::after_polls(50)))
            .await
            .unwrap();
    let client = emulator.client_builder().build().unwrap();
    let operation = client
        .trigger(&emulator.demo_request())
        .await
        .unwrap()
        .single();
    let mut running = client.status(&operation.reference).await.unwrap();
    while running.job_id.is_none() {
        running = client.status(&running.reference).await.unwrap();
    }
    let job_id = running.job_id.clone().unwrap();
    let cancel = raw(
        &emulator,
        reqwest::Method::POST,
        &format!("{VAULT_PATH}/backupJobs/{job_id}/cancel?api-version=2026-10-01"),
    )
    .await;
    assert_eq!(cancel.status(), 202);
    let location = cancel
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap()
        .to_owned();
    assert!(
        location.contains(&format!("/backupJobs/{job_id}/operationResults/"))
            && location.ends_with("?api-version=2026-10-01"),
        "{location}"
    );
    assert!(cancel.headers().contains_key("retry-after"));
    let path = location.trim_start_matches(emulator.url().as_str().trim_end_matches('/'));
    let mut seen = Vec::new();
    for _ in 0..4 {
        let answer = raw(&emulator, reqwest::Method::GET, path).await;
        seen.push(answer.status().as_u16());
        if answer.status() == 204 {
            break;
        }
    }
    assert_eq!(seen, [202, 204]);
    let ended = client.status(&running.reference).await.unwrap();
    assert_eq!(ended.status, OperationStatus::Cancelled);
    let unknown = raw(
        &emulator,
        reqwest::Method::GET,
        &format!("{VAULT_PATH}/backupJobs/{job_id}/operationResults/nope?api-version=2026-10-01"),
    )
    .await;
    assert_eq!(unknown.status(), 404);
}

/// The job list (`BackupJobs_List`) filters as the spec's example does and pages
/// through `nextLink`; a filter it cannot read is a `400`.
#[tokio::test]
async fn the_job_list_filters_and_pages() {
    let emulator = Emulator::start_with(EmulatorOptions::new().job_page_size(2))
        .await
        .unwrap();
    let client = emulator.client_builder().build().unwrap();
    for request in demo_requests() {
        let operation = client.trigger(&request).await.unwrap().single();
        client.wait(operation, fast()).await.unwrap();
    }
    let list = |query: String| {
        let emulator = &emulator;
        async move {
            let answer = raw(
                emulator,
                reqwest::Method::GET,
                &format!("{VAULT_PATH}/backupJobs?api-version=2026-10-01{query}"),
            )
            .await;
            (
                answer.status().as_u16(),
                answer.json::<serde_json::Value>().await.unwrap(),
            )
        }
    };
    let (status, first) = list(String::new()).await;
    assert_eq!(status, 200);
    assert_eq!(first["value"].as_array().unwrap().len(), 2);
    let next = first["nextLink"].as_str().unwrap().to_owned();
    let path = next.trim_start_matches(emulator.url().as_str().trim_end_matches('/'));
    let second: serde_json::Value = raw(&emulator, reqwest::Method::GET, path)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(second["value"].as_array().unwrap().len(), 1);
    assert!(second.get("nextLink").is_none());
    let encode = |filter: &str| {
        format!(
            "&$filter={}",
            percent_encoding::utf8_percent_encode(filter, percent_encoding::NON_ALPHANUMERIC)
        )
    };
    let (_, vms) = list(encode(
        "operation eq 'Backup' and backupManagementType eq 'AzureIaasVM' and status eq 'Completed'",
    ))
    .await;
    let vms = vms["value"].as_array().unwrap().clone();
    assert_eq!(vms.len(), 1);
    assert_eq!(vms[0]["properties"]["entityFriendlyName"], "v1win2012r");
    let (_, old) = list(encode(
        "startTime eq '2016-01-01 00:00:00 AM' and endTime eq '2017-11-29 00:00:00 AM'",
    ))
    .await;
    assert_eq!(old["value"].as_array().unwrap().len(), 0);
    let (_, none_running) = list(encode("status eq 'InProgress'")).await;
    assert_eq!(none_running["value"].as_array().unwrap().len(), 0);
    let (status, refused) = list(encode("colour eq 'blue'")).await;
    assert_eq!(status, 400);
    assert_eq!(refused["error"]["code"], "BMSUserErrorInvalidInput");
    // The recovery points of the VM: the one its job made.
    let points: serde_json::Value = raw(
        &emulator,
        reqwest::Method::GET,
        &format!(
            "{VAULT_PATH}/backupFabrics/Azure/protectionContainers/{}/protectedItems/{DEMO_VM_ITEM}/recoveryPoints?api-version=2026-10-01",
            backup_azure::emulator::DEMO_VM_CONTAINER
        ),
    )
    .await
    .json()
    .await
    .unwrap();
    let points = points["value"].as_array().unwrap();
    assert_eq!(points.len(), 1);
    assert_eq!(points[0]["properties"]["objectType"], "IaasVMRecoveryPoint");
}

#[tokio::test]
async fn a_triggers_client_request_id_is_its_jobs_activity_id() {
    let emulator = start().await;
    let client = emulator.client_builder().build().unwrap();
    let request = emulator
        .demo_request()
        .client_request_id("7df8e874-1d66-4f81-8e91-da2fe054811d");
    let operation = client.trigger(&request).await.unwrap().single();
    let done = client.wait(operation, fast()).await.unwrap();
    let job: serde_json::Value = raw(
        &emulator,
        reqwest::Method::GET,
        &format!(
            "{VAULT_PATH}/backupJobs/{}?api-version=2024-04-01",
            done.job_id.unwrap()
        ),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        job["properties"]["activityId"],
        "7df8e874-1d66-4f81-8e91-da2fe054811d"
    );
}
