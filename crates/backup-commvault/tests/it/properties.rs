//! Property tests: the answer decoders never panic, whatever the bytes (arbitrary, or
//! the fixtures' answers mutated); any job id is refused as `InvalidInput` before a
//! request or reaches the emulator as exactly one path segment (a reference's only when
//! it is a positive integer); the XML (and JSON) of a task built from arbitrary names
//! reads back to the same names.
//!
//! `escaping.rs` pins hand-picked odd names; here the names are generated.
#![cfg(feature = "emulator")]

use backup_commvault::emulator::Emulator;
use backup_commvault::model::job::JobResponse;
use backup_commvault::operation::{job_reference, operation_from_summary};
use backup_commvault::prelude::*;
use backup_commvault::{
    ApiErrors, BackupLevel, CreateTaskAnswer, CreateTaskReq, Error, JobStatus, MAX_JOB_ID_LEN,
    OperationRef, TriggerRequest, VENDOR, error_in_body, parse_generic, xml_root,
};
use backup_core::testing::{
    apply, awkward_id, edit, odd_json, replace_node, runner, segments_below,
};
use backup_core::transport::{ErrorDecoder, Response};
use http::{HeaderMap, HeaderValue, StatusCode};
use proptest::collection::vec;
use proptest::prelude::*;
use serde_json::Value;

/// The document's examples and the notes' shapes (as in `fixtures.rs`): the
/// JSON ones first.
const FIXTURES: [&[u8]; 11] = [
    include_bytes!("../fixtures/job_completed_errors.json"),
    include_bytes!("../fixtures/job_running.json"),
    br#"{"taskId":"4039","jobIds":["1",2]}"#,
    br#"{"errorCode":587207178,"errorMessage":"Failed to start backups as no eligible subclients were found. "}"#,
    br#"{"errList":[{"errorCode":2,"errLogMessage":"bad request"}]}"#,
    include_bytes!("../fixtures/create_task_response.xml"),
    include_bytes!("../fixtures/generic_error_response.xml"),
    include_bytes!("../fixtures/create_task_request.xml"),
    br#"<CVGui_GenericResp errorMessage="Access to &quot;x&quot; &amp; y denied" errorCode="5"/>"#,
    br#"<TMMsg_GenericResp errorCode="0" errorMessage=""/>"#,
    br#"<DM2ContentIndexing_CheckCredentialResp aliasName="1" userName="admin&amp;co" token="QSDK 77aa" forcePasswordChange="false"><capability/></DM2ContentIndexing_CheckCredentialResp>"#,
];
/// How many of [`FIXTURES`] are JSON (the first ones).
const JSON_FIXTURES: usize = 5;

const STATUSES: [u16; 7] = [200, 400, 401, 404, 409, 429, 500];

/// Runs every decoder of the crate on `body`; panics on a bug.
fn decode_everything(body: &[u8]) {
    let _ = format!("{:?}", CreateTaskAnswer::parse(body));
    let _ = xml_root(body);
    let mut headers = HeaderMap::new();
    headers.insert("retry-after", HeaderValue::from_static("3"));
    for status in STATUSES {
        let response = Response::from_parts(
            backup_commvault::VENDOR,
            StatusCode::from_u16(status).unwrap(),
            headers.clone(),
            body.to_vec(),
        );
        if let Some(generic) = parse_generic(body) {
            let _ = generic.to_api_error(&response);
        }
        let _ = error_in_body(&response);
        let api = ApiErrors.decode_error(&response);
        assert_eq!(api.status, status);
        assert_eq!(api.vendor, backup_commvault::VENDOR);
        let error = Error::from(api);
        let _ = (error.to_string(), format!("{error:?}"));
    }
    if let Ok(jobs) = serde_json::from_slice::<JobResponse>(body) {
        for entry in &jobs.jobs {
            let operation = operation_from_summary("1", &entry.job_summary);
            assert!(
                operation
                    .progress
                    .is_none_or(|p| (0.0..=100.0).contains(&p)),
                "{operation:?}"
            );
        }
    }
    let text = String::from_utf8_lossy(body);
    let status = JobStatus::parse(&text);
    let _ = status.operation_status();
    if let Ok(task) = CreateTaskReq::from_xml(&text) {
        let _ = (task.to_xml(), task.to_json());
    }
}

