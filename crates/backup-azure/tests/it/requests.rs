//! Wiremock request assertions: method, path, query, headers and body of every call,
//! and how answers (202 headers, status bodies, CloudError) become operations and
//! errors.

use std::sync::Arc;
use std::time::Duration;

use crate::common::{DOC_PATH, DOC_VAULT, TestCredential, doc_item, fast_retry};
use backup_azure::prelude::*;
use backup_azure::{
    ApiErrorKind, ApiVersion, AzureFileShareBackupRequest, AzureWorkloadBackupRequest,
    BackupRequestResource, BackupType, Client, ClientBuilder, Cloud, Config, Error, ObjectType,
    OperationStatus, RetryPolicy, Tracking, TrackingRef, TriggerParams, TriggerRequest,
};
use backup_core::testing::SingleOperation;
use serde_json::json;
use wiremock::matchers::{body_json, header, header_regex, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn builder(server: &MockServer, credential: &Arc<TestCredential>) -> ClientBuilder {
    Client::builder()
        .endpoint(&server.uri())
        .token_credential(credential.clone())
        .retry(fast_retry())
}

fn client(server: &MockServer) -> (Client, Arc<TestCredential>) {
    let credential = Arc::new(TestCredential::new());
    (builder(server, &credential).build().unwrap(), credential)
}

fn status_urls(server: &MockServer) -> (String, String) {
    let base = format!(
        "{}/Subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/linuxRsVaultRG/providers/Microsoft.RecoveryServices/vaults/linuxRsVault/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainer;testrg;v1win2012r/protectedItems/VM;iaasvmcontainer;testrg;v1win2012r",
        server.uri()
    );
    (
        format!(
            "{base}/operationsStatus/00000000-0000-0000-0000-000000000001?api-version=2016-12-01"
        ),
        format!(
            "{base}/operationResults/00000000-0000-0000-0000-000000000001?api-version=2016-12-01"
        ),
    )
}

fn accepted(server: &MockServer) -> ResponseTemplate {
    let (async_url, location) = status_urls(server);
    ResponseTemplate::new(202)
        .insert_header("Azure-AsyncOperation", async_url.as_str())
        .insert_header("Location", location.as_str())
        .insert_header("Retry-After", "60")
        .insert_header("x-ms-request-id", "req-trigger")
}

#[tokio::test]
async fn trigger_sends_the_documented_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(DOC_PATH))
        .and(query_param("api-version", "2024-04-01"))
        .and(header("authorization", "Bearer test-token-1"))
        .and(header("content-type", "application/json"))
        .and(header_regex(
            "user-agent",
            r"^backup-rs/\S+ \(backup-azure\)",
        ))
        .and(body_json(
            json!({"properties": {"objectType": "IaasVMBackupRequest"}}),
        ))
        .respond_with(accepted(&server))
        .expect(1)
        .mount(&server)
        .await;
    let (client, credential) = client(&server);
    let operation = client
        .trigger(&TriggerRequest::azure_vm(doc_item()))
        .await
        .unwrap()
        .single();
    assert_eq!(operation.status, OperationStatus::Pending);
    assert_eq!(operation.poll_after, Some(Duration::from_secs(60)));
    let tracking = TrackingRef::from_reference(&operation.reference).unwrap();
    let (async_url, _location) = status_urls(&server);
    assert_eq!(tracking.async_operation.unwrap().as_str(), async_url);
    // Location is followed only when Azure-AsyncOperation is missing.
    assert_eq!(tracking.location, None);
    assert_eq!(
        credential.scopes(),
        ["https://management.azure.com/.default"]
    );
    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 1);
    // The query is exactly the api-version.
    assert_eq!(received[0].url.query(), Some("api-version=2024-04-01"));
}

