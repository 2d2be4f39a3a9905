//! Yandex: operations (execute and Operation API answers), gRPC status bodies, backup
//! lists (and the backup an operation made), IAM and metadata token answers,
//! service-account key files, poll hints.
#![no_main]

mod common;

use backup_yandex::{ApiErrors, ServiceAccountKey};
use backup_yandex::model::{
    ExecuteMetadata, IamTokenResponse, ListBackupsResponse, MetadataTokenResponse, Operation,
    Status,
};
use backup_yandex::operation::{find_backup, poll_interval, to_operation, with_backup};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(operation) = serde_json::from_slice::<Operation>(data) {
        let _ = operation.created_at_time();
        let _ = operation.modified_at_time();
        let mapped = to_operation(&operation, None);
        let _ = format!("{mapped:?}");
        let _ = with_backup(mapped, &find_backup(&operation, &[]));
    }
    let _ = serde_json::from_slice::<ExecuteMetadata>(data);
    if let Ok(status) = serde_json::from_slice::<Status>(data) {
        let _ = (status.request_id(), status.detail_notes());
    }
    if let (Ok(list), Ok(operation)) = (
        serde_json::from_slice::<ListBackupsResponse>(data),
        serde_json::from_str::<Operation>(
            r#"{"id":"op","createdAt":"2024-03-18T09:12:34Z","modifiedAt":"2024-03-18T09:31:07Z",
                "done":true,"metadata":{"policyId":"p","computeInstanceId":"i"}}"#,
        ),
    ) {
        let found = find_backup(&operation, &list.backups);
        let _ = with_backup(to_operation(&operation, None), &found);
        for backup in &list.backups {
            let _ = (backup.size_bytes(), backup.created_at_time());
        }
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
