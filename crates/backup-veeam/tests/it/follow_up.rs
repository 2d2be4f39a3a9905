//! Request assertions (wiremock) for the reads around a session: what it produced
//! (protected items, restore points), the policy's sessions a lost start is looked for
//! in, and the journal's key.

use std::time::Duration;

use crate::common::{fixture, password_client, token_json};
use backup_core::contract::Recovered;
use backup_core::{OperationRef, OperationStatus, timefmt};
use backup_veeam::prelude::*;
use backup_veeam::{ApiVersion, Client, Operation, TriggerRequest, WaitOptions};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const POLICY: &str = "4094906f-2d81-4a73-b9bc-00482690c285";
const SESSION: &str = "60a7fe13-6155-460b-8beb-42c3243fef05";

fn json(body: impl Into<String>) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body.into(), "application/json")
}

async fn server_with_token() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/oauth2/token"))
        .respond_with(json(token_json("at-1", "rt-1", 3600)))
        .mount(&server)
        .await;
    server
}

/// The requests after the token grant, as `METHOD path?query`.
async fn api_requests(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() != "/api/oauth2/token")
        .map(|r: &Request| {
            let query = r.url.query().map(|q| format!("?{q}")).unwrap_or_default();
            format!("{} {}{query}", r.method, r.url.path())
        })
        .collect()
}

fn ended(version: &str) -> Operation {
    Operation::new(
        OperationRef::new("veeam", format!("{version}/{SESSION}")),
        OperationStatus::Succeeded,
    )
}

