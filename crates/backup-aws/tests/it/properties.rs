//! Property tests: the answer decoders never panic, whatever the bytes (arbitrary, or
//! the fixtures' answers mutated); any id is refused as `InvalidInput` before a request
//! or reaches the emulator as exactly one path segment; any reference id is refused or
//! round-trips.
#![cfg(feature = "emulator")]

use backup_aws::emulator::{DEMO_RESOURCE_ARN, DEMO_ROLE_ARN, Emulator};
use backup_aws::model::{
    BackupJob, ErrorBody, ListBackupJobsOutput, StartBackupJobOutput, clean_error_code,
    epoch_seconds,
};
use backup_aws::operation::{child_item, parse_reference_id, reference, started, to_operation};
use backup_aws::prelude::*;
use backup_aws::{ApiErrors, Client, Error, OperationRef, TriggerRequest, VENDOR};
use backup_core::testing::{
    apply, awkward_id, edit, odd_json, replace_node, runner, segments_below,
};
use backup_core::transport::{ErrorDecoder, Response};
use http::{HeaderMap, HeaderValue, StatusCode};
use proptest::collection::vec;
use proptest::prelude::*;
use serde_json::Value;

/// The answers of `tests/fixtures/` (see its README).
const FIXTURES: [&[u8]; 11] = [
    include_bytes!("../fixtures/start-backup-job-response.json"),
    include_bytes!("../fixtures/describe-running.json"),
    include_bytes!("../fixtures/describe-completed.json"),
    include_bytes!("../fixtures/describe-failed.json"),
    include_bytes!("../fixtures/describe-expired.json"),
    include_bytes!("../fixtures/describe-aborted.json"),
    include_bytes!("../fixtures/describe-parent-partial.json"),
    include_bytes!("../fixtures/describe-lenient.json"),
    include_bytes!("../fixtures/list-child-jobs.json"),
    include_bytes!("../fixtures/error-resource-not-found.json"),
    include_bytes!("../fixtures/error-throttling.json"),
];

const STATUSES: [u16; 7] = [200, 400, 403, 404, 429, 500, 503];