/// A name: markup, entities, CDATA ends, quotes, unicode, white space at the ends,
/// and now and then what is refused (blank, control characters).
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[<>&\"' a-z;#\\]]{1,12}",
        2 => "(&[a-z#0-9]{1,6};?|<!\\[CDATA\\[|\\]\\]>|<\\?xml|<!--){1,3}",
        4 => "\\PC{1,16}",
        1 => ".{0,12}",
        1 => " {0,3}[a-z]{0,3} {0,3}",
    ]
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
        index in 0..JSON_FIXTURES,
        node in any::<usize>(),
        new in odd_json(),
    ) {
        let mut value: Value = serde_json::from_slice(FIXTURES[index]).unwrap();
        replace_node(&mut value, node, new);
        decode_everything(&serde_json::to_vec(&value).unwrap());
    }

    /// The XML and the JSON of a task read back to the same task and the same names,
    /// or the request is refused as `InvalidInput` before anything is written.
    #[test]
    fn task_xml_round_trips_arbitrary_names(
        names in proptest::array::uniform6(name()),
        level in prop_oneof![Just(BackupLevel::Full), Just(BackupLevel::Incremental)],
    ) {
        let [client, subclient, instance, backupset, app, policy] = names.clone();
        let request = TriggerRequest::new(client, subclient)
            .instance_name(instance)
            .backupset_name(backupset)
            .app_name(app)
            .storage_policy_name(policy)
            .backup_level(level);
        let task = match request.to_task() {
            Ok(task) => task,
            Err(Error::InvalidInput { .. }) => {
                prop_assert!(
                    names.iter().any(|n| n.trim().is_empty() || n.chars().any(char::is_control)),
                    "{:?}", names
                );
                return Ok(());
            }
            Err(other) => return Err(TestCaseError::fail(other.to_string())),
        };
        let xml = task.to_xml().unwrap();
        let back = CreateTaskReq::from_xml(&xml).unwrap();
        prop_assert_eq!(&back, &task, "{}", xml);
        let association = &back.task_info.associations[0];
        prop_assert_eq!(&association.client_name, &names[0]);
        prop_assert_eq!(&association.subclient_name, &names[1]);
        prop_assert_eq!(association.instance_name.as_ref(), Some(&names[2]));
        prop_assert_eq!(association.backupset_name.as_ref(), Some(&names[3]));
        prop_assert_eq!(association.app_name.as_ref(), Some(&names[4]));
        let storage = back.task_info.sub_tasks[0]
            .options
            .backup_opts
            .media_opt
            .as_ref()
            .map(|m| m.storage_policy.storage_policy_name.clone());
        prop_assert_eq!(storage.as_ref(), Some(&names[5]));
        let json: CreateTaskReq = serde_json::from_str(&task.to_json().unwrap()).unwrap();
        prop_assert_eq!(json, task);
    }

    /// The body written straight from a request is, byte for byte, what the
    /// serializer writes for its task (or both refuse the request).
    #[test]
    fn direct_xml_is_the_serialized_task(
        names in proptest::array::uniform6(proptest::option::of(name())),
        directive in proptest::option::of(name()),
        ad_hoc in any::<bool>(),
        level in prop_oneof![
            Just(BackupLevel::Full),
            Just(BackupLevel::Incremental),
            Just(BackupLevel::Differential),
            Just(BackupLevel::SyntheticFull),
        ],
    ) {
        let [client, subclient, instance, backupset, app, policy] = names;
        let mut request = TriggerRequest::new(
            client.unwrap_or_else(|| "client".to_owned()),
            subclient.unwrap_or_else(|| "subclient".to_owned()),
        )
        .backup_level(level);
        request.instance_name = instance;
        request.backupset_name = backupset;
        request.app_name = app;
        request.storage_policy_name = policy;
        request.on_demand_input_file = directive;
        request.ad_hoc_backup = ad_hoc;
        match (request.to_xml(), request.to_task()) {
            (Ok(direct), Ok(task)) => prop_assert_eq!(direct, task.to_xml().unwrap()),
            (Err(Error::InvalidInput { .. }), Err(Error::InvalidInput { .. })) => {}
            (direct, task) => {
                return Err(TestCaseError::fail(format!("{direct:?} / {task:?}")));
            }
        }
    }
}

