//! The backups of a checkpoint: `GET /v1/{project_id}/checkpoint_items?checkpoint_id=`
//! and `GET /v1/{project_id}/checkpoint_items/{item_id}`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;

backup_core::string_enum! {
    /// The status of a checkpoint item (one resource's backup).
    pub enum ItemStatus {
        /// Waiting to be backed up.
        WaitingProtect = "waiting_protect",
        /// Being backed up.
        Protecting = "protecting",
        /// Backed up and usable.
        Available = "available",
        /// Waiting to be restored from.
        WaitingRestore = "waiting_restore",
        /// Being restored from.
        Restoring = "restoring",
        /// Failed.
        Error = "error",
        /// Waiting to be deleted.
        WaitingDelete = "waiting_delete",
        /// Being deleted.
        Deleting = "deleting",
        /// Deleted.
        Deleted = "deleted",
    }
}

/// `{"checkpoint_items": [...], "count": N}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointItemList {
    /// The items.
    #[serde(default)]
    pub checkpoint_items: Vec<CheckpointItem>,
    /// How many items match.
    #[serde(default)]
    pub count: Option<u64>,
}

/// `{"checkpoint_item": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointItemResponse {
    /// The item.
    pub checkpoint_item: CheckpointItem,
}

/// One backup of one resource within a checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointItem {
    /// The backup id.
    #[serde(default, deserialize_with = "backup_core::lenient::opt_text")]
    pub id: Option<String>,
    /// The backup name.
    #[serde(default, deserialize_with = "backup_core::lenient::opt_text")]
    pub name: Option<String>,
    /// The description.
    #[serde(default, deserialize_with = "backup_core::lenient::opt_text")]
    pub description: Option<String>,
    /// The status.
    #[serde(default)]
    pub status: Option<ItemStatus>,
    /// The checkpoint (backup record) it belongs to.
    #[serde(default, deserialize_with = "backup_core::lenient::opt_text")]
    pub checkpoint_id: Option<String>,
    /// The backed-up resource.
    #[serde(default, deserialize_with = "backup_core::lenient::opt_text")]
    pub resource_id: Option<String>,
    /// Its type (`OS::Nova::Server`).
    #[serde(default, deserialize_with = "backup_core::lenient::opt_text")]
    pub resource_type: Option<String>,
    /// Creation time (`2017-04-18T01:21:52.701973`, UTC).
    #[serde(default, deserialize_with = "backup_core::lenient::opt_text")]
    pub created_at: Option<String>,
    /// Last update time.
    #[serde(default, deserialize_with = "backup_core::lenient::opt_text")]
    pub updated_at: Option<String>,
    /// Details: progress, failure, end time.
    #[serde(default)]
    pub extend_info: Option<ItemExtendInfo>,
    /// Fields this crate does not model, kept as sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl CheckpointItem {
    /// [`created_at`](Self::created_at) as a time.
    #[must_use]
    pub fn created_time(&self) -> Option<OffsetDateTime> {
        self.created_at
            .as_deref()
            .and_then(backup_core::timefmt::parse_timestamp)
    }
}

