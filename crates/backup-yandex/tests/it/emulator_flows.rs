//! Trigger-and-wait runs on the emulator: every auth flow, every fault, exactly-once.
#![cfg(feature = "emulator")]

use std::time::Duration;

use backup_core::contract::Recovered;
use backup_core::emulator::{Fault, LifecycleSpec, RouteClass};
use backup_core::testing::SingleOperation;
use backup_core::{ApiErrorKind, Pollable};
use backup_yandex::emulator::{
    DEMO_INSTANCE_ID, DEMO_OAUTH_TOKEN, DEMO_POLICY_ID, DEMO_UNAPPLIED_INSTANCE_ID, Emulator,
    EmulatorOptions,
};
use backup_yandex::prelude::*;
use backup_yandex::{
    Client, Credential, Error, Operation, OperationRef, OperationStatus, ServiceAccountKey,
    TriggerRequest, WaitOptions,
};
use futures_util::StreamExt;

fn every() -> WaitOptions {
    WaitOptions::every(Duration::from_millis(5))
        .interval_limits(Duration::from_millis(1), Duration::from_millis(100))
}

/// The reads `wait` makes after a successful end (`BackupClient::produced`).
const FOLLOW_UP_READS: usize = 2;

async fn run(emulator: &Emulator, client: &Client) -> Operation {
    let operation = client
        .trigger(&emulator.demo_request())
        .await
        .unwrap()
        .single();
    client.wait(operation, every()).await.unwrap()
}

#[tokio::test]
async fn service_account_key_flow_triggers_and_waits() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator.client_builder().build().unwrap();
    let done = run(&emulator, &client).await;
    assert_eq!(done.status, OperationStatus::Succeeded);
    assert_eq!(done.vendor_status.as_deref(), Some("done"));
    assert_eq!(done.progress, Some(100.0));
    assert!(done.started_at.is_some() && done.finished_at.is_some());
    assert_eq!(emulator.accepted_backups(), 1);
    assert_eq!(emulator.token_requests(), 1);
    let log = emulator.requests();
    assert_eq!(log.count(RouteClass::Auth), 1);
    assert_eq!(log.count(RouteClass::Trigger), 1);
    // Four operation reads to the end, then the follow-up: the operation once more
    // and `Backup.List`.
    assert_eq!(log.count(RouteClass::Poll), 4 + FOLLOW_UP_READS);
}

#[tokio::test]
async fn oauth_flow_exchanges_once() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator
        .client_builder()
        .credential(Credential::oauth_token(DEMO_OAUTH_TOKEN))
        .build()
        .unwrap();
    assert_eq!(
        run(&emulator, &client).await.status,
        OperationStatus::Succeeded
    );
    assert_eq!(emulator.token_requests(), 1);
    assert_eq!(client.token_cache().fetch_count(), 1);
}

#[tokio::test]
async fn static_iam_token_flow() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator
        .client_builder()
        .credential(Credential::iam_token(emulator.issue_iam_token()))
        .build()
        .unwrap();
    assert_eq!(
        run(&emulator, &client).await.status,
        OperationStatus::Succeeded
    );
    assert_eq!(emulator.requests().count(RouteClass::Auth), 0);
}

#[tokio::test]
async fn metadata_flow() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator
        .client_builder()
        .credential(Credential::Metadata)
        .build()
        .unwrap();
    assert_eq!(
        run(&emulator, &client).await.status,
        OperationStatus::Succeeded
    );
    let auth: Vec<_> = emulator
        .requests()
        .records()
        .into_iter()
        .filter(|r| r.class == RouteClass::Auth)
        .collect();
    assert_eq!(auth.len(), 1);
    assert_eq!(auth[0].method, http::Method::GET);
    assert_eq!(
        auth[0].path(),
        "/computeMetadata/v1/instance/service-accounts/default/token"
    );
}

