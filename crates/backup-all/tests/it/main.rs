//! The integration tests of backup-all, in one binary.

mod any_client;
mod journal;
