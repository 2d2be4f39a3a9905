//! [`AnyClient`], [`AnyRequest`] and [`Target`]: every enabled vendor behind one type.
// With no vendor enabled the enums are empty and the async methods have nothing to await.
#![cfg_attr(
    not(any(
        feature = "azure",
        feature = "yandex",
        feature = "huawei-csbs",
        feature = "commvault",
        feature = "veeam"
    )),
    allow(clippy::unused_async)
)]

#[cfg(feature = "azure")]
mod azure;
#[cfg(feature = "commvault")]
mod commvault;
#[cfg(feature = "huawei-csbs")]
mod huawei;
#[cfg(feature = "veeam")]
mod veeam;
#[cfg(feature = "yandex")]
mod yandex;

use async_trait::async_trait;
use backup_core::{Error, Operation, OperationRef, Pollable, Poller, Result, WaitOptions};

use crate::{ClientOptions, TriggerParams, Vendor};

/// The vendor name of errors raised by the facade itself.
pub(crate) const FACADE: &str = "backup-all";

/// Runs `$body` with `$client` bound to the vendor client `$value` holds.
macro_rules! dispatch {
    ($value:expr, $client:ident => $body:expr) => {
        match $value {
            #[cfg(feature = "azure")]
            AnyClient::Azure(ref $client) => $body,
            #[cfg(feature = "yandex")]
            AnyClient::Yandex(ref $client) => $body,
            #[cfg(feature = "huawei-csbs")]
            AnyClient::HuaweiCsbs(ref $client) => $body,
            #[cfg(feature = "commvault")]
            AnyClient::Commvault(ref $client) => $body,
            #[cfg(feature = "veeam")]
            AnyClient::Veeam(ref $client) => $body,
        }
    };
}

/// A client of any enabled vendor: trigger, status, wait and cancel alike for all.
///
/// Build one from the environment ([`AnyClient::from_env`]), or wrap a vendor client
/// built by hand (`AnyClient::from(backup_yandex::Client)`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum AnyClient {
    /// Azure Recovery Services.
    #[cfg(feature = "azure")]
    #[cfg_attr(docsrs, doc(cfg(feature = "azure")))]
    Azure(backup_azure::Client),
    /// Yandex Cloud Backup.
    #[cfg(feature = "yandex")]
    #[cfg_attr(docsrs, doc(cfg(feature = "yandex")))]
    Yandex(backup_yandex::Client),
    /// Huawei CSBS.
    #[cfg(feature = "huawei-csbs")]
    #[cfg_attr(docsrs, doc(cfg(feature = "huawei-csbs")))]
    HuaweiCsbs(backup_huawei_csbs::Client),
    /// Commvault / Metallic.
    #[cfg(feature = "commvault")]
    #[cfg_attr(docsrs, doc(cfg(feature = "commvault")))]
    Commvault(backup_commvault::Client),
    /// Veeam Backup for Microsoft Azure.
    #[cfg(feature = "veeam")]
    #[cfg_attr(docsrs, doc(cfg(feature = "veeam")))]
    Veeam(backup_veeam::Client),
}

/// A trigger request of any enabled vendor, in the vendor crate's own type.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum AnyRequest {
    /// Azure.
    #[cfg(feature = "azure")]
    #[cfg_attr(docsrs, doc(cfg(feature = "azure")))]
    Azure(backup_azure::TriggerRequest),
    /// Yandex.
    #[cfg(feature = "yandex")]
    #[cfg_attr(docsrs, doc(cfg(feature = "yandex")))]
    Yandex(backup_yandex::TriggerRequest),
    /// Huawei CSBS.
    #[cfg(feature = "huawei-csbs")]
    #[cfg_attr(docsrs, doc(cfg(feature = "huawei-csbs")))]
    HuaweiCsbs(backup_huawei_csbs::TriggerRequest),
    /// Commvault.
    #[cfg(feature = "commvault")]
    #[cfg_attr(docsrs, doc(cfg(feature = "commvault")))]
    Commvault(backup_commvault::BackupRequest),
    /// Veeam.
    #[cfg(feature = "veeam")]
    #[cfg_attr(docsrs, doc(cfg(feature = "veeam")))]
    Veeam(backup_veeam::StartPolicyRequest),
}

