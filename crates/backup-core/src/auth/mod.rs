//! Secrets, token providers, the token cache and request authentication.
//!
//! - [`AccessToken`] holds a secret token and its expiry; its `Debug` shows neither.
//! - [`TokenProvider`] fetches a token (an exchange, a login, a metadata call ...); it
//!   is object-safe, so clients keep an `Arc<dyn TokenProvider>`.
//! - [`TokenCache`] keeps a token until a margin before it expires, shares one refresh
//!   among any number of concurrent callers and forgets a token the service rejected.
//! - [`Authenticator`] puts credentials on a request: [`TokenAuth`] as a header from a
//!   cached token, or a vendor's own signer.

mod authenticator;
mod cache;
mod token;

pub use authenticator::{AuthTicket, Authenticator, NoAuth, TokenAuth};
pub use cache::{CachedToken, DEFAULT_REFRESH_MARGIN, TokenCache};
pub use token::{AccessToken, StaticToken, TokenProvider};

pub use secrecy::{ExposeSecret, SecretString};
