//! Trigger-and-wait on the emulator: every auth flow, the lifecycle, and each fault,
//! asserting the outcome and how many backups the emulator started.
#![cfg(feature = "emulator")]

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use backup_core::auth::{AuthTicket, Authenticator};
use backup_core::emulator::{Fault, LifecycleSpec, RouteClass};
use backup_core::testing::SingleOperation;
use backup_core::{
    ApiErrorKind, Error, Operation, OperationRef, OperationStatus, Request, RetryPolicy, Transport,
    WaitOptions,
};
use backup_huawei_csbs::emulator::{self, Emulator, EmulatorOptions};
use backup_huawei_csbs::prelude::*;
use backup_huawei_csbs::{AkSk, ApiErrors, Client, IamPassword, TriggerRequest, VENDOR};
use time::OffsetDateTime;

fn fast() -> WaitOptions {
    WaitOptions::every(Duration::from_millis(5)).deadline(Some(Duration::from_secs(10)))
}

async fn run(emulator: &Emulator, client: &Client) -> backup_core::Result<Operation> {
    let operation = client.trigger(&emulator.demo_request()).await?.single();
    client.wait(operation, fast()).await
}

async fn start() -> (Emulator, Client) {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator.client_builder().build().unwrap();
    (emulator, client)
}

// ---------------------------------------------------------------- auth flows

#[tokio::test]
async fn aksk_trigger_and_wait_succeeds() {
    let (emulator, client) = start().await;
    let operation = client
        .trigger(&emulator.demo_request())
        .await
        .unwrap()
        .single();
    assert_eq!(operation.status, OperationStatus::Running);
    assert_eq!(operation.vendor_status.as_deref(), Some("protecting"));
    assert!(
        operation
            .reference
            .id
            .starts_with(&format!("{}/", emulator::DEMO_PROJECT_ID))
    );

    let mut seen = Vec::new();
    let done = client
        .wait(operation, fast())
        .run_with(|op| seen.push(op.status))
        .await
        .unwrap();
    assert_eq!(done.status, OperationStatus::Succeeded);
    assert_eq!(done.progress, Some(100.0));
    assert_eq!(done.vendor_status.as_deref(), Some("available"));
    assert!(done.finished_at.is_some());
    // Running (trigger) -> Pending (no item listed yet, then waiting_protect) ->
    // Running (protecting) -> Succeeded.
    assert_eq!(seen.first(), Some(&OperationStatus::Running));
    assert!(seen.contains(&OperationStatus::Pending), "{seen:?}");
    assert_eq!(seen.last(), Some(&OperationStatus::Succeeded));
    assert_eq!(emulator.accepted_backups(), 1);
    assert_eq!(emulator.requests().count(RouteClass::Trigger), 1);
    assert_eq!(emulator.token_requests(), 0);
}

#[tokio::test]
async fn temporary_aksk_with_security_token_succeeds() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator.client_builder_temporary().build().unwrap();
    let done = run(&emulator, &client).await.unwrap();
    assert_eq!(done.status, OperationStatus::Succeeded);
    assert_eq!(emulator.accepted_backups(), 1);
}

#[tokio::test]
async fn temporary_aksk_without_security_token_is_refused() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator
        .client_builder()
        .credential(AkSk::new(
            emulator::DEMO_TEMP_ACCESS_KEY,
            emulator::DEMO_TEMP_SECRET_KEY,
        ))
        .build()
        .unwrap();
    let err = run(&emulator, &client).await.unwrap_err();
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
    assert!(
        err.to_string().contains("x-security-token is missing"),
        "{err}"
    );
    assert_eq!(emulator.accepted_backups(), 0);
}

#[tokio::test]
async fn wrong_secret_key_is_refused_with_apigw_0301() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator
        .client_builder()
        .aksk(emulator::DEMO_ACCESS_KEY, "not-the-secret")
        .build()
        .unwrap();
    let err = run(&emulator, &client).await.unwrap_err();
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
    let text = err.to_string();
    assert!(
        text.contains("Incorrect IAM authentication information: verify aksk signature fail"),
        "{text}"
    );
    assert!(text.contains("HUAWEICLOUD_SDK_AK"), "{text}");
    assert!(err.request_id().is_some());
    assert_eq!(emulator.accepted_backups(), 0);
    // Refused once, not replayed: a signature does not get better by retrying.
    assert_eq!(emulator.requests().count(RouteClass::Trigger), 1);
}

