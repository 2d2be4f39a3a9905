//! Request and response types, field for field as the vendor documents them.
//!
//! Sources: the seed document (`POST /api/v1/policies/{policyId}/start`, its response
//! table and example) and the Veeam section of the vendor notes (job session fields of
//! current versions, statuses, token answer, RFC 7807 error bodies). Unknown fields are
//! ignored; unknown enum values are kept as raw strings. Times and durations are kept
//! as the vendor's strings and parsed by accessors, so an odd format never fails a
//! decode.

use std::collections::BTreeMap;
use std::time::Duration;

use backup_core::timefmt;
use serde::{Deserialize, Deserializer, Serialize};
use time::OffsetDateTime;

/// What to start: one backup policy (the vendor request of
/// [`BackupClient::trigger`](backup_core::BackupClient::trigger)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriggerRequest {
    /// The policy id (`4094906f-2d81-4a73-b9bc-00482690c285`), as listed by
    /// `GET /api/{v}/policies/...`.
    pub policy_id: String,
}

impl TriggerRequest {
    /// Starts policy `policy_id`.
    pub fn new(policy_id: impl Into<String>) -> Self {
        Self {
            policy_id: policy_id.into(),
        }
    }
}

backup_core::string_enum! {
    /// The status of a job session (notes: no `Failed`; errors are `Error`).
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
    /// both: a snapshot session and a backup session).
    pub enum SessionType {
        /// Taking the snapshots of the protected instances.
        PolicySnapshot = "PolicySnapshot",
        /// Copying the snapshots to a backup repository.
        PolicyBackup = "PolicyBackup",
    }
}

/// The `backupJobInfo` of a job session.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupJobInfo {
    /// The policy id.
    pub policy_id: Option<String>,
    /// The policy name.
    pub policy_name: Option<String>,
    /// The policy type (current versions, e.g. `VirtualMachine`).
    pub policy_type: Option<String>,
    /// How many objects the policy backs up.
    pub protected_instances_count: Option<i64>,
    /// Whether the policy was removed.
    pub policy_removed: Option<bool>,
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
    #[serde(rename = "type")]
    pub session_type: Option<SessionType>,
    /// The session type in the appliance's language (current versions).
    pub localized_type: Option<String>,
    /// When the session started, as sent (`2020-02-03T14:25:03.2555023Z`).
    pub execution_start_time: Option<String>,
    /// When the session ended, as sent.
    pub execution_stop_time: Option<String>,
    /// How long it ran, as a .NET `TimeSpan` (`00:00:31.8370930`).
    pub execution_duration: Option<String>,
    /// The status.
    #[serde(default)]
    pub status: SessionStatus,
    /// The policy version (old versions only).
    pub usn: Option<i64>,
    /// The policy behind the session.
    pub backup_job_info: Option<BackupJobInfo>,
    /// Links to related resources (`self`, `log`), as sent.
    #[serde(rename = "_links")]
    pub links: Option<BTreeMap<String, serde_json::Value>>,
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

    /// [`Self::execution_duration`] parsed.
    #[must_use]
    pub fn duration(&self) -> Option<Duration> {
        self.execution_duration
            .as_deref()
            .and_then(timefmt::parse_dotnet_timespan)
    }

    /// The `href` of link `name` (`self`, `log`).
    #[must_use]
    pub fn link(&self, name: &str) -> Option<&str> {
        self.links.as_ref()?.get(name)?.get("href")?.as_str()
    }
}

/// One entry of a session log.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogItem {
    /// When the entry was written, as sent.
    pub log_time: Option<String>,
    /// The status of the step.
    pub status: Option<String>,
    /// The message.
    pub message: Option<String>,
    /// When the step started, as sent.
    pub execution_start_time: Option<String>,
}

/// The log of a job session (`GET /api/{v}/jobSessions/{id}/log`):
/// `{jobSessionId, log: [LogItem]}` as documented for v1. A bare array, or a page
/// with `results`, is accepted too.
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
}

