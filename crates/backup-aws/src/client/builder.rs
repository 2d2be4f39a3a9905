//! [`ClientBuilder`]: Region, endpoint, credential, retries and timeouts.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use backup_core::auth::TokenCache;
use backup_core::contract::{BackupClientBuilder, Lookup};
use backup_core::path::parse_endpoint;
use backup_core::transport::TransportOptions;
use backup_core::{RetryPolicy, Transport};

use super::{Client, ParentJobs, RegionSource};
use crate::auth::{
    Credential, CredentialsProvider, ENV_DEFAULT_REGION, ENV_EC2_METADATA_SERVICE_ENDPOINT,
    ENV_ENDPOINT_URL, ENV_ENDPOINT_URL_BACKUP, ENV_MAX_ATTEMPTS, ENV_PROFILE, ENV_REGION,
    ENV_USE_DUALSTACK_ENDPOINT, ENV_USE_FIPS_ENDPOINT,
};
use crate::endpoint::{Endpoint, validate_region};
use crate::error::{ApiErrors, REQUEST_ID_HEADER};
use crate::{Config, Error, Result, VENDOR};

/// AWS's standard retry mode: 3 attempts, backoff from 1 s doubling up to 20 s with
/// jitter (botocore's `standard` mode and the AWS SDKs'), `max_attempts` in all.
#[must_use]
pub fn standard_retry(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        base_backoff: Duration::from_secs(1),
        max_backoff: Duration::from_secs(20),
        ..RetryPolicy::default()
    }
}

/// The attempts of AWS's standard retry mode.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;

/// Builds a [`Client`].
#[derive(Clone)]
pub struct ClientBuilder {
    region: Option<String>,
    endpoint: Option<String>,
    use_fips: bool,
    use_dual_stack: bool,
    profile: Option<String>,
    imds_endpoint: Option<String>,
    credential: Option<Credential>,
    transport: TransportOptions,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            region: None,
            endpoint: None,
            use_fips: false,
            use_dual_stack: false,
            profile: None,
            imds_endpoint: None,
            credential: None,
            transport: TransportOptions {
                retry: standard_retry(DEFAULT_MAX_ATTEMPTS),
                ..TransportOptions::default()
            },
        }
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("use_fips", &self.use_fips)
            .field("use_dual_stack", &self.use_dual_stack)
            .field("profile", &self.profile)
            .field("imds_endpoint", &self.imds_endpoint)
            .field("credential", &self.credential)
            .field("transport", &self.transport)
            .finish()
    }
}

impl ClientBuilder {
    /// No Region yet (resolved by `aws-config`'s Region chain at the first trigger),
    /// the Regions' public endpoints, the default credential chain.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the Region (`us-east-1`).
    #[must_use]
    pub fn region(mut self, region: &str) -> Self {
        self.region = Some(region.trim().to_owned());
        self
    }

    /// Sends every request to `url` (a VPC endpoint, a proxy, an emulator) instead of
    /// the Region's public endpoint; http is allowed.
    #[must_use]
    pub fn endpoint(mut self, url: &str) -> Self {
        self.endpoint = Some(url.to_owned());
        self
    }

    /// Uses the FIPS endpoints (`backup-fips.{region}...`).
    #[must_use]
    pub fn use_fips(mut self, fips: bool) -> Self {
        self.use_fips = fips;
        self
    }

    /// Uses the dual-stack endpoints.
    #[must_use]
    pub fn use_dual_stack(mut self, dual_stack: bool) -> Self {
        self.use_dual_stack = dual_stack;
        self
    }

    /// The profile the default chains read (credentials and Region).
    #[must_use]
    pub fn profile(mut self, profile: &str) -> Self {
        self.profile = Some(profile.to_owned());
        self
    }

    /// The instance metadata endpoint the default chains ask.
    #[must_use]
    pub fn imds_endpoint(mut self, url: &str) -> Self {
        self.imds_endpoint = Some(url.to_owned());
        self
    }

    /// Sets the credential (default: `aws-config`'s default chain).
    #[must_use]
    pub fn credential(mut self, credential: Credential) -> Self {
        self.credential = Some(credential);
        self
    }

    backup_core::transport_setters!(transport);
}

/// A yes/no variable: `true` or `false` in any case; unset or blank is `false`.
fn flag(lookup: Lookup<'_>, name: &str) -> Result<bool> {
    match lookup(name)
        .map(|v| v.trim().to_ascii_lowercase())
        .as_deref()
    {
        None | Some("" | "false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(Error::config(
            VENDOR,
            format!("{name} must be true or false, not {other:?}"),
        )),
    }
}