#[tokio::test]
async fn unknown_access_key_is_refused() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator
        .client_builder()
        .aksk("UNKNOWNACCESSKEY0000", emulator::DEMO_SECRET_KEY)
        .build()
        .unwrap();
    let err = run(&emulator, &client).await.unwrap_err();
    assert!(err.to_string().contains("ak not exist"), "{err}");
    assert_eq!(emulator.accepted_backups(), 0);
}

/// Signs with the real signer, at a chosen time, then lets a test spoil the result.
#[derive(Debug)]
struct Tampered {
    signer: AkSk,
    at: fn() -> OffsetDateTime,
    spoil: fn(&mut Request),
}

#[async_trait]
impl Authenticator for Tampered {
    async fn authorize(&self, request: &mut Request) -> backup_core::Result<AuthTicket> {
        self.signer.sign(request, (self.at)())?;
        (self.spoil)(request);
        Ok(AuthTicket::default())
    }
}

/// Sends the demo trigger through a bare transport with `auth`.
async fn trigger_with(emulator: &Emulator, auth: &Tampered) -> backup_core::Result<()> {
    let transport = Transport::builder(VENDOR, "tests")
        .errors(Arc::new(ApiErrors))
        .retry(RetryPolicy::never())
        .build()
        .unwrap();
    let url = emulator
        .url()
        .join(&format!(
            "v1/{}/providers/{}/checkpoints",
            emulator::DEMO_PROJECT_ID,
            backup_huawei_csbs::DEFAULT_PROVIDER_ID
        ))
        .unwrap();
    let request = Request::post(VENDOR, url)
        .trigger("test trigger")
        .json(&emulator.demo_request().body())
        .unwrap();
    transport.send(request, auth).await.map(|_| ())
}

fn demo_signer() -> AkSk {
    AkSk::new(emulator::DEMO_ACCESS_KEY, emulator::DEMO_SECRET_KEY)
}

#[tokio::test]
async fn stale_sdk_date_is_refused_and_a_small_skew_accepted() {
    let emulator = Emulator::start().await.unwrap();
    let stale = Tampered {
        signer: demo_signer(),
        at: || OffsetDateTime::now_utc() - time::Duration::minutes(20),
        spoil: |_| {},
    };
    let err = trigger_with(&emulator, &stale).await.unwrap_err();
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
    assert!(err.to_string().contains("x-sdk-date is too far"), "{err}");
    assert_eq!(emulator.accepted_backups(), 0);

    let skewed = Tampered {
        signer: demo_signer(),
        at: || OffsetDateTime::now_utc() + time::Duration::minutes(10),
        spoil: |_| {},
    };
    trigger_with(&emulator, &skewed).await.unwrap();
    assert_eq!(emulator.accepted_backups(), 1);
}

#[tokio::test]
async fn unsigned_host_header_is_refused() {
    let emulator = Emulator::start().await.unwrap();
    let unsigned_host = Tampered {
        signer: demo_signer(),
        at: OffsetDateTime::now_utc,
        spoil: |request| {
            let auth = request.headers["authorization"]
                .to_str()
                .unwrap()
                .to_owned();
            let spoiled = auth.replace("host;", "");
            assert_ne!(auth, spoiled);
            request
                .headers
                .insert("authorization", spoiled.parse().unwrap());
        },
    };
    let err = trigger_with(&emulator, &unsigned_host).await.unwrap_err();
    assert!(
        err.to_string().contains("the host header is not signed"),
        "{err}"
    );
    assert_eq!(emulator.accepted_backups(), 0);
}

#[tokio::test]
async fn tampered_body_is_refused() {
    let emulator = Emulator::start().await.unwrap();
    let tampered = Tampered {
        signer: demo_signer(),
        at: OffsetDateTime::now_utc,
        spoil: |request| {
            let body = String::from_utf8(request.body.to_vec()).unwrap();
            request.body = body.replace("false", "true").into();
        },
    };
    let err = trigger_with(&emulator, &tampered).await.unwrap_err();
    assert!(
        err.to_string().contains("verify aksk signature fail"),
        "{err}"
    );
    assert_eq!(emulator.accepted_backups(), 0);
}

