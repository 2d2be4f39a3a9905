//! The vendor document's examples (and the notes' variants) as fixtures: request bodies
//! pinned, responses decoded and snapshotted.

use backup_yandex::model::{
    ExecuteMetadata, IamTokenResponse, MetadataTokenResponse, Operation, Status,
};
use backup_yandex::operation::to_operation;
use backup_yandex::{OperationStatus, ServiceAccountKey, TriggerRequest};
use secrecy::ExposeSecret;

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn operation(name: &str) -> Operation {
    serde_json::from_str(&fixture(name)).unwrap()
}

#[test]
fn execute_request_body() {
    // The document's body: {"computeInstanceId": "string"}.
    let request = TriggerRequest::new("policyId", "string");
    insta::assert_json_snapshot!("execute_request_body", request.body());
}

#[test]
fn execute_response() {
    let op = operation("execute-response.json");
    insta::assert_json_snapshot!("execute_response_model", op);
    insta::assert_json_snapshot!("execute_response_operation", to_operation(&op, None));
}

#[test]
fn operation_with_numeric_progress_and_unknown_field() {
    let op = operation("operation-progress-number.json");
    assert_eq!(
        op.metadata.as_ref().and_then(|m| m.progress_percentage),
        Some(42.5)
    );
    insta::assert_json_snapshot!("operation_progress_number", to_operation(&op, None));
}

#[test]
fn operation_rolling_back() {
    let op = operation("operation-rolling-back.json");
    let mapped = to_operation(&op, None);
    assert_eq!(mapped.status, OperationStatus::Running);
    insta::assert_json_snapshot!("operation_rolling_back", mapped);
}

#[test]
fn operation_done() {
    let op = operation("operation-done.json");
    insta::assert_json_snapshot!("operation_done_model", op);
    insta::assert_json_snapshot!("operation_done", to_operation(&op, None));
}

#[test]
fn operation_cancelled() {
    let op = operation("operation-cancelled.json");
    let error = op.error.as_ref().unwrap();
    assert_eq!(
        error.request_id(),
        Some("4f8a0c9e-1b2d-4e6f-8a9b-0c1d2e3f4a5b")
    );
    insta::assert_json_snapshot!("operation_cancelled", to_operation(&op, None));
}

#[test]
fn error_body() {
    let status: Status = serde_json::from_str(&fixture("error-failed-precondition.json")).unwrap();
    assert_eq!(
        status.request_id(),
        Some("9b1e2f5a-8d7c-4e40-0b6f-3c2e7d1a4c39")
    );
    assert_eq!(status.code.name(), "FAILED_PRECONDITION");
    assert_eq!(status.code.http_status(), 400);
    insta::assert_json_snapshot!("error_failed_precondition", status);
}

#[test]
fn metadata_alone() {
    let metadata: ExecuteMetadata = serde_json::from_str(
        r#"{"policyId":"p","computeInstanceId":"i","progressPercentage":"7.5"}"#,
    )
    .unwrap();
    assert_eq!(metadata.progress_percentage, Some(7.5));
    assert_eq!(metadata.type_url, None);
}

#[test]
fn token_answers() {
    let iam: IamTokenResponse = serde_json::from_str(&fixture("iam-token-response.json")).unwrap();
    assert_eq!(iam.iam_token.expose_secret(), "t1.fixture-iam-token");
    assert_eq!(
        iam.expires_at.as_deref(),
        Some("2024-03-18T21:12:34.567890Z")
    );
    let vm: MetadataTokenResponse =
        serde_json::from_str(&fixture("metadata-token-response.json")).unwrap();
    assert_eq!(vm.access_token.expose_secret(), "t1.fixture-vm-token");
    assert_eq!(vm.expires_in, Some(42_299));
    assert_eq!(vm.token_type.as_deref(), Some("Bearer"));
}

#[test]
fn key_files_with_and_without_the_please_line() {
    let with_line = backup_yandex_demo_key();
    assert!(with_line.contains("PLEASE DO NOT REMOVE THIS LINE!"));
    let key = ServiceAccountKey::from_json(&with_line).unwrap();
    assert_eq!(key.id(), "ajeemulatorkey000001");
    assert_eq!(key.service_account_id(), "ajeemulatorsa0000001");
    let without_line = fixture("unregistered-key.json");
    assert!(!without_line.contains("PLEASE"));
    let key = ServiceAccountKey::from_json(&without_line).unwrap();
    assert_eq!(key.id(), "ajeotherkey000000002");
}

fn backup_yandex_demo_key() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/emulator/demo-key.json"
    ))
    .unwrap()
}
