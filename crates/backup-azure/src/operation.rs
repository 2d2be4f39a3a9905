//! Azure states as backup-core [`OperationStatus`]es, and the [`OperationRef`] encoding.
//!
//! # Operation references
//!
//! An Azure backup is followed through the URLs the trigger's 202 answer hands back
//! and, once the async operation names it, the backup job. The reference's `id` holds
//! them as one `application/x-www-form-urlencoded` string (so `:`, `&`, `;` and `%`
//! inside the URLs survive, and the id never needs quoting):
//!
//! ```text
//! azure:async=<Azure-AsyncOperation URL>&location=<Location URL>&item=<protected item URL>&job=<job id>
//! ```
//!
//! A trigger writes `async` alone when the answer names an Azure-AsyncOperation URL
//! (ARM's rule: that one is followed, `Location` only when it is missing), `location`
//! otherwise. A backup found again after a lost trigger
//! ([`BackupClient::recover_trigger`](crate::BackupClient::recover_trigger)) has no
//! status URL: it writes the protected item's URL (`item`) and the job. Each pair is
//! optional, but `async`, `location` or `item` with `job` must be present; the order
//! does not matter and unknown keys are ignored (room for later versions). The job's
//! URL is derived from the vault path in those URLs:
//! `{scheme}://{host}/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.RecoveryServices/vaults/{vault}/backupJobs/{job}?api-version={client's}`.
//! The protected item (whose recovery points [`BackupClient::produced`](crate::BackupClient::produced)
//! reads) is `item`, else the `…/protectedItems/{item}` prefix of the status URLs.
//! Only the first `:` after the vendor separates it from the id. An id is at most
//! [`MAX_REFERENCE_ID_LEN`] bytes of printable text; another vendor's reference is
//! refused by [`OperationRef::expect_vendor`].
//!
//! # States
//!
//! | Azure | where | [`OperationStatus`] |
//! |---|---|---|
//! | `InProgress` | async operation | `Running` |
//! | `Succeeded` | async operation | `Succeeded` when only the acceptance is followed ([`Tracking::Accepted`]); else the job is read |
//! | `Failed` | async operation | `Failed` |
//! | `Canceled` | async operation | `Cancelled` |
//! | `Invalid`, anything else | async operation | `Running` (ARM: anything but Succeeded/Failed/Canceled is still running) |
//! | 202 | `Location` | `Running` |
//! | 200 / 204 | `Location` | `Succeeded` (the answer names no job) |
//! | `InProgress`, `Cancelling` | job | `Running` |
//! | `Completed` | job | `Succeeded` |
//! | `CompletedWithWarnings` | job | `SucceededWithWarnings` |
//! | `Failed` | job | `Failed` |
//! | `Cancelled` | job | `Cancelled` |
//! | `Invalid`, anything else | job | `Running` |

use backup_core::path::{join_segments, validate_id};
use backup_core::timefmt::parse_rfc3339;
use backup_core::{Error, Operation, OperationRef, OperationStatus, Result, VendorError};
use time::OffsetDateTime;
use url::Url;

use crate::VENDOR;
use crate::cloud::ApiVersion;
use crate::model::{JobResource, JobStatus, OperationStatusResponse, OperationStatusValue};

/// The longest reference id accepted (the status URLs of real vaults are a few hundred
/// bytes; long resource names can double that).
pub const MAX_REFERENCE_ID_LEN: usize = 4096;

/// How far [`BackupClient::wait`](crate::BackupClient::wait) and
/// [`BackupClient::status`](crate::BackupClient::status) follow a backup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Tracking {
    /// To the end of the backup job (default): the async operation, then
    /// `backupJobs/{jobId}` until Completed, CompletedWithWarnings, Failed or Cancelled.
    #[default]
    Job,
    /// Until the service accepted the trigger: the async operation's `Succeeded` ends
    /// the wait, with the job id when the service gave one.
    Accepted,
}

