//! [`Config`]: the client settings beyond credentials, as plans and `backupctl` give
//! them.

use serde::{Deserialize, Serialize};

/// The endpoint and api-version of an Azure client (credentials come from the
/// environment only: [`crate::ENVIRONMENT`]). Unset fields keep the public cloud's
/// endpoint and api-version 2024-04-01.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct Config {
    /// The ARM endpoint (default: the public cloud's, management.azure.com), for
    /// sovereign clouds, proxies and emulators.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "cli", arg(long, value_name = "URL"))]
    pub endpoint: Option<String>,
    /// The api-version: 2024-04-01 (default), 2025-08-01 or 2026-10-01.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "cli", arg(long, value_name = "VERSION"))]
    pub api_version: Option<String>,
}
