//! Running `backupctl` as a subprocess against emulators started in the test process,
//! with everything about a vendor taken from the registry (`backup_all::Vendor`,
//! `AnyEmulator`) and its flags from clap itself: nothing here is kept per vendor.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use backup_all::emulator::DynEmulator;
use backup_all::{AnyEmulator, Vendor};
use serde_json::{Map, Value};

/// Every environment name a vendor reads, and `RUST_LOG`: cleared so the host's own
/// never leak in.
fn cleared_environment() -> impl Iterator<Item = &'static str> {
    Vendor::ALL
        .iter()
        .flat_map(|vendor| vendor.environment())
        .map(|var| var.name)
        .chain(["RUST_LOG", "BACKUPCTL_STATE"])
}

/// What a run printed and how it ended.
#[derive(Debug)]
pub struct Run {
    /// The exit code.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Every stdout line parsed as one JSON object.
    pub fn json(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|line| {
                serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("not JSON ({e}): {line}\n{self:#?}"))
            })
            .collect()
    }

    /// The only JSON object printed.
    pub fn one(&self) -> Value {
        let mut all = self.json();
        assert_eq!(all.len(), 1, "{self:#?}");
        all.remove(0)
    }

    /// Asserts the exit code.
    #[track_caller]
    pub fn expect(self, code: i32) -> Self {
        assert_eq!(self.code, code, "{self:#?}");
        self
    }
}

