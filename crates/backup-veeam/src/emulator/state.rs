//! The emulated appliance's state: users, tokens, policies and job sessions.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use backup_core::emulator::{EmulatorShared, Lifecycle, Outcome, Phase, TokenIssuer};
use backup_core::timefmt;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::model::SessionType;
use crate::version::ApiVersion;

/// An Azure VM a policy protects.
#[derive(Debug, Clone)]
pub(crate) struct Instance {
    /// The appliance's id of the VM (a UUID).
    pub id: String,
    /// Its name.
    pub name: String,
    /// The data its disks hold, in bytes: a snapshot's restore point is this size, a
    /// backup's half of it (compressed).
    pub data_bytes: u64,
}

/// A policy the emulator knows.
#[derive(Debug, Clone)]
pub(crate) struct Policy {
    pub name: String,
    /// The sessions one start creates, in order.
    pub sessions: Vec<SessionType>,
    /// The VMs it protects (`backupJobInfo.protectedInstancesCount`, protected items,
    /// restore points).
    pub instances: Vec<Instance>,
    /// The session ids of every start, oldest first.
    pub started: Vec<String>,
}

/// One job session.
#[derive(Debug)]
pub(crate) struct Session {
    pub id: String,
    /// The session's number (its id is this number as text): orders sessions and
    /// names their restore points.
    pub number: u64,
    pub kind: SessionType,
    pub policy_id: String,
    pub lifecycle: Lifecycle,
}

pub(crate) struct Data {
    pub policies: BTreeMap<String, Policy>,
    pub sessions: HashMap<String, Session>,
    pub next_session: u64,
    /// Access token -> refresh token of the same logon session.
    pub pairs: HashMap<String, String>,
}

/// The shared state behind the router. Cheap to clone. (No `Debug`: it holds the
/// tokens it issued.)
#[derive(Clone)]
pub(crate) struct State {
    pub data: Arc<Mutex<Data>>,
    pub access: TokenIssuer,
    pub refresh: TokenIssuer,
    /// Accepted starts, token grants and the lifecycle of new sessions.
    pub shared: EmulatorShared,
    pub versions: Arc<Vec<ApiVersion>>,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    pub username: Arc<str>,
    pub password: Arc<str>,
    pub mfa_username: Arc<str>,
}

impl State {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Data> {
        self.data.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Issues a token pair as the token endpoint answers it.
    pub(crate) fn issue_pair(&self) -> Value {
        let access = self.access.issue(self.access_ttl);
        let refresh = self.refresh.issue(self.refresh_ttl);
        self.lock().pairs.insert(access.clone(), refresh.clone());
        let now = OffsetDateTime::now_utc();
        let expires =
            now + time::Duration::try_from(self.access_ttl).unwrap_or(time::Duration::HOUR);
        json!({
            "access_token": access,
            "token_type": "bearer",
            "refresh_token": refresh,
            "expires_in": self.access_ttl.as_secs(),
            // The v8.1 spec's `Login`: `format: date-time`.
            ".issued": timefmt::format_rfc3339(now),
            ".expires": timefmt::format_rfc3339(expires),
            "mfa_enabled": false,
        })
    }

    /// Whether `version` is served.
    pub(crate) fn serves(&self, version: &str) -> Option<ApiVersion> {
        let parsed = version.parse::<ApiVersion>().ok()?;
        // Only the exact spelling the appliance uses (`v8.1`), not `8.1`.
        (parsed.as_str() == version && self.versions.contains(&parsed)).then_some(parsed)
    }
}

/// The appliance's status word for a session in `phase` whose run ends in `outcome`.
pub(crate) fn status_word(phase: &Phase, outcome: &Outcome) -> &'static str {
    match phase {
        Phase::Queued => "Pending",
        Phase::Running { .. } => match outcome {
            Outcome::Warning => "RunningWithWarning",
            Outcome::Failure { .. } => "RunningWithError",
            Outcome::Success | Outcome::Cancelled => "Running",
        },
        Phase::Cancelling => "Canceling",
        Phase::Done(Outcome::Success) => "Success",
        Phase::Done(Outcome::Warning) => "Warning",
        Phase::Done(Outcome::Failure { .. }) => "Error",
        Phase::Done(Outcome::Cancelled) => "Canceled",
    }
}

/// A .NET `TimeSpan` in its invariant form: `[d.]hh:mm:ss.fffffff`.
pub(crate) fn timespan(duration: Duration) -> String {
    let total = duration.as_secs();
    let (days, rest) = (total / 86_400, total % 86_400);
    let clock = format!(
        "{:02}:{:02}:{:02}.{:07}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60,
        duration.subsec_nanos() / 100
    );
    if days > 0 {
        format!("{days}.{clock}")
    } else {
        clock
    }
}

