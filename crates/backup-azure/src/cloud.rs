//! Azure clouds (ARM endpoint and token scope) and API versions.

use std::fmt;

/// An Azure cloud: where its Resource Manager (ARM) answers and which token scope it
/// accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Cloud {
    /// Azure public cloud: `https://management.azure.com`.
    #[default]
    Public,
    /// Azure operated by 21Vianet (China): `https://management.chinacloudapi.cn`.
    China,
    /// Azure US Government: `https://management.usgovcloudapi.net`.
    UsGovernment,
}

impl Cloud {
    /// Every cloud.
    pub const ALL: [Cloud; 3] = [Cloud::Public, Cloud::China, Cloud::UsGovernment];

    /// The ARM endpoint.
    #[must_use]
    pub fn endpoint(self) -> &'static str {
        match self {
            Self::Public => "https://management.azure.com",
            Self::China => "https://management.chinacloudapi.cn",
            Self::UsGovernment => "https://management.usgovcloudapi.net",
        }
    }

    /// The token scope of ARM in this cloud.
    #[must_use]
    pub fn scope(self) -> &'static str {
        match self {
            Self::Public => "https://management.azure.com/.default",
            Self::China => "https://management.chinacloudapi.cn/.default",
            Self::UsGovernment => "https://management.usgovcloudapi.net/.default",
        }
    }

    /// The `azure_core` cloud configuration (for the Entra ID authority of the
    /// credentials built by `from_env`).
    #[must_use]
    pub fn configuration(self) -> azure_core::cloud::CloudConfiguration {
        use azure_core::cloud::CloudConfiguration;
        match self {
            Self::Public => CloudConfiguration::AzurePublic,
            Self::China => CloudConfiguration::AzureChina,
            Self::UsGovernment => CloudConfiguration::AzureGovernment,
        }
    }

    /// The name used in `Debug` output and messages.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::China => "china",
            Self::UsGovernment => "us-government",
        }
    }
}

impl fmt::Display for Cloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The `api-version` of the trigger and job requests. The status URLs the service
/// hands back carry their own version and are followed as given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum ApiVersion {
    /// `2024-04-01`: the version of the document this crate is built from (default).
    #[default]
    V2024_04_01,
    /// `2025-08-01` (same request).
    V2025_08_01,
    /// `2026-10-01`: the newest stable version, the default of the official Python SDK
    /// (`azure-mgmt-recoveryservicesbackup` 11.2; same request).
    V2026_10_01,
}

impl ApiVersion {
    /// Every supported version.
    pub const ALL: [ApiVersion; 3] = [
        ApiVersion::V2024_04_01,
        ApiVersion::V2025_08_01,
        ApiVersion::V2026_10_01,
    ];

    /// The version as sent in `api-version`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V2024_04_01 => "2024-04-01",
            Self::V2025_08_01 => "2025-08-01",
            Self::V2026_10_01 => "2026-10-01",
        }
    }

    /// The query that asks for it: `api-version=2024-04-01`.
    #[must_use]
    pub fn query(self) -> &'static str {
        match self {
            Self::V2024_04_01 => "api-version=2024-04-01",
            Self::V2025_08_01 => "api-version=2025-08-01",
            Self::V2026_10_01 => "api-version=2026-10-01",
        }
    }

    /// Parses `2024-04-01`, `2025-08-01` or `2026-10-01`.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == text.trim())
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cloud_has_its_scope_on_its_endpoint() {
        for cloud in Cloud::ALL {
            assert_eq!(cloud.scope(), format!("{}/.default", cloud.endpoint()));
        }
        assert_eq!(Cloud::default(), Cloud::Public);
    }

    #[test]
    fn api_versions_parse() {
        assert_eq!(ApiVersion::default().as_str(), "2024-04-01");
        assert_eq!(
            ApiVersion::parse("2025-08-01"),
            Some(ApiVersion::V2025_08_01)
        );
        assert_eq!(
            ApiVersion::parse("2026-10-01"),
            Some(ApiVersion::V2026_10_01)
        );
        assert_eq!(ApiVersion::parse("2016-12-01"), None);
        for version in ApiVersion::ALL {
            assert_eq!(version.query(), format!("api-version={}", version.as_str()));
        }
    }
}
