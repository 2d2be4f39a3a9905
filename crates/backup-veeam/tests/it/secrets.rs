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
