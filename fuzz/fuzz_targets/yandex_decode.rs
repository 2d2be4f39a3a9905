//! Yandex: operations (execute and Operation API answers), gRPC status bodies, IAM and
//! metadata token answers, service-account key files, poll hints.
#![no_main]

mod common;

use backup_yandex::{ApiErrors, ServiceAccountKey};
use backup_yandex::model::{
    ExecuteMetadata, IamTokenResponse, MetadataTokenResponse, Operation, Status,
};
use backup_yandex::operation::{poll_interval, to_operation};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(operation) = serde_json::from_slice::<Operation>(data) {
        let _ = operation.created_at_time();
        let _ = operation.modified_at_time();
        let _ = format!("{:?}", to_operation(&operation, None));
    }
    let _ = serde_json::from_slice::<ExecuteMetadata>(data);
    if let Ok(status) = serde_json::from_slice::<Status>(data) {
        let _ = status.request_id();
    }
    let _ = serde_json::from_slice::<IamTokenResponse>(data);
    let _ = serde_json::from_slice::<MetadataTokenResponse>(data);
    common::decode_errors(backup_yandex::VENDOR, &ApiErrors, data);

    let text = String::from_utf8_lossy(data);
    if let Ok(key) = ServiceAccountKey::from_json(&text) {
        let _ = format!("{key:?}");
    }
    if let Ok(value) = http::HeaderValue::from_bytes(data) {
        let mut headers = http::HeaderMap::new();
        headers.insert("retry-after", value.clone());
        headers.insert("x-operation-poll-interval", value);
        let _ = poll_interval(&headers);
    }
});
