//! No Debug, Display or error ever shows a secret.

use crate::common::builder;
use backup_veeam::prelude::*;
use backup_veeam::{ApiVersion, Client, Credential, Error, TriggerRequest};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PASSWORD: &str = "pw-SENTINEL-0f3a9c";
const TOKEN: &str = "tok-SENTINEL-77d2e1";

fn assert_clean(text: &str) {
    assert!(!text.contains("SENTINEL"), "a secret leaked: {text}");
}

#[test]
fn debug_of_builder_client_and_credentials_hides_secrets() {
    let password = Client::builder()
        .endpoint("https://veeam.example.com")
        .password("admin", PASSWORD);
    assert_clean(&format!("{password:?}"));
    assert_clean(&format!("{:?}", password.clone().build().unwrap()));
    let token = Client::builder()
        .endpoint("https://veeam.example.com")
        .access_token(TOKEN);
    assert_clean(&format!("{token:?}"));
    assert_clean(&format!("{:?}", token.build().unwrap()));
    assert_clean(&format!(
        "{:?} {:?}",
        Credential::password("admin", PASSWORD),
        Credential::access_token(TOKEN)
    ));
}

#[tokio::test]
async fn token_errors_echoing_the_form_never_show_the_password() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/oauth2/token"))
        .respond_with(ResponseTemplate::new(400).set_body_raw(
            format!(
                r#"{{"title":"Bad Request","status":400,"detail":"rejected password={PASSWORD}"}}"#
            ),
            "application/problem+json",
        ))
        .mount(&server)
        .await;
    let client = builder(&server.uri(), ApiVersion::V8_1)
        .password("admin", PASSWORD)
        .build()
        .unwrap();
    let err = client.session("15").await.unwrap_err();
    assert!(matches!(err, Error::Auth { .. }), "{err:?}");
    assert_clean(&err.to_string());
    assert_clean(&format!("{err:?}"));
}

#[tokio::test]
async fn an_undecodable_token_answer_is_not_excerpted() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/oauth2/token"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"access_token":"at-SENTINEL-cut-in-the-midd"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    let client = builder(&server.uri(), ApiVersion::V8_1)
        .password("admin", PASSWORD)
        .build()
        .unwrap();
    let err = client.trigger(&TriggerRequest::new("p")).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Auth {
                status: Some(200),
                ..
            }
        ),
        "{err:?}"
    );
    assert_clean(&err.to_string());
    assert_clean(&format!("{err:?}"));
}

#[tokio::test]
async fn api_errors_echoing_the_bearer_token_never_show_it() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v8.1/jobSessions/15"))
        .respond_with(ResponseTemplate::new(400).set_body_raw(
            format!(
                r#"{{"title":"Bad Request","status":400,"detail":"header was Bearer {TOKEN}"}}"#
            ),
            "application/problem+json",
        ))
        .mount(&server)
        .await;
    let client = builder(&server.uri(), ApiVersion::V8_1)
        .access_token(TOKEN)
        .build()
        .unwrap();
    let err = client.session("15").await.unwrap_err();
    assert_clean(&err.to_string());
    assert_clean(&format!("{err:?}"));
}

/// Secret hygiene end to end on the emulator (backup-core's `testing::secrets`): the
/// password grant, the access token expiring mid-wait (refresh grant), both tokens
/// expiring (password grant again), then a lost answer, a wrong password and a refused
/// static token, all traced at TRACE; no secret, no access or refresh token the
/// emulator issued and no JWT in the traces, the errors or the clients' Debug.
#[cfg(feature = "emulator")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_in_traces_errors_or_debug_output() {
    use backup_core::testing::secrets::{self, Seen, TraceCapture};

    let capture = TraceCapture::start();
    let mut seen = Seen::default();
    emulated_flows(&mut seen).await;
    // The emulator's access and refresh tokens.
    let audit = secrets::audit(capture, &seen, &["eyJ.emu-access.", "emu-refresh."]);
    // The lost answer, the wrong password and the refused static token.
    assert_eq!(audit.errors, 3, "{audit:?}");
}

#[cfg(feature = "emulator")]
async fn emulated_flows(seen: &mut backup_core::testing::secrets::Seen) {
    use backup_core::emulator::{Fault, RouteClass};
    use backup_core::testing::faults::fast_wait;
    use backup_veeam::emulator::{EMULATOR_PASSWORD, EMULATOR_USERNAME, Emulator};

    const WRONG_PASSWORD: &str = "SENTINEL-veeam-wrong-password-3f9a";
    const STATIC_TOKEN: &str = "SENTINEL-veeam-static-access-token-8c1e";

    let emulator = Emulator::start().await.unwrap();
    let client = emulator.client_builder().build().unwrap();
    // The access token expires mid-wait (refresh grant), then both tokens expire
    // (password grant again).
    let sessions = client.trigger(&emulator.demo_request()).await.unwrap();
    emulator.expire_tokens();
    let reference = sessions[0].reference.clone();
    for session in sessions {
        client.wait(session, fast_wait()).await.unwrap();
    }
    emulator.expire_tokens();
    emulator.expire_refresh_tokens();
    client.status(&reference).await.unwrap();
    // The trigger's answer lost: OutcomeUnknown.
    emulator
        .faults()
        .inject(RouteClass::Trigger, Fault::DropAfterHandling);
    seen.expect_err(client.trigger(&emulator.demo_request()).await, "veeam lost");
    // A wrong password and a refused static token.
    let wrong = emulator
        .client_builder()
        .password(EMULATOR_USERNAME, WRONG_PASSWORD)
        .build()
        .unwrap();
    seen.expect_err(
        wrong.trigger(&emulator.demo_request()).await,
        "veeam password",
    );
    let token = emulator
        .client_builder()
        .access_token(STATIC_TOKEN)
        .build()
        .unwrap();
    seen.expect_err(token.trigger(&emulator.demo_request()).await, "veeam token");
    for client in [&client, &wrong, &token] {
        seen.debug(client);
    }
    for secret in [EMULATOR_PASSWORD, WRONG_PASSWORD, STATIC_TOKEN] {
        seen.secret(secret);
    }
}