#[tokio::test]
async fn every_request_kind_and_field_is_sent() {
    let server = MockServer::start().await;
    let expiry = time::macros::datetime!(2030-01-02 03:04:05 UTC);
    let cases = [
        (
            BackupRequestResource::new(AzureFileShareBackupRequest::new().expiry(expiry))
                .e_tag("W/\"etag\"")
                .location("westeurope")
                .tag("team", "storage"),
            json!({
                "eTag": "W/\"etag\"",
                "location": "westeurope",
                "tags": {"team": "storage"},
                "properties": {
                    "objectType": "AzureFileShareBackupRequest",
                    "recoveryPointExpiryTimeInUTC": "2030-01-02T03:04:05Z"
                }
            }),
        ),
        (
            BackupRequestResource::new(
                AzureWorkloadBackupRequest::new(BackupType::CopyOnlyFull)
                    .compression(false)
                    .expiry(expiry),
            ),
            json!({"properties": {
                "objectType": "AzureWorkloadBackupRequest",
                "backupType": "CopyOnlyFull",
                "enableCompression": false,
                "recoveryPointExpiryTimeInUTC": "2030-01-02T03:04:05Z"
            }}),
        ),
    ];
    let (client, _) = client(&server);
    for (body, expected) in cases {
        server.reset().await;
        Mock::given(method("POST"))
            .and(path(DOC_PATH))
            .and(body_json(expected))
            .respond_with(accepted(&server))
            .expect(1)
            .mount(&server)
            .await;
        client
            .trigger(&TriggerRequest::new(doc_item(), body))
            .await
            .unwrap();
    }
    // Every documented backupType goes out as documented.
    for backup_type in BackupType::DOCUMENTED {
        let body = serde_json::to_value(BackupRequestResource::new(
            AzureWorkloadBackupRequest::new(backup_type.clone()),
        ))
        .unwrap();
        assert_eq!(body["properties"]["backupType"], backup_type.as_str());
    }
}

#[tokio::test]
async fn api_version_2025_08_01_is_selectable() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(DOC_PATH))
        .and(query_param("api-version", "2025-08-01"))
        .respond_with(accepted(&server))
        .expect(1)
        .mount(&server)
        .await;
    let credential = Arc::new(TestCredential::new());
    let client = builder(&server, &credential)
        .api_version(ApiVersion::V2025_08_01)
        .build()
        .unwrap();
    assert_eq!(client.api_version().as_str(), "2025-08-01");
    client
        .trigger(&TriggerRequest::azure_vm(doc_item()))
        .await
        .unwrap();
}

#[tokio::test]
async fn ids_are_encoded_as_one_segment() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(
            "/subscriptions/s/resourceGroups/r%2Fg/providers/Microsoft.RecoveryServices/vaults/v%3Fx/backupFabrics/Azure/protectionContainers/c%23d/protectedItems/a%2F..%2Fb%25c/backup",
        ))
        .respond_with(accepted(&server))
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = client(&server);
    let item = backup_azure::ProtectedItem::new("s", "r/g", "v?x", "Azure", "c#d", "a/../b%c");
    client
        .trigger(&TriggerRequest::azure_vm(item))
        .await
        .unwrap();
}

#[tokio::test]
async fn invalid_input_is_refused_before_any_request() {
    let server = MockServer::start().await;
    let (client, credential) = client(&server);
    let fields = [
        "subscription_id",
        "resource_group",
        "vault",
        "fabric",
        "container",
        "item",
    ];
    for (index, field) in fields.iter().enumerate() {
        for bad in ["", "..", "a\nb", " padded"] {
            let mut item = doc_item();
            let slot = match index {
                0 => &mut item.subscription_id,
                1 => &mut item.resource_group,
                2 => &mut item.vault,
                3 => &mut item.fabric,
                4 => &mut item.container,
                _ => &mut item.item,
            };
            *slot = bad.to_owned();
            let err = client
                .trigger(&TriggerRequest::azure_vm(item))
                .await
                .unwrap_err();
            assert!(
                matches!(&err, Error::InvalidInput { field: f, .. } if f == field),
                "{field} {bad:?}: {err}"
            );
        }
    }
    assert!(server.received_requests().await.unwrap().is_empty());
    assert_eq!(credential.calls(), 0);
}