/// Runs `backupctl args` with `env` (and no vendor variable of the host).
pub async fn backupctl<S: AsRef<str>>(args: &[S], env: &[(String, String)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_backupctl"));
    for name in cleared_environment() {
        command.env_remove(name);
    }
    command.args(args.iter().map(AsRef::as_ref));
    command.envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// `backupctl trigger <vendor>` as clap builds it from the registry's `TriggerCommand`
/// (the vendor crate's `TriggerParams` and `Config` derives).
fn trigger_command(vendor: Vendor) -> clap::Command {
    let mut root = <backup_all::TriggerCommand as clap::Subcommand>::augment_subcommands(
        clap::Command::new("x"),
    );
    root.build();
    root.find_subcommand(vendor.as_str())
        .unwrap_or_else(|| panic!("trigger has no subcommand {vendor}"))
        .clone()
}

/// The long flags of `backupctl trigger <vendor>` that are the vendor's own (its
/// `TriggerParams` and `Config`), without `--help`.
pub fn vendor_flags(vendor: Vendor) -> Vec<String> {
    trigger_command(vendor)
        .get_arguments()
        .filter_map(|arg| arg.get_long())
        .filter(|long| *long != "help")
        .map(|long| format!("--{long}"))
        .collect()
}

/// The flags that give `values` (a vendor's `TriggerParams` or `Config` as JSON) to
/// `backupctl trigger <vendor>`: each field is the arg whose id is the field's name,
/// given by its long flag; a bool that takes no value is a bare flag (absent when
/// false), a list repeats the flag, null is left out.
pub fn flags(vendor: Vendor, values: &Map<String, Value>) -> Vec<String> {
    let command = trigger_command(vendor);
    let mut flags = Vec::new();
    for (field, value) in values {
        let arg = command
            .get_arguments()
            .find(|arg| arg.get_id().as_str() == field)
            .unwrap_or_else(|| panic!("trigger {vendor} has no flag for the field `{field}`"));
        let long = format!(
            "--{}",
            arg.get_long()
                .unwrap_or_else(|| panic!("{vendor}: `{field}` has no long flag"))
        );
        let takes_value = arg.get_action().takes_values();
        let optional_value = arg.get_num_args().is_some_and(|n| n.min_values() == 0);
        match value {
            Value::Null => {}
            Value::Bool(true) if !takes_value || optional_value => flags.push(long),
            Value::Bool(false) if !takes_value => {}
            Value::Array(items) => {
                for item in items {
                    flags.extend([long.clone(), text(item)]);
                }
            }
            Value::Object(_) => panic!("{vendor}: `{field}` is a table: {value}"),
            other => flags.extend([long, text(other)]),
        }
    }
    flags
}

/// A JSON scalar as a flag's value.
fn text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// `vendor = ...` and `values` as the keys of a plan target (TOML lines).
pub fn plan_lines(vendor: Vendor, values: &[&Map<String, Value>]) -> String {
    let mut table = toml::Table::new();
    table.insert("vendor".to_owned(), vendor.as_str().into());
    for map in values {
        for (key, value) in *map {
            if !value.is_null() {
                let value = toml::Value::try_from(value)
                    .unwrap_or_else(|e| panic!("{vendor}: `{key}` in TOML: {e}"));
                table.insert(key.clone(), value);
            }
        }
    }
    toml::to_string(&table).unwrap()
}

/// The variables of `vendor` that hold a setting rather than a credential: those a
/// connection flag (a field of the vendor's `Config`) names in its help as where the
/// setting is read when the flag is not given (`--project-id`: "else
/// HUAWEICLOUD_SDK_PROJECT_ID"). A setting may be shown (a project is part of a
/// reference); every other variable is a credential.
pub fn settings_in_environment(vendor: Vendor) -> Vec<&'static str> {
    let command = trigger_command(vendor);
    let keys = backup_all::AnyConfig::keys(vendor);
    let helps: Vec<String> = command
        .get_arguments()
        .filter(|arg| keys.contains(&arg.get_id().as_str()))
        .filter_map(|arg| arg.get_long_help().or(arg.get_help()))
        .map(ToString::to_string)
        .collect();
    vendor
        .environment()
        .iter()
        .map(|var| var.name)
        .filter(|name| helps.iter().any(|help| help.contains(name)))
        .collect()
}

/// A JSON object's fields.
fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

/// One vendor's emulator and how to reach it from the command line, all of it from
/// the emulator: credentials from `environment()`, connection flags and plan keys
/// from `config()`, trigger flags and plan keys from `demo_params()`.
#[derive(Debug)]
pub struct Setup {
    /// The vendor.
    pub vendor: Vendor,
    /// The emulator (running until the setup is dropped).
    pub emulator: AnyEmulator,
    /// The emulator's demo backup: the vendor's `TriggerParams` as JSON.
    pub params: Map<String, Value>,
    /// Client settings pointing at the emulator: the vendor's `Config` as JSON.
    pub config: Map<String, Value>,
    /// Credentials, as environment variables.
    pub env: Vec<(String, String)>,
    /// The secrets in `env`, which no output may show: every value but those of the
    /// variables that hold a setting (see [`settings_in_environment`]).
    pub secrets: Vec<String>,
}

impl Setup {
    /// Starts `vendor`'s emulator.
    pub async fn start(vendor: Vendor) -> Setup {
        let emulator = AnyEmulator::start(vendor)
            .await
            .unwrap_or_else(|e| panic!("{vendor}: {e}"));
        let env: Vec<(String, String)> = emulator
            .environment()
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect();
        assert!(
            !env.is_empty(),
            "{vendor}: the emulator gives no credential"
        );
        let settings = settings_in_environment(vendor);
        let secrets: Vec<String> = env
            .iter()
            .filter(|(name, _)| !settings.contains(&name.as_str()))
            .map(|(_, value)| value.clone())
            .collect();
        assert!(
            !secrets.is_empty(),
            "{vendor}: the emulator gives no secret"
        );
        Setup {
            vendor,
            params: object(emulator.demo_params().to_json()),
            config: object(emulator.config().to_json()),
            secrets,
            env,
            emulator,
        }
    }

    /// Every vendor's setup, in the registry's order.
    pub async fn all() -> Vec<Setup> {
        let mut setups = Vec::new();
        for &vendor in Vendor::ALL {
            setups.push(Setup::start(vendor).await);
        }
        setups
    }

    /// The vendor's name (`huawei-csbs`).
    pub fn name(&self) -> &'static str {
        self.vendor.as_str()
    }

    /// The emulator's accessors (faults, counters, lifecycle).
    pub fn emulator(&self) -> &dyn DynEmulator {
        self.emulator.as_dyn()
    }

    /// How many backups the emulator started.
    pub fn accepted(&self) -> u64 {
        self.emulator().accepted_backups()
    }

    /// The connection flags (for trigger, status, wait and cancel).
    pub fn connect(&self) -> Vec<String> {
        flags(self.vendor, &self.config)
    }

    /// `trigger <vendor> <demo flags> <connect> extra...`.
    pub fn trigger_args(&self, extra: &[&str]) -> Vec<String> {
        self.trigger_args_with(&self.params, &self.config, extra)
    }

    /// `trigger <vendor> <params> <config> extra...`, for parameters or settings other
    /// than the demo's.
    pub fn trigger_args_with(
        &self,
        params: &Map<String, Value>,
        config: &Map<String, Value>,
        extra: &[&str],
    ) -> Vec<String> {
        let mut args = vec!["trigger".to_owned(), self.name().to_owned()];
        args.extend(flags(self.vendor, params));
        args.extend(flags(self.vendor, config));
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        args
    }

    /// `<command> <reference> <connect> extra...`.
    pub fn ref_args(&self, command: &str, reference: &str, extra: &[&str]) -> Vec<String> {
        let mut args = vec![command.to_owned(), reference.to_owned()];
        args.extend(self.connect());
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        args
    }

    /// The same target as plan TOML lines (without name).
    pub fn plan(&self) -> String {
        plan_lines(self.vendor, &[&self.params, &self.config])
    }
}

