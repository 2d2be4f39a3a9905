//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use backup_azure::{ProtectedItem, RetryPolicy};
use time::OffsetDateTime;

/// The document's example item.
pub fn doc_item() -> ProtectedItem {
    ProtectedItem::new(
        "00000000-0000-0000-0000-000000000000",
        "linuxRsVaultRG",
        "linuxRsVault",
        "Azure",
        "IaasVMContainer;iaasvmcontainerv2;testrg;v1win2012r",
        "VM;iaasvmcontainerv2;testrg;v1win2012r",
    )
}

/// The path of the document's example trigger.
pub const DOC_PATH: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/linuxRsVaultRG/providers/Microsoft.RecoveryServices/vaults/linuxRsVault/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainerv2;testrg;v1win2012r/protectedItems/VM;iaasvmcontainerv2;testrg;v1win2012r/backup";

/// The vault path of the document's example.
pub const DOC_VAULT: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/linuxRsVaultRG/providers/Microsoft.RecoveryServices/vaults/linuxRsVault";

/// A test-only `TokenCredential`: hands out `test-token-N`, valid for an hour, and
/// records the scopes asked for.
#[derive(Debug, Default)]
pub struct TestCredential {
    calls: AtomicUsize,
    scopes: Mutex<Vec<String>>,
    prefix: &'static str,
}

impl TestCredential {
    pub fn new() -> Self {
        Self {
            prefix: "test-token-",
            ..Self::default()
        }
    }

    /// A credential whose tokens start with `prefix`.
    pub fn with_prefix(prefix: &'static str) -> Self {
        Self {
            prefix,
            ..Self::default()
        }
    }

    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    pub fn scopes(&self) -> Vec<String> {
        self.scopes.lock().unwrap().clone()
    }
}

#[async_trait]
impl TokenCredential for TestCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        self.scopes.lock().unwrap().push(scopes.join(" "));
        Ok(AccessToken::new(
            format!("{}{n}", self.prefix),
            OffsetDateTime::now_utc() + time::Duration::hours(1),
        ))
    }
}

/// Retries with millisecond backoffs.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
        budget: Duration::from_secs(5),
        jitter: false,
    }
}
