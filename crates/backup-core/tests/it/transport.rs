//! The transport against wiremock: retries by idempotency, hints, budget, 401 replay,
//! body cap, request ids.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use backup_core::auth::{AccessToken, NoAuth, StaticToken, TokenAuth, TokenCache, TokenProvider};
use backup_core::error::{ApiErrorKind, RequestSent};
use backup_core::{Error, Request, RetryPolicy, Transport};
use url::Url;
use wiremock::matchers::{body_string, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn fast_retry(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        base_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
        budget: Duration::from_secs(10),
        jitter: false,
    }
}

fn transport(retry: RetryPolicy) -> Transport {
    Transport::builder("test", "backup-core-tests")
        .retry(retry)
        .request_timeout(Duration::from_millis(500))
        .request_id_headers(&["x-ms-request-id", "x-request-id"])
        .build()
        .unwrap()
}

fn url(server: &MockServer, p: &str) -> Url {
    Url::parse(&format!("{}{p}", server.uri())).unwrap()
}

async fn flaky(server: &MockServer, verb: &str, status: u16, then_ok: bool) {
    Mock::given(method(verb))
        .and(path("/op"))
        .respond_with(ResponseTemplate::new(status))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(server)
        .await;
    if then_ok {
        Mock::given(method(verb))
            .and(path("/op"))
            .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
            .with_priority(2)
            .mount(server)
            .await;
    }
}

#[tokio::test]
async fn safe_requests_retry_every_transient_status() {
    for status in [408, 429, 500, 502, 503, 504] {
        let server = MockServer::start().await;
        flaky(&server, "GET", status, true).await;
        let response = transport(fast_retry(3))
            .send(Request::get("test", url(&server, "/op")), &NoAuth)
            .await
            .unwrap_or_else(|e| panic!("{status}: {e}"));
        assert_eq!(response.status, 200);
        assert_eq!(
            server.received_requests().await.unwrap().len(),
            2,
            "{status}"
        );
    }
}

#[tokio::test]
async fn safe_requests_do_not_retry_client_errors() {
    for status in [400, 403, 404, 409] {
        let server = MockServer::start().await;
        flaky(&server, "GET", status, true).await;
        let err = transport(fast_retry(3))
            .send(Request::get("test", url(&server, "/op")), &NoAuth)
            .await
            .unwrap_err();
        assert_eq!(err.status(), Some(status));
        assert!(matches!(err, Error::Api(_)), "{err:?}");
        assert_eq!(server.received_requests().await.unwrap().len(), 1);
    }
}

#[tokio::test]
async fn trigger_retries_only_when_provably_not_taken() {
    for status in [429, 503] {
        let server = MockServer::start().await;
        flaky(&server, "POST", status, true).await;
        let response = transport(fast_retry(3))
            .send(
                Request::post("test", url(&server, "/op")).trigger("trigger backup"),
                &NoAuth,
            )
            .await
            .unwrap();
        assert_eq!(response.status, 200);
        assert_eq!(
            server.received_requests().await.unwrap().len(),
            2,
            "{status}"
        );
    }
}

#[tokio::test]
async fn trigger_answered_500_is_not_retried_and_outcome_is_unknown() {
    for status in [500, 502, 504, 408] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/op"))
            .respond_with(ResponseTemplate::new(status).insert_header("x-ms-request-id", "rid-7"))
            .expect(1)
            .mount(&server)
            .await;
        let err = transport(fast_retry(5))
            .send(
                Request::post("test", url(&server, "/op")).trigger("trigger backup of item x"),
                &NoAuth,
            )
            .await
            .unwrap_err();
        match &err {
            Error::OutcomeUnknown {
                action,
                status: s,
                request_id,
                ..
            } => {
                assert_eq!(action, "trigger backup of item x");
                assert_eq!(*s, Some(status));
                assert_eq!(request_id.as_deref(), Some("rid-7"));
            }
            other => panic!("{status}: {other:?}"),
        }
        assert_eq!(err.request_sent(), RequestSent::Maybe);
        assert!(err.to_string().contains("check before triggering again"));
    }
}