/// Runs every decoder of the crate on `body`; panics on a bug.
fn decode_everything(body: &[u8]) {
    if let Ok(job) = serde_json::from_slice::<BackupJob>(body) {
        let operation = to_operation("us-east-1", "job", &job);
        assert!(
            operation
                .progress
                .is_none_or(|p| (0.0..=100.0).contains(&p)),
            "{operation:?}"
        );
        let _ = format!("{operation:?} {:?}", child_item(&job));
    }
    if let Ok(output) = serde_json::from_slice::<StartBackupJobOutput>(body) {
        let _ = started("us-east-1", "job", &output);
    }
    let _ = serde_json::from_slice::<ListBackupJobsOutput>(body);
    let _ = serde_json::from_slice::<ErrorBody>(body);
    let text = String::from_utf8_lossy(body);
    let _ = clean_error_code(&text);
    let _ = epoch_seconds::parse(&text);
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_bytes(body) {
        headers.insert("x-amzn-errortype", value.clone());
        headers.insert("x-amz-retry-after", value);
    }
    for status in STATUSES {
        let response = Response::from_parts(
            VENDOR,
            StatusCode::from_u16(status).unwrap(),
            headers.clone(),
            body.to_vec(),
        );
        let api = ApiErrors.decode_error(&response);
        assert_eq!(api.status, status);
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

    /// A reference id is refused, or names a Region and a job and prints back as it came.
    #[test]
    fn reference_ids_are_refused_or_round_trip(id in "\\PC{0,40}|[a-z]{2}-[a-z]{4,9}-[0-9]/[A-Z0-9-]{1,40}") {
        if let Ok((region, job)) = parse_reference_id(&id) {
            prop_assert_eq!(reference(region, job).id, id.clone());
            prop_assert!(Client::check_reference(&OperationRef::new(VENDOR, id)).is_ok());
        }
    }

    /// Timestamps, whatever their text, are a date or nothing.
    #[test]
    fn timestamps_never_panic(text in "[0-9.eE+-]{0,24}|\\PC{0,24}") {
        let _ = epoch_seconds::parse(&text);
    }
}

/// The client's signer (`auth::sigv4`) and the emulator's verifier (written apart, checked
/// against AWS's vectors) agree on any path segment, query and body: what one signs,
/// the other verifies, and a changed body does not verify.
#[test]
fn the_signer_and_the_verifier_agree_on_any_request() {
    use std::time::{Duration, SystemTime};

    use backup_aws::auth::SigV4;
    use backup_aws::emulator::sigv4::{self, Received};
    use backup_core::auth::{StaticToken, TokenCache};
    use backup_core::transport::Request;

    let signer = SigV4::new(
        std::sync::Arc::new(TokenCache::new(std::sync::Arc::new(StaticToken::new(
            "unused",
        )))),
        "eu-central-1",
    );
    let credentials = backup_aws::auth::sigv4::Keys {
        access_key_id: "AKIDEXAMPLE",
        secret_access_key: "secret/+=",
        session_token: None,
    };
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    runner(256)
        .run(
            &(
                awkward_id(),
                "\\PC{0,12}",
                "\\PC{0,12}",
                vec(any::<u8>(), 0..64),
            ),
            |(id, name, value, body)| {
                let base = url::Url::parse("http://127.0.0.1:9/").unwrap();
                let Ok(mut url) =
                    backup_core::path::join_segments(VENDOR, &base, &["backup-jobs", &id])
                else {
                    return Ok(());
                };
                url.query_pairs_mut()
                    .append_pair(&name, &value)
                    .append_pair("maxResults", "5");
                let mut request = Request::post(VENDOR, url).body("application/json", body.clone());
                signer.sign_at(&mut request, credentials, at).unwrap();
                let mut headers: Vec<(String, String)> = request
                    .headers
                    .iter()
                    .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap().to_owned()))
                    .collect();
                headers.push(("host".to_owned(), "127.0.0.1:9".to_owned()));
                let received = Received {
                    method: "POST",
                    path: request.url.path(),
                    query: request.url.query().unwrap_or_default(),
                    headers: &headers,
                    body: &body,
                };
                let now = time::OffsetDateTime::from(at);
                let verified =
                    sigv4::verify(&received, "backup", now, |_| Ok("secret/+=".to_owned()));
                prop_assert!(verified.is_ok(), "{:?} for {}", verified, request.url);
                let mut changed = body.clone();
                changed.push(b'!');
                let tampered = Received {
                    body: &changed,
                    ..received
                };
                prop_assert!(
                    sigv4::verify(&tampered, "backup", now, |_| Ok("secret/+=".to_owned()))
                        .is_err()
                );
                Ok(())
            },
        )
        .unwrap();
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
        .run(&(any::<bool>(), awkward_id()), |(as_vault, id)| {
            // The vault and the resource travel in the body: refused, or sent as JSON.
            let request = if as_vault {
                TriggerRequest::new(id.clone(), DEMO_RESOURCE_ARN, DEMO_ROLE_ARN)
            } else {
                TriggerRequest::new("Default", id.clone(), DEMO_ROLE_ARN)
            };
            let before = log.total();
            if let Err(Error::InvalidInput { .. }) = runtime.block_on(client.trigger(&request)) {
                prop_assert_eq!(log.total(), before, "refused input was sent");
            }

            // The job id is one segment of `/backup-jobs/{id}`.
            let reference = OperationRef::new(VENDOR, format!("us-east-1/{id}"));
            let before = log.total();
            let result = runtime.block_on(client.status(&reference));
            if let Err(Error::InvalidInput { .. }) = result {
                prop_assert_eq!(log.total(), before, "refused input was sent");
                return Ok(());
            }
            let path = last_path(&log, "/backup-jobs/").unwrap();
            let segments = segments_below(&base, &path);
            prop_assert_eq!(segments.len(), 2, "{} for {:?}", path, result);
            prop_assert_eq!(&segments[1], &id);
            // Signed over the same path: the emulator verified it and answered
            // (`ResourceNotFoundException`), it did not refuse the signature.
            let error = result.unwrap_err();
            let code = error.api().and_then(|a| a.code.clone());
            prop_assert_eq!(
                code.as_deref(),
                Some("ResourceNotFoundException"),
                "{:?}",
                error
            );
            let _ = runtime.block_on(client.cancel(&reference));
            let path = last_path(&log, "/backup-jobs/").unwrap();
            prop_assert_eq!(segments_below(&base, &path).len(), 2, "{}", path);
            sent.set(sent.get() + 1);
            Ok(())
        })
        .unwrap();
    // About half the awkward ids are valid job ids (64 cases: 32 expected).
    assert!(sent.get() >= 16, "only {} cases were sent", sent.get());
}
