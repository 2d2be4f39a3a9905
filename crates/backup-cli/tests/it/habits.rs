//! What users of `az`, `yc` and `aws` expect of a command line (issue 19): examples in
//! every `--help`, `-o id`, completions of values, flags named in messages, units on
//! durations, references checked first, an honest `cancel`, one error line, and a
//! progress display that fits its terminal.

use std::process::Command;

use crate::common::{Setup, backupctl, temp_file};
use backup_all::Vendor;
use backup_all::core::emulator::{Fault, LifecycleSpec, RouteClass};

/// The subcommands a `--help` page lists under `Commands:` (without `help`).
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|line| !line.starts_with("Commands:"))
        .skip(1)
        .take_while(|line| !line.trim().is_empty())
        .filter(|line| line.starts_with("  ") && !line.starts_with("   "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_help_page_has_examples_and_global_options_come_last() {
    // Every page, found by walking `Commands:` from the top.
    let mut pages: Vec<Vec<String>> = vec![Vec::new()];
    let mut seen = 0;
    while seen < pages.len() {
        let path = pages[seen].clone();
        seen += 1;
        let mut args = path.clone();
        args.push("--help".to_owned());
        let help = backupctl(&args, &[]).await.expect(0).stdout;
        let examples = help
            .split("\nExamples:\n")
            .nth(1)
            .unwrap_or_else(|| panic!("`backupctl {}` has no examples:\n{help}", args.join(" ")));
        assert!(
            examples.lines().any(|line| line.contains("backupctl ")),
            "`{}`: no command among the examples:\n{help}",
            args.join(" ")
        );
        // The global flags in a section of their own, after every flag of the page.
        let global = help
            .find("\nGlobal options:\n")
            .unwrap_or_else(|| panic!("`{}`: no Global options:\n{help}", args.join(" ")));
        let own_flags = &help[..global];
        assert!(
            !own_flags.contains("--output <"),
            "{}:\n{help}",
            args.join(" ")
        );
        assert!(
            !own_flags.contains("--verbose"),
            "{}:\n{help}",
            args.join(" ")
        );
        let after = &help[global..help.find("\nExamples:\n").unwrap_or(help.len())];
        assert!(
            !after.lines().skip(2).any(|line| line.ends_with(':')
                && !line.starts_with(' ')
                && !line.starts_with("Global")),
            "`{}`: a section of its own flags after the global ones:\n{help}",
            args.join(" ")
        );
        for sub in subcommands(&help) {
            let mut next = path.clone();
            next.push(sub);
            pages.push(next);
        }
    }
    // The root, trigger, each vendor, status, wait, cancel, run, runs list and show,
    // demo, emulate, completions.
    assert!(pages.len() >= 12 + Vendor::ALL.len(), "{pages:?}");
    for &vendor in Vendor::ALL {
        assert!(
            pages
                .iter()
                .any(|page| page == &["trigger".to_owned(), vendor.as_str().to_owned()]),
            "{vendor}"
        );
    }
    // A vendor's examples run as written: every flag it requires, a value for each.
    let help = backupctl(&["trigger", "azure", "--help"], &[])
        .await
        .expect(0)
        .stdout;
    assert!(help.contains("--vm NAME"), "{help}");
    assert!(help.contains("-o id)"), "{help}");
    assert!(
        help.contains("Credentials (never a flag; the first one found wins):"),
        "{help}"
    );
    for line in help.split("\nExamples:\n").nth(1).unwrap().lines() {
        assert!(line.chars().count() <= 80, "longer than 80: {line}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_id_prints_one_reference_per_line_and_nothing_else() {
    let setup = Setup::start(Vendor::Yandex).await;
    let run = backupctl(&setup.trigger_args(&["-o", "id"]), &setup.env)
        .await
        .expect(0);
    let reference = run.stdout.trim_end().to_owned();
    assert_eq!(run.stdout, format!("{reference}\n"), "{run:#?}");
    assert!(reference.starts_with("yandex:"), "{run:#?}");
    // The reference works as `$(...)` gives it; -o is --output.
    let waited = backupctl(
        &setup.ref_args("wait", &reference, &["--poll-interval", "20ms", "-o", "id"]),
        &setup.env,
    )
    .await
    .expect(0);
    assert_eq!(waited.stdout, format!("{reference}\n"), "{waited:#?}");
    let status = backupctl(
        &setup.ref_args("status", &reference, &["-o", "json"]),
        &setup.env,
    )
    .await
    .expect(0)
    .one();
    assert_eq!(status["operation"], reference.as_str());
    assert_eq!(status["status"], "succeeded");
    // A failure: nothing on stdout, the error on stderr.
    let mut params = setup.params.clone();
    params.insert("policy".into(), "".into());
    let failed = backupctl(
        &setup.trigger_args_with(&params, &setup.config, &["-o", "id"]),
        &setup.env,
    )
    .await
    .expect(2);
    assert_eq!(failed.stdout, "", "{failed:#?}");
    assert!(failed.stderr.contains("error:"), "{failed:#?}");
    // A plan or the demo: one line per operation.
    let demo = backupctl(
        &[
            "demo", "--vendor", "yandex", "--vendor", "veeam", "-o", "id",
        ],
        &[],
    )
    .await
    .expect(0);
    let lines: Vec<&str> = demo.stdout.lines().collect();
    assert!(lines.len() >= 2, "{demo:#?}");
    for line in lines {
        assert!(
            line.starts_with("yandex:") || line.starts_with("veeam:"),
            "{demo:#?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completions_complete_vendors_and_values_and_refuse_output() {
    let bash = backupctl(&["completions", "bash"], &[])
        .await
        .expect(0)
        .stdout;
    // `demo --vendor <TAB>` offers the vendors, not file names.
    let names: Vec<&str> = Vendor::enabled().map(Vendor::as_str).collect();
    let words = format!("\"{}\"", names.join(" "));
    let vendor_cases: Vec<&str> = bash
        .split("--vendor)")
        .skip(1)
        .map(|case| case.split(";;").next().unwrap_or_default())
        .collect();
    assert!(!vendor_cases.is_empty(), "no --vendor case");
    for case in vendor_cases {
        assert!(case.contains(&words), "--vendor completes {case}");
        assert!(
            !case.contains("compgen -f"),
            "--vendor completes files: {case}"
        );
    }
    // Enum values: --output, and a vendor's own (Azure's --object-type).
    assert!(bash.contains("\"text json id\""), "--output values");
    assert!(
        bash.contains("\"iaas-vm azure-file-share azure-workload\""),
        "--object-type values"
    );
    // --output does not apply to a shell script.
    for output in ["json", "id"] {
        let run = backupctl(&["completions", "bash", "--output", output], &[])
            .await
            .expect(2);
        assert_eq!(run.stdout, "", "{run:#?}");
        assert!(run.stderr.contains("--output does not apply"), "{run:#?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_name_flags_and_keys_never_internal_names() {
    let setup = Setup::start(Vendor::Yandex).await;
    // An empty --policy: named as the flag (the request calls it policy_id).
    let mut params = setup.params.clone();
    params.insert("policy".into(), "".into());
    let run = backupctl(
        &setup.trigger_args_with(&params, &setup.config, &[]),
        &setup.env,
    )
    .await
    .expect(2);
    assert!(run.stderr.contains("invalid --policy:"), "{run:#?}");
    for internal in ["policy_id", "backup-all", "field `"] {
        assert!(!run.stderr.contains(internal), "{internal}: {run:#?}");
    }
    // A malformed --endpoint: named as the flag (the client calls it backup_endpoint).
    let mut config = setup.config.clone();
    config.insert("endpoint".into(), "notaurl".into());
    let run = backupctl(
        &setup.trigger_args_with(&setup.params, &config, &[]),
        &setup.env,
    )
    .await
    .expect(2);
    assert!(run.stderr.contains("invalid --endpoint:"), "{run:#?}");
    assert!(!run.stderr.contains("backup_endpoint"), "{run:#?}");
    // Plans: a TOML error names its line, a missing credential its variables.
    let path = temp_file("broken.toml", "concurrency = 2\n[[target]\n");
    let run = backupctl(&["run", path.to_str().unwrap()], &[])
        .await
        .expect(2);
    assert!(
        run.stderr.contains("broken.toml: line 2: not valid TOML"),
        "{run:#?}"
    );
    assert!(!run.stderr.contains("field `line"), "{run:#?}");
    let veeam = Setup::start(Vendor::Veeam).await;
    let plan = format!("[[target]]\nname = \"web\"\n{}", veeam.plan());
    let path = temp_file("no-credentials.toml", &plan);
    let run = backupctl(&["run", path.to_str().unwrap()], &[])
        .await
        .expect(2);
    assert!(run.stderr.contains("target \"web\""), "{run:#?}");
    assert!(!run.stderr.contains("field `environment`"), "{run:#?}");
    // A trigger answered with a server error: its outcome is unknown, said once.
    veeam
        .emulator()
        .faults()
        .inject(RouteClass::Trigger, Fault::status(501));
    let run = backupctl(&veeam.trigger_args(&[]), &veeam.env)
        .await
        .expect(5);
    assert!(run.stderr.contains("outcome unknown"), "{run:#?}");
    assert!(run.stderr.contains("veeam answered 501"), "{run:#?}");
    assert_eq!(run.stderr.matches("answered").count(), 1, "{run:#?}");
    // An HTML page from a proxy: its text, on one line, without the markup.
    let html = "<html>\n  <head><title>502 Bad Gateway</title></head>\n  <body>\n    <h1>502   Bad Gateway</h1>\n  </body>\n</html>\n";
    setup.emulator().faults().inject(
        RouteClass::Poll,
        Fault::Respond {
            status: 400,
            content_type: "text/html".into(),
            body: html.into(),
        },
    );
    let reference = crate::common::trigger_reference(&setup).await;
    for output in ["text", "json"] {
        if output == "json" {
            setup.emulator().faults().inject(
                RouteClass::Poll,
                Fault::Respond {
                    status: 400,
                    content_type: "text/html".into(),
                    body: html.into(),
                },
            );
        }
        let run = backupctl(
            &setup.ref_args("status", &reference, &["--output", output]),
            &setup.env,
        )
        .await;
        assert_ne!(run.code, 0, "{run:#?}");
        let message = if output == "json" {
            run.one()["error"]["message"].as_str().unwrap().to_owned()
        } else {
            run.stderr.clone()
        };
        assert!(message.contains("502 Bad Gateway"), "{message}");
        for markup in ["<title>", "<h1>", "\n  ", "   "] {
            assert!(!message.contains(markup), "{markup:?} in {message}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_references_are_refused_before_credentials() {
    // No credential is set: the reference is what is refused, exit 2.
    for reference in [
        "veeam:v9/14",
        "commvault:abc",
        "commvault:-1",
        "aws:no-slash",
    ] {
        let run = backupctl(&["status", reference], &[]).await.expect(2);
        assert!(run.stderr.contains("invalid reference"), "{run:#?}");
        assert!(!run.stderr.contains("configuration error"), "{run:#?}");
    }
    // A vendor in capitals is an unknown vendor, with the one meant.
    let run = backupctl(&["status", "YANDEX:op1"], &[]).await.expect(2);
    assert!(run.stderr.contains("unknown vendor \"YANDEX\""), "{run:#?}");
    assert!(run.stderr.contains("did you mean yandex?"), "{run:#?}");
    let run = backupctl(&["wait", "tape:1"], &[]).await.expect(2);
    assert!(run.stderr.contains("unknown vendor \"tape\""), "{run:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn durations_need_a_unit_and_zero_is_refused() {
    let setup = Setup::start(Vendor::Yandex).await;
    let cases: [(&[&str], &str); 4] = [
        (
            &["--wait", "--timeout", "90"],
            "90 has no unit: write 90s, 90m or 90h",
        ),
        (&["--wait", "--timeout", "0s"], "must be longer than zero"),
        (
            &["--wait", "--poll-interval", "0s"],
            "must be longer than zero",
        ),
        (&["--wait", "--poll-interval", "5"], "5 has no unit"),
    ];
    for (extra, message) in cases {
        let run = backupctl(&setup.trigger_args(extra), &setup.env)
            .await
            .expect(2);
        assert!(run.stderr.contains(message), "{extra:?}: {run:#?}");
    }
    for args in [
        ["wait", "yandex:op", "--timeout", "0s"],
        ["wait", "yandex:op", "--poll-interval", "0ms"],
        ["run", "plan.toml", "--timeout", "90"],
        ["run", "plan.toml", "--poll-interval", "0s"],
    ] {
        backupctl(&args, &setup.env).await.expect(2);
    }
    // The help says which units.
    let help = backupctl(&["wait", "--help"], &[]).await.expect(0).stdout;
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        help.contains("a number with a unit (90s, 15m, 2h)"),
        "{help}"
    );
    assert_eq!(setup.accepted(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_env_table_naming_an_unset_variable_fails_the_preflight() {
    let setup = Setup::start(Vendor::Yandex).await;
    let credential = &setup.env[0].0;
    let plan = format!(
        "[[target]]\nname = \"team-a\"\n{}env = {{ {credential} = \"TEAM_A_UNSET_TOKEN\" }}\n",
        setup.plan()
    );
    let path = temp_file("env.toml", &plan);
    // The vendor's own variable is set: the mapping, not it, is what counts.
    let run = backupctl(&["run", path.to_str().unwrap()], &setup.env)
        .await
        .expect(2);
    assert!(run.stderr.contains("target \"team-a\""), "{run:#?}");
    assert!(run.stderr.contains("TEAM_A_UNSET_TOKEN"), "{run:#?}");
    assert!(run.stderr.contains("not set"), "{run:#?}");
    assert!(run.stderr.contains("nothing was triggered"), "{run:#?}");
    // Set, it runs.
    let mut env = setup.env.clone();
    env.push(("TEAM_A_UNSET_TOKEN".into(), setup.env[0].1.clone()));
    backupctl(
        &["run", path.to_str().unwrap(), "--poll-interval", "20ms"],
        &env,
    )
    .await
    .expect(0);
    assert_eq!(setup.accepted(), 1);
    // Every unknown key of a target is reported, each with everything it takes.
    let plan = format!(
        "[[target]]\nname = \"typos\"\n{}polcy = \"p\"\nregoin = \"r\"\n",
        setup.plan()
    );
    let path = temp_file("typos.toml", &plan);
    let run = backupctl(&["run", path.to_str().unwrap()], &setup.env)
        .await
        .expect(2);
    for key in ["`polcy`", "`regoin`"] {
        assert!(run.stderr.contains(key), "{key}: {run:#?}");
    }
    for expected in ["policy", "endpoint", "env"] {
        assert!(run.stderr.contains(expected), "{expected}: {run:#?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_says_when_nothing_was_cancelled() {
    let setup = Setup::start(Vendor::Yandex).await;
    let done = backupctl(
        &setup.trigger_args(&["--wait", "--poll-interval", "20ms", "-o", "id"]),
        &setup.env,
    )
    .await
    .expect(0);
    let reference = done.stdout.trim().to_owned();
    let run = backupctl(&setup.ref_args("cancel", &reference, &[]), &setup.env)
        .await
        .expect(0);
    assert!(
        run.stderr
            .contains("nothing was cancelled: the backup had already ended (succeeded)"),
        "{run:#?}"
    );
    let json = backupctl(
        &setup.ref_args("cancel", &reference, &["-o", "json"]),
        &setup.env,
    )
    .await
    .expect(0)
    .one();
    assert_eq!(json["cancelled"], false, "{json}");
    assert_eq!(json["status"], "succeeded", "{json}");
    // A running one is cancelled, and says so.
    setup
        .emulator()
        .set_lifecycle(LifecycleSpec::after_polls(1000));
    let reference = crate::common::trigger_reference(&setup).await;
    let json = backupctl(
        &setup.ref_args("cancel", &reference, &["-o", "json"]),
        &setup.env,
    )
    .await
    .expect(0)
    .one();
    assert_eq!(json["cancelled"], true, "{json}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_trigger_is_reported_once_without_a_log_line() {
    let setup = Setup::start(Vendor::Yandex).await;
    setup
        .emulator()
        .faults()
        .inject_n(RouteClass::Trigger, Fault::status(400), 2);
    let run = backupctl(
        &setup.trigger_args(&["--wait", "--poll-interval", "20ms"]),
        &setup.env,
    )
    .await;
    assert_ne!(run.code, 0, "{run:#?}");
    assert!(!run.stderr.contains("WARN"), "{run:#?}");
    assert_eq!(
        run.stderr
            .lines()
            .filter(|line| line.contains("400"))
            .count(),
        1,
        "{run:#?}"
    );
    let plan = format!("[[target]]\nname = \"web\"\n{}", setup.plan());
    let path = temp_file("fails.toml", &plan);
    let run = backupctl(&["run", path.to_str().unwrap()], &setup.env).await;
    assert_ne!(run.code, 0, "{run:#?}");
    assert!(!run.stderr.contains("WARN"), "{run:#?}");
    // -v shows it.
    setup
        .emulator()
        .faults()
        .inject(RouteClass::Trigger, Fault::status(400));
    let run = backupctl(&setup.trigger_args(&["--wait", "-v"]), &setup.env).await;
    assert!(run.stderr.contains("trigger failed"), "{run:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn azure_takes_a_vm_by_name_or_resource_id() {
    use backup_all::azure::emulator::{DEMO_SUBSCRIPTION, DEMO_VM_CONTAINER, DEMO_VM_ITEM};
    let setup = Setup::start(Vendor::Azure).await;
    // The demo VM: IaasVMContainer;iaasvmcontainerv2;<its rg>;<its name>.
    let parts: Vec<&str> = DEMO_VM_CONTAINER.split(';').collect();
    let (vm_group, vm_name) = (parts[2], parts[3]);
    let mut params = setup.params.clone();
    params.remove("container");
    params.remove("item");
    let id = format!(
        "/subscriptions/{DEMO_SUBSCRIPTION}/resourceGroups/{vm_group}/providers/Microsoft.Compute/virtualMachines/{vm_name}"
    );
    params.insert("vm".into(), id.into());
    let run = backupctl(
        &setup.trigger_args_with(&params, &setup.config, &["-o", "json"]),
        &setup.env,
    )
    .await
    .expect(0);
    assert_eq!(run.one()["status"], "pending", "{run:#?}");
    assert_eq!(setup.accepted(), 1);
    let paths = || -> Vec<String> {
        setup
            .emulator()
            .requests()
            .records()
            .iter()
            .map(|record| record.path().to_owned())
            .collect()
    };
    let sent = paths();
    let expected =
        format!("protectionContainers/{DEMO_VM_CONTAINER}/protectedItems/{DEMO_VM_ITEM}/backup");
    assert!(
        sent.iter()
            .any(|path| percent_decode(path).contains(&expected)),
        "{sent:#?}"
    );
    // By name, in -g's resource group: the same names, so -g is the VM's group too.
    let mut by_name = setup.params.clone();
    by_name.remove("container");
    by_name.remove("item");
    by_name.remove("resource_group");
    by_name.insert("vm".into(), vm_name.into());
    let mut args = setup.trigger_args_with(&by_name, &setup.config, &["-o", "json"]);
    args.extend(["-g".to_owned(), vm_group.to_owned()]);
    let run = backupctl(&args, &setup.env).await;
    let sent = paths();
    assert_eq!(
        sent.iter()
            .filter(|path| percent_decode(path).contains(&expected))
            .count(),
        2,
        "{run:#?} {sent:#?}"
    );
    // The long forms still work; both at once, or a VM that cannot be, do not.
    let mut both = setup.params.clone();
    both.insert("vm".into(), vm_name.into());
    backupctl(
        &setup.trigger_args_with(&both, &setup.config, &[]),
        &setup.env,
    )
    .await
    .expect(2);
    let mut bad = params.clone();
    bad.insert("vm".into(), "/subscriptions/s/resourceGroups/rg".into());
    let run = backupctl(
        &setup.trigger_args_with(&bad, &setup.config, &[]),
        &setup.env,
    )
    .await
    .expect(2);
    assert!(run.stderr.contains("invalid --vm"), "{run:#?}");
}

/// `%3B` and the like decoded (paths are logged as sent).
fn percent_decode(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(byte) = path
                .get(i + 1..i + 3)
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_keys_where_the_vendor_has_them() {
    // AWS: --idempotency-key is its IdempotencyToken (--idempotency-token in aws's own
    // CLI): the same key twice starts one job.
    let setup = Setup::start(Vendor::Aws).await;
    let key = "3f0c8a52-3a4e-4d0e-9c55-0f8f2b0d7a19";
    let args = setup.trigger_args(&["--idempotency-key", key, "-o", "id"]);
    let first = backupctl(&args, &setup.env).await.expect(0);
    let second = backupctl(&args, &setup.env).await.expect(0);
    assert_eq!(first.stdout, second.stdout);
    assert_eq!(setup.accepted(), 1);
    let help = backupctl(&["trigger", "aws", "--help"], &[])
        .await
        .expect(0)
        .stdout;
    assert!(help.contains("--idempotency-key"), "{help}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn yandex_reuses_the_yc_cli_profile_when_no_variable_is_set() {
    use backup_all::yandex::emulator::DEMO_OAUTH_TOKEN;
    let setup = Setup::start(Vendor::Yandex).await;
    let home = temp_file("placeholder", "");
    let home = home.parent().unwrap();
    std::fs::create_dir_all(home.join(".config/yandex-cloud")).unwrap();
    std::fs::write(
        home.join(".config/yandex-cloud/config.yaml"),
        format!(
            "current: work\nprofiles:\n  default:\n    folder-id: b1g\n  work:\n    token: {DEMO_OAUTH_TOKEN}\n    cloud-id: b1gcloud\n"
        ),
    )
    .unwrap();
    let env = vec![("HOME".to_owned(), home.display().to_string())];
    let run = backupctl(&setup.trigger_args(&["-v", "-o", "id"]), &env)
        .await
        .expect(0);
    assert!(run.stdout.starts_with("yandex:"), "{run:#?}");
    assert!(run.stderr.contains("yc CLI's active profile"), "{run:#?}");
    assert!(run.stderr.contains("profile=work"), "{run:#?}");
    assert!(!run.stderr.contains(DEMO_OAUTH_TOKEN), "{run:#?}");
    assert_eq!(setup.accepted(), 1);
    // A variable wins over the profile, silently.
    let mut env = env;
    env.extend(setup.env.iter().cloned());
    let run = backupctl(&setup.trigger_args(&["-v", "-o", "id"]), &env)
        .await
        .expect(0);
    assert!(!run.stderr.contains("yc CLI's active profile"), "{run:#?}");
    // A federated profile says what to do.
    std::fs::write(
        home.join(".config/yandex-cloud/config.yaml"),
        "current: corp\nprofiles:\n  corp:\n    federation-id: bpf123\n",
    )
    .unwrap();
    let env = vec![("HOME".to_owned(), home.display().to_string())];
    let run = backupctl(&setup.trigger_args(&[]), &env).await.expect(2);
    assert!(run.stderr.contains("yc iam create-token"), "{run:#?}");
}

/// The screen a terminal of `columns` shows after `bytes`: the escape sequences
/// indicatif and console write (cursor up and down, erase line, colours) applied, lines
/// longer than the terminal wrapped as a terminal wraps them.
fn screen(bytes: &[u8], columns: usize) -> (Vec<String>, usize) {
    let text = String::from_utf8_lossy(bytes);
    let mut rows: Vec<Vec<char>> = vec![Vec::new()];
    let (mut row, mut col) = (0usize, 0usize);
    let mut pending_wrap = false;
    let mut wraps = 0;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => {
                if chars.peek() != Some(&'[') {
                    continue;
                }
                chars.next();
                let mut params = String::new();
                let mut command = ' ';
                for next in chars.by_ref() {
                    if next.is_ascii_alphabetic() {
                        command = next;
                        break;
                    }
                    params.push(next);
                }
                let n: usize = params.trim_start_matches('?').parse().unwrap_or(1);
                // Colours keep a pending wrap; moving the cursor ends it.
                if command != 'm' {
                    pending_wrap = false;
                }
                match command {
                    'A' => row = row.saturating_sub(n),
                    'B' => row += n,
                    'G' => col = n.saturating_sub(1),
                    'K' if params == "2" => rows[row].clear(),
                    'K' => rows[row].truncate(col),
                    'J' => rows.truncate(row + 1),
                    _ => {}
                }
                while rows.len() <= row {
                    rows.push(Vec::new());
                }
            }
            '\r' => {
                col = 0;
                pending_wrap = false;
            }
            '\n' => {
                row += 1;
                pending_wrap = false;
                while rows.len() <= row {
                    rows.push(Vec::new());
                }
            }
            c if c.is_control() => {}
            c => {
                if pending_wrap {
                    wraps += 1;
                    row += 1;
                    col = 0;
                    pending_wrap = false;
                    while rows.len() <= row {
                        rows.push(Vec::new());
                    }
                }
                let line = &mut rows[row];
                while line.len() < col {
                    line.push(' ');
                }
                if line.len() == col {
                    line.push(c);
                } else {
                    line[col] = c;
                }
                col += 1;
                if col == columns {
                    pending_wrap = true;
                    col = columns - 1;
                }
            }
        }
    }
    let rows = rows
        .into_iter()
        .map(|row| row.into_iter().collect::<String>().trim_end().to_owned())
        .collect();
    (rows, wraps)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_progress_display_fits_an_80_column_terminal() {
    // A real terminal: `script` runs backupctl on a pseudo-terminal of 80 columns.
    let binary = env!("CARGO_BIN_EXE_backupctl");
    let command = format!(
        "stty cols 80 rows 40; exec {binary} demo --vendor azure --vendor yandex --fail yandex"
    );
    let output = tokio::task::spawn_blocking(move || {
        Command::new("script")
            .args(["-qfec", &command, "/dev/null"])
            .env_remove("RUST_LOG")
            .output()
    })
    .await
    .unwrap()
    .expect("script (util-linux) runs a command on a pseudo-terminal");
    let (rows, _) = screen(&output.stdout, 80);
    let text = rows.join("\n");
    // One bar per backup: Azure's reference moving to its job keeps its bar.
    let bar_rows: Vec<&String> = rows.iter().filter(|row| row.contains(" [")).collect();
    let azure: Vec<&&String> = bar_rows
        .iter()
        .filter(|r| r.starts_with("azure "))
        .collect();
    assert_eq!(azure.len(), 1, "{text}");
    assert!(
        azure[0].contains("100%") && azure[0].contains("succeeded"),
        "{text}"
    );
    assert!(!text.contains("]   0% azure"), "{text}");
    // A failed backup's bar is not drawn full: it says how it ended.
    let yandex: Vec<&&String> = bar_rows
        .iter()
        .filter(|r| r.starts_with("yandex "))
        .collect();
    assert_eq!(yandex.len(), 1, "{text}");
    assert!(yandex[0].contains("[       failed       ]"), "{text}");
    assert!(!yandex[0].contains("===================="), "{text}");
    // Every bar on one row of at most 80 columns (a wrapped bar breaks each redraw).
    for row in &bar_rows {
        assert!(row.chars().count() <= 80, "{row}");
        assert!(
            row.starts_with("azure ") || row.starts_with("yandex "),
            "{text}"
        );
    }
    // The summary's columns are padded; the count reads right.
    let plain = backupctl(&["demo", "--vendor", "azure", "--vendor", "yandex"], &[])
        .await
        .expect(0);
    assert!(
        plain
            .stdout
            .contains("backupctl demo: one backup on each of the 2 local emulators"),
        "{plain:#?}"
    );
    let summary = rows
        .iter()
        .find(|row| row.starts_with("azure ") && row.contains("polls"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        summary.starts_with("azure            azure        succeeded"),
        "{summary}"
    );
    // One emulator: said so.
    let one = backupctl(&["demo", "--vendor", "aws"], &[]).await.expect(0);
    assert!(
        one.stdout
            .contains("backupctl demo: one backup on the local aws emulator"),
        "{one:#?}"
    );
}

#[test]
fn the_screen_model_wraps_and_redraws_as_a_terminal() {
    let (rows, wraps) = screen(b"abc\r\ndef\x1b[1A\r\x1b[2Kxy\n", 80);
    assert_eq!(rows, ["xy", "def"]);
    assert_eq!(wraps, 0);
    let (rows, wraps) = screen(b"abcdef", 4);
    assert_eq!(rows, ["abcd", "ef"]);
    assert_eq!(wraps, 1);
    // A colour does not end a pending wrap (a full-width line then the next one).
    let (rows, _) = screen(b"abcd\x1b[1mef", 4);
    assert_eq!(rows, ["abcd", "ef"]);
}

/// The fenced blocks of `markdown` whose info string is `lang`, in order.
pub(crate) fn fenced(markdown: &str, lang: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match &mut current {
            None if line.trim_start() == format!("```{lang}") => current = Some(String::new()),
            Some(block) if line.trim_start() == "```" => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
            None => {}
        }
    }
    blocks
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guides_emulator_session_runs_as_written() {
    // docs/guide.md, "The shell, on the emulators": the block that serves an emulator
    // and waits for a backup on it, run by bash with `backupctl` on the PATH.
    let guide_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/guide.md");
    let guide = std::fs::read_to_string(guide_path).unwrap();
    let script = fenced(&guide, "sh")
        .into_iter()
        .find(|block| block.contains("backupctl emulate"))
        .expect("the guide serves an emulator in an `sh` block");
    let binary = std::path::Path::new(env!("CARGO_BIN_EXE_backupctl"));
    let path = format!(
        "{}:{}",
        binary.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // The emulator is stopped whatever happens.
    let script = format!(
        "set -euo pipefail\ntrap 'kill \"${{BACKUPCTL_EMULATE_PID:-}}\" 2>/dev/null || true' EXIT\n{script}"
    );
    let mut command = Command::new("bash");
    command.args(["-c", &script]).env("PATH", path);
    for name in [
        "RUST_LOG",
        "YC_IAM_TOKEN",
        "YC_TOKEN",
        "YC_SERVICE_ACCOUNT_KEY_FILE",
    ] {
        command.env_remove(name);
    }
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    // `wait -o json` printed the object the guide shows: the same fields.
    let waited: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap())
        .unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    assert_eq!(waited["status"], "succeeded", "{waited}");
    assert!(
        waited["operation"].as_str().unwrap().starts_with("yandex:"),
        "{waited}"
    );
    let sample = fenced(&guide, "json")
        .into_iter()
        .next()
        .expect("the guide has a JSON sample");
    let sample: serde_json::Value = serde_json::from_str(&sample).unwrap();
    let keys = |value: &serde_json::Value| -> Vec<String> {
        let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    };
    assert_eq!(
        keys(&sample),
        keys(&waited),
        "the guide's JSON sample is stale"
    );
}
