//! `cargo xtask bench [--quick] [--no-builds] [--footprint-only] [--debug] [--peers]`:
//! the benchmarks of issues 9 and 20.
//!
//! 1. Footprint (scenario 4), run here because it runs cargo: for each vendor crate
//!    alone and for `backup-all` with `full`, the crates of the normal dependency tree
//!    (`cargo tree -e normal --prefix none`), the crates a vendor crate pulls in that
//!    another vendor crate chose ([`foreign_crates`]; the vendor crates are read from the
//!    manifests), and (full mode only) the clean release build time, each in its own
//!    `--target-dir` under `target/bench-footprint/` so that the shared target
//!    directory is never wiped.
//! 2. Scenarios 1 to 3: builds and runs the `backup-bench` binary in release mode,
//!    which prints their tables and writes `target/bench/report.json` with every
//!    figure, the footprint included.
//! 3. `--peers`: makes the virtual environment `target/bench-peers-venv` from
//!    `crates/backup-bench/peers/requirements.txt` (again when that file changed),
//!    builds `backupctl` too, and has the bench run scenario 5 (the official Python
//!    SDKs against the same emulator).

use std::collections::{BTreeMap, BTreeSet};
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
    /// Crates another vendor crate chose that it pulls in without depending on them
    /// itself ([`foreign_crates`]).
    pub foreign: Vec<Foreign>,
    /// Seconds of a clean release build, when measured.
    pub build_seconds: Option<f64>,
}

/// Runs `cargo xtask bench`.
pub fn run(args: &[String]) -> Result<(), Failure> {
    if check_options(
        "bench",
        args,
        &[
            "--quick",
            "--no-builds",
            "--footprint-only",
            "--debug",
            "--peers",
        ],
    )? {
        return Ok(());
    }
    let quick = args.iter().any(|a| a == "--quick");
    let builds = !quick && !args.iter().any(|a| a == "--no-builds");
    let footprint_only = args.iter().any(|a| a == "--footprint-only");
    // `--debug` (CI's smoke test) reuses the test build instead of a release build:
    // its figures mean nothing, it only proves the benchmarks run end to end.
    let debug = args.iter().any(|a| a == "--debug");
    let with_peers = args.iter().any(|a| a == "--peers");
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
    let python = if with_peers {
        Some(peers_venv(&target)?)
    } else {
        None
    };
    let mut build = Cmd::cargo().args(build_args.iter().copied());
    if with_peers {
        build = build.args(["-p", "backup-cli"]);
    }
    build.run()?;
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
    if let Some(python) = &python {
        let backupctl = target.join(profile_dir).join("backupctl");
        bench = bench.args([
            "--peers",
            &python.to_string_lossy(),
            "--backupctl",
            &backupctl.to_string_lossy(),
        ]);
    }
    let started = Instant::now();
    bench.run()?;
    println!(
        "xtask bench: backup-bench (scenarios 1-3, 6, and 5 with --peers) took {:.1}s; every figure is in {}",
        started.elapsed().as_secs_f64(),
        report.display()
    );
    Ok(())
}

