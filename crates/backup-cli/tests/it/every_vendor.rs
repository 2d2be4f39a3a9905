//! What `backupctl` does alike on every vendor of the registry: each test loops over
//! `Vendor::ALL`, so a new vendor is tested here without an edit.

use std::collections::BTreeSet;

use backup_all::Vendor;
use backup_all::core::emulator::LifecycleSpec;

use crate::common::{
    Setup, assert_operation_fields, backupctl, cancel_long_backup, trigger_and_wait_json,
    vendor_flags,
};

/// `trigger` (no wait), then `status` and `wait` from the printed reference, in JSON;
/// then the same in text.
async fn trigger_status_wait(setup: &Setup) -> String {
    let run = backupctl(&setup.trigger_args(&["--output", "json"]), &setup.env)
        .await
        .expect(0);
    let accepted = run.json().remove(0);
    assert_operation_fields(&accepted, setup.name());
    let reference = accepted["operation"].as_str().unwrap().to_owned();

    let status = backupctl(
        &setup.ref_args("status", &reference, &["--output", "json"]),
        &setup.env,
    )
    .await
    .expect(0)
    .one();
    assert_operation_fields(&status, setup.name());
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
    assert_operation_fields(&done, setup.name());
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
async fn trigger_status_and_wait_on_every_vendor() {
    for &vendor in Vendor::ALL {
        let setup = Setup::start(vendor).await;
        trigger_and_wait_json(&setup).await;
        trigger_status_wait(&setup).await;
        assert_eq!(setup.accepted(), 2, "{vendor}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_from_the_environment_never_appear_at_any_verbosity() {
    for setup in Setup::all().await {
        let vendor = setup.name();
        for verbosity in [None, Some("-v"), Some("-vvv")] {
            for output in ["text", "json"] {
                let mut extra = vec!["--wait", "--poll-interval", "20ms", "--output", output];
                extra.extend(verbosity);
                let run = backupctl(&setup.trigger_args(&extra), &setup.env)
                    .await
                    .expect(0);
                for secret in &setup.secrets {
                    assert!(
                        !run.stdout.contains(secret.as_str()),
                        "{vendor}: stdout shows a secret"
                    );
                    assert!(
                        !run.stderr.contains(secret.as_str()),
                        "{vendor}: stderr shows a secret"
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
        // RUST_LOG=trace too.
        let mut env = setup.env.clone();
        env.push(("RUST_LOG".into(), "trace".into()));
        let run = backupctl(
            &setup.trigger_args(&["--wait", "--poll-interval", "20ms"]),
            &env,
        )
        .await
        .expect(0);
        for secret in &setup.secrets {
            assert!(
                !run.stderr.contains(secret.as_str()),
                "{vendor}: RUST_LOG=trace shows a secret"
            );
        }
    }
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
    for &vendor in Vendor::ALL {
        // The service's name, in the overview and in the vendor's help.
        let service = vendor.service().unwrap();
        assert!(run.stdout.contains(service), "--help lacks {service}");
        let help = backupctl(&["trigger", vendor.as_str(), "--help"], &[])
            .await
            .expect(0);
        assert!(
            help.stdout.contains(service),
            "{vendor} --help lacks {service}"
        );
        let names = vendor.environment();
        assert!(!names.is_empty(), "{vendor} reads no variable");
        for var in names {
            assert!(
                help.stdout.contains(var.name),
                "{vendor} --help lacks {}",
                var.name
            );
        }
        // Every flag a plan key can be, and the flags of every trigger.
        for flag in ["--endpoint", "--wait", "--timeout", "--poll-interval"] {
            assert!(help.stdout.contains(flag), "{vendor} --help lacks {flag}");
        }
    }
    let run = backupctl(&["completions", "bash"], &[]).await.expect(0);
    assert!(run.stdout.contains("backupctl"));
}

/// Cancel on every vendor: exit 0 with the operation where the vendor can cancel (a
/// waiter then sees it cancelled, exit 1), exit 2 (`unsupported`, nothing sent) where
/// it cannot; a vendor that cancels a job only once the service has named it (Azure)
/// is asked again after reading the operation. Which vendor can is what it does, not a
/// list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_where_the_vendor_can_and_exit_2_where_it_cannot() {
    for setup in Setup::all().await {
        let vendor = setup.name();
        setup
            .emulator()
            .set_lifecycle(LifecycleSpec::after_polls(1000));
        let (mut run, mut reference) = cancel_long_backup(&setup).await;
        if run.code == 2 {
            assert_eq!(run.one()["error"]["kind"], "unsupported", "{vendor}");
            // Read it again until the service names the job, then ask again.
            for _ in 0..10 {
                let status = backupctl(
                    &setup.ref_args("status", &reference, &["--output", "json"]),
                    &setup.env,
                )
                .await
                .expect(0)
                .one();
                assert_operation_fields(&status, vendor);
                reference = status["operation"].as_str().unwrap().to_owned();
                if status["job_id"].is_string() {
                    break;
                }
            }
            run = backupctl(
                &setup.ref_args("cancel", &reference, &["--output", "json"]),
                &setup.env,
            )
            .await;
        }
        match run.code {
            0 => {
                assert_operation_fields(&run.one(), vendor);
                let waited = backupctl(
                    &setup.ref_args(
                        "wait",
                        &reference,
                        &["--poll-interval", "20ms", "--output", "json"],
                    ),
                    &setup.env,
                )
                .await
                .expect(1)
                .one();
                assert_operation_fields(&waited, vendor);
                assert_eq!(waited["status"], "cancelled", "{waited}");
                assert_eq!(waited["error"]["kind"], "operation_failed", "{waited}");
            }
            2 => assert_eq!(run.one()["error"]["kind"], "unsupported", "{vendor}"),
            _ => panic!("{vendor}: cancel is neither done nor unsupported: {run:#?}"),
        }
        assert_eq!(setup.accepted(), 1, "{vendor}");
    }
}

/// A backup that fails ends `trigger --wait` with exit 1 and the vendor's failure in
/// the operation's error, on every vendor.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_backup_exits_1_on_every_vendor() {
    for setup in Setup::all().await {
        let vendor = setup.name();
        setup
            .emulator()
            .set_lifecycle(LifecycleSpec::after_polls(1).failing("disk on fire"));
        let run = backupctl(
            &setup.trigger_args(&["--wait", "--poll-interval", "20ms", "--output", "json"]),
            &setup.env,
        )
        .await
        .expect(1);
        let objects = run.json();
        assert!(!objects.is_empty(), "{run:#?}");
        for object in &objects {
            assert_operation_fields(object, vendor);
            assert_eq!(object["status"], "failed", "{object}");
            assert_eq!(object["error"]["kind"], "operation_failed", "{object}");
            assert!(
                object["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("disk on fire"),
                "{object}"
            );
        }
    }
}

/// The README's table of each vendor's flags and variables is the command line's:
/// every flag of `trigger <vendor>` and nothing else, every variable the vendor reads.
#[test]
fn the_readme_lists_every_vendor_flag_and_variable() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for &vendor in Vendor::ALL {
        let start = format!("| `{vendor}` |");
        let row = readme
            .lines()
            .find(|line| line.starts_with(&start))
            .unwrap_or_else(|| panic!("README.md has no row for {vendor}"));
        let documented: BTreeSet<String> = row
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .filter(|word| word.starts_with("--") && word.len() > 2)
            .map(str::to_owned)
            .collect();
        let flags: BTreeSet<String> = vendor_flags(vendor).into_iter().collect();
        assert_eq!(documented, flags, "README.md's {vendor} row");
        for var in vendor.environment() {
            assert!(
                row.contains(var.name),
                "README.md's {vendor} row lacks {}",
                var.name
            );
        }
    }
}