impl Session {
    /// The session as `GET /api/{v}/jobSessions/{id}` answers it, in `phase`.
    pub(crate) fn render(
        &self,
        version: ApiVersion,
        phase: &Phase,
        policy: Option<&Policy>,
        base: &str,
    ) -> Value {
        let started = self.lifecycle.started_at();
        let finished = phase
            .is_terminal()
            .then(|| self.lifecycle.finished_at())
            .flatten();
        let duration = started.map(|start| {
            let end = finished.unwrap_or_else(OffsetDateTime::now_utc);
            Duration::try_from(end - start).unwrap_or_default()
        });
        let self_href = format!("{base}/api/{version}/jobSessions/{}", self.id);
        let mut session = json!({
            "id": self.id,
            "type": self.kind.as_str(),
            "status": status_word(phase, &self.lifecycle.spec().outcome),
            "backupJobInfo": {
                "policyId": self.policy_id,
                "policyName": policy.map_or("", |p| p.name.as_str()),
                "protectedInstancesCount": policy.map_or(0, |p| p.instances.len()),
                "policyRemoved": policy.is_none(),
            },
            "_links": {
                "self": { "href": self_href },
                "log": { "href": format!("{self_href}/log") },
            },
        });
        if let Some(object) = session.as_object_mut() {
            if let Some(started) = started {
                object.insert(
                    "executionStartTime".into(),
                    json!(timefmt::format_rfc3339(started)),
                );
            }
            if let Some(finished) = finished {
                object.insert(
                    "executionStopTime".into(),
                    json!(timefmt::format_rfc3339(finished)),
                );
            }
            if let Some(duration) = duration {
                object.insert("executionDuration".into(), json!(timespan(duration)));
            }
            if version.workload_paths() {
                let localized = match self.kind {
                    SessionType::PolicySnapshot => "Policy Snapshot",
                    SessionType::PolicyBackup => "Policy Backup",
                    SessionType::Other(_) => "Policy",
                };
                object.insert("localizedType".into(), json!(localized));
                if let Some(info) = object
                    .get_mut("backupJobInfo")
                    .and_then(Value::as_object_mut)
                {
                    // The v8.1 spec's `PolicyType`: the policies started under
                    // `policies/virtualMachines` protect `VirtualMachines`.
                    info.insert("policyType".into(), json!("VirtualMachines"));
                }
            } else {
                object.insert("usn".into(), json!(0));
            }
        }
        session
    }

    /// The session log as `GET .../jobSessions/{id}/log` answers it (the v8.1 spec's
    /// `JobSessionLog`: entries about one VM carry its `resourceHashId`).
    pub(crate) fn render_log(&self, phase: &Phase, policy: Option<&Policy>) -> Value {
        let created = timefmt::format_rfc3339(self.lifecycle.created_at());
        let now = timefmt::format_rfc3339(OffsetDateTime::now_utc());
        let item = |status: &str, message: String, at: &str, vm: Option<&Instance>| {
            let mut entry = json!({ "logTime": at, "status": status, "message": message, "executionStartTime": created });
            if let (Some(vm), Some(object)) = (vm, entry.as_object_mut()) {
                object.insert("resourceHashId".into(), json!(vm.id));
            }
            entry
        };
        let policy_name = policy.map_or("", |p| p.name.as_str());
        let instances = policy.map_or(&[][..], |p| p.instances.as_slice());
        let mut log = vec![item(
            "Success",
            format!("Job session {} queued for policy {policy_name}", self.kind),
            &created,
            None,
        )];
        if !matches!(phase, Phase::Queued) {
            let count = instances.len();
            let plural = if count == 1 { "" } else { "s" };
            log.push(item(
                "Success",
                format!("Processing {count} protected instance{plural}"),
                &now,
                None,
            ));
        }
        let outcome = &self.lifecycle.spec().outcome;
        let first = instances.first();
        let warned = matches!(phase, Phase::Running { .. } | Phase::Done(Outcome::Warning));
        if warned && *outcome == Outcome::Warning {
            let name = first.map_or("vm-01", |vm| vm.name.as_str());
            log.push(item(
                "Warning",
                format!("Instance {name}: the snapshot took longer than expected"),
                &now,
                first,
            ));
        }
        if let Phase::Done(Outcome::Failure { reason }) = phase {
            for vm in instances {
                log.push(item(
                    "Error",
                    format!("Instance {}: {reason}", vm.name),
                    &now,
                    Some(vm),
                ));
            }
        }
        let last = match phase {
            Phase::Cancelling => {
                Some(("Warning", "Stopping the session at user request".to_owned()))
            }
            Phase::Done(Outcome::Success) => {
                Some(("Success", "Job finished with Success".to_owned()))
            }
            Phase::Done(Outcome::Warning) => Some((
                "Warning",
                "Job finished with Warning: 1 instance processed with warnings".to_owned(),
            )),
            Phase::Done(Outcome::Failure { reason }) => {
                Some(("Error", format!("Job failed: {reason}")))
            }
            Phase::Done(Outcome::Cancelled) => Some(("Warning", "Job stopped by user".to_owned())),
            Phase::Queued | Phase::Running { .. } => None,
        };
        if let Some((status, message)) = last {
            log.push(item(status, message, &now, None));
        }
        json!({ "jobSessionId": self.id, "log": log })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timespans_look_like_dotnet() {
        assert_eq!(
            timespan(Duration::from_nanos(7_795_900)),
            "00:00:00.0077959"
        );
        assert_eq!(timespan(Duration::from_secs(90_061)), "1.01:01:01.0000000");
        let parsed =
            timefmt::parse_dotnet_timespan(&timespan(Duration::from_millis(31_837))).unwrap();
        assert_eq!(parsed, Duration::from_millis(31_837));
    }
}