#[tokio::test]
async fn iam_password_token_is_fetched_once_and_sent_as_x_auth_token() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator.client_builder_password().build().unwrap();
    let done = run(&emulator, &client).await.unwrap();
    assert_eq!(done.status, OperationStatus::Succeeded);
    assert_eq!(emulator.token_requests(), 1);
    assert_eq!(emulator.requests().count(RouteClass::Auth), 1);
    assert!(emulator.requests().count(RouteClass::Poll) >= 4);
    assert_eq!(emulator.accepted_backups(), 1);
}

#[tokio::test]
async fn wrong_iam_password_is_an_auth_error() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator
        .client_builder()
        .credential(IamPassword::new(
            emulator::DEMO_USER,
            "not-the-password",
            emulator::DEMO_DOMAIN,
        ))
        .build()
        .unwrap();
    let err = run(&emulator, &client).await.unwrap_err();
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
    assert!(
        err.to_string()
            .contains("The username or password is wrong."),
        "{err}"
    );
    assert_eq!(emulator.accepted_backups(), 0);
    assert_eq!(emulator.requests().count(RouteClass::Trigger), 0);
}

#[tokio::test]
async fn expired_token_before_the_trigger_starts_one_backup() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator.client_builder_password().build().unwrap();
    // Log in with a first status call, then expire the token before the trigger.
    let reference: OperationRef = format!("huawei-csbs:{}/none", emulator::DEMO_PROJECT_ID)
        .parse()
        .unwrap();
    client.status(&reference).await.unwrap();
    emulator.expire_tokens();
    let done = run(&emulator, &client).await.unwrap();
    assert_eq!(done.status, OperationStatus::Succeeded);
    assert_eq!(emulator.token_requests(), 2);
    assert_eq!(emulator.accepted_backups(), 1);
    // The refused trigger and its replay.
    assert_eq!(emulator.requests().count(RouteClass::Trigger), 2);
}

#[tokio::test]
async fn token_with_a_short_life_is_refreshed_before_its_end() {
    let emulator = Emulator::start_with(EmulatorOptions {
        token_ttl: Duration::from_millis(400),
        ..EmulatorOptions::default()
    })
    .await
    .unwrap();
    let client = emulator.client_builder_password().build().unwrap();
    let reference: OperationRef = format!("huawei-csbs:{}/none", emulator::DEMO_PROJECT_ID)
        .parse()
        .unwrap();
    client.status(&reference).await.unwrap();
    // Past half of the token's life (the refresh margin for short-lived tokens), but
    // before its end: the client fetches a new one up front, nothing is refused.
    tokio::time::sleep(Duration::from_millis(250)).await;
    client.status(&reference).await.unwrap();
    assert_eq!(emulator.token_requests(), 2);
    assert_eq!(emulator.requests().count(RouteClass::Poll), 2);
}

// ---------------------------------------------------------------- lifecycle

#[tokio::test]
async fn failing_backup_ends_failed_with_the_reason() {
    let (emulator, client) = start().await;
    emulator.set_lifecycle(LifecycleSpec::after_polls(1).failing("the disk is unreachable"));
    let err = run(&emulator, &client).await.unwrap_err();
    let Error::OperationFailed(operation) = &err else {
        panic!("{err}");
    };
    assert_eq!(operation.status, OperationStatus::Failed);
    assert_eq!(operation.vendor_status.as_deref(), Some("error"));
    let error = operation.error.as_ref().unwrap();
    assert_eq!(error.message, "the disk is unreachable");
    assert_eq!(error.code, None);
    assert_eq!(emulator.accepted_backups(), 1);
}

