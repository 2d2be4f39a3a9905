//! Property tests: the answer decoders never panic, whatever the bytes (arbitrary, or
//! the fixtures' answers mutated); any policy or session id is refused as
//! `InvalidInput` before a request or reaches the emulator as exactly one path segment.
#![cfg(feature = "emulator")]

use backup_core::testing::{
    apply, awkward_id, edit, odd_json, replace_node, runner, segments_below,
};
use backup_core::transport::{ErrorDecoder, Response};
use backup_veeam::emulator::Emulator;
use backup_veeam::operation::{parse_reference, reference, to_operation};
use backup_veeam::prelude::*;
use backup_veeam::{
    ApiErrors, ApiVersion, Error, JobSession, OperationRef, ProblemDetails, SessionLog,
    TriggerRequest,
};
use http::{HeaderMap, HeaderValue, StatusCode};
use proptest::collection::vec;
use proptest::prelude::*;
use serde_json::Value;
use url::Url;

/// The document's start answer and the notes' shapes (see `fixtures/README.md`).
const FIXTURES: [&[u8]; 7] = [
    include_bytes!("../fixtures/start-policy-response.json"),
    include_bytes!("../fixtures/session-v8.json"),
    include_bytes!("../fixtures/session-log.json"),
    include_bytes!("../fixtures/problem-400.json"),
    include_bytes!("../fixtures/problem-409.json"),
    include_bytes!("../fixtures/token-password.json"),
    include_bytes!("../fixtures/token-mfa.json"),
];

const STATUSES: [u16; 7] = [200, 400, 401, 404, 409, 429, 500];

/// Runs every decoder of the crate on `body`; panics on a bug.
fn decode_everything(body: &[u8]) {
    if let Ok(sessions) = serde_json::from_slice::<Vec<JobSession>>(body) {
        for session in &sessions {
            check(&to_operation(ApiVersion::V8_1, session, None));
        }
    }
    if let Ok(session) = serde_json::from_slice::<JobSession>(body) {
        let _ = (session.duration(), session.link("log"));
        check(&to_operation(
            ApiVersion::V1,
            &session,
            Some("m".to_owned()),
        ));
    }
    if let Ok(log) = serde_json::from_slice::<SessionLog>(body) {
        let _ = log.last_message();
    }
    if let Ok(problem) = serde_json::from_slice::<ProblemDetails>(body) {
        let _ = problem.is_problem();
    }
    let text = String::from_utf8_lossy(body);
    let _ = text.parse::<ApiVersion>();
    let _ = parse_reference(&OperationRef::new(backup_veeam::VENDOR, text.as_ref()));
    let mut headers = HeaderMap::new();
    headers.insert("retry-after", HeaderValue::from_static("3"));
    for status in STATUSES {
        let response = Response::from_parts(
            backup_veeam::VENDOR,
            StatusCode::from_u16(status).unwrap(),
            headers.clone(),
            body.to_vec(),
        );
        let _ = ApiErrors::problem(&response);
        let api = ApiErrors.decode_error(&response);
        assert_eq!(api.status, status);
        assert_eq!(api.vendor, backup_veeam::VENDOR);
        let error = Error::from(api);
        let _ = (error.to_string(), format!("{error:?}"));
    }
}

fn check(operation: &backup_veeam::Operation) {
    assert!(
        operation
            .progress
            .is_none_or(|p| (0.0..=100.0).contains(&p)),
        "{operation:?}"
    );
    let _ = format!("{operation:?}");
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
}

/// The decoded segments of the last request whose path contains `marker`, sent with
/// `method`.
fn last_segments(
    log: &backup_core::emulator::RequestLog,
    base: &Url,
    method: &http::Method,
    marker: &str,
) -> Vec<String> {
    let record = log
        .records()
        .into_iter()
        .rev()
        .find(|r| r.method == method && r.path().contains(marker))
        .unwrap();
    segments_below(base, record.path())
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
    let version = client.api_version();
    let base = emulator.url();
    let log = emulator.requests();
    let sent = std::cell::Cell::new(0_u32);
    runner(64)
        .run(&awkward_id(), |id| {
            let before = log.total();
            // `POST /api/{v}/policies[/virtualMachines]/{id}/start`.
            let result = runtime.block_on(client.start_policy(&TriggerRequest::new(id.clone())));
            if let Err(Error::InvalidInput { .. }) = result {
                prop_assert_eq!(log.total(), before, "refused input was sent");
                for refused in [
                    runtime.block_on(client.session(&id)).err(),
                    runtime.block_on(client.stop_session(&id)).err(),
                    runtime.block_on(client.stop_policy(&id)).err(),
                    runtime
                        .block_on(client.status(&reference(version, &id)))
                        .err(),
                ] {
                    prop_assert!(
                        matches!(refused, Some(Error::InvalidInput { .. })),
                        "{:?}",
                        refused
                    );
                }
                prop_assert_eq!(log.total(), before, "refused input was sent");
                return Ok(());
            }
            let policy = |segments: Vec<String>, action: &str| -> Result<(), TestCaseError> {
                let at = segments.iter().position(|s| s == "policies").unwrap();
                let expected = if version.workload_paths() {
                    at + 4
                } else {
                    at + 3
                };
                prop_assert_eq!(segments.len(), expected, "{:?}", segments);
                prop_assert_eq!(&segments[expected - 2], &id);
                prop_assert_eq!(segments[expected - 1].as_str(), action);
                Ok(())
            };
            policy(
                last_segments(&log, &base, &http::Method::POST, "/start"),
                "start",
            )?;
            let _ = runtime.block_on(client.stop_policy(&id));
            policy(
                last_segments(&log, &base, &http::Method::POST, "/stop"),
                "stop",
            )?;

            // `GET /api/{v}/jobSessions/{id}`, `POST .../{id}/stop`, and the reference.
            let _ = runtime.block_on(client.session(&id));
            let segments = last_segments(&log, &base, &http::Method::GET, "/jobSessions/");
            prop_assert_eq!(segments.len(), 4, "{:?}", segments);
            prop_assert_eq!(&segments[3], &id);
            let _ = runtime.block_on(client.stop_session(&id));
            let segments = last_segments(&log, &base, &http::Method::POST, "/jobSessions/");
            prop_assert_eq!(segments.len(), 5, "{:?}", segments);
            prop_assert_eq!(&segments[3], &id);
            let reference = reference(version, &id);
            let (_, session) = parse_reference(&reference).unwrap();
            prop_assert_eq!(&session, &id);
            let _ = runtime.block_on(client.status(&reference));
            let segments = last_segments(&log, &base, &http::Method::GET, "/jobSessions/");
            prop_assert_eq!(&segments[3], &id);
            sent.set(sent.get() + 1);
            Ok(())
        })
        .unwrap();
    assert!(sent.get() >= 32, "only {} cases were sent", sent.get());
}
