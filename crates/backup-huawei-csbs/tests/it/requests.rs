//! Exact request assertions (wiremock): method, path, query, headers and body of every
//! call the client makes, and how answers map to results and errors.

use std::time::Duration;

use backup_core::testing::SingleOperation;
use backup_core::{ApiErrorKind, Error, OperationRef, OperationStatus, RetryPolicy};
use backup_huawei_csbs::auth::canonical::{self, SigningInput};
use backup_huawei_csbs::prelude::*;
use backup_huawei_csbs::{
    AkSk, Client, ClientBuilder, Config, DEFAULT_PROVIDER_ID, IamPassword, TriggerParams,
    TriggerRequest,
};
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const PROJECT: &str = "b942cc8342734d15bcb246babb1953cf";
const AK: &str = "QTWAOYTTINDUT2QVKYUC";
const SK: &str = "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc";
const CHECKPOINT: &str = "14626f11-b54a-44ea-8e69-7463e527506a";

fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
        budget: Duration::from_secs(5),
        jitter: false,
    }
}

fn builder(server: &MockServer) -> ClientBuilder {
    Client::builder()
        .endpoint(&server.uri())
        .iam_endpoint(&server.uri())
        .project_id(PROJECT)
        .retry(fast_retry())
}

fn aksk_client(server: &MockServer) -> Client {
    builder(server).aksk(AK, SK).build().unwrap()
}

fn checkpoint_answer() -> serde_json::Value {
    json!({"checkpoint": {
        "status": "protecting",
        "created_at": "2016-12-06T21:20:29.898823",
        "id": CHECKPOINT,
        "resource_graph": null,
        "project_id": PROJECT,
        "protection_plan": {
            "id": "6a6cda7e-7b89-4b14-8e5c-3b6821a97d2c",
            "resources": [{"type": "OS::Nova::Server", "id": "1c960fe4-e679-421a-97cd-4f7463d2344b", "name": "server0", "extra_info": "{}"}],
            "name": "backup"
        },
        "extra_info": "{\"created_by\": \"manual\"}"
    }})
}

fn item(id: &str, status: &str, progress: u32) -> serde_json::Value {
    json!({
        "id": id, "status": status, "checkpoint_id": CHECKPOINT,
        "resource_id": format!("res-{id}"), "resource_type": "OS::Nova::Server",
        "created_at": "2017-04-18T01:21:52.701973",
        "extend_info": {"progress": progress, "fail_reason": "", "fail_code": {}}
    })
}

/// Checks that the signature the client sent matches what arrived (method, path,
/// query, signed headers as received, body), with the client's canonical functions.
fn assert_signed(request: &Request, access_key: &str, secret_key: &str) {
    let authorization = request.headers["authorization"].to_str().unwrap();
    let rest = authorization.strip_prefix("SDK-HMAC-SHA256 ").unwrap();
    let parts: Vec<&str> = rest.split(", ").collect();
    assert_eq!(parts[0], format!("Access={access_key}"));
    let signed = parts[1].strip_prefix("SignedHeaders=").unwrap();
    let signature = parts[2].strip_prefix("Signature=").unwrap();
    assert!(signed.split(';').any(|h| h == "host"), "{signed}");
    assert!(signed.split(';').any(|h| h == "x-sdk-date"), "{signed}");
    let headers: Vec<(String, String)> = signed
        .split(';')
        .map(|name| {
            (
                name.to_owned(),
                request.headers[name].to_str().unwrap().to_owned(),
            )
        })
        .collect();
    let canonical = canonical::canonical_request(&SigningInput {
        method: request.method.as_str(),
        path: request.url.path(),
        query: request.url.query(),
        headers: &headers,
        body: &request.body,
    });
    assert_eq!(canonical.signed_headers, signed);
    let date = request.headers["x-sdk-date"].to_str().unwrap();
    assert_eq!(date.len(), 16, "{date}");
    assert!(date.ends_with('Z') && date.as_bytes()[8] == b'T', "{date}");
    let expected = canonical::signature(
        secret_key.as_bytes(),
        &canonical::string_to_sign(date, &canonical),
    );
    assert_eq!(signature, expected);
}

// ------------------------------------------------------------------ trigger