fn not_in_build(vendor: Vendor) -> Error {
    Error::Unsupported {
        vendor: FACADE,
        what: format!("{vendor} in this build (enable the cargo feature `{vendor}` of backup-all)"),
    }
}

impl AnyRequest {
    /// The vendor crate's request for `params`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the field at fault; [`Error::Unsupported`] when
    /// the vendor is not in this build.
    pub fn from_params(params: &TriggerParams) -> Result<AnyRequest> {
        params
            .validate()
            .map_err(|e| Error::invalid_input(FACADE, e.field, e.reason))?;
        match params {
            #[cfg(feature = "azure")]
            TriggerParams::Azure(p) => azure::request(p).map(AnyRequest::Azure),
            #[cfg(feature = "yandex")]
            TriggerParams::Yandex(p) => Ok(AnyRequest::Yandex(yandex::request(p))),
            #[cfg(feature = "huawei-csbs")]
            TriggerParams::HuaweiCsbs(p) => Ok(AnyRequest::HuaweiCsbs(huawei::request(p))),
            #[cfg(feature = "commvault")]
            TriggerParams::Commvault(p) => Ok(AnyRequest::Commvault(commvault::request(p))),
            #[cfg(feature = "veeam")]
            TriggerParams::Veeam(p) => Ok(AnyRequest::Veeam(veeam::request(p))),
            #[allow(unreachable_patterns)]
            other => Err(not_in_build(other.vendor())),
        }
    }

    /// The vendor of the request.
    #[must_use]
    pub fn vendor(&self) -> Vendor {
        match *self {
            #[cfg(feature = "azure")]
            AnyRequest::Azure(_) => Vendor::Azure,
            #[cfg(feature = "yandex")]
            AnyRequest::Yandex(_) => Vendor::Yandex,
            #[cfg(feature = "huawei-csbs")]
            AnyRequest::HuaweiCsbs(_) => Vendor::HuaweiCsbs,
            #[cfg(feature = "commvault")]
            AnyRequest::Commvault(_) => Vendor::Commvault,
            #[cfg(feature = "veeam")]
            AnyRequest::Veeam(_) => Vendor::Veeam,
        }
    }
}

impl AnyClient {
    /// A client of `vendor` from the vendor's environment names, completed and
    /// overridden by `options` (endpoints, API version, TLS).
    ///
    /// # Errors
    /// [`Error::Config`] when the environment lacks a credential,
    /// [`Error::InvalidInput`] for an option that is malformed or does not apply to
    /// the vendor, [`Error::Unsupported`] when the vendor is not in this build.
    pub fn from_env(vendor: Vendor, options: &ClientOptions) -> Result<AnyClient> {
        if let Some(field) = options.unsupported_by(vendor).first() {
            return Err(Error::invalid_input(
                FACADE,
                *field,
                format!("does not apply to {vendor}"),
            ));
        }
        match vendor {
            #[cfg(feature = "azure")]
            Vendor::Azure => azure::build(options).map(AnyClient::Azure),
            #[cfg(feature = "yandex")]
            Vendor::Yandex => yandex::build(options).map(AnyClient::Yandex),
            #[cfg(feature = "huawei-csbs")]
            Vendor::HuaweiCsbs => huawei::build(options).map(AnyClient::HuaweiCsbs),
            #[cfg(feature = "commvault")]
            Vendor::Commvault => commvault::build(options).map(AnyClient::Commvault),
            #[cfg(feature = "veeam")]
            Vendor::Veeam => veeam::build(options).map(AnyClient::Veeam),
            #[allow(unreachable_patterns)]
            other => Err(not_in_build(other)),
        }
    }

