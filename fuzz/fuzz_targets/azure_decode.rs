//! Azure: async-operation answers, backup jobs (one or a list), recovery points,
//! CloudError bodies, job durations and sizes, tracking references.
#![no_main]

mod common;

use backup_azure::model::{
    CloudError, JobResource, JobResourceList, OperationStatusResponse, RecoveryPointResourceList,
    parse_duration, parse_size,
};
use backup_azure::operation::{from_job, from_operation_status};
use backup_azure::prelude::*;
use backup_azure::{ApiErrors, ApiVersion, Client, OperationRef, TrackingRef};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let reference = OperationRef::new(backup_azure::VENDOR, "fuzz");
    if let Ok(answer) = serde_json::from_slice::<OperationStatusResponse>(data) {
        let _ = answer.job_id();
        let _ = format!("{:?}", from_operation_status(reference.clone(), &answer));
    }
    if let Ok(answer) = serde_json::from_slice::<JobResource>(data) {
        let _ = format!("{:?}", from_job(reference.clone(), &answer, "fuzz-job"));
    }
    if let Ok(list) = serde_json::from_slice::<JobResourceList>(data) {
        for job in &list.value {
            let _ = format!("{:?}", from_job(reference.clone(), job, "fuzz-job"));
        }
    }
    if let Ok(points) = serde_json::from_slice::<RecoveryPointResourceList>(data) {
        for point in &points.value {
            let _ = point.properties.as_ref().and_then(|p| p.time());
        }
    }
    let _ = serde_json::from_slice::<CloudError>(data);
    common::decode_errors(backup_azure::VENDOR, &ApiErrors, data);

    // A reference read back from text (another process may hand it over).
    let text = String::from_utf8_lossy(data);
    let _ = parse_duration(&text);
    let _ = parse_size(&text);
    let reference = OperationRef::new(backup_azure::VENDOR, text.as_ref());
    let checked = Client::check_reference(&reference);
    if let Ok(tracking) = TrackingRef::from_reference(&reference) {
        assert!(checked.is_ok(), "a reference that parses passes the check");
        let _ = tracking.to_reference();
        let _ = tracking.item_url();
        for version in ApiVersion::ALL {
            let _ = tracking.job_url(version);
        }
    }
    // The status URLs a trigger answer carries in its headers.
    if let Ok(url) = url::Url::parse(text.trim()) {
        if let Ok(tracking) = TrackingRef::new(Some(url.clone()), Some(url)) {
            let _ = TrackingRef::from_reference(&tracking.to_reference());
            let _ = tracking.job_url(ApiVersion::default());
        }
    }
});
