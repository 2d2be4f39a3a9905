//! `backupctl run` (plans across vendors) and `backupctl demo`, as a subprocess.

use backup_all::Vendor;
use backup_all::core::emulator::LifecycleSpec;

use crate::common::{Setup, assert_operation_fields, backupctl, temp_file};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_exits_0_and_shows_every_vendor() {
    let run = backupctl(&["demo"], &[]).await.expect(0);
    for vendor in Vendor::ALL {
        let vendor = vendor.as_str();
        assert!(
            run.stdout
                .lines()
                .any(|l| l.contains(vendor) && l.contains("succeeded")),
            "{vendor}: {run:#?}"
        );
    }
    let all = Vendor::ALL.len();
    assert!(run.stdout.contains(&format!("{all} succeeded")), "{run:#?}");
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
    let others = Vendor::ALL.len() - 1;
    assert!(
        run.stdout
            .contains(&format!("{others} succeeded, 1 failed")),
        "{run:#?}"
    );
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
async fn a_plan_across_every_vendor_runs_with_bounded_concurrency() {
    let setups = Setup::all().await;
    let mut env = Vec::new();
    let mut plan = "concurrency = 2\npoll_interval = \"20ms\"\ntimeout = \"60s\"\n\n".to_owned();
    let mut names = Vec::new();
    for (i, setup) in setups.iter().enumerate() {
        let name = format!("t{i}-{}", setup.name());
        plan.push_str(&format!("[[target]]\nname = \"{name}\"\n"));
        if i % 2 == 1 {
            // Every other target reads its credentials from other variables, through
            // its `env` table.
            let renames: Vec<String> = setup
                .env
                .iter()
                .map(|(var, _)| format!("{var} = \"TEAM_{i}_{var}\""))
                .collect();
            plan.push_str(&format!("env = {{ {} }}\n", renames.join(", ")));
            env.extend(
                setup
                    .env
                    .iter()
                    .map(|(var, value)| (format!("TEAM_{i}_{var}"), value.clone())),
            );
        } else {
            env.extend(setup.env.iter().cloned());
        }
        plan.push_str(&setup.plan());
        plan.push('\n');
        names.push(name);
    }
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
    // One object per operation, in the plan's order (a vendor may start several).
    let mut targets: Vec<&str> = objects
        .iter()
        .map(|o| o["target"].as_str().unwrap())
        .collect();
    assert!(objects.len() >= setups.len(), "{run:#?}");
    targets.dedup();
    assert_eq!(targets, names, "{run:#?}");
    for object in &objects {
        assert_operation_fields(object, object["vendor"].as_str().unwrap());
        assert_eq!(object["status"], "succeeded", "{object}");
        assert_eq!(object["outcome"], "succeeded", "{object}");
        assert!(object["polls"].as_u64().unwrap() > 0, "{object}");
        assert!(object["duration_ms"].is_u64(), "{object}");
    }
    for (setup, name) in setups.iter().zip(&names) {
        assert_eq!(setup.accepted(), 1, "{name}");
        assert!(
            objects
                .iter()
                .filter(|o| o["target"] == name.as_str())
                .all(|o| o["vendor"] == setup.name()),
            "{name}: {run:#?}"
        );
    }

    // In text: one line per target and a summary.
    let run = backupctl(&["run", path.to_str().unwrap()], &env)
        .await
        .expect(0);
    let all = setups.len();
    assert!(run.stdout.contains(&format!("{all} targets")), "{run:#?}");
    assert!(run.stdout.contains(&format!("{all} succeeded")), "{run:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_plan_is_rejected_before_any_trigger() {
    let yc = Setup::start(Vendor::Yandex).await;
    let vm = Setup::start(Vendor::Veeam).await;
    let mut env = yc.env.clone();
    env.extend(vm.env.iter().cloned());
    // Two good targets and one without its policy: nothing may start.
    let plan = format!(
        "[[target]]\nname = \"good-yandex\"\n{}\n\
         [[target]]\nname = \"good-veeam\"\n{}\n\
         [[target]]\nname = \"broken\"\nvendor = \"veeam\"\nendpoint = \"{}\"\n",
        yc.plan(),
        vm.plan(),
        vm.emulator().url()
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
        yc.plan(),
        vm.plan()
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
        vm.plan()
    );
    let path = temp_file("secret.toml", &plan);
    let run = backupctl(&["run", path.to_str().unwrap()], &env)
        .await
        .expect(2);
    assert!(!run.stderr.contains("hunter2-secret"), "{run:#?}");
    assert!(run.stderr.contains("field `password`"), "{run:#?}");

    assert_eq!(yc.accepted(), 0);
    assert_eq!(vm.accepted(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_exit_codes_follow_the_worst_target() {
    let yc = Setup::start(Vendor::Yandex).await;
    let vm = Setup::start(Vendor::Veeam).await;
    let mut env = yc.env.clone();
    env.extend(vm.env.iter().cloned());
    vm.emulator()
        .set_lifecycle(LifecycleSpec::after_polls(1).failing("no space left"));
    let plan = format!(
        "poll_interval = \"20ms\"\n\
         [[target]]\nname = \"ok\"\n{}\n\
         [[target]]\nname = \"failing\"\n{}\n",
        yc.plan(),
        vm.plan()
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
        vm.plan(),
        yc.plan()
    );
    let path = temp_file("failfast.toml", &plan);
    let before = yc.accepted();
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
    assert_eq!(yc.accepted(), before);

    // A deadline that passes: exit 3.
    yc.emulator()
        .set_lifecycle(LifecycleSpec::after_polls(1000));
    let plan = format!(
        "poll_interval = \"20ms\"\n[[target]]\nname = \"slow\"\n{}\n",
        yc.plan()
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
    assert_eq!(plan.targets.len(), 7);
    assert_eq!(plan.settings.concurrency, 3);
    // Every target is ready to run (its settings and parameters build a request;
    // credentials are the environment's).
    for target in &plan.targets {
        backup_all::AnyRequest::from_params(&target.params)
            .unwrap_or_else(|e| panic!("{}: {e}", target.name));
    }
}

/// The README's plan (its one `toml` block) is valid, its settings read as its comments
/// say: the opt-in request limit included.
#[test]
fn the_readmes_plan_is_valid() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let blocks = crate::habits::fenced(&readme, "toml");
    let [block] = blocks.as_slice() else {
        panic!("README.md has {} toml blocks, not one", blocks.len());
    };
    let plan = backup_all::Plan::parse("README.md", block).unwrap();
    assert_eq!(plan.targets.len(), 2);
    assert_eq!(plan.settings.concurrency, 4);
    let transport = plan.settings.transport;
    assert_eq!(
        transport.connect_timeout,
        Some(std::time::Duration::from_secs(10))
    );
    assert_eq!(
        transport.request_timeout,
        Some(std::time::Duration::from_secs(60))
    );
    assert_eq!(
        transport.max_concurrent_requests,
        std::num::NonZeroUsize::new(64)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_runs_with_a_request_limit_and_zero_is_refused() {
    let yc = Setup::start(Vendor::Yandex).await;
    let plan = format!(
        "poll_interval = \"20ms\"\nmax_concurrent_requests = 2\n\
         [[target]]\nname = \"one\"\n{}\n",
        yc.plan()
    );
    let path = temp_file("limited.toml", &plan);
    // The plan's limit, then the command line's over it: one request at a time.
    for extra in [&[][..], &["--max-concurrent-requests", "1"][..]] {
        let mut args = vec![
            "run",
            path.to_str().unwrap(),
            "--new-run",
            "--output",
            "json",
        ];
        args.extend_from_slice(extra);
        let run = backupctl(&args, &yc.env).await.expect(0);
        assert_eq!(run.one()["outcome"], "succeeded", "{run:#?}");
    }
    let run = backupctl(
        &[
            "run",
            path.to_str().unwrap(),
            "--max-concurrent-requests",
            "0",
        ],
        &yc.env,
    )
    .await
    .expect(2);
    assert!(run.stderr.contains("--max-concurrent-requests"), "{run:#?}");
    assert_eq!(yc.accepted(), 2);
}
