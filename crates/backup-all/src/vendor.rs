//! [`Vendor`]: the five services, whether or not their feature is enabled.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One of the backup services backup-rs knows.
///
/// Every vendor is named here whatever the enabled features; [`Vendor::is_enabled`]
/// tells whether this build can talk to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Vendor {
    /// Azure Recovery Services (feature `azure`).
    Azure,
    /// Yandex Cloud Backup (feature `yandex`).
    Yandex,
    /// Huawei Cloud CSBS (feature `huawei-csbs`).
    HuaweiCsbs,
    /// Commvault / Metallic (feature `commvault`).
    Commvault,
    /// Veeam Backup for Microsoft Azure (feature `veeam`).
    Veeam,
}

impl Vendor {
    /// Every vendor, in a stable order.
    pub const ALL: [Vendor; 5] = [
        Vendor::Azure,
        Vendor::Yandex,
        Vendor::HuaweiCsbs,
        Vendor::Commvault,
        Vendor::Veeam,
    ];

    /// The vendor's name, as in `OperationRef`s and cargo features (`huawei-csbs`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Vendor::Azure => "azure",
            Vendor::Yandex => "yandex",
            Vendor::HuaweiCsbs => "huawei-csbs",
            Vendor::Commvault => "commvault",
            Vendor::Veeam => "veeam",
        }
    }

    /// Whether this build includes the vendor (its cargo feature is on).
    #[must_use]
    pub fn is_enabled(self) -> bool {
        match self {
            Vendor::Azure => cfg!(feature = "azure"),
            Vendor::Yandex => cfg!(feature = "yandex"),
            Vendor::HuaweiCsbs => cfg!(feature = "huawei-csbs"),
            Vendor::Commvault => cfg!(feature = "commvault"),
            Vendor::Veeam => cfg!(feature = "veeam"),
        }
    }

    /// The vendors this build includes.
    pub fn enabled() -> impl Iterator<Item = Vendor> {
        Self::ALL.into_iter().filter(|v| v.is_enabled())
    }
}

impl fmt::Display for Vendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of the [`Vendor`]s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown vendor {0:?} (expected one of azure, yandex, huawei-csbs, commvault, veeam)")]
pub struct UnknownVendor(pub String);

impl FromStr for Vendor {
    type Err = UnknownVendor;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| UnknownVendor(s.chars().take(40).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for v in Vendor::ALL {
            assert_eq!(v.as_str().parse::<Vendor>().unwrap(), v);
            assert_eq!(v.to_string(), v.as_str());
        }
        assert!("Azure".parse::<Vendor>().is_err());
        assert!("".parse::<Vendor>().is_err());
    }
}
