//! The emulator server: normal answers, every fault's observable behaviour and
//! whether the router ran, the request log, and shutdown.
#![cfg(feature = "emulator")]

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use backup_core::emulator::{
    Counter, EmulatorConfig, EmulatorServer, Fault, Faults, RouteClass, default_error_body,
};
use serde_json::{Value, json};

/// A tiny vendor: `POST /count` starts a "backup" (counts it), `GET /count`
/// reads the count, `POST /echo` echoes its body, `POST /token` logs in.
fn router(counter: Counter) -> Router {
    Router::new()
        .route(
            "/count",
            post(|State(c): State<Counter>| async move { Json(json!({ "count": c.increment() })) })
                .get(|State(c): State<Counter>| async move { Json(json!({ "count": c.get() })) }),
        )
        .route("/echo", post(|body: Bytes| async move { body }))
        .route(
            "/token",
            post(|| async { Json(json!({ "access_token": "t" })) }),
        )
        .route("/html", get(|| async { "plain" }))
        .with_state(counter)
}

fn classify(method: &Method, path: &str) -> RouteClass {
    match (method, path) {
        (&Method::POST, "/count") => RouteClass::Trigger,
        (&Method::GET, "/count") => RouteClass::Poll,
        (_, "/token") => RouteClass::Auth,
        _ => RouteClass::Other,
    }
}

async fn start() -> (EmulatorServer, Counter) {
    start_with(|config| config).await
}

async fn start_with(
    configure: impl FnOnce(EmulatorConfig) -> EmulatorConfig,
) -> (EmulatorServer, Counter) {
    let counter = Counter::new();
    let config = configure(EmulatorConfig::new(router(counter.clone())).classify(classify));
    let server = EmulatorServer::start(config)
        .await
        .expect("bind a local port");
    (server, counter)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
}

fn url(server: &EmulatorServer, path: &str) -> reqwest::Url {
    server.url().join(path).expect("valid path")
}

async fn trigger(server: &EmulatorServer) -> reqwest::Result<reqwest::Response> {
    client().post(url(server, "count")).send().await
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("valid JSON")
}

fn content_type(response: &reqwest::Response) -> Option<&str> {
    response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn normal_answer_reaches_the_router_and_is_logged() {
    let (server, counter) = start().await;
    assert_eq!(
        server.url().as_str(),
        format!("http://127.0.0.1:{}/", server.addr().port())
    );

    let response = client()
        .post(url(&server, "count?source=test"))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 200);
    assert_eq!(content_type(&response), Some("application/json"));
    assert_eq!(
        json(&response.text().await.expect("body")),
        json!({ "count": 1 })
    );
    assert_eq!(counter.get(), 1);

    let polled = client()
        .get(url(&server, "count"))
        .send()
        .await
        .expect("answer");
    assert_eq!(
        json(&polled.text().await.expect("body")),
        json!({ "count": 1 })
    );

    let log = server.requests();
    assert_eq!(log.total(), 2);
    assert_eq!(log.count(RouteClass::Trigger), 1);
    assert_eq!(log.count(RouteClass::Poll), 1);
    assert_eq!(log.count(RouteClass::Auth), 0);
    let records = log.records();
    assert_eq!(records[0].method, Method::POST);
    assert_eq!(records[0].target, "/count?source=test");
    assert_eq!(records[0].path(), "/count");
    assert_eq!(records[0].class, RouteClass::Trigger);
    assert_eq!(records[0].fault, None);
    assert!(records[0].at <= records[1].at);
    server.shutdown().await;
}

#[tokio::test]
async fn status_fault_refuses_with_the_vendor_body_and_retry_after() {
    let (server, counter) = start_with(|config| {
        config.error_body(|status| {
            (
                "application/xml",
                format!("<Error><Code>{}</Code></Error>", status.as_u16()),
            )
        })
    })
    .await;
    server.faults().inject(
        RouteClass::Trigger,
        Fault::retry_after(429, Duration::from_millis(1500)),
    );
    server
        .faults()
        .inject(RouteClass::Trigger, Fault::retry_after(503, Duration::ZERO));
    server
        .faults()
        .inject(RouteClass::Trigger, Fault::status(500));

    let refused = trigger(&server).await.expect("answer");
    assert_eq!(refused.status(), 429);
    assert_eq!(
        refused.headers()["retry-after"],
        "2",
        "whole seconds, rounded up"
    );
    assert_eq!(content_type(&refused), Some("application/xml"));
    assert_eq!(
        refused.text().await.expect("body"),
        "<Error><Code>429</Code></Error>"
    );

    let refused = trigger(&server).await.expect("answer");
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.headers()["retry-after"], "0");

    let refused = trigger(&server).await.expect("answer");
    assert_eq!(refused.status(), 500);
    assert!(refused.headers().get("retry-after").is_none());

    assert_eq!(counter.get(), 0, "a refused request starts nothing");
    assert_eq!(server.faults().fired(), 3);

    let accepted = trigger(&server).await.expect("answer");
    assert_eq!(accepted.status(), 200);
    assert_eq!(counter.get(), 1);
    assert_eq!(server.requests().count(RouteClass::Trigger), 4);
    assert_eq!(server.requests().count_where(|r| r.fault.is_some()), 3);
}

