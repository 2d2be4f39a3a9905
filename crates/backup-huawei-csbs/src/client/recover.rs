//! Finding the checkpoint a lost trigger created: CSBS has no idempotency key, but its
//! backup list filters by policy and start time ("Querying All Backups":
//! `GET /v1/{project_id}/checkpoint_items?policy_id=&start_time=`).

use std::collections::BTreeMap;
use std::time::Duration;

use backup_core::contract::Recovered;
use backup_core::timefmt;
use backup_core::{BackupClient, Request, Result, path};
use time::OffsetDateTime;

use super::{Client, TriggerRequest};
use crate::VENDOR;
use crate::model::{CheckpointItem, CheckpointItemList};
use crate::operation;

/// How far before [`TriggerRequest::sent_after`] a checkpoint may have been created and
/// still be the trigger's: `created_at` is CSBS's clock, `sent_after` this host's, and
/// CSBS's API gateway refuses a signature whose `X-Sdk-Date` is more than 15 minutes
/// off.
pub const RECOVERY_CLOCK_MARGIN: Duration = Duration::from_secs(15 * 60);

/// How many times the policy's backups are listed before concluding that the trigger
/// created nothing (a new checkpoint's items may take a moment to be listed).
pub const RECOVERY_LOOKS: u32 = 3;

/// The prefix of the key [`BackupClient::idempotency_key`] hands a run journal.
const KEY_PREFIX: &str = "sent-after:";

/// The journal's key for a trigger about to be sent at `at`.
pub(super) fn key_for(at: OffsetDateTime) -> String {
    format!("{KEY_PREFIX}{}", timefmt::format_rfc3339(at))
}

/// The time a key of [`key_for`] records.
pub(super) fn time_of(key: &str) -> Option<OffsetDateTime> {
    timefmt::parse_rfc3339(key.strip_prefix(KEY_PREFIX)?)
}

/// A time as CSBS writes them: `2017-04-18T01:21:52.701973` (UTC, no zone).
fn naive_utc(at: OffsetDateTime) -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]"
    );
    at.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_default()
}

impl Client {
    /// Lists the backups (checkpoint items) of backup policy `policy_id` started at or
    /// after `since`: `GET /v1/{project_id}/checkpoint_items?policy_id={policy_id}&start_time={since}`
    /// ("Querying All Backups": `policy_id`, `start_time` as
    /// `2017-04-18T01:21:52.701973`).
    ///
    /// # Errors
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) for an empty or malformed id;
    /// the transport's errors.
    pub async fn list_policy_items(
        &self,
        project_id: &str,
        policy_id: &str,
        since: OffsetDateTime,
    ) -> Result<CheckpointItemList> {
        path::validate_id(VENDOR, "project_id", project_id)?;
        path::validate_id(VENDOR, "policy_id", policy_id)?;
        let mut url = path::join_segments(
            VENDOR,
            self.endpoint(),
            &["v1", project_id, "checkpoint_items"],
        )?;
        url.set_query(Some(&format!(
            "policy_id={}&start_time={}",
            crate::auth::canonical::encode(policy_id),
            crate::auth::canonical::encode(&naive_utc(since))
        )));
        let request = Request::get(VENDOR, url).action("list a policy's checkpoint items");
        self.get_json(request).await
    }

    /// See [`BackupClient::recover_trigger`] for this client.
    pub(super) async fn recover(&self, request: &TriggerRequest) -> Result<Recovered> {
        request.validate()?;
        let Some(sent_after) = request.sent_after else {
            return Ok(Recovered::Unknown(format!(
                "the trigger was sent without a recorded time, so the checkpoint it may \
                 have created cannot be told from others: check the backups of policy {} \
                 in {} before triggering again",
                request.plan_id,
                Client::SERVICE
            )));
        };
        let since = sent_after - RECOVERY_CLOCK_MARGIN;
        let pause = {
            let retry = self.transport.retry_policy();
            retry.base_backoff.saturating_mul(8).min(retry.max_backoff)
        };
        for look in 0..RECOVERY_LOOKS {
            if look > 0 {
                tokio::time::sleep(pause).await;
            }
            let list = self
                .list_policy_items(self.project_id(), &request.plan_id, since)
                .await?;
            let found = candidates(request, since, list.checkpoint_items);
            match found.len() {
                0 => {}
                1 => {
                    let checkpoint_id = found.keys().next().cloned().unwrap_or_default();
                    let reference = operation::reference(self.project_id(), &checkpoint_id);
                    let found = self.status(&reference).await?;
                    return Ok(Recovered::Operations(vec![found]));
                }
                _ => {
                    return Ok(Recovered::Unknown(format!(
                        "{} checkpoints of policy {} were created since {}: {}; check which \
                         one the lost trigger started before triggering again",
                        found.len(),
                        request.plan_id,
                        timefmt::format_rfc3339(since),
                        found.keys().cloned().collect::<Vec<_>>().join(", ")
                    )));
                }
            }
        }
        Ok(Recovered::Unknown(format!(
            "no checkpoint of policy {} was listed since {} (looked {RECOVERY_LOOKS} times): \
             the trigger most likely never reached {}; check the policy's backups before \
             triggering again",
            request.plan_id,
            timefmt::format_rfc3339(since),
            Client::SERVICE
        )))
    }
}

