//! Huawei CSBS behind [`super::AnyClient`].

use backup_core::Result;
use backup_huawei_csbs::{Client, ClientBuilder, ENV_PROJECT_ID, ENV_REGION, TriggerRequest};

use crate::ClientOptions;
use crate::params::HuaweiParams;

pub(super) fn build(options: &ClientOptions) -> Result<Client> {
    let overrides = [
        (ENV_PROJECT_ID, options.project_id.as_deref()),
        (ENV_REGION, options.region.as_deref()),
    ];
    let mut builder = ClientBuilder::from_lookup(|name| options.lookup(name, &overrides))?;
    if let Some(url) = &options.endpoint {
        builder = builder.endpoint(url);
    }
    if let Some(url) = &options.iam_endpoint {
        builder = builder.iam_endpoint(url);
    }
    builder.build()
}

pub(super) fn request(params: &HuaweiParams) -> TriggerRequest {
    TriggerRequest::new(&params.plan)
        .resources(params.resources.iter().cloned())
        .auto_trigger(Some(params.auto_trigger))
}
