//! [`TriggerRequest`]: what to back up, validated before any request.

use backup_core::path::validate_id;

use crate::model::ExecuteRequest;
use crate::{Error, Result, VENDOR};

/// The header that makes `Policy.Execute` idempotent.
pub const IDEMPOTENCY_KEY_HEADER: &str = "idempotency-key";
/// The longest policy or instance id Cloud Backup accepts.
pub const MAX_ID_LEN: usize = 50;

/// What to back up: execute `policy_id` on `compute_instance_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriggerRequest {
    /// The backup policy (it must be applied to the instance).
    pub policy_id: String,
    /// The Compute Cloud instance.
    pub compute_instance_id: String,
    /// The `Idempotency-Key` (a UUID); a fresh UUID v4 when `None`. Sending the same
    /// request again with the same key returns the same operation.
    pub idempotency_key: Option<String>,
}

impl TriggerRequest {
    /// Executes `policy_id` on `compute_instance_id`, with a fresh idempotency key.
    pub fn new(policy_id: impl Into<String>, compute_instance_id: impl Into<String>) -> Self {
        Self {
            policy_id: policy_id.into(),
            compute_instance_id: compute_instance_id.into(),
            idempotency_key: None,
        }
    }

    /// Uses `key` (a UUID) as the `Idempotency-Key`, e.g. to repeat a trigger whose
    /// outcome is unknown without starting a second backup.
    #[must_use]
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }

    /// The JSON body sent.
    #[must_use]
    pub fn body(&self) -> ExecuteRequest {
        ExecuteRequest {
            compute_instance_id: self.compute_instance_id.clone(),
        }
    }

    pub(crate) fn validate(&self) -> Result<()> {
        validate_short_id("policy_id", &self.policy_id)?;
        validate_short_id("compute_instance_id", &self.compute_instance_id)?;
        if let Some(key) = &self.idempotency_key {
            uuid::Uuid::parse_str(key.trim())
                .map_err(|_| Error::invalid_input(VENDOR, "idempotency_key", "must be a UUID"))?;
        }
        Ok(())
    }
}

pub(crate) fn validate_short_id(field: &str, value: &str) -> Result<()> {
    validate_id(VENDOR, field, value)?;
    if value.len() > MAX_ID_LEN {
        return Err(Error::invalid_input(
            VENDOR,
            field,
            format!("is longer than {MAX_ID_LEN} bytes"),
        ));
    }
    Ok(())
}
