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
    assert_eq!(e[0].field.as_deref(), Some("line 2"), "{}", e[0]);
}

#[test]
fn settings_are_checked() {
    let e = errors("concurrency = 0\ntimeout = \"soon\"\nfail_fast = 1\nretries = 3\n");
    let fields: Vec<_> = e.iter().filter_map(|e| e.field.as_deref()).collect();
    for expected in ["retries", "concurrency", "timeout", "fail_fast", "target"] {
        assert!(fields.contains(&expected), "{expected} in {fields:?}");
    }
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

    const FULL: &str = r#"
concurrency = 3
timeout = "1h30m"
fail_fast = true
poll_interval = "250ms"

[[target]]
name = "azure-vm"
vendor = "azure"
subscription = "sub"
resource_group = "rg"
vault = "vault"
container = "IaasVMContainer;iaasvmcontainerv2;rg;vm"
item = "VM;iaasvmcontainerv2;rg;vm"
api_version = "2025-08-01"
expiry = "2030-01-01T00:00:00Z"

[[target]]
name = "yc"
vendor = "yandex"
policy = "pol"
instance = "inst"
operation_endpoint = "http://127.0.0.1:1/"

[[target]]
name = "hw"
vendor = "huawei-csbs"
plan = "plan-1"
resources = ["r1", "r2"]
region = "ap-southeast-1"

[[target]]
name = "cv"
vendor = "commvault"
client = "fs01"
instance = "DefaultInstanceName"
backupset = "defaultBackupSet"
subclient = "default"
app_name = "File System"
level = "full"
insecure = true

[[target]]
name = "veeam"
vendor = "veeam"
policy = "p-1"
api_version = "v8.1"
endpoint = "https://veeam.example.com"
"#;

    #[test]
    fn a_plan_across_all_vendors_parses() {
        let plan = Plan::parse("full.toml", FULL).unwrap();
        assert_eq!(plan.settings.concurrency, 3);
        assert_eq!(plan.settings.timeout, Some(Duration::from_secs(5400)));
        assert!(plan.settings.fail_fast);
        assert_eq!(plan.settings.poll_interval, Duration::from_millis(250));
        let vendors: Vec<_> = plan.targets.iter().map(PlanTarget::vendor).collect();
        assert_eq!(vendors, Vendor::ALL.to_vec());
        let TriggerParams::Azure(azure) = &plan.targets[0].params else {
            panic!("not azure");
        };
        assert_eq!(azure.fabric, "Azure");
        assert!(azure.expiry.is_some());
        let AnyConfig::Azure(azure_config) = &plan.targets[0].config else {
            panic!("not azure");
        };
        assert_eq!(azure_config.api_version.as_deref(), Some("2025-08-01"));
        let TriggerParams::HuaweiCsbs(hw) = &plan.targets[2].params else {
            panic!("not huawei");
        };
        assert_eq!(hw.resources, ["r1", "r2"]);
        let AnyConfig::Commvault(commvault_config) = &plan.targets[3].config else {
            panic!("not commvault");
        };
        assert!(commvault_config.insecure);
        assert_eq!(plan.targets[4].name, "veeam");
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

#[cfg(all(feature = "yandex", feature = "huawei-csbs"))]
#[test]
fn env_tables_hold_names_and_wrong_types_name_their_field() {
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
    let e = errors(
        "[[target]]\nname = \"t\"\nvendor = \"huawei-csbs\"\nplan = \"p\"\nresources = \"r1\"\n",
    );
    assert_eq!(e[0].field.as_deref(), Some("resources"), "{}", e[0]);
    let e = errors(
        "[[target]]\nname = \"t\"\nvendor = \"huawei-csbs\"\nplan = \"p\"\nauto_trigger = \"yes\"\n",
    );
    assert_eq!(e[0].field.as_deref(), Some("auto_trigger"), "{}", e[0]);
}

#[cfg(not(feature = "veeam"))]
#[test]
fn a_vendor_left_out_of_the_build_is_named() {
    let e = errors("[[target]]\nname = \"v\"\nvendor = \"veeam\"\npolicy = \"p\"\n");
    assert!(e[0].message.contains("cargo feature `veeam`"), "{}", e[0]);
}
