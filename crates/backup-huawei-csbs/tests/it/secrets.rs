//! No secret in Debug or Display of the client, the builder, the credentials, or
//! errors built from answers that echo a secret back.

use backup_core::{OperationRef, RetryPolicy};
use backup_huawei_csbs::prelude::*;
use backup_huawei_csbs::{AkSk, Client, Credential, IamPassword, TriggerRequest};
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const SENTINEL_SK: &str = "SENTINEL-SECRET-KEY-6b1f";
const SENTINEL_TOKEN: &str = "SENTINEL-SECURITY-TOKEN-0c9d";
const SENTINEL_PASSWORD: &str = "SENTINEL-PASSWORD-77aa";
const SENTINEL_STATIC: &str = "SENTINEL-STATIC-TOKEN-d3e4";
const SENTINELS: [&str; 4] = [
    SENTINEL_SK,
    SENTINEL_TOKEN,
    SENTINEL_PASSWORD,
    SENTINEL_STATIC,
];

fn assert_clean(text: &str) {
    for sentinel in SENTINELS {
        assert!(!text.contains(sentinel), "{sentinel} leaked in: {text}");
    }
}

fn credentials() -> Vec<Credential> {
    vec![
        AkSk::new("AKID", SENTINEL_SK)
            .with_security_token(SENTINEL_TOKEN)
            .into(),
        IamPassword::new("user", SENTINEL_PASSWORD, "domain").into(),
        Credential::Token(SENTINEL_STATIC.to_owned().into()),
    ]
}

#[test]
fn debug_of_credentials_builder_and_client_shows_no_secret() {
    for credential in credentials() {
        assert_clean(&format!("{credential:?}"));
        let builder = Client::builder()
            .region("cn-north-4")
            .project_id("p")
            .credential(credential);
        assert_clean(&format!("{builder:?}"));
        let client = builder.build().unwrap();
        assert_clean(&format!("{client:?}"));
        assert_clean(&format!("{client:#?}"));
    }
}

/// Answers every request with an error that echoes the whole request: headers and body.
struct Echo(u16);

impl Respond for Echo {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let headers: Vec<String> = request
            .headers
            .iter()
            .map(|(k, v)| format!("{k}={}", v.to_str().unwrap_or_default()))
            .collect();
        let echoed = format!(
            "{} {}",
            headers.join(" "),
            String::from_utf8_lossy(&request.body)
        );
        ResponseTemplate::new(self.0)
            .set_body_json(json!({"error_code": "CSBS.9001", "error_msg": echoed}))
    }
}

async fn errors_for(status: u16) -> Vec<String> {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(Echo(status))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(Echo(status))
        .mount(&server)
        .await;
    let reference: OperationRef = "huawei-csbs:p/c".parse().unwrap();
    let mut texts = Vec::new();
    for credential in credentials() {
        let client = Client::builder()
            .endpoint(&server.uri())
            .iam_endpoint(&server.uri())
            .project_id("p")
            .credential(credential)
            .retry(RetryPolicy::never())
            .build()
            .unwrap();
        for err in [
            client.status(&reference).await.unwrap_err(),
            client
                .trigger(&TriggerRequest::new("plan"))
                .await
                .unwrap_err(),
        ] {
            texts.push(format!("{err}"));
            texts.push(format!("{err:?}"));
        }
    }
    texts
}

#[tokio::test]
async fn errors_from_echoing_answers_show_no_secret() {
    for status in [400, 401, 500] {
        let texts = errors_for(status).await;
        assert!(texts.iter().any(|t| t.contains("<redacted>")), "{texts:?}");
        for text in texts {
            assert_clean(&text);
        }
    }
}
