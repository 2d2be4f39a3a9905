//! [`EmulatorServer`]: a local HTTP/1.1 server around a vendor's [`Router`] that
//! logs every request and applies the injected [`Fault`]s.

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use http::header::{CONTENT_LENGTH, RETRY_AFTER};
use http::{HeaderValue, Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;
use tower::ServiceExt as _;
use url::Url;

use super::body::{self, PaddingBody, status_code};
use super::control::{self, Control};
use super::fault::{Fault, Faults};
use super::log::{DEFAULT_LOG_CAPACITY, RequestLog, RequestRecord};
use super::route::RouteClass;
use super::serve;
use super::vendor::EmulatorShared;

/// The default cap on request bodies: 4 MiB.
pub const DEFAULT_MAX_BODY: usize = 4 * 1024 * 1024;

/// How the vendor classifies a request: method and path (without the query).
type Classifier = dyn Fn(&Method, &str) -> RouteClass + Send + Sync;
/// How the vendor words an error: content type and body for a status.
type ErrorBody = dyn Fn(StatusCode) -> (&'static str, String) + Send + Sync;

/// The default error body: `{"error":{"code":"<status>","message":"injected fault"}}`
/// as `application/json`.
#[must_use]
pub fn default_error_body(status: StatusCode) -> (&'static str, String) {
    let code = status.as_u16();
    (
        "application/json",
        format!(r#"{{"error":{{"code":"{code}","message":"injected fault"}}}}"#),
    )
}

/// How to run an [`EmulatorServer`]: the vendor's router and how to classify
/// requests and word errors.
pub struct EmulatorConfig {
    router: Router,
    classify: Arc<Classifier>,
    error_body: Arc<ErrorBody>,
    max_body: usize,
    bind: Option<SocketAddr>,
    faults: Faults,
    log_capacity: usize,
    shared: Option<EmulatorShared>,
}

impl fmt::Debug for EmulatorConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorConfig")
            .field("max_body", &self.max_body)
            .field("bind", &self.bind)
            .field("log_capacity", &self.log_capacity)
            .finish_non_exhaustive()
    }
}

impl EmulatorConfig {
    /// A configuration serving `router` on `127.0.0.1:0` (a free port; inside
    /// [`ServeOptions::scope`](super::ServeOptions::scope), its address), every
    /// request classified as [`RouteClass::Other`], errors worded by
    /// [`default_error_body`], request bodies capped at [`DEFAULT_MAX_BODY`], and a
    /// control API without shared state (see [`EmulatorConfig::shared`]).
    #[must_use]
    pub fn new(router: Router) -> Self {
        Self {
            router,
            classify: Arc::new(|_: &Method, _: &str| RouteClass::Other),
            error_body: Arc::new(default_error_body),
            max_body: DEFAULT_MAX_BODY,
            bind: None,
            faults: Faults::new(),
            log_capacity: DEFAULT_LOG_CAPACITY,
            shared: None,
        }
    }

    /// Sets how requests are classified, from their method and path (without
    /// the query). The class decides which faults hit a request and how the
    /// [`RequestLog`] counts it.
    #[must_use]
    pub fn classify(
        mut self,
        classify: impl Fn(&Method, &str) -> RouteClass + Send + Sync + 'static,
    ) -> Self {
        self.classify = Arc::new(classify);
        self
    }

    /// Sets how an error answer made by the server is worded in the vendor's
    /// format: a [`Fault::Status`] and a request body over the cap (`413`).
    /// The function returns the content type and the body.
    #[must_use]
    pub fn error_body(
        mut self,
        error_body: impl Fn(StatusCode) -> (&'static str, String) + Send + Sync + 'static,
    ) -> Self {
        self.error_body = Arc::new(error_body);
        self
    }

    /// Caps request bodies at `bytes`; a larger body is answered `413` with the
    /// vendor's error body, without calling the router.
    #[must_use]
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// Binds to `addr` instead of `127.0.0.1:0` (whatever the enclosing
    /// [`ServeOptions::scope`](super::ServeOptions::scope) says).
    #[must_use]
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.bind = Some(addr);
        self
    }

    /// Links the control API ([`CONTROL_PREFIX`](super::CONTROL_PREFIX)) to the
    /// vendor's shared state: its counts, the lifecycle of the next backups, and the
    /// reset of the vendor's own state ([`EmulatorShared::on_reset`]). Without it the
    /// control API serves faults and the request log only.
    #[must_use]
    pub fn shared(mut self, shared: EmulatorShared) -> Self {
        self.shared = Some(shared);
        self
    }

    /// Uses an existing [`Faults`] handle (for instance one that the vendor's
    /// state also holds) instead of a fresh one.
    #[must_use]
    pub fn faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }

    /// Keeps the latest `records` requests in the [`RequestLog`] (counts stay exact).
    #[must_use]
    pub fn log_capacity(mut self, records: usize) -> Self {
        self.log_capacity = records;
        self
    }
}

