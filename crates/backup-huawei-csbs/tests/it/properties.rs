//! Property tests: the answer decoders never panic, whatever the bytes (arbitrary, or
//! the fixtures' answers mutated); any id is refused as `InvalidInput` before a request
//! or reaches the emulator exactly as given (one path segment, or the query value);
//! the `SDK-HMAC-SHA256` signature does not depend on header order or name case.
//!
//! The emulator's own verifier is checked against the client's signer for any path,
//! query and body in `src/emulator/signature.rs`.
#![cfg(feature = "emulator")]

use backup_core::testing::{
    apply, awkward_id, edit, odd_json, replace_node, runner, segments_below,
};
use backup_core::transport::{ErrorDecoder, Request, Response};
use backup_huawei_csbs::auth::TokenResponse;
use backup_huawei_csbs::auth::canonical::{
    SigningInput, canonical_request, signature, string_to_sign,
};
use backup_huawei_csbs::emulator::{DEMO_PLAN_ID, DEMO_PROJECT_ID, Emulator};
use backup_huawei_csbs::model::{
    CheckpointItemList, CheckpointItemResponse, EmbeddedJson, decode_create_response,
    escape_unquoted_objects,
};
use backup_huawei_csbs::operation::{decode_reference, from_checkpoint, from_items, reference};
use backup_huawei_csbs::prelude::*;
use backup_huawei_csbs::{AkSk, ApiErrors, Error, OperationRef, TriggerRequest};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use proptest::collection::vec;
use proptest::prelude::*;
use serde_json::Value;
use url::Url;

/// The document's answers and the notes' shapes (see `fixtures/README.md`); the
/// create-checkpoint answer is not valid JSON as published.
const FIXTURES: [&[u8]; 5] = [
    include_bytes!("../fixtures/checkpoint-items.json"),
    include_bytes!("../fixtures/checkpoint-item-error.json"),
    include_bytes!("../fixtures/error-csbs-1001.json"),
    include_bytes!("../fixtures/create-checkpoint-request.json"),
    include_bytes!("../fixtures/create-checkpoint-response.txt"),
];

const STATUSES: [u16; 7] = [200, 400, 401, 404, 409, 429, 500];

/// Runs every decoder of the crate on `body`; panics on a bug.
fn decode_everything(body: &[u8]) {
    let reference = OperationRef::new(backup_huawei_csbs::VENDOR, "p/c");
    if let Ok(created) = decode_create_response(body) {
        let _ = created.checkpoint.created_time();
        check(&from_checkpoint(reference.clone(), &created.checkpoint));
    }
    if let Ok(list) = serde_json::from_slice::<CheckpointItemList>(body) {
        for item in &list.checkpoint_items {
            let _ = item.created_time();
        }
        check(&from_items(reference.clone(), &list.checkpoint_items));
    }
    if let Ok(one) = serde_json::from_slice::<CheckpointItemResponse>(body) {
        check(&from_items(reference, &[one.checkpoint_item]));
    }
    if let Ok(token) = serde_json::from_slice::<TokenResponse>(body) {
        let _ = token
            .token
            .expires_at
            .as_deref()
            .map(backup_core::timefmt::parse_timestamp);
    }
    let text = String::from_utf8_lossy(body);
    let _ = escape_unquoted_objects(&text, &["extra_info", "resource_graph"]);
    let _ = EmbeddedJson::from_text(text.as_ref()).get_str("created_by");
    let _ = decode_reference(&OperationRef::new(
        backup_huawei_csbs::VENDOR,
        text.as_ref(),
    ));
    let mut headers = HeaderMap::new();
    headers.insert("retry-after", HeaderValue::from_static("3"));
    for status in STATUSES {
        let response = Response::from_parts(
            backup_huawei_csbs::VENDOR,
            StatusCode::from_u16(status).unwrap(),
            headers.clone(),
            body.to_vec(),
        );
        let api = ApiErrors.decode_error(&response);
        assert_eq!(api.status, status);
        assert_eq!(api.vendor, backup_huawei_csbs::VENDOR);
        let error = Error::from(api);
        let _ = (error.to_string(), format!("{error:?}"));
    }
}

fn check(operation: &backup_huawei_csbs::Operation) {
    assert!(
        operation
            .progress
            .is_none_or(|p| (0.0..=100.0).contains(&p)),
        "{operation:?}"
    );
    let _ = format!("{operation:?}");
}

/// Reorders `items` with a seeded Fisher-Yates shuffle.
fn shuffle<T>(items: &mut [T], mut seed: u64) {
    for i in (1..items.len()).rev() {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let j = usize::try_from(seed >> 33).unwrap() % (i + 1);
        items.swap(i, j);
    }
}