#[tokio::test]
async fn default_error_body_and_invalid_status() {
    let (server, counter) = start().await;
    server.faults().inject(RouteClass::Any, Fault::status(503));
    server.faults().inject(RouteClass::Any, Fault::status(7));

    let refused = trigger(&server).await.expect("answer");
    assert_eq!(refused.status(), 503);
    assert_eq!(content_type(&refused), Some("application/json"));
    let (_, expected) = default_error_body(StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(refused.text().await.expect("body"), expected);
    assert_eq!(
        json(&expected),
        json!({ "error": { "code": "503", "message": "injected fault" } })
    );

    let refused = trigger(&server).await.expect("answer");
    assert_eq!(
        refused.status(),
        500,
        "an invalid status is answered as 500"
    );
    assert_eq!(counter.get(), 0);
}

#[tokio::test]
async fn drop_before_handling_closes_the_connection_without_acting() {
    let (server, counter) = start().await;
    server
        .faults()
        .inject(RouteClass::Trigger, Fault::DropBeforeHandling);

    let error = trigger(&server).await.expect_err("no answer");
    assert!(error.status().is_none(), "{error:?}");
    assert!(!error.is_timeout(), "{error:?}");
    assert!(
        !error.is_connect(),
        "the connection was made, then dropped: {error:?}"
    );
    assert_eq!(counter.get(), 0, "the router did not run");
    assert_eq!(server.requests().count(RouteClass::Trigger), 1);

    // The server still serves new connections.
    assert_eq!(trigger(&server).await.expect("answer").status(), 200);
    assert_eq!(counter.get(), 1);
}

#[tokio::test]
async fn drop_after_handling_acts_then_loses_the_answer() {
    let (server, counter) = start().await;
    server
        .faults()
        .inject(RouteClass::Trigger, Fault::DropAfterHandling);

    let error = trigger(&server).await.expect_err("no answer");
    assert!(error.status().is_none(), "{error:?}");
    assert!(!error.is_timeout(), "{error:?}");
    assert!(!error.is_connect(), "{error:?}");
    assert_eq!(counter.get(), 1, "the backup was started, exactly once");

    let polled = client()
        .get(url(&server, "count"))
        .send()
        .await
        .expect("answer");
    assert_eq!(
        json(&polled.text().await.expect("body")),
        json!({ "count": 1 })
    );
}

#[tokio::test]
async fn drop_on_a_kept_alive_connection() {
    let (server, counter) = start().await;
    let http = client();
    // Open a connection, then drop the answer of the next request on it.
    assert_eq!(
        http.get(url(&server, "count"))
            .send()
            .await
            .expect("answer")
            .status(),
        200
    );
    server
        .faults()
        .inject(RouteClass::Trigger, Fault::DropAfterHandling);
    assert!(http.post(url(&server, "count")).send().await.is_err());
    assert_eq!(counter.get(), 1, "not re-sent by the client");
    assert_eq!(
        http.get(url(&server, "count"))
            .send()
            .await
            .expect("answer")
            .status(),
        200
    );
}

#[tokio::test]
async fn delay_acts_then_answers_late() {
    let (server, counter) = start().await;
    server.faults().inject(
        RouteClass::Trigger,
        Fault::Delay(Duration::from_millis(150)),
    );

    let started = std::time::Instant::now();
    let response = trigger(&server).await.expect("answer");
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert_eq!(response.status(), 200);
    assert_eq!(
        json(&response.text().await.expect("body")),
        json!({ "count": 1 })
    );
    assert_eq!(counter.get(), 1);
}

#[tokio::test(start_paused = true)]
async fn delay_follows_a_paused_clock() {
    let (server, counter) = start().await;
    server
        .faults()
        .inject(RouteClass::Trigger, Fault::Delay(Duration::from_secs(30)));

    let started = tokio::time::Instant::now();
    let wall = std::time::Instant::now();
    let response = trigger(&server).await.expect("answer");
    assert_eq!(response.status(), 200);
    assert!(started.elapsed() >= Duration::from_secs(30));
    assert!(
        wall.elapsed() < Duration::from_secs(10),
        "the paused clock skipped the delay"
    );
    assert_eq!(counter.get(), 1);
}

#[tokio::test]
async fn malformed_body_acts_and_answers_invalid_json() {
    let (server, counter) = start().await;
    server
        .faults()
        .inject(RouteClass::Trigger, Fault::MalformedBody { status: 200 });

    let response = trigger(&server).await.expect("answer");
    assert_eq!(response.status(), 200);
    assert_eq!(
        content_type(&response),
        Some("application/json"),
        "the real content type"
    );
    let text = response.text().await.expect("body");
    assert!(!text.is_empty());
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
    assert_eq!(counter.get(), 1);
}

#[tokio::test]
async fn html_body_answers_like_a_proxy_without_acting() {
    let (server, counter) = start().await;
    server
        .faults()
        .inject(RouteClass::Trigger, Fault::HtmlBody { status: 502 });

    let response = trigger(&server).await.expect("answer");
    assert_eq!(response.status(), 502);
    assert_eq!(content_type(&response), Some("text/html"));
    assert_eq!(
        response.text().await.expect("body"),
        "<html><body><h1>502 Bad Gateway</h1></body></html>"
    );
    assert_eq!(counter.get(), 0);
}

#[tokio::test]
async fn empty_body_acts_and_answers_nothing() {
    let (server, counter) = start().await;
    server
        .faults()
        .inject(RouteClass::Trigger, Fault::EmptyBody { status: 201 });

    let response = trigger(&server).await.expect("answer");
    assert_eq!(response.status(), 201);
    assert_eq!(content_type(&response), Some("application/json"));
    assert_eq!(
        response
            .headers()
            .get("content-length")
            .map(axum::http::HeaderValue::as_bytes),
        Some(&b"0"[..])
    );
    assert!(response.bytes().await.expect("body").is_empty());
    assert_eq!(counter.get(), 1);
}

#[tokio::test]
async fn oversized_body_has_the_exact_length() {
    const BYTES: usize = 3 * 1024 * 1024 + 17;
    let (server, counter) = start().await;
    server
        .faults()
        .inject(RouteClass::Poll, Fault::OversizedBody { bytes: BYTES });

    let response = client()
        .get(url(&server, "count"))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 200);
    assert_eq!(content_type(&response), Some("application/json"));
    assert_eq!(response.content_length(), u64::try_from(BYTES).ok());
    let body = response.bytes().await.expect("body");
    assert_eq!(body.len(), BYTES);
    assert!(body.starts_with(b"{\"padding\":\"xxx"));
    assert!(serde_json::from_slice::<Value>(&body).is_ok());
    assert_eq!(counter.get(), 0, "a poll counts nothing");
    assert_eq!(server.requests().count(RouteClass::Poll), 1);
}

