//! [`Target`]: a named backup, a client and what to trigger with it; [`EnvNames`]: where a
//! vendor's environment names are read from.

use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::time::Duration;

use backup_core::contract::{BackupClient, BackupClientBuilder, Lookup, process_env};
use backup_core::transport::TransportOptions;
use backup_core::{Error, Operation, OperationRef, Result};
use serde::{Deserialize, Serialize};

use crate::{AnyClient, AnyConfig, AnyParams, AnyRequest, Vendor};

/// Where a vendor client reads its environment names from: a name mapped here
/// (`YC_IAM_TOKEN = "TEAM_A_YC_IAM_TOKEN"`) is read from the variable it maps to, any
/// other from itself. Names only: never a secret.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EnvNames(pub BTreeMap<String, String>);

impl EnvNames {
    /// Reads the vendor's variable `name` (blank values count as unset).
    #[must_use]
    pub fn lookup(&self, name: &str) -> Option<String> {
        process_env(self.0.get(name).map_or(name, String::as_str))
    }
}

/// Transport settings applied to every client a plan or `backupctl` builds, whatever
/// its vendor, through [`BackupClientBuilder::transport_options_mut`]. A setting left
/// `None` keeps the vendor builder's default (connect 10 s, request 60 s, no limit on
/// requests in flight).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TransportSettings {
    /// The time allowed to open a connection.
    pub connect_timeout: Option<Duration>,
    /// The time allowed for one request, from sending to the end of the answer (token
    /// and login requests included).
    pub request_timeout: Option<Duration>,
    /// Opts in to a limit on each client's requests in flight at once, token and
    /// login requests included (`None`, the default: no limit). Each client of the
    /// plan has its own limit. Use it to bound memory and file descriptors when a
    /// client follows many backups at once against a slow service (each open
    /// connection costs tens of KB). What it costs: requests beyond the limit wait for
    /// a slot, so state changes are noticed later, and one that gets no slot within
    /// its timeouts (or before the deadline) fails without being sent (for a trigger:
    /// no backup was requested). See backup-core's
    /// `TransportBuilder::max_concurrent_requests`.
    pub max_concurrent_requests: Option<NonZeroUsize>,
}

impl TransportSettings {
    /// Writes the settings given into `options`.
    pub fn apply(&self, options: &mut TransportOptions) {
        if let Some(timeout) = self.connect_timeout {
            options.connect_timeout = timeout;
        }
        if let Some(timeout) = self.request_timeout {
            options.request_timeout = timeout;
        }
        if let Some(max) = self.max_concurrent_requests {
            options.max_concurrent_requests = Some(max.get());
        }
    }
}

/// A vendor client from `config` (completed with what `reference` carries, when
/// resuming one), its credentials read through `lookup`, with `settings` applied.
#[allow(
    dead_code,
    reason = "called by each enabled vendor's arm of the registry: a build without a vendor feature has none"
)]
pub(crate) fn build_client<B: BackupClientBuilder>(
    config: &<B::Client as BackupClient>::Config,
    lookup: Lookup<'_>,
    reference: Option<&OperationRef>,
    settings: &TransportSettings,
) -> Result<B::Client> {
    client_builder::<B>(config, lookup, reference, settings)?.build()
}

/// The builder [`build_client`] builds its client with.
#[allow(
    dead_code,
    reason = "called by build_client only: a build without a vendor feature has no caller"
)]
fn client_builder<B: BackupClientBuilder>(
    config: &<B::Client as BackupClient>::Config,
    lookup: Lookup<'_>,
    reference: Option<&OperationRef>,
    settings: &TransportSettings,
) -> Result<B> {
    let mut builder = match reference {
        Some(reference) => {
            let config = <B::Client as BackupClient>::config_for_reference(config, reference);
            B::from_config(&config, lookup)?
        }
        None => B::from_config(config, lookup)?,
    };
    settings.apply(builder.transport_options_mut());
    Ok(builder)
}

