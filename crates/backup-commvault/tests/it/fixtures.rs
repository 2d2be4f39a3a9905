//! Every example of the *Run Backup Job* document (and the notes' JSON forms) as a
//! fixture: the request body pinned as a snapshot and compared with the document's
//! sample modulo white space; the responses decoded and snapshotted.

use backup_commvault::model::job::JobResponse;
use backup_commvault::operation::operation_from_summary;
use backup_commvault::{BackupLevel, CreateTaskAnswer, CreateTaskReq, TriggerRequest};

const SAMPLE_REQUEST: &str = include_str!("../fixtures/create_task_request.xml");
const SAMPLE_RESPONSE: &str = include_str!("../fixtures/create_task_response.xml");
const SAMPLE_ERROR: &str = include_str!("../fixtures/generic_error_response.xml");

/// The backup the document's sample request describes.
fn document_backup() -> TriggerRequest {
    TriggerRequest::new("s-adhoc-object-storage", "stestgroup")
        .instance_name("s-adhoc-object-storage")
        .backupset_name("defaultBackupSet")
        .app_name("Cloud Apps")
        .storage_policy_name("default-plan")
        .backup_level(BackupLevel::Incremental)
        .ad_hoc("/sk/s-directive-file-blob.txt")
}

/// XML modulo white space: white space next to tags dropped, and before `/>` and `?>`;
/// other runs of white space become one space.
fn normalise(xml: &str) -> String {
    let mut out = String::new();
    let mut pending_space = false;
    let mut chars = xml.trim().chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_whitespace() {
            pending_space = true;
            continue;
        }
        if pending_space {
            let between_tags = c == '<' || out.ends_with('>');
            let before_tag_end = matches!(c, '/' | '?') && chars.peek() == Some(&'>');
            if !between_tags && !before_tag_end {
                out.push(' ');
            }
            pending_space = false;
        }
        out.push(c);
    }
    out
}

#[test]
fn normalise_only_drops_insignificant_space() {
    assert_eq!(normalise("<a> <b x=\"1\" /> </a>\n"), "<a><b x=\"1\"/></a>");
    assert_eq!(
        normalise("<?xml version=\"1.0\" ?>\n<a>t u</a>"),
        "<?xml version=\"1.0\"?><a>t u</a>"
    );
}

#[test]
fn sample_request_is_reproduced_modulo_white_space() {
    let xml = document_backup().to_task().unwrap().to_xml().unwrap();
    assert_eq!(normalise(&xml), normalise(SAMPLE_REQUEST));
    insta::assert_snapshot!("create_task_request_xml", xml);
}

#[test]
fn sample_request_parses_back_to_the_same_task() {
    let parsed = CreateTaskReq::from_xml(SAMPLE_REQUEST).unwrap();
    assert_eq!(parsed, document_backup().to_task().unwrap());
}

#[test]
fn sample_request_as_json() {
    let json = document_backup().to_task().unwrap().to_json().unwrap();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    insta::assert_json_snapshot!("create_task_request_json", value);
}

#[test]
fn every_backup_level_is_written() {
    for (level, text) in [
        (BackupLevel::Full, "FULL"),
        (BackupLevel::Incremental, "INCREMENTAL"),
        (BackupLevel::Differential, "DIFFERENTIAL"),
        (BackupLevel::SyntheticFull, "SYNTHETIC_FULL"),
    ] {
        let xml = TriggerRequest::new("c", "s")
            .backup_level(level)
            .to_task()
            .unwrap()
            .to_xml()
            .unwrap();
        assert!(
            xml.contains(&format!("<backupLevel>{text}</backupLevel>")),
            "{xml}"
        );
        assert_eq!(level.to_string(), text);
    }
}

#[test]
fn minimal_request_leaves_out_what_is_not_set() {
    let xml = TriggerRequest::new("client1", "default")
        .to_task()
        .unwrap()
        .to_xml()
        .unwrap();
    insta::assert_snapshot!("create_task_request_minimal_xml", xml);
    assert!(!xml.contains("mediaOpt"));
    assert!(!xml.contains("onDemandInputFile"));
    assert!(xml.contains("<adHocBackup>false</adHocBackup>"));
}

#[test]
fn sample_response_decodes() {
    let answer = CreateTaskAnswer::parse(SAMPLE_RESPONSE.as_bytes()).unwrap();
    insta::assert_debug_snapshot!("create_task_response", answer);
}

#[test]
fn sample_error_decodes() {
    let answer = CreateTaskAnswer::parse(SAMPLE_ERROR.as_bytes()).unwrap();
    insta::assert_debug_snapshot!("generic_error_response", answer);
}