#[tokio::test]
async fn one_failing_resource_fails_the_checkpoint_with_its_code() {
    let (emulator, client) = start().await;
    emulator.fail_resource(
        emulator::DEMO_RESOURCES[1],
        Some("BackupService.6001"),
        "snapshot failed",
    );
    let err = run(&emulator, &client).await.unwrap_err();
    let operation = err.operation().unwrap();
    assert_eq!(operation.status, OperationStatus::Failed);
    let error = operation.error.as_ref().unwrap();
    assert_eq!(error.code.as_deref(), Some("BackupService.6001"));
    let message = operation.message.as_deref().unwrap();
    assert!(message.contains(emulator::DEMO_RESOURCES[1]), "{message}");
    assert!(!message.contains(emulator::DEMO_RESOURCES[0]), "{message}");
    assert_eq!(
        operation.vendor_status.as_deref(),
        Some(
            format!(
                "{}=available,{}=error",
                emulator::DEMO_RESOURCES[0],
                emulator::DEMO_RESOURCES[1]
            )
            .as_str()
        )
    );
    assert_eq!(emulator.accepted_backups(), 1);
}

#[tokio::test]
async fn succeeded_backup_reports_items_sizes_and_what_it_produced() {
    let (emulator, client) = start().await;
    let operation = client
        .trigger(&emulator.demo_request())
        .await
        .unwrap()
        .single();
    let checkpoint_id = operation.reference.id.split_once('/').unwrap().1.to_owned();
    let created = operation
        .started_at
        .expect("the create answer's created_at");
    let mut starts = Vec::new();
    let done = client
        .wait(operation, fast())
        .run_with(|op| starts.push(op.started_at))
        .await
        .unwrap();
    assert_eq!(done.status, OperationStatus::Succeeded);
    assert!(
        starts.iter().all(|start| *start == Some(created)),
        "the start is known from the trigger on: {starts:?}"
    );
    assert!(done.duration().is_some());
    // server0: a 40 GB system disk (10,240 MB used) and a 100 GB data disk (30,720 MB);
    // server1: a 40 GB system disk (10,240 MB).
    let mib = 1024 * 1024;
    assert_eq!(done.size_bytes, Some((10_240 + 30_720 + 10_240) * mib));
    let items: Vec<(&str, Option<&str>, OperationStatus, Option<u64>)> = done
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
    let mut items = items;
    items.sort_unstable_by_key(|item| item.0);
    let mut expected = vec![
        (
            emulator::DEMO_RESOURCES[0],
            Some("server0"),
            OperationStatus::Succeeded,
            Some(40_960 * mib),
        ),
        (
            emulator::DEMO_RESOURCES[1],
            Some("server1"),
            OperationStatus::Succeeded,
            Some(10_240 * mib),
        ),
    ];
    expected.sort_unstable_by_key(|item| item.0);
    assert_eq!(items, expected);
    assert!(done.items.iter().all(|item| item.error.is_none()));
    assert_eq!(done.produced.len(), 3, "{:?}", done.produced);
    assert_eq!(
        done.produced[0],
        backup_core::operation::Produced::new("checkpoint", checkpoint_id.clone())
    );
    // Each backup named is one of the checkpoint's items, as the list shows them.
    let listed = client
        .list_checkpoint_items(emulator::DEMO_PROJECT_ID, &checkpoint_id)
        .await
        .unwrap();
    let mut listed_ids: Vec<String> = listed
        .checkpoint_items
        .iter()
        .filter_map(|item| item.id.clone())
        .collect();
    let mut backups: Vec<String> = done.produced[1..]
        .iter()
        .map(|p| {
            assert_eq!(p.kind, "backup");
            p.id.clone()
        })
        .collect();
    listed_ids.sort_unstable();
    backups.sort_unstable();
    assert_eq!(backups, listed_ids);
    for item in &listed.checkpoint_items {
        let info = item.extend_info.as_ref().unwrap();
        assert_eq!(info.auto_trigger, Some(false));
        let disks: i64 = info.volume_backups.iter().filter_map(|v| v.size).sum();
        assert_eq!(info.size, Some(disks), "the item's size is its disks'");
    }
    assert_eq!(emulator.accepted_backups(), 1);
}

