//! [`Client`] (the [`BackupClient`] of Huawei CSBS): trigger a backup policy and follow
//! its checkpoint; [`ClientBuilder`] and [`TriggerRequest`].

mod builder;
mod recover;
mod trigger;

use std::fmt;
use std::sync::Arc;

use backup_core::auth::Authenticator;
use backup_core::contract::{BackupClient, EnvVar, Recovered};
use backup_core::{Operation, OperationRef, Request, Result, Transport, path};
use url::Url;

pub use builder::ClientBuilder;
pub use recover::{RECOVERY_CLOCK_MARGIN, RECOVERY_LOOKS};
pub use trigger::{DEFAULT_PROVIDER_ID, TriggerRequest};

use crate::auth::ENVIRONMENT;
use crate::model::{CheckpointItem, CheckpointItemList, CheckpointItemResponse};
use crate::operation;
use crate::{Config, TriggerParams, VENDOR};

/// A CSBS client for one project. Cheap to clone.
#[derive(Clone)]
pub struct Client {
    transport: Transport,
    auth: Arc<dyn Authenticator>,
    endpoint: Url,
    project_id: String,
    /// The trigger's URL with the default provider, joined once when the client is
    /// built (`None` when it cannot be: each trigger then joins it and reports why).
    default_checkpoints: Option<Url>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.endpoint.as_str())
            .field("project_id", &self.project_id)
            .field("auth", &self.auth)
            .field("transport", &self.transport)
            .finish()
    }
}

impl Client {
    /// Sends `request` with the client's credential. Secrets the request carried
    /// (sensitive headers: signature, security token, `X-Auth-Token`) are kept out of
    /// errors by the transport.
    pub(crate) async fn send(&self, request: Request) -> Result<backup_core::Response> {
        self.transport.send(request, &*self.auth).await
    }

    /// Sends a read and decodes its JSON answer; an undecodable answer is read again
    /// within the retry policy.
    async fn get_json<T: serde::de::DeserializeOwned>(&self, request: Request) -> Result<T> {
        self.transport
            .send_decoded(request, &*self.auth, backup_core::Response::json)
            .await
    }

    /// The CSBS endpoint.
    #[must_use]
    pub fn endpoint(&self) -> &Url {
        &self.endpoint
    }

    /// The project id.
    #[must_use]
    pub fn project_id(&self) -> &str {
        &self.project_id
    }

    /// Lists the backups (checkpoint items) of checkpoint `checkpoint_id`:
    /// `GET /v1/{project_id}/checkpoint_items?checkpoint_id={checkpoint_id}`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) for an empty or malformed id;
    /// the transport's errors.
    pub async fn list_checkpoint_items(
        &self,
        project_id: &str,
        checkpoint_id: &str,
    ) -> Result<CheckpointItemList> {
        path::validate_id(VENDOR, "project_id", project_id)?;
        path::validate_id(VENDOR, "checkpoint_id", checkpoint_id)?;
        let mut url = path::join_segments(
            VENDOR,
            &self.endpoint,
            &["v1", project_id, "checkpoint_items"],
        )?;
        url.set_query(Some(&format!(
            "checkpoint_id={}",
            crate::auth::canonical::encode(checkpoint_id)
        )));
        let request = Request::get(VENDOR, url).action("list checkpoint items");
        self.get_json(request).await
    }

    /// The items listed for checkpoint `checkpoint_id`; a service that ignored the
    /// filter must not mix other checkpoints in.
    async fn checkpoint_items_of(
        &self,
        project_id: &str,
        checkpoint_id: &str,
    ) -> Result<Vec<CheckpointItem>> {
        let list = self
            .list_checkpoint_items(project_id, checkpoint_id)
            .await?;
        Ok(list
            .checkpoint_items
            .into_iter()
            .filter(|listed| {
                listed
                    .checkpoint_id
                    .as_deref()
                    .is_none_or(|id| id == checkpoint_id)
            })
            .collect())
    }

