//! The emulated list reads of the v8.1 spec: `GET /api/{v}/jobSessions` (filters
//! `PolicyId`, `FromUtc`, `ToUtc`, `Status`, `Types`, paged by `Offset` / `Limit`),
//! `GET /api/{v}/jobSessions/{id}/protectedItems` and
//! `GET /api/{v}/restorePoints/virtualMachines` (`VirtualMachineId`, `OnlyLatest`,
//! `Offset`, `Limit`). Query names are read case-insensitively (as ASP.NET binds
//! them); list values come repeated (`Status=A&Status=B`) or comma-separated. A
//! malformed value is a `400` problem with `errors`.

use axum::Json;
use axum::extract::{Path, RawQuery, State as Extract};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use backup_core::timefmt;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::problem;
use super::produced::{only_latest, restore_points};
use super::routes::{authorize, base, served};
use super::state::{State, status_word};

/// The query's pairs, names lower-cased.
fn pairs(query: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .map(|(k, v)| (k.to_ascii_lowercase(), v.into_owned()))
        .collect()
}

/// Every value of `name` (repeated or comma-separated), empty ones dropped.
fn values(pairs: &[(String, String)], name: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(k, _)| k == name)
        .flat_map(|(_, v)| v.split(',').map(|s| s.trim().to_owned()))
        .filter(|v| !v.is_empty())
        .collect()
}

fn first<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// A `400` naming the query parameter at fault.
fn invalid(name: &str, message: &str) -> Response {
    let mut errors = Map::new();
    errors.insert(name.to_owned(), json!([message]));
    let mut extra = Map::new();
    extra.insert("errors".into(), Value::Object(errors));
    problem::answer_with(
        StatusCode::BAD_REQUEST,
        "One or more validation errors occurred.",
        extra,
    )
}

/// `Offset` and `Limit` (`-1` or absent: all).
fn window(pairs: &[(String, String)]) -> Result<(usize, Option<usize>), Box<Response>> {
    let offset = match first(pairs, "offset") {
        None => 0,
        Some(text) => text.parse::<usize>().map_err(|_| {
            Box::new(invalid(
                "Offset",
                "The value must be an integer of 0 or more.",
            ))
        })?,
    };
    let limit = match first(pairs, "limit") {
        None | Some("-1") => None,
        Some(text) => Some(text.parse::<usize>().map_err(|_| {
            Box::new(invalid(
                "Limit",
                "The value must be an integer of -1 or more.",
            ))
        })?),
    };
    Ok((offset, limit))
}

fn time_param(
    pairs: &[(String, String)],
    name: &str,
    label: &str,
) -> Result<Option<OffsetDateTime>, Box<Response>> {
    first(pairs, name)
        .map(|text| {
            timefmt::parse_rfc3339(text).ok_or_else(|| {
                Box::new(invalid(
                    label,
                    "The value must be a date and time (YYYY-MM-DDTHH:MM:SSZ).",
                ))
            })
        })
        .transpose()
}

fn page(items: Vec<Value>, offset: usize, limit: Option<usize>, href: &str) -> Value {
    let total = items.len();
    let results: Vec<Value> = items
        .into_iter()
        .skip(offset)
        .take(limit.unwrap_or(usize::MAX))
        .collect();
    json!({
        "offset": offset,
        "limit": limit.map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX)),
        "totalCount": total,
        "_links": { "self": { "href": href } },
        "results": results,
    })
}

