//! Answers in the documented syntax (see `tests/fixtures/README.md`): request bodies
//! pinned, answers decoded and snapshotted, every member read.

use backup_aws::model::{
    BackupJob, BackupJobState, ErrorBody, Index, Lifecycle, ListBackupJobsOutput,
    StartBackupJobOutput,
};
use backup_aws::operation::{child_item, started, to_operation};
use backup_aws::{ApiErrors, OperationStatus, TriggerRequest};
use backup_core::ApiErrorKind;
use backup_core::transport::{ErrorDecoder, Response};

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn job(name: &str) -> BackupJob {
    serde_json::from_str(&fixture(name)).unwrap()
}

#[test]
fn start_backup_job_body_has_every_member() {
    let mut request = TriggerRequest::new(
        "aBackupVault",
        "arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0",
        "arn:aws:iam::123456789012:role/S3Access",
    )
    .start_window_minutes(60)
    .complete_window_minutes(10_080)
    .lifecycle(Lifecycle {
        move_to_cold_storage_after_days: Some(30),
        delete_after_days: Some(365),
        opt_in_to_archive_for_supported_resources: Some(true),
        delete_after_event: None,
    })
    .tag("team", "storage")
    .backup_option("WindowsVSS", "enabled");
    request.index = Some(Index::Enabled);
    request.logically_air_gapped_backup_vault_arn =
        Some("arn:aws:backup:us-east-1:123456789012:backup-vault:airgapped".into());
    request.validate().unwrap();
    insta::assert_json_snapshot!(
        "start_backup_job_body",
        request.body("7d0f6c7e-5d7b-4c3a-9f1e-0b8a6c5d4e3f")
    );
    // Only the required members and the token when nothing else is set.
    let plain = TriggerRequest::new("v1", "arn:aws:s3:::bucket", "arn:aws:iam::1:role/r");
    assert_eq!(
        serde_json::to_value(plain.body("t")).unwrap(),
        serde_json::json!({
            "BackupVaultName": "v1",
            "ResourceArn": "arn:aws:s3:::bucket",
            "IamRoleArn": "arn:aws:iam::1:role/r",
            "IdempotencyToken": "t"
        })
    );
}

#[test]
fn start_backup_job_response() {
    let output: StartBackupJobOutput =
        serde_json::from_str(&fixture("start-backup-job-response.json")).unwrap();
    assert_eq!(
        output
            .creation_date
            .map(time::OffsetDateTime::unix_timestamp),
        Some(1_516_925_490)
    );
    let operation = started(
        "us-east-1",
        output.backup_job_id.as_deref().unwrap(),
        &output,
    );
    assert_eq!(operation.status, OperationStatus::Pending);
    assert_eq!(operation.produced.len(), 1);
    insta::assert_json_snapshot!("start_backup_job_operation", operation);
}

#[test]
fn describe_running() {
    let running = job("describe-running.json");
    assert_eq!(running.percent(), Some(42.0));
    let operation = to_operation(
        "us-east-1",
        "7BA8D5F3-9B6E-4D4C-B5D2-8B1D5D0E7A11",
        &running,
    );
    assert_eq!(operation.status, OperationStatus::Running);
    assert_eq!(
        operation.message.as_deref(),
        Some("expected to complete at 2018-01-26T01:11:30.087Z")
    );
    insta::assert_json_snapshot!("describe_running_operation", operation);
}

#[test]
fn describe_completed_reads_every_member() {
    let completed = job("describe-completed.json");
    insta::assert_json_snapshot!("describe_completed_model", completed);
    let operation = to_operation(
        "us-east-1",
        "7BA8D5F3-9B6E-4D4C-B5D2-8B1D5D0E7A11",
        &completed,
    );
    assert_eq!(operation.status, OperationStatus::Succeeded);
    assert_eq!(operation.size_bytes, Some(1_073_741_824));
    assert_eq!(
        operation.duration(),
        Some(std::time::Duration::from_millis(1_800_413))
    );
    insta::assert_json_snapshot!("describe_completed_operation", operation);
    // Every member of the answer is kept: the model writes the fixture back whole.
    let written = serde_json::to_value(&completed).unwrap();
    let original: serde_json::Value =
        serde_json::from_str(&fixture("describe-completed.json")).unwrap();
    for member in original.as_object().unwrap().keys() {
        assert!(written.get(member).is_some(), "{member} was dropped");
    }
}