#[tokio::test]
async fn failed_resource_has_its_own_error_and_the_other_backup_is_reported() {
    let (emulator, client) = start().await;
    emulator.fail_resource(
        emulator::DEMO_RESOURCES[1],
        Some("BackupService.6001"),
        "snapshot failed",
    );
    let err = run(&emulator, &client).await.unwrap_err();
    let operation = err.operation().unwrap();
    assert_eq!(operation.status, OperationStatus::Failed);
    let failed = operation
        .items
        .iter()
        .find(|item| item.id == emulator::DEMO_RESOURCES[1])
        .unwrap();
    assert_eq!(failed.status, OperationStatus::Failed);
    let error = failed.error.as_ref().unwrap();
    assert_eq!(error.code.as_deref(), Some("BackupService.6001"));
    assert_eq!(error.message, "snapshot failed");
    let ok = operation
        .items
        .iter()
        .find(|item| item.id == emulator::DEMO_RESOURCES[0])
        .unwrap();
    assert_eq!(ok.status, OperationStatus::Succeeded);
    assert_eq!(ok.error, None);
    assert_eq!(operation.size_bytes, Some(40_960 * 1024 * 1024));
    assert_eq!(
        operation.produced.len(),
        2,
        "the checkpoint and server0's backup"
    );
}

#[tokio::test]
async fn lost_trigger_answer_is_found_through_the_policys_backups() {
    let (emulator, client) = start().await;
    emulator
        .faults()
        .inject(RouteClass::Trigger, Fault::DropAfterHandling);
    let mut request = emulator.demo_request();
    let key = Client::idempotency_key(&mut request, None).unwrap();
    assert!(key.starts_with("sent-after:"), "{key}");
    let err = client.trigger(&request).await.unwrap_err();
    assert!(matches!(err, Error::OutcomeUnknown { .. }), "{err}");
    assert_eq!(emulator.accepted_backups(), 1);

    // Another process, with the journal's key.
    let other = emulator.client_builder().build().unwrap();
    let mut again = emulator.demo_request();
    Client::idempotency_key(&mut again, Some(&key));
    assert_eq!(again.sent_after, request.sent_after);
    let recovered = other.recover_trigger(&again).await.unwrap();
    let backup_core::contract::Recovered::Operations(operations) = recovered else {
        panic!("{recovered:?}");
    };
    let operation = operations.single();
    let done = other.wait(operation, fast()).await.unwrap();
    assert_eq!(done.status, OperationStatus::Succeeded);
    assert_eq!(done.items.len(), 2);
    // Found, never triggered again.
    assert_eq!(emulator.accepted_backups(), 1);
    assert_eq!(emulator.requests().count(RouteClass::Trigger), 1);
}

#[tokio::test]
async fn trigger_that_never_arrived_is_not_found_and_not_sent_again() {
    let (emulator, client) = start().await;
    // A backup of the policy that ended before the trigger: not the trigger's.
    run(&emulator, &client).await.unwrap();
    emulator
        .faults()
        .inject(RouteClass::Trigger, Fault::DropBeforeHandling);
    let mut request = emulator.demo_request();
    Client::idempotency_key(&mut request, None);
    // Recorded after the first backup started: a margin of 15 minutes would take it
    // in, so the journal's time is moved past it for this test.
    request.sent_after = request
        .sent_after
        .map(|at| at + backup_huawei_csbs::RECOVERY_CLOCK_MARGIN + Duration::from_secs(1));
    let err = client.trigger(&request).await.unwrap_err();
    assert!(matches!(err, Error::OutcomeUnknown { .. }), "{err}");
    let recovered = client.recover_trigger(&request).await.unwrap();
    let backup_core::contract::Recovered::Unknown(why) = recovered else {
        panic!("{recovered:?}");
    };
    assert!(why.contains("no checkpoint of policy"), "{why}");
    assert_eq!(emulator.accepted_backups(), 1);
    assert_eq!(emulator.requests().count(RouteClass::Trigger), 2);
}

