//! The operation model every vendor's backup maps onto.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Where a backup stands, the same for every vendor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OperationStatus {
    /// Accepted, not started yet (queued, waiting for resources).
    Pending,
    /// In progress.
    Running,
    /// Ended well.
    Succeeded,
    /// Ended with a usable backup and warnings (some items skipped, errors logged).
    SucceededWithWarnings,
    /// Ended without a usable backup.
    Failed,
    /// Ended because it was cancelled (or killed, or stopped).
    Cancelled,
}

impl OperationStatus {
    /// Whether the operation has ended and will not change any more.
    #[must_use]
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Succeeded | Self::SucceededWithWarnings | Self::Failed | Self::Cancelled
        )
    }

    /// Whether the operation ended with a usable backup.
    #[must_use]
    pub fn is_success(self) -> bool {
        matches!(self, Self::Succeeded | Self::SucceededWithWarnings)
    }

    /// The stable snake-case name (`pending`, `succeeded_with_warnings`, ...).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::SucceededWithWarnings => "succeeded_with_warnings",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for OperationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What is needed to find an operation again later, in another process if need be.
///
/// It prints as `vendor:id` (`yandex:op-123`) and parses back from that form; the `id`
/// part is the vendor crate's own encoding (for Azure it holds the status URL, for
/// Huawei the project and checkpoint ids). Serde uses the printable form too.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OperationRef {
    /// The vendor (`azure`, `yandex`, `huawei-csbs`, `commvault`, `veeam`).
    pub vendor: String,
    /// The vendor crate's identifier of the operation.
    pub id: String,
}

impl OperationRef {
    /// A reference to operation `id` of `vendor`.
    #[must_use]
    pub fn new(vendor: impl Into<String>, id: impl Into<String>) -> Self {
        Self {
            vendor: vendor.into(),
            id: id.into(),
        }
    }
}

impl OperationRef {
    /// The id, when the reference is `vendor`'s: the one check every vendor crate makes
    /// before using a reference.
    ///
    /// # Errors
    /// [`crate::Error::InvalidInput`] (field `reference`) naming both vendors.
    pub fn expect_vendor(&self, vendor: &'static str) -> crate::Result<&str> {
        if self.vendor == vendor {
            Ok(&self.id)
        } else {
            Err(crate::Error::invalid_input(
                vendor,
                "reference",
                format!(
                    "{} is a {} operation reference, not a {vendor} one",
                    self.excerpt(),
                    self.vendor
                ),
            ))
        }
    }

    /// The printable form, cut to 80 characters for messages.
    fn excerpt(&self) -> String {
        let text = self.to_string();
        if text.chars().count() > 80 {
            let mut cut: String = text.chars().take(79).collect();
            cut.push('…');
            cut
        } else {
            text
        }
    }
}

impl fmt::Display for OperationRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.vendor, self.id)
    }
}

/// The printable form of an [`OperationRef`] could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an operation reference (expected vendor:id): {0:?}")]
pub struct ParseOperationRefError(String);

impl FromStr for OperationRef {
    type Err = ParseOperationRefError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once(':') {
            Some((vendor, id))
                if !vendor.is_empty()
                    && !id.is_empty()
                    && vendor
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') =>
            {
                Ok(Self::new(vendor, id))
            }
            _ => Err(ParseOperationRefError(s.chars().take(80).collect())),
        }
    }
}

impl Serialize for OperationRef {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for OperationRef {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// An error the vendor reported for the backup itself (not for a request).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorError {
    /// The vendor's code (`UserErrorVmNotFound`, a gRPC code, `fail_code` ...).
    pub code: Option<String>,
    /// The vendor's message.
    pub message: String,
    /// The request id the vendor gave with this error (Yandex's `RequestInfo`
    /// detail, for instance), when it gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl fmt::Display for VendorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            Some(code) => write!(f, "{code}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// Something a backup made, as the vendor names it: a recovery point, a backup, a
/// checkpoint, a job, a restore point.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Produced {
    /// What it is, in snake case (`recovery_point`, `backup`, `checkpoint`, `job`,
    /// `session`, `restore_point` ...).
    pub kind: String,
    /// The vendor's identifier of it.
    pub id: String,
}

impl Produced {
    /// A `kind` named `id`.
    #[must_use]
    pub fn new(kind: impl Into<String>, id: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            id: id.into(),
        }
    }
}

