//! Running `backupctl` as a subprocess against emulators started in the test process.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use backup_all::{azure, commvault, huawei_csbs, veeam, yandex};
use serde_json::Value;

/// Every environment name a vendor reads: cleared so the host's own never leak in.
const VENDOR_ENV: &[&str] = &[
    "AZURE_ACCESS_TOKEN",
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_FEDERATED_TOKEN_FILE",
    "YC_IAM_TOKEN",
    "YC_TOKEN",
    "YC_SERVICE_ACCOUNT_KEY_FILE",
    "YC_METADATA_ADDR",
    "HUAWEICLOUD_SDK_AK",
    "HUAWEICLOUD_SDK_SK",
    "HUAWEICLOUD_SDK_SECURITY_TOKEN",
    "HUAWEICLOUD_SDK_PROJECT_ID",
    "HUAWEICLOUD_SDK_REGION",
    "COMMVAULT_API_URL",
    "COMMVAULT_USERNAME",
    "COMMVAULT_PASSWORD",
    "COMMVAULT_AUTHTOKEN",
    "VEEAM_URL",
    "VEEAM_USERNAME",
    "VEEAM_PASSWORD",
    "VEEAM_ACCESS_TOKEN",
    "VEEAM_API_VERSION",
    "RUST_LOG",
];

/// What a run printed and how it ended.
#[derive(Debug)]
pub struct Run {
    /// The exit code.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Every stdout line parsed as one JSON object.
    pub fn json(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|line| {
                serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("not JSON ({e}): {line}\n{self:#?}"))
            })
            .collect()
    }

    /// The only JSON object printed.
    pub fn one(&self) -> Value {
        let mut all = self.json();
        assert_eq!(all.len(), 1, "{self:#?}");
        all.remove(0)
    }

    /// Asserts the exit code.
    #[track_caller]
    pub fn expect(self, code: i32) -> Self {
        assert_eq!(self.code, code, "{self:#?}");
        self
    }
}

/// Runs `backupctl args` with `env` (and no vendor variable of the host).
pub async fn backupctl<S: AsRef<str>>(args: &[S], env: &[(String, String)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_backupctl"));
    for name in VENDOR_ENV {
        command.env_remove(name);
    }
    command.args(args.iter().map(AsRef::as_ref));
    command.envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// How to reach one emulator from the command line.
#[derive(Debug, Clone)]
pub struct Setup {
    /// The vendor.
    pub vendor: &'static str,
    /// The vendor's trigger flags for the emulator's demo resources.
    pub trigger: Vec<String>,
    /// Endpoint flags (for trigger, status, wait and cancel).
    pub connect: Vec<String>,
    /// Credentials, as environment variables.
    pub env: Vec<(String, String)>,
    /// The secrets in `env`, which no output may show.
    pub secrets: Vec<String>,
    /// The same target as plan TOML lines (without name).
    pub plan: String,
}

impl Setup {
    /// `trigger <vendor> <flags> <connect> extra...`.
    pub fn trigger_args(&self, extra: &[&str]) -> Vec<String> {
        let mut args = vec!["trigger".to_owned(), self.vendor.to_owned()];
        args.extend(self.trigger.iter().cloned());
        args.extend(self.connect.iter().cloned());
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        args
    }

    /// `<command> <reference> <connect> extra...`.
    pub fn ref_args(&self, command: &str, reference: &str, extra: &[&str]) -> Vec<String> {
        let mut args = vec![command.to_owned(), reference.to_owned()];
        args.extend(self.connect.iter().cloned());
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        args
    }
}

fn s(v: &str) -> String {
    v.to_owned()
}

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (s(k), s(v))).collect()
}

fn url(u: &url::Url) -> String {
    u.as_str().to_owned()
}

