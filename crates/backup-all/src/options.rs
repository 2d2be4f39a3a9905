//! [`ClientOptions`]: what may be set on a vendor client beyond its environment.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::Vendor;

/// Settings that override or complete a vendor client's environment: endpoints,
/// API version, region and TLS. Credentials are never here: they come from the
/// vendor's environment names only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientOptions {
    /// The API endpoint (Azure Resource Manager, Yandex backup API, CSBS, the
    /// Commvault API base, the Veeam appliance).
    #[serde(default)]
    pub endpoint: Option<String>,
    /// Yandex: the operation API endpoint.
    #[serde(default)]
    pub operation_endpoint: Option<String>,
    /// Yandex and Huawei: the IAM endpoint.
    #[serde(default)]
    pub iam_endpoint: Option<String>,
    /// Huawei: the project id (else `HUAWEICLOUD_SDK_PROJECT_ID`).
    #[serde(default)]
    pub project_id: Option<String>,
    /// Huawei: the region the default endpoints are built from.
    #[serde(default)]
    pub region: Option<String>,
    /// Azure (`2024-04-01`, `2025-08-01`) and Veeam (`v1`, `v6`, `v7`, `v8`, `v8.1`).
    #[serde(default)]
    pub api_version: Option<String>,
    /// Commvault and Veeam: a PEM file with the root certificate to trust.
    #[serde(default)]
    pub ca_cert: Option<PathBuf>,
    /// Commvault and Veeam: accept any certificate (dangerous; for lab appliances).
    #[serde(default)]
    pub insecure: bool,
    /// Where the vendor's environment names are read from instead: `YC_IAM_TOKEN =
    /// "TEAM_A_YC_IAM_TOKEN"` reads the variable `TEAM_A_YC_IAM_TOKEN` where the vendor
    /// crate reads `YC_IAM_TOKEN`. Names only: never a secret.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
}

impl ClientOptions {
    /// The names of the options that are set and that `vendor` does not take.
    #[must_use]
    pub fn unsupported_by(&self, vendor: Vendor) -> Vec<&'static str> {
        let on_premises = matches!(vendor, Vendor::Commvault | Vendor::Veeam);
        let mut out = Vec::new();
        if self.operation_endpoint.is_some() && vendor != Vendor::Yandex {
            out.push("operation_endpoint");
        }
        if self.iam_endpoint.is_some() && !matches!(vendor, Vendor::Yandex | Vendor::HuaweiCsbs) {
            out.push("iam_endpoint");
        }
        if self.region.is_some() && vendor != Vendor::HuaweiCsbs {
            out.push("region");
        }
        if self.project_id.is_some() && vendor != Vendor::HuaweiCsbs {
            out.push("project_id");
        }
        if self.api_version.is_some() && !matches!(vendor, Vendor::Azure | Vendor::Veeam) {
            out.push("api_version");
        }
        if self.ca_cert.is_some() && !on_premises {
            out.push("ca_cert");
        }
        if self.insecure && !on_premises {
            out.push("insecure");
        }
        out
    }

    /// Reads the vendor's environment variable `name`: from `overrides` first (values
    /// these options set, such as an endpoint), then from the variable [`Self::env`]
    /// maps it to, else from `name` itself.
    #[must_use]
    pub fn lookup(&self, name: &str, overrides: &[(&str, Option<&str>)]) -> Option<String> {
        if let Some((_, value)) = overrides.iter().find(|(n, v)| *n == name && v.is_some()) {
            return value.map(str::to_owned);
        }
        let source = self.env.get(name).map_or(name, String::as_str);
        std::env::var(source).ok()
    }

    /// The root certificate file's contents, if one is set.
    ///
    /// # Errors
    /// [`backup_core::Error::Config`] when the file cannot be read.
    pub fn root_certificate(&self, vendor: &'static str) -> backup_core::Result<Option<Vec<u8>>> {
        self.ca_cert
            .as_ref()
            .map(|path| {
                std::fs::read(path).map_err(|e| {
                    backup_core::Error::config(
                        vendor,
                        format!("cannot read the CA certificate {}: {e}", path.display()),
                    )
                })
            })
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_that_do_not_apply_are_named() {
        let options = ClientOptions {
            iam_endpoint: Some("http://x".into()),
            insecure: true,
            ..ClientOptions::default()
        };
        assert_eq!(options.unsupported_by(Vendor::Yandex), vec!["insecure"]);
        assert_eq!(options.unsupported_by(Vendor::Veeam), vec!["iam_endpoint"]);
        assert!(
            ClientOptions::default()
                .unsupported_by(Vendor::Azure)
                .is_empty()
        );
    }
}
