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

#[tokio::test]
async fn api_version_2026_10_01_is_selectable() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(DOC_PATH))
        .and(query_param("api-version", "2026-10-01"))
        .respond_with(accepted(&server))
        .expect(1)
        .mount(&server)
        .await;
    let credential = Arc::new(TestCredential::new());
    let client = builder(&server, &credential)
        .api_version(ApiVersion::V2026_10_01)
        .build()
        .unwrap();
    client
        .trigger(&TriggerRequest::azure_vm(doc_item()))
        .await
        .unwrap();
    let config = Config {
        api_version: Some("2026-10-01".into()),
        ..Config::default()
    };
    let lookup = |name: &str| (name == "AZURE_ACCESS_TOKEN").then(|| "t".to_owned());
    let built = ClientBuilder::from_config(&config, &lookup)
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(built.api_version(), ApiVersion::V2026_10_01);
}

#[tokio::test]
async fn the_client_request_id_is_sent_with_the_trigger_and_must_be_a_guid() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(DOC_PATH))
        .and(header(
            "x-ms-client-request-id",
            "7df8e874-1d66-4f81-8e91-da2fe054811d",
        ))
        .respond_with(accepted(&server))
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = client(&server);
    let request = TriggerRequest::azure_vm(doc_item())
        .client_request_id("7df8e874-1d66-4f81-8e91-da2fe054811d");
    client.trigger(&request).await.unwrap();
    for bad in [
        "not-a-guid",
        " 7df8e874-1d66-4f81-8e91-da2fe054811d",
        "a\nb",
    ] {
        let request = TriggerRequest::azure_vm(doc_item()).client_request_id(bad);
        let err = client.trigger(&request).await.unwrap_err();
        assert!(
            matches!(&err, Error::InvalidInput { field, .. } if field == "client_request_id"),
            "{bad:?}: {err}"
        );
        let err = client.recover_trigger(&request).await.unwrap_err();
        assert!(matches!(&err, Error::InvalidInput { .. }), "{err}");
    }
    // Nothing else was sent.
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[test]
fn the_idempotency_key_is_a_time_ordered_client_request_id() {
    let mut request = TriggerRequest::azure_vm(doc_item());
    let before = time::OffsetDateTime::now_utc();
    let key = Client::idempotency_key(&mut request, None).unwrap();
    let parsed = uuid_version_and_time(&key);
    assert_eq!(parsed.0, 7, "{key}");
    let made = parsed.1;
    assert!(
        made >= before - time::Duration::milliseconds(1) && made <= time::OffsetDateTime::now_utc(),
        "{key}"
    );
    assert_eq!(request.client_request_id.as_deref(), Some(key.as_str()));
    // The journal gives the recorded key back: the same id.
    let mut again = TriggerRequest::azure_vm(doc_item());
    assert_eq!(
        Client::idempotency_key(&mut again, Some(&key)).as_deref(),
        Some(key.as_str())
    );
    assert_eq!(again.client_request_id, request.client_request_id);
}

/// The version and the Unix-millisecond time of a UUID's text (RFC 9562, version 7).
fn uuid_version_and_time(text: &str) -> (u8, time::OffsetDateTime) {
    let hex: String = text.chars().filter(char::is_ascii_hexdigit).collect();
    assert_eq!(hex.len(), 32, "{text}");
    let millis = i128::from_str_radix(&hex[..12], 16).unwrap();
    let version = u8::from_str_radix(&hex[12..13], 16).unwrap();
    (
        version,
        time::OffsetDateTime::from_unix_timestamp_nanos(millis * 1_000_000).unwrap(),
    )
}

/// A job of the document's VM in the job list.
fn listed_job(
    name: &str,
    status: &str,
    started: time::OffsetDateTime,
    activity: &str,
) -> serde_json::Value {
    json!({
        "id": format!("{DOC_VAULT}/backupJobs/{name}"),
        "name": name,
        "type": "Microsoft.RecoveryServices/vaults/backupJobs",
        "properties": {
            "jobType": "AzureIaaSVMJob",
            "entityFriendlyName": "v1win2012r",
            "containerName": "iaasvmcontainerv2;testrg;v1win2012r",
            "backupManagementType": "AzureIaasVM",
            "operation": "Backup",
            "status": status,
            "startTime": backup_core::timefmt::format_rfc3339(started),
            "activityId": activity,
        }
    })
}