#[tokio::test]
async fn trigger_posts_the_documented_body_signed_with_aksk() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!(
            "/v1/{PROJECT}/providers/{DEFAULT_PROVIDER_ID}/checkpoints"
        )))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({"checkpoint": {
            "plan_id": "62171999-3df1-42f7-9513-6f9b1bea4744",
            "parameters": {"auto_trigger": false, "resources": [
                "7a32a8b5-7977-4e24-b5da-e0eb457db75b", "b2b433bf-7dd6-4a74-aa8f-85673dfbda48"]}
        }})))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-request-id", "req-1")
                .set_body_json(checkpoint_answer()),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = aksk_client(&server);
    let request = TriggerRequest::new("62171999-3df1-42f7-9513-6f9b1bea4744").resources([
        "7a32a8b5-7977-4e24-b5da-e0eb457db75b",
        "b2b433bf-7dd6-4a74-aa8f-85673dfbda48",
    ]);
    let operation = client.trigger(&request).await.unwrap().single();
    assert_eq!(
        operation.reference,
        OperationRef::new("huawei-csbs", format!("{PROJECT}/{CHECKPOINT}"))
    );
    assert_eq!(operation.status, OperationStatus::Running);
    assert_eq!(operation.vendor_status.as_deref(), Some("protecting"));
    assert!(operation.started_at.is_some());

    let received = server.received_requests().await.unwrap();
    let sent = &received[0];
    assert_eq!(
        sent.headers["host"].to_str().unwrap(),
        server.address().to_string()
    );
    assert!(
        sent.headers["user-agent"]
            .to_str()
            .unwrap()
            .contains("backup-huawei-csbs")
    );
    assert!(sent.headers.get("x-security-token").is_none());
    assert!(sent.headers.get("x-auth-token").is_none());
    let authorization = sent.headers["authorization"].to_str().unwrap();
    assert!(
        authorization.starts_with(&format!(
            "SDK-HMAC-SHA256 Access={AK}, SignedHeaders=content-type;host;x-sdk-date, Signature="
        )),
        "{authorization}"
    );
    assert_signed(sent, AK, SK);
}

#[tokio::test]
async fn trigger_without_resources_omits_them_and_uses_another_provider_encoded() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!(
            "/v1/{PROJECT}/providers/a%2Fb%3Fc%23d%25/checkpoints"
        )))
        .and(body_json(
            json!({"checkpoint": {"plan_id": "plan-1", "parameters": {}}}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(checkpoint_answer()))
        .expect(1)
        .mount(&server)
        .await;
    let client = aksk_client(&server);
    let request = TriggerRequest::new("plan-1")
        .auto_trigger(None)
        .provider_id("a/b?c#d%");
    client.trigger(&request).await.unwrap();
    let received = server.received_requests().await.unwrap();
    assert_signed(&received[0], AK, SK);
}

#[tokio::test]
async fn temporary_credentials_send_and_sign_the_security_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(header("x-security-token", "session-token-value"))
        .respond_with(ResponseTemplate::new(200).set_body_json(checkpoint_answer()))
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server)
        .credential(AkSk::new(AK, SK).with_security_token("session-token-value"))
        .build()
        .unwrap();
    client
        .trigger(&TriggerRequest::new("plan-1"))
        .await
        .unwrap();
    let received = server.received_requests().await.unwrap();
    let authorization = received[0].headers["authorization"].to_str().unwrap();
    assert!(
        authorization.contains("SignedHeaders=content-type;host;x-sdk-date;x-security-token,"),
        "{authorization}"
    );
    assert_signed(&received[0], AK, SK);
}

#[tokio::test]
async fn trigger_decodes_the_documents_broken_extra_info() {
    let server = MockServer::start().await;
    let body = include_str!("../fixtures/create-checkpoint-response.txt");
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .mount(&server)
        .await;
    let client = aksk_client(&server);
    let created = client
        .create_checkpoint(&TriggerRequest::new("plan-1"))
        .await
        .unwrap();
    let extra = created.checkpoint.extra_info.unwrap();
    assert_eq!(extra.raw, r#"{"created_by": "manual"}"#);
    assert_eq!(extra.get_str("created_by"), Some("manual"));
}

#[tokio::test]
async fn trigger_answer_without_checkpoint_id_is_an_unknown_outcome() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"checkpoint": {"id": ""}})))
        .mount(&server)
        .await;
    let err = aksk_client(&server)
        .trigger(&TriggerRequest::new("p"))
        .await
        .unwrap_err();
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
}

#[tokio::test]
async fn policy_executing_500_is_a_conflict_and_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(500)
                .insert_header("x-request-id", "0b1c2d")
                .set_body_json(json!({"error_code": "CSBS.1001", "error_msg": "The policy is executing backup."})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = aksk_client(&server)
        .trigger(&TriggerRequest::new("p"))
        .await
        .unwrap_err();
    let api = err.api().unwrap_or_else(|| panic!("{err}"));
    assert_eq!(api.kind, ApiErrorKind::Conflict);
    assert_eq!(api.status, 500);
    assert_eq!(api.code.as_deref(), Some("CSBS.1001"));
    assert_eq!(api.request_id.as_deref(), Some("0b1c2d"));
    assert_eq!(
        err.to_string(),
        "huawei-csbs answered 500 (conflict) CSBS.1001: The policy is executing backup. [request id 0b1c2d]"
    );
}

#[tokio::test]
async fn other_500_on_trigger_is_an_unknown_outcome() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(500)
                .set_body_json(json!({"error_code": "CSBS.9998", "error_msg": "System error."})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = aksk_client(&server)
        .trigger(&TriggerRequest::new("p"))
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
}

// ------------------------------------------------------------------ tracking

async fn mount_items(server: &MockServer, listed: serde_json::Value, items: &[serde_json::Value]) {
    Mock::given(method("GET"))
        .and(path(format!("/v1/{PROJECT}/checkpoint_items")))
        .and(query_param("checkpoint_id", CHECKPOINT))
        .respond_with(ResponseTemplate::new(200).set_body_json(listed))
        .expect(1)
        .mount(server)
        .await;
    for item in items {
        let id = item["id"].as_str().unwrap();
        Mock::given(method("GET"))
            .and(path(format!("/v1/{PROJECT}/checkpoint_items/{id}")))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json!({"checkpoint_item": item})),
            )
            .expect(1)
            .mount(server)
            .await;
    }
}

