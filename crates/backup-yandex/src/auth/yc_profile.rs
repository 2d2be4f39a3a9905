//! Credentials of the `yc` CLI's active profile, when no variable names one: the
//! login a user already has on a workstation (as Azure's falls back to the Azure CLI's).
//!
//! The `yc` CLI keeps its profiles in `~/.config/yandex-cloud/config.yaml` (Yandex
//! Cloud documentation, "Getting started with the CLI", "Authenticating as a service
//! account", "Authenticating as a federated user"): `current` names the active profile,
//! and `profiles.<name>` holds what `yc config set` wrote:
//!
//! ```yaml
//! current: default
//! profiles:
//!   default:
//!     token: y0_AgAAAA...          # an OAuth token (yc init); t1.... is an IAM token
//!     cloud-id: b1g...
//!     folder-id: b1g...
//!   robot:
//!     service-account-key:         # yc config set service-account-key key.json
//!       id: aje...
//!       service_account_id: aje...
//!       private_key: |
//!         -----BEGIN PRIVATE KEY-----
//!         ...
//!   corp:
//!     federation-id: bpf...        # yc init --federation-id
//!   vm:
//!     instance-service-account: true
//! ```
//!
//! A `token` is used as `YC_TOKEN` would be (an IAM token, `t1.`, as `YC_IAM_TOKEN`), a
//! `service-account-key` as `YC_SERVICE_ACCOUNT_KEY_FILE`, and
//! `instance-service-account` means the metadata service. A federated profile's
//! tokens live in the `yc` process only: it is refused with what to do instead (`export
//! YC_IAM_TOKEN=$(yc iam create-token)`). The file is read with the small YAML subset
//! `yc` writes (block mappings, plain and quoted scalars, `|` and `>` block scalars);
//! anything else in it is skipped.

use std::path::{Path, PathBuf};

use secrecy::SecretString;

use super::{Credential, ServiceAccountKey};
use crate::{Error, Result, VENDOR};

/// Where the `yc` CLI keeps its profiles, under the home directory.
pub const YC_CONFIG_PATH: &str = ".config/yandex-cloud/config.yaml";

/// The home directory variable the profile is found under.
pub const ENV_HOME: &str = "HOME";

/// The credential of the active profile of the `yc` config file under `home`
/// (`$HOME/.config/yandex-cloud/config.yaml`), or `None` when there is no such file or
/// its profile holds no credential.
///
/// # Errors
/// [`Error::Config`] naming the file when it cannot be read or parsed, when `current`
/// names no profile, when its service account key is not one, or when the profile is a
/// federation's (whose tokens `yc` does not share).
pub fn credential(home: &Path) -> Result<Option<Credential>> {
    let path = home.join(YC_CONFIG_PATH);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(config_error(&path, &format!("cannot be read: {e}"))),
    };
    let found = credential_from_text(&text).map_err(|message| config_error(&path, &message))?;
    if let Some((profile, credential)) = &found {
        tracing::info!(
            path = %path.display(),
            profile = %profile,
            flow = credential.flow(),
            "Yandex credentials from the yc CLI's active profile (no YC_* variable is set)"
        );
    }
    Ok(found.map(|(_, credential)| credential))
}

/// The path of the `yc` config file under `home`.
#[must_use]
pub fn config_path(home: &Path) -> PathBuf {
    home.join(YC_CONFIG_PATH)
}

fn config_error(path: &Path, message: &str) -> Error {
    Error::config(
        VENDOR,
        format!("the yc CLI's config {}: {message}", path.display()),
    )
}

