//! The vendors of the registry ([`backup_all::Vendor`]) behind one face: code generic
//! over backup-core's `VendorEmulator` and `BackupClient`, reached through
//! [`Vendor::visit_emulator`]. The bench keeps no vendor list of its own: what differs
//! between vendors (distinct backup targets, poll hints, lifecycles on time) comes
//! from each vendor's `VendorEmulator::start_for_load` and `load_request`.

use std::future::Future;
use std::pin::Pin;

use backup_all::EmulatorVisitor;
pub use backup_all::Vendor;
use backup_core::contract::{BackupClient, BackupClientBuilder};
use backup_core::emulator::{LoadOptions, VendorEmulator};
use backup_core::{Error, Operation, WaitOptions};
use futures_util::StreamExt;

/// A boxed future that can move between threads.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The vendors to measure: those of this build, in the registry's order.
pub fn all() -> Vec<Vendor> {
    Vendor::enabled().collect()
}

/// Waits for `operation` to end through `client`; returns it and the number of polls
/// made.
///
/// # Errors
/// A poll error, a timeout, or the backup failed.
pub async fn wait_counting<C: BackupClient>(
    client: &C,
    operation: Operation,
    options: WaitOptions,
) -> Result<(Operation, u32), Error> {
    let mut poller = client.wait(operation, options);
    let mut last = None;
    // The poller ends after a terminal state or an error, and stops at its deadline.
    while let Some(item) = poller.next().await {
        last = Some(item?);
    }
    let polls = poller.polls();
    match last {
        Some(operation) if operation.status.is_success() => Ok((operation, polls)),
        Some(operation) => Err(Error::OperationFailed(Box::new(operation))),
        None => Err(Error::Unsupported {
            vendor: "bench",
            what: "a poller that yielded nothing".to_owned(),
        }),
    }
}

/// A client of one vendor with the load requests of its emulator, whatever the vendor:
/// the fan-out holds every vendor's side by side.
pub trait Loaded: Send + Sync {
    /// The vendor's name, as in references.
    fn vendor(&self) -> &'static str;

    /// Triggers the backup of load target `target`.
    fn trigger(&self, target: usize) -> BoxFuture<'_, Result<Vec<Operation>, Error>>;

    /// Waits for `operation` to end; returns it and the number of polls made.
    fn wait(
        &self,
        operation: Operation,
        options: WaitOptions,
    ) -> BoxFuture<'_, Result<(Operation, u32), Error>>;

    /// Stops the emulator.
    fn shutdown(self: Box<Self>) -> BoxFuture<'static, ()>;
}

/// [`Loaded`] for one vendor's emulator type.
struct Pair<E: VendorEmulator> {
    emulator: E,
    client: E::Client,
}

impl<E: VendorEmulator> Loaded for Pair<E> {
    fn vendor(&self) -> &'static str {
        <E::Client as BackupClient>::VENDOR
    }

    fn trigger(&self, target: usize) -> BoxFuture<'_, Result<Vec<Operation>, Error>> {
        Box::pin(async move {
            let request = self.emulator.load_request(target);
            self.client.trigger(&request).await
        })
    }

    fn wait(
        &self,
        operation: Operation,
        options: WaitOptions,
    ) -> BoxFuture<'_, Result<(Operation, u32), Error>> {
        Box::pin(wait_counting(&self.client, operation, options))
    }

    fn shutdown(self: Box<Self>) -> BoxFuture<'static, ()> {
        let Pair { emulator, .. } = *self;
        Box::pin(emulator.shutdown())
    }
}

/// What a client needs to reach one vendor's emulator in another process
/// (`backup-bench emulate`): its settings and the environment `from_env` reads.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Reach {
    /// The vendor's name, as in references.
    pub vendor: String,
    /// `VendorEmulator::config` as JSON (every endpoint at the emulator).
    pub config: serde_json::Value,
    /// `VendorEmulator::environment` and `settings_environment` (secrets: never
    /// printed).
    pub env: Vec<(String, String)>,
    /// `VendorEmulator::demo_params` as JSON (the peers back up the demo target).
    pub params: serde_json::Value,
}

impl Reach {
    /// How to reach `emulator`.
    ///
    /// # Errors
    /// When its config does not serialize.
    pub fn of<E: VendorEmulator>(emulator: &E) -> Result<Self, String> {
        let mut env: Vec<(String, String)> = emulator
            .environment()
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect();
        env.extend(
            emulator
                .settings_environment()
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value)),
        );
        Ok(Self {
            vendor: <E::Client as BackupClient>::VENDOR.to_owned(),
            config: serde_json::to_value(emulator.config()).map_err(|e| e.to_string())?,
            env,
            params: serde_json::to_value(emulator.demo_params()).map_err(|e| e.to_string())?,
        })
    }
}

impl Reach {
    /// The value of environment variable `name` as the emulator gives it (the settings
    /// a user's program would find in its environment).
    #[must_use]
    pub fn lookup(&self, name: &str) -> Option<String> {
        self.env
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    }

    /// A client of the emulator, built as a user's program builds it:
    /// `BackupClientBuilder::from_config` with its settings and environment.
    ///
    /// # Errors
    /// When the settings do not parse or the builder refuses.
    pub fn client<C: BackupClient>(&self) -> Result<C, String> {
        let vendor = C::VENDOR;
        let config: C::Config = serde_json::from_value(self.config.clone())
            .map_err(|e| format!("{vendor}: config: {e}"))?;
        let lookup = |name: &str| self.lookup(name);
        C::Builder::from_config(&config, &lookup)
            .and_then(BackupClientBuilder::build)
            .map_err(|e| format!("{vendor}: client: {e}"))
    }

    /// The demo request of its emulator, from [`Reach::params`].
    ///
    /// # Errors
    /// When the parameters do not parse or make no request.
    pub fn demo_request<C: BackupClient>(&self) -> Result<C::Request, String> {
        let vendor = C::VENDOR;
        let params: C::Params = serde_json::from_value(self.params.clone())
            .map_err(|e| format!("{vendor}: params: {e}"))?;
        C::request(&params).map_err(|e| format!("{vendor}: request: {e}"))
    }
}

/// A client of `vendor`'s emulator in another process, built as a user's program
/// builds it (`BackupClientBuilder::from_config` with the settings and environment
/// of `reach`), and an idle emulator of the same vendor in this process for the load
/// requests alone (`VendorEmulator::load_request`: the targets are named the same in
/// both processes); the other process's emulator counts the requests.
///
/// # Errors
/// When the vendor is not in this build, no port can be bound or the builder refuses.
pub async fn start_remote(
    vendor: Vendor,
    load: LoadOptions,
    reach: Reach,
) -> Result<Box<dyn Loaded>, String> {
    struct Start(LoadOptions, Reach);
    impl EmulatorVisitor for Start {
        type Output = BoxFuture<'static, Result<Box<dyn Loaded>, String>>;

        fn visit<E: VendorEmulator>(self) -> Self::Output {
            Box::pin(async move {
                let Start(load, reach) = self;
                let vendor = <E::Client as BackupClient>::VENDOR;
                let client = reach.client::<E::Client>()?;
                let emulator = E::start_for_load(load)
                    .await
                    .map_err(|e| format!("{vendor}: idle emulator: {e}"))?;
                Ok(Box::new(Pair { emulator, client }) as Box<dyn Loaded>)
            })
        }
    }
    vendor
        .visit_emulator(Start(load, reach))
        .map_err(|e| e.to_string())?
        .await
}