fn jobs_answer(jobs: &[serde_json::Value]) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({ "value": jobs }))
}

/// `yyyy-MM-dd hh:mm:ss tt` in UTC.
fn filter_time(value: time::OffsetDateTime) -> String {
    let hour = value.hour() % 12;
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} {}",
        value.year(),
        u8::from(value.month()),
        value.day(),
        if hour == 0 { 12 } else { hour },
        value.minute(),
        value.second(),
        if value.hour() < 12 { "AM" } else { "PM" }
    )
}

fn recovered_operation(recovered: backup_core::contract::Recovered) -> backup_azure::Operation {
    match recovered {
        backup_core::contract::Recovered::Operations(operations) => operations.single(),
        other => panic!("not recovered: {other:?}"),
    }
}

#[tokio::test]
async fn recovery_lists_the_vaults_backup_jobs_exactly_and_sends_no_trigger() {
    let server = MockServer::start().await;
    let mut request = TriggerRequest::azure_vm(doc_item());
    let key = Client::idempotency_key(&mut request, None).unwrap();
    let intent = uuid_version_and_time(&key).1;
    // The job of the lost trigger ended already: it is followed, not started again.
    let job = listed_job(
        JOB_ID,
        "Completed",
        intent + time::Duration::seconds(3),
        &key,
    );
    let captured = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let seen = captured.clone();
    Mock::given(method("GET"))
        .and(path(format!("{DOC_VAULT}/backupJobs")))
        .and(query_param("api-version", "2024-04-01"))
        .and(header("authorization", "Bearer test-token-1"))
        .respond_with(move |request: &Request| {
            let filter = request
                .url
                .query_pairs()
                .find(|(k, _)| k == "$filter")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            seen.lock().unwrap().push(filter);
            jobs_answer(std::slice::from_ref(&job))
        })
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(accepted(&server))
        .expect(0)
        .mount(&server)
        .await;
    let (client, _) = client(&server);
    let done = recovered_operation(client.recover_trigger(&request).await.unwrap());
    assert_eq!(done.job_id.as_deref(), Some(JOB_ID));
    assert_eq!(done.status, OperationStatus::Succeeded);
    let filter = captured.lock().unwrap()[0].clone();
    let (from, rest) = filter
        .strip_prefix("startTime eq '")
        .and_then(|f| f.split_once("' and endTime eq '"))
        .unwrap_or_else(|| panic!("{filter}"));
    let (to, rest) = rest.split_once('\'').unwrap();
    assert_eq!(
        rest,
        " and operation eq 'Backup' and backupManagementType eq 'AzureIaasVM'"
    );
    // From a day before the trigger's time to a little after now, in the list's form.
    assert_eq!(from, filter_time(intent - time::Duration::hours(24)));
    // `yyyy-MM-dd hh:mm:ss tt`, five minutes after now at most.
    assert_eq!(to.split([' ', ':']).count(), 5, "{to}");
    assert!(to.ends_with(" AM") || to.ends_with(" PM"), "{to}");
    // The reference names the item and the job: it reads the job from then on.
    let tracking = TrackingRef::from_reference(&done.reference).unwrap();
    assert_eq!(tracking.job_id.as_deref(), Some(JOB_ID));
    assert!(tracking.async_operation.is_none() && tracking.location.is_none());
    let raw = server.received_requests().await.unwrap();
    let list = raw.iter().find(|r| r.method.as_str() == "GET").unwrap();
    assert!(
        list.url.query().unwrap_or_default().contains("%20eq%20"),
        "spaces are sent as %20: {:?}",
        list.url.query()
    );
}

