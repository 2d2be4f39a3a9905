//! Request and response types, field for field as the vendor documents them.
//!
//! Sources: the seed document (`POST /api/v1/policies/{policyId}/start`, its response
//! table and example), Veeam's v8.1 OpenAPI spec (`JobSession`, `BackupJobInfo`,
//! `PolicyType`, `JobSessionLog`, `PageOfJobSession`, `ProtectedItem`,
//! `VirtualMachineRestorePoint`, the `ProblemDetails` schemas), the help center's
//! archived v2 / v3 schema tables and examples, and the Veeam section of the vendor
//! notes (token answer). Unknown fields are ignored; unknown enum values are kept as
//! raw strings. Times are kept as the vendor's strings and parsed by accessors, and
//! every documented form of a field is read (the `session` module lists them), so an odd
//! format never fails a decode.

mod links_de;
mod produced;
mod session;

use serde::{Deserialize, Deserializer, Serialize};
use time::OffsetDateTime;

pub use produced::{AzureResource, Listing, ProtectedItem, ProtectedRun, Rates, RestorePoint};
pub use session::{
    BackupJobInfo, ExecutionDuration, JobSession, Link, Links, LogItem, PolicyType, SessionLog,
    SessionStatus, SessionType,
};

/// What to start: one backup policy (the vendor request of
/// [`BackupClient::trigger`](backup_core::BackupClient::trigger)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriggerRequest {
    /// The policy id (`4094906f-2d81-4a73-b9bc-00482690c285`), as listed by
    /// `GET /api/{v}/policies/...`.
    pub policy_id: String,
    /// When this start was (about to be) sent, as a run journal records it with its
    /// intent ([`BackupClient::idempotency_key`](backup_core::BackupClient::idempotency_key)):
    /// [`BackupClient::recover_trigger`](backup_core::BackupClient::recover_trigger)
    /// looks for sessions of the policy started from then on before starting it
    /// again. Not sent to the appliance.
    pub sent_at: Option<OffsetDateTime>,
}

