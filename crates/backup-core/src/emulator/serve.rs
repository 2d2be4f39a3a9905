//! [`ServeOptions`]: an emulator as a local service for other programs (`backupctl
//! emulate`): where it listens and how its backups unfold.

use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use super::LifecycleSpec;

/// How long a backup takes on an emulator served by [`ServeOptions::default`].
pub const DEFAULT_BACKUP_DURATION: Duration = Duration::from_secs(3);

tokio::task_local! {
    /// The address every [`EmulatorServer`](super::EmulatorServer) started inside
    /// [`ServeOptions::scope`] binds to, unless its config names one.
    static BIND: SocketAddr;
}

/// The address that a server started now binds to when its config names none: the
/// one of the enclosing [`ServeOptions::scope`], else `127.0.0.1:0` (a free port).
pub(crate) fn default_bind() -> SocketAddr {
    BIND.try_with(|addr| *addr)
        .unwrap_or(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0))
}

/// How to start an emulator as a long-running local service
/// ([`VendorEmulator::serve`](super::VendorEmulator::serve)): the address it listens on
/// and how its backups unfold.
///
/// Outside tests backups run on the clock: a backup is done `duration` after it was
/// accepted whether or not anyone reads it, so a client that never polls the job still
/// sees it end and a later trigger of the same item is not refused as "still running".
///
/// ```
/// use std::time::Duration;
/// use backup_core::emulator::{LifecycleSpec, ServeOptions};
///
/// let options = ServeOptions::default()
///     .bind("127.0.0.1:8443".parse()?)
///     .lifecycle(LifecycleSpec::default().after(Duration::from_secs(10)).failing("disk full"));
/// assert_eq!(options.bind.port(), 8443);
/// assert_eq!(options.lifecycle.duration, Some(Duration::from_secs(10)));
/// # Ok::<(), std::net::AddrParseError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServeOptions {
    /// Where to listen (`127.0.0.1:0`, a free loopback port, by default).
    pub bind: SocketAddr,
    /// How every backup unfolds, from the start and after every reset of the control
    /// API (by default: successful, [`DEFAULT_BACKUP_DURATION`] after it was accepted).
    pub lifecycle: LifecycleSpec,
}

impl Default for ServeOptions {
    /// A free loopback port; backups succeed [`DEFAULT_BACKUP_DURATION`] after they
    /// were accepted.
    fn default() -> Self {
        Self {
            bind: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            lifecycle: LifecycleSpec::default().after(DEFAULT_BACKUP_DURATION),
        }
    }
}

impl ServeOptions {
    /// Listens on `addr` (port 0: a free port).
    #[must_use]
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.bind = addr;
        self
    }

    /// Backups unfold as `spec` says.
    #[must_use]
    pub fn lifecycle(mut self, spec: LifecycleSpec) -> Self {
        self.lifecycle = spec;
        self
    }

    /// Runs `start` (a vendor's own start function) so that every
    /// [`EmulatorServer`](super::EmulatorServer) it starts without an address of its
    /// own ([`EmulatorConfig::bind`](super::EmulatorConfig::bind)) listens on
    /// [`ServeOptions::bind`]. A vendor that overrides
    /// [`VendorEmulator::serve`](super::VendorEmulator::serve) wraps its start in it,
    /// then checks the result with [`ServeOptions::check_bound`].
    pub async fn scope<F: Future>(&self, start: F) -> F::Output {
        BIND.scope(self.bind, start).await
    }

    /// Checks that a server listening on `addr` is where these options asked (the
    /// same address, and the same port unless port 0 was asked).
    ///
    /// # Errors
    /// [`io::ErrorKind::AddrNotAvailable`] naming both addresses otherwise.
    pub fn check_bound(&self, addr: SocketAddr) -> io::Result<()> {
        let same_ip = self.bind.ip() == addr.ip()
            || (self.bind.ip().is_unspecified() && addr.ip().is_loopback());
        let same_port = self.bind.port() == 0 || self.bind.port() == addr.port();
        if same_ip && same_port {
            Ok(())
        } else {
            Err(io::Error::new(
                io::ErrorKind::AddrNotAvailable,
                format!(
                    "the emulator listens on {addr}, not on {} as asked",
                    self.bind
                ),
            ))
        }
    }
}

/// Seeds the generator that [`random_hex`](super::random_hex) (ids and tokens of every
/// emulator) draws from, on the current thread: emulators served by a single-threaded
/// runtime on this thread then answer the same requests, made one at a time, with the
/// same ids (`backupctl emulate --seed`).
pub fn seed_random_ids(seed: u64) {
    fastrand::seed(seed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn scope_sets_the_default_bind_inside_only() {
        let options = ServeOptions::default().bind(SocketAddr::from(([127, 0, 0, 2], 9)));
        assert_eq!(default_bind(), SocketAddr::from(([127, 0, 0, 1], 0)));
        let inside = options.scope(async { default_bind() }).await;
        assert_eq!(inside, options.bind);
        assert_eq!(default_bind(), SocketAddr::from(([127, 0, 0, 1], 0)));
    }

    #[test]
    fn check_bound_accepts_any_port_for_zero_only() {
        let any = ServeOptions::default();
        assert!(
            any.check_bound(SocketAddr::from(([127, 0, 0, 1], 4000)))
                .is_ok()
        );
        assert!(
            any.check_bound(SocketAddr::from(([127, 0, 0, 2], 4000)))
                .is_err()
        );
        let fixed = ServeOptions::default().bind(SocketAddr::from(([127, 0, 0, 1], 4000)));
        assert!(
            fixed
                .check_bound(SocketAddr::from(([127, 0, 0, 1], 4000)))
                .is_ok()
        );
        let error = fixed
            .check_bound(SocketAddr::from(([127, 0, 0, 1], 4001)))
            .err();
        assert_eq!(
            error.map(|e| e.to_string()),
            Some("the emulator listens on 127.0.0.1:4001, not on 127.0.0.1:4000 as asked".into())
        );
        let unspecified = ServeOptions::default().bind(SocketAddr::from(([0, 0, 0, 0], 0)));
        assert!(
            unspecified
                .check_bound(SocketAddr::from(([127, 0, 0, 1], 1)))
                .is_ok()
        );
    }

    #[test]
    fn a_seed_repeats_the_ids() {
        seed_random_ids(7);
        let first = super::super::random_hex(16);
        seed_random_ids(7);
        assert_eq!(super::super::random_hex(16), first);
    }

    #[test]
    fn default_runs_on_the_clock() {
        let options = ServeOptions::default();
        assert_eq!(options.lifecycle.duration, Some(DEFAULT_BACKUP_DURATION));
        assert!(options.bind.ip().is_loopback());
        assert_eq!(options.bind.port(), 0);
    }
}
