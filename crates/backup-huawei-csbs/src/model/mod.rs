//! Request and response types, field for field as Huawei documents them.
//!
//! - [`checkpoint`]: `POST /v1/{project_id}/providers/{provider_id}/checkpoints`
//!   ("Executing a Backup Policy");
//! - [`item`]: `GET /v1/{project_id}/checkpoint_items[?checkpoint_id=]` and
//!   `GET /v1/{project_id}/checkpoint_items/{item_id}` (the backups of a checkpoint).
//!
//! Unknown fields are tolerated; enums ([`backup_core::string_enum!`]) keep unknown
//! values as raw strings; text fields take any JSON value
//! ([`backup_core::lenient::opt_text`]); `extra_info` and `resource_graph` are
//! [`EmbeddedJson`], decoded leniently.

pub mod checkpoint;
mod embedded;
pub mod item;
mod repair;

pub use checkpoint::{
    CheckpointParam, CheckpointReq, CheckpointResp, CheckpointStatus, CreateCheckpointRequest,
    CreateCheckpointResponse, PlanResp, Resource, decode_create_response,
};
pub use embedded::EmbeddedJson;
pub use item::{
    CheckpointItem, CheckpointItemList, CheckpointItemResponse, FailCode, ItemExtendInfo,
    ItemStatus, VolumeBackup,
};
pub use repair::escape_unquoted_objects;
