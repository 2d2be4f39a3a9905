//! Request and response types, field for field as Huawei documents them.
//!
//! - [`checkpoint`]: `POST /v1/{project_id}/providers/{provider_id}/checkpoints`
//!   ("Executing a Backup Policy");
//! - [`item`]: `GET /v1/{project_id}/checkpoint_items[?checkpoint_id=]` and
//!   `GET /v1/{project_id}/checkpoint_items/{item_id}` (the backups of a checkpoint).
//!
//! Unknown fields are tolerated; enums keep unknown values as raw strings; `extra_info`
//! and `resource_graph` are [`EmbeddedJson`], decoded leniently.

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
    ItemStatus,
};
pub use repair::escape_unquoted_objects;

/// A string enum that keeps unknown values: `Other(raw)`.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $( $(#[$vmeta:meta])* $variant:ident => $text:literal ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this crate does not know, kept as sent.
            Other(String),
        }

        impl $name {
            /// Every documented value.
            pub const DOCUMENTED: &'static [$name] = &[$($name::$variant),+];

            /// The value as the vendor writes it.
            #[must_use]
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $text, )+
                    $name::Other(raw) => raw,
                }
            }

            /// Parses the vendor's word; unknown words become `Other`.
            #[must_use]
            pub fn parse(text: &str) -> Self {
                match text {
                    $( $text => $name::$variant, )+
                    other => $name::Other(other.to_owned()),
                }
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
pub(crate) use string_enum;

/// Deserialises a string field that may also come as a number, `null` or anything else
/// (kept as its JSON text) without failing.
pub(crate) fn lenient_string<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    use serde::Deserialize as _;
    Ok(match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s),
        other => Some(other.to_string()),
    })
}
