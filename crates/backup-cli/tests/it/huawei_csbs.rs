//! Huawei Cloud CSBS through `backupctl`: what only Huawei does.

use backup_all::Vendor;
use backup_all::core::emulator::LifecycleSpec;

use crate::common::{Setup, backupctl, cancel_long_backup, trigger_and_wait_json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huawei_reports_the_checkpoint_status() {
    let setup = Setup::start(Vendor::HuaweiCsbs).await;
    let objects = trigger_and_wait_json(&setup).await;
    assert_eq!(objects[0]["vendor_status"], "available", "{}", objects[0]);
    assert_eq!(setup.accepted(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huawei_has_no_cancel_exit_2() {
    // Huawei CSBS has no cancel: a usage error, nothing sent.
    let setup = Setup::start(Vendor::HuaweiCsbs).await;
    setup
        .emulator()
        .set_lifecycle(LifecycleSpec::after_polls(1000));
    let (run, _) = cancel_long_backup(&setup).await;
    assert_eq!(run.expect(2).one()["error"]["kind"], "unsupported");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huawei_resource_flags_reach_the_service() {
    use backup_all::huawei_csbs::emulator::DEMO_RESOURCES;
    let wait = ["--wait", "--poll-interval", "20ms", "--output", "json"];
    let setup = Setup::start(Vendor::HuaweiCsbs).await;
    let mut params = setup.params.clone();
    params.insert(
        "resources".to_owned(),
        DEMO_RESOURCES[..2]
            .iter()
            .map(|r| (*r).to_owned())
            .collect(),
    );
    let args = setup.trigger_args_with(&params, &setup.config, &wait);
    // A list is the repeated flag.
    for resource in &DEMO_RESOURCES[..2] {
        assert!(
            args.windows(2).any(|w| w == ["--resource", resource]),
            "{args:?}"
        );
    }
    let run = backupctl(&args, &setup.env).await.expect(0);
    assert_eq!(run.one()["status"], "succeeded");
    assert_eq!(setup.accepted(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huawei_help_names_its_credentials() {
    use backup_all::huawei_csbs::{ENV_AK, ENV_PROJECT_ID, ENV_SK};
    let run = backupctl(&["trigger", "huawei-csbs", "--help"], &[])
        .await
        .expect(0);
    for name in [ENV_AK, ENV_SK, ENV_PROJECT_ID] {
        assert!(run.stdout.contains(name), "huawei-csbs --help lacks {name}");
    }
}
