//! `cargo xtask fuzz <target> [--seconds N]` and `cargo xtask fuzz --list`: runs one of
//! the cargo-fuzz targets of `fuzz/` for a while, from its committed seeds.
//!
//! The workspace pins a stable toolchain (`rust-toolchain.toml`), but cargo-fuzz builds
//! with `-Zsanitizer=address` and libFuzzer's coverage instrumentation, which only
//! nightly accepts. The targets themselves are plain Rust calling the crates' public
//! decoders, so they need nothing unstable: this command runs cargo-fuzz through
//! `cargo +nightly` (which overrides the pinned toolchain for that one command) and
//! builds `fuzz/` as its own workspace (`fuzz/target`, its own `Cargo.lock`). CI never
//! builds or runs the targets. See docs/fuzzing.md.

use std::path::Path;

use crate::Failure;
use crate::cmd::{Cmd, workspace_root};

/// Seconds a run lasts when `--seconds` is not given.
pub const DEFAULT_SECONDS: u64 = 60;

/// What `cargo xtask fuzz --help` prints.
pub const HELP: &str = "\
cargo xtask fuzz: run a cargo-fuzz target of fuzz/ from its committed seeds

USAGE:
    cargo xtask fuzz <TARGET> [--seconds N] [-- <libFuzzer options>...]
    cargo xtask fuzz --list

OPTIONS:
    --seconds N     stop after N seconds (libFuzzer's -max_total_time; default 60)
    --list          list the targets and what they feed
    -- ...          anything after `--` goes to libFuzzer (e.g. -jobs=1, -max_len=4096)

It runs, from the repository root:
    cargo +nightly fuzz run <TARGET> fuzz/corpus/<TARGET> fuzz/seeds/<TARGET> \\
        -- -max_total_time=N
libFuzzer reads both directories and writes what it finds into the first one,
fuzz/corpus/<TARGET> (git-ignored), so the committed seeds in fuzz/seeds/<TARGET> stay
as they are. A crash is written to fuzz/artifacts/<TARGET>/ (git-ignored); replay it with
`cargo +nightly fuzz run <TARGET> fuzz/artifacts/<TARGET>/<file>` and turn it into a
regression test in the crate.

Toolchains: the workspace pins stable Rust, and CI never builds fuzz/. cargo-fuzz needs
nightly (it builds with -Zsanitizer=address and libFuzzer's instrumentation); the
targets are plain Rust. `cargo +nightly` overrides the pin for this one command only.
Needs: `rustup toolchain install nightly` and `cargo install --locked cargo-fuzz`.
See docs/fuzzing.md.
";

/// A parsed `cargo xtask fuzz` command line.
#[derive(Debug, PartialEq, Eq)]
enum Invocation {
    Help,
    List,
    Run {
        target: String,
        seconds: u64,
        libfuzzer: Vec<String>,
    },
}

fn parse(args: &[String]) -> Result<Invocation, Failure> {
    let (ours, libfuzzer) = match args.iter().position(|a| a == "--") {
        Some(at) => (&args[..at], args[at + 1..].to_vec()),
        None => (args, Vec::new()),
    };
    let mut target = None;
    let mut seconds = DEFAULT_SECONDS;
    let mut list = false;
    let mut rest = ours.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(Invocation::Help),
            "--list" => list = true,
            "--seconds" => {
                let value = rest
                    .next()
                    .ok_or_else(|| Failure::usage("`--seconds` needs a number"))?;
                seconds = parse_seconds(value)?;
            }
            a if a.starts_with("--seconds=") => {
                seconds = parse_seconds(&a["--seconds=".len()..])?;
            }
            a if a.starts_with('-') => {
                return Err(Failure::usage(format!("`fuzz` does not take `{a}`")));
            }
            a if target.is_none() => target = Some(a.to_owned()),
            a => {
                return Err(Failure::usage(format!(
                    "`fuzz` takes one target, not `{a}` too"
                )));
            }
        }
    }
    if list {
        return Ok(Invocation::List);
    }
    let target = target.ok_or_else(|| {
        Failure::usage("`fuzz` needs a target (`cargo xtask fuzz --list` lists them)")
    })?;
    if !target_names().contains(&target) {
        return Err(Failure::usage(format!(
            "unknown fuzz target `{target}`; the targets: {}",
            target_names().join(", ")
        )));
    }
    Ok(Invocation::Run {
        target,
        seconds,
        libfuzzer,
    })
}

fn parse_seconds(value: &str) -> Result<u64, Failure> {
    match value.parse::<u64>() {
        Ok(seconds) if seconds > 0 => Ok(seconds),
        _ => Err(Failure::usage(format!(
            "`--seconds` takes a positive whole number, not `{value}`"
        ))),
    }
}

/// The fuzz targets, as `fuzz/Cargo.toml` declares them.
fn target_names() -> Vec<String> {
    crate::workspace::fuzz_targets()
        .into_iter()
        .map(|(name, _)| name)
        .collect()
}

/// Runs `cargo xtask fuzz ...`.
pub fn run(args: &[String]) -> Result<(), Failure> {
    match parse(args)? {
        Invocation::Help => {
            print!("{HELP}");
            Ok(())
        }
        Invocation::List => {
            for (name, what) in crate::workspace::fuzz_targets() {
                println!("{name:<18}{what}");
            }
            Ok(())
        }
        Invocation::Run {
            target,
            seconds,
            libfuzzer,
        } => fuzz(&target, seconds, &libfuzzer),
    }
}

