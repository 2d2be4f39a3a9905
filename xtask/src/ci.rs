//! `cargo xtask ci`: every check CI runs, in order, stopping at the first failure.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use crate::cmd::{Cmd, workspace_root};
use crate::workspace::vendor_crates;
use crate::{Failure, check_options, test_args};

/// Installed when `cargo deny` is missing; `deny.toml` is written for this version.
pub const CARGO_DENY_VERSION: &str = "0.20.2";

/// Runs `cargo xtask ci`.
pub fn run(args: &[String]) -> Result<(), Failure> {
    if check_options("ci", args, &[])? {
        return Ok(());
    }
    let mut ci = Ci::default();

    ci.step("fmt", || {
        Cmd::cargo().args(["fmt", "--all", "--", "--check"]).run()
    })?;
    ci.step("tidy", || crate::tidy::run(&[]))?;
    ci.step("clippy", || {
        Cmd::cargo()
            .args(["clippy", "--workspace", "--all-targets", "--all-features"])
            .args(["--", "-D", "warnings"])
            .run()
    })?;
    let mut tally = TestTally::default();
    // The real-client suite first: it makes the Python environment (target/clients-venv)
    // that the Rust tests driving a vendor's own client (boto3) use too.
    ci.step("clients", || real_clients(&mut tally))?;
    let tested = ci.step("test", || {
        // Every test binary runs, whatever fails first: a failure never hides the rest.
        let passed = Cmd::cargo()
            .args(test_args())
            .args(["--no-fail-fast"])
            .run_teeing(|line| tally.add_line(line))?;
        if passed {
            Ok(())
        } else {
            Err(Failure::new(format!(
                "`{}` failed ({})",
                crate::TEST_COMMAND,
                tally.summary()
            )))
        }
    });
    if tested.is_err() {
        println!("{}", tally.summary());
    }
    tested?;
    ci.step("doc", || {
        // As docs.rs builds them (`--cfg docsrs`: each feature-gated item says which
        // feature it needs), warnings denied. `doc_cfg` is a nightly feature on the
        // pinned stable toolchain: RUSTC_BOOTSTRAP lets rustdoc use it for this build.
        Cmd::cargo()
            .args(["doc", "--workspace", "--no-deps", "--all-features"])
            .env("RUSTDOCFLAGS", "-D warnings --cfg docsrs")
            .env("RUSTC_BOOTSTRAP", "1")
            .run()
    })?;
    ci.step("deny", cargo_deny)?;
    ci.step("features", backup_all_features)?;
    ci.step("package", package)?;
    // A smoke test of the benchmarks: they build and run end to end. CI does not judge
    // timings (a shared runner is too noisy for that); the figures are in
    // target/bench/report.json and docs/performance.md says how to read them.
    ci.step("bench", || {
        crate::bench::run(&["--quick".to_owned(), "--debug".to_owned()])
    })?;

    ci.print_times();
    println!("xtask ci: all {} steps passed", ci.times.len());
    // Last line on purpose: the plain 'N passed, N failed' form any CI log reader knows.
    println!("{}", tally.summary());
    Ok(())
}

#[derive(Default)]
struct Ci {
    times: Vec<(&'static str, Duration)>,
}

impl Ci {
    fn step(
        &mut self,
        name: &'static str,
        body: impl FnOnce() -> Result<(), Failure>,
    ) -> Result<(), Failure> {
        println!("\n==> xtask ci: step `{name}`");
        let start = Instant::now();
        let result = body();
        self.times.push((name, start.elapsed()));
        match result {
            Ok(()) => {
                println!("==> step `{name}` passed");
                Ok(())
            }
            Err(failure) => {
                self.print_times();
                Err(Failure::new(format!(
                    "xtask ci: step `{name}` failed: {}",
                    failure.message
                )))
            }
        }
    }

