//! The integration tests of this crate, in one binary (one module per area).

mod matrix;
