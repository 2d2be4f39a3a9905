//! The vendor document's examples (and the notes' answer shapes) as fixtures: request
//! bodies pinned as snapshots, answers decoded and snapshotted.

use std::sync::Arc;

use crate::common::{DOC_PATH, TestCredential, doc_item};
use backup_azure::model::{CloudError, JobResource, OperationStatusResponse};
use backup_azure::operation::{from_job, from_operation_status};
use backup_azure::prelude::*;
use backup_azure::{
    AzureFileShareBackupRequest, AzureWorkloadBackupRequest, BackupRequestResource, BackupType,
    Client, OperationRef, TrackingRef, TriggerRequest,
};
use backup_core::testing::SingleOperation;
use serde_json::{Value, json};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The document's sample request body, verbatim.
const DOC_REQUEST_BODY: &str = r#"{
"properties": {
"objectType": "IaasVMBackupRequest"
}
}"#;

/// The document's sample request line, verbatim.
const DOC_REQUEST_URL: &str = "https://management.azure.com/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/linuxRsVaultRG/providers/Microsoft.RecoveryServices/vaults/linuxRsVault/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainerv2;testrg;v1win2012r/protectedItems/VM;iaasvmcontainerv2;testrg;v1win2012r/backup?api-version=2024-04-01";

/// The document's sample response headers, verbatim.
const DOC_LOCATION: &str = "https://management.azure.com/Subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/linuxRsVaultRG/providers/Microsoft.RecoveryServices/vaults/linuxRsVault/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainer;testrg;v1win2012r/protectedItems/VM;iaasvmcontainer;testrg;v1win2012r/operationResults/00000000-0000-0000-0000-000000000000?api-version=2016-12-01";
const DOC_ASYNC: &str = "https://management.azure.com/Subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/linuxRsVaultRG/providers/Microsoft.RecoveryServices/vaults/linuxRsVault/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainer;testrg;v1win2012r/protectedItems/VM;iaasvmcontainer;testrg;v1win2012r/operationsStatus/00000000-0000-0000-0000-000000000000?api-version=2016-12-01";
const DOC_RETRY_AFTER: &str = "60";

/// Sends `request` to a mock that answers the document's 202 (on the mock's own
/// address) and returns what was sent and the operation.
async fn exchange(request: &TriggerRequest) -> (Value, backup_azure::Operation, String) {
    let server = MockServer::start().await;
    let here = server.uri();
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(202)
                .insert_header(
                    "Location",
                    DOC_LOCATION.replace("https://management.azure.com", &here),
                )
                .insert_header(
                    "Azure-AsyncOperation",
                    DOC_ASYNC.replace("https://management.azure.com", &here),
                )
                .insert_header("Retry-After", DOC_RETRY_AFTER),
        )
        .mount(&server)
        .await;
    let client = Client::builder()
        .endpoint(&here)
        .token_credential(Arc::new(TestCredential::new()))
        .build()
        .unwrap();
    let operation = client.trigger(request).await.unwrap().single();
    let sent = &server.received_requests().await.unwrap()[0];
    let body: Value = serde_json::from_slice(&sent.body).unwrap();
    let line = format!(
        "{} https://management.azure.com{}?{}",
        sent.method,
        sent.url.path(),
        sent.url.query().unwrap_or_default()
    );
    (json!({"request": line, "body": body}), operation, here)
}

#[tokio::test]
async fn doc_example_request_is_sent_verbatim() {
    let (sent, _, _) = exchange(&TriggerRequest::azure_vm(doc_item())).await;
    let doc_body: Value = serde_json::from_str(DOC_REQUEST_BODY).unwrap();
    assert_eq!(sent["body"], doc_body);
    assert_eq!(sent["request"], format!("POST {DOC_REQUEST_URL}"));
    assert!(DOC_REQUEST_URL.contains(DOC_PATH));
    insta::assert_json_snapshot!("doc_example_request", sent);
}

#[tokio::test]
async fn doc_example_response_becomes_an_operation() {
    let (_, operation, here) = exchange(&TriggerRequest::azure_vm(doc_item())).await;
    let tracking = TrackingRef::from_reference(&operation.reference).unwrap();
    assert_eq!(
        tracking.async_operation.unwrap().as_str(),
        DOC_ASYNC.replace("https://management.azure.com", &here)
    );
    let mut value = serde_json::to_value(&operation).unwrap();
    let reference = value["reference"].as_str().unwrap().to_owned();
    // The mock's random port, encoded in the reference, is replaced by the document's host.
    let encoded_here: String = url::form_urlencoded::byte_serialize(here.as_bytes()).collect();
    let encoded_doc: String =
        url::form_urlencoded::byte_serialize(b"https://management.azure.com").collect();
    value["reference"] = json!(reference.replace(&encoded_here, &encoded_doc));
    value["poll_after"] = json!(operation.poll_after.map(|d| d.as_secs()));
    insta::assert_json_snapshot!("doc_example_operation", value);
    // The reference, printed with the document's URLs, parses back.
    let printed: OperationRef = value["reference"].as_str().unwrap().parse().unwrap();
    let parsed = TrackingRef::from_reference(&printed).unwrap();
    assert_eq!(parsed.async_operation.unwrap().as_str(), DOC_ASYNC);
    // The document's answer names both URLs; the async one is followed, so only it
    // is kept.
    assert_eq!(parsed.location, None);
}