/// The active profile's name and credential in the text of a `yc` config file.
fn credential_from_text(text: &str) -> std::result::Result<Option<(String, Credential)>, String> {
    let root = parse(text)?;
    let Some(current) = root.get("current").and_then(Node::as_str) else {
        return Ok(None);
    };
    let profile = root
        .get("profiles")
        .and_then(|profiles| profiles.get(current))
        .ok_or_else(|| {
            format!("`current` names the profile {current:?}, which it does not hold")
        })?;
    let name = current.to_owned();
    if let Some(token) = profile.get("token").and_then(Node::as_str) {
        let token = token.trim();
        if !token.is_empty() {
            // yc keeps an OAuth token there (yc init); an IAM token (t1.) works as is.
            let credential = if token.starts_with("t1.") {
                Credential::iam_token(token)
            } else {
                Credential::oauth_token(token)
            };
            return Ok(Some((name, credential)));
        }
    }
    if let Some(key) = profile.get("service-account-key") {
        let field = |field: &str| {
            key.get(field)
                .and_then(Node::as_str)
                .map(str::to_owned)
                .ok_or_else(|| {
                    format!("the service-account-key of profile {current:?} has no `{field}`")
                })
        };
        let private_key = SecretString::from(field("private_key")?);
        let key = ServiceAccountKey::new(field("id")?, field("service_account_id")?, private_key)
            .map_err(|e| format!("profile {current:?}: {e}"))?;
        return Ok(Some((name, Credential::ServiceAccountKey(key))));
    }
    if profile.get("federation-id").is_some() {
        return Err(format!(
            "profile {current:?} signs in through a federation, whose tokens stay inside yc; \
             set YC_IAM_TOKEN=$(yc iam create-token) (it lasts up to 12 hours)"
        ));
    }
    if profile
        .get("instance-service-account")
        .and_then(Node::as_str)
        .is_some_and(|flag| flag == "true")
    {
        return Ok(Some((name, Credential::Metadata)));
    }
    Ok(None)
}

/// A value of the YAML subset `yc` writes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    /// A scalar, unquoted.
    Scalar(String),
    /// A block mapping, in file order.
    Map(Vec<(String, Node)>),
    /// Anything else (a sequence): present, but not read.
    Other,
}

impl Node {
    fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn as_str(&self) -> Option<&str> {
        match self {
            Node::Scalar(text) => Some(text),
            _ => None,
        }
    }
}

/// One line: its indentation and its text without it.
struct Line<'a> {
    indent: usize,
    text: &'a str,
}

/// Parses the block mappings of `text` (comments, blank lines and `---` skipped).
fn parse(text: &str) -> std::result::Result<Node, String> {
    let lines: Vec<Line<'_>> = text
        .lines()
        .map(|line| {
            let text = line.trim_start_matches(' ');
            Line {
                indent: line.len() - text.len(),
                text: text.trim_end(),
            }
        })
        .collect();
    let mut at = 0;
    let node = mapping(&lines, &mut at, 0)?;
    Ok(node)
}

fn skippable(line: &Line<'_>) -> bool {
    line.text.is_empty() || line.text.starts_with('#') || line.text == "---"
}