/// One resource of a trigger that covers several (Huawei checkpoint items, Veeam
/// protected instances, Commvault jobs), with its own result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OperationItem {
    /// The vendor's identifier of the resource.
    pub id: String,
    /// Its name, when the vendor gives one.
    pub name: Option<String>,
    /// Where its backup stands.
    pub status: OperationStatus,
    /// The size of its backup, in bytes.
    pub size_bytes: Option<u64>,
    /// Its error, when it failed.
    pub error: Option<VendorError>,
}

impl OperationItem {
    /// Resource `id` in `status`, nothing else known.
    #[must_use]
    pub fn new(id: impl Into<String>, status: OperationStatus) -> Self {
        Self {
            id: id.into(),
            name: None,
            status,
            size_bytes: None,
            error: None,
        }
    }

    /// Sets its name.
    #[must_use]
    pub fn with_name(mut self, name: Option<String>) -> Self {
        self.name = name;
        self
    }

    /// Sets its size.
    #[must_use]
    pub fn with_size(mut self, size_bytes: Option<u64>) -> Self {
        self.size_bytes = size_bytes;
        self
    }

    /// Sets its error.
    #[must_use]
    pub fn with_error(mut self, error: Option<VendorError>) -> Self {
        self.error = error;
        self
    }
}

/// `Option<Duration>` as seconds (a number) in serde.
mod seconds {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    #[allow(clippy::ref_option)]
    pub(super) fn serialize<S: Serializer>(
        value: &Option<Duration>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(duration) => serializer.serialize_f64(duration.as_secs_f64()),
            None => serializer.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<f64>::deserialize(deserializer)?
            .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok()))
    }
}

/// A backup started on some vendor, as last seen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Operation {
    /// How to find it again; also names the vendor.
    pub reference: OperationRef,
    /// Where it stands.
    pub status: OperationStatus,
    /// The vendor's own status word (`InProgress`, `Completed w/ one or more errors` ...).
    pub vendor_status: Option<String>,
    /// Progress in percent (0-100) when the vendor gives one.
    pub progress: Option<f64>,
    /// The vendor's job id, where the backup runs as a job distinct from the operation.
    pub job_id: Option<String>,
    /// When it started.
    #[serde(with = "time::serde::rfc3339::option")]
    pub started_at: Option<OffsetDateTime>,
    /// When it ended.
    #[serde(with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
    /// The vendor's latest message about it.
    pub message: Option<String>,
    /// The vendor's error, when it failed.
    pub error: Option<VendorError>,
    /// How long it took, in the vendor's own words where it has a field for it (see
    /// [`Operation::duration`] for the end minus the start otherwise).
    #[serde(rename = "duration_s", default, with = "seconds")]
    pub duration: Option<Duration>,
    /// The size of the backup, in bytes, where the vendor reports one.
    #[serde(default)]
    pub size_bytes: Option<u64>,
    /// What the backup made (recovery points, backups, checkpoints, jobs ...), once
    /// known.
    #[serde(default)]
    pub produced: Vec<Produced>,
    /// Per-resource results, where one trigger covers several resources.
    #[serde(default)]
    pub items: Vec<OperationItem>,
    /// The vendor's warnings and error details beyond `error` (recommendations, failed
    /// files, the last error of a log).
    #[serde(default)]
    pub warnings: Vec<String>,
    /// How long the vendor asks to wait before polling again.
    #[serde(skip)]
    pub poll_after: Option<Duration>,
}

impl Operation {
    /// An operation in `status` with nothing else known.
    #[must_use]
    pub fn new(reference: OperationRef, status: OperationStatus) -> Self {
        Self {
            reference,
            status,
            vendor_status: None,
            progress: None,
            job_id: None,
            started_at: None,
            finished_at: None,
            message: None,
            error: None,
            duration: None,
            size_bytes: None,
            produced: Vec::new(),
            items: Vec::new(),
            warnings: Vec::new(),
            poll_after: None,
        }
    }

