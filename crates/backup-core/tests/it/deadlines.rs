//! Deadlines, timeouts and honest errors against servers that misbehave the way real
//! networks do: one that drips its answer a byte a second, one that accepts and never
//! answers, a plain-HTTP port spoken to over TLS, a TLS alert, a refused port. Clocks
//! are paused where the server runs on the test's own runtime, so that no outcome
//! depends on the machine's speed.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use backup_core::auth::{AccessToken, NoAuth, TokenAuth, TokenProvider};
use backup_core::transport::{Step, time_left, with_deadline};
use backup_core::{
    Error, Operation, OperationRef, OperationStatus, Pollable, Poller, Request, RequestSent,
    RetryPolicy, Transport, WaitOptions,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use url::Url;

/// Reads one request head (up to the blank line).
pub(crate) async fn read_head(stream: &mut TcpStream) -> bool {
    let mut head = Vec::new();
    let mut byte = [0_u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => return false,
        }
    }
    true
}

/// A server answering every request `200` with a 1,000-byte body sent one byte per
/// second. Returns its URL and the (paused-clock) instants at which requests came.
async fn dripping_server() -> (Url, Arc<std::sync::Mutex<Vec<Instant>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = Url::parse(&format!("http://{}/op", listener.local_addr().unwrap())).unwrap();
    let arrivals = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = Arc::clone(&arrivals);
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let seen = Arc::clone(&seen);
            tokio::spawn(async move {
                while read_head(&mut stream).await {
                    seen.lock().unwrap().push(Instant::now());
                    let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n";
                    if stream.write_all(head.as_bytes()).await.is_err() {
                        return;
                    }
                    for _ in 0..1000 {
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        if stream.write_all(b" ").await.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    (url, arrivals)
}

/// A server that accepts connections, reads the request and never answers.
async fn silent_server() -> (Url, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = Url::parse(&format!("http://{}/token", listener.local_addr().unwrap())).unwrap();
    let requests = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&requests);
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut stream, _)) = listener.accept().await {
            if read_head(&mut stream).await {
                seen.fetch_add(1, Ordering::SeqCst);
            }
            held.push(stream);
        }
    });
    (url, requests)
}

/// A URL on a local port where nothing listens.
pub(crate) fn refused_url(path: &str) -> Url {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    Url::parse(&format!("http://{addr}{path}")).unwrap()
}

fn transport() -> Transport {
    Transport::builder("test", "backup-core-tests")
        .retry(RetryPolicy {
            max_attempts: 4,
            base_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(100),
            budget: Duration::from_secs(600),
            jitter: false,
        })
        .build()
        .unwrap()
}

/// Polls by GETting a URL and reading it as an operation.
#[derive(Debug)]
struct UrlPoll {
    transport: Transport,
    url: Url,
}

#[async_trait]
impl Pollable for UrlPoll {
    async fn poll(&self, operation: &Operation) -> backup_core::Result<Operation> {
        let request = Request::get("test", self.url.clone()).action("read operation");
        self.transport.send(request, &NoAuth).await?;
        Ok(operation.clone())
    }
}

fn running() -> Operation {
    Operation::new(OperationRef::new("test", "op-1"), OperationStatus::Running)
}

#[tokio::test(start_paused = true)]
async fn a_dripping_status_answer_ends_the_wait_at_its_deadline() {
    let (url, arrivals) = dripping_server().await;
    let source = UrlPoll {
        transport: transport(), // request timeout: the default 60 s
        url,
    };
    let deadline = Duration::from_secs(8);
    let options = WaitOptions::every(Duration::from_secs(1)).deadline(Some(deadline));
    let started = Instant::now();
    let error = Poller::new(&source, running(), options)
        .await
        .expect_err("the deadline passes first");
    let took = started.elapsed();
    let Error::Timeout { operation, .. } = &error else {
        panic!("expected a Timeout, got {error:?}");
    };
    assert_eq!(operation.reference, running().reference);
    // Within about a second of the deadline, whatever the server does (the paused
    // clock makes this exact: no machine is too slow for it).
    assert!(
        took >= deadline && took <= deadline + Duration::from_secs(1),
        "the wait ended after {took:?}, its deadline was {deadline:?}"
    );
    let arrivals = arrivals.lock().unwrap().clone();
    assert!(!arrivals.is_empty(), "no poll was sent");
    for at in arrivals {
        assert!(
            at - started < deadline,
            "a request was sent {:?} after the start, past the deadline",
            at - started
        );
    }
}

