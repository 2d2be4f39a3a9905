//! The vendors of the registry ([`backup_all::Vendor`]) behind one face: code generic
//! over backup-core's `VendorEmulator` and `BackupClient`, reached through
//! [`Vendor::visit_emulator`]. The bench keeps no vendor list of its own: what differs
//! between vendors (distinct backup targets, poll hints, lifecycles on time) comes
//! from each vendor's `VendorEmulator::start_for_load` and `load_request`.

use std::future::Future;
use std::pin::Pin;

use backup_all::EmulatorVisitor;
pub use backup_all::Vendor;
use backup_all::emulator::DynEmulator;
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

/// An emulator started for load with a client of it, whatever the vendor: the
/// fan-out holds every vendor's side by side.
pub trait Loaded: Send + Sync {
    /// The vendor's name, as in references.
    fn vendor(&self) -> &'static str;

    /// The emulator's counters and request log.
    fn emulator(&self) -> &dyn DynEmulator;

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

    fn emulator(&self) -> &dyn DynEmulator {
        &self.emulator
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

/// Starts `vendor`'s emulator for `load` with a client of its token builder
/// (`VendorEmulator::token_client_builder`: a token the client's cache must share;
/// the default builder where it is already one).
///
/// # Errors
/// When the vendor is not in this build, no port can be bound or the builder refuses.
pub async fn start_loaded(vendor: Vendor, load: LoadOptions) -> Result<Box<dyn Loaded>, String> {
    struct Start(LoadOptions);
    impl EmulatorVisitor for Start {
        type Output = BoxFuture<'static, Result<Box<dyn Loaded>, String>>;

        fn visit<E: VendorEmulator>(self) -> Self::Output {
            Box::pin(async move {
                let vendor = <E::Client as BackupClient>::VENDOR;
                let emulator = E::start_for_load(self.0)
                    .await
                    .map_err(|e| format!("{vendor}: emulator: {e}"))?;
                let client = emulator
                    .token_client_builder()
                    .build()
                    .map_err(|e| format!("{vendor}: client: {e}"))?;
                Ok(Box::new(Pair { emulator, client }) as Box<dyn Loaded>)
            })
        }
    }
    vendor
        .visit_emulator(Start(load))
        .map_err(|e| e.to_string())?
        .await
}
