//! `backupctl emulate`: every emulator of the registry served as its JSON says, driven
//! through what the JSON gives (the `trigger` command line and the environment) and
//! through the control API; backups on the clock; `--print-env`, `--detach`, `--seed`;
//! the usage errors; SIGINT and SIGTERM end it with 0.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use backup_all::Vendor;
use serde_json::{Value, json};

use crate::common::backupctl;

/// A running `backupctl emulate` and the JSON object it printed.
struct Emulate {
    child: Child,
    json: Value,
}

impl Emulate {
    /// Starts `backupctl emulate args...` and reads its first line.
    async fn start(args: &[&str]) -> Emulate {
        let mut command = Command::new(env!("CARGO_BIN_EXE_backupctl"));
        command
            .arg("emulate")
            .args(args)
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = command.spawn().expect("start backupctl emulate");
        let stdout = child.stdout.take().expect("piped stdout");
        let line = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            BufReader::new(stdout).read_line(&mut line).map(|_| line)
        })
        .await
        .expect("reader")
        .expect("a line");
        let json = serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        Emulate { child, json }
    }

    /// One vendor's part of the JSON.
    fn vendor(&self, vendor: Vendor) -> &Value {
        &self.json["vendors"][vendor.as_str()]
    }

    /// The vendor's environment, as the JSON gives it.
    fn env(&self, vendor: Vendor) -> Vec<(String, String)> {
        self.vendor(vendor)["env"]
            .as_object()
            .expect("env")
            .iter()
            .map(|(name, value)| (name.clone(), value.as_str().expect("a string").to_owned()))
            .collect()
    }

    /// The vendor's `backupctl trigger` command line, without `backupctl`.
    fn trigger(&self, vendor: Vendor) -> Vec<String> {
        let argv: Vec<String> = self.vendor(vendor)["trigger"]
            .as_array()
            .expect("trigger")
            .iter()
            .map(|arg| arg.as_str().expect("a string").to_owned())
            .collect();
        assert_eq!(argv[..3], ["backupctl", "trigger", vendor.as_str()]);
        argv[1..].to_vec()
    }

    /// Sends `signal` (`TERM`, `INT`) and returns the exit code.
    async fn stop(mut self, signal: &str) -> Option<i32> {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status()
            .expect("run kill");
        assert!(sent.success());
        tokio::task::spawn_blocking(move || self.child.wait())
            .await
            .expect("waiter")
            .expect("exit status")
            .code()
    }
}

impl Drop for Emulate {
    fn drop(&mut self) {
        // A failed test must not leave the server running.
        let _ = self.child.kill();
    }
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
}