fn reference() -> OperationRef {
    format!("huawei-csbs:{PROJECT}/{CHECKPOINT}")
        .parse()
        .unwrap()
}

#[tokio::test]
async fn status_lists_the_items_then_reads_each_one_signed() {
    let server = MockServer::start().await;
    let a = item("item-a", "available", 100);
    let b = item("item-b", "protecting", 50);
    mount_items(
        &server,
        json!({"checkpoint_items": [item("item-a", "protecting", 90), item("item-b", "protecting", 10)], "count": 2}),
        &[a, b],
    )
    .await;
    let operation = aksk_client(&server).status(&reference()).await.unwrap();
    assert_eq!(operation.status, OperationStatus::Running);
    assert_eq!(operation.progress, Some(75.0));
    assert_eq!(
        operation.vendor_status.as_deref(),
        Some("res-item-a=available,res-item-b=protecting")
    );
    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 3);
    assert_eq!(
        received[0].url.query(),
        Some(format!("checkpoint_id={CHECKPOINT}").as_str())
    );
    for request in &received {
        assert_eq!(request.method.as_str(), "GET");
        assert!(request.body.is_empty());
        assert!(request.headers.get("content-type").is_none());
        assert_signed(request, AK, SK);
        let authorization = request.headers["authorization"].to_str().unwrap();
        assert!(
            authorization.contains("SignedHeaders=host;x-sdk-date,"),
            "{authorization}"
        );
    }
}

#[tokio::test]
async fn status_with_no_item_listed_yet_is_pending() {
    let server = MockServer::start().await;
    mount_items(&server, json!({"checkpoint_items": [], "count": 0}), &[]).await;
    let operation = aksk_client(&server).status(&reference()).await.unwrap();
    assert_eq!(operation.status, OperationStatus::Pending);
    assert_eq!(operation.progress, None);
}

#[tokio::test]
async fn status_ignores_items_of_other_checkpoints() {
    let server = MockServer::start().await;
    let mut foreign = item("item-x", "error", 0);
    foreign["checkpoint_id"] = json!("another-checkpoint");
    let mine = item("item-a", "available", 100);
    mount_items(
        &server,
        json!({"checkpoint_items": [foreign, mine.clone()]}),
        &[mine],
    )
    .await;
    let operation = aksk_client(&server).status(&reference()).await.unwrap();
    assert_eq!(operation.status, OperationStatus::Succeeded);
    assert_eq!(operation.job_id.as_deref(), Some("item-a"));
}

#[tokio::test]
async fn failed_item_carries_its_fail_code_and_reason() {
    let server = MockServer::start().await;
    let mut failed = item("item-a", "error", 0);
    failed["extend_info"] = json!({
        "progress": 0, "fail_reason": "Snapshot creation failed.",
        "fail_code": {"Code": "BackupService.6001", "Description": "snapshot"},
        "fail_op": "backup", "finished_at": "2017-04-18T01:25:03.812466"
    });
    mount_items(
        &server,
        json!({"checkpoint_items": [failed.clone()]}),
        &[failed],
    )
    .await;
    let operation = aksk_client(&server).status(&reference()).await.unwrap();
    assert_eq!(operation.status, OperationStatus::Failed);
    let error = operation.error.unwrap();
    assert_eq!(error.code.as_deref(), Some("BackupService.6001"));
    assert_eq!(error.message, "Snapshot creation failed.");
    assert_eq!(
        operation
            .finished_at
            .map(time::OffsetDateTime::unix_timestamp),
        Some(1_492_478_703)
    );
}

#[tokio::test]
async fn item_ids_and_checkpoint_ids_stay_one_path_segment_and_one_query_value() {
    let server = MockServer::start().await;
    let weird = "a/b?c#d%e";
    let checkpoint = "x&y=z w";
    Mock::given(method("GET"))
        .and(path(format!("/v1/{PROJECT}/checkpoint_items")))
        .and(query_param("checkpoint_id", checkpoint))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"checkpoint_items": [{"id": weird, "status": "available"}]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!(
            "/v1/{PROJECT}/checkpoint_items/a%2Fb%3Fc%23d%25e"
        )))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"checkpoint_item": {"id": weird, "status": "available"}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let reference = OperationRef::new("huawei-csbs", format!("{PROJECT}/{checkpoint}"));
    let operation = aksk_client(&server).status(&reference).await.unwrap();
    assert_eq!(operation.status, OperationStatus::Succeeded);
    let received = server.received_requests().await.unwrap();
    assert_eq!(received[0].url.query(), Some("checkpoint_id=x%26y%3Dz%20w"));
    for request in &received {
        assert_signed(request, AK, SK);
    }
}

