//! No Debug, Display, error or log line ever shows a secret, even when the server
//! echoes it back.

use std::io::Write;
use std::sync::{Arc, Mutex};

use backup_commvault::prelude::*;
use backup_commvault::{Client, ClientBuilder, Credential, Error};

use crate::common::{document_backup, fast_retry};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PASSWORD: &str = "S3ntinel-Passw0rd";
/// base64 of PASSWORD, as Login sends it.
const PASSWORD_B64: &str = "UzNudGluZWwtUGFzc3cwcmQ=";
const TOKEN: &str = "S3ntinelToken0123456789";

fn assert_clean(text: &str) {
    for secret in [PASSWORD, PASSWORD_B64, TOKEN] {
        assert!(
            !text.contains(secret),
            "secret {secret:?} leaked in: {text}"
        );
    }
}

fn assert_error_clean(err: &Error) {
    assert_clean(&err.to_string());
    assert_clean(&format!("{err:?}"));
}

#[test]
fn credentials_builders_and_clients_hide_secrets() {
    let credentials = [
        Credential::password("admin", PASSWORD.to_owned()),
        Credential::token(TOKEN.to_owned()),
        Credential::bearer(TOKEN.to_owned()),
    ];
    for credential in credentials {
        assert_clean(&format!("{credential:?}"));
        let builder = ClientBuilder::new()
            .endpoint("https://cs.example.com")
            .credential(credential);
        assert_clean(&format!("{builder:?}"));
        let client = builder.build().unwrap();
        assert_clean(&format!("{client:?}"));
    }
    assert_eq!(
        backup_commvault::model::login::encode_password(PASSWORD),
        PASSWORD_B64
    );
}

#[cfg(feature = "emulator")]
#[test]
fn emulator_options_hide_passwords() {
    let options = backup_commvault::emulator::EmulatorOptions::default().user("u", PASSWORD);
    assert_clean(&format!("{options:?}"));
}

async fn echoing_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/commandcenter/api/Login"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"errList": [{
                "errorCode": 5,
                "errLogMessage": format!("Invalid password {PASSWORD} ({PASSWORD_B64})"),
            }]})),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/commandcenter/api/CreateTask"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            format!(r#"<TMMsg_GenericResp errorMessage="Token QSDK {TOKEN} may not run backups" errorCode="5"/>"#),
            "application/xml",
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/commandcenter/api/Job/1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(format!("{{\"echo\": \"QSDK {TOKEN}"), "application/json"),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/commandcenter/api/Job/2"))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"errorCode": 5, "errorMessage": format!("Access denied for {TOKEN}")}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/commandcenter/api/RenewLoginToken"))
        .respond_with(
            ResponseTemplate::new(500).set_body_string(format!("cannot renew QSDK {TOKEN}")),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/commandcenter/api/Job/3/action/kill"))
        .respond_with(
            ResponseTemplate::new(502).set_body_raw(format!("<html>{TOKEN}</html>"), "text/html"),
        )
        .mount(&server)
        .await;
    server
}

/// Captures every log line (all levels) while the test runs.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn errors_and_logs_from_echoing_answers_hide_secrets() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = echoing_server().await;
    let base = format!("{}/commandcenter/api/", server.uri());
    let password_client = Client::builder()
        .endpoint(&base)
        .username_password("admin", PASSWORD.to_owned())
        .retry(fast_retry())
        .build()
        .unwrap();
    let err = password_client
        .trigger(&document_backup())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Auth { .. }), "{err:?}");
    assert!(err.to_string().contains("<redacted>"), "{err}");
    assert_error_clean(&err);

    let token_client = Client::builder()
        .endpoint(&base)
        .token(TOKEN.to_owned())
        .retry(backup_core::RetryPolicy::never())
        .build()
        .unwrap();
    let err = token_client.trigger(&document_backup()).await.unwrap_err();
    assert_eq!(err.api().unwrap().status, 200);
    assert_error_clean(&err);
    for id in ["1", "2"] {
        let err = token_client
            .status(&format!("commvault:{id}").parse().unwrap())
            .await
            .unwrap_err();
        assert_error_clean(&err);
    }
    let err = token_client
        .cancel(&"commvault:3".parse().unwrap())
        .await
        .unwrap_err();
    assert_error_clean(&err);

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(!logs.is_empty());
    assert_clean(&logs);
}

