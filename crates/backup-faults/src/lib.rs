//! The fault matrix of backup-rs: every vendor through every fault of issue 10 on its
//! emulator, in one place and the same way for all five.
//!
//! - [`harness`]: one small adapter per vendor ([`Harness`]): start the emulator,
//!   build a client with fast retries and short timeouts, trigger the demo backup,
//!   wait with short intervals, read the accepted backups and token requests,
//!   inject a fault on a [`RouteClass`](backup_core::emulator::RouteClass).
//! - [`matrix`]: the faults ([`FaultCase`]), the outcome each vendor must end in
//!   ([`FaultCase::expected`]), [`run_cell`] / [`run_all`] and [`render`].
//!
//! The `backup-faults` binary (`cargo xtask faults`) runs the whole matrix, prints it
//! and exits non-zero when a cell fails.
//!
//! ```no_run
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use backup_faults::{FaultCase, Vendor, run_cell};
//!
//! let cell = run_cell(Vendor::Yandex, FaultCase::DropAfterTrigger).await;
//! assert!(cell.passed(), "{:?}", cell.problems);
//! assert_eq!(cell.accepted, 1);
//! # }
//! ```

pub mod harness;
pub mod matrix;

pub use harness::{Harness, Settings, Vendor, fast_retry, fast_wait, unreachable_url};
pub use matrix::{Cell, Expected, FaultCase, Outcome, render, run_all, run_cell, run_vendor};