#[tokio::test]
async fn metadata_address_from_env() {
    let emulator = Emulator::start().await.unwrap();
    let url = emulator.url();
    let address = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap());
    let client = backup_yandex::ClientBuilder::from_lookup(&|name: &str| {
        (name == "YC_METADATA_ADDR").then(|| address.clone())
    })
    .unwrap()
    .backup_endpoint(url.as_str())
    .operation_endpoint(url.as_str())
    .retry(backup_yandex::emulator::fast_retry())
    .build()
    .unwrap();
    assert_eq!(
        run(&emulator, &client).await.status,
        OperationStatus::Succeeded
    );
    assert_eq!(emulator.token_requests(), 1);
}

#[tokio::test]
async fn jwt_of_an_unregistered_key_is_refused() {
    let emulator = Emulator::start().await.unwrap();
    let key = ServiceAccountKey::from_file(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/unregistered-key.json"
    ))
    .unwrap();
    let client = emulator
        .client_builder()
        .credential(key.into())
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
        "{err}"
    );
    assert!(err.to_string().contains("unknown key id"), "{err}");
    assert_eq!(emulator.accepted_backups(), 0);
    assert_eq!(emulator.requests().count(RouteClass::Trigger), 0);
}

#[tokio::test]
async fn wrong_oauth_token_is_an_auth_error() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator
        .client_builder()
        .credential(Credential::oauth_token("y0_wrong"))
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
        "{err}"
    );
    assert_eq!(emulator.accepted_backups(), 0);
}

#[tokio::test]
async fn progress_rises_from_0_to_100_as_string_and_number() {
    for number in [false, true] {
        let emulator = Emulator::start_with(
            EmulatorOptions::default()
                .lifecycle(LifecycleSpec::after_polls(4))
                .progress_as_number(number),
        )
        .await
        .unwrap();
        let client = emulator.client_builder().build().unwrap();
        let operation = client
            .trigger(&emulator.demo_request())
            .await
            .unwrap()
            .single();
        let seen: Vec<Option<f64>> = client
            .wait(operation, every())
            .map(|item| item.unwrap().progress)
            .collect()
            .await;
        assert_eq!(
            seen,
            [Some(0.0), Some(25.0), Some(50.0), Some(75.0), Some(100.0)],
            "number: {number}"
        );
    }
}

#[tokio::test]
async fn repeated_idempotency_key_returns_the_same_operation() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator.client_builder().build().unwrap();
    let request = emulator
        .demo_request()
        .idempotency_key("0b6f3c2e-7d1a-4c39-9b1e-2f5a8d7c6e40");
    let first = client.trigger(&request).await.unwrap().single();
    let second = client.trigger(&request).await.unwrap().single();
    assert_eq!(first.reference, second.reference);
    let fresh = client
        .trigger(&emulator.demo_request())
        .await
        .unwrap()
        .single();
    assert_ne!(first.reference, fresh.reference);
    assert_eq!(emulator.accepted_backups(), 2);
}

/// The heart of it: the answer to execute is lost after the service acted; the retry
/// carries the same key and gets the same operation.
#[tokio::test]
async fn lost_answer_is_retried_with_the_same_key_and_starts_one_backup() {
    let emulator = Emulator::start().await.unwrap();
    emulator
        .faults()
        .inject(RouteClass::Trigger, Fault::DropAfterHandling);
    let client = emulator.client_builder().build().unwrap();
    let done = run(&emulator, &client).await;
    assert_eq!(done.status, OperationStatus::Succeeded);
    assert_eq!(emulator.requests().count(RouteClass::Trigger), 2);
    assert_eq!(emulator.accepted_backups(), 1);
}

