//! [`EmulatorCredential`]: the emulator's tokens, as an `azure_core` `TokenCredential`.

use std::fmt;
use std::sync::{Mutex, PoisonError};

use async_trait::async_trait;
use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use time::OffsetDateTime;

use super::state::State;

/// Hands out tokens the emulator accepts, valid for the emulator's token lifetime
/// (an hour by default). Asking for a scope that is not `…/.default` fails, as Entra
/// ID's client-credential flow does.
pub struct EmulatorCredential {
    state: State,
    scopes: Mutex<Vec<String>>,
}

impl EmulatorCredential {
    pub(crate) fn new(state: State) -> Self {
        Self {
            state,
            scopes: Mutex::new(Vec::new()),
        }
    }

    /// Every scope asked for, in order (one entry per token request).
    #[must_use]
    pub fn requested_scopes(&self) -> Vec<String> {
        self.scopes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl fmt::Debug for EmulatorCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorCredential")
            .field("token_requests", &self.state.shared.token_requests().get())
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl TokenCredential for EmulatorCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        let scope = scopes.join(" ");
        self.scopes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(scope.clone());
        if scopes.len() != 1 || !scope.ends_with("/.default") {
            return Err(azure_core::Error::with_message(
                azure_core::error::ErrorKind::Credential,
                format!("AADSTS1002012: the provided scope {scope:?} is not valid"),
            ));
        }
        self.state.shared.token_requests().increment();
        let ttl = self.state.token_ttl;
        let token = self.state.tokens.issue(ttl);
        let expires_on = time::Duration::try_from(ttl)
            .ok()
            .and_then(|ttl| OffsetDateTime::now_utc().checked_add(ttl))
            .unwrap_or(OffsetDateTime::now_utc());
        Ok(AccessToken::new(token, expires_on))
    }
}
