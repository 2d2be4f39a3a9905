//! Property tests: the answer decoders never panic, whatever the bytes (arbitrary, or
//! the fixtures' answers mutated); any id is refused as `InvalidInput` before a request
//! or reaches the emulator as exactly one path segment.
#![cfg(feature = "emulator")]

use std::time::Duration;

use backup_core::testing::{
    apply, awkward_id, edit, odd_json, replace_node, runner, segments_below,
};
use backup_core::transport::{ErrorDecoder, Response};
use backup_yandex::ApiErrors;
use backup_yandex::emulator::{DEMO_INSTANCE_ID, DEMO_POLICY_ID, Emulator};
use backup_yandex::model::{
    ExecuteMetadata, IamTokenResponse, ListBackupsResponse, MetadataTokenResponse, Operation,
    Status,
};
use backup_yandex::operation::{find_backup, poll_interval, reference, to_operation, with_backup};
use backup_yandex::prelude::*;
use backup_yandex::{Error, ServiceAccountKey, TriggerRequest};
use http::{HeaderMap, HeaderValue, StatusCode};
use proptest::collection::vec;
use proptest::prelude::*;
use serde_json::Value;

/// The answers of the vendor document and notes (see `fixtures/README.md`).
const FIXTURES: [&[u8]; 11] = [
    include_bytes!("../fixtures/backup-list-response.json"),
    include_bytes!("../fixtures/error-failed-precondition.json"),
    include_bytes!("../fixtures/error-unauthenticated.json"),
    include_bytes!("../fixtures/operation-failed-request-info.json"),
    include_bytes!("../fixtures/execute-response.json"),
    include_bytes!("../fixtures/iam-token-response.json"),
    include_bytes!("../fixtures/metadata-token-response.json"),
    include_bytes!("../fixtures/operation-cancelled.json"),
    include_bytes!("../fixtures/operation-done.json"),
    include_bytes!("../fixtures/operation-progress-number.json"),
    include_bytes!("../fixtures/operation-rolling-back.json"),
];

const STATUSES: [u16; 7] = [200, 400, 401, 404, 409, 429, 500];