#[tokio::test]
async fn recovery_picks_the_first_job_of_the_item_started_after_the_trigger() {
    let server = MockServer::start().await;
    let mut request = TriggerRequest::azure_vm(doc_item());
    let key = Client::idempotency_key(&mut request, None).unwrap();
    let intent = uuid_version_and_time(&key).1;
    let other_item = {
        let mut job = listed_job("other", "InProgress", intent, "x");
        job["properties"]["entityFriendlyName"] = json!("anothervm");
        job
    };
    let jobs = vec![
        // Before the trigger (beyond the clock-skew margin): an older backup.
        listed_job(
            "older",
            "Completed",
            intent - time::Duration::minutes(30),
            "x",
        ),
        other_item,
        listed_job(
            "later",
            "Completed",
            intent + time::Duration::minutes(9),
            "y",
        ),
        listed_job(
            "first",
            "Completed",
            intent + time::Duration::seconds(20),
            "z",
        ),
    ];
    Mock::given(method("GET"))
        .and(path(format!("{DOC_VAULT}/backupJobs")))
        .respond_with(jobs_answer(&jobs))
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = client(&server);
    let found = recovered_operation(client.recover_trigger(&request).await.unwrap());
    assert_eq!(found.job_id.as_deref(), Some("first"));
    assert!(
        found
            .message
            .as_deref()
            .is_some_and(|m| m.contains("started after the trigger")),
        "{:?}",
        found.message
    );
}

#[tokio::test]
async fn recovery_follows_the_running_backup_of_the_item() {
    let server = MockServer::start().await;
    let request = TriggerRequest::azure_vm(doc_item());
    let long_ago = time::OffsetDateTime::now_utc() - time::Duration::hours(3);
    Mock::given(method("GET"))
        .and(path(format!("{DOC_VAULT}/backupJobs")))
        .respond_with(jobs_answer(&[
            listed_job("old", "Completed", long_ago, "a"),
            listed_job("running", "InProgress", long_ago, "b"),
        ]))
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = client(&server);
    let found = recovered_operation(client.recover_trigger(&request).await.unwrap());
    assert_eq!(found.job_id.as_deref(), Some("running"));
    assert_eq!(found.status, OperationStatus::Running);
}

#[tokio::test]
async fn recovery_without_the_trigger_time_and_an_ended_job_is_unknown() {
    let server = MockServer::start().await;
    let request = TriggerRequest::azure_vm(doc_item());
    let earlier = time::OffsetDateTime::now_utc() - time::Duration::minutes(10);
    Mock::given(method("GET"))
        .and(path(format!("{DOC_VAULT}/backupJobs")))
        .respond_with(jobs_answer(&[listed_job(
            "ended",
            "Completed",
            earlier,
            "a",
        )]))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(accepted(&server))
        .expect(0)
        .mount(&server)
        .await;
    let (client, _) = client(&server);
    let recovered = client.recover_trigger(&request).await.unwrap();
    let backup_core::contract::Recovered::Unknown(what) = recovered else {
        panic!("{recovered:?}");
    };
    assert!(
        what.contains("ended") && what.contains("linuxRsVault"),
        "{what}"
    );
}

/// A version 7 UUID made at `at` (RFC 9562): a client request id from then.
fn client_request_id_at(at: time::OffsetDateTime) -> String {
    let millis = u64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap();
    let hex = format!("{millis:012x}7abc8def0123456789ab");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// A trigger sent a while ago whose job the list does not show never reached Azure: it
/// is sent now, once, with its client request id.
#[tokio::test]
async fn recovery_with_no_job_listed_sends_the_trigger_once() {
    let server = MockServer::start().await;
    let key = client_request_id_at(time::OffsetDateTime::now_utc() - time::Duration::hours(1));
    assert_eq!(uuid_version_and_time(&key).0, 7);
    let request = TriggerRequest::azure_vm(doc_item()).client_request_id(key.clone());
    Mock::given(method("GET"))
        .and(path(format!("{DOC_VAULT}/backupJobs")))
        .respond_with(jobs_answer(&[]))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(DOC_PATH))
        .and(header("x-ms-client-request-id", key.as_str()))
        .respond_with(accepted(&server))
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = client(&server);
    let started = recovered_operation(client.recover_trigger(&request).await.unwrap());
    assert_eq!(started.status, OperationStatus::Pending);
}

