//! The endpoints: trigger, async-operation status, operation result, backup job.

use axum::body::{Body, Bytes};
use axum::extract::State as Extract;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;
use backup_core::emulator::{Lifecycle, Outcome, Phase, TokenCheck};
use backup_core::path::join_segments;
use url::Url;

use super::answers::{bad_request, cloud_error, guid, json_answer, operation_status, split_reason};
use super::jobs::{cancel_job, read_cancel_result, read_job};
use super::lists::{list_jobs, list_recovery_points, read_recovery_point};
use super::routes::Route;
use super::state::{AsyncOperation, BackupJob, ItemKey, State, VaultKey};
use super::validate::validate_body;

/// The api-versions the emulator accepts on every endpoint: the stable versions of
/// the specs whose requests it serves, up to 2026-10-01 (the default of the official
/// Python SDK, `azure-mgmt-recoveryservicesbackup` 11.2).
pub const SUPPORTED_API_VERSIONS: [&str; 9] = [
    "2016-12-01",
    "2017-07-01",
    "2019-05-13",
    "2021-12-01",
    "2023-04-01",
    "2024-04-01",
    "2025-02-01",
    "2025-08-01",
    "2026-10-01",
];

/// The api-version of the status URLs the emulator hands out (the document's).
pub const STATUS_API_VERSION: &str = "2016-12-01";

/// ARM's caller-chosen request id.
const CLIENT_REQUEST_ID: &str = "x-ms-client-request-id";

/// The one handler: route, check the token and the api-version, answer.
pub(crate) async fn dispatch(
    Extract(state): Extract<State>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut response = answer(&state, &method, &uri, &headers, &body);
    let ids = response.headers_mut();
    // ARM echoes the caller's request id (Microsoft's tutorials show it on every answer).
    if let Some(client_id) = headers.get(CLIENT_REQUEST_ID) {
        ids.insert(
            HeaderName::from_static(CLIENT_REQUEST_ID),
            client_id.clone(),
        );
    }
    for (name, value) in [
        ("x-ms-request-id", guid()),
        (
            "x-ms-correlation-request-id",
            headers
                .get("x-ms-correlation-request-id")
                .and_then(|v| v.to_str().ok())
                .map_or_else(guid, str::to_owned),
        ),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            ids.insert(HeaderName::from_static(name), value);
        }
    }
    response
}

fn answer(state: &State, method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Response {
    let route = Route::parse(uri.path());
    if route == Route::Unknown {
        return cloud_error(
            StatusCode::NOT_FOUND,
            "NotFound",
            &format!(
                "No HTTP resource was found that matches the request URI '{}'.",
                uri.path()
            ),
        );
    }
    if route.method() != method {
        return cloud_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            &format!("The requested resource does not support http method '{method}'."),
        );
    }
    if let Some(refusal) = check_token(state, headers) {
        return refusal;
    }
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let api_version = query
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("api-version"))
        .map(|(_, v)| v.as_str());
    let Some(api_version) = api_version else {
        return cloud_error(
            StatusCode::BAD_REQUEST,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        );
    };
    if !SUPPORTED_API_VERSIONS.contains(&api_version) {
        return cloud_error(
            StatusCode::BAD_REQUEST,
            "InvalidApiVersionParameter",
            &format!(
                "The api-version '{api_version}' is invalid. The supported versions are '{}'.",
                SUPPORTED_API_VERSIONS.join(",")
            ),
        );
    }
    let filter = query
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("$filter"))
        .map(|(_, v)| v.as_str());
    let skip_token = query
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("$skipToken"))
        .map(|(_, v)| v.as_str());
    match route {
        Route::Trigger(item) => trigger(state, &item, headers, body),
        Route::OperationStatus(item, op) => read_operation(state, &Scope::Item(&item), &op, false),
        Route::OperationResult(item, op) => read_operation(state, &Scope::Item(&item), &op, true),
        Route::VaultOperationStatus(vault, op) => {
            read_operation(state, &Scope::Vault(&vault), &op, false)
        }
        Route::VaultOperationResult(vault, op) => {
            read_operation(state, &Scope::Vault(&vault), &op, true)
        }
        Route::Job(vault, job) => read_job(state, &vault, &job),
        Route::CancelJob(vault, job) => cancel_job(state, &vault, &job, api_version),
        Route::JobOperationResult(vault, job, op) => read_cancel_result(state, &vault, &job, &op),
        Route::JobList(vault) => list_jobs(state, &vault, filter, skip_token, api_version),
        Route::RecoveryPoints(item) => list_recovery_points(state, &item, filter),
        Route::RecoveryPoint(item, id) => read_recovery_point(state, &item, &id),
        Route::Unknown => cloud_error(StatusCode::NOT_FOUND, "NotFound", "No such resource."),
    }
}

