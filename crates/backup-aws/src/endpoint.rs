//! Regions and the AWS Backup endpoint of each, as the service's endpoint rule set
//! (`backup/2018-11-15/endpoint-rule-set-1.json`) and AWS's partitions
//! (`partitions.json`) give them:
//!
//! | setting | endpoint |
//! |---|---|
//! | default | `https://backup.{region}.{dnsSuffix}` |
//! | FIPS | `https://backup-fips.{region}.{dnsSuffix}` |
//! | dual-stack | `https://backup.{region}.{dualStackDnsSuffix}` |
//! | FIPS + dual-stack | `https://backup-fips.{region}.{dualStackDnsSuffix}` |
//! | a custom endpoint | itself (FIPS and dual-stack refused with it) |
//!
//! A Region outside every partition's pattern belongs to `aws` (the rule set's default).

use backup_core::{Error, Result};
use url::Url;

use crate::VENDOR;

/// An AWS partition: its DNS suffixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    /// The partition (`aws`, `aws-cn`, `aws-us-gov` ...).
    pub id: &'static str,
    /// `dnsSuffix`.
    pub dns_suffix: &'static str,
    /// `dualStackDnsSuffix`.
    pub dual_stack_dns_suffix: &'static str,
}

const AWS: Partition = Partition {
    id: "aws",
    dns_suffix: "amazonaws.com",
    dual_stack_dns_suffix: "api.aws",
};

/// The partitions other than `aws`, each with the prefix its Regions start with
/// (`partitions.json`'s `regionRegex`, e.g. `^cn\-\w+\-\d+$`).
const PARTITIONS: [(&str, Partition); 7] = [
    (
        "cn-",
        Partition {
            id: "aws-cn",
            dns_suffix: "amazonaws.com.cn",
            dual_stack_dns_suffix: "api.amazonwebservices.com.cn",
        },
    ),
    (
        "us-gov-",
        Partition {
            id: "aws-us-gov",
            dns_suffix: "amazonaws.com",
            dual_stack_dns_suffix: "api.aws",
        },
    ),
    (
        "us-iso-",
        Partition {
            id: "aws-iso",
            dns_suffix: "c2s.ic.gov",
            dual_stack_dns_suffix: "api.aws.ic.gov",
        },
    ),
    (
        "us-isob-",
        Partition {
            id: "aws-iso-b",
            dns_suffix: "sc2s.sgov.gov",
            dual_stack_dns_suffix: "api.aws.scloud",
        },
    ),
    (
        "eu-isoe-",
        Partition {
            id: "aws-iso-e",
            dns_suffix: "cloud.adc-e.uk",
            dual_stack_dns_suffix: "api.cloud-aws.adc-e.uk",
        },
    ),
    (
        "us-isof-",
        Partition {
            id: "aws-iso-f",
            dns_suffix: "csp.hci.ic.gov",
            dual_stack_dns_suffix: "api.aws.hci.ic.gov",
        },
    ),
    (
        "eusc-de-",
        Partition {
            id: "aws-eusc",
            dns_suffix: "amazonaws.eu",
            dual_stack_dns_suffix: "api.amazonwebservices.eu",
        },
    ),
];

/// The partition of `region`.
#[must_use]
pub fn partition(region: &str) -> Partition {
    PARTITIONS
        .iter()
        .find(|(prefix, _)| {
            region
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.split('-').count() == 2)
        })
        .map_or(AWS, |(_, partition)| *partition)
}

/// Checks a Region name: lower-case letters, digits and `-`, starting with a letter,
/// at most 63 characters (it is a host label of the endpoint).
///
/// # Errors
/// [`Error::InvalidInput`] naming `field`.
pub fn validate_region(field: &str, region: &str) -> Result<()> {
    let valid = !region.is_empty()
        && region.len() <= 63
        && region.starts_with(|c: char| c.is_ascii_lowercase())
        && !region.ends_with('-')
        && !region.contains("--")
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if valid {
        Ok(())
    } else {
        Err(Error::invalid_input(
            VENDOR,
            field,
            format!("{region:?} is not a Region name (like us-east-1)"),
        ))
    }
}

/// Where the client sends its requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// One URL for every Region (a VPC endpoint, a proxy, an emulator).
    Custom(Url),
    /// The public endpoint of each Region.
    Regional {
        /// `backup-fips.` instead of `backup.`.
        fips: bool,
        /// The dual-stack DNS suffix.
        dual_stack: bool,
    },
}

impl Endpoint {
    /// The base URL for `region`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a malformed Region.
    pub fn url(&self, region: &str) -> Result<Url> {
        match self {
            Self::Custom(url) => Ok(url.clone()),
            Self::Regional { fips, dual_stack } => {
                validate_region("region", region)?;
                let partition = partition(region);
                let prefix = if *fips { "backup-fips" } else { "backup" };
                let suffix = if *dual_stack {
                    partition.dual_stack_dns_suffix
                } else {
                    partition.dns_suffix
                };
                Url::parse(&format!("https://{prefix}.{region}.{suffix}/"))
                    .map_err(|e| Error::invalid_input(VENDOR, "region", e.to_string()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_partition_and_variant_of_the_rule_set() {
        let regional = |fips, dual_stack, region: &str| {
            Endpoint::Regional { fips, dual_stack }
                .url(region)
                .unwrap()
                .to_string()
        };
        assert_eq!(
            regional(false, false, "us-east-1"),
            "https://backup.us-east-1.amazonaws.com/"
        );
        assert_eq!(
            regional(true, false, "us-east-1"),
            "https://backup-fips.us-east-1.amazonaws.com/"
        );
        assert_eq!(
            regional(false, true, "eu-west-3"),
            "https://backup.eu-west-3.api.aws/"
        );
        assert_eq!(
            regional(true, true, "cn-north-1"),
            "https://backup-fips.cn-north-1.api.amazonwebservices.com.cn/"
        );
        assert_eq!(
            regional(false, false, "cn-northwest-1"),
            "https://backup.cn-northwest-1.amazonaws.com.cn/"
        );
        assert_eq!(
            regional(false, false, "us-gov-west-1"),
            "https://backup.us-gov-west-1.amazonaws.com/"
        );
        assert_eq!(partition("us-iso-east-1").id, "aws-iso");
        assert_eq!(partition("us-isob-east-1").id, "aws-iso-b");
        assert_eq!(partition("us-isof-south-1").id, "aws-iso-f");
        assert_eq!(partition("eu-isoe-west-1").id, "aws-iso-e");
        assert_eq!(partition("eusc-de-east-1").id, "aws-eusc");
        // Unknown patterns are the default partition.
        assert_eq!(partition("mars-north-1").id, "aws");
        assert_eq!(partition("cn-north").id, "aws");
    }

    #[test]
    fn region_names_are_host_labels() {
        for good in ["us-east-1", "ap-southeast-4", "local"] {
            assert!(validate_region("region", good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "US-EAST-1",
            "us_east_1",
            "us-east-1.",
            "-us",
            "us-",
            "a/b",
            &"a".repeat(64),
        ] {
            assert!(validate_region("region", bad).is_err(), "{bad}");
        }
        let custom = Endpoint::Custom(Url::parse("http://127.0.0.1:9/").unwrap());
        assert_eq!(
            custom.url("anything").unwrap().as_str(),
            "http://127.0.0.1:9/"
        );
    }
}
