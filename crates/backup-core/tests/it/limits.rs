//! The opt-in limit on requests in flight through one transport
//! (`max_concurrent_requests`): none by default; when set, never more at once than it
//! allows, a wait for a slot bounded by the request's deadline and timeouts (and then
//! nothing is sent), and slots given back on errors, on cancellation and before a
//! backoff. The servers run on the test's runtime with a paused clock, so that no
//! outcome depends on the machine's speed.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use backup_core::auth::NoAuth;
use backup_core::transport::with_deadline;
use backup_core::{Error, Request, RequestSent, Response, RetryPolicy, Transport};
use futures_util::future::join_all;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use url::Url;

use crate::deadlines::{read_head, refused_url};

/// What a server saw.
#[derive(Default)]
struct Seen {
    /// Requests read.
    requests: AtomicUsize,
    /// Requests read and not answered yet.
    now: AtomicUsize,
    /// The most of them at once.
    most: AtomicUsize,
}

/// How a server answers.
#[derive(Clone, Copy)]
enum Answer {
    /// `200 {}` after this long.
    OkAfter(Duration),
    /// `200 {}` once the server has read this many requests: a barrier, which no
    /// request passes unless that many are in flight at once.
    OkOnceSeen(usize),
    /// `503` at once, asking to retry after 30 s.
    Busy,
    /// Nothing, ever.
    Never,
}

async fn serve(mut stream: TcpStream, answer: Answer, seen: Arc<Seen>) {
    while read_head(&mut stream).await {
        seen.requests.fetch_add(1, Ordering::SeqCst);
        let now = seen.now.fetch_add(1, Ordering::SeqCst) + 1;
        seen.most.fetch_max(now, Ordering::SeqCst);
        let reply: &[u8] = match answer {
            Answer::OkAfter(delay) => {
                tokio::time::sleep(delay).await;
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"
            }
            Answer::OkOnceSeen(requests) => {
                until_seen(&seen, requests).await;
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"
            }
            Answer::Busy => {
                b"HTTP/1.1 503 Service Unavailable\r\nretry-after: 30\r\ncontent-length: 0\r\n\r\n"
            }
            Answer::Never => std::future::pending().await,
        };
        seen.now.fetch_sub(1, Ordering::SeqCst);
        if stream.write_all(reply).await.is_err() {
            return;
        }
    }
}

/// A server answering every request as `answer` says, on the test's runtime.
async fn server(answer: Answer) -> (Url, Arc<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = Url::parse(&format!("http://{}/op", listener.local_addr().unwrap())).unwrap();
    let seen = Arc::new(Seen::default());
    let counts = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(stream, answer, Arc::clone(&counts)));
        }
    });
    (url, seen)
}

