//! The VM metadata service: the IAM token of the service account attached to the VM.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use backup_core::Transport;
use backup_core::auth::{AccessToken, NoAuth, TokenProvider};
use backup_core::transport::Request;
use time::OffsetDateTime;
use url::Url;

use super::iam::{as_auth_error, decode, refresh_deadline};
use super::{ENV_IAM_TOKEN, ENV_METADATA_ADDR, ENV_OAUTH_TOKEN, ENV_SERVICE_ACCOUNT_KEY_FILE};
use crate::model::MetadataTokenResponse;
use crate::{Error, Result, VENDOR};

/// The default address of the metadata service.
pub const DEFAULT_METADATA_ADDR: &str = "169.254.169.254";

/// The path of the token of the VM's default service account.
pub const METADATA_TOKEN_PATH: &str = "computeMetadata/v1/instance/service-accounts/default/token";

/// The metadata service's base URL from an address as `YC_METADATA_ADDR` holds it:
/// `host`, `host:port` or a full `http://host:port/` URL.
///
/// # Errors
/// [`Error::InvalidInput`] naming `metadata_address`.
pub fn metadata_base(address: &str) -> Result<Url> {
    let address = address.trim();
    let url = if address.contains("://") {
        address.to_owned()
    } else {
        format!("http://{address}/")
    };
    backup_core::path::parse_endpoint(VENDOR, "metadata_address", &url)
}

/// Fetches the IAM token of the VM's service account from the metadata service
/// (`GET .../computeMetadata/v1/instance/service-accounts/default/token` with
/// `Metadata-Flavor: Google`).
#[derive(Clone)]
pub struct MetadataTokenProvider {
    transport: Transport,
    url: Url,
}

impl MetadataTokenProvider {
    /// A provider reading from the metadata service at `base` (see [`metadata_base`]).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the token URL cannot be built.
    pub fn new(transport: Transport, base: &Url) -> Result<Self> {
        let url = base
            .join(METADATA_TOKEN_PATH)
            .map_err(|e| Error::invalid_input(VENDOR, "metadata_address", e.to_string()))?;
        Ok(Self { transport, url })
    }
}

impl MetadataTokenProvider {
    /// The metadata service is the last resort when no credential variable is set: a
    /// service that cannot be reached (off a Yandex Cloud VM) is a configuration error
    /// naming the variables to set, not a transport failure.
    fn unreachable(&self, error: Error) -> Error {
        match error {
            Error::Transport { message, .. } => Error::config(
                VENDOR,
                format!(
                    "no credential: none of {ENV_IAM_TOKEN}, {ENV_OAUTH_TOKEN} or \
                     {ENV_SERVICE_ACCOUNT_KEY_FILE} is set, and the VM metadata service at \
                     {} could not be reached ({message}); set one of them (or \
                     {ENV_METADATA_ADDR} on a Yandex Cloud VM)",
                    host_port(&self.url)
                ),
            ),
            other => other,
        }
    }
}

/// `host:port` of `url`.
fn host_port(url: &Url) -> String {
    let host = url.host_str().unwrap_or("?");
    match url.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

impl fmt::Debug for MetadataTokenProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetadataTokenProvider")
            .field("url", &self.url.as_str())
            .finish()
    }
}

#[async_trait]
impl TokenProvider for MetadataTokenProvider {
    async fn fetch_token(&self) -> Result<AccessToken> {
        let request = Request::get(VENDOR, self.url.clone())
            .header_static("metadata-flavor", "Google")
            .action("read the VM service account token from the metadata service")
            .timeout(Duration::from_secs(10));
        let response = self
            .transport
            .send(request, &NoAuth)
            .await
            .map_err(|e| self.unreachable(e))
            .map_err(|e| as_auth_error(e, "metadata token request"))?;
        let answer: MetadataTokenResponse = decode(&response)?;
        let expires_at = answer.expires_in.and_then(|secs| {
            let secs = i64::try_from(secs).ok()?;
            OffsetDateTime::now_utc().checked_add(time::Duration::seconds(secs))
        });
        Ok(AccessToken {
            secret: answer.access_token,
            expires_at: Some(refresh_deadline(expires_at)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_in_every_form() {
        for (address, expected) in [
            ("169.254.169.254", "http://169.254.169.254/"),
            ("127.0.0.1:8080", "http://127.0.0.1:8080/"),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080/"),
            (" http://md.local/x ", "http://md.local/x/"),
        ] {
            assert_eq!(metadata_base(address).unwrap().as_str(), expected);
        }
        assert!(metadata_base("").is_err());
        assert!(metadata_base("ftp://x").is_err());
    }
}
