//! Property tests: the answer decoders never panic, whatever the bytes (arbitrary, or
//! the fixtures' answers mutated); any id is refused as `InvalidInput` before a request
//! or reaches the emulator as exactly one path segment.
//!
//! `src/model/item.rs` already checks the trigger URL the client builds; here the
//! request goes through the real client to the emulator and the path it received is
//! read back from its request log.
#![cfg(feature = "emulator")]

use backup_azure::emulator::{Emulator, demo_vm};
use backup_azure::model::{
    CloudError, JobResource, JobResourceList, OperationStatusResponse, RecoveryPointResourceList,
    parse_duration, parse_size,
};
use backup_azure::operation::{from_job, from_operation_status};
use backup_azure::prelude::*;
use backup_azure::{ApiErrors, Error, OperationRef, ProtectedItem, TrackingRef, TriggerRequest};
use backup_core::testing::{
    apply, awkward_id, edit, odd_json, replace_node, runner, segments_below,
};
use backup_core::transport::{ErrorDecoder, Response};
use http::{HeaderMap, HeaderValue, StatusCode};
use proptest::collection::vec;
use proptest::prelude::*;
use serde_json::Value;
use url::Url;

/// The answers of the vendor document and the notes (as in `tests/it/fixtures.rs`), and
/// Microsoft's documented answers of `tests/fixtures/`; the HTML page last.
const FIXTURES: [&str; 12] = [
    include_str!("../fixtures/job-completed.track-jobs.json"),
    include_str!("../fixtures/job-restore-in-progress.file-share-restore.json"),
    include_str!("../fixtures/jobs-list.list-jobs.json"),
    include_str!("../fixtures/recovery-points.file-share-restore.json"),
    include_str!("../fixtures/operation-in-progress.postgresql-restore.json"),
    r#"{"id":"00000000-0000-0000-0000-000000000000","name":"00000000-0000-0000-0000-000000000000","status":"InProgress","startTime":"2024-05-01T10:00:00.1234567Z"}"#,
    r#"{"id":"0","name":"0","status":"Succeeded","startTime":"2024-05-01T10:00:00Z","endTime":"2024-05-01T10:00:08Z","properties":{"objectType":"OperationStatusJobExtendedInfo","jobId":"7cbc1ad1-7a5e-4d1b-9a8c-1d0e7a0b9f11"}}"#,
    r#"{"status":"Failed","startTime":"2024-05-01T10:00:00Z","endTime":"2024-05-01T10:00:02Z","error":{"code":"UserErrorGuestAgentStatusUnavailableUserError","message":"VM agent is unable to communicate."}}"#,
    r#"{"id":"/Subscriptions/0/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v/backupJobs/7cbc","name":"7cbc","type":"Microsoft.RecoveryServices/vaults/backupJobs","properties":{"jobType":"AzureIaaSVMJob","duration":"PT2M3.5S","actionsInfo":[],"entityFriendlyName":"v1win2012r","backupManagementType":"AzureIaasVM","operation":"Backup","status":"InProgress","startTime":"2024-05-01T10:00:10Z","endTime":"2024-05-01T10:02:13.5Z","activityId":"3f0b","errorDetails":[{"errorCode":400259,"errorString":"The VM is not running.","errorTitle":"","recommendations":["Start the VM."]}],"extendedInfo":{"tasksList":[{"taskId":"Take Snapshot","duration":"PT1M","status":"Failed"}],"propertyBag":{"VM Name":"v1win2012r"},"progressPercentage":30.0}}}"#,
    r#"{"error":{"code":"UserErrorBackupOperationInProgress","message":"Another backup operation is in progress.","target":"x","details":[{"code":"Inner","message":"inner message","details":[],"additionalInfo":[]}],"additionalInfo":[{"type":"Info","info":{"k":"v"}}]}}"#,
    r#"{"error":{"code":"BMSUserErrorContainerObjectNotFound","message":"Item not found"}}"#,
    "<html><body><h1>502 Bad Gateway</h1></body></html>",
];

const STATUSES: [u16; 7] = [200, 400, 401, 404, 409, 429, 500];

