//! What the service answers: the async-operation status, the backup job and the
//! `CloudError` body. Unknown fields are ignored, every field is optional: a partial
//! answer still decodes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{JobStatus, OperationStatusValue};

/// The answer of the `Azure-AsyncOperation` URL (`.../operationsStatus/{opId}`):
/// `OperationStatus` of the Recovery Services API.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OperationStatusResponse {
    /// `id`: the operation id.
    #[serde(default)]
    pub id: Option<String>,
    /// `name`: the operation name (its GUID).
    #[serde(default)]
    pub name: Option<String>,
    /// `status`: InProgress, Succeeded, Failed, Canceled or Invalid.
    #[serde(default)]
    pub status: Option<OperationStatusValue>,
    /// `startTime` (RFC 3339).
    #[serde(default)]
    pub start_time: Option<String>,
    /// `endTime` (RFC 3339).
    #[serde(default)]
    pub end_time: Option<String>,
    /// `error`: why the operation failed.
    #[serde(default)]
    pub error: Option<OperationStatusError>,
    /// `properties`: extended info; for a trigger `OperationStatusJobExtendedInfo`
    /// with the backup job's id.
    #[serde(default)]
    pub properties: Option<OperationStatusExtendedInfo>,
}

impl OperationStatusResponse {
    /// The backup job id: `properties.jobId`, or the first of `properties.jobIds`.
    #[must_use]
    pub fn job_id(&self) -> Option<&str> {
        let properties = self.properties.as_ref()?;
        properties
            .job_id
            .as_deref()
            .or_else(|| properties.job_ids.first().map(String::as_str))
            .filter(|id| !id.trim().is_empty())
    }
}

/// `OperationStatusError`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OperationStatusError {
    /// `code`.
    #[serde(default)]
    pub code: Option<String>,
    /// `message`.
    #[serde(default)]
    pub message: Option<String>,
}

/// `OperationStatusExtendedInfo`, told apart by `objectType`
/// (`OperationStatusJobExtendedInfo`, `OperationStatusJobsExtendedInfo` ...).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OperationStatusExtendedInfo {
    /// `objectType`.
    #[serde(default)]
    pub object_type: Option<String>,
    /// `jobId` (`OperationStatusJobExtendedInfo`).
    #[serde(default)]
    pub job_id: Option<String>,
    /// `jobIds` (`OperationStatusJobsExtendedInfo`).
    #[serde(default)]
    pub job_ids: Vec<String>,
}

/// `JobResource`: the answer of `GET .../vaults/{vault}/backupJobs/{jobId}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct JobResource {
    /// `id`.
    #[serde(default)]
    pub id: Option<String>,
    /// `name`: the job id.
    #[serde(default)]
    pub name: Option<String>,
    /// `type`.
    #[serde(rename = "type", default)]
    pub resource_type: Option<String>,
    /// `eTag`.
    #[serde(rename = "eTag", default)]
    pub e_tag: Option<String>,
    /// `properties`: the job.
    #[serde(default)]
    pub properties: Option<Job>,
}

/// `Job` (`AzureIaaSVMJob`, `AzureStorageJob`, `AzureWorkloadJob` ...): the fields
/// shared by the job kinds a backup trigger creates.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Job {
    /// `jobType`: the discriminator.
    #[serde(default)]
    pub job_type: Option<String>,
    /// `entityFriendlyName`: what is backed up.
    #[serde(default)]
    pub entity_friendly_name: Option<String>,
    /// `backupManagementType` (`AzureIaasVM`, `AzureStorage`, `AzureWorkload` ...).
    #[serde(default)]
    pub backup_management_type: Option<String>,
    /// `operation`: `Backup` for a triggered backup.
    #[serde(default)]
    pub operation: Option<String>,
    /// `status`.
    #[serde(default)]
    pub status: Option<JobStatus>,
    /// `startTime` (RFC 3339).
    #[serde(default)]
    pub start_time: Option<String>,
    /// `endTime` (RFC 3339).
    #[serde(default)]
    pub end_time: Option<String>,
    /// `activityId`: the id of the request that started the job.
    #[serde(default)]
    pub activity_id: Option<String>,
    /// `duration` (ISO 8601, e.g. `PT1M30.5S`), kept as sent.
    #[serde(default)]
    pub duration: Option<String>,
    /// `errorDetails`.
    #[serde(default)]
    pub error_details: Vec<JobErrorInfo>,
    /// `extendedInfo`.
    #[serde(default)]
    pub extended_info: Option<JobExtendedInfo>,
}