#[tokio::test]
async fn policy_list_filters_by_policy_and_start_time() {
    let (emulator, client) = start().await;
    let single = TriggerRequest::new(emulator::DEMO_SINGLE_PLAN_ID);
    let before = OffsetDateTime::now_utc() - Duration::from_secs(1);
    let a = client
        .trigger(&emulator.demo_request())
        .await
        .unwrap()
        .single();
    let b = client.trigger(&single).await.unwrap().single();
    client.wait(a, fast()).await.unwrap();
    client.wait(b, fast()).await.unwrap();
    let demo = client
        .list_policy_items(emulator::DEMO_PROJECT_ID, emulator::DEMO_PLAN_ID, before)
        .await
        .unwrap();
    let resources: Vec<&str> = demo
        .checkpoint_items
        .iter()
        .filter_map(|item| item.resource_id.as_deref())
        .collect();
    assert_eq!(resources.len(), 2);
    assert!(
        resources
            .iter()
            .all(|r| emulator::DEMO_RESOURCES.contains(r))
    );
    let later = client
        .list_policy_items(
            emulator::DEMO_PROJECT_ID,
            emulator::DEMO_SINGLE_PLAN_ID,
            OffsetDateTime::now_utc() + Duration::from_secs(60),
        )
        .await
        .unwrap();
    assert!(later.checkpoint_items.is_empty());
}

#[tokio::test]
async fn one_resource_of_the_policy_and_timed_lifecycle() {
    let (emulator, client) = start().await;
    emulator.set_lifecycle(LifecycleSpec::default().after(Duration::from_millis(30)));
    let request =
        TriggerRequest::new(emulator::DEMO_PLAN_ID).resources([emulator::DEMO_RESOURCES[0]]);
    let operation = client.trigger(&request).await.unwrap().single();
    let done = client.wait(operation, fast()).await.unwrap();
    assert_eq!(done.status, OperationStatus::Succeeded);
    assert!(done.job_id.is_some(), "a single item's id is the job id");
    assert_eq!(emulator.accepted_backups(), 1);
}

#[tokio::test]
async fn status_works_from_a_parsed_reference_in_another_client() {
    let (emulator, client) = start().await;
    let operation = client
        .trigger(&emulator.demo_request())
        .await
        .unwrap()
        .single();
    let text = operation.reference.to_string();
    assert!(text.starts_with("huawei-csbs:"));

    let other = emulator.client_builder_password().build().unwrap();
    let reference: OperationRef = text.parse().unwrap();
    let first = other.status(&reference).await.unwrap();
    assert_eq!(
        first.status,
        OperationStatus::Pending,
        "items not listed yet"
    );
    let done = other.wait(first, fast()).await.unwrap();
    assert_eq!(done.status, OperationStatus::Succeeded);
    assert_eq!(done.reference, reference);
}

#[tokio::test]
async fn second_trigger_while_executing_is_a_csbs_1001_conflict() {
    let (emulator, client) = start().await;
    let first = client
        .trigger(&emulator.demo_request())
        .await
        .unwrap()
        .single();
    let err = client.trigger(&emulator.demo_request()).await.unwrap_err();
    let api = err.api().unwrap_or_else(|| panic!("{err}"));
    assert_eq!(api.status, 500);
    assert_eq!(api.kind, ApiErrorKind::Conflict);
    assert_eq!(api.code.as_deref(), Some("CSBS.1001"));
    assert_eq!(api.message, "The policy is executing backup.");
    assert!(api.request_id.is_some());
    assert!(!err.is_retryable());
    // Not retried: the policy was busy, nothing new started.
    assert_eq!(emulator.requests().count(RouteClass::Trigger), 2);
    assert_eq!(emulator.accepted_backups(), 1);
    // Once the first is done, the policy can run again.
    client.wait(first, fast()).await.unwrap();
    run(&emulator, &client).await.unwrap();
    assert_eq!(emulator.accepted_backups(), 2);
}

#[tokio::test]
async fn invalid_input_is_refused_before_any_request() {
    let (emulator, client) = start().await;
    for (request, field) in [
        (TriggerRequest::new(""), "plan_id"),
        (TriggerRequest::new(".."), "plan_id"),
        (
            TriggerRequest::new("p").resources(["ok", " "]),
            "resources[1]",
        ),
        (TriggerRequest::new("p").provider_id("a\nb"), "provider_id"),
    ] {
        let err = client.trigger(&request).await.unwrap_err();
        let Error::InvalidInput { field: got, .. } = &err else {
            panic!("{err}");
        };
        assert_eq!(got, field);
    }
    assert_eq!(emulator.requests().total(), 0);
}

