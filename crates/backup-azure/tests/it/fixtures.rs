//! The vendor document's examples (and the notes' answer shapes) as fixtures: request
//! bodies pinned as snapshots, answers decoded and snapshotted.

use std::sync::Arc;

use crate::common::{DOC_PATH, TestCredential, doc_item};
use backup_azure::model::{
    CloudError, JobResource, JobResourceList, OperationStatusResponse, RecoveryPointResourceList,
};
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

/// A fixture of `tests/fixtures/` (see its README for each one's source).
fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn job_reference() -> OperationRef {
    TrackingRef::new(Some(url::Url::parse(DOC_ASYNC).unwrap()), None)
        .unwrap()
        .with_job_id(Some("j".into()))
        .to_reference()
}

/// What an operation reports, for the snapshots.
fn reported(operation: &backup_azure::Operation) -> Value {
    json!({
        "status": operation.status,
        "vendor_status": operation.vendor_status,
        "job_id": operation.job_id,
        "started_at": operation.started_at.map(backup_core::timefmt::format_rfc3339),
        "finished_at": operation.finished_at.map(backup_core::timefmt::format_rfc3339),
        "duration_s": operation.duration.map(|d| d.as_secs_f64()),
        "size_bytes": operation.size_bytes,
        "progress": operation.progress,
        "error": operation.error,
        "warnings": operation.warnings,
    })
}

/// Microsoft's documents write a job's `duration` three ways, and a completed job's size
/// in its property bag: each is read (issue 15).
#[test]
fn documented_jobs_report_duration_and_size() {
    let cases = [
        "job-in-progress.get-job-details.json",
        "job-completed.track-jobs.json",
        "job-restore-in-progress.file-share-restore.json",
    ];
    let mut seen = serde_json::Map::new();
    for name in cases {
        let parsed: JobResource = serde_json::from_value(fixture(name))
            .unwrap_or_else(|e| panic!("{name} does not decode: {e}"));
        let operation = from_job(job_reference(), &parsed, "j");
        seen.insert(name.to_owned(), reported(&operation));
    }
    let in_progress = &seen["job-in-progress.get-job-details.json"];
    assert_eq!(in_progress["duration_s"], json!(9.8782791));
    assert_eq!(in_progress["finished_at"], Value::Null);
    let completed = &seen["job-completed.track-jobs.json"];
    assert_eq!(completed["status"], "succeeded");
    assert_eq!(completed["duration_s"], json!(1223.0896697));
    assert_eq!(completed["size_bytes"], json!(2332_u64 * 1024 * 1024));
    assert_eq!(completed["finished_at"], "2018-05-21T08:56:04.0385664Z");
    let restore = &seen["job-restore-in-progress.file-share-restore.json"];
    assert_eq!(restore["duration_s"], json!(1.863098));
    assert_eq!(restore["finished_at"], Value::Null);
    assert_eq!(restore["started_at"], "2020-02-05T07:43:47.144961Z");
    insta::assert_json_snapshot!("documented_jobs", seen);
}

/// ARM's "not ended yet" (`0001-01-01T00:00:00Z`) is no end time (issue 15); the status
/// spelled `Inprogress` is `InProgress`.
#[test]
fn an_operation_not_ended_has_no_end_time() {
    let parsed: OperationStatusResponse =
        serde_json::from_value(fixture("operation-in-progress.postgresql-restore.json")).unwrap();
    let operation = from_operation_status(reference(), &parsed);
    assert_eq!(operation.status, backup_azure::OperationStatus::Running);
    assert_eq!(operation.finished_at, None);
    assert_eq!(
        operation.started_at,
        Some(time::macros::datetime!(2021-10-22 20:22:41.0305623 UTC))
    );
    let done: OperationStatusResponse =
        serde_json::from_value(fixture("operation-succeeded.vm-backup.json")).unwrap();
    let operation = from_operation_status(reference(), &done);
    assert_eq!(
        operation.job_id.as_deref(),
        Some("7ddead57-bcb9-4269-ac31-6a1b57588700")
    );
    assert!(operation.finished_at.is_some());
}

#[test]
fn documented_job_lists_decode() {
    let filtered: JobResourceList =
        serde_json::from_value(fixture("jobs-list.list-jobs-with-filters.json")).unwrap();
    assert_eq!(filtered.value.len(), 1);
    assert_eq!(filtered.next_link, None);
    let listed: JobResourceList =
        serde_json::from_value(fixture("jobs-list.list-jobs.json")).unwrap();
    let operations: Vec<(Option<String>, Option<String>)> = listed
        .value
        .iter()
        .map(|job| {
            let job = job.properties.clone().unwrap_or_default();
            (job.operation, job.status.map(|s| s.as_str().to_owned()))
        })
        .collect();
    assert_eq!(
        operations,
        [
            (Some("Backup".into()), Some("InProgress".into())),
            (Some("ConfigureBackup".into()), Some("Completed".into()))
        ]
    );
}

