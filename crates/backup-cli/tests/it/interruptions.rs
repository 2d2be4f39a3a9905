//! Signals, deadlines and timeouts on a real `backupctl` process: SIGINT and SIGTERM
//! sent to it while it triggers or waits (against the emulators), a status endpoint
//! that drips its answer, one that never answers, and what a missing credential says.
//! Bounds on wall-clock time here are generous (ten times what is expected): they
//! catch a command that hangs for a request timeout, never a slow machine.

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use backup_all::Vendor;
use backup_all::core::emulator::{Fault, LifecycleSpec, RouteClass};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::common::{Setup, backupctl, trigger_reference};

/// `backupctl args` started with `env` (and no vendor variable of the host), its
/// output piped.
fn spawn(args: &[String], env: &[(String, String)]) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_backupctl"));
    for vendor in Vendor::ALL {
        for var in vendor.environment() {
            command.env_remove(var.name);
        }
    }
    command
        .env_remove("RUST_LOG")
        .args(args)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command.spawn().expect("backupctl starts")
}

/// Sends `signal` (`INT`, `TERM`) to the process.
fn send(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args(["-s", signal, &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -s {signal} failed");
}

/// Waits for `condition` (checked every 10 ms), for at most a minute.
async fn until(what: &str, condition: impl Fn() -> bool) {
    let start = Instant::now();
    while !condition() {
        assert!(start.elapsed() < Duration::from_secs(60), "never: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Exit code, stdout, stderr, and how long after `since` the process ended.
struct Ended {
    code: i32,
    stdout: String,
    stderr: String,
    after: Duration,
}

async fn ended(mut child: Child, since: Instant) -> Ended {
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let (code, out, err) = tokio::task::spawn_blocking(move || {
        let mut out = String::new();
        let mut err = String::new();
        let _ = stdout.read_to_string(&mut out);
        let _ = stderr.read_to_string(&mut err);
        let code = child.wait().unwrap().code().unwrap_or(-1);
        (code, out, err)
    })
    .await
    .unwrap();
    Ended {
        code,
        stdout: out,
        stderr: err,
        after: since.elapsed(),
    }
}

/// Every stdout line as a JSON object (a line cut in the middle fails here).
fn objects(ended: &Ended) -> Vec<Value> {
    ended
        .stdout
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|e| {
                panic!(
                    "not one JSON object ({e}): {line:?}\nstderr: {}",
                    ended.stderr
                )
            })
        })
        .collect()
}

const STOPS_WITHIN: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_while_trigger_waits_prints_each_operation_interrupted_and_exits_130() {
    for vendor in [Vendor::Yandex, Vendor::Veeam] {
        let setup = Setup::start(vendor).await;
        setup
            .emulator()
            .set_lifecycle(LifecycleSpec::after_polls(1_000_000));
        let child = spawn(
            &setup.trigger_args(&["--wait", "--poll-interval", "20ms", "--output", "json"]),
            &setup.env,
        );
        let log = setup.emulator().requests();
        until("a few polls", || log.count(RouteClass::Poll) >= 3).await;
        let signalled = Instant::now();
        send(&child, "INT");
        let ended = ended(child, signalled).await;
        assert_eq!(ended.code, 130, "{vendor}: {}", ended.stderr);
        assert!(ended.after < STOPS_WITHIN, "{vendor}: {:?}", ended.after);
        let objects = objects(&ended);
        assert!(!objects.is_empty(), "{vendor}: nothing printed");
        for object in &objects {
            assert_eq!(object["interrupted"], true, "{object}");
            assert_eq!(object["status"], "running", "{object}");
            let reference = object["operation"].as_str().unwrap();
            assert!(reference.starts_with(&format!("{vendor}:")), "{object}");
        }
        assert_eq!(setup.accepted(), 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_while_waiting_says_how_to_resume_and_exits_143() {
    let setup = Setup::start(Vendor::Yandex).await;
    setup
        .emulator()
        .set_lifecycle(LifecycleSpec::after_polls(1_000_000));
    let reference = trigger_reference(&setup).await;
    let child = spawn(
        &setup.ref_args("wait", &reference, &["--poll-interval", "20ms"]),
        &setup.env,
    );
    let log = setup.emulator().requests();
    let before = log.count(RouteClass::Poll);
    until("polls of the wait", || {
        log.count(RouteClass::Poll) >= before + 3
    })
    .await;
    let signalled = Instant::now();
    send(&child, "TERM");
    let ended = ended(child, signalled).await;
    assert_eq!(ended.code, 143, "{}", ended.stderr);
    assert!(ended.after < STOPS_WITHIN, "{:?}", ended.after);
    assert!(
        ended.stdout.starts_with(&format!("{reference}  running")),
        "{}",
        ended.stdout
    );
    assert!(
        ended
            .stderr
            .contains(&format!("resume with: backupctl wait '{reference}'")),
        "{}",
        ended.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trigger_without_an_answer_when_the_signal_comes_is_an_unknown_outcome() {
    // Commvault's trigger is not idempotent: the service takes it, the answer is held.
    let setup = Setup::start(Vendor::Commvault).await;
    setup
        .emulator()
        .faults()
        .inject(RouteClass::Trigger, Fault::Delay(Duration::from_secs(120)));
    let child = spawn(
        &setup.trigger_args(&["--wait", "--poll-interval", "20ms", "--output", "json"]),
        &setup.env,
    );
    let log = setup.emulator().requests();
    until("the trigger arrives", || {
        log.count(RouteClass::Trigger) == 1
    })
    .await;
    let signalled = Instant::now();
    send(&child, "INT");
    let ended = ended(child, signalled).await;
    assert_eq!(ended.code, 130, "{}", ended.stderr);
    assert!(ended.after < STOPS_WITHIN, "{:?}", ended.after);
    let objects = objects(&ended);
    assert_eq!(objects.len(), 1, "{}", ended.stdout);
    assert_eq!(objects[0]["interrupted"], true, "{}", objects[0]);
    assert_eq!(
        objects[0]["error"]["kind"], "outcome_unknown",
        "{}",
        objects[0]
    );
    assert!(
        objects[0]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("check before triggering again"),
        "{}",
        objects[0]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_stops_a_run_and_two_sigints_never_cut_a_line() {
    let setup = Setup::start(Vendor::Veeam).await;
    setup
        .emulator()
        .set_lifecycle(LifecycleSpec::after_polls(1_000_000));
    let plan = format!(
        "poll_interval = \"20ms\"\n[[target]]\nname = \"one\"\n{}",
        setup.plan()
    );
    let path = crate::common::temp_file("plan.toml", &plan);
    for signals in [1, 2] {
        let child = spawn(
            &[
                "run".to_owned(),
                path.display().to_string(),
                "--output".to_owned(),
                "json".to_owned(),
            ],
            &setup.env,
        );
        let log = setup.emulator().requests();
        let before = log.count(RouteClass::Poll);
        until("polls of the run", || {
            log.count(RouteClass::Poll) >= before + 3
        })
        .await;
        let signalled = Instant::now();
        for _ in 0..signals {
            send(&child, "INT");
        }
        let ended = ended(child, signalled).await;
        assert_eq!(ended.code, 130, "{}", ended.stderr);
        assert!(ended.after < STOPS_WITHIN, "{:?}", ended.after);
        // Every line printed is a whole object, however the signals fell.
        let objects = objects(&ended);
        if signals == 1 {
            assert!(!objects.is_empty(), "{}", ended.stderr);
            for object in &objects {
                assert_eq!(object["target"], "one", "{object}");
                assert_eq!(object["outcome"], "abandoned", "{object}");
                assert_eq!(object["interrupted"], true, "{object}");
                assert!(object["operation"].as_str().unwrap().starts_with("veeam:"));
            }
        }
    }
}

/// A server answering every request `200` with a body sent one byte per second.
async fn dripping_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buffer = [0_u8; 4096];
                if stream.read(&mut buffer).await.unwrap_or(0) == 0 {
                    return;
                }
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n";
                let _ = stream.write_all(head.as_bytes()).await;
                for _ in 0..1000 {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    if stream.write_all(b" ").await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    url
}

/// A server that accepts, reads the request and never answers.
async fn silent_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    url
}

fn yandex_token() -> Vec<(String, String)> {
    vec![("YC_IAM_TOKEN".to_owned(), "t1.test-token".to_owned())]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dripping_status_endpoint_ends_the_wait_at_its_deadline_exit_3() {
    let url = dripping_server().await;
    let started = Instant::now();
    let run = backupctl(
        &[
            "wait",
            "yandex:cdgoperation1",
            "--operation-endpoint",
            &url,
            "--timeout",
            "3s",
            "--poll-interval",
            "100ms",
        ],
        &yandex_token(),
    )
    .await;
    let took = started.elapsed();
    assert_eq!(run.code, 3, "{run:#?}");
    // The request timeout is 60 s: a wait it bounded would take a minute or more.
    assert!(took < Duration::from_secs(30), "took {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_timeout_bounds_every_request_and_the_error_names_host_and_step() {
    let silent = silent_server().await;
    let host = silent
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let started = Instant::now();
    let run = backupctl(
        &[
            "status",
            "yandex:cdgoperation1",
            "--operation-endpoint",
            &silent,
            "--request-timeout",
            "1s",
            "--output",
            "json",
        ],
        &yandex_token(),
    )
    .await;
    assert_eq!(run.code, 5, "{run:#?}");
    let message = run.one()["error"]["message"].as_str().unwrap().to_owned();
    assert!(
        message.contains(&format!("poll request to {host}")),
        "{message}"
    );
    assert!(message.contains("1s request timeout"), "{message}");
    assert!(
        started.elapsed() < Duration::from_secs(50),
        "{:?}",
        started.elapsed()
    );

    // A token exchange that never answers before a trigger: no backup was requested,
    // never an unknown outcome.
    let setup = Setup::start(Vendor::Yandex).await;
    let mut config = setup.config.clone();
    config.insert("iam_endpoint".to_owned(), silent.clone().into());
    let env = vec![("YC_TOKEN".to_owned(), "y0_test-oauth-token".to_owned())];
    let run = backupctl(
        &setup.trigger_args_with(
            &setup.params,
            &config,
            &[
                "--request-timeout",
                "1s",
                "--connect-timeout",
                "1s",
                "--output",
                "json",
            ],
        ),
        &env,
    )
    .await;
    assert_eq!(run.code, 5, "{run:#?}");
    let error = &run.one()["error"];
    assert_eq!(error["kind"], "transport", "{error}");
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("no backup was requested"), "{message}");
    assert!(
        message.contains(&format!("token request to {host}"))
            || message.contains("credential (token or login) step"),
        "{message}"
    );
    assert_eq!(setup.accepted(), 0);
    assert_eq!(setup.emulator().requests().count(RouteClass::Trigger), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_credentials_name_the_variables_to_set_for_every_vendor_exit_2() {
    // A dead port for Yandex's metadata service (off-cloud), and no Azure developer
    // tools on the PATH: every vendor is left without a credential.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_addr = dead.local_addr().unwrap().to_string();
    drop(dead);
    let empty_path = crate::common::temp_file("nothing", "");
    let empty_dir = empty_path.parent().unwrap().display().to_string();
    for &vendor in Vendor::ALL {
        if vendor.as_str() == "aws" {
            // Its crate is still being written (issue 21): its credential chain does
            // not give a configuration error yet. Remove once it does.
            continue;
        }
        let setup = Setup::start(vendor).await;
        let reference = trigger_reference(&setup).await;
        let env = vec![
            ("YC_METADATA_ADDR".to_owned(), dead_addr.clone()),
            ("PATH".to_owned(), empty_dir.clone()),
        ];
        let run = backupctl(
            &setup.ref_args("status", &reference, &["--output", "json"]),
            &env,
        )
        .await;
        assert_eq!(run.code, 2, "{vendor}: {run:#?}");
        let error = &run.one()["error"];
        assert_eq!(error["kind"], "config", "{vendor}: {error}");
        let message = error["message"].as_str().unwrap();
        // Every credential variable of the vendor's first choice is named.
        let credentials: Vec<&str> = vendor
            .environment()
            .iter()
            .map(|var| var.name)
            .filter(|name| {
                !name.ends_with("_URL")
                    && !name.ends_with("_ADDR")
                    && !name.ends_with("_VERSION")
                    && !name.ends_with("_REGION")
                    && !name.ends_with("_PROJECT_ID")
                    && !name.ends_with("_DOMAIN")
                    && !name.ends_with("_SECURITY_TOKEN")
            })
            .collect();
        assert!(!credentials.is_empty(), "{vendor}");
        for name in &credentials[..credentials.len().min(2)] {
            assert!(
                message.contains(name),
                "{vendor}: {name} not named: {message}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huawei_reference_resumes_without_the_project_variable() {
    use backup_all::huawei_csbs::ENV_PROJECT_ID;
    let setup = Setup::start(Vendor::HuaweiCsbs).await;
    let reference = trigger_reference(&setup).await;
    let env: Vec<(String, String)> = setup
        .env
        .iter()
        .filter(|(name, _)| name != ENV_PROJECT_ID)
        .cloned()
        .collect();
    let mut config = setup.config.clone();
    config.remove("project_id");
    let mut args = vec![
        "status".to_owned(),
        reference.clone(),
        "--output".to_owned(),
        "json".to_owned(),
    ];
    args.extend(crate::common::flags(Vendor::HuaweiCsbs, &config));
    assert!(!args.iter().any(|arg| arg == "--project-id"), "{args:?}");
    let run = backupctl(&args, &env).await.expect(0);
    assert_eq!(run.one()["operation"], reference.as_str());
    // A trigger still needs the project: it says which variable to set.
    let run = backupctl(
        &setup.trigger_args_with(&setup.params, &config, &["--output", "json"]),
        &env,
    )
    .await
    .expect(2);
    let message = run.one()["error"]["message"].as_str().unwrap().to_owned();
    assert!(message.contains(ENV_PROJECT_ID), "{message}");
}