/// Runs every decoder of the crate on `body`; returns nothing, panics on a bug.
fn decode_everything(body: &[u8]) {
    let reference = OperationRef::new(backup_azure::VENDOR, "async=http%3A%2F%2Fh%2F");
    if let Ok(answer) = serde_json::from_slice::<OperationStatusResponse>(body) {
        let _ = answer.job_id();
        let operation = from_operation_status(reference.clone(), &answer);
        let _ = format!("{operation:?}");
    }
    if let Ok(answer) = serde_json::from_slice::<JobResource>(body) {
        let operation = from_job(reference.clone(), &answer, "job");
        assert!(
            operation
                .progress
                .is_none_or(|p| (0.0..=100.0).contains(&p)),
            "{operation:?}"
        );
    }
    if let Ok(list) = serde_json::from_slice::<JobResourceList>(body) {
        for job in &list.value {
            let _ = from_job(reference.clone(), job, "job");
        }
    }
    if let Ok(points) = serde_json::from_slice::<RecoveryPointResourceList>(body) {
        for point in &points.value {
            let _ = point.properties.as_ref().and_then(|p| p.time());
        }
    }
    let text = String::from_utf8_lossy(body);
    let _ = (parse_duration(&text), parse_size(&text));
    let _ = serde_json::from_slice::<CloudError>(body);
    let mut headers = HeaderMap::new();
    headers.insert("retry-after", HeaderValue::from_static("3"));
    for status in STATUSES {
        let response = Response::from_parts(
            backup_azure::VENDOR,
            StatusCode::from_u16(status).unwrap(),
            headers.clone(),
            body.to_vec(),
        );
        let api = ApiErrors.decode_error(&response);
        assert_eq!(api.status, status);
        assert_eq!(api.vendor, backup_azure::VENDOR);
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
        decode_everything(&apply(FIXTURES[index].as_bytes().to_vec(), &edits));
    }

    /// Well-formed JSON with a value of the wrong type or an odd value anywhere.
    #[test]
    fn decoders_survive_odd_values(
        index in 0..FIXTURES.len() - 1,
        node in any::<usize>(),
        new in odd_json(),
    ) {
        let mut value: Value = serde_json::from_str(FIXTURES[index]).unwrap();
        replace_node(&mut value, node, new);
        decode_everything(&serde_json::to_vec(&value).unwrap());
    }

    /// What a status URL in an answer's headers is, the reference made from it reads
    /// back the same.
    #[test]
    fn tracking_references_round_trip(
        path in vec("[^\\p{Cc}]{1,10}", 0..5),
        job in proptest::option::of(".{1,20}"),
    ) {
        let base = Url::parse("https://management.azure.com/").unwrap();
        let url = backup_core::path::join_segments(backup_azure::VENDOR, &base, &path);
        prop_assume!(url.is_ok());
        let tracking = TrackingRef::new(url.ok(), None).unwrap().with_job_id(job.clone());
        let reference: OperationRef = tracking.to_reference().to_string().parse().unwrap();
        match TrackingRef::from_reference(&reference) {
            Ok(back) => prop_assert_eq!(back, tracking),
            Err(Error::InvalidInput { .. }) => {
                let job = job.unwrap_or_default();
                prop_assert!(backup_core::path::validate_id("t", "j", &job).is_err());
            }
            Err(other) => prop_assert!(false, "{other}"),
        }
    }
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
    let mut runner = runner(64);
    runner
        .run(&(0..3_usize, awkward_id()), |(position, id)| {
            let vm = demo_vm();
            let pick = |at: usize, demo: &str| if at == position { id.clone() } else { demo.to_owned() };
            let (vault, container, item) = (pick(0, &vm.vault), pick(1, &vm.container), pick(2, &vm.item));
            let target = ProtectedItem::new(
                vm.subscription_id.clone(),
                vm.resource_group.clone(),
                vault.clone(),
                vm.fabric.clone(),
                container.clone(),
                item.clone(),
            );
            let before = log.total();
            let result = runtime.block_on(client.trigger(&TriggerRequest::azure_vm(target)));
            if let Err(Error::InvalidInput { .. }) = result {
                prop_assert_eq!(log.total(), before, "refused input was sent");
                return Ok(());
            }
            let record = log.last().unwrap();
            let segments = segments_below(&base, record.path());
            prop_assert_eq!(segments.len(), 15, "{} for {:?}", record.target, result);
            prop_assert_eq!(&segments[7], &vault);
            prop_assert_eq!(&segments[11], &container);
            prop_assert_eq!(&segments[13], &item);
            prop_assert_eq!(segments[14].as_str(), "backup");
            sent.set(sent.get() + 1);

            // The job id of a reference: read through the job URL of its vault.
            let status_url = base
                .join("subscriptions/s/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v/operationsStatus/op")
                .unwrap();
            let reference = TrackingRef::new(Some(status_url), None)
                .unwrap()
                .with_job_id(Some(item.clone()))
                .to_reference();
            let before = log.total();
            let result = runtime.block_on(client.status(&reference));
            if let Err(Error::InvalidInput { .. }) = result {
                prop_assert_eq!(log.total(), before, "refused input was sent");
                return Ok(());
            }
            let record = log.last().unwrap();
            let segments = segments_below(&base, record.path());
            prop_assert_eq!(segments.len(), 10, "{} for {:?}", record.target, result);
            prop_assert_eq!(segments[8].as_str(), "backupJobs");
            prop_assert_eq!(&segments[9], &item);
            Ok(())
        })
        .unwrap();
    assert!(
        sent.get() >= 32,
        "only {} of 64 cases were sent",
        sent.get()
    );
}

