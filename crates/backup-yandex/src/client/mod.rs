//! [`Client`] (the [`BackupClient`] of Yandex Cloud Backup), [`ClientBuilder`] and
//! [`TriggerRequest`].

mod builder;
mod trigger;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use backup_core::Transport;
use backup_core::auth::{TokenAuth, TokenCache};
use backup_core::contract::{BackupClient, EnvVar, Recovered};
use backup_core::path::{join_segments, validate_id};
use backup_core::transport::{Idempotency, Request, Response, Step};
use http::HeaderValue;
use url::Url;

pub use builder::{
    ClientBuilder, DEFAULT_BACKUP_ENDPOINT, DEFAULT_IAM_ENDPOINT, DEFAULT_OPERATION_ENDPOINT,
};
pub use trigger::{IDEMPOTENCY_KEY_HEADER, MAX_ID_LEN, TriggerRequest};

use crate::auth::ENVIRONMENT;
use crate::model;
use crate::operation::{NotFoundTolerance, find_backup, poll_interval, to_operation, with_backup};
use crate::{Config, TriggerParams};
use crate::{Error, Operation, OperationRef, Result, VENDOR};

/// A Yandex Cloud Backup client: executes policies and follows the operations.
///
/// Cheap to clone (clones share connections and the token cache).
#[derive(Clone)]
pub struct Client {
    transport: Transport,
    auth: TokenAuth,
    backup: Url,
    operation: Url,
    not_found: Arc<NotFoundTolerance>,
    iam: Url,
    credential_flow: &'static str,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("backup_endpoint", &self.backup.as_str())
            .field("operation_endpoint", &self.operation.as_str())
            .field("iam_endpoint", &self.iam.as_str())
            .field("credential", &self.credential_flow)
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// The Cloud Backup endpoint.
    #[must_use]
    pub fn backup_endpoint(&self) -> &Url {
        &self.backup
    }

    /// The Operation API endpoint.
    #[must_use]
    pub fn operation_endpoint(&self) -> &Url {
        &self.operation
    }

    /// The token cache (how many token fetches were made, ...).
    #[must_use]
    pub fn token_cache(&self) -> &Arc<TokenCache> {
        self.auth.cache()
    }

    /// [`BackupClient::trigger`], returning the operation as Yandex sent it.
    ///
    /// # Errors
    /// As [`BackupClient::trigger`].
    pub async fn execute(
        &self,
        request: &TriggerRequest,
    ) -> Result<(model::Operation, Option<Duration>)> {
        request.validate()?;
        let key = request
            .idempotency_key
            .as_deref()
            .map_or_else(|| uuid::Uuid::new_v4().to_string(), |k| k.trim().to_owned());
        let action = format!(
            "execute policy {} on instance {} (Idempotency-Key {key})",
            request.policy_id, request.compute_instance_id
        );
        let url = join_segments(
            VENDOR,
            &self.backup,
            &[
                "backup",
                "v1",
                "policies",
                &format!("{}:execute", request.policy_id),
            ],
        )?;
        let key_value = HeaderValue::from_str(&key)
            .map_err(|_| Error::invalid_input(VENDOR, "idempotency_key", "must be a UUID"))?;
        let http_request = Request::post(VENDOR, url)
            .idempotency(Idempotency::Safe)
            .step(Step::Trigger)
            .action(action.clone())
            .header(
                http::HeaderName::from_static(IDEMPOTENCY_KEY_HEADER),
                key_value,
            )
            .json(&request.body())?;
        // Only the execute request itself may leave the outcome unknown: a failure of
        // the token step before it requested no backup (backup-core's rule).
        self.send_decoding(http_request).await.map_err(|error| {
            error.into_trigger_outcome(&action, "repeating with the same Idempotency-Key is safe")
        })
    }

    /// Sends a request that is safe to repeat and decodes the operation it answers; an
    /// answer that cannot be decoded (truncated, empty, a proxy's page with 200) is
    /// asked for again within the retry policy
    /// ([`backup_core::Transport::send_decoded`]).
    async fn send_decoding(
        &self,
        request: Request,
    ) -> Result<(model::Operation, Option<Duration>)> {
        self.transport
            .send_decoded(request, &self.auth, decode_operation)
            .await
    }

