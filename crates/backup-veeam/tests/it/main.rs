//! The integration tests of this crate, in one binary (one module per area).

mod common;
mod emulator_api;
mod emulator_flows;
mod emulator_produced;
mod fixtures;
mod follow_up;
mod live;
mod properties;
mod requests;
mod secrets;
mod settings;

// The fault and contract suites every vendor runs (backup-core's `testing` feature).
#[cfg(feature = "emulator")]
backup_core::vendor_suite!(backup_veeam::emulator::Emulator);
