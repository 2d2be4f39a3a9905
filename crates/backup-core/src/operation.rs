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
}

impl fmt::Display for VendorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            Some(code) => write!(f, "{code}: {}", self.message),
            None => f.write_str(&self.message),
        }
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

    /// Sets the poll hint.
    #[must_use]
    pub fn with_poll_after(mut self, poll_after: Option<Duration>) -> Self {
        self.poll_after = poll_after;
        self
    }

    /// Whether another observer would see a change from `previous` to `self`:
    /// status, vendor status, progress, job id, message or error differ.
    #[must_use]
    pub fn differs_from(&self, previous: &Operation) -> bool {
        self.status != previous.status
            || self.vendor_status != previous.vendor_status
            || self.progress != previous.progress
            || self.job_id != previous.job_id
            || self.message != previous.message
            || self.error != previous.error
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
    fn progress_is_clamped() {
        let op = Operation::new(OperationRef::new("v", "1"), OperationStatus::Running);
        assert_eq!(op.clone().with_progress(Some(150.0)).progress, Some(100.0));
        assert_eq!(op.clone().with_progress(Some(-1.0)).progress, Some(0.0));
        assert_eq!(op.with_progress(Some(f64::NAN)).progress, None);
    }
}
