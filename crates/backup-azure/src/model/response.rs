//! What the service answers: the async-operation status, the backup job (one or a
//! list), the recovery points and the `CloudError` body. Unknown fields are ignored,
//! every field is optional, and `null` reads as absent (lists as empty): a partial
//! answer still decodes.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize};

use super::{JobStatus, OperationStatusValue};

/// `null` or absent as the type's default (an empty list or map), any other value as
/// the type reads it. Microsoft's examples send `"errorDetails": null` and
/// `"propertyBag": {}` alike.
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// A map of any values as text (`propertyBag` values are strings in every example; a
/// number or `null` is not a reason to refuse the job).
fn text_map<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<String, String>, D::Error> {
    let raw: Option<BTreeMap<String, serde_json::Value>> = Option::deserialize(deserializer)?;
    Ok(raw
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(key, value)| {
            let text = match value {
                serde_json::Value::Null => return None,
                serde_json::Value::String(text) => text,
                other => other.to_string(),
            };
            Some((key, text))
        })
        .collect())
}

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
    /// `jobIds` (`OperationStatusJobsExtendedInfo`; `null` reads as none).
    #[serde(default, deserialize_with = "backup_core::lenient::text_list")]
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
    /// `activityId`: the id of the request that started the job. In Microsoft's
    /// examples it is the triggering request's `x-ms-client-request-id` (the VM backup
    /// tutorial's trigger and the job of the "track jobs" page; the file-share restore
    /// tutorial's trigger and its job).
    #[serde(default)]
    pub activity_id: Option<String>,
    /// `duration`, kept as sent: ISO 8601 in the spec's examples (`PT9.8782791S`), a
    /// .NET `TimeSpan` in the "track jobs" tutorial (`00:20:23.0896697`), Python's
    /// `H:MM:SS.ffffff` in the file-share restore tutorial (`0:00:01.863098`); read by
    /// [`Job::duration`].
    #[serde(default)]
    pub duration: Option<String>,
    /// `containerName` (`AzureIaaSVMJob`): the container of the entity.
    #[serde(default)]
    pub container_name: Option<String>,
    /// `isUserTriggered` (`AzureIaaSVMJob` and kin): an on-demand backup (`true`) or a
    /// scheduled one.
    #[serde(default)]
    pub is_user_triggered: Option<bool>,
    /// `errorDetails` (`null` reads as none).
    #[serde(default, deserialize_with = "null_as_default")]
    pub error_details: Vec<JobErrorInfo>,
    /// `extendedInfo`.
    #[serde(default)]
    pub extended_info: Option<JobExtendedInfo>,
}

impl Job {
    /// How long the job ran, from `duration` in any of its documented forms (see the
    /// field); `None` when absent or unreadable.
    #[must_use]
    pub fn duration(&self) -> Option<Duration> {
        self.duration.as_deref().and_then(parse_duration)
    }

    /// The size of the backup from the `Backup Size` entry of `extendedInfo.propertyBag`
    /// (`"2332 MB"` in the "track jobs" tutorial), in bytes; see [`parse_size`].
    #[must_use]
    pub fn backup_size(&self) -> Option<u64> {
        let bag = &self.extended_info.as_ref()?.property_bag;
        bag.iter()
            .find(|(key, _)| key.eq_ignore_ascii_case("Backup Size"))
            .and_then(|(_, value)| parse_size(value))
    }
}

/// A job duration in any form Microsoft's documents show: ISO 8601 (`PT9.8782791S`,
/// `PT1M30.5S`, `P1DT2H`), a .NET `TimeSpan` (`00:20:23.0896697`, `1.02:03:04`) or
/// Python's `H:MM:SS.ffffff` (`0:00:01.863098`).
#[must_use]
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    if text.starts_with(['P', 'p']) {
        parse_iso8601_duration(text)
    } else {
        backup_core::timefmt::parse_dotnet_timespan(text)
    }
}

