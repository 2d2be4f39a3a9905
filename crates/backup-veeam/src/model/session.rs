//! Job sessions, their links, durations and logs, in every documented form.
//!
//! The forms differ between Veeam's own documents, and an appliance may send any of
//! them, so each is accepted:
//!
//! - `executionDuration`: a .NET `TimeSpan` string (`"00:00:31.8370930"`: the v1 start
//!   example, the v3 collection example, the v8.1 spec's `format: time-span`) or an
//!   integer of milliseconds (the JobSessionV2 / JobSessionV3 schema tables of
//!   versions 2 and 3: `integer($int64)`, "in ms") ([`ExecutionDuration`]).
//! - `_links`: a map of `{href}` by relation (the v1 and v3 examples, the v8.1 spec's
//!   `LinksDictionary`) or an array of links (the JobSessionV3 schema table: `array`)
//!   ([`Links`]).
//! - `status` and `type`: a string, or an array of strings (the JobSessionV2 schema
//!   table writes both as `array[string]`; the first value is taken).
//! - `backupJobInfo.policyType`: the v8.1 spec's `PolicyType` enum ([`PolicyType`]).

use std::time::Duration;

use backup_core::timefmt;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use time::OffsetDateTime;

use super::session_id;

backup_core::string_enum! {
    /// The status of a job session (the v8.1 spec's `JobStatus`; no `Failed`: errors
    /// are `Error`).
    #[derive(Default)]
    pub enum SessionStatus {
        /// Stopped by a user.
        Canceled = "Canceled",
        /// Being stopped.
        Canceling = "Canceling",
        /// Ended with errors.
        Error = "Error",
        /// Never ran.
        NeverExecuted = "NeverExecuted",
        /// Running.
        Running = "Running",
        /// Running, with errors so far.
        RunningWithError = "RunningWithError",
        /// Running, with warnings so far.
        RunningWithWarning = "RunningWithWarning",
        /// Ended well.
        Success = "Success",
        /// Ended with warnings.
        Warning = "Warning",
        /// Waiting to run.
        Pending = "Pending",
        /// The appliance does not know (also the default when absent).
        #[default]
        Unknown = "Unknown",
    }
}

backup_core::string_enum! {
    /// The type of a job session started by a policy (the document's example shows
    /// both: a snapshot session and a backup session; the v8.1 spec's
    /// `JobSessionType` lists many more, kept as [`SessionType::Other`]).
    pub enum SessionType {
        /// Taking the snapshots of the protected instances.
        PolicySnapshot = "PolicySnapshot",
        /// Copying the snapshots to a backup repository.
        PolicyBackup = "PolicyBackup",
    }
}

backup_core::string_enum! {
    /// The workload a backup policy protects (the v8.1 spec's `PolicyType`, in its
    /// order). The policies this crate starts (`policies/virtualMachines`) are
    /// `VirtualMachines`.
    pub enum PolicyType {
        /// Azure VMs.
        VirtualMachines = "VirtualMachines",
        /// Azure SQL databases.
        AzureSql = "AzureSql",
        /// Azure Files shares.
        FileShares = "FileShares",
        /// The appliance does not know.
        Unknown = "Unknown",
        /// Cosmos DB accounts.
        CosmosDb = "CosmosDb",
        /// SLA-based VM policies.
        ProtectionVmPolicy = "ProtectionVmPolicy",
        /// Virtual networks.
        Vnet = "Vnet",
    }
}

/// The `backupJobInfo` of a job session.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupJobInfo {
    /// The policy id.
    #[serde(default, deserialize_with = "backup_core::lenient::opt_text")]
    pub policy_id: Option<String>,
    /// The policy name.
    pub policy_name: Option<String>,
    /// The policy type (current versions: `VirtualMachines`, `AzureSql`, ...).
    pub policy_type: Option<PolicyType>,
    /// How many objects the policy backs up.
    #[serde(default, deserialize_with = "backup_core::lenient::opt_i64")]
    pub protected_instances_count: Option<i64>,
    /// Whether the policy was removed.
    pub policy_removed: Option<bool>,
}

/// How long a session ran, in either documented form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecutionDuration {
    /// Milliseconds (the JobSessionV2 / V3 schema tables: `integer($int64)`).
    Milliseconds(u64),
    /// A .NET `TimeSpan` (`00:00:31.8370930`), or any other text, as sent.
    Text(String),
}