/// A trigger sent moments ago may not have its job yet: the list is read again before
/// anything is sent, and the job found then is followed.
#[tokio::test]
async fn recovery_of_a_recent_trigger_reads_the_list_again_before_sending() {
    let server = MockServer::start().await;
    let mut request = TriggerRequest::azure_vm(doc_item());
    let key = Client::idempotency_key(&mut request, None).unwrap();
    let intent = uuid_version_and_time(&key).1;
    let lists = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = lists.clone();
    let job = listed_job(JOB_ID, "InProgress", intent, &key);
    Mock::given(method("GET"))
        .and(path(format!("{DOC_VAULT}/backupJobs")))
        .respond_with(move |_: &Request| {
            let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            jobs_answer(if n >= 2 {
                std::slice::from_ref(&job)
            } else {
                &[]
            })
        })
        .expect(3)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(accepted(&server))
        .expect(0)
        .mount(&server)
        .await;
    let (client, _) = client(&server);
    let found = recovered_operation(client.recover_trigger(&request).await.unwrap());
    assert_eq!(found.job_id.as_deref(), Some(JOB_ID));
}

#[tokio::test]
async fn recovery_reads_the_list_again_after_an_in_progress_refusal() {
    let server = MockServer::start().await;
    let intent = time::OffsetDateTime::now_utc() - time::Duration::minutes(10);
    let key = client_request_id_at(intent);
    let request = TriggerRequest::azure_vm(doc_item()).client_request_id(key.clone());
    let lists = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = lists.clone();
    let job = listed_job(JOB_ID, "InProgress", intent, &key);
    Mock::given(method("GET"))
        .and(path(format!("{DOC_VAULT}/backupJobs")))
        .respond_with(move |_: &Request| {
            // The lost trigger's job appears on the third read.
            let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            jobs_answer(if n >= 2 {
                std::slice::from_ref(&job)
            } else {
                &[]
            })
        })
        .expect(3)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(DOC_PATH))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": {
            "code": "UserErrorBackupOperationInProgress",
            "message": "Backup is already in progress for this item."
        }})))
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = client(&server);
    let found = recovered_operation(client.recover_trigger(&request).await.unwrap());
    assert_eq!(found.job_id.as_deref(), Some(JOB_ID));
    assert_eq!(lists.load(std::sync::atomic::Ordering::SeqCst), 3);
    // The job started ten minutes after the trigger's time is the first since then.
    assert!(
        found
            .message
            .as_deref()
            .is_some_and(|m| m.contains("activityId"))
    );
}

#[tokio::test]
async fn recovery_refused_in_progress_with_no_job_ever_listed_is_unknown() {
    let server = MockServer::start().await;
    let request = TriggerRequest::azure_vm(doc_item());
    Mock::given(method("GET"))
        .and(path(format!("{DOC_VAULT}/backupJobs")))
        .respond_with(jobs_answer(&[]))
        .expect(4)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(409).set_body_json(json!({"error": {
            "code": "UserErrorAnotherOperationInProgress", "message": "busy"
        }})))
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = client(&server);
    let recovered = client.recover_trigger(&request).await.unwrap();
    let backup_core::contract::Recovered::Unknown(what) = recovered else {
        panic!("{recovered:?}");
    };
    assert!(
        what.contains("UserErrorAnotherOperationInProgress"),
        "{what}"
    );
}

#[tokio::test]
async fn the_job_lists_next_pages_are_read() {
    let server = MockServer::start().await;
    let request = TriggerRequest::azure_vm(doc_item());
    let now = time::OffsetDateTime::now_utc();
    let next = format!(
        "{}{DOC_VAULT}/backupJobs?api-version=2024-04-01&$skipToken=1",
        server.uri()
    );
    Mock::given(method("GET"))
        .and(path(format!("{DOC_VAULT}/backupJobs")))
        .and(query_param("$skipToken", "1"))
        .respond_with(jobs_answer(&[listed_job("second", "InProgress", now, "b")]))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{DOC_VAULT}/backupJobs")))
        .and(query_param("api-version", "2024-04-01"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [], "nextLink": next
        })))
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = client(&server);
    let found = recovered_operation(client.recover_trigger(&request).await.unwrap());
    assert_eq!(found.job_id.as_deref(), Some("second"));
}

