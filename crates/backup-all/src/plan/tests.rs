use super::*;

fn errors(text: &str) -> Vec<PlanError> {
    Plan::parse("plan.toml", text).unwrap_err().0
}

#[test]
fn an_empty_plan_is_refused() {
    let e = errors("concurrency = 2\n");
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].field.as_deref(), Some("target"));
    assert!(
        e[0].to_string().starts_with("plan.toml: field `target`"),
        "{}",
        e[0]
    );
}

#[test]
fn bad_toml_names_the_line() {
    let e = errors("concurrency = 2\n[[target]\n");
    assert_eq!(e[0].line, Some(2), "{}", e[0]);
    assert_eq!(e[0].field, None, "{}", e[0]);
    assert!(
        e[0].to_string()
            .starts_with("plan.toml: line 2: not valid TOML"),
        "{}",
        e[0]
    );
}

#[test]
fn settings_are_checked() {
    let e = errors(
        "concurrency = 0\ntimeout = \"soon\"\nfail_fast = 1\nretries = 3\nmax_concurrent_requests = 0\n",
    );
    let fields: Vec<_> = e.iter().filter_map(|e| e.field.as_deref()).collect();
    for expected in [
        "retries",
        "concurrency",
        "timeout",
        "fail_fast",
        "max_concurrent_requests",
        "target",
    ] {
        assert!(fields.contains(&expected), "{expected} in {fields:?}");
    }
    for value in ["-1", "\"32\"", "1.5"] {
        let e = errors(&format!("max_concurrent_requests = {value}\n"));
        assert!(
            e.iter()
                .any(|e| e.field.as_deref() == Some("max_concurrent_requests")
                    && e.message.contains("at least 1")),
            "{value}: {e:?}"
        );
    }
}

#[cfg(feature = "veeam")]
#[test]
fn the_request_limit_is_read_and_off_by_default() {
    const TARGET: &str = "[[target]]\nname = \"t\"\nvendor = \"veeam\"\npolicy = \"p\"\n";
    let plan = Plan::parse(
        "plan.toml",
        &format!("max_concurrent_requests = 48\n{TARGET}"),
    )
    .unwrap();
    assert_eq!(
        plan.settings.transport.max_concurrent_requests,
        std::num::NonZeroUsize::new(48)
    );
    let plan = Plan::parse("plan.toml", TARGET).unwrap();
    assert_eq!(plan.settings.transport, TransportSettings::default());
    assert_eq!(plan.settings.transport.max_concurrent_requests, None);
}

#[test]
fn targets_need_unique_valid_names() {
    let e = errors(
        "[[target]]\nvendor = \"veeam\"\npolicy = \"p\"\n\
         [[target]]\nname = \"a b\"\nvendor = \"veeam\"\npolicy = \"p\"\n\
         [[target]]\nname = \"x\"\nvendor = \"veeam\"\npolicy = \"p\"\n\
         [[target]]\nname = \"x\"\nvendor = \"veeam\"\npolicy = \"p\"\n",
    );
    let all: Vec<String> = e.iter().map(ToString::to_string).collect();
    assert!(all[0].contains("target \"#1\": field `name`"), "{all:?}");
    assert!(all[1].contains("target \"a b\": field `name`"), "{all:?}");
    assert!(
        all.iter()
            .any(|e| e.contains("target \"x\": field `name`: another target")),
        "{all:?}"
    );
}

#[test]
fn unknown_vendor_is_named() {
    let e = errors("[[target]]\nname = \"t\"\nvendor = \"tape\"\n");
    assert_eq!(e[0].target.as_deref(), Some("t"));
    assert_eq!(e[0].field.as_deref(), Some("vendor"));
    assert!(e[0].message.contains("unknown vendor"), "{}", e[0]);
}

#[cfg(feature = "full")]
mod with_all_vendors {
    use super::*;
    use crate::AnyConfig;
    use crate::AnyParams as TriggerParams;

    const SETTINGS: &str =
        "concurrency = 3\ntimeout = \"1h30m\"\nfail_fast = true\npoll_interval = \"250ms\"\n";

