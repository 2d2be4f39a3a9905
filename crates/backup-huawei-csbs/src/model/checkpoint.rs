//! "Executing a Backup Policy": `POST /v1/{project_id}/providers/{provider_id}/checkpoints`.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{EmbeddedJson, repair};

/// The request body: `{"checkpoint": {...}}` (Table 2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateCheckpointRequest {
    /// The checkpoint to create.
    pub checkpoint: CheckpointReq,
}

/// `checkpoint_req` (Table 3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointReq {
    /// Backup policy ID (mandatory).
    pub plan_id: String,
    /// Backup parameters (mandatory).
    pub parameters: CheckpointParam,
}

/// `checkpoint_param` (Table 4).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointParam {
    /// Whether automatic trigger is enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_trigger: Option<bool>,
    /// The IDs of the resources to back up; all of the policy's when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Vec<String>>,
}

/// The response body: `{"checkpoint": {...}}` (Table 5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateCheckpointResponse {
    /// The checkpoint created.
    pub checkpoint: CheckpointResp,
}

backup_core::string_enum! {
    /// The status of a checkpoint (Table 6: protecting, deleting, available, error).
    pub enum CheckpointStatus {
        /// Being backed up.
        Protecting = "protecting",
        /// Being deleted.
        Deleting = "deleting",
        /// Backed up.
        Available = "available",
        /// Failed.
        Error = "error",
    }
}

/// `checkpoint_resp` (Table 6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointResp {
    /// Status.
    #[serde(default)]
    pub status: Option<CheckpointStatus>,
    /// Creation time, e.g. `2016-12-06T21:20:29.898823` (UTC).
    #[serde(default, deserialize_with = "backup_core::lenient::opt_text")]
    pub created_at: Option<String>,
    /// Backup record ID (the checkpoint id).
    pub id: String,
    /// Resource diagram; `null` when the backup covers whole systems.
    #[serde(default)]
    pub resource_graph: Option<EmbeddedJson>,
    /// Project ID.
    #[serde(default, deserialize_with = "backup_core::lenient::opt_text")]
    pub project_id: Option<String>,
    /// Backup policy information.
    #[serde(default)]
    pub protection_plan: Option<PlanResp>,
    /// Additional information, such as the creation mode (`{"created_by": "manual"}`).
    #[serde(default)]
    pub extra_info: Option<EmbeddedJson>,
}

impl CheckpointResp {
    /// [`created_at`](Self::created_at) as a time, when it parses.
    #[must_use]
    pub fn created_time(&self) -> Option<OffsetDateTime> {
        self.created_at
            .as_deref()
            .and_then(backup_core::timefmt::parse_timestamp)
    }
}

/// `plan_resp` (Table 7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanResp {
    /// Backup policy ID.
    #[serde(default, deserialize_with = "backup_core::lenient::opt_text")]
    pub id: Option<String>,
    /// Backup policy name.
    #[serde(default, deserialize_with = "backup_core::lenient::opt_text")]
    pub name: Option<String>,
    /// Backup object list.
    #[serde(default)]
    pub resources: Vec<Resource>,
}

/// `resource` (Table 8).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    /// ID of the object to be backed up.
    #[serde(default, deserialize_with = "backup_core::lenient::opt_text")]
    pub id: Option<String>,
    /// Entity type, fixed at `OS::Nova::Server` (ECS).
    #[serde(
        rename = "type",
        default,
        deserialize_with = "backup_core::lenient::opt_text"
    )]
    pub resource_type: Option<String>,
    /// Backup object name.
    #[serde(default, deserialize_with = "backup_core::lenient::opt_text")]
    pub name: Option<String>,
    /// Additional information of the resource.
    #[serde(default)]
    pub extra_info: Option<EmbeddedJson>,
}

/// Decodes a create-checkpoint answer, repairing the documented unescaped
/// `extra_info` / `resource_graph` objects when the body is not valid JSON as sent
/// (see [`super::escape_unquoted_objects`]).
///
/// # Errors
/// The JSON error of the body as sent, when it cannot be decoded even after the repair.
pub fn decode_create_response(body: &[u8]) -> Result<CreateCheckpointResponse, serde_json::Error> {
    match serde_json::from_slice(body) {
        Ok(response) => Ok(response),
        Err(error) => {
            let text = String::from_utf8_lossy(body);
            let Some(fixed) =
                repair::escape_unquoted_objects(&text, &["extra_info", "resource_graph"])
            else {
                return Err(error);
            };
            match serde_json::from_str(&fixed) {
                Ok(response) => {
                    tracing::debug!(
                        "decoded a create-checkpoint answer after escaping an embedded object"
                    );
                    Ok(response)
                }
                Err(_) => Err(error),
            }
        }
    }
}
