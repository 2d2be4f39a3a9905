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