/// ARM's answers to a missing, unknown or expired bearer token.
fn check_token(state: &State, headers: &HeaderMap) -> Option<Response> {
    let (code, message, description) = match headers.get(header::AUTHORIZATION) {
        None => (
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing.",
            "The access token is missing.",
        ),
        Some(_) => match state.tokens.check_bearer(headers) {
            TokenCheck::Valid => return None,
            TokenCheck::Expired => (
                "ExpiredAuthenticationToken",
                "The access token expiry UTC time is earlier than current UTC time.",
                "The access token has expired.",
            ),
            TokenCheck::Unknown => (
                "InvalidAuthenticationToken",
                "The access token is invalid.",
                "The access token is invalid.",
            ),
        },
    };
    let mut response = cloud_error(StatusCode::UNAUTHORIZED, code, message);
    let challenge = format!(
        "Bearer authorization_uri=\"https://login.microsoftonline.com/common\", error=\"invalid_token\", error_description=\"{description}\""
    );
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    Some(response)
}

fn trigger(state: &State, item: &[String; 6], headers: &HeaderMap, body: &[u8]) -> Response {
    let key = ItemKey::new(item.each_ref().map(String::as_str));
    let mut data = state.lock();
    let vault = (
        key.subscription.clone(),
        key.resource_group.clone(),
        key.vault.clone(),
    );
    if !data.vaults.contains(&vault) {
        return cloud_error(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            &format!(
                "The Resource 'Microsoft.RecoveryServices/vaults/{}' under resource group '{}' was not found.",
                item[2], item[1]
            ),
        );
    }
    let Some(known) = data.items.get(&key).cloned() else {
        return cloud_error(
            StatusCode::NOT_FOUND,
            "BMSUserErrorItemNotFound",
            &format!(
                "Item '{}' in container '{}' was not found.",
                item[5], item[4]
            ),
        );
    };
    if let Err(refusal) = validate_body(headers, body, known.kind) {
        return *refusal;
    }
    if data.busy(&key) {
        return bad_request(
            "UserErrorBackupOperationInProgress",
            "Unable to perform the operation as another backup operation is currently in progress for this item. Please wait until the previous operation is completed and retry.",
        );
    }
    let Some(base) = state.base() else {
        return cloud_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            "Starting.",
        );
    };
    let names = &known.names;
    let segments = |kind: &'static str, op: &str| -> Vec<String> {
        let mut s: Vec<String> = vec![
            "Subscriptions".into(),
            names[0].clone(),
            "resourceGroups".into(),
            names[1].clone(),
            "providers".into(),
            "Microsoft.RecoveryServices".into(),
            "vaults".into(),
            names[2].clone(),
            "backupFabrics".into(),
            names[3].clone(),
            "protectionContainers".into(),
            names[4].clone(),
            "protectedItems".into(),
            names[5].clone(),
        ];
        s.push(kind.into());
        s.push(op.into());
        s
    };
    let op_id = guid();
    let urls = ["operationsStatus", "operationResults"].map(|kind| {
        join_segments(crate::VENDOR, base, &segments(kind, &op_id)).map(|mut url: Url| {
            url.query_pairs_mut()
                .append_pair("api-version", STATUS_API_VERSION);
            url
        })
    });
    let [Ok(async_url), Ok(location)] = urls else {
        return cloud_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            "Bad name.",
        );
    };
    let job_id = guid();
    let friendly = names[5].rsplit(';').next().unwrap_or(&names[5]).to_owned();
    let operation_life = Lifecycle::new(data.operation_spec.clone());
    let job_life = Lifecycle::new(state.shared.lifecycle());
    data.operations.insert(
        op_id.clone(),
        AsyncOperation {
            item: key.clone(),
            life: operation_life,
            job_id: job_id.clone(),
        },
    );
    let activity_id = headers
        .get(CLIENT_REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|id| !id.is_empty() && id.len() <= 128)
        .map_or_else(guid, str::to_owned);
    data.jobs.insert(
        job_id,
        BackupJob {
            vault,
            item: key.clone(),
            container: names[4].clone(),
            kind: known.kind,
            friendly_name: friendly,
            activity_id,
            operation_id: op_id,
            life: job_life,
        },
    );
    state.shared.accepted().increment();
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::ACCEPTED;
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(location.as_str()) {
        headers.insert(header::LOCATION, value);
    }
    if data.async_header
        && let Ok(value) = HeaderValue::from_str(async_url.as_str())
    {
        headers.insert(HeaderName::from_static("azure-asyncoperation"), value);
    }
    headers.insert(
        header::RETRY_AFTER,
        HeaderValue::from(data.retry_after.as_secs()),
    );
    response
}