/// What an Azure [`OperationRef`] holds: the status URLs and, once known, the job id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct TrackingRef {
    /// The `Azure-AsyncOperation` URL (`.../operationsStatus/{opId}?api-version=...`).
    pub async_operation: Option<Url>,
    /// The `Location` URL (`.../operationResults/{opId}?api-version=...`).
    pub location: Option<Url>,
    /// The protected item's URL (`.../protectedItems/{item}`), for a backup found
    /// again from the vault's job list rather than from a trigger's answer.
    pub item: Option<Url>,
    /// The backup job id, once the async operation named it.
    pub job_id: Option<String>,
}

impl TrackingRef {
    /// A reference to follow through these URLs.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when both URLs are missing.
    pub fn new(async_operation: Option<Url>, location: Option<Url>) -> Result<Self> {
        if async_operation.is_none() && location.is_none() {
            return Err(Error::invalid_input(
                VENDOR,
                "reference",
                "needs an Azure-AsyncOperation or a Location URL",
            ));
        }
        Ok(Self {
            async_operation,
            location,
            item: None,
            job_id: None,
        })
    }

    /// A reference to backup job `job_id` of the protected item at `item`
    /// (`.../protectedItems/{item}`, no query): a backup found from the vault's job
    /// list, with no status URL.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a job id that cannot be one path segment.
    pub fn for_job(item: Url, job_id: impl Into<String>) -> Result<Self> {
        let job_id = job_id.into();
        validate_id(VENDOR, "job_id", &job_id)?;
        Ok(Self {
            async_operation: None,
            location: None,
            item: Some(item),
            job_id: Some(job_id),
        })
    }

    /// The same reference with the job id.
    #[must_use]
    pub fn with_job_id(mut self, job_id: Option<String>) -> Self {
        self.job_id = job_id;
        self
    }

    /// The printable reference (`azure:async=...&location=...&job=...`).
    #[must_use]
    pub fn to_reference(&self) -> OperationRef {
        let mut id = url::form_urlencoded::Serializer::new(String::new());
        if let Some(url) = &self.async_operation {
            id.append_pair("async", url.as_str());
        }
        if let Some(url) = &self.location {
            id.append_pair("location", url.as_str());
        }
        if let Some(url) = &self.item {
            id.append_pair("item", url.as_str());
        }
        if let Some(job) = &self.job_id {
            id.append_pair("job", job);
        }
        OperationRef::new(VENDOR, id.finish())
    }

    /// Reads a reference made by [`TrackingRef::to_reference`].
    ///
    /// # Errors
    /// [`Error::InvalidInput`] (field `reference`) for another vendor's reference
    /// ([`OperationRef::expect_vendor`]) or an id [`TrackingRef::from_id`] refuses.
    pub fn from_reference(reference: &OperationRef) -> Result<Self> {
        Self::from_id(reference.expect_vendor(VENDOR)?)
    }