fn reference(server: &MockServer) -> backup_azure::OperationRef {
    let (async_url, location) = status_urls(server);
    TrackingRef::new(
        Some(url::Url::parse(&async_url).unwrap()),
        Some(url::Url::parse(&location).unwrap()),
    )
    .unwrap()
    .to_reference()
}

const STATUS_PATH: &str = "/Subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/linuxRsVaultRG/providers/Microsoft.RecoveryServices/vaults/linuxRsVault/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainer;testrg;v1win2012r/protectedItems/VM;iaasvmcontainer;testrg;v1win2012r/operationsStatus/00000000-0000-0000-0000-000000000001";
const RESULT_PATH: &str = "/Subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/linuxRsVaultRG/providers/Microsoft.RecoveryServices/vaults/linuxRsVault/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainer;testrg;v1win2012r/protectedItems/VM;iaasvmcontainer;testrg;v1win2012r/operationResults/00000000-0000-0000-0000-000000000001";
const JOB_ID: &str = "11111111-2222-3333-4444-555555555555";

fn job_body(status: &str) -> serde_json::Value {
    json!({
        "id": format!("{DOC_VAULT}/backupJobs/{JOB_ID}"),
        "name": JOB_ID,
        "type": "Microsoft.RecoveryServices/vaults/backupJobs",
        "properties": {
            "jobType": "AzureIaaSVMJob",
            "entityFriendlyName": "v1win2012r",
            "backupManagementType": "AzureIaasVM",
            "operation": "Backup",
            "status": status,
            "startTime": "2024-05-01T10:00:00.1234567Z",
            "activityId": "a-1",
            "extendedInfo": {"progressPercentage": 40.0, "tasksList": []}
        }
    })
}

#[tokio::test]
async fn status_follows_the_async_url_exactly_then_reads_the_job() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(STATUS_PATH))
        .and(query_param("api-version", "2016-12-01"))
        .and(header("authorization", "Bearer test-token-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "00000000-0000-0000-0000-000000000001",
            "name": "00000000-0000-0000-0000-000000000001",
            "status": "Succeeded",
            "startTime": "2024-05-01T10:00:00Z",
            "endTime": "2024-05-01T10:00:05Z",
            "properties": {"objectType": "OperationStatusJobExtendedInfo", "jobId": JOB_ID}
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(
            format!("{DOC_VAULT}/backupJobs/{JOB_ID}")
                .replace("/subscriptions/", "/Subscriptions/"),
        ))
        .and(query_param("api-version", "2024-04-01"))
        .and(header("authorization", "Bearer test-token-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(job_body("InProgress")))
        .expect(2)
        .mount(&server)
        .await;
    let (client, _) = client(&server);
    let operation = client.status(&reference(&server)).await.unwrap();
    assert_eq!(operation.status, OperationStatus::Running);
    assert_eq!(operation.vendor_status.as_deref(), Some("InProgress"));
    assert_eq!(operation.job_id.as_deref(), Some(JOB_ID));
    assert_eq!(operation.progress, Some(40.0));
    assert!(operation.started_at.is_some());
    // The reference now names the job: the next read goes to the job directly.
    let tracking = TrackingRef::from_reference(&operation.reference).unwrap();
    assert_eq!(tracking.job_id.as_deref(), Some(JOB_ID));
    let again = client.status(&operation.reference).await.unwrap();
    assert_eq!(again.job_id.as_deref(), Some(JOB_ID));
}

#[tokio::test]
async fn every_job_state_is_read() {
    let server = MockServer::start().await;
    let (client, _) = client(&server);
    let (async_url, _) = status_urls(&server);
    let reference = TrackingRef::new(Some(url::Url::parse(&async_url).unwrap()), None)
        .unwrap()
        .with_job_id(Some(JOB_ID.to_owned()))
        .to_reference();
    for (state, expected) in [
        ("InProgress", OperationStatus::Running),
        ("Cancelling", OperationStatus::Running),
        ("Completed", OperationStatus::Succeeded),
        (
            "CompletedWithWarnings",
            OperationStatus::SucceededWithWarnings,
        ),
        ("Failed", OperationStatus::Failed),
        ("Cancelled", OperationStatus::Cancelled),
        ("Invalid", OperationStatus::Running),
        ("SomethingNew", OperationStatus::Running),
    ] {
        server.reset().await;
        Mock::given(method("GET"))
            .and(path(
                format!("{DOC_VAULT}/backupJobs/{JOB_ID}")
                    .replace("/subscriptions/", "/Subscriptions/"),
            ))
            .respond_with(ResponseTemplate::new(200).set_body_json(job_body(state)))
            .mount(&server)
            .await;
        let operation = client.status(&reference).await.unwrap();
        assert_eq!(operation.status, expected, "{state}");
        assert_eq!(operation.vendor_status.as_deref(), Some(state));
    }
}

#[tokio::test]
async fn in_progress_operation_is_running_with_its_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(STATUS_PATH))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Retry-After", "15")
                .set_body_json(json!({"id": "1", "name": "1", "status": "InProgress",
                    "startTime": "2024-05-01T10:00:00Z"})),
        )
        .mount(&server)
        .await;
    let (client, _) = client(&server);
    let operation = client.status(&reference(&server)).await.unwrap();
    assert_eq!(operation.status, OperationStatus::Running);
    assert_eq!(operation.poll_after, Some(Duration::from_secs(15)));
    assert_eq!(operation.job_id, None);
}