#[test]
fn other_answer_forms_decode() {
    let cases: [(&str, &str); 9] = [
        ("json_task", r#"{"taskId":4038,"jobIds":["149806"]}"#),
        (
            "json_task_many_jobs",
            r#"{"taskId":"4039","jobIds":["1",2]}"#,
        ),
        (
            "json_error",
            r#"{"errorCode":587207178,"errorMessage":"Failed to start backups as no eligible subclients were found. "}"#,
        ),
        (
            "json_errlist",
            r#"{"errList":[{"errorCode":2,"errLogMessage":"bad request"}]}"#,
        ),
        (
            "cvgui_error",
            r#"<CVGui_GenericResp errorMessage="Access to &quot;x&quot; &amp; y denied" errorCode="5"/>"#,
        ),
        (
            "xml_task_no_job",
            r#"<TMMsg_CreateTaskResp taskId="4040"/>"#,
        ),
        ("json_task_no_job", r#"{"taskId":4041,"jobIds":[]}"#),
        (
            "generic_success",
            r#"<TMMsg_GenericResp errorCode="0" errorMessage=""/>"#,
        ),
        (
            "xml_many_jobs",
            "<?xml version=\"1.0\"?>\n<TMMsg_CreateTaskResp taskId=\"4042\"><jobIds val=\"1\"/><jobIds val=\"2\"/></TMMsg_CreateTaskResp>",
        ),
    ];
    for (name, body) in cases {
        let answer = CreateTaskAnswer::parse(body.as_bytes()).unwrap();
        insta::assert_debug_snapshot!(format!("answer_{name}"), answer);
    }
    for bad in [
        "",
        "<html><body><h1>502 Bad Gateway</h1></body></html>",
        r#"{"taskId":40"#,
        "<TMMsg_CreateTaskResp taskId=\"1\"><jobIds",
        "OK",
        "{}",
    ] {
        assert!(CreateTaskAnswer::parse(bad.as_bytes()).is_err(), "{bad}");
    }
}

#[test]
fn job_summary_decodes() {
    let body = include_str!("../fixtures/job_running.json");
    let parsed: JobResponse = serde_json::from_str(body).unwrap();
    let summary = &parsed.jobs[0].job_summary;
    insta::assert_debug_snapshot!("job_running_summary", summary);
    let operation = operation_from_summary("5976", summary);
    insta::assert_json_snapshot!("job_running_operation", operation);
    let done: JobResponse =
        serde_json::from_str(include_str!("../fixtures/job_completed_errors.json")).unwrap();
    let operation = operation_from_summary("5976", &done.jobs[0].job_summary);
    insta::assert_json_snapshot!("job_completed_errors_operation", operation);
}

/// The Login (JSON and XML) and RenewLoginToken bodies, as sent, pinned.
#[tokio::test]
async fn auth_request_bodies_are_pinned() {
    use backup_commvault::prelude::*;
    use backup_commvault::{Client, Format};
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/commandcenter/api/Login"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"token": "QSDK t1"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/commandcenter/api/Job/1"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(
                serde_json::json!({"errorMessage": "Access denied", "errorCode": 5}),
            ),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/commandcenter/api/RenewLoginToken"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"token": "QSDK t2"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/commandcenter/api/Job/1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            serde_json::json!({"jobs": [{"jobSummary": {"jobId": 1, "status": "Running"}}]}),
        ))
        .mount(&server)
        .await;
    let base = format!("{}/commandcenter/api/", server.uri());
    for format in [Format::Json, Format::Xml] {
        let client = Client::builder()
            .endpoint(&base)
            .username_password("admin", "test-password-ü".to_owned())
            .login_format(format)
            .build()
            .unwrap();
        client.login().await.unwrap();
    }
    let client = Client::builder()
        .endpoint(&base)
        .token("t0".to_owned())
        .build()
        .unwrap();
    client
        .status(&"commvault:1".parse().unwrap())
        .await
        .unwrap();

    let bodies: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "POST")
        .map(|r| {
            format!(
                "{} {}\n{}",
                r.url.path(),
                r.headers.get("content-type").unwrap().to_str().unwrap(),
                String::from_utf8_lossy(&r.body)
            )
        })
        .collect();
    insta::assert_snapshot!("auth_request_bodies", bodies.join("\n\n"));
}

fn summary_of(body: &str) -> backup_commvault::JobSummary {
    let parsed: JobResponse = serde_json::from_str(body).unwrap();
    parsed.jobs.into_iter().next().unwrap().job_summary
}

