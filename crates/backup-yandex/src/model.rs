//! Request and response types of the Cloud Backup and Operation APIs, field for field as
//! Yandex documents them (`Policy.Execute`, `Operation`, `google.rpc.Status`,
//! `Backup.List`, the IAM token exchange and the VM metadata token).
//!
//! Unknown fields are ignored; every documented enum value is mapped and unknown ones are
//! kept raw. Where the REST page and the proto disagree (`progressPercentage` is a
//! "string" on the page and a double in the proto), both forms are accepted.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;

mod backup;

pub use backup::{
    Backup, BackupAttributes, BackupType, Disk, ListBackupsResponse, MAX_PAGE_SIZE, QUERY_INSTANCE,
    QUERY_PAGE_SIZE, QUERY_POLICY, Volume,
};

/// The `@type` of the metadata of `Policy.Execute`.
pub const EXECUTE_METADATA_TYPE: &str =
    "type.googleapis.com/yandex.cloud.backup.v1.ExecuteMetadata";
/// The `@type` of the (empty) response of `Policy.Execute`.
pub const EMPTY_TYPE: &str = "type.googleapis.com/google.protobuf.Empty";
/// The `@type` of the error detail that carries the request id.
pub const REQUEST_INFO_TYPE: &str = "type.googleapis.com/google.rpc.RequestInfo";

/// The body of `POST /backup/v1/policies/{policyId}:execute`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecuteRequest {
    /// Compute Cloud instance ID. Required.
    pub compute_instance_id: String,
}

/// An Operation resource (`yandex.cloud.operation.Operation`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Operation {
    /// ID of the operation.
    pub id: String,
    /// Description of the operation, 0-256 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Creation timestamp (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// ID of the user or service account who initiated the operation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// When the Operation resource was last modified (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_at: Option<String>,
    /// `false` while in progress; `true` once completed, with `error` or `response`.
    #[serde(default, deserialize_with = "lenient_bool")]
    pub done: bool,
    /// Service-specific metadata: [`ExecuteMetadata`] for `Policy.Execute`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<ExecuteMetadata>,
    /// The error result, in case of failure or cancellation; may appear before `done`
    /// while the operation rolls back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Status>,
    /// The normal result (`google.protobuf.Empty` for `Policy.Execute`), as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<serde_json::Value>,
}

impl Operation {
    /// [`Operation::created_at`] parsed.
    #[must_use]
    pub fn created_at_time(&self) -> Option<OffsetDateTime> {
        opt_time(self.created_at.as_deref())
    }

    /// [`Operation::modified_at`] parsed.
    #[must_use]
    pub fn modified_at_time(&self) -> Option<OffsetDateTime> {
        opt_time(self.modified_at.as_deref())
    }
}

/// `ExecuteMetadata`: what `Policy.Execute` reports while it runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ExecuteMetadata {
    /// The `Any` type URL (`type.googleapis.com/yandex.cloud.backup.v1.ExecuteMetadata`).
    #[serde(rename = "@type", default, skip_serializing_if = "Option::is_none")]
    pub type_url: Option<String>,
    /// Policy ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_id: Option<String>,
    /// Compute Cloud instance ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compute_instance_id: Option<String>,
    /// Progress of the backup process in percent: a number or a numeric string.
    #[serde(
        default,
        deserialize_with = "number_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub progress_percentage: Option<f64>,
}

/// `google.rpc.Status`: the error of an operation, or of a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    /// The gRPC code.
    pub code: GrpcCode,
    /// The error message.
    #[serde(default)]
    pub message: String,
    /// Messages that carry the error details (each an `Any` with `@type`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<serde_json::Value>,
}

impl Status {
    /// The `requestId` of a `google.rpc.RequestInfo` detail, if one is present.
    #[must_use]
    pub fn request_id(&self) -> Option<&str> {
        self.details.iter().find_map(|detail| {
            let type_url = detail.get("@type")?.as_str()?;
            if type_url.ends_with("google.rpc.RequestInfo") {
                detail.get("requestId")?.as_str()
            } else {
                None
            }
        })
    }

    /// The details other than `RequestInfo` (`google.rpc.BadRequest`, `ErrorInfo`,
    /// `LocalizedMessage` ...), each as `<type>: <its fields as JSON>` (at most
    /// [`MAX_DETAIL_NOTE`] characters): what the error says beyond its code and message.
    #[must_use]
    pub fn detail_notes(&self) -> Vec<String> {
        self.details
            .iter()
            .filter_map(|detail| {
                let type_url = detail.get("@type").and_then(|t| t.as_str()).unwrap_or("");
                if type_url.ends_with("google.rpc.RequestInfo") {
                    return None;
                }
                let name = type_url.rsplit(['/', '.']).next().unwrap_or("");
                let fields = match detail {
                    serde_json::Value::Object(map) => serde_json::Value::Object(
                        map.iter()
                            .filter(|(key, _)| key.as_str() != "@type")
                            .map(|(key, value)| (key.clone(), value.clone()))
                            .collect(),
                    ),
                    other => other.clone(),
                };
                let note = if name.is_empty() {
                    fields.to_string()
                } else {
                    format!("{name}: {fields}")
                };
                Some(truncate_chars(note, MAX_DETAIL_NOTE))
            })
            .collect()
    }
}