#[tokio::test]
async fn failed_operation_carries_its_error_and_accepted_tracking_stops() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(STATUS_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "1", "name": "1", "status": "Failed",
            "error": {"code": "UserErrorBackupOperationInProgress", "message": "busy"}
        })))
        .mount(&server)
        .await;
    let (client, _) = client(&server);
    let operation = client
        .with_tracking(Tracking::Accepted)
        .status(&reference(&server))
        .await
        .unwrap();
    assert_eq!(operation.status, OperationStatus::Failed);
    let error = operation.error.unwrap();
    assert_eq!(
        error.code.as_deref(),
        Some("UserErrorBackupOperationInProgress")
    );
    assert_eq!(error.message, "busy");
}

#[tokio::test]
async fn location_fallback_is_202_then_204() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(RESULT_PATH))
        .and(query_param("api-version", "2016-12-01"))
        .respond_with(ResponseTemplate::new(202).insert_header("Retry-After", "3"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(RESULT_PATH))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let (_, location) = status_urls(&server);
    let reference = TrackingRef::new(None, Some(url::Url::parse(&location).unwrap()))
        .unwrap()
        .to_reference();
    let (client, _) = client(&server);
    let first = client.status(&reference).await.unwrap();
    assert_eq!(first.status, OperationStatus::Running);
    assert_eq!(first.poll_after, Some(Duration::from_secs(3)));
    let second = client.status(&reference).await.unwrap();
    assert_eq!(second.status, OperationStatus::Succeeded);
}

#[tokio::test]
async fn status_urls_pointing_elsewhere_are_not_followed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(DOC_PATH))
        .respond_with(
            ResponseTemplate::new(202)
                .insert_header(
                    "Azure-AsyncOperation",
                    "https://attacker.example/operationsStatus/1?api-version=2016-12-01",
                )
                .insert_header("Retry-After", "1"),
        )
        .mount(&server)
        .await;
    let (client, _) = client(&server);
    let err = client
        .trigger(&TriggerRequest::azure_vm(doc_item()))
        .await
        .unwrap_err();
    let Error::OutcomeUnknown { reason, .. } = &err else {
        panic!("{err:?}");
    };
    assert!(reason.contains("https://attacker.example"), "{reason}");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
    // A 202 without any status URL cannot be followed either.
    server.reset().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(202))
        .mount(&server)
        .await;
    let err = client
        .trigger(&TriggerRequest::azure_vm(doc_item()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::OutcomeUnknown { .. }), "{err:?}");
}

