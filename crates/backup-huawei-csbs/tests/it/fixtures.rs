//! Every example of the vendor's document as a fixture: the request body pinned, the
//! response (as published, broken `extra_info` included) decoded and snapshotted; the
//! item answers shaped as the notes describe them; and the answers of huaweicloud's
//! golangsdk test fixtures and of CSBS's API reference (sources in
//! `tests/fixtures/README.md`).

use backup_core::operation::{OperationItem, Produced};
use backup_core::{Operation, OperationRef, OperationStatus};
use backup_huawei_csbs::model::{
    CheckpointItem, CheckpointItemList, CheckpointItemResponse, CreateCheckpointResponse,
    decode_create_response,
};
use backup_huawei_csbs::{IamPassword, TriggerRequest, operation};

const REQUEST: &str = include_str!("../fixtures/create-checkpoint-request.json");
const RESPONSE: &str = include_str!("../fixtures/create-checkpoint-response.txt");
const ITEMS: &str = include_str!("../fixtures/checkpoint-items.json");
const ITEM_ERROR: &str = include_str!("../fixtures/checkpoint-item-error.json");
/// huaweicloud/golangsdk `openstack/csbs/v1/backup/testing/fixtures.go` (`getResponse`).
const GOLANGSDK_ITEM: &str = include_str!("../fixtures/golangsdk-checkpoint-item-get.json");
/// The same file's `listResponse`.
const GOLANGSDK_LIST: &str = include_str!("../fixtures/golangsdk-checkpoint-items-list.json");
/// The same file's `createResponse`.
const GOLANGSDK_CREATE: &str =
    include_str!("../fixtures/golangsdk-create-checkpoint-response.json");
/// CSBS API reference, "Querying a Single Backup", example response.
const API_REFERENCE_ITEM: &str =
    include_str!("../fixtures/api-reference-querying-a-single-backup.json");

const MIB: u64 = 1024 * 1024;

#[test]
fn example_request_body_is_reproduced() {
    let request = TriggerRequest::new("62171999-3df1-42f7-9513-6f9b1bea4744").resources([
        "7a32a8b5-7977-4e24-b5da-e0eb457db75b",
        "b2b433bf-7dd6-4a74-aa8f-85673dfbda48",
    ]);
    let body = serde_json::to_value(request.body()).unwrap();
    let documented: serde_json::Value = serde_json::from_str(REQUEST).unwrap();
    assert_eq!(body, documented);
    insta::assert_snapshot!(
        "create_checkpoint_request_body",
        serde_json::to_string(&request.body()).unwrap()
    );
}

#[test]
fn minimal_request_body_is_pinned() {
    insta::assert_snapshot!(
        "create_checkpoint_request_minimal",
        serde_json::to_string(&TriggerRequest::new("plan").auto_trigger(None).body()).unwrap()
    );
}

