//! A minimal HTTP/1.1 server on plain hyper, in two modes:
//!
//! - [`Recorder`]: a forwarding proxy in front of an emulator that records every
//!   exchange (request and answer), so that we learn exactly what the SDK sends;
//! - the canned server ([`serve_canned`], run in a child process by [`CannedServer`]):
//!   answers each request with the answer recorded for the same method and path, at
//!   the lowest cost hyper allows, so that the server's own cost does not hide the
//!   client's. It lives in another process so that the client's CPU time is measured
//!   alone.

use std::collections::HashMap;
use std::convert::Infallible;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// One request and the answer it got, as recorded by the [`Recorder`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Exchange {
    /// The request method.
    pub method: String,
    /// The request path, without the query.
    pub path: String,
    /// The query string, if any.
    pub query: Option<String>,
    /// The request headers, in order (hop-by-hop ones left out).
    pub headers: Vec<(String, String)>,
    /// The request body.
    pub body: Vec<u8>,
    /// The answer's status.
    pub status: u16,
    /// The answer's headers (hop-by-hop ones and `content-length` left out).
    pub answer_headers: Vec<(String, String)>,
    /// The answer's body.
    pub answer_body: Vec<u8>,
}

/// Headers a proxy or a replay must not copy: the HTTP stack sets them itself.
fn is_hop_by_hop(name: &str) -> bool {
    matches!(
        name,
        "host" | "content-length" | "connection" | "transfer-encoding" | "keep-alive" | "date"
    )
}

fn header_pairs(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(name, _)| !is_hop_by_hop(name.as_str()))
        .filter_map(|(name, value)| {
            Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
        })
        .collect()
}

/// Builds a header map from recorded pairs, skipping any that are not valid.
#[must_use]
pub fn header_map(pairs: &[(String, String)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            map.append(name, value);
        }
    }
    map
}

/// Where the canned server's own address goes in recorded answers (absolute URLs such
/// as Azure's `Azure-AsyncOperation`), replaced once the child knows its port.
pub const OWN_AUTHORITY: &str = "canned-server.invalid:1";

/// `GET` this path of the canned server: how many requests it answered so far (this
/// one not counted), as plain text.
pub const COUNT_PATH: &str = "/__backup-bench/served";

/// Replaces `from` with `to` in the answer (header values and a UTF-8 body) of
/// `exchange`: answers that name the server that gave them must name the one replaying
/// them.
pub fn rename_authority(exchange: &mut Exchange, from: &str, to: &str) {
    for (_, value) in &mut exchange.answer_headers {
        if value.contains(from) {
            *value = value.replace(from, to);
        }
    }
    if let Ok(text) = std::str::from_utf8(&exchange.answer_body)
        && text.contains(from)
    {
        exchange.answer_body = text.replace(from, to).into_bytes();
    }
}

/// Serves `handler` on `listener` until the task is aborted (or the process ends), one
/// task per connection.
fn serve<H, F>(listener: TcpListener, handler: H) -> JoinHandle<()>
where
    H: Fn(Request<Incoming>) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Response<Full<Bytes>>> + Send + 'static,
{
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                // Out of descriptors or the like: back off instead of spinning.
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            };
            let _ = stream.set_nodelay(true);
            let handler = handler.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request| {
                    let answer = handler(request);
                    async move { Ok::<_, Infallible>(answer.await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    })
}

fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut answer = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *answer.status_mut() = status;
    answer
}

/// A recording proxy in front of an emulator.
#[derive(Debug)]
pub struct Recorder {
    addr: SocketAddr,
    log: Arc<Mutex<Vec<Exchange>>>,
    task: JoinHandle<()>,
}