/// What every connection task shares.
struct Shared {
    router: Router,
    classify: Arc<Classifier>,
    error_body: Arc<ErrorBody>,
    max_body: usize,
    faults: Faults,
    log: RequestLog,
    control: Control,
}

/// The error a connection's service returns to make hyper close the connection
/// without answering.
#[derive(Debug)]
struct DroppedConnection;

impl fmt::Display for DroppedConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for DroppedConnection {}

impl Shared {
    /// The vendor's error answer for `status`, with `Retry-After` when given.
    fn error_answer(&self, status: StatusCode, retry_after: Option<Duration>) -> Response<Body> {
        let (content_type, text) = (self.error_body)(status);
        let mut response = body::answer(status, content_type, text);
        if let Some(after) = retry_after {
            let secs = after
                .as_secs()
                .saturating_add(u64::from(after.subsec_nanos() > 0));
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }

    /// Reads the request body (within the cap) and lets the router answer.
    async fn serve(&self, request: Request<Incoming>) -> Response<Body> {
        let (parts, incoming) = request.into_parts();
        let declared = parts
            .headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let max = u64::try_from(self.max_body).unwrap_or(u64::MAX);
        if declared.is_some_and(|len| len > max) {
            return self.error_answer(StatusCode::PAYLOAD_TOO_LARGE, None);
        }
        // Over the cap, or the client went away mid-body: either way, 413.
        let Ok(bytes) = axum::body::to_bytes(Body::new(incoming), self.max_body).await else {
            return self.error_answer(StatusCode::PAYLOAD_TOO_LARGE, None);
        };
        let request = Request::from_parts(parts, Body::from(bytes));
        match self.router.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        }
    }
}

/// Answers a request to the control API: neither logged nor hit by faults.
async fn handle_control(shared: &Shared, request: Request<Incoming>) -> Response<Body> {
    let (parts, incoming) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(Body::new(incoming), control::MAX_CONTROL_BODY).await
    else {
        return body::answer(
            StatusCode::BAD_REQUEST,
            "application/json",
            r#"{"error":"the body is over 64 KiB, or was cut off"}"#,
        );
    };
    shared.control.answer(
        &parts.method,
        parts.uri.path(),
        parts.uri.query().unwrap_or_default(),
        &bytes,
    )
}

/// Answers one request: a control request apart; else log it, take its fault, apply
/// the fault around the router.
async fn handle(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Response<Body>, DroppedConnection> {
    if control::is_control(request.uri().path()) {
        return Ok(handle_control(&shared, request).await);
    }
    let method = request.method().clone();
    let uri = request.uri();
    let class = (shared.classify)(&method, uri.path()).concrete();
    let target = uri
        .path_and_query()
        .map_or_else(|| uri.path().to_owned(), |pq| pq.as_str().to_owned());
    let fault = shared.faults.take(class);
    if let Some(fault) = &fault {
        tracing::debug!(%method, %target, ?class, ?fault, "emulator: injecting fault");
    }
    shared.log.record(RequestRecord {
        method,
        target,
        class,
        at: Instant::now(),
        fault: fault.clone(),
    });

    // Faults that refuse the request: the router is not called.
    match &fault {
        Some(Fault::DropBeforeHandling) => return Err(DroppedConnection),
        Some(Fault::Status {
            status,
            retry_after,
        }) => {
            return Ok(shared.error_answer(status_code(*status), *retry_after));
        }
        Some(Fault::HtmlBody { status }) => return Ok(body::html_page(status_code(*status))),
        Some(Fault::Respond {
            status,
            content_type,
            body,
        }) => {
            return Ok(body::answer(
                status_code(*status),
                content_type,
                body.clone(),
            ));
        }
        _ => {}
    }

    let response = shared.serve(request).await;

    // Faults that spoil the answer of a request the service acted on.
    match fault {
        Some(Fault::DropAfterHandling) => Err(DroppedConnection),
        Some(Fault::Delay(delay)) => {
            tokio::time::sleep(delay).await;
            Ok(response)
        }
        Some(Fault::MalformedBody { status }) => {
            Ok(body::malformed(response, status_code(status)).await)
        }
        Some(Fault::EmptyBody { status }) => Ok(body::replace_body(
            response,
            status_code(status),
            Body::empty(),
        )),
        Some(Fault::OversizedBody { bytes }) => {
            let padding = Body::new(PaddingBody::new(bytes));
            Ok(body::replace_body(response, StatusCode::OK, padding))
        }
        _ => Ok(response),
    }
}

/// Serves one connection until the client closes it (keep-alive on).
async fn serve_connection(builder: http1::Builder, stream: TcpStream, shared: Arc<Shared>) {
    let service = service_fn(move |request| handle(Arc::clone(&shared), request));
    if let Err(error) = builder
        .serve_connection(TokioIo::new(stream), service)
        .await
    {
        tracing::debug!(%error, "emulator: connection closed");
    }
}

/// Accepts connections until told to stop, then closes the listener and every
/// connection.
async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, mut stop: oneshot::Receiver<()>) {
    let mut connections = JoinSet::new();
    let mut builder = http1::Builder::new();
    builder.keep_alive(true);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    if let Err(error) = stream.set_nodelay(true) {
                        tracing::debug!(%error, "emulator: cannot set TCP_NODELAY");
                    }
                    connections.spawn(serve_connection(builder.clone(), stream, Arc::clone(&shared)));
                }
                Err(error) => {
                    // Out of file descriptors and the like: do not spin.
                    tracing::warn!(%error, "emulator: accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    connections.shutdown().await;
}

/// The base URL of a server bound to `addr` (an unspecified address becomes loopback).
fn base_url(addr: SocketAddr) -> io::Result<Url> {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    let authority = SocketAddr::new(ip, addr.port());
    Url::parse(&format!("http://{authority}/")).map_err(io::Error::other)
}

/// A running emulator: a local HTTP/1.1 server (keep-alive) serving the vendor's
/// router through the fault layer.
///
/// It runs on the tokio runtime it was started on (current-thread or
/// multi-thread). [`shutdown`](Self::shutdown) stops it and waits until the port
/// and every connection are closed; dropping it stops it too, without waiting.
pub struct EmulatorServer {
    addr: SocketAddr,
    url: Url,
    faults: Faults,
    log: RequestLog,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl fmt::Debug for EmulatorServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorServer")
            .field("url", &self.url.as_str())
            .field("running", &self.task.is_some())
            .finish_non_exhaustive()
    }
}

