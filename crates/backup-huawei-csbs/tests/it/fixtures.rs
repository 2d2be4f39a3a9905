//! Every example of the vendor's document as a fixture: the request body pinned, the
//! response (as published, broken `extra_info` included) decoded and snapshotted; plus
//! the item answers shaped as the notes describe them.

use backup_core::{OperationRef, OperationStatus};
use backup_huawei_csbs::model::{
    CheckpointItemList, CheckpointItemResponse, CreateCheckpointResponse, decode_create_response,
};
use backup_huawei_csbs::{IamPassword, TriggerRequest, operation};

const REQUEST: &str = include_str!("../fixtures/create-checkpoint-request.json");
const RESPONSE: &str = include_str!("../fixtures/create-checkpoint-response.txt");
const ITEMS: &str = include_str!("../fixtures/checkpoint-items.json");
const ITEM_ERROR: &str = include_str!("../fixtures/checkpoint-item-error.json");

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
