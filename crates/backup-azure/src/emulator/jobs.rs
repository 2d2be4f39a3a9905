//! The backup job endpoints: read and cancel.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use backup_core::emulator::{Outcome, Phase};

use super::answers::{bad_request, cloud_error, job_resource, json_answer};
use super::state::{BackupJob, Data, State};

/// The job `job_id` of `vault`, once its async operation succeeded; else the answer.
fn find_job<'d>(
    data: &'d mut Data,
    vault: &[String; 3],
    job_id: &str,
) -> Result<&'d mut BackupJob, Box<Response>> {
    let key = (
        vault[0].to_ascii_lowercase(),
        vault[1].to_ascii_lowercase(),
        vault[2].to_ascii_lowercase(),
    );
    if !data.vaults.contains(&key) {
        return Err(Box::new(cloud_error(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            &format!(
                "The Resource 'Microsoft.RecoveryServices/vaults/{}' under resource group '{}' was not found.",
                vault[2], vault[1]
            ),
        )));
    }
    let job_key = job_id.to_ascii_lowercase();
    // A job exists once its async operation succeeded.
    let started = data.jobs.get(&job_key).is_some_and(|job| {
        job.vault == key
            && data.operations.get(&job.operation_id).is_some_and(|op| {
                matches!(
                    op.life.peek(),
                    Phase::Done(Outcome::Success | Outcome::Warning)
                )
            })
    });
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

pub(crate) fn cancel_job(state: &State, vault: &[String; 3], job_id: &str) -> Response {
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
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::ACCEPTED;
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    response
}

pub(crate) fn read_job(state: &State, vault: &[String; 3], job_id: &str) -> Response {
    let mut data = state.lock();
    let job = match find_job(&mut data, vault, job_id) {
        Ok(job) => job,
        Err(refusal) => return *refusal,
    };
    let phase = job.life.observe();
    let id = format!(
        "/Subscriptions/{}/resourceGroups/{}/providers/Microsoft.RecoveryServices/vaults/{}/backupJobs/{job_id}",
        vault[0], vault[1], vault[2]
    );
    json_answer(StatusCode::OK, &job_resource(&id, job_id, job, &phase))
}
