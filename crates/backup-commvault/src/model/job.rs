//! `GET Job/{jobId}` and `GET Job?clientId=...` (the job list): `{"totalRecordsWithoutPaging":
//! N, "jobs": [{"jobSummary": {...}}]}`, the fields of the API reference's *Get List of
//! Jobs*.

use serde::{Deserialize, Serialize};

use backup_core::lenient;

/// The answer to `GET Job/{jobId}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct JobResponse {
    /// `totalRecordsWithoutPaging`: 0 when the job is unknown.
    #[serde(
        default,
        deserialize_with = "lenient::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_records_without_paging: Option<i64>,
    /// `jobs`: one entry for a known job.
    #[serde(default)]
    pub jobs: Vec<JobEntry>,
}

/// One entry of `jobs`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct JobEntry {
    /// `jobSummary`.
    #[serde(default)]
    pub job_summary: JobSummary,
}

/// `jobSummary`: where a job stands. Every field is optional; unknown ones are ignored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct JobSummary {
    /// `jobId` (a number, kept as text).
    #[serde(
        default,
        deserialize_with = "lenient::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub job_id: Option<String>,
    /// `status`: `Running`, `Completed`, `Completed w/ one or more errors` ...
    /// (see [`JobStatus`](crate::JobStatus)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// `localizedStatus`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub localized_status: Option<String>,
    /// `percentComplete` (0-100).
    #[serde(
        default,
        deserialize_with = "lenient::opt_f64",
        skip_serializing_if = "Option::is_none"
    )]
    pub percent_complete: Option<f64>,
    /// `pendingReason`: why the job waits or failed (may hold HTML-ish text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_reason: Option<String>,
    /// `jobStartTime`, Unix seconds (0: not started).
    #[serde(
        default,
        deserialize_with = "lenient::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub job_start_time: Option<i64>,
    /// `jobEndTime`, Unix seconds (0: not ended).
    #[serde(
        default,
        deserialize_with = "lenient::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub job_end_time: Option<i64>,
    /// `lastUpdateTime`, Unix seconds.
    #[serde(
        default,
        deserialize_with = "lenient::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_update_time: Option<i64>,
    /// `jobElapsedTime`, seconds.
    #[serde(
        default,
        deserialize_with = "lenient::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub job_elapsed_time: Option<i64>,
    /// `backupLevelName`: `Full`, `Incremental`, `Differential`, `Synthetic Full`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_level_name: Option<String>,
    /// `jobType`: `Backup` ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_type: Option<String>,
    /// `appTypeName`: the agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_type_name: Option<String>,
    /// `sizeOfApplication`, bytes read from the client.
    #[serde(
        default,
        deserialize_with = "lenient::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub size_of_application: Option<i64>,
    /// `sizeOfMediaOnDisk`, bytes written.
    #[serde(
        default,
        deserialize_with = "lenient::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub size_of_media_on_disk: Option<i64>,
    /// `totalNumOfFiles`.
    #[serde(
        default,
        deserialize_with = "lenient::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_num_of_files: Option<i64>,
    /// `totalFailedFiles`: files that failed during the job.
    #[serde(
        default,
        deserialize_with = "lenient::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_failed_files: Option<i64>,
    /// `totalFailedFolders`: folders that failed during the job.
    #[serde(
        default,
        deserialize_with = "lenient::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_failed_folders: Option<i64>,
    /// `percentSavings`.
    #[serde(
        default,
        deserialize_with = "lenient::opt_f64",
        skip_serializing_if = "Option::is_none"
    )]
    pub percent_savings: Option<f64>,
    /// `subclient`: what the job backs up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subclient: Option<SubclientEntity>,
}

/// `subclient` of a job summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SubclientEntity {
    /// `clientName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
    /// `instanceName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_name: Option<String>,
    /// `backupsetName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backupset_name: Option<String>,
    /// `subclientName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subclient_name: Option<String>,
    /// `appName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_name: Option<String>,
    /// `clientId`.
    #[serde(
        default,
        deserialize_with = "lenient::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub client_id: Option<String>,
    /// `subclientId`.
    #[serde(
        default,
        deserialize_with = "lenient::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub subclient_id: Option<String>,
}

impl SubclientEntity {
    /// The subclient's path, `client/instance/backupset/subclient`, with the names it
    /// has.
    #[must_use]
    pub fn path(&self) -> String {
        [
            &self.client_name,
            &self.instance_name,
            &self.backupset_name,
            &self.subclient_name,
        ]
        .into_iter()
        .filter_map(|name| name.as_deref().map(str::trim).filter(|n| !n.is_empty()))
        .collect::<Vec<_>>()
        .join("/")
    }
}