#[tokio::test]
async fn trigger_timed_out_after_sending_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(202).set_delay(Duration::from_millis(400)))
        .expect(1)
        .mount(&server)
        .await;
    let err = transport(fast_retry(5))
        .send(
            Request::post("test", url(&server, "/op"))
                .trigger("trigger backup")
                .timeout(Duration::from_millis(50)),
            &NoAuth,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::OutcomeUnknown { .. }), "{err:?}");
}

#[tokio::test]
async fn safe_request_timed_out_is_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(300)))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .with_priority(2)
        .mount(&server)
        .await;
    let response = transport(fast_retry(3))
        .send(
            Request::get("test", url(&server, "/op")).timeout(Duration::from_millis(50)),
            &NoAuth,
        )
        .await
        .unwrap();
    assert_eq!(response.status, 200);
}

#[tokio::test]
async fn connection_refused_is_retried_even_for_a_trigger_and_says_nothing_was_sent() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let err = transport(fast_retry(3))
        .send(
            Request::post("test", Url::parse(&format!("http://{addr}/op")).unwrap())
                .trigger("trigger backup"),
            &NoAuth,
        )
        .await
        .unwrap_err();
    match &err {
        Error::Transport { sent, .. } => assert_eq!(*sent, RequestSent::No),
        other => panic!("{other:?}"),
    }
    assert!(err.is_retryable());
}

#[tokio::test]
async fn retry_after_seconds_is_respected() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .with_priority(2)
        .mount(&server)
        .await;
    let started = Instant::now();
    transport(fast_retry(3))
        .send(Request::get("test", url(&server, "/op")), &NoAuth)
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(990),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn retry_after_http_date_is_respected() {
    let server = MockServer::start().await;
    let at = std::time::SystemTime::now() + Duration::from_secs(2);
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(503)
                .insert_header("Retry-After", httpdate::fmt_http_date(at).as_str()),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .with_priority(2)
        .mount(&server)
        .await;
    let started = Instant::now();
    transport(fast_retry(3))
        .send(Request::get("test", url(&server, "/op")), &NoAuth)
        .await
        .unwrap();
    // The date has one-second resolution: at least one second is left of the two.
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn retry_after_ms_is_respected() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after-ms", "120"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .with_priority(2)
        .mount(&server)
        .await;
    let started = Instant::now();
    transport(fast_retry(3))
        .send(Request::get("test", url(&server, "/op")), &NoAuth)
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(120));
}

#[tokio::test]
async fn a_hint_beyond_the_budget_gives_the_last_error_at_once() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "3600"))
        .expect(1)
        .mount(&server)
        .await;
    let started = Instant::now();
    let err = transport(fast_retry(5))
        .send(Request::get("test", url(&server, "/op")), &NoAuth)
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    let api = err.api().unwrap();
    assert_eq!(api.kind, ApiErrorKind::Throttled);
    assert_eq!(api.retry_after, Some(Duration::from_secs(3600)));
}

#[tokio::test]
async fn exhausted_attempts_give_the_last_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).insert_header("x-request-id", "last"))
        .expect(3)
        .mount(&server)
        .await;
    let err = transport(fast_retry(3))
        .send(Request::get("test", url(&server, "/op")), &NoAuth)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(err.request_id(), Some("last"));
    assert!(err.is_retryable());
}

/// Hands out `t1`, `t2`, ... and counts fetches.
#[derive(Debug, Default)]
struct CountingProvider {
    fetches: AtomicU32,
}

#[async_trait]
impl TokenProvider for CountingProvider {
    async fn fetch_token(&self) -> backup_core::Result<AccessToken> {
        let n = self.fetches.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(AccessToken::new(format!("t{n}"), None))
    }
}