    /// The vendor of the client.
    #[must_use]
    pub fn vendor(&self) -> Vendor {
        match *self {
            #[cfg(feature = "azure")]
            AnyClient::Azure(_) => Vendor::Azure,
            #[cfg(feature = "yandex")]
            AnyClient::Yandex(_) => Vendor::Yandex,
            #[cfg(feature = "huawei-csbs")]
            AnyClient::HuaweiCsbs(_) => Vendor::HuaweiCsbs,
            #[cfg(feature = "commvault")]
            AnyClient::Commvault(_) => Vendor::Commvault,
            #[cfg(feature = "veeam")]
            AnyClient::Veeam(_) => Vendor::Veeam,
        }
    }

    /// Starts the backup `request` describes: one operation for Azure, Yandex and
    /// Huawei, one per job or session for Commvault and Veeam (never empty on success).
    ///
    /// # Errors
    /// The vendor client's error; [`Error::InvalidInput`] when the request is for
    /// another vendor (nothing is sent).
    pub async fn trigger(&self, request: &AnyRequest) -> Result<Vec<Operation>> {
        tracing::debug!(vendor = %self.vendor(), "trigger");
        let operations = self.trigger_inner(request).await?;
        if operations.is_empty() {
            // The contract says never empty on success; a caller must not take it for one.
            return Err(Error::OutcomeUnknown {
                vendor: self.vendor().as_str(),
                action: "trigger".to_owned(),
                reason: "the service answered without any operation to follow".to_owned(),
                status: None,
                request_id: None,
            });
        }
        Ok(operations)
    }

    async fn trigger_inner(&self, request: &AnyRequest) -> Result<Vec<Operation>> {
        #[allow(unreachable_patterns)]
        match (self, request) {
            #[cfg(feature = "azure")]
            (AnyClient::Azure(c), AnyRequest::Azure(r)) => c.trigger(r).await.map(|op| vec![op]),
            #[cfg(feature = "yandex")]
            (AnyClient::Yandex(c), AnyRequest::Yandex(r)) => c.trigger(r).await.map(|op| vec![op]),
            #[cfg(feature = "huawei-csbs")]
            (AnyClient::HuaweiCsbs(c), AnyRequest::HuaweiCsbs(r)) => {
                c.trigger(r).await.map(|op| vec![op])
            }
            #[cfg(feature = "commvault")]
            (AnyClient::Commvault(c), AnyRequest::Commvault(r)) => c.trigger(r).await,
            #[cfg(feature = "veeam")]
            (AnyClient::Veeam(c), AnyRequest::Veeam(r)) => c.trigger(r).await,
            (client, request) => Err(Error::invalid_input(
                FACADE,
                "request",
                format!(
                    "a {} request cannot be sent with a {} client",
                    request.vendor(),
                    client.vendor()
                ),
            )),
        }
    }

    /// Starts a backup from vendor-neutral parameters ([`AnyRequest::from_params`]).
    ///
    /// # Errors
    /// As [`AnyRequest::from_params`] and [`AnyClient::trigger`].
    pub async fn trigger_params(&self, params: &TriggerParams) -> Result<Vec<Operation>> {
        let request = AnyRequest::from_params(params)?;
        self.trigger(&request).await
    }

    fn check_reference(&self, reference: &OperationRef) -> Result<()> {
        if reference.vendor == self.vendor().as_str() {
            Ok(())
        } else {
            Err(Error::invalid_input(
                FACADE,
                "reference",
                format!(
                    "{} is an operation of {}, not of {}",
                    reference,
                    reference.vendor,
                    self.vendor()
                ),
            ))
        }
    }

    /// Reads the operation `reference` names again.
    ///
    /// # Errors
    /// The vendor client's error; [`Error::InvalidInput`] for another vendor's reference.
    pub async fn status(&self, reference: &OperationRef) -> Result<Operation> {
        self.check_reference(reference)?;
        dispatch!(*self, c => c.status(reference).await)
    }