    /// The vendor, as named in the reference.
    #[must_use]
    pub fn vendor(&self) -> &str {
        &self.reference.vendor
    }

    /// Sets the vendor's raw status.
    #[must_use]
    pub fn with_vendor_status(mut self, status: impl Into<String>) -> Self {
        self.vendor_status = Some(status.into());
        self
    }

    /// Sets the progress, clamped to 0-100; NaN is dropped.
    #[must_use]
    pub fn with_progress(mut self, progress: Option<f64>) -> Self {
        self.progress = progress
            .filter(|p| p.is_finite())
            .map(|p| p.clamp(0.0, 100.0));
        self
    }

    /// Sets the vendor's job id.
    #[must_use]
    pub fn with_job_id(mut self, job_id: Option<String>) -> Self {
        self.job_id = job_id;
        self
    }

    /// Sets the start and end times.
    #[must_use]
    pub fn with_times(
        mut self,
        started_at: Option<OffsetDateTime>,
        finished_at: Option<OffsetDateTime>,
    ) -> Self {
        self.started_at = started_at;
        self.finished_at = finished_at;
        self
    }

    /// Sets the message.
    #[must_use]
    pub fn with_message(mut self, message: Option<String>) -> Self {
        self.message = message;
        self
    }

    /// Sets the vendor error.
    #[must_use]
    pub fn with_error(mut self, error: Option<VendorError>) -> Self {
        self.error = error;
        self
    }

    /// Sets the duration the vendor reports.
    #[must_use]
    pub fn with_duration(mut self, duration: Option<Duration>) -> Self {
        self.duration = duration;
        self
    }

    /// Sets the size of the backup.
    #[must_use]
    pub fn with_size(mut self, size_bytes: Option<u64>) -> Self {
        self.size_bytes = size_bytes;
        self
    }

    /// Sets what the backup made.
    #[must_use]
    pub fn with_produced(mut self, produced: Vec<Produced>) -> Self {
        self.produced = produced;
        self
    }

    /// Sets the per-resource results.
    #[must_use]
    pub fn with_items(mut self, items: Vec<OperationItem>) -> Self {
        self.items = items;
        self
    }

    /// Sets the vendor's warnings.
    #[must_use]
    pub fn with_warnings(mut self, warnings: Vec<String>) -> Self {
        self.warnings = warnings;
        self
    }

    /// How long it took: the vendor's own figure, else the end minus the start (once
    /// both are known and in order).
    #[must_use]
    pub fn duration(&self) -> Option<Duration> {
        self.duration.or_else(|| {
            let elapsed = self.finished_at? - self.started_at?;
            Duration::try_from(elapsed).ok()
        })
    }

    /// Sets the poll hint.
    #[must_use]
    pub fn with_poll_after(mut self, poll_after: Option<Duration>) -> Self {
        self.poll_after = poll_after;
        self
    }