#[tokio::test]
async fn cloud_error_is_parsed_with_request_ids() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(400)
                .insert_header("x-ms-request-id", "req-1")
                .insert_header("x-ms-correlation-request-id", "corr-1")
                .set_body_json(json!({"error": {
                    "code": "BMSUserErrorInvalidInput",
                    "message": "Input provided for the call is invalid",
                    "target": "properties.objectType",
                    "details": [{"code": "InvalidObjectType", "message": "unknown objectType"}],
                    "additionalInfo": [{"type": "PolicyViolation", "info": {"policy": "p"}}]
                }})),
        )
        .mount(&server)
        .await;
    let (client, _) = client(&server);
    let err = client
        .trigger(&TriggerRequest::azure_vm(doc_item()))
        .await
        .unwrap_err();
    let api = err.api().unwrap();
    assert_eq!(api.status, 400);
    assert_eq!(api.kind, ApiErrorKind::BadRequest);
    assert_eq!(api.code.as_deref(), Some("BMSUserErrorInvalidInput"));
    assert_eq!(api.request_id.as_deref(), Some("req-1"));
    assert_eq!(
        api.message,
        "Input provided for the call is invalid (target: properties.objectType); details: InvalidObjectType: unknown objectType"
    );
}

#[tokio::test]
async fn backup_in_progress_is_a_conflict_whatever_the_status() {
    for status in [400, 409] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(
                ResponseTemplate::new(status)
                    .insert_header("x-ms-correlation-request-id", "corr-2")
                    .set_body_json(json!({"error": {
                        "code": "UserErrorBackupOperationInProgress",
                        "message": "Another backup operation is in progress."
                    }})),
            )
            .expect(1)
            .mount(&server)
            .await;
        let (client, _) = client(&server);
        let err = client
            .trigger(&TriggerRequest::azure_vm(doc_item()))
            .await
            .unwrap_err();
        assert_eq!(err.api().map(|a| a.kind), Some(ApiErrorKind::Conflict));
        assert_eq!(err.request_id(), Some("corr-2"));
    }
}

#[tokio::test]
async fn throttling_carries_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "7")
                .set_body_json(
                    json!({"error": {"code": "TooManyRequests", "message": "slow down"}}),
                ),
        )
        .expect(1)
        .mount(&server)
        .await;
    let credential = Arc::new(TestCredential::new());
    let client = builder(&server, &credential)
        .retry(RetryPolicy::never())
        .build()
        .unwrap();
    let err = client
        .trigger(&TriggerRequest::azure_vm(doc_item()))
        .await
        .unwrap_err();
    let api = err.api().unwrap();
    assert_eq!(api.kind, ApiErrorKind::Throttled);
    assert_eq!(api.retry_after, Some(Duration::from_secs(7)));
    assert!(err.is_retryable());
}

#[tokio::test]
async fn unparsable_error_bodies_keep_an_excerpt() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(404)
                .insert_header("content-type", "text/html")
                .set_body_string("<html><body>Not Found</body></html>"),
        )
        .mount(&server)
        .await;
    let (client, _) = client(&server);
    let err = client.status(&reference(&server)).await.unwrap_err();
    let api = err.api().unwrap();
    assert_eq!(api.kind, ApiErrorKind::NotFound);
    assert!(
        api.message.contains("<html><body>Not Found"),
        "{}",
        api.message
    );
    // A truncated success body is a decode error with an excerpt.
    server.reset().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{\"status\": \"InProg"))
        .mount(&server)
        .await;
    let err = client.status(&reference(&server)).await.unwrap_err();
    let Error::Decode { body_excerpt, .. } = &err else {
        panic!("{err:?}");
    };
    assert!(body_excerpt.contains("InProg"));
}

