//! [`Config`]: the client settings beyond credentials, as plans and `backupctl` give
//! them.

use serde::{Deserialize, Serialize};

/// Endpoints, project and region of a Huawei CSBS client (credentials come from the
/// environment only: [`crate::ENVIRONMENT`]). A value set here wins over the
/// environment's; unset endpoints are the region's public ones.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct Config {
    /// The CSBS endpoint (default https://csbs.{region}.myhuaweicloud.com).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "cli", arg(long, value_name = "URL"))]
    pub endpoint: Option<String>,
    /// Project id (else HUAWEICLOUD_SDK_PROJECT_ID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "cli", arg(long))]
    pub project_id: Option<String>,
    /// The region (builds https://csbs.{region}.myhuaweicloud.com; else
    /// HUAWEICLOUD_SDK_REGION).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "cli", arg(long))]
    pub region: Option<String>,
    /// The IAM endpoint (default https://iam.{region}.myhuaweicloud.com).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "cli", arg(long, value_name = "URL"))]
    pub iam_endpoint: Option<String>,
}
