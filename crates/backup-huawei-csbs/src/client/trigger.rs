//! Starting a backup: `POST /v1/{project_id}/providers/{provider_id}/checkpoints`.

use backup_core::{Request, Result, path};
use time::OffsetDateTime;
use url::Url;

use super::Client;
use crate::VENDOR;
use crate::model::{
    CheckpointParam, CheckpointReq, CreateCheckpointRequest, CreateCheckpointResponse,
    decode_create_response,
};

/// CSBS's fixed backup provider id.
pub const DEFAULT_PROVIDER_ID: &str = "fc4d5750-22e7-4798-8a46-f48f62c4c1da";

/// What to back up: a policy, and optionally some of its resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriggerRequest {
    /// The backup policy id.
    pub plan_id: String,
    /// The resources to back up; empty for all of the policy's.
    pub resources: Vec<String>,
    /// `auto_trigger` (sent as `false` unless set: a manual execution).
    pub auto_trigger: Option<bool>,
    /// The provider id; [`DEFAULT_PROVIDER_ID`] when `None`.
    pub provider_id: Option<String>,
    /// When the trigger was about to be sent (never sent to CSBS): if its answer is
    /// lost, [`BackupClient::recover_trigger`](backup_core::BackupClient::recover_trigger)
    /// looks for the policy's checkpoint created since then. A run journal sets it
    /// through [`BackupClient::idempotency_key`](backup_core::BackupClient::idempotency_key)
    /// and keeps it with the intent.
    pub sent_after: Option<OffsetDateTime>,
}

impl TriggerRequest {
    /// Executes policy `plan_id` for all of its resources.
    pub fn new(plan_id: impl Into<String>) -> Self {
        Self {
            plan_id: plan_id.into(),
            resources: Vec::new(),
            auto_trigger: Some(false),
            provider_id: None,
            sent_after: None,
        }
    }

    /// Backs up only these resources of the policy.
    #[must_use]
    pub fn resources<I, S>(mut self, resources: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.resources = resources.into_iter().map(Into::into).collect();
        self
    }

    /// Sets `auto_trigger` (`None` leaves it out).
    #[must_use]
    pub fn auto_trigger(mut self, auto_trigger: Option<bool>) -> Self {
        self.auto_trigger = auto_trigger;
        self
    }

    /// Uses another provider id.
    #[must_use]
    pub fn provider_id(mut self, provider_id: impl Into<String>) -> Self {
        self.provider_id = Some(provider_id.into());
        self
    }

    /// Records when the trigger is sent (see [`sent_after`](Self::sent_after)).
    #[must_use]
    pub fn sent_after(mut self, at: OffsetDateTime) -> Self {
        self.sent_after = Some(at);
        self
    }

    /// Checks every id.
    ///
    /// # Errors
    /// [`backup_core::Error::InvalidInput`] naming the field.
    pub fn validate(&self) -> Result<()> {
        path::validate_id(VENDOR, "plan_id", &self.plan_id)?;
        if let Some(provider) = &self.provider_id {
            path::validate_id(VENDOR, "provider_id", provider)?;
        }
        for (index, resource) in self.resources.iter().enumerate() {
            path::validate_id(VENDOR, &format!("resources[{index}]"), resource)?;
        }
        Ok(())
    }

    /// The request body.
    #[must_use]
    pub fn body(&self) -> CreateCheckpointRequest {
        CreateCheckpointRequest {
            checkpoint: CheckpointReq {
                plan_id: self.plan_id.clone(),
                parameters: CheckpointParam {
                    auto_trigger: self.auto_trigger,
                    resources: (!self.resources.is_empty()).then(|| self.resources.clone()),
                },
            },
        }
    }
}

/// `{endpoint}/v1/{project_id}/providers/{provider_id}/checkpoints`.
pub(super) fn checkpoints_url(endpoint: &Url, project_id: &str, provider_id: &str) -> Result<Url> {
    path::join_segments(
        VENDOR,
        endpoint,
        &["v1", project_id, "providers", provider_id, "checkpoints"],
    )
}

impl Client {
    /// Executes a backup policy (creates a checkpoint) and returns the answer as
    /// documented ([`BackupClient::trigger`](backup_core::BackupClient::trigger) makes
    /// the operation of it).
    ///
    /// The POST is a trigger: it is retried only when the service provably did not
    /// take it (connection refused, 429, 503); `CSBS.1001` (a backup of the policy is
    /// already running) is an [`backup_core::ApiErrorKind::Conflict`]; a lost or
    /// undecodable answer is [`backup_core::Error::OutcomeUnknown`].
    ///
    /// # Errors
    /// [`backup_core::Error::InvalidInput`] before any request; the transport's errors.
    pub async fn create_checkpoint(
        &self,
        request: &TriggerRequest,
    ) -> Result<CreateCheckpointResponse> {
        request.validate()?;
        let provider = request
            .provider_id
            .as_deref()
            .unwrap_or(DEFAULT_PROVIDER_ID);
        let url = match &self.default_checkpoints {
            Some(url) if provider == DEFAULT_PROVIDER_ID => url.clone(),
            _ => checkpoints_url(self.endpoint(), self.project_id(), provider)?,
        };
        let http = Request::post(VENDOR, url)
            .trigger(format!("execute backup policy {}", request.plan_id))
            .json(&request.body())?;
        let response = self.send(http).await?;
        let decoded = decode_create_response(&response.body)
            .map_err(|e| response.undecodable(format!("invalid JSON: {e}")))?;
        let id = decoded.checkpoint.id.as_str();
        if path::validate_id(VENDOR, "checkpoint.id", id).is_err() || id.contains('/') {
            return Err(response.undecodable(format!(
                "the answer has no usable checkpoint id: {:?}",
                id.chars().take(80).collect::<String>()
            )));
        }
        Ok(decoded)
    }
}
