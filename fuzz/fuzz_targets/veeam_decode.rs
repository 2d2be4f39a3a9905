//! Veeam: policy start answers (job sessions), sessions, session logs, RFC 7807
//! problem bodies (with the 409 that names a running session), references.
#![no_main]

mod common;

use backup_veeam::operation::{parse_reference, to_operation};
use backup_veeam::{ApiErrors, ApiVersion, JobSession, OperationRef, ProblemDetails, SessionLog};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(sessions) = serde_json::from_slice::<Vec<JobSession>>(data) {
        for session in &sessions {
            let _ = format!("{:?}", to_operation(ApiVersion::V8_1, session, None));
        }
    }
    if let Ok(session) = serde_json::from_slice::<JobSession>(data) {
        let _ = (session.duration(), session.link("log"));
        let _ = format!(
            "{:?}",
            to_operation(ApiVersion::V1, &session, Some("m".into()))
        );
    }
    if let Ok(log) = serde_json::from_slice::<SessionLog>(data) {
        let _ = log.last_message();
    }
    if let Ok(problem) = serde_json::from_slice::<ProblemDetails>(data) {
        let _ = problem.is_problem();
    }
    let _ = ApiErrors::problem(&common::response(backup_veeam::VENDOR, 409, data));
    common::decode_errors(backup_veeam::VENDOR, &ApiErrors, data);

    let text = String::from_utf8_lossy(data);
    let _ = text.parse::<ApiVersion>();
    let _ = parse_reference(&OperationRef::new(backup_veeam::VENDOR, text.as_ref()));
});