#[tokio::test]
async fn unknown_plan_and_resource_are_vendor_errors() {
    let (emulator, client) = start().await;
    let err = client
        .trigger(&TriggerRequest::new("no-such-plan"))
        .await
        .unwrap_err();
    assert_eq!(err.api().unwrap().kind, ApiErrorKind::NotFound, "{err}");
    let err = client
        .trigger(&TriggerRequest::new(emulator::DEMO_PLAN_ID).resources(["not-in-plan"]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("CSBS.6000"), "{err}");
    assert_eq!(err.api().unwrap().kind, ApiErrorKind::BadRequest);
    let err = client
        .trigger(&emulator.demo_request().provider_id("other-provider"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("CSBS.9001"));
    assert!(err.to_string().contains("provider invalid"), "{err}");
    assert_eq!(emulator.accepted_backups(), 0);
}

// ---------------------------------------------------------------- faults: trigger

#[tokio::test]
async fn trigger_500_is_an_unknown_outcome_not_retried() {
    let (emulator, client) = start().await;
    emulator
        .faults()
        .inject(RouteClass::Trigger, Fault::status(500));
    let err = run(&emulator, &client).await.unwrap_err();
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
    assert!(err.to_string().contains("CSBS.9998"), "{err}");
    assert_eq!(emulator.requests().count(RouteClass::Trigger), 1);
    assert_eq!(emulator.accepted_backups(), 0);
}

#[tokio::test]
async fn slow_trigger_answer_within_the_timeout_succeeds() {
    let (emulator, client) = start().await;
    emulator
        .faults()
        .inject(RouteClass::Trigger, Fault::Delay(Duration::from_millis(50)));
    run(&emulator, &client).await.unwrap();
    assert_eq!(emulator.accepted_backups(), 1);
}

#[tokio::test]
async fn malformed_trigger_answer_is_unknown_and_started_once() {
    let (emulator, client) = start().await;
    emulator
        .faults()
        .inject(RouteClass::Trigger, Fault::MalformedBody { status: 200 });
    let err = run(&emulator, &client).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::OutcomeUnknown {
                status: Some(200),
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(emulator.accepted_backups(), 1);
}

#[tokio::test]
async fn html_proxy_page_on_trigger_is_unknown_and_started_nothing() {
    let (emulator, client) = start().await;
    emulator
        .faults()
        .inject(RouteClass::Trigger, Fault::HtmlBody { status: 502 });
    let err = run(&emulator, &client).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::OutcomeUnknown {
                status: Some(502),
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("502 Bad Gateway"), "{err}");
    assert_eq!(emulator.accepted_backups(), 0);
}

#[tokio::test]
async fn html_proxy_page_503_on_trigger_is_retried() {
    let (emulator, client) = start().await;
    emulator
        .faults()
        .inject(RouteClass::Trigger, Fault::HtmlBody { status: 503 });
    run(&emulator, &client).await.unwrap();
    assert_eq!(emulator.accepted_backups(), 1);
}

// ---------------------------------------------------------------- faults: polls and auth

#[tokio::test]
async fn poll_faults_are_retried_and_the_backup_still_ends_well() {
    let (emulator, client) = start().await;
    let operation = client
        .trigger(&emulator.demo_request())
        .await
        .unwrap()
        .single();
    for fault in [
        Fault::retry_after(429, Duration::ZERO),
        Fault::status(500),
        Fault::status(503),
        Fault::DropBeforeHandling,
        Fault::DropAfterHandling,
        Fault::HtmlBody { status: 502 },
        Fault::Delay(Duration::from_millis(20)),
    ] {
        emulator.faults().inject(RouteClass::Poll, fault);
    }
    let done = client.wait(operation, fast()).await.unwrap();
    assert_eq!(done.status, OperationStatus::Succeeded);
    assert_eq!(emulator.faults().pending(), 0);
    assert_eq!(emulator.accepted_backups(), 1);
}

#[tokio::test]
async fn empty_poll_answer_is_read_again_by_status() {
    let (emulator, client) = start().await;
    let operation = client
        .trigger(&emulator.demo_request())
        .await
        .unwrap()
        .single();
    emulator
        .faults()
        .inject(RouteClass::Poll, Fault::EmptyBody { status: 200 });
    let op = client.status(&operation.reference).await.unwrap();
    assert_eq!(op.status, OperationStatus::Pending);
    // The emptied list answer, the list read again (now showing both items, since
    // the first list call reached the service), and the two items.
    assert_eq!(emulator.requests().count(RouteClass::Poll), 4);
}

#[tokio::test]
async fn poll_answers_that_never_decode_end_in_a_decode_error() {
    let (emulator, client) = start().await;
    let operation = client
        .trigger(&emulator.demo_request())
        .await
        .unwrap()
        .single();
    emulator
        .faults()
        .inject_n(RouteClass::Poll, Fault::MalformedBody { status: 200 }, 100);
    let err = client.status(&operation.reference).await.unwrap_err();
    assert!(matches!(err, Error::Decode { status: 200, .. }), "{err}");
    // Read as often as the retry policy allows (4 attempts), no more.
    assert_eq!(emulator.requests().count(RouteClass::Poll), 4);
}

#[tokio::test]
async fn token_endpoint_faults_are_retried() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator.client_builder_password().build().unwrap();
    emulator
        .faults()
        .inject(RouteClass::Auth, Fault::status(500));
    emulator
        .faults()
        .inject(RouteClass::Auth, Fault::DropBeforeHandling);
    let done = run(&emulator, &client).await.unwrap();
    assert_eq!(done.status, OperationStatus::Succeeded);
    assert_eq!(emulator.requests().count(RouteClass::Auth), 3);
    assert_eq!(emulator.accepted_backups(), 1);
}

#[tokio::test]
async fn wait_times_out_with_the_last_operation() {
    let (emulator, client) = start().await;
    emulator.set_lifecycle(LifecycleSpec::after_polls(1_000));
    let operation = client
        .trigger(&emulator.demo_request())
        .await
        .unwrap()
        .single();
    let err = client
        .wait(
            operation,
            WaitOptions::every(Duration::from_millis(5)).deadline(Some(Duration::from_millis(60))),
        )
        .await
        .unwrap_err();
    let Error::Timeout { operation, .. } = &err else {
        panic!("{err}");
    };
    assert!(!operation.status.is_terminal());
    assert_eq!(emulator.accepted_backups(), 1);
}

#[tokio::test]
async fn concurrent_status_calls_log_in_once() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator.client_builder_password().build().unwrap();
    let reference = client
        .trigger(&emulator.demo_request())
        .await
        .unwrap()
        .single()
        .reference;
    // The trigger logged in; expire the token so that eight concurrent reads need a
    // new one at once.
    emulator.expire_tokens();
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let client = client.clone();
        let reference = reference.clone();
        calls.spawn(async move { client.status(&reference).await });
    }
    while let Some(result) = calls.join_next().await {
        result.unwrap().unwrap();
    }
    assert_eq!(emulator.token_requests(), 2);
    assert_eq!(emulator.accepted_backups(), 1);
}