/// The longest note [`Status::detail_notes`] makes of one detail, in characters.
pub const MAX_DETAIL_NOTE: usize = 300;

fn truncate_chars(text: String, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

/// `google.rpc.Code`: every value of the enum, and any other kept raw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GrpcCode {
    /// 0: not an error.
    Ok,
    /// 1: cancelled, typically by the caller.
    Cancelled,
    /// 2: unknown error.
    Unknown,
    /// 3: the client specified an invalid argument.
    InvalidArgument,
    /// 4: the deadline expired before the operation could complete.
    DeadlineExceeded,
    /// 5: some requested entity was not found.
    NotFound,
    /// 6: the entity already exists.
    AlreadyExists,
    /// 7: the caller lacks permission.
    PermissionDenied,
    /// 8: some resource has been exhausted (quota, rate).
    ResourceExhausted,
    /// 9: the system is not in a state required for the operation.
    FailedPrecondition,
    /// 10: the operation was aborted (concurrency conflict).
    Aborted,
    /// 11: the operation was attempted past the valid range.
    OutOfRange,
    /// 12: the operation is not implemented or supported.
    Unimplemented,
    /// 13: internal error.
    Internal,
    /// 14: the service is currently unavailable.
    Unavailable,
    /// 15: unrecoverable data loss or corruption.
    DataLoss,
    /// 16: no valid authentication credentials.
    Unauthenticated,
    /// Any other value, kept as sent.
    Other(i64),
}

impl GrpcCode {
    const ALL: [(GrpcCode, &'static str); 17] = [
        (Self::Ok, "OK"),
        (Self::Cancelled, "CANCELLED"),
        (Self::Unknown, "UNKNOWN"),
        (Self::InvalidArgument, "INVALID_ARGUMENT"),
        (Self::DeadlineExceeded, "DEADLINE_EXCEEDED"),
        (Self::NotFound, "NOT_FOUND"),
        (Self::AlreadyExists, "ALREADY_EXISTS"),
        (Self::PermissionDenied, "PERMISSION_DENIED"),
        (Self::ResourceExhausted, "RESOURCE_EXHAUSTED"),
        (Self::FailedPrecondition, "FAILED_PRECONDITION"),
        (Self::Aborted, "ABORTED"),
        (Self::OutOfRange, "OUT_OF_RANGE"),
        (Self::Unimplemented, "UNIMPLEMENTED"),
        (Self::Internal, "INTERNAL"),
        (Self::Unavailable, "UNAVAILABLE"),
        (Self::DataLoss, "DATA_LOSS"),
        (Self::Unauthenticated, "UNAUTHENTICATED"),
    ];

    /// The code for a number.
    #[must_use]
    pub fn from_i64(value: i64) -> Self {
        usize::try_from(value)
            .ok()
            .and_then(|index| Self::ALL.get(index))
            .map_or(Self::Other(value), |(code, _)| *code)
    }

    /// The code for a name (`FAILED_PRECONDITION`), case-insensitively.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(name.trim()))
            .map(|(code, _)| *code)
    }

    /// The number.
    #[must_use]
    pub fn as_i64(self) -> i64 {
        match self {
            Self::Other(value) => value,
            code => Self::ALL
                .iter()
                .position(|(c, _)| *c == code)
                .and_then(|index| i64::try_from(index).ok())
                .unwrap_or(-1),
        }
    }

    /// The name (`FAILED_PRECONDITION`); for an unknown code, its number.
    #[must_use]
    pub fn name(self) -> String {
        Self::ALL
            .iter()
            .find(|(c, _)| *c == self)
            .map_or_else(|| self.as_i64().to_string(), |(_, name)| (*name).to_owned())
    }

    /// The HTTP status Yandex's REST gateway answers with for this code.
    #[must_use]
    pub fn http_status(self) -> u16 {
        match self {
            Self::Ok => 200,
            Self::Cancelled => 499,
            Self::InvalidArgument | Self::FailedPrecondition | Self::OutOfRange => 400,
            Self::DeadlineExceeded => 504,
            Self::NotFound => 404,
            Self::AlreadyExists | Self::Aborted => 409,
            Self::PermissionDenied => 403,
            Self::ResourceExhausted => 429,
            Self::Unimplemented => 501,
            Self::Unavailable => 503,
            Self::Unauthenticated => 401,
            Self::Unknown | Self::Internal | Self::DataLoss | Self::Other(_) => 500,
        }
    }
}