#[tokio::test(start_paused = true)]
async fn no_request_is_sent_after_the_deadline_and_each_timeout_is_the_time_left() {
    let (url, arrivals) = dripping_server().await;
    let transport = transport();
    // A deadline already passed: nothing is sent, and the error says so.
    let at = Instant::now();
    tokio::time::sleep(Duration::from_millis(1)).await;
    let error = with_deadline(
        at,
        transport.send(Request::get("test", url.clone()), &NoAuth),
    )
    .await
    .unwrap_err();
    assert_eq!(error.request_sent(), RequestSent::No, "{error}");
    let text = error.to_string();
    assert!(
        text.contains("the deadline passed before the poll request"),
        "{text}"
    );
    assert!(
        text.contains(url.port().unwrap().to_string().as_str()),
        "{text}"
    );
    assert!(arrivals.lock().unwrap().is_empty());

    // A deadline 3 s away: the 60 s request timeout shrinks to the 3 s left.
    let started = Instant::now();
    let error = with_deadline(started + Duration::from_secs(3), async {
        assert_eq!(time_left(), Some(Duration::from_secs(3)));
        transport
            .send(Request::get("test", url.clone()), &NoAuth)
            .await
    })
    .await
    .unwrap_err();
    assert!(
        started.elapsed() <= Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    let text = error.to_string();
    assert!(text.contains("the deadline came"), "{text}");
    assert!(arrivals.lock().unwrap().len() == 1, "{arrivals:?}");
}

#[tokio::test]
async fn an_https_url_on_a_plain_http_port_says_so() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buffer = [0_u8; 512];
            let _ = stream.read(&mut buffer).await;
            let _ = stream
                .write_all(
                    b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                )
                .await;
        }
    });
    let url = Url::parse(&format!("https://{addr}/op")).unwrap();
    let error = transport()
        .send(
            Request::get("test", url).action("read operation op-1"),
            &NoAuth,
        )
        .await
        .unwrap_err();
    let text = error.to_string();
    assert!(text.contains("TLS handshake failed"), "{text}");
    assert!(text.contains("the server speaks plain HTTP"), "{text}");
    assert!(text.contains(&format!("poll request to {addr}")), "{text}");
    assert_eq!(error.request_sent(), RequestSent::No);
}

#[tokio::test]
async fn a_tls_alert_is_a_failed_handshake() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buffer = [0_u8; 2048];
            let _ = stream.read(&mut buffer).await;
            // A fatal handshake_failure alert, as a server refusing every cipher sends.
            let _ = stream
                .write_all(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28])
                .await;
        }
    });
    let url = Url::parse(&format!("https://{addr}/op")).unwrap();
    let error = transport()
        .send(
            Request::post("test", url).trigger("trigger backup of policy p"),
            &NoAuth,
        )
        .await
        .unwrap_err();
    let text = error.to_string();
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    assert!(text.contains("TLS handshake failed"), "{text}");
    assert!(!text.contains("plain HTTP"), "{text}");
    assert!(
        text.contains(&format!("trigger request to {addr}")),
        "{text}"
    );
    assert!(text.contains("no backup was requested"), "{text}");
}

#[tokio::test]
async fn a_refused_connection_names_the_host_port_and_the_step() {
    let url = refused_url("/operations/op-1");
    let error = transport()
        .send(
            Request::get("test", url.clone()).action("read operation op-1"),
            &NoAuth,
        )
        .await
        .unwrap_err();
    let text = error.to_string();
    let host = format!("127.0.0.1:{}", url.port().unwrap());
    assert!(
        text.contains(&format!("poll request to {host} (read operation op-1) failed: could not connect (connection refused)")),
        "{text}"
    );
    let cancel = Request::post("test", url).action("cancel op-1");
    let text = transport()
        .send(cancel, &NoAuth)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        text.contains(&format!("cancel request to {host}")),
        "{text}"
    );
}

/// A token provider that asks a token endpoint through the transport (as every
/// vendor's exchanges and logins do).
#[derive(Debug)]
struct EndpointToken {
    transport: Transport,
    url: Url,
}

#[async_trait]
impl TokenProvider for EndpointToken {
    async fn fetch_token(&self) -> backup_core::Result<AccessToken> {
        let request =
            Request::post("test", self.url.clone()).action("exchange the key for a token");
        self.transport.send(request, &NoAuth).await?;
        Ok(AccessToken::new("t", None))
    }
}

async fn trigger_behind_token(token_url: Url, transport: Transport) -> (Error, Arc<AtomicUsize>) {
    let (trigger_url, triggers) = silent_server().await;
    let auth = TokenAuth::bearer_from(Arc::new(EndpointToken {
        transport: transport.clone(),
        url: token_url,
    }));
    let error = transport
        .send(
            Request::post("test", trigger_url).trigger("trigger backup of policy p"),
            &auth,
        )
        .await
        .unwrap_err();
    (error, triggers)
}

