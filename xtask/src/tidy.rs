//! `cargo xtask tidy`: the repository's rules about vendors, as checks.
//!
//! 1. Every vendor crate is wired in everywhere a vendor must be: the workspace
//!    dependency, its `backup-all` feature (with `emulator` and `cli`), its line in the
//!    registry, a fuzz target, a `docs/vendors/` page, the README, an emulator that
//!    implements `VendorEmulator`, a `cli` feature, and the shared suites called from
//!    its one test binary.
//! 2. Every test a `docs/vendors/` page cites (`module::test_name`) exists.
//! 3. No file outside the registry keeps a list of the vendors: a file that names every
//!    vendor would miss the next one.

use std::collections::BTreeSet;
use std::path::Path;

use crate::cmd::{Cmd, workspace_root};
use crate::workspace::{VendorCrate, vendor_crates};
use crate::{Failure, check_options};

/// Files that may name every vendor: the registry and the manifests that wire it.
const REGISTRY_FILES: [&str; 5] = [
    "crates/backup-all/src/registry.rs",
    "crates/backup-all/Cargo.toml",
    "Cargo.toml",
    "fuzz/Cargo.toml",
    "Cargo.lock",
];

/// The module names under which `docs/vendors/` pages cite the shared suites.
const SUITE_MODULES: [&str; 2] = ["faults", "contract"];

/// Runs `cargo xtask tidy`.
pub fn run(args: &[String]) -> Result<(), Failure> {
    if check_options("tidy", args, &[])? {
        return Ok(());
    }
    let root = workspace_root();
    let vendors = vendor_crates()?;
    if vendors.is_empty() {
        return Err(Failure::new(
            "tidy: no vendor crate found (crates/*/Cargo.toml with [package.metadata.backup-rs] vendor = \"...\")",
        ));
    }
    let read = |path: &str| std::fs::read_to_string(root.join(path)).unwrap_or_default();
    let files = Files {
        workspace_manifest: read("Cargo.toml"),
        facade_manifest: read("crates/backup-all/Cargo.toml"),
        registry: read("crates/backup-all/src/registry.rs"),
        fuzz_manifest: read("fuzz/Cargo.toml"),
        readme: read("README.md"),
        cli_readme: read("crates/backup-cli/README.md"),
        suite: read("crates/backup-core/src/testing/mod.rs"),
    };
    let mut problems = Vec::new();
    for vendor in &vendors {
        problems.extend(wiring(vendor, &files, &root));
        problems.extend(cited_tests(vendor, &files.suite, &root));
    }
    let tracked = Cmd::new("git")
        .args(["ls-files", "--", "*.rs", "*Cargo.toml"])
        .output()?;
    for path in tracked.lines() {
        if REGISTRY_FILES.contains(&path)
            || vendors.iter().any(|v| root.join(path).starts_with(&v.dir))
        {
            continue;
        }
        let text = std::fs::read_to_string(root.join(path)).unwrap_or_default();
        if let Some(problem) = vendor_list(path, &text, &vendors) {
            problems.push(problem);
        }
    }
    let documents = Cmd::new("git").args(["ls-files", "--", "*.md"]).output()?;
    for path in documents.lines() {
        let text = std::fs::read_to_string(root.join(path)).unwrap_or_default();
        problems.extend(unpublished_citation(path, &text));
    }
    if problems.is_empty() {
        println!(
            "tidy: {} vendor crates wired in everywhere, every cited test exists, no vendor list outside the registry, every document cites public sources",
            vendors.len()
        );
        Ok(())
    } else {
        Err(Failure::new(format!(
            "tidy: {} problems:\n  {}",
            problems.len(),
            problems.join("\n  ")
        )))
    }
}

/// The shared files tidy reads.
struct Files {
    workspace_manifest: String,
    facade_manifest: String,
    registry: String,
    fuzz_manifest: String,
    readme: String,
    cli_readme: String,
    suite: String,
}

