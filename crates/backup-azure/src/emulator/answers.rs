//! The emulator's answers in Azure's shapes: `CloudError`, the async-operation status
//! and the backup job.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use backup_core::emulator::{Lifecycle, Outcome, Phase, random_hex};
use backup_core::timefmt::format_rfc3339;
use serde_json::{Value, json};

use super::state::BackupJob;

/// The `endTime` of an operation that has not ended: .NET's `DateTime.MinValue`, as
/// ARM writes it.
pub(crate) const NOT_ENDED: &str = "0001-01-01T00:00:00Z";

/// A GUID-shaped random id (`8-4-4-4-12` lower-case hex digits).
pub(crate) fn guid() -> String {
    let hex = random_hex(32);
    let part = |range: std::ops::Range<usize>| hex.get(range).unwrap_or("0").to_owned();
    format!(
        "{}-{}-{}-{}-{}",
        part(0..8),
        part(8..12),
        part(12..16),
        part(16..20),
        part(20..32)
    )
}

/// A JSON answer.
pub(crate) fn json_answer(status: StatusCode, body: &Value) -> Response {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

/// ARM's `CloudError` answer.
pub(crate) fn cloud_error(status: StatusCode, code: &str, message: &str) -> Response {
    json_answer(status, &cloud_error_body(code, message))
}

/// A `400 Bad Request` with ARM's `CloudError`.
pub(crate) fn bad_request(code: &str, message: &str) -> Response {
    cloud_error(StatusCode::BAD_REQUEST, code, message)
}

/// ARM's `CloudError` body.
pub(crate) fn cloud_error_body(code: &str, message: &str) -> Value {
    json!({ "error": { "code": code, "message": message } })
}

/// The `CloudError` a refused request (an injected fault) answers with.
pub(crate) fn fault_body(status: StatusCode) -> (&'static str, String) {
    let (code, message) = match status.as_u16() {
        429 => (
            "TooManyRequests",
            "The request is being throttled as the limit has been reached for operation type - Write.",
        ),
        500 => (
            "InternalServerError",
            "The server encountered an internal error.",
        ),
        502 => ("BadGateway", "The gateway did not receive a valid answer."),
        503 => ("ServiceUnavailable", "The service is unavailable now."),
        504 => ("GatewayTimeout", "The gateway timed out."),
        413 => ("RequestEntityTooLarge", "The request content is too large."),
        _ => ("Error", "The request failed."),
    };
    (
        "application/json",
        cloud_error_body(code, message).to_string(),
    )
}

/// A failure reason `Code: message` split in two; without a code, `default_code`.
pub(crate) fn split_reason<'a>(reason: &'a str, default_code: &'a str) -> (&'a str, &'a str) {
    match reason.split_once(": ") {
        Some((code, message)) if !code.is_empty() && !code.contains(' ') => (code, message),
        _ => (default_code, reason),
    }
}

/// The async operation's status answer for `phase`.
pub(crate) fn operation_status(
    op_id: &str,
    phase: &Phase,
    life: &Lifecycle,
    job_id: &str,
) -> Value {
    let (status, error, properties) = match phase {
        Phase::Queued | Phase::Running { .. } | Phase::Cancelling => ("InProgress", None, None),
        Phase::Done(Outcome::Success | Outcome::Warning) => (
            "Succeeded",
            None,
            Some(json!({ "objectType": "OperationStatusJobExtendedInfo", "jobId": job_id })),
        ),
        Phase::Done(Outcome::Failure { reason }) => {
            let (code, message) = split_reason(reason, "UserErrorTriggerBackupFailed");
            (
                "Failed",
                Some(json!({ "code": code, "message": message })),
                None,
            )
        }
        Phase::Done(Outcome::Cancelled) => ("Canceled", None, None),
    };
    let mut body = json!({
        "id": op_id,
        "name": op_id,
        "status": status,
        "startTime": format_rfc3339(life.created_at()),
        // ARM's "no end yet": .NET's DateTime.MinValue.
        "endTime": NOT_ENDED,
    });
    if let Some(end) = life.finished_at() {
        body["endTime"] = json!(format_rfc3339(end));
    }
    if let Some(error) = error {
        body["error"] = error;
    }
    if let Some(properties) = properties {
        body["properties"] = properties;
    }
    body
}