#[test]
fn describe_failed_expired_and_aborted() {
    for (name, status, code) in [
        (
            "describe-failed.json",
            OperationStatus::Failed,
            "AccessDenied",
        ),
        ("describe-expired.json", OperationStatus::Failed, "EXPIRED"),
        (
            "describe-aborted.json",
            OperationStatus::Cancelled,
            "ABORTED",
        ),
    ] {
        let operation = to_operation("us-east-1", "j", &job(name));
        assert_eq!(operation.status, status, "{name}");
        let error = operation.error.clone().unwrap();
        assert_eq!(error.code.as_deref(), Some(code), "{name}");
        insta::assert_json_snapshot!(name.trim_end_matches(".json").replace('-', "_"), operation);
    }
}

#[test]
fn describe_parent_partial() {
    let parent = job("describe-parent-partial.json");
    assert!(parent.is_parent);
    assert_eq!(parent.children_in(&BackupJobState::Failed), 1);
    let operation = to_operation("us-east-1", "5F4E3D2C-1B0A-4F9E-8D7C-6B5A4F3E2D1C", &parent);
    assert_eq!(operation.status, OperationStatus::SucceededWithWarnings);
    assert_eq!(operation.warnings, ["1 of 3 child jobs FAILED"]);
    insta::assert_json_snapshot!("describe_parent_partial", operation);
}

#[test]
fn describe_lenient() {
    let odd = job("describe-lenient.json");
    assert_eq!(odd.state, Some(BackupJobState::Other("ARCHIVING".into())));
    assert_eq!(odd.backup_size_in_bytes, Some(2048));
    assert_eq!(odd.percent_done.as_deref(), Some("57.5"));
    assert!(!odd.is_parent);
    assert_eq!(
        odd.child_jobs_in_state
            .as_ref()
            .map(std::collections::BTreeMap::len),
        Some(1),
        "a count that is no number is left out"
    );
    let operation = to_operation("us-east-1", "j", &odd);
    // An unknown state with a completion date has ended, and not known well.
    assert_eq!(operation.status, OperationStatus::Failed);
    assert_eq!(operation.vendor_status.as_deref(), Some("ARCHIVING"));
    insta::assert_json_snapshot!("describe_lenient", operation);
}

#[test]
fn list_child_jobs() {
    let list: ListBackupJobsOutput =
        serde_json::from_str(&fixture("list-child-jobs.json")).unwrap();
    assert_eq!(list.backup_jobs.len(), 2);
    assert!(list.next_token.is_some());
    let items: Vec<_> = list.backup_jobs.iter().map(child_item).collect();
    assert_eq!(items[0].status, OperationStatus::Succeeded);
    assert_eq!(items[1].status, OperationStatus::Failed);
    insta::assert_json_snapshot!("list_child_jobs_items", items);
}

#[test]
fn error_bodies() {
    let body: ErrorBody = serde_json::from_str(&fixture("error-resource-not-found.json")).unwrap();
    assert_eq!(body.code.as_deref(), Some("ResourceNotFoundException"));
    assert_eq!(body.kind.as_deref(), Some("User"));
    let mut headers = http::HeaderMap::new();
    headers.insert(
        "x-amzn-requestid",
        http::HeaderValue::from_static("c8d3c9f0-4a2b-11e8-9c2d-fa7ae01bbebc"),
    );
    let mut response = Response::from_parts(
        backup_aws::VENDOR,
        http::StatusCode::BAD_REQUEST,
        headers,
        fixture("error-resource-not-found.json"),
    );
    response.request_id = Some("c8d3c9f0-4a2b-11e8-9c2d-fa7ae01bbebc".into());
    let api = ApiErrors.decode_error(&response);
    assert_eq!(api.kind, ApiErrorKind::NotFound);
    insta::assert_debug_snapshot!("error_resource_not_found", api);
    let throttled = Response::from_parts(
        backup_aws::VENDOR,
        http::StatusCode::BAD_REQUEST,
        http::HeaderMap::new(),
        fixture("error-throttling.json"),
    );
    let api = ApiErrors.decode_error(&throttled);
    assert_eq!(
        (api.kind, api.code.as_deref()),
        (ApiErrorKind::Throttled, Some("ThrottlingException"))
    );
    assert_eq!(api.message, "Rate exceeded");
}
