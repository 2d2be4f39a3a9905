//! The control API under `/_emulator/`: state, reset (the vendor's hook included),
//! lifecycle, faults and the request log, over HTTP with exact bodies; its refusals;
//! and `ServeOptions::scope` choosing the address of a server.
#![cfg(feature = "emulator")]

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::Method;
use axum::routing::post;
use backup_core::emulator::{
    CONTROL_PREFIX, EmulatorConfig, EmulatorServer, EmulatorShared, Fault, Lifecycle,
    LifecycleSpec, Outcome, Phase, RouteClass, ServeOptions,
};
use serde_json::{Value, json};

/// A tiny vendor: `POST /backup` accepts a backup (counted in the shared state, its
/// lifecycle from it) and answers its phase at once; `POST /token` issues a token.
#[derive(Clone)]
struct Tiny {
    shared: EmulatorShared,
    jobs: Arc<Mutex<Vec<Lifecycle>>>,
}

async fn backup(State(tiny): State<Tiny>) -> String {
    tiny.shared.accepted().increment();
    let mut job = Lifecycle::new(tiny.shared.lifecycle());
    let phase = job.observe();
    let mut jobs = tiny.jobs.lock().unwrap_or_else(PoisonError::into_inner);
    jobs.push(job);
    format!("{phase:?} #{}", jobs.len())
}

async fn token(State(tiny): State<Tiny>) -> &'static str {
    tiny.shared.token_requests().increment();
    "t"
}

fn classify(method: &Method, path: &str) -> RouteClass {
    match (method, path) {
        (&Method::POST, "/backup") => RouteClass::Trigger,
        (_, "/token") => RouteClass::Auth,
        _ => RouteClass::Other,
    }
}

/// The tiny vendor, its shared state linked to the control API and a reset hook
/// that forgets its jobs.
async fn start() -> (EmulatorServer, Tiny) {
    let tiny = Tiny {
        shared: EmulatorShared::new(LifecycleSpec::default().after(Duration::from_secs(3))),
        jobs: Arc::default(),
    };
    let jobs = Arc::downgrade(&tiny.jobs);
    tiny.shared.on_reset(move || {
        if let Some(jobs) = jobs.upgrade() {
            jobs.lock().unwrap_or_else(PoisonError::into_inner).clear();
        }
    });
    let router = Router::new()
        .route("/backup", post(backup))
        .route("/token", post(token))
        .with_state(tiny.clone());
    let config = EmulatorConfig::new(router)
        .classify(classify)
        .shared(tiny.shared.clone());
    let server = EmulatorServer::start(config)
        .await
        .expect("bind a local port");
    (server, tiny)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
}

/// Sends `method path` with `body` (none when null, a string as it is) and returns the status and the
/// JSON answer.
async fn call(server: &EmulatorServer, method: Method, path: &str, body: Value) -> (u16, Value) {
    let url = server.url().join(path).expect("valid path");
    let mut request = client().request(method, url);
    match body {
        Value::Null => {}
        // A string is sent as it is (raw JSON, or not JSON at all).
        Value::String(raw) => request = request.body(raw),
        body => request = request.body(body.to_string()),
    }
    let response = request.send().await.expect("answer");
    let status = response.status().as_u16();
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    let text = response.text().await.expect("body");
    (status, serde_json::from_str(&text).expect("JSON answer"))
}