/// Yandex: OAuth token exchange at the emulator's IAM API.
pub async fn yandex() -> (yandex::emulator::Emulator, Setup) {
    use yandex::emulator::{DEMO_INSTANCE_ID, DEMO_OAUTH_TOKEN, DEMO_POLICY_ID, Emulator};
    let emulator = Emulator::start().await.unwrap();
    let u = url(&emulator.url());
    let setup = Setup {
        vendor: "yandex",
        trigger: vec![
            s("--policy"),
            s(DEMO_POLICY_ID),
            s("--instance"),
            s(DEMO_INSTANCE_ID),
        ],
        connect: vec![
            s("--endpoint"),
            u.clone(),
            s("--operation-endpoint"),
            u.clone(),
            s("--iam-endpoint"),
            u.clone(),
        ],
        env: env(&[("YC_TOKEN", DEMO_OAUTH_TOKEN)]),
        secrets: vec![s(DEMO_OAUTH_TOKEN)],
        plan: format!(
            "vendor = \"yandex\"\npolicy = \"{DEMO_POLICY_ID}\"\ninstance = \"{DEMO_INSTANCE_ID}\"\nendpoint = \"{u}\"\noperation_endpoint = \"{u}\"\niam_endpoint = \"{u}\"\n"
        ),
    };
    (emulator, setup)
}

/// Veeam: the password grant, API v8.1.
pub async fn veeam() -> (veeam::emulator::Emulator, Setup) {
    use veeam::emulator::{DEMO_POLICY_ID, EMULATOR_PASSWORD, EMULATOR_USERNAME, Emulator};
    let emulator = Emulator::start().await.unwrap();
    let u = url(&emulator.url());
    let setup = Setup {
        vendor: "veeam",
        trigger: vec![s("--policy"), s(DEMO_POLICY_ID)],
        connect: vec![s("--endpoint"), u.clone()],
        env: env(&[
            ("VEEAM_USERNAME", EMULATOR_USERNAME),
            ("VEEAM_PASSWORD", EMULATOR_PASSWORD),
        ]),
        secrets: vec![s(EMULATOR_PASSWORD)],
        plan: format!("vendor = \"veeam\"\npolicy = \"{DEMO_POLICY_ID}\"\nendpoint = \"{u}\"\n"),
    };
    (emulator, setup)
}

/// Huawei: AK/SK signing.
pub async fn huawei() -> (huawei_csbs::emulator::Emulator, Setup) {
    use huawei_csbs::emulator::{
        DEMO_ACCESS_KEY, DEMO_PLAN_ID, DEMO_PROJECT_ID, DEMO_SECRET_KEY, Emulator,
    };
    let emulator = Emulator::start().await.unwrap();
    let u = url(&emulator.url());
    let setup = Setup {
        vendor: "huawei-csbs",
        trigger: vec![s("--plan"), s(DEMO_PLAN_ID)],
        connect: vec![s("--endpoint"), u.clone(), s("--iam-endpoint"), u.clone()],
        env: env(&[
            ("HUAWEICLOUD_SDK_AK", DEMO_ACCESS_KEY),
            ("HUAWEICLOUD_SDK_SK", DEMO_SECRET_KEY),
            ("HUAWEICLOUD_SDK_PROJECT_ID", DEMO_PROJECT_ID),
        ]),
        secrets: vec![s(DEMO_SECRET_KEY)],
        plan: format!(
            "vendor = \"huawei-csbs\"\nplan = \"{DEMO_PLAN_ID}\"\nendpoint = \"{u}\"\niam_endpoint = \"{u}\"\n"
        ),
    };
    (emulator, setup)
}

/// Commvault: Login with user and password.
pub async fn commvault() -> (commvault::emulator::Emulator, Setup) {
    use commvault::emulator::{
        DEMO_APP, DEMO_BACKUPSET, DEMO_CLIENT, DEMO_INSTANCE, DEMO_PASSWORD, DEMO_SUBCLIENT,
        DEMO_USERNAME, Emulator,
    };
    let emulator = Emulator::start().await.unwrap();
    let u = url(&emulator.url());
    let setup = Setup {
        vendor: "commvault",
        trigger: vec![
            s("--client"),
            s(DEMO_CLIENT),
            s("--instance"),
            s(DEMO_INSTANCE),
            s("--backupset"),
            s(DEMO_BACKUPSET),
            s("--subclient"),
            s(DEMO_SUBCLIENT),
            s("--app-name"),
            s(DEMO_APP),
            s("--level"),
            s("full"),
        ],
        connect: vec![s("--endpoint"), u.clone()],
        env: env(&[
            ("COMMVAULT_USERNAME", DEMO_USERNAME),
            ("COMMVAULT_PASSWORD", DEMO_PASSWORD),
        ]),
        secrets: vec![s(DEMO_PASSWORD)],
        plan: format!(
            "vendor = \"commvault\"\nclient = \"{DEMO_CLIENT}\"\ninstance = \"{DEMO_INSTANCE}\"\nbackupset = \"{DEMO_BACKUPSET}\"\nsubclient = \"{DEMO_SUBCLIENT}\"\napp_name = \"{DEMO_APP}\"\nendpoint = \"{u}\"\n"
        ),
    };
    (emulator, setup)
}

