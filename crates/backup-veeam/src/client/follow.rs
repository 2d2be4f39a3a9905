//! The reads around a session: the policy's sessions since a time (finding what a lost
//! start began), the resources a session protected and the restore points it made
//! (what the backup produced).

use backup_core::contract::Recovered;
use backup_core::{Operation, Request, Result, path, timefmt};
use time::OffsetDateTime;
use url::Url;

use super::Client;
use crate::VENDOR;
use crate::model::{JobSession, Listing, ProtectedItem, RestorePoint, TriggerRequest};
use crate::operation::{parse_reference, to_operation, with_produced};
use crate::version::ApiVersion;

/// How far before a lost start's recorded time sessions are looked for: the
/// appliance's clock and this host's may differ by this much.
pub const RECOVERY_CLOCK_SKEW: time::Duration = time::Duration::minutes(1);

/// The prefix of the text [`BackupClient::idempotency_key`](backup_core::BackupClient::idempotency_key)
/// gives a run journal to store: `sent-at:` and an RFC 3339 time.
pub(crate) const SENT_AT_PREFIX: &str = "sent-at:";

/// `YYYY-MM-DDTHH:MM:SSZ`, the form the v8.1 spec asks for in `FromUtc` and `ToUtc`.
pub(crate) fn utc_seconds(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// The time in a journal's key (`sent-at:<RFC 3339>`, or the time alone).
pub(crate) fn parse_sent_at(key: &str) -> Option<OffsetDateTime> {
    let text = key.trim();
    timefmt::parse_rfc3339(text.strip_prefix(SENT_AT_PREFIX).unwrap_or(text))
}

impl Client {
    fn url_with_query(&self, segments: &[&str], query: &[(&str, &str)]) -> Result<Url> {
        let mut url = self.url(segments)?;
        if !query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (name, value) in query {
                pairs.append_pair(name, value);
            }
        }
        Ok(url)
    }

    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        url: Url,
        action: String,
    ) -> Result<T> {
        let request = Request::get(VENDOR, url)
            .header_static("accept", "application/json")
            .action(action);
        self.inner
            .transport
            .send(request, &self.inner.auth)
            .await?
            .json()
    }

    /// The sessions of policy `policy_id` launched after `since`:
    /// `GET /api/{v}/jobSessions?PolicyId={id}&FromUtc={since}` (the v8.1 spec's
    /// `JobSessions_GetJobSessions`; one page, as the appliance gives it).
    ///
    /// # Errors
    /// [`backup_core::Error::InvalidInput`] for a malformed policy id (nothing sent);
    /// the read's errors.
    pub async fn policy_sessions_since(
        &self,
        policy_id: &str,
        since: OffsetDateTime,
    ) -> Result<Vec<JobSession>> {
        self.sessions_since(self.inner.version, policy_id, since)
            .await
    }

    async fn sessions_since(
        &self,
        version: ApiVersion,
        policy_id: &str,
        since: OffsetDateTime,
    ) -> Result<Vec<JobSession>> {
        path::validate_id(VENDOR, "policy_id", policy_id)?;
        let from = utc_seconds(since);
        let url = self.url_with_query(
            &["api", version.as_str(), "jobSessions"],
            &[("PolicyId", policy_id), ("FromUtc", &from)],
        )?;
        let page: Listing<JobSession> = self
            .get_json(url, format!("list the sessions of policy {policy_id}"))
            .await?;
        Ok(page.results)
    }

    /// The resources a backup session protected:
    /// `GET /api/{v}/jobSessions/{id}/protectedItems` (the v8.1 spec's
    /// `JobSessions_GetProtectedItems`, `PageOfProtectedItem`; v1 documents it too).
    ///
    /// # Errors
    /// [`backup_core::Error::InvalidInput`] for a malformed id (nothing sent); the
    /// read's errors.
    pub async fn protected_items(&self, session_id: &str) -> Result<Vec<ProtectedItem>> {
        self.get_protected_items(self.inner.version, session_id)
            .await
    }

    async fn get_protected_items(
        &self,
        version: ApiVersion,
        session_id: &str,
    ) -> Result<Vec<ProtectedItem>> {
        path::validate_id(VENDOR, "session_id", session_id)?;
        let url = self.url(&version.session_segments(session_id, Some("protectedItems")))?;
        let page: Listing<ProtectedItem> = self
            .get_json(
                url,
                format!("read the protected items of job session {session_id}"),
            )
            .await?;
        Ok(page.results)
    }

    /// The latest restore points of the appliance's Azure VMs:
    /// `GET /api/{v}/restorePoints/virtualMachines?OnlyLatest=true` (the v8.1 spec's
    /// `VirtualMachineRestorePoint` list; each names the `jobSessionId` that made it).
    /// Not in the v1 layout's documents: [`crate::Error::Unsupported`] there.
    ///
    /// # Errors
    /// [`backup_core::Error::Unsupported`] in v1; the read's errors.
    pub async fn latest_restore_points(&self) -> Result<Vec<RestorePoint>> {
        self.get_latest_restore_points(self.inner.version).await
    }

    async fn get_latest_restore_points(&self, version: ApiVersion) -> Result<Vec<RestorePoint>> {
        if !version.workload_paths() {
            return Err(backup_core::Error::Unsupported {
                vendor: VENDOR,
                what: "listing restore points in the v1 layout (not documented)".to_owned(),
            });
        }
        let url = self.url_with_query(
            &["api", version.as_str(), "restorePoints", "virtualMachines"],
            &[("OnlyLatest", "true")],
        )?;
        let listing: Listing<RestorePoint> = self
            .get_json(url, "list the latest restore points".to_owned())
            .await?;
        Ok(listing.results)
    }

    /// [`BackupClient::produced`](backup_core::BackupClient::produced): the session's
    /// protected items, then (v6+) the latest restore points, onto `operation`
    /// ([`crate::operation::with_produced`]). A failed restore point read keeps the
    /// items and says so in a warning.
    pub(super) async fn follow_up(&self, operation: &Operation) -> Result<Operation> {
        let (version, session_id) = parse_reference(&operation.reference)?;
        let version = version.unwrap_or(self.inner.version);
        let items = self.get_protected_items(version, &session_id).await?;
        let mut warnings = Vec::new();
        let points = if version.workload_paths() {
            match self.get_latest_restore_points(version).await {
                Ok(points) => points,
                Err(error) => {
                    warnings.push(format!("could not list the restore points: {error}"));
                    Vec::new()
                }
            }
        } else {
            Vec::new()
        };
        let mut done = with_produced(operation.clone(), &session_id, &items, &points);
        done.warnings.extend(warnings);
        Ok(done)
    }

    /// [`BackupClient::recover_trigger`](backup_core::BackupClient::recover_trigger):
    /// with the start's recorded time, the policy's sessions launched since then
    /// (less [`RECOVERY_CLOCK_SKEW`]), running or ended, are what the lost start began;
    /// only when there is none (the start never reached the appliance) is the policy
    /// started again, where a `409` attaches to a session still running. Without a
    /// recorded time nothing is sent: a second start could not be told from the first
    /// once that one ended, so the outcome stays unknown, saying what to check.
    pub(super) async fn recover(&self, request: &TriggerRequest) -> Result<Recovered> {
        let version = self.inner.version;
        path::validate_id(VENDOR, "policy_id", &request.policy_id)?;
        let Some(sent_at) = request.sent_at else {
            return Ok(Recovered::Unknown(format!(
                "the start of policy {} was sent without a recorded time: check its job \
                 sessions (GET /api/{}/jobSessions?PolicyId={}) before starting it again",
                request.policy_id,
                version.as_str(),
                request.policy_id
            )));
        };
        let since = sent_at - RECOVERY_CLOCK_SKEW;
        let found: Vec<JobSession> = self
            .sessions_since(version, &request.policy_id, since)
            .await?
            .into_iter()
            .filter(|session| {
                session
                    .policy_id()
                    .is_none_or(|id| id.eq_ignore_ascii_case(&request.policy_id))
                    && session.started_at().is_none_or(|at| at >= since)
            })
            .collect();
        if found.is_empty() {
            return Ok(Recovered::Operations(
                self.start_policy(request).await?.operations(),
            ));
        }
        let message = format!(
            "found after a lost start of policy {} (sent at {}): nothing was started again",
            request.policy_id,
            timefmt::format_rfc3339(sent_at)
        );
        tracing::info!(vendor = VENDOR, sessions = found.len(), policy = %request.policy_id, "the lost start's sessions were found");
        Ok(Recovered::Operations(
            found
                .iter()
                .map(|session| to_operation(version, session, Some(message.clone())))
                .collect(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_for_the_query_and_the_journal() {
        let at = timefmt::parse_rfc3339("2026-03-04T05:06:07.891+02:00").unwrap();
        assert_eq!(utc_seconds(at), "2026-03-04T03:06:07Z");
        assert_eq!(
            parse_sent_at("sent-at:2026-03-04T03:06:07.891Z"),
            timefmt::parse_rfc3339("2026-03-04T03:06:07.891Z")
        );
        assert_eq!(
            parse_sent_at("2026-03-04T03:06:07Z"),
            timefmt::parse_rfc3339("2026-03-04T03:06:07Z")
        );
        assert_eq!(parse_sent_at("sent-at:yesterday"), None);
        assert_eq!(parse_sent_at(""), None);
    }
}