/// One of a job's `errorDetails` (the job kinds name the fields slightly differently:
/// `errorString` for VM and workload jobs, `errorMessage` for storage jobs).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct JobErrorInfo {
    /// `errorCode`: a number in the documents, kept as any JSON value.
    #[serde(default)]
    pub error_code: Option<serde_json::Value>,
    /// `errorString`.
    #[serde(default)]
    pub error_string: Option<String>,
    /// `errorTitle`.
    #[serde(default)]
    pub error_title: Option<String>,
    /// `errorMessage`.
    #[serde(default)]
    pub error_message: Option<String>,
    /// `recommendations`.
    #[serde(default)]
    pub recommendations: Vec<String>,
}

impl JobErrorInfo {
    /// The error code as text (a number or a string in the answer).
    #[must_use]
    pub fn code(&self) -> Option<String> {
        match self.error_code.as_ref()? {
            serde_json::Value::String(text) => Some(text.clone()),
            serde_json::Value::Null => None,
            other => Some(other.to_string()),
        }
    }

    /// The most telling message: `errorString`, `errorMessage` or `errorTitle`.
    #[must_use]
    pub fn text(&self) -> Option<&str> {
        self.error_string
            .as_deref()
            .or(self.error_message.as_deref())
            .or(self.error_title.as_deref())
    }
}

/// A job's `extendedInfo`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct JobExtendedInfo {
    /// `tasksList`.
    #[serde(default)]
    pub tasks_list: Vec<JobTaskDetails>,
    /// `progressPercentage`.
    #[serde(default)]
    pub progress_percentage: Option<f64>,
    /// `estimatedRemainingDuration`, kept as sent.
    #[serde(default)]
    pub estimated_remaining_duration: Option<String>,
    /// `dynamicErrorMessage`.
    #[serde(default)]
    pub dynamic_error_message: Option<String>,
    /// `propertyBag`.
    #[serde(default)]
    pub property_bag: BTreeMap<String, String>,
}

/// One of a job's `tasksList`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct JobTaskDetails {
    /// `taskId` (`Take Snapshot`, `Transfer data to vault` ...).
    #[serde(default)]
    pub task_id: Option<String>,
    /// `startTime`.
    #[serde(default)]
    pub start_time: Option<String>,
    /// `endTime`.
    #[serde(default)]
    pub end_time: Option<String>,
    /// `duration`.
    #[serde(default)]
    pub duration: Option<String>,
    /// `status`.
    #[serde(default)]
    pub status: Option<String>,
    /// `progressPercentage`.
    #[serde(default)]
    pub progress_percentage: Option<f64>,
}

/// `CloudError`: `{error: CloudErrorBody}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CloudError {
    /// `error`.
    #[serde(default)]
    pub error: Option<CloudErrorBody>,
}

/// `CloudErrorBody`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CloudErrorBody {
    /// `code`: invariant, for programs.
    #[serde(default)]
    pub code: Option<String>,
    /// `message`: for people.
    #[serde(default)]
    pub message: Option<String>,
    /// `target`: e.g. the property in error.
    #[serde(default)]
    pub target: Option<String>,
    /// `details`.
    #[serde(default)]
    pub details: Vec<CloudErrorBody>,
    /// `additionalInfo`.
    #[serde(default)]
    pub additional_info: Vec<ErrorAdditionalInfo>,
}

impl CloudErrorBody {
    /// A body with a code and a message.
    #[must_use]
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: Some(code.into()),
            message: Some(message.into()),
            ..Self::default()
        }
    }
}

/// `ErrorAdditionalInfo`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ErrorAdditionalInfo {
    /// `type`.
    #[serde(rename = "type", default)]
    pub info_type: Option<String>,
    /// `info`.
    #[serde(default)]
    pub info: Option<serde_json::Value>,
}
