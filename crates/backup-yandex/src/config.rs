//! [`Config`]: the client settings beyond credentials, as plans and `backupctl` give
//! them.

use serde::{Deserialize, Serialize};

/// Endpoints of a Yandex Cloud client (credentials come from the environment only:
/// [`crate::ENVIRONMENT`]). Unset fields keep the public endpoints.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct Config {
    /// The Cloud Backup endpoint (default https://backup.api.cloud.yandex.net/).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "cli", arg(long, value_name = "URL"))]
    pub endpoint: Option<String>,
    /// The Operation API endpoint (default https://operation.api.cloud.yandex.net/).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "cli", arg(long, value_name = "URL"))]
    pub operation_endpoint: Option<String>,
    /// The IAM endpoint (default https://iam.api.cloud.yandex.net/).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "cli", arg(long, value_name = "URL"))]
    pub iam_endpoint: Option<String>,
}
