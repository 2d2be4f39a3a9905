//! `BackupService.List` (`GET /backup/v1/backups`): the backups Cloud Backup keeps, field
//! for field as the REST reference (`Backup.list`) and `yandex/cloud/backup/v1/backup.proto`
//! give them.
//!
//! Sizes are `int64`, which the REST mapping sends as strings (`"size": "string (int64)"`
//! on the page); numbers are accepted too, and a size that is neither is dropped rather
//! than failing the answer.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::opt_time;

/// The query parameter that lists the backups of one instance made by one policy
/// (`ListBackupsRequest.instance_policy.compute_instance_id`).
pub const QUERY_INSTANCE: &str = "instancePolicy.computeInstanceId";
/// The query parameter naming the policy of [`QUERY_INSTANCE`]
/// (`ListBackupsRequest.instance_policy.policy_id`).
pub const QUERY_POLICY: &str = "instancePolicy.policyId";
/// The query parameter for the number of results per page (`page_size`, at most 1000).
pub const QUERY_PAGE_SIZE: &str = "pageSize";
/// The largest page the proto allows (`page_size` `<=1000`).
pub const MAX_PAGE_SIZE: u32 = 1000;

/// The answer of `GET /backup/v1/backups`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ListBackupsResponse {
    /// The backups, newest first unless `orderBy` said otherwise.
    #[serde(default)]
    pub backups: Vec<Backup>,
    /// Token for the next results page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_page_token: Option<String>,
}

backup_core::string_enum! {
    /// `Backup.Type`.
    pub enum BackupType {
        /// Not given.
        Unspecified = "TYPE_UNSPECIFIED",
        /// A full backup.
        Full = "FULL",
        /// An incremental backup.
        Incremental = "INCREMENTAL",
    }
}

/// One backup (`yandex.cloud.backup.v1.Backup`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Backup {
    /// ID of the backup.
    #[serde(default)]
    pub id: String,
    /// ID of the backup vault.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vault_id: Option<String>,
    /// ID of the backup archive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archive_id: Option<String>,
    /// Creation time (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// When the backup was last seen (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen_at: Option<String>,
    /// Backup size, in bytes.
    #[serde(
        default,
        deserialize_with = "backup_core::lenient::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub size: Option<i64>,
    /// Deduplicated backup size.
    #[serde(
        default,
        deserialize_with = "backup_core::lenient::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub deduplicated_size: Option<i64>,
    /// Backed up data size.
    #[serde(
        default,
        deserialize_with = "backup_core::lenient::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub backed_up_data_size: Option<i64>,
    /// Original data size.
    #[serde(
        default,
        deserialize_with = "backup_core::lenient::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub original_data_size: Option<i64>,
    /// Backup attributes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<BackupAttributes>,
    /// Compute Cloud instance ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compute_instance_id: Option<String>,
    /// The disks backed up.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disks: Vec<Disk>,
    /// Full or incremental.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub backup_type: Option<BackupType>,
    /// Whether the backup was deleted.
    #[serde(default)]
    pub deleted: bool,
    /// ID of the policy that made it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_id: Option<String>,
    /// Resource ID: the instance in Cloud Backup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
}

impl Backup {
    /// [`Backup::created_at`] parsed.
    #[must_use]
    pub fn created_at_time(&self) -> Option<OffsetDateTime> {
        opt_time(self.created_at.as_deref())
    }

    /// [`Backup::size`] as bytes, when it is given and not negative.
    #[must_use]
    pub fn size_bytes(&self) -> Option<u64> {
        self.size.and_then(|size| u64::try_from(size).ok())
    }
}

/// `Backup.BackupAttributes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct BackupAttributes {
    /// Backup stream name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_name: Option<String>,
    /// URI of the backup archive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
}

/// A disk of a backup (`yandex.cloud.backup.v1.Disk`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Disk {
    /// Device model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_model: Option<String>,
    /// Disk name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Disk size.
    #[serde(
        default,
        deserialize_with = "backup_core::lenient::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub size: Option<i64>,
    /// Its volumes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<Volume>,
}

/// A volume of a disk (`yandex.cloud.backup.v1.Volume`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Volume {
    /// Free space in the volume.
    #[serde(
        default,
        deserialize_with = "backup_core::lenient::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub free_space: Option<i64>,
    /// Whether the volume is bootable.
    #[serde(default)]
    pub is_bootable: bool,
    /// Whether the volume is a system volume.
    #[serde(default)]
    pub is_system: bool,
    /// Volume name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Volume size.
    #[serde(
        default,
        deserialize_with = "backup_core::lenient::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub size: Option<i64>,
    /// Mount string ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mount_strid: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_come_as_strings_or_numbers() {
        let backup: Backup = serde_json::from_str(
            r#"{"id":"b","size":"1024","deduplicatedSize":512,"originalDataSize":"n/a",
                "type":"INCREMENTAL","deleted":false}"#,
        )
        .unwrap();
        assert_eq!(backup.size_bytes(), Some(1024));
        assert_eq!(backup.deduplicated_size, Some(512));
        assert_eq!(backup.original_data_size, None);
        assert_eq!(backup.backup_type, Some(BackupType::Incremental));
        let negative: Backup = serde_json::from_str(r#"{"id":"b","size":"-1"}"#).unwrap();
        assert_eq!(negative.size_bytes(), None);
        let odd: Backup = serde_json::from_str(r#"{"id":"b","type":"DIFFERENTIAL"}"#).unwrap();
        assert_eq!(
            odd.backup_type,
            Some(BackupType::Other("DIFFERENTIAL".to_owned()))
        );
    }

    #[test]
    fn an_empty_list_is_an_empty_object() {
        let list: ListBackupsResponse = serde_json::from_str("{}").unwrap();
        assert!(list.backups.is_empty());
        assert_eq!(list.next_page_token, None);
    }
}