impl BackupClientBuilder for ClientBuilder {
    type Client = Client;

    /// The Region and endpoint `config` sets, else `AWS_REGION` / `AWS_DEFAULT_REGION`
    /// and `AWS_ENDPOINT_URL_BACKUP` / `AWS_ENDPOINT_URL`; the credential
    /// [`Credential::from_vars`] picks; `AWS_USE_FIPS_ENDPOINT`,
    /// `AWS_USE_DUALSTACK_ENDPOINT`, `AWS_MAX_ATTEMPTS`, `AWS_PROFILE` and
    /// `AWS_EC2_METADATA_SERVICE_ENDPOINT`.
    ///
    /// # Errors
    /// [`Error::Config`] for half a key pair or a malformed variable.
    fn from_config(config: &Config, lookup: Lookup<'_>) -> Result<Self> {
        let get = |name: &str| {
            lookup(name)
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
        };
        let mut builder = Self::new().credential(Credential::from_vars(lookup)?);
        builder.region = config
            .region
            .clone()
            .or_else(|| get(ENV_REGION))
            .or_else(|| get(ENV_DEFAULT_REGION));
        builder.endpoint = config
            .endpoint
            .clone()
            .or_else(|| get(ENV_ENDPOINT_URL_BACKUP))
            .or_else(|| get(ENV_ENDPOINT_URL));
        builder.use_fips = flag(lookup, ENV_USE_FIPS_ENDPOINT)?;
        builder.use_dual_stack = flag(lookup, ENV_USE_DUALSTACK_ENDPOINT)?;
        builder.profile = get(ENV_PROFILE);
        builder.imds_endpoint = get(ENV_EC2_METADATA_SERVICE_ENDPOINT);
        if let Some(attempts) = get(ENV_MAX_ATTEMPTS) {
            let attempts = attempts
                .parse::<u32>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| {
                    Error::config(
                        VENDOR,
                        format!(
                            "{ENV_MAX_ATTEMPTS} must be a whole number from 1, not {attempts:?}"
                        ),
                    )
                })?;
            builder.transport.retry.max_attempts = attempts;
        }
        Ok(builder)
    }

    fn transport_options_mut(&mut self) -> &mut TransportOptions {
        &mut self.transport
    }

    /// Builds the client.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming a malformed Region or endpoint, or FIPS or
    /// dual-stack asked for with a custom endpoint (the rule set refuses both).
    fn build(self) -> Result<Client> {
        if let Some(region) = &self.region {
            validate_region("region", region)?;
        }
        let endpoint = match &self.endpoint {
            Some(url) => {
                if self.use_fips || self.use_dual_stack {
                    return Err(Error::invalid_input(
                        VENDOR,
                        "endpoint",
                        "FIPS and dual-stack endpoints do not apply to a custom endpoint",
                    ));
                }
                Endpoint::Custom(parse_endpoint(VENDOR, "endpoint", url)?)
            }
            None => Endpoint::Regional {
                fips: self.use_fips,
                dual_stack: self.use_dual_stack,
            },
        };
        if let Some(url) = &self.imds_endpoint {
            parse_endpoint(VENDOR, "imds_endpoint", url)?;
        }
        let credential = self.credential.unwrap_or_else(|| Credential::DefaultChain {
            profile: self.profile.clone(),
            imds_endpoint: self.imds_endpoint.clone(),
        });
        let credential_kind = credential.kind();
        let provider = CredentialsProvider::new(credential, self.region.as_deref())?;
        let provider: Arc<dyn backup_core::auth::TokenProvider> = provider;
        let credentials = Arc::new(TokenCache::new(provider));
        let transport = self
            .transport
            .apply(Transport::builder(VENDOR, "backup-aws"))
            .request_id_headers(&[REQUEST_ID_HEADER, "x-amz-request-id"])
            .errors(Arc::new(ApiErrors))
            .build()?;
        let region = match self.region {
            Some(region) => RegionSource::Fixed(region),
            None => RegionSource::chain(self.profile, self.imds_endpoint),
        };
        Ok(Client {
            transport,
            credentials,
            endpoint,
            region: Arc::new(region),
            parents: Arc::new(ParentJobs::default()),
            signing_keys: Arc::default(),
            credential_kind,
        })
    }
}
