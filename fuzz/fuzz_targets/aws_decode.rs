//! AWS: StartBackupJob, DescribeBackupJob and ListBackupJobs answers (with their
//! epoch-second timestamps and lenient numbers), rest-json error answers (with and
//! without `x-amzn-ErrorType`), reference ids and the emulator-independent parts of
//! SigV4 (Authorization headers, `X-Amz-Date`).
#![no_main]

mod common;

use backup_aws::ApiErrors;
use backup_aws::model::{
    BackupJob, ErrorBody, ListBackupJobsOutput, StartBackupJobOutput, clean_error_code,
    epoch_seconds,
};
use backup_aws::operation::{child_item, parse_reference_id, started, to_operation};
use backup_core::transport::{ErrorDecoder, Response};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(job) = serde_json::from_slice::<BackupJob>(data) {
        let _ = job.percent();
        let _ = format!("{:?}", to_operation("us-east-1", "job", &job));
        let _ = format!("{:?}", child_item(&job));
    }
    if let Ok(output) = serde_json::from_slice::<StartBackupJobOutput>(data) {
        let _ = format!("{:?}", started("us-east-1", "job", &output));
    }
    if let Ok(list) = serde_json::from_slice::<ListBackupJobsOutput>(data) {
        let _ = list.backup_jobs.len();
    }
    let _ = serde_json::from_slice::<ErrorBody>(data);
    common::decode_errors(backup_aws::VENDOR, &ApiErrors, data);

    let text = String::from_utf8_lossy(data);
    let _ = clean_error_code(&text);
    let _ = epoch_seconds::parse(&text);
    let _ = parse_reference_id(&text);
    if let Ok(value) = http::HeaderValue::from_bytes(data) {
        let mut headers = http::HeaderMap::new();
        headers.insert("x-amzn-errortype", value.clone());
        headers.insert("x-amz-retry-after", value);
        let response = Response::from_parts(
            backup_aws::VENDOR,
            http::StatusCode::BAD_REQUEST,
            headers,
            data.to_vec(),
        );
        let _ = ApiErrors.decode_error(&response);
    }
});