#[tokio::test]
async fn poll_retries_server_errors_and_keeps_the_request_id() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(502)
                .insert_header("x-request-id", "gw-9")
                .set_body_raw(
                    "<html><body><h1>502 Bad Gateway</h1></body></html>",
                    "text/html",
                ),
        )
        .expect(3)
        .mount(&server)
        .await;
    let err = aksk_client(&server).status(&reference()).await.unwrap_err();
    let api = err.api().unwrap_or_else(|| panic!("{err}"));
    assert_eq!(api.status, 502);
    assert_eq!(api.kind, ApiErrorKind::Server);
    assert_eq!(api.code, None);
    assert!(api.message.contains("502 Bad Gateway"), "{}", api.message);
    assert_eq!(api.request_id.as_deref(), Some("gw-9"));
    assert!(err.is_retryable());
}

// ------------------------------------------- what the backup produced, recovery

const MIB: u64 = 1024 * 1024;

#[tokio::test]
async fn wait_keeps_the_create_answers_start_until_items_are_listed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(checkpoint_answer()))
        .expect(1)
        .mount(&server)
        .await;
    // Right after the trigger the checkpoint lists no item ...
    Mock::given(method("GET"))
        .and(path(format!("/v1/{PROJECT}/checkpoint_items")))
        .and(query_param("checkpoint_id", CHECKPOINT))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"checkpoint_items": []})))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    // ... then its one backup, which has ended with its size.
    let mut done = item("item-a", "available", 100);
    done["created_at"] = json!("2016-12-06T21:20:31.000000");
    done["extend_info"]["finished_at"] = json!("2016-12-06T21:25:31.000000");
    done["extend_info"]["size"] = json!(2048);
    done["extend_info"]["resource_name"] = json!("server0");
    mount_items(
        &server,
        json!({"checkpoint_items": [done.clone()]}),
        &[done],
    )
    .await;

    let client = aksk_client(&server);
    let operation = client
        .trigger(&TriggerRequest::new("6a6cda7e-7b89-4b14-8e5c-3b6821a97d2c"))
        .await
        .unwrap()
        .single();
    let created = time::macros::datetime!(2016-12-06 21:20:29.898823 UTC);
    assert_eq!(operation.started_at, Some(created));
    let mut seen = Vec::new();
    let done = client
        .wait(
            operation,
            backup_core::WaitOptions::every(Duration::from_millis(1)),
        )
        .run_with(|op| seen.push((op.status, op.started_at)))
        .await
        .unwrap();
    assert_eq!(
        seen,
        [
            (OperationStatus::Running, Some(created)),
            (OperationStatus::Pending, Some(created)),
            (OperationStatus::Succeeded, Some(created)),
        ]
    );
    assert_eq!(done.started_at, Some(created));
    assert_eq!(
        done.duration(),
        Some(Duration::from_micros(301_101_177)),
        "the end minus the checkpoint's start"
    );
    assert_eq!(done.size_bytes, Some(2048 * MIB));
    assert_eq!(done.items.len(), 1);
    assert_eq!(done.items[0].id, "res-item-a");
    assert_eq!(done.items[0].name.as_deref(), Some("server0"));
    assert_eq!(
        done.produced,
        [
            backup_core::operation::Produced::new("checkpoint", CHECKPOINT),
            backup_core::operation::Produced::new("backup", "item-a"),
        ]
    );
    // The end's poll read everything: following up sent nothing more (1 POST, 2
    // lists, 1 item read).
    assert_eq!(server.received_requests().await.unwrap().len(), 4);
}

