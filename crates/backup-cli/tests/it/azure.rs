//! Azure Recovery Services through `backupctl`: what only Azure does.

use backup_all::Vendor;
use backup_all::core::emulator::LifecycleSpec;
use serde_json::{Map, Value};

use crate::common::{
    Setup, assert_operation_fields, backupctl, cancel_long_backup, trigger_and_wait_json,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn azure_names_the_backup_job() {
    let setup = Setup::start(Vendor::Azure).await;
    let objects = trigger_and_wait_json(&setup).await;
    assert!(objects[0]["job_id"].is_string(), "{}", objects[0]);
    assert_eq!(setup.accepted(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn azure_cancels_the_job_once_the_service_named_it() {
    // Azure cancels the backup job, once the service has named it.
    let setup = Setup::start(Vendor::Azure).await;
    setup
        .emulator()
        .set_lifecycle(LifecycleSpec::after_polls(1000));
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn azure_file_share_and_workload_requests() {
    use backup_all::azure::emulator::{
        DEMO_FILE_SHARE_CONTAINER, DEMO_FILE_SHARE_ITEM, DEMO_WORKLOAD_CONTAINER,
        DEMO_WORKLOAD_ITEM,
    };
    let setup = Setup::start(Vendor::Azure).await;
    let wait = ["--wait", "--poll-interval", "20ms", "--output", "json"];
    // The demo's subscription, resource group and vault; another item and its kind.
    let params = |container: &str, item: &str, extra: &[(&str, Value)]| {
        let mut params: Map<String, Value> = setup.params.clone();
        params.insert("container".to_owned(), container.into());
        params.insert("item".to_owned(), item.into());
        for (key, value) in extra {
            params.insert((*key).to_owned(), value.clone());
        }
        params
    };
    let share = params(
        DEMO_FILE_SHARE_CONTAINER,
        DEMO_FILE_SHARE_ITEM,
        &[
            ("object_type", "azure-file-share".into()),
            ("expiry", "2030-01-31T00:00:00Z".into()),
        ],
    );
    let args = setup.trigger_args_with(&share, &setup.config, &wait);
    assert!(
        args.windows(2)
            .any(|w| w == ["--object-type", "azure-file-share"]),
        "{args:?}"
    );
    let run = backupctl(&args, &setup.env).await.expect(0);
    assert_eq!(run.one()["status"], "succeeded");
    let workload = params(
        DEMO_WORKLOAD_CONTAINER,
        DEMO_WORKLOAD_ITEM,
        &[
            ("object_type", "azure-workload".into()),
            ("backup_type", "Full".into()),
            ("enable_compression", true.into()),
        ],
    );
    let mut config = setup.config.clone();
    config.insert("api_version".to_owned(), "2025-08-01".into());
    let args = setup.trigger_args_with(&workload, &config, &wait);
    // A bool that may take a value is still given as the bare flag.
    assert!(args.iter().any(|a| a == "--enable-compression"), "{args:?}");
    assert!(!args.iter().any(|a| a == "true"), "{args:?}");
    let run = backupctl(&args, &setup.env).await.expect(0);
    assert_eq!(run.one()["status"], "succeeded");
    assert_eq!(setup.accepted(), 2);
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
    assert_eq!(setup.accepted(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn azure_help_names_its_credentials() {
    use backup_all::azure::{ENV_ACCESS_TOKEN, ENV_CLIENT_SECRET};
    let run = backupctl(&["trigger", "azure", "--help"], &[])
        .await
        .expect(0);
    for name in [ENV_ACCESS_TOKEN, ENV_CLIENT_SECRET] {
        assert!(run.stdout.contains(name), "azure --help lacks {name}");
    }
}