    /// Asks the vendor to cancel the operation (kill, stop); [`Error::Unsupported`]
    /// where the vendor cannot.
    ///
    /// # Errors
    /// The vendor client's error; [`Error::InvalidInput`] for another vendor's reference.
    pub async fn cancel(&self, reference: &OperationRef) -> Result<Operation> {
        self.check_reference(reference)?;
        dispatch!(*self, c => c.cancel(reference).await)
    }

    /// Follows `operation` to its end with the vendor client's own `wait` (a
    /// [`Poller`]: a stream of changes and a future of the end). An operation of
    /// another vendor is followed through [`Pollable`] and fails at its first poll.
    pub fn wait(&self, operation: Operation, options: WaitOptions) -> Poller<'_> {
        if operation.reference.vendor != self.vendor().as_str() {
            return Poller::new(self, operation, options);
        }
        dispatch!(*self, c => c.wait(operation, options))
    }
}

#[async_trait]
impl Pollable for AnyClient {
    async fn poll(&self, operation: &Operation) -> Result<Operation> {
        self.check_reference(&operation.reference)?;
        dispatch!(*self, c => Pollable::poll(c, operation).await)
    }

    async fn cancel(&self, operation: &Operation) -> Result<Operation> {
        self.check_reference(&operation.reference)?;
        dispatch!(*self, c => Pollable::cancel(c, operation).await)
    }
}

macro_rules! conversions {
    ($($feature:literal, $variant:ident, $client:ty, $request:ty;)*) => {$(
        #[cfg(feature = $feature)]
        impl From<$client> for AnyClient {
            fn from(client: $client) -> Self {
                AnyClient::$variant(client)
            }
        }

        #[cfg(feature = $feature)]
        impl From<$request> for AnyRequest {
            fn from(request: $request) -> Self {
                AnyRequest::$variant(request)
            }
        }
    )*};
}

conversions! {
    "azure", Azure, backup_azure::Client, backup_azure::TriggerRequest;
    "yandex", Yandex, backup_yandex::Client, backup_yandex::TriggerRequest;
    "huawei-csbs", HuaweiCsbs, backup_huawei_csbs::Client, backup_huawei_csbs::TriggerRequest;
    "commvault", Commvault, backup_commvault::Client, backup_commvault::BackupRequest;
    "veeam", Veeam, backup_veeam::Client, backup_veeam::StartPolicyRequest;
}

/// A named backup: a client and what to trigger with it.
#[derive(Debug, Clone)]
pub struct Target {
    /// The target's name (in reports).
    pub name: String,
    /// The client.
    pub client: AnyClient,
    /// What to trigger.
    pub request: AnyRequest,
}

impl Target {
    /// A target of `client` triggering `request`.
    #[cfg_attr(
        not(any(
            feature = "azure",
            feature = "yandex",
            feature = "huawei-csbs",
            feature = "commvault",
            feature = "veeam"
        )),
        allow(unused_variables)
    )]
    pub fn new(
        name: impl Into<String>,
        client: impl Into<AnyClient>,
        request: impl Into<AnyRequest>,
    ) -> Self {
        Self {
            name: name.into(),
            client: client.into(),
            request: request.into(),
        }
    }

    /// A target from vendor-neutral parameters, its client from the environment.
    ///
    /// # Errors
    /// As [`AnyClient::from_env`] and [`AnyRequest::from_params`]. Nothing is sent.
    pub fn from_env(
        name: impl Into<String>,
        params: &TriggerParams,
        options: &ClientOptions,
    ) -> Result<Self> {
        let request = AnyRequest::from_params(params)?;
        let client = AnyClient::from_env(params.vendor(), options)?;
        Ok(Self {
            name: name.into(),
            client,
            request,
        })
    }

    /// The target's vendor.
    #[must_use]
    pub fn vendor(&self) -> Vendor {
        self.client.vendor()
    }

    /// Starts its backup.
    ///
    /// # Errors
    /// As [`AnyClient::trigger`].
    pub async fn trigger(&self) -> Result<Vec<Operation>> {
        self.client.trigger(&self.request).await
    }
}
