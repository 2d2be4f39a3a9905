//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use backup_core::RetryPolicy;
use backup_veeam::prelude::*;
use backup_veeam::{ApiVersion, Client, ClientBuilder};

/// Millisecond retries.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
        budget: Duration::from_secs(5),
        jitter: false,
    }
}

/// A fixture file's text.
pub fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// A password client of `uri` speaking `version`.
pub fn password_client(uri: &str, version: ApiVersion) -> Client {
    builder(uri, version)
        .password("admin", "p@ss w&rd=")
        .build()
        .unwrap()
}

/// A builder for `uri` with fast retries.
pub fn builder(uri: &str, version: ApiVersion) -> ClientBuilder {
    Client::builder()
        .endpoint(uri)
        .api_version(version)
        .retry(fast_retry())
        .request_timeout(Duration::from_secs(5))
}

/// The token answer with the given tokens and lifetime.
pub fn token_json(access: &str, refresh: &str, expires_in: i64) -> String {
    format!(
        r#"{{"access_token":"{access}","token_type":"bearer","refresh_token":"{refresh}","expires_in":{expires_in},"mfa_enabled":false}}"#
    )
}

/// A lookup (for `from_lookup` / `from_config`) reading `pairs` only.
pub fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + Sync + use<> {
    let map: std::collections::HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |name: &str| map.get(name).cloned()
}