/// An ISO 8601 duration of days, hours, minutes and (fractional) seconds: `P[nD][T[nH][nM][n[.f]S]]`.
/// Years, months and weeks (which no job reports) are refused.
fn parse_iso8601_duration(text: &str) -> Option<Duration> {
    let rest = text.strip_prefix(['P', 'p'])?;
    let (date, time) = match rest.split_once(['T', 't']) {
        Some((date, time)) if !time.is_empty() => (date, Some(time)),
        Some(_) => return None,
        None => (rest, None),
    };
    if date.is_empty() && time.is_none() {
        return None;
    }
    let mut total = Duration::ZERO;
    let mut add = |number: &str, unit_seconds: u64, fraction_allowed: bool| -> Option<()> {
        let (whole, fraction) = match number.split_once(['.', ',']) {
            Some((whole, fraction)) if fraction_allowed => (whole, Some(fraction)),
            Some(_) => return None,
            None => (number, None),
        };
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let whole: u64 = whole.parse().ok()?;
        total = total.checked_add(Duration::from_secs(whole.checked_mul(unit_seconds)?))?;
        if let Some(digits) = fraction {
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let kept = &digits[..digits.len().min(9)];
            let nanos: u32 = format!("{kept:0<9}").parse().ok()?;
            total = total.checked_add(Duration::from_nanos(u64::from(nanos)))?;
        }
        Some(())
    };
    let mut read = |part: &str, units: &[(char, u64)], fraction_unit: char| -> Option<()> {
        let mut number = String::new();
        let mut next_unit = 0;
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' || c == ',' {
                number.push(c);
                continue;
            }
            let upper = c.to_ascii_uppercase();
            let position = units
                .iter()
                .skip(next_unit)
                .position(|(u, _)| *u == upper)?;
            let (unit, seconds) = units[next_unit + position];
            add(&number, seconds, unit == fraction_unit)?;
            number.clear();
            next_unit += position + 1;
        }
        number.is_empty().then_some(())
    };
    read(date, &[('D', 86_400)], ' ')?;
    if let Some(time) = time {
        read(time, &[('H', 3_600), ('M', 60), ('S', 1)], 'S')?;
    }
    Some(total)
}

/// A size as the service writes it (`2332 MB`, `1.5 GB`, `0 MB`, `512 bytes`), in bytes.
/// Units are binary, as Windows and the Backup portal count them (KB = 1024 bytes,
/// MB = 1024², GB = 1024³, TB = 1024⁴) *(own choice: the documents give no unit
/// definition)*; a bare number is bytes.
#[must_use]
pub fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.replace(',', "").parse().ok()?;
    if !number.is_finite() || number < 0.0 {
        return None;
    }
    let factor: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" | "byte" | "bytes" => 1.0,
        "kb" | "kib" => 1024.0,
        "mb" | "mib" => 1024.0 * 1024.0,
        "gb" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "tb" | "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    let bytes = (number * factor).round();
    // Below 2^63: exactly representable range for the cast.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    (bytes < 9.2e18).then_some(bytes as u64)
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
    /// `recommendations` (`null` reads as none).
    #[serde(default, deserialize_with = "backup_core::lenient::text_list")]
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
    /// `tasksList` (`null` reads as none).
    #[serde(default, deserialize_with = "null_as_default")]
    pub tasks_list: Vec<JobTaskDetails>,
    /// `progressPercentage` (a number, or numeric text).
    #[serde(default, deserialize_with = "backup_core::lenient::opt_f64")]
    pub progress_percentage: Option<f64>,
    /// `estimatedRemainingDuration`, kept as sent.
    #[serde(default)]
    pub estimated_remaining_duration: Option<String>,
    /// `dynamicErrorMessage`.
    #[serde(default)]
    pub dynamic_error_message: Option<String>,
    /// `propertyBag` (`Backup Size`, `VM Name` ...; values as text, `null` ones
    /// dropped).
    #[serde(default, deserialize_with = "text_map")]
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
    /// `progressPercentage` (a number, or numeric text).
    #[serde(default, deserialize_with = "backup_core::lenient::opt_f64")]
    pub progress_percentage: Option<f64>,
}

/// `JobResourceList`: the answer of `GET .../vaults/{vault}/backupJobs?$filter=...`
/// (`BackupJobs_List`), one page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct JobResourceList {
    /// `value`: the jobs of this page (`null` reads as none).
    #[serde(default, deserialize_with = "null_as_default")]
    pub value: Vec<JobResource>,
    /// `nextLink`: the next page, when there is one.
    #[serde(default)]
    pub next_link: Option<String>,
}

/// `RecoveryPointResource`: one entry of `GET .../protectedItems/{item}/recoveryPoints`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RecoveryPointResource {
    /// `id`.
    #[serde(default)]
    pub id: Option<String>,
    /// `name`: the recovery point id (`22244821112382`).
    #[serde(default)]
    pub name: Option<String>,
    /// `type`.
    #[serde(rename = "type", default)]
    pub resource_type: Option<String>,
    /// `properties`: the recovery point.
    #[serde(default)]
    pub properties: Option<RecoveryPoint>,
}

