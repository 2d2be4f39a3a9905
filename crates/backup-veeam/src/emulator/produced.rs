//! What the emulated sessions made: the protected items of a session and the restore
//! points of every ended session, shaped as the v8.1 spec's `ProtectedItem` and
//! `VirtualMachineRestorePoint`.
//!
//! Assumptions beyond the spec (which has no examples for them): a session's protected
//! items list its own run only; a snapshot session makes one `Snapshot` restore point
//! per VM of the VM's data size, and a backup session one `AzureBlob` point per VM of
//! half that size (compressed); a run's `transferredDataBytes` is its restore point's
//! size; the first point of a VM and destination is `Full`, later ones `Incremental`;
//! runs carry rates and points exist once the session ended with `Success` or
//! `Warning`; `OnlyLatest` keeps the newest point of each VM and destination.

use std::collections::BTreeMap;

use backup_core::emulator::{Outcome, Phase};
use backup_core::timefmt;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::state::{Data, Instance, Policy, Session};
use crate::model::SessionType;
use crate::version::ApiVersion;

/// The subscription and region every emulated VM lives in.
const SUBSCRIPTION_ID: &str = "7f9b8a24-1c3d-4e5f-8a6b-9c0d1e2f3a4b";
const REGION_ID: &str = "westeurope";
const REGION_NAME: &str = "West Europe";

/// The status word of the session's run over VM `index` (of the policy's VMs).
fn run_status(phase: &Phase, index: usize) -> &'static str {
    match phase {
        Phase::Queued => "Pending",
        Phase::Running { .. } => "Running",
        Phase::Cancelling => "Canceling",
        // The warning is about the first VM (the log says so too).
        Phase::Done(Outcome::Warning) if index == 0 => "Warning",
        Phase::Done(Outcome::Success | Outcome::Warning) => "Success",
        Phase::Done(Outcome::Failure { .. }) => "Error",
        Phase::Done(Outcome::Cancelled) => "Canceled",
    }
}

/// Whether a session in `phase` made its restore points.
fn made_points(phase: &Phase) -> bool {
    matches!(phase, Phase::Done(Outcome::Success | Outcome::Warning))
}

/// Where a session of `kind` puts its restore points, and their size for `vm`.
fn destination(kind: &SessionType, vm: &Instance) -> (&'static str, u64) {
    match kind {
        SessionType::PolicyBackup => ("AzureBlob", vm.data_bytes / 2),
        _ => ("Snapshot", vm.data_bytes),
    }
}

/// The id of the restore point session `number` made of VM `index`: a UUID.
fn point_id(number: u64, index: usize) -> String {
    format!("{:08x}-5e55-4000-8000-{index:012x}", number & 0xffff_ffff)
}

fn rfc3339(at: OffsetDateTime) -> String {
    timefmt::format_rfc3339(at)
}

fn resource(vm: &Instance, base: &str, version: ApiVersion) -> Value {
    json!({
        "id": vm.id,
        "name": vm.name,
        "displayName": vm.name,
        "resourceGroupName": "rg-emulator",
        "resourceType": "VirtualMachine",
        "regionId": REGION_ID,
        "regionName": REGION_NAME,
        "subscriptionId": SUBSCRIPTION_ID,
        "subscriptionName": "Emulator subscription",
        "_links": { "self": { "href": format!("{base}/api/{version}/virtualMachines/{}", vm.id) } },
    })
}

