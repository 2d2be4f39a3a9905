//! What the xtask knows of the workspace, read from the manifests rather than kept by
//! hand: the vendor crates (`[package.metadata.backup-rs] vendor = "..."`) and the fuzz
//! targets (`[[bin]]` of `fuzz/Cargo.toml`).

use std::path::{Path, PathBuf};

use crate::Failure;
use crate::cmd::workspace_root;

/// A vendor crate of the workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorCrate {
    /// The vendor's name: its `OperationRef` prefix and `backup-all` feature
    /// (`huawei-csbs`).
    pub vendor: String,
    /// The package (`backup-huawei-csbs`).
    pub package: String,
    /// The crate's directory.
    pub dir: PathBuf,
}

impl VendorCrate {
    /// The crate's name in Rust code (`backup_huawei_csbs`).
    #[must_use]
    pub fn ident(&self) -> String {
        self.package.replace('-', "_")
    }
}

/// The value of `key = "value"` in table `[table]` of a TOML manifest: a small
/// line-based reader, enough for this workspace's manifests.
#[must_use]
pub fn manifest_value(manifest: &str, table: &str, key: &str) -> Option<String> {
    let mut inside = false;
    for raw in manifest.lines() {
        let line = raw.split('#').next().unwrap_or_default().trim();
        if line.starts_with('[') {
            inside = line == format!("[{table}]");
            continue;
        }
        if !inside {
            continue;
        }
        if let Some((k, v)) = line.split_once('=')
            && k.trim() == key
        {
            let v = v.trim();
            if let Some(text) = v.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
                return Some(text.to_owned());
            }
        }
    }
    None
}

/// The vendor crates: every `crates/*/Cargo.toml` with `[package.metadata.backup-rs]
/// vendor = "..."`, sorted by package.
///
/// # Errors
/// When `crates/` cannot be read.
pub fn vendor_crates() -> Result<Vec<VendorCrate>, Failure> {
    vendor_crates_in(&workspace_root())
}

/// [`vendor_crates`] of the workspace at `root`.
///
/// # Errors
/// When `root/crates` cannot be read.
pub fn vendor_crates_in(root: &Path) -> Result<Vec<VendorCrate>, Failure> {
    let crates = root.join("crates");
    let entries = std::fs::read_dir(&crates)
        .map_err(|e| Failure::new(format!("cannot read {}: {e}", crates.display())))?;
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let dir = entry.path();
        let Ok(manifest) = std::fs::read_to_string(dir.join("Cargo.toml")) else {
            continue;
        };
        let (Some(package), Some(vendor)) = (
            manifest_value(&manifest, "package", "name"),
            manifest_value(&manifest, "package.metadata.backup-rs", "vendor"),
        ) else {
            continue;
        };
        found.push(VendorCrate {
            vendor,
            package,
            dir,
        });
    }
    found.sort_by(|a, b| a.package.cmp(&b.package));
    Ok(found)
}

/// The `name`s of the `[[bin]]` tables of a manifest, with their `path`.
#[must_use]
pub fn bin_targets(manifest: &str) -> Vec<(String, String)> {
    let mut bins = Vec::new();
    let mut current: Option<(Option<String>, Option<String>)> = None;
    let mut flush = |current: &mut Option<(Option<String>, Option<String>)>| {
        if let Some((Some(name), path)) = current.take() {
            let path = path.unwrap_or_else(|| format!("src/bin/{name}.rs"));
            bins.push((name, path));
        }
    };
    for raw in manifest.lines() {
        let line = raw.split('#').next().unwrap_or_default().trim();
        if line.starts_with('[') {
            flush(&mut current);
            if line == "[[bin]]" {
                current = Some((None, None));
            }
            continue;
        }
        if let (Some(bin), Some((k, v))) = (current.as_mut(), line.split_once('=')) {
            let v = v.trim().trim_matches('"').to_owned();
            match k.trim() {
                "name" => bin.0 = Some(v),
                "path" => bin.1 = Some(v),
                _ => {}
            }
        }
    }
    flush(&mut current);
    bins
}

/// The fuzz targets of `fuzz/Cargo.toml`, each with the first line of its file's
/// module docs (what it feeds).
#[must_use]
pub fn fuzz_targets() -> Vec<(String, String)> {
    let fuzz = workspace_root().join("fuzz");
    let manifest = std::fs::read_to_string(fuzz.join("Cargo.toml")).unwrap_or_default();
    bin_targets(&manifest)
        .into_iter()
        .map(|(name, path)| {
            let source = std::fs::read_to_string(fuzz.join(&path)).unwrap_or_default();
            let about = source
                .lines()
                .filter_map(|l| l.strip_prefix("//!"))
                .map(str::trim)
                .take_while(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            (name, about)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_values_of_a_table() {
        let manifest = r#"
[package]
name = "backup-huawei-csbs" # the crate
version = "0.1.0"

[package.metadata.backup-rs]
vendor = "huawei-csbs"

[dependencies]
name = "not this one"
"#;
        assert_eq!(
            manifest_value(manifest, "package", "name").as_deref(),
            Some("backup-huawei-csbs")
        );
        assert_eq!(
            manifest_value(manifest, "package.metadata.backup-rs", "vendor").as_deref(),
            Some("huawei-csbs")
        );
        assert_eq!(manifest_value(manifest, "package", "vendor"), None);
    }

    #[test]
    fn reads_bin_targets() {
        let manifest = r#"
[package]
name = "fuzz"

[[bin]]
name = "azure_decode"
path = "fuzz_targets/azure_decode.rs"
test = false

[[bin]]
name = "core"

[dependencies]
x = "1"
"#;
        assert_eq!(
            bin_targets(manifest),
            [
                (
                    "azure_decode".to_owned(),
                    "fuzz_targets/azure_decode.rs".to_owned()
                ),
                ("core".to_owned(), "src/bin/core.rs".to_owned()),
            ]
        );
    }

    #[test]
    fn finds_this_workspaces_vendor_crates() {
        let crates = vendor_crates().unwrap();
        assert!(crates.len() >= 2, "{crates:?}");
        for krate in &crates {
            assert!(krate.package.starts_with("backup-"), "{krate:?}");
            assert!(krate.dir.join("src/lib.rs").is_file(), "{krate:?}");
        }
    }
}
