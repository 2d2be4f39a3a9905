//! The string enums of the Recovery Services API: every documented value mapped, any
//! other value kept as it came (backup-core's `string_enum!`: exact match first, then
//! ASCII case-insensitive, as ARM compares).

backup_core::string_enum! {
    /// `backupType` of an [`AzureWorkloadBackupRequest`](super::AzureWorkloadBackupRequest):
    /// "Type of backup, viz. Full, Differential, Log or CopyOnlyFull" (all eight
    /// documented values).
    pub enum BackupType {
        /// `CopyOnlyFull`.
        CopyOnlyFull = "CopyOnlyFull",
        /// `Differential`.
        Differential = "Differential",
        /// `Full`.
        Full = "Full",
        /// `Incremental`.
        Incremental = "Incremental",
        /// `Invalid`.
        Invalid = "Invalid",
        /// `Log`.
        Log = "Log",
        /// `SnapshotCopyOnlyFull`.
        SnapshotCopyOnlyFull = "SnapshotCopyOnlyFull",
        /// `SnapshotFull`.
        SnapshotFull = "SnapshotFull",
    }
}

backup_core::string_enum! {
    /// `status` of an async operation (`Azure-AsyncOperation` answer).
    pub enum OperationStatusValue {
        /// `Invalid`.
        Invalid = "Invalid",
        /// `InProgress`.
        InProgress = "InProgress",
        /// `Succeeded`: the trigger was accepted (the backup job runs on).
        Succeeded = "Succeeded",
        /// `Failed`.
        Failed = "Failed",
        /// `Canceled`.
        Canceled = "Canceled",
    }
}

backup_core::string_enum! {
    /// `status` of a backup job (`backupJobs/{jobId}`).
    pub enum JobStatus {
        /// `Invalid`.
        Invalid = "Invalid",
        /// `InProgress`.
        InProgress = "InProgress",
        /// `Completed`.
        Completed = "Completed",
        /// `Failed`.
        Failed = "Failed",
        /// `CompletedWithWarnings`.
        CompletedWithWarnings = "CompletedWithWarnings",
        /// `Cancelled`.
        Cancelled = "Cancelled",
        /// `Cancelling`.
        Cancelling = "Cancelling",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_values_round_trip_and_unknown_ones_are_kept() {
        for value in BackupType::DOCUMENTED {
            assert_eq!(&BackupType::parse(value.as_str()), value);
            let json = serde_json::to_string(value).unwrap_or_default();
            assert_eq!(json, format!("\"{value}\""));
        }
        assert_eq!(BackupType::DOCUMENTED.len(), 8);
        assert_eq!(JobStatus::parse("completed"), JobStatus::Completed);
        assert_eq!(
            JobStatus::parse("Paused"),
            JobStatus::Other("Paused".to_owned())
        );
        let parsed: OperationStatusValue =
            serde_json::from_str("\"Rebooting\"").unwrap_or(OperationStatusValue::Invalid);
        assert_eq!(parsed.as_str(), "Rebooting");
    }
}
