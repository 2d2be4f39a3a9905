//! The integration tests of this crate, in one binary (one module per area).

mod emulator_checks;
mod emulator_flows;
mod fixtures;
mod live;
mod produced;
mod properties;
mod requests;
mod secrets;

// The fault and contract suites every vendor runs (backup-core's `testing` feature).
#[cfg(feature = "emulator")]
backup_core::vendor_suite!(backup_yandex::emulator::Emulator);