/// The checkpoints (id -> items) that the trigger of `request` may have created:
/// created at or after `since` (when the item says), manual or scheduled as the
/// request was, and covering exactly the requested resources (when it names some).
fn candidates(
    request: &TriggerRequest,
    since: OffsetDateTime,
    items: Vec<CheckpointItem>,
) -> BTreeMap<String, Vec<CheckpointItem>> {
    let auto = request.auto_trigger.unwrap_or(false);
    let mut checkpoints: BTreeMap<String, Vec<CheckpointItem>> = BTreeMap::new();
    for item in items {
        let Some(checkpoint_id) = item.checkpoint_id.clone().filter(|id| !id.is_empty()) else {
            continue;
        };
        checkpoints.entry(checkpoint_id).or_default().push(item);
    }
    checkpoints.retain(|checkpoint_id, items| {
        let recent = items
            .iter()
            .all(|item| item.created_time().is_none_or(|at| at >= since));
        let same_trigger = items.iter().all(|item| {
            item.extend_info
                .as_ref()
                .and_then(|info| info.auto_trigger)
                .is_none_or(|a| a == auto)
        });
        let same_resources = request.resources.is_empty() || {
            let mut listed: Vec<&str> = items
                .iter()
                .filter_map(|item| item.resource_id.as_deref())
                .collect();
            let mut wanted: Vec<&str> = request.resources.iter().map(String::as_str).collect();
            listed.sort_unstable();
            listed.dedup();
            wanted.sort_unstable();
            wanted.dedup();
            listed == wanted
        };
        let usable = path::validate_id(VENDOR, "checkpoint_id", checkpoint_id).is_ok()
            && !checkpoint_id.contains('/');
        recent && same_trigger && same_resources && usable
    });
    checkpoints
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_carry_the_time() {
        let at = time::macros::datetime!(2026-12-02 15:52:38.5 UTC);
        let key = key_for(at);
        assert_eq!(key, "sent-after:2026-12-02T15:52:38.5Z");
        assert_eq!(time_of(&key), Some(at));
        assert_eq!(time_of("2026-12-02T15:52:38Z"), None);
        assert_eq!(time_of("sent-after:yesterday"), None);
        assert_eq!(
            naive_utc(time::macros::datetime!(2017-04-18 03:21:52.701973 +2)),
            "2017-04-18T01:21:52.701973"
        );
    }

    fn item(checkpoint: &str, resource: &str, created: &str, auto: bool) -> CheckpointItem {
        serde_json::from_value(serde_json::json!({
            "id": format!("{checkpoint}-{resource}"),
            "checkpoint_id": checkpoint,
            "resource_id": resource,
            "status": "protecting",
            "created_at": created,
            "extend_info": {"auto_trigger": auto},
        }))
        .unwrap()
    }

    #[test]
    fn candidates_are_recent_manual_checkpoints_of_the_requested_resources() {
        let since = time::macros::datetime!(2026-12-02 15:37:38 UTC);
        let items = vec![
            item("old", "a", "2026-12-02T15:00:00.000000", false),
            item("scheduled", "a", "2026-12-02T15:50:00.000000", true),
            item("other-resources", "c", "2026-12-02T15:50:00.000000", false),
            item("ours", "a", "2026-12-02T15:52:39.000000", false),
            item("ours", "b", "2026-12-02T15:52:39.100000", false),
            item("", "a", "2026-12-02T15:52:39.000000", false),
        ];
        let request = TriggerRequest::new("plan").resources(["b", "a"]);
        let found = candidates(&request, since, items.clone());
        assert_eq!(found.keys().collect::<Vec<_>>(), ["ours"]);
        assert_eq!(found["ours"].len(), 2);

        // Without named resources, any manual checkpoint since then counts.
        let found = candidates(&TriggerRequest::new("plan"), since, items.clone());
        assert_eq!(
            found.keys().collect::<Vec<_>>(),
            ["other-resources", "ours"]
        );
        // A scheduled trigger looks for scheduled checkpoints.
        let request = TriggerRequest::new("plan").auto_trigger(Some(true));
        let found = candidates(&request, since, items);
        assert_eq!(found.keys().collect::<Vec<_>>(), ["scheduled"]);
    }
}