impl Session {
    /// `GET /api/{v}/jobSessions/{id}/protectedItems`: a `PageOfProtectedItem` of the
    /// policy's VMs, each with this session's run.
    pub(crate) fn render_protected_items(
        &self,
        version: ApiVersion,
        phase: &Phase,
        policy: Option<&Policy>,
        base: &str,
    ) -> Value {
        let started = self
            .lifecycle
            .started_at()
            .unwrap_or_else(|| self.lifecycle.created_at());
        let ended = phase
            .is_terminal()
            .then(|| self.lifecycle.finished_at())
            .flatten();
        let instances = policy.map_or(&[][..], |p| p.instances.as_slice());
        let results: Vec<Value> = instances
            .iter()
            .enumerate()
            .map(|(index, vm)| {
                let status = run_status(phase, index);
                let mut run = json!({
                    "jobSessionId": self.id,
                    "status": status,
                    "startTime": rfc3339(started),
                });
                if let Some(object) = run.as_object_mut() {
                    if let Some(ended) = ended {
                        object.insert("endTime".into(), json!(rfc3339(ended)));
                    }
                    if made_points(phase) {
                        let (_, size) = destination(&self.kind, vm);
                        object.insert(
                            "rates".into(),
                            json!({
                                "totalDataBytes": vm.data_bytes,
                                "readDataBytes": vm.data_bytes,
                                "processedDataBytes": vm.data_bytes,
                                "transferredDataBytes": size,
                                "processingRateBytesPerSecond": 104_857_600,
                            }),
                        );
                    }
                }
                let failed = u32::from(status == "Error");
                json!({
                    "resource": resource(vm, base, version),
                    "runs": [run],
                    "successCount": u32::from(matches!(status, "Success" | "Warning")),
                    "failureCount": failed,
                    "protectedRegionsCount": 1,
                })
            })
            .collect();
        json!({
            "offset": 0,
            "limit": results.len(),
            "totalCount": results.len(),
            "results": results,
            "_links": { "self": { "href": format!("{base}/api/{version}/jobSessions/{}/protectedItems", self.id) } },
        })
    }
}

/// One restore point, with what the list filters on.
pub(crate) struct Point {
    pub vm_id: String,
    pub destination: &'static str,
    pub body: Value,
}

/// Every restore point the ended sessions made, oldest first, as
/// `GET /api/{v}/restorePoints/virtualMachines` lists them.
pub(crate) fn restore_points(data: &Data, version: ApiVersion, base: &str) -> Vec<Point> {
    let mut sessions: Vec<&Session> = data.sessions.values().collect();
    sessions.sort_by_key(|s| s.number);
    let mut seen: BTreeMap<(String, &'static str), ()> = BTreeMap::new();
    let mut points = Vec::new();
    for session in sessions {
        let phase = session.lifecycle.peek();
        if !made_points(&phase) {
            continue;
        }
        let Some(policy) = data.policies.get(&session.policy_id) else {
            continue;
        };
        let at = session
            .lifecycle
            .finished_at()
            .unwrap_or_else(|| session.lifecycle.created_at());
        for (index, vm) in policy.instances.iter().enumerate() {
            let (destination, size) = destination(&session.kind, vm);
            let first = seen.insert((vm.id.clone(), destination), ()).is_none();
            let id = point_id(session.number, index);
            points.push(Point {
                vm_id: vm.id.clone(),
                destination,
                body: json!({
                    "id": id,
                    "type": if first { "Full" } else { "Incremental" },
                    "pointInTime": rfc3339(at),
                    "backupSizeBytes": size,
                    "isCorrupted": false,
                    "vmName": vm.name,
                    "resourceHashId": vm.id,
                    "regionId": REGION_ID,
                    "regionName": REGION_NAME,
                    "backupDestination": destination,
                    "state": if destination == "Snapshot" { "NotApplicable" } else { "Ok" },
                    "jobSessionId": session.id,
                    "_links": { "self": { "href": format!("{base}/api/{version}/restorePoints/virtualMachines/{id}") } },
                }),
            });
        }
    }
    points
}

/// Keeps the newest point of each VM and destination (`OnlyLatest=true`).
pub(crate) fn only_latest(points: Vec<Point>) -> Vec<Point> {
    let mut newest: BTreeMap<(String, &'static str), usize> = BTreeMap::new();
    for (index, point) in points.iter().enumerate() {
        newest.insert((point.vm_id.clone(), point.destination), index);
    }
    let keep: std::collections::BTreeSet<usize> = newest.into_values().collect();
    points
        .into_iter()
        .enumerate()
        .filter(|(index, _)| keep.contains(index))
        .map(|(_, point)| point)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn point_ids_are_uuids_and_distinct() {
        let a = point_id(14, 0);
        let b = point_id(14, 1);
        let c = point_id(15, 0);
        assert_eq!(a.len(), 36);
        assert_eq!(a.matches('-').count(), 4);
        assert!(a != b && a != c && b != c);
    }
}
