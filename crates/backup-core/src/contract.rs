//! The vendor contract: what every vendor crate implements, so that the facade, the
//! command line, the fault suite and users treat every vendor alike.
//!
//! - [`BackupClient`]: a vendor's client. Its associated types name the vendor's own
//!   request ([`BackupClient::Request`]), the flat parameters plans and command lines
//!   give ([`BackupClient::Params`]) and the client settings beyond credentials
//!   ([`BackupClient::Config`]); its methods start, read, cancel and follow backups.
//! - [`BackupClientBuilder`]: how a client is configured: from a [`BackupClient::Config`]
//!   and the vendor's environment names, plus the transport settings every vendor has.
//!
//! The model is object_store's `ObjectStore` (one trait, one conformance suite) and
//! OpenDAL's `Builder` + serde `Config` (configuration that is also the user docs).
//!
//! ```
//! use backup_core::contract::BackupClient;
//! use backup_core::{Operation, Result, WaitOptions};
//!
//! /// Backs up with any vendor and waits for every operation the trigger started.
//! async fn back_up<C: BackupClient>(client: &C, request: &C::Request) -> Result<Vec<Operation>> {
//!     let mut done = Vec::new();
//!     for operation in client.trigger(request).await? {
//!         done.push(client.wait(operation, WaitOptions::default()).await?);
//!     }
//!     Ok(done)
//! }
//! ```

use std::fmt;
use std::future::Future;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::transport::TransportOptions;
use crate::{Error, Operation, OperationRef, Pollable, Poller, Result, WaitOptions};

/// Reads an environment variable by name: `std::env::var` in production, a map in
/// tests, a renaming table in plans.
pub type Lookup<'a> = &'a (dyn Fn(&str) -> Option<String> + Sync);

/// Reads the process environment; blank values count as unset.
#[must_use]
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

/// An environment variable a vendor reads, with what it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnvVar {
    /// The variable's name (`YC_IAM_TOKEN`).
    pub name: &'static str,
    /// What it holds, for help texts (`an IAM token`).
    pub meaning: &'static str,
}

impl EnvVar {
    /// A variable and its meaning.
    #[must_use]
    pub const fn new(name: &'static str, meaning: &'static str) -> Self {
        Self { name, meaning }
    }
}