#[tokio::test]
async fn retry_after_header_is_sent_with_the_vendor_body() {
    let emulator = Emulator::start().await.unwrap();
    emulator.faults().inject(
        RouteClass::Trigger,
        Fault::retry_after(429, Duration::from_millis(1)),
    );
    let client = emulator
        .client_builder()
        .retry(backup_yandex::RetryPolicy::never())
        .build()
        .unwrap();
    let err = client.trigger(&emulator.demo_request()).await.unwrap_err();
    let api = err.api().expect("an API error");
    assert_eq!(api.kind, ApiErrorKind::Throttled);
    assert_eq!(api.code.as_deref(), Some("RESOURCE_EXHAUSTED"));
    assert_eq!(api.retry_after, Some(Duration::from_secs(1)));
    assert!(api.request_id.is_some());
    assert_eq!(emulator.accepted_backups(), 0);
}

#[tokio::test]
async fn answers_lost_every_time_give_outcome_unknown_and_the_key_makes_a_repeat_safe() {
    let emulator = Emulator::start().await.unwrap();
    emulator
        .faults()
        .inject_n(RouteClass::Trigger, Fault::DropAfterHandling, 5);
    let client = emulator.client_builder().build().unwrap();
    let key = "5d0c8b7a-1e2f-4a3b-9c4d-5e6f7a8b9c0d";
    let request = emulator.demo_request().idempotency_key(key);
    let err = client.trigger(&request).await.unwrap_err();
    assert!(matches!(err, Error::OutcomeUnknown { .. }), "{err}");
    assert!(err.to_string().contains(key), "{err}");
    assert_eq!(emulator.accepted_backups(), 1);
    // Repeating with the same key is safe: the same operation, still one backup.
    let operation = client.trigger(&request).await.unwrap().single();
    assert_eq!(
        client.wait(operation, every()).await.unwrap().status,
        OperationStatus::Succeeded
    );
    assert_eq!(emulator.accepted_backups(), 1);
}

#[tokio::test]
async fn faults_on_polls_are_ridden_out() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator.client_builder().build().unwrap();
    let operation = client
        .trigger(&emulator.demo_request())
        .await
        .unwrap()
        .single();
    let faults = emulator.faults();
    faults.inject(RouteClass::Poll, Fault::status(503));
    faults.inject(RouteClass::Poll, Fault::HtmlBody { status: 502 });
    faults.inject(RouteClass::Poll, Fault::DropBeforeHandling);
    faults.inject(RouteClass::Poll, Fault::MalformedBody { status: 200 });
    let done = client.wait(operation, every()).await.unwrap();
    assert_eq!(done.status, OperationStatus::Succeeded);
    assert_eq!(emulator.accepted_backups(), 1);
    assert_eq!(faults.pending(), 0);
}

#[tokio::test]
async fn expired_static_token_is_an_auth_error() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator
        .client_builder()
        .credential(Credential::iam_token(emulator.issue_iam_token()))
        .build()
        .unwrap();
    emulator.expire_tokens();
    let err = client.trigger(&emulator.demo_request()).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Auth {
                status: Some(401),
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("YC_IAM_TOKEN"), "{err}");
    assert_eq!(emulator.accepted_backups(), 0);
}

#[tokio::test]
async fn policy_not_applied_is_failed_precondition() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator.client_builder().build().unwrap();
    let err = client
        .trigger(&TriggerRequest::new(
            DEMO_POLICY_ID,
            DEMO_UNAPPLIED_INSTANCE_ID,
        ))
        .await
        .unwrap_err();
    let api = err.api().expect("an API error");
    assert_eq!(api.status, 400);
    assert_eq!(api.kind, ApiErrorKind::PreconditionFailed);
    assert_eq!(api.code.as_deref(), Some("FAILED_PRECONDITION"));
    assert!(api.message.contains("not applied"), "{api}");
    assert!(api.request_id.is_some());
    assert_eq!(emulator.accepted_backups(), 0);
    assert_eq!(emulator.requests().count(RouteClass::Trigger), 1);
}

