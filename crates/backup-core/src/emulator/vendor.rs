//! [`VendorEmulator`]: what every vendor's emulator offers, written once as default
//! methods over the [`EmulatorServer`] and the [`EmulatorShared`] state.

use std::fmt;
use std::future::Future;
use std::io;
use std::sync::{Arc, Mutex};

use url::Url;

use super::{Counter, EmulatorServer, Fault, Faults, LifecycleSpec, RequestLog, lock};
use crate::contract::{BackupClient, BackupClientBuilder};

/// The state every emulator keeps the same way: the backups it accepted, the tokens it
/// issued (logins, exchanges, refreshes) and how the next backups unfold. Clones share
/// it: the vendor's router state holds one, the [`VendorEmulator`] hands it out.
#[derive(Clone)]
pub struct EmulatorShared {
    inner: Arc<SharedInner>,
}

struct SharedInner {
    accepted: Counter,
    token_requests: Counter,
    lifecycle: Mutex<LifecycleSpec>,
}

impl fmt::Debug for EmulatorShared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorShared")
            .field("accepted", &self.inner.accepted.get())
            .field("token_requests", &self.inner.token_requests.get())
            .field("lifecycle", &self.lifecycle())
            .finish()
    }
}

impl EmulatorShared {
    /// Shared state whose backups unfold as `lifecycle` says.
    #[must_use]
    pub fn new(lifecycle: LifecycleSpec) -> Self {
        Self {
            inner: Arc::new(SharedInner {
                accepted: Counter::new(),
                token_requests: Counter::new(),
                lifecycle: Mutex::new(lifecycle),
            }),
        }
    }

    /// The backups the emulator started (a handler increments it once per backup;
    /// idempotent repeats are not counted).
    #[must_use]
    pub fn accepted(&self) -> &Counter {
        &self.inner.accepted
    }

    /// The tokens the emulator issued (logins, exchanges, refreshes, renewals).
    #[must_use]
    pub fn token_requests(&self) -> &Counter {
        &self.inner.token_requests
    }

    /// How backups started from now on unfold.
    #[must_use]
    pub fn lifecycle(&self) -> LifecycleSpec {
        lock(&self.inner.lifecycle).clone()
    }

    /// Sets how backups started from now on unfold.
    pub fn set_lifecycle(&self, spec: LifecycleSpec) {
        *lock(&self.inner.lifecycle) = spec;
    }
}

/// A vendor's emulator: a local server that behaves like the vendor as documented.
///
/// A vendor crate implements the required items; the accessors are written here once.
/// The associated consts and [`VendorEmulator::vendor_error`] are the vendor facts the
/// fault suite ([`crate::testing::faults`], feature `testing`) needs.
pub trait VendorEmulator: fmt::Debug + Send + Sync + Sized + 'static {
    /// The client that talks to it.
    type Client: BackupClient;

    /// The HTTP status of a successful trigger answer (`202` for Azure and Veeam).
    const TRIGGER_SUCCESS_STATUS: u16;
    /// Whether a trigger carries an idempotency key the service honours, so that a
    /// trigger whose answer was lost can be sent again safely (Yandex).
    const IDEMPOTENT_TRIGGER: bool = false;
    /// Whether the client follows a trigger from its answer's headers alone, so that a
    /// malformed or empty body does not matter (Azure's `Azure-AsyncOperation`).
    const TRIGGER_BODY_UNUSED: bool = false;

    /// Starts the emulator with its demo resources on a free local port.
    ///
    /// # Errors
    /// When no local port can be bound.
    fn start() -> impl Future<Output = io::Result<Self>> + Send;

    /// The server it runs on.
    fn server(&self) -> &EmulatorServer;

    /// Gives up its server (to shut it down).
    fn into_server(self) -> EmulatorServer;

    /// Its shared state.
    fn shared(&self) -> &EmulatorShared;

    /// Expires every token issued so far: the next request carrying one is refused
    /// as the vendor refuses an expired token.
    fn expire_tokens(&self);

    /// A client builder pointing every endpoint of the vendor at `base`, with the
    /// credentials the emulator accepts and millisecond retry backoffs.
    fn client_builder_at(&self, base: &Url) -> <Self::Client as BackupClient>::Builder;

    /// The environment with which the vendor's `from_env` (and `backupctl`) reaches
    /// this emulator: credentials it accepts, under names of
    /// [`BackupClient::ENVIRONMENT`]. Every value is a secret no output may show.
    fn environment(&self) -> Vec<(&'static str, String)>;

    /// Client settings pointing every endpoint of the vendor at this emulator.
    fn config(&self) -> <Self::Client as BackupClient>::Config;

    /// A trigger request the emulator accepts (its demo resources).
    fn demo_request(&self) -> <Self::Client as BackupClient>::Request;

    /// The same backup as [`VendorEmulator::demo_request`], as the flat parameters of
    /// plans and `backupctl trigger` (the conformance suite checks that they agree).
    fn demo_params(&self) -> <Self::Client as BackupClient>::Params;

    /// A refusal of the trigger in the vendor's own error format, from its documents,
    /// and the vendor error code the client must read out of it.
    fn vendor_error() -> (Fault, &'static str);

    /// The base URL of every API it serves (`http://127.0.0.1:PORT/`).
    fn url(&self) -> Url {
        self.server().url()
    }

    /// The fault queue.
    fn faults(&self) -> &Faults {
        self.server().faults()
    }

    /// Every request it received.
    fn requests(&self) -> RequestLog {
        self.server().requests()
    }

    /// How many backups it started (idempotent repeats not counted).
    fn accepted_backups(&self) -> u64 {
        self.shared().accepted().get()
    }

    /// How many tokens it issued (logins, exchanges, refreshes, renewals).
    fn token_requests(&self) -> u64 {
        self.shared().token_requests().get()
    }

    /// Sets how backups started from now on unfold.
    fn set_lifecycle(&self, spec: LifecycleSpec) {
        self.shared().set_lifecycle(spec);
    }

    /// A client builder for this emulator ([`VendorEmulator::client_builder_at`] its
    /// own URL).
    fn client_builder(&self) -> <Self::Client as BackupClient>::Builder {
        self.client_builder_at(&self.url())
    }

    /// A client builder whose credential goes through a token the emulator issues
    /// and can expire (the default builder's, unless the vendor's default signs each
    /// request instead, as Huawei's AK/SK does).
    fn token_client_builder(&self) -> <Self::Client as BackupClient>::Builder {
        self.client_builder()
    }

    /// A client of this emulator.
    ///
    /// # Errors
    /// As [`BackupClientBuilder::build`].
    fn client(&self) -> crate::Result<Self::Client> {
        self.client_builder().build()
    }

    /// Stops the server and waits until its port is closed.
    fn shutdown(self) -> impl Future<Output = ()> + Send {
        self.into_server().shutdown()
    }
}