/// Whether the manifest text holds `needle` once spaces are ignored.
fn holds(text: &str, needle: &str) -> bool {
    let squeeze = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    squeeze(text).contains(&squeeze(needle))
}

/// Everything a vendor crate must be wired into.
fn wiring(v: &VendorCrate, files: &Files, root: &Path) -> Vec<String> {
    let (name, package, ident) = (&v.vendor, &v.package, v.ident());
    let own = |path: &str| std::fs::read_to_string(v.dir.join(path)).unwrap_or_default();
    let manifest = own("Cargo.toml");
    let fuzz_sources: String = std::fs::read_dir(root.join("fuzz/fuzz_targets"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .collect();
    let checks: Vec<(bool, String)> = vec![
        (
            holds(
                &files.workspace_manifest,
                &format!("{package} = {{ path = \"crates/{package}\""),
            ),
            format!(
                "Cargo.toml: [workspace.dependencies] has no `{package} = {{ path = \"crates/{package}\", ... }}`"
            ),
        ),
        (
            holds(
                &files.facade_manifest,
                &format!("{package} = {{ workspace = true, optional = true }}"),
            ),
            format!("crates/backup-all/Cargo.toml: no optional dependency on {package}"),
        ),
        (
            holds(
                &files.facade_manifest,
                &format!("\"{name}\" = [\"dep:{package}\"]"),
            ) || holds(
                &files.facade_manifest,
                &format!("{name} = [\"dep:{package}\"]"),
            ),
            format!("crates/backup-all/Cargo.toml: no feature `{name} = [\"dep:{package}\"]`"),
        ),
        (
            holds(&files.facade_manifest, &format!("\"{package}?/emulator\"")),
            format!(
                "crates/backup-all/Cargo.toml: the `emulator` feature lacks \"{package}?/emulator\""
            ),
        ),
        (
            holds(&files.facade_manifest, &format!("\"{package}?/cli\"")),
            format!("crates/backup-all/Cargo.toml: the `cli` feature lacks \"{package}?/cli\""),
        ),
        (
            full_feature_names(&files.facade_manifest).contains(name.as_str()),
            format!("crates/backup-all/Cargo.toml: the `full` feature lacks \"{name}\""),
        ),
        (
            holds(&files.registry, &format!("= \"{name}\" => {ident} as ")),
            format!(
                "crates/backup-all/src/registry.rs: no registry line `Variant = \"{name}\" => {ident} as <module>;`"
            ),
        ),
        (
            holds(
                &files.fuzz_manifest,
                &format!("{package} = {{ path = \"../crates/{package}\""),
            ),
            format!("fuzz/Cargo.toml: no dependency on {package}"),
        ),
        (
            fuzz_sources.contains(&format!("{ident}::")),
            format!("fuzz/fuzz_targets/: no target feeds {package}'s decoders"),
        ),
        (
            root.join(format!("docs/vendors/{name}.md")).is_file(),
            format!("docs/vendors/{name}.md is missing"),
        ),
        (
            files.readme.contains(package.as_str()),
            format!("README.md does not name {package}"),
        ),
        (
            files.cli_readme.contains(&format!("| `{name}` |")),
            format!(
                "crates/backup-cli/README.md: no row `| `{name}` | ...` in the vendor table (flags and variables)"
            ),
        ),
        (
            crate::ci::declared_features(&manifest).contains("emulator"),
            format!("crates/{package}/Cargo.toml: no `emulator` feature"),
        ),
        (
            crate::ci::declared_features(&manifest).contains("cli"),
            format!(
                "crates/{package}/Cargo.toml: no `cli` feature (clap::Args on TriggerParams and Config)"
            ),
        ),
        (
            rust_sources(&v.dir.join("src")).contains("impl VendorEmulator for"),
            format!("crates/{package}/src: no `impl VendorEmulator for` its emulator"),
        ),
        (
            rust_sources(&v.dir.join("src")).contains("impl BackupClient for"),
            format!("crates/{package}/src: no `impl BackupClient for` its client"),
        ),
        (
            own("tests/it/main.rs").contains("backup_core::vendor_suite!("),
            format!("crates/{package}/tests/it/main.rs: does not call backup_core::vendor_suite!"),
        ),
    ];
    checks
        .into_iter()
        .filter(|(ok, _)| !ok)
        .map(|(_, problem)| problem)
        .collect()
}

/// The names listed by the `full` feature of a manifest.
fn full_feature_names(manifest: &str) -> BTreeSet<&str> {
    let Some(start) = manifest.find("\nfull = [") else {
        return BTreeSet::new();
    };
    let rest = &manifest[start + "\nfull = [".len()..];
    let list = rest.split(']').next().unwrap_or_default();
    list.split(',')
        .map(|item| item.trim().trim_matches('"'))
        .filter(|item| !item.is_empty())
        .collect()
}

/// Every Rust source under `dir`, concatenated.
fn rust_sources(dir: &Path) -> String {
    let mut text = String::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                text.push_str(&std::fs::read_to_string(&path).unwrap_or_default());
            }
        }
    }
    text
}

