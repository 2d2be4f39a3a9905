//! Request assertions (wiremock): method, path, headers and body of every call.

use crate::common::{builder, fixture, password_client, token_json, vars};
use backup_core::{ApiErrorKind, OperationRef, OperationStatus};
use backup_veeam::prelude::*;
use backup_veeam::{ApiVersion, Error, TriggerRequest};
use wiremock::matchers::{body_string, header, header_exists, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const POLICY: &str = "4094906f-2d81-4a73-b9bc-00482690c285";
const FORM: &str = "application/x-www-form-urlencoded";
const PROBLEM: &str = "application/problem+json";
/// The password grant of `admin` / `p@ss w&rd=`, form-encoded.
const PASSWORD_FORM: &str = "grant_type=Password&username=admin&password=p%40ss+w%26rd%3D";

async fn mount_password_grant(server: &MockServer, access: &str, refresh: &str, expires_in: i64) {
    Mock::given(method("POST"))
        .and(path("/api/oauth2/token"))
        .and(header("content-type", FORM))
        .and(body_string(PASSWORD_FORM))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(token_json(access, refresh, expires_in), "application/json"),
        )
        .named("password grant")
        .mount(server)
        .await;
}

fn json(body: String) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body, "application/json")
}

fn no_body(request: &Request) -> bool {
    request.body.is_empty()
}

