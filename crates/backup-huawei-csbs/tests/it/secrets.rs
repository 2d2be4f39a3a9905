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

/// Secret hygiene end to end on the emulator (backup-core's `testing::secrets`): AK/SK,
/// a temporary AK/SK with its security token, and the IAM password with the token
/// expiring mid-wait, then a lost answer, a wrong secret key and a wrong password, all
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
    let audit = secrets::audit(capture, &seen, &["MIIemu"]);
    // The lost answer, the wrong secret key and the wrong password; the Debug of each
    // of the five clients shows its secret key, security token or password redacted.
    assert_eq!(audit.errors, 3, "{audit:?}");
    assert!(audit.redacted >= 5, "secrets not shown redacted: {audit:?}");
}

#[cfg(feature = "emulator")]
async fn emulated_flows(seen: &mut backup_core::testing::secrets::Seen) {
    use backup_core::emulator::{Fault, RouteClass};
    use backup_core::testing::SingleOperation;
    use backup_core::testing::faults::fast_wait;
    use backup_huawei_csbs::emulator::{
        DEMO_ACCESS_KEY, DEMO_DOMAIN, DEMO_PASSWORD, DEMO_SECRET_KEY, DEMO_SECURITY_TOKEN,
        DEMO_TEMP_SECRET_KEY, DEMO_USER, Emulator,
    };

    const WRONG_SK: &str = "SENTINEL-huawei-wrong-secret-key-5b2e";
    const WRONG_PASSWORD: &str = "SENTINEL-huawei-wrong-password-91c4";

    let emulator = Emulator::start().await.unwrap();
    for builder in [
        emulator.client_builder(),
        emulator.client_builder_temporary(),
    ] {
        let client = builder.build().unwrap();
        let operation = client
            .trigger(&emulator.demo_request())
            .await
            .unwrap()
            .single();
        client.wait(operation, fast_wait()).await.unwrap();
        seen.debug(&client);
    }
    let password = emulator.client_builder_password().build().unwrap();
    let operation = password
        .trigger(&emulator.demo_request())
        .await
        .unwrap()
        .single();
    emulator.expire_tokens();
    password.wait(operation, fast_wait()).await.unwrap();
    seen.debug(&password);
    // The trigger's answer lost: OutcomeUnknown.
    emulator
        .faults()
        .inject(RouteClass::Trigger, Fault::DropAfterHandling);
    seen.expect_err(
        password.trigger(&emulator.demo_request()).await,
        "huawei lost",
    );
    // A wrong secret key and a wrong password.
    let wrong_sk = emulator
        .client_builder()
        .credential(AkSk::new(DEMO_ACCESS_KEY, WRONG_SK))
        .build()
        .unwrap();
    seen.expect_err(
        wrong_sk.trigger(&emulator.demo_request()).await,
        "huawei sk",
    );
    let wrong_password = emulator
        .client_builder()
        .credential(IamPassword::new(DEMO_USER, WRONG_PASSWORD, DEMO_DOMAIN))
        .build()
        .unwrap();
    seen.expect_err(
        wrong_password.trigger(&emulator.demo_request()).await,
        "huawei password",
    );
    seen.debug(&wrong_sk);
    seen.debug(&wrong_password);
    for secret in [
        DEMO_SECRET_KEY,
        DEMO_TEMP_SECRET_KEY,
        DEMO_SECURITY_TOKEN,
        DEMO_PASSWORD,
        WRONG_SK,
        WRONG_PASSWORD,
    ] {
        seen.secret(secret);
    }
}