/// A status URL header as a hostile or broken answer may send it: on the endpoint,
/// on another host, relative, or any text.
fn status_header(here: &str) -> impl Strategy<Value = Option<String>> {
    let here = here.to_owned();
    proptest::option::of(prop_oneof![
        vec("[a-zA-Z0-9;%._~-]{1,8}", 0..6).prop_map(move |path| format!(
            "{here}/subscriptions/s/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v/{}?api-version=1",
            path.join("/")
        )),
        "https?://[a-z.]{1,12}(:[0-9]{1,5})?/[ -~]{0,20}",
        "[ -~]{0,40}",
    ])
}

/// The trigger's answer is its headers: whatever they hold, the trigger gives an
/// operation whose reference reads back (status URLs on the endpoint only), or
/// `OutcomeUnknown` (the backup may have started), never a panic or another error.
#[test]
fn trigger_answers_are_an_operation_or_outcome_unknown() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(wiremock::MockServer::start());
    let here = server.uri();
    let client = backup_azure::Client::builder()
        .endpoint(&here)
        .bearer_token("token")
        .retry(backup_azure::RetryPolicy::never())
        .build()
        .unwrap();
    let answers = (
        status_header(&here),
        status_header(&here),
        proptest::option::of("[ -~]{0,12}"),
        prop_oneof![Just(200_u16), Just(201), Just(202), Just(204)],
    );
    let (followed, unknown) = (std::cell::Cell::new(0), std::cell::Cell::new(0));
    runner(64)
        .run(
            &answers,
            |(async_operation, location, retry_after, status)| {
                runtime.block_on(async {
                    server.reset().await;
                    let mut answer = wiremock::ResponseTemplate::new(status);
                    for (name, value) in [
                        ("Azure-AsyncOperation", &async_operation),
                        ("Location", &location),
                        ("Retry-After", &retry_after),
                    ] {
                        if let Some(value) = value
                            .as_deref()
                            .filter(|v| HeaderValue::from_str(v).is_ok())
                        {
                            answer = answer.insert_header(name, value);
                        }
                    }
                    wiremock::Mock::given(wiremock::matchers::method("POST"))
                        .respond_with(answer)
                        .mount(&server)
                        .await;
                });
                let result = runtime.block_on(client.trigger(&TriggerRequest::azure_vm(demo_vm())));
                match result {
                    Ok(operations) => {
                        prop_assert_eq!(operations.len(), 1);
                        let operation = &operations[0];
                        let tracking = TrackingRef::from_reference(&operation.reference).unwrap();
                        for url in tracking.urls() {
                            prop_assert!(url.as_str().starts_with(&here), "{} followed", url);
                        }
                        followed.set(followed.get() + 1);
                    }
                    Err(Error::OutcomeUnknown { .. }) => unknown.set(unknown.get() + 1),
                    Err(other) => prop_assert!(false, "{other}"),
                }
                Ok(())
            },
        )
        .unwrap();
    assert!(
        followed.get() > 4 && unknown.get() > 4,
        "{followed:?} {unknown:?}"
    );
}
