//! What a plan's pre-flight checks beyond building each client: every variable an
//! `env` table points at is set; and how the fields a vendor client names in its
//! errors map to the keys of a plan target (and the flags of `backupctl trigger`).

use std::collections::BTreeMap;

use crate::{AnyConfig, AnyParams, EnvNames, Vendor};

/// The plan key (a field of the vendor's `TriggerParams` or `Config`) behind `field`, a
/// field a vendor client names in an [`backup_core::Error::InvalidInput`]: the key
/// itself (`policy`, `resources[2]` is `resources`), the key the request spells with
/// `_id` (`policy_id` is `policy`), or the endpoint the client derives its own from
/// (`backup_endpoint` is `endpoint`). `None` when no key is behind it.
#[must_use]
pub fn key_of_field(vendor: Vendor, field: &str) -> Option<&'static str> {
    let keys = || {
        AnyParams::keys(vendor)
            .iter()
            .chain(AnyConfig::keys(vendor))
            .copied()
    };
    let head = field
        .split(['[', '.'])
        .next()
        .unwrap_or(field)
        .trim_start_matches("--")
        .replace('-', "_");
    let find = |name: &str| keys().find(|key| *key == name);
    find(&head)
        .or_else(|| head.strip_suffix("_id").and_then(find))
        .or_else(|| {
            head.ends_with("_endpoint")
                .then(|| find("endpoint"))
                .flatten()
        })
}

/// The variables an `env` table points at that are not set (blank counts as unset):
/// `(vendor's name, name it points at)`, in the table's order.
#[must_use]
pub fn unset_env_names(env: &EnvNames) -> Vec<(&str, &str)> {
    env.0
        .iter()
        .filter(|(name, _)| env.lookup(name).is_none())
        .map(|(name, source)| (name.as_str(), source.as_str()))
        .collect()
}

/// The message of a pre-flight fault for the unset variables of a target's `env`
/// table, or `None` when each is set.
pub(super) fn env_fault(env: &EnvNames) -> Option<String> {
    let unset: BTreeMap<&str, &str> = unset_env_names(env).into_iter().collect();
    if unset.is_empty() {
        return None;
    }
    let names: Vec<String> = unset
        .iter()
        .map(|(name, source)| format!("{source} (for {name})"))
        .collect();
    Some(format!(
        "the env table points at {}, which {} not set",
        names.join(", "),
        if names.len() == 1 { "is" } else { "are" }
    ))
}