#[tokio::test]
async fn unknown_policy_is_not_found_and_ids_stay_one_segment() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator.client_builder().build().unwrap();
    let err = client
        .trigger(&TriggerRequest::new("x/../y?z#%", DEMO_INSTANCE_ID))
        .await
        .unwrap_err();
    let api = err.api().expect("an API error");
    assert_eq!(api.kind, ApiErrorKind::NotFound);
    assert_eq!(api.code.as_deref(), Some("NOT_FOUND"));
    assert!(api.message.contains("x/../y?z#%"), "{api}");
    let target = emulator.requests().last().unwrap().target;
    assert_eq!(target, "/backup/v1/policies/x%2F..%2Fy%3Fz%23%25:execute");
    assert_eq!(emulator.accepted_backups(), 0);
}

#[tokio::test]
async fn invalid_input_sends_nothing() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator.client_builder().build().unwrap();
    for (request, field) in [
        (TriggerRequest::new("", DEMO_INSTANCE_ID), "policy_id"),
        (TriggerRequest::new("..", DEMO_INSTANCE_ID), "policy_id"),
        (
            TriggerRequest::new(DEMO_POLICY_ID, " "),
            "compute_instance_id",
        ),
        (
            TriggerRequest::new(DEMO_POLICY_ID, "x".repeat(51)),
            "compute_instance_id",
        ),
        (
            emulator.demo_request().idempotency_key("not-a-uuid"),
            "idempotency_key",
        ),
    ] {
        match client.trigger(&request).await {
            Err(Error::InvalidInput { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    for bad in ["", "..", "a\nb"] {
        let err = client
            .status(&OperationRef::new("yandex", bad))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }), "{bad:?}");
    }
    let err = client
        .status(&OperationRef::new("azure", "op"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }));
    assert_eq!(emulator.requests().total(), 0);
}

#[tokio::test]
async fn failing_backup_rolls_back_then_fails() {
    let emulator = Emulator::start_with(
        EmulatorOptions::default().lifecycle(LifecycleSpec::after_polls(1).failing("disk is gone")),
    )
    .await
    .unwrap();
    let client = emulator.client_builder().build().unwrap();
    let operation = client
        .trigger(&emulator.demo_request())
        .await
        .unwrap()
        .single();
    let seen: Vec<_> = client.wait(operation, every()).collect().await;
    let states: Vec<_> = seen
        .iter()
        .map(|op| {
            let op = op.as_ref().unwrap();
            (op.status, op.vendor_status.clone().unwrap_or_default())
        })
        .collect();
    assert_eq!(
        states,
        [
            (OperationStatus::Running, "running".to_owned()),
            (OperationStatus::Running, "rolling_back".to_owned()),
            (OperationStatus::Failed, "failed".to_owned()),
        ]
    );
    let last = seen.last().unwrap().as_ref().unwrap();
    let error = last.error.as_ref().unwrap();
    assert_eq!(error.code.as_deref(), Some("INTERNAL"));
    assert_eq!(error.message, "disk is gone");

    let operation = client
        .trigger(&emulator.demo_request())
        .await
        .unwrap()
        .single();
    let err = client.wait(operation, every()).await.unwrap_err();
    assert!(matches!(err, Error::OperationFailed(_)), "{err}");
    assert_eq!(emulator.accepted_backups(), 2);
}

#[tokio::test]
async fn cancel_by_get_then_the_operation_ends_cancelled() {
    let emulator = Emulator::start().await.unwrap();
    emulator.set_lifecycle(LifecycleSpec::after_polls(1000));
    let client = emulator.client_builder().build().unwrap();
    let operation = client
        .trigger(&emulator.demo_request())
        .await
        .unwrap()
        .single();
    let cancelling = client.cancel(&operation.reference).await.unwrap();
    assert_eq!(cancelling.status, OperationStatus::Running);
    assert_eq!(cancelling.vendor_status.as_deref(), Some("rolling_back"));
    let record = emulator.requests().last().unwrap();
    assert_eq!(record.method, http::Method::GET);
    assert_eq!(record.class, RouteClass::Control);
    assert_eq!(
        record.target,
        format!("/operations/{}:cancel", operation.reference.id)
    );
    let err = client.wait(operation, every()).await.unwrap_err();
    let ended = err.operation().unwrap();
    assert_eq!(ended.status, OperationStatus::Cancelled);
    assert_eq!(
        ended.error.as_ref().unwrap().code.as_deref(),
        Some("CANCELLED")
    );
    assert_eq!(emulator.accepted_backups(), 1);
}

