//! [`VendorEmulator`]: what every vendor's emulator offers, written once as default
//! methods over the [`EmulatorServer`] and the [`EmulatorShared`] state.

use std::fmt;
use std::future::Future;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use url::Url;

use super::{
    Counter, EmulatorServer, Fault, Faults, LifecycleSpec, RequestLog, ServeOptions, lock,
};
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
    /// The lifecycle a reset goes back to.
    default_lifecycle: Mutex<LifecycleSpec>,
    /// What a reset runs to forget the vendor's own state.
    reset_hooks: Mutex<Vec<ResetHook>>,
}

/// A vendor's reset of its own state ([`EmulatorShared::on_reset`]).
type ResetHook = Arc<dyn Fn() + Send + Sync>;

impl fmt::Debug for EmulatorShared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorShared")
            .field("accepted", &self.inner.accepted.get())
            .field("token_requests", &self.inner.token_requests.get())
            .field("lifecycle", &self.lifecycle())
            .field("reset_hooks", &lock(&self.inner.reset_hooks).len())
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
                lifecycle: Mutex::new(lifecycle.clone()),
                default_lifecycle: Mutex::new(lifecycle),
                reset_hooks: Mutex::new(Vec::new()),
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

    /// Sets how backups unfold from now on and after every [`reset`](Self::reset)
    /// (the lifecycle given to [`EmulatorShared::new`] until then).
    pub fn set_default_lifecycle(&self, spec: LifecycleSpec) {
        *lock(&self.inner.default_lifecycle) = spec.clone();
        self.set_lifecycle(spec);
    }

    /// Registers how to forget the vendor's own state (jobs, operations, sessions) on
    /// a [`reset`](Self::reset). Hooks run in the order registered.
    ///
    /// A hook that needs the vendor's state holds a weak reference to it: the shared
    /// state lives inside the vendor's state, and a strong one would keep both alive.
    pub fn on_reset(&self, hook: impl Fn() + Send + Sync + 'static) {
        lock(&self.inner.reset_hooks).push(Arc::new(hook));
    }

    /// Forgets what happened: the counts go back to zero, the lifecycle to the default
    /// one, and every hook registered with [`on_reset`](Self::on_reset) runs. (The
    /// control API's reset also forgets the server's faults and request log.)
    pub fn reset(&self) {
        let hooks = lock(&self.inner.reset_hooks).clone();
        for hook in hooks {
            hook();
        }
        self.inner.accepted.reset();
        self.inner.token_requests.reset();
        let spec = lock(&self.inner.default_lifecycle).clone();
        self.set_lifecycle(spec);
    }
}

/// How to start an emulator for many backups at once
/// ([`VendorEmulator::start_for_load`]): the benchmarks' fan-out, poll and overhead
/// scenarios, and load tests.
///
/// ```
/// use std::time::Duration;
/// use backup_core::emulator::{LifecycleSpec, LoadOptions};
///
/// // 2,000 backups at once, each done 3 s after it was accepted, polled every second.
/// let load = LoadOptions::new(LifecycleSpec::default().after(Duration::from_secs(3)))
///     .targets(2_000)
///     .poll_hint(Duration::from_secs(1));
/// assert_eq!(load.targets, 2_000);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoadOptions {
    /// How every backup unfolds, as the client follows it (a timed spec makes the
    /// end known: `duration` after the backup was accepted).
    pub lifecycle: LifecycleSpec,
    /// How many distinct targets [`VendorEmulator::load_request`] names (`0..targets`),
    /// besides the demo resources, which stay.
    pub targets: usize,
    /// The hint the emulator sends with every answer about a running backup, where the
    /// vendor's API has one ([`VendorEmulator::POLL_HINT_UNIT`]); `None` for none.
    pub poll_hint: Option<Duration>,
}

impl Default for LoadOptions {
    /// [`LifecycleSpec::default`], no extra target, no poll hint.
    fn default() -> Self {
        Self::new(LifecycleSpec::default())
    }
}

impl LoadOptions {
    /// Backups unfolding as `lifecycle` says, no extra target, no poll hint.
    #[must_use]
    pub fn new(lifecycle: LifecycleSpec) -> Self {
        Self {
            lifecycle,
            targets: 0,
            poll_hint: None,
        }
    }

    /// Sets how many distinct targets [`VendorEmulator::load_request`] names.
    #[must_use]
    pub fn targets(mut self, targets: usize) -> Self {
        self.targets = targets;
        self
    }

