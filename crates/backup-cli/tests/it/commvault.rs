//! Commvault / Metallic through `backupctl`: what only Commvault does.

use backup_all::Vendor;
use backup_all::core::emulator::LifecycleSpec;

use crate::common::{Setup, backupctl, trigger_and_wait_json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commvault_trigger_wait_and_cancel() {
    let setup = Setup::start(Vendor::Commvault).await;
    let objects = trigger_and_wait_json(&setup).await;
    assert_eq!(objects[0]["vendor_status"], "Completed", "{}", objects[0]);
    assert!(objects[0]["job_id"].is_string(), "{}", objects[0]);
    assert_eq!(setup.accepted(), 1);

    setup
        .emulator()
        .set_lifecycle(LifecycleSpec::after_polls(1000));
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
async fn insecure_warns_and_a_missing_ca_certificate_is_a_configuration_error() {
    let setup = Setup::start(Vendor::Commvault).await;
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
    assert_eq!(setup.accepted(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commvault_optional_flags_reach_the_commserve() {
    use backup_all::commvault::emulator::DEMO_PLAN;
    let wait = ["--wait", "--poll-interval", "20ms", "--output", "json"];
    let setup = Setup::start(Vendor::Commvault).await;
    // The subclient alone, at level full; the storage policy and the directive file
    // as flags of their own.
    let mut params = setup.params.clone();
    params.remove("storage_policy");
    params.remove("directive_file");
    params.insert("level".to_owned(), "full".into());
    let mut extra = vec![
        "--storage-policy",
        DEMO_PLAN,
        "--directive-file",
        "/sk/s-directive-file-blob.txt",
    ];
    extra.extend(wait);
    let args = setup.trigger_args_with(&params, &setup.config, &extra);
    assert!(
        args.windows(2).any(|w| w == ["--level", "full"]),
        "{args:?}"
    );
    let run = backupctl(&args, &setup.env).await.expect(0);
    assert_eq!(run.one()["status"], "succeeded");
    assert_eq!(setup.accepted(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commvault_help_names_its_credentials() {
    let run = backupctl(&["trigger", "commvault", "--help"], &[])
        .await
        .expect(0);
    for name in [
        "COMMVAULT_API_URL",
        "COMMVAULT_USERNAME",
        "COMMVAULT_PASSWORD",
        "COMMVAULT_AUTHTOKEN",
    ] {
        assert!(run.stdout.contains(name), "commvault --help lacks {name}");
    }
}