    fn print_times(&self) {
        println!("\n==> xtask ci: step times");
        for (name, took) in &self.times {
            println!("    {name:<10} {:>7.1}s", took.as_secs_f64());
        }
    }
}

/// Every publishable crate packaged as crates.io would get it, in dependency order (the
/// workspace's packages stand in for the registry for each other), each built from its
/// package alone: a file a crate needs outside its directory, a path dependency without
/// a version or a missing README fails here. The crates with `publish = false` are left
/// out. Needs the crates registry's index, nothing else. Uncommitted changes are
/// packaged as they are (`--allow-dirty`): what is checked is the packages, not the work
/// tree.
fn package() -> Result<(), Failure> {
    let root = workspace_root();
    let mut manifests = vec![root.join("xtask/Cargo.toml")];
    for entry in std::fs::read_dir(root.join("crates"))
        .map_err(|e| Failure::new(format!("cannot read crates/: {e}")))?
        .flatten()
    {
        manifests.push(entry.path().join("Cargo.toml"));
    }
    let mut excluded = Vec::new();
    for manifest in manifests {
        let Ok(text) = std::fs::read_to_string(&manifest) else {
            continue;
        };
        if let Some(name) = unpublished(&text) {
            excluded.push(name);
        }
    }
    excluded.sort();
    let mut cmd = Cmd::cargo().args(["package", "--workspace", "--locked", "--allow-dirty"]);
    for name in &excluded {
        cmd = cmd.args(["--exclude", name.as_str()]);
    }
    cmd.run()
}

/// The package name of `manifest` when its `[package]` says `publish = false` (the
/// xtask, the benchmarks, the fault matrix: nothing to package).
fn unpublished(manifest: &str) -> Option<String> {
    let mut in_package = false;
    let mut name = None;
    let mut publish = true;
    for raw in manifest.lines() {
        let line = raw.split('#').next().unwrap_or_default().trim();
        if line.starts_with('[') {
            in_package = line == "[package]";
            continue;
        }
        if !in_package {
            continue;
        }
        if let Some((key, value)) = line.split_once('=') {
            match key.trim() {
                "name" => name = Some(value.trim().trim_matches('"').to_owned()),
                "publish" if value.trim() == "false" => publish = false,
                _ => {}
            }
        }
    }
    if publish { None } else { name }
}

/// The real-client suite: builds `backupctl`, then runs `tests/clients/run.sh` (pytest in
/// its venv, then every `tests/clients/*/curl.sh`), counting its results in `tally`. The
/// script fails when python3 or the venv cannot be made: nothing is skipped.
fn real_clients(tally: &mut TestTally) -> Result<(), Failure> {
    Cmd::cargo().args(["build", "-p", "backup-cli"]).run()?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace_root().join("target"), std::path::PathBuf::from);
    let backupctl = target.join("debug").join("backupctl");
    let passed = Cmd::new("bash")
        .args(["tests/clients/run.sh"])
        .env("BACKUPCTL", &backupctl.to_string_lossy())
        .run_teeing(|line| tally.add_summary_line(line))?;
    if passed {
        Ok(())
    } else {
        Err(Failure::new("tests/clients/run.sh failed".to_owned()))
    }
}

/// `cargo deny check bans licenses sources`, installing cargo-deny first when it is missing.
fn cargo_deny() -> Result<(), Failure> {
    if Cmd::cargo().args(["deny", "--version"]).succeeds_quietly() {
        Cmd::cargo().args(["deny", "--version"]).run()?;
    } else {
        println!("cargo-deny is not installed; installing it (this takes a few minutes)");
        Cmd::cargo()
            .args(["install", "--locked", "cargo-deny"])
            .args(["--version", CARGO_DENY_VERSION])
            .run()?;
    }
    // Advisories need a network database: `cargo deny check advisories` is left to people.
    Cmd::cargo()
        .args(["deny", "check", "bans", "licenses", "sources"])
        .run()
}

