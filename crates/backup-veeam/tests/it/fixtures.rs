//! The vendor document's examples (and the notes' shapes) as fixtures: request lines
//! and bodies pinned, responses decoded and snapshotted.

use crate::common::{fixture, password_client, token_json};
use backup_veeam::{ApiVersion, JobSession, ProblemDetails, SessionLog, TriggerRequest};
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