/// A vendor's client: starts backups and follows them to their end.
///
/// Every vendor crate implements it for its `Client`; generic code
/// (`backup-all`'s `AnyClient`, the fault suite, the benchmarks) is written once
/// against it. A poller ([`BackupClient::wait`]) follows operations through
/// [`BackupClient::refresh`], which every `BackupClient` offers as [`Pollable`].
pub trait BackupClient: fmt::Debug + Clone + Send + Sync + Sized + 'static {
    /// The vendor's name in references, errors and cargo features (`huawei-csbs`).
    const VENDOR: &'static str;
    /// The service's name for people (`Huawei Cloud CSBS`).
    const SERVICE: &'static str;
    /// What one trigger does, in the vendor's words (`create a checkpoint of a backup
    /// policy`).
    const TRIGGER_SUMMARY: &'static str;
    /// The environment variables [`BackupClientBuilder::from_env`] reads, in order of
    /// precedence, credentials first.
    const ENVIRONMENT: &'static [EnvVar];

    /// Configures a client.
    type Builder: BackupClientBuilder<Client = Self>;
    /// The vendor's own trigger request, with every option the API documents.
    type Request: fmt::Debug + Clone + PartialEq + Send + Sync + 'static;
    /// The flat parameters of one trigger, as plans (serde) and `backupctl trigger`
    /// (clap, with the crate's `cli` feature) give them.
    type Params: Serialize + DeserializeOwned + fmt::Debug + Clone + PartialEq + Send + Sync;
    /// Client settings beyond credentials (endpoints, API version, region, TLS), as
    /// plans and command lines give them. Credentials never appear here: they come from
    /// [`BackupClient::ENVIRONMENT`].
    type Config: Serialize
        + DeserializeOwned
        + Default
        + fmt::Debug
        + Clone
        + PartialEq
        + Send
        + Sync;

    /// A builder with the vendor's public endpoints and no credential.
    #[must_use]
    fn builder() -> Self::Builder {
        Self::Builder::default()
    }

    /// A client from the vendor's environment names ([`BackupClient::ENVIRONMENT`]).
    ///
    /// # Errors
    /// [`Error::Config`] naming the variables to set when a credential is missing;
    /// as [`BackupClientBuilder::build`] otherwise.
    fn from_env() -> Result<Self> {
        Self::Builder::from_env()?.build()
    }

    /// The vendor request for `params`, checked before anything is sent.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the field at fault.
    fn request(params: &Self::Params) -> Result<Self::Request>;

    /// Starts the backup `request` describes: one [`Operation`] per job or session the
    /// vendor started (Azure, Yandex and Huawei start one; Commvault and Veeam may start
    /// several), never empty on success.
    ///
    /// A trigger is never sent twice unless the service provably did not take it or it
    /// carries an idempotency key the service honours; otherwise a lost answer is
    /// [`Error::OutcomeUnknown`].
    fn trigger(
        &self,
        request: &Self::Request,
    ) -> impl Future<Output = Result<Vec<Operation>>> + Send;

    /// Reads an operation again from its reference alone (another process may call it).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for another vendor's or a malformed reference (nothing is
    /// sent); the vendor's errors otherwise.
    fn status(&self, reference: &OperationRef) -> impl Future<Output = Result<Operation>> + Send;

    /// Asks the vendor to cancel the operation; its state after asking.
    ///
    /// # Errors
    /// [`Error::Unsupported`] where the vendor cannot cancel (the default).
    fn cancel(&self, reference: &OperationRef) -> impl Future<Output = Result<Operation>> + Send {
        let result = Self::check_reference(reference).and_then(|()| {
            Err(Error::Unsupported {
                vendor: Self::VENDOR,
                what: format!("cancelling an operation ({} cannot)", Self::SERVICE),
            })
        });
        std::future::ready(result)
    }

    /// Reads `operation` again for a waiter. The default is
    /// [`BackupClient::status`] of its reference; a vendor whose fresh operations may
    /// be briefly invisible (replica lag) tolerates that here.
    fn refresh(&self, operation: &Operation) -> impl Future<Output = Result<Operation>> + Send {
        self.status(&operation.reference)
    }

    /// After `operation` ended well, reads what the backup made with the vendor's
    /// documented reads (its recovery point, backup or restore points, sizes): at most
    /// one or two requests, made by [`BackupClient::wait`] unless
    /// [`WaitOptions::follow_up`] is off. The default reads nothing.
    fn produced(&self, operation: &Operation) -> impl Future<Output = Result<Operation>> + Send {
        std::future::ready(Ok(operation.clone()))
    }

    /// Sets an idempotency key on `request` (`key`, else a fresh one) and returns it,
    /// where the vendor honours one (Yandex's `Idempotency-Key`): a journal stores it
    /// with the intent to trigger, so that [`BackupClient::recover_trigger`] can send
    /// the same trigger again safely. The default (no key) leaves `request` as it is.
    fn idempotency_key(request: &mut Self::Request, key: Option<&str>) -> Option<String> {
        let _ = (request, key);
        None
    }

    /// Finds what a trigger of `request` started when its answer never arrived (the
    /// process died after sending it): the vendor's own idempotency (the same key),
    /// its answer to a second start of a running backup (the session it names), or
    /// [`Recovered::Unknown`] saying what to check. It never starts a second backup of
    /// one still running. The default cannot tell.
    ///
    /// # Errors
    /// The vendor's errors while finding out (the outcome then stays unknown).
    fn recover_trigger(
        &self,
        request: &Self::Request,
    ) -> impl Future<Output = Result<Recovered>> + Send {
        let _ = request;
        std::future::ready(Ok(Recovered::Unknown(format!(
            "{service} gives no way to find the backup a lost trigger started: check \
             {service} for a backup of this target started after the trigger was sent",
            service = Self::SERVICE
        ))))
    }

    /// Follows `operation` to its end: a stream of its changes, or `.await` for the end.
    fn wait(&self, operation: Operation, options: WaitOptions) -> Poller<'_> {
        Poller::new(self, operation, options)
    }

    /// Checks that `reference` is this vendor's and that its id has the vendor's form.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] (field `reference`).
    fn check_reference(reference: &OperationRef) -> Result<()> {
        reference.expect_vendor(Self::VENDOR)?;
        Self::check_reference_id(&reference.id)
    }

    /// Checks the id part of one of this vendor's references (the crate's own encoding).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] (field `reference`) saying what form was expected.
    fn check_reference_id(id: &str) -> Result<()>;

    /// The client settings to read, wait for or cancel `reference` with: `config`
    /// completed with what the reference carries (Huawei's project), so that a
    /// reference resumes without settings it already holds. The default is `config`
    /// as it is; a setting `config` gives always wins.
    #[must_use]
    fn config_for_reference(config: &Self::Config, reference: &OperationRef) -> Self::Config {
        let _ = reference;
        config.clone()
    }

    /// Parses the printable form (`vendor:id`) of one of this vendor's references.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] (field `reference`).
    fn parse_reference(text: &str) -> Result<OperationRef> {
        let reference: OperationRef =
            text.parse()
                .map_err(|e: crate::operation::ParseOperationRefError| {
                    Error::invalid_input(Self::VENDOR, "reference", e.to_string())
                })?;
        Self::check_reference(&reference)?;
        Ok(reference)
    }
}