    /// Sets the poll hint sent while a backup runs (a multiple of
    /// [`VendorEmulator::POLL_HINT_UNIT`]; rounded down to one otherwise).
    #[must_use]
    pub fn poll_hint(mut self, hint: Duration) -> Self {
        self.poll_hint = Some(hint);
        self
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
    /// The step of the poll hint the vendor's API sends with a running backup (ARM's
    /// `Retry-After` counts whole seconds), or `None` when it sends none: then no
    /// [`crate::Operation::poll_after`] comes from it, and [`LoadOptions::poll_hint`]
    /// is ignored.
    const POLL_HINT_UNIT: Option<Duration> = None;

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

    /// Starts the emulator for many backups at once: its demo resources plus
    /// `options.targets` distinct targets for [`VendorEmulator::load_request`], every
    /// backup unfolding as `options.lifecycle` says, and the poll hint sent while one
    /// runs. The default ([`VendorEmulator::start`], then the lifecycle) serves a
    /// vendor that takes a second backup of a target still running and sends no hint.
    ///
    /// # Errors
    /// When no local port can be bound.
    fn start_for_load(options: LoadOptions) -> impl Future<Output = io::Result<Self>> + Send {
        async move {
            let emulator = Self::start().await?;
            emulator.set_lifecycle(options.lifecycle);
            Ok(emulator)
        }
    }

    /// A trigger request for target `i` (below [`LoadOptions::targets`]) of an
    /// emulator started with [`VendorEmulator::start_for_load`]: each a different
    /// target where the vendor refuses a second backup of a target still running (Azure
    /// items, Huawei and Veeam policies), so that all of them may run at once; each
    /// starting one operation where the target decides (Veeam's load policies run one
    /// session). The default is [`VendorEmulator::demo_request`].
    fn load_request(&self, i: usize) -> <Self::Client as BackupClient>::Request {
        let _ = i;
        self.demo_request()
    }

    /// The same backup as [`VendorEmulator::load_request`]`(i)`, as the flat parameters
    /// of plans and `backupctl trigger` (a plan of load targets, as the benchmarks'
    /// journal scenario builds one). A vendor that overrides `load_request` overrides
    /// this too; the conformance suite checks that the two name the same target. The
    /// default is [`VendorEmulator::demo_params`].
    fn load_params(&self, i: usize) -> <Self::Client as BackupClient>::Params {
        let _ = i;
        self.demo_params()
    }

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

    // Serving other programs (`backupctl emulate`, the control API, real-client
    // tests): every item below has a default.

    /// Starts the emulator with its demo resources as a local service for other
    /// programs: listening on `options.bind`, every backup unfolding as
    /// `options.lifecycle` says, from the start and after every reset
    /// ([`EmulatorShared::set_default_lifecycle`]).
    ///
    /// The default runs [`VendorEmulator::start`] inside [`ServeOptions::scope`] and
    /// checks the address; a vendor with more to set (Azure's async operations, which
    /// must end on the clock too) overrides it the same way.
    ///
    /// # Errors
    /// When the address cannot be bound.
    fn serve(options: ServeOptions) -> impl Future<Output = io::Result<Self>> + Send {
        async move {
            let emulator = options.scope(Self::start()).await?;
            options.check_bound(emulator.server().addr())?;
            emulator.shared().set_default_lifecycle(options.lifecycle);
            Ok(emulator)
        }
    }

    /// Credentials the emulator also accepts besides [`VendorEmulator::environment`]'s,
    /// under the vendor's environment names (Yandex: an IAM token besides the OAuth
    /// token). Every value is a secret no output may show. The default: none.
    fn other_credentials(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }

    /// The settings of [`VendorEmulator::config`] that the vendor also reads from its
    /// environment names (`COMMVAULT_API_URL`, `AWS_ENDPOINT_URL_BACKUP` ...): with
    /// these and [`VendorEmulator::environment`] exported, `from_env` (and `backupctl`)
    /// reaches this emulator without a flag. The default: none.
    fn settings_environment(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }

    /// Forgets what happened, as the control API's `POST /_emulator/reset` does: the
    /// pending faults, the request log, the counts and the vendor's own state
    /// ([`EmulatorShared::reset`]); backups unfold as by default again.
    fn reset(&self) {
        self.faults().reset();
        self.shared().reset();
        self.requests().clear();
    }
}