#[tokio::test]
async fn every_request_kind_is_pinned() {
    let expiry = time::macros::datetime!(2030-01-02 03:04:05 UTC);
    let cases = [
        (
            "file_share_request",
            BackupRequestResource::new(AzureFileShareBackupRequest::new().expiry(expiry)),
        ),
        (
            "workload_request",
            BackupRequestResource::new(
                AzureWorkloadBackupRequest::new(BackupType::Log)
                    .compression(true)
                    .expiry(expiry),
            )
            .e_tag("etag-1")
            .location("westeurope")
            .tag("env", "prod"),
        ),
        (
            "vm_request_with_expiry",
            BackupRequestResource::new(backup_azure::IaasVmBackupRequest::new().expiry(expiry)),
        ),
    ];
    for (name, body) in cases {
        let (sent, _, _) = exchange(&TriggerRequest::new(doc_item(), body)).await;
        insta::assert_json_snapshot!(name, sent);
    }
}

#[test]
fn request_bodies_decode_back() {
    let body: BackupRequestResource = serde_json::from_str(DOC_REQUEST_BODY).unwrap();
    assert_eq!(
        body,
        BackupRequestResource::new(backup_azure::IaasVmBackupRequest::new())
    );
    let workload: BackupRequestResource = serde_json::from_value(json!({
        "properties": {"objectType": "AzureWorkloadBackupRequest", "backupType": "SnapshotFull"},
        "id": "x", "name": "y", "type": "z"
    }))
    .unwrap();
    insta::assert_debug_snapshot!("workload_request_decoded", workload);
}

fn reference() -> OperationRef {
    TrackingRef::new(Some(url::Url::parse(DOC_ASYNC).unwrap()), None)
        .unwrap()
        .to_reference()
}

#[test]
fn operation_status_answers_decode() {
    let answers = [
        json!({"id": "00000000-0000-0000-0000-000000000000", "name": "00000000-0000-0000-0000-000000000000",
               "status": "InProgress", "startTime": "2024-05-01T10:00:00.1234567Z"}),
        json!({"id": "00000000-0000-0000-0000-000000000000", "name": "00000000-0000-0000-0000-000000000000",
               "status": "Succeeded", "startTime": "2024-05-01T10:00:00Z", "endTime": "2024-05-01T10:00:08Z",
               "properties": {"objectType": "OperationStatusJobExtendedInfo", "jobId": "7cbc1ad1-7a5e-4d1b-9a8c-1d0e7a0b9f11"},
               "unknownField": true}),
        json!({"id": "00000000-0000-0000-0000-000000000000", "name": "00000000-0000-0000-0000-000000000000",
               "status": "Failed", "startTime": "2024-05-01T10:00:00Z", "endTime": "2024-05-01T10:00:02Z",
               "error": {"code": "UserErrorGuestAgentStatusUnavailableUserError", "message": "VM agent is unable to communicate with the Azure Backup Service."}}),
        json!({"status": "Canceled"}),
    ];
    let decoded: Vec<Value> = answers
        .iter()
        .map(|answer| {
            let parsed: OperationStatusResponse = serde_json::from_value(answer.clone()).unwrap();
            let operation = from_operation_status(reference(), &parsed);
            json!({
                "status": operation.status,
                "vendor_status": operation.vendor_status,
                "job_id": operation.job_id,
                "started_at": operation.started_at.map(backup_core::timefmt::format_rfc3339),
                "finished_at": operation.finished_at.map(backup_core::timefmt::format_rfc3339),
                "error": operation.error,
            })
        })
        .collect();
    insta::assert_json_snapshot!("operation_status_answers", decoded);
}

#[test]
fn job_answers_decode() {
    let answer = json!({
        "id": "/Subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/linuxRsVaultRG/providers/Microsoft.RecoveryServices/vaults/linuxRsVault/backupJobs/7cbc1ad1-7a5e-4d1b-9a8c-1d0e7a0b9f11",
        "name": "7cbc1ad1-7a5e-4d1b-9a8c-1d0e7a0b9f11",
        "type": "Microsoft.RecoveryServices/vaults/backupJobs",
        "properties": {
            "jobType": "AzureIaaSVMJob",
            "duration": "PT2M3.5S",
            "actionsInfo": [],
            "virtualMachineVersion": "Compute",
            "entityFriendlyName": "v1win2012r",
            "backupManagementType": "AzureIaasVM",
            "operation": "Backup",
            "status": "Failed",
            "startTime": "2024-05-01T10:00:10Z",
            "endTime": "2024-05-01T10:02:13.5Z",
            "activityId": "3f0b1c2d-0000-0000-0000-000000000000",
            "errorDetails": [{"errorCode": 400259, "errorString": "The VM is not running.", "errorTitle": "", "recommendations": ["Start the VM."]}],
            "extendedInfo": {"tasksList": [{"taskId": "Take Snapshot", "duration": "PT1M", "status": "Failed"}],
                             "propertyBag": {"VM Name": "v1win2012r"}, "progressPercentage": 30.0}
        }
    });
    let parsed: JobResource = serde_json::from_value(answer).unwrap();
    insta::assert_debug_snapshot!("job_resource_decoded", parsed);
    let operation = from_job(reference(), &parsed, "7cbc1ad1-7a5e-4d1b-9a8c-1d0e7a0b9f11");
    insta::assert_json_snapshot!(
        "job_operation",
        json!({
            "status": operation.status,
            "vendor_status": operation.vendor_status,
            "job_id": operation.job_id,
            "progress": operation.progress,
            "message": operation.message,
            "error": operation.error,
        })
    );
}

#[test]
fn cloud_error_decodes() {
    let body: CloudError = serde_json::from_value(json!({"error": {
        "code": "UserErrorBackupOperationInProgress",
        "message": "Unable to perform the operation as another backup operation is currently in progress.",
        "target": null,
        "details": [{"code": "Inner", "message": "inner message", "details": [], "additionalInfo": []}],
        "additionalInfo": [{"type": "Info", "info": {"k": "v"}}]
    }}))
    .unwrap();
    insta::assert_debug_snapshot!("cloud_error_decoded", body);
}