#[test]
fn example_response_as_published_is_not_json_but_decodes() {
    assert!(
        serde_json::from_str::<serde_json::Value>(RESPONSE).is_err(),
        "the document's example is invalid JSON as a whole"
    );
    assert!(serde_json::from_str::<CreateCheckpointResponse>(RESPONSE).is_err());
    let decoded = decode_create_response(RESPONSE.as_bytes()).unwrap();
    insta::assert_debug_snapshot!("create_checkpoint_response_example", decoded);

    let extra = decoded.checkpoint.extra_info.as_ref().unwrap();
    assert_eq!(extra.raw, r#"{"created_by": "manual"}"#);
    assert_eq!(extra.get_str("created_by"), Some("manual"));
    assert_eq!(decoded.checkpoint.resource_graph, None);
    let op = operation::from_checkpoint(
        operation::reference("b942cc8342734d15bcb246babb1953cf", &decoded.checkpoint.id),
        &decoded.checkpoint,
    );
    assert_eq!(op.status, OperationStatus::Running);
    insta::assert_json_snapshot!("create_checkpoint_response_operation", op);
}

#[test]
fn extra_info_and_resource_graph_forms_never_fail() {
    let variants = [
        ("absent", r#"{"checkpoint": {"id": "c"}}"#),
        (
            "null",
            r#"{"checkpoint": {"id": "c", "extra_info": null, "resource_graph": null}}"#,
        ),
        (
            "json-encoded string",
            r#"{"checkpoint": {"id": "c", "extra_info": "{\"created_by\": \"manual\"}", "resource_graph": "{\"servers\": [\"s1\"]}"}}"#,
        ),
        (
            "broken encoded string",
            r#"{"checkpoint": {"id": "c", "extra_info": "{\"created_by\": \"man"}}"#,
        ),
        (
            "object",
            r#"{"checkpoint": {"id": "c", "extra_info": {"created_by": "manual"}}}"#,
        ),
        (
            "unescaped object (the document's quirk)",
            r#"{"checkpoint": {"id": "c", "extra_info": "{"created_by": "manual"}", "resource_graph": "[{"a": 1}]"}}"#,
        ),
        (
            "unknown fields and status",
            r#"{"checkpoint": {"id": "c", "status": "frozen", "new_field": [1, 2], "protection_plan": {"resources": [{"id": 7}]}}}"#,
        ),
    ];
    let decoded: Vec<(&str, _)> = variants
        .iter()
        .map(|(name, body)| {
            let response =
                decode_create_response(body.as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"));
            (*name, response.checkpoint)
        })
        .collect();
    insta::assert_debug_snapshot!("extra_info_forms", decoded);
}

#[test]
fn item_list_decodes_and_sums_up() {
    let list: CheckpointItemList = serde_json::from_str(ITEMS).unwrap();
    insta::assert_debug_snapshot!("checkpoint_items_list", list);
    let reference = OperationRef::new(
        "huawei-csbs",
        "b942cc8342734d15bcb246babb1953cf/14626f11-b54a-44ea-8e69-7463e527506a",
    );
    let op = operation::from_items(reference, &list.checkpoint_items);
    assert_eq!(op.status, OperationStatus::Running);
    assert_eq!(op.progress, Some(70.0));
    insta::assert_json_snapshot!("checkpoint_items_operation", op);
}

#[test]
fn failed_item_decodes_and_fails_the_operation() {
    let response: CheckpointItemResponse = serde_json::from_str(ITEM_ERROR).unwrap();
    insta::assert_debug_snapshot!("checkpoint_item_error", response);
    let list: CheckpointItemList = serde_json::from_str(ITEMS).unwrap();
    let items = vec![list.checkpoint_items[0].clone(), response.checkpoint_item];
    let op = operation::from_items(OperationRef::new("huawei-csbs", "p/c"), &items);
    assert_eq!(op.status, OperationStatus::Failed);
    insta::assert_json_snapshot!("checkpoint_failed_operation", op);
}

#[test]
fn iam_token_request_body_is_pinned() {
    let body = IamPassword::new("alice", "alice-password", "acme")
        .token_request("b942cc8342734d15bcb246babb1953cf");
    insta::assert_json_snapshot!("iam_token_request_body", body);
}

#[test]
fn csbs_error_body_decodes_to_a_conflict() {
    use backup_core::transport::ErrorDecoder as _;
    let response = backup_core::Response::from_parts(
        backup_huawei_csbs::VENDOR,
        http::StatusCode::INTERNAL_SERVER_ERROR,
        http::HeaderMap::new(),
        include_str!("../fixtures/error-csbs-1001.json"),
    );
    let api = backup_huawei_csbs::ApiErrors.decode_error(&response);
    assert_eq!(api.kind, backup_core::ApiErrorKind::Conflict);
    insta::assert_debug_snapshot!("error_csbs_1001", api);
}

// ------------------------------------------- golangsdk and API reference answers

fn golangsdk_reference() -> OperationRef {
    operation::reference(
        "91d687759aed45d28b5f6084bc2fa8ad",
        "2eefe592-8424-4778-8d0d-962c8a5dd6a4",
    )
}

#[test]
fn golangsdk_item_gives_size_items_and_what_was_produced() {
    let response: CheckpointItemResponse = serde_json::from_str(GOLANGSDK_ITEM).unwrap();
    let item = &response.checkpoint_item;
    let info = item.extend_info.as_ref().unwrap();
    assert_eq!(info.size, Some(146_184));
    let volumes: Vec<i64> = info.volume_backups.iter().filter_map(|v| v.size).collect();
    assert_eq!(volumes, [47_960, 98_224]);
    assert_eq!(
        volumes.iter().sum::<i64>(),
        146_184,
        "the item's size is its disks'"
    );
    assert_eq!(info.resource_name.as_deref(), Some("ecs-ggao"));
    assert_eq!(info.auto_trigger, Some(false));

    let op = operation::from_items(golangsdk_reference(), std::slice::from_ref(item));
    assert_eq!(op.status, OperationStatus::Succeeded);
    assert_eq!(op.size_bytes, Some(146_184 * MIB));
    assert_eq!(
        op.items,
        [OperationItem::new(
            "f8ddc472-cf00-4384-851e-5f2a68c33762",
            OperationStatus::Succeeded
        )
        .with_name(Some("ecs-ggao".to_owned()))
        .with_size(Some(146_184 * MIB))]
    );
    assert_eq!(
        op.produced,
        [
            Produced::new("checkpoint", "2eefe592-8424-4778-8d0d-962c8a5dd6a4"),
            Produced::new("backup", "7b99acfd-18c3-4f26-9d39-b4ebd2ea3e12"),
        ]
    );
    // created_at 07:53:15.663766 to finished_at 08:31:08.720800 (CSBS has no duration
    // field: the end minus the start).
    assert_eq!(
        op.duration(),
        Some(std::time::Duration::from_micros(2_273_057_034))
    );
    insta::assert_json_snapshot!("golangsdk_item_operation", op);

    // Without `extend_info.size`, the disks' sizes add up to the same figure.
    let mut without_total = item.clone();
    without_total.extend_info.as_mut().unwrap().size = None;
    let op = operation::from_items(golangsdk_reference(), &[without_total]);
    assert_eq!(op.size_bytes, Some(146_184 * MIB));
}

#[test]
fn golangsdk_list_without_created_at_still_sums_up() {
    let list: CheckpointItemList = serde_json::from_str(GOLANGSDK_LIST).unwrap();
    assert_eq!(list.checkpoint_items.len(), 1);
    assert_eq!(list.count, None);
    let op = operation::from_items(golangsdk_reference(), &list.checkpoint_items);
    assert_eq!(op.status, OperationStatus::Succeeded);
    assert_eq!(op.started_at, None, "the list form carries no created_at");
    assert!(op.finished_at.is_some());
    assert_eq!(op.size_bytes, Some(146_184 * MIB));
    assert_eq!(op.items.len(), 1);
    assert_eq!(op.produced.len(), 2);
}

/// Issue 15's misreading: `started_at` was null until items were listed, though the
/// checkpoint's `created_at` came in the trigger's answer.
#[test]
fn golangsdk_create_answer_start_survives_polls_before_items_are_listed() {
    let created: CreateCheckpointResponse = serde_json::from_str(GOLANGSDK_CREATE).unwrap();
    let reference =
        operation::reference("91d687759aed45d28b5f6084bc2fa8ad", &created.checkpoint.id);
    let started = operation::from_checkpoint(reference.clone(), &created.checkpoint);
    let created_at = time::macros::datetime!(2018-08-17 07:58:56.492307 UTC);
    assert_eq!(started.started_at, Some(created_at));
    assert_eq!(started.status, OperationStatus::Running);
    assert!(started.produced.is_empty() && started.items.is_empty());

    // The next poll lists no item yet: the read alone cannot tell the start ...
    let fresh = operation::from_items(reference.clone(), &[]);
    assert_eq!(fresh.started_at, None);
    // ... and a waiter keeps the create answer's.
    let pending = operation::refreshed(&started, fresh);
    assert_eq!(pending.status, OperationStatus::Pending);
    assert_eq!(pending.started_at, Some(created_at));

    // Once items are listed (created a moment after the checkpoint), the earliest
    // start stays.
    let item: CheckpointItem = serde_json::from_value(serde_json::json!({
        "id": "7b99acfd-18c3-4f26-9d39-b4ebd2ea3e12",
        "checkpoint_id": created.checkpoint.id,
        "resource_id": "f8ddc472-cf00-4384-851e-5f2a68c33762",
        "status": "protecting",
        "created_at": "2018-08-17T07:58:57.001000",
        "extend_info": {"progress": 10},
    }))
    .unwrap();
    let fresh = operation::from_items(reference.clone(), std::slice::from_ref(&item));
    assert_eq!(
        fresh.started_at,
        Some(time::macros::datetime!(2018-08-17 07:58:57.001 UTC))
    );
    let later = operation::refreshed(&pending, fresh);
    assert_eq!(later.status, OperationStatus::Running);
    assert_eq!(later.started_at, Some(created_at));
    // A read that knows an earlier start than the one seen wins.
    let seen_late = Operation::new(reference.clone(), OperationStatus::Running)
        .with_times(Some(time::macros::datetime!(2030-01-01 0:00 UTC)), None);
    let corrected = operation::refreshed(&seen_late, operation::from_items(reference, &[item]));
    assert_eq!(
        corrected.started_at,
        Some(time::macros::datetime!(2018-08-17 07:58:57.001 UTC))
    );
}

#[test]
fn api_reference_item_example_decodes_with_zero_sizes() {
    let response: CheckpointItemResponse = serde_json::from_str(API_REFERENCE_ITEM).unwrap();
    let item = &response.checkpoint_item;
    let info = item.extend_info.as_ref().unwrap();
    assert_eq!(info.size, Some(0));
    assert_eq!(info.volume_backups.len(), 2);
    assert!(info.other.contains_key("os_images_data"));
    let op = operation::from_items(
        operation::reference("p", "f672a1bb-6912-446a-816c-72792c5263e0"),
        std::slice::from_ref(item),
    );
    assert_eq!(op.status, OperationStatus::Succeeded);
    assert_eq!(op.size_bytes, Some(0), "the document's own figure, 0 MB");
    assert_eq!(op.items[0].name.as_deref(), Some("karbor_02"));
    insta::assert_json_snapshot!("api_reference_item_operation", op);
}

#[test]
fn per_item_results_carry_their_own_status_and_error() {
    let response: CheckpointItemResponse = serde_json::from_str(ITEM_ERROR).unwrap();
    let list: CheckpointItemList = serde_json::from_str(ITEMS).unwrap();
    let items = vec![list.checkpoint_items[0].clone(), response.checkpoint_item];
    let op = operation::from_items(OperationRef::new("huawei-csbs", "p/c"), &items);
    assert_eq!(op.status, OperationStatus::Failed);
    assert_eq!(op.items.len(), 2);
    assert_eq!(op.items[0].status, OperationStatus::Succeeded);
    assert_eq!(op.items[0].size_bytes, Some(40_960 * MIB));
    assert_eq!(op.items[0].error, None);
    assert_eq!(op.items[1].id, "b2b433bf-7dd6-4a74-aa8f-85673dfbda48");
    assert_eq!(op.items[1].status, OperationStatus::Failed);
    let error = op.items[1].error.as_ref().unwrap();
    assert_eq!(error.code.as_deref(), Some("BackupService.6001"));
    assert_eq!(error.message, "Creating the snapshot of volume failed.");
    // The backup that exists is still reported, with its size.
    assert_eq!(op.size_bytes, Some(40_960 * MIB));
    assert_eq!(
        op.produced,
        [
            Produced::new("checkpoint", "c"),
            Produced::new("backup", "94eba8b2-acc9-4d82-badc-127144cc5526"),
        ]
    );
}
