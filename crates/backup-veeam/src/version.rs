//! The API layouts: the document's v1 and the versioned paths of current appliances.

use std::fmt;
use std::str::FromStr;

use backup_core::{Error, Result};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::VENDOR;

/// The REST API version of the appliance, which also decides the URL layout.
///
/// - [`ApiVersion::V1`]: the layout of the seed document:
///   `POST /api/v1/policies/{policyId}/start`, answered `200`.
/// - [`ApiVersion::V6`] to [`ApiVersion::V8_1`]: current appliances, which moved the
///   call under the workload: `POST /api/{v}/policies/virtualMachines/{policyId}/start`,
///   answered `202` with the same list of job sessions.
///
/// Job sessions are read at `/api/{v}/jobSessions/{id}` in every version. The token
/// endpoint (`/api/oauth2/token`) carries no version.
///
/// Serde reads and writes it as its path segment (`"v8.1"`; reading is as lenient as
/// [`FromStr`]); with the `cli` feature it is a `clap::ValueEnum` of the same words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[non_exhaustive]
pub enum ApiVersion {
    /// `v1`: the document's layout.
    #[cfg_attr(feature = "cli", value(name = "v1"))]
    V1,
    /// `v6`.
    #[cfg_attr(feature = "cli", value(name = "v6"))]
    V6,
    /// `v7`.
    #[cfg_attr(feature = "cli", value(name = "v7"))]
    V7,
    /// `v8`.
    #[cfg_attr(feature = "cli", value(name = "v8"))]
    V8,
    /// `v8.1`, the current version and the default.
    #[default]
    #[cfg_attr(feature = "cli", value(name = "v8.1"))]
    V8_1,
}

impl ApiVersion {
    /// Every version, oldest first.
    pub const ALL: [ApiVersion; 5] = [Self::V1, Self::V6, Self::V7, Self::V8, Self::V8_1];

    /// The path segment (`v1`, `v8.1`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V1 => "v1",
            Self::V6 => "v6",
            Self::V7 => "v7",
            Self::V8 => "v8",
            Self::V8_1 => "v8.1",
        }
    }

    /// Whether policies live under their workload (`policies/virtualMachines/{id}`),
    /// as in every version after v1.
    #[must_use]
    pub fn workload_paths(self) -> bool {
        self != Self::V1
    }

    /// The path segments of a policy action (`start`, `stop`) below the endpoint.
    pub(crate) fn policy_segments<'a>(self, policy_id: &'a str, action: &'a str) -> Vec<&'a str> {
        let mut segments = vec!["api", self.as_str(), "policies"];
        if self.workload_paths() {
            segments.push("virtualMachines");
        }
        segments.push(policy_id);
        segments.push(action);
        segments
    }

    /// The path segments of a job session, with an optional sub-resource (`log`, `stop`).
    pub(crate) fn session_segments<'a>(
        self,
        session_id: &'a str,
        sub: Option<&'a str>,
    ) -> Vec<&'a str> {
        let mut segments = vec!["api", self.as_str(), "jobSessions", session_id];
        segments.extend(sub);
        segments
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ApiVersion {
    type Err = Error;

    /// Parses `v1`, `v6`, `v7`, `v8`, `v8.1` (case-insensitive, the `v` optional).
    fn from_str(text: &str) -> Result<Self> {
        let trimmed = text.trim();
        let lower = trimmed.to_ascii_lowercase();
        let bare = lower.strip_prefix('v').unwrap_or(&lower);
        match bare {
            "1" => Ok(Self::V1),
            "6" => Ok(Self::V6),
            "7" => Ok(Self::V7),
            "8" => Ok(Self::V8),
            "8.1" => Ok(Self::V8_1),
            _ => Err(Error::invalid_input(
                VENDOR,
                "api_version",
                format!(
                    "unknown API version {:?}; expected one of v1, v6, v7, v8, v8.1",
                    trimmed.chars().take(20).collect::<String>()
                ),
            )),
        }
    }
}

impl Serialize for ApiVersion {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ApiVersion {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(|e: Error| match e {
            Error::InvalidInput { reason, .. } => serde::de::Error::custom(reason),
            other => serde::de::Error::custom(other),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        for version in ApiVersion::ALL {
            assert_eq!(version.as_str().parse::<ApiVersion>().unwrap(), version);
        }
        assert_eq!("8.1".parse::<ApiVersion>().unwrap(), ApiVersion::V8_1);
        assert_eq!(" V7 ".parse::<ApiVersion>().unwrap(), ApiVersion::V7);
        for bad in ["", "v", "v2", "v8.2", "latest", "v1/"] {
            let err = bad.parse::<ApiVersion>().unwrap_err();
            assert!(matches!(err, Error::InvalidInput { ref field, .. } if field == "api_version"));
        }
        assert_eq!(ApiVersion::default(), ApiVersion::V8_1);
    }

    #[test]
    fn serde_is_the_path_segment() {
        for version in ApiVersion::ALL {
            let json = serde_json::to_string(&version).unwrap();
            assert_eq!(json, format!("\"{version}\""));
            assert_eq!(serde_json::from_str::<ApiVersion>(&json).unwrap(), version);
        }
        assert_eq!(
            serde_json::from_str::<ApiVersion>("\"8.1\"").unwrap(),
            ApiVersion::V8_1
        );
        let err = serde_json::from_str::<ApiVersion>("\"v2\"").unwrap_err();
        assert!(err.to_string().contains("expected one of v1"), "{err}");
    }

    #[test]
    fn layouts() {
        assert_eq!(
            ApiVersion::V1.policy_segments("p", "start"),
            ["api", "v1", "policies", "p", "start"]
        );
        assert_eq!(
            ApiVersion::V8_1.policy_segments("p", "stop"),
            ["api", "v8.1", "policies", "virtualMachines", "p", "stop"]
        );
        assert_eq!(
            ApiVersion::V6.session_segments("s", Some("log")),
            ["api", "v6", "jobSessions", "s", "log"]
        );
    }
}
