//! The emulated REST API: the token endpoint, policy start and stop in both layouts,
//! job sessions, their logs and stop.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State as Extract};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use backup_core::emulator::{Lifecycle, RouteClass, TokenCheck, bearer_token};
use serde_json::{Map, Value, json};

use super::lists::{list_restore_points, list_sessions, protected_items};
use super::problem;
use super::state::{Session, State};
use crate::version::ApiVersion;

/// The router of the emulated appliance.
pub(crate) fn router(state: State) -> Router {
    Router::new()
        .route("/api/oauth2/token", post(token).delete(logout))
        .route("/api/{version}/policies/{policy}/start", post(start_v1))
        .route(
            "/api/{version}/policies/{policy}/stop",
            post(stop_policy_v1),
        )
        .route(
            "/api/{version}/policies/virtualMachines/{policy}/start",
            post(start_workload),
        )
        .route(
            "/api/{version}/policies/virtualMachines/{policy}/stop",
            post(stop_policy_workload),
        )
        .route("/api/{version}/jobSessions", get(list_sessions))
        .route("/api/{version}/jobSessions/{session}", get(read_session))
        .route(
            "/api/{version}/jobSessions/{session}/protectedItems",
            get(protected_items),
        )
        .route(
            "/api/{version}/restorePoints/virtualMachines",
            get(list_restore_points),
        )
        .route("/api/{version}/jobSessions/{session}/log", get(read_log))
        .route(
            "/api/{version}/jobSessions/{session}/stop",
            post(stop_session),
        )
        .fallback(not_found)
        .with_state(state)
}

/// How requests are classified for faults and counts.
pub(crate) fn classify(method: &Method, path: &str) -> RouteClass {
    if path == "/api/oauth2/token" {
        return if method == Method::POST {
            RouteClass::Auth
        } else {
            RouteClass::Other
        };
    }
    let is_post = method == Method::POST;
    if is_post && path.ends_with("/start") && path.contains("/policies/") {
        RouteClass::Trigger
    } else if is_post && path.ends_with("/stop") {
        RouteClass::Control
    } else if method == Method::GET && is_session_read(path) {
        RouteClass::Poll
    } else {
        RouteClass::Other
    }
}

/// `/api/{v}/jobSessions/{id}`: a session read (its log, protected items and the
/// lists are `Other`).
fn is_session_read(path: &str) -> bool {
    let mut segments = path.trim_start_matches('/').split('/');
    matches!(
        (
            segments.next(),
            segments.next(),
            segments.next(),
            segments.next(),
            segments.next()
        ),
        (Some("api"), Some(_), Some("jobSessions"), Some(id), None) if !id.is_empty()
    )
}

async fn not_found() -> Response {
    problem::answer(
        StatusCode::NOT_FOUND,
        "The requested resource does not exist.",
    )
}

/// Checks the bearer token; the error answer when it is not valid.
pub(crate) fn authorize(state: &State, headers: &HeaderMap) -> Result<(), Box<Response>> {
    match state.access.check_bearer(headers) {
        TokenCheck::Valid => Ok(()),
        TokenCheck::Expired => Err(Box::new(problem::unauthorized(true))),
        TokenCheck::Unknown => Err(Box::new(problem::unauthorized(false))),
    }
}

/// The version in the path, if served; the 404 otherwise.
pub(crate) fn served(state: &State, version: &str) -> Result<ApiVersion, Box<Response>> {
    state.serves(version).ok_or_else(|| {
        Box::new(problem::answer(
            StatusCode::NOT_FOUND,
            "This API version is not supported by the appliance.",
        ))
    })
}

/// `http://host:port`, for the `_links` of sessions.
pub(crate) fn base(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}")
}

