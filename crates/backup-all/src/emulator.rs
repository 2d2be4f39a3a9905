//! [`DynEmulator`]: what every emulator offers, for code that holds emulators of
//! several vendors at once (feature `emulator`).

use backup_core::emulator::{Faults, LifecycleSpec, RequestLog, VendorEmulator};
use url::Url;

/// The vendor-neutral accessors of a [`VendorEmulator`], object safe.
pub trait DynEmulator: Send + Sync {
    /// The base URL of every API it serves.
    fn url(&self) -> Url;
    /// The fault queue.
    fn faults(&self) -> &Faults;
    /// Every request it received.
    fn requests(&self) -> RequestLog;
    /// How many backups it started.
    fn accepted_backups(&self) -> u64;
    /// How many tokens it issued.
    fn token_requests(&self) -> u64;
    /// Sets how backups started from now on unfold.
    fn set_lifecycle(&self, spec: LifecycleSpec);
    /// Expires every token issued so far.
    fn expire_tokens(&self);
    /// Forgets faults, the request log, the counts and the vendor's own state (the
    /// control API's reset).
    fn reset(&self);
}

impl<E: VendorEmulator> DynEmulator for E {
    fn url(&self) -> Url {
        VendorEmulator::url(self)
    }

    fn faults(&self) -> &Faults {
        VendorEmulator::faults(self)
    }

    fn requests(&self) -> RequestLog {
        VendorEmulator::requests(self)
    }

    fn accepted_backups(&self) -> u64 {
        VendorEmulator::accepted_backups(self)
    }

    fn token_requests(&self) -> u64 {
        VendorEmulator::token_requests(self)
    }

    fn set_lifecycle(&self, spec: LifecycleSpec) {
        VendorEmulator::set_lifecycle(self, spec);
    }

    fn expire_tokens(&self) {
        VendorEmulator::expire_tokens(self);
    }

    fn reset(&self) {
        VendorEmulator::reset(self);
    }
}
