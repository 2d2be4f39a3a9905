//! The emulated REST API: one handler per documented endpoint.

use std::collections::HashMap;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State as Ext};
use axum::http::header::{ACCEPT, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use backup_core::emulator::{Outcome, Phase, TokenCheck, bearer_token};
use base64::Engine as _;
use serde_json::{Value, json};

use super::catalog::SubclientEntry;
use super::entities;
use super::state::{JobView, State};
use super::wire::{Element, JobDetailIn, LoginIn, RenewIn, TaskRequest, flag, parse_body};
use super::{FAILURE_ERROR_CODE, NO_ELIGIBLE_SUBCLIENTS_CODE, NO_ELIGIBLE_SUBCLIENTS_MESSAGE};

/// The router: the API under `/commandcenter/api/` and `/webconsole/api/`.
pub(crate) fn router(state: State) -> Router {
    let api = Router::new()
        .route("/Login", post(login))
        .route("/RenewLoginToken", post(renew))
        .route("/Logout", post(logout))
        .route("/WhoAmI", get(who_am_i).post(who_am_i))
        .route("/CreateTask", post(create_task))
        .route("/Job", get(job_list))
        .route("/Job/{id}", get(job))
        .route("/Job/{id}/action/{action}", post(job_action))
        .route("/JobDetails", post(job_details))
        .route("/Subclient/{id}/action/backup", post(subclient_backup));
    let api = entities::routes(api).with_state(state);
    let mut router = Router::new();
    for base in ["/commandcenter/api", "/webconsole/api"] {
        // cvpysdk's service probe: `GET {base}` must answer 200.
        router = router
            .route(base, get(probe))
            .route(&format!("{base}/"), get(probe))
            .nest(base, api.clone());
    }
    router.fallback(not_found)
}

/// `GET {base}`: the web service answers (cvpysdk checks for a 200 before it logs in).
async fn probe() -> Response {
    answer(StatusCode::OK, "text/plain", "")
}

pub(crate) fn answer(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Body>,
) -> Response {
    let mut response = Response::new(body.into());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

pub(crate) fn json_answer(status: StatusCode, value: &Value) -> Response {
    answer(status, "application/json", value.to_string())
}

/// The 401 body of the notes, byte for byte.
pub(crate) const ACCESS_DENIED: &str = r#"{"errorMessage":"Access denied","errorCode":5}"#;

/// The 401 answer of the notes.
pub(crate) fn access_denied() -> Response {
    answer(StatusCode::UNAUTHORIZED, "application/json", ACCESS_DENIED)
}

pub(crate) async fn not_found() -> Response {
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

/// The user a Metallic bearer token acts as.
const METALLIC_USER: &str = "metallic";

/// Checks `Authtoken` (a `QSDK` session) or `Authorization: Bearer` (Metallic).
pub(crate) fn authorized(state: &State, headers: &HeaderMap) -> bool {
    user(state, headers).is_some()
}

/// The user of a valid `Authtoken` (a `QSDK` session) or `Authorization: Bearer`
/// (Metallic); `None` when neither is valid.
fn user(state: &State, headers: &HeaderMap) -> Option<String> {
    if let Some(token) = headers.get("authtoken").and_then(|v| v.to_str().ok()) {
        return state
            .check(token)
            .is_valid()
            .then(|| state.user_of(token))
            .flatten();
    }
    let token = bearer_token(headers)?;
    state
        .check_bearer(token)
        .is_valid()
        .then(|| METALLIC_USER.to_owned())
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
    let token = state.issue(&user);
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
    let user = state.revoke(&token).unwrap_or_default();
    state.renewals.increment();
    state.shared.token_requests().increment();
    let token = state.issue(&user);
    json_answer(StatusCode::OK, &json!({"token": token}))
}

async fn logout(Ext(state): Ext<State>, headers: HeaderMap) -> Response {
    let token = headers.get("authtoken").and_then(|v| v.to_str().ok());
    match token {
        Some(token) if state.revoke(token).is_some() => {
            state.logouts.increment();
            answer(StatusCode::OK, "text/plain", "User logged out")
        }
        _ => access_denied(),
    }
}

/// `POST WhoAmI` (also `GET`): the user of the token, as cvpysdk reads it
/// (`user.userName`) when it is given a token instead of a password.
async fn who_am_i(Ext(state): Ext<State>, headers: HeaderMap) -> Response {
    match user(&state, &headers) {
        Some(user) => json_answer(
            StatusCode::OK,
            &json!({"user": {"userName": user, "userGUID": "7f1a2b3c-emulator", "userId": 1}}),
        ),
        None => access_denied(),
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

/// A `backupLevel` as sent: `FULL` (the document), `Full` (cvpysdk), `Synthetic_full`,
/// `synthetic full` ... in any case; `None` for anything else.
pub(crate) fn parse_level(text: &str) -> Option<&'static str> {
    let normalised = text.trim().to_ascii_uppercase().replace([' ', '-'], "_");
    ["FULL", "INCREMENTAL", "DIFFERENTIAL", "SYNTHETIC_FULL"]
        .into_iter()
        .find(|level| *level == normalised)
}

/// An enum sent by name (`IMMEDIATE`, as the document) or by number (`1`, as
/// cvpysdk's `taskType`): whether `text` is one of them.
fn is_enum(text: Option<&str>, name: &str, number: &str) -> bool {
    text.map(str::trim)
        .is_some_and(|t| t.eq_ignore_ascii_case(name) || t == number)
}

async fn create_task(Ext(state): Ext<State>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(user) = user(&state, &headers) else {
        return access_denied();
    };
    let json = wants_json(&headers, body_is_json(&body));
    let request: TaskRequest = match parse_body(&body, "TMMsg_CreateTaskReq") {
        Ok(request) => request,
        Err(reason) => {
            return generic(
                StatusCode::OK,
                json,
                "1",
                &format!("Invalid request: {reason}"),
            );
        }
    };
    let Some(info) = request.task_info else {
        return generic(
            StatusCode::OK,
            json,
            "1",
            "Invalid request: taskInfo is missing",
        );
    };
    let sub_tasks = info.sub_tasks.first();
    let sub_task = sub_tasks.and_then(|s| s.sub_task.as_ref());
    // `BACKUP` by name (the document) or by number (cvpysdk: subTaskType 2,
    // operationType 2).
    let is_backup = sub_task.is_some_and(|s| {
        is_enum(s.sub_task_type.as_deref(), "BACKUP", "2")
            && is_enum(s.operation_type.as_deref(), "BACKUP", "2")
    });
    if !is_backup {
        return generic(
            StatusCode::OK,
            json,
            "1",
            "Invalid request: subTask is not a BACKUP",
        );
    }
    let backup_opts = sub_tasks
        .and_then(|s| s.options.as_ref())
        .and_then(|o| o.backup_opts.as_ref());
    let sent = backup_opts
        .and_then(|b| b.backup_level.clone())
        .unwrap_or_else(|| "INCREMENTAL".to_owned());
    let Some(level) = parse_level(&sent) else {
        return generic(
            StatusCode::OK,
            json,
            "1",
            &format!("Invalid backupLevel [{sent}]"),
        );
    };
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
    // `IMMEDIATE` by name or `1` (cvpysdk); anything else (`SCHEDULE`, `2`) schedules.
    let task_type = info.task.as_ref().and_then(|t| t.task_type.as_deref());
    let immediate = task_type.is_none() || is_enum(task_type, "IMMEDIATE", "1");
    if !immediate {
        // A schedule: the task only, no `jobIds` (as the vendor answers).
        state.scheduled.increment();
        return if json {
            json_answer(StatusCode::OK, &json!({"taskId": task_id}))
        } else {
            let xml = Element::new("TMMsg_CreateTaskResp").attr("taskId", task_id.to_string());
            answer(StatusCode::OK, "application/xml", xml.to_xml())
        };
    }
    let job_ids: Vec<String> = eligible
        .into_iter()
        .map(|subclient| {
            state
                .start_job(subclient, level.to_owned(), task_id, &user)
                .to_string()
        })
        .collect();
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

/// `POST Subclient/{id}/action/backup?backupLevel=Full`: cvpysdk's plain
/// `subclient.backup()`; one job, answered `{"taskId", "jobIds"}`.
async fn subclient_backup(
    Ext(state): Ext<State>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some(user) = user(&state, &headers) else {
        return access_denied();
    };
    let found = id
        .parse::<u64>()
        .ok()
        .and_then(|id| state.catalog.subclient(id).cloned());
    let Some(subclient) = found else {
        return generic(
            StatusCode::OK,
            true,
            NO_ELIGIBLE_SUBCLIENTS_CODE,
            NO_ELIGIBLE_SUBCLIENTS_MESSAGE,
        );
    };
    let sent = query
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("backupLevel"))
        .map_or("Incremental", |(_, v)| v.as_str());
    let Some(level) = parse_level(sent) else {
        return generic(
            StatusCode::OK,
            true,
            "1",
            &format!("Invalid backupLevel [{sent}]"),
        );
    };
    let task_id = state.next_task();
    let job_id = state.start_job(subclient, level.to_owned(), task_id, &user);
    json_answer(
        StatusCode::OK,
        &json!({"taskId": task_id, "jobIds": [job_id.to_string()]}),
    )
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
        // The form of a failed job's reason (issue 15's example): code, then the
        // description, HTML line breaks between.
        Phase::Done(Outcome::Failure { reason }) => (
            "Failed",
            format!("Error Code: [{FAILURE_ERROR_CODE}]<br>Description: {reason}"),
        ),
        Phase::Done(Outcome::Cancelled) => ("Killed", "The job was killed by a user.".to_owned()),
    }
}

/// Files the emulated job found: 40 per percent done.
const FILES_PER_PERCENT: u64 = 40;
/// Files that failed in a job "Completed w/ one or more errors".
const FAILED_FILES: u64 = 2;

/// What a job has read and written so far: bytes of application data (1 MiB per
/// percent done), bytes on media (half of it), files.
fn sizes(view: &JobView) -> (u64, u64, u64) {
    let percent = u64::from(view.phase.progress());
    let application = percent * 1_048_576;
    (application, application / 2, percent * FILES_PER_PERCENT)
}

/// The `jobSummary` of a job (`GET Job/{id}`, `GET Job`), with the fields of the API
/// reference's *Get List of Jobs*: sizes, files (failed ones included), times.
pub(crate) fn summary(view: &JobView) -> Value {
    let (status, reason) = status_of(view);
    let percent = view.phase.progress();
    let (application, media, files) = sizes(view);
    let failed_files = if matches!(view.phase, Phase::Done(Outcome::Warning)) {
        FAILED_FILES
    } else {
        0
    };
    let end = view.finished.unwrap_or(0);
    let last_update = view.finished.unwrap_or(view.now);
    let subclient = &view.subclient.subclient;
    json!({
        "jobId": view.id,
        "status": status,
        "localizedStatus": status,
        "percentComplete": percent,
        "pendingReason": reason,
        "jobStartTime": view.started,
        "jobEndTime": end,
        "lastUpdateTime": last_update,
        "jobElapsedTime": last_update.saturating_sub(view.started).max(0),
        "backupLevelName": level_name(&view.level),
        "jobType": "Backup",
        "localizedOperationName": "Backup",
        "appTypeName": subclient.app_name,
        "backupSetName": subclient.backupset_name,
        "sizeOfApplication": application,
        "sizeOfMediaOnDisk": media,
        "totalNumOfFiles": files,
        "totalFailedFiles": failed_files,
        "totalFailedFolders": 0,
        "percentSavings": 50.0,
        "isVisible": true,
        "isAged": false,
        "jobSubmitErrorCode": 0,
        "subclient": view.subclient.entity(),
    })
}

async fn job(Ext(state): Ext<State>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if !authorized(&state, &headers) {
        return access_denied();
    }
    let Some(view) = state.observe(&id) else {
        return json_answer(StatusCode::OK, &json!({"totalRecordsWithoutPaging": 0}));
    };
    json_answer(
        StatusCode::OK,
        &json!({"totalRecordsWithoutPaging": 1, "jobs": [{"jobSummary": summary(&view)}]}),
    )
}

/// `GET Job?clientId=&jobCategory=&completedJobLookupTime=&jobFilter=`: the backup
/// jobs (newest first), of one client when `clientId` is given; `jobCategory` `Active`
/// or `Finished` keeps those only; finished jobs older than `completedJobLookupTime`
/// seconds are left out (the API's default lookup is a year).
async fn job_list(
    Ext(state): Ext<State>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if !authorized(&state, &headers) {
        return access_denied();
    }
    let get = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let client = get("clientId").and_then(|id| id.parse::<u64>().ok());
    let category = get("jobCategory").map(|c| c.to_ascii_lowercase());
    let lookup = get("completedJobLookupTime")
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or(365 * 24 * 3600);
    let backups_only = get("jobFilter").is_none_or(|f| {
        f.split(',')
            .any(|kind| kind.trim().eq_ignore_ascii_case("backup"))
    });
    let jobs: Vec<Value> = state
        .jobs()
        .into_iter()
        .filter(|view| backups_only && client.is_none_or(|id| view.subclient.client_id == id))
        .filter(|view| {
            let finished = view.phase.is_terminal();
            match category.as_deref() {
                Some("active") => !finished,
                Some("finished") => finished,
                _ => true,
            }
        })
        .filter(|view| view.finished.is_none_or(|end| view.now - end <= lookup))
        .map(|view| json!({"jobSummary": summary(&view)}))
        .collect();
    json_answer(
        StatusCode::OK,
        &json!({"totalRecordsWithoutPaging": jobs.len(), "jobs": jobs}),
    )
}

/// `POST JobDetails` (`{"jobId": N}`, or `<JobManager_JobDetailRequest jobId="N"/>`):
/// the job's `generalInfo`, `detailInfo` and `progressInfo` as the API reference's
/// *Get Job Details* shows them; an unknown job gives `{"error": {"errList": [...]}}`
/// (the form cvpysdk reads).
async fn job_details(Ext(state): Ext<State>, headers: HeaderMap, body: Bytes) -> Response {
    if !authorized(&state, &headers) {
        return access_denied();
    }
    let parsed: Result<JobDetailIn, String> = parse_body(&body, "JobManager_JobDetailRequest");
    let id = parsed
        .ok()
        .and_then(|d| d.job_id)
        .and_then(|id| id.trim().parse::<u64>().ok());
    let Some(view) = id.and_then(|id| state.peek(id)) else {
        let message = format!(
            "Job [{}] does not exist.",
            id.map_or_else(String::new, |id| id.to_string())
        );
        return json_answer(
            StatusCode::OK,
            &json!({"error": {"errList": [{"errorCode": 2, "errLogMessage": message}]}}),
        );
    };
    json_answer(
        StatusCode::OK,
        &json!({"job": {"jobDetail": details(&view)}}),
    )
}

/// `jobDetail` of a job.
fn details(view: &JobView) -> Value {
    let (status, reason) = status_of(view);
    let (application, media, files) = sizes(view);
    let skipped = if matches!(view.phase, Phase::Done(Outcome::Warning)) {
        FAILED_FILES
    } else {
        0
    };
    let end = view.finished.unwrap_or(0);
    let entry: &SubclientEntry = &view.subclient;
    json!({
        "generalInfo": {
            "jobId": view.id,
            "operationType": "Backup",
            "backupType": level_name(&view.level),
            "jobStartedBy": view.user,
            "jobStartedFrom": "Interactive",
            "startTime": view.started,
            "priority": 166,
            "totalNumOfFiles": files,
            "taskData": {"taskId": view.task_id, "subtaskId": view.task_id, "taskName": ""},
            "subclient": entry.entity(),
        },
        "detailInfo": {
            "sizeOfApplication": application.to_string(),
            "unCompressedBytes": application,
            "sizeOfMediaOnDisk": media,
            "dataWritten": media.to_string(),
            "numOfObjects": files,
            "skippedItems": skipped,
            "startTime": view.started,
            "endTime": end,
            "savingsPercent": "50.00",
        },
        "progressInfo": {
            "state": status,
            "reasonForJobDelay": reason,
            "percentComplete": view.phase.progress(),
            "numOfFilesTransferred": files,
        },
        "attemptsInfo": [],
    })
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