/// What became of a trigger whose answer never arrived
/// ([`BackupClient::recover_trigger`]).
#[derive(Debug)]
#[non_exhaustive]
pub enum Recovered {
    /// The operations that trigger started (or the running backup it ran into).
    Operations(Vec<Operation>),
    /// The vendor cannot tell; what a person should check.
    Unknown(String),
}

/// Every [`BackupClient`] is [`Pollable`] through [`BackupClient::refresh`].
#[async_trait::async_trait]
impl<C: BackupClient> Pollable for C {
    async fn poll(&self, operation: &Operation) -> Result<Operation> {
        self.refresh(operation).await
    }

    async fn follow_up(&self, operation: &Operation) -> Result<Operation> {
        self.produced(operation).await
    }
}

/// Configures a vendor's [`BackupClient`].
///
/// Besides the trait, every vendor builder has the transport setters of
/// [`crate::transport_setters!`] (`retry`, `connect_timeout`, `request_timeout`,
/// `body_cap`, `max_concurrent_requests`, `root_certificate_pem` ...) and its own credential and endpoint setters.
pub trait BackupClientBuilder: fmt::Debug + Default + Send + Sized + 'static {
    /// The client it builds.
    type Client: BackupClient<Builder = Self>;

    /// A builder from `config`, reading what `config` leaves out (credentials always,
    /// endpoints and versions where the vendor has variables for them) through
    /// `lookup` under the vendor's environment names.
    ///
    /// # Errors
    /// [`Error::Config`] naming the variables to set when a credential is missing;
    /// [`Error::InvalidInput`] for a malformed setting (nothing is sent).
    fn from_config(
        config: &<Self::Client as BackupClient>::Config,
        lookup: Lookup<'_>,
    ) -> Result<Self>;

    /// A builder from the vendor's environment names read through `lookup` (for tests,
    /// and for configuration kept elsewhere).
    ///
    /// # Errors
    /// As [`BackupClientBuilder::from_config`].
    fn from_lookup(lookup: Lookup<'_>) -> Result<Self> {
        Self::from_config(&Default::default(), lookup)
    }

    /// A builder from the process environment. Setters called afterwards override what
    /// it read.
    ///
    /// # Errors
    /// As [`BackupClientBuilder::from_config`].
    fn from_env() -> Result<Self> {
        Self::from_lookup(&process_env)
    }

    /// The transport settings (retries, timeouts, body cap, TLS) the client will use.
    fn transport_options_mut(&mut self) -> &mut TransportOptions;

    /// Builds the client, checking every setting.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] or [`Error::Config`] naming the setting at fault.
    fn build(self) -> Result<Self::Client>;
}
