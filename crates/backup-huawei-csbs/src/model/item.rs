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

/// `extend_info` of a checkpoint item.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ItemExtendInfo {
    /// Progress, 0-100 (a number, or a numeric string).
    #[serde(default, deserialize_with = "backup_core::lenient::opt_f64")]
    pub progress: Option<f64>,
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