/// `extend_info` of a checkpoint item ("Querying a Single Backup", Table 4: the fields
/// this crate reads; the others are kept in [`other`](Self::other)).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ItemExtendInfo {
    /// Whether the backup was started by the policy's schedule (`false` for a manual
    /// execution).
    #[serde(default, deserialize_with = "lenient_bool")]
    pub auto_trigger: Option<bool>,
    /// Progress, 0-100 (a number, or a numeric string).
    #[serde(default, deserialize_with = "backup_core::lenient::opt_f64")]
    pub progress: Option<f64>,
    /// The backed-up server's name.
    #[serde(default, deserialize_with = "backup_core::lenient::opt_text")]
    pub resource_name: Option<String>,
    /// The backup's capacity, in MB (a number, or a numeric string).
    #[serde(default, deserialize_with = "backup_core::lenient::opt_i64")]
    pub size: Option<i64>,
    /// The backups of the server's disks (EVS volumes); `null` or absent is empty.
    #[serde(default, deserialize_with = "lenient_volume_backups")]
    pub volume_backups: Vec<VolumeBackup>,
    /// The backup job's id.
    #[serde(default, deserialize_with = "backup_core::lenient::opt_text")]
    pub taskid: Option<String>,
    /// Why it failed.
    #[serde(default, deserialize_with = "backup_core::lenient::opt_text")]
    pub fail_reason: Option<String>,
    /// The failure code (`{}` when none).
    #[serde(default, deserialize_with = "lenient_fail_code")]
    pub fail_code: Option<FailCode>,
    /// The operation that failed (`backup`, ...).
    #[serde(default, deserialize_with = "backup_core::lenient::opt_text")]
    pub fail_op: Option<String>,
    /// When it finished (`2017-04-18T01:25:03.812466`, UTC).
    #[serde(default, deserialize_with = "backup_core::lenient::opt_text")]
    pub finished_at: Option<String>,
    /// Fields this crate does not model, kept as sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl ItemExtendInfo {
    /// [`finished_at`](Self::finished_at) as a time.
    #[must_use]
    pub fn finished_time(&self) -> Option<OffsetDateTime> {
        self.finished_at
            .as_deref()
            .and_then(backup_core::timefmt::parse_timestamp)
    }

    /// The backup's capacity in MB: [`size`](Self::size), else the sum of the disk
    /// backups' sizes (when any gives one); negative figures count as unknown.
    #[must_use]
    pub fn size_mb(&self) -> Option<u64> {
        if let Some(size) = self.size.and_then(|s| u64::try_from(s).ok()) {
            return Some(size);
        }
        let sizes: Vec<u64> = self
            .volume_backups
            .iter()
            .filter_map(|volume| volume.size.and_then(|s| u64::try_from(s).ok()))
            .collect();
        (!sizes.is_empty()).then(|| sizes.iter().fold(0u64, |sum, s| sum.saturating_add(*s)))
    }
}

/// One disk's backup within a checkpoint item (`volume_backup`, Table 7).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VolumeBackup {
    /// The disk backup's (Cinder backup's) id.
    #[serde(default, deserialize_with = "backup_core::lenient::opt_text")]
    pub id: Option<String>,
    /// Its name.
    #[serde(default, deserialize_with = "backup_core::lenient::opt_text")]
    pub name: Option<String>,
    /// Its status.
    #[serde(default, deserialize_with = "backup_core::lenient::opt_text")]
    pub status: Option<String>,
    /// "Accumulated size (MB) of backups".
    #[serde(default, deserialize_with = "backup_core::lenient::opt_i64")]
    pub size: Option<i64>,
    /// The backed-up disk.
    #[serde(default, deserialize_with = "backup_core::lenient::opt_text")]
    pub source_volume_id: Option<String>,
    /// The disk's name.
    #[serde(default, deserialize_with = "backup_core::lenient::opt_text")]
    pub source_volume_name: Option<String>,
    /// The disk's size, in GB.
    #[serde(default, deserialize_with = "backup_core::lenient::opt_i64")]
    pub source_volume_size: Option<i64>,
    /// Whether it is the system disk.
    #[serde(default, deserialize_with = "lenient_bool")]
    pub bootable: Option<bool>,
    /// Fields this crate does not model, kept as sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// A Boolean, or `"true"` / `"false"` as text; anything else is `None`.
fn lenient_bool<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<bool>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Bool(b) => Some(b),
        Value::String(text) => match text.trim().to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        _ => None,
    })
}

/// A list of disk backups; `null`, a non-list or an entry that is not an object is
/// dropped rather than failing the answer.
fn lenient_volume_backups<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<VolumeBackup>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Array(list) => list
            .into_iter()
            .filter_map(|entry| match entry {
                Value::Object(map) => serde_json::from_value(Value::Object(map)).ok(),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    })
}

/// `fail_code`: `{"Code": "...", "Description": "..."}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailCode {
    /// The code.
    #[serde(
        rename = "Code",
        default,
        deserialize_with = "backup_core::lenient::opt_text"
    )]
    pub code: Option<String>,
    /// What it means.
    #[serde(
        rename = "Description",
        default,
        deserialize_with = "backup_core::lenient::opt_text"
    )]
    pub description: Option<String>,
}

impl FailCode {
    /// Whether it carries nothing (`{}`).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.code.is_none() && self.description.is_none()
    }
}

fn lenient_fail_code<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<FailCode>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Object(map) => serde_json::from_value(Value::Object(map)).ok(),
        Value::String(text) => serde_json::from_str::<FailCode>(&text)
            .ok()
            .or(Some(FailCode {
                code: None,
                description: Some(text),
            })),
        _ => None,
    })
}