/// `RecoveryPoint` (`IaasVMRecoveryPoint`, `AzureFileShareRecoveryPoint`,
/// `AzureWorkloadRecoveryPoint` ...): the fields that say when it was made and how big
/// it is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RecoveryPoint {
    /// `objectType`: the discriminator.
    #[serde(default)]
    pub object_type: Option<String>,
    /// `recoveryPointTime` (VM and file-share points; RFC 3339).
    #[serde(default)]
    pub recovery_point_time: Option<String>,
    /// `recoveryPointTimeInUTC` (workload points; RFC 3339).
    #[serde(rename = "recoveryPointTimeInUTC", default)]
    pub recovery_point_time_in_utc: Option<String>,
    /// `recoveryPointType` (`CrashConsistent`, `FileSystemConsistent`, `Full` ...).
    #[serde(default)]
    pub recovery_point_type: Option<String>,
    /// `recoveryPointSizeInGB` (file-share points; `recoveryPointSizeInGb` in the
    /// file-share restore tutorial).
    #[serde(
        rename = "recoveryPointSizeInGB",
        alias = "recoveryPointSizeInGb",
        default,
        deserialize_with = "backup_core::lenient::opt_i64"
    )]
    pub recovery_point_size_in_gb: Option<i64>,
}

impl RecoveryPoint {
    /// When it was made: `recoveryPointTime`, else `recoveryPointTimeInUTC`.
    #[must_use]
    pub fn time(&self) -> Option<&str> {
        self.recovery_point_time
            .as_deref()
            .or(self.recovery_point_time_in_utc.as_deref())
    }
}

/// `RecoveryPointResourceList`: one page of recovery points.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RecoveryPointResourceList {
    /// `value` (`null` reads as none).
    #[serde(default, deserialize_with = "null_as_default")]
    pub value: Vec<RecoveryPointResource>,
    /// `nextLink`.
    #[serde(default)]
    pub next_link: Option<String>,
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
    /// `details` (`null` reads as none).
    #[serde(default, deserialize_with = "null_as_default")]
    pub details: Vec<CloudErrorBody>,
    /// `additionalInfo` (`null` reads as none).
    #[serde(default, deserialize_with = "null_as_default")]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_every_documented_form() {
        for (text, expected) in [
            ("PT9.8782791S", Duration::new(9, 878_279_100)),
            ("PT0S", Duration::ZERO),
            ("PT2M3.5S", Duration::from_millis(123_500)),
            ("P1DT2H", Duration::from_secs(93_600)),
            ("pt1h", Duration::from_secs(3600)),
            ("00:20:23.0896697", Duration::new(1223, 89_669_700)),
            ("0:00:01.863098", Duration::new(1, 863_098_000)),
            ("1.02:03:04", Duration::from_secs(93_784)),
        ] {
            assert_eq!(parse_duration(text), Some(expected), "{text}");
        }
        for bad in [
            "", "P", "PT", "P1W", "P1Y", "PT1.5M", "PTS", "PT1S2M", "-PT1S", "soon", "1:2", "P1DT",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn sizes_in_the_services_words() {
        for (text, expected) in [
            ("2332 MB", 2332 * 1024 * 1024),
            ("0 MB", 0),
            ("1.5 GB", 1024 * 1024 * 1536),
            ("512 bytes", 512),
            ("12", 12),
            ("1,024 KB", 1024 * 1024),
            ("2 TB", 2 * 1024_u64.pow(4)),
        ] {
            assert_eq!(parse_size(text), Some(expected), "{text}");
        }
        for bad in ["", "MB", "-1 MB", "12 parsecs", "1e400 GB"] {
            assert_eq!(parse_size(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn nulls_read_as_absent() {
        let job: JobResource = serde_json::from_value(serde_json::json!({"properties": {
            "errorDetails": null,
            "extendedInfo": {"tasksList": null, "propertyBag": {"Backup Size": "1 MB", "n": 3, "x": null},
                             "progressPercentage": "40"},
        }}))
        .unwrap_or_default();
        let properties = job.properties.unwrap_or_default();
        assert!(properties.error_details.is_empty());
        let extended = properties.extended_info.clone().unwrap_or_default();
        assert_eq!(extended.progress_percentage, Some(40.0));
        assert_eq!(
            extended.property_bag.get("n").map(String::as_str),
            Some("3")
        );
        assert!(!extended.property_bag.contains_key("x"));
        assert_eq!(properties.backup_size(), Some(1024 * 1024));
    }
}