/// `cargo +nightly ...` through rustup's `cargo` proxy. `$CARGO` (set by `cargo xtask`)
/// is the pinned toolchain's own cargo, which does not understand `+nightly`, and
/// `RUSTUP_TOOLCHAIN` (set by the proxy that ran us) would pin the child to stable.
fn nightly_cargo() -> Cmd {
    Cmd::new("cargo")
        .env_remove("RUSTUP_TOOLCHAIN")
        .env_remove("CARGO")
        .args(["+nightly"])
}

/// The `cargo +nightly fuzz run` command of `target`.
fn run_command(target: &str, seconds: u64, libfuzzer: &[String]) -> Cmd {
    nightly_cargo()
        .args(["fuzz", "run", "--fuzz-dir", "fuzz", target])
        .args([
            format!("fuzz/corpus/{target}"),
            format!("fuzz/seeds/{target}"),
        ])
        .args(["--".to_owned(), format!("-max_total_time={seconds}")])
        .args(libfuzzer.iter().cloned())
}

fn fuzz(target: &str, seconds: u64, libfuzzer: &[String]) -> Result<(), Failure> {
    let root = workspace_root();
    if !nightly_cargo().args(["--version"]).succeeds_quietly() {
        return Err(Failure::new(
            "no nightly toolchain: cargo-fuzz needs one (`rustup toolchain install nightly`); \
             the workspace itself stays on its pinned stable toolchain",
        ));
    }
    if !nightly_cargo()
        .args(["fuzz", "--version"])
        .succeeds_quietly()
    {
        return Err(Failure::new(
            "cargo-fuzz is not installed: `cargo install --locked cargo-fuzz`",
        ));
    }
    let seeds = root.join("fuzz/seeds").join(target);
    if !seeds.is_dir() {
        return Err(Failure::new(format!(
            "no seed directory {}",
            seeds.display()
        )));
    }
    let corpus = root.join("fuzz/corpus").join(target);
    std::fs::create_dir_all(&corpus)
        .map_err(|e| Failure::new(format!("cannot create {}: {e}", corpus.display())))?;
    println!(
        "fuzzing {target} for {seconds} s: seeds {}, new inputs go to {}",
        relative(&root, &seeds),
        relative(&root, &corpus)
    );
    run_command(target, seconds, libfuzzer).run()
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<String> {
        v.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn command_lines_parse() {
        assert_eq!(parse(&args(&["--list"])).unwrap(), Invocation::List);
        assert_eq!(parse(&args(&["--help"])).unwrap(), Invocation::Help);
        assert_eq!(
            parse(&args(&[
                "huawei_decode",
                "--seconds",
                "300",
                "--",
                "-jobs=1"
            ]))
            .unwrap(),
            Invocation::Run {
                target: "huawei_decode".to_owned(),
                seconds: 300,
                libfuzzer: args(&["-jobs=1"]),
            }
        );
        assert_eq!(
            parse(&args(&["core_parsers", "--seconds=5"])).unwrap(),
            Invocation::Run {
                target: "core_parsers".to_owned(),
                seconds: 5,
                libfuzzer: Vec::new(),
            }
        );
        assert!(parse(&args(&[])).is_err());
        assert!(parse(&args(&["nope"])).is_err());
        assert!(parse(&args(&["core_parsers", "--seconds", "0"])).is_err());
        assert!(parse(&args(&["core_parsers", "--seconds"])).is_err());
        assert!(parse(&args(&["core_parsers", "veeam_decode"])).is_err());
        assert!(parse(&args(&["core_parsers", "--fast"])).is_err());
    }

    #[test]
    fn the_command_keeps_seeds_and_corpus_apart() {
        let shown = run_command("veeam_decode", 300, &args(&["-jobs=1"])).display();
        assert_eq!(
            shown,
            "cargo +nightly fuzz run --fuzz-dir fuzz veeam_decode fuzz/corpus/veeam_decode \
             fuzz/seeds/veeam_decode -- -max_total_time=300 -jobs=1"
        );
    }

    /// Every listed target is a `[[bin]]` of fuzz/Cargo.toml with its source and seeds,
    /// and every `[[bin]]` is listed.
    #[test]
    fn targets_match_the_fuzz_crate() {
        let root = workspace_root();
        let manifest = std::fs::read_to_string(root.join("fuzz/Cargo.toml")).unwrap();
        let bins: Vec<&str> = manifest
            .lines()
            .filter_map(|line| line.trim().strip_prefix("name = \""))
            .filter_map(|rest| rest.strip_suffix('"'))
            .filter(|name| *name != "backup-rs-fuzz")
            .collect();
        assert_eq!(bins, target_names());
        for name in target_names() {
            assert!(
                root.join(format!("fuzz/fuzz_targets/{name}.rs")).is_file(),
                "{name}"
            );
            let seeds = std::fs::read_dir(root.join(format!("fuzz/seeds/{name}"))).unwrap();
            assert!(seeds.count() > 0, "{name} has no seeds");
        }
    }

    #[test]
    fn help_names_the_command_and_the_toolchain() {
        assert!(HELP.contains("cargo +nightly fuzz run"));
        assert!(HELP.contains("-max_total_time"));
        assert!(HELP.contains("docs/fuzzing.md"));
    }
}
