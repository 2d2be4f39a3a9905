//! `backupctl` end to end, as a subprocess, against the vendor emulators.

mod common;

use std::time::Duration;

use backup_all::core::emulator::{Fault, LifecycleSpec, RouteClass};
use common::{Run, Setup, assert_operation_fields, backupctl};
use serde_json::Value;

/// `trigger --wait --output json` on one vendor: one object per operation, each
/// checked field by field.
async fn trigger_and_wait_json(setup: &Setup) -> Vec<Value> {
    let run = backupctl(
        &setup.trigger_args(&["--wait", "--poll-interval", "20ms", "--output", "json"]),
        &setup.env,
    )
    .await
    .expect(0);
    let objects = run.json();
    assert!(!objects.is_empty(), "{run:#?}");
    for object in &objects {
        assert_operation_fields(object, setup.vendor);
        assert_eq!(object["status"], "succeeded", "{object}");
        assert!(object["error"].is_null(), "{object}");
        assert!(object["finished_at"].is_string(), "{object}");
    }
    objects
}

/// `trigger` (no wait), then `status` and `wait` from the printed reference, in JSON;
/// then the same in text.
async fn trigger_status_wait(setup: &Setup) -> String {
    let run = backupctl(&setup.trigger_args(&["--output", "json"]), &setup.env)
        .await
        .expect(0);
    let accepted = run.json().remove(0);
    assert_operation_fields(&accepted, setup.vendor);
    let reference = accepted["operation"].as_str().unwrap().to_owned();

    let status = backupctl(
        &setup.ref_args("status", &reference, &["--output", "json"]),
        &setup.env,
    )
    .await
    .expect(0)
    .one();
    assert_operation_fields(&status, setup.vendor);
    // The reference may grow as the vendor tells more (Azure adds the job id).
    assert!(
        status["operation"]
            .as_str()
            .unwrap()
            .starts_with(&reference),
        "{status}"
    );

    let done = backupctl(
        &setup.ref_args(
            "wait",
            &reference,
            &["--poll-interval", "20ms", "--output", "json"],
        ),
        &setup.env,
    )
    .await
    .expect(0)
    .one();
    assert_operation_fields(&done, setup.vendor);
    assert_eq!(done["status"], "succeeded", "{done}");
    assert!(
        done["operation"].as_str().unwrap().starts_with(&reference),
        "{done}"
    );

    // Text: the reference and the status on stdout.
    let text = backupctl(&setup.ref_args("status", &reference, &[]), &setup.env)
        .await
        .expect(0);
    assert!(text.stdout.starts_with(&reference), "{text:#?}");
    assert!(text.stdout.contains("succeeded"), "{text:#?}");
    reference
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn yandex_trigger_status_wait_cancel() {
    let (emulator, setup) = common::yandex().await;
    let objects = trigger_and_wait_json(&setup).await;
    assert_eq!(objects[0]["progress"], 100.0);
    trigger_status_wait(&setup).await;
    assert_eq!(emulator.accepted_backups(), 2);

    emulator.set_lifecycle(LifecycleSpec::after_polls(1000));
    let accepted = backupctl(&setup.trigger_args(&["--output", "json"]), &setup.env)
        .await
        .expect(0)
        .one();
    let reference = accepted["operation"].as_str().unwrap();
    let cancelled = backupctl(
        &setup.ref_args("cancel", reference, &["--output", "json"]),
        &setup.env,
    )
    .await
    .expect(0)
    .one();
    assert_operation_fields(&cancelled, "yandex");
    // Waiting on a cancelled backup is the failure path: exit 1.
    let waited = backupctl(
        &setup.ref_args(
            "wait",
            reference,
            &["--poll-interval", "20ms", "--output", "json"],
        ),
        &setup.env,
    )
    .await
    .expect(1)
    .one();
    assert_eq!(waited["status"], "cancelled", "{waited}");
    assert_eq!(waited["error"]["kind"], "operation_failed", "{waited}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn veeam_trigger_status_wait() {
    let (emulator, setup) = common::veeam().await;
    let sessions = trigger_and_wait_json(&setup).await;
    assert_eq!(sessions.len(), 2, "the demo policy starts two sessions");
    assert!(
        sessions[0]["operation"]
            .as_str()
            .unwrap()
            .starts_with("veeam:v8.1/")
    );
    trigger_status_wait(&setup).await;
    assert_eq!(emulator.accepted_backups(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huawei_trigger_status_wait() {
    let (emulator, setup) = common::huawei().await;
    let objects = trigger_and_wait_json(&setup).await;
    assert_eq!(objects[0]["vendor_status"], "available", "{}", objects[0]);
    trigger_status_wait(&setup).await;
    assert_eq!(emulator.accepted_backups(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commvault_trigger_status_wait_cancel() {
    let (emulator, setup) = common::commvault().await;
    let objects = trigger_and_wait_json(&setup).await;
    assert_eq!(objects[0]["vendor_status"], "Completed", "{}", objects[0]);
    assert!(objects[0]["job_id"].is_string(), "{}", objects[0]);
    trigger_status_wait(&setup).await;
    assert_eq!(emulator.accepted_backups(), 2);

    emulator.set_lifecycle(LifecycleSpec::after_polls(1000));
    let job = backupctl(&setup.trigger_args(&["--output", "json"]), &setup.env)
        .await
        .expect(0)
        .one();
    let reference = job["operation"].as_str().unwrap();
    backupctl(
        &setup.ref_args("cancel", reference, &["--output", "json"]),
        &setup.env,
    )
    .await
    .expect(0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn azure_trigger_status_wait() {
    let (emulator, setup) = common::azure().await;
    let objects = trigger_and_wait_json(&setup).await;
    assert!(objects[0]["job_id"].is_string(), "{}", objects[0]);
    trigger_status_wait(&setup).await;
    assert_eq!(emulator.accepted_backups(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_output_prints_the_reference_and_result() {
    let (_emulator, setup) = common::yandex().await;
    let run = backupctl(
        &setup.trigger_args(&["--wait", "--poll-interval", "20ms"]),
        &setup.env,
    )
    .await
    .expect(0);
    let line = run.stdout.lines().last().unwrap();
    assert!(line.starts_with("yandex:"), "{run:#?}");
    assert!(line.contains("succeeded"), "{run:#?}");
    // Not a terminal: progress comes as plain lines on stderr, never on stdout.
    assert!(run.stderr.contains("running"), "{run:#?}");
    assert_eq!(run.stdout.lines().count(), 1, "{run:#?}");
}

// ---- exit codes ----------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_1_when_the_backup_fails() {
    let (emulator, setup) = common::veeam().await;
    emulator.set_lifecycle(LifecycleSpec::after_polls(1).failing("disk on fire"));
    let run = backupctl(
        &setup.trigger_args(&["--wait", "--poll-interval", "20ms", "--output", "json"]),
        &setup.env,
    )
    .await
    .expect(1);
    let first = &run.json()[0];
    assert_operation_fields(first, "veeam");
    assert_eq!(first["status"], "failed");
    assert_eq!(first["error"]["kind"], "operation_failed");
    assert!(
        first["error"]["message"]
            .as_str()
            .unwrap()
            .contains("disk on fire"),
        "{first}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_2_for_usage_and_configuration_errors() {
    let (emulator, setup) = common::veeam().await;
    // No credentials in the environment.
    let run = backupctl(&setup.trigger_args(&["--output", "json"]), &[])
        .await
        .expect(2);
    let failure = run.one();
    assert!(failure["operation"].is_null());
    assert_eq!(failure["error"]["kind"], "config");
    assert!(
        failure["error"]["message"]
            .as_str()
            .unwrap()
            .contains("VEEAM_USERNAME")
    );
    // A missing flag, a malformed reference, an unknown vendor in a reference.
    backupctl(&["trigger", "veeam"], &setup.env).await.expect(2);
    backupctl(&["status", "not-a-reference"], &setup.env)
        .await
        .expect(2);
    backupctl(&["status", "tape:123"], &setup.env)
        .await
        .expect(2);
    // A malformed duration, an option that does not apply to the vendor.
    backupctl(
        &setup.trigger_args(&["--wait", "--timeout", "soon"]),
        &setup.env,
    )
    .await
    .expect(2);
    let mut args = vec!["status".to_owned(), "veeam:v8.1/1".to_owned()];
    args.extend(setup.connect.iter().cloned());
    args.extend(["--region".to_owned(), "eu".to_owned()]);
    backupctl(&args, &setup.env).await.expect(2);
    assert_eq!(emulator.accepted_backups(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_3_when_the_deadline_passes_and_wait_resumes() {
    let (emulator, setup) = common::yandex().await;
    emulator.set_lifecycle(LifecycleSpec::after_polls(12));
    let run = backupctl(
        &setup.trigger_args(&["--wait", "--poll-interval", "20ms", "--timeout", "60ms"]),
        &setup.env,
    )
    .await
    .expect(3);
    let reference = run.stdout.split_whitespace().next().unwrap().to_owned();
    assert!(reference.starts_with("yandex:"), "{run:#?}");
    assert!(run.stderr.contains("backupctl wait"), "{run:#?}");
    // Resuming from the printed reference sees it to the end.
    backupctl(
        &setup.ref_args("wait", &reference, &["--poll-interval", "20ms"]),
        &setup.env,
    )
    .await
    .expect(0);
    assert_eq!(emulator.accepted_backups(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_4_when_authentication_fails() {
    let (emulator, setup) = common::veeam().await;
    let mut env = setup.env.clone();
    env.retain(|(k, _)| k != "VEEAM_PASSWORD");
    env.push((
        "VEEAM_PASSWORD".into(),
        "sentinel-wrong-password-4242".into(),
    ));
    let run = backupctl(&setup.trigger_args(&["--output", "json", "-vvv"]), &env)
        .await
        .expect(4);
    assert!(
        !run.stdout.contains("sentinel-wrong-password-4242"),
        "{run:#?}"
    );
    assert!(
        !run.stderr.contains("sentinel-wrong-password-4242"),
        "{run:#?}"
    );
    let failure = run.one();
    assert!(failure["operation"].is_null());
    assert_eq!(emulator.accepted_backups(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_5_for_api_errors_and_unknown_outcomes() {
    let (emulator, setup) = common::yandex().await;
    // Status of an operation the service does not know: an API error.
    let run = backupctl(
        &setup.ref_args(
            "status",
            "yandex:cdgunknownoperation1",
            &["--output", "json"],
        ),
        &setup.env,
    )
    .await;
    assert_eq!(run.code, 5, "{run:#?}");
    let failure = run.one();
    assert_eq!(failure["error"]["kind"], "not_found", "{failure}");

    // A trigger whose answer never comes: outcome unknown (Yandex retries with the same
    // idempotency key first, so drop every answer).
    let (emulator2, setup2) = common::commvault().await;
    emulator2
        .faults()
        .inject_n(RouteClass::Trigger, Fault::DropAfterHandling, 10);
    let run = backupctl(&setup2.trigger_args(&["--output", "json"]), &setup2.env).await;
    assert_eq!(run.code, 5, "{run:#?}");
    assert_eq!(run.one()["error"]["kind"], "outcome_unknown");
    drop(emulator);
}

// ---- secrets -------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_from_the_environment_never_appear_at_any_verbosity() {
    let setups: Vec<(Box<dyn std::any::Any + Send>, Setup)> = vec![
        {
            let (e, s) = common::yandex().await;
            (Box::new(e), s)
        },
        {
            let (e, s) = common::veeam().await;
            (Box::new(e), s)
        },
        {
            let (e, s) = common::huawei().await;
            (Box::new(e), s)
        },
        {
            let (e, s) = common::commvault().await;
            (Box::new(e), s)
        },
        {
            let (e, s) = common::azure().await;
            (Box::new(e), s)
        },
    ];
    for (_emulator, setup) in &setups {
        for verbosity in [None, Some("-v"), Some("-vvv")] {
            for output in ["text", "json"] {
                let mut extra = vec!["--wait", "--poll-interval", "20ms", "--output", output];
                extra.extend(verbosity);
                let run: Run = backupctl(&setup.trigger_args(&extra), &setup.env)
                    .await
                    .expect(0);
                for secret in &setup.secrets {
                    assert!(
                        !run.stdout.contains(secret.as_str()),
                        "{}: stdout shows a secret",
                        setup.vendor
                    );
                    assert!(
                        !run.stderr.contains(secret.as_str()),
                        "{}: stderr shows a secret",
                        setup.vendor
                    );
                }
                if verbosity == Some("-vvv") {
                    assert!(!run.stderr.is_empty(), "-vvv logs something");
                }
                if output == "json" {
                    // Logs never mix into the JSON on stdout.
                    run.json();
                }
            }
        }
    }
    // RUST_LOG=trace too.
    let (_emulator, setup) = &setups[0];
    let mut env = setup.env.clone();
    env.push(("RUST_LOG".into(), "trace".into()));
    let run = backupctl(
        &setup.trigger_args(&["--wait", "--poll-interval", "20ms"]),
        &env,
    )
    .await
    .expect(0);
    for secret in &setup.secrets {
        assert!(!run.stderr.contains(secret.as_str()));
    }
    let _ = Duration::ZERO;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_documents_exit_codes_and_environment_names() {
    let run = backupctl(&["--help"], &[]).await.expect(0);
    for code in [
        "0  succeeded",
        "1  a backup failed",
        "2  usage",
        "3  deadline",
        "4  authentication",
        "5  other API",
    ] {
        assert!(run.stdout.contains(code), "{code}: {}", run.stdout);
    }
    for (vendor, names) in [
        (
            "azure",
            vec![
                backup_all::azure::auth::ENV_ACCESS_TOKEN,
                backup_all::azure::auth::ENV_CLIENT_SECRET,
            ],
        ),
        (
            "yandex",
            vec!["YC_IAM_TOKEN", "YC_TOKEN", "YC_SERVICE_ACCOUNT_KEY_FILE"],
        ),
        (
            "huawei-csbs",
            vec![
                backup_all::huawei_csbs::ENV_AK,
                backup_all::huawei_csbs::ENV_SK,
                backup_all::huawei_csbs::ENV_PROJECT_ID,
            ],
        ),
        (
            "commvault",
            vec![
                "COMMVAULT_API_URL",
                "COMMVAULT_USERNAME",
                "COMMVAULT_PASSWORD",
                "COMMVAULT_AUTHTOKEN",
            ],
        ),
        (
            "veeam",
            vec![
                "VEEAM_URL",
                "VEEAM_USERNAME",
                "VEEAM_PASSWORD",
                "VEEAM_ACCESS_TOKEN",
            ],
        ),
    ] {
        let run = backupctl(&["trigger", vendor, "--help"], &[])
            .await
            .expect(0);
        for name in names {
            assert!(run.stdout.contains(name), "{vendor} --help lacks {name}");
        }
    }
    let run = backupctl(&["completions", "bash"], &[]).await.expect(0);
    assert!(run.stdout.contains("backupctl"));
}

// ---- cancel on every vendor, TLS flags ---------------------------------------------------

/// Triggers a long backup and cancels it; returns the cancel run and the reference.
async fn cancel_long_backup(setup: &Setup) -> (Run, String) {
    let accepted = backupctl(&setup.trigger_args(&["--output", "json"]), &setup.env)
        .await
        .expect(0);
    let reference = accepted.json()[0]["operation"].as_str().unwrap().to_owned();
    let run = backupctl(
        &setup.ref_args("cancel", &reference, &["--output", "json"]),
        &setup.env,
    )
    .await;
    (run, reference)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_where_the_vendor_can_and_exit_2_where_it_cannot() {
    let (veeam, setup) = common::veeam().await;
    veeam.set_lifecycle(LifecycleSpec::after_polls(1000));
    let (run, _) = cancel_long_backup(&setup).await;
    assert_operation_fields(&run.expect(0).one(), "veeam");

    // Azure cancels the backup job, once the service has named it.
    let (azure, setup) = common::azure().await;
    azure.set_lifecycle(LifecycleSpec::after_polls(1000));
    let (run, mut reference) = cancel_long_backup(&setup).await;
    assert_eq!(run.expect(2).one()["error"]["kind"], "unsupported");
    for _ in 0..10 {
        let status = backupctl(
            &setup.ref_args("status", &reference, &["--output", "json"]),
            &setup.env,
        )
        .await
        .expect(0)
        .one();
        reference = status["operation"].as_str().unwrap().to_owned();
        if status["job_id"].is_string() {
            break;
        }
    }
    let run = backupctl(
        &setup.ref_args("cancel", &reference, &["--output", "json"]),
        &setup.env,
    )
    .await
    .expect(0);
    assert_operation_fields(&run.one(), "azure");

    // Huawei CSBS has no cancel: a usage error, nothing sent.
    let (huawei, setup) = common::huawei().await;
    huawei.set_lifecycle(LifecycleSpec::after_polls(1000));
    let (run, _) = cancel_long_backup(&setup).await;
    assert_eq!(run.expect(2).one()["error"]["kind"], "unsupported");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insecure_warns_and_a_missing_ca_certificate_is_a_configuration_error() {
    let (emulator, setup) = common::commvault().await;
    let run = backupctl(
        &setup.trigger_args(&["--insecure", "--output", "json"]),
        &setup.env,
    )
    .await
    .expect(0);
    assert!(run.stderr.contains("--insecure"), "{run:#?}");
    run.one();
    let run = backupctl(
        &setup.trigger_args(&["--ca-cert", "/nonexistent/ca.pem", "--output", "json"]),
        &setup.env,
    )
    .await
    .expect(2);
    assert_eq!(run.one()["error"]["kind"], "config");
    // Flags of another vendor are refused by clap.
    backupctl(
        &setup.trigger_args(&["--iam-endpoint", "http://x"]),
        &setup.env,
    )
    .await
    .expect(2);
    assert_eq!(emulator.accepted_backups(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn azure_file_share_and_workload_requests() {
    use backup_all::azure::emulator::{
        DEMO_FILE_SHARE_CONTAINER, DEMO_FILE_SHARE_ITEM, DEMO_RESOURCE_GROUP, DEMO_SUBSCRIPTION,
        DEMO_VAULT, DEMO_WORKLOAD_CONTAINER, DEMO_WORKLOAD_ITEM,
    };
    let (emulator, setup) = common::azure().await;
    let base = |container: &str, item: &str, extra: &[&str]| {
        let mut args: Vec<String> = [
            "trigger",
            "azure",
            "--subscription",
            DEMO_SUBSCRIPTION,
            "--resource-group",
            DEMO_RESOURCE_GROUP,
            "--vault",
            DEMO_VAULT,
            "--container",
            container,
            "--item",
            item,
            "--wait",
            "--poll-interval",
            "20ms",
            "--output",
            "json",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        args.extend(setup.connect.iter().cloned());
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        args
    };
    let share = base(
        DEMO_FILE_SHARE_CONTAINER,
        DEMO_FILE_SHARE_ITEM,
        &[
            "--object-type",
            "azure-file-share",
            "--expiry",
            "2030-01-31T00:00:00Z",
        ],
    );
    let run = backupctl(&share, &setup.env).await.expect(0);
    assert_eq!(run.one()["status"], "succeeded");
    let workload = base(
        DEMO_WORKLOAD_CONTAINER,
        DEMO_WORKLOAD_ITEM,
        &[
            "--object-type",
            "azure-workload",
            "--backup-type",
            "Full",
            "--enable-compression",
            "--api-version",
            "2025-08-01",
        ],
    );
    let run = backupctl(&workload, &setup.env).await.expect(0);
    assert_eq!(run.one()["status"], "succeeded");
    assert_eq!(emulator.accepted_backups(), 2);
    // A backup type on a VM request, a malformed expiry, an unknown api-version: exit 2.
    let vm = |extra: &[&str]| {
        let mut args = setup.trigger_args(extra);
        args.extend(["--output".to_owned(), "json".to_owned()]);
        args
    };
    backupctl(&vm(&["--backup-type", "Full"]), &setup.env)
        .await
        .expect(2);
    backupctl(&vm(&["--expiry", "tomorrow"]), &setup.env)
        .await
        .expect(2);
    backupctl(&vm(&["--api-version", "2019-01-01"]), &setup.env)
        .await
        .expect(2);
    assert_eq!(emulator.accepted_backups(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn optional_vendor_flags_reach_the_vendor() {
    use backup_all::commvault::emulator::DEMO_PLAN;
    use backup_all::huawei_csbs::emulator::DEMO_RESOURCES;
    let wait = ["--wait", "--poll-interval", "20ms", "--output", "json"];

    let (huawei, setup) = common::huawei().await;
    let mut extra = vec![
        "--resource",
        DEMO_RESOURCES[0],
        "--resource",
        DEMO_RESOURCES[1],
    ];
    extra.extend(wait);
    let run = backupctl(&setup.trigger_args(&extra), &setup.env)
        .await
        .expect(0);
    assert_eq!(run.one()["status"], "succeeded");
    assert_eq!(huawei.accepted_backups(), 1);

    let (veeam, setup) = common::veeam().await;
    let mut extra = vec!["--api-version", "v1"];
    extra.extend(wait);
    let run = backupctl(&setup.trigger_args(&extra), &setup.env)
        .await
        .expect(0);
    for session in run.json() {
        assert!(
            session["operation"]
                .as_str()
                .unwrap()
                .starts_with("veeam:v1/"),
            "{session}"
        );
        assert_eq!(session["status"], "succeeded");
    }
    assert_eq!(veeam.accepted_backups(), 1);

    let (commvault, setup) = common::commvault().await;
    let mut extra = vec![
        "--storage-policy",
        DEMO_PLAN,
        "--directive-file",
        "/sk/s-directive-file-blob.txt",
    ];
    extra.extend(wait);
    let run = backupctl(&setup.trigger_args(&extra), &setup.env)
        .await
        .expect(0);
    assert_eq!(run.one()["status"], "succeeded");
    assert_eq!(commvault.accepted_backups(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_yandex_trigger_with_the_same_key_starts_one_backup() {
    let (emulator, setup) = common::yandex().await;
    let key = "5f0c8a52-3a4e-4d0e-9c55-0f8f2b0d7a11";
    let args = setup.trigger_args(&["--idempotency-key", key, "--output", "json"]);
    let first = backupctl(&args, &setup.env).await.expect(0).one();
    let second = backupctl(&args, &setup.env).await.expect(0).one();
    assert_eq!(first["operation"], second["operation"]);
    assert_eq!(emulator.accepted_backups(), 1);
}
