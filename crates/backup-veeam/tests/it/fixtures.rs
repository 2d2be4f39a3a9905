//! The vendor document's examples (and the notes' shapes) as fixtures: request lines
//! and bodies pinned, responses decoded and snapshotted.

use std::time::Duration;

use crate::common::{fixture, password_client, token_json};
use backup_core::{OperationRef, OperationStatus};
use backup_veeam::operation::{to_operation, with_produced};
use backup_veeam::{
    ApiVersion, ExecutionDuration, JobSession, Listing, Operation, PolicyType, ProblemDetails,
    ProtectedItem, RestorePoint, SessionLog, SessionStatus, TriggerRequest,
};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const POLICY: &str = "4094906f-2d81-4a73-b9bc-00482690c285";

#[test]
fn the_documents_start_response_decodes() {
    let sessions: Vec<JobSession> =
        serde_json::from_str(&fixture("start-policy-response.json")).unwrap();
    insta::assert_debug_snapshot!("document_start_response", sessions);
    let parsed: Vec<_> = sessions
        .iter()
        .map(|s| {
            (
                s.id.as_str(),
                s.started_at(),
                s.stopped_at(),
                s.duration(),
                s.link("log"),
            )
        })
        .collect();
    insta::assert_debug_snapshot!("document_start_response_parsed", parsed);
}

#[test]
fn the_documents_sessions_become_operations() {
    let sessions: Vec<JobSession> =
        serde_json::from_str(&fixture("start-policy-response.json")).unwrap();
    let operations: Vec<_> = sessions
        .iter()
        .map(|s| backup_veeam::operation::to_operation(ApiVersion::V1, s, None))
        .collect();
    insta::assert_json_snapshot!("document_operations", operations);
}

#[test]
fn the_notes_session_log_and_problem_shapes_decode() {
    let session: JobSession = serde_json::from_str(&fixture("session-v8.json")).unwrap();
    insta::assert_debug_snapshot!("session_v8", (session.duration(), &session));
    let log: SessionLog = serde_json::from_str(&fixture("session-log.json")).unwrap();
    assert_eq!(log.last_message(), Some("Job finished with Warning"));
    insta::assert_debug_snapshot!("session_log", log);
    let conflict: ProblemDetails = serde_json::from_str(&fixture("problem-409.json")).unwrap();
    insta::assert_debug_snapshot!("problem_409", conflict);
    let invalid: ProblemDetails = serde_json::from_str(&fixture("problem-400.json")).unwrap();
    insta::assert_debug_snapshot!("problem_400", invalid);
}

/// Every request the client sent, as `METHOD path`, content type and body, with the
/// authorization header shown by scheme only.
fn describe(requests: &[wiremock::Request]) -> String {
    let mut out = String::new();
    for request in requests {
        let header = |name: &str| {
            request
                .headers
                .get(name)
                .map_or("-".to_owned(), |v| v.to_str().unwrap().to_owned())
        };
        let auth = header("authorization");
        let auth = auth
            .split_once(' ')
            .map_or(auth.as_str(), |(scheme, _)| scheme);
        out.push_str(&format!(
            "{} {}\n  content-type: {}\n  authorization: {}\n  body: {}\n",
            request.method,
            request.url.path(),
            header("content-type"),
            auth,
            String::from_utf8_lossy(&request.body)
        ));
    }
    out
}

#[tokio::test]
async fn the_documents_request_and_the_token_grants_are_pinned() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/oauth2/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(token_json("access-1", "refresh-1", 0), "application/json"),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/api/v1/policies/{POLICY}/start")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(fixture("start-policy-response.json"), "application/json"),
        )
        .mount(&server)
        .await;
    let client = password_client(&server.uri(), ApiVersion::V1);
    // Password grant, then the document's request; the token expires at once, so the
    // second start uses the refresh grant first.
    client
        .start_policy(&TriggerRequest::new(POLICY))
        .await
        .unwrap();
    client
        .start_policy(&TriggerRequest::new(POLICY))
        .await
        .unwrap();
    let requests = server.received_requests().await.unwrap();
    insta::assert_snapshot!("document_requests", describe(&requests));
}

#[test]
fn the_token_answer_fixture_is_what_the_client_reads() {
    // `.issued` / `.expires` arrive as HTTP dates; `expires_in` is what the client uses.
    let token: serde_json::Value = serde_json::from_str(&fixture("token-password.json")).unwrap();
    assert_eq!(token["expires_in"], 3600);
    assert_eq!(token["token_type"], "bearer");
}

/// The archived v3 reference's collection example: `_links` as a map, the duration as
/// a `TimeSpan` string, `usn` and `_embeddedResources`.
#[test]
fn the_v3_collection_example_decodes() {
    let page: Listing<JobSession> =
        serde_json::from_str(&fixture("job-sessions-v3-example.json")).unwrap();
    assert_eq!(page.total_count, Some(87));
    let session = &page.results[0];
    assert_eq!(
        session.duration(),
        Some(Duration::from_nanos(31_837_093_000))
    );
    assert_eq!(
        session.link("log"),
        Some("https://51.11.247.127/api/v3/jobSessions/60a7fe13-6155-460b-8beb-42c3243fef05/log")
    );
    assert_eq!(session.usn, Some(518));
    insta::assert_debug_snapshot!("v3_collection_example", page);
}