/// Secret hygiene end to end on the emulator (backup-core's `testing::secrets`): a
/// Metallic access token the service echoes back inside a 200, a login whose session
/// expires mid-wait and is renewed, a lost answer and a wrong password, all traced at
/// TRACE; no secret, no session token the emulator issued and no JWT in the traces, the
/// errors or the clients' Debug.
#[cfg(feature = "emulator")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_in_traces_errors_or_debug_output() {
    use backup_core::testing::secrets::{self, Seen, TraceCapture};

    let capture = TraceCapture::start();
    let mut seen = Seen::default();
    emulated_flows(&mut seen).await;
    // The emulator's sessions (`QSDK` tokens).
    let audit = secrets::audit(capture, &seen, &["QSDK "]);
    // The echo, the lost answer and the wrong password; the echoed Metallic token is
    // redacted in the echo's Display and Debug.
    assert_eq!(audit.errors, 3, "{audit:?}");
    assert!(
        audit.redacted >= 2,
        "echoed secrets not redacted: {audit:?}"
    );
}

#[cfg(feature = "emulator")]
async fn emulated_flows(seen: &mut backup_core::testing::secrets::Seen) {
    use backup_commvault::emulator::{DEMO_ACCESS_TOKEN, DEMO_PASSWORD, Emulator, EmulatorOptions};
    use backup_core::emulator::{Fault, RouteClass};
    use backup_core::testing::faults::fast_wait;

    const USER: &str = "sentinel-operator";
    const PASSWORD: &str = "SENTINEL-commvault-password-c81b";
    const WRONG_PASSWORD: &str = "SENTINEL-commvault-wrong-password-2a7f";
    const METALLIC: &str = "SENTINEL-commvault-metallic-token-6e0d";

    let mut options = EmulatorOptions::default().user(USER, PASSWORD);
    options.access_tokens.push(METALLIC.to_owned());
    let emulator = Emulator::start_with(options).await.unwrap();
    let builder = || {
        ClientBuilder::new()
            .endpoint(emulator.url().as_str())
            .retry(backup_core::testing::faults::fast_retry())
    };
    // A Metallic access token (before `expire_tokens`, which ends it too), echoed
    // back in an error inside a 200.
    let metallic = builder().bearer_token(METALLIC.to_owned()).build().unwrap();
    let jobs = metallic.trigger(&emulator.demo_request()).await.unwrap();
    for job in jobs {
        metallic.wait(job, fast_wait()).await.unwrap();
    }
    emulator.faults().inject(
        RouteClass::Trigger,
        Fault::Respond {
            status: 200,
            content_type: "application/xml".to_owned(),
            body: format!(
                r#"<CVGui_GenericResp errorMessage="Token Bearer {METALLIC} is not allowed to run {METALLIC}" errorCode="5"/>"#
            ),
        },
    );
    seen.expect_err(
        metallic.trigger(&emulator.demo_request()).await,
        "commvault echo",
    );
    // Login with the sentinel password; the session expires mid-wait and is renewed.
    let login = builder()
        .username_password(USER, PASSWORD.to_owned())
        .build()
        .unwrap();
    let jobs = login.trigger(&emulator.demo_request()).await.unwrap();
    emulator.expire_tokens();
    for job in jobs {
        login.wait(job, fast_wait()).await.unwrap();
    }
    assert_eq!(emulator.renewals(), 1);
    // The trigger's answer lost: OutcomeUnknown.
    emulator
        .faults()
        .inject(RouteClass::Trigger, Fault::DropAfterHandling);
    seen.expect_err(
        login.trigger(&emulator.demo_request()).await,
        "commvault lost",
    );
    // A wrong password.
    let wrong = builder()
        .username_password(USER, WRONG_PASSWORD.to_owned())
        .build()
        .unwrap();
    seen.expect_err(
        wrong.trigger(&emulator.demo_request()).await,
        "commvault password",
    );
    for client in [&login, &metallic, &wrong] {
        seen.debug(client);
    }
    for secret in [
        PASSWORD,
        WRONG_PASSWORD,
        METALLIC,
        DEMO_PASSWORD,
        DEMO_ACCESS_TOKEN,
    ] {
        seen.secret(secret);
    }
}