#[tokio::test]
async fn each_cloud_has_its_endpoint_and_scope() {
    for cloud in Cloud::ALL {
        let client = Client::builder()
            .cloud(cloud)
            .bearer_token("t")
            .build()
            .unwrap();
        assert_eq!(client.endpoint().as_str(), format!("{}/", cloud.endpoint()));
        assert_eq!(client.scope(), cloud.scope());

        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(accepted(&server))
            .mount(&server)
            .await;
        let credential = Arc::new(TestCredential::new());
        let client = builder(&server, &credential).cloud(cloud).build().unwrap();
        client
            .trigger(&TriggerRequest::azure_vm(doc_item()))
            .await
            .unwrap();
        assert_eq!(credential.scopes(), [cloud.scope()]);
    }
    let credential = Arc::new(TestCredential::new());
    let server = MockServer::start().await;
    let client = builder(&server, &credential)
        .scope("api://custom/.default")
        .build()
        .unwrap();
    assert_eq!(client.scope(), "api://custom/.default");
}

#[tokio::test]
async fn tokens_are_cached_and_a_401_refreshes_once() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(header("authorization", "Bearer test-token-1"))
        .respond_with(accepted(&server))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(header("authorization", "Bearer test-token-1"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": {
            "code": "ExpiredAuthenticationToken", "message": "The access token has expired."}})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(header("authorization", "Bearer test-token-2"))
        .respond_with(accepted(&server))
        .expect(1)
        .mount(&server)
        .await;
    let (client, credential) = client(&server);
    for _ in 0..3 {
        client
            .trigger(&TriggerRequest::azure_vm(doc_item()))
            .await
            .unwrap();
    }
    assert_eq!(credential.calls(), 2);
}

#[tokio::test]
async fn static_token_is_sent_and_a_401_is_final() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(header("authorization", "Bearer static-token"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": {
            "code": "InvalidAuthenticationToken", "message": "The access token is invalid."}})))
        .expect(1)
        .mount(&server)
        .await;
    let client = ClientBuilder::from_lookup(&|name: &str| {
        (name == "AZURE_ACCESS_TOKEN").then(|| "static-token".to_owned())
    })
    .unwrap()
    .endpoint(&server.uri())
    .build()
    .unwrap();
    let err = client
        .trigger(&TriggerRequest::azure_vm(doc_item()))
        .await
        .unwrap_err();
    let Error::Auth {
        status, message, ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(*status, Some(401));
    assert!(
        message.contains("InvalidAuthenticationToken") || message.contains("invalid"),
        "{message}"
    );
}

#[tokio::test]
async fn builder_validates_its_settings() {
    let err = Client::builder()
        .endpoint("ftp://example.com")
        .bearer_token("t")
        .build()
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidInput { ref field, .. } if field == "endpoint"),
        "{err}"
    );
    let err = Client::builder().build().unwrap_err();
    assert!(matches!(err, Error::Config { .. }), "{err}");
    let err = Client::builder()
        .bearer_token("t")
        .scope(" ")
        .build()
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidInput { ref field, .. } if field == "scope"),
        "{err}"
    );
    let err = ClientBuilder::from_lookup(&|name: &str| match name {
        "AZURE_TENANT_ID" => Some("not a tenant!".into()),
        "AZURE_CLIENT_ID" => Some("c".into()),
        "AZURE_CLIENT_SECRET" => Some("s".into()),
        _ => None,
    })
    .unwrap()
    .build()
    .unwrap_err();
    assert!(matches!(err, Error::Config { .. }), "{err}");
    // A well-formed service principal builds (no request is made at build time).
    ClientBuilder::from_lookup(&|name: &str| match name {
        "AZURE_TENANT_ID" => Some("00000000-0000-0000-0000-000000000000".into()),
        "AZURE_CLIENT_ID" => Some("c".into()),
        "AZURE_CLIENT_SECRET" => Some("s".into()),
        _ => None,
    })
    .unwrap()
    .cloud(Cloud::China)
    .build()
    .unwrap();
}