/// The peers' virtual environment, `target/bench-peers-venv`, made from
/// `crates/backup-bench/peers/requirements.txt` (every package pinned) unless it was
/// made from the same file already; its Python.
fn peers_venv(target: &Path) -> Result<PathBuf, Failure> {
    let requirements = workspace_root().join("crates/backup-bench/peers/requirements.txt");
    let wanted = std::fs::read_to_string(&requirements)
        .map_err(|e| Failure::new(format!("cannot read {}: {e}", requirements.display())))?;
    let venv = target.join("bench-peers-venv");
    let python = venv.join("bin/python");
    let stamp = venv.join("requirements.txt");
    if python.exists() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(&*wanted) {
        return Ok(python);
    }
    Cmd::new("python3")
        .args(["-m", "venv", &venv.to_string_lossy()])
        .run()?;
    Cmd::new(&python.to_string_lossy())
        .args(["-m", "pip", "install", "--quiet", "--requirement"])
        .args([requirements.to_string_lossy()])
        .run()?;
    std::fs::write(&stamp, wanted)
        .map_err(|e| Failure::new(format!("cannot write {}: {e}", stamp.display())))?;
    Ok(python)
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

/// The output of `cargo tree -e normal --prefix <prefix>` for `select`.
fn cargo_tree(select: &[&str], prefix: &str) -> Result<String, Failure> {
    Cmd::cargo()
        .args(["tree", "-e", "normal", "--prefix", prefix])
        .args(select.iter().copied())
        .output()
}

fn footprint(builds: bool) -> Result<Vec<Footprint>, Failure> {
    // Each vendor crate alone (read from the manifests), then the facade with all.
    let vendor_packages: Vec<String> = crate::workspace::vendor_crates()?
        .into_iter()
        .map(|v| v.package)
        .collect();
    let core: BTreeSet<String> = tree_crates(&cargo_tree(&["-p", "backup-core"], "none")?)
        .into_iter()
        .collect();
    let mut vendors = Vec::new();
    for package in &vendor_packages {
        let tree = cargo_tree(&["-p", package.as_str()], "depth")?;
        vendors.push(VendorTree::parse(package, &tree));
    }
    let mut packages: Vec<(String, Option<&'static str>)> =
        vendor_packages.into_iter().map(|p| (p, None)).collect();
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
        let crates = tree_crates(&cargo_tree(&select, "none")?);
        let build_seconds = if builds {
            Some(clean_build(&package, &select)?)
        } else {
            None
        };
        let foreign = foreign_crates(&package, &vendors, &core);
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

/// A vendor crate's normal dependency tree, as `name version` pairs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VendorTree {
    /// The package.
    pub package: String,
    /// Every crate of its tree (itself included).
    pub crates: BTreeSet<String>,
    /// The crates it depends on directly.
    pub direct: BTreeSet<String>,
    /// For every other crate, the name of the direct dependency it first comes through.
    pub via: BTreeMap<String, String>,
}

impl VendorTree {
    /// The tree of `package` from `cargo tree --prefix depth` output (`0name v1`,
    /// `1dep v2` ...).
    #[must_use]
    pub fn parse(package: &str, tree: &str) -> Self {
        let mut parsed = Self {
            package: package.to_owned(),
            ..Self::default()
        };
        let mut through = String::new();
        for line in tree.lines() {
            let digits = line.bytes().take_while(u8::is_ascii_digit).count();
            let (Ok(depth), Some(krate)) = (
                line[..digits].parse::<usize>(),
                tree_crates(&line[digits..]).pop(),
            ) else {
                continue;
            };
            match depth {
                0 => {}
                1 => {
                    through = krate
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_owned();
                    parsed.direct.insert(krate.clone());
                }
                _ => {
                    parsed
                        .via
                        .entry(krate.clone())
                        .or_insert_with(|| through.clone());
                }
            }
            parsed.crates.insert(krate);
        }
        parsed
    }
}

/// A crate that another vendor crate chose, in a vendor crate's tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Foreign {
    /// The crate (`name version`).
    pub krate: String,
    /// The vendor crates that depend on it directly.
    pub chosen_by: Vec<String>,
    /// The direct dependency of the crate measured it comes through.
    pub via: String,
}

impl std::fmt::Display for Foreign {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} (chosen by {}; via {})",
            self.krate,
            self.chosen_by.join(", "),
            self.via
        )
    }
}

/// The crates (same name and version) `package` pulls in that another vendor crate
/// chose: a crate is a vendor crate's choice when it depends on it directly and
/// backup-core's tree (`core`) does not hold it (Azure's SDK crates, Commvault's XML
/// reader, Yandex's JWT signer ...). A crate `package` depends on directly is its own
/// choice too, and is not counted. Each comes with the direct dependency of `package`
/// that pulls it, to judge it by. Empty for a package that is not a vendor crate
/// (backup-all uses every vendor's crates).
#[must_use]
pub fn foreign_crates(
    package: &str,
    vendors: &[VendorTree],
    core: &BTreeSet<String>,
) -> Vec<Foreign> {
    let Some(own) = vendors.iter().find(|v| v.package == package) else {
        return Vec::new();
    };
    let mut foreign: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for other in vendors.iter().filter(|v| v.package != package) {
        for krate in &other.direct {
            let pulled = own.crates.contains(krate) && !own.direct.contains(krate);
            if pulled && !core.contains(krate) {
                foreign
                    .entry(krate.as_str())
                    .or_default()
                    .push(other.package.clone());
            }
        }
    }
    foreign
        .into_iter()
        .map(|(krate, chosen_by)| Foreign {
            krate: krate.to_owned(),
            chosen_by,
            via: own.via.get(krate).cloned().unwrap_or_default(),
        })
        .collect()
}

