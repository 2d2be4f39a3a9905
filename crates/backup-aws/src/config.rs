//! [`Config`]: the client settings beyond credentials, as plans and `backupctl` give
//! them.

use serde::{Deserialize, Serialize};

/// The Region and endpoint of an AWS Backup client (credentials come from the
/// environment only: [`crate::ENVIRONMENT`]). Unset fields fall back to
/// `AWS_REGION` / `AWS_DEFAULT_REGION` (then the profile and instance metadata) and
/// `AWS_ENDPOINT_URL_BACKUP` / `AWS_ENDPOINT_URL` (then the Region's public endpoint).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct Config {
    /// The AWS Region (us-east-1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "cli", arg(long, value_name = "REGION"))]
    pub region: Option<String>,
    /// The AWS Backup endpoint (default: the Region's public endpoint, backup.REGION.amazonaws.com).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "cli", arg(long, value_name = "URL"))]
    pub endpoint: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_set_the_region_and_the_endpoint_and_nothing_else() {
        let config: Config = serde_json::from_str(r#"{"region": "eu-west-1"}"#).unwrap();
        assert_eq!(config.region.as_deref(), Some("eu-west-1"));
        assert_eq!(config.endpoint, None);
        assert!(serde_json::from_str::<Config>(r#"{"profile": "prod"}"#).is_err());
        assert_eq!(serde_json::to_string(&Config::default()).unwrap(), "{}");
    }
}
