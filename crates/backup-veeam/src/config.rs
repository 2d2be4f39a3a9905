//! [`Config`]: the client settings beyond credentials, as plans and `backupctl` give
//! them.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::ApiVersion;

/// The appliance, API version and TLS settings of a Veeam client (credentials come
/// from the environment only: [`crate::ENVIRONMENT`]). Set fields win over the
/// environment (`VEEAM_URL`, `VEEAM_API_VERSION`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct Config {
    /// The appliance URL (`https://veeam.example.com`; else VEEAM_URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "cli", arg(long, value_name = "URL"))]
    pub endpoint: Option<String>,
    /// The REST API version: v1, v6, v7, v8 or v8.1 (else VEEAM_API_VERSION, else v8.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "cli", arg(long))]
    pub api_version: Option<ApiVersion>,
    /// A PEM file with the root certificate of the appliance's private CA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "cli", arg(long, value_name = "PATH"))]
    pub ca_cert: Option<PathBuf>,
    /// Accept any certificate (dangerous: only for lab appliances; the password and
    /// tokens can then be intercepted).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[cfg_attr(feature = "cli", arg(long))]
    pub insecure: bool,
}

#[cfg(all(test, feature = "cli"))]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::TriggerParams;

    /// `backupctl trigger veeam` as the command line builds it.
    #[derive(Debug, Parser)]
    struct Trigger {
        #[command(flatten)]
        params: TriggerParams,
        #[command(flatten)]
        config: Config,
    }

    #[test]
    fn the_flags_are_the_field_names() {
        let cli = Trigger::try_parse_from([
            "veeam",
            "--policy",
            "p-1",
            "--endpoint",
            "https://veeam.example.com",
            "--api-version",
            "v8.1",
            "--ca-cert",
            "/etc/ca.pem",
            "--insecure",
        ])
        .unwrap();
        assert_eq!(cli.params.policy, "p-1");
        assert_eq!(
            cli.config,
            Config {
                endpoint: Some("https://veeam.example.com".to_owned()),
                api_version: Some(ApiVersion::V8_1),
                ca_cert: Some(PathBuf::from("/etc/ca.pem")),
                insecure: true,
            }
        );
        for version in ApiVersion::ALL {
            let cli = Trigger::try_parse_from([
                "veeam",
                "--policy",
                "p",
                "--api-version",
                version.as_str(),
            ])
            .unwrap();
            assert_eq!(cli.config.api_version, Some(version));
        }
        let defaults = Trigger::try_parse_from(["veeam", "--policy", "p"]).unwrap();
        assert_eq!(defaults.config, Config::default());
        // The flag takes exactly the appliance's words, as before.
        assert!(
            Trigger::try_parse_from(["veeam", "--policy", "p", "--api-version", "v2"]).is_err()
        );
        assert!(Trigger::try_parse_from(["veeam"]).is_err());
    }
}

#[cfg(test)]
mod serde_tests {
    use super::*;

    #[test]
    fn plans_give_the_endpoint_and_a_version_of_the_appliance() {
        let config: Config = serde_json::from_str(
            r#"{"endpoint": "https://veeam.example.com", "api_version": "v8.1"}"#,
        )
        .unwrap();
        assert_eq!(
            config.endpoint.as_deref(),
            Some("https://veeam.example.com")
        );
        assert_eq!(config.api_version, Some(ApiVersion::V8_1));
        assert!(serde_json::from_str::<Config>(r#"{"api_version": "v99"}"#).is_err());
        assert!(serde_json::from_str::<Config>(r#"{"region": "r"}"#).is_err());
    }
}
