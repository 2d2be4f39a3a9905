//! One way to back up anything: the backup-rs vendor crates behind cargo features,
//! one client type for all of them, and plans that back up many targets at once.
//!
//! - Features: one per vendor, named as the vendor (`yandex`, `huawei-csbs` ...; none on
//!   by default; a vendor left out is not compiled), `full` for every vendor,
//!   `emulator` for the local emulator of each enabled vendor ([`AnyEmulator`]), and
//!   `cli` for clap arguments of every enabled vendor (`TriggerCommand`).
//! - [`Vendor`] is the one list of vendors (the registry): [`AnyClient`],
//!   [`AnyRequest`], [`AnyParams`] and [`AnyConfig`] have one case per enabled vendor,
//!   and [`Vendor::visit`] runs code generic over backup-core's `BackupClient`.
//! - [`core`] is backup-core ([`core::Operation`], [`core::Error`] ...); each enabled
//!   vendor crate is re-exported under its name (`backup_all::yandex`,
//!   `backup_all::huawei_csbs` ...).
//! - [`AnyClient`] triggers, polls, waits and cancels on whichever vendor it holds
//!   (every vendor crate's `Client` implements backup-core's `BackupClient`);
//!   [`Target`] is a client with what to trigger on it.
//! - [`Plan`] reads many named targets from TOML and runs them with bounded
//!   concurrency, an overall deadline, and fail-fast or run-all.
//!
//! ```toml
//! [dependencies]
//! backup-all = { version = "0.1", features = ["yandex", "veeam"] }
//! ```
//!
//! # Example
//!
//! Two vendors treated alike, on their emulators (features `yandex`, `veeam`,
//! `emulator`):
//!
//! ```
//! # #[cfg(all(feature = "yandex", feature = "veeam", feature = "emulator"))]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use backup_all::core::WaitOptions;
//! use backup_all::core::prelude::*;
//! use backup_all::{Target, veeam, yandex};
//!
//! let yc = yandex::emulator::Emulator::start().await?;
//! let vm = veeam::emulator::Emulator::start().await?;
//! let targets = [
//!     Target::new("web", yc.client_builder().build()?, yc.demo_request()),
//!     Target::new("fleet", vm.client_builder().build()?, vm.demo_request()),
//! ];
//! for target in &targets {
//!     for operation in target.trigger().await? {
//!         println!("started {}", operation.reference);
//!         let wait = WaitOptions::every(Duration::from_millis(10));
//!         let done = target.client.wait(operation, wait).await?;
//!         assert!(done.status.is_success());
//!     }
//! }
//! # Ok(())
//! # }
//! # #[cfg(not(all(feature = "yandex", feature = "veeam", feature = "emulator")))]
//! # fn main() {}
//! ```
//!
//! A plan from TOML, with credentials from each vendor's environment names:
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let plan = backup_all::Plan::from_path("backups.toml")?;
//! let report = plan.prepare()?.run(&|target, operation| {
//!     eprintln!("{target}: {} {}", operation.reference, operation.status);
//! }).await;
//! for target in &report.targets {
//!     println!("{} {} after {:?}", target.name, target.outcome.as_str(), target.duration);
//! }
//! # Ok(())
//! # }
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use backup_core as core;

#[cfg(feature = "cli")]
#[cfg_attr(docsrs, doc(cfg(feature = "cli")))]
pub mod cli;
mod client;
mod decode;
mod duration;
#[cfg(feature = "emulator")]
#[cfg_attr(docsrs, doc(cfg(feature = "emulator")))]
pub mod emulator;
#[cfg(feature = "journal")]
#[cfg_attr(docsrs, doc(cfg(feature = "journal")))]
pub mod journal;
pub mod plan;
#[cfg(doctest)]
mod readme;
mod registry;
pub mod run;

pub use client::{EnvNames, Target, TransportSettings};
pub use decode::{FieldFault, decode_table, field_names};
pub use duration::{ParseDurationError, parse_duration};
pub use plan::{Plan, PlanError, PlanErrors, PlanSettings, PlanTarget};
#[cfg(feature = "cli")]
pub use registry::TriggerCommand;
#[cfg(feature = "emulator")]
pub use registry::{AnyEmulator, EmulatorVisitor};
// Empty when no vendor is enabled.
#[allow(unused_imports)]
pub use registry::vendors::*;
pub use registry::{
    AnyClient, AnyConfig, AnyParams, AnyRequest, NotInBuild, UnknownVendor, Vendor, VendorVisitor,
};
pub use run::{Interrupter, RunOptions, RunReport, TargetOutcome, TargetReport};