impl ExecutionDuration {
    /// The duration, when it can be read (`None` for text that is not a `TimeSpan`).
    #[must_use]
    pub fn to_duration(&self) -> Option<Duration> {
        match self {
            Self::Milliseconds(ms) => Some(Duration::from_millis(*ms)),
            Self::Text(text) => timefmt::parse_dotnet_timespan(text),
        }
    }
}

impl Serialize for ExecutionDuration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Milliseconds(ms) => serializer.serialize_u64(*ms),
            Self::Text(text) => serializer.serialize_str(text),
        }
    }
}

/// `executionDuration`: an integer (milliseconds), a fraction (rounded down), a string
/// (kept as text); anything else (`null`, negative numbers, objects) is `None`.
fn execution_duration<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<ExecutionDuration>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::String(text) => Some(ExecutionDuration::Text(text)),
        Value::Number(number) => number
            .as_u64()
            .map(ExecutionDuration::Milliseconds)
            .or_else(|| {
                number
                    .as_f64()
                    .filter(|ms| ms.is_finite() && *ms >= 0.0 && *ms < 1.8e19)
                    // Checked above: finite, not negative, within u64.
                    .map(|ms| {
                        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                        let whole = ms.floor() as u64;
                        ExecutionDuration::Milliseconds(whole)
                    })
            }),
        _ => None,
    })
}

/// One link of a session: its relation, URL and (array form) method.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// The relation (`self`, `log`): the map key, or the array element's `rel`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rel: Option<String>,
    /// The URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub href: Option<String>,
    /// The HTTP method (array form only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
}

/// The `_links` of a session: a map by relation or an array of [`Link`]s, both read
/// into one list (map entries in key order). Elements of any other shape are skipped,
/// never failing the session.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Links(pub Vec<Link>);

impl Links {
    /// The `href` of the first link with relation `rel` (case-insensitive).
    #[must_use]
    pub fn href(&self, rel: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|link| {
                link.rel
                    .as_deref()
                    .is_some_and(|r| r.eq_ignore_ascii_case(rel))
            })
            .and_then(|link| link.href.as_deref())
    }

    /// The links of a `_links` value read as a `serde_json::Value` (the test oracle of
    /// the direct decoder in `links_de`).
    #[cfg(test)]
    pub(super) fn from_value(value: Value) -> Self {
        let text = |value: Option<&Value>| value.and_then(Value::as_str).map(str::to_owned);
        let link = |rel: Option<String>, value: &Value| match value {
            Value::String(href) => Some(Link {
                rel,
                href: Some(href.clone()),
                method: None,
            }),
            Value::Object(fields) => Some(Link {
                rel: rel.or_else(|| text(fields.get("rel"))),
                href: text(fields.get("href")),
                method: text(fields.get("method")),
            }),
            _ => None,
        };
        match value {
            Value::Object(map) => Self(
                map.iter()
                    .filter_map(|(rel, value)| link(Some(rel.clone()), value))
                    .collect(),
            ),
            Value::Array(items) => Self(items.iter().filter_map(|v| link(None, v)).collect()),
            _ => Self::default(),
        }
    }
}

impl Serialize for Links {
    /// As an array of links.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

/// A job session: what starting a policy creates, and what is polled.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobSession {
    /// The session id (`15` in the document, a GUID on current appliances; a number is
    /// kept as its text).
    #[serde(deserialize_with = "session_id")]
    pub id: String,
    /// The session type.
    #[serde(rename = "type", default, deserialize_with = "first_word")]
    pub session_type: Option<SessionType>,
    /// The session type in the appliance's language (current versions).
    pub localized_type: Option<String>,
    /// When the session started, as sent (`2020-02-03T14:25:03.2555023Z`).
    pub execution_start_time: Option<String>,
    /// When the session ended, as sent.
    pub execution_stop_time: Option<String>,
    /// How long it ran (so far), in either documented form.
    #[serde(default, deserialize_with = "execution_duration")]
    pub execution_duration: Option<ExecutionDuration>,
    /// The status.
    #[serde(default, deserialize_with = "status_word")]
    pub status: SessionStatus,
    /// The policy version (old versions only).
    #[serde(default, deserialize_with = "backup_core::lenient::opt_i64")]
    pub usn: Option<i64>,
    /// The policy behind the session.
    pub backup_job_info: Option<BackupJobInfo>,
    /// Links to related resources (`self`, `log`), in either documented form.
    #[serde(rename = "_links", default)]
    pub links: Option<Links>,
}

