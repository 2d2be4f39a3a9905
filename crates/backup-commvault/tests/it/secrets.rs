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
