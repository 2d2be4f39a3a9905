//! The vendor document's examples (and the notes' variants) as fixtures: request bodies
//! pinned, responses decoded and snapshotted.

use backup_core::ApiErrorKind;
use backup_core::transport::{ErrorDecoder, Response};
use backup_yandex::model::{
    BackupType, ExecuteMetadata, IamTokenResponse, ListBackupsResponse, MetadataTokenResponse,
    Operation, Status,
};
use backup_yandex::operation::{PRODUCED_BACKUP, find_backup, to_operation, with_backup};
use backup_yandex::{ApiErrors, OperationStatus, ServiceAccountKey, TriggerRequest, VENDOR};
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

/// `error-unauthenticated.json`: the REST error example of Yandex's API design guide,
/// "Handling errors" (yandex-cloud/docs `en/_includes/errors-handling.md` at
/// 2116527bac415aae6447375134cce5c0b1b3828d, included by
/// `en/api-design-guide/concepts/errors.md`; <https://yandex.cloud/en/docs/api-design-guide/concepts/errors>),
/// answered with 401 as its table maps code 16. The gRPC code and the `RequestInfo`
/// request id reach the `ApiError` the transport builds its `Error::Auth` from.
#[test]
fn error_unauthenticated_keeps_code_and_request_id() {
    let body = fixture("error-unauthenticated.json");
    let status: Status = serde_json::from_str(&body).unwrap();
    assert_eq!(status.code.name(), "UNAUTHENTICATED");
    assert_eq!(status.code.http_status(), 401);
    let response = Response::from_parts(
        VENDOR,
        http::StatusCode::UNAUTHORIZED,
        http::HeaderMap::new(),
        body,
    );
    let api = ApiErrors.decode_error(&response);
    assert_eq!(api.status, 401);
    assert_eq!(api.kind, ApiErrorKind::Unauthorized);
    assert_eq!(api.code.as_deref(), Some("UNAUTHENTICATED"));
    assert_eq!(
        api.request_id.as_deref(),
        Some("e38e71c3-adc6-4584-98a4-b0f103d55f61")
    );
    assert_eq!(api.message, "Token is invalid or has expired.");
}

/// `operation-failed-request-info.json`: an Operation (fields of the design guide's
/// "Operation object", yandex-cloud/docs `en/api-design-guide/concepts/operation.md` at
/// 1744d5315bbca1742dcfb086345a205f349ebfe8) whose `error` is the guide's `Status`
/// ("Handling asynchronous errors": the `Status` message is added to the Operation in
/// `error`) with its `RequestInfo` detail, and an `ErrorInfo` (google.rpc
/// `error_details.proto`). The request id is read from the detail; the other detail is
/// kept as a warning.
#[test]
fn operation_error_keeps_its_request_id_and_details() {
    let op = operation("operation-failed-request-info.json");
    let error = op.error.as_ref().unwrap();
    assert_eq!(
        error.request_id(),
        Some("e38e71c3-adc6-4584-98a4-b0f103d55f61")
    );
    let mapped = to_operation(&op, None);
    assert_eq!(mapped.status, OperationStatus::Failed);
    let vendor = mapped.error.as_ref().unwrap();
    assert_eq!(vendor.code.as_deref(), Some("INTERNAL"));
    assert_eq!(vendor.message, "Backup agent lost connection");
    assert_eq!(
        vendor.request_id.as_deref(),
        Some("e38e71c3-adc6-4584-98a4-b0f103d55f61")
    );
    let failed = backup_core::Error::OperationFailed(Box::new(mapped.clone()));
    assert_eq!(
        failed.request_id(),
        Some("e38e71c3-adc6-4584-98a4-b0f103d55f61")
    );
    assert_eq!(
        mapped.warnings,
        [r#"ErrorInfo: {"domain":"backup.api.cloud.yandex.net","reason":"AGENT_UNAVAILABLE"}"#]
    );
    assert_eq!(mapped.duration(), Some(std::time::Duration::from_secs(546)));
    insta::assert_json_snapshot!("operation_failed_request_info", mapped);
}

/// `backup-list-response.json`: the response example of the REST reference
/// `Backup.list` (yandex-cloud/docs `en/backup/backup/api-ref/Backup/list.md` at
/// cd69a6868a61b81614bfb80f94eedb15ab11e18d;
/// <https://yandex.cloud/en/docs/backup/backup/api-ref/Backup/list>), its type
/// placeholders filled with values of the documented types (`int64` as strings), for the
/// instance and policy of `operation-done.json`: the backup that operation made, and an
/// older one of the same archive.
#[test]
fn backup_list_example() {
    let list: ListBackupsResponse =
        serde_json::from_str(&fixture("backup-list-response.json")).unwrap();
    assert_eq!(list.backups.len(), 2);
    let newest = &list.backups[0];
    assert_eq!(newest.size_bytes(), Some(1_649_267_441));
    assert_eq!(newest.original_data_size, Some(10_737_418_240));
    assert_eq!(newest.backup_type, Some(BackupType::Incremental));
    assert_eq!(newest.disks[0].volumes[0].mount_strid.as_deref(), Some("/"));
    insta::assert_json_snapshot!("backup_list_model", list);

    let op = operation("operation-done.json");
    let found = find_backup(&op, &list.backups);
    assert!(found.warnings.is_empty(), "{:?}", found.warnings);
    assert_eq!(
        found.backup.map(|b| b.id.as_str()),
        Some("6a0b2f1c-3d4e-4f50-8a61-7b8c9d0e1f23")
    );
    let done = with_backup(to_operation(&op, None), &found);
    assert_eq!(done.produced.len(), 1);
    assert_eq!(done.produced[0].kind, PRODUCED_BACKUP);
    assert_eq!(done.size_bytes, Some(1_649_267_441));
    insta::assert_json_snapshot!("operation_done_with_backup", done);
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