impl TriggerRequest {
    /// Starts policy `policy_id`.
    pub fn new(policy_id: impl Into<String>) -> Self {
        Self {
            policy_id: policy_id.into(),
            sent_at: None,
        }
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

    #[test]
    fn durations_in_both_forms() {
        use std::time::Duration;
        let read = |json: &str| {
            serde_json::from_str::<JobSession>(&format!(
                r#"{{"id":"s","executionDuration":{json}}}"#
            ))
            .unwrap()
        };
        assert_eq!(
            read("31837").duration(),
            Some(Duration::from_millis(31_837))
        );
        assert_eq!(
            read("31837").execution_duration,
            Some(ExecutionDuration::Milliseconds(31_837))
        );
        assert_eq!(read("12.9").duration(), Some(Duration::from_millis(12)));
        assert_eq!(
            read(r#""00:00:31.8370930""#).duration(),
            Some(Duration::from_nanos(31_837_093_000))
        );
        assert_eq!(
            read(r#""1.02:03:04""#).duration(),
            Some(Duration::from_secs(93_784))
        );
        // Odd forms never fail the session.
        for odd in ["-5", "null", "{}", "[1]", "true", r#""soon""#] {
            let session = read(odd);
            assert_eq!(session.duration(), None, "{odd}");
        }
        assert_eq!(
            serde_json::to_value(read("7").execution_duration).unwrap(),
            serde_json::json!(7)
        );
    }

    #[test]
    fn links_as_a_map_or_an_array() {
        let map: JobSession = serde_json::from_str(
            r#"{"id":"s","_links":{"self":{"href":"https://a/s"},"log":{"href":"https://a/s/log"}}}"#,
        )
        .unwrap();
        assert_eq!(map.link("log"), Some("https://a/s/log"));
        assert_eq!(map.link("self"), Some("https://a/s"));
        let array: JobSession = serde_json::from_str(
            r#"{"id":"s","_links":[{"rel":"self","href":"https://a/s","method":"GET"},
                {"rel":"Log","href":"https://a/s/log","method":"GET"},"https://a/x",7]}"#,
        )
        .unwrap();
        assert_eq!(array.link("log"), Some("https://a/s/log"));
        let links = array.links.as_ref().unwrap();
        assert_eq!(links.0.len(), 3);
        assert_eq!(links.0[0].method.as_deref(), Some("GET"));
        assert_eq!(links.0[2].href.as_deref(), Some("https://a/x"));
        for odd in ["null", "7", r#""x""#, "[]", "{}"] {
            let session: JobSession =
                serde_json::from_str(&format!(r#"{{"id":"s","_links":{odd}}}"#)).unwrap();
            assert_eq!(session.link("self"), None, "{odd}");
        }
    }

    #[test]
    fn status_and_type_as_arrays_and_policy_types_of_the_spec() {
        let session: JobSession = serde_json::from_str(
            r#"{"id":"s","status":["Success"],"type":["PolicyBackup"],
                "backupJobInfo":{"policyType":"VirtualMachines","protectedInstancesCount":"3"}}"#,
        )
        .unwrap();
        assert_eq!(session.status, SessionStatus::Success);
        assert_eq!(session.session_type, Some(SessionType::PolicyBackup));
        let info = session.backup_job_info.unwrap();
        assert_eq!(info.policy_type, Some(PolicyType::VirtualMachines));
        assert_eq!(info.protected_instances_count, Some(3));
        let spec = [
            "VirtualMachines",
            "AzureSql",
            "FileShares",
            "Unknown",
            "CosmosDb",
            "ProtectionVmPolicy",
            "Vnet",
        ];
        assert_eq!(PolicyType::DOCUMENTED.len(), spec.len());
        for word in spec {
            assert_eq!(PolicyType::parse(word).as_str(), word);
            assert!(!matches!(PolicyType::parse(word), PolicyType::Other(_)));
        }
        // The old spelling is not a value of the spec: kept as sent.
        assert_eq!(
            PolicyType::parse("VirtualMachine"),
            PolicyType::Other("VirtualMachine".into())
        );
        let empty: JobSession = serde_json::from_str(r#"{"id":"s","status":[]}"#).unwrap();
        assert_eq!(empty.status, SessionStatus::Unknown);
    }

    #[test]
    fn last_error_and_warning_of_a_log() {
        let log: SessionLog = serde_json::from_str(
            r#"{"log":[{"status":"Error","message":"vm-1 failed"},{"status":"Warning","message":"slow"},
                {"status":"Error","message":"  "},{"status":"Success","message":"done"}]}"#,
        )
        .unwrap();
        assert_eq!(log.last_error(), Some("vm-1 failed"));
        assert_eq!(log.last_warning(), Some("slow"));
        assert_eq!(log.last_message(), Some("done"));
        let null: SessionLog = serde_json::from_str(r#"{"jobSessionId":"s","log":null}"#).unwrap();
        assert_eq!(null.last_error(), None);
    }

    #[test]
    fn listings_as_arrays_or_pages() {
        let page: Listing<RestorePoint> = serde_json::from_str(
            r#"{"offset":0,"limit":2,"totalCount":1,"results":[{"id":"r","backupSizeBytes":"10"}]}"#,
        )
        .unwrap();
        assert_eq!(page.total_count, Some(1));
        assert_eq!(page.results[0].backup_size_bytes, Some(10));
        let bare: Listing<RestorePoint> =
            serde_json::from_str(r#"[{"id":"r","jobSessionId":5}]"#).unwrap();
        assert_eq!(bare.results[0].job_session_id.as_deref(), Some("5"));
        let v1: Listing<ProtectedItem> = serde_json::from_str(
            r#"{"results":[{"item":{"id":"vm","name":"n"},"successCount":1}],"runs":null}"#,
        )
        .unwrap();
        assert_eq!(
            v1.results[0].resource.as_ref().unwrap().name.as_deref(),
            Some("n")
        );
        let null: Listing<ProtectedItem> = serde_json::from_str(r#"{"results":null}"#).unwrap();
        assert!(null.results.is_empty());
    }
}