#[tokio::test]
async fn unauthorized_refreshes_and_replays_exactly_once() {
    let server = MockServer::start().await;
    Mock::given(header("authorization", "Bearer t1"))
        .respond_with(ResponseTemplate::new(401))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(header("authorization", "Bearer t2"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let provider = Arc::new(CountingProvider::default());
    let auth = TokenAuth::bearer(TokenCache::shared(
        provider.clone(),
        Duration::from_secs(60),
    ));
    // Even a trigger is replayed: a 401 means it was not taken.
    let response = transport(fast_retry(1))
        .send(
            Request::post("test", url(&server, "/op")).trigger("trigger"),
            &auth,
        )
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(provider.fetches.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn persistent_unauthorized_is_an_auth_error_after_one_replay() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).set_body_string("token expired"))
        .expect(2)
        .mount(&server)
        .await;
    let provider = Arc::new(CountingProvider::default());
    let auth = TokenAuth::bearer(TokenCache::shared(
        provider.clone(),
        Duration::from_secs(60),
    ));
    let err = transport(fast_retry(3))
        .send(Request::get("test", url(&server, "/op")), &auth)
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
    assert_eq!(provider.fetches.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_static_token_is_not_replayed() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401))
        .expect(1)
        .mount(&server)
        .await;
    let auth = TokenAuth::bearer(TokenCache::shared(
        Arc::new(StaticToken::new("s")),
        Duration::from_secs(60),
    ));
    let err = transport(fast_retry(3))
        .send(Request::get("test", url(&server, "/op")), &auth)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Auth { .. }));
}

#[tokio::test]
async fn body_cap_gives_a_decode_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string("x".repeat(4096))
                .insert_header("x-request-id", "big"),
        )
        .mount(&server)
        .await;
    let transport = Transport::builder("test", "t")
        .body_cap(1024)
        .build()
        .unwrap();
    let err = transport
        .send(Request::get("test", url(&server, "/op")), &NoAuth)
        .await
        .unwrap_err();
    match &err {
        Error::Decode {
            message,
            request_id,
            ..
        } => {
            assert!(message.contains("1024 byte body cap"), "{message}");
            assert_eq!(request_id.as_deref(), Some("big"));
        }
        other => panic!("{other:?}"),
    }
    let small = transport.body_cap();
    assert_eq!(small, 1024);
}

#[tokio::test]
async fn a_trigger_answer_over_the_body_cap_is_an_unknown_outcome() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string("x".repeat(4096))
                .insert_header("x-request-id", "big"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let transport = Transport::builder("test", "t")
        .retry(fast_retry(3))
        .request_id_headers(&["x-request-id"])
        .body_cap(1024)
        .build()
        .unwrap();
    let err = transport
        .send(
            Request::post("test", url(&server, "/backup")).trigger("trigger backup"),
            &NoAuth,
        )
        .await
        .unwrap_err();
    match &err {
        Error::OutcomeUnknown {
            reason,
            status,
            request_id,
            ..
        } => {
            assert!(reason.contains("1024 byte body cap"), "{reason}");
            assert_eq!(*status, Some(200));
            assert_eq!(request_id.as_deref(), Some("big"));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        err.to_string().contains("check before triggering again"),
        "{err}"
    );
}

#[tokio::test]
async fn a_safe_request_answered_over_the_body_cap_is_sent_again() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("x".repeat(4096)))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{\"ok\":true}"))
        .with_priority(2)
        .mount(&server)
        .await;
    let transport = Transport::builder("test", "t")
        .retry(fast_retry(3))
        .body_cap(1024)
        .build()
        .unwrap();
    let value = transport
        .send_decoded(
            Request::get("test", url(&server, "/op")),
            &NoAuth,
            decode_json,
        )
        .await
        .unwrap();
    assert_eq!(value["ok"], true);
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn request_ids_are_captured_in_order_of_preference() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-request-id", "second")
                .insert_header("x-ms-request-id", "first"),
        )
        .mount(&server)
        .await;
    let response = transport(fast_retry(1))
        .send(Request::get("test", url(&server, "/op")), &NoAuth)
        .await
        .unwrap();
    assert_eq!(response.request_id.as_deref(), Some("first"));
}