/// Waits (on the paused clock) until `seen` has read `requests` requests.
async fn until_seen(seen: &Seen, requests: usize) {
    while seen.requests.load(Ordering::SeqCst) < requests {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn limited(max: usize, retry: RetryPolicy) -> Transport {
    Transport::builder("test", "backup-core-tests")
        .max_concurrent_requests(max)
        .retry(retry)
        .build()
        .unwrap()
}

fn get(url: &Url) -> Request {
    Request::get("test", url.clone()).action("read operation")
}

/// Sends `request` through a clone of `transport` on a task of its own.
fn spawn_send(
    transport: &Transport,
    request: Request,
) -> JoinHandle<backup_core::Result<Response>> {
    let transport = transport.clone();
    tokio::spawn(async move { transport.send(request, &NoAuth).await })
}

#[tokio::test(start_paused = true)]
async fn no_more_requests_reach_the_server_at_once_than_the_limit() {
    let (url, seen) = server(Answer::OkAfter(Duration::from_secs(1))).await;
    let transport = limited(3, RetryPolicy::never());
    assert_eq!(transport.max_concurrent_requests(), Some(3));
    let started = Instant::now();
    let sends = (0..10).map(|_| transport.send(get(&url), &NoAuth));
    for result in join_all(sends).await {
        result.unwrap();
    }
    assert_eq!(seen.requests.load(Ordering::SeqCst), 10);
    let most = seen.most.load(Ordering::SeqCst);
    assert!((1..=3).contains(&most), "{most} requests at once");
    // Ten one-second requests three at a time: four rounds at least.
    assert!(
        started.elapsed() >= Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn a_request_without_a_slot_by_its_deadline_is_not_sent_and_says_so() {
    let (url, seen) = server(Answer::Never).await;
    let transport = Transport::builder("test", "backup-core-tests")
        .max_concurrent_requests(1)
        .connect_timeout(Duration::from_secs(1))
        .request_timeout(Duration::from_secs(2))
        .retry(RetryPolicy::never())
        .build()
        .unwrap();
    // One request takes the only slot and keeps it (its own timeout: 100 s).
    let holder = spawn_send(&transport, get(&url).timeout(Duration::from_secs(100)));
    until_seen(&seen, 1).await;

    // A poll under a deadline 2 s away.
    let started = Instant::now();
    let error = with_deadline(
        started + Duration::from_secs(2),
        transport.send(get(&url), &NoAuth),
    )
    .await
    .unwrap_err();
    assert_eq!(started.elapsed(), Duration::from_secs(2));
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    assert_eq!(error.request_sent(), RequestSent::No);
    assert!(!error.may_have_been_acted_on());
    let text = error.to_string();
    for words in [
        "no slot for the poll request",
        "max_concurrent_requests",
        "the deadline came",
        "the poll request (read operation) was not sent",
    ] {
        assert!(text.contains(words), "{words:?} missing: {text}");
    }

    // A trigger: no backup was requested, and never an unknown outcome.
    let trigger = Request::post("test", url.clone()).trigger("start backup");
    let error = with_deadline(
        Instant::now() + Duration::from_secs(2),
        transport.send(trigger, &NoAuth),
    )
    .await
    .unwrap_err();
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    assert_eq!(error.request_sent(), RequestSent::No);
    assert!(
        error.to_string().contains("no backup was requested"),
        "{error}"
    );

    // Without a deadline, the wait is bounded by the connect and request timeouts.
    let started = Instant::now();
    let error = transport.send(get(&url), &NoAuth).await.unwrap_err();
    assert_eq!(started.elapsed(), Duration::from_secs(3));
    assert_eq!(error.request_sent(), RequestSent::No);
    assert!(
        error
            .to_string()
            .contains("its connect and request timeouts passed"),
        "{error}"
    );

    assert_eq!(
        seen.requests.load(Ordering::SeqCst),
        1,
        "a waiting request was sent"
    );
    holder.abort();
}

#[tokio::test(start_paused = true)]
async fn slots_are_given_back_after_an_error_and_a_cancelled_request() {
    let (ok_url, ok_seen) = server(Answer::OkAfter(Duration::from_secs(1))).await;
    let (silent_url, silent_seen) = server(Answer::Never).await;
    let transport = limited(1, RetryPolicy::never());
    let within = |seconds| Instant::now() + Duration::from_secs(seconds);

    // A refused connection fails, and gives its slot back.
    let error = transport
        .send(get(&refused_url("/op")), &NoAuth)
        .await
        .unwrap_err();
    assert_eq!(error.request_sent(), RequestSent::No, "{error}");
    with_deadline(within(5), transport.send(get(&ok_url), &NoAuth))
        .await
        .unwrap();

    // A request dropped while in flight gives its slot back.
    let cancelled = spawn_send(&transport, get(&silent_url));
    until_seen(&silent_seen, 1).await;
    cancelled.abort();
    assert!(cancelled.await.unwrap_err().is_cancelled());
    with_deadline(within(5), transport.send(get(&ok_url), &NoAuth))
        .await
        .unwrap();

    // So does a request dropped while waiting for a slot.
    let holder = spawn_send(&transport, get(&silent_url));
    until_seen(&silent_seen, 2).await;
    let waiting = spawn_send(&transport, get(&ok_url));
    tokio::time::sleep(Duration::from_secs(1)).await;
    waiting.abort();
    let _ = waiting.await;
    holder.abort();
    let _ = holder.await;
    with_deadline(within(5), transport.send(get(&ok_url), &NoAuth))
        .await
        .unwrap();
    assert_eq!(ok_seen.requests.load(Ordering::SeqCst), 3);
}

#[tokio::test(start_paused = true)]
async fn a_request_waiting_to_retry_holds_no_slot() {
    let (busy_url, busy_seen) = server(Answer::Busy).await;
    let (ok_url, _) = server(Answer::OkAfter(Duration::from_secs(1))).await;
    let transport = limited(
        1,
        RetryPolicy {
            max_attempts: 3,
            budget: Duration::from_secs(600),
            jitter: false,
            ..RetryPolicy::default()
        },
    );
    // A read answered 503 "retry after 30 s" sleeps 30 s before its next attempt ...
    let retrying = spawn_send(&transport, get(&busy_url));
    until_seen(&busy_seen, 1).await;
    // ... without its slot: another request gets it meanwhile.
    let started = Instant::now();
    with_deadline(
        started + Duration::from_secs(5),
        transport.send(get(&ok_url), &NoAuth),
    )
    .await
    .unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(busy_seen.requests.load(Ordering::SeqCst), 1);
    // The retries take a slot again, and the last answer is the service's.
    let error = retrying.await.unwrap().unwrap_err();
    assert_eq!(error.status(), Some(503), "{error}");
    assert_eq!(busy_seen.requests.load(Ordering::SeqCst), 3);
}

#[test]
fn zero_slots_are_refused_before_anything_is_sent() {
    let error = Transport::builder("test", "t")
        .max_concurrent_requests(0)
        .build()
        .unwrap_err();
    assert!(
        matches!(&error, Error::InvalidInput { field, .. } if field == "max_concurrent_requests"),
        "{error:?}"
    );
    assert!(error.to_string().contains("at least 1"), "{error}");
    let transport = Transport::builder("test", "t")
        .max_concurrent_requests(32)
        .build()
        .unwrap();
    assert!(format!("{transport:?}").contains("max_concurrent_requests: Some(32)"));
}

#[tokio::test(start_paused = true)]
async fn by_default_there_is_no_limit_on_requests_in_flight() {
    // More at once than the 32 this limit once defaulted to: the server answers none
    // of them before it has read them all, so with any limit below it none would end
    // (the deadline would fail them).
    const AT_ONCE: usize = 100;
    let (url, seen) = server(Answer::OkOnceSeen(AT_ONCE)).await;
    let transport = Transport::builder("test", "backup-core-tests")
        .retry(RetryPolicy::never())
        .build()
        .unwrap();
    assert_eq!(transport.max_concurrent_requests(), None);
    assert!(format!("{transport:?}").contains("max_concurrent_requests: None"));
    let sends =
        (0..AT_ONCE).map(|_| transport.send(get(&url).timeout(Duration::from_secs(3600)), &NoAuth));
    let results = with_deadline(Instant::now() + Duration::from_secs(600), join_all(sends)).await;
    for result in results {
        result.unwrap();
    }
    assert_eq!(seen.requests.load(Ordering::SeqCst), AT_ONCE);
    assert_eq!(seen.most.load(Ordering::SeqCst), AT_ONCE);
}