#[tokio::test]
async fn produced_reads_the_list_once_for_an_operation_that_lacks_it() {
    let server = MockServer::start().await;
    let mut listed = item("item-a", "available", 100);
    listed["extend_info"]["volume_backups"] = json!([
        {"id": "vb-1", "size": 100, "source_volume_size": 40},
        {"id": "vb-2", "size": "28", "source_volume_size": 10}
    ]);
    Mock::given(method("GET"))
        .and(path(format!("/v1/{PROJECT}/checkpoint_items")))
        .and(query_param("checkpoint_id", CHECKPOINT))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"checkpoint_items": [listed]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = aksk_client(&server);
    let ended = backup_core::Operation::new(reference(), OperationStatus::Succeeded)
        .with_vendor_status("available");
    let read = client.produced(&ended).await.unwrap();
    assert_eq!(read.status, OperationStatus::Succeeded);
    assert_eq!(
        read.size_bytes,
        Some(128 * MIB),
        "the disks' sizes added up"
    );
    assert_eq!(read.items.len(), 1);
    assert_eq!(read.produced.len(), 2);
    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 1);
    assert_eq!(
        received[0].url.query(),
        Some(format!("checkpoint_id={CHECKPOINT}").as_str())
    );
    assert_signed(&received[0], AK, SK);

    // What already names its products, or did not end well, is left as it is.
    assert_eq!(client.produced(&read).await.unwrap(), read);
    let failed = backup_core::Operation::new(reference(), OperationStatus::Failed);
    assert_eq!(client.produced(&failed).await.unwrap(), failed);
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn recover_trigger_lists_the_policys_backups_since_the_recorded_time() {
    let server = MockServer::start().await;
    let plan = "6a6cda7e-7b89-4b14-8e5c-3b6821a97d2c";
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(checkpoint_answer()))
        .expect(0)
        .mount(&server)
        .await;
    let mut ours = item("item-a", "protecting", 20);
    ours["created_at"] = json!("2026-12-02T15:52:39.120000");
    ours["extend_info"]["auto_trigger"] = json!(false);
    let mut older = item("item-old", "available", 100);
    older["checkpoint_id"] = json!("older-checkpoint");
    older["created_at"] = json!("2026-12-02T15:00:00.000000");
    let mut scheduled = item("item-auto", "protecting", 5);
    scheduled["checkpoint_id"] = json!("scheduled-checkpoint");
    scheduled["created_at"] = json!("2026-12-02T15:52:00.000000");
    scheduled["extend_info"]["auto_trigger"] = json!(true);
    Mock::given(method("GET"))
        .and(path(format!("/v1/{PROJECT}/checkpoint_items")))
        .and(query_param("policy_id", plan))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"checkpoint_items": [older, scheduled, ours.clone()]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    mount_items(
        &server,
        json!({"checkpoint_items": [ours.clone()]}),
        &[ours],
    )
    .await;

    let client = aksk_client(&server);
    let mut request = TriggerRequest::new(plan);
    let key = <Client as BackupClient>::idempotency_key(
        &mut request,
        Some("sent-after:2026-12-02T15:52:38Z"),
    );
    assert_eq!(key.as_deref(), Some("sent-after:2026-12-02T15:52:38Z"));
    assert_eq!(
        request.sent_after,
        Some(time::macros::datetime!(2026-12-02 15:52:38 UTC))
    );
    let recovered = client.recover_trigger(&request).await.unwrap();
    let backup_core::contract::Recovered::Operations(operations) = recovered else {
        panic!("{recovered:?}");
    };
    let operation = operations.single();
    assert_eq!(operation.reference, reference());
    assert_eq!(operation.status, OperationStatus::Running);

    let received = server.received_requests().await.unwrap();
    assert_eq!(
        received.len(),
        3,
        "one list of the policy, then the status reads"
    );
    // start_time: the recorded time less the 15 minutes a signature's date may be off.
    assert_eq!(
        received[0].url.query(),
        Some(format!("policy_id={plan}&start_time=2026-12-02T15%3A37%3A38.000000").as_str())
    );
    for request in &received {
        assert_eq!(request.method.as_str(), "GET");
        assert_signed(request, AK, SK);
    }
}

#[tokio::test]
async fn recover_trigger_without_a_recorded_time_or_with_several_candidates_is_unknown() {
    let server = MockServer::start().await;
    let client = aksk_client(&server);
    let recovered = client
        .recover_trigger(&TriggerRequest::new("plan-1"))
        .await
        .unwrap();
    let backup_core::contract::Recovered::Unknown(why) = recovered else {
        panic!("{recovered:?}");
    };
    assert!(why.contains("without a recorded time"), "{why}");
    assert!(server.received_requests().await.unwrap().is_empty());

    let mut one = item("item-a", "protecting", 20);
    one["created_at"] = json!("2026-12-02T15:52:39.000000");
    let mut two = item("item-b", "protecting", 20);
    two["checkpoint_id"] = json!("second-checkpoint");
    two["created_at"] = json!("2026-12-02T15:53:00.000000");
    Mock::given(method("GET"))
        .and(path(format!("/v1/{PROJECT}/checkpoint_items")))
        .and(query_param("policy_id", "plan-1"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"checkpoint_items": [one, two]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let request =
        TriggerRequest::new("plan-1").sent_after(time::macros::datetime!(2026-12-02 15:52:38 UTC));
    let recovered = client.recover_trigger(&request).await.unwrap();
    let backup_core::contract::Recovered::Unknown(why) = recovered else {
        panic!("{recovered:?}");
    };
    assert!(
        why.contains("2 checkpoints of policy plan-1")
            && why.contains(CHECKPOINT)
            && why.contains("second-checkpoint"),
        "{why}"
    );
}

#[tokio::test]
async fn recover_trigger_that_finds_nothing_looks_three_times_and_never_triggers() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(checkpoint_answer()))
        .expect(0)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/{PROJECT}/checkpoint_items")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"checkpoint_items": []})))
        .expect(3)
        .mount(&server)
        .await;
    let client = aksk_client(&server);
    let request =
        TriggerRequest::new("plan-1").sent_after(time::macros::datetime!(2026-12-02 15:52:38 UTC));
    let recovered = client.recover_trigger(&request).await.unwrap();
    let backup_core::contract::Recovered::Unknown(why) = recovered else {
        panic!("{recovered:?}");
    };
    assert!(
        why.contains("no checkpoint of policy plan-1 was listed since 2026-12-02T15:37:38Z"),
        "{why}"
    );
}

// ------------------------------------------------------------------ error bodies

async fn error_for(status: u16, body: &'static str, content_type: &str) -> Error {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(status).set_body_raw(body, content_type))
        .mount(&server)
        .await;
    let client = builder(&server)
        .aksk(AK, SK)
        .retry(RetryPolicy::never())
        .build()
        .unwrap();
    client.status(&reference()).await.unwrap_err()
}

