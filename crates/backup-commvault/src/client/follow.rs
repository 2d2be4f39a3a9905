//! Following a job beyond one read: the grace for a job not visible yet, what a job
//! produced (`JobDetails`), and finding the job a lost `CreateTask` started.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use backup_core::contract::{BackupClient, Recovered};
use backup_core::operation::{OperationItem, Produced};
use backup_core::{ApiErrorKind, Error, Operation, OperationStatus, Result, VendorError};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::Client;
use crate::model::details::{JobDetail, VmStatus};
use crate::model::job::JobSummary;
use crate::model::task::TriggerRequest;
use crate::operation::{PRODUCED_JOB, operation_from_summary};

/// How many reads in a row may find no job (`{"totalRecordsWithoutPaging":0}`) while a
/// job just started was never read, before the `NotFound` is final: 5, a poller's first
/// half minute or so with the default intervals (cvpysdk's `Job` retries such a read for
/// longer still).
pub const UNSEEN_JOB_READS: u32 = 5;

/// The jobs read without being found, by id, with how many such reads in a row.
#[derive(Debug, Default)]
pub(crate) struct Unseen(Mutex<HashMap<String, u32>>);

impl Unseen {
    /// Counts one more read that found nothing; whether it is within the grace.
    fn tolerate(&self, job_id: &str) -> bool {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let count = map.entry(job_id.to_owned()).or_default();
        *count = count.saturating_add(1);
        let within = *count <= UNSEEN_JOB_READS;
        if !within {
            map.remove(job_id);
        }
        within
    }

    fn forget(&self, job_id: &str) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(job_id);
    }
}

/// [`BackupClient::refresh`] for Commvault (see there).
pub(super) async fn refresh(client: &Client, operation: &Operation) -> Result<Operation> {
    let id = operation.reference.id.as_str();
    match client.status(&operation.reference).await {
        Ok(next) => {
            client.unseen.forget(id);
            Ok(next)
        }
        Err(error)
            if operation.vendor_status.is_none()
                && error
                    .api()
                    .is_some_and(|api| api.kind == ApiErrorKind::NotFound)
                && client.unseen.tolerate(id) =>
        {
            tracing::debug!(
                vendor = crate::VENDOR,
                job = id,
                "the job is not listed yet; reading it again"
            );
            Ok(operation.clone())
        }
        Err(error) => {
            client.unseen.forget(id);
            Err(error)
        }
    }
}

fn non_negative(value: Option<i64>) -> Option<u64> {
    value.and_then(|v| u64::try_from(v).ok())
}

/// One item per VM of a Virtual Server job: its status (failed when it has a
/// `FailureReason`, else the job's), size and error.
fn vm_item(vm: &VmStatus, job_status: OperationStatus) -> Option<OperationItem> {
    let name = vm
        .vm_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    let id = vm
        .guid
        .as_deref()
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .or(name)?;
    let failure = vm
        .failure_reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let status = if failure.is_some() {
        OperationStatus::Failed
    } else {
        job_status
    };
    Some(
        OperationItem::new(id, status)
            .with_name(name.map(str::to_owned))
            .with_size(non_negative(vm.size))
            .with_error(failure.map(|reason| VendorError {
                request_id: None,
                code: None,
                message: reason.to_owned(),
            })),
    )
}

/// `operation` completed with what `detail` adds.
pub(crate) fn with_details(operation: &Operation, detail: &JobDetail) -> Operation {
    let info = &detail.detail_info;
    let size = operation.size_bytes.or_else(|| {
        non_negative(info.size_of_application).or_else(|| non_negative(info.size_of_media_on_disk))
    });
    let mut warnings = operation.warnings.clone();
    if let Some(skipped) = non_negative(info.skipped_items).filter(|n| *n > 0) {
        let text = if skipped == 1 {
            "1 item was skipped".to_owned()
        } else {
            format!("{skipped} items were skipped")
        };
        if !warnings.contains(&text) {
            warnings.push(text);
        }
    }
    let vms: Vec<OperationItem> = detail
        .client_status_info
        .vm_status
        .iter()
        .filter_map(|vm| vm_item(vm, operation.status))
        .collect();
    let items = if vms.is_empty() {
        operation.items.clone()
    } else {
        vms
    };
    let mut produced = operation.produced.clone();
    let job = Produced::new(PRODUCED_JOB, operation.reference.id.clone());
    if operation.status.is_success() && !produced.contains(&job) {
        produced.push(job);
    }
    operation
        .clone()
        .with_size(size)
        .with_warnings(warnings)
        .with_items(items)
        .with_produced(produced)
}

/// [`BackupClient::produced`] for Commvault (see there).
pub(super) async fn produced(client: &Client, operation: &Operation) -> Result<Operation> {
    Client::check_reference(&operation.reference)?;
    let detail = client.job_details(&operation.reference.id).await?;
    Ok(with_details(operation, &detail))
}

/// [`BackupClient::idempotency_key`] for Commvault (see there).
pub(super) fn trigger_time_key(request: &mut TriggerRequest, key: Option<&str>) -> Option<String> {
    let time = match key {
        Some(key) => OffsetDateTime::parse(key.trim(), &Rfc3339).ok(),
        None => Some(OffsetDateTime::now_utc()),
    }
    .and_then(|t| t.replace_nanosecond(0).ok());
    request.trigger_time = time;
    match (key, time) {
        (Some(key), _) => Some(key.to_owned()),
        (None, Some(time)) => time.format(&Rfc3339).ok(),
        (None, None) => None,
    }
}