/// Runs every decoder of the crate on `body`; panics on a bug.
fn decode_everything(body: &[u8]) {
    if let Ok(answer) = serde_json::from_slice::<Operation>(body) {
        let operation = to_operation(&answer, None);
        assert!(
            operation
                .progress
                .is_none_or(|p| (0.0..=100.0).contains(&p)),
            "{operation:?}"
        );
        let _ = format!("{operation:?}");
        // The answer as the operation, with the fixture's backups.
        let list: ListBackupsResponse =
            serde_json::from_slice(include_bytes!("../fixtures/backup-list-response.json"))
                .unwrap();
        let _ = with_backup(operation, &find_backup(&answer, &list.backups));
    }
    let _ = serde_json::from_slice::<ExecuteMetadata>(body);
    if let Ok(status) = serde_json::from_slice::<Status>(body) {
        let _ = (status.request_id(), status.detail_notes());
    }
    if let Ok(list) = serde_json::from_slice::<ListBackupsResponse>(body) {
        // The backups found for the fixture's operation, whatever they hold.
        let op: Operation =
            serde_json::from_slice(include_bytes!("../fixtures/operation-done.json")).unwrap();
        let found = find_backup(&op, &list.backups);
        let done = with_backup(to_operation(&op, None), &found);
        assert!(done.produced.len() <= 1, "{done:?}");
        for backup in &list.backups {
            let _ = (backup.size_bytes(), backup.created_at_time());
        }
    }
    let _ = serde_json::from_slice::<IamTokenResponse>(body);
    let _ = serde_json::from_slice::<MetadataTokenResponse>(body);
    let _ = ServiceAccountKey::from_json(&String::from_utf8_lossy(body));
    let mut headers = HeaderMap::new();
    headers.insert("retry-after", HeaderValue::from_static("3"));
    if let Ok(value) = HeaderValue::from_bytes(body) {
        headers.insert("x-operation-poll-interval", value);
    }
    let _ = poll_interval(&headers);
    for status in STATUSES {
        let response = Response::from_parts(
            backup_yandex::VENDOR,
            StatusCode::from_u16(status).unwrap(),
            headers.clone(),
            body.to_vec(),
        );
        let api = ApiErrors.decode_error(&response);
        assert_eq!(api.status, status);
        assert_eq!(api.vendor, backup_yandex::VENDOR);
        let error = Error::from(api);
        let _ = (error.to_string(), format!("{error:?}"));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn decoders_survive_arbitrary_bytes(body in vec(any::<u8>(), 0..512)) {
        decode_everything(&body);
    }

    #[test]
    fn decoders_survive_mutated_fixtures(
        index in 0..FIXTURES.len(),
        edits in vec(edit(), 1..6),
    ) {
        decode_everything(&apply(FIXTURES[index].to_vec(), &edits));
    }

    /// Well-formed JSON with a value of the wrong type or an odd value anywhere.
    #[test]
    fn decoders_survive_odd_values(
        index in 0..FIXTURES.len(),
        node in any::<usize>(),
        new in odd_json(),
    ) {
        let mut value: Value = serde_json::from_slice(FIXTURES[index]).unwrap();
        replace_node(&mut value, node, new);
        decode_everything(&serde_json::to_vec(&value).unwrap());
    }

    /// The poll hint header, whatever its text, is a sane duration or nothing.
    #[test]
    fn poll_hints_are_sane(text in "[0-9.eE+-]{0,12}(s|ms)?|\\PC{0,12}") {
        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_str(&text) {
            headers.insert("x-operation-poll-interval", value);
        }
        if let Some(hint) = poll_interval(&headers) {
            prop_assert!(hint < Duration::from_secs(u64::MAX / 2), "{:?}", hint);
        }
    }
}

/// The path of the last request whose path contains `marker`.
fn last_path(log: &backup_core::emulator::RequestLog, marker: &str) -> Option<String> {
    log.records()
        .into_iter()
        .rev()
        .find(|r| r.path().contains(marker))
        .map(|r| r.path().to_owned())
}

#[test]
fn ids_are_refused_or_reach_the_emulator_as_one_segment() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let emulator = runtime.block_on(Emulator::start()).unwrap();
    let client = emulator.client_builder().build().unwrap();
    let base = emulator.url();
    let log = emulator.requests();
    let sent = std::cell::Cell::new(0_u32);
    runner(64)
        .run(&(any::<bool>(), awkward_id()), |(policy, id)| {
            // `Policy.Execute`: the policy id is the segment `{policyId}:execute`; the
            // instance id travels in the body.
            let request = if policy {
                TriggerRequest::new(id.clone(), DEMO_INSTANCE_ID)
            } else {
                TriggerRequest::new(DEMO_POLICY_ID, id.clone())
            };
            let before = log.total();
            let result = runtime.block_on(client.trigger(&request));
            if let Err(Error::InvalidInput { .. }) = result {
                prop_assert_eq!(log.total(), before, "refused input was sent");
            } else if policy {
                let path = last_path(&log, ":execute").unwrap();
                let segments = segments_below(&base, &path);
                prop_assert_eq!(segments.len(), 4, "{} for {:?}", path, result);
                prop_assert_eq!(segments[3].clone(), format!("{id}:execute"));
                sent.set(sent.get() + 1);
            }

            // The Operation API: `operations/{id}` and `operations/{id}:cancel`.
            let before = log.total();
            let result = runtime.block_on(client.status(&reference(&id)));
            if let Err(Error::InvalidInput { .. }) = result {
                prop_assert_eq!(log.total(), before, "refused input was sent");
                return Ok(());
            }
            let path = last_path(&log, "/operations/").unwrap();
            let segments = segments_below(&base, &path);
            prop_assert_eq!(segments.len(), 2, "{} for {:?}", path, result);
            prop_assert_eq!(&segments[1], &id);
            let _ = runtime.block_on(client.cancel(&reference(&id)));
            let path = last_path(&log, "/operations/").unwrap();
            let segments = segments_below(&base, &path);
            prop_assert_eq!(segments.len(), 2, "{}", path);
            prop_assert_eq!(segments[1].clone(), format!("{id}:cancel"));
            sent.set(sent.get() + 1);
            Ok(())
        })
        .unwrap();
    assert!(sent.get() >= 32, "only {} cases were sent", sent.get());
}