    /// One target of one vendor, after the plan settings.
    fn one(target: &str) -> PlanTarget {
        let plan = Plan::parse("one.toml", &format!("{SETTINGS}\n[[target]]\n{target}")).unwrap();
        assert_eq!(plan.settings.concurrency, 3);
        assert_eq!(plan.settings.timeout, Some(Duration::from_secs(5400)));
        assert!(plan.settings.fail_fast);
        assert_eq!(plan.settings.poll_interval, Duration::from_millis(250));
        plan.targets.into_iter().next().unwrap()
    }

    /// A plan with a target of every vendor of the registry, from each emulator's demo
    /// parameters and settings, reads back to the same values in the same order.
    #[cfg(feature = "emulator")]
    #[tokio::test]
    async fn a_plan_across_all_vendors_parses() {
        let mut text = SETTINGS.to_owned();
        let mut expected = Vec::new();
        for &vendor in Vendor::ALL {
            let emulator = crate::AnyEmulator::start(vendor).await.unwrap();
            let (params, config) = (emulator.demo_params(), emulator.config());
            let mut target = toml::Table::new();
            target.insert("name".into(), format!("t-{vendor}").into());
            target.insert("vendor".into(), vendor.as_str().into());
            for json in [params.to_json(), config.to_json()] {
                let toml::Value::Table(fields) = toml::Value::try_from(json).unwrap() else {
                    panic!("{vendor}: not a table");
                };
                target.extend(fields);
            }
            text.push_str("\n[[target]]\n");
            text.push_str(&toml::to_string(&target).unwrap());
            expected.push((vendor, params, config));
            emulator.shutdown().await;
        }
        let plan = Plan::parse("full.toml", &text).unwrap();
        assert_eq!(plan.targets.len(), Vendor::ALL.len());
        for (target, (vendor, params, config)) in plan.targets.iter().zip(expected) {
            assert_eq!(target.vendor(), vendor);
            assert_eq!(target.name, format!("t-{vendor}"));
            assert_eq!(target.params, params, "{vendor}");
            assert_eq!(target.config, config, "{vendor}");
        }
    }

    /// The example in this module's documentation is a valid plan, its settings read
    /// as its comments say.
    #[test]
    fn the_module_documentations_example_plan_parses() {
        let doc: Vec<&str> = include_str!("mod.rs")
            .lines()
            .filter_map(|line| line.strip_prefix("//!"))
            .map(|line| line.strip_prefix(' ').unwrap_or(line))
            .collect();
        let doc = doc.join("\n");
        let block = doc
            .split("```toml\n")
            .nth(1)
            .and_then(|rest| rest.split("```").next())
            .expect("a toml block in plan/mod.rs");
        let plan = Plan::parse("plan/mod.rs", block).unwrap();
        assert_eq!(plan.targets.len(), 2);
        assert_eq!(plan.settings.concurrency, 4);
        assert_eq!(plan.settings.poll_interval, Duration::from_secs(10));
        let transport = plan.settings.transport;
        assert_eq!(transport.connect_timeout, Some(Duration::from_secs(10)));
        assert_eq!(transport.request_timeout, Some(Duration::from_secs(60)));
        assert_eq!(
            transport.max_concurrent_requests,
            std::num::NonZeroUsize::new(64)
        );
    }

    #[test]
    fn azure_fabric_defaults_and_times_and_versions_are_read() {
        let target = one(
            "name = \"azure-vm\"\nvendor = \"azure\"\nsubscription = \"sub\"\nresource_group = \"rg\"\nvault = \"vault\"\ncontainer = \"IaasVMContainer;iaasvmcontainerv2;rg;vm\"\nitem = \"VM;iaasvmcontainerv2;rg;vm\"\napi_version = \"2025-08-01\"\nexpiry = \"2030-01-01T00:00:00Z\"\n",
        );
        let TriggerParams::Azure(azure) = &target.params else {
            panic!("not azure");
        };
        assert_eq!(azure.fabric, "Azure");
        assert!(azure.expiry.is_some());
        let AnyConfig::Azure(azure_config) = &target.config else {
            panic!("not azure");
        };
        assert_eq!(azure_config.api_version.as_deref(), Some("2025-08-01"));
    }