impl EmulatorServer {
    /// Binds the configured address and starts serving on the current tokio runtime.
    ///
    /// # Errors
    ///
    /// When the address cannot be bound.
    pub async fn start(config: EmulatorConfig) -> io::Result<Self> {
        let bind = config.bind.unwrap_or_else(serve::default_bind);
        let listener = TcpListener::bind(bind).await?;
        let addr = listener.local_addr()?;
        let url = base_url(addr)?;
        let log = RequestLog::with_capacity(config.log_capacity);
        let control = Control {
            faults: config.faults.clone(),
            log: log.clone(),
            shared: config.shared,
            started: Instant::now(),
        };
        let shared = Arc::new(Shared {
            router: config.router,
            classify: config.classify,
            error_body: config.error_body,
            max_body: config.max_body,
            faults: config.faults.clone(),
            log: log.clone(),
            control,
        });
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(accept_loop(listener, shared, stopped));
        tracing::debug!(%url, "emulator: listening");
        Ok(Self {
            addr,
            url,
            faults: config.faults,
            log,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The address the server listens on.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL of the server: `http://127.0.0.1:PORT/`.
    #[must_use]
    pub fn url(&self) -> Url {
        self.url.clone()
    }

    /// The fault queue of this server (clone it to keep a handle).
    #[must_use]
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// The log of every request this server received (a shared handle).
    #[must_use]
    pub fn requests(&self) -> RequestLog {
        self.log.clone()
    }

    /// Stops accepting, closes the listening socket and every open connection,
    /// and waits until all of it is done: afterwards, connecting to
    /// [`addr`](Self::addr) is refused.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            // An error means the loop is already gone.
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take()
            && let Err(error) = task.await
        {
            tracing::debug!(%error, "emulator: accept loop ended abnormally");
        }
    }
}

impl Drop for EmulatorServer {
    /// Aborts the accept loop; the listener and every connection task go with it.
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_error_body_is_json() {
        let (content_type, body) = default_error_body(StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(content_type, "application/json");
        assert_eq!(
            body,
            r#"{"error":{"code":"503","message":"injected fault"}}"#
        );
        assert!(serde_json::from_str::<serde_json::Value>(&body).is_ok());
    }

    #[test]
    fn base_url_maps_unspecified_to_loopback() {
        let url = base_url(
            "0.0.0.0:8080"
                .parse()
                .unwrap_or(SocketAddr::from(([0; 4], 8080))),
        );
        assert_eq!(
            url.ok().map(String::from).as_deref(),
            Some("http://127.0.0.1:8080/")
        );
        let url = base_url(SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 1));
        assert_eq!(
            url.ok().map(String::from).as_deref(),
            Some("http://[::1]:1/")
        );
    }
}