/// A fresh file path under the system's temporary directory.
pub fn temp_file(name: &str, contents: &str) -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "backupctl-test-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

/// Checks an RFC 3339 timestamp field (or null).
#[track_caller]
pub fn assert_time_or_null(value: &Value) {
    if let Some(text) = value.as_str() {
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|e| panic!("{text}: {e}"));
    } else {
        assert!(value.is_null(), "{value}");
    }
}

/// Checks that `value` is one operation object with every documented field.
#[track_caller]
pub fn assert_operation_fields(value: &Value, vendor: &str) {
    for field in [
        "vendor",
        "operation",
        "status",
        "vendor_status",
        "progress",
        "job_id",
        "started_at",
        "finished_at",
        "message",
        "error",
        "duration_s",
        "size_bytes",
        "produced",
        "items",
        "warnings",
    ] {
        assert!(value.get(field).is_some(), "missing {field} in {value}");
    }
    assert_eq!(value["vendor"], vendor, "{value}");
    let reference = value["operation"].as_str().unwrap();
    assert!(reference.starts_with(&format!("{vendor}:")), "{reference}");
    let status = value["status"].as_str().unwrap();
    assert!(
        [
            "pending",
            "running",
            "succeeded",
            "succeeded_with_warnings",
            "failed",
            "cancelled"
        ]
        .contains(&status),
        "{status}"
    );
    assert!(
        value["vendor_status"].is_null() || value["vendor_status"].is_string(),
        "{value}"
    );
    if let Some(progress) = value["progress"].as_f64() {
        assert!((0.0..=100.0).contains(&progress), "{progress}");
    } else {
        assert!(value["progress"].is_null(), "{value}");
    }
    assert!(
        value["job_id"].is_null() || value["job_id"].is_string(),
        "{value}"
    );
    assert_time_or_null(&value["started_at"]);
    assert_time_or_null(&value["finished_at"]);
    assert!(
        value["message"].is_null() || value["message"].is_string(),
        "{value}"
    );
    let error = &value["error"];
    if !error.is_null() {
        for field in ["kind", "code", "message", "request_id"] {
            assert!(
                error.get(field).is_some(),
                "missing error.{field} in {value}"
            );
        }
        assert!(error["kind"].is_string(), "{value}");
    }
    assert!(
        value["duration_s"].is_null() || value["duration_s"].as_f64().is_some_and(|d| d >= 0.0),
        "{value}"
    );
    assert!(
        value["size_bytes"].is_null() || value["size_bytes"].is_u64(),
        "{value}"
    );
    for produced in value["produced"].as_array().expect("produced is an array") {
        assert!(
            produced["kind"].is_string() && produced["id"].is_string(),
            "{value}"
        );
    }
    for item in value["items"].as_array().expect("items is an array") {
        for field in ["id", "name", "status", "size_bytes", "error"] {
            assert!(
                item.get(field).is_some(),
                "missing items[].{field} in {value}"
            );
        }
    }
    assert!(value["warnings"].is_array(), "{value}");
}

/// `trigger --wait --output json` on one vendor: one object per operation, each
/// checked field by field.
pub async fn trigger_and_wait_json(setup: &Setup) -> Vec<Value> {
    let run = backupctl(
        &setup.trigger_args(&["--wait", "--poll-interval", "20ms", "--output", "json"]),
        &setup.env,
    )
    .await
    .expect(0);
    let objects = run.json();
    assert!(!objects.is_empty(), "{run:#?}");
    for object in &objects {
        assert_operation_fields(object, setup.name());
        assert_eq!(object["status"], "succeeded", "{object}");
        assert!(object["error"].is_null(), "{object}");
        assert!(object["finished_at"].is_string(), "{object}");
    }
    objects
}

/// Triggers a backup (no wait) and returns the first reference printed.
pub async fn trigger_reference(setup: &Setup) -> String {
    let accepted = backupctl(&setup.trigger_args(&["--output", "json"]), &setup.env)
        .await
        .expect(0);
    accepted.json()[0]["operation"].as_str().unwrap().to_owned()
}

/// Triggers a long backup and cancels it; returns the cancel run and the reference.
pub async fn cancel_long_backup(setup: &Setup) -> (Run, String) {
    let reference = trigger_reference(setup).await;
    let run = backupctl(
        &setup.ref_args("cancel", &reference, &["--output", "json"]),
        &setup.env,
    )
    .await;
    (run, reference)
}
