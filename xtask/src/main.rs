//! `cargo xtask`: the project automation of backup-rs.
//!
//! - `cargo xtask ci` is what `.ci/run` calls: formatting, clippy, the tests, the
//!   real-client suite (tests/clients), the docs, cargo-deny and the per-vendor feature
//!   builds of `backup-all`, in that order.
//! - `cargo xtask snapshots [--check]` regenerates or checks the insta snapshots without
//!   needing `cargo-insta`.
//! - `cargo xtask bench [--quick]` runs the benchmarks (docs/performance.md).
//! - `cargo xtask fuzz <target> [--seconds N]` runs a cargo-fuzz target of `fuzz/` (on
//!   nightly, outside the workspace and CI; see docs/fuzzing.md).
//! - `cargo xtask faults [--release]` runs the fault matrix (crates/backup-faults) and
//!   prints it.
//! - `cargo xtask tidy` checks the repository's rules about vendors (every vendor crate
//!   wired in everywhere, cited tests exist, no vendor list outside the registry).
//!
//! It uses std only, so that it builds in seconds on a fresh machine. Run
//! `cargo xtask help` for the details.

// A command-line tool: printing is its job.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod bench;
mod ci;
mod cmd;
mod faults;
mod fuzz;
mod snapshots;
mod tidy;
mod workspace;

use std::process::ExitCode;

/// The test command, exactly as README.md gives it. `ci` and `snapshots` both run it.
pub const TEST_COMMAND: &str = "cargo test --workspace --all-features";

/// The cargo arguments of [`TEST_COMMAND`] (everything after `cargo`).
pub fn test_args() -> impl Iterator<Item = &'static str> {
    TEST_COMMAND.split_whitespace().skip(1)
}

const USAGE: &str = "\
cargo xtask: project automation for backup-rs

USAGE:
    cargo xtask <SUBCOMMAND> [OPTIONS]

