//! The reads that find a backup rather than follow it: the vault's job list
//! (`BackupJobs_List`), to find what a lost trigger started, and the item's recovery
//! points (`RecoveryPoints_List`), to name what a backup made.

use std::time::Duration;

use backup_core::contract::Recovered;
use backup_core::operation::Produced;
use backup_core::path::{join_segments, validate_id};
use backup_core::{Error, Operation, OperationStatus, Result};
use time::OffsetDateTime;
use time::macros::format_description;
use url::Url;

use super::Client;
use super::calls::{check_origin, get_json, trigger};
use crate::VENDOR;
use crate::model::{
    JobResource, JobResourceList, JobStatus, RecoveryPointResourceList, TriggerRequest,
};
use crate::operation::{Tracking, TrackingRef, arm_time, from_job};

/// How far before the trigger's time a job may have started and still be its own: the
/// service's clock and ours may differ *(own choice)*.
pub(crate) const CLOCK_SKEW: Duration = Duration::from_secs(5 * 60);

/// How far back the job list is read when looking for a lost trigger's backup: a
/// backup still running that started earlier than this is not found *(own choice)*.
pub(crate) const LOOKBACK: Duration = Duration::from_secs(24 * 3600);

/// At most this many pages of the job list are read *(own choice)*.
const MAX_JOB_PAGES: usize = 10;

/// When the job list shows no job yet while the trigger was sent less than [`RECENT`]
/// ago (its async operation may not have created the job), or after Azure refused a
/// second backup as "in progress", the list is read this many more times: at once,
/// then [`RELIST_EVERY`] apart *(own choice)*.
const RELISTS: u32 = 3;
const RELIST_EVERY: Duration = Duration::from_secs(2);

/// A trigger sent less than this long ago may still be being accepted: its job is
/// looked for again before the trigger is sent *(own choice)*.
const RECENT: Duration = Duration::from_secs(2 * 60);

/// A recovery point belongs to the job that ran when it was taken: from this long
/// before the job's start to this long after its end *(own choice)*.
const RECOVERY_POINT_MARGIN: Duration = Duration::from_secs(2 * 60);

/// `yyyy-MM-dd hh:mm:ss tt` in UTC: the form the `$filter` of the job and recovery
/// point lists takes (the Azure CLI's backup module, the spec's example
/// `startTime eq '2016-01-01 00:00:00 AM'`).
pub(crate) fn filter_time(value: OffsetDateTime) -> String {
    let format = format_description!(
        "[year]-[month]-[day] [hour repr:12]:[minute]:[second] [period case:upper]"
    );
    value
        .to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_default()
}