/// Where an operation id is looked up: under its protected item (the trigger's status
/// URLs) or anywhere in its vault (`backupOperations/{op}`, the URL Microsoft's
/// tutorials and the Azure CLI poll).
pub(crate) enum Scope<'a> {
    Item(&'a [String; 6]),
    Vault(&'a [String; 3]),
}

impl Scope<'_> {
    fn holds(&self, op: &AsyncOperation) -> bool {
        match self {
            Scope::Item(item) => op.item == ItemKey::new(item.each_ref().map(String::as_str)),
            Scope::Vault(vault) => {
                let key: VaultKey = (
                    vault[0].to_ascii_lowercase(),
                    vault[1].to_ascii_lowercase(),
                    vault[2].to_ascii_lowercase(),
                );
                (
                    &op.item.subscription,
                    &op.item.resource_group,
                    &op.item.vault,
                ) == (&key.0, &key.1, &key.2)
            }
        }
    }
}

fn read_operation(state: &State, scope: &Scope<'_>, op_id: &str, as_result: bool) -> Response {
    let mut data = state.lock();
    let retry_after = data.retry_after.as_secs();
    let Some(op) = data
        .operations
        .get_mut(&op_id.to_ascii_lowercase())
        .filter(|op| scope.holds(op))
    else {
        return cloud_error(
            StatusCode::NOT_FOUND,
            "BMSUserErrorOperationNotFound",
            &format!("Operation '{op_id}' was not found."),
        );
    };
    let phase = op.life.observe();
    if !as_result {
        let body = operation_status(op_id, &phase, &op.life, &op.job_id);
        let mut response = json_answer(StatusCode::OK, &body);
        if !phase.is_terminal() {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        }
        return response;
    }
    match phase {
        Phase::Done(Outcome::Success | Outcome::Warning) => {
            let mut response = Response::new(Body::empty());
            *response.status_mut() = StatusCode::NO_CONTENT;
            response
        }
        Phase::Done(Outcome::Failure { reason }) => {
            let (code, message) = split_reason(&reason, "UserErrorTriggerBackupFailed");
            bad_request(code, message)
        }
        Phase::Done(Outcome::Cancelled) => {
            bad_request("OperationCanceled", "The operation was canceled.")
        }
        Phase::Queued | Phase::Running { .. } | Phase::Cancelling => {
            let mut response = Response::new(Body::empty());
            *response.status_mut() = StatusCode::ACCEPTED;
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            response
        }
    }
}