    /// Reads the id part of an Azure reference (`async=...&location=...&job=...`).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] (field `reference`) for an id that is empty, longer than
    /// [`MAX_REFERENCE_ID_LEN`] bytes, has control characters or surrounding white
    /// space, a URL that does not parse or is not http(s), a bad job id, or neither a
    /// status URL nor an item URL with a job.
    pub fn from_id(id: &str) -> Result<Self> {
        let invalid = |reason: String| Error::invalid_input(VENDOR, "reference", reason);
        if id.len() > MAX_REFERENCE_ID_LEN {
            return Err(invalid(format!(
                "an Azure reference id has at most {MAX_REFERENCE_ID_LEN} bytes"
            )));
        }
        if id.trim().is_empty() || id.trim() != id || id.chars().any(char::is_control) {
            return Err(invalid(
                "an Azure reference id is form-encoded text (async=...&location=...&job=...)"
                    .to_owned(),
            ));
        }
        let parse = |key: &str, value: &str| -> Result<Url> {
            if value.chars().any(char::is_control) {
                return Err(invalid(format!("the {key} URL has control characters")));
            }
            let url = Url::parse(value).map_err(|e| invalid(format!("bad {key} URL: {e}")))?;
            if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
                return Err(invalid(format!("the {key} URL is not http(s)")));
            }
            Ok(url)
        };
        let (mut async_operation, mut location, mut item, mut job_id) = (None, None, None, None);
        for (key, value) in url::form_urlencoded::parse(id.as_bytes()) {
            match key.as_ref() {
                "async" => async_operation = Some(parse("async", &value)?),
                "location" => location = Some(parse("location", &value)?),
                "item" => item = Some(parse("item", &value)?),
                "job" => {
                    validate_id(VENDOR, "reference job id", &value)?;
                    job_id = Some(value.into_owned());
                }
                _ => {}
            }
        }
        if let (None, None, Some(item), Some(job_id)) =
            (&async_operation, &location, &item, &job_id)
        {
            return Self::for_job(item.clone(), job_id.clone());
        }
        let mut tracking = Self::new(async_operation, location)?.with_job_id(job_id);
        tracking.item = item;
        Ok(tracking)
    }

    /// The URL to poll for the async operation: `Azure-AsyncOperation`, else `Location`.
    #[must_use]
    pub fn status_url(&self) -> Option<&Url> {
        self.async_operation.as_ref().or(self.location.as_ref())
    }

    /// The URLs held, for checking where they point.
    pub fn urls(&self) -> impl Iterator<Item = &Url> {
        self.async_operation
            .iter()
            .chain(self.location.iter())
            .chain(self.item.iter())
    }

    /// The protected item's URL (`.../protectedItems/{item}`, no query): `item`, else
    /// the prefix of a status URL up to its `protectedItems/{item}` segments.
    #[must_use]
    pub fn item_url(&self) -> Option<Url> {
        if let Some(item) = &self.item {
            let mut item = item.clone();
            item.set_query(None);
            item.set_fragment(None);
            return Some(item);
        }
        self.urls()
            .find_map(|url| prefix_through(url, "protectedItems"))
    }

    /// The job's URL with `api_version`, derived from the vault path of the status
    /// URLs; `None` without a job id or a vault path.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a job id that cannot be one path segment.
    pub fn job_url(&self, api_version: ApiVersion) -> Result<Option<Url>> {
        let Some(job_id) = &self.job_id else {
            return Ok(None);
        };
        validate_id(VENDOR, "job_id", job_id)?;
        let Some(vault) = self.urls().find_map(vault_url) else {
            return Ok(None);
        };
        let mut url = join_segments(VENDOR, &vault, &["backupJobs", job_id.as_str()])?;
        url.query_pairs_mut()
            .append_pair("api-version", api_version.as_str());
        Ok(Some(url))
    }
}

/// `url` cut after the segment that follows `literal` (`protectedItems/{item}`), without
/// query; segments are kept as encoded.
fn prefix_through(url: &Url, literal: &str) -> Option<Url> {
    let segments: Vec<&str> = url.path_segments()?.collect();
    let index = segments
        .windows(2)
        .position(|w| w[0].eq_ignore_ascii_case(literal) && !w[1].is_empty())?;
    let prefix = segments.get(..index + 2)?;
    let mut cut = url.clone();
    cut.set_query(None);
    cut.set_fragment(None);
    cut.set_path(&format!("/{}", prefix.join("/")));
    Some(cut)
}

/// A time of an ARM answer: RFC 3339, where a time at or before 2001-01-01T00:00:00Z is
/// a placeholder meaning "not set" (ARM writes .NET's `DateTime.MinValue`,
/// `0001-01-01T00:00:00Z`, for an operation that has not ended; Microsoft's VM backup
/// tutorial shows `2001-01-01T00:00:00Z` for a time that never was).
#[must_use]
pub fn arm_time(text: &str) -> Option<OffsetDateTime> {
    parse_rfc3339(text).filter(|time| *time > time::macros::datetime!(2001-01-01 00:00 UTC))
}

/// The vault's URL (`.../providers/Microsoft.RecoveryServices/vaults/{vault}`) within a
/// status URL, without query; segments are kept as encoded.
pub(crate) fn vault_url(url: &Url) -> Option<Url> {
    let segments: Vec<&str> = url.path_segments()?.collect();
    let index = segments.windows(3).position(|w| {
        matches!(w, [provider, vaults, name]
            if provider.eq_ignore_ascii_case("Microsoft.RecoveryServices")
                && vaults.eq_ignore_ascii_case("vaults")
                && !name.is_empty())
    })?;
    let prefix = segments.get(..index + 3)?;
    let mut vault = url.clone();
    vault.set_query(None);
    vault.set_fragment(None);
    vault.set_path(&format!("/{}", prefix.join("/")));
    Some(vault)
}