#[tokio::test]
async fn produced_reads_the_protected_items_then_the_latest_restore_points() {
    let server = server_with_token().await;
    Mock::given(method("GET"))
        .and(path(format!(
            "/api/v8.1/jobSessions/{SESSION}/protectedItems"
        )))
        .and(header("authorization", "Bearer at-1"))
        .and(header("accept", "application/json"))
        .respond_with(json(fixture("protected-items-v8.1.json")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v8.1/restorePoints/virtualMachines"))
        .and(query_param("OnlyLatest", "true"))
        .and(header("authorization", "Bearer at-1"))
        .respond_with(json(fixture("restore-points-v8.1.json")))
        .expect(1)
        .mount(&server)
        .await;
    // The client speaks v7; the reference's v8.1 wins.
    let client = password_client(&server.uri(), ApiVersion::V7);
    let done = client.produced(&ended("v8.1")).await.unwrap();
    assert_eq!(
        api_requests(&server).await,
        [
            format!("GET /api/v8.1/jobSessions/{SESSION}/protectedItems"),
            "GET /api/v8.1/restorePoints/virtualMachines?OnlyLatest=true".to_owned(),
        ]
    );
    let produced: Vec<_> = done.produced.iter().map(|p| p.kind.as_str()).collect();
    assert_eq!(produced, ["session", "restore_point"]);
    assert_eq!(done.size_bytes, Some(6_442_450_944));
    assert_eq!(done.items.len(), 2);
    assert!(done.warnings.is_empty());
}

#[tokio::test]
async fn produced_in_v1_reads_the_protected_items_only() {
    let server = server_with_token().await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/jobSessions/{SESSION}/protectedItems")))
        .respond_with(json(
            r#"{"offset":0,"limit":30,"totalCount":1,"results":[{"item":{"id":"vm-1","name":"web"},"successCount":3,"failureCount":0}]}"#,
        ))
        .expect(1)
        .mount(&server)
        .await;
    let client = password_client(&server.uri(), ApiVersion::V1);
    let done = client.produced(&ended("v1")).await.unwrap();
    assert_eq!(api_requests(&server).await.len(), 1);
    assert_eq!(done.produced.len(), 1);
    assert_eq!(done.produced[0].id, SESSION);
    // No run names the session (v1): the item takes the operation's status.
    assert_eq!(done.items[0].status, OperationStatus::Succeeded);
    assert_eq!(done.items[0].name.as_deref(), Some("web"));
    assert_eq!(done.size_bytes, None);
}

#[tokio::test]
async fn a_failed_restore_point_read_keeps_the_items_with_a_warning() {
    let server = server_with_token().await;
    Mock::given(method("GET"))
        .and(path(format!(
            "/api/v8.1/jobSessions/{SESSION}/protectedItems"
        )))
        .respond_with(json(fixture("protected-items-v8.1.json")))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v8.1/restorePoints/virtualMachines"))
        .respond_with(ResponseTemplate::new(403).set_body_raw(
            r#"{"title":"Forbidden","status":403,"detail":"The user has no access to restore points."}"#,
            "application/problem+json",
        ))
        .mount(&server)
        .await;
    let client = password_client(&server.uri(), ApiVersion::V8_1);
    let done = client.produced(&ended("v8.1")).await.unwrap();
    assert_eq!(done.items.len(), 2);
    // Without restore points, the size is the items' transferred bytes.
    assert_eq!(done.size_bytes, Some(6_442_450_944));
    assert_eq!(done.warnings.len(), 1);
    assert!(
        done.warnings[0].contains("could not list the restore points")
            && done.warnings[0].contains("no access to restore points"),
        "{:?}",
        done.warnings
    );
    // A failed protected items read is an error (the waiter keeps the operation).
    let missing = client
        .produced(&Operation::new(
            OperationRef::new("veeam", "v8.1/gone"),
            OperationStatus::Succeeded,
        ))
        .await
        .unwrap_err();
    assert_eq!(missing.api().unwrap().status, 404);
}

#[tokio::test]
async fn wait_follows_up_after_a_success_unless_switched_off() {
    let server = server_with_token().await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v8.1/jobSessions/{SESSION}")))
        .respond_with(json(fixture("job-session-v3-schema-table.json")))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v8.1/jobSessions/{SESSION}/log")))
        .respond_with(json(
            r#"{"jobSessionId":"x","log":[{"status":"Error","message":"vm-web-02: retrying the snapshot"},{"status":"Success","message":"Job finished with Success"}]}"#,
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!(
            "/api/v8.1/jobSessions/{SESSION}/protectedItems"
        )))
        .respond_with(json(fixture("protected-items-v8.1.json")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v8.1/restorePoints/virtualMachines"))
        .respond_with(json(fixture("restore-points-v8.1.json")))
        .expect(1)
        .mount(&server)
        .await;
    let client = password_client(&server.uri(), ApiVersion::V8_1);
    let reference = OperationRef::new("veeam", format!("v8.1/{SESSION}"));
    // As the start answered it (an operation already ended is not followed up).
    let start = Operation::new(reference, OperationStatus::Running);
    let every = WaitOptions::every(Duration::from_millis(5));
    let done = client.wait(start.clone(), every.clone()).await.unwrap();
    assert_eq!(done.status, OperationStatus::Succeeded);
    assert_eq!(done.duration, Some(Duration::from_millis(31_837)));
    assert_eq!(done.produced.len(), 2);
    assert_eq!(done.size_bytes, Some(6_442_450_944));
    assert_eq!(done.warnings, ["vm-web-02: retrying the snapshot"]);
    // Switched off: no follow-up read (the mocks above expect one each).
    let plain = client.wait(start, every.follow_up(false)).await.unwrap();
    assert!(plain.produced.is_empty() && plain.items.is_empty());
    assert_eq!(plain.warnings, ["vm-web-02: retrying the snapshot"]);
}

/// The issue's misreading: a start answered in the JobSessionV3 form (array links,
/// milliseconds) was an unknown outcome, and reading it failed.
#[tokio::test]
async fn a_start_answered_in_the_schema_table_form_is_followed() {
    let server = server_with_token().await;
    let session = fixture("job-session-v3-schema-table.json");
    Mock::given(method("POST"))
        .and(path(format!(
            "/api/v8.1/policies/virtualMachines/{POLICY}/start"
        )))
        .respond_with(
            ResponseTemplate::new(202).set_body_raw(format!("[{session}]"), "application/json"),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v8.1/jobSessions/{SESSION}")))
        .respond_with(json(session))
        .mount(&server)
        .await;
    let client = password_client(&server.uri(), ApiVersion::V8_1);
    let operations = client.trigger(&TriggerRequest::new(POLICY)).await.unwrap();
    assert_eq!(operations.len(), 1);
    assert_eq!(operations[0].duration, Some(Duration::from_millis(31_837)));
    let status = client.status(&operations[0].reference).await.unwrap();
    assert_eq!(status.status, OperationStatus::Succeeded);
    assert_eq!(status.duration, Some(Duration::from_millis(31_837)));
}

/// The key a journal stores: `sent-at:` and the time; given back, it sets the time.
#[test]
fn the_journal_key_is_the_start_time() {
    let mut request = TriggerRequest::new(POLICY);
    let before = time::OffsetDateTime::now_utc();
    let key = Client::idempotency_key(&mut request, None).unwrap();
    let sent_at = request.sent_at.unwrap();
    assert!(sent_at >= before - time::Duration::seconds(1));
    assert_eq!(key, format!("sent-at:{}", timefmt::format_rfc3339(sent_at)));
    let mut resumed = TriggerRequest::new(POLICY);
    assert_eq!(
        Client::idempotency_key(&mut resumed, Some(&key)).as_deref(),
        Some(key.as_str())
    );
    assert_eq!(resumed.sent_at, Some(sent_at));
    let mut odd = TriggerRequest::new(POLICY);
    assert_eq!(Client::idempotency_key(&mut odd, Some("not a time")), None);
    assert_eq!(odd, TriggerRequest::new(POLICY));
}

fn lost_start() -> TriggerRequest {
    let mut request = TriggerRequest::new(POLICY);
    request.sent_at = timefmt::parse_rfc3339("2026-05-04T10:20:30.456Z");
    request
}

/// The list a lost start is looked for in, with the sessions given.
async fn mount_sessions(server: &MockServer, results: &str) {
    Mock::given(method("GET"))
        .and(path("/api/v8.1/jobSessions"))
        .and(query_param("PolicyId", POLICY))
        // The recorded time less a minute of clock skew, in the spec's form.
        .and(query_param("FromUtc", "2026-05-04T10:19:30Z"))
        .and(header("authorization", "Bearer at-1"))
        .respond_with(json(format!(
            r#"{{"offset":0,"limit":30,"totalCount":2,"_links":{{}},"results":{results}}}"#
        )))
        .expect(1)
        .mount(server)
        .await;
}

async fn mount_start(server: &MockServer, times: u64) {
    Mock::given(method("POST"))
        .and(path(format!(
            "/api/v8.1/policies/virtualMachines/{POLICY}/start"
        )))
        .respond_with(
            ResponseTemplate::new(202)
                .set_body_raw(fixture("start-policy-response.json"), "application/json"),
        )
        .expect(times)
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_lost_start_whose_sessions_ended_is_found_and_not_started_again() {
    let server = server_with_token().await;
    mount_sessions(
        &server,
        &format!(
            r#"[{{"id":"21","type":"PolicySnapshot","status":"Success","executionStartTime":"2026-05-04T10:20:31Z",
                 "executionStopTime":"2026-05-04T10:21:01Z","backupJobInfo":{{"policyId":"{POLICY}"}}}},
                {{"id":"22","type":"PolicyBackup","status":"Running","executionStartTime":"2026-05-04T10:20:31Z",
                 "backupJobInfo":{{"policyId":"{}"}}}}]"#,
            POLICY.to_uppercase()
        ),
    )
    .await;
    mount_start(&server, 0).await;
    let client = password_client(&server.uri(), ApiVersion::V8_1);
    let Recovered::Operations(operations) = client.recover_trigger(&lost_start()).await.unwrap()
    else {
        panic!("not recovered");
    };
    let found: Vec<_> = operations
        .iter()
        .map(|op| (op.reference.to_string(), op.status))
        .collect();
    assert_eq!(
        found,
        [
            ("veeam:v8.1/21".to_owned(), OperationStatus::Succeeded),
            ("veeam:v8.1/22".to_owned(), OperationStatus::Running)
        ]
    );
    assert!(
        operations[0]
            .message
            .as_deref()
            .unwrap()
            .contains("nothing was started again")
    );
}

#[tokio::test]
async fn a_lost_start_with_no_session_since_starts_the_policy() {
    let server = server_with_token().await;
    // An older session and another policy's session are not the lost start's.
    mount_sessions(
        &server,
        r#"[{"id":"9","status":"Success","executionStartTime":"2026-05-04T09:00:00Z","backupJobInfo":{"policyId":"4094906f-2d81-4a73-b9bc-00482690c285"}},
            {"id":"10","status":"Running","executionStartTime":"2026-05-04T10:20:40Z","backupJobInfo":{"policyId":"0b0b0b0b-2d81-4a73-b9bc-00482690c285"}}]"#,
    )
    .await;
    mount_start(&server, 1).await;
    let client = password_client(&server.uri(), ApiVersion::V8_1);
    let Recovered::Operations(operations) = client.recover_trigger(&lost_start()).await.unwrap()
    else {
        panic!("not recovered");
    };
    assert_eq!(operations.len(), 2);
    assert_eq!(
        api_requests(&server).await,
        [
            format!("GET /api/v8.1/jobSessions?PolicyId={POLICY}&FromUtc=2026-05-04T10%3A19%3A30Z"),
            format!("POST /api/v8.1/policies/virtualMachines/{POLICY}/start"),
        ]
    );
}

#[tokio::test]
async fn without_a_recorded_time_nothing_is_sent_and_the_outcome_stays_unknown() {
    let server = server_with_token().await;
    Mock::given(method("GET"))
        .and(path("/api/v8.1/jobSessions"))
        .respond_with(json(r#"{"results":[]}"#))
        .expect(0)
        .mount(&server)
        .await;
    mount_start(&server, 0).await;
    let client = password_client(&server.uri(), ApiVersion::V8_1);
    let recovered = client
        .recover_trigger(&TriggerRequest::new(POLICY))
        .await
        .unwrap();
    let Recovered::Unknown(what) = recovered else {
        panic!("recovered without a time: {recovered:?}");
    };
    assert_eq!(
        what,
        format!(
            "the start of policy {POLICY} was sent without a recorded time: check its job \
             sessions (GET /api/v8.1/jobSessions?PolicyId={POLICY}) before starting it again"
        )
    );
    assert!(api_requests(&server).await.is_empty());
    let error = client
        .recover_trigger(&TriggerRequest::new(""))
        .await
        .unwrap_err();
    assert!(
        matches!(error, backup_core::Error::InvalidInput { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_failed_session_list_leaves_the_outcome_unknown_and_starts_nothing() {
    let server = server_with_token().await;
    Mock::given(method("GET"))
        .and(path("/api/v8.1/jobSessions"))
        .respond_with(ResponseTemplate::new(403).set_body_raw(
            r#"{"title":"Forbidden","status":403}"#,
            "application/problem+json",
        ))
        .mount(&server)
        .await;
    mount_start(&server, 0).await;
    let client = password_client(&server.uri(), ApiVersion::V8_1);
    let error = client.recover_trigger(&lost_start()).await.unwrap_err();
    assert_eq!(error.api().unwrap().status, 403);
}
