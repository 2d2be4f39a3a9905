//! The backup job endpoints: read, cancel, and the cancel's operation result.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use backup_core::path::join_segments;

use super::answers::{bad_request, cloud_error, guid, job_resource, json_answer};
use super::state::{BackupJob, Data, State, VaultKey};

/// The lower-case key of a vault's names.
pub(crate) fn vault_key(vault: &[String; 3]) -> VaultKey {
    (
        vault[0].to_ascii_lowercase(),
        vault[1].to_ascii_lowercase(),
        vault[2].to_ascii_lowercase(),
    )
}

/// ARM's 404 for a vault it does not know.
pub(crate) fn vault_not_found(vault: &[String; 3]) -> Response {
    cloud_error(
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
        &format!(
            "The Resource 'Microsoft.RecoveryServices/vaults/{}' under resource group '{}' was not found.",
            vault[2], vault[1]
        ),
    )
}

/// The job's resource id, as ARM writes it.
pub(crate) fn job_resource_id(vault: &[String; 3], job_id: &str) -> String {
    format!(
        "/Subscriptions/{}/resourceGroups/{}/providers/Microsoft.RecoveryServices/vaults/{}/backupJobs/{job_id}",
        vault[0], vault[1], vault[2]
    )
}

/// The job `job_id` of `vault`, once its async operation succeeded; else the answer.
fn find_job<'d>(
    data: &'d mut Data,
    vault: &[String; 3],
    job_id: &str,
) -> Result<&'d mut BackupJob, Box<Response>> {
    let key = vault_key(vault);
    if !data.vaults.contains(&key) {
        return Err(Box::new(vault_not_found(vault)));
    }
    let job_key = job_id.to_ascii_lowercase();
    // A job exists once its async operation succeeded.
    let started = data
        .jobs
        .get(&job_key)
        .is_some_and(|job| job.vault == key && data.job_started(job));
    data.jobs
        .get_mut(&job_key)
        .filter(|_| started)
        .ok_or_else(|| {
            Box::new(cloud_error(
                StatusCode::NOT_FOUND,
                "BMSUserErrorJobNotFound",
                &format!("Job '{job_id}' was not found."),
            ))
        })
}

/// `POST .../backupJobs/{job}/cancel`: `202` with a `Location` naming the cancel's
/// operation result (`.../backupJobs/{job}/operationResults/{op}`, `JobCancellations -
/// Trigger`: "to know the status of the cancellation, call GetCancelOperationResult")
/// and `Retry-After`.
pub(crate) fn cancel_job(
    state: &State,
    vault: &[String; 3],
    job_id: &str,
    api_version: &str,
) -> Response {
    let mut data = state.lock();
    let retry_after = data.retry_after.as_secs();
    let job = match find_job(&mut data, vault, job_id) {
        Ok(job) => job,
        Err(refusal) => return *refusal,
    };
    if !job.life.request_cancel() {
        return bad_request(
            "BMSUserErrorJobNotCancellable",
            "The job cannot be cancelled: it has already ended or is being cancelled.",
        );
    }
    let op_id = guid();
    let location = state.base().and_then(|base| {
        let mut url = join_segments(
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
                job_id,
                "operationResults",
                &op_id,
            ],
        )
        .ok()?;
        url.query_pairs_mut()
            .append_pair("api-version", api_version);
        Some(url)
    });
    data.cancellations
        .insert(op_id, job_id.to_ascii_lowercase());
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::ACCEPTED;
    let headers = response.headers_mut();
    headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    if let Some(value) = location.and_then(|url| HeaderValue::from_str(url.as_str()).ok()) {
        headers.insert(header::LOCATION, value);
    }
    response
}

/// `GET .../backupJobs/{job}/operationResults/{op}`: `202` (with `Retry-After`) while
/// the cancelled job has not ended, `204` once it has (it is observed, as a poll of
/// the job would).
pub(crate) fn read_cancel_result(
    state: &State,
    vault: &[String; 3],
    job_id: &str,
    op_id: &str,
) -> Response {
    let mut data = state.lock();
    let retry_after = data.retry_after.as_secs();
    let known = data
        .cancellations
        .get(&op_id.to_ascii_lowercase())
        .is_some_and(|job| job.eq_ignore_ascii_case(job_id));
    if !known {
        return cloud_error(
            StatusCode::NOT_FOUND,
            "BMSUserErrorOperationNotFound",
            &format!("Operation '{op_id}' was not found."),
        );
    }
    let job = match find_job(&mut data, vault, job_id) {
        Ok(job) => job,
        Err(refusal) => return *refusal,
    };
    let mut response = Response::new(Body::empty());
    if job.life.observe().is_terminal() {
        *response.status_mut() = StatusCode::NO_CONTENT;
    } else {
        *response.status_mut() = StatusCode::ACCEPTED;
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    }
    response
}

pub(crate) fn read_job(state: &State, vault: &[String; 3], job_id: &str) -> Response {
    let mut data = state.lock();
    let size_mb = data.backup_size_mb;
    let job = match find_job(&mut data, vault, job_id) {
        Ok(job) => job,
        Err(refusal) => return *refusal,
    };
    let phase = job.life.observe();
    let id = job_resource_id(vault, job_id);
    json_answer(
        StatusCode::OK,
        &job_resource(&id, job_id, job, &phase, size_mb),
    )
}