/// The tests a docs page cites as `` `module::test_name` ``, where `module` is one of
/// `modules`.
fn citations<'a>(page: &'a str, modules: &BTreeSet<String>) -> Vec<(&'a str, &'a str)> {
    page.split('`')
        .skip(1)
        .step_by(2)
        .filter_map(|code| {
            let (module, test) = code.split_once("::")?;
            let plain = |s: &str| {
                !s.is_empty()
                    && s.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            };
            (modules.contains(module) && plain(test)).then_some((module, test))
        })
        .collect()
}

/// Whether `source` defines `fn name`.
fn defines(source: &str, name: &str) -> bool {
    source
        .match_indices(&format!("fn {name}"))
        .any(|(at, found)| {
            source[at + found.len()..]
                .chars()
                .next()
                .is_some_and(|c| c == '(' || c == '<')
        })
}

/// The cited tests of a vendor's docs page that do not exist.
fn cited_tests(v: &VendorCrate, suite: &str, root: &Path) -> Vec<String> {
    let page_path = format!("docs/vendors/{}.md", v.vendor);
    let Ok(page) = std::fs::read_to_string(root.join(&page_path)) else {
        return Vec::new();
    };
    let tests = v.dir.join("tests/it");
    let mut modules: BTreeSet<String> = std::fs::read_dir(&tests)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".rs").map(str::to_owned)
        })
        .filter(|m| m != "main")
        .collect();
    modules.extend(SUITE_MODULES.iter().map(|m| (*m).to_owned()));
    citations(&page, &modules)
        .into_iter()
        .filter(|(module, test)| {
            if SUITE_MODULES.contains(module) {
                // The suites' tests are the names listed in vendor_suite!.
                !suite.contains(&format!("{test} ")) && !suite.contains(&format!("{test},"))
            } else {
                let source =
                    std::fs::read_to_string(tests.join(format!("{module}.rs"))).unwrap_or_default();
                !defines(&source, test)
            }
        })
        .map(|(module, test)| {
            format!(
                "{page_path} cites `{module}::{test}`, which crates/{}/tests/it has no test of",
                v.package
            )
        })
        .collect()
}

/// A problem when the document `text` (the file `path`) cites the vendors' documents by
/// the folder they were handed over in (`shared/vendor-docs/`) or the team's private
/// summary of them (`shared/vendor-notes.md`), neither of which is in the repository:
/// citations point at the public pages.
fn unpublished_citation(path: &str, text: &str) -> Option<String> {
    text.lines().enumerate().find_map(|(index, line)| {
        ["vendor-docs/", "vendor-notes"]
            .into_iter()
            .find(|cited| line.contains(cited))
            .map(|cited| {
                format!(
                    "{path}:{}: cites `{cited}`, which is not in the repository; cite the vendor's public page or SDK source",
                    index + 1
                )
            })
    })
}