/// `method <control_url>path` with `body`, answered 200 with JSON.
async fn control(
    emulate: &Emulate,
    vendor: Vendor,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> Value {
    let base = emulate.vendor(vendor)["control_url"]
        .as_str()
        .expect("control_url");
    let mut request = http().request(method, format!("{base}{path}"));
    if !body.is_null() {
        request = request.body(body.to_string());
    }
    let response = request.send().await.expect("answer");
    assert_eq!(response.status(), 200, "{vendor} {path}");
    serde_json::from_str(&response.text().await.expect("body")).expect("JSON")
}

/// Runs `backupctl args` with `vendor`'s environment from the JSON.
async fn run_with(emulate: &Emulate, vendor: Vendor, args: &[String]) -> crate::common::Run {
    backupctl(args, &emulate.env(vendor)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_vendor_is_served_as_its_json_says() {
    let emulate = Emulate::start(&["--backup-duration", "300ms"]).await;
    let json = &emulate.json;
    let pid = emulate.child.id();
    assert_eq!(json["pid"], pid);
    assert_eq!(json["backup_duration_s"], 0.3);
    assert_eq!(json["control_prefix"], "/_emulator");
    let names: Vec<&str> = json["vendors"]
        .as_object()
        .expect("vendors")
        .keys()
        .map(String::as_str)
        .collect();
    let mut enabled: Vec<&str> = Vendor::enabled().map(Vendor::as_str).collect();
    enabled.sort_unstable();
    assert_eq!(names, enabled);
    let exports = json["exports"].as_array().expect("exports");
    assert_eq!(
        exports.last(),
        Some(&json!(format!("export BACKUPCTL_EMULATE_PID={pid}")))
    );

    for vendor in Vendor::enabled() {
        let part = emulate.vendor(vendor);
        assert_eq!(part["service"].as_str(), vendor.service(), "{vendor}");
        let url = part["url"].as_str().expect("url");
        assert!(url.starts_with("http://127.0.0.1:"), "{vendor}: {url}");
        // Every credential is one of the vendor's environment names, and every name
        // exported is one the vendor reads or the emulator's own URL.
        let reads: Vec<&str> = vendor.environment().iter().map(|var| var.name).collect();
        for name in part["credentials"].as_object().expect("credentials").keys() {
            assert!(reads.contains(&name.as_str()), "{vendor}: {name}");
        }
        let url_name = format!(
            "BACKUPCTL_EMULATE_{}_URL",
            vendor.as_str().to_uppercase().replace('-', "_")
        );
        for (name, value) in emulate.env(vendor) {
            assert!(
                reads.contains(&name.as_str()) || name == url_name,
                "{vendor}: {name}"
            );
            assert!(
                exports.iter().any(|line| line
                    .as_str()
                    .is_some_and(|l| l.starts_with(&format!("export {name}=")))),
                "{vendor}: {name} is not exported"
            );
            if name == url_name {
                assert_eq!(value, url);
            }
        }
        let state = control(&emulate, vendor, reqwest::Method::GET, "state", Value::Null).await;
        assert_eq!(state["accepted_backups"], 0, "{vendor}: {state}");
        assert_eq!(state["lifecycle"]["duration_s"], 0.3, "{vendor}: {state}");

        // The printed command line, with the printed environment, backs up.
        let mut args = emulate.trigger(vendor);
        args.extend(["--wait", "--poll-interval", "50ms", "--output", "json"].map(String::from));
        let run = run_with(&emulate, vendor, &args).await.expect(0);
        for object in run.json() {
            assert_eq!(object["status"], "succeeded", "{vendor}: {object}");
        }
        let state = control(&emulate, vendor, reqwest::Method::GET, "state", Value::Null).await;
        assert!(
            state["accepted_backups"].as_u64().is_some_and(|n| n >= 1),
            "{vendor}: {state}"
        );
        assert_eq!(state["requests"]["trigger"], 1, "{vendor}: {state}");
    }
    assert_eq!(emulate.stop("TERM").await, Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backups_end_on_the_clock_and_the_control_api_steers_the_next_ones() {
    let emulate = Emulate::start(&["--backup-duration", "200ms"]).await;
    for vendor in Vendor::enabled() {
        // Started, never read: it still ends, so a second backup of the same target is
        // not refused as "still running".
        let trigger = emulate.trigger(vendor);
        run_with(&emulate, vendor, &trigger).await.expect(0);
        // What one trigger starts (Veeam's demo policy: two sessions).
        let per_trigger = control(&emulate, vendor, reqwest::Method::GET, "state", Value::Null)
            .await["accepted_backups"]
            .as_u64()
            .expect("a count");
        tokio::time::sleep(Duration::from_millis(600)).await;
        let mut waited = trigger.clone();
        waited.extend(["--wait", "--poll-interval", "50ms"].map(String::from));
        run_with(&emulate, vendor, &waited).await.expect(0);

        // The next backups fail, with the reason given.
        let lifecycle = control(
            &emulate,
            vendor,
            reqwest::Method::POST,
            "lifecycle",
            json!({ "outcome": "failure", "reason": "disk full" }),
        )
        .await;
        assert_eq!(lifecycle["outcome"], "failure");
        assert_eq!(lifecycle["duration_s"], 0.2);
        run_with(&emulate, vendor, &waited).await.expect(1);

        // The next trigger is refused with a 409 (not retried): nothing starts.
        control(
            &emulate,
            vendor,
            reqwest::Method::POST,
            "faults",
            json!({ "route": "trigger", "fault": { "kind": "status", "status": 409 } }),
        )
        .await;
        let refused = run_with(&emulate, vendor, &trigger).await;
        assert_eq!(refused.code, 5, "{vendor}: {refused:#?}");
        let state = control(&emulate, vendor, reqwest::Method::GET, "state", Value::Null).await;
        assert_eq!(
            state["accepted_backups"],
            3 * per_trigger,
            "{vendor}: {state}"
        );
        assert_eq!(
            state["faults"],
            json!({ "pending": 0, "fired": 1 }),
            "{vendor}: {state}"
        );

        let log = control(
            &emulate,
            vendor,
            reqwest::Method::GET,
            "requests?class=trigger",
            Value::Null,
        )
        .await;
        let records = log["records"].as_array().expect("records");
        assert_eq!(records.len(), 4, "{vendor}: {log}");
        assert_eq!(
            records.last().map(|r| r["fault"]["kind"].clone()),
            Some(json!("status")),
            "{vendor}: {log}"
        );

        // A reset forgets it all: counts, faults, the failing lifecycle, the jobs.
        let state = control(
            &emulate,
            vendor,
            reqwest::Method::POST,
            "reset",
            Value::Null,
        )
        .await;
        assert_eq!(state["accepted_backups"], 0, "{vendor}: {state}");
        assert_eq!(
            state["faults"],
            json!({ "pending": 0, "fired": 0 }),
            "{vendor}: {state}"
        );
        assert_eq!(
            state["lifecycle"]["outcome"], "success",
            "{vendor}: {state}"
        );
        assert_eq!(state["requests"]["total"], 0, "{vendor}: {state}");
        run_with(&emulate, vendor, &waited).await.expect(0);
    }
    assert_eq!(emulate.stop("INT").await, Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn print_env_prints_the_export_lines_only() {
    let emulate_json = Emulate::start(&["--vendor", "yandex", "--seed", "11"]).await;
    let expected: Vec<String> = emulate_json.json["exports"]
        .as_array()
        .expect("exports")
        .iter()
        .map(|line| line.as_str().expect("a string").to_owned())
        .collect();
    assert_eq!(emulate_json.stop("TERM").await, Some(0));

    let mut child = Command::new(env!("CARGO_BIN_EXE_backupctl"))
        .args([
            "emulate",
            "--vendor",
            "yandex",
            "--seed",
            "11",
            "--print-env",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start");
    let stdout = child.stdout.take().expect("piped");
    let (lines, child) = tokio::task::spawn_blocking(move || {
        let mut reader = BufReader::new(stdout);
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).expect("read");
            let last = line.starts_with("export BACKUPCTL_EMULATE_PID=");
            lines.push(line.trim_end().to_owned());
            if last || line.is_empty() {
                break;
            }
        }
        (lines, child)
    })
    .await
    .expect("reader");
    let emulate = Emulate {
        child,
        json: Value::Null,
    };
    let pid = emulate.child.id();
    // The same lines but the process's own URL and pid: ports and pids differ.
    assert_eq!(lines.len(), expected.len(), "{lines:?}");
    assert_eq!(lines[0], "export YC_TOKEN=y0_emulator-demo-oauth-token");
    assert!(
        lines[1].starts_with("export BACKUPCTL_EMULATE_YANDEX_URL=http://127.0.0.1:"),
        "{lines:?}"
    );
    assert_eq!(lines[2], format!("export BACKUPCTL_EMULATE_PID={pid}"));
    assert_eq!(emulate.stop("TERM").await, Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detach_returns_once_listening_and_the_server_stays() {
    let run = backupctl(
        &[
            "emulate", "--detach", "--vendor", "veeam", "--vendor", "azure",
        ],
        &[],
    )
    .await
    .expect(0);
    let json = run.one();
    let pid = json["pid"].as_u64().expect("pid");
    assert_ne!(u64::from(std::process::id()), pid);
    for vendor in ["azure", "veeam"] {
        let base = json["vendors"][vendor]["control_url"]
            .as_str()
            .expect("control_url");
        let state: Value = serde_json::from_str(
            &http()
                .get(format!("{base}state"))
                .send()
                .await
                .expect("the detached server answers")
                .text()
                .await
                .expect("body"),
        )
        .expect("JSON");
        assert_eq!(state["accepted_backups"], 0, "{vendor}: {state}");
    }
    let stopped = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(stopped.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_seed_gives_the_same_tokens() {
    let mut tokens = Vec::new();
    for _ in 0..2 {
        let emulate = Emulate::start(&["--vendor", "azure", "--seed", "42"]).await;
        tokens.push(emulate.vendor(Vendor::Azure)["credentials"]["AZURE_ACCESS_TOKEN"].clone());
        assert_eq!(emulate.stop("TERM").await, Some(0));
    }
    assert!(tokens[0].is_string());
    assert_eq!(tokens[0], tokens[1]);
    let other = Emulate::start(&["--vendor", "azure", "--seed", "43"]).await;
    assert_ne!(
        other.vendor(Vendor::Azure)["credentials"]["AZURE_ACCESS_TOKEN"],
        tokens[0]
    );
    assert_eq!(other.stop("TERM").await, Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ports_are_given_per_vendor_or_from_a_first_one() {
    let free = Emulate::start(&["--vendor", "yandex", "--vendor", "veeam"]).await;
    let taken = free.vendor(Vendor::Yandex)["url"]
        .as_str()
        .and_then(|url| url.trim_end_matches('/').rsplit(':').next())
        .expect("a port")
        .to_owned();
    // A port in use: refused before anything is printed, exit 2.
    let busy = backupctl(
        &[
            "emulate",
            "--vendor",
            "yandex",
            "--ports",
            &format!("yandex={taken}"),
        ],
        &[],
    )
    .await;
    assert_eq!(busy.code, 2, "{busy:#?}");
    assert!(busy.stdout.is_empty(), "{busy:#?}");
    assert!(
        busy.stderr.contains(&format!(
            "error: yandex: cannot listen on 127.0.0.1:{taken}"
        )),
        "{busy:#?}"
    );
    assert_eq!(free.stop("TERM").await, Some(0));

    for (args, error) in [
        (
            vec!["--vendor", "azure", "--ports", "yandex=1"],
            "error: --ports names yandex, which is not among the --vendor values",
        ),
        (
            vec!["--ports", "azure=7,azure=8"],
            "error: --ports names azure twice",
        ),
        (
            vec!["--ports", "azure=7,yandex=7"],
            "error: azure and yandex cannot both listen on port 7",
        ),
        (
            vec!["--port", "65535"],
            "emulators do not fit below port 65536",
        ),
    ] {
        let mut all = vec!["emulate"];
        all.extend(args);
        let run = backupctl(&all, &[]).await.expect(2);
        assert!(run.stderr.contains(error), "{run:#?}");
    }
    backupctl(&["emulate", "--ports", "azure"], &[])
        .await
        .expect(2);
    backupctl(&["emulate", "--port", "1", "--ports", "azure=2"], &[])
        .await
        .expect(2);
}
