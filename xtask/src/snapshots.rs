//! `cargo xtask snapshots [--check]`: insta snapshot upkeep without cargo-insta.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::cmd::{Cmd, workspace_root};
use crate::{Failure, TEST_COMMAND, check_options, test_args};

/// The variable insta appends the path of every snapshot file a test touched to
/// (`insta::env::memoize_snapshot_file`; cargo-insta finds unreferenced snapshots with it).
const REFERENCES_VAR: &str = "INSTA_SNAPSHOT_REFERENCES_FILE";

/// Runs `cargo xtask snapshots [--check]`.
pub fn run(args: &[String]) -> Result<(), Failure> {
    if check_options("snapshots", args, &["--check"])? {
        return Ok(());
    }
    if args.iter().any(|a| a == "--check") {
        check()
    } else {
        update()
    }
}

/// The test command with insta's behaviour variables cleared, so only ours apply.
fn test_command() -> Cmd {
    Cmd::cargo()
        .args(test_args())
        .env_remove("INSTA_FORCE_PASS")
        .env_remove("INSTA_UPDATE")
        .env_remove(REFERENCES_VAR)
}

/// Regenerates every snapshot in place, then lists what changed.
fn update() -> Result<(), Failure> {
    let tested = test_command().env("INSTA_UPDATE", "always").run();
    let status = Cmd::new("git")
        .args([
            "status",
            "--porcelain",
            "--untracked-files=all",
            "--",
            "*.snap",
        ])
        .output()?;
    if status.trim().is_empty() {
        println!("\nno snapshot file changed");
    } else {
        println!(
            "\nsnapshot files that changed or appeared (git status --porcelain); review them:"
        );
        for line in status.lines() {
            println!("  {line}");
        }
    }
    tested.map_err(|f| {
        Failure::new(format!(
            "{}\n(with INSTA_UPDATE=always snapshot assertions pass, so some other test failed)",
            f.message
        ))
    })
}

/// Fails on stale, missing or unreferenced snapshots.
fn check() -> Result<(), Failure> {
    let references = references_file();
    // Insta appends; start from nothing.
    let _ = std::fs::remove_file(&references);
    let tested = test_command()
        .env("INSTA_UPDATE", "no")
        .env(REFERENCES_VAR, &references.to_string_lossy())
        .run();
    let referenced = std::fs::read_to_string(&references).unwrap_or_default();
    let _ = std::fs::remove_file(&references);
    if let Err(failure) = tested {
        return Err(Failure::new(format!(
            "{}\na snapshot is stale or missing, or another test failed; `cargo xtask snapshots` \
             regenerates snapshots (review the diff)",
            failure.message
        )));
    }

    let tracked = Cmd::new("git")
        .args(["ls-files", "-z", "--", "*.snap"])
        .output()?;
    let root = workspace_root();
    let referenced: BTreeSet<PathBuf> = referenced
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| normalize(Path::new(l.trim())))
        .collect();
    let unreferenced = unreferenced(&root, &tracked, &referenced);
    let count = tracked.split('\0').filter(|p| is_snapshot(p)).count();
    if unreferenced.is_empty() {
        println!("\nall {count} tracked snapshot files are up to date and referenced by a test");
        return Ok(());
    }
    let list: Vec<String> = unreferenced.iter().map(|p| format!("  {p}")).collect();
    Err(Failure::new(format!(
        "{} of {count} tracked snapshot files are referenced by no test run by `{TEST_COMMAND}`:\n{}\n\
         delete them (git rm), or fix the test that should use them",
        unreferenced.len(),
        list.join("\n")
    )))
}

/// A fresh path in the temp dir for insta's reference list.
fn references_file() -> PathBuf {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    std::env::temp_dir().join(format!(
        "backup-rs-insta-refs-{}-{nanos}.txt",
        std::process::id()
    ))
}

/// Whether a repo path is a `**/snapshots/*.snap` file.
fn is_snapshot(path: &str) -> bool {
    let path = Path::new(path);
    path.extension().is_some_and(|e| e == "snap")
        && path
            .parent()
            .and_then(Path::file_name)
            .is_some_and(|d| d == "snapshots")
}

/// The tracked snapshot files (from `git ls-files -z`) that are not in `referenced`.
fn unreferenced(root: &Path, ls_files_z: &str, referenced: &BTreeSet<PathBuf>) -> Vec<String> {
    ls_files_z
        .split('\0')
        .filter(|p| is_snapshot(p))
        .filter(|p| !referenced.contains(&normalize(&root.join(p))))
        .map(ToOwned::to_owned)
        .collect()
}

/// The canonical path when it exists, so symlinked checkouts compare equal.
fn normalize(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_snapshot_dirs_count() {
        assert!(is_snapshot("crates/a/tests/snapshots/x__y.snap"));
        assert!(!is_snapshot("crates/a/tests/x__y.snap"));
        assert!(!is_snapshot("crates/a/tests/snapshots/x__y.snap.new"));
        assert!(!is_snapshot(""));
    }

    #[test]
    fn lists_unreferenced_snapshots() {
        let root = Path::new("/nonexistent-root");
        let referenced: BTreeSet<PathBuf> =
            [root.join("a/snapshots/used.snap")].into_iter().collect();
        let ls = "a/snapshots/used.snap\0a/snapshots/old.snap\0a/other.snap\0";
        assert_eq!(
            unreferenced(root, ls, &referenced),
            ["a/snapshots/old.snap"]
        );
    }
}