impl Recorder {
    /// Starts a proxy on 127.0.0.1 forwarding to `target` (`http://127.0.0.1:PORT/`).
    ///
    /// # Errors
    /// When no port can be bound.
    pub async fn start(target: url::Url) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let log = Arc::new(Mutex::new(Vec::new()));
        let http = reqwest::Client::new();
        let target_authority = Arc::new(format!(
            "{}:{}",
            target.host_str().unwrap_or_default(),
            target.port_or_known_default().unwrap_or_default()
        ));
        let own_authority = Arc::new(addr.to_string());
        let target = Arc::new(target);
        let shared = Arc::clone(&log);
        let task = serve(listener, move |request| {
            let http = http.clone();
            let target = Arc::clone(&target);
            let log = Arc::clone(&shared);
            let target_authority = Arc::clone(&target_authority);
            let own_authority = Arc::clone(&own_authority);
            async move {
                match forward(&http, &target, request).await {
                    Ok(mut exchange) => {
                        rename_authority(&mut exchange, &target_authority, &own_authority);
                        let answer = canned_answer(&Canned::from(&exchange));
                        log.lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .push(exchange);
                        answer
                    }
                    Err(why) => {
                        eprintln!("recorder: {why}");
                        plain(StatusCode::BAD_GATEWAY, "recorder could not forward")
                    }
                }
            }
        });
        Ok(Self { addr, log, task })
    }

    /// `http://127.0.0.1:PORT/`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// `127.0.0.1:PORT`.
    #[must_use]
    pub fn authority(&self) -> String {
        self.addr.to_string()
    }

    /// How many exchanges were recorded so far.
    #[must_use]
    pub fn len(&self) -> usize {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// The exchanges recorded so far.
    #[must_use]
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn forward(
    http: &reqwest::Client,
    target: &url::Url,
    request: Request<Incoming>,
) -> Result<Exchange, String> {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map_err(|e| format!("reading the request: {e}"))?
        .to_bytes();
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().map(str::to_owned);
    let mut url = target.clone();
    url.set_path(&path);
    url.set_query(query.as_deref());
    let headers = header_pairs(&parts.headers);
    // Forwarded with the Host the client used: signatures (Huawei's) cover it.
    let mut forwarded = header_map(&headers);
    if let Some(host) = parts.headers.get(http::header::HOST) {
        forwarded.insert(http::header::HOST, host.clone());
    }
    let answer = http
        .request(parts.method.clone(), url)
        .headers(forwarded)
        .body(body.clone())
        .send()
        .await
        .map_err(|e| format!("forwarding {} {path}: {e}", parts.method))?;
    let status = answer.status().as_u16();
    let answer_headers = header_pairs(answer.headers());
    let answer_body = answer
        .bytes()
        .await
        .map_err(|e| format!("reading the answer: {e}"))?;
    Ok(Exchange {
        method: parts.method.as_str().to_owned(),
        path,
        query,
        headers,
        body: body.to_vec(),
        status,
        answer_headers,
        answer_body: answer_body.to_vec(),
    })
}

/// A prepared answer.
#[derive(Debug, Clone)]
struct Canned {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl From<&Exchange> for Canned {
    fn from(exchange: &Exchange) -> Self {
        Self {
            status: StatusCode::from_u16(exchange.status).unwrap_or(StatusCode::OK),
            headers: header_map(&exchange.answer_headers),
            body: Bytes::from(exchange.answer_body.clone()),
        }
    }
}

fn canned_answer(canned: &Canned) -> Response<Full<Bytes>> {
    let mut answer = Response::new(Full::new(canned.body.clone()));
    *answer.status_mut() = canned.status;
    *answer.headers_mut() = canned.headers.clone();
    answer
}

/// Serves the recorded answers (by method and path; the last recorded wins) on
/// 127.0.0.1 until the process ends; prints `LISTENING <addr>` once bound.
/// [`OWN_AUTHORITY`] in the answers becomes the address it listens on.
///
/// # Errors
/// When no port can be bound.
pub async fn serve_canned(exchanges: &[Exchange]) -> std::io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let mut routes: HashMap<(Method, String), Canned> = HashMap::new();
    for exchange in exchanges {
        let mut exchange = exchange.clone();
        rename_authority(&mut exchange, OWN_AUTHORITY, &addr.to_string());
        let exchange = &exchange;
        if let Ok(method) = Method::from_bytes(exchange.method.as_bytes()) {
            routes.insert((method, exchange.path.clone()), Canned::from(exchange));
        }
    }
    let routes = Arc::new(routes);
    let served = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let task = serve(listener, move |request: Request<Incoming>| {
        let routes = Arc::clone(&routes);
        let served = Arc::clone(&served);
        async move {
            if request.uri().path() == COUNT_PATH {
                let count = served.load(std::sync::atomic::Ordering::Relaxed);
                return Response::new(Full::new(Bytes::from(count.to_string())));
            }
            served.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let key = (request.method().clone(), request.uri().path().to_owned());
            // Read the body so that the connection stays usable.
            let _ = request.into_body().collect().await;
            match routes.get(&key) {
                Some(canned) => canned_answer(canned),
                None => plain(StatusCode::NOT_FOUND, "no canned answer"),
            }
        }
    });
    let mut out = std::io::stdout().lock();
    writeln!(out, "LISTENING {addr}")?;
    out.flush()?;
    drop(out);
    let _ = task.await;
    Ok(())
}

/// The canned server running in a child process (`backup-bench serve`); killed on drop.
#[derive(Debug)]
pub struct CannedServer {
    child: Child,
    addr: SocketAddr,
}

impl CannedServer {
    /// Starts `backup-bench serve` with `exchanges` and waits until it listens.
    ///
    /// # Errors
    /// When the child cannot start or does not say where it listens.
    pub fn start(exchanges: &[Exchange]) -> Result<Self, String> {
        let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
        let mut child = Command::new(exe)
            .arg("serve")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("starting the canned server: {e}"))?;
        match handshake(&mut child, exchanges) {
            Ok(addr) => Ok(Self { child, addr }),
            Err(why) => {
                let _ = child.kill();
                let _ = child.wait();
                Err(format!("canned server: {why}"))
            }
        }
    }

    /// `http://127.0.0.1:PORT/`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }
}

/// Sends the exchanges to the child and reads the address it listens on.
fn handshake(child: &mut Child, exchanges: &[Exchange]) -> Result<SocketAddr, String> {
    let json = serde_json::to_vec(exchanges).map_err(|e| e.to_string())?;
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    stdin.write_all(&json).map_err(|e| e.to_string())?;
    drop(stdin);
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    line.trim()
        .strip_prefix("LISTENING ")
        .and_then(|addr| addr.parse::<SocketAddr>().ok())
        .ok_or_else(|| format!("the canned server said {line:?}"))
}

impl Drop for CannedServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `serve` subcommand: reads the exchanges (JSON) from stdin, then serves them.
///
/// # Errors
/// When stdin is not a JSON list of exchanges or no port can be bound.
pub fn serve_main() -> Result<(), String> {
    let mut input = Vec::new();
    std::io::stdin()
        .read_to_end(&mut input)
        .map_err(|e| format!("reading stdin: {e}"))?;
    let exchanges: Vec<Exchange> = serde_json::from_slice(&input)
        .map_err(|e| format!("stdin is not a list of exchanges: {e}"))?;
    // One thread on a core of its own: the client measured has the other.
    crate::procfs::pin_current_thread(crate::procfs::Cpu::Last);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    runtime
        .block_on(serve_canned(&exchanges))
        .map_err(|e| format!("serving: {e}"))
}