/// The last request whose path contains `marker`.
fn last_path(log: &backup_core::emulator::RequestLog, marker: &str) -> Option<String> {
    log.records()
        .into_iter()
        .rev()
        .find(|r| r.path().contains(marker))
        .map(|r| r.path().to_owned())
}

/// What a job id looks like, and what it must not: signs, leading zeros, white
/// space, letters, and the awkward ids of paths.
fn job_id_like() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => "[1-9][0-9]{0,9}",
        1 => "[-+0 ]?[0-9]{1,4}[a-z ]?",
        1 => awkward_id(),
    ]
}

/// Whether `id` is a job id: a positive integer, no sign, no leading zero.
fn is_job_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_JOB_ID_LEN
        && id.bytes().all(|b| b.is_ascii_digit())
        && !id.starts_with('0')
}

#[test]
fn job_ids_are_refused_or_reach_the_emulator_as_one_segment() {
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
    let referenced = std::cell::Cell::new(0_u32);
    runner(64)
        .run(&(awkward_id(), job_id_like()), |(raw_id, id)| {
            // A raw read (`GET Job/{jobId}`) takes any usable id, as one segment.
            let before = log.total();
            match runtime.block_on(client.job(&raw_id)) {
                Err(Error::InvalidInput { .. }) => {
                    prop_assert_eq!(log.total(), before, "refused input was sent");
                }
                result => {
                    let path = last_path(&log, "/Job/").unwrap();
                    let segments = segments_below(&base, &path);
                    prop_assert_eq!(segments.len(), 2, "{} for {:?}", path, result);
                    prop_assert_eq!(&segments[1], &raw_id);
                    sent.set(sent.get() + 1);
                }
            }
            // A reference holds a job id: anything else is refused before a request.
            let reference = match job_reference(&id) {
                Ok(reference) => reference,
                Err(Error::InvalidInput { .. }) => {
                    prop_assert!(!is_job_id(&id), "{:?} was refused", id);
                    let before = log.total();
                    let reference = OperationRef::new(VENDOR, id.clone());
                    for result in [
                        runtime.block_on(client.status(&reference)),
                        runtime.block_on(client.cancel(&reference)),
                    ] {
                        prop_assert!(
                            matches!(result, Err(Error::InvalidInput { .. })),
                            "{:?}",
                            result
                        );
                    }
                    prop_assert_eq!(log.total(), before, "refused input was sent");
                    return Ok(());
                }
                Err(other) => return Err(TestCaseError::fail(other.to_string())),
            };
            prop_assert!(is_job_id(&id), "{:?} was taken", id);
            // `GET Job/{jobId}`.
            let result = runtime.block_on(client.status(&reference));
            let path = last_path(&log, "/Job/").unwrap();
            let segments = segments_below(&base, &path);
            prop_assert_eq!(segments.len(), 2, "{} for {:?}", path, result);
            prop_assert_eq!(&segments[1], &id);
            // `POST Job/{jobId}/action/kill`.
            let _ = runtime.block_on(client.cancel(&reference));
            let path = log
                .records()
                .into_iter()
                .rev()
                .find(|r| r.method == http::Method::POST && r.path().contains("/Job/"))
                .map(|r| r.path().to_owned())
                .unwrap();
            let segments = segments_below(&base, &path);
            prop_assert_eq!(segments.len(), 4, "{}", path);
            prop_assert_eq!(&segments[1], &id);
            prop_assert_eq!(segments[3].as_str(), "kill");
            referenced.set(referenced.get() + 1);
            Ok(())
        })
        .unwrap();
    assert!(sent.get() >= 32, "only {} cases were sent", sent.get());
    assert!(
        referenced.get() >= 16,
        "only {} references were sent",
        referenced.get()
    );
}