/// The JobSessionV3 / JobSessionV2 schema tables: `_links` as an array, the duration
/// in milliseconds, `type` and `status` as arrays of strings. Before, both forms
/// failed to decode (a started backup was an unknown outcome, and `status` failed).
#[test]
fn the_v2_and_v3_schema_table_forms_decode() {
    let v3: JobSession =
        serde_json::from_str(&fixture("job-session-v3-schema-table.json")).unwrap();
    assert_eq!(
        v3.execution_duration,
        Some(ExecutionDuration::Milliseconds(31_837))
    );
    assert_eq!(v3.duration(), Some(Duration::from_millis(31_837)));
    assert_eq!(
        v3.link("self"),
        Some("https://51.11.247.127/api/v3/jobSessions/60a7fe13-6155-460b-8beb-42c3243fef05")
    );
    assert_eq!(
        v3.links.as_ref().unwrap().0[1].method.as_deref(),
        Some("GET")
    );
    assert_eq!(v3.status, SessionStatus::Success);
    let v2: JobSession =
        serde_json::from_str(&fixture("job-session-v2-schema-table.json")).unwrap();
    assert_eq!(v2.status, SessionStatus::Warning);
    assert_eq!(
        v2.session_type,
        Some(backup_veeam::SessionType::PolicyBackup)
    );
    assert_eq!(v2.duration(), Some(Duration::from_millis(31_837)));
    insta::assert_debug_snapshot!("v3_schema_table", v3);
    let operations: Vec<Operation> = [&v3, &v2]
        .into_iter()
        .map(|session| to_operation(ApiVersion::V8_1, session, None))
        .collect();
    assert_eq!(operations[0].duration, Some(Duration::from_millis(31_837)));
    assert_eq!(operations[1].status, OperationStatus::SucceededWithWarnings);
    insta::assert_json_snapshot!("schema_table_operations", operations);
}

/// The v8.1 spec's `PolicyType` values, and the emulator's earlier `VirtualMachine`
/// kept as an unknown word (it is not one).
#[test]
fn the_v8_1_policy_type_is_read() {
    let session: JobSession = serde_json::from_str(&fixture("session-v8.json")).unwrap();
    let info = session.backup_job_info.unwrap();
    assert_eq!(info.policy_type, Some(PolicyType::VirtualMachines));
    assert_eq!(
        serde_json::to_value(&info).unwrap()["policyType"],
        "VirtualMachines"
    );
    // Every value of the spec's `PolicyType` enum, in its order, is a named variant.
    let spec = [
        ("VirtualMachines", PolicyType::VirtualMachines),
        ("AzureSql", PolicyType::AzureSql),
        ("FileShares", PolicyType::FileShares),
        ("Unknown", PolicyType::Unknown),
        ("CosmosDb", PolicyType::CosmosDb),
        ("ProtectionVmPolicy", PolicyType::ProtectionVmPolicy),
        ("Vnet", PolicyType::Vnet),
    ];
    for (word, expected) in spec {
        let info: backup_veeam::BackupJobInfo =
            serde_json::from_str(&format!(r#"{{"policyType":"{word}"}}"#)).unwrap();
        assert_eq!(info.policy_type, Some(expected), "{word}");
    }
    // The emulator's former `VirtualMachine` is no value of the spec: kept as sent.
    let info: backup_veeam::BackupJobInfo =
        serde_json::from_str(r#"{"policyType":"VirtualMachine"}"#).unwrap();
    assert_eq!(
        info.policy_type,
        Some(PolicyType::Other("VirtualMachine".to_owned()))
    );
}

/// Protected items and restore points shaped by the v8.1 spec, onto the operation of
/// the session: what it produced, its items and its size.
#[test]
fn the_spec_shaped_items_and_restore_points_give_what_was_produced() {
    let items: Listing<ProtectedItem> =
        serde_json::from_str(&fixture("protected-items-v8.1.json")).unwrap();
    let points: Listing<RestorePoint> =
        serde_json::from_str(&fixture("restore-points-v8.1.json")).unwrap();
    insta::assert_debug_snapshot!("protected_items_and_restore_points", (&items, &points));
    let session = "60a7fe13-6155-460b-8beb-42c3243fef05";
    let ended = Operation::new(
        OperationRef::new("veeam", format!("v8.1/{session}")),
        OperationStatus::SucceededWithWarnings,
    );
    let done = with_produced(ended, session, &items.results, &points.results);
    let produced: Vec<_> = done
        .produced
        .iter()
        .map(|p| (p.kind.as_str(), p.id.as_str()))
        .collect();
    assert_eq!(
        produced,
        [
            ("session", session),
            ("restore_point", "b7a9c3e1-2d4f-4a6b-8c0d-1e2f3a4b5c6d")
        ]
    );
    assert_eq!(done.size_bytes, Some(6_442_450_944));
    assert_eq!(done.items.len(), 2);
    assert_eq!(done.items[0].status, OperationStatus::Succeeded);
    assert_eq!(done.items[0].size_bytes, Some(6_442_450_944));
    assert_eq!(done.items[1].status, OperationStatus::Failed);
    assert!(
        done.items[1]
            .error
            .as_ref()
            .unwrap()
            .message
            .contains("vm-web-02")
    );
    insta::assert_json_snapshot!("produced_operation", done);
}
