//! `POST JobDetails` (`{"jobId": N}`): `{"job": {"jobDetail": {...}}}`, the fields of the
//! API reference's *Get Job Details* (and what cvpysdk's `Job` reads: `progressInfo`,
//! `detailInfo`, `clientStatusInfo.vmStatus`); a refusal comes as
//! `{"error": {"errList": [{"errorCode", "errLogMessage"}]}}` (the form cvpysdk reads).

use serde::{Deserialize, Serialize};

use backup_core::lenient;

/// The body of `POST JobDetails`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobDetailsRequest {
    /// `jobId`: the job.
    pub job_id: u64,
}

/// The answer to `POST JobDetails`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct JobDetailsResponse {
    /// `job`, when the job was found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<JobDetailsJob>,
    /// `error`, when it was not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<DetailsError>,
}

/// `job`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct JobDetailsJob {
    /// `jobDetail`.
    #[serde(default)]
    pub job_detail: JobDetail,
}

/// `jobDetail`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct JobDetail {
    /// `generalInfo`.
    #[serde(default)]
    pub general_info: GeneralInfo,
    /// `detailInfo`.
    #[serde(default)]
    pub detail_info: DetailInfo,
    /// `progressInfo`.
    #[serde(default)]
    pub progress_info: ProgressInfo,
    /// `clientStatusInfo` (per-VM results of a Virtual Server job).
    #[serde(default)]
    pub client_status_info: ClientStatusInfo,
}

/// `generalInfo`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct GeneralInfo {
    /// `jobId`.
    #[serde(
        default,
        deserialize_with = "lenient::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub job_id: Option<String>,
    /// `totalNumOfFiles` (`-999` when not known).
    #[serde(
        default,
        deserialize_with = "lenient::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_num_of_files: Option<i64>,
    /// `taskData`: the task that started the job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_data: Option<TaskData>,
}

/// `taskData`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct TaskData {
    /// `taskId`.
    #[serde(
        default,
        deserialize_with = "lenient::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub task_id: Option<String>,
}

/// `detailInfo`: what the job read and wrote (sizes are sent as text or numbers).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DetailInfo {
    /// `sizeOfApplication`, bytes.
    #[serde(
        default,
        deserialize_with = "lenient::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub size_of_application: Option<i64>,
    /// `sizeOfMediaOnDisk`, bytes.
    #[serde(
        default,
        deserialize_with = "lenient::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub size_of_media_on_disk: Option<i64>,
    /// `numOfObjects`.
    #[serde(
        default,
        deserialize_with = "lenient::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub num_of_objects: Option<i64>,
    /// `skippedItems`: items the job skipped.
    #[serde(
        default,
        deserialize_with = "lenient::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub skipped_items: Option<i64>,
    /// `startTime`, Unix seconds.
    #[serde(
        default,
        deserialize_with = "lenient::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub start_time: Option<i64>,
    /// `endTime`, Unix seconds.
    #[serde(
        default,
        deserialize_with = "lenient::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub end_time: Option<i64>,
}

/// `progressInfo`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ProgressInfo {
    /// `state`: the job's status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// `reasonForJobDelay`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_for_job_delay: Option<String>,
}

/// `clientStatusInfo`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ClientStatusInfo {
    /// `vmStatus`: one entry per virtual machine of the job.
    #[serde(default)]
    pub vm_status: Vec<VmStatus>,
}

/// One `vmStatus` entry (the keys cvpysdk's `Job.get_vm_list` lists).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VmStatus {
    /// `vmName`.
    #[serde(rename = "vmName", default, skip_serializing_if = "Option::is_none")]
    pub vm_name: Option<String>,
    /// `GUID`.
    #[serde(rename = "GUID", default, skip_serializing_if = "Option::is_none")]
    pub guid: Option<String>,
    /// `Status` (a number).
    #[serde(
        rename = "Status",
        default,
        deserialize_with = "lenient::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub status: Option<i64>,
    /// `Size`, bytes.
    #[serde(
        rename = "Size",
        default,
        deserialize_with = "lenient::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub size: Option<i64>,
    /// `FailureReason`.
    #[serde(
        rename = "FailureReason",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub failure_reason: Option<String>,
}

/// `error` of a refused `JobDetails`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DetailsError {
    /// `errList`.
    #[serde(default)]
    pub err_list: Vec<DetailsErrorEntry>,
}

/// One `errList` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DetailsErrorEntry {
    /// `errorCode`.
    #[serde(
        default,
        deserialize_with = "lenient::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub error_code: Option<String>,
    /// `errLogMessage`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub err_log_message: Option<String>,
}