    #[test]
    fn unknown_keys_are_all_named_with_what_the_vendor_takes() {
        let e = errors(
            "[[target]]\nname = \"v\"\nvendor = \"veeam\"\npolicy = \"p\"\nregion = \"r\"\nzone = \"z\"\n",
        );
        let fields: Vec<_> = e.iter().filter_map(|e| e.field.as_deref()).collect();
        assert_eq!(fields, ["region", "zone"], "{e:?}");
        assert!(
            e[0].message
                .contains("policy, endpoint, api_version, ca_cert, insecure"),
            "{}",
            e[0]
        );
    }

    #[test]
    fn every_fault_is_reported_with_target_and_field() {
        let text = r#"
[[target]]
name = "missing-policy"
vendor = "yandex"
instance = "i"

[[target]]
name = "unknown-field"
vendor = "veeam"
policy = "p"
polcy = "typo"

[[target]]
name = "inline-secret"
vendor = "commvault"
password = "hunter2"

[[target]]
name = "wrong-option"
vendor = "azure"
insecure = true

[[target]]
name = "bad-endpoint"
vendor = "veeam"
policy = "p"
endpoint = "ftp://x"

[[target]]
name = "bad-id"
vendor = "veeam"
policy = ".."

[[target]]
name = "bad-level"
vendor = "commvault"
client = "c"
instance = "i"
backupset = "b"
subclient = "s"
app_name = "File System"
level = "weekly"
"#;
        let e = errors(text);
        let got: Vec<(Option<&str>, Option<&str>)> = e
            .iter()
            .map(|e| (e.target.as_deref(), e.field.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                (Some("missing-policy"), Some("policy")),
                (Some("unknown-field"), Some("polcy")),
                (Some("inline-secret"), Some("password")),
                // Every fault of a target is reported, not only the first.
                (Some("inline-secret"), Some("client")),
                (Some("wrong-option"), Some("insecure")),
                (Some("wrong-option"), Some("subscription")),
                (Some("bad-endpoint"), Some("endpoint")),
                (Some("bad-id"), Some("policy")),
                (Some("bad-level"), Some("level")),
            ],
            "{e:#?}"
        );
        let secret = e[2].to_string();
        assert!(e[3].message.contains("missing field `client`"), "{}", e[3]);
        assert!(!secret.contains("hunter2"), "{secret}");
        assert!(secret.contains("environment"), "{secret}");
    }
}

#[cfg(feature = "yandex")]
#[test]
fn env_tables_hold_names_never_values() {
    let ok = Plan::parse(
        "p.toml",
        "[[target]]\nname = \"t\"\nvendor = \"yandex\"\npolicy = \"p\"\ninstance = \"i\"\nenv = { YC_TOKEN = \"TEAM_A_YC_TOKEN\" }\n",
    )
    .unwrap();
    assert_eq!(ok.targets[0].env.0["YC_TOKEN"], "TEAM_A_YC_TOKEN");
    let e = errors(
        "[[target]]\nname = \"t\"\nvendor = \"yandex\"\npolicy = \"p\"\ninstance = \"i\"\nenv = { YC_TOKEN = \"y0_AgAAAA-secret\" }\n",
    );
    assert_eq!(e[0].field.as_deref(), Some("env.YC_TOKEN"), "{}", e[0]);
    assert!(!e[0].to_string().contains("y0_AgAAAA-secret"), "{}", e[0]);
    // A wrong type names its field (every type: see decode::tests).
    let e = errors(
        "[[target]]\nname = \"t\"\nvendor = \"yandex\"\npolicy = [\"p\"]\ninstance = \"i\"\n",
    );
    assert_eq!(e[0].field.as_deref(), Some("policy"), "{}", e[0]);
}

#[cfg(not(feature = "veeam"))]
#[test]
fn a_vendor_left_out_of_the_build_is_named() {
    let e = errors("[[target]]\nname = \"v\"\nvendor = \"veeam\"\npolicy = \"p\"\n");
    assert!(e[0].message.contains("cargo feature `veeam`"), "{}", e[0]);
}
