//! `backupctl run` (plans across vendors) and `backupctl demo`, as a subprocess.

mod common;

use backup_all::core::emulator::LifecycleSpec;
use common::{assert_operation_fields, backupctl, temp_file};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_exits_0_and_shows_five_vendors() {
    let run = backupctl(&["demo"], &[]).await.expect(0);
    for vendor in ["azure", "yandex", "huawei-csbs", "commvault", "veeam"] {
        assert!(
            run.stdout
                .lines()
                .any(|l| l.contains(vendor) && l.contains("succeeded")),
            "{vendor}: {run:#?}"
        );
    }
    assert!(run.stdout.contains("5 succeeded"), "{run:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_fail_yandex_exits_1() {
    let run = backupctl(&["demo", "--fail", "yandex"], &[])
        .await
        .expect(1);
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with("yandex") && l.contains("failed")),
        "{run:#?}"
    );
    assert!(run.stdout.contains("4 succeeded, 1 failed"), "{run:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_json_and_vendor_selection() {
    let run = backupctl(
        &[
            "--output",
            "json",
            "demo",
            "--vendor",
            "veeam",
            "--vendor",
            "commvault",
            "--fail",
            "commvault",
        ],
        &[],
    )
    .await
    .expect(1);
    let objects = run.json();
    for object in &objects {
        let vendor = object["vendor"].as_str().unwrap();
        assert_operation_fields(object, vendor);
        let expected = if vendor == "commvault" {
            "failed"
        } else {
            "succeeded"
        };
        assert_eq!(object["status"], expected, "{object}");
        assert_eq!(object["outcome"], expected, "{object}");
    }
    assert!(objects.iter().any(|o| o["vendor"] == "veeam"));
    // --fail needs its vendor among --vendor.
    backupctl(&["demo", "--vendor", "veeam", "--fail", "azure"], &[])
        .await
        .expect(2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_across_all_five_vendors_runs_with_bounded_concurrency() {
    let (azure, az) = common::azure().await;
    let (yandex, yc) = common::yandex().await;
    let (huawei, hw) = common::huawei().await;
    let (commvault, cv) = common::commvault().await;
    let (veeam, vm) = common::veeam().await;
    // Yandex's token comes from another variable through the target's `env` table.
    let mut env = Vec::new();
    for setup in [&az, &hw, &cv, &vm] {
        env.extend(setup.env.iter().cloned());
    }
    env.push(("TEAM_A_YC_TOKEN".into(), yc.env[0].1.clone()));
    let plan = format!(
        "concurrency = 2\npoll_interval = \"20ms\"\ntimeout = \"60s\"\n\n\
         [[target]]\nname = \"vm-azure\"\n{}\n\
         [[target]]\nname = \"vm-yandex\"\nenv = {{ YC_TOKEN = \"TEAM_A_YC_TOKEN\" }}\n{}\n\
         [[target]]\nname = \"ecs-huawei\"\n{}\n\
         [[target]]\nname = \"fs-commvault\"\n{}\n\
         [[target]]\nname = \"vm-veeam\"\n{}\n",
        az.plan, yc.plan, hw.plan, cv.plan, vm.plan
    );
    let path = temp_file("plan.toml", &plan);
    let run = backupctl(
        &[
            "run",
            path.to_str().unwrap(),
            "--output",
            "json",
            "--concurrency",
            "3",
        ],
        &env,
    )
    .await
    .expect(0);
    let objects = run.json();
    // Veeam's policy starts two sessions.
    assert_eq!(objects.len(), 6, "{run:#?}");
    let targets: Vec<&str> = objects
        .iter()
        .map(|o| o["target"].as_str().unwrap())
        .collect();
    assert_eq!(
        targets,
        [
            "vm-azure",
            "vm-yandex",
            "ecs-huawei",
            "fs-commvault",
            "vm-veeam",
            "vm-veeam"
        ]
    );
    for object in &objects {
        assert_operation_fields(object, object["vendor"].as_str().unwrap());
        assert_eq!(object["status"], "succeeded", "{object}");
        assert_eq!(object["outcome"], "succeeded", "{object}");
        assert!(object["polls"].as_u64().unwrap() > 0, "{object}");
        assert!(object["duration_ms"].is_u64(), "{object}");
    }
    assert_eq!(azure.accepted_backups(), 1);
    assert_eq!(yandex.accepted_backups(), 1);
    assert_eq!(huawei.accepted_backups(), 1);
    assert_eq!(commvault.accepted_backups(), 1);
    assert_eq!(veeam.accepted_backups(), 1);

    // In text: one line per target and a summary.
    let run = backupctl(&["run", path.to_str().unwrap()], &env)
        .await
        .expect(0);
    assert!(run.stdout.contains("5 targets"), "{run:#?}");
    assert!(run.stdout.contains("5 succeeded"), "{run:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_plan_is_rejected_before_any_trigger() {
    let (yandex, yc) = common::yandex().await;
    let (veeam, vm) = common::veeam().await;
    let mut env = yc.env.clone();
    env.extend(vm.env.iter().cloned());
    // Two good targets and one without its policy: nothing may start.
    let plan = format!(
        "[[target]]\nname = \"good-yandex\"\n{}\n\
         [[target]]\nname = \"good-veeam\"\n{}\n\
         [[target]]\nname = \"broken\"\nvendor = \"veeam\"\nendpoint = \"{}\"\n",
        yc.plan,
        vm.plan,
        veeam.url()
    );
    let path = temp_file("bad.toml", &plan);
    let run = backupctl(&["run", path.to_str().unwrap()], &env)
        .await
        .expect(2);
    assert!(run.stderr.contains("bad.toml"), "{run:#?}");
    assert!(run.stderr.contains("target \"broken\""), "{run:#?}");
    assert!(run.stderr.contains("field `policy`"), "{run:#?}");

    // A plan whose target lacks credentials in the environment: refused too.
    let plan = format!(
        "[[target]]\nname = \"good-yandex\"\n{}\n\
         [[target]]\nname = \"no-credentials\"\n{}\n",
        yc.plan, vm.plan
    );
    let path = temp_file("nocreds.toml", &plan);
    let run = backupctl(&["run", path.to_str().unwrap()], &yc.env)
        .await
        .expect(2);
    assert!(run.stderr.contains("target \"no-credentials\""), "{run:#?}");
    assert!(run.stderr.contains("VEEAM_USERNAME"), "{run:#?}");
    assert!(run.stderr.contains("nothing was triggered"), "{run:#?}");

    // A secret written into a plan: refused, and not echoed.
    let plan = format!(
        "[[target]]\nname = \"inline\"\n{}password = \"hunter2-secret\"\n",
        vm.plan
    );
    let path = temp_file("secret.toml", &plan);
    let run = backupctl(&["run", path.to_str().unwrap()], &env)
        .await
        .expect(2);
    assert!(!run.stderr.contains("hunter2-secret"), "{run:#?}");
    assert!(run.stderr.contains("field `password`"), "{run:#?}");

    assert_eq!(yandex.accepted_backups(), 0);
    assert_eq!(veeam.accepted_backups(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_exit_codes_follow_the_worst_target() {
    let (yandex, yc) = common::yandex().await;
    let (veeam, vm) = common::veeam().await;
    let mut env = yc.env.clone();
    env.extend(vm.env.iter().cloned());
    veeam.set_lifecycle(LifecycleSpec::after_polls(1).failing("no space left"));
    let plan = format!(
        "poll_interval = \"20ms\"\n\
         [[target]]\nname = \"ok\"\n{}\n\
         [[target]]\nname = \"failing\"\n{}\n",
        yc.plan, vm.plan
    );
    let path = temp_file("mixed.toml", &plan);
    let run = backupctl(&["run", path.to_str().unwrap(), "--output", "json"], &env)
        .await
        .expect(1);
    let objects = run.json();
    assert_eq!(objects[0]["outcome"], "succeeded");
    assert_eq!(objects[1]["outcome"], "failed");

    // Fail-fast with one target in flight at a time: the second never starts.
    let plan = format!(
        "poll_interval = \"20ms\"\nconcurrency = 1\n\
         [[target]]\nname = \"failing\"\n{}\n\
         [[target]]\nname = \"after\"\n{}\n",
        vm.plan, yc.plan
    );
    let path = temp_file("failfast.toml", &plan);
    let before = yandex.accepted_backups();
    let run = backupctl(
        &[
            "run",
            path.to_str().unwrap(),
            "--fail-fast",
            "--output",
            "json",
        ],
        &env,
    )
    .await
    .expect(1);
    let objects = run.json();
    let last = objects.last().unwrap();
    assert_eq!(last["target"], "after");
    assert_eq!(last["outcome"], "skipped");
    assert_eq!(yandex.accepted_backups(), before);

    // A deadline that passes: exit 3.
    yandex.set_lifecycle(LifecycleSpec::after_polls(1000));
    let plan = format!(
        "poll_interval = \"20ms\"\n[[target]]\nname = \"slow\"\n{}\n",
        yc.plan
    );
    let path = temp_file("slow.toml", &plan);
    let run = backupctl(
        &[
            "run",
            path.to_str().unwrap(),
            "--timeout",
            "100ms",
            "--output",
            "json",
        ],
        &env,
    )
    .await
    .expect(3);
    assert_eq!(run.one()["outcome"], "timed_out");
}

#[test]
fn the_example_plan_is_valid() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/plan.example.toml");
    let plan = backup_all::Plan::from_path(path).unwrap();
    assert_eq!(plan.targets.len(), 6);
    assert_eq!(plan.settings.concurrency, 3);
}