#[tokio::test]
async fn password_grant_then_start_in_the_v8_1_layout() {
    let server = MockServer::start().await;
    mount_password_grant(&server, "at-first", "rt-first", 3600).await;
    Mock::given(method("POST"))
        .and(path(format!(
            "/api/v8.1/policies/virtualMachines/{POLICY}/start"
        )))
        .and(header("authorization", "Bearer at-first"))
        .and(header("accept", "application/json"))
        .and(header_exists("user-agent"))
        .and(no_body)
        .respond_with(
            ResponseTemplate::new(202)
                .set_body_raw(fixture("start-policy-response.json"), "application/json"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = password_client(&server.uri(), ApiVersion::V8_1);
    let operations = client.trigger(&TriggerRequest::new(POLICY)).await.unwrap();
    let summary: Vec<_> = operations
        .iter()
        .map(|op| (op.reference.to_string(), op.status))
        .collect();
    assert_eq!(
        summary,
        [
            ("veeam:v8.1/15".to_owned(), OperationStatus::Running),
            ("veeam:v8.1/14".to_owned(), OperationStatus::Pending)
        ]
    );
    let requests = server.received_requests().await.unwrap();
    let agent = requests[1].headers["user-agent"].to_str().unwrap();
    assert!(agent.starts_with("backup-rs/"), "{agent}");
    assert!(agent.contains("backup-veeam"), "{agent}");
    assert_eq!(client.password_grant().unwrap().password_grants(), 1);
}

#[tokio::test]
async fn start_uses_the_document_layout_in_v1_and_the_workload_layout_after() {
    for (version, route, status) in [
        (
            ApiVersion::V1,
            format!("/api/v1/policies/{POLICY}/start"),
            200,
        ),
        (
            ApiVersion::V6,
            format!("/api/v6/policies/virtualMachines/{POLICY}/start"),
            202,
        ),
        (
            ApiVersion::V7,
            format!("/api/v7/policies/virtualMachines/{POLICY}/start"),
            202,
        ),
        (
            ApiVersion::V8,
            format!("/api/v8/policies/virtualMachines/{POLICY}/start"),
            202,
        ),
    ] {
        let server = MockServer::start().await;
        mount_password_grant(&server, "access-token-1", "refresh-token-1", 3600).await;
        Mock::given(method("POST"))
            .and(path(route.as_str()))
            .and(header("authorization", "Bearer access-token-1"))
            .respond_with(
                ResponseTemplate::new(status)
                    .set_body_raw(fixture("start-policy-response.json"), "application/json"),
            )
            .expect(1)
            .mount(&server)
            .await;
        let start = password_client(&server.uri(), version)
            .start_policy(&TriggerRequest::new(POLICY))
            .await
            .unwrap();
        assert_eq!(start.sessions.len(), 2, "{version}");
        assert!(!start.attached());
        assert_eq!(
            start.operations()[0].reference.to_string(),
            format!("veeam:{version}/15")
        );
    }
}

#[tokio::test]
async fn refresh_grant_runs_when_the_token_expires_and_tokens_rotate() {
    let server = MockServer::start().await;
    // expires_in 0: every call needs a fresh token.
    mount_password_grant(&server, "at-1", "rt-1", 0).await;
    for (old, access, new) in [("rt-1", "at-2", "rt-2"), ("rt-2", "at-3", "rt-3")] {
        Mock::given(method("POST"))
            .and(path("/api/oauth2/token"))
            .and(header("content-type", FORM))
            .and(body_string(format!(
                "grant_type=Refresh_token&refresh_token={old}"
            )))
            .respond_with(json(token_json(access, new, 0)))
            .expect(1)
            .mount(&server)
            .await;
    }
    for access in ["at-1", "at-2", "at-3"] {
        Mock::given(method("GET"))
            .and(path("/api/v8.1/jobSessions/15"))
            .and(header("authorization", format!("Bearer {access}").as_str()))
            .respond_with(json(r#"{"id":"15","status":"Running"}"#.to_owned()))
            .expect(1)
            .mount(&server)
            .await;
    }
    let client = password_client(&server.uri(), ApiVersion::V8_1);
    for _ in 0..3 {
        client.session("15").await.unwrap();
    }
    let grant = client.password_grant().unwrap();
    assert_eq!((grant.password_grants(), grant.refresh_grants()), (1, 2));
}

#[tokio::test]
async fn a_refused_refresh_token_falls_back_to_the_password_grant() {
    let server = MockServer::start().await;
    mount_password_grant(&server, "at-1", "rt-1", 0).await;
    Mock::given(method("POST"))
        .and(path("/api/oauth2/token"))
        .and(body_string("grant_type=Refresh_token&refresh_token=rt-1"))
        .respond_with(ResponseTemplate::new(400).set_body_raw(
            r#"{"title":"Bad Request","status":400,"detail":"The refresh token is invalid or expired."}"#,
            PROBLEM,
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v8.1/jobSessions/15"))
        .respond_with(json(r#"{"id":"15","status":"Running"}"#.to_owned()))
        .expect(2)
        .mount(&server)
        .await;
    let client = password_client(&server.uri(), ApiVersion::V8_1);
    client.session("15").await.unwrap();
    client.session("15").await.unwrap();
    let grant = client.password_grant().unwrap();
    assert_eq!((grant.password_grants(), grant.refresh_grants()), (2, 1));
}

#[tokio::test]
async fn an_mfa_answer_is_a_clear_auth_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/oauth2/token"))
        .respond_with(json(fixture("token-mfa.json")))
        .mount(&server)
        .await;
    let err = password_client(&server.uri(), ApiVersion::V8_1)
        .trigger(&TriggerRequest::new(POLICY))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::Auth { .. }), "{err:?}");
    assert!(text.contains("multi-factor authentication"), "{text}");
    assert!(text.contains("Mfa grant must be completed"), "{text}");
    assert!(!text.contains("mfa-7c4e0b"), "{text}");
    // Nothing but the token request was sent.
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_wrong_password_is_an_auth_error_with_the_trace_id() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/oauth2/token"))
        .respond_with(ResponseTemplate::new(401).set_body_raw(
            r#"{"title":"Unauthorized","status":401,"detail":"The user name or password is incorrect.","traceId":"00-abc-01-00"}"#,
            PROBLEM,
        ))
        .expect(1)
        .mount(&server)
        .await;
    let err = password_client(&server.uri(), ApiVersion::V8_1)
        .session("15")
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Auth {
                status: Some(401),
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.request_id(), Some("00-abc-01-00"));
    assert!(err.to_string().contains("password is incorrect"), "{err}");
}

#[tokio::test]
async fn a_static_token_is_sent_as_is_and_not_replayed() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v8.1/jobSessions/15"))
        .and(header("authorization", "Bearer static-token"))
        .respond_with(ResponseTemplate::new(401).set_body_raw(
            r#"{"title":"Unauthorized","status":401,"detail":"The access token has expired."}"#,
            PROBLEM,
        ))
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server.uri(), ApiVersion::V8_1)
        .access_token("static-token")
        .build()
        .unwrap();
    let err = client.session("15").await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Auth {
                status: Some(401),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("VEEAM_ACCESS_TOKEN"), "{err}");
    assert!(client.password_grant().is_none());
}

#[tokio::test]
async fn a_401_is_replayed_once_with_a_refreshed_token() {
    let server = MockServer::start().await;
    mount_password_grant(&server, "at-1", "rt-1", 3600).await;
    Mock::given(method("POST"))
        .and(path("/api/oauth2/token"))
        .and(body_string("grant_type=Refresh_token&refresh_token=rt-1"))
        .respond_with(json(token_json("at-2", "rt-2", 3600)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v8.1/jobSessions/15"))
        .and(header("authorization", "Bearer at-1"))
        .respond_with(ResponseTemplate::new(401))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v8.1/jobSessions/15"))
        .and(header("authorization", "Bearer at-2"))
        .respond_with(json(r#"{"id":"15","status":"Success"}"#.to_owned()))
        .expect(1)
        .mount(&server)
        .await;
    let client = password_client(&server.uri(), ApiVersion::V8_1);
    assert_eq!(
        client.session("15").await.unwrap().status,
        backup_veeam::SessionStatus::Success
    );
}

#[tokio::test]
async fn a_409_attaches_to_the_running_session_and_says_so() {
    let server = MockServer::start().await;
    mount_password_grant(&server, "access-token-1", "refresh-token-1", 3600).await;
    Mock::given(method("POST"))
        .and(path(format!(
            "/api/v8.1/policies/virtualMachines/{POLICY}/start"
        )))
        .respond_with(ResponseTemplate::new(409).set_body_raw(fixture("problem-409.json"), PROBLEM))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v8.1/jobSessions/77"))
        .and(header("authorization", "Bearer access-token-1"))
        .respond_with(json(
            r#"{"id":"77","type":"PolicySnapshot","status":"Running","executionStartTime":"2020-02-03T14:25:03.2555023Z"}"#.to_owned(),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let client = password_client(&server.uri(), ApiVersion::V8_1);
    let start = client
        .start_policy(&TriggerRequest::new(POLICY))
        .await
        .unwrap();
    assert_eq!(start.attached_to.as_deref(), Some("77"));
    assert_eq!(
        start.request_id, None,
        "the 409's traceId is in the body, not a header"
    );
    let operations = start.operations();
    assert_eq!(operations.len(), 1);
    assert_eq!(operations[0].reference.to_string(), "veeam:v8.1/77");
    assert_eq!(operations[0].status, OperationStatus::Running);
    assert!(
        operations[0]
            .message
            .as_deref()
            .unwrap()
            .starts_with("attached to running session 77"),
        "{:?}",
        operations[0].message
    );
}

#[tokio::test]
async fn a_409_without_a_session_is_a_conflict_error() {
    let server = MockServer::start().await;
    mount_password_grant(&server, "access-token-1", "refresh-token-1", 3600).await;
    Mock::given(method("POST"))
        .and(path(format!("/api/v1/policies/{POLICY}/start")))
        .respond_with(ResponseTemplate::new(409).set_body_raw(
            r#"{"title":"Conflict","status":409,"detail":"The policy is disabled.","traceId":"t-409","resourceId":"x"}"#,
            PROBLEM,
        ))
        .expect(1)
        .mount(&server)
        .await;
    let err = password_client(&server.uri(), ApiVersion::V1)
        .trigger(&TriggerRequest::new(POLICY))
        .await
        .unwrap_err();
    let api = err.api().unwrap();
    assert_eq!(api.kind, ApiErrorKind::Conflict);
    assert_eq!(api.request_id.as_deref(), Some("t-409"));
    assert_eq!(api.message, "Conflict: The policy is disabled.");
}

#[tokio::test]
async fn status_reads_the_session_and_its_log_from_a_reference_string() {
    let server = MockServer::start().await;
    mount_password_grant(&server, "access-token-1", "refresh-token-1", 3600).await;
    let id = "60a7fe13-6155-460b-8beb-42c3243fef05";
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/jobSessions/{id}")))
        .and(header("authorization", "Bearer access-token-1"))
        .respond_with(json(fixture("session-v8.json")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/jobSessions/{id}/log")))
        .and(header("authorization", "Bearer access-token-1"))
        .respond_with(json(fixture("session-log.json")))
        .expect(1)
        .mount(&server)
        .await;
    // The client speaks v8.1; the reference says v1 and wins.
    let client = password_client(&server.uri(), ApiVersion::V8_1);
    let reference: OperationRef = format!("veeam:v1/{id}").parse().unwrap();
    let op = client.status(&reference).await.unwrap();
    assert_eq!(op.reference, reference);
    assert_eq!(op.status, OperationStatus::SucceededWithWarnings);
    assert_eq!(op.vendor_status.as_deref(), Some("Warning"));
    assert_eq!(op.message.as_deref(), Some("Job finished with Warning"));
    assert!(op.started_at.is_some() && op.finished_at.is_some());
}

#[tokio::test]
async fn a_reference_without_version_uses_the_client_version_and_a_missing_log_is_tolerated() {
    let server = MockServer::start().await;
    mount_password_grant(&server, "access-token-1", "refresh-token-1", 3600).await;
    Mock::given(method("GET"))
        .and(path("/api/v7/jobSessions/15"))
        .respond_with(json(r#"{"id":"15","status":"Error"}"#.to_owned()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v7/jobSessions/15/log"))
        .respond_with(ResponseTemplate::new(404))
        .expect(1)
        .mount(&server)
        .await;
    let op = password_client(&server.uri(), ApiVersion::V7)
        .status(&OperationRef::new("veeam", "15"))
        .await
        .unwrap();
    assert_eq!(op.status, OperationStatus::Failed);
    assert_eq!(op.reference.to_string(), "veeam:v7/15");
    assert_eq!(op.message, None);
    assert!(
        op.error
            .unwrap()
            .message
            .contains("ended with status Error")
    );
}

#[tokio::test]
async fn fetch_log_can_be_turned_off() {
    let server = MockServer::start().await;
    mount_password_grant(&server, "access-token-1", "refresh-token-1", 3600).await;
    Mock::given(method("GET"))
        .and(path("/api/v8.1/jobSessions/15"))
        .respond_with(json(r#"{"id":"15","status":"Success"}"#.to_owned()))
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server.uri(), ApiVersion::V8_1)
        .password("admin", "p@ss w&rd=")
        .fetch_log(false)
        .build()
        .unwrap();
    let op = client
        .status(&OperationRef::new("veeam", "v8.1/15"))
        .await
        .unwrap();
    assert_eq!(op.status, OperationStatus::Succeeded);
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn cancel_stops_the_session_then_reads_it() {
    let server = MockServer::start().await;
    mount_password_grant(&server, "access-token-1", "refresh-token-1", 3600).await;
    Mock::given(method("POST"))
        .and(path("/api/v8.1/jobSessions/15/stop"))
        .and(header("authorization", "Bearer access-token-1"))
        .and(no_body)
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v8.1/jobSessions/15"))
        .respond_with(json(r#"{"id":"15","status":"Canceling"}"#.to_owned()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v8.1/jobSessions/15/log"))
        .respond_with(json(
            r#"{"jobSessionId":"15","log":[{"message":"Stopping the session at user request"}]}"#
                .to_owned(),
        ))
        .mount(&server)
        .await;
    let client = password_client(&server.uri(), ApiVersion::V8_1);
    let op = client
        .cancel(&OperationRef::new("veeam", "v8.1/15"))
        .await
        .unwrap();
    assert_eq!(op.status, OperationStatus::Running);
    assert_eq!(op.vendor_status.as_deref(), Some("Canceling"));
    assert_eq!(
        op.message.as_deref(),
        Some("Stopping the session at user request")
    );
}

#[tokio::test]
async fn stop_session_and_stop_policy_in_both_layouts() {
    let server = MockServer::start().await;
    mount_password_grant(&server, "access-token-1", "refresh-token-1", 3600).await;
    for route in [
        format!("/api/v1/policies/{POLICY}/stop"),
        format!("/api/v8.1/policies/virtualMachines/{POLICY}/stop"),
        "/api/v8.1/jobSessions/15/stop".to_owned(),
    ] {
        Mock::given(method("POST"))
            .and(path(route.as_str()))
            .and(header("authorization", "Bearer access-token-1"))
            .respond_with(ResponseTemplate::new(204))
            .expect(1)
            .mount(&server)
            .await;
    }
    password_client(&server.uri(), ApiVersion::V1)
        .stop_policy(POLICY)
        .await
        .unwrap();
    let client = password_client(&server.uri(), ApiVersion::V8_1);
    client.stop_policy(POLICY).await.unwrap();
    client.stop_session("15").await.unwrap();
}

#[tokio::test]
async fn logout_deletes_the_token_and_forgets_it() {
    let server = MockServer::start().await;
    mount_password_grant(&server, "access-token-1", "refresh-token-1", 3600).await;
    Mock::given(method("GET"))
        .and(path("/api/v8.1/jobSessions/15"))
        .respond_with(json(r#"{"id":"15","status":"Running"}"#.to_owned()))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/api/oauth2/token"))
        .and(header("authorization", "Bearer access-token-1"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let client = password_client(&server.uri(), ApiVersion::V8_1);
    // No logon session yet: nothing is sent.
    client.logout().await.unwrap();
    client.session("15").await.unwrap();
    client.logout().await.unwrap();
    assert!(!client.password_grant().unwrap().is_logged_in());
    assert!(!client.password_grant().unwrap().has_refresh_token());
    // The next call logs in again with the password grant.
    client.session("15").await.unwrap();
    assert_eq!(client.password_grant().unwrap().password_grants(), 2);
}

#[tokio::test]
async fn problem_details_become_api_errors_with_the_trace_id() {
    let server = MockServer::start().await;
    mount_password_grant(&server, "access-token-1", "refresh-token-1", 3600).await;
    Mock::given(method("POST"))
        .and(path("/api/v8.1/policies/virtualMachines/not-a-guid/start"))
        .respond_with(ResponseTemplate::new(400).set_body_raw(fixture("problem-400.json"), PROBLEM))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v8.1/jobSessions/404"))
        .respond_with(
            ResponseTemplate::new(404)
                .insert_header("x-request-id", "hdr-1")
                .set_body_raw(
                    r#"{"title":"Not Found","status":404,"detail":"Session 404 was not found."}"#,
                    PROBLEM,
                ),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = password_client(&server.uri(), ApiVersion::V8_1);
    let err = client
        .trigger(&TriggerRequest::new("not-a-guid"))
        .await
        .unwrap_err();
    let api = err.api().unwrap();
    assert_eq!(api.kind, ApiErrorKind::BadRequest);
    assert_eq!(
        api.request_id.as_deref(),
        Some("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00")
    );
    assert_eq!(
        api.message,
        "One or more validation errors occurred. (policyId: The value 'not-a-guid' is not valid.)"
    );
    assert_eq!(
        api.code.as_deref(),
        Some("https://tools.ietf.org/html/rfc7231#section-6.5.1")
    );
    let err = client.session("404").await.unwrap_err();
    let api = err.api().unwrap();
    assert_eq!(api.kind, ApiErrorKind::NotFound);
    assert_eq!(api.request_id.as_deref(), Some("hdr-1"));
}

#[tokio::test]
async fn unparsable_answers_give_clear_errors() {
    let server = MockServer::start().await;
    mount_password_grant(&server, "access-token-1", "refresh-token-1", 3600).await;
    Mock::given(method("GET"))
        .and(path("/api/v8.1/jobSessions/html"))
        .respond_with(
            ResponseTemplate::new(502)
                .set_body_raw("<html><body>Bad gateway</body></html>", "text/html"),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v8.1/jobSessions/cut"))
        .respond_with(json(r#"{"id":"cut","sta"#.to_owned()))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!(
            "/api/v8.1/policies/virtualMachines/{POLICY}/start"
        )))
        .respond_with(ResponseTemplate::new(202).set_body_raw("<html>proxy</html>", "text/html"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v8.1/policies/virtualMachines/empty/start"))
        .respond_with(ResponseTemplate::new(500))
        .expect(1)
        .mount(&server)
        .await;
    let client = password_client(&server.uri(), ApiVersion::V8_1);
    let err = client.session("html").await.unwrap_err();
    let api = err.api().expect("an api error");
    assert_eq!(api.kind, ApiErrorKind::Server);
    assert!(
        api.message.contains("<html><body>Bad gateway"),
        "{}",
        api.message
    );
    let err = client.session("cut").await.unwrap_err();
    assert!(matches!(err, Error::Decode { status: 200, .. }), "{err:?}");
    assert!(
        err.to_string().contains(r#"{\"id\":\"cut\",\"sta"#),
        "{err}"
    );
    let err = client
        .trigger(&TriggerRequest::new(POLICY))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::OutcomeUnknown { .. }), "{err:?}");
    let err = client
        .trigger(&TriggerRequest::new("empty"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::OutcomeUnknown {
                status: Some(500),
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_empty_session_list_is_an_unknown_outcome() {
    let server = MockServer::start().await;
    mount_password_grant(&server, "access-token-1", "refresh-token-1", 3600).await;
    Mock::given(method("POST"))
        .and(path(format!("/api/v1/policies/{POLICY}/start")))
        .respond_with(json("[]".to_owned()))
        .mount(&server)
        .await;
    let err = password_client(&server.uri(), ApiVersion::V1)
        .trigger(&TriggerRequest::new(POLICY))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("lists no job session"), "{err}");
    assert!(matches!(err, Error::OutcomeUnknown { .. }));
}

#[tokio::test]
async fn a_429_trigger_is_retried_after_the_hint() {
    let server = MockServer::start().await;
    mount_password_grant(&server, "access-token-1", "refresh-token-1", 3600).await;
    Mock::given(method("POST"))
        .and(path(format!(
            "/api/v8.1/policies/virtualMachines/{POLICY}/start"
        )))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "0")
                .set_body_raw(r#"{"title":"Too Many Requests","status":429}"#, PROBLEM),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!(
            "/api/v8.1/policies/virtualMachines/{POLICY}/start"
        )))
        .respond_with(
            ResponseTemplate::new(202)
                .set_body_raw(fixture("start-policy-response.json"), "application/json"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let operations = password_client(&server.uri(), ApiVersion::V8_1)
        .trigger(&TriggerRequest::new(POLICY))
        .await
        .unwrap();
    assert_eq!(operations.len(), 2);
}

#[tokio::test]
async fn ids_are_validated_before_sending_and_encoded_as_one_segment() {
    let server = MockServer::start().await;
    let client = password_client(&server.uri(), ApiVersion::V8_1);
    for bad in ["", " ", ".", "..", "a\nb", " padded"] {
        let err = client.trigger(&TriggerRequest::new(bad)).await.unwrap_err();
        assert!(
            matches!(err, Error::InvalidInput { ref field, .. } if field == "policy_id"),
            "{bad:?}: {err:?}"
        );
        let err = client.session(bad).await.unwrap_err();
        assert!(
            matches!(err, Error::InvalidInput { ref field, .. } if field == "session_id"),
            "{bad:?}: {err:?}"
        );
        assert!(matches!(
            client.stop_policy(bad).await.unwrap_err(),
            Error::InvalidInput { .. }
        ));
        assert!(matches!(
            client.stop_session(bad).await.unwrap_err(),
            Error::InvalidInput { .. }
        ));
    }
    assert!(server.received_requests().await.unwrap().is_empty());

    mount_password_grant(&server, "access-token-1", "refresh-token-1", 3600).await;
    Mock::given(method("POST"))
        .and(path(
            "/api/v8.1/policies/virtualMachines/a%2F..%2Fb%3Fc%23d%25e/start",
        ))
        .respond_with(
            ResponseTemplate::new(202)
                .set_body_raw(fixture("start-policy-response.json"), "application/json"),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v8.1/jobSessions/x%2F..%2F..%2Fadmin"))
        .respond_with(json(
            r#"{"id":"x/../../admin","status":"Running"}"#.to_owned(),
        ))
        .expect(1)
        .mount(&server)
        .await;
    client
        .trigger(&TriggerRequest::new("a/../b?c#d%e"))
        .await
        .unwrap();
    client.session("x/../../admin").await.unwrap();
}

#[test]
fn the_builder_validates_before_anything_is_sent() {
    let err = backup_veeam::Client::builder()
        .password("a", "b")
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput { ref field, .. } if field == "endpoint"));
    for bad in ["ftp://x", "not a url", "https://u:p@x/", "https://x/?q=1"] {
        let err = backup_veeam::Client::builder()
            .endpoint(bad)
            .password("a", "b")
            .build()
            .unwrap_err();
        assert!(
            matches!(err, Error::InvalidInput { ref field, .. } if field == "endpoint"),
            "{bad}"
        );
    }
    let err = backup_veeam::Client::builder()
        .endpoint("https://x")
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Config { .. }));
    let err = backup_veeam::Client::builder()
        .endpoint("https://x")
        .password(" ", "b")
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput { ref field, .. } if field == "username"));
    let err = backup_veeam::Client::builder()
        .endpoint("https://x")
        .access_token("")
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput { ref field, .. } if field == "access_token"));
    let err = backup_veeam::Client::builder()
        .endpoint("https://x")
        .access_token("t")
        .root_certificate_pem("not a pem")
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Config { .. }), "{err:?}");
    backup_veeam::Client::builder()
        .endpoint("https://x")
        .access_token("t")
        .root_certificate_pem(fixture("test-ca.pem"))
        .build()
        .unwrap();
    // Accepting invalid certificates is possible, but only when asked for.
    backup_veeam::Client::builder()
        .endpoint("https://x")
        .access_token("t")
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
}

#[test]
fn from_lookup_reads_the_vendors_environment_names() {
    let client = backup_veeam::ClientBuilder::from_lookup(&vars(&[
        ("VEEAM_URL", "https://veeam.example.com"),
        ("VEEAM_USERNAME", "admin"),
        ("VEEAM_PASSWORD", "pw"),
        ("VEEAM_API_VERSION", "v1"),
    ]))
    .unwrap()
    .build()
    .unwrap();
    assert_eq!(client.api_version(), ApiVersion::V1);
    assert!(client.password_grant().is_some());
    let client = backup_veeam::ClientBuilder::from_lookup(&vars(&[
        ("VEEAM_URL", "https://veeam.example.com"),
        ("VEEAM_ACCESS_TOKEN", "t"),
    ]))
    .unwrap()
    .build()
    .unwrap();
    assert_eq!(client.api_version(), ApiVersion::V8_1);
    assert!(client.password_grant().is_none());
    for (pairs, needle) in [
        (vec![], "VEEAM_URL"),
        (vec![("VEEAM_URL", "https://x")], "VEEAM_ACCESS_TOKEN"),
        (
            vec![("VEEAM_URL", "https://x"), ("VEEAM_USERNAME", "a")],
            "VEEAM_PASSWORD",
        ),
    ] {
        let err = backup_veeam::ClientBuilder::from_lookup(&vars(&pairs)).unwrap_err();
        assert!(matches!(err, Error::Config { .. }));
        assert!(err.to_string().contains(needle), "{err}");
    }
    let err = backup_veeam::ClientBuilder::from_lookup(&vars(&[
        ("VEEAM_URL", "https://x"),
        ("VEEAM_ACCESS_TOKEN", "t"),
        ("VEEAM_API_VERSION", "v2"),
    ]))
    .unwrap_err();
    assert!(matches!(err, Error::InvalidInput { ref field, .. } if field == "api_version"));
}

#[tokio::test]
async fn attaching_survives_an_unreadable_running_session() {
    let server = MockServer::start().await;
    mount_password_grant(&server, "access-token-1", "refresh-token-1", 3600).await;
    Mock::given(method("POST"))
        .and(path(format!(
            "/api/v8.1/policies/virtualMachines/{POLICY}/start"
        )))
        .respond_with(ResponseTemplate::new(409).set_body_raw(fixture("problem-409.json"), PROBLEM))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v8.1/jobSessions/77"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let operations = password_client(&server.uri(), ApiVersion::V8_1)
        .trigger(&TriggerRequest::new(POLICY))
        .await
        .unwrap();
    assert_eq!(operations.len(), 1);
    assert_eq!(operations[0].reference.to_string(), "veeam:v8.1/77");
    assert_eq!(operations[0].status, OperationStatus::Running);
}

#[tokio::test]
async fn answers_over_the_body_cap_are_refused() {
    let server = MockServer::start().await;
    mount_password_grant(&server, "access-token-1", "refresh-token-1", 3600).await;
    Mock::given(method("GET"))
        .and(path("/api/v8.1/jobSessions/big"))
        .respond_with(json(format!(
            r#"{{"id":"big","status":"Running","localizedType":"{}"}}"#,
            "x".repeat(4096)
        )))
        .mount(&server)
        .await;
    let client = builder(&server.uri(), ApiVersion::V8_1)
        .password("admin", "p@ss w&rd=")
        .body_cap(1024)
        .build()
        .unwrap();
    let err = client.session("big").await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert!(err.to_string().contains("body cap"), "{err}");
}

#[tokio::test]
async fn dot_expires_is_used_when_expires_in_is_missing() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/oauth2/token"))
        .and(body_string(PASSWORD_FORM))
        .respond_with(json(
            r#"{"access_token":"access-token-1","token_type":"bearer","refresh_token":"refresh-token-1",".issued":"Mon, 03 Feb 2020 14:25:03 GMT",".expires":"Mon, 03 Feb 2020 15:25:03 GMT"}"#.to_owned(),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/oauth2/token"))
        .and(body_string(
            "grant_type=Refresh_token&refresh_token=refresh-token-1",
        ))
        .respond_with(json(token_json("access-token-2", "refresh-token-2", 3600)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v8.1/jobSessions/15"))
        .respond_with(json(r#"{"id":"15","status":"Running"}"#.to_owned()))
        .expect(2)
        .mount(&server)
        .await;
    let client = password_client(&server.uri(), ApiVersion::V8_1);
    // `.expires` lies in the past: the second call refreshes first.
    client.session("15").await.unwrap();
    client.session("15").await.unwrap();
}

#[tokio::test]
async fn logout_works_without_a_refresh_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/oauth2/token"))
        .respond_with(json(
            r#"{"access_token":"access-token-1","token_type":"bearer","expires_in":3600}"#
                .to_owned(),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v8.1/jobSessions/15"))
        .respond_with(json(r#"{"id":"15","status":"Running"}"#.to_owned()))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/api/oauth2/token"))
        .and(header("authorization", "Bearer access-token-1"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let client = password_client(&server.uri(), ApiVersion::V8_1);
    client.session("15").await.unwrap();
    assert!(!client.password_grant().unwrap().has_refresh_token());
    client.logout().await.unwrap();
}
