//! No Debug, Display or error ever shows a secret.

use std::sync::Arc;

use backup_core::auth::StaticToken;
use backup_yandex::auth::{
    MetadataTokenProvider, OAuthTokenProvider, ServiceAccountKeyProvider, metadata_base,
};
use backup_yandex::prelude::*;
use backup_yandex::{Client, Credential, OperationRef, ServiceAccountKey, TriggerRequest, VENDOR};
use secrecy::ExposeSecret;
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const SENTINEL: &str = "SENTINEL-SECRET-7f3a";
const KEY_JSON: &str = include_str!("../../src/emulator/demo-key.json");

fn private_key_marker() -> String {
    // A piece of the base64 body of the demo private key.
    let value: serde_json::Value = serde_json::from_str(KEY_JSON).unwrap();
    let pem = value["private_key"].as_str().unwrap();
    pem.lines().nth(3).unwrap().chars().take(40).collect()
}

fn assert_clean(text: &str) {
    assert!(!text.contains(SENTINEL), "{text}");
    assert!(!text.contains(&private_key_marker()), "{text}");
    assert!(!text.contains("BEGIN PRIVATE KEY"), "{text}");
}

#[test]
fn credentials_and_builders_hide_secrets() {
    let key = ServiceAccountKey::from_json(KEY_JSON).unwrap();
    let credentials = [
        Credential::iam_token(SENTINEL),
        Credential::oauth_token(SENTINEL),
        Credential::ServiceAccountKey(key.clone()),
        Credential::Metadata,
        Credential::Provider(Arc::new(StaticToken::new(SENTINEL))),
    ];
    for credential in credentials {
        assert_clean(&format!("{credential:?}"));
        let builder = Client::builder().credential(credential);
        assert_clean(&format!("{builder:?}"));
        let client = builder.build().unwrap();
        assert_clean(&format!("{client:?}"));
    }
    assert_clean(&format!("{key:?}"));
    assert_clean(&format!(
        "{:?}",
        key.sign_jwt(time::OffsetDateTime::now_utc()).unwrap()
    ));
}

#[test]
fn providers_hide_secrets() {
    let transport = backup_core::Transport::builder(VENDOR, "test")
        .build()
        .unwrap();
    let url = url::Url::parse("https://iam.example/iam/v1/tokens").unwrap();
    let oauth = OAuthTokenProvider::new(transport.clone(), url.clone(), SENTINEL.to_owned().into());
    assert_clean(&format!("{oauth:?}"));
    let key = ServiceAccountKey::from_json(KEY_JSON).unwrap();
    let jwt = ServiceAccountKeyProvider::new(transport.clone(), url, key);
    assert_clean(&format!("{jwt:?}"));
    let metadata =
        MetadataTokenProvider::new(transport, &metadata_base("169.254.169.254").unwrap()).unwrap();
    assert_clean(&format!("{metadata:?}"));
}

#[test]
fn key_file_errors_never_echo_the_key() {
    let broken = KEY_JSON.replace("\"id\"", "\"ident\"");
    let err = ServiceAccountKey::from_json(&broken).unwrap_err();
    assert_clean(&err.to_string());
    assert_clean(&format!("{err:?}"));
    let bad_pem = json!({"id": "k", "service_account_id": "s", "private_key": format!("-----BEGIN PRIVATE KEY-----\n{SENTINEL}\n-----END PRIVATE KEY-----")});
    let err = ServiceAccountKey::from_json(&bad_pem.to_string()).unwrap_err();
    assert!(!err.to_string().contains(SENTINEL), "{err}");
    let err = Credential::from_env_vars(|name| {
        (name == "YC_SERVICE_ACCOUNT_KEY_FILE").then(|| format!("{{\"private_key\": \"{SENTINEL}"))
    })
    .unwrap_err();
    assert!(!err.to_string().contains(SENTINEL), "{err}");
}

#[tokio::test]
async fn token_service_echoing_the_secret_is_redacted() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "code": 16,
            "message": format!("The token {SENTINEL} is invalid"),
        })))
        .mount(&server)
        .await;
    let client = Client::builder()
        .iam_endpoint(&server.uri())
        .operation_endpoint(&server.uri())
        .credential(Credential::oauth_token(SENTINEL))
        .build()
        .unwrap();
    let err = client
        .status(&OperationRef::new("yandex", "op"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            backup_yandex::Error::Auth {
                status: Some(401),
                ..
            }
        ),
        "{err}"
    );
    assert_clean(&err.to_string());
    assert_clean(&format!("{err:?}"));
}