    /// Reads one backup: `GET /v1/{project_id}/checkpoint_items/{item_id}`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) for an empty or malformed id;
    /// the transport's errors.
    pub async fn checkpoint_item(&self, project_id: &str, item_id: &str) -> Result<CheckpointItem> {
        path::validate_id(VENDOR, "project_id", project_id)?;
        path::validate_id(VENDOR, "item_id", item_id)?;
        let url = path::join_segments(
            VENDOR,
            &self.endpoint,
            &["v1", project_id, "checkpoint_items", item_id],
        )?;
        let request = Request::get(VENDOR, url).action("read a checkpoint item");
        let response: CheckpointItemResponse = self.get_json(request).await?;
        Ok(response.checkpoint_item)
    }
}

impl BackupClient for Client {
    const VENDOR: &'static str = VENDOR;
    const SERVICE: &'static str = "Huawei Cloud CSBS";
    const TRIGGER_SUMMARY: &'static str = "create a checkpoint of a backup policy";
    const ENVIRONMENT: &'static [EnvVar] = ENVIRONMENT;

    type Builder = ClientBuilder;
    type Request = TriggerRequest;
    type Params = TriggerParams;
    type Config = Config;

    /// The policy `params.plan` for `params.resources` (all of the policy's when
    /// empty), with `auto_trigger` as given.
    ///
    /// # Errors
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) naming `plan` or
    /// `resources[i]`.
    fn request(params: &TriggerParams) -> Result<TriggerRequest> {
        path::validate_id(VENDOR, "plan", &params.plan)?;
        for (index, resource) in params.resources.iter().enumerate() {
            path::validate_id(VENDOR, &format!("resources[{index}]"), resource)?;
        }
        let request = TriggerRequest::new(&params.plan)
            .resources(params.resources.iter().cloned())
            .auto_trigger(Some(params.auto_trigger));
        request.validate()?;
        Ok(request)
    }

    /// Executes a backup policy and returns the one operation to follow (reference
    /// `{project_id}/{checkpoint_id}`).
    ///
    /// The POST is a trigger: it is retried only when the service provably did not
    /// take it (connection refused, 429, 503); `CSBS.1001` (a backup of the policy is
    /// already running) is an [`backup_core::ApiErrorKind::Conflict`]; a lost or
    /// undecodable answer is [`Error::OutcomeUnknown`](crate::Error::OutcomeUnknown).
    ///
    /// # Errors
    /// As [`Client::create_checkpoint`].
    async fn trigger(&self, request: &TriggerRequest) -> Result<Vec<Operation>> {
        let created = self.create_checkpoint(request).await?;
        let reference = operation::reference(self.project_id(), &created.checkpoint.id);
        Ok(vec![operation::from_checkpoint(
            reference,
            &created.checkpoint,
        )])
    }

    /// Reads the backup of `reference` again: lists the checkpoint's items, reads each
    /// of them, and sums them up (see [`crate::operation`]). No item listed yet is
    /// `Pending`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) for another vendor's or a
    /// malformed reference (nothing is sent); the transport's errors.
    async fn status(&self, reference: &OperationRef) -> Result<Operation> {
        let (project_id, checkpoint_id) = operation::decode_reference(reference)?;
        let listed = self.checkpoint_items_of(project_id, checkpoint_id).await?;
        let mut items = Vec::with_capacity(listed.len());
        for listed in listed {
            match listed.id.as_deref().filter(|id| !id.is_empty()) {
                Some(item_id) => items.push(self.checkpoint_item(project_id, item_id).await?),
                None => items.push(listed),
            }
        }
        Ok(operation::from_items(reference.clone(), &items))
    }

    /// As [`BackupClient::status`], keeping what the earlier sight of the operation
    /// knew and the new read cannot tell: the start, which before any item is listed
    /// only the create answer's `created_at` gives ([`operation::refreshed`]).
    ///
    /// # Errors
    /// As [`BackupClient::status`].
    async fn refresh(&self, operation: &Operation) -> Result<Operation> {
        let fresh = self.status(&operation.reference).await?;
        Ok(operation::refreshed(operation, fresh))
    }

    /// What the backup made. Every poll reads each checkpoint item in full, so the
    /// poll that saw the end already carries the items, sizes, checkpoint and backup
    /// ids, and nothing is sent. An operation that ended well without them (read by an
    /// older client, or rebuilt from a record) gets them from one list read
    /// (`GET /v1/{project_id}/checkpoint_items?checkpoint_id=`).
    ///
    /// # Errors
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) for a foreign or malformed
    /// reference; the list read's errors.
    async fn produced(&self, operation: &Operation) -> Result<Operation> {
        if !operation.status.is_success() || !operation.produced.is_empty() {
            return Ok(operation.clone());
        }
        let (project_id, checkpoint_id) = operation::decode_reference(&operation.reference)?;
        let listed = self.checkpoint_items_of(project_id, checkpoint_id).await?;
        if listed.is_empty() {
            return Ok(operation.clone());
        }
        let read = operation::from_items(operation.reference.clone(), &listed);
        let mut done = operation.clone();
        done.items = read.items;
        done.size_bytes = read.size_bytes.or(done.size_bytes);
        done.produced = read.produced;
        Ok(done)
    }

    /// A journal's key for this trigger: CSBS honours no idempotency key, so the key
    /// records when the trigger is sent (`sent-after:{RFC 3339 time}`, set as
    /// [`TriggerRequest::sent_after`]), for [`BackupClient::recover_trigger`] to look
    /// for the checkpoint created since then. A key given back sets that time again.
    fn idempotency_key(request: &mut TriggerRequest, key: Option<&str>) -> Option<String> {
        match key {
            Some(key) => {
                request.sent_after = recover::time_of(key);
                Some(key.to_owned())
            }
            None => {
                let now = time::OffsetDateTime::now_utc();
                request.sent_after = Some(now);
                Some(recover::key_for(now))
            }
        }
    }

    /// Finds the checkpoint a trigger whose answer was lost created, without ever
    /// triggering again: lists the policy's backups started since
    /// [`TriggerRequest::sent_after`] less [`RECOVERY_CLOCK_MARGIN`]
    /// ([`Client::list_policy_items`]), keeps the checkpoints that are manual (or
    /// scheduled) as the request was and cover exactly the requested resources (when it
    /// names some), and follows the one found. None after [`RECOVERY_LOOKS`] lists (a
    /// pause of eight times the retry policy's first backoff, at most its longest,
    /// between them), several, or no recorded time: [`Recovered::Unknown`] saying what
    /// to check.
    ///
    /// # Errors
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) for a malformed request; the
    /// reads' errors.
    async fn recover_trigger(&self, request: &TriggerRequest) -> Result<Recovered> {
        self.recover(request).await
    }

    // No `cancel`: CSBS has no cancel for a running backup (the default answers
    // `Error::Unsupported`).

    /// The reference's project, unless `config` names one: a reference resumes without
    /// `HUAWEICLOUD_SDK_PROJECT_ID`.
    fn config_for_reference(config: &Config, reference: &OperationRef) -> Config {
        let mut config = config.clone();
        if config
            .project_id
            .as_deref()
            .is_none_or(|p| p.trim().is_empty())
            && let Ok((project_id, _)) = operation::decode_reference(reference)
        {
            config.project_id = Some(project_id.to_owned());
        }
        config
    }

    /// `{project_id}/{checkpoint_id}`: two ids without `/`, at most
    /// [`operation::MAX_REFERENCE_ID_LEN`] bytes in all.
    fn check_reference_id(id: &str) -> Result<()> {
        operation::split_reference_id(id).map(|_| ())
    }
}