#[tokio::test]
async fn respond_answers_exactly_without_acting() {
    let (server, counter) = start().await;
    server.faults().inject(
        RouteClass::Trigger,
        Fault::Respond {
            status: 200,
            content_type: "application/json".to_owned(),
            body: r#"{"errorCode":2,"errorMessage":"busy"}"#.to_owned(),
        },
    );

    let response = trigger(&server).await.expect("answer");
    assert_eq!(response.status(), 200);
    assert_eq!(json(&response.text().await.expect("body"))["errorCode"], 2);
    assert_eq!(counter.get(), 0);
}

#[tokio::test]
async fn faults_target_classes_in_order() {
    let (server, counter) = start().await;
    let faults: Faults = server.faults().clone();
    faults.inject(RouteClass::Poll, Fault::status(503));
    faults.inject_n(RouteClass::Auth, Fault::status(401), 2);
    assert_eq!(faults.pending(), 3);

    // A trigger is not a poll: it goes through.
    assert_eq!(trigger(&server).await.expect("answer").status(), 200);
    assert_eq!(
        client()
            .get(url(&server, "count"))
            .send()
            .await
            .expect("answer")
            .status(),
        503
    );
    assert_eq!(
        client()
            .get(url(&server, "count"))
            .send()
            .await
            .expect("answer")
            .status(),
        200
    );
    for _ in 0..2 {
        let login = client()
            .post(url(&server, "token"))
            .send()
            .await
            .expect("answer");
        assert_eq!(login.status(), 401);
    }
    assert_eq!(
        client()
            .post(url(&server, "token"))
            .send()
            .await
            .expect("answer")
            .status(),
        200
    );
    assert_eq!(faults.fired(), 3);

    // `Any` hits whatever comes next; `clear` forgets what is queued.
    faults.inject(RouteClass::Any, Fault::HtmlBody { status: 504 });
    assert_eq!(
        client()
            .post(url(&server, "echo"))
            .send()
            .await
            .expect("answer")
            .status(),
        504
    );
    faults.inject_n(RouteClass::Any, Fault::DropBeforeHandling, 5);
    faults.clear();
    assert_eq!(trigger(&server).await.expect("answer").status(), 200);
    assert_eq!(counter.get(), 2);
    assert_eq!(faults.fired(), 4);
    assert_eq!(server.requests().count(RouteClass::Other), 1);
    assert_eq!(server.requests().count(RouteClass::Auth), 3);
}