    /// [`BackupClient::status`], returning the operation as Yandex sent it and the poll
    /// hint.
    ///
    /// # Errors
    /// As [`BackupClient::status`].
    pub async fn get_operation(
        &self,
        reference: &OperationRef,
    ) -> Result<(model::Operation, Option<Duration>)> {
        Self::check_reference(reference)?;
        let id = reference.id.as_str();
        let url = join_segments(VENDOR, &self.operation, &["operations", id])?;
        let request = Request::get(VENDOR, url).action(format!("read operation {id}"));
        self.send_decoding(request).await
    }

    /// The newest backups (at most [`BACKUP_PAGE_SIZE`]) of `compute_instance_id` made by
    /// `policy_id`: `GET {backup}/backup/v1/backups?instancePolicy.computeInstanceId=..&
    /// instancePolicy.policyId=..&pageSize=..` (`Backup.List`; newest first, the
    /// service's default order).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an empty or overlong id (nothing is sent);
    /// [`Error::Api`], [`Error::Auth`], [`Error::Decode`] ...
    pub async fn list_backups(
        &self,
        policy_id: &str,
        compute_instance_id: &str,
    ) -> Result<model::ListBackupsResponse> {
        trigger::validate_short_id("policy_id", policy_id)?;
        trigger::validate_short_id("compute_instance_id", compute_instance_id)?;
        let mut url = join_segments(VENDOR, &self.backup, &["backup", "v1", "backups"])?;
        url.query_pairs_mut()
            .append_pair(model::QUERY_INSTANCE, compute_instance_id)
            .append_pair(model::QUERY_POLICY, policy_id)
            .append_pair(model::QUERY_PAGE_SIZE, &BACKUP_PAGE_SIZE.to_string());
        let request = Request::get(VENDOR, url).action(format!(
            "list the backups of instance {compute_instance_id} by policy {policy_id}"
        ));
        self.transport
            .send_decoded(request, &self.auth, |response: &Response| response.json())
            .await
    }
}

/// How many of the newest backups [`Client::list_backups`] asks for.
pub const BACKUP_PAGE_SIZE: u32 = 100;

impl BackupClient for Client {
    const VENDOR: &'static str = VENDOR;
    const SERVICE: &'static str = "Yandex Cloud Backup";
    const TRIGGER_SUMMARY: &'static str = "execute a backup policy on a Compute instance";
    const ENVIRONMENT: &'static [EnvVar] = ENVIRONMENT;

    type Builder = ClientBuilder;
    type Request = TriggerRequest;
    type Params = TriggerParams;
    type Config = Config;

    fn request(params: &TriggerParams) -> Result<TriggerRequest> {
        let mut request = TriggerRequest::new(&params.policy, &params.instance);
        request.idempotency_key.clone_from(&params.idempotency_key);
        request.validate()?;
        Ok(request)
    }

    /// The `Idempotency-Key`: `key`, else a fresh UUID v4, set on the request.
    fn idempotency_key(request: &mut TriggerRequest, key: Option<&str>) -> Option<String> {
        let key = key.map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
        request.idempotency_key = Some(key.clone());
        Some(key)
    }

    /// Sends the same `Policy.Execute` again with the request's `Idempotency-Key`: Yandex
    /// answers a repeat with the operation the first one started, as it stands now (and
    /// starts the backup only if the first never arrived). Without a recorded key
    /// nothing is sent: [`Recovered::Unknown`] (see `docs/vendors/yandex.md`, "A trigger
    /// whose answer was lost").
    async fn recover_trigger(&self, request: &TriggerRequest) -> Result<Recovered> {
        if request.idempotency_key.is_none() {
            return Ok(Recovered::Unknown(format!(
                "the execute of policy {} on instance {} was sent without a recorded \
                 Idempotency-Key, and sending it again could start a second backup: \
                 check the instance's backups in Cloud Backup before triggering again",
                request.policy_id, request.compute_instance_id
            )));
        }
        self.trigger(request).await.map(Recovered::Operations)
    }

    /// Starts a backup: `POST {backup}/backup/v1/policies/{policyId}:execute` with
    /// `{"computeInstanceId"}` and an `Idempotency-Key`; one operation.
    ///
    /// The key makes the request safe to repeat: it is retried on any transient failure
    /// (lost answer, 5xx, timeout), and a repeat returns the same operation, so a lost
    /// answer never starts a second backup. If every attempt fails after the request
    /// may have arrived, the result is [`Error::OutcomeUnknown`] naming the key: calling
    /// again with [`TriggerRequest::idempotency_key`] set to it is safe.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] before any request; [`Error::Api`] for refusals
    /// (`FAILED_PRECONDITION` when the policy is not applied to the instance, `NOT_FOUND`
    /// for an unknown policy); [`Error::Auth`]; [`Error::OutcomeUnknown`].
    async fn trigger(&self, request: &TriggerRequest) -> Result<Vec<Operation>> {
        let (operation, poll_after) = self.execute(request).await?;
        Ok(vec![to_operation(&operation, poll_after)])
    }