/// The job's answer (`JobResource`) for `phase`, `size_mb` its `Backup Size` once
/// completed. Fields as Microsoft's examples show them: `duration` in ISO 8601 (the
/// spec's `GetJobDetails`), `Backup Size` in the property bag ("track jobs" tutorial),
/// `activityId` the trigger's `x-ms-client-request-id`, `containerName` and
/// `isUserTriggered` of `AzureIaaSVMJob`; a failed job's `errorDetails` carry
/// `recommendations`, and so does the one warning of a job completed with warnings.
pub(crate) fn job_resource(
    id: &str,
    job_id: &str,
    job: &BackupJob,
    phase: &Phase,
    size_mb: u64,
) -> Value {
    let (status, errors) = match phase {
        Phase::Queued | Phase::Running { .. } => ("InProgress", None),
        Phase::Cancelling => ("Cancelling", None),
        Phase::Done(Outcome::Success) => ("Completed", None),
        Phase::Done(Outcome::Warning) => (
            "CompletedWithWarnings",
            Some(json!([{
                "errorCode": 400_111,
                "errorString": "Backup completed with warnings: some files were skipped.",
                "errorTitle": "UserErrorBackupCompletedWithWarnings",
                "recommendations": ["Check the skipped files and back up again."],
            }])),
        ),
        Phase::Done(Outcome::Failure { reason }) => {
            let (code, message) = split_reason(reason, "UserErrorBackupFailed");
            (
                "Failed",
                Some(json!([{
                    "errorCode": 400_000,
                    "errorString": message,
                    "errorTitle": code,
                    "recommendations": ["Retry the operation after some time."],
                }])),
            )
        }
        Phase::Done(Outcome::Cancelled) => ("Cancelled", None),
    };
    let life = &job.life;
    let started = job_started_at(job);
    let elapsed = life
        .finished_at()
        .unwrap_or_else(time::OffsetDateTime::now_utc)
        - started;
    let task_status = if phase.is_terminal() {
        status
    } else {
        "InProgress"
    };
    let completed = matches!(phase, Phase::Done(Outcome::Success | Outcome::Warning));
    let mut bag = json!({});
    if completed {
        bag["Backup Size"] = json!(format!("{size_mb} MB"));
    }
    let mut properties = json!({
        "jobType": job.kind.job_type(),
        "entityFriendlyName": job.friendly_name,
        "backupManagementType": job.kind.management_type(),
        "operation": "Backup",
        "status": status,
        "startTime": format_rfc3339(started),
        "activityId": job.activity_id,
        "duration": iso_duration(elapsed),
        "isUserTriggered": true,
        "actionsInfo": if phase.is_terminal() { json!([]) } else { json!(["Cancellable"]) },
        "extendedInfo": {
            "tasksList": [
                { "taskId": "Take Snapshot", "status": task_status },
                { "taskId": "Transfer data to vault", "status": task_status },
            ],
            "propertyBag": bag,
            "progressPercentage": f64::from(phase.progress()),
        },
    });
    if job.kind == super::options::ItemKind::IaasVm {
        properties["virtualMachineVersion"] = json!("Compute");
        let container = job
            .container
            .split_once(';')
            .map_or(job.container.as_str(), |(_, rest)| rest);
        properties["containerName"] = json!(container);
    }
    if let Some(end) = life.finished_at() {
        properties["endTime"] = json!(format_rfc3339(end));
    }
    if let Some(errors) = errors {
        properties["errorDetails"] = errors;
    }
    json!({
        "id": id,
        "name": job_id,
        "type": "Microsoft.RecoveryServices/vaults/backupJobs",
        "properties": properties,
    })
}

/// When the job started (when it was accepted, if it has not run yet).
pub(crate) fn job_started_at(job: &BackupJob) -> time::OffsetDateTime {
    job.life
        .started_at()
        .unwrap_or_else(|| job.life.created_at())
}

/// An ISO 8601 duration (`PT12.5S`), as ARM serialises a `TimeSpan`.
fn iso_duration(elapsed: time::Duration) -> String {
    let millis = elapsed.whole_milliseconds().max(0);
    format!("PT{}.{:03}S", millis / 1000, millis % 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_have_the_shape() {
        let id = guid();
        assert_eq!(id.len(), 36);
        assert_eq!(id.matches('-').count(), 4);
    }

    #[test]
    fn reasons_split_on_a_code() {
        assert_eq!(
            split_reason("UserErrorVmNotFound: gone", "X"),
            ("UserErrorVmNotFound", "gone")
        );
        assert_eq!(
            split_reason("disk full: sorry", "X"),
            ("X", "disk full: sorry")
        );
        assert_eq!(
            iso_duration(time::Duration::milliseconds(12_500)),
            "PT12.500S"
        );
    }
}
