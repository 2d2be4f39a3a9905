//! [`Client`]: trigger a CSBS backup policy and follow its checkpoint.

mod builder;
mod trigger;

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use backup_core::auth::Authenticator;
use backup_core::{
    Error, Operation, OperationRef, Pollable, Poller, Request, Result, Transport, WaitOptions, path,
};
use url::Url;

pub use builder::{ClientBuilder, ENV_AK, ENV_PROJECT_ID, ENV_REGION, ENV_SECURITY_TOKEN, ENV_SK};
pub use trigger::{DEFAULT_PROVIDER_ID, TriggerRequest};

use crate::VENDOR;
use crate::model::{CheckpointItem, CheckpointItemList, CheckpointItemResponse};
use crate::operation;

/// A CSBS client for one project. Cheap to clone.
#[derive(Clone)]
pub struct Client {
    transport: Transport,
    auth: Arc<dyn Authenticator>,
    endpoint: Url,
    project_id: String,
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
    /// A builder.
    #[must_use]
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// A client from the environment (see [`ClientBuilder::from_env`]).
    ///
    /// # Errors
    /// As [`ClientBuilder::from_env`] and [`ClientBuilder::build`].
    pub fn from_env() -> Result<Self> {
        ClientBuilder::from_env()?.build()
    }

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
    /// [`Error::InvalidInput`] for an empty or malformed id; the transport's errors.
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

    /// Reads one backup: `GET /v1/{project_id}/checkpoint_items/{item_id}`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an empty or malformed id; the transport's errors.
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

    /// Reads the backup of `reference` again: lists the checkpoint's items, reads each
    /// of them, and sums them up (see [`crate::operation`]). No item listed yet is
    /// `Pending`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a malformed reference; the transport's errors.
    pub async fn status(&self, reference: &OperationRef) -> Result<Operation> {
        let (project_id, checkpoint_id) = operation::decode_reference(reference)?;
        let list = self
            .list_checkpoint_items(project_id, checkpoint_id)
            .await?;
        let mut items = Vec::with_capacity(list.checkpoint_items.len());
        for listed in list.checkpoint_items {
            // A service that ignored the filter must not mix other checkpoints in.
            if listed
                .checkpoint_id
                .as_deref()
                .is_some_and(|id| id != checkpoint_id)
            {
                continue;
            }
            match listed.id.as_deref().filter(|id| !id.is_empty()) {
                Some(item_id) => items.push(self.checkpoint_item(project_id, item_id).await?),
                None => items.push(listed),
            }
        }
        Ok(operation::from_items(reference.clone(), &items))
    }

    /// CSBS cannot cancel a running backup.
    ///
    /// # Errors
    /// Always [`Error::Unsupported`].
    // Async like every vendor's `cancel`, so callers treat all clients alike.
    #[allow(clippy::unused_async)]
    pub async fn cancel(&self, reference: &OperationRef) -> Result<Operation> {
        Err(Error::Unsupported {
            vendor: VENDOR,
            what: format!("cancelling {reference} (CSBS has no cancel for a running backup)"),
        })
    }

    /// Waits for `operation` to end (see [`Poller`]).
    #[must_use]
    pub fn wait(&self, operation: Operation, options: WaitOptions) -> Poller<'_> {
        Poller::new(self, operation, options)
    }
}

#[async_trait]
impl Pollable for Client {
    async fn poll(&self, operation: &Operation) -> Result<Operation> {
        self.status(&operation.reference).await
    }

    async fn cancel(&self, operation: &Operation) -> Result<Operation> {
        Client::cancel(self, &operation.reference).await
    }
}