/// `name` with the letters whose bit in `mask` is set upper-cased, the others lower.
fn recase(name: &str, mask: u64) -> String {
    name.chars()
        .enumerate()
        .map(|(i, c)| {
            if mask >> (i % 64) & 1 == 1 {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

/// Headers with distinct names (ignoring case): the order of repeated names is
/// meaningful in HTTP (their values are joined in order), so it is not permuted.
fn distinct_headers() -> impl Strategy<Value = Vec<(String, String)>> {
    vec(
        ("[a-zA-Z][a-zA-Z0-9-]{0,12}", "[!-~]([ -~]{0,16}[!-~])?"),
        1..8,
    )
    .prop_map(|headers| {
        let mut seen = std::collections::HashSet::new();
        headers
            .into_iter()
            .filter(|(name, _)| seen.insert(name.to_ascii_lowercase()))
            .collect()
    })
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
        index in 0..FIXTURES.len() - 1,
        node in any::<usize>(),
        new in odd_json(),
    ) {
        let mut value: Value = serde_json::from_slice(FIXTURES[index]).unwrap();
        replace_node(&mut value, node, new);
        decode_everything(&serde_json::to_vec(&value).unwrap());
    }

    /// The canonical request, and so the signature, is the same whatever the order
    /// and the case of the header names.
    #[test]
    fn canonical_signature_ignores_header_order_and_case(
        headers in distinct_headers(),
        seed in any::<u64>(),
        mask in any::<u64>(),
        body in vec(any::<u8>(), 0..32),
    ) {
        let sign = |headers: &[(String, String)]| {
            let canonical = canonical_request(&SigningInput {
                method: "POST",
                path: "/v1/p/providers/x/checkpoints",
                query: Some("b=2&a=1"),
                headers,
                body: &body,
            });
            let to_sign = string_to_sign("20240501T100000Z", &canonical);
            (canonical, signature(b"secret", &to_sign))
        };
        let mut reordered: Vec<(String, String)> = headers
            .iter()
            .map(|(name, value)| (recase(name, mask), value.clone()))
            .collect();
        shuffle(&mut reordered, seed);
        prop_assert_eq!(sign(&headers), sign(&reordered));
    }

    /// The same through the client's signer: headers set on the request in any order
    /// and case give the same `Authorization`.
    #[test]
    fn request_signature_ignores_header_order_and_case(
        headers in distinct_headers(),
        seed in any::<u64>(),
        mask in any::<u64>(),
    ) {
        let signer = AkSk::new("AK", "SK");
        let at = time::macros::datetime!(2024-05-01 10:00 UTC);
        let sign = |headers: &[(String, String)]| {
            let url = Url::parse("https://csbs.example.com/v1/p/checkpoint_items?b=2&a=1").unwrap();
            let mut request = Request::post(backup_huawei_csbs::VENDOR, url)
                .body("application/json", b"{}".to_vec());
            for (name, value) in headers {
                request.headers.append(
                    HeaderName::from_bytes(name.as_bytes()).unwrap(),
                    HeaderValue::from_str(value).unwrap(),
                );
            }
            signer.sign(&mut request, at).unwrap();
            request.headers.get("authorization").unwrap().to_str().unwrap().to_owned()
        };
        let mut reordered: Vec<(String, String)> = headers
            .iter()
            .map(|(name, value)| (recase(name, mask), value.clone()))
            .collect();
        shuffle(&mut reordered, seed);
        prop_assert_eq!(sign(&headers), sign(&reordered));
    }
}

/// The last request whose path contains `marker`.
fn last_request(
    log: &backup_core::emulator::RequestLog,
    marker: &str,
) -> Option<backup_core::emulator::RequestRecord> {
    log.records()
        .into_iter()
        .rev()
        .find(|r| r.path().contains(marker))
}

#[test]
fn ids_are_refused_or_reach_the_emulator_exactly() {
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
        .run(&(any::<bool>(), awkward_id()), |(as_project, id)| {
            // `POST /v1/{project_id}/providers/{provider_id}/checkpoints`.
            let before = log.total();
            let request = TriggerRequest::new(DEMO_PLAN_ID).provider_id(id.clone());
            let result = runtime.block_on(client.trigger(&request));
            if let Err(Error::InvalidInput { .. }) = result {
                prop_assert_eq!(log.total(), before, "refused input was sent");
                return Ok(());
            }
            // A valid id is never refused for its signature.
            prop_assert!(!matches!(result, Err(Error::Auth { .. })), "{:?}", result);
            let record = last_request(&log, "/checkpoints").unwrap();
            let segments = segments_below(&base, record.path());
            prop_assert_eq!(segments.len(), 5, "{} for {:?}", record.target, result);
            prop_assert_eq!(&segments[3], &id);
            sent.set(sent.get() + 1);

            // `GET /v1/{project_id}/checkpoint_items?checkpoint_id={checkpoint_id}`,
            // with the id as the project or as the checkpoint.
            let (project, checkpoint) = if as_project {
                (id.as_str(), "c")
            } else {
                (DEMO_PROJECT_ID, id.as_str())
            };
            let result = runtime.block_on(client.status(&reference(project, checkpoint)));
            if let Err(Error::InvalidInput { .. }) = result {
                // A `/` cannot be told apart in `{project_id}/{checkpoint_id}`.
                prop_assert!(!as_project || id.contains('/'), "{:?}", result);
                return Ok(());
            }
            prop_assert!(!matches!(result, Err(Error::Auth { .. })), "{:?}", result);
            let record = last_request(&log, "/checkpoint_items").unwrap();
            let segments = segments_below(&base, record.path());
            prop_assert_eq!(segments.len(), 3, "{} for {:?}", record.target, result);
            prop_assert_eq!(segments[1].as_str(), project);
            let query = record
                .target
                .split_once('?')
                .map(|(_, q)| q)
                .unwrap_or_default();
            let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect();
            prop_assert_eq!(
                pairs,
                vec![("checkpoint_id".to_owned(), checkpoint.to_owned())]
            );
            Ok(())
        })
        .unwrap();
    assert!(sent.get() >= 32, "only {} cases were sent", sent.get());
}