#[tokio::test]
async fn produced_reads_the_recovery_points_of_the_jobs_window() {
    let server = MockServer::start().await;
    let (async_url, _) = status_urls(&server);
    let reference = TrackingRef::new(Some(url::Url::parse(&async_url).unwrap()), None)
        .unwrap()
        .with_job_id(Some(JOB_ID.to_owned()))
        .to_reference();
    let item_path = STATUS_PATH
        .split("/operationsStatus/")
        .next()
        .unwrap()
        .to_owned();
    Mock::given(method("GET"))
        .and(path(format!("{item_path}/recoveryPoints")))
        .and(query_param("api-version", "2024-04-01"))
        .and(query_param(
            "$filter",
            "startDate eq '2018-05-21 08:33:40 AM' and endDate eq '2018-05-21 08:58:04 AM'",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [
            {"name": "111", "properties": {"objectType": "IaasVMRecoveryPoint",
                "recoveryPointTime": "2018-05-21T08:20:00Z"}},
            {"name": "222", "properties": {"objectType": "IaasVMRecoveryPoint",
                "recoveryPointTime": "2018-05-21T08:36:02.1234567Z"}},
            {"name": "333", "properties": {"objectType": "IaasVMRecoveryPoint",
                "recoveryPointTime": "2018-05-21T08:50:00Z"}},
        ]})))
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = client(&server);
    let ended = backup_azure::Operation::new(reference, OperationStatus::Succeeded).with_times(
        Some(time::macros::datetime!(2018-05-21 08:35:40.9488967 UTC)),
        Some(time::macros::datetime!(2018-05-21 08:56:04.0385664 UTC)),
    );
    let read = client.produced(&ended).await.unwrap();
    assert_eq!(
        read.produced,
        [backup_core::operation::Produced::new(
            "recovery_point",
            "222"
        )]
    );
    // Reading it again reads nothing more.
    let again = client.produced(&read).await.unwrap();
    assert_eq!(again.produced, read.produced);
    // Nothing is read for a failed backup, or when only the acceptance is followed.
    let failed = backup_azure::Operation::new(read.reference.clone(), OperationStatus::Failed);
    assert!(client.produced(&failed).await.unwrap().produced.is_empty());
    let accepted_only = client.with_tracking(Tracking::Accepted);
    let mut fresh = read.clone();
    fresh.produced.clear();
    assert!(
        accepted_only
            .produced(&fresh)
            .await
            .unwrap()
            .produced
            .is_empty()
    );
}

#[tokio::test]
async fn produced_takes_a_file_shares_size_from_its_recovery_point() {
    let server = MockServer::start().await;
    let item = format!(
        "{}{DOC_VAULT}/backupFabrics/Azure/protectionContainers/StorageContainer;storage;rg;acct/protectedItems/AzureFileShare;share",
        server.uri()
    );
    let reference = TrackingRef::for_job(url::Url::parse(&item).unwrap(), JOB_ID)
        .unwrap()
        .to_reference();
    Mock::given(method("GET"))
        .and(path(format!(
            "{DOC_VAULT}/backupFabrics/Azure/protectionContainers/StorageContainer;storage;rg;acct/protectedItems/AzureFileShare;share/recoveryPoints"
        )))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [
            {"name": "932881138555802864", "properties": {
                "objectType": "AzureFileShareRecoveryPoint",
                "recoveryPointSizeInGb": 3,
                "recoveryPointTime": "2020-02-04T08:01:35+00:00"}},
        ]})))
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = client(&server);
    let ended = backup_azure::Operation::new(reference, OperationStatus::Succeeded).with_times(
        Some(time::macros::datetime!(2020-02-04 08:01:30 UTC)),
        Some(time::macros::datetime!(2020-02-04 08:03:00 UTC)),
    );
    let read = client.produced(&ended).await.unwrap();
    assert_eq!(read.produced[0].id, "932881138555802864");
    assert_eq!(read.size_bytes, Some(3 * 1024 * 1024 * 1024));
}