async fn token(Extract(state): Extract<State>, headers: HeaderMap, body: Bytes) -> Response {
    state.shared.token_requests().increment();
    let form_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form_type {
        return problem::answer(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "The token request must be application/x-www-form-urlencoded.",
        );
    }
    let form: Map<String, Value> = url::form_urlencoded::parse(&body)
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect();
    let field = |name: &str| form.get(name).and_then(Value::as_str).unwrap_or_default();
    match field("grant_type") {
        "Password" => {
            let (username, password) = (field("username"), field("password"));
            if password != &*state.password
                || (username != &*state.username && username != &*state.mfa_username)
            {
                return problem::answer(
                    StatusCode::UNAUTHORIZED,
                    "The user name or password is incorrect.",
                );
            }
            if username == &*state.mfa_username {
                let mfa_token = backup_core::emulator::random_hex(32);
                return Json(json!({ "mfa_enabled": true, "mfa_token": mfa_token }))
                    .into_response();
            }
            Json(state.issue_pair()).into_response()
        }
        "Refresh_token" => {
            let refresh = field("refresh_token");
            if refresh.is_empty() || !state.refresh.check(refresh).is_valid() {
                let mut errors = Map::new();
                errors.insert(
                    "refresh_token".into(),
                    json!(["The refresh token is invalid or expired."]),
                );
                return problem::answer_with(
                    StatusCode::BAD_REQUEST,
                    "The refresh token is invalid or expired.",
                    map_of("errors", Value::Object(errors)),
                );
            }
            // Refresh tokens rotate: the one used is spent.
            state.refresh.revoke(refresh);
            Json(state.issue_pair()).into_response()
        }
        other => problem::answer_with(
            StatusCode::BAD_REQUEST,
            "One or more validation errors occurred.",
            map_of(
                "errors",
                json!({ "grant_type": [format!("Unsupported grant type {other:?}; expected Password, Refresh_token or Mfa.")] }),
            ),
        ),
    }
}

fn map_of(key: &str, value: Value) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert(key.to_owned(), value);
    map
}

async fn logout(Extract(state): Extract<State>, headers: HeaderMap) -> Response {
    if let Err(refused) = authorize(&state, &headers) {
        return *refused;
    }
    if let Some(token) = bearer_token(&headers) {
        state.access.revoke(token);
        let refresh = state.lock().pairs.remove(token);
        if let Some(refresh) = refresh {
            state.refresh.revoke(&refresh);
        }
    }
    StatusCode::NO_CONTENT.into_response()
}