#[tokio::test]
async fn error_bodies_of_both_shapes_are_parsed() {
    let err = error_for(
        400,
        r#"{"error_code":"CSBS.9001","error_msg":"provider invalid","request_id":"body-id"}"#,
        "application/json",
    )
    .await;
    let api = err.api().unwrap();
    assert_eq!(
        (api.kind, api.code.as_deref(), api.message.as_str()),
        (
            ApiErrorKind::BadRequest,
            Some("CSBS.9001"),
            "provider invalid"
        )
    );
    assert_eq!(api.request_id.as_deref(), Some("body-id"));

    let err = error_for(
        404,
        r#"{"error":{"code":"Common.0404","message":"checkpoint not found"}}"#,
        "application/json",
    )
    .await;
    let api = err.api().unwrap();
    assert_eq!(
        (api.kind, api.code.as_deref(), api.message.as_str()),
        (
            ApiErrorKind::NotFound,
            Some("Common.0404"),
            "checkpoint not found"
        )
    );

    let err = error_for(
        403,
        r#"{"error":{"code":403,"title":"Forbidden","message":"no permission"}}"#,
        "application/json",
    )
    .await;
    let api = err.api().unwrap();
    assert_eq!(
        (api.kind, api.code.as_deref(), api.message.as_str()),
        (ApiErrorKind::Forbidden, Some("403"), "no permission")
    );
}

#[tokio::test]
async fn unparsable_error_bodies_still_give_a_clear_error() {
    for (body, content_type, expected) in [
        ("", "application/json", "with an empty body"),
        (
            r#"{"error_code": "CSBS.00"#,
            "application/json",
            "unexpected answer: {\"error_code\": \"CSBS.00",
        ),
        (
            "<html>proxy says no</html>",
            "text/html",
            "unexpected answer: <html>proxy says no</html>",
        ),
        (
            r#"{"unrelated": true}"#,
            "application/json",
            "unexpected answer",
        ),
    ] {
        let err = error_for(400, body, content_type).await;
        let api = err.api().unwrap_or_else(|| panic!("{err}"));
        assert_eq!(api.status, 400);
        assert!(
            api.message.contains(expected),
            "{} vs {expected}",
            api.message
        );
    }
}

#[tokio::test]
async fn a_401_is_an_auth_error_naming_the_variables() {
    let err = error_for(401, r#"{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information: verify aksk signature fail"}"#, "application/json").await;
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
    assert!(text.contains("verify aksk signature fail"), "{text}");
    assert!(text.contains("HUAWEICLOUD_SDK_SK"), "{text}");
}

#[tokio::test]
async fn invalid_json_in_a_poll_answer_is_a_decode_error_with_an_excerpt() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(r#"{"checkpoint_items": [{"id": "#, "application/json"),
        )
        .mount(&server)
        .await;
    let err = aksk_client(&server).status(&reference()).await.unwrap_err();
    let Error::Decode {
        status,
        body_excerpt,
        ..
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!(*status, 200);
    assert!(
        body_excerpt.starts_with(r#"{"checkpoint_items""#),
        "{body_excerpt}"
    );
}

// ------------------------------------------------------------------ IAM token flow

fn token_body(expires_at: &str) -> serde_json::Value {
    json!({"token": {"expires_at": expires_at, "issued_at": "2020-01-04T09:05:22.701000Z", "methods": ["password"], "catalog": [], "roles": []}})
}

async fn mount_token(server: &MockServer, expires_at: &str, expected: u64) {
    Mock::given(method("POST"))
        .and(path("/v3/auth/tokens"))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": "alice", "password": "alice-password", "domain": {"name": "acme"}}}},
            "scope": {"project": {"id": PROJECT}}
        }})))
        .respond_with(
            ResponseTemplate::new(201)
                .insert_header("x-subject-token", "MIIToken-1")
                .set_body_json(token_body(expires_at)),
        )
        .expect(expected)
        .mount(server)
        .await;
}

fn password_client(server: &MockServer) -> Client {
    builder(server)
        .credential(IamPassword::new("alice", "alice-password", "acme"))
        .build()
        .unwrap()
}

#[tokio::test]
async fn iam_token_is_fetched_once_and_sent_as_x_auth_token() {
    let server = MockServer::start().await;
    mount_token(&server, "2999-01-01T00:00:00.000000Z", 1).await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/{PROJECT}/checkpoint_items")))
        .and(header("x-auth-token", "MIIToken-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"checkpoint_items": []})))
        .expect(2)
        .mount(&server)
        .await;
    let client = password_client(&server);
    client.status(&reference()).await.unwrap();
    client.status(&reference()).await.unwrap();
    for request in server.received_requests().await.unwrap() {
        if request.url.path().starts_with("/v1/") {
            assert!(request.headers.get("authorization").is_none());
            assert!(request.headers.get("x-sdk-date").is_none());
        }
    }
}

#[tokio::test]
async fn iam_token_at_its_end_is_fetched_again_before_the_request() {
    let server = MockServer::start().await;
    // Already at its end: every use needs a new one, and none is refused.
    mount_token(&server, "2000-01-01T00:00:00.000000Z", 2).await;
    Mock::given(method("GET"))
        .and(header("x-auth-token", "MIIToken-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"checkpoint_items": []})))
        .expect(2)
        .mount(&server)
        .await;
    let client = password_client(&server);
    client.status(&reference()).await.unwrap();
    client.status(&reference()).await.unwrap();
}

#[tokio::test]
async fn refused_token_is_fetched_again_and_the_request_replayed_once() {
    let server = MockServer::start().await;
    mount_token(&server, "2999-01-01T00:00:00.000000Z", 2).await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"error_code": "APIGW.0307", "error_msg": "The token must be updated."}),
        ))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"checkpoint_items": []})))
        .expect(1)
        .mount(&server)
        .await;
    password_client(&server).status(&reference()).await.unwrap();
}

