//! Reading a plan's TOML into checked [`Plan`] values.

use std::collections::HashSet;

use toml::{Table, Value};

use super::{Plan, PlanError, PlanErrors, PlanSettings, PlanTarget};
use crate::decode::FieldFault;
use crate::{AnyConfig, AnyParams, EnvNames, Vendor, parse_duration};

const SETTINGS: [&str; 8] = [
    "concurrency",
    "timeout",
    "fail_fast",
    "poll_interval",
    "connect_timeout",
    "request_timeout",
    "max_concurrent_requests",
    "target",
];
pub(super) fn parse(file: &str, text: &str) -> Result<Plan, PlanErrors> {
    let table: Table = toml::from_str(text).map_err(|e| {
        let mut error = PlanError::new(file, format!("not valid TOML: {}", e.message()));
        error.line = Some(span_line(text, e.span()));
        PlanErrors(vec![error])
    })?;
    let mut errors = Vec::new();
    for key in table.keys() {
        if !SETTINGS.contains(&key.as_str()) {
            errors.push(
                PlanError::new(
                    file,
                    format!("unknown setting (expected {})", SETTINGS.join(", ")),
                )
                .field(key.as_str()),
            );
        }
    }
    let settings = settings(file, &table, &mut errors);
    let targets = match table.get("target") {
        Some(Value::Array(items)) if !items.is_empty() => targets(file, items, &mut errors),
        Some(Value::Array(_)) | None => {
            errors.push(PlanError::new(file, "the plan has no [[target]]").field("target"));
            Vec::new()
        }
        Some(_) => {
            errors.push(
                PlanError::new(file, "must be an array of tables ([[target]])").field("target"),
            );
            Vec::new()
        }
    };
    if errors.is_empty() {
        Ok(Plan {
            source: file.to_owned(),
            settings,
            targets,
        })
    } else {
        Err(PlanErrors(errors))
    }
}

/// The line (from 1) where `span` starts; 1 when the parser gave no span.
fn span_line(text: &str, span: Option<std::ops::Range<usize>>) -> usize {
    span.map_or(1, |s| {
        text.get(..s.start)
            .map_or(0, |before| before.matches('\n').count())
            + 1
    })
}

fn settings(file: &str, table: &Table, errors: &mut Vec<PlanError>) -> PlanSettings {
    let mut settings = PlanSettings::default();
    if let Some(value) = table.get("concurrency") {
        match value.as_integer().and_then(|n| usize::try_from(n).ok()) {
            Some(n) if (1..=1024).contains(&n) => settings.concurrency = n,
            _ => errors.push(
                PlanError::new(file, "must be a whole number from 1 to 1024").field("concurrency"),
            ),
        }
    }
    for key in [
        "timeout",
        "poll_interval",
        "connect_timeout",
        "request_timeout",
    ] {
        let Some(value) = table.get(key) else {
            continue;
        };
        let parsed = value
            .as_str()
            .ok_or_else(|| "must be a string such as \"30m\"".to_owned())
            .and_then(|s| parse_duration(s).map_err(|e| e.to_string()))
            .and_then(|d| {
                if d.is_zero() {
                    Err("must be longer than zero".to_owned())
                } else {
                    Ok(d)
                }
            });
        match (parsed, key) {
            (Ok(d), "timeout") => settings.timeout = Some(d),
            (Ok(d), "connect_timeout") => settings.transport.connect_timeout = Some(d),
            (Ok(d), "request_timeout") => settings.transport.request_timeout = Some(d),
            (Ok(d), _) => settings.poll_interval = d,
            (Err(message), _) => errors.push(PlanError::new(file, message).field(key)),
        }
    }
    if let Some(value) = table.get("max_concurrent_requests") {
        match value
            .as_integer()
            .and_then(|n| usize::try_from(n).ok())
            .and_then(std::num::NonZeroUsize::new)
        {
            Some(n) => settings.transport.max_concurrent_requests = Some(n),
            None => errors.push(
                PlanError::new(file, "must be a whole number, at least 1")
                    .field("max_concurrent_requests"),
            ),
        }
    }
    if let Some(value) = table.get("fail_fast") {
        match value.as_bool() {
            Some(b) => settings.fail_fast = b,
            None => errors.push(PlanError::new(file, "must be true or false").field("fail_fast")),
        }
    }
    settings
}

fn targets(file: &str, items: &[Value], errors: &mut Vec<PlanError>) -> Vec<PlanTarget> {
    let mut names = HashSet::new();
    let mut out = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let Some(table) = item.as_table() else {
            errors.push(PlanError::new(file, "must be a table").field(format!("target[{index}]")));
            continue;
        };
        let name = match table.get("name").map(Value::as_str) {
            Some(Some(name)) if valid_name(name) => name.to_owned(),
            Some(Some(name)) => {
                errors.push(
                    PlanError::new(
                        file,
                        "must be 1-64 characters of letters, digits, `.`, `_` or `-`",
                    )
                    .target(name.chars().take(64).collect::<String>())
                    .field("name"),
                );
                continue;
            }
            _ => {
                errors.push(
                    PlanError::new(file, "every target needs a name (a string)")
                        .target(format!("#{}", index + 1))
                        .field("name"),
                );
                continue;
            }
        };
        if !names.insert(name.clone()) {
            errors.push(
                PlanError::new(file, "another target has the same name")
                    .target(&name)
                    .field("name"),
            );
            continue;
        }
        match target(name.clone(), table) {
            Ok(target) => out.push(target),
            Err(faults) => errors.extend(faults.into_iter().map(|fault| {
                PlanError::new(file, fault.message)
                    .target(&name)
                    .field(fault.field)
            })),
        }
    }
    out
}

fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The keys every target has, whatever its vendor.
const TARGET_KEYS: [&str; 3] = ["name", "vendor", "env"];

fn target(name: String, table: &Table) -> Result<PlanTarget, Vec<FieldFault>> {
    let vendor: Vendor = match table.get("vendor").map(Value::as_str) {
        Some(Some(vendor)) => vendor
            .parse()
            .map_err(|e: crate::UnknownVendor| vec![FieldFault::new("vendor", e.to_string())])?,
        _ => return Err(vec![FieldFault::new("vendor", "missing (a string)")]),
    };
    if let Some(missing) = AnyConfig::default_for(vendor).err() {
        return Err(vec![FieldFault::new("vendor", missing.to_string())]);
    }
    let config_keys = AnyConfig::keys(vendor);
    let params_keys = AnyParams::keys(vendor);
    let mut config = Table::new();
    let mut params = Table::new();
    let mut env = None;
    let mut faults = Vec::new();
    for (key, value) in table {
        let known = TARGET_KEYS.contains(&key.as_str())
            || config_keys.contains(&key.as_str())
            || params_keys.contains(&key.as_str());
        if let Some(secret) = secret_like(key) {
            faults.push(FieldFault::new(
                key.as_str(),
                format!(
                    "a plan never holds {secret}s; {vendor} credentials are read from its environment variables (see `backupctl trigger {vendor} --help`)"
                ),
            ));
        } else if !known {
            let expected: Vec<&str> = params_keys
                .iter()
                .chain(config_keys)
                .chain(&TARGET_KEYS)
                .copied()
                .collect();
            faults.push(FieldFault::new(
                key.as_str(),
                format!(
                    "unknown setting of a {vendor} target (expected one of {})",
                    expected.join(", ")
                ),
            ));
        } else if key == "env" {
            env = Some(value.clone());
        } else if config_keys.contains(&key.as_str()) {
            config.insert(key.clone(), value.clone());
        } else if key != "name" && key != "vendor" {
            params.insert(key.clone(), value.clone());
        }
    }
    let env = env_names(env).unwrap_or_else(|fault| {
        faults.push(fault);
        EnvNames::default()
    });
    let config = AnyConfig::from_toml(vendor, config)
        .map_err(|more| faults.extend(more))
        .ok();
    let params = AnyParams::from_toml(vendor, params)
        .map_err(|more| faults.extend(more))
        .ok();
    let params = params.and_then(|params| match crate::AnyRequest::from_params(&params) {
        Ok(_) => Some(params),
        Err(backup_core::Error::InvalidInput { field, reason, .. }) => {
            // Named as the plan names it (`policy`, not the request's `policy_id`).
            let key = super::key_of_field(vendor, &field).map_or(field, str::to_owned);
            faults.push(FieldFault::new(key, reason));
            None
        }
        Err(other) => {
            faults.push(FieldFault::new("vendor", other.to_string()));
            None
        }
    });
    if let Some(config) = &config {
        check_endpoints(config, &mut faults);
    }
    match (params, config) {
        (Some(params), Some(config)) if faults.is_empty() => Ok(PlanTarget {
            name,
            params,
            config,
            env,
        }),
        _ => Err(faults),
    }
}

/// Every endpoint setting (`endpoint`, `*_endpoint`) of `config` must be an http(s) URL.
fn check_endpoints(config: &AnyConfig, faults: &mut Vec<FieldFault>) {
    let serde_json::Value::Object(settings) = config.to_json() else {
        return;
    };
    for (key, value) in settings {
        if let (true, Some(url)) = (
            key == "endpoint" || key.ends_with("_endpoint"),
            value.as_str(),
        ) {
            let vendor = config.vendor().as_str();
            if let Err(error) = backup_core::path::parse_endpoint(vendor, "endpoint", url) {
                let reason = match error {
                    backup_core::Error::InvalidInput { reason, .. } => reason,
                    other => other.to_string(),
                };
                faults.push(FieldFault::new(key, reason));
            }
        }
    }
}

/// The `env` table: vendor variable names mapped to the names to read instead.
fn env_names(value: Option<Value>) -> Result<EnvNames, FieldFault> {
    let Some(value) = value else {
        return Ok(EnvNames::default());
    };
    let Value::Table(table) = value else {
        return Err(FieldFault::new(
            "env",
            "must be a table of environment variable names",
        ));
    };
    let mut names = EnvNames::default();
    for (name, source) in table {
        match source.as_str() {
            Some(source) if is_env_name(&name) && is_env_name(source) => {
                names.0.insert(name, source.to_owned());
            }
            _ => {
                return Err(FieldFault::new(
                    format!("env.{name}"),
                    "must map an environment variable name to another (letters, digits, `_`); never a value",
                ));
            }
        }
    }
    Ok(names)
}

fn is_env_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The kind of secret a key looks like it holds, if any.
fn secret_like(key: &str) -> Option<&'static str> {
    let key = key.to_ascii_lowercase();
    if key.contains("password") {
        Some("password")
    } else if key.contains("secret") || key == "sk" {
        Some("secret")
    } else if key.contains("token") {
        Some("token")
    } else if key.ends_with("private_key") || key == "key" || key == "ak" {
        Some("key")
    } else {
        None
    }
}
