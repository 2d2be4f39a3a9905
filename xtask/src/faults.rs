//! `cargo xtask faults [--release]`: the fault matrix of issue 10.
//!
//! Runs the `backup-faults` binary (`cargo run -p backup-faults`), which puts every
//! vendor through every fault on its emulator and prints the table (fault x vendor ->
//! outcome, backups the emulator started, PASS/FAIL). The table goes straight through;
//! a failing cell makes the binary, and so this command, exit non-zero.

use crate::cmd::Cmd;
use crate::{Failure, check_options};

/// The cargo arguments that run the matrix.
pub fn cargo_args(release: bool) -> Vec<&'static str> {
    let mut args = vec!["run", "-p", "backup-faults"];
    if release {
        args.push("--release");
    }
    args
}

/// Runs `cargo xtask faults`.
pub fn run(args: &[String]) -> Result<(), Failure> {
    if check_options("faults", args, &["--release"])? {
        return Ok(());
    }
    let release = args.iter().any(|a| a == "--release");
    Cmd::cargo()
        .args(cargo_args(release))
        .run()
        .map_err(|_| Failure::new("the fault matrix has failing cells (see FAIL above)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_the_backup_faults_binary() {
        assert_eq!(cargo_args(false), ["run", "-p", "backup-faults"]);
        assert_eq!(cargo_args(true).last(), Some(&"--release"));
    }
}
