//! Reading a plan's TOML into checked [`Plan`] values.

use std::collections::HashSet;

use serde::de::DeserializeOwned;
use toml::{Table, Value};

use super::{Plan, PlanError, PlanErrors, PlanSettings, PlanTarget};
use crate::params::{
    AzureParams, CommvaultParams, HuaweiParams, TriggerParams, VeeamParams, YandexParams,
};
use crate::{ClientOptions, Vendor, parse_duration};

const SETTINGS: [&str; 5] = [
    "concurrency",
    "timeout",
    "fail_fast",
    "poll_interval",
    "target",
];
const OPTION_KEYS: [&str; 9] = [
    "endpoint",
    "project_id",
    "env",
    "operation_endpoint",
    "iam_endpoint",
    "region",
    "api_version",
    "ca_cert",
    "insecure",
];

pub(super) fn parse(file: &str, text: &str) -> Result<Plan, PlanErrors> {
    let table: Table = toml::from_str(text).map_err(|e| {
        PlanErrors(vec![
            PlanError::new(file, format!("not valid TOML: {}", e.message()))
                .field(span_line(text, e.span())),
        ])
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

fn span_line(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    let line = span.map_or(0, |s| {
        text.get(..s.start)
            .map_or(0, |before| before.matches('\n').count())
            + 1
    });
    format!("line {line}")
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
    for (key, slot) in [("timeout", true), ("poll_interval", false)] {
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
        match parsed {
            Ok(d) if slot => settings.timeout = Some(d),
            Ok(d) => settings.poll_interval = d,
            Err(message) => errors.push(PlanError::new(file, message).field(key)),
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
        match target(table) {
            Ok(target) => out.push(PlanTarget { name, ..target }),
            Err((field, message)) => {
                errors.push(PlanError::new(file, message).target(&name).field(field));
            }
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

type FieldFault = (String, String);

fn target(table: &Table) -> Result<PlanTarget, FieldFault> {
    let vendor: Vendor = match table.get("vendor").map(Value::as_str) {
        Some(Some(name)) => name
            .parse()
            .map_err(|e: crate::vendor::UnknownVendor| ("vendor".to_owned(), e.to_string()))?,
        _ => return Err(("vendor".to_owned(), "missing (a string)".to_owned())),
    };
    if !vendor.is_enabled() {
        return Err((
            "vendor".to_owned(),
            format!(
                "{vendor} is not in this build (enable the cargo feature `{vendor}` of backup-all)"
            ),
        ));
    }
    let mut options = Table::new();
    let mut params = Table::new();
    for (key, value) in table {
        if let Some(secret) = secret_like(key) {
            return Err((
                key.clone(),
                format!(
                    "a plan never holds {secret}s; {vendor} credentials are read from its environment variables (see `backupctl trigger {vendor} --help`)"
                ),
            ));
        }
        if OPTION_KEYS.contains(&key.as_str()) {
            options.insert(key.clone(), value.clone());
        } else if key != "name" && key != "vendor" {
            params.insert(key.clone(), value.clone());
        }
    }
    let options: ClientOptions = decode(options)?;
    for (name, source) in &options.env {
        if !is_env_name(name) || !is_env_name(source) {
            return Err((
                format!("env.{name}"),
                "must map an environment variable name to another (letters, digits, `_`); never a value".to_owned(),
            ));
        }
    }
    if let Some(field) = options.unsupported_by(vendor).first() {
        return Err(((*field).to_owned(), format!("does not apply to {vendor}")));
    }
    for (field, value) in [
        ("endpoint", &options.endpoint),
        ("operation_endpoint", &options.operation_endpoint),
        ("iam_endpoint", &options.iam_endpoint),
    ] {
        if let Some(url) = value {
            backup_core::path::parse_endpoint("backup-all", field, url).map_err(|e| match e {
                backup_core::Error::InvalidInput { reason, .. } => (field.to_owned(), reason),
                other => (field.to_owned(), other.to_string()),
            })?;
        }
    }
    let params = match vendor {
        Vendor::Azure => TriggerParams::Azure(decode::<AzureParams>(params)?),
        Vendor::Yandex => TriggerParams::Yandex(decode::<YandexParams>(params)?),
        Vendor::HuaweiCsbs => TriggerParams::HuaweiCsbs(decode::<HuaweiParams>(params)?),
        Vendor::Commvault => TriggerParams::Commvault(decode::<CommvaultParams>(params)?),
        Vendor::Veeam => TriggerParams::Veeam(decode::<VeeamParams>(params)?),
    };
    params.validate().map_err(|e| (e.field, e.reason))?;
    Ok(PlanTarget {
        name: String::new(),
        params,
        options,
    })
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

/// Deserialises `table` into `T`, naming the field serde complains about.
fn decode<T: DeserializeOwned>(table: Table) -> Result<T, FieldFault> {
    let text = toml::to_string(&table).unwrap_or_default();
    Value::Table(table).try_into::<T>().map_err(|e| {
        let message = e.message().to_owned();
        let field = message
            .split('`')
            .nth(1)
            .filter(|_| message.contains("field `"))
            .map(str::to_owned)
            .or_else(|| field_at_error::<T>(&text))
            .unwrap_or_else(|| "?".to_owned());
        (field, message)
    })
}

/// The key whose value `T` refuses: parsing the table's own TOML text again gives the
/// error a position, and the line there starts with the key.
fn field_at_error<T: DeserializeOwned>(text: &str) -> Option<String> {
    let error = toml::from_str::<T>(text).err()?;
    let start = error.span()?.start;
    let line_start = text.get(..start)?.rfind('\n').map_or(0, |i| i + 1);
    let line = text.get(line_start..)?.lines().next()?;
    let (key, _) = line.split_once('=')?;
    Some(key.trim().trim_matches('"').to_owned())
}