impl JobSession {
    /// [`Self::execution_start_time`] parsed.
    #[must_use]
    pub fn started_at(&self) -> Option<OffsetDateTime> {
        self.execution_start_time
            .as_deref()
            .and_then(timefmt::parse_timestamp)
    }

    /// [`Self::execution_stop_time`] parsed.
    #[must_use]
    pub fn stopped_at(&self) -> Option<OffsetDateTime> {
        self.execution_stop_time
            .as_deref()
            .and_then(timefmt::parse_timestamp)
    }

    /// [`Self::execution_duration`] read, in either form.
    #[must_use]
    pub fn duration(&self) -> Option<Duration> {
        self.execution_duration
            .as_ref()
            .and_then(ExecutionDuration::to_duration)
    }

    /// The `href` of link `name` (`self`, `log`), in either form of `_links`.
    #[must_use]
    pub fn link(&self, name: &str) -> Option<&str> {
        self.links.as_ref()?.href(name)
    }

    /// The policy id of [`Self::backup_job_info`].
    #[must_use]
    pub fn policy_id(&self) -> Option<&str> {
        self.backup_job_info.as_ref()?.policy_id.as_deref()
    }
}

/// A status or type sent as a string or an array of strings: the first word.
fn first_word<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: std::str::FromStr<Err = std::convert::Infallible>,
{
    let words = backup_core::lenient::text_list(deserializer)?;
    Ok(words.into_iter().next().and_then(|word| word.parse().ok()))
}

/// [`first_word`] for the status, `Unknown` when absent.
fn status_word<'de, D: Deserializer<'de>>(deserializer: D) -> Result<SessionStatus, D::Error> {
    Ok(first_word(deserializer)?.unwrap_or_default())
}

/// One entry of a session log.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogItem {
    /// When the entry was written, as sent.
    pub log_time: Option<String>,
    /// The status of the step (a [`SessionStatus`] word: `Success`, `Warning`,
    /// `Error` ...).
    #[serde(default, deserialize_with = "backup_core::lenient::opt_text")]
    pub status: Option<String>,
    /// The message.
    pub message: Option<String>,
    /// The resource the entry is about (v8.1 spec: `resourceHashId`).
    #[serde(default, deserialize_with = "backup_core::lenient::opt_text")]
    pub resource_hash_id: Option<String>,
    /// When the step started, as sent.
    pub execution_start_time: Option<String>,
}

impl LogItem {
    fn message_with_status(&self, status: &str) -> Option<&str> {
        let message = self.message.as_deref().filter(|m| !m.trim().is_empty())?;
        self.status
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case(status))
            .then_some(message)
    }
}

/// The log of a job session (`GET /api/{v}/jobSessions/{id}/log`):
/// `{jobSessionId, log: [LogItem]}` as documented for v1 and in the v8.1 spec
/// (`JobSessionLog`). A bare array, or a page with `results`, is accepted too.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionLog {
    /// The session id.
    pub job_session_id: Option<String>,
    /// The entries, oldest first.
    pub log: Vec<LogItem>,
}

impl SessionLog {
    /// The message of the newest entry that has one.
    #[must_use]
    pub fn last_message(&self) -> Option<&str> {
        self.log
            .iter()
            .rev()
            .find_map(|item| item.message.as_deref().filter(|m| !m.trim().is_empty()))
    }

    /// The message of the newest entry with status `Error`: the session log's last
    /// error.
    #[must_use]
    pub fn last_error(&self) -> Option<&str> {
        self.log
            .iter()
            .rev()
            .find_map(|item| item.message_with_status("Error"))
    }

    /// The message of the newest entry with status `Warning`.
    #[must_use]
    pub fn last_warning(&self) -> Option<&str> {
        self.log
            .iter()
            .rev()
            .find_map(|item| item.message_with_status("Warning"))
    }
}

impl<'de> Deserialize<'de> for SessionLog {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Documented {
            #[serde(default, deserialize_with = "backup_core::lenient::opt_text")]
            job_session_id: Option<String>,
            #[serde(
                default,
                alias = "results",
                alias = "data",
                deserialize_with = "null_list"
            )]
            log: Vec<LogItem>,
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Shape {
            Items(Vec<LogItem>),
            Documented(Documented),
        }
        Ok(match Shape::deserialize(deserializer)? {
            Shape::Items(log) => Self {
                job_session_id: None,
                log,
            },
            Shape::Documented(doc) => Self {
                job_session_id: doc.job_session_id,
                log: doc.log,
            },
        })
    }
}

/// A list that may be `null` (the v8.1 spec's lists are nullable).
pub(crate) fn null_list<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}