/// The mapping whose keys are at `indent`, from line `*at`.
fn mapping(lines: &[Line<'_>], at: &mut usize, indent: usize) -> std::result::Result<Node, String> {
    let mut entries = Vec::new();
    while *at < lines.len() {
        let line = &lines[*at];
        if skippable(line) {
            *at += 1;
            continue;
        }
        if line.indent < indent {
            break;
        }
        if line.indent > indent || line.text.starts_with("- ") || line.text == "-" {
            return Err(format!("line {}: unexpected indentation", *at + 1));
        }
        let Some((key, rest)) = split_key(line.text) else {
            return Err(format!("line {}: expected `key: value`", *at + 1));
        };
        *at += 1;
        let value = match rest {
            "" => nested(lines, at, indent)?,
            "|" | "|-" | "|+" | ">" | ">-" | ">+" => block_scalar(lines, at, indent, rest),
            scalar => Node::Scalar(unquote(scalar)),
        };
        entries.push((key, value));
    }
    Ok(Node::Map(entries))
}

/// What follows `key:` on the next lines: a deeper mapping, a sequence (not read), or
/// nothing (an empty scalar).
fn nested(lines: &[Line<'_>], at: &mut usize, indent: usize) -> std::result::Result<Node, String> {
    let next = lines[*at..].iter().position(|line| !skippable(line));
    let Some(next) = next.map(|offset| *at + offset) else {
        return Ok(Node::Scalar(String::new()));
    };
    let line = &lines[next];
    if line.text.starts_with('-') && line.indent >= indent {
        // A sequence: skipped with everything deeper than the key.
        *at = next;
        while *at < lines.len()
            && (skippable(&lines[*at])
                || lines[*at].indent > indent
                || (lines[*at].indent == indent && lines[*at].text.starts_with('-')))
        {
            *at += 1;
        }
        return Ok(Node::Other);
    }
    if line.indent <= indent {
        return Ok(Node::Scalar(String::new()));
    }
    *at = next;
    mapping(lines, at, line.indent)
}

/// A `|` or `>` block scalar: the lines deeper than `indent`, less their common
/// indentation; `|` keeps line breaks, `>` folds them; `-` drops the final one.
fn block_scalar(lines: &[Line<'_>], at: &mut usize, indent: usize, header: &str) -> Node {
    let start = *at;
    while *at < lines.len() && (lines[*at].text.is_empty() || lines[*at].indent > indent) {
        *at += 1;
    }
    // Trailing blank lines belong to what follows.
    let mut end = *at;
    while end > start && lines[end - 1].text.is_empty() {
        end -= 1;
    }
    *at = end;
    let body = &lines[start..end];
    let common = body
        .iter()
        .filter(|line| !line.text.is_empty())
        .map(|line| line.indent)
        .min()
        .unwrap_or(0);
    let texts: Vec<String> = body
        .iter()
        .map(|line| {
            if line.text.is_empty() {
                String::new()
            } else {
                format!("{}{}", " ".repeat(line.indent - common), line.text)
            }
        })
        .collect();
    let mut value = if header.starts_with('>') {
        texts.join(" ")
    } else {
        texts.join("\n")
    };
    if !header.ends_with('-') && !value.is_empty() {
        value.push('\n');
    }
    Node::Scalar(value)
}

/// `key: rest` (the key unquoted; `rest` trimmed, without a trailing comment).
fn split_key(text: &str) -> Option<(String, &str)> {
    let (key, rest) = if let Some(quoted) = text.strip_prefix('"') {
        let end = quoted.find('"')?;
        let rest = quoted[end + 1..].strip_prefix(':')?;
        (quoted[..end].to_owned(), rest)
    } else if let Some(quoted) = text.strip_prefix('\'') {
        let end = quoted.find('\'')?;
        let rest = quoted[end + 1..].strip_prefix(':')?;
        (quoted[..end].to_owned(), rest)
    } else {
        let colon = text
            .find(": ")
            .or_else(|| text.ends_with(':').then(|| text.len() - 1))?;
        (text[..colon].to_owned(), &text[colon + 1..])
    };
    let rest = rest.trim();
    let rest = if rest.starts_with('"') || rest.starts_with('\'') {
        rest
    } else {
        rest.split(" #").next().unwrap_or(rest).trim_end()
    };
    Some((key, rest))
}

/// A scalar's value: `"..."` with its escapes, `'...'` with `''`, or plain.
fn unquote(text: &str) -> String {
    if let Some(inner) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        let mut out = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            }
        }
        out
    } else if let Some(inner) = text.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')) {
        inner.replace("''", "'")
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An authorized key's private half (the emulator's demo key).
    fn key_pem() -> String {
        let json: serde_json::Value =
            serde_json::from_str(include_str!("../emulator/demo-key.json")).unwrap();
        json["private_key"].as_str().unwrap().to_owned()
    }

    fn flow(text: &str) -> Option<(String, &'static str)> {
        credential_from_text(text)
            .unwrap()
            .map(|(profile, credential)| (profile, credential.flow()))
    }

    #[test]
    fn the_active_profile_gives_the_credential() {
        let text = "\
current: work
profiles:
  default:
    token: t1.9euelZqKzs-iam
    cloud-id: b1gcloud
  work:
    token: y0_AgAAAAB-oauth   # yc init
    folder-id: b1gfolder
    compute-default-zone: ru-central1-a
";
        assert_eq!(flow(text), Some(("work".into(), "oauth_token")));
        let iam = text.replace("current: work", "current: default");
        assert_eq!(flow(&iam), Some(("default".into(), "iam_token")));
        let vm = "current: vm\nprofiles:\n  vm:\n    instance-service-account: true\n";
        assert_eq!(flow(vm), Some(("vm".into(), "metadata")));
        // A profile without a credential (yc falls back to its own default): none.
        let bare = "current: x\nprofiles:\n  x:\n    folder-id: b1g\n";
        assert_eq!(flow(bare), None);
        assert_eq!(flow("profiles: {}\n"), None);
    }

    #[test]
    fn a_service_account_key_profile_is_read_whole() {
        let indented: String = key_pem()
            .lines()
            .map(|line| format!("        {line}\n"))
            .collect();
        let text = format!(
            "current: robot\nprofiles:\n  robot:\n    service-account-key:\n      id: ajekey\n      \
             service_account_id: ajesa\n      created_at: \"2019-08-26T12:31:25Z\"\n      \
             key_algorithm: RSA_2048\n      private_key: |\n{indented}    folder-id: b1g\n"
        );
        let (profile, credential) = credential_from_text(&text).unwrap().unwrap();
        assert_eq!(profile, "robot");
        let Credential::ServiceAccountKey(key) = credential else {
            panic!("not a key: {credential:?}");
        };
        assert_eq!(key.id(), "ajekey");
        assert_eq!(key.service_account_id(), "ajesa");
        // A key without its private half: named, never echoed.
        let broken = text.replace("private_key", "public_key");
        let error = credential_from_text(&broken).unwrap_err();
        assert!(error.contains("private_key"), "{error}");
        assert!(!error.contains("BEGIN"), "{error}");
    }

    #[test]
    fn federations_and_missing_profiles_say_what_to_do() {
        let fed = "current: corp\nprofiles:\n  corp:\n    federation-id: bpfabc\n";
        let error = credential_from_text(fed).unwrap_err();
        assert!(error.contains("yc iam create-token"), "{error}");
        let missing = "current: gone\nprofiles:\n  other:\n    token: y0_x\n";
        let error = credential_from_text(missing).unwrap_err();
        assert!(error.contains("\"gone\""), "{error}");
    }

    #[test]
    fn the_yaml_subset_yc_writes() {
        let node = parse(
            "---\n# comment\na: 'it''s'\nb: \"x\\ny\"\nc:\n  - 1\n  - 2\nd:\n  e: plain # note\n  f: >-\n    one\n    two\n\ng: |-\n  kept\n",
        )
        .unwrap();
        assert_eq!(node.get("a").and_then(Node::as_str), Some("it's"));
        assert_eq!(node.get("b").and_then(Node::as_str), Some("x\ny"));
        assert_eq!(node.get("c"), Some(&Node::Other));
        let d = node.get("d").unwrap();
        assert_eq!(d.get("e").and_then(Node::as_str), Some("plain"));
        assert_eq!(d.get("f").and_then(Node::as_str), Some("one two"));
        assert_eq!(node.get("g").and_then(Node::as_str), Some("kept"));
        assert!(parse("a: 1\n   b: 2\n").is_err());
        assert!(parse("just text\n").is_err());
    }

    #[test]
    fn no_file_no_credential() {
        let home = std::env::temp_dir().join(format!("yc-profile-none-{}", std::process::id()));
        assert!(credential(&home).unwrap().is_none());
        assert_eq!(config_path(&home), home.join(YC_CONFIG_PATH));
    }
}