#[tokio::test]
async fn config_sets_the_endpoint_and_api_version() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(DOC_PATH))
        .and(query_param("api-version", "2025-08-01"))
        .and(header("authorization", "Bearer config-token"))
        .respond_with(accepted(&server))
        .expect(1)
        .mount(&server)
        .await;
    let config = Config {
        endpoint: Some(server.uri()),
        api_version: Some("2025-08-01".into()),
    };
    let lookup = |name: &str| (name == "AZURE_ACCESS_TOKEN").then(|| "config-token".to_owned());
    let client = ClientBuilder::from_config(&config, &lookup)
        .unwrap()
        .retry(fast_retry())
        .build()
        .unwrap();
    assert_eq!(client.api_version(), ApiVersion::V2025_08_01);
    assert_eq!(client.endpoint().as_str(), format!("{}/", server.uri()));
    client
        .trigger(&TriggerRequest::azure_vm(doc_item()))
        .await
        .unwrap()
        .single();
    // The defaults: the public cloud and the document's api-version.
    let client = ClientBuilder::from_config(&Config::default(), &lookup)
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(client.endpoint().as_str(), "https://management.azure.com/");
    assert_eq!(client.api_version(), ApiVersion::V2024_04_01);
    // An api-version this crate does not know is refused, naming the setting.
    let config = Config {
        api_version: Some("2016-12-01".into()),
        ..Config::default()
    };
    let err = ClientBuilder::from_config(&config, &lookup).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput { field, reason, .. }
            if field == "api_version" && reason.contains("2024-04-01, 2025-08-01")),
        "{err}"
    );
    let config = Config {
        endpoint: Some("ftp://example.com".into()),
        ..Config::default()
    };
    let err = ClientBuilder::from_config(&config, &lookup)
        .unwrap()
        .build()
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidInput { ref field, .. } if field == "endpoint"),
        "{err}"
    );
}

#[test]
fn params_make_the_request_or_name_the_field() {
    let mut params = TriggerParams::new(
        "00000000-0000-0000-0000-000000000000",
        "linuxRsVaultRG",
        "linuxRsVault",
        "IaasVMContainer;iaasvmcontainerv2;testrg;v1win2012r",
        "VM;iaasvmcontainerv2;testrg;v1win2012r",
    );
    assert_eq!(
        Client::request(&params).unwrap(),
        TriggerRequest::azure_vm(doc_item())
    );
    params.object_type = ObjectType::AzureWorkload;
    params.backup_type = Some("Weekly".into());
    let err = Client::request(&params).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput { field, reason, .. }
            if field == "backup_type" && reason.contains("CopyOnlyFull")),
        "{err}"
    );
    params.object_type = ObjectType::IaasVm;
    params.backup_type = None;
    params.enable_compression = Some(true);
    let err = Client::request(&params).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput { field, reason, .. }
            if field == "enable_compression" && reason.contains("azure-workload")),
        "{err}"
    );
}

#[tokio::test]
async fn cancel_posts_to_the_job_then_reads_it() {
    let server = MockServer::start().await;
    let job_path =
        format!("{DOC_VAULT}/backupJobs/{JOB_ID}").replace("/subscriptions/", "/Subscriptions/");
    Mock::given(method("POST"))
        .and(path(format!("{job_path}/cancel")))
        .and(query_param("api-version", "2024-04-01"))
        .and(header("authorization", "Bearer test-token-1"))
        .respond_with(ResponseTemplate::new(202).insert_header("Retry-After", "5"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(job_path))
        .respond_with(ResponseTemplate::new(200).set_body_json(job_body("Cancelling")))
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = client(&server);
    let (async_url, _) = status_urls(&server);
    let reference = TrackingRef::new(Some(url::Url::parse(&async_url).unwrap()), None)
        .unwrap()
        .with_job_id(Some(JOB_ID.to_owned()))
        .to_reference();
    let operation = client.cancel(&reference).await.unwrap();
    assert_eq!(operation.status, OperationStatus::Running);
    assert_eq!(operation.vendor_status.as_deref(), Some("Cancelling"));
    let received = server.received_requests().await.unwrap();
    let post = received
        .iter()
        .find(|r| r.method.as_str() == "POST")
        .unwrap();
    assert!(post.body.is_empty());
    assert_eq!(post.headers.get("content-length").unwrap(), "0");
}

#[tokio::test]
async fn cancel_before_the_job_is_known_is_unsupported() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(STATUS_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "InProgress"})))
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = client(&server);
    let err = client.cancel(&reference(&server)).await.unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
}