impl fmt::Display for GrpcCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl Serialize for GrpcCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(self.as_i64())
    }
}

impl<'de> Deserialize<'de> for GrpcCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(deserializer)? {
            serde_json::Value::Number(n) => n
                .as_i64()
                .map(Self::from_i64)
                .ok_or_else(|| serde::de::Error::custom("a gRPC code must be an integer")),
            serde_json::Value::String(s) => s
                .trim()
                .parse::<i64>()
                .ok()
                .map(Self::from_i64)
                .or_else(|| Self::from_name(&s))
                .ok_or_else(|| serde::de::Error::custom(format!("unknown gRPC code {s:?}"))),
            _ => Err(serde::de::Error::custom(
                "a gRPC code must be a number or a name",
            )),
        }
    }
}

/// The answer of `POST /iam/v1/tokens`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IamTokenResponse {
    /// The IAM token.
    pub iam_token: secrecy::SecretString,
    /// When it expires (RFC 3339).
    #[serde(default)]
    pub expires_at: Option<String>,
}

/// The answer of the VM metadata service's token endpoint.
#[derive(Debug, Clone, Deserialize)]
pub struct MetadataTokenResponse {
    /// The IAM token of the VM's service account.
    pub access_token: secrecy::SecretString,
    /// Seconds until it expires.
    #[serde(default)]
    pub expires_in: Option<u64>,
    /// `Bearer`.
    #[serde(default)]
    pub token_type: Option<String>,
}

/// An RFC 3339 timestamp, parsed.
fn opt_time(text: Option<&str>) -> Option<OffsetDateTime> {
    text.and_then(backup_core::timefmt::parse_rfc3339)
}

fn lenient_bool<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::Bool(b) => Ok(b),
        serde_json::Value::Null => Ok(false),
        serde_json::Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        serde_json::Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        other => Err(serde::de::Error::custom(format!(
            "`done` must be a boolean, not {other}"
        ))),
    }
}

fn number_or_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
    match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::Number(n) => Ok(n.as_f64()),
        serde_json::Value::String(s) if s.trim().is_empty() => Ok(None),
        serde_json::Value::String(s) => s
            .trim()
            .parse::<f64>()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("not a percentage: {s:?}"))),
        other => Err(serde::de::Error::custom(format!(
            "not a percentage: {other}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips() {
        for n in 0..=16 {
            let code = GrpcCode::from_i64(n);
            assert!(!matches!(code, GrpcCode::Other(_)));
            assert_eq!(code.as_i64(), n);
            assert_eq!(GrpcCode::from_name(&code.name()), Some(code));
        }
        assert_eq!(GrpcCode::from_i64(42), GrpcCode::Other(42));
        assert_eq!(GrpcCode::Other(42).name(), "42");
        assert_eq!(GrpcCode::from_i64(-1), GrpcCode::Other(-1));
    }

    #[test]
    fn codes_decode_from_numbers_and_names() {
        for (text, code) in [
            ("9", GrpcCode::FailedPrecondition),
            ("\"9\"", GrpcCode::FailedPrecondition),
            ("\"failed_precondition\"", GrpcCode::FailedPrecondition),
            ("99", GrpcCode::Other(99)),
        ] {
            assert_eq!(serde_json::from_str::<GrpcCode>(text).unwrap(), code);
        }
        assert!(serde_json::from_str::<GrpcCode>("\"nope\"").is_err());
        assert!(serde_json::from_str::<GrpcCode>("1.5").is_err());
    }

    #[test]
    fn done_is_lenient() {
        for (text, expected) in [
            (r#"{"id":"a","done":true}"#, true),
            (r#"{"id":"a","done":"true"}"#, true),
            (r#"{"id":"a","done":"FALSE"}"#, false),
            (r#"{"id":"a","done":null}"#, false),
            (r#"{"id":"a"}"#, false),
        ] {
            let op: Operation = serde_json::from_str(text).unwrap();
            assert_eq!(op.done, expected, "{text}");
        }
        assert!(serde_json::from_str::<Operation>(r#"{"id":"a","done":"boolean"}"#).is_err());
        assert!(serde_json::from_str::<Operation>(r#"{"done":true}"#).is_err());
    }

    #[test]
    fn progress_accepts_number_and_string() {
        for (text, expected) in [
            (r#"{"progressPercentage": 42.5}"#, Some(42.5)),
            (r#"{"progressPercentage": "42.5"}"#, Some(42.5)),
            (r#"{"progressPercentage": ""}"#, None),
            (r#"{"progressPercentage": null}"#, None),
            (r#"{}"#, None),
        ] {
            let metadata: ExecuteMetadata = serde_json::from_str(text).unwrap();
            assert_eq!(metadata.progress_percentage, expected, "{text}");
        }
        assert!(serde_json::from_str::<ExecuteMetadata>(r#"{"progressPercentage":"x"}"#).is_err());
    }
}
