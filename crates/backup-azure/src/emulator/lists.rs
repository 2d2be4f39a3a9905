//! The list endpoints: the vault's backup jobs (`BackupJobs_List`, with its `$filter`
//! and `$skipToken` paging) and a protected item's recovery points
//! (`RecoveryPoints_List`, `RecoveryPoints_Get`).

use axum::http::StatusCode;
use axum::response::Response;
use backup_core::emulator::{Outcome, Phase};
use backup_core::path::join_segments;
use backup_core::timefmt::{format_rfc3339, parse_rfc3339};
use serde_json::{Value, json};
use time::{OffsetDateTime, PrimitiveDateTime};

use super::answers::{bad_request, cloud_error, job_resource, job_started_at, json_answer};
use super::jobs::{job_resource_id, vault_key, vault_not_found};
use super::options::ItemKind;
use super::state::{BackupJob, ItemKey, State};

/// The clauses of an OData `$filter` as the backup lists take it: `key eq 'value'`
/// joined by `and` (keys lower-cased; `''` inside a value is a quote).
///
/// # Errors
/// What is wrong with the filter, for a 400.
pub(crate) fn parse_filter(filter: &str) -> Result<Vec<(String, String)>, String> {
    let mut clauses = Vec::new();
    let mut rest = filter.trim_start();
    while !rest.is_empty() {
        let key_end = rest
            .find(char::is_whitespace)
            .ok_or("a clause has no `eq`")?;
        let key = rest[..key_end].to_ascii_lowercase();
        rest = rest[key_end..].trim_start();
        let after_eq = rest
            .get(..2)
            .filter(|op| op.eq_ignore_ascii_case("eq"))
            .map(|_| rest[2..].trim_start())
            .ok_or_else(|| format!("`{key}` is not followed by `eq`"))?;
        let quoted = after_eq
            .strip_prefix('\'')
            .ok_or_else(|| format!("the value of `{key}` is not quoted"))?;
        let mut value = String::new();
        let mut chars = quoted.char_indices().peekable();
        let mut end = None;
        while let Some((index, c)) = chars.next() {
            if c == '\'' {
                if chars.peek().is_some_and(|(_, next)| *next == '\'') {
                    chars.next();
                    value.push('\'');
                    continue;
                }
                end = Some(index + 1);
                break;
            }
            value.push(c);
        }
        let end = end.ok_or_else(|| format!("the value of `{key}` is not closed"))?;
        clauses.push((key, value));
        rest = quoted[end..].trim_start();
        if rest.is_empty() {
            break;
        }
        rest = rest
            .get(..3)
            .filter(|and| and.eq_ignore_ascii_case("and"))
            .map(|_| rest[3..].trim_start())
            .ok_or("clauses must be joined by `and`")?;
        if rest.is_empty() {
            return Err("the filter ends with `and`".to_owned());
        }
    }
    Ok(clauses)
}