/// A problem when `text` (the file `path`) names every vendor: a hand-kept vendor list.
fn vendor_list(path: &str, text: &str, vendors: &[VendorCrate]) -> Option<String> {
    if vendors.len() < 2 {
        return None;
    }
    let named = |v: &VendorCrate| {
        text.contains(&v.package)
            || text.contains(&v.ident())
            || text.contains(&format!("\"{}\"", v.vendor))
    };
    vendors.iter().all(named).then(|| {
        format!(
            "{path} names every vendor ({}): a vendor list outside the registry; take the vendors from backup_all::Vendor (Rust) or the manifests (xtask)",
            vendors
                .iter()
                .map(|v| v.vendor.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn vendor(name: &str) -> VendorCrate {
        VendorCrate {
            vendor: name.to_owned(),
            package: format!("backup-{name}"),
            dir: PathBuf::from(format!("/w/crates/backup-{name}")),
        }
    }

    #[test]
    fn a_file_naming_every_vendor_is_a_list() {
        let vendors = [vendor("azure"), vendor("huawei-csbs")];
        assert!(vendor_list("a.rs", "backup_azure and backup_huawei_csbs", &vendors).is_some());
        assert!(vendor_list("a.rs", r#"["azure", "huawei-csbs"]"#, &vendors).is_some());
        assert!(vendor_list("a.rs", "only backup_azure here", &vendors).is_none());
        assert!(vendor_list("a.rs", "backup_azure", &vendors[..1]).is_none());
    }

    #[test]
    fn citations_name_modules_and_tests() {
        let modules: BTreeSet<String> = ["requests", "faults"]
            .iter()
            .map(|m| (*m).to_owned())
            .collect();
        let page = "see `requests::exact_body`, `faults::slow_poll` and `backup_core::emulator`, `requests::X`";
        assert_eq!(
            citations(page, &modules),
            [("requests", "exact_body"), ("faults", "slow_poll")]
        );
    }

    #[test]
    fn defines_needs_the_whole_name() {
        let source = "async fn exact_body_too() {}\nfn exact(x: u8) {}\nfn generic<T>() {}";
        assert!(!defines(source, "exact_body"));
        assert!(defines(source, "exact"));
        assert!(defines(source, "generic"));
    }

    #[test]
    fn full_lists_its_features() {
        let manifest = "[features]\nfull = [\"azure\", \"huawei-csbs\",\n  \"veeam\"]\n";
        let names = full_feature_names(manifest);
        assert!(
            names.contains("huawei-csbs") && names.contains("veeam"),
            "{names:?}"
        );
    }

    #[test]
    fn citations_of_the_handed_over_folder_are_problems() {
        let problem = unpublished_citation(
            "docs/vendors/x.md",
            "a\nSources: `shared/vendor-docs/x.txt`\n",
        );
        assert!(
            problem
                .unwrap()
                .starts_with("docs/vendors/x.md:2: cites `vendor-docs/`")
        );
        let notes = unpublished_citation(
            "docs/vendors/y.md",
            "a\nb\nthe Yandex section of `../shared/vendor-notes.md`\n",
        );
        assert!(
            notes
                .as_deref()
                .is_some_and(|p| p.starts_with("docs/vendors/y.md:3: cites `vendor-notes`")),
            "{notes:?}"
        );
        assert!(unpublished_citation("x.md", "Sources: <https://example.com/doc>").is_none());
        assert!(unpublished_citation("x.md", "release notes and vendor documents").is_none());
    }

    #[test]
    fn holds_ignores_spaces() {
        assert!(holds("a = {  path = \"x\" }", "a = { path = \"x\""));
        assert!(!holds("a = { path = \"y\" }", "a = { path = \"x\""));
    }
}