#[tokio::test]
async fn cancel_by_post_is_refused_by_the_emulator() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator.client_builder().build().unwrap();
    let operation = client
        .trigger(&emulator.demo_request())
        .await
        .unwrap()
        .single();
    let token = emulator.issue_iam_token();
    let url = emulator
        .url()
        .join(&format!("operations/{}:cancel", operation.reference.id))
        .unwrap();
    let answer = reqwest::Client::new()
        .post(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 405);
    let body: serde_json::Value = serde_json::from_str(&answer.text().await.unwrap()).unwrap();
    assert_eq!(body["code"], 12);
}

#[tokio::test]
async fn up_to_three_not_found_after_creation_are_tolerated() {
    let emulator = Emulator::start_with(EmulatorOptions::default().replica_lag_polls(3))
        .await
        .unwrap();
    let client = emulator.client_builder().build().unwrap();
    let done = run(&emulator, &client).await;
    assert_eq!(done.status, OperationStatus::Succeeded);
    assert_eq!(
        emulator.requests().count(RouteClass::Poll),
        3 + 4 + FOLLOW_UP_READS
    );
}

#[tokio::test]
async fn a_fourth_not_found_is_an_error() {
    let emulator = Emulator::start_with(EmulatorOptions::default().replica_lag_polls(4))
        .await
        .unwrap();
    let client = emulator.client_builder().build().unwrap();
    let operation = client
        .trigger(&emulator.demo_request())
        .await
        .unwrap()
        .single();
    let err = client.wait(operation, every()).await.unwrap_err();
    let api = err.api().expect("an API error");
    assert_eq!(api.kind, ApiErrorKind::NotFound);
    assert_eq!(api.code.as_deref(), Some("NOT_FOUND"));
    assert_eq!(emulator.requests().count(RouteClass::Poll), 4);
}

#[tokio::test]
async fn poll_interval_header_sets_poll_after() {
    let emulator =
        Emulator::start_with(EmulatorOptions::default().poll_interval(Duration::from_millis(20)))
            .await
            .unwrap();
    let client = emulator.client_builder().build().unwrap();
    let operation = client
        .trigger(&emulator.demo_request())
        .await
        .unwrap()
        .single();
    assert_eq!(operation.poll_after, Some(Duration::from_millis(20)));
    let polled = client.poll(&operation).await.unwrap();
    assert_eq!(polled.poll_after, Some(Duration::from_millis(20)));
}

#[tokio::test]
async fn status_from_a_parsed_reference_in_another_client() {
    let emulator = Emulator::start().await.unwrap();
    let operation = emulator
        .client_builder()
        .build()
        .unwrap()
        .trigger(&emulator.demo_request())
        .await
        .unwrap()
        .single();
    let text = operation.reference.to_string();
    assert!(text.starts_with("yandex:"));
    let reference: OperationRef = text.parse().unwrap();
    let other = emulator
        .client_builder()
        .credential(Credential::oauth_token(DEMO_OAUTH_TOKEN))
        .build()
        .unwrap();
    let status = other.status(&reference).await.unwrap();
    assert_eq!(status.reference, operation.reference);
    assert_eq!(status.status, OperationStatus::Running);
}

