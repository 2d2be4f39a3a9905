//! The emulated REST API: one handler per documented endpoint.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State as Ext};
use axum::http::header::{ACCEPT, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use backup_core::emulator::{Outcome, Phase, TokenCheck, bearer_token};
use base64::Engine as _;
use serde_json::{Value, json};

use super::state::{JobView, State};
use super::wire::{Element, LoginIn, RenewIn, TaskRequest, flag, parse_body};
use super::{NO_ELIGIBLE_SUBCLIENTS_CODE, NO_ELIGIBLE_SUBCLIENTS_MESSAGE};

/// The router: the API under `/commandcenter/api/` and `/webconsole/api/`.
pub(crate) fn router(state: State) -> Router {
    let api = Router::new()
        .route("/Login", post(login))
        .route("/RenewLoginToken", post(renew))
        .route("/Logout", post(logout))
        .route("/CreateTask", post(create_task))
        .route("/Job/{id}", get(job))
        .route("/Job/{id}/action/{action}", post(job_action))
        .with_state(state);
    Router::new()
        .nest("/commandcenter/api", api.clone())
        .nest("/webconsole/api", api)
        .fallback(not_found)
}

fn answer(status: StatusCode, content_type: &'static str, body: impl Into<Body>) -> Response {
    let mut response = Response::new(body.into());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn json_answer(status: StatusCode, value: &Value) -> Response {
    answer(status, "application/json", value.to_string())
}

/// The 401 body of the notes, byte for byte.
pub(crate) const ACCESS_DENIED: &str = r#"{"errorMessage":"Access denied","errorCode":5}"#;

/// The 401 answer of the notes.
pub(crate) fn access_denied() -> Response {
    answer(StatusCode::UNAUTHORIZED, "application/json", ACCESS_DENIED)
}

async fn not_found() -> Response {
    json_answer(
        StatusCode::NOT_FOUND,
        &json!({"errorMessage": "The requested resource was not found", "errorCode": 404}),
    )
}

fn body_is_json(body: &[u8]) -> bool {
    body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

/// Whether to answer JSON: as the `Accept` header asks, else as the request was sent.
fn wants_json(headers: &HeaderMap, request_is_json: bool) -> bool {
    let accept = headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    match (accept.contains("json"), accept.contains("xml")) {
        (true, false) => true,
        (false, true) => false,
        _ => request_is_json,
    }
}

/// `TMMsg_GenericResp` (XML) or `{errorCode, errorMessage}` (JSON).
fn generic(status: StatusCode, json: bool, code: &str, message: &str) -> Response {
    if json {
        let code = code
            .parse::<i64>()
            .map_or_else(|_| json!(code), |n| json!(n));
        json_answer(status, &json!({"errorMessage": message, "errorCode": code}))
    } else {
        let xml = Element::new("TMMsg_GenericResp")
            .attr("errorMessage", message)
            .attr("errorCode", code)
            .to_xml();
        answer(status, "application/xml", xml)
    }
}

/// Checks `Authtoken` (a `QSDK` session) or `Authorization: Bearer` (Metallic).
fn authorized(state: &State, headers: &HeaderMap) -> bool {
    let check = if let Some(token) = headers.get("authtoken").and_then(|v| v.to_str().ok()) {
        state.check(token)
    } else if let Some(token) = bearer_token(headers) {
        state.check_bearer(token)
    } else {
        TokenCheck::Unknown
    };
    check.is_valid()
}

async fn login(Ext(state): Ext<State>, headers: HeaderMap, body: Bytes) -> Response {
    let request_json = body_is_json(&body);
    let json = wants_json(&headers, request_json);
    let parsed: Result<LoginIn, String> =
        parse_body(&body, "DM2ContentIndexing_CheckCredentialReq");
    let password = |login: &LoginIn| {
        let encoded = login.password.as_deref()?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()?;
        String::from_utf8(bytes).ok()
    };
    let user = parsed.ok().and_then(|login| {
        let username = login.username.clone()?;
        let password = password(&login)?;
        state
            .options
            .users
            .iter()
            .any(|(u, p)| *u == username && *p == password)
            .then_some(username)
    });
    let Some(user) = user else {
        let message = "Invalid Username or Password";
        return if json {
            json_answer(
                StatusCode::OK,
                &json!({"errList": [{"errLogMessage": message, "errorCode": 5}]}),
            )
        } else {
            let xml = Element::new("DM2ContentIndexing_CheckCredentialResp")
                .child(
                    Element::new("errList")
                        .attr("errLogMessage", message)
                        .attr("errorCode", "5"),
                )
                .to_xml();
            answer(StatusCode::OK, "application/xml", xml)
        };
    };
    state.logins.increment();
    state.shared.token_requests().increment();
    let token = state.issue();
    if json {
        json_answer(
            StatusCode::OK,
            &json!({
                "aliasName": "1", "userGUID": "7f1a2b3c-emulator", "loginAttempts": 0,
                "remainingLockTime": 0, "smtpAddress": "", "userName": user, "providerType": 1,
                "ccn": 0, "token": token, "capability": 4_328_521_728_u64,
                "forcePasswordChange": false, "isAccountLocked": false
            }),
        )
    } else {
        let xml = Element::new("DM2ContentIndexing_CheckCredentialResp")
            .attr("aliasName", "1")
            .attr("userGUID", "7f1a2b3c-emulator")
            .attr("loginAttempts", "0")
            .attr("remainingLockTime", "0")
            .attr("userName", user)
            .attr("providerType", "Local")
            .attr("ccn", "0")
            .attr("token", token)
            .attr("forcePasswordChange", "false")
            .attr("isAccountLocked", "false")
            .to_xml();
        answer(StatusCode::OK, "application/xml", xml)
    }
}

async fn renew(Ext(state): Ext<State>, headers: HeaderMap, body: Bytes) -> Response {
    let parsed: RenewIn = parse_body(&body, "RenewLoginToken").unwrap_or_default();
    let token = parsed.session_id.or_else(|| {
        headers
            .get("authtoken")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    });
    let Some(token) = token else {
        return access_denied();
    };
    let renewable = match state.check(&token) {
        TokenCheck::Valid => true,
        TokenCheck::Expired => state.options.renew_expired,
        TokenCheck::Unknown => false,
    };
    if !renewable {
        return access_denied();
    }
    state.revoke(&token);
    state.renewals.increment();
    state.shared.token_requests().increment();
    let token = state.issue();
    json_answer(StatusCode::OK, &json!({"token": token}))
}

async fn logout(Ext(state): Ext<State>, headers: HeaderMap) -> Response {
    let token = headers.get("authtoken").and_then(|v| v.to_str().ok());
    match token {
        Some(token) if state.revoke(token) => {
            state.logouts.increment();
            answer(StatusCode::OK, "text/plain", "User logged out")
        }
        _ => access_denied(),
    }
}

fn level_name(level: &str) -> &'static str {
    match level {
        "FULL" => "Full",
        "DIFFERENTIAL" => "Differential",
        "SYNTHETIC_FULL" => "Synthetic Full",
        _ => "Incremental",
    }
}

async fn create_task(Ext(state): Ext<State>, headers: HeaderMap, body: Bytes) -> Response {
    if !authorized(&state, &headers) {
        return access_denied();
    }
    let json = wants_json(&headers, body_is_json(&body));
    let request: TaskRequest = match parse_body(&body, "TMMsg_CreateTaskReq") {
        Ok(request) => request,
        Err(reason) => {
            return generic(
                StatusCode::BAD_REQUEST,
                json,
                "1",
                &format!("Invalid request: {reason}"),
            );
        }
    };
    let Some(info) = request.task_info else {
        return generic(
            StatusCode::BAD_REQUEST,
            json,
            "1",
            "Invalid request: taskInfo is missing",
        );
    };
    let sub_tasks = info.sub_tasks.first();
    let sub_task = sub_tasks.and_then(|s| s.sub_task.as_ref());
    let is_backup = sub_task.is_some_and(|s| {
        s.sub_task_type.as_deref() == Some("BACKUP")
            && s.operation_type.as_deref() == Some("BACKUP")
    });
    if !is_backup {
        return generic(
            StatusCode::BAD_REQUEST,
            json,
            "1",
            "Invalid request: subTask is not a BACKUP",
        );
    }
    let backup_opts = sub_tasks
        .and_then(|s| s.options.as_ref())
        .and_then(|o| o.backup_opts.as_ref());
    let level = backup_opts
        .and_then(|b| b.backup_level.clone())
        .unwrap_or_else(|| "INCREMENTAL".to_owned());
    if !matches!(
        level.as_str(),
        "FULL" | "INCREMENTAL" | "DIFFERENTIAL" | "SYNTHETIC_FULL"
    ) {
        return generic(
            StatusCode::BAD_REQUEST,
            json,
            "1",
            &format!("Invalid backupLevel [{level}]"),
        );
    }
    let ad_hoc = flag(backup_opts.and_then(|b| b.ad_hoc_backup.as_deref())).unwrap_or(false);
    let input_file = backup_opts.and_then(|b| b.on_demand_input_file.as_deref());
    if ad_hoc && input_file.is_none_or(|f| f.trim().is_empty()) {
        return generic(
            StatusCode::OK,
            json,
            "1",
            "onDemandInputFile is required for an ad-hoc backup",
        );
    }
    let eligible: Vec<_> = info
        .associations
        .iter()
        .filter_map(|a| state.find_subclient(a))
        .collect();
    if eligible.is_empty() || eligible.len() != info.associations.len() {
        return generic(
            StatusCode::OK,
            json,
            NO_ELIGIBLE_SUBCLIENTS_CODE,
            NO_ELIGIBLE_SUBCLIENTS_MESSAGE,
        );
    }
    let task_id = state.next_task();
    let immediate = info
        .task
        .as_ref()
        .and_then(|t| t.task_type.as_deref())
        .is_none_or(|t| t == "IMMEDIATE");
    let job_ids: Vec<String> = if immediate {
        eligible
            .into_iter()
            .map(|subclient| state.start_job(subclient, level.clone()))
            .collect()
    } else {
        state.scheduled.increment();
        Vec::new()
    };
    if json {
        json_answer(
            StatusCode::OK,
            &json!({"taskId": task_id, "jobIds": job_ids}),
        )
    } else {
        let xml = job_ids.iter().fold(
            Element::new("TMMsg_CreateTaskResp").attr("taskId", task_id.to_string()),
            |element, id| element.child(Element::new("jobIds").attr("val", id.clone())),
        );
        answer(StatusCode::OK, "application/xml", xml.to_xml())
    }
}

/// Commvault's words for a phase: status, pending reason.
fn status_of(view: &JobView) -> (&'static str, String) {
    if view.suspended && !view.phase.is_terminal() {
        return ("Suspended", "The job was suspended by a user.".to_owned());
    }
    match &view.phase {
        Phase::Queued => ("Waiting", "The job is waiting for resources.".to_owned()),
        Phase::Running { .. } => ("Running", String::new()),
        Phase::Cancelling => ("Kill Pending", String::new()),
        Phase::Done(Outcome::Success) => ("Completed", String::new()),
        Phase::Done(Outcome::Warning) => (
            "Completed w/ one or more errors",
            "Some items could not be backed up.".to_owned(),
        ),
        Phase::Done(Outcome::Failure { reason }) => ("Failed", reason.clone()),
        Phase::Done(Outcome::Cancelled) => ("Killed", "The job was killed by a user.".to_owned()),
    }
}

async fn job(Ext(state): Ext<State>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if !authorized(&state, &headers) {
        return access_denied();
    }
    let Some(view) = state.observe(&id) else {
        return json_answer(StatusCode::OK, &json!({"totalRecordsWithoutPaging": 0}));
    };
    let (status, reason) = status_of(&view);
    let percent = view.phase.progress();
    let size = u64::from(percent) * 1_048_576;
    let job_id = id.parse::<u64>().map_or_else(|_| json!(id), |n| json!(n));
    let subclient = &view.subclient;
    json_answer(
        StatusCode::OK,
        &json!({"totalRecordsWithoutPaging": 1, "jobs": [{"jobSummary": {
            "jobId": job_id,
            "status": status,
            "localizedStatus": status,
            "percentComplete": percent,
            "pendingReason": reason,
            "jobStartTime": view.started.unwrap_or(0),
            "jobEndTime": view.finished.unwrap_or(0),
            "backupLevelName": level_name(&view.level),
            "jobType": "Backup",
            "appTypeName": subclient.app_name,
            "sizeOfApplication": size,
            "sizeOfMediaOnDisk": size / 2,
            "subclient": {
                "clientName": subclient.client_name,
                "instanceName": subclient.instance_name,
                "backupsetName": subclient.backupset_name,
                "subclientName": subclient.subclient_name,
                "appName": subclient.app_name,
            }
        }}]}),
    )
}

async fn job_action(
    Ext(state): Ext<State>,
    headers: HeaderMap,
    Path((id, action)): Path<(String, String)>,
) -> Response {
    if !authorized(&state, &headers) {
        return access_denied();
    }
    if !matches!(action.as_str(), "kill" | "pause" | "resume") {
        return not_found().await;
    }
    match state.act(&id, &action) {
        Ok(()) => json_answer(StatusCode::OK, &json!({"errorCode": 0, "errorMessage": ""})),
        Err(message) => json_answer(
            StatusCode::OK,
            &json!({"errorCode": 1, "errorMessage": message}),
        ),
    }
}
