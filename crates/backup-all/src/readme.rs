//! The documents' Rust snippets, compiled and run as this crate's doctests (`cargo test
//! -p backup-all --all-features --doc`): the workspace README, the user guide and each
//! crate's README (the vendor crates' through the registry). They are here, not in the
//! crates they describe, because this crate can build every vendor with its emulator.
//! Nothing of this module is compiled outside doctests: the packaged crate does not
//! need the files.

/// The workspace README (README.md at the root of the repository).
#[cfg(all(doctest, feature = "full", feature = "emulator"))]
#[doc = include_str!("../../../README.md")]
pub struct WorkspaceReadme;

/// The user guide (docs/guide.md).
#[cfg(all(doctest, feature = "full", feature = "emulator"))]
#[doc = include_str!("../../../docs/guide.md")]
pub struct Guide;

/// This crate's README.
#[cfg(all(doctest, feature = "full", feature = "emulator"))]
#[doc = include_str!("../README.md")]
pub struct FacadeReadme;

/// backup-core's README.
#[cfg(all(doctest, feature = "full", feature = "emulator"))]
#[doc = include_str!("../../backup-core/README.md")]
pub struct CoreReadme;