impl<'de> Deserialize<'de> for SessionLog {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Documented {
            #[serde(default, deserialize_with = "backup_core::lenient::opt_text")]
            job_session_id: Option<String>,
            #[serde(default, alias = "results", alias = "data")]
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

/// The answer of `POST /api/oauth2/token`.
#[derive(Deserialize, Default)]
pub(crate) struct TokenResponse {
    pub access_token: Option<String>,
    pub refresh_token: Option<String>,
    pub expires_in: Option<i64>,
    #[serde(rename = ".expires")]
    pub expires: Option<String>,
    pub mfa_token: Option<String>,
}

/// An RFC 7807 `application/problem+json` body, with Veeam's extensions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProblemDetails {
    /// A URI naming the problem type.
    #[serde(rename = "type")]
    pub problem_type: Option<String>,
    /// A short summary.
    pub title: Option<String>,
    /// The HTTP status.
    pub status: Option<i64>,
    /// The explanation of this occurrence.
    pub detail: Option<String>,
    /// The URI of this occurrence.
    pub instance: Option<String>,
    /// The request's trace id: the request id to give Veeam support.
    pub trace_id: Option<String>,
    /// Validation errors (400): field name to messages.
    pub errors: Option<serde_json::Value>,
    /// The resource in conflict (409).
    #[serde(default, deserialize_with = "backup_core::lenient::opt_text")]
    pub resource_id: Option<String>,
    /// The session already running (409): attach to it.
    #[serde(default, deserialize_with = "backup_core::lenient::opt_text")]
    pub session_id: Option<String>,
}

impl ProblemDetails {
    /// Whether the body looked like a problem at all (some field set).
    #[must_use]
    pub fn is_problem(&self) -> bool {
        self.title.is_some()
            || self.detail.is_some()
            || self.problem_type.is_some()
            || self.status.is_some()
            || self.trace_id.is_some()
    }
}

/// A session id: any value as text ([`backup_core::lenient::opt_text`]), but present.
fn session_id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    backup_core::lenient::opt_text(deserializer)?
        .ok_or_else(|| serde::de::Error::custom("a job session has no id"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_and_keep_unknown() {
        for word in [
            "Canceled",
            "Canceling",
            "Error",
            "NeverExecuted",
            "Running",
            "RunningWithError",
            "RunningWithWarning",
            "Success",
            "Warning",
            "Pending",
            "Unknown",
        ] {
            let status = SessionStatus::parse(word);
            assert!(!matches!(status, SessionStatus::Other(_)), "{word}");
            assert_eq!(status.as_str(), word);
        }
        let odd: SessionStatus = serde_json::from_str("\"Paused\"").unwrap();
        assert_eq!(odd, SessionStatus::Other("Paused".into()));
        assert_eq!(serde_json::to_string(&odd).unwrap(), "\"Paused\"");
    }

    #[test]
    fn log_shapes() {
        let documented: SessionLog = serde_json::from_str(
            r#"{"jobSessionId":"15","log":[{"message":"a"},{"message":"b","extra":1}]}"#,
        )
        .unwrap();
        assert_eq!(documented.last_message(), Some("b"));
        let bare: SessionLog =
            serde_json::from_str(r#"[{"message":"x"},{"status":"Success"}]"#).unwrap();
        assert_eq!(bare.last_message(), Some("x"));
        let page: SessionLog =
            serde_json::from_str(r#"{"offset":0,"results":[{"message":"p"}]}"#).unwrap();
        assert_eq!(page.last_message(), Some("p"));
        let empty: SessionLog = serde_json::from_str("{}").unwrap();
        assert_eq!(empty.last_message(), None);
    }

    #[test]
    fn numeric_ids_are_accepted() {
        let session: JobSession = serde_json::from_str(r#"{"id":15,"status":"Running"}"#).unwrap();
        assert_eq!(session.id, "15");
        let problem: ProblemDetails =
            serde_json::from_str(r#"{"status":409,"sessionId":7,"resourceId":{"x":1}}"#).unwrap();
        assert_eq!(problem.session_id.as_deref(), Some("7"));
        // Any value is kept as text (backup-core's lenient reader).
        assert_eq!(problem.resource_id.as_deref(), Some(r#"{"x":1}"#));
        assert!(serde_json::from_str::<JobSession>(r#"{"id":null}"#).is_err());
        assert!(serde_json::from_str::<JobSession>(r#"{"status":"Running"}"#).is_err());
    }
}