/// Builds `backup-all` with each vendor feature alone (the vendors read from the
/// manifests) and checks that it pulls in nothing but `backup-all`'s own dependencies
/// and the vendor crate's: no vendor's feature brings another vendor's crates (azure
/// crates, XML ...).
fn backup_all_features() -> Result<(), Failure> {
    let manifest = workspace_root().join("crates/backup-all/Cargo.toml");
    let text = std::fs::read_to_string(&manifest)
        .map_err(|e| Failure::new(format!("cannot read {}: {e}", manifest.display())))?;
    let declared = declared_features(&text);
    let base = tree(&["-p", "backup-all", "--no-default-features"])?;
    for vendor in vendor_crates()? {
        if !declared.contains(&vendor.vendor) {
            return Err(Failure::new(format!(
                "backup-all declares no feature `{}` for {} (cargo xtask tidy says what else is missing)",
                vendor.vendor, vendor.package
            )));
        }
        let alone = [
            "-p",
            "backup-all",
            "--no-default-features",
            "--features",
            vendor.vendor.as_str(),
        ];
        Cmd::cargo().args(["check"]).args(alone).run()?;
        let with = tree(&alone)?;
        let own = tree(&["-p", vendor.package.as_str()])?;
        let foreign = foreign_crates(&with, &base, &own);
        if !foreign.is_empty() {
            return Err(Failure::new(format!(
                "backup-all with only the `{}` feature pulls in {foreign:?}, which neither \
                 backup-all nor {} needs (see `cargo tree -p backup-all --no-default-features \
                 --features {} -e normal -i <crate>`)",
                vendor.vendor, vendor.package, vendor.vendor
            )));
        }
        println!(
            "ok: `{}` pulls in only backup-all's and {}'s own dependencies",
            vendor.vendor, vendor.package
        );
    }
    Ok(())
}

/// The packages (`name version`) of the normal dependency tree of `args`.
fn tree(args: &[&str]) -> Result<BTreeSet<String>, Failure> {
    let output = Cmd::cargo()
        .args(["tree"])
        .args(args.iter().copied())
        .args(["-e", "normal", "--prefix", "none"])
        .output()?;
    Ok(packages(&output))
}

/// The `name version` pairs of `cargo tree --prefix none` output.
fn packages(tree: &str) -> BTreeSet<String> {
    tree.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            Some(format!("{} {}", words.next()?, words.next()?))
        })
        .collect()
}

/// What `with` holds beyond `base` and `own`, by crate name (the facade itself and the
/// vendor crate excluded).
fn foreign_crates(
    with: &BTreeSet<String>,
    base: &BTreeSet<String>,
    own: &BTreeSet<String>,
) -> Vec<String> {
    with.iter()
        .filter(|p| !base.contains(*p) && !own.contains(*p))
        .map(|p| p.split_whitespace().next().unwrap_or_default().to_owned())
        .collect()
}

/// The feature names a Cargo.toml declares in its `[features]` table.
///
/// A small line-based reader, enough for the manifests of this workspace: keys of the
/// `[features]` table, bare or quoted, with arrays that may span lines.
pub fn declared_features(manifest: &str) -> BTreeSet<String> {
    let mut in_features = false;
    let mut features = BTreeSet::new();
    for raw in manifest.lines() {
        // Feature names and values hold no `#`, so anything after one is a comment.
        let line = raw.split('#').next().unwrap_or_default().trim();
        if line.starts_with('[')
            && !line.starts_with("[[")
            && line.ends_with(']')
            && !line.contains('"')
        {
            in_features = line == "[features]";
            continue;
        }
        if line.starts_with("[[") {
            in_features = false;
            continue;
        }
        if !in_features {
            continue;
        }
        // Array items never contain `=`, so a line with one starts a new key.
        if let Some((key, _)) = line.split_once('=') {
            let key = key.trim().trim_matches(|c| c == '"' || c == '\'');
            if !key.is_empty() {
                features.insert(key.to_owned());
            }
        }
    }
    features
}

/// Totals of the `test result:` lines of libtest.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TestTally {
    passed: u64,
    failed: u64,
    ignored: u64,
}

impl TestTally {
    /// Adds the counts of a `test result: ok. 3 passed; 0 failed; 1 ignored; ...` line.
    pub fn add_line(&mut self, line: &str) {
        let Some(rest) = line.trim().strip_prefix("test result: ") else {
            return;
        };
        let words: Vec<&str> = rest.split_whitespace().collect();
        for pair in words.windows(2) {
            let Ok(n) = pair[0].parse::<u64>() else {
                continue;
            };
            match pair[1].trim_end_matches([';', ',', '.']) {
                "passed" => self.passed += n,
                "failed" => self.failed += n,
                "ignored" => self.ignored += n,
                _ => {}
            }
        }
    }