/// `GET /api/{v}/jobSessions`: the `PageOfJobSession` of the sessions the filters
/// keep, oldest first (without moving them). `FromUtc` / `ToUtc` compare with when a
/// session was launched (its creation).
pub(crate) async fn list_sessions(
    Extract(state): Extract<State>,
    Path(version): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let version = match served(&state, &version) {
        Ok(version) => version,
        Err(refused) => return *refused,
    };
    if let Err(refused) = authorize(&state, &headers) {
        return *refused;
    }
    let pairs = pairs(query.as_deref());
    let (offset, limit) = match window(&pairs) {
        Ok(window) => window,
        Err(refused) => return *refused,
    };
    let (from, to) = match (
        time_param(&pairs, "fromutc", "FromUtc"),
        time_param(&pairs, "toutc", "ToUtc"),
    ) {
        (Ok(from), Ok(to)) => (from, to),
        (Err(refused), _) | (_, Err(refused)) => return *refused,
    };
    let policy = first(&pairs, "policyid").map(str::to_ascii_lowercase);
    let statuses = values(&pairs, "status");
    let types = values(&pairs, "types");
    let base = base(&headers);
    let data = state.lock();
    let mut sessions: Vec<_> = data.sessions.values().collect();
    sessions.sort_by_key(|s| s.number);
    let items: Vec<Value> = sessions
        .into_iter()
        .filter_map(|session| {
            let phase = session.lifecycle.peek();
            let launched = session.lifecycle.created_at();
            let word = status_word(&phase, &session.lifecycle.spec().outcome);
            let keep = policy
                .as_deref()
                .is_none_or(|p| session.policy_id.eq_ignore_ascii_case(p))
                && from.is_none_or(|from| launched >= from)
                && to.is_none_or(|to| launched <= to)
                && (statuses.is_empty() || statuses.iter().any(|s| s.eq_ignore_ascii_case(word)))
                && (types.is_empty()
                    || types
                        .iter()
                        .any(|t| t.eq_ignore_ascii_case(session.kind.as_str())));
            keep.then(|| {
                session.render(
                    version,
                    &phase,
                    data.policies.get(&session.policy_id),
                    &base,
                )
            })
        })
        .collect();
    let href = format!("{base}/api/{version}/jobSessions");
    Json(page(items, offset, limit, &href)).into_response()
}

/// `GET /api/{v}/jobSessions/{id}/protectedItems`.
pub(crate) async fn protected_items(
    Extract(state): Extract<State>,
    Path((version, session_id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let version = match served(&state, &version) {
        Ok(version) => version,
        Err(refused) => return *refused,
    };
    if let Err(refused) = authorize(&state, &headers) {
        return *refused;
    }
    if let Err(refused) = window(&pairs(query.as_deref())) {
        return *refused;
    }
    let base = base(&headers);
    let data = state.lock();
    let Some(session) = data.sessions.get(&session_id) else {
        return problem::answer(
            StatusCode::NOT_FOUND,
            &format!("Session {session_id} was not found."),
        );
    };
    let policy = data.policies.get(&session.policy_id);
    Json(session.render_protected_items(version, &session.lifecycle.peek(), policy, &base))
        .into_response()
}

/// `GET /api/{v}/restorePoints/virtualMachines` (v6 and later): the v8.1 spec's
/// `PageOfVirtualMachineRestorePoint`.
pub(crate) async fn list_restore_points(
    Extract(state): Extract<State>,
    Path(version): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let version = match served(&state, &version) {
        Ok(version) if version.workload_paths() => version,
        Ok(_) => {
            return problem::answer(
                StatusCode::NOT_FOUND,
                "The requested resource does not exist.",
            );
        }
        Err(refused) => return *refused,
    };
    if let Err(refused) = authorize(&state, &headers) {
        return *refused;
    }
    let pairs = pairs(query.as_deref());
    let (offset, limit) = match window(&pairs) {
        Ok(window) => window,
        Err(refused) => return *refused,
    };
    let only_latest_points = match first(&pairs, "onlylatest").map(str::to_ascii_lowercase) {
        None => false,
        Some(text) if text == "true" => true,
        Some(text) if text == "false" => false,
        Some(_) => return invalid("OnlyLatest", "The value must be true or false."),
    };
    let vm = first(&pairs, "virtualmachineid").map(str::to_owned);
    let base = base(&headers);
    let data = state.lock();
    let mut points = restore_points(&data, version, &base);
    if let Some(vm) = vm {
        points.retain(|point| point.vm_id.eq_ignore_ascii_case(&vm));
    }
    if only_latest_points {
        points = only_latest(points);
    }
    let items: Vec<Value> = points.into_iter().map(|point| point.body).collect();
    let href = format!("{base}/api/{version}/restorePoints/virtualMachines");
    Json(page(items, offset, limit, &href)).into_response()
}
