//! Veeam Backup for Microsoft Azure behind [`super::AnyClient`].

use backup_core::Result;
use backup_veeam::{Client, ClientBuilder, ENV_API_VERSION, ENV_URL, StartPolicyRequest};

use crate::ClientOptions;
use crate::params::VeeamParams;

pub(super) fn build(options: &ClientOptions) -> Result<Client> {
    let overrides = [
        (ENV_URL, options.endpoint.as_deref()),
        (ENV_API_VERSION, options.api_version.as_deref()),
    ];
    let mut builder = ClientBuilder::from_vars(|name| options.lookup(name, &overrides))?;
    if let Some(pem) = options.root_certificate(backup_veeam::VENDOR)? {
        builder = builder.root_certificate_pem(pem);
    }
    if options.insecure {
        builder = builder.danger_accept_invalid_certs(true);
    }
    builder.build()
}

pub(super) fn request(params: &VeeamParams) -> StartPolicyRequest {
    StartPolicyRequest::new(&params.policy)
}