    /// Whether another observer would see a change from `previous` to `self`:
    /// status, vendor status, progress, job id, message, error, size, items, warnings
    /// or what was produced differ.
    #[must_use]
    pub fn differs_from(&self, previous: &Operation) -> bool {
        self.status != previous.status
            || self.vendor_status != previous.vendor_status
            || self.progress != previous.progress
            || self.job_id != previous.job_id
            || self.message != previous.message
            || self.error != previous.error
            || self.size_bytes != previous.size_bytes
            || self.items != previous.items
            || self.warnings != previous.warnings
            || self.produced != previous.produced
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_round_trips_through_text() {
        let r = OperationRef::new("yandex", "op-123");
        assert_eq!(r.to_string(), "yandex:op-123");
        assert_eq!("yandex:op-123".parse::<OperationRef>().unwrap(), r);
        let url = "azure:https://management.azure.com/x/operationsStatus/1?api-version=2016-12-01";
        let parsed: OperationRef = url.parse().unwrap();
        assert_eq!(parsed.vendor, "azure");
        assert_eq!(parsed.to_string(), url);
        for bad in ["", "yandex", "yandex:", ":op", "Yandex:op", "a b:op"] {
            assert!(bad.parse::<OperationRef>().is_err(), "{bad}");
        }
    }

    #[test]
    fn another_vendors_reference_is_refused_naming_both() {
        let r = OperationRef::new("veeam", "s-1");
        assert_eq!(r.expect_vendor("veeam").unwrap(), "s-1");
        let error = r.expect_vendor("yandex").unwrap_err();
        assert_eq!(
            error.to_string(),
            "yandex: invalid reference: veeam:s-1 is a veeam operation reference, not a yandex one"
        );
        let long = OperationRef::new("azure", "x".repeat(200));
        assert!(
            long.expect_vendor("veeam")
                .unwrap_err()
                .to_string()
                .contains('…')
        );
    }

    #[test]
    fn reference_serializes_as_string() {
        let r = OperationRef::new("huawei-csbs", "p/c");
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(json, "\"huawei-csbs:p/c\"");
        assert_eq!(serde_json::from_str::<OperationRef>(&json).unwrap(), r);
    }

    #[test]
    fn terminal_states() {
        use OperationStatus::*;
        for (s, terminal, success) in [
            (Pending, false, false),
            (Running, false, false),
            (Succeeded, true, true),
            (SucceededWithWarnings, true, true),
            (Failed, true, false),
            (Cancelled, true, false),
        ] {
            assert_eq!(s.is_terminal(), terminal, "{s}");
            assert_eq!(s.is_success(), success, "{s}");
        }
        assert_eq!(SucceededWithWarnings.to_string(), "succeeded_with_warnings");
    }

    #[test]
    fn duration_is_the_vendors_else_end_minus_start() {
        let start = time::macros::datetime!(2026-01-01 10:00 UTC);
        let op = Operation::new(OperationRef::new("v", "1"), OperationStatus::Succeeded)
            .with_times(Some(start), Some(start + time::Duration::seconds(90)));
        assert_eq!(op.duration(), Some(Duration::from_secs(90)));
        let own = op.clone().with_duration(Some(Duration::from_millis(9878)));
        assert_eq!(own.duration(), Some(Duration::from_millis(9878)));
        // An end before the start says nothing.
        let odd = op.with_times(Some(start), Some(start - time::Duration::seconds(1)));
        assert_eq!(odd.duration(), None);
    }

    #[test]
    fn what_was_produced_round_trips_through_serde() {
        let op = Operation::new(OperationRef::new("v", "1"), OperationStatus::Succeeded)
            .with_duration(Some(Duration::from_millis(1500)))
            .with_size(Some(1024))
            .with_produced(vec![Produced::new("recovery_point", "rp-1")])
            .with_items(vec![
                OperationItem::new("vm-1", OperationStatus::Succeeded)
                    .with_name(Some("web".into()))
                    .with_size(Some(1024)),
            ])
            .with_warnings(vec!["2 files skipped".into()]);
        let json = serde_json::to_value(&op).unwrap();
        assert_eq!(json["duration_s"], 1.5);
        assert_eq!(json["size_bytes"], 1024);
        assert_eq!(json["produced"][0]["kind"], "recovery_point");
        assert_eq!(json["items"][0]["status"], "succeeded");
        let back: Operation = serde_json::from_value(json).unwrap();
        assert_eq!(back, op);
        // Older documents without the new fields still read.
        let old = serde_json::json!({
            "reference": "v:1", "status": "running", "vendor_status": null,
            "progress": null, "job_id": null, "started_at": null, "finished_at": null,
            "message": null, "error": null
        });
        let old: Operation = serde_json::from_value(old).unwrap();
        assert!(old.produced.is_empty() && old.duration.is_none());
    }

    #[test]
    fn progress_is_clamped() {
        let op = Operation::new(OperationRef::new("v", "1"), OperationStatus::Running);
        assert_eq!(op.clone().with_progress(Some(150.0)).progress, Some(100.0));
        assert_eq!(op.clone().with_progress(Some(-1.0)).progress, Some(0.0));
        assert_eq!(op.with_progress(Some(f64::NAN)).progress, None);
    }
}
