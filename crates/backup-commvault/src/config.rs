//! [`Config`]: the client settings beyond credentials, as plans and `backupctl` give
//! them.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// The API base and TLS settings of a CommServe client (credentials come from the
/// environment only: [`crate::ENVIRONMENT`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct Config {
    /// The API base (https://host/commandcenter/api/; a URL with only a host gets
    /// /commandcenter/api/). Else COMMVAULT_API_URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "cli", arg(long, value_name = "URL"))]
    pub endpoint: Option<String>,
    /// A PEM file with the root certificate of the CommServe's private CA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "cli", arg(long, value_name = "PATH"))]
    pub ca_cert: Option<PathBuf>,
    /// Accept any certificate (dangerous: only for lab appliances).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[cfg_attr(feature = "cli", arg(long))]
    pub insecure: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insecure_is_a_bool_and_off_by_default() {
        let config: Config = serde_json::from_str(r#"{"insecure": true}"#).unwrap();
        assert!(config.insecure);
        assert!(!Config::default().insecure);
        assert!(serde_json::from_str::<Config>(r#"{"insecure": "yes"}"#).is_err());
        assert!(serde_json::from_str::<Config>(r#"{"api_version": "v1"}"#).is_err());
    }
}