    /// Adds the counts of a closing line of the real-client suite: pytest's
    /// `==== 3 passed, 1 failed, 2 skipped in 1.20s ====` or `curl: 1 passed, 0 failed`.
    pub fn add_summary_line(&mut self, line: &str) {
        let line = line.trim();
        let closing = (line.starts_with("==") && line.ends_with("==") && line.contains(" in "))
            || line.starts_with("curl: ");
        if !closing {
            return;
        }
        let words: Vec<&str> = line
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|w| !w.is_empty())
            .collect();
        for pair in words.windows(2) {
            let Ok(n) = pair[0].parse::<u64>() else {
                continue;
            };
            match pair[1] {
                "passed" => self.passed += n,
                "failed" | "error" | "errors" => self.failed += n,
                "skipped" => self.ignored += n,
                _ => {}
            }
        }
    }

    /// `tests: N passed, N failed, N skipped`, one line.
    pub fn summary(&self) -> String {
        format!(
            "tests: {} passed, {} failed, {} skipped",
            self.passed, self.failed, self.ignored
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unpublished_crates_are_those_that_say_so() {
        let manifest = "[package]\nname = \"xtask\"\npublish = false\n\n[dependencies]\n";
        assert_eq!(unpublished(manifest).as_deref(), Some("xtask"));
        let manifest =
            "[package]\nname = \"backup-core\" # the core\n\n[features]\npublish = false\n";
        assert_eq!(unpublished(manifest), None);
    }

    #[test]
    fn reads_feature_names() {
        let manifest = r#"
[package]
name = "backup-all"
default = "not a feature"

[features]
default = ["alpha", "bravo"] # the usual two
alpha = ["dep:backup-alpha"]
"charlie-delta" = [
    "dep:backup-charlie-delta",
    "backup-charlie-delta?/emulator",
]
echo = ["dep:backup-echo"]
# foxtrot = ["dep:backup-foxtrot"]

[dependencies]
foxtrot = { package = "backup-foxtrot", optional = true }

[target."cfg(unix)".dependencies]
x = "1"
"#;
        let got = declared_features(manifest);
        let want: BTreeSet<String> = ["default", "alpha", "charlie-delta", "echo"]
            .into_iter()
            .map(String::from)
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn foreign_crates_are_those_of_neither_side() {
        let base = packages("backup-all v0.1.0 (/w)\nserde v1.0.0\n");
        let own = packages("backup-yandex v0.1.0 (/w)\nserde v1.0.0\njsonwebtoken v10.0.0\n");
        let with = packages(
            "backup-all v0.1.0 (/w)\nbackup-yandex v0.1.0 (/w)\nserde v1.0.0 (*)\njsonwebtoken v10.0.0\nquick-xml v0.38.4\n",
        );
        assert_eq!(foreign_crates(&with, &base, &own), ["quick-xml"]);
        assert!(foreign_crates(&own, &base, &own).is_empty());
    }

    #[test]
    fn tallies_libtest_results() {
        let mut tally = TestTally::default();
        tally.add_line("test result: ok. 12 passed; 0 failed; 2 ignored; 0 measured; 0 filtered out; finished in 0.01s\n");
        tally.add_line("test result: FAILED. 3 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 1.00s");
        tally.add_line("running 5 tests");
        tally.add_line("test a::b ... ok");
        assert_eq!(
            tally,
            TestTally {
                passed: 15,
                failed: 1,
                ignored: 2
            }
        );
        assert_eq!(tally.summary(), "tests: 15 passed, 1 failed, 2 skipped");
    }

    #[test]
    fn tallies_the_real_client_suite() {
        let mut tally = TestTally::default();
        tally.add_summary_line(
            "============ 3 passed, 1 failed, 2 skipped, 1 error in 13.14s ============\n",
        );
        tally.add_summary_line("curl: 4 passed, 1 failed");
        tally.add_summary_line("harness/test_emulate.py ... 3 passed");
        tally.add_summary_line(
            "=========================== short test summary info ============================",
        );
        assert_eq!(
            tally,
            TestTally {
                passed: 7,
                failed: 3,
                ignored: 2
            }
        );
    }
}
