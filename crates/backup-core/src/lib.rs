//! Vendor-neutral core of backup-rs.
//!
//! Every vendor crate (`backup-<vendor>`, listed in `backup-all`'s registry) stands on
//! this crate and on nothing else of ours:
//!
//! - [`Error`]: one error type whose variants say whether a request may have been sent;
//! - [`auth`]: secrets, [`auth::TokenProvider`], the single-flight [`auth::TokenCache`]
//!   and the [`auth::Authenticator`] that puts credentials on a request;
//! - [`Operation`]: the model every vendor's backup state maps onto;
//! - [`transport`]: one pooled HTTP client with timeouts, a body cap, request ids,
//!   tracing spans and a retry policy that never re-sends a trigger blindly;
//! - [`poller`]: waiting for an operation to end, as a future or as a stream of changes;
//! - [`timefmt`] and [`path`]: the vendors' time formats and safe URL building;
//! - [`string_enum!`] and [`lenient`]: vendor word lists and fields sent in more than
//!   one form, decoded without failing.
//!
//! With the `emulator` feature, [`emulator`] offers the building blocks of the vendor
//! emulators: a local server with fault injection, token issuing and backup lifecycles.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod auth;
pub mod contract;
pub mod enums;
pub mod error;
pub mod lenient;
pub mod operation;
pub mod path;
pub mod poller;
pub mod timefmt;
pub mod transport;

#[cfg(feature = "emulator")]
#[cfg_attr(docsrs, doc(cfg(feature = "emulator")))]
pub mod emulator;

#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;

pub use contract::{BackupClient, BackupClientBuilder};
pub use error::{ApiError, ApiErrorKind, Error, RequestSent, Result};
pub use operation::{Operation, OperationRef, OperationStatus, VendorError};
pub use poller::{Pollable, Poller, WaitOptions};
pub use transport::{Idempotency, Request, Response, RetryPolicy, Transport, TransportBuilder};

/// The traits to import to use any vendor crate: `use backup_yandex::prelude::*;`.
pub mod prelude {
    pub use crate::contract::{BackupClient, BackupClientBuilder};
    /// With the emulator, the settings of its backups and of its service, so that a
    /// vendor crate's `prelude` is all a program needs to drive its emulator.
    #[cfg(feature = "emulator")]
    pub use crate::emulator::{LifecycleSpec, ServeOptions, VendorEmulator};
}

#[doc(hidden)]
pub use serde as __serde;

/// The version of backup-core, as used in the `User-Agent` header.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