#[tokio::test]
async fn shared_faults_handle_from_the_config() {
    let faults = Faults::new();
    let (server, counter) = start_with(|config| config.faults(faults.clone())).await;
    faults.inject(RouteClass::Trigger, Fault::status(503));
    assert_eq!(trigger(&server).await.expect("answer").status(), 503);
    assert_eq!(server.faults().fired(), 1);
    assert_eq!(counter.get(), 0);
}

#[tokio::test]
async fn request_bodies_are_capped() {
    let (server, _counter) = start_with(|config| config.max_body(1024)).await;
    let echoed = client()
        .post(url(&server, "echo"))
        .body(vec![b'a'; 1024])
        .send()
        .await
        .expect("answer");
    assert_eq!(echoed.status(), 200);
    assert_eq!(echoed.bytes().await.expect("body").len(), 1024);

    let refused = client()
        .post(url(&server, "echo"))
        .body(vec![b'a'; 1025])
        .send()
        .await
        .expect("answer");
    assert_eq!(refused.status(), 413);
    assert_eq!(
        json(&refused.text().await.expect("body"))["error"]["code"],
        "413"
    );

    // A chunked body (no Content-Length) is capped as it arrives.
    let addr = server.addr();
    let answer = tokio::task::spawn_blocking(move || {
        chunked_post(addr, "/echo", &[vec![b'a'; 800], vec![b'b'; 800]])
    })
    .await
    .expect("task");
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
}

/// Posts a chunked body over a raw connection and returns what the server said.
fn chunked_post(addr: std::net::SocketAddr, path: &str, chunks: &[Vec<u8>]) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut request =
        format!("POST {path} HTTP/1.1\r\nHost: emulator\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
            .into_bytes();
    for chunk in chunks {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    // The server may answer and close before reading everything.
    let _ = stream.write_all(&request);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn shutdown_closes_the_port() {
    let (server, _counter) = start().await;
    let addr = server.addr();
    let http = client();
    assert_eq!(
        http.get(url(&server, "count"))
            .send()
            .await
            .expect("answer")
            .status(),
        200
    );
    let base = server.url();

    server.shutdown().await;

    let refused = tokio::net::TcpStream::connect(addr)
        .await
        .expect_err("port closed");
    assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
    // The kept-alive connection is closed too.
    assert!(
        http.get(base.join("count").expect("url"))
            .send()
            .await
            .is_err()
    );
}

#[tokio::test]
async fn dropping_the_server_stops_it() {
    let (server, _counter) = start().await;
    let addr = server.addr();
    assert_eq!(trigger(&server).await.expect("answer").status(), 200);
    drop(server);

    // The accept loop is aborted asynchronously: give it a few turns.
    let mut refused = false;
    for _ in 0..50 {
        match tokio::net::TcpStream::connect(addr).await {
            Err(error) if error.kind() == std::io::ErrorKind::ConnectionRefused => {
                refused = true;
                break;
            }
            _ => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
    assert!(refused, "the port is closed once the server is dropped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_concurrent_requests_on_a_multi_thread_runtime() {
    let (server, counter) = start().await;
    let http = client();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..32 {
        let http = http.clone();
        let target = url(&server, "count");
        tasks.spawn(async move { http.post(target).send().await.map(|r| r.status()) });
    }
    while let Some(status) = tasks.join_next().await {
        assert_eq!(status.expect("task").expect("answer"), 200);
    }
    assert_eq!(counter.get(), 32);
    assert_eq!(server.requests().count(RouteClass::Trigger), 32);
    server.shutdown().await;
}

#[test]
fn runs_on_a_current_thread_runtime_built_by_hand() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let (server, counter) = start().await;
        server
            .faults()
            .inject(RouteClass::Trigger, Fault::DropAfterHandling);
        assert!(trigger(&server).await.is_err());
        assert_eq!(trigger(&server).await.expect("answer").status(), 200);
        assert_eq!(counter.get(), 2);
        // Dropped, not shut down: the runtime going away must not hang or panic.
    });
}

#[tokio::test]
async fn binds_a_given_address() {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("probe");
    let addr = probe.local_addr().expect("addr");
    drop(probe);
    let Ok(server) =
        EmulatorServer::start(EmulatorConfig::new(router(Counter::new())).bind(addr)).await
    else {
        // Someone took the port in between: nothing to test.
        return;
    };
    assert_eq!(server.addr(), addr);
    assert_eq!(server.url().port(), Some(addr.port()));
    assert_eq!(trigger(&server).await.expect("answer").status(), 200);
    assert_eq!(
        server.requests().count(RouteClass::Other),
        1,
        "default classifier"
    );
}
