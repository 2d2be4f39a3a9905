//! The exit codes scripts branch on, each shown on a vendor that makes it easy to
//! provoke.

use backup_all::Vendor;
use backup_all::core::emulator::{Fault, LifecycleSpec, RouteClass};

use crate::common::{Setup, assert_operation_fields, backupctl};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_1_when_the_backup_fails() {
    let setup = Setup::start(Vendor::Veeam).await;
    setup
        .emulator()
        .set_lifecycle(LifecycleSpec::after_polls(1).failing("disk on fire"));
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
    let setup = Setup::start(Vendor::Veeam).await;
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
    args.extend(setup.connect());
    args.extend(["--region".to_owned(), "eu".to_owned()]);
    backupctl(&args, &setup.env).await.expect(2);
    // ... in JSON too: the flag and the vendor named, nothing sent.
    args.extend(["--output".to_owned(), "json".to_owned()]);
    let failure = backupctl(&args, &setup.env).await.expect(2).one();
    assert!(failure["operation"].is_null(), "{failure}");
    assert_eq!(failure["error"]["kind"], "invalid_input", "{failure}");
    let message = failure["error"]["message"].as_str().unwrap();
    assert!(message.contains("--region"), "{failure}");
    assert!(message.contains("does not apply to veeam"), "{failure}");
    // --timeout without --wait, before or after the vendor's flags.
    backupctl(&setup.trigger_args(&["--timeout", "1m"]), &setup.env)
        .await
        .expect(2);
    let mut args = vec![
        "trigger".to_owned(),
        "--timeout".to_owned(),
        "1m".to_owned(),
    ];
    args.extend(setup.trigger_args(&[]).into_iter().skip(1));
    backupctl(&args, &setup.env).await.expect(2);
    assert_eq!(setup.accepted(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_3_when_the_deadline_passes_and_wait_resumes() {
    let setup = Setup::start(Vendor::Yandex).await;
    // Twelve polls 20 ms apart cannot end within 60 ms, however fast the machine.
    setup
        .emulator()
        .set_lifecycle(LifecycleSpec::after_polls(12));
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
    assert_eq!(setup.accepted(), 1);
    // The common flags may also come before the vendor.
    let mut args = vec![
        "trigger".to_owned(),
        "--wait".to_owned(),
        "--timeout".to_owned(),
        "60ms".to_owned(),
    ];
    args.extend(
        setup
            .trigger_args(&["--poll-interval", "20ms"])
            .into_iter()
            .skip(1),
    );
    backupctl(&args, &setup.env).await.expect(3);
    assert_eq!(setup.accepted(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_4_when_authentication_fails() {
    let setup = Setup::start(Vendor::Veeam).await;
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
    assert_eq!(setup.accepted(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_5_for_api_errors_and_unknown_outcomes() {
    let setup = Setup::start(Vendor::Yandex).await;
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
    let setup2 = Setup::start(Vendor::Commvault).await;
    setup2
        .emulator()
        .faults()
        .inject_n(RouteClass::Trigger, Fault::DropAfterHandling, 10);
    let run = backupctl(&setup2.trigger_args(&["--output", "json"]), &setup2.env).await;
    assert_eq!(run.code, 5, "{run:#?}");
    assert_eq!(run.one()["error"]["kind"], "outcome_unknown");
    drop(setup);
}