#[tokio::test]
async fn backup_api_errors_do_not_carry_the_bearer_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({
            "code": 7,
            "message": "Permission denied",
        })))
        .mount(&server)
        .await;
    let client = Client::builder()
        .backup_endpoint(&server.uri())
        .credential(Credential::iam_token(SENTINEL))
        .build()
        .unwrap();
    let err = client
        .trigger(&TriggerRequest::new("p", "i"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("PERMISSION_DENIED"));
    assert_clean(&err.to_string());
    assert_clean(&format!("{err:?}"));
    // The token did go out, as a bearer token.
    let sent = &server.received_requests().await.unwrap()[0];
    assert_eq!(
        sent.headers.get("authorization").unwrap().to_str().unwrap(),
        format!("Bearer {SENTINEL}")
    );
    let token = Credential::iam_token(SENTINEL);
    if let Credential::IamToken(secret) = token {
        assert_eq!(secret.expose_secret(), SENTINEL);
    }
}

/// Secret hygiene end to end on the emulator (backup-core's `testing::secrets`): the
/// OAuth exchange with the IAM token expiring mid-wait, the service account key, a
/// static IAM token the service echoes back, a lost answer and a wrong OAuth token, all
/// traced at TRACE; no secret, no IAM token the emulator issued and no JWT in the
/// traces, the errors or the clients' Debug.
#[cfg(feature = "emulator")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_in_traces_errors_or_debug_output() {
    use backup_core::testing::secrets::{self, Seen, TraceCapture};

    let capture = TraceCapture::start();
    let mut seen = Seen::default();
    emulated_flows(&mut seen).await;
    // The emulator's IAM tokens.
    let audit = secrets::audit(capture, &seen, &["t1."]);
    // The echo, the lost answer and the wrong OAuth token; the echoed IAM token is
    // redacted in the echo's Display and Debug.
    assert_eq!(audit.errors, 3, "{audit:?}");
    assert!(
        audit.redacted >= 2,
        "echoed secrets not redacted: {audit:?}"
    );
}

#[cfg(feature = "emulator")]
async fn emulated_flows(seen: &mut backup_core::testing::secrets::Seen) {
    use backup_core::emulator::{Fault, RouteClass};
    use backup_core::testing::SingleOperation;
    use backup_core::testing::faults::fast_wait;
    use backup_yandex::emulator::{
        DEMO_OAUTH_TOKEN, DEMO_SERVICE_ACCOUNT_KEY_JSON, Emulator, EmulatorOptions,
    };

    const OAUTH: &str = "y0_SENTINEL-yandex-oauth-0f3a9c";
    const WRONG_OAUTH: &str = "y0_SENTINEL-yandex-wrong-oauth-77d1";

    let emulator = Emulator::start_with(EmulatorOptions::default().oauth_token(OAUTH))
        .await
        .unwrap();
    // OAuth exchange, with the IAM token expiring mid-wait.
    let oauth = emulator
        .client_builder()
        .credential(Credential::oauth_token(OAUTH))
        .build()
        .unwrap();
    let operation = oauth
        .trigger(&emulator.demo_request())
        .await
        .unwrap()
        .single();
    emulator.expire_tokens();
    oauth.wait(operation, fast_wait()).await.unwrap();
    // The service account key (JWT PS256).
    let key = emulator.client_builder().build().unwrap();
    let operation = key
        .trigger(&emulator.demo_request())
        .await
        .unwrap()
        .single();
    key.wait(operation, fast_wait()).await.unwrap();
    // A static IAM token, echoed back by the service in an error.
    let iam = emulator.issue_iam_token();
    let static_client = emulator
        .client_builder()
        .credential(Credential::iam_token(iam.clone()))
        .build()
        .unwrap();
    emulator.faults().inject(
        RouteClass::Trigger,
        Fault::Respond {
            status: 400,
            content_type: "application/json".to_owned(),
            body: format!(
                r#"{{"code":3,"message":"malformed header Authorization: Bearer {iam} (token {iam})","details":[]}}"#
            ),
        },
    );
    seen.expect_err(
        static_client.trigger(&emulator.demo_request()).await,
        "yandex echo",
    );
    // A lost answer every time: OutcomeUnknown.
    emulator
        .faults()
        .inject_n(RouteClass::Trigger, Fault::DropAfterHandling, 10);
    seen.expect_err(oauth.trigger(&emulator.demo_request()).await, "yandex lost");
    emulator.faults().clear();
    // A wrong OAuth token.
    let wrong = emulator
        .client_builder()
        .credential(Credential::oauth_token(WRONG_OAUTH))
        .build()
        .unwrap();
    seen.expect_err(
        wrong.trigger(&emulator.demo_request()).await,
        "yandex oauth",
    );
    for client in [&oauth, &key, &static_client, &wrong] {
        seen.debug(client);
    }
    seen.secret(OAUTH);
    seen.secret(WRONG_OAUTH);
    seen.secret(DEMO_OAUTH_TOKEN);
    seen.secret(iam);
    // A line from the middle of the private key.
    let json: serde_json::Value = serde_json::from_str(DEMO_SERVICE_ACCOUNT_KEY_JSON).unwrap();
    let private = json["private_key"].as_str().unwrap();
    let line = private.lines().nth(5).unwrap().trim().to_owned();
    assert!(line.len() > 40, "{line}");
    seen.secret(line);
}