#[tokio::test]
async fn iam_answer_without_subject_token_is_an_auth_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/auth/tokens"))
        .respond_with(ResponseTemplate::new(201).set_body_json(token_body("2999-01-01T00:00:00Z")))
        .mount(&server)
        .await;
    let err = password_client(&server)
        .status(&reference())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Auth {
                status: Some(201),
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("X-Subject-Token"), "{err}");
}

#[tokio::test]
async fn iam_refusal_is_an_auth_error_with_iams_message() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/auth/tokens"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": {"code": 401, "title": "Unauthorized", "message": "The username or password is wrong."}})))
        .expect(1)
        .mount(&server)
        .await;
    let err = password_client(&server)
        .status(&reference())
        .await
        .unwrap_err();
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
}

#[tokio::test]
async fn static_token_is_sent_and_a_401_is_final() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(header("x-auth-token", "given-token"))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"error_code": "APIGW.0307", "error_msg": "The token must be updated."}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server).token("given-token").build().unwrap();
    let err = client.status(&reference()).await.unwrap_err();
    assert!(matches!(err, Error::Auth { .. }), "{err}");
}

// ------------------------------------------------------------------ builder

#[test]
fn region_gives_the_default_endpoints() {
    let client = Client::builder()
        .region("cn-north-4")
        .project_id(PROJECT)
        .credential(IamPassword::new("u", "p", "d"))
        .build()
        .unwrap();
    assert_eq!(
        client.endpoint().as_str(),
        "https://csbs.cn-north-4.myhuaweicloud.com/"
    );
    let debug = format!("{client:?}");
    assert!(
        debug.contains("https://iam.cn-north-4.myhuaweicloud.com/v3/auth/tokens"),
        "{debug}"
    );

    let client = Client::builder()
        .region("cn-north-4")
        .endpoint("http://127.0.0.1:9/csbs")
        .project_id(PROJECT)
        .aksk(AK, SK)
        .build()
        .unwrap();
    assert_eq!(client.endpoint().as_str(), "http://127.0.0.1:9/csbs/");
}

#[test]
fn build_names_the_field_at_fault() {
    let cases: Vec<(ClientBuilder, &str)> = vec![
        (Client::builder().region("r").aksk(AK, SK), "project_id"),
        (Client::builder().region("r").project_id(""), "project_id"),
        (
            Client::builder().region("r").project_id("a/b").aksk(AK, SK),
            "project_id",
        ),
        (
            Client::builder().region("r").project_id(PROJECT),
            "credential",
        ),
        (
            Client::builder().project_id(PROJECT).aksk(AK, SK),
            "endpoint",
        ),
        (
            Client::builder()
                .region("Bad Region")
                .project_id(PROJECT)
                .aksk(AK, SK),
            "region",
        ),
        (
            Client::builder()
                .endpoint("ftp://x")
                .project_id(PROJECT)
                .aksk(AK, SK),
            "endpoint",
        ),
        (
            Client::builder()
                .endpoint("http://x")
                .project_id(PROJECT)
                .aksk("", SK),
            "access_key",
        ),
        (
            Client::builder()
                .endpoint("http://x")
                .project_id(PROJECT)
                .aksk(AK, ""),
            "secret_key",
        ),
        (
            Client::builder()
                .endpoint("http://x")
                .project_id(PROJECT)
                .credential(IamPassword::new("u", "p", "d")),
            "iam_endpoint",
        ),
    ];
    for (builder, field) in cases {
        let err = builder.build().unwrap_err();
        let Error::InvalidInput { field: got, .. } = &err else {
            panic!("{err}")
        };
        assert_eq!(got, field, "{err}");
    }
}

#[test]
fn from_lookup_reads_huaweis_variable_names() {
    let env = |name: &str| match name {
        "HUAWEICLOUD_SDK_AK" => Some(AK.to_owned()),
        "HUAWEICLOUD_SDK_SK" => Some(SK.to_owned()),
        "HUAWEICLOUD_SDK_SECURITY_TOKEN" => Some("sts-token".to_owned()),
        "HUAWEICLOUD_SDK_PROJECT_ID" => Some(PROJECT.to_owned()),
        "HUAWEICLOUD_SDK_REGION" => Some("ap-southeast-1".to_owned()),
        _ => None,
    };
    let client = ClientBuilder::from_lookup(&env).unwrap().build().unwrap();
    assert_eq!(client.project_id(), PROJECT);
    assert_eq!(
        client.endpoint().as_str(),
        "https://csbs.ap-southeast-1.myhuaweicloud.com/"
    );
    let debug = format!("{client:?}");
    assert!(
        debug.contains("security_token: Some(\"<redacted>\")"),
        "{debug}"
    );

    for missing in [
        "HUAWEICLOUD_SDK_AK",
        "HUAWEICLOUD_SDK_SK",
        "HUAWEICLOUD_SDK_PROJECT_ID",
    ] {
        let err = ClientBuilder::from_lookup(&|name: &str| {
            if name == missing { None } else { env(name) }
        })
        .unwrap_err();
        assert!(matches!(err, Error::Config { .. }), "{err}");
        assert!(err.to_string().contains(missing), "{err}");
    }
    // Without a region, the endpoint can still be set afterwards.
    let builder = ClientBuilder::from_lookup(&|name: &str| {
        if name == "HUAWEICLOUD_SDK_REGION" {
            None
        } else {
            env(name)
        }
    })
    .unwrap();
    assert!(builder.clone().build().is_err());
    assert!(builder.endpoint("http://127.0.0.1:1").build().is_ok());
}

