//! Debug and Display of the client, the builder, the credentials and errors built from
//! answers never show a secret.

use std::sync::Arc;

use crate::common::{TestCredential, doc_item};
use backup_azure::prelude::*;
use backup_azure::{Client, ClientBuilder, Credential, TriggerRequest};
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const SENTINEL: &str = "SENTINEL-SECRET-9f8e7d";

fn assert_hidden(text: &str) {
    assert!(!text.contains(SENTINEL), "secret leaked: {text}");
}

fn secret_vars(name: &str) -> Option<String> {
    match name {
        "AZURE_TENANT_ID" => Some("00000000-0000-0000-0000-000000000000".into()),
        "AZURE_CLIENT_ID" => Some("client".into()),
        "AZURE_CLIENT_SECRET" => Some(SENTINEL.into()),
        _ => None,
    }
}

#[test]
fn builders_clients_and_credentials_hide_secrets() {
    let static_builder = Client::builder().bearer_token(SENTINEL);
    assert_hidden(&format!("{static_builder:?}"));
    let client = static_builder.build().unwrap();
    assert_hidden(&format!("{client:?}"));
    assert!(format!("{client:?}").contains("bearer_token"));

    let secret_builder = ClientBuilder::from_lookup(&secret_vars).unwrap();
    assert_hidden(&format!("{secret_builder:?}"));
    let client = secret_builder.build().unwrap();
    assert_hidden(&format!("{client:?}"));
    assert_hidden(&format!("{:?}", Credential::from_vars(secret_vars)));
    assert_hidden(&format!("{:?}", client.token_cache()));

    let token = ClientBuilder::from_lookup(&|name: &str| {
        (name == "AZURE_ACCESS_TOKEN").then(|| SENTINEL.to_owned())
    })
    .unwrap();
    assert_hidden(&format!("{token:?}"));
}

#[tokio::test]
async fn errors_from_answers_echoing_the_token_do_not_show_it() {
    let server = MockServer::start().await;
    // A service that echoes the token it received in its error and headers.
    Mock::given(method("POST"))
        .respond_with(|request: &wiremock::Request| {
            let auth = request
                .headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            ResponseTemplate::new(400)
                .insert_header("x-ms-request-id", "req-secret")
                .set_body_json(json!({"error": {"code": "BadRequest", "message": "bad"}}))
                .insert_header("x-echo", auth.as_str())
        })
        .mount(&server)
        .await;
    let client = Client::builder()
        .endpoint(&server.uri())
        .token_credential(Arc::new(TestCredential::with_prefix(SENTINEL)))
        .build()
        .unwrap();
    let err = client
        .trigger(&TriggerRequest::azure_vm(doc_item()))
        .await
        .unwrap_err();
    assert_hidden(&err.to_string());
    assert_hidden(&format!("{err:?}"));
    assert_hidden(&format!("{client:?}"));
    // The token was sent, as a bearer token.
    let sent = &server.received_requests().await.unwrap()[0];
    let auth = sent.headers.get("authorization").unwrap().to_str().unwrap();
    assert!(auth.starts_with("Bearer ") && auth.contains(SENTINEL));
}

#[tokio::test]
async fn rejected_credentials_do_not_show_the_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": {
            "code": "InvalidAuthenticationToken", "message": "The access token is invalid."}})))
        .mount(&server)
        .await;
    let client = Client::builder()
        .endpoint(&server.uri())
        .bearer_token(SENTINEL)
        .build()
        .unwrap();
    let err = client
        .trigger(&TriggerRequest::azure_vm(doc_item()))
        .await
        .unwrap_err();
    assert_hidden(&err.to_string());
    assert_hidden(&format!("{err:?}"));
}

/// Secret hygiene end to end on the emulator (backup-core's `testing::secrets`): a
/// trigger and wait with the emulator's credential, its token expiring mid-wait, a
/// proxy's error page and a refused static token, all traced at TRACE; no secret, no
/// token the emulator issued and no JWT in the traces, the errors or the clients' Debug.
#[cfg(feature = "emulator")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_in_traces_errors_or_debug_output() {
    use backup_core::testing::secrets::{self, Seen, TraceCapture};

    let capture = TraceCapture::start();
    let mut seen = Seen::default();
    emulated_flows(&mut seen).await;
    // The emulator's tokens: `EmulatorCredential`'s JWT-shaped header, then hex.
    let audit = secrets::audit(capture, &seen, &["eyJ0eXAiOiJKV1Qi.emu-"]);
    // A 500 from a proxy and a refused static token; Azure's errors echo no secret.
    assert_eq!(audit.errors, 2, "{audit:?}");
}

#[cfg(feature = "emulator")]
async fn emulated_flows(seen: &mut backup_core::testing::secrets::Seen) {
    use backup_azure::emulator::Emulator;
    use backup_core::emulator::{Fault, RouteClass};
    use backup_core::testing::SingleOperation;
    use backup_core::testing::faults::{fast_retry, fast_wait};

    const STATIC_TOKEN: &str = "SENTINEL-azure-static-bearer-4d6b";

    let emulator = Emulator::start().await.unwrap();
    let client = emulator
        .client_builder()
        .retry(fast_retry())
        .build()
        .unwrap();
    let operation = client
        .trigger(&emulator.demo_request())
        .await
        .unwrap()
        .single();
    emulator.expire_tokens();
    client.wait(operation, fast_wait()).await.unwrap();
    assert_eq!(emulator.token_requests(), 2);
    // A proxy's page, then a refused static token.
    emulator
        .faults()
        .inject(RouteClass::Trigger, Fault::status(500));
    seen.expect_err(client.trigger(&emulator.demo_request()).await, "azure 500");
    let wrong = Client::builder()
        .endpoint(emulator.url().as_str())
        .bearer_token(STATIC_TOKEN)
        .retry(fast_retry())
        .build()
        .unwrap();
    seen.expect_err(wrong.trigger(&emulator.demo_request()).await, "azure token");
    seen.debug(&client);
    seen.debug(&wrong);
    seen.secret(STATIC_TOKEN);
}