async fn start_v1(
    Extract(state): Extract<State>,
    Path((version, policy)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    start(&state, &version, &policy, &headers, false)
}

async fn start_workload(
    Extract(state): Extract<State>,
    Path((version, policy)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    start(&state, &version, &policy, &headers, true)
}

/// Checks the version serves this layout.
fn layout(state: &State, version: &str, workload: bool) -> Result<ApiVersion, Box<Response>> {
    let version = served(state, version)?;
    if version.workload_paths() == workload {
        Ok(version)
    } else {
        Err(Box::new(not_found_now()))
    }
}

fn not_found_now() -> Response {
    problem::answer(
        StatusCode::NOT_FOUND,
        "The requested resource does not exist.",
    )
}

fn start(
    state: &State,
    version: &str,
    policy_id: &str,
    headers: &HeaderMap,
    workload: bool,
) -> Response {
    let version = match layout(state, version, workload) {
        Ok(version) => version,
        Err(refused) => return *refused,
    };
    if let Err(refused) = authorize(state, headers) {
        return *refused;
    }
    let base = base(headers);
    let mut data = state.lock();
    let data = &mut *data;
    let Some(policy) = data.policies.get(policy_id).cloned() else {
        return problem::answer(
            StatusCode::NOT_FOUND,
            &format!("Policy {policy_id} was not found."),
        );
    };
    let running = policy.started.iter().find(|id| {
        data.sessions
            .get(*id)
            .is_some_and(|s| !s.lifecycle.peek().is_terminal())
    });
    if let Some(running) = running {
        let mut extra = Map::new();
        extra.insert("resourceId".into(), json!(policy_id));
        extra.insert("sessionId".into(), json!(running));
        return problem::answer_with(
            StatusCode::CONFLICT,
            &format!("Policy {policy_id} is already running (session {running})."),
            extra,
        );
    }
    state.shared.accepted().increment();
    let spec = state.shared.lifecycle();
    let mut rendered = Vec::new();
    let mut ids = Vec::new();
    for kind in &policy.sessions {
        data.next_session += 1;
        let number = data.next_session;
        let id = number.to_string();
        let session = Session {
            id: id.clone(),
            number,
            kind: kind.clone(),
            policy_id: policy_id.to_owned(),
            lifecycle: Lifecycle::new(spec.clone()),
        };
        rendered.push(session.render(version, &session.lifecycle.peek(), Some(&policy), &base));
        data.sessions.insert(id.clone(), session);
        ids.push(id);
    }
    if let Some(stored) = data.policies.get_mut(policy_id) {
        stored.started.extend(ids);
    }
    let status = if workload {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    (status, Json(Value::Array(rendered))).into_response()
}

async fn stop_policy_v1(
    Extract(state): Extract<State>,
    Path((version, policy)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    stop_policy(&state, &version, &policy, &headers, false)
}

async fn stop_policy_workload(
    Extract(state): Extract<State>,
    Path((version, policy)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    stop_policy(&state, &version, &policy, &headers, true)
}

fn stop_policy(
    state: &State,
    version: &str,
    policy_id: &str,
    headers: &HeaderMap,
    workload: bool,
) -> Response {
    let version = match layout(state, version, workload) {
        Ok(version) => version,
        Err(refused) => return *refused,
    };
    if let Err(refused) = authorize(state, headers) {
        return *refused;
    }
    let base = base(headers);
    let mut data = state.lock();
    let Some(policy) = data.policies.get(policy_id).cloned() else {
        return problem::answer(
            StatusCode::NOT_FOUND,
            &format!("Policy {policy_id} was not found."),
        );
    };
    let mut stopped = Vec::new();
    for id in &policy.started {
        if let Some(session) = data.sessions.get_mut(id)
            && session.lifecycle.request_cancel()
        {
            stopped.push(session.render(version, &session.lifecycle.peek(), Some(&policy), &base));
        }
    }
    if workload {
        StatusCode::NO_CONTENT.into_response()
    } else {
        // v1 answers 200 with the policy's sessions, as the document's example shows.
        (StatusCode::OK, Json(Value::Array(stopped))).into_response()
    }
}

async fn read_session(
    Extract(state): Extract<State>,
    Path((version, session_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let version = match served(&state, &version) {
        Ok(version) => version,
        Err(refused) => return *refused,
    };
    if let Err(refused) = authorize(&state, &headers) {
        return *refused;
    }
    let base = base(&headers);
    let mut data = state.lock();
    let data = &mut *data;
    let Some(session) = data.sessions.get_mut(&session_id) else {
        return problem::answer(
            StatusCode::NOT_FOUND,
            &format!("Session {session_id} was not found."),
        );
    };
    let phase = session.lifecycle.observe();
    let policy = data.policies.get(&session.policy_id);
    Json(session.render(version, &phase, policy, &base)).into_response()
}

async fn read_log(
    Extract(state): Extract<State>,
    Path((version, session_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err(refused) = served(&state, &version) {
        return *refused;
    }
    if let Err(refused) = authorize(&state, &headers) {
        return *refused;
    }
    let data = state.lock();
    let Some(session) = data.sessions.get(&session_id) else {
        return problem::answer(
            StatusCode::NOT_FOUND,
            &format!("Session {session_id} was not found."),
        );
    };
    let policy = data.policies.get(&session.policy_id);
    Json(session.render_log(&session.lifecycle.peek(), policy)).into_response()
}

async fn stop_session(
    Extract(state): Extract<State>,
    Path((version, session_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err(refused) = served(&state, &version) {
        return *refused;
    }
    if let Err(refused) = authorize(&state, &headers) {
        return *refused;
    }
    let mut data = state.lock();
    let Some(session) = data.sessions.get_mut(&session_id) else {
        return problem::answer(
            StatusCode::NOT_FOUND,
            &format!("Session {session_id} was not found."),
        );
    };
    if session.lifecycle.request_cancel() {
        StatusCode::NO_CONTENT.into_response()
    } else {
        problem::answer(
            StatusCode::BAD_REQUEST,
            &format!("Session {session_id} is not running."),
        )
    }
}
