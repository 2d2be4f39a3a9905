//! Building blocks of the vendor emulators: stateful fakes of each vendor's REST
//! API that tests, `backupctl demo` and the benchmarks run against.
//!
//! A vendor crate writes its API as an [`axum::Router`] over its own state and
//! leaves every generic concern to this module:
//!
//! - [`EmulatorServer`]: a local HTTP/1.1 server (keep-alive) around the router,
//!   configured by [`EmulatorConfig`]; it logs every request in a [`RequestLog`]
//!   and applies the [`Fault`]s queued in its [`Faults`];
//! - [`RouteClass`]: the vendor-neutral kind of an endpoint (auth, trigger, poll,
//!   control), which faults target and the log counts;
//! - [`Fault`]: refused requests (status with `Retry-After`, proxy HTML pages),
//!   dropped connections before or after handling, slow, malformed, empty or
//!   oversized answers; each says whether the service acted on the request;
//! - [`TokenIssuer`]: access tokens with a time to live on the `tokio` clock,
//!   expired on demand;
//! - [`Lifecycle`]: a backup moving through [`Phase`]s by polls or by time;
//! - [`Counter`]: the backups accepted, to prove a backup was started once;
//! - [`VendorEmulator`] and [`EmulatorShared`]: what every vendor's emulator offers,
//!   written once;
//! - the control API under [`CONTROL_PREFIX`] (`/_emulator/`), served by every
//!   [`EmulatorServer`] before the vendor's router: reset, the lifecycle of the next
//!   backups, faults, counts and the request log, as JSON over HTTP (the table at
//!   [`CONTROL_PREFIX`]; `docs/emulators.md` has curl examples);
//! - [`ServeOptions`]: an emulator as a local service for other programs
//!   ([`VendorEmulator::serve`], behind `backupctl emulate`).
//!
//! # Example
//!
//! A tiny vendor with a login, a trigger and a poll endpoint:
//!
//! ```
//! use std::collections::HashMap;
//! use std::sync::{Arc, Mutex, PoisonError};
//! use std::time::Duration;
//!
//! use axum::extract::{Path, State};
//! use axum::http::{HeaderMap, Method, StatusCode};
//! use axum::routing::{get, post};
//! use axum::{Json, Router};
//! use backup_core::emulator::{
//!     Counter, EmulatorConfig, EmulatorServer, Fault, Lifecycle, LifecycleSpec, Phase,
//!     RouteClass, TokenIssuer, random_hex,
//! };
//! use serde_json::{Value, json};
//!
//! /// The state of the vendor: tokens, accepted backups and their lifecycles.
//! #[derive(Clone, Default)]
//! struct Tiny {
//!     tokens: TokenIssuer,
//!     accepted: Counter,
//!     jobs: Arc<Mutex<HashMap<String, Lifecycle>>>,
//! }
//!
//! async fn login(State(tiny): State<Tiny>) -> Json<Value> {
//!     Json(json!({ "access_token": tiny.tokens.issue(Duration::from_secs(3600)) }))
//! }
//!
//! async fn trigger(State(tiny): State<Tiny>, headers: HeaderMap) -> (StatusCode, Json<Value>) {
//!     if !tiny.tokens.check_bearer(&headers).is_valid() {
//!         return (StatusCode::UNAUTHORIZED, Json(json!({ "error": "invalid_token" })));
//!     }
//!     tiny.accepted.increment();
//!     let id = random_hex(8);
//!     let job = Lifecycle::new(LifecycleSpec::after_polls(1));
//!     tiny.jobs.lock().unwrap_or_else(PoisonError::into_inner).insert(id.clone(), job);
//!     (StatusCode::ACCEPTED, Json(json!({ "id": id })))
//! }
//!
//! async fn poll(State(tiny): State<Tiny>, Path(id): Path<String>) -> (StatusCode, Json<Value>) {
//!     let mut jobs = tiny.jobs.lock().unwrap_or_else(PoisonError::into_inner);
//!     let Some(job) = jobs.get_mut(&id) else {
//!         return (StatusCode::NOT_FOUND, Json(json!({ "error": "no such job" })));
//!     };
//!     let state = match job.observe() {
//!         Phase::Queued => "queued",
//!         Phase::Running { .. } | Phase::Cancelling => "running",
//!         Phase::Done(_) => "done",
//!     };
//!     (StatusCode::OK, Json(json!({ "id": id, "state": state })))
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let tiny = Tiny::default();
//! let router = Router::new()
//!     .route("/token", post(login))
//!     .route("/jobs", post(trigger))
//!     .route("/jobs/{id}", get(poll))
//!     .with_state(tiny.clone());
//! let config = EmulatorConfig::new(router).classify(|method, path| match (method, path) {
//!     (_, "/token") => RouteClass::Auth,
//!     (&Method::POST, "/jobs") => RouteClass::Trigger,
//!     (&Method::GET, _) => RouteClass::Poll,
//!     _ => RouteClass::Other,
//! });
//! let server = EmulatorServer::start(config).await?;
//! let http = reqwest::Client::new();
//!
//! let login: Value = serde_json::from_str(
//!     &http.post(server.url().join("token")?).send().await?.text().await?,
//! )?;
//! let token = login["access_token"].as_str().unwrap_or_default();
//!
//! // The first trigger is refused with a 503: the service does not act on it.
//! server.faults().inject(RouteClass::Trigger, Fault::retry_after(503, Duration::from_secs(1)));
//! let refused = http.post(server.url().join("jobs")?).bearer_auth(token).send().await?;
//! assert_eq!(refused.status(), 503);
//! assert_eq!(refused.headers()["retry-after"], "1");
//! assert_eq!(tiny.accepted.get(), 0);
//!
//! // The retry is accepted, and the backup is done on its second poll.
//! let accepted = http.post(server.url().join("jobs")?).bearer_auth(token).send().await?;
//! assert_eq!(accepted.status(), 202);
//! let job: Value = serde_json::from_str(&accepted.text().await?)?;
//! let job_url = server.url().join(&format!("jobs/{}", job["id"].as_str().unwrap_or_default()))?;
//! let mut states = Vec::new();
//! for _ in 0..2 {
//!     let polled: Value = serde_json::from_str(&http.get(job_url.clone()).send().await?.text().await?)?;
//!     states.push(polled["state"].as_str().unwrap_or_default().to_owned());
//! }
//! assert_eq!(states, ["running", "done"]);
//! assert_eq!(tiny.accepted.get(), 1);
//! assert_eq!(server.requests().count(RouteClass::Poll), 2);
//! assert_eq!(tiny.tokens.issued(), 1);
//!
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```

use std::sync::{Mutex, MutexGuard, PoisonError};

mod body;
mod control;
mod counter;
mod fault;
mod lifecycle;
mod log;
mod route;
mod serve;
mod server;
mod tokens;
mod vendor;

pub use control::CONTROL_PREFIX;
pub use counter::Counter;
pub use fault::{Fault, Faults};
pub use lifecycle::{Lifecycle, LifecycleSpec, Outcome, Phase};
pub use log::{DEFAULT_LOG_CAPACITY, RequestLog, RequestRecord};
pub use route::RouteClass;
pub use serve::{DEFAULT_BACKUP_DURATION, ServeOptions, seed_random_ids};
pub use server::{DEFAULT_MAX_BODY, EmulatorConfig, EmulatorServer, default_error_body};
pub use tokens::{DEFAULT_TOKEN_PREFIX, TokenCheck, TokenIssuer, bearer_token, random_hex};
pub use vendor::{EmulatorShared, LoadOptions, VendorEmulator};

/// Locks `mutex`, recovering the guard if a thread panicked while holding it:
/// the emulator's state stays usable (every update is a single step).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
