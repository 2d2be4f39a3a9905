//! Yandex Cloud Backup through `backupctl`: what only Yandex does.

use backup_all::Vendor;
use backup_all::core::emulator::LifecycleSpec;

use crate::common::{Setup, assert_operation_fields, backupctl, trigger_and_wait_json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn yandex_trigger_wait_and_cancel() {
    let setup = Setup::start(Vendor::Yandex).await;
    let objects = trigger_and_wait_json(&setup).await;
    assert_eq!(objects[0]["progress"], 100.0);
    assert_eq!(setup.accepted(), 1);

    setup
        .emulator()
        .set_lifecycle(LifecycleSpec::after_polls(1000));
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
async fn text_output_prints_the_reference_and_result() {
    let setup = Setup::start(Vendor::Yandex).await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_yandex_trigger_with_the_same_key_starts_one_backup() {
    let setup = Setup::start(Vendor::Yandex).await;
    let key = "5f0c8a52-3a4e-4d0e-9c55-0f8f2b0d7a11";
    let args = setup.trigger_args(&["--idempotency-key", key, "--output", "json"]);
    let first = backupctl(&args, &setup.env).await.expect(0).one();
    let second = backupctl(&args, &setup.env).await.expect(0).one();
    assert_eq!(first["operation"], second["operation"]);
    assert_eq!(setup.accepted(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn yandex_help_names_its_credentials() {
    let run = backupctl(&["trigger", "yandex", "--help"], &[])
        .await
        .expect(0);
    for name in ["YC_IAM_TOKEN", "YC_TOKEN", "YC_SERVICE_ACCOUNT_KEY_FILE"] {
        assert!(run.stdout.contains(name), "yandex --help lacks {name}");
    }
}
