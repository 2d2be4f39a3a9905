//! The integration tests of this crate, in one binary (one module per area).

mod deadlines;
mod emulator_control;
mod emulator_lifecycle;
mod emulator_server;
mod emulator_tokens;
mod limits;
mod poller;
mod properties;
mod secrets;
mod tls_options;
mod token_cache;
mod transport;
