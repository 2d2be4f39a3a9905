//! [`Target`]: a named backup, a client and what to trigger with it; [`EnvNames`]: where a
//! vendor's environment names are read from.

use std::collections::BTreeMap;

use backup_core::contract::process_env;
use backup_core::{Error, Operation, Result};
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
        let client = AnyClient::from_config(config, &|name| env.lookup(name))?;
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
    /// Starts a backup from flat parameters ([`AnyRequest::from_params`]).
    ///
    /// # Errors
    /// As [`AnyRequest::from_params`] and [`AnyClient::trigger`].
    pub async fn trigger_params(&self, params: &AnyParams) -> Result<Vec<Operation>> {
        let request = AnyRequest::from_params(params)?;
        self.trigger(&request).await
    }
}
