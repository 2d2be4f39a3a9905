//! `cargo xtask bench [--quick] [--no-builds] [--footprint-only]`: the benchmarks of
//! issue 9.
//!
//! 1. Footprint (scenario 4), run here because it runs cargo: for each vendor crate
//!    alone and for `backup-all` with `full`, the crates of the normal dependency tree
//!    (`cargo tree -e normal --prefix none`), whether a crate pulls in an azure or XML
//!    crate it does not use, and (full mode only) the clean release build time, each
//!    in its own `--target-dir` under `target/bench-footprint/` so that the shared
//!    target directory is never wiped.
//! 2. Scenarios 1 to 3: builds and runs the `backup-bench` binary in release mode,
//!    which prints their tables and writes `target/bench/report.json` with every
//!    figure, the footprint included.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::cmd::{Cmd, workspace_root};
use crate::{Failure, check_options};

/// One crate's footprint.
#[derive(Debug, Clone, PartialEq)]
pub struct Footprint {
    /// The package.
    pub package: String,
    /// The features enabled (`full` for backup-all, none for vendor crates).
    pub features: Option<&'static str>,
    /// Crates in the normal dependency tree, the package itself excluded.
    pub dependencies: usize,
    /// Azure or XML crates it pulls in without using them.
    pub foreign: Vec<String>,
    /// Seconds of a clean release build, when measured.
    pub build_seconds: Option<f64>,
}

/// Runs `cargo xtask bench`.
pub fn run(args: &[String]) -> Result<(), Failure> {
    if check_options(
        "bench",
        args,
        &["--quick", "--no-builds", "--footprint-only", "--debug"],
    )? {
        return Ok(());
    }
    let quick = args.iter().any(|a| a == "--quick");
    let builds = !quick && !args.iter().any(|a| a == "--no-builds");
    let footprint_only = args.iter().any(|a| a == "--footprint-only");
    // `--debug` (CI's smoke test) reuses the test build instead of a release build:
    // its figures mean nothing, it only proves the benchmarks run end to end.
    let debug = args.iter().any(|a| a == "--debug");
    let target = target_dir();
    let bench_dir = target.join("bench");
    std::fs::create_dir_all(&bench_dir)
        .map_err(|e| Failure::new(format!("cannot create {}: {e}", bench_dir.display())))?;

    let footprints = footprint(builds)?;
    let why_no_builds = if quick {
        "skipped (--quick)"
    } else {
        "skipped (--no-builds)"
    };
    println!("\n{}", footprint_table(&footprints, why_no_builds));
    // Without builds, a file of its own: the build times of a full run are kept.
    let footprint_path = bench_dir.join(if builds {
        "footprint.json"
    } else {
        "footprint-no-builds.json"
    });
    std::fs::write(
        &footprint_path,
        footprint_json(&footprints, builds, why_no_builds),
    )
    .map_err(|e| Failure::new(format!("cannot write {}: {e}", footprint_path.display())))?;
    if footprint_only {
        println!("footprint written to {}", footprint_path.display());
        return Ok(());
    }

    let (build_args, profile_dir): (&[&str], &str) = if debug {
        (&["build", "-p", "backup-bench"], "debug")
    } else {
        (&["build", "--release", "-p", "backup-bench"], "release")
    };
    Cmd::cargo().args(build_args.iter().copied()).run()?;
    let binary = target.join(profile_dir).join("backup-bench");
    let report = bench_dir.join("report.json");
    let mut bench = Cmd::new(&binary.to_string_lossy()).args([
        "--out",
        &report.to_string_lossy(),
        "--footprint",
        &footprint_path.to_string_lossy(),
    ]);
    if quick {
        bench = bench.args(["--quick"]);
    }
    let started = Instant::now();
    bench.run()?;
    println!(
        "xtask bench: scenarios 1-3 took {:.1}s; every figure is in {}",
        started.elapsed().as_secs_f64(),
        report.display()
    );
    Ok(())
}

/// `$CARGO_TARGET_DIR`, or `target/` in the workspace root.
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if Path::new(&dir).is_absolute() => PathBuf::from(dir),
        Some(dir) => workspace_root().join(dir),
        None => workspace_root().join("target"),
    }
}

/// Whether `backup-all` exists and declares a `full` feature.
fn backup_all_has_full() -> bool {
    let manifest = workspace_root().join("crates/backup-all/Cargo.toml");
    std::fs::read_to_string(manifest)
        .is_ok_and(|text| crate::ci::declared_features(&text).contains("full"))
}