#[test]
fn from_config_values_win_over_the_environment() {
    let env = |name: &str| match name {
        "HUAWEICLOUD_SDK_AK" => Some(AK.to_owned()),
        "HUAWEICLOUD_SDK_SK" => Some(SK.to_owned()),
        "HUAWEICLOUD_SDK_PROJECT_ID" => Some("env-project".to_owned()),
        "HUAWEICLOUD_SDK_REGION" => Some("ap-southeast-1".to_owned()),
        _ => None,
    };
    let config = Config {
        project_id: Some(PROJECT.to_owned()),
        region: Some("cn-north-4".to_owned()),
        ..Config::default()
    };
    let client = ClientBuilder::from_config(&config, &env)
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(client.project_id(), PROJECT);
    assert_eq!(
        client.endpoint().as_str(),
        "https://csbs.cn-north-4.myhuaweicloud.com/"
    );

    // The project may come from the config alone; explicit endpoints win over the
    // region's.
    let without_project = |name: &str| {
        if name == "HUAWEICLOUD_SDK_PROJECT_ID" {
            None
        } else {
            env(name)
        }
    };
    let config = Config {
        endpoint: Some("http://127.0.0.1:1/csbs".to_owned()),
        iam_endpoint: Some("http://127.0.0.1:1/iam".to_owned()),
        project_id: Some(PROJECT.to_owned()),
        region: None,
    };
    let client = ClientBuilder::from_config(&config, &without_project)
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(client.endpoint().as_str(), "http://127.0.0.1:1/csbs/");
    assert_eq!(client.project_id(), PROJECT);

    // Blank config values count as unset; credentials come from the environment only.
    let blank = Config {
        project_id: Some(" ".to_owned()),
        ..Config::default()
    };
    let err = ClientBuilder::from_config(&blank, &without_project).unwrap_err();
    assert!(matches!(err, Error::Config { .. }), "{err}");
    assert!(
        err.to_string().contains("HUAWEICLOUD_SDK_PROJECT_ID"),
        "{err}"
    );
    let err = ClientBuilder::from_config(&config, &|_: &str| None).unwrap_err();
    assert!(err.to_string().contains("HUAWEICLOUD_SDK_AK"), "{err}");

    // Plans give the config as TOML-like data: unknown keys are refused.
    let parsed: Config = serde_json::from_value(json!({"region": "cn-north-4"})).unwrap();
    assert_eq!(parsed.region.as_deref(), Some("cn-north-4"));
    assert!(serde_json::from_value::<Config>(json!({"ca_cert": "x"})).is_err());
}

#[test]
fn params_make_the_request_and_name_the_field_at_fault() {
    let params: TriggerParams = serde_json::from_value(json!({
        "plan": "plan-1",
        "resources": ["r-1", "r-2"],
        "auto_trigger": true,
    }))
    .unwrap();
    let request = Client::request(&params).unwrap();
    assert_eq!(
        request,
        TriggerRequest::new("plan-1")
            .resources(["r-1", "r-2"])
            .auto_trigger(Some(true))
    );
    assert_eq!(
        serde_json::to_value(request.body()).unwrap(),
        json!({"checkpoint": {"plan_id": "plan-1", "parameters": {
            "auto_trigger": true, "resources": ["r-1", "r-2"]}}})
    );
    // Only the plan is required: all of the policy's resources, a manual execution.
    let minimal: TriggerParams = serde_json::from_value(json!({"plan": "plan-1"})).unwrap();
    assert_eq!(
        Client::request(&minimal).unwrap(),
        TriggerRequest::new("plan-1")
    );
    assert!(serde_json::from_value::<TriggerParams>(json!({"plan": "p", "other": 1})).is_err());

    for (params, field) in [
        (
            TriggerParams {
                plan: " ".to_owned(),
                ..minimal.clone()
            },
            "plan",
        ),
        (
            TriggerParams {
                resources: vec!["ok".to_owned(), "..".to_owned()],
                ..minimal.clone()
            },
            "resources[1]",
        ),
    ] {
        let err = Client::request(&params).unwrap_err();
        let Error::InvalidInput { field: got, .. } = &err else {
            panic!("{err}")
        };
        assert_eq!(got, field, "{err}");
    }
}