async fn get(server: &EmulatorServer, path: &str) -> Value {
    let (status, body) = call(server, Method::GET, path, Value::Null).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn post_json(server: &EmulatorServer, path: &str, body: Value) -> Value {
    let (status, body) = call(server, Method::POST, path, body).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Sends one vendor request and returns its status and body text.
async fn vendor(server: &EmulatorServer, path: &str) -> (u16, String) {
    let response = client()
        .post(server.url().join(path).expect("valid path"))
        .send()
        .await
        .expect("answer");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

fn counts(total: u64, auth: u64, trigger: u64) -> Value {
    json!({ "total": total, "auth": auth, "trigger": trigger, "poll": 0, "control": 0, "other": 0 })
}

#[tokio::test]
async fn the_index_lists_every_endpoint() {
    let (server, _tiny) = start().await;
    assert_eq!(CONTROL_PREFIX, "/_emulator");
    let index = get(&server, "/_emulator/").await;
    assert_eq!(index, get(&server, "/_emulator").await);
    assert_eq!(
        index,
        json!({ "endpoints": [
            "GET /_emulator/state",
            "POST /_emulator/reset",
            "GET /_emulator/lifecycle",
            "POST /_emulator/lifecycle",
            "GET /_emulator/faults",
            "POST /_emulator/faults",
            "DELETE /_emulator/faults",
            "GET /_emulator/requests",
            "DELETE /_emulator/requests",
        ]})
    );
}

#[tokio::test]
async fn state_counts_vendor_requests_but_not_control_ones() {
    let (server, _tiny) = start().await;
    let fresh = get(&server, "/_emulator/state").await;
    assert_eq!(
        fresh,
        json!({
            "accepted_backups": 0,
            "token_requests": 0,
            "requests": counts(0, 0, 0),
            "faults": { "pending": 0, "fired": 0 },
            "lifecycle": { "duration_s": 3.0, "queued_polls": 1, "running_polls": 2,
                           "outcome": "success", "reason": null },
        })
    );
    assert_eq!(vendor(&server, "/token").await, (200, "t".to_owned()));
    assert_eq!(
        vendor(&server, "/backup").await,
        (200, "Running { progress: 0 } #1".to_owned())
    );
    let state = get(&server, "/_emulator/state").await;
    assert_eq!(state["accepted_backups"], 1);
    assert_eq!(state["token_requests"], 1);
    assert_eq!(state["requests"], counts(2, 1, 1));
    // Control requests stay out of the server's own log too.
    assert_eq!(server.requests().total(), 2);
}

#[tokio::test]
async fn injected_faults_hit_the_next_requests_of_their_class() {
    let (server, tiny) = start().await;
    let injected = post_json(
        &server,
        "/_emulator/faults",
        json!({ "route": "trigger", "times": 2,
                "fault": { "kind": "status", "status": 503, "retry_after_s": 1.5 } }),
    )
    .await;
    assert_eq!(injected, json!({ "pending": 2, "fired": 0 }));

    // An `any` fault queued behind does not hit the control API.
    post_json(
        &server,
        "/_emulator/faults",
        json!({ "route": "any", "fault": { "kind": "drop_before_handling" } }),
    )
    .await;
    assert_eq!(
        get(&server, "/_emulator/faults").await,
        json!({ "pending": 3, "fired": 0 })
    );

    // The auth request takes the `any` fault; the trigger ones take the 503s.
    let dropped = client()
        .post(server.url().join("/token").expect("valid path"))
        .send()
        .await;
    assert!(dropped.is_err(), "{dropped:?}");
    for _ in 0..2 {
        let refused = client()
            .post(server.url().join("/backup").expect("valid path"))
            .send()
            .await
            .expect("answer");
        assert_eq!(refused.status(), 503);
        assert_eq!(refused.headers()["retry-after"], "2");
    }
    assert_eq!(tiny.shared.accepted().get(), 0);
    assert_eq!(vendor(&server, "/backup").await.0, 200);
    assert_eq!(
        get(&server, "/_emulator/faults").await,
        json!({ "pending": 0, "fired": 3 })
    );

    post_json(
        &server,
        "/_emulator/faults",
        json!({ "route": "poll", "times": 5, "fault": { "kind": "html_body" } }),
    )
    .await;
    let (status, cleared) = call(&server, Method::DELETE, "/_emulator/faults", Value::Null).await;
    assert_eq!(
        (status, cleared),
        (200, json!({ "pending": 0, "fired": 3 }))
    );
}

#[tokio::test]
async fn every_fault_kind_is_taken() {
    let (server, _tiny) = start().await;
    let kinds = [
        json!({ "kind": "status", "status": 429 }),
        json!({ "kind": "drop_before_handling" }),
        json!({ "kind": "drop_after_handling" }),
        json!({ "kind": "delay", "delay_s": 0.01 }),
        json!({ "kind": "malformed_body" }),
        json!({ "kind": "html_body", "status": 504 }),
        json!({ "kind": "empty_body", "status": 204 }),
        json!({ "kind": "oversized_body", "bytes": 100 }),
        json!({ "kind": "respond", "status": 200, "body": "{\"errorCode\":5}" }),
    ];
    for kind in &kinds {
        post_json(
            &server,
            "/_emulator/faults",
            json!({ "route": "auth", "fault": kind }),
        )
        .await;
    }
    for _ in &kinds {
        let _ = client()
            .post(server.url().join("/token").expect("valid path"))
            .send()
            .await;
    }
    let log = get(&server, "/_emulator/requests").await;
    let faults: Vec<Value> = log["records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|record| record["fault"].clone())
        .collect();
    let expected: Vec<Value> = kinds
        .iter()
        .map(|kind| {
            let mut full = kind.clone();
            // Defaults filled in, as the log shows them.
            match kind["kind"].as_str() {
                Some("malformed_body") => full["status"] = json!(200),
                Some("respond") => full["content_type"] = json!("application/json"),
                _ => {}
            }
            full
        })
        .collect();
    assert_eq!(faults, expected);
}

#[tokio::test]
async fn the_lifecycle_of_the_next_backups_changes_field_by_field() {
    let (server, tiny) = start().await;
    let failing = post_json(
        &server,
        "/_emulator/lifecycle",
        json!({ "duration_s": 0, "outcome": "failure", "reason": "disk full" }),
    )
    .await;
    assert_eq!(
        failing,
        json!({ "duration_s": 0.0, "queued_polls": 1, "running_polls": 2,
                "outcome": "failure", "reason": "disk full" })
    );
    assert_eq!(get(&server, "/_emulator/lifecycle").await, failing);
    assert_eq!(
        tiny.shared.lifecycle(),
        LifecycleSpec::default()
            .after(Duration::ZERO)
            .failing("disk full")
    );
    assert_eq!(
        vendor(&server, "/backup").await.1,
        format!(
            "{:?} #1",
            Phase::Done(Outcome::Failure {
                reason: "disk full".to_owned()
            })
        )
    );

    let by_polls = post_json(
        &server,
        "/_emulator/lifecycle",
        json!({ "duration_s": null, "queued_polls": 0, "running_polls": 4, "outcome": "warning" }),
    )
    .await;
    assert_eq!(
        by_polls,
        json!({ "duration_s": null, "queued_polls": 0, "running_polls": 4,
                "outcome": "warning", "reason": null })
    );
    let default_failure = post_json(
        &server,
        "/_emulator/lifecycle",
        json!({ "outcome": "failure" }),
    )
    .await;
    assert_eq!(
        default_failure["reason"],
        "failure requested through the emulator's control API"
    );
    assert_eq!(default_failure["running_polls"], 4);
}

#[tokio::test]
async fn the_request_log_filters_by_class_and_keeps_the_last() {
    let (server, _tiny) = start().await;
    vendor(&server, "/token").await;
    vendor(&server, "/backup?x=1").await;
    vendor(&server, "/backup?x=2").await;
    let log = get(&server, "/_emulator/requests?class=trigger&limit=1").await;
    assert_eq!(log["counts"], counts(3, 1, 2));
    let records = log["records"].as_array().expect("records");
    assert_eq!(records.len(), 1);
    let record = &records[0];
    assert_eq!(record["method"], "POST");
    assert_eq!(record["target"], "/backup?x=2");
    assert_eq!(record["path"], "/backup");
    assert_eq!(record["class"], "trigger");
    assert_eq!(record["fault"], Value::Null);
    assert!(
        record["at_s"].as_f64().is_some_and(|at| at >= 0.0),
        "{record}"
    );
    let all = get(&server, "/_emulator/requests").await;
    let targets: Vec<&str> = all["records"]
        .as_array()
        .expect("records")
        .iter()
        .filter_map(|r| r["target"].as_str())
        .collect();
    assert_eq!(targets, ["/token", "/backup?x=1", "/backup?x=2"]);

    let (status, cleared) = call(&server, Method::DELETE, "/_emulator/requests", Value::Null).await;
    assert_eq!(status, 200);
    assert_eq!(cleared, json!({ "counts": counts(0, 0, 0), "records": [] }));
}

#[tokio::test]
async fn reset_forgets_everything_and_runs_the_vendor_hook() {
    let (server, tiny) = start().await;
    vendor(&server, "/token").await;
    vendor(&server, "/backup").await;
    post_json(
        &server,
        "/_emulator/lifecycle",
        json!({ "outcome": "warning" }),
    )
    .await;
    post_json(
        &server,
        "/_emulator/faults",
        json!({ "route": "poll", "fault": { "kind": "status", "status": 500 } }),
    )
    .await;
    assert_eq!(tiny.jobs.lock().map(|jobs| jobs.len()).ok(), Some(1));

    let state = post_json(&server, "/_emulator/reset", Value::Null).await;
    assert_eq!(
        state,
        json!({
            "accepted_backups": 0,
            "token_requests": 0,
            "requests": counts(0, 0, 0),
            "faults": { "pending": 0, "fired": 0 },
            "lifecycle": { "duration_s": 3.0, "queued_polls": 1, "running_polls": 2,
                           "outcome": "success", "reason": null },
        })
    );
    assert_eq!(tiny.jobs.lock().map(|jobs| jobs.len()).ok(), Some(0));
    // The next backup is the first again.
    assert_eq!(
        vendor(&server, "/backup").await.1,
        "Running { progress: 0 } #1"
    );
}

#[tokio::test]
async fn a_reset_goes_back_to_the_default_lifecycle_set_after_start() {
    let (server, tiny) = start().await;
    let timed = LifecycleSpec::default().after(Duration::from_secs(7));
    tiny.shared.set_default_lifecycle(timed.clone());
    tiny.shared.set_lifecycle(LifecycleSpec::after_polls(1));
    post_json(&server, "/_emulator/reset", json!({})).await;
    assert_eq!(tiny.shared.lifecycle(), timed);
}

#[tokio::test]
async fn bad_control_requests_are_refused_with_what_is_wrong() {
    let (server, tiny) = start().await;
    let cases = [
        (
            Method::GET,
            "/_emulator/nope",
            Value::Null,
            404,
            "no control endpoint /_emulator/nope; GET /_emulator/ lists them",
        ),
        (
            Method::PUT,
            "/_emulator/state",
            Value::Null,
            405,
            "PUT is not allowed on /_emulator/state",
        ),
        (
            Method::GET,
            "/_emulator/reset",
            Value::Null,
            405,
            "GET is not allowed on /_emulator/reset",
        ),
        (
            Method::POST,
            "/_emulator/faults",
            json!({ "route": "trigger" }),
            400,
            "invalid JSON body: missing field `fault` at line 1 column 19",
        ),
        (
            Method::POST,
            "/_emulator/faults",
            Value::String(r#"{"route": "login", "fault": {"kind": "drop_after_handling"}}"#.into()),
            400,
            "invalid JSON body: unknown variant `login`, expected one of `auth`, `trigger`, `poll`, `control`, `other`, `any` at line 1 column 17",
        ),
        (
            Method::POST,
            "/_emulator/faults",
            json!({ "route": "poll", "times": 0, "fault": { "kind": "drop_after_handling" } }),
            400,
            "times must be within 1..=1000000",
        ),
        (
            Method::POST,
            "/_emulator/faults",
            json!({ "route": "poll", "fault": { "kind": "status", "status": 42 } }),
            400,
            "status 42 is not within 100..=599",
        ),
        (
            Method::POST,
            "/_emulator/faults",
            json!({ "route": "poll", "fault": { "kind": "delay", "delay_s": -1 } }),
            400,
            "delay_s must be a number of seconds within 0..=86400",
        ),
        (
            Method::POST,
            "/_emulator/lifecycle",
            json!({ "outcome": "success", "reason": "x" }),
            400,
            "reason goes with outcome \"failure\" only",
        ),
        (
            Method::POST,
            "/_emulator/lifecycle",
            json!({ "duration": 3 }),
            400,
            "invalid JSON body: unknown field `duration`, expected one of `duration_s`, `queued_polls`, `running_polls`, `outcome`, `reason` at line 1 column 11",
        ),
        (
            Method::GET,
            "/_emulator/requests?class=everything",
            Value::Null,
            400,
            "class must be one of auth, trigger, poll, control, other, any",
        ),
        (
            Method::GET,
            "/_emulator/requests?since=1",
            Value::Null,
            400,
            "unknown query parameter \"since\" (class, limit)",
        ),
    ];
    for (method, path, body, status, error) in cases {
        let answer = call(&server, method.clone(), path, body).await;
        assert_eq!(
            answer,
            (status, json!({ "error": error })),
            "{method} {path}"
        );
    }
    let (status, answer) = call(
        &server,
        Method::POST,
        "/_emulator/faults",
        Value::String("{".into()),
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    // Nothing was changed by a refused request.
    assert_eq!(
        get(&server, "/_emulator/faults").await,
        json!({ "pending": 0, "fired": 0 })
    );
    assert_eq!(
        tiny.shared.lifecycle(),
        LifecycleSpec::default().after(Duration::from_secs(3))
    );
}

#[tokio::test]
async fn without_shared_state_the_counts_are_null_and_the_lifecycle_unknown() {
    let server = EmulatorServer::start(EmulatorConfig::new(Router::new()))
        .await
        .expect("bind a local port");
    let state = get(&server, "/_emulator/state").await;
    assert_eq!(state["accepted_backups"], Value::Null);
    assert_eq!(state["lifecycle"], Value::Null);
    assert_eq!(state["faults"], json!({ "pending": 0, "fired": 0 }));
    let (status, body) = call(&server, Method::GET, "/_emulator/lifecycle", Value::Null).await;
    assert_eq!(
        (status, body),
        (
            404,
            json!({ "error": "this emulator keeps no shared state (no counts, no lifecycle)" })
        )
    );
    // Faults still work, and a reset too.
    server
        .faults()
        .inject(RouteClass::Other, Fault::status(500));
    post_json(&server, "/_emulator/reset", Value::Null).await;
    assert_eq!(server.faults().pending(), 0);
}

#[tokio::test]
async fn serve_options_scope_chooses_the_address_of_servers_started_in_it() {
    // A port that was free a moment ago.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let options = ServeOptions::default().bind(([127, 0, 0, 1], port).into());
    let server = options
        .scope(EmulatorServer::start(EmulatorConfig::new(Router::new())))
        .await
        .expect("bind the chosen port");
    assert_eq!(server.addr().port(), port);
    assert!(options.check_bound(server.addr()).is_ok());
    // A config's own address wins over the scope's.
    let own = options
        .scope(EmulatorServer::start(
            EmulatorConfig::new(Router::new()).bind(([127, 0, 0, 1], 0).into()),
        ))
        .await
        .expect("bind a free port");
    assert_ne!(own.addr().port(), port);
    assert!(options.check_bound(own.addr()).is_err());
    // Outside the scope, a free port again.
    let outside = EmulatorServer::start(EmulatorConfig::new(Router::new()))
        .await
        .expect("bind a free port");
    assert_ne!(outside.addr().port(), port);
}