/// Issue 15: a failed job's `pendingReason` (`Error Code: [19:1131]<br>Description: ...`)
/// gives the code as `error.code` and no HTML anywhere.
#[test]
fn failed_job_reason_gives_the_code_without_html() {
    let summary = summary_of(include_str!("../fixtures/job_failed_pending_reason.json"));
    let operation = operation_from_summary("149806", &summary);
    assert_eq!(operation.status, backup_commvault::OperationStatus::Failed);
    let error = operation.error.as_ref().unwrap();
    assert_eq!(error.code.as_deref(), Some("19:1131"));
    assert_eq!(error.message, "...");
    assert_eq!(
        operation.message.as_deref(),
        Some("Error Code: [19:1131] Description: ...")
    );
    assert!(operation.produced.is_empty());
    insta::assert_json_snapshot!("job_failed_pending_reason_operation", operation);
}

/// Issue 15: a completed job without `jobEndTime` ends at its `lastUpdateTime`, as
/// cvpysdk reads it.
#[test]
fn completed_job_without_end_time_ends_at_its_last_update() {
    let summary = summary_of(include_str!(
        "../fixtures/job_completed_without_end_time.json"
    ));
    assert_eq!(summary.job_end_time, None);
    let operation = operation_from_summary("149807", &summary);
    assert_eq!(
        operation.finished_at.unwrap().unix_timestamp(),
        1_497_264_332
    );
    assert_eq!(operation.duration, Some(std::time::Duration::from_secs(29)));
    assert_eq!(operation.size_bytes, Some(266_793));
    assert_eq!(
        operation.produced,
        [backup_core::operation::Produced::new("job", "149807")]
    );
    insta::assert_json_snapshot!("job_completed_without_end_time_operation", operation);
    // A running job's lastUpdateTime is not an end.
    let mut running = summary.clone();
    running.status = Some("Running".to_owned());
    assert_eq!(operation_from_summary("149807", &running).finished_at, None);
}

/// Issue 15: sizes, the vendor's duration, failed-file counts as warnings and the
/// subclient as the job's item.
#[test]
fn completed_with_errors_reports_failed_files_and_sizes() {
    let summary = summary_of(include_str!("../fixtures/job_completed_with_errors.json"));
    let operation = operation_from_summary("5976", &summary);
    assert_eq!(
        operation.status,
        backup_commvault::OperationStatus::SucceededWithWarnings
    );
    assert_eq!(
        operation.warnings,
        ["3 files and 1 folder failed to back up"]
    );
    assert_eq!(operation.size_bytes, Some(52_428_800));
    assert_eq!(
        operation.duration,
        Some(std::time::Duration::from_secs(300))
    );
    assert_eq!(operation.items.len(), 1);
    assert_eq!(operation.items[0].id, "21");
    assert_eq!(
        operation.items[0].name.as_deref(),
        Some("fs-client/DefaultInstanceName/defaultBackupSet/default")
    );
    insta::assert_json_snapshot!("job_completed_with_errors_operation", operation);
}

/// The API reference's *Get Job Details* example decodes (sizes sent as text).
#[test]
fn job_details_example_decodes() {
    use backup_commvault::model::details::JobDetailsResponse;
    let parsed: JobDetailsResponse =
        serde_json::from_str(include_str!("../fixtures/job_details.json")).unwrap();
    let detail = parsed.job.unwrap().job_detail;
    assert_eq!(detail.detail_info.size_of_application, Some(266_793));
    assert_eq!(detail.detail_info.skipped_items, Some(2));
    assert_eq!(detail.progress_info.state.as_deref(), Some("Completed"));
    let vm: JobDetailsResponse =
        serde_json::from_str(include_str!("../fixtures/job_details_vm.json")).unwrap();
    let vms = vm.job.unwrap().job_detail.client_status_info.vm_status;
    insta::assert_debug_snapshot!("job_details_vm_status", vms);
}

/// A schedule's answer (a `taskId` alone) is a task that started nothing.
#[test]
fn schedule_answer_is_a_task_without_jobs() {
    let answer = CreateTaskAnswer::parse(
        include_str!("../fixtures/create_task_schedule_response.json").as_bytes(),
    )
    .unwrap();
    let CreateTaskAnswer::Task(task) = answer else {
        panic!("{answer:?}")
    };
    assert_eq!(task.task_id, "4043");
    assert!(task.is_scheduled_only());
}

/// `{"totalRecordsWithoutPaging":0}` lists no job.
#[test]
fn an_empty_job_list_decodes() {
    let parsed: JobResponse =
        serde_json::from_str(include_str!("../fixtures/job_not_listed_yet.json")).unwrap();
    assert_eq!(parsed.total_records_without_paging, Some(0));
    assert!(parsed.jobs.is_empty());
}