#[tokio::test]
async fn extra_plans_back_up_at_the_same_time() {
    let plan = |i: u32| format!("00000000-0000-4000-8000-{i:012}");
    let resource = |i: u32| format!("10000000-0000-4000-8000-{i:012}");
    let emulator = Emulator::start_with(EmulatorOptions {
        lifecycle: LifecycleSpec::after_polls(5),
        extra_plans: (0..2).map(|i| (plan(i), vec![resource(i)])).collect(),
        ..EmulatorOptions::default()
    })
    .await
    .unwrap();
    let client = emulator.client_builder().build().unwrap();
    // Two policies run at once; the same one twice is refused while it runs.
    let first = client
        .trigger(&TriggerRequest::new(plan(0)))
        .await
        .unwrap()
        .single();
    let second = client
        .trigger(&TriggerRequest::new(plan(1)))
        .await
        .unwrap()
        .single();
    assert_ne!(first.reference, second.reference);
    let again = client
        .trigger(&TriggerRequest::new(plan(0)))
        .await
        .unwrap_err();
    assert!(again.to_string().contains("CSBS.1001"), "{again}");
    assert_eq!(emulator.accepted_backups(), 2);
    // The demo policies are still there.
    client
        .trigger(&emulator.demo_request())
        .await
        .unwrap()
        .single();
}