#[tokio::test]
async fn auth_faults_are_retried_and_one_token_serves_concurrent_triggers() {
    let emulator = Emulator::start().await.unwrap();
    emulator
        .faults()
        .inject(RouteClass::Auth, Fault::status(503));
    emulator
        .faults()
        .inject(RouteClass::Auth, Fault::DropBeforeHandling);
    emulator
        .faults()
        .inject(RouteClass::Auth, Fault::HtmlBody { status: 502 });
    let client = emulator.client_builder().build().unwrap();
    let triggers = (0..8).map(|_| {
        let client = client.clone();
        let request = emulator.demo_request();
        async move { client.trigger(&request).await }
    });
    let operations = futures_util::future::join_all(triggers).await;
    let mut ids: Vec<_> = operations
        .into_iter()
        .map(|op| op.unwrap().single().reference.id)
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 8);
    assert_eq!(emulator.accepted_backups(), 8);
    assert_eq!(emulator.token_requests(), 1);
    assert_eq!(client.token_cache().fetch_count(), 1);
    assert_eq!(emulator.requests().count(RouteClass::Auth), 4);
}

/// Issue 18's lost trigger: the journal set a key with the intent (`idempotency_key`),
/// the execute was handled but no answer came back (every attempt); `recover_trigger`
/// sends the same execute with the same key and gets the operation the first one
/// started, while it runs and after it ended, never a second backup.
#[tokio::test]
async fn a_lost_trigger_is_recovered_by_its_key_running_or_done() {
    let emulator = Emulator::start().await.unwrap();
    emulator
        .faults()
        .inject_n(RouteClass::Trigger, Fault::DropAfterHandling, 5);
    let client = emulator.client_builder().build().unwrap();
    let mut request = emulator.demo_request();
    let key = Client::idempotency_key(&mut request, None).expect("Yandex honours a key");
    assert!(uuid::Uuid::parse_str(&key).is_ok(), "{key}");
    assert_eq!(request.idempotency_key.as_deref(), Some(key.as_str()));
    let err = client.trigger(&request).await.unwrap_err();
    assert!(matches!(err, Error::OutcomeUnknown { .. }), "{err}");
    assert_eq!(emulator.accepted_backups(), 1);

    let recovered = |recovered: Recovered| match recovered {
        Recovered::Operations(operations) => operations.single(),
        other => panic!("expected the operation, got {other:?}"),
    };
    let running = recovered(client.recover_trigger(&request).await.unwrap());
    assert!(!running.status.is_terminal(), "{running:?}");
    let done = client.wait(running.clone(), every()).await.unwrap();
    assert_eq!(done.status, OperationStatus::Succeeded);
    // Again after the end: the same operation, as it stands now.
    let again = recovered(client.recover_trigger(&request).await.unwrap());
    assert_eq!(again.reference, running.reference);
    assert_eq!(again.status, OperationStatus::Succeeded);
    assert_eq!(emulator.accepted_backups(), 1);
}

/// Without a recorded key nothing is sent: a second execute could start a second
/// backup, so the outcome stays unknown with what to check.
#[tokio::test]
async fn a_lost_trigger_without_a_key_is_unknown_and_nothing_is_sent() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator.client_builder().build().unwrap();
    let mut request = emulator.demo_request();
    request.idempotency_key = None;
    match client.recover_trigger(&request).await.unwrap() {
        Recovered::Unknown(what) => {
            assert!(what.contains("Idempotency-Key"), "{what}");
            assert!(what.contains("Cloud Backup"), "{what}");
        }
        other => panic!("expected unknown, got {other:?}"),
    }
    assert_eq!(emulator.requests().count(RouteClass::Trigger), 0);
    assert_eq!(emulator.accepted_backups(), 0);
}

/// A key the caller recorded is used verbatim.
#[test]
fn a_given_key_is_set_verbatim() {
    let mut request = TriggerRequest::new(DEMO_POLICY_ID, DEMO_INSTANCE_ID);
    let key = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
    assert_eq!(
        Client::idempotency_key(&mut request, Some(key)).as_deref(),
        Some(key)
    );
    assert_eq!(request.idempotency_key.as_deref(), Some(key));
}