    /// Reads the operation: `GET {operation}/operations/{id}`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a reference of another vendor or a bad id;
    /// [`Error::Api`] (NotFound for an unknown operation), [`Error::Auth`] ...
    async fn status(&self, reference: &OperationRef) -> Result<Operation> {
        let (operation, poll_after) = self.get_operation(reference).await?;
        Ok(to_operation(&operation, poll_after))
    }

    /// Cancels the operation: `GET {operation}/operations/{id}:cancel` (the method the
    /// Operation API's proto and REST reference give; see `docs/vendors/yandex.md`).
    ///
    /// # Errors
    /// As [`BackupClient::status`].
    async fn cancel(&self, reference: &OperationRef) -> Result<Operation> {
        Self::check_reference(reference)?;
        let id = reference.id.as_str();
        let url = join_segments(
            VENDOR,
            &self.operation,
            &["operations", &format!("{id}:cancel")],
        )?;
        let request = Request::get(VENDOR, url)
            .idempotency(Idempotency::Unsafe)
            .action(format!("cancel operation {id}"));
        let response = self.transport.send(request, &self.auth).await?;
        let (operation, poll_after) = decode_operation(&response)?;
        Ok(to_operation(&operation, poll_after))
    }

    /// After the operation ended well, the backup it made: the operation again (its
    /// metadata names the instance and the policy; `GET {operation}/operations/{id}`),
    /// then `Backup.List` by instance and policy ([`Client::list_backups`]); two reads.
    /// The backup created while the operation ran is `produced` (`backup`, its id) and
    /// its `size` the size ([`crate::operation::find_backup`]); when none can be told,
    /// a warning says why.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a reference of another vendor or a bad id; the two
    /// reads' errors (the waiter keeps the operation and adds a warning).
    async fn produced(&self, operation: &Operation) -> Result<Operation> {
        if !operation.status.is_success() {
            return Ok(operation.clone());
        }
        let (op, _) = self.get_operation(&operation.reference).await?;
        let metadata = op.metadata.clone().unwrap_or_default();
        let (Some(policy), Some(instance)) = (
            metadata.policy_id.filter(|p| !p.is_empty()),
            metadata.compute_instance_id.filter(|i| !i.is_empty()),
        ) else {
            let mut warnings = operation.warnings.clone();
            warnings.push(format!(
                "operation {} names no policy or instance in its metadata: its backup \
                 cannot be looked up",
                op.id
            ));
            return Ok(operation.clone().with_warnings(warnings));
        };
        let list = self.list_backups(&policy, &instance).await?;
        Ok(with_backup(
            operation.clone(),
            &find_backup(&op, &list.backups),
        ))
    }

    /// Reads the operation again; a NotFound for an operation not seen done yet is
    /// tolerated up to [`crate::operation::MAX_NOT_FOUND`] times (replica lag), the
    /// operation then staying as last seen.
    async fn refresh(&self, operation: &Operation) -> Result<Operation> {
        match self.status(&operation.reference).await {
            Ok(next) => {
                if next.status.is_terminal() {
                    self.not_found.forget(&next.reference.id);
                }
                Ok(next)
            }
            Err(error) if self.not_found.tolerate(&operation.reference.id, &error) => {
                Ok(operation.clone())
            }
            Err(error) => Err(error),
        }
    }

    /// An operation id: one path segment of at most [`MAX_OPERATION_ID_LEN`] bytes.
    fn check_reference_id(id: &str) -> Result<()> {
        if id.len() > MAX_OPERATION_ID_LEN {
            return Err(Error::invalid_input(
                VENDOR,
                "reference",
                format!("an operation id has at most {MAX_OPERATION_ID_LEN} bytes"),
            ));
        }
        validate_id(VENDOR, "reference", id)
    }
}

/// The longest operation id accepted in a reference (Yandex's are 20 characters).
pub const MAX_OPERATION_ID_LEN: usize = 256;

fn decode_operation(response: &Response) -> Result<(model::Operation, Option<Duration>)> {
    let operation: model::Operation = response.json()?;
    Ok((operation, poll_interval(&response.headers)))
}
