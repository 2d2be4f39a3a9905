//! Yandex Cloud Backup behind [`super::AnyClient`].

use backup_core::Result;
use backup_yandex::{Client, ClientBuilder, TriggerRequest};

use crate::ClientOptions;
use crate::params::YandexParams;

pub(super) fn build(options: &ClientOptions) -> Result<Client> {
    let mut builder = ClientBuilder::from_env_vars(|name| options.lookup(name, &[]))?;
    if let Some(url) = &options.endpoint {
        builder = builder.backup_endpoint(url);
    }
    if let Some(url) = &options.operation_endpoint {
        builder = builder.operation_endpoint(url);
    }
    if let Some(url) = &options.iam_endpoint {
        builder = builder.iam_endpoint(url);
    }
    builder.build()
}

pub(super) fn request(params: &YandexParams) -> TriggerRequest {
    let request = TriggerRequest::new(&params.policy, &params.instance);
    match &params.idempotency_key {
        Some(key) => request.idempotency_key(key),
        None => request,
    }
}