#[test]
fn documented_recovery_points_decode() {
    let vm: RecoveryPointResourceList =
        serde_json::from_value(fixture("recovery-points.vm.json")).unwrap();
    let files: RecoveryPointResourceList =
        serde_json::from_value(fixture("recovery-points.file-share-restore.json")).unwrap();
    let summary: Vec<Value> = vm
        .value
        .iter()
        .chain(&files.value)
        .map(|point| {
            let properties = point.properties.clone().unwrap_or_default();
            json!({
                "name": point.name,
                "time": properties.time().and_then(backup_core::timefmt::parse_rfc3339)
                    .map(backup_core::timefmt::format_rfc3339),
                "type": properties.recovery_point_type,
                "size_gb": properties.recovery_point_size_in_gb,
            })
        })
        .collect();
    assert_eq!(summary[0]["name"], "22244821112382");
    assert_eq!(summary[2]["size_gb"], 1);
    assert_eq!(summary[2]["time"], "2020-02-04T08:01:35Z");
    insta::assert_json_snapshot!("documented_recovery_points", summary);
}

/// The VM backup tutorial's trigger was sent with `x-ms-client-request-id:
/// 7df8e874-1d66-4f81-8e91-da2fe054811d`, and the "track jobs" page shows its job with
/// that `activityId`: a lost answer of that trigger is found in the job list, and the
/// trigger is not sent again.
#[tokio::test]
async fn a_lost_trigger_is_found_by_the_documented_activity_id() {
    use wiremock::matchers::{path, query_param};
    let server = MockServer::start().await;
    let mut job = fixture("job-completed.track-jobs.json");
    // The tutorial's job is in another vault; here it is listed in the document's.
    job["id"] = json!(format!(
        "{}/backupJobs/7ddead57-bcb9-4269-ac31-6a1b57588700",
        crate::common::DOC_VAULT
    ));
    Mock::given(method("GET"))
        .and(path(format!("{}/backupJobs", crate::common::DOC_VAULT)))
        .and(query_param("api-version", "2024-04-01"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "value": [job] })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    let client = Client::builder()
        .endpoint(&server.uri())
        .token_credential(Arc::new(TestCredential::new()))
        .build()
        .unwrap();
    let request = TriggerRequest::azure_vm(doc_item())
        .client_request_id("7df8e874-1d66-4f81-8e91-da2fe054811d");
    let recovered = client.recover_trigger(&request).await.unwrap();
    let backup_core::contract::Recovered::Operations(operations) = recovered else {
        panic!("not found: {recovered:?}");
    };
    let operation = operations.single();
    assert_eq!(
        operation.job_id.as_deref(),
        Some("7ddead57-bcb9-4269-ac31-6a1b57588700")
    );
    assert_eq!(operation.status, backup_azure::OperationStatus::Succeeded);
    assert_eq!(operation.size_bytes, Some(2332 * 1024 * 1024));
    assert!(
        operation
            .message
            .as_deref()
            .is_some_and(|m| m.contains("activityId")),
        "{:?}",
        operation.message
    );
    let tracking = TrackingRef::from_reference(&operation.reference).unwrap();
    assert_eq!(
        tracking.item.map(String::from),
        Some(format!(
            "{}{}",
            server.uri(),
            DOC_PATH.trim_end_matches("/backup")
        ))
    );
}

/// A failed job's first `errorDetails` entry is its error; the rest and every
/// recommendation are kept as warnings (issue 15).
#[test]
fn job_error_details_become_the_error_and_warnings() {
    let answer: JobResource = serde_json::from_value(json!({
        "name": "j",
        "properties": {
            "status": "Failed",
            "errorDetails": [
                {"errorCode": 400259, "errorString": "The VM is not running.", "recommendations": ["Start the VM."]},
                {"errorCode": "UserErrorSecondary", "errorMessage": "Something else.", "recommendations": null}
            ]
        }
    }))
    .unwrap();
    let operation = from_job(job_reference(), &answer, "j");
    let error = operation.error.clone().unwrap();
    assert_eq!(error.code.as_deref(), Some("400259"));
    assert_eq!(error.message, "The VM is not running.");
    assert_eq!(
        operation.warnings,
        [
            "recommendation: Start the VM.",
            "UserErrorSecondary: Something else."
        ]
    );
}