/// A time of a backup filter: `yyyy-MM-dd hh:mm:ss tt` in UTC (the spec's example has
/// `00:00:00 AM`, so an hour of 0 is read as midnight), or RFC 3339.
pub(crate) fn parse_filter_time(text: &str) -> Option<OffsetDateTime> {
    let text = text.trim();
    if let Some(value) = parse_rfc3339(text) {
        return Some(value);
    }
    let (clock, period) = match text.rsplit_once(' ') {
        Some((clock, period))
            if period.eq_ignore_ascii_case("AM") || period.eq_ignore_ascii_case("PM") =>
        {
            (clock, Some(period.eq_ignore_ascii_case("PM")))
        }
        _ => (text, None),
    };
    let format = time::macros::format_description!(
        "[year]-[month]-[day] [hour padding:none]:[minute]:[second]"
    );
    let naive = PrimitiveDateTime::parse(clock.trim(), &format).ok()?;
    let hour = naive.hour();
    let hour = match period {
        Some(_) if hour > 12 => return None,
        Some(true) if hour < 12 => hour + 12,
        Some(false) if hour == 12 => 0,
        _ => hour,
    };
    naive
        .replace_hour(hour)
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

/// A `400` naming what is wrong with a filter.
fn bad_filter(reason: &str) -> Response {
    bad_request(
        "BMSUserErrorInvalidInput",
        &format!("Input provided for the call is invalid: $filter ({reason})."),
    )
}

/// The time window of `startKey`/`endKey` clauses.
fn window(
    clauses: &[(String, String)],
    start_key: &str,
    end_key: &str,
) -> Result<(Option<OffsetDateTime>, Option<OffsetDateTime>), Box<Response>> {
    let mut bounds = [None, None];
    for (slot, key) in bounds.iter_mut().zip([start_key, end_key]) {
        if let Some((_, value)) = clauses.iter().find(|(k, _)| k == key) {
            *slot =
                Some(parse_filter_time(value).ok_or_else(|| {
                    Box::new(bad_filter(&format!("{key} is not a date and time")))
                })?);
        }
    }
    Ok((bounds[0], bounds[1]))
}

/// `GET .../vaults/{vault}/backupJobs`: the jobs of the vault whose async operation
/// succeeded, newest first, each observed as a read of the job would; `$filter` on
/// `status`, `backupManagementType`, `operation`, `jobId` and the window
/// `startTime`/`endTime` (a job started within it); pages of
/// `EmulatorOptions::job_page_size` with a `nextLink` (`$skipToken`).
pub(crate) fn list_jobs(
    state: &State,
    vault: &[String; 3],
    filter: Option<&str>,
    skip_token: Option<&str>,
    api_version: &str,
) -> Response {
    let clauses = match filter.map(parse_filter).transpose() {
        Ok(clauses) => clauses.unwrap_or_default(),
        Err(reason) => return bad_filter(&reason),
    };
    const KEYS: [&str; 6] = [
        "status",
        "backupmanagementtype",
        "operation",
        "jobid",
        "starttime",
        "endtime",
    ];
    if let Some((key, _)) = clauses.iter().find(|(k, _)| !KEYS.contains(&k.as_str())) {
        return bad_filter(&format!("unknown property {key}"));
    }
    let (from, to) = match window(&clauses, "starttime", "endtime") {
        Ok(bounds) => bounds,
        Err(refusal) => return *refusal,
    };
    let Ok(skip) = skip_token.map_or(Ok(0), str::parse::<usize>) else {
        return bad_filter("$skipToken is not one of this list's");
    };
    let key = vault_key(vault);
    let mut data = state.lock();
    if !data.vaults.contains(&key) {
        return vault_not_found(vault);
    }
    let size_mb = data.backup_size_mb;
    let page_size = data.job_page_size;
    // The vault's async operations move on as the list is read (a job appears once its
    // operation succeeded).
    for op in data.operations.values_mut() {
        let in_vault = (
            &op.item.subscription,
            &op.item.resource_group,
            &op.item.vault,
        ) == (&key.0, &key.1, &key.2);
        if in_vault && !op.life.peek().is_terminal() {
            op.life.observe();
        }
    }
    let started: Vec<String> = data
        .jobs
        .iter()
        .filter(|(_, job)| job.vault == key && data.job_started(job))
        .map(|(id, _)| id.clone())
        .collect();
    let mut listed: Vec<(OffsetDateTime, Value)> = Vec::new();
    for job_id in started {
        let Some(job) = data.jobs.get_mut(&job_id) else {
            continue;
        };
        let phase = job.life.observe();
        let body = job_resource(
            &job_resource_id(vault, &job_id),
            &job_id,
            job,
            &phase,
            size_mb,
        );
        let at = job_started_at(job);
        let property = |name: &str| body["properties"][name].as_str().unwrap_or_default();
        let matches = clauses.iter().all(|(k, v)| match k.as_str() {
            "status" => property("status").eq_ignore_ascii_case(v),
            "backupmanagementtype" => property("backupManagementType").eq_ignore_ascii_case(v),
            "operation" => property("operation").eq_ignore_ascii_case(v),
            "jobid" => job_id.eq_ignore_ascii_case(v),
            _ => true,
        }) && from.is_none_or(|from| at >= from)
            && to.is_none_or(|to| at <= to);
        if matches {
            listed.push((at, body));
        }
    }
    listed.sort_by_key(|entry| std::cmp::Reverse(entry.0));
    let total = listed.len();
    let page: Vec<Value> = listed
        .into_iter()
        .skip(skip)
        .take(page_size)
        .map(|(_, body)| body)
        .collect();
    let mut answer = json!({ "value": page });
    if skip + page_size < total
        && let Some(base) = state.base()
        && let Ok(mut next) = join_segments(
            crate::VENDOR,
            base,
            &[
                "Subscriptions",
                &vault[0],
                "resourceGroups",
                &vault[1],
                "providers",
                "Microsoft.RecoveryServices",
                "vaults",
                &vault[2],
                "backupJobs",
            ],
        )
    {
        {
            let mut query = next.query_pairs_mut();
            query.append_pair("api-version", api_version);
            if let Some(filter) = filter {
                query.append_pair("$filter", filter);
            }
            query.append_pair("$skipToken", &(skip + page_size).to_string());
        }
        answer["nextLink"] = json!(next.as_str());
    }
    json_answer(StatusCode::OK, &answer)
}

/// The recovery point id of job `job_id`: a decimal number, as Azure's are
/// (`22244821112382`), derived from the job's GUID.
fn recovery_point_id(job_id: &str) -> String {
    let hex: String = job_id
        .chars()
        .filter(char::is_ascii_hexdigit)
        .take(13)
        .collect();
    u64::from_str_radix(&hex, 16)
        .unwrap_or_default()
        .to_string()
}

/// The recovery point a successful job made, in the shape of its kind's
/// `RecoveryPoint` (`IaasVMRecoveryPoint`, `AzureFileShareRecoveryPoint`,
/// `AzureWorkloadSQLRecoveryPoint`), taken when the job started; `None` for a job that
/// did not complete.
fn recovery_point(
    names: &[String; 6],
    job_id: &str,
    job: &BackupJob,
    size_mb: u64,
) -> Option<(OffsetDateTime, String, Value)> {
    if !matches!(
        job.life.peek(),
        Phase::Done(Outcome::Success | Outcome::Warning)
    ) {
        return None;
    }
    let at = job_started_at(job);
    let name = recovery_point_id(job_id);
    let time = format_rfc3339(at);
    let properties = match job.kind {
        ItemKind::IaasVm => json!({
            "objectType": "IaasVMRecoveryPoint",
            "recoveryPointTime": time,
            "recoveryPointType": "CrashConsistent",
            "recoveryPointTierDetails": [
                { "type": "InstantRP", "status": "Valid" },
                { "type": "HardenedRP", "status": "Valid" },
            ],
            "isManagedVirtualMachine": true,
        }),
        ItemKind::AzureFileShare => json!({
            "objectType": "AzureFileShareRecoveryPoint",
            "recoveryPointTime": time,
            "recoveryPointType": "FileSystemConsistent",
            "recoveryPointSizeInGB": size_mb.div_ceil(1024),
        }),
        ItemKind::AzureWorkload => json!({
            "objectType": "AzureWorkloadSQLRecoveryPoint",
            "recoveryPointTimeInUTC": time,
            "type": "Full",
        }),
    };
    let body = json!({
        "id": format!(
            "/Subscriptions/{}/resourceGroups/{}/providers/Microsoft.RecoveryServices/vaults/{}/backupFabrics/{}/protectionContainers/{}/protectedItems/{}/recoveryPoints/{name}",
            names[0], names[1], names[2], names[3], names[4], names[5]
        ),
        "name": name,
        "type": "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems/recoveryPoints",
        "properties": properties,
    });
    Some((at, name, body))
}

/// The recovery points of a known item, newest first; else the refusal.
#[allow(clippy::type_complexity)]
fn points_of(
    state: &State,
    item: &[String; 6],
) -> Result<Vec<(OffsetDateTime, String, Value)>, Box<Response>> {
    let key = ItemKey::new(item.each_ref().map(String::as_str));
    let data = state.lock();
    if !data.vaults.contains(&(
        key.subscription.clone(),
        key.resource_group.clone(),
        key.vault.clone(),
    )) {
        return Err(Box::new(vault_not_found(&[
            item[0].clone(),
            item[1].clone(),
            item[2].clone(),
        ])));
    }
    let Some(known) = data.items.get(&key) else {
        return Err(Box::new(cloud_error(
            StatusCode::NOT_FOUND,
            "BMSUserErrorItemNotFound",
            &format!(
                "Item '{}' in container '{}' was not found.",
                item[5], item[4]
            ),
        )));
    };
    let mut points: Vec<_> = data
        .jobs
        .iter()
        .filter(|(_, job)| job.item == key && data.job_started(job))
        .filter_map(|(id, job)| recovery_point(&known.names, id, job, data.backup_size_mb))
        .collect();
    points.sort_by_key(|entry| std::cmp::Reverse(entry.0));
    Ok(points)
}

/// `GET .../protectedItems/{item}/recoveryPoints`: one recovery point per completed
/// backup job of the item, newest first; `$filter` window `startDate`/`endDate` on
/// the point's time (other clauses are accepted and not applied).
pub(crate) fn list_recovery_points(
    state: &State,
    item: &[String; 6],
    filter: Option<&str>,
) -> Response {
    let clauses = match filter.map(parse_filter).transpose() {
        Ok(clauses) => clauses.unwrap_or_default(),
        Err(reason) => return bad_filter(&reason),
    };
    let (from, to) = match window(&clauses, "startdate", "enddate") {
        Ok(bounds) => bounds,
        Err(refusal) => return *refusal,
    };
    let points = match points_of(state, item) {
        Ok(points) => points,
        Err(refusal) => return *refusal,
    };
    let value: Vec<Value> = points
        .into_iter()
        .filter(|(at, _, _)| from.is_none_or(|from| *at >= from) && to.is_none_or(|to| *at <= to))
        .map(|(_, _, body)| body)
        .collect();
    json_answer(StatusCode::OK, &json!({ "value": value }))
}

/// `GET .../protectedItems/{item}/recoveryPoints/{id}`.
pub(crate) fn read_recovery_point(state: &State, item: &[String; 6], id: &str) -> Response {
    let points = match points_of(state, item) {
        Ok(points) => points,
        Err(refusal) => return *refusal,
    };
    match points.into_iter().find(|(_, name, _)| name == id) {
        Some((_, _, body)) => json_answer(StatusCode::OK, &body),
        None => cloud_error(
            StatusCode::NOT_FOUND,
            "BMSUserErrorRecoveryPointNotFound",
            &format!("Recovery point '{id}' was not found."),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_specs_filters_parse() {
        let clauses = parse_filter(
            "startTime eq '2016-01-01 00:00:00 AM' and endTime eq '2017-11-29 00:00:00 AM' and operation eq 'Backup' and backupManagementType eq 'AzureIaasVM' and status eq 'InProgress'",
        )
        .unwrap();
        assert_eq!(clauses.len(), 5);
        assert_eq!(
            clauses[0],
            ("starttime".into(), "2016-01-01 00:00:00 AM".into())
        );
        assert_eq!(clauses[4], ("status".into(), "InProgress".into()));
        assert_eq!(
            parse_filter("name eq 'it''s'").unwrap(),
            [("name".to_owned(), "it's".to_owned())]
        );
        for bad in [
            "status",
            "status eq InProgress",
            "a eq 'b' or c eq 'd'",
            "a eq 'b",
            "a eq 'b' and",
        ] {
            assert!(parse_filter(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_filter_time("2016-01-01 00:00:00 AM"),
            Some(time::macros::datetime!(2016-01-01 00:00 UTC))
        );
        assert_eq!(
            parse_filter_time("2026-12-02 01:05:09 PM"),
            Some(time::macros::datetime!(2026-12-02 13:05:09 UTC))
        );
        assert_eq!(
            parse_filter_time("2026-12-02 12:00:00 AM"),
            Some(time::macros::datetime!(2026-12-02 00:00 UTC))
        );
        assert_eq!(parse_filter_time("2026-12-02 13:00:00 PM"), None);
        assert_eq!(
            recovery_point_id("00000000-0000-0000-0000-00000000000a"),
            "0"
        );
        assert_eq!(recovery_point_id("0000000000001-x"), "1");
    }
}
