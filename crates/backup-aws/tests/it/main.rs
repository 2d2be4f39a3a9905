//! The integration tests of this crate, in one binary (one module per area).

mod emulator_flows;
mod fixtures;
mod live;
mod properties;
mod real_clients;
mod requests;
mod secrets;
mod sigv4_oracle;
mod sigv4_vectors;

// The fault and contract suites every vendor runs (backup-core's `testing` feature).
#[cfg(feature = "emulator")]
backup_core::vendor_suite!(backup_aws::emulator::Emulator);