SUBCOMMANDS:
    ci                  Run every CI check, in order, stopping at the first failure
                        (this is what .ci/run calls):
                          1. fmt        cargo fmt --all -- --check
                          2. tidy       cargo xtask tidy (below)
                          3. clippy     cargo clippy --workspace --all-targets --all-features -- -D warnings
                          4. test       cargo test --workspace --all-features --no-fail-fast
                          5. clients    cargo build -p backup-cli, then tests/clients/run.sh: the
                                        vendors' own clients (pytest, in the venv target/clients-venv
                                        made from tests/clients/requirements.txt) and curl against
                                        `backupctl emulate`; fails when python3 or the venv is missing
                          6. doc        RUSTDOCFLAGS='-D warnings' cargo doc --workspace --no-deps --all-features
                          7. deny       cargo deny check bans licenses sources
                                        (installs cargo-deny with `cargo install --locked` if missing;
                                        advisories need a network database: run
                                        `cargo deny check advisories` yourself)
                          8. features   for each vendor crate (crates/*/Cargo.toml with
                                        [package.metadata.backup-rs] vendor = \"<v>\"),
                                        `cargo check -p backup-all --no-default-features --features <v>`;
                                        its `cargo tree` must hold nothing but backup-all's and the
                                        vendor crate's own dependencies (no vendor brings another's
                                        crates: azure_identity, quick-xml ...).
                          9. bench      cargo xtask bench --quick --debug (a smoke test on the test build;
                                        CI does not judge timings)

    tidy                The repository's rules about vendors, as checks: every vendor crate
                        (read from the manifests) has its workspace dependency, its backup-all
                        feature (with emulator and cli), its registry line, a fuzz target, a
                        docs/vendors/ page, a README mention, an emulator implementing
                        VendorEmulator, a cli feature and the shared suites in its one test
                        binary; every test a docs/vendors/ page cites exists; and no file
                        outside the registry names every vendor (a hand-kept vendor list).

    snapshots           Regenerate the insta snapshots without cargo-insta: runs the test
                        command with INSTA_UPDATE=always, then lists the .snap files that
                        changed or appeared (git status). Review them before committing.

    snapshots --check   Fail when a snapshot is stale or unreferenced: runs the test command
                        with INSTA_UPDATE=no (a stale or missing snapshot fails its test), and
                        with INSTA_SNAPSHOT_REFERENCES_FILE set so insta records every snapshot
                        file a test touched; every tracked **/snapshots/*.snap file that no test
                        touched is listed and fails the check (delete it, or fix the test that
                        should use it). Snapshots used only by #[ignore]d tests count as
                        unreferenced. Not part of `ci`: there the plain test step already fails
                        on a stale snapshot, since insta never updates snapshots when CI is set.

    fuzz <TARGET> [--seconds N] [-- <libFuzzer options>]
                        Run a cargo-fuzz target of fuzz/ for N seconds (default 60) from its
                        committed seeds (fuzz/seeds/<TARGET>), new inputs going to the
                        git-ignored fuzz/corpus/<TARGET>:
                          cargo +nightly fuzz run <TARGET> fuzz/corpus/<TARGET> fuzz/seeds/<TARGET> -- -max_total_time=N
                        cargo-fuzz needs nightly (-Zsanitizer); `+nightly` overrides the pinned
                        stable toolchain for that command only, fuzz/ is its own workspace and
                        CI never builds it. See `cargo xtask fuzz --help` and docs/fuzzing.md.

    fuzz --list         List the fuzz targets and what they feed.

    bench [--quick] [--no-builds] [--footprint-only] [--debug]
                        The benchmarks of issue 9 (see docs/performance.md): the footprint of
                        each vendor crate and of backup-all with `full` (cargo tree counts, and
                        clean release build times in target/bench-footprint/, skipped with
                        --quick or --no-builds), then the backup-bench binary in release mode
                        (SDK overhead against raw HTTP, fan-out on the emulators, polls). Prints
                        one table per scenario and writes target/bench/report.json. --quick runs
                        reduced sizes in under a minute after the build; --footprint-only stops
                        after the footprint; --debug uses the debug build (CI smoke test only).

    faults [--release]  The fault matrix of issue 10: runs `cargo run -p backup-faults`
                        (--release: in release mode), which puts every vendor through every
                        fault on its emulator and prints the table fault x vendor -> outcome,
                        backups the emulator started, PASS/FAIL; exits non-zero on any FAIL.

    help                Print this help (also: no subcommand, -h, --help).

The test command is `cargo test --workspace --all-features`.
Cargo is run through $CARGO (set by `cargo xtask`), or `cargo` when unset.
";

/// Why a subcommand failed; printed by `main`.
#[derive(Debug)]
pub struct Failure {
    message: String,
    show_usage: bool,
}

impl Failure {
    /// A failed step or check.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            show_usage: false,
        }
    }

    /// A command line that xtask does not understand.
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            show_usage: true,
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rest = args.get(1..).unwrap_or_default();
    let result = match args.first().map(String::as_str) {
        None | Some("help" | "-h" | "--help") => {
            print!("{USAGE}");
            Ok(())
        }
        Some("ci") => ci::run(rest),
        Some("snapshots") => snapshots::run(rest),
        Some("fuzz") => fuzz::run(rest),
        Some("bench") => bench::run(rest),
        Some("faults") => faults::run(rest),
        Some("tidy") => tidy::run(rest),
        Some(other) => Err(Failure::usage(format!("unknown subcommand `{other}`"))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("\nxtask: error: {}", failure.message);
            if failure.show_usage {
                eprintln!("run `cargo xtask help` for usage");
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// Rejects any option but `--help`/`-h` (which prints usage and returns `Ok(true)`) and the
/// `known` flags; returns `Ok(false)` when the subcommand should go on.
pub fn check_options(subcommand: &str, args: &[String], known: &[&str]) -> Result<bool, Failure> {
    for arg in args {
        match arg.as_str() {
            "-h" | "--help" => {
                print!("{USAGE}");
                return Ok(true);
            }
            a if known.contains(&a) => {}
            other => {
                return Err(Failure::usage(format!(
                    "`{subcommand}` does not take `{other}`"
                )));
            }
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_command_is_cargo_test() {
        assert!(TEST_COMMAND.starts_with("cargo test "));
        assert_eq!(
            test_args().collect::<Vec<_>>(),
            ["test", "--workspace", "--all-features"]
        );
    }

    #[test]
    fn usage_names_the_test_command() {
        assert!(USAGE.contains(TEST_COMMAND));
    }

    #[test]
    fn options_are_checked() {
        let args = |v: &[&str]| v.iter().map(ToString::to_string).collect::<Vec<_>>();
        assert!(!check_options("snapshots", &args(&["--check"]), &["--check"]).unwrap());
        assert!(check_options("snapshots", &args(&["--help"]), &["--check"]).unwrap());
        assert!(check_options("ci", &args(&["--check"]), &[]).is_err());
    }
}