/// Azure: a bearer token the emulator issued, as `AZURE_ACCESS_TOKEN`.
pub async fn azure() -> (azure::emulator::Emulator, Setup) {
    use azure::emulator::{
        DEMO_RESOURCE_GROUP, DEMO_SUBSCRIPTION, DEMO_VAULT, DEMO_VM_CONTAINER, DEMO_VM_ITEM,
        Emulator,
    };
    use azure_core::credentials::TokenCredential;
    let emulator = Emulator::start().await.unwrap();
    let token = emulator
        .credential()
        .get_token(&["https://management.azure.com/.default"], None)
        .await
        .unwrap();
    let token = token.token.secret().to_owned();
    let u = url(&emulator.url());
    let setup = Setup {
        vendor: "azure",
        trigger: vec![
            s("--subscription"),
            s(DEMO_SUBSCRIPTION),
            s("--resource-group"),
            s(DEMO_RESOURCE_GROUP),
            s("--vault"),
            s(DEMO_VAULT),
            s("--container"),
            s(DEMO_VM_CONTAINER),
            s("--item"),
            s(DEMO_VM_ITEM),
        ],
        connect: vec![s("--endpoint"), u.clone()],
        env: vec![(s("AZURE_ACCESS_TOKEN"), token.clone())],
        secrets: vec![token],
        plan: format!(
            "vendor = \"azure\"\nsubscription = \"{DEMO_SUBSCRIPTION}\"\nresource_group = \"{DEMO_RESOURCE_GROUP}\"\nvault = \"{DEMO_VAULT}\"\ncontainer = \"{DEMO_VM_CONTAINER}\"\nitem = \"{DEMO_VM_ITEM}\"\nendpoint = \"{u}\"\n"
        ),
    };
    (emulator, setup)
}

/// A fresh file path under the system's temporary directory.
pub fn temp_file(name: &str, contents: &str) -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "backupctl-test-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

/// Checks an RFC 3339 timestamp field (or null).
#[track_caller]
pub fn assert_time_or_null(value: &Value) {
    if let Some(text) = value.as_str() {
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|e| panic!("{text}: {e}"));
    } else {
        assert!(value.is_null(), "{value}");
    }
}

/// Checks that `value` is one operation object with every documented field.
#[track_caller]
pub fn assert_operation_fields(value: &Value, vendor: &str) {
    for field in [
        "vendor",
        "operation",
        "status",
        "vendor_status",
        "progress",
        "job_id",
        "started_at",
        "finished_at",
        "message",
        "error",
    ] {
        assert!(value.get(field).is_some(), "missing {field} in {value}");
    }
    assert_eq!(value["vendor"], vendor, "{value}");
    let reference = value["operation"].as_str().unwrap();
    assert!(reference.starts_with(&format!("{vendor}:")), "{reference}");
    let status = value["status"].as_str().unwrap();
    assert!(
        [
            "pending",
            "running",
            "succeeded",
            "succeeded_with_warnings",
            "failed",
            "cancelled"
        ]
        .contains(&status),
        "{status}"
    );
    assert!(
        value["vendor_status"].is_null() || value["vendor_status"].is_string(),
        "{value}"
    );
    if let Some(progress) = value["progress"].as_f64() {
        assert!((0.0..=100.0).contains(&progress), "{progress}");
    } else {
        assert!(value["progress"].is_null(), "{value}");
    }
    assert!(
        value["job_id"].is_null() || value["job_id"].is_string(),
        "{value}"
    );
    assert_time_or_null(&value["started_at"]);
    assert_time_or_null(&value["finished_at"]);
    assert!(
        value["message"].is_null() || value["message"].is_string(),
        "{value}"
    );
    let error = &value["error"];
    if !error.is_null() {
        for field in ["kind", "code", "message", "request_id"] {
            assert!(
                error.get(field).is_some(),
                "missing error.{field} in {value}"
            );
        }
        assert!(error["kind"].is_string(), "{value}");
    }
}
