//! The string enums of the Recovery Services API: every documented value mapped, any
//! other value kept as it came.

/// Defines a string enum with an `Other(String)` variant for values the documents do
/// not list, serialised as the plain string.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value the documents do not list, kept as the service sent it.
            Other(String),
        }

        impl $name {
            /// Every documented value, in the documents' order.
            pub const DOCUMENTED: &'static [$name] = &[ $( $name::$variant, )+ ];

            /// The value as the service spells it.
            #[must_use]
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $text, )+
                    $name::Other(text) => text,
                }
            }

            /// Parses a value; unknown values become `Other`. Matching is exact first,
            /// then ASCII case-insensitive (ARM is case-insensitive).
            #[must_use]
            pub fn parse(text: &str) -> Self {
                $( if text == $text { return $name::$variant; } )+
                $( if text.eq_ignore_ascii_case($text) { return $name::$variant; } )+
                $name::Other(text.to_owned())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                Ok(Self::parse(&text))
            }
        }
    };
}

string_enum! {
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

string_enum! {
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

string_enum! {
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
