//! Commvault / Metallic behind [`super::AnyClient`].

use backup_commvault::{BackupLevel, BackupRequest, Client, ClientBuilder, ENV_API_URL};
use backup_core::Result;

use crate::ClientOptions;
use crate::params::{CommvaultLevel, CommvaultParams};

pub(super) fn build(options: &ClientOptions) -> Result<Client> {
    let overrides = [(ENV_API_URL, options.endpoint.as_deref())];
    let mut builder = ClientBuilder::from_lookup(|name| options.lookup(name, &overrides))?;
    if let Some(pem) = options.root_certificate(backup_commvault::VENDOR)? {
        builder = builder.root_certificate_pem(pem);
    }
    if options.insecure {
        builder = builder.danger_accept_invalid_certs(true);
    }
    builder.build()
}

pub(super) fn request(params: &CommvaultParams) -> BackupRequest {
    let level = match params.level.unwrap_or_default() {
        CommvaultLevel::Full => BackupLevel::Full,
        CommvaultLevel::Incremental => BackupLevel::Incremental,
        CommvaultLevel::Differential => BackupLevel::Differential,
        CommvaultLevel::SyntheticFull => BackupLevel::SyntheticFull,
    };
    let mut request = BackupRequest::new(&params.client, &params.subclient)
        .instance_name(&params.instance)
        .backupset_name(&params.backupset)
        .app_name(&params.app_name)
        .backup_level(level);
    if let Some(policy) = &params.storage_policy {
        request = request.storage_policy_name(policy);
    }
    if let Some(path) = &params.directive_file {
        request = request.ad_hoc(path.to_string_lossy());
    }
    request
}
