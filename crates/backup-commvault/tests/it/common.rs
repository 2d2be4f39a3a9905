//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::time::Duration;

use backup_commvault::{BackupLevel, TriggerRequest};
use backup_core::RetryPolicy;

/// Retries with millisecond backoffs.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
        budget: Duration::from_secs(5),
        jitter: false,
    }
}

/// The backup the document's sample request describes.
pub fn document_backup() -> TriggerRequest {
    TriggerRequest::new("s-adhoc-object-storage", "stestgroup")
        .instance_name("s-adhoc-object-storage")
        .backupset_name("defaultBackupSet")
        .app_name("Cloud Apps")
        .storage_policy_name("default-plan")
        .backup_level(BackupLevel::Incremental)
        .ad_hoc("/sk/s-directive-file-blob.txt")
}

/// The document's sample request, as in the document.
pub const SAMPLE_REQUEST: &str = include_str!("../fixtures/create_task_request.xml");
/// The document's sample success answer.
pub const SAMPLE_RESPONSE: &str = include_str!("../fixtures/create_task_response.xml");
/// The document's sample error answer.
pub const SAMPLE_ERROR: &str = include_str!("../fixtures/generic_error_response.xml");