fn footprint(builds: bool) -> Result<Vec<Footprint>, Failure> {
    // Each vendor crate alone (read from the manifests), then the facade with all.
    let mut packages: Vec<(String, Option<&'static str>)> = crate::workspace::vendor_crates()?
        .into_iter()
        .map(|v| (v.package, None))
        .collect();
    if backup_all_has_full() {
        packages.push(("backup-all".to_owned(), Some("full")));
    } else {
        println!("backup-all has no `full` feature (yet): measured without it");
    }
    let mut footprints = Vec::new();
    for (package, features) in packages {
        let mut select = vec!["-p", package.as_str()];
        if let Some(features) = features {
            select.extend(["--features", features]);
        }
        let tree = Cmd::cargo()
            .args(["tree", "-e", "normal", "--prefix", "none"])
            .args(select.iter().copied())
            .output()?;
        let crates = tree_crates(&tree);
        let build_seconds = if builds {
            Some(clean_build(&package, &select)?)
        } else {
            None
        };
        let foreign = foreign_crates(&package, &crates);
        footprints.push(Footprint {
            package,
            features,
            dependencies: crates.len().saturating_sub(1),
            foreign,
            build_seconds,
        });
    }
    Ok(footprints)
}

/// A clean release build of `select` in its own target directory; its wall time.
fn clean_build(package: &str, select: &[&str]) -> Result<f64, Failure> {
    let dir = workspace_root()
        .join("target/bench-footprint")
        .join(package);
    if dir.exists() {
        std::fs::remove_dir_all(&dir)
            .map_err(|e| Failure::new(format!("cannot remove {}: {e}", dir.display())))?;
    }
    let started = Instant::now();
    Cmd::cargo()
        .args(["build", "--release", "--quiet"])
        .args(select.iter().copied())
        .args(["--target-dir", &dir.to_string_lossy()])
        .run()?;
    Ok(started.elapsed().as_secs_f64())
}

/// The distinct `name version` pairs of a `cargo tree --prefix none` output.
pub fn tree_crates(tree: &str) -> Vec<String> {
    let mut crates: Vec<String> = tree
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let name = words.next()?;
            let version = words.next()?;
            Some(format!("{name} {version}"))
        })
        .collect();
    crates.sort();
    crates.dedup();
    crates
}

/// Azure crates in a crate other than backup-azure (or backup-all), XML crates in a
/// crate other than backup-commvault (or backup-all).
pub fn foreign_crates(package: &str, crates: &[String]) -> Vec<String> {
    if package == "backup-all" {
        return Vec::new();
    }
    crates
        .iter()
        .filter_map(|c| c.split_whitespace().next())
        .filter(|name| {
            let azure = name.starts_with("azure");
            let xml = name.contains("xml");
            (azure && package != "backup-azure") || (xml && package != "backup-commvault")
        })
        .map(str::to_owned)
        .collect()
}

fn footprint_table(footprints: &[Footprint], why_no_builds: &str) -> String {
    let mut out = String::from(
        "Scenario 4: footprint (normal dependency tree; clean release build)\n\
         crate                        dependencies  foreign azure/xml crates  clean release build\n",
    );
    for f in footprints {
        let name = match f.features {
            Some(features) => format!("{} ({features})", f.package),
            None => f.package.clone(),
        };
        let foreign = if f.foreign.is_empty() {
            "none".to_owned()
        } else {
            f.foreign.join(", ")
        };
        let build = f
            .build_seconds
            .map_or_else(|| why_no_builds.to_owned(), |s| format!("{s:.1} s"));
        let _ = writeln!(
            out,
            "{name:<28} {:>12}  {foreign:<24}  {build}",
            f.dependencies
        );
    }
    out
}

/// The footprint as JSON (std only: the xtask has no serde).
fn footprint_json(footprints: &[Footprint], builds: bool, why_no_builds: &str) -> String {
    let quote = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    let rows: Vec<String> = footprints
        .iter()
        .map(|f| {
            let foreign: Vec<String> = f.foreign.iter().map(|c| quote(c)).collect();
            format!(
                "{{\"crate\": {}, \"features\": {}, \"dependencies\": {}, \"foreign_crates\": [{}], \"clean_release_build_s\": {}}}",
                quote(&f.package),
                f.features.map_or_else(|| "null".to_owned(), quote),
                f.dependencies,
                foreign.join(", "),
                f.build_seconds
                    .map_or_else(|| "null".to_owned(), |s| format!("{s:.1}")),
            )
        })
        .collect();
    format!(
        "{{\"tree\": \"cargo tree -e normal --prefix none -p <crate>\", \"builds\": {}, \"crates\": [\n  {}\n]}}\n",
        if builds {
            quote(
                "cargo build --release -p <crate> --target-dir target/bench-footprint/<crate> (clean)",
            )
        } else {
            quote(why_no_builds)
        },
        rows.join(",\n  ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const TREE: &str = "backup-yandex v0.1.0 (/w/crates/backup-yandex)\nbackup-core v0.1.0 (/w/crates/backup-core)\nserde v1.0.0\nserde v1.0.0 (*)\nquick-xml v0.38.4\nazure_core v1.1.0\n";

    #[test]
    fn counts_distinct_crates() {
        let crates = tree_crates(TREE);
        assert_eq!(crates.len(), 5);
        assert!(crates.contains(&"serde v1.0.0".to_owned()));
    }

    #[test]
    fn finds_foreign_crates() {
        let crates = tree_crates(TREE);
        assert_eq!(
            foreign_crates("backup-yandex", &crates),
            ["azure_core", "quick-xml"]
        );
        assert_eq!(foreign_crates("backup-commvault", &crates), ["azure_core"]);
        assert_eq!(foreign_crates("backup-azure", &crates), ["quick-xml"]);
        assert!(foreign_crates("backup-all", &crates).is_empty());
    }

    #[test]
    fn footprint_is_json_shaped() {
        let rows = [Footprint {
            package: "backup-veeam".to_owned(),
            features: None,
            dependencies: 120,
            foreign: Vec::new(),
            build_seconds: Some(61.25),
        }];
        let json = footprint_json(&rows, true, "skipped");
        assert!(json.contains("\"crate\": \"backup-veeam\""), "{json}");
        assert!(json.contains("\"clean_release_build_s\": 61.2"), "{json}");
        let table = footprint_table(&rows, "skipped");
        assert!(table.contains("61.2 s"), "{table}");
    }
}