/// Extra lookback for finished jobs beyond the time since the trigger.
const LOOKUP_MARGIN_SECONDS: u64 = 3600;

fn same(wanted: Option<&str>, have: Option<&String>) -> bool {
    wanted.is_none_or(|w| have.is_some_and(|h| h.trim().eq_ignore_ascii_case(w.trim())))
}

/// Whether `summary` is a job of the subclient `request` names, started at or after
/// `since` (Unix seconds).
fn started_by(summary: &JobSummary, request: &TriggerRequest, since: i64) -> bool {
    let Some(subclient) = &summary.subclient else {
        return false;
    };
    let backup = summary
        .job_type
        .as_deref()
        .is_none_or(|t| t.trim().eq_ignore_ascii_case("backup"));
    backup
        && summary.job_start_time.is_some_and(|t| t >= since)
        && same(Some(&request.client_name), subclient.client_name.as_ref())
        && same(
            Some(&request.subclient_name),
            subclient.subclient_name.as_ref(),
        )
        && same(
            request.backupset_name.as_deref(),
            subclient.backupset_name.as_ref(),
        )
        && same(
            request.instance_name.as_deref(),
            subclient.instance_name.as_ref(),
        )
        && same(request.app_name.as_deref(), subclient.app_name.as_ref())
}

/// [`BackupClient::recover_trigger`] for Commvault (see there).
pub(super) async fn recover(client: &Client, request: &TriggerRequest) -> Result<Recovered> {
    request.validate()?;
    let what = format!(
        "subclient {:?} of client {:?}",
        request.subclient_name, request.client_name
    );
    let Some(since) = request.trigger_time else {
        return Ok(Recovered::Unknown(format!(
            "the trigger was sent without a recorded time: check the jobs of {what} in \
             the Command Center before triggering again"
        )));
    };
    let since_text = since.format(&Rfc3339).unwrap_or_default();
    let Some(client_id) = client.client_id(&request.client_name).await? else {
        return Ok(Recovered::Unknown(format!(
            "the CommServe lists no client {:?}: check the Command Center for a job of {what} \
             started after {since_text}",
            request.client_name
        )));
    };
    let elapsed = (OffsetDateTime::now_utc() - since).whole_seconds().max(0);
    let lookup = u64::try_from(elapsed)
        .unwrap_or_default()
        .saturating_add(LOOKUP_MARGIN_SECONDS);
    let jobs = client.client_jobs(&client_id, lookup).await?;
    let found: Vec<&JobSummary> = jobs
        .iter()
        .filter(|job| started_by(job, request, since.unix_timestamp()))
        .collect();
    let ids = |jobs: &[&JobSummary]| {
        jobs.iter()
            .filter_map(|j| j.job_id.as_deref())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match found.as_slice() {
        [job] => {
            let Some(id) = job
                .job_id
                .as_deref()
                .map(str::trim)
                .filter(|i| !i.is_empty())
            else {
                return Ok(Recovered::Unknown(format!(
                    "a job of {what} started after {since_text}, but the CommServe gave no id"
                )));
            };
            Client::check_reference_id(id).map_err(|_| {
                Error::invalid_input(crate::VENDOR, "job_id", format!("not a job id: {id:?}"))
            })?;
            Ok(Recovered::Operations(vec![operation_from_summary(id, job)]))
        }
        [] => Ok(Recovered::Unknown(format!(
            "no job of {what} started at or after {since_text} is listed: the trigger may not \
             have reached the CommServe, or its job is not listed yet; check the Command \
             Center before triggering again"
        ))),
        several => Ok(Recovered::Unknown(format!(
            "{} jobs of {what} started at or after {since_text} ({}): which one the lost \
             trigger started cannot be told; check them in the Command Center",
            several.len(),
            ids(several)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grace_counts_reads_in_a_row() {
        let unseen = Unseen::default();
        for _ in 0..UNSEEN_JOB_READS {
            assert!(unseen.tolerate("7"));
        }
        assert!(!unseen.tolerate("7"));
        // Counting starts again after the final NotFound, and for another job.
        assert!(unseen.tolerate("7"));
        assert!(unseen.tolerate("8"));
        unseen.forget("7");
        assert_eq!(unseen.0.lock().unwrap().get("7"), None);
    }

    #[test]
    fn the_trigger_time_is_the_key() {
        let mut request = TriggerRequest::new("c", "s");
        let key = trigger_time_key(&mut request, None).unwrap();
        let time = request.trigger_time.unwrap();
        assert_eq!(time.nanosecond(), 0);
        assert_eq!(OffsetDateTime::parse(&key, &Rfc3339).unwrap(), time);
        let mut again = TriggerRequest::new("c", "s");
        assert_eq!(
            trigger_time_key(&mut again, Some("2026-12-02T15:52:38Z")).as_deref(),
            Some("2026-12-02T15:52:38Z")
        );
        assert_eq!(again.trigger_time.unwrap().unix_timestamp(), 1_796_226_758);
        let mut bad = TriggerRequest::new("c", "s");
        assert_eq!(
            trigger_time_key(&mut bad, Some("yesterday")).as_deref(),
            Some("yesterday")
        );
        assert_eq!(bad.trigger_time, None);
    }
}