#[tokio::test]
async fn other_vendors_references_are_refused() {
    let server = MockServer::start().await;
    let (client, _) = client(&server);
    let other = backup_azure::OperationRef::new("yandex", "op-1");
    let err = client.status(&other).await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }));
    let err = client.cancel(&other).await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }));
    let log: Vec<Request> = server.received_requests().await.unwrap();
    assert!(log.is_empty());
}

#[tokio::test]
async fn a_job_not_readable_yet_keeps_the_operation_running() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(STATUS_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "status": "Succeeded",
            "properties": {"objectType": "OperationStatusJobExtendedInfo", "jobId": JOB_ID}
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(
            format!("{DOC_VAULT}/backupJobs/{JOB_ID}")
                .replace("/subscriptions/", "/Subscriptions/"),
        ))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"error": {
            "code": "BMSUserErrorJobNotFound", "message": "not yet"}})))
        .mount(&server)
        .await;
    let (client, _) = client(&server);
    let operation = client.status(&reference(&server)).await.unwrap();
    assert_eq!(operation.status, OperationStatus::Running);
    assert_eq!(operation.job_id.as_deref(), Some(JOB_ID));
    assert!(
        operation
            .message
            .unwrap()
            .contains("BMSUserErrorJobNotFound")
    );
    // The next read goes to the job, and its error is the caller's.
    let err = client.status(&operation.reference).await.unwrap_err();
    assert_eq!(err.code(), Some("BMSUserErrorJobNotFound"));
}

#[tokio::test]
async fn every_environment_credential_builds_without_a_request() {
    // A test-only federated token file.
    let token_file = std::env::temp_dir().join(format!(
        "backup-azure-test-federated-token-{}",
        std::process::id()
    ));
    std::fs::write(&token_file, "test-only-federated-token").unwrap();
    let file = token_file.to_string_lossy().into_owned();
    let workload = move |name: &str| match name {
        "AZURE_TENANT_ID" => Some("00000000-0000-0000-0000-000000000000".into()),
        "AZURE_CLIENT_ID" => Some("11111111-1111-1111-1111-111111111111".into()),
        "AZURE_FEDERATED_TOKEN_FILE" => Some(file.clone()),
        _ => None,
    };
    let missing = |name: &str| match name {
        "AZURE_TENANT_ID" => Some("00000000-0000-0000-0000-000000000000".into()),
        "AZURE_CLIENT_ID" => Some("c".into()),
        "AZURE_FEDERATED_TOKEN_FILE" => Some("/nonexistent/backup-azure/token".into()),
        _ => None,
    };
    let err = ClientBuilder::from_lookup(&missing)
        .unwrap()
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Config { .. }), "{err}");
    let client = ClientBuilder::from_lookup(&workload)
        .unwrap()
        .build()
        .unwrap();
    assert!(format!("{client:?}").contains("workload_identity"));
    for cloud in Cloud::ALL {
        ClientBuilder::from_lookup(&workload)
            .unwrap()
            .cloud(cloud)
            .build()
            .unwrap();
    }
    let client = ClientBuilder::from_lookup(&|_: &str| None)
        .unwrap()
        .build()
        .unwrap();
    assert!(format!("{client:?}").contains("developer_tools"));
    std::fs::remove_file(&token_file).unwrap();
}