#[tokio::test]
async fn sends_method_body_and_user_agent_as_given() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/a%2Fb"))
        .and(header("content-type", "application/json"))
        .and(header(
            "user-agent",
            format!("backup-rs/{} (backup-core-tests)", backup_core::VERSION).as_str(),
        ))
        .and(body_string(r#"{"k":"v"}"#))
        .respond_with(ResponseTemplate::new(202))
        .expect(1)
        .mount(&server)
        .await;
    let base = backup_core::path::parse_endpoint("test", "endpoint", &server.uri()).unwrap();
    let target = backup_core::path::join_segments("test", &base, &["v1", "a/b"]).unwrap();
    let request = Request::post("test", target)
        .json(&serde_json::json!({"k": "v"}))
        .unwrap();
    let response = transport(fast_retry(1))
        .send(request, &NoAuth)
        .await
        .unwrap();
    assert_eq!(response.status, 202);
}

#[tokio::test]
async fn accepted_statuses_come_back_as_answers() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(409).set_body_string(r#"{"sessionId":"5"}"#))
        .expect(1)
        .mount(&server)
        .await;
    let response = transport(fast_retry(3))
        .send(
            Request::post("test", url(&server, "/op"))
                .trigger("start")
                .accept_status(http::StatusCode::CONFLICT),
            &NoAuth,
        )
        .await
        .unwrap();
    assert_eq!(response.status, 409);
    assert_eq!(
        response.json::<serde_json::Value>().unwrap()["sessionId"],
        "5"
    );
}

#[tokio::test]
async fn undecodable_trigger_answer_is_an_unknown_outcome() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>oops"))
        .mount(&server)
        .await;
    let response = transport(fast_retry(1))
        .send(
            Request::post("test", url(&server, "/op")).trigger("trigger backup"),
            &NoAuth,
        )
        .await
        .unwrap();
    let err = response.json::<serde_json::Value>().unwrap_err();
    assert!(matches!(err, Error::OutcomeUnknown { .. }), "{err:?}");
    let response = transport(fast_retry(1))
        .send(Request::get("test", url(&server, "/op")), &NoAuth)
        .await;
    assert!(response.is_err(), "GET /op has no mock: 404");
}

#[tokio::test]
async fn html_error_page_gives_a_short_excerpt() {
    let server = MockServer::start().await;
    let page = format!(
        "<html><body><h1>502 Bad Gateway</h1>{}</body></html>",
        "x".repeat(1000)
    );
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404).set_body_string(page))
        .mount(&server)
        .await;
    let err = transport(fast_retry(1))
        .send(Request::get("test", url(&server, "/op")), &NoAuth)
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("502 Bad Gateway"), "{text}");
    assert!(text.len() < 400, "{}", text.len());
}

fn decode_json(response: &backup_core::Response) -> backup_core::Result<serde_json::Value> {
    response.json()
}

#[tokio::test]
async fn a_safe_request_with_an_undecodable_answer_is_sent_again() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{\"trunc"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{\"ok\":true}"))
        .with_priority(2)
        .mount(&server)
        .await;
    let value = transport(fast_retry(3))
        .send_decoded(
            Request::get("test", url(&server, "/op")),
            &NoAuth,
            decode_json,
        )
        .await
        .unwrap();
    assert_eq!(value["ok"], true);
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_trigger_with_an_undecodable_answer_is_not_sent_again() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{\"trunc"))
        .expect(1)
        .mount(&server)
        .await;
    let err = transport(fast_retry(3))
        .send_decoded(
            Request::post("test", url(&server, "/op")).trigger("trigger backup"),
            &NoAuth,
            decode_json,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::OutcomeUnknown { .. }), "{err:?}");
}

#[test]
fn decoders_can_be_unit_tested_with_hand_built_answers() {
    let response = backup_core::Response::from_parts(
        "test",
        http::StatusCode::BAD_GATEWAY,
        http::HeaderMap::new(),
        "<html>bad gateway</html>",
    );
    let api = response.unparsed_error();
    assert_eq!(api.status, 502);
    assert!(api.message.contains("bad gateway"));
}

#[tokio::test]
async fn a_bodiless_post_says_content_length_zero() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(header("content-length", "0"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let response = transport(fast_retry(1))
        .send(Request::post("test", url(&server, "/cancel")), &NoAuth)
        .await
        .unwrap();
    assert_eq!(response.status, 204);
}
