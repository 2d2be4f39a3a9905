//! Veeam: policy start answers (job sessions in every documented form: map or array
//! links, `TimeSpan` or millisecond durations), sessions and their lists, session logs
//! (message, last error, last warning), protected items and restore points (what a
//! session produced), RFC 7807 problem bodies (with the 409 that names a running
//! session), references.
#![no_main]

mod common;

use backup_veeam::operation::{parse_reference, to_operation, to_operation_with_log, with_produced};
use backup_veeam::{
    ApiErrors, ApiVersion, JobSession, Listing, OperationRef, ProblemDetails, ProtectedItem,
    RestorePoint, SessionLog,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(sessions) = serde_json::from_slice::<Vec<JobSession>>(data) {
        for session in &sessions {
            let _ = format!("{:?}", to_operation(ApiVersion::V8_1, session, None));
        }
    }
    if let Ok(page) = serde_json::from_slice::<Listing<JobSession>>(data) {
        let _ = page.results.iter().map(JobSession::policy_id).count();
    }
    if let Ok(session) = serde_json::from_slice::<JobSession>(data) {
        let _ = (session.duration(), session.link("log"), session.started_at());
        let _ = format!(
            "{:?}",
            to_operation(ApiVersion::V1, &session, Some("m".into()))
        );
        if let Ok(log) = serde_json::from_slice::<SessionLog>(data) {
            let _ = format!("{:?}", to_operation_with_log(ApiVersion::V8_1, &session, &log));
        }
    }
    if let Ok(log) = serde_json::from_slice::<SessionLog>(data) {
        let _ = (log.last_message(), log.last_error(), log.last_warning());
    }
    let items = serde_json::from_slice::<Listing<ProtectedItem>>(data).unwrap_or_default();
    let points = serde_json::from_slice::<Listing<RestorePoint>>(data).unwrap_or_default();
    let ended = backup_veeam::Operation::new(
        OperationRef::new(backup_veeam::VENDOR, "v8.1/s"),
        backup_veeam::OperationStatus::Succeeded,
    );
    let _ = format!("{:?}", with_produced(ended, "s", &items.results, &points.results));
    if let Ok(problem) = serde_json::from_slice::<ProblemDetails>(data) {
        let _ = problem.is_problem();
    }
    let _ = ApiErrors::problem(&common::response(backup_veeam::VENDOR, 409, data));
    common::decode_errors(backup_veeam::VENDOR, &ApiErrors, data);

    let text = String::from_utf8_lossy(data);
    let _ = text.parse::<ApiVersion>();
    let _ = parse_reference(&OperationRef::new(backup_veeam::VENDOR, text.as_ref()));
});