fn footprint_table(footprints: &[Footprint], why_no_builds: &str) -> String {
    let mut out = String::from(
        "Scenario 4: footprint (normal dependency tree; clean release build)\n\
         crate                        dependencies  clean release build    crates another vendor crate chose\n",
    );
    for f in footprints {
        let name = match f.features {
            Some(features) => format!("{} ({features})", f.package),
            None => f.package.clone(),
        };
        let foreign = if f.foreign.is_empty() {
            "none".to_owned()
        } else {
            f.foreign
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let build = f
            .build_seconds
            .map_or_else(|| why_no_builds.to_owned(), |s| format!("{s:.1} s"));
        let _ = writeln!(
            out,
            "{name:<28} {:>12}  {build:<21}  {foreign}",
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
            let foreign: Vec<String> = f
                .foreign
                .iter()
                .map(|c| {
                    let by: Vec<String> = c.chosen_by.iter().map(|p| quote(p)).collect();
                    format!(
                        "{{\"crate\": {}, \"chosen_by\": [{}], \"via\": {}}}",
                        quote(&c.krate),
                        by.join(", "),
                        quote(&c.via)
                    )
                })
                .collect();
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

    const TREE: &str = "backup-alpha v0.1.0 (/w/crates/backup-alpha)\nbackup-core v0.1.0 (/w/crates/backup-core)\nserde v1.0.0\nserde v1.0.0 (*)\nxml-reader v0.38.4\nbeta_sdk v1.1.0\n";

    #[test]
    fn counts_distinct_crates() {
        let crates = tree_crates(TREE);
        assert_eq!(crates.len(), 5);
        assert!(crates.contains(&"serde v1.0.0".to_owned()));
    }

    /// A vendor crate's tree: its `direct` dependencies, and `indirect` ones as
    /// `(name, parent)` under their direct parent, each with a helper crate below it.
    fn vendor(package: &str, direct: &[&str], indirect: &[(&str, &str)]) -> VendorTree {
        let mut tree = format!("0{package} v0.1.0 (/w)\n1backup-core v0.1.0 (/w)\n2serde v1.0.0\n");
        for dep in direct {
            let _ = writeln!(tree, "1{dep} v1.0.0");
            for (name, _) in indirect.iter().filter(|(_, parent)| parent == dep) {
                let _ = writeln!(tree, "2{name} v1.0.0\n3{name}-helper v1.0.0 (*)");
            }
        }
        VendorTree::parse(package, &tree)
    }

    #[test]
    fn parses_a_depth_tree() {
        let tree = vendor(
            "backup-alpha",
            &["tiny", "beta_sdk"],
            &[("beta_core", "beta_sdk")],
        );
        assert!(tree.direct.contains("tiny v1.0.0"), "{tree:?}");
        assert!(!tree.direct.contains("serde v1.0.0"), "{tree:?}");
        assert!(tree.crates.contains("beta_core-helper v1.0.0"), "{tree:?}");
        assert_eq!(tree.via["beta_core v1.0.0"], "beta_sdk");
        assert_eq!(tree.via["serde v1.0.0"], "backup-core");
    }

    #[test]
    fn foreign_crates_are_other_vendors_choices() {
        let core: BTreeSet<String> = ["backup-core v0.1.0", "serde v1.0.0"]
            .iter()
            .map(|c| (*c).to_owned())
            .collect();
        let vendors = [
            // Alpha pulls beta's SDK through a crate of its own: foreign.
            vendor("backup-alpha", &["tiny"], &[("beta_sdk", "tiny")]),
            vendor("backup-beta", &["beta_sdk"], &[("beta_core", "beta_sdk")]),
            // Gamma and delta both chose the XML reader: each its own choice.
            vendor("backup-gamma", &["xml-reader"], &[]),
            vendor("backup-delta", &["xml-reader", "beta_core"], &[]),
        ];
        let foreign = |package| foreign_crates(package, &vendors, &core);
        let alpha = foreign("backup-alpha");
        assert_eq!(
            alpha,
            [Foreign {
                krate: "beta_sdk v1.0.0".to_owned(),
                chosen_by: vec!["backup-beta".to_owned()],
                via: "tiny".to_owned(),
            }]
        );
        assert_eq!(
            alpha[0].to_string(),
            "beta_sdk v1.0.0 (chosen by backup-beta; via tiny)"
        );
        // beta_core is delta's choice; beta pulls it through its own SDK.
        assert_eq!(foreign("backup-beta")[0].chosen_by, ["backup-delta"]);
        assert_eq!(foreign("backup-beta")[0].via, "beta_sdk");
        assert!(foreign("backup-gamma").is_empty());
        assert!(foreign("backup-delta").is_empty());
        // Not a vendor crate: the facade uses every vendor's crates.
        assert!(foreign("backup-all").is_empty());
    }

    #[test]
    fn footprint_is_json_shaped() {
        let rows = [Footprint {
            package: "backup-alpha".to_owned(),
            features: None,
            dependencies: 120,
            foreign: Vec::new(),
            build_seconds: Some(61.25),
        }];
        let json = footprint_json(&rows, true, "skipped");
        assert!(json.contains("\"crate\": \"backup-alpha\""), "{json}");
        let rows = [Footprint {
            foreign: vec![Foreign {
                krate: "beta_sdk v1.0.0".to_owned(),
                chosen_by: vec!["backup-beta".to_owned()],
                via: "tiny".to_owned(),
            }],
            ..rows[0].clone()
        }];
        let json = footprint_json(&rows, true, "skipped");
        assert!(
            json.contains(
                "{\"crate\": \"beta_sdk v1.0.0\", \"chosen_by\": [\"backup-beta\"], \"via\": \"tiny\"}"
            ),
            "{json}"
        );
        assert!(
            footprint_table(&rows, "skipped")
                .contains("beta_sdk v1.0.0 (chosen by backup-beta; via tiny)"),
            "{json}"
        );
        assert!(json.contains("\"clean_release_build_s\": 61.2"), "{json}");
        let table = footprint_table(&rows, "skipped");
        assert!(table.contains("61.2 s"), "{table}");
    }
}
