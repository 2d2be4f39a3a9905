//! No Debug, Display, error or trace output ever shows a secret key, a session token or
//! a whole access key id.

use backup_aws::prelude::*;
use backup_aws::{Client, Credential, TriggerRequest};

const SENTINEL: &str = "SENTINEL-SECRET-aws-7f3a";
const SENTINEL_TOKEN: &str = "SENTINEL-TOKEN-aws-91c2";
const SENTINEL_KEY: &str = "AKIASENTINELKEY00042";

fn assert_clean(text: &str) {
    for secret in [SENTINEL, SENTINEL_TOKEN, SENTINEL_KEY] {
        assert!(!text.contains(secret), "{text}");
    }
}

#[test]
fn credentials_builders_and_clients_hide_secrets() {
    for credential in [
        Credential::keys(SENTINEL_KEY, SENTINEL),
        Credential::session(SENTINEL_KEY, SENTINEL, SENTINEL_TOKEN),
        Credential::default_chain(),
        Credential::provider(aws_credential_types::Credentials::new(
            SENTINEL_KEY,
            SENTINEL,
            Some(SENTINEL_TOKEN.into()),
            None,
            "test",
        )),
    ] {
        assert_clean(&format!("{credential:?}"));
        let builder = Client::builder().region("us-east-1").credential(credential);
        assert_clean(&format!("{builder:?}"));
        let client = builder.build().unwrap();
        assert_clean(&format!("{client:?}"));
        assert_clean(&format!("{:?}", client.credentials_cache()));
    }
    let request = TriggerRequest::new("Default", "arn:aws:s3:::b", "arn:aws:iam::1:role/r")
        .tag("owner", SENTINEL);
    assert_clean(&format!("{request:?}"));
}

/// The flows that handle secrets, traced at TRACE: wrong secrets refused, a session
/// token from instance metadata expiring mid-wait, errors formatted.
#[cfg(feature = "emulator")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_in_traces_errors_or_debug_output() {
    use std::time::Duration;

    use backup_aws::emulator::{DEMO_ACCESS_KEY_ID, DEMO_SECRET_ACCESS_KEY, Emulator};
    use backup_aws::{OperationStatus, WaitOptions};
    use backup_core::testing::SingleOperation;
    use backup_core::testing::secrets::{self, Seen, TraceCapture};

    let capture = TraceCapture::start();
    let mut seen = Seen::default();
    seen.secret(SENTINEL);
    seen.secret(SENTINEL_TOKEN);
    seen.secret(SENTINEL_KEY);
    seen.secret(DEMO_SECRET_ACCESS_KEY);
    seen.secret(DEMO_ACCESS_KEY_ID);
    let emulator = Emulator::start().await.unwrap();

    // A wrong secret and an unknown key: refused, the errors clean.
    for credential in [
        Credential::keys(DEMO_ACCESS_KEY_ID, SENTINEL),
        Credential::session(SENTINEL_KEY, SENTINEL, SENTINEL_TOKEN),
    ] {
        seen.debug(&credential);
        let client = emulator
            .client_builder()
            .credential(credential)
            .build()
            .unwrap();
        seen.debug(&client);
        seen.expect_err(
            client.trigger(&emulator.demo_request()).await,
            "wrong credentials",
        );
    }

    // The demo key and instance-metadata credentials, expiring mid-wait.
    let client = emulator.token_client_builder().build().unwrap();
    let operation = client
        .trigger(&emulator.demo_request())
        .await
        .unwrap()
        .single();
    seen.debug(&operation);
    emulator.expire_tokens();
    let done = client
        .wait(operation, WaitOptions::every(Duration::from_millis(5)))
        .await
        .unwrap();
    assert_eq!(done.status, OperationStatus::Succeeded);
    seen.debug(&client);
    let plain = emulator.client_builder().build().unwrap();
    let operation = plain
        .trigger(&emulator.demo_request())
        .await
        .unwrap()
        .single();
    seen.expect_err(
        plain
            .status(&backup_aws::OperationRef::new(
                "aws",
                format!("{}x", operation.reference.id),
            ))
            .await,
        "unknown job",
    );
    let report = secrets::audit(capture, &seen, &["IQoJ"]);
    assert!(report.errors >= 3, "{report:?}");
    assert!(report.redacted >= 2, "{report:?}");
}
