//! AWS's own Python client (boto3/botocore, pinned in `tests/clients/requirements.txt`) driving
//! the emulator through start, describe, stop, the child jobs of a parent job and the
//! modeled errors, each request signed by botocore and verified by the emulator.
//!
//! It runs where the real-client suite's virtual environment exists
//! (`target/clients-venv`, made by `tests/clients/run.sh` from
//! `tests/clients/requirements.txt`, which pins boto3; `cargo xtask ci` makes it before
//! the tests; `BACKUP_RS_REAL_CLIENTS_PYTHON` names another interpreter). Elsewhere it
//! says it skipped, except on CI (`CI=true`), where a missing boto3 fails it.
#![cfg(feature = "emulator")]
#![allow(clippy::print_stderr)] // says when the interpreter is missing

use std::path::{Path, PathBuf};
use std::process::Command;

use backup_aws::emulator::{
    DEMO_ACCESS_KEY_ID, DEMO_DATABASE_ARN, DEMO_REGION, DEMO_RESOURCE_ARN, DEMO_ROLE_ARN,
    DEMO_SECRET_ACCESS_KEY, DEMO_STACK_ARN, DEMO_VAULT, Emulator, EmulatorOptions,
};
use backup_aws::prelude::*;
use backup_core::emulator::LifecycleSpec;
use serde_json::Value;

/// The interpreter of a real-client environment with boto3, if there is one:
/// `BACKUP_RS_REAL_CLIENTS_PYTHON`, else the real-client suite's `target/clients-venv`
/// (`tests/clients/run.sh`).
fn python() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target");
    let candidates = std::env::var_os("BACKUP_RS_REAL_CLIENTS_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .chain([root.join("clients-venv/bin/python")]);
    candidates.into_iter().find(|candidate| {
        Command::new(candidate)
            .args(["-c", "import boto3"])
            .output()
            .is_ok_and(|out| out.status.success())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_drives_the_emulator_through_start_describe_and_stop() {
    let Some(python) = python() else {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "no Python with boto3 on CI: `cargo xtask ci` makes target/clients-venv first"
        );
        eprintln!("real_clients: no Python with boto3 (run tests/clients/run.sh): skipped");
        return;
    };
    let emulator =
        Emulator::start_with(EmulatorOptions::default().lifecycle(LifecycleSpec::after_polls(2)))
            .await
            .unwrap();
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/clients/aws/boto3_backup.py");
    let endpoint = emulator.url().to_string();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(script)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("BACKUP_ENDPOINT", endpoint)
            .env("AWS_ACCESS_KEY_ID", DEMO_ACCESS_KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", DEMO_SECRET_ACCESS_KEY)
            .env("AWS_REGION", DEMO_REGION)
            .env("AWS_CONFIG_FILE", "/nonexistent/backup-rs/config")
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                "/nonexistent/backup-rs/credentials",
            )
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("BACKUP_VAULT", DEMO_VAULT)
            .env("BACKUP_RESOURCE_ARN", DEMO_RESOURCE_ARN)
            .env("BACKUP_DATABASE_ARN", DEMO_DATABASE_ARN)
            .env("BACKUP_STACK_ARN", DEMO_STACK_ARN)
            .env("BACKUP_ROLE_ARN", DEMO_ROLE_ARN)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "boto3 failed:\n{stdout}\n{stderr}");
    let lines: Vec<Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let steps: Vec<&Value> = lines.iter().filter(|l| l.get("step").is_some()).collect();
    assert_eq!(steps.len(), 6, "{stdout}");
    assert!(steps.iter().all(|s| s["ok"] == true), "{stdout}");
    let summary = lines.last().unwrap();
    assert_eq!(summary["failed"], 0, "{stdout}");
    assert_eq!(summary["botocore"], "1.44.8", "the pinned client");
    // The jobs boto3 started: one to the end, two by token (one job) and one fresh, one
    // stopped, a stack, an RDS database.
    assert_eq!(emulator.accepted_backups(), 6);
}
