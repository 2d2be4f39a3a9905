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
