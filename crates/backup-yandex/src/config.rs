//! [`Config`]: the client settings beyond credentials, as plans and `backupctl` give
//! them.

use serde::{Deserialize, Serialize};

/// Endpoints of a Yandex Cloud client (credentials come from the environment only:
/// [`crate::ENVIRONMENT`]). Unset fields keep the public endpoints.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct Config {
    /// The Cloud Backup endpoint (default `https://backup.api.cloud.yandex.net/`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "cli", arg(long, value_name = "URL"))]
    pub endpoint: Option<String>,
    /// The Operation API endpoint (default `https://operation.api.cloud.yandex.net/`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "cli", arg(long, value_name = "URL"))]
    pub operation_endpoint: Option<String>,
    /// The IAM endpoint (default `https://iam.api.cloud.yandex.net/`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "cli", arg(long, value_name = "URL"))]
    pub iam_endpoint: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_set_each_endpoint_and_nothing_else() {
        let config: Config =
            serde_json::from_str(r#"{"operation_endpoint": "http://127.0.0.1:1/"}"#).unwrap();
        assert_eq!(
            config.operation_endpoint.as_deref(),
            Some("http://127.0.0.1:1/")
        );
        assert_eq!(config.endpoint, None);
        assert!(serde_json::from_str::<Config>(r#"{"region": "ru-central1"}"#).is_err());
        assert_eq!(
            serde_json::to_string(&Config::default()).unwrap(),
            "{}",
            "unset endpoints are left out"
        );
    }
}
