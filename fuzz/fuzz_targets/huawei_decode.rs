//! Huawei CSBS: create-checkpoint answers (with the unescaped-object repair),
//! checkpoint items (sizes, disk backups, per-item results, what was produced, the start
//! kept across reads), error bodies, embedded JSON strings, operation references.
#![no_main]

mod common;

use backup_huawei_csbs::auth::TokenResponse;
use backup_huawei_csbs::model::{
    CheckpointItemList, CheckpointItemResponse, EmbeddedJson, decode_create_response,
    escape_unquoted_objects,
};
use backup_huawei_csbs::operation::{decode_reference, from_checkpoint, from_items, refreshed};
use backup_huawei_csbs::{ApiErrors, OperationRef};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let reference = OperationRef::new(backup_huawei_csbs::VENDOR, "p/c");
    let mut started = None;
    if let Ok(created) = decode_create_response(data) {
        let _ = created.checkpoint.created_time();
        let operation = from_checkpoint(reference.clone(), &created.checkpoint);
        let _ = format!("{operation:?}");
        started = Some(operation);
    }
    if let Ok(list) = serde_json::from_slice::<CheckpointItemList>(data) {
        for item in &list.checkpoint_items {
            let _ = item.created_time();
            let _ = item.extend_info.as_ref().map(|info| info.size_mb());
        }
        let operation = from_items(reference.clone(), &list.checkpoint_items);
        let _ = format!("{operation:?}");
        if let Some(started) = &started {
            let _ = refreshed(started, operation);
        }
    }
    if let Ok(one) = serde_json::from_slice::<CheckpointItemResponse>(data) {
        let _ = format!("{:?}", from_items(reference, &[one.checkpoint_item]));
    }
    if let Ok(token) = serde_json::from_slice::<TokenResponse>(data) {
        let _ = token
            .token
            .expires_at
            .as_deref()
            .map(backup_core::timefmt::parse_timestamp);
    }
    common::decode_errors(backup_huawei_csbs::VENDOR, &ApiErrors, data);

    let text = String::from_utf8_lossy(data);
    let _ = escape_unquoted_objects(&text, &["extra_info", "resource_graph"]);
    let embedded = EmbeddedJson::from_text(text.as_ref());
    let _ = embedded.get_str("created_by");
    let _ = decode_reference(&OperationRef::new(
        backup_huawei_csbs::VENDOR,
        text.as_ref(),
    ));
});