/// The contract says a successful trigger returns at least one operation; a caller
/// must not take an empty answer for a success.
pub(crate) fn never_empty(vendor: Vendor, operations: Vec<Operation>) -> Result<Vec<Operation>> {
    if operations.is_empty() {
        return Err(Error::OutcomeUnknown {
            vendor: vendor.as_str(),
            action: "trigger".to_owned(),
            reason: "the service answered without any operation to follow".to_owned(),
            status: None,
            request_id: None,
        });
    }
    Ok(operations)
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
    pub fn new(
        name: impl Into<String>,
        client: impl Into<AnyClient>,
        // With no vendor enabled no client exists, and the request is never reached.
        #[allow(unused_variables)] request: impl Into<AnyRequest>,
    ) -> Self {
        Self {
            name: name.into(),
            client: client.into(),
            request: request.into(),
        }
    }

    /// A target from flat parameters and settings, its credentials from the vendor's
    /// environment names (read through `env`).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the field at fault (also when `params` and
    /// `config` are of two vendors), [`Error::Config`] when a credential is missing.
    /// Nothing is sent.
    pub fn from_env(
        name: impl Into<String>,
        params: &AnyParams,
        config: &AnyConfig,
        env: &EnvNames,
    ) -> Result<Self> {
        Self::from_env_with(name, params, config, env, &TransportSettings::default())
    }

    /// [`Target::from_env`] with transport `settings` (timeouts) applied to its client.
    ///
    /// # Errors
    /// As [`Target::from_env`].
    pub fn from_env_with(
        name: impl Into<String>,
        params: &AnyParams,
        config: &AnyConfig,
        env: &EnvNames,
        settings: &TransportSettings,
    ) -> Result<Self> {
        if params.vendor() != config.vendor() {
            return Err(Error::invalid_input(
                params.vendor().as_str(),
                "config",
                format!(
                    "{} settings for a {} target",
                    config.vendor(),
                    params.vendor()
                ),
            ));
        }
        let request = AnyRequest::from_params(params)?;
        let client = AnyClient::build(config, &|name| env.lookup(name), None, settings)?;
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

impl AnyClient {
    /// [`AnyClient::from_config`] with transport `settings` (timeouts) applied.
    ///
    /// # Errors
    /// As [`AnyClient::from_config`].
    pub fn from_config_with(
        config: &AnyConfig,
        lookup: Lookup<'_>,
        settings: &TransportSettings,
    ) -> Result<AnyClient> {
        Self::build(config, lookup, None, settings)
    }

    /// A client to read, wait for or cancel `reference`: `config` completed with what
    /// the reference carries (its vendor's `BackupClient::config_for_reference`: Huawei's
    /// project), credentials read through `lookup`, `settings` applied.
    ///
    /// # Errors
    /// As [`AnyClient::from_config`]; [`Error::InvalidInput`] when `reference` is of
    /// another vendor than `config`.
    pub fn for_reference(
        reference: &OperationRef,
        config: &AnyConfig,
        lookup: Lookup<'_>,
        settings: &TransportSettings,
    ) -> Result<AnyClient> {
        if reference.vendor != config.vendor().as_str() {
            return Err(Error::invalid_input(
                config.vendor().as_str(),
                "reference",
                format!("{reference} is not a {} reference", config.vendor()),
            ));
        }
        Self::build(config, lookup, Some(reference), settings)
    }

    /// Starts a backup from flat parameters ([`AnyRequest::from_params`]).
    ///
    /// # Errors
    /// As [`AnyRequest::from_params`] and [`AnyClient::trigger`].
    pub async fn trigger_params(&self, params: &AnyParams) -> Result<Vec<Operation>> {
        let request = AnyRequest::from_params(params)?;
        self.trigger(&request).await
    }
}

#[cfg(all(test, feature = "yandex"))]
mod tests {
    use super::*;
    use backup_core::Transport;

    /// The builder a plan's client is built with (here Yandex's: every vendor's goes
    /// through the same `client_builder`) gets the settings given, and nothing else:
    /// no limit on requests in flight unless one is set.
    #[test]
    fn transport_settings_reach_the_client_builder_and_its_transport() {
        let lookup = |name: &str| (name == "YC_IAM_TOKEN").then(|| "t1.token".to_owned());
        let config = backup_yandex::Config::default();
        let builder = |settings: &TransportSettings| {
            let mut builder =
                client_builder::<backup_yandex::ClientBuilder>(&config, &lookup, None, settings)
                    .unwrap();
            builder.transport_options_mut().clone()
        };

        let default = builder(&TransportSettings::default());
        assert_eq!(default.max_concurrent_requests, None);
        assert_eq!(default.connect_timeout, Duration::from_secs(10));
        let transport = default
            .apply(Transport::builder("yandex", "backup-yandex"))
            .build()
            .unwrap();
        assert_eq!(transport.max_concurrent_requests(), None);

        let options = builder(&TransportSettings {
            connect_timeout: Some(Duration::from_secs(3)),
            request_timeout: None,
            max_concurrent_requests: NonZeroUsize::new(5),
        });
        assert_eq!(options.max_concurrent_requests, Some(5));
        assert_eq!(options.connect_timeout, Duration::from_secs(3));
        assert_eq!(options.request_timeout, default.request_timeout);
        let transport = options
            .apply(Transport::builder("yandex", "backup-yandex"))
            .build()
            .unwrap();
        assert_eq!(transport.max_concurrent_requests(), Some(5));
    }
}