/// `url` with `api-version` and `$filter` as its query (spaces as `%20`, as the Azure
/// SDKs send them).
fn with_filter(mut url: Url, api_version: &str, filter: &str) -> Url {
    let encoded: String = url::form_urlencoded::byte_serialize(filter.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    url.set_query(Some(&format!(
        "api-version={api_version}&$filter={encoded}"
    )));
    url
}

/// A fresh `x-ms-client-request-id`: a version 7 UUID (RFC 9562), whose first 48 bits
/// are the time it was made in Unix milliseconds, so that the id alone tells when the
/// trigger was sent.
pub(crate) fn new_client_request_id() -> String {
    let now = OffsetDateTime::now_utc();
    let millis = u64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or_default();
    let random = uuid::Uuid::new_v4();
    let mut bytes = [0_u8; 10];
    bytes.copy_from_slice(&random.as_bytes()[..10]);
    uuid::Builder::from_unix_timestamp_millis(millis, &bytes)
        .into_uuid()
        .to_string()
}

/// When a client request id made by [`new_client_request_id`] was made; `None` for any
/// other id (not a version 7 UUID).
pub(crate) fn intent_time(id: &str) -> Option<OffsetDateTime> {
    let uuid = uuid::Uuid::parse_str(id.trim()).ok()?;
    let (seconds, nanos) = uuid.get_timestamp()?.to_unix();
    let at = OffsetDateTime::from_unix_timestamp(i64::try_from(seconds).ok()?).ok()?;
    Some(at + time::Duration::nanoseconds(i64::from(nanos)))
}

/// Checks the request's `x-ms-client-request-id`: a GUID, as ARM asks.
///
/// # Errors
/// [`Error::InvalidInput`] (field `client_request_id`).
pub(crate) fn check_client_request_id(request: &TriggerRequest) -> Result<()> {
    match request.client_request_id.as_deref() {
        Some(id) if uuid::Uuid::parse_str(id).is_err() || id.trim() != id => Err(
            Error::invalid_input(VENDOR, "client_request_id", "must be a GUID (ARM's form)"),
        ),
        _ => Ok(()),
    }
}

/// What the job list says about a lost trigger.
enum Finding {
    /// Its backup (or the one it ran into), as an operation.
    Found(Box<Operation>),
    /// A backup of the item ended, and without the trigger's time it cannot be told
    /// whether the lost trigger started it.
    Ambiguous(String),
    /// No backup of the item.
    Nothing,
}

/// [`BackupClient::recover_trigger`](crate::BackupClient::recover_trigger): the job the
/// lost trigger started, from the vault's job list; when the list shows none, the
/// trigger is sent (nothing started) and an "in progress" refusal sends the list read
/// again.
pub(super) async fn recover(client: &Client, request: &TriggerRequest) -> Result<Recovered> {
    request.item.validate()?;
    check_client_request_id(request)?;
    let intent = request.client_request_id.as_deref().and_then(intent_time);
    let recent = intent.is_some_and(|at| OffsetDateTime::now_utc() - at < RECENT);
    let mut finding = find(client, request, intent).await?;
    if recent && matches!(finding, Finding::Nothing) {
        finding = relist(client, request, intent).await?;
    }
    match finding {
        Finding::Found(operation) => return Ok(ended(client, *operation).await),
        Finding::Ambiguous(what) => return Ok(Recovered::Unknown(what)),
        Finding::Nothing => {}
    }
    let refusal = match trigger(client, request).await {
        Ok(operation) => return Ok(Recovered::Operations(vec![operation])),
        Err(error) => match in_progress_code(&error) {
            Some(code) => code,
            None => return Err(error),
        },
    };
    match relist(client, request, intent).await? {
        Finding::Found(operation) => Ok(ended(client, *operation).await),
        Finding::Ambiguous(what) => Ok(Recovered::Unknown(what)),
        Finding::Nothing => Ok(Recovered::Unknown(format!(
            "Azure refuses a backup of item {} in vault {} ({refusal}: another operation on \
             the item is in progress), and the vault's job list shows no backup job of it: \
             check the vault's Backup jobs before triggering again",
            request.item.item, request.item.vault
        ))),
    }
}

/// A found job as the recovery's answer: one that already ended well is completed with
/// what it made ([`produced`]: a waiter given an ended operation reads nothing more); a
/// failure to read that is a warning.
async fn ended(client: &Client, operation: Operation) -> Recovered {
    let operation = if operation.status.is_success() {
        match produced(client, &operation).await {
            Ok(read) => read,
            Err(error) => {
                let mut operation = operation;
                operation
                    .warnings
                    .push(format!("could not read what the backup made: {error}"));
                operation
            }
        }
    } else {
        operation
    };
    Recovered::Operations(vec![operation])
}

/// Reads the job list [`RELISTS`] more times (at once, then [`RELIST_EVERY`] apart)
/// until it shows something.
async fn relist(
    client: &Client,
    request: &TriggerRequest,
    intent: Option<OffsetDateTime>,
) -> Result<Finding> {
    for attempt in 0..RELISTS {
        if attempt > 0 {
            tokio::time::sleep(RELIST_EVERY).await;
        }
        let finding = find(client, request, intent).await?;
        if !matches!(finding, Finding::Nothing) {
            return Ok(finding);
        }
    }
    Ok(Finding::Nothing)
}

/// The error code of an "operation in progress" refusal.
fn in_progress_code(error: &Error) -> Option<String> {
    error
        .api()
        .and_then(|api| api.code.as_deref())
        .filter(|code| crate::error::is_in_progress_code(code))
        .map(str::to_owned)
}

/// Reads the vault's backup jobs of the item's kind from [`LOOKBACK`] before the
/// trigger's time (or now) and picks the lost trigger's: the job whose `activityId` is
/// the trigger's client request id; else the earliest job of the item started since the
/// trigger's time (less [`CLOCK_SKEW`]); else a job of the item still running.
async fn find(
    client: &Client,
    request: &TriggerRequest,
    intent: Option<OffsetDateTime>,
) -> Result<Finding> {
    let item = &request.item;
    let endpoint = &client.inner.endpoint;
    let vault = join_segments(VENDOR, endpoint, &item.vault_segments())?;
    let now = OffsetDateTime::now_utc();
    let from = intent.unwrap_or(now).min(now) - LOOKBACK;
    let to = now + CLOCK_SKEW;
    let mut filter = format!(
        "startTime eq '{}' and endTime eq '{}' and operation eq 'Backup'",
        filter_time(from),
        filter_time(to)
    );
    if let Some(management) = item.backup_management_type() {
        filter.push_str(&format!(" and backupManagementType eq '{management}'"));
    }
    let api_version = client.inner.api_version.as_str();
    let mut next = Some(with_filter(
        join_segments(VENDOR, &vault, &["backupJobs"])?,
        api_version,
        &filter,
    ));
    let mut jobs: Vec<JobResource> = Vec::new();
    let mut pages = 0;
    while let Some(url) = next.take() {
        check_origin(client, &url).map_err(|reason| {
            Error::invalid_input(VENDOR, "nextLink", format!("the job list's {reason}"))
        })?;
        let (page, _): (JobResourceList, _) =
            get_json(client, url, "list the vault's backup jobs").await?;
        jobs.extend(page.value);
        pages += 1;
        if pages < MAX_JOB_PAGES {
            next = page
                .next_link
                .as_deref()
                .filter(|link| !link.trim().is_empty())
                .and_then(|link| Url::parse(link).ok());
        }
    }
    let client_request_id = request.client_request_id.as_deref();
    let own: Vec<(&JobResource, String)> = jobs
        .iter()
        .filter_map(|job| Some((job, job_name(job)?)))
        .filter(|(job, _)| {
            job.properties
                .as_ref()
                .and_then(|p| p.operation.as_deref())
                .is_none_or(|operation| operation.eq_ignore_ascii_case("Backup"))
        })
        .collect();
    let by_activity = client_request_id.and_then(|id| {
        own.iter().find(|(job, _)| {
            job.properties
                .as_ref()
                .and_then(|p| p.activity_id.as_deref())
                .is_some_and(|activity| {
                    activity
                        .get(..id.len())
                        .is_some_and(|head| head.eq_ignore_ascii_case(id))
                })
        })
    });
    if let Some((job, name)) = by_activity {
        return found(
            client,
            request,
            job,
            name,
            "its activityId is the trigger's x-ms-client-request-id",
        );
    }
    let of_item: Vec<&(&JobResource, String)> = own
        .iter()
        .filter(|(job, _)| is_of_item(job, request))
        .collect();
    let started = |job: &JobResource| {
        job.properties
            .as_ref()
            .and_then(|p| p.start_time.as_deref())
            .and_then(arm_time)
    };
    if let Some(intent) = intent {
        let since = intent - CLOCK_SKEW;
        let after = of_item
            .iter()
            .filter_map(|entry| Some((started(entry.0)?, entry)))
            .filter(|(at, _)| *at >= since)
            .min_by_key(|(at, _)| *at);
        if let Some((_, (job, name))) = after {
            return found(
                client,
                request,
                job,
                name,
                "it is the first backup job of the item started after the trigger was sent",
            );
        }
    }
    let running = of_item.iter().find(|(job, _)| {
        job.properties
            .as_ref()
            .and_then(|p| p.status.as_ref())
            .is_some_and(|status| matches!(status, JobStatus::InProgress | JobStatus::Cancelling))
    });
    if let Some((job, name)) = running {
        return found(
            client,
            request,
            job,
            name,
            "it is the backup of the item in progress, which a second trigger runs into",
        );
    }
    if intent.is_none()
        && let Some((job, name)) = of_item.iter().max_by_key(|entry| started(entry.0))
    {
        let when = started(job)
            .map(backup_core::timefmt::format_rfc3339)
            .unwrap_or_else(|| "an unknown time".to_owned());
        return Ok(Finding::Ambiguous(format!(
            "backup job {name} of item {} started at {when} and has ended; the trigger's \
             time was not recorded (no client request id), so whether the lost trigger \
             started it cannot be told: check it in vault {} before triggering again",
            request.item.item, request.item.vault
        )));
    }
    Ok(Finding::Nothing)
}

/// The job's id: `name`, else the last segment of `id`; `None` when it cannot be a path
/// segment.
fn job_name(job: &JobResource) -> Option<String> {
    let name = job.name.clone().or_else(|| {
        job.id
            .as_deref()
            .and_then(|id| id.rsplit('/').next())
            .map(str::to_owned)
    })?;
    validate_id(VENDOR, "job_id", &name).ok().map(|()| name)
}

/// Whether `job` is of the request's item: its `entityFriendlyName` is the item's
/// friendly name and, where the job names one, its `containerName` is the item's
/// container (with or without its leading kind, `IaasVMContainer;`).
fn is_of_item(job: &JobResource, request: &TriggerRequest) -> bool {
    let Some(properties) = job.properties.as_ref() else {
        return false;
    };
    let item = &request.item;
    let entity = properties
        .entity_friendly_name
        .as_deref()
        .is_some_and(|name| name.trim().eq_ignore_ascii_case(item.friendly_name()));
    let container = properties.container_name.as_deref().is_none_or(|name| {
        let short = item
            .container
            .split_once(';')
            .map_or(item.container.as_str(), |(_, rest)| rest);
        name.eq_ignore_ascii_case(&item.container) || name.eq_ignore_ascii_case(short)
    });
    entity && container
}

/// The operation of a job found in the list, referenced by the item and the job.
fn found(
    client: &Client,
    request: &TriggerRequest,
    job: &JobResource,
    name: &str,
    why: &str,
) -> Result<Finding> {
    let item = join_segments(
        VENDOR,
        &client.inner.endpoint,
        &request.item.item_segments(),
    )?;
    let reference = TrackingRef::for_job(item, name)?.to_reference();
    let mut operation = from_job(reference, job, name);
    if operation.message.is_none() {
        operation.message = Some(format!(
            "found backup job {name} in the vault's job list: {why}"
        ));
    }
    Ok(Finding::Found(Box::new(operation)))
}

/// [`BackupClient::produced`](crate::BackupClient::produced): after a job ended well,
/// the recovery point it made, from the item's recovery points taken while it ran
/// (one request, no paging); its size when the job gave none.
pub(super) async fn produced(client: &Client, operation: &Operation) -> Result<Operation> {
    let mut operation = operation.clone();
    let done = matches!(
        operation.status,
        OperationStatus::Succeeded | OperationStatus::SucceededWithWarnings
    );
    if !done
        || client.tracking != Tracking::Job
        || operation
            .produced
            .iter()
            .any(|p| p.kind == "recovery_point")
    {
        return Ok(operation);
    }
    let tracking = TrackingRef::from_reference(&operation.reference)?;
    let (Some(_), Some(item), Some(started)) =
        (&tracking.job_id, tracking.item_url(), operation.started_at)
    else {
        return Ok(operation);
    };
    check_origin(client, &item)
        .map_err(|reason| Error::invalid_input(VENDOR, "reference", reason))?;
    let ended = operation
        .finished_at
        .unwrap_or_else(OffsetDateTime::now_utc);
    let from = started - RECOVERY_POINT_MARGIN;
    let to = ended.max(started) + RECOVERY_POINT_MARGIN;
    let filter = format!(
        "startDate eq '{}' and endDate eq '{}'",
        filter_time(from),
        filter_time(to)
    );
    let url = with_filter(
        join_segments(VENDOR, &item, &["recoveryPoints"])?,
        client.inner.api_version.as_str(),
        &filter,
    );
    let (points, _): (RecoveryPointResourceList, _) =
        get_json(client, url, "list the item's recovery points").await?;
    let made = points
        .value
        .iter()
        .filter_map(|point| {
            let properties = point.properties.as_ref()?;
            let at = properties.time().and_then(arm_time)?;
            let name = point.name.clone().or_else(|| {
                point
                    .id
                    .as_deref()
                    .and_then(|id| id.rsplit('/').next())
                    .map(str::to_owned)
            })?;
            (at >= from && at <= to).then_some((at, name, properties.recovery_point_size_in_gb))
        })
        .min_by_key(|(at, _, _)| (*at - started).abs());
    if let Some((_, name, size_gb)) = made {
        operation
            .produced
            .push(Produced::new("recovery_point", name));
        if operation.size_bytes.is_none() {
            operation.size_bytes = size_gb
                .and_then(|gb| u64::try_from(gb).ok())
                .and_then(|gb| gb.checked_mul(1024 * 1024 * 1024));
        }
    }
    Ok(operation)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_request_ids_carry_their_time() {
        let before = OffsetDateTime::now_utc() - time::Duration::milliseconds(1);
        let id = new_client_request_id();
        let made = intent_time(&id);
        assert!(
            made.is_some_and(|at| at >= before && at <= OffsetDateTime::now_utc()),
            "{id}"
        );
        assert_ne!(id, new_client_request_id());
        // A version 4 GUID (any other caller's id) carries no time.
        assert_eq!(intent_time("7df8e874-1d66-4f81-8e91-da2fe054811d"), None);
        assert_eq!(intent_time("nope"), None);
    }

    #[test]
    fn filter_times_are_twelve_hour_utc() {
        assert_eq!(
            filter_time(time::macros::datetime!(2016-01-01 00:00 UTC)),
            "2016-01-01 12:00:00 AM"
        );
        assert_eq!(
            filter_time(time::macros::datetime!(2026-12-02 13:05:09 +01:00)),
            "2026-12-02 12:05:09 PM"
        );
        let url = with_filter(
            Url::parse("https://h/v/backupJobs").unwrap_or_else(|_| unreachable!()),
            "2026-10-01",
            "operation eq 'Backup'",
        );
        assert_eq!(
            url.query(),
            Some("api-version=2026-10-01&$filter=operation%20eq%20%27Backup%27")
        );
    }
}