/// Where an async operation status stands.
#[must_use]
pub fn operation_status(status: &OperationStatusValue) -> OperationStatus {
    match status {
        OperationStatusValue::Succeeded => OperationStatus::Succeeded,
        OperationStatusValue::Failed => OperationStatus::Failed,
        OperationStatusValue::Canceled => OperationStatus::Cancelled,
        OperationStatusValue::InProgress
        | OperationStatusValue::Invalid
        | OperationStatusValue::Other(_) => OperationStatus::Running,
    }
}

/// Where a backup job stands.
#[must_use]
pub fn job_status(status: &JobStatus) -> OperationStatus {
    match status {
        JobStatus::Completed => OperationStatus::Succeeded,
        JobStatus::CompletedWithWarnings => OperationStatus::SucceededWithWarnings,
        JobStatus::Failed => OperationStatus::Failed,
        JobStatus::Cancelled => OperationStatus::Cancelled,
        JobStatus::InProgress
        | JobStatus::Cancelling
        | JobStatus::Invalid
        | JobStatus::Other(_) => OperationStatus::Running,
    }
}

/// The operation an async-operation answer describes (the job not read yet).
#[must_use]
pub fn from_operation_status(
    reference: OperationRef,
    answer: &OperationStatusResponse,
) -> Operation {
    let (status, raw) = match &answer.status {
        Some(value) => (operation_status(value), Some(value.as_str().to_owned())),
        None => (OperationStatus::Running, None),
    };
    let error = answer.error.as_ref().and_then(|e| {
        (e.code.is_some() || e.message.is_some()).then(|| VendorError {
            request_id: None,
            code: e.code.clone(),
            message: e.message.clone().unwrap_or_default(),
        })
    });
    let mut operation = Operation::new(reference, status)
        .with_job_id(answer.job_id().map(str::to_owned))
        .with_times(
            answer.start_time.as_deref().and_then(arm_time),
            answer.end_time.as_deref().and_then(arm_time),
        )
        .with_error(if status.is_success() { None } else { error });
    if let Some(raw) = raw {
        operation = operation.with_vendor_status(raw);
    }
    operation
}

