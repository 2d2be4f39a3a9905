//! Veeam Backup for Microsoft Azure through `backupctl`: what only Veeam does.

use backup_all::Vendor;
use backup_all::core::emulator::LifecycleSpec;

use crate::common::{
    Setup, assert_operation_fields, backupctl, cancel_long_backup, temp_file, trigger_and_wait_json,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn veeam_policy_starts_two_sessions() {
    let setup = Setup::start(Vendor::Veeam).await;
    let sessions = trigger_and_wait_json(&setup).await;
    assert_eq!(sessions.len(), 2, "the demo policy starts two sessions");
    assert!(
        sessions[0]["operation"]
            .as_str()
            .unwrap()
            .starts_with("veeam:v8.1/")
    );
    assert_eq!(setup.accepted(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_veeam_plan_target_reports_every_session() {
    let setup = Setup::start(Vendor::Veeam).await;
    let plan = format!(
        "poll_interval = \"20ms\"\n[[target]]\nname = \"vm-veeam\"\n{}",
        setup.plan()
    );
    let path = temp_file("veeam.toml", &plan);
    let run = backupctl(
        &["run", path.to_str().unwrap(), "--output", "json"],
        &setup.env,
    )
    .await
    .expect(0);
    let objects = run.json();
    // Veeam's policy starts two sessions.
    assert_eq!(objects.len(), 2, "{run:#?}");
    for object in &objects {
        assert_operation_fields(object, "veeam");
        assert_eq!(object["target"], "vm-veeam", "{object}");
        assert_eq!(object["outcome"], "succeeded", "{object}");
    }
    assert_eq!(setup.accepted(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn veeam_cancels_a_session() {
    let setup = Setup::start(Vendor::Veeam).await;
    setup
        .emulator()
        .set_lifecycle(LifecycleSpec::after_polls(1000));
    let (run, _) = cancel_long_backup(&setup).await;
    assert_operation_fields(&run.expect(0).one(), "veeam");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_veeam_api_version_flag_reaches_the_appliance() {
    let wait = ["--wait", "--poll-interval", "20ms", "--output", "json"];
    let setup = Setup::start(Vendor::Veeam).await;
    let mut config = setup.config.clone();
    config.insert("api_version".to_owned(), "v1".into());
    let args = setup.trigger_args_with(&setup.params, &config, &wait);
    assert!(
        args.windows(2).any(|w| w == ["--api-version", "v1"]),
        "{args:?}"
    );
    let run = backupctl(&args, &setup.env).await.expect(0);
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
    assert_eq!(setup.accepted(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn veeam_help_names_its_credentials() {
    let run = backupctl(&["trigger", "veeam", "--help"], &[])
        .await
        .expect(0);
    for name in [
        "VEEAM_URL",
        "VEEAM_USERNAME",
        "VEEAM_PASSWORD",
        "VEEAM_ACCESS_TOKEN",
    ] {
        assert!(run.stdout.contains(name), "veeam --help lacks {name}");
    }
}