#[tokio::test]
async fn a_refused_token_endpoint_before_a_trigger_requests_no_backup() {
    let url = refused_url("/token");
    let (error, triggers) = trigger_behind_token(url.clone(), transport()).await;
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    assert_eq!(error.request_sent(), RequestSent::No);
    let text = error.to_string();
    assert!(text.contains("no backup was requested"), "{text}");
    assert!(
        text.contains(&format!(
            "token request to 127.0.0.1:{}",
            url.port().unwrap()
        )),
        "{text}"
    );
    assert!(!error.may_have_been_acted_on(), "{error:?}");
    assert_eq!(triggers.load(Ordering::SeqCst), 0);
}

#[tokio::test(start_paused = true)]
async fn a_silent_token_endpoint_before_a_trigger_requests_no_backup() {
    let (token_url, tokens) = silent_server().await;
    let transport = Transport::builder("test", "backup-core-tests")
        .retry(RetryPolicy::never())
        .request_timeout(Duration::from_secs(7))
        .build()
        .unwrap();
    let started = Instant::now();
    let (error, triggers) = trigger_behind_token(token_url, transport).await;
    // The token request timed out after it was sent: its own outcome is unknown, but
    // the trigger's is not: it was never sent.
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    assert_eq!(error.request_sent(), RequestSent::No);
    assert!(!error.may_have_been_acted_on());
    let text = error.to_string();
    assert!(text.contains("no backup was requested"), "{text}");
    assert!(text.contains("token request to 127.0.0.1"), "{text}");
    assert!(text.contains("7s request timeout"), "{text}");
    assert_eq!(tokens.load(Ordering::SeqCst), 1);
    assert_eq!(triggers.load(Ordering::SeqCst), 0);
    assert!(
        started.elapsed() <= Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    // A vendor wrapping the trigger's errors itself keeps it an ordinary error.
    let kept = error.into_trigger_outcome("trigger backup of policy p", "repeat safely");
    assert!(matches!(kept, Error::Transport { .. }), "{kept:?}");
}

#[tokio::test(start_paused = true)]
async fn a_credential_step_that_never_ends_is_bounded() {
    /// A provider that never answers (a credential helper hanging).
    #[derive(Debug)]
    struct Never;
    #[async_trait]
    impl TokenProvider for Never {
        async fn fetch_token(&self) -> backup_core::Result<AccessToken> {
            std::future::pending().await
        }
    }
    let (url, triggers) = silent_server().await;
    let transport = Transport::builder("test", "backup-core-tests")
        .connect_timeout(Duration::from_secs(2))
        .request_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let started = Instant::now();
    let error = transport
        .send(
            Request::post("test", url).trigger("trigger backup"),
            &TokenAuth::bearer_from(Arc::new(Never)),
        )
        .await
        .unwrap_err();
    assert_eq!(started.elapsed(), Duration::from_secs(7));
    assert_eq!(error.request_sent(), RequestSent::No);
    let text = error.to_string();
    assert!(text.contains("gave no answer within 7s"), "{text}");
    assert!(text.contains("no backup was requested"), "{text}");
    assert_eq!(triggers.load(Ordering::SeqCst), 0);
}

#[test]
fn steps_are_named_as_errors_say_them() {
    assert_eq!(Step::Token.to_string(), "token");
    assert_eq!(Step::Trigger.to_string(), "trigger");
    assert_eq!(Step::Poll.to_string(), "poll");
    assert_eq!(Step::Cancel.to_string(), "cancel");
    assert_eq!(Step::Other.to_string(), "request");
    let request = Request::get("test", Url::parse("https://example.com/x").unwrap());
    assert_eq!(request.host_port(), "example.com:443");
}

#[test]
fn zero_timeouts_are_refused_before_anything_is_sent() {
    for builder in [
        Transport::builder("test", "t").connect_timeout(Duration::ZERO),
        Transport::builder("test", "t").request_timeout(Duration::ZERO),
    ] {
        let error = builder.build().unwrap_err();
        assert!(matches!(error, Error::InvalidInput { .. }), "{error:?}");
    }
}

#[tokio::test]
async fn requests_in_flight_are_visible_while_they_wait() {
    backup_core::transport::track_in_flight(true);
    let (url, _) = silent_server().await;
    let transport = transport();
    let port = url.port().unwrap();
    let waiting = tokio::spawn(async move {
        transport
            .send(Request::get("test", url).action("read"), &NoAuth)
            .await
    });
    let seen = loop {
        let found = backup_core::transport::in_flight()
            .into_iter()
            .find(|request| request.host.ends_with(&format!(":{port}")));
        if let Some(found) = found {
            break found;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    assert_eq!(seen.step, Step::Poll);
    assert_eq!(seen.vendor, "test");
    waiting.abort();
    let _ = waiting.await;
    assert!(
        backup_core::transport::in_flight()
            .iter()
            .all(|request| !request.host.ends_with(&format!(":{port}"))),
        "an aborted request stays listed"
    );
}