/// The operation a backup job answer describes: status, progress, times, the job's own
/// `duration`, the size (`Backup Size` of the property bag), the error (first
/// `errorDetails` entry of a failed or cancelled job) and, as warnings, every other
/// `errorDetails` entry and every recommendation.
#[must_use]
pub fn from_job(reference: OperationRef, answer: &JobResource, job_id: &str) -> Operation {
    let job = answer.properties.clone().unwrap_or_default();
    let (status, raw) = match &job.status {
        Some(value) => (job_status(value), Some(value.as_str().to_owned())),
        None => (OperationStatus::Running, None),
    };
    let first_error = job.error_details.first();
    let failed = matches!(status, OperationStatus::Failed | OperationStatus::Cancelled);
    let error = failed
        .then(|| {
            first_error.map(|e| VendorError {
                request_id: None,
                code: e.code(),
                message: e.text().unwrap_or_default().to_owned(),
            })
        })
        .flatten();
    let mut warnings = Vec::new();
    for (index, detail) in job.error_details.iter().enumerate() {
        if !(failed && index == 0) {
            let text = detail.text().unwrap_or_default();
            match detail.code() {
                Some(code) if !text.is_empty() => warnings.push(format!("{code}: {text}")),
                Some(code) => warnings.push(code),
                None if !text.is_empty() => warnings.push(text.to_owned()),
                None => {}
            }
        }
        warnings.extend(
            detail
                .recommendations
                .iter()
                .filter(|r| !r.trim().is_empty())
                .map(|r| format!("recommendation: {r}")),
        );
    }
    let extended = job.extended_info.as_ref();
    let message = extended
        .and_then(|info| info.dynamic_error_message.clone())
        .or_else(|| first_error.and_then(|e| e.text().map(str::to_owned)));
    let progress = extended.and_then(|info| info.progress_percentage);
    let mut operation = Operation::new(reference, status)
        .with_job_id(Some(
            answer.name.clone().unwrap_or_else(|| job_id.to_owned()),
        ))
        .with_progress(if status.is_success() {
            Some(100.0)
        } else {
            progress
        })
        .with_times(
            job.start_time.as_deref().and_then(arm_time),
            job.end_time.as_deref().and_then(arm_time),
        )
        .with_message(message)
        .with_error(error)
        .with_duration(job.duration())
        .with_size(job.backup_size())
        .with_warnings(warnings);
    if let Some(raw) = raw {
        operation = operation.with_vendor_status(raw);
    }
    operation
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_state_maps() {
        use OperationStatusValue as V;
        for (value, expected) in [
            (V::InProgress, OperationStatus::Running),
            (V::Succeeded, OperationStatus::Succeeded),
            (V::Failed, OperationStatus::Failed),
            (V::Canceled, OperationStatus::Cancelled),
            (V::Invalid, OperationStatus::Running),
            (V::Other("Queued".into()), OperationStatus::Running),
        ] {
            assert_eq!(operation_status(&value), expected, "{value}");
        }
    }

    #[test]
    fn every_job_state_maps() {
        use JobStatus as J;
        for (value, expected) in [
            (J::InProgress, OperationStatus::Running),
            (J::Cancelling, OperationStatus::Running),
            (J::Completed, OperationStatus::Succeeded),
            (
                J::CompletedWithWarnings,
                OperationStatus::SucceededWithWarnings,
            ),
            (J::Failed, OperationStatus::Failed),
            (J::Cancelled, OperationStatus::Cancelled),
            (J::Invalid, OperationStatus::Running),
            (J::Other("Paused".into()), OperationStatus::Running),
        ] {
            assert_eq!(job_status(&value), expected, "{value}");
        }
    }

    const ASYNC: &str = "https://management.azure.com/Subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/linuxRsVaultRG/providers/Microsoft.RecoveryServices/vaults/linuxRsVault/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainer;testrg;v1win2012r/protectedItems/VM;iaasvmcontainer;testrg;v1win2012r/operationsStatus/00000000-0000-0000-0000-000000000000?api-version=2016-12-01";

    #[test]
    fn reference_round_trips_through_text() {
        let url = Url::parse(ASYNC).ok();
        let tracking = TrackingRef::new(url, None)
            .map(|t| t.with_job_id(Some("job:1&x=%".into())))
            .ok();
        let Some(tracking) = tracking else {
            panic!("reference not built");
        };
        let text = tracking.to_reference().to_string();
        assert!(text.starts_with("azure:async=https%3A%2F%2F"), "{text}");
        let parsed: OperationRef = text.parse().unwrap_or_else(|_| OperationRef::new("x", "y"));
        assert_eq!(TrackingRef::from_reference(&parsed).ok(), Some(tracking));
    }

    #[test]
    fn awkward_ids_and_urls_survive_the_round_trip() {
        for (url, job) in [
            (
                "http://127.0.0.1:8080/x/operationsStatus/1?api-version=2016-12-01&a=b%20c",
                "a:b",
            ),
            ("https://h/p;q=1/r?x=%26&y=:", "job&=%25 ü"),
            ("https://h/", "Azure:12345"),
        ] {
            let tracking = TrackingRef::new(Url::parse(url).ok(), Url::parse(url).ok())
                .map(|t| t.with_job_id(Some(job.to_owned())))
                .ok();
            let text = tracking.as_ref().map(|t| t.to_reference().to_string());
            let parsed = text
                .as_deref()
                .and_then(|t| t.parse::<OperationRef>().ok())
                .and_then(|r| TrackingRef::from_reference(&r).ok());
            assert_eq!(parsed, tracking, "{url} {job}");
        }
    }

    #[test]
    fn job_url_keeps_the_vault_path() {
        let tracking = TrackingRef::new(Url::parse(ASYNC).ok(), None)
            .map(|t| t.with_job_id(Some("a/b".into())))
            .ok();
        let url = tracking
            .and_then(|t| t.job_url(ApiVersion::V2025_08_01).ok().flatten())
            .map(String::from);
        assert_eq!(
            url.as_deref(),
            Some(
                "https://management.azure.com/Subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/linuxRsVaultRG/providers/Microsoft.RecoveryServices/vaults/linuxRsVault/backupJobs/a%2Fb?api-version=2025-08-01"
            )
        );
    }

    #[test]
    fn arm_placeholders_are_no_time() {
        assert_eq!(arm_time("0001-01-01T00:00:00Z"), None);
        assert_eq!(arm_time("2001-01-01T00:00:00Z"), None);
        assert!(arm_time("2018-05-21T08:56:04.0385664Z").is_some());
        assert_eq!(arm_time("not a time"), None);
    }

    #[test]
    fn references_of_found_jobs_hold_the_item() {
        let item = Url::parse("https://management.azure.com/subscriptions/s/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v/backupFabrics/Azure/protectionContainers/c;1/protectedItems/VM;a;b").ok();
        let Some(item) = item else {
            panic!("item URL");
        };
        let tracking = TrackingRef::for_job(item.clone(), "job-1").ok();
        let text = tracking.as_ref().map(TrackingRef::to_reference);
        let back = text
            .as_ref()
            .and_then(|r| TrackingRef::from_reference(r).ok());
        assert_eq!(back, tracking);
        let back = back.unwrap_or_else(|| panic!("no reference"));
        assert_eq!(back.item_url(), Some(item));
        assert_eq!(
            back.job_url(ApiVersion::V2026_10_01)
                .ok()
                .flatten()
                .map(String::from)
                .as_deref(),
            Some(
                "https://management.azure.com/subscriptions/s/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v/backupJobs/job-1?api-version=2026-10-01"
            )
        );
        // An item without a job names nothing to follow.
        let alone = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("item", back.item.as_ref().map_or("", Url::as_str))
            .finish();
        assert!(TrackingRef::from_id(&alone).is_err());
        // The item of a status URL is its `protectedItems/{item}` prefix.
        let status = TrackingRef::new(Url::parse(ASYNC).ok(), None).ok();
        assert_eq!(
            status
                .and_then(|t| t.item_url())
                .map(String::from)
                .as_deref(),
            Some(
                "https://management.azure.com/Subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/linuxRsVaultRG/providers/Microsoft.RecoveryServices/vaults/linuxRsVault/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainer;testrg;v1win2012r/protectedItems/VM;iaasvmcontainer;testrg;v1win2012r"
            )
        );
    }

    #[test]
    fn bad_references_are_refused() {
        for id in ["job=1", "async=ftp%3A%2F%2Fx%2Fy", "async=not%20a%20url"] {
            let reference = OperationRef::new(VENDOR, id);
            assert!(
                matches!(
                    TrackingRef::from_reference(&reference),
                    Err(Error::InvalidInput { .. })
                ),
                "{id}"
            );
        }
        let other = OperationRef::new("yandex", "async=https%3A%2F%2Fx%2F");
        let Err(Error::InvalidInput { field, reason, .. }) = TrackingRef::from_reference(&other)
        else {
            panic!("another vendor's reference was taken");
        };
        assert_eq!(field, "reference");
        assert!(
            reason.contains("yandex") && reason.contains(VENDOR),
            "{reason}"
        );
    }

    #[test]
    fn ids_that_cannot_be_azure_ones_are_refused() {
        let long_url = format!("https://h/{}", "a".repeat(MAX_REFERENCE_ID_LEN));
        let long = TrackingRef::new(Url::parse(&long_url).ok(), None)
            .map(|t| t.to_reference().id)
            .unwrap_or_default();
        for id in [
            "",
            " ",
            " async=https%3A%2F%2Fh%2F",
            "async=https%3A%2F%2Fh%2F\n",
            "async=https%3A%2F%2Fh%2F%0Ax",
            "x",
            long.as_str(),
        ] {
            assert!(
                matches!(TrackingRef::from_id(id), Err(Error::InvalidInput { .. })),
                "{id:?}"
            );
        }
        assert!(TrackingRef::from_id("async=https%3A%2F%2Fh%2F&job=j&later=1").is_ok());
    }
}
