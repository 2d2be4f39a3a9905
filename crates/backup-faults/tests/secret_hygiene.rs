//! Secret hygiene across the five vendors: full trigger-and-wait flows (token expiry
//! and refresh included) and failing flows, with sentinel secrets wherever the
//! emulator accepts custom credentials (and its own test-only secrets elsewhere),
//! tracing captured at TRACE (spans opened and closed, with their fields), every error
//! formatted with Display and Debug: no secret, and no token the emulators issued,
//! appears anywhere.

use std::io;
use std::sync::{Arc, Mutex, PoisonError};

use backup_core::Error;
use backup_core::emulator::{Fault, RouteClass};
use backup_faults::{fast_retry, fast_wait};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;

const YANDEX_OAUTH: &str = "y0_SENTINEL-yandex-oauth-0f3a9c";
const YANDEX_WRONG_OAUTH: &str = "y0_SENTINEL-yandex-wrong-oauth-77d1";
const HUAWEI_WRONG_SK: &str = "SENTINEL-huawei-wrong-secret-key-5b2e";
const HUAWEI_WRONG_PASSWORD: &str = "SENTINEL-huawei-wrong-password-91c4";
const COMMVAULT_USER: &str = "sentinel-operator";
const COMMVAULT_PASSWORD: &str = "SENTINEL-commvault-password-c81b";
const COMMVAULT_WRONG_PASSWORD: &str = "SENTINEL-commvault-wrong-password-2a7f";
const COMMVAULT_METALLIC: &str = "SENTINEL-commvault-metallic-token-6e0d";
const VEEAM_WRONG_PASSWORD: &str = "SENTINEL-veeam-wrong-password-3f9a";
const VEEAM_STATIC_TOKEN: &str = "SENTINEL-veeam-static-access-token-8c1e";
const AZURE_STATIC_TOKEN: &str = "SENTINEL-azure-static-bearer-4d6b";

/// The prefixes of the tokens the emulators issue (followed by random hex): a token
/// of one of these forms in the output is a leak.
const ISSUED_TOKEN_PREFIXES: [&str; 6] = [
    "eyJ0eXAiOiJKV1Qi.emu-", // Azure (EmulatorCredential)
    "t1.",                   // Yandex IAM tokens
    "MIIemu",                // Huawei IAM tokens
    "QSDK ",                 // Commvault sessions
    "eyJ.emu-access.",       // Veeam access tokens
    "emu-refresh.",          // Veeam refresh tokens
];

/// Everything written by the tracing subscriber.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Capture {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }
}

impl io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Capture;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// What the flows produced: formatted errors and clients, and the secrets in play.
#[derive(Default)]
struct Seen {
    texts: Vec<String>,
    secrets: Vec<String>,
    errors: usize,
}

impl Seen {
    fn error(&mut self, error: &Error) {
        self.errors += 1;
        self.texts.push(format!("{error}"));
        self.texts.push(format!("{error:?}"));
    }

    fn expect_err<T: std::fmt::Debug>(&mut self, result: Result<T, Error>, what: &str) {
        match result {
            Err(error) => self.error(&error),
            Ok(value) => panic!("{what}: expected an error, got {value:?}"),
        }
    }

    fn debug(&mut self, value: &dyn std::fmt::Debug) {
        self.texts.push(format!("{value:?}"));
    }

    fn secret(&mut self, secret: impl Into<String>) {
        self.secrets.push(secret.into());
    }
}

/// Whether `text` holds `prefix` followed by at least 16 hex digits.
fn issued_token_in(text: &str, prefix: &str) -> Option<String> {
    text.match_indices(prefix).find_map(|(at, _)| {
        let rest = &text[at + prefix.len()..];
        let hex = rest.chars().take_while(char::is_ascii_hexdigit).count();
        (hex >= 16).then(|| text[at..at + prefix.len() + hex].to_owned())
    })
}

/// A JSON web token (`eyJ…` header, payload and signature) in `text`.
fn jwt_in(text: &str) -> Option<String> {
    let b64 = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    text.match_indices("eyJ").find_map(|(at, _)| {
        let candidate: String = text[at..]
            .chars()
            .take_while(|c| b64(*c) || *c == '.')
            .collect();
        let parts: Vec<&str> = candidate.split('.').collect();
        (parts.len() >= 3 && parts[..3].iter().all(|p| p.len() >= 10)).then_some(candidate)
    })
}

async fn azure(seen: &mut Seen) {
    use backup_azure::emulator::Emulator;
    let emulator = Emulator::start().await.unwrap();
    let client = emulator
        .client_builder()
        .retry(fast_retry())
        .build()
        .unwrap();
    let operation = client.trigger(&Emulator::demo_request()).await.unwrap();
    emulator.expire_tokens();
    client.wait(operation, fast_wait()).await.unwrap();
    assert_eq!(emulator.token_requests(), 2);
    // A proxy's page, then a refused static token.
    emulator
        .faults()
        .inject(RouteClass::Trigger, Fault::status(500));
    seen.expect_err(client.trigger(&Emulator::demo_request()).await, "azure 500");
    let wrong = backup_azure::Client::builder()
        .endpoint(emulator.url().as_str())
        .bearer_token(AZURE_STATIC_TOKEN)
        .retry(fast_retry())
        .build()
        .unwrap();
    seen.expect_err(
        wrong.trigger(&Emulator::demo_request()).await,
        "azure token",
    );
    seen.debug(&client);
    seen.debug(&wrong);
    seen.secret(AZURE_STATIC_TOKEN);
}

async fn yandex(seen: &mut Seen) {
    use backup_yandex::Credential;
    use backup_yandex::emulator::{
        DEMO_OAUTH_TOKEN, DEMO_SERVICE_ACCOUNT_KEY_JSON, Emulator, EmulatorOptions,
    };
    let emulator = Emulator::start_with(EmulatorOptions::default().oauth_token(YANDEX_OAUTH))
        .await
        .unwrap();
    // OAuth exchange, with the IAM token expiring mid-wait.
    let oauth = emulator
        .client_builder()
        .credential(Credential::oauth_token(YANDEX_OAUTH))
        .build()
        .unwrap();
    let operation = oauth.trigger(&emulator.demo_request()).await.unwrap();
    emulator.expire_tokens();
    oauth.wait(operation, fast_wait()).await.unwrap();
    // The service account key (JWT PS256).
    let key = emulator.client_builder().build().unwrap();
    let operation = key.trigger(&emulator.demo_request()).await.unwrap();
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
        .credential(Credential::oauth_token(YANDEX_WRONG_OAUTH))
        .build()
        .unwrap();
    seen.expect_err(
        wrong.trigger(&emulator.demo_request()).await,
        "yandex oauth",
    );
    for client in [&oauth, &key, &static_client, &wrong] {
        seen.debug(client);
    }
    seen.secret(YANDEX_OAUTH);
    seen.secret(YANDEX_WRONG_OAUTH);
    seen.secret(DEMO_OAUTH_TOKEN);
    seen.secret(iam);
    // A line from the middle of the private key.
    let json: serde_json::Value = serde_json::from_str(DEMO_SERVICE_ACCOUNT_KEY_JSON).unwrap();
    let private = json["private_key"].as_str().unwrap();
    let line = private.lines().nth(5).unwrap().trim().to_owned();
    assert!(line.len() > 40, "{line}");
    seen.secret(line);
}

async fn huawei(seen: &mut Seen) {
    use backup_huawei_csbs::emulator::{
        DEMO_ACCESS_KEY, DEMO_DOMAIN, DEMO_PASSWORD, DEMO_SECRET_KEY, DEMO_SECURITY_TOKEN,
        DEMO_TEMP_SECRET_KEY, DEMO_USER, Emulator,
    };
    use backup_huawei_csbs::{AkSk, IamPassword};
    let emulator = Emulator::start().await.unwrap();
    for builder in [
        emulator.client_builder(),
        emulator.client_builder_temporary(),
    ] {
        let client = builder.build().unwrap();
        let operation = client.trigger(&emulator.demo_request()).await.unwrap();
        client.wait(operation, fast_wait()).await.unwrap();
        seen.debug(&client);
    }
    let password = emulator.client_builder_password().build().unwrap();
    let operation = password.trigger(&emulator.demo_request()).await.unwrap();
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
        .credential(AkSk::new(DEMO_ACCESS_KEY, HUAWEI_WRONG_SK))
        .build()
        .unwrap();
    seen.expect_err(
        wrong_sk.trigger(&emulator.demo_request()).await,
        "huawei sk",
    );
    let wrong_password = emulator
        .client_builder()
        .credential(IamPassword::new(
            DEMO_USER,
            HUAWEI_WRONG_PASSWORD,
            DEMO_DOMAIN,
        ))
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
        HUAWEI_WRONG_SK,
        HUAWEI_WRONG_PASSWORD,
    ] {
        seen.secret(secret);
    }
}

async fn commvault(seen: &mut Seen) {
    use backup_commvault::ClientBuilder;
    use backup_commvault::emulator::{DEMO_ACCESS_TOKEN, DEMO_PASSWORD, Emulator, EmulatorOptions};
    let mut options = EmulatorOptions::default().user(COMMVAULT_USER, COMMVAULT_PASSWORD);
    options.access_tokens.push(COMMVAULT_METALLIC.to_owned());
    let emulator = Emulator::start_with(options).await.unwrap();
    let builder = || {
        ClientBuilder::new()
            .endpoint(emulator.url().as_str())
            .retry(fast_retry())
    };
    // A Metallic access token (before `expire_tokens`, which ends it too), echoed
    // back in an error inside a 200.
    let metallic = builder()
        .bearer_token(COMMVAULT_METALLIC.to_owned())
        .build()
        .unwrap();
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
                r#"<CVGui_GenericResp errorMessage="Token Bearer {COMMVAULT_METALLIC} is not allowed to run {COMMVAULT_METALLIC}" errorCode="5"/>"#
            ),
        },
    );
    seen.expect_err(
        metallic.trigger(&emulator.demo_request()).await,
        "commvault echo",
    );
    // Login with the sentinel password; the session expires mid-wait and is renewed.
    let login = builder()
        .username_password(COMMVAULT_USER, COMMVAULT_PASSWORD.to_owned())
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
        .username_password(COMMVAULT_USER, COMMVAULT_WRONG_PASSWORD.to_owned())
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
        COMMVAULT_PASSWORD,
        COMMVAULT_WRONG_PASSWORD,
        COMMVAULT_METALLIC,
        DEMO_PASSWORD,
        DEMO_ACCESS_TOKEN,
    ] {
        seen.secret(secret);
    }
}

async fn veeam(seen: &mut Seen) {
    use backup_veeam::emulator::{EMULATOR_PASSWORD, EMULATOR_USERNAME, Emulator};
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
        .password(EMULATOR_USERNAME, VEEAM_WRONG_PASSWORD)
        .build()
        .unwrap();
    seen.expect_err(
        wrong.trigger(&emulator.demo_request()).await,
        "veeam password",
    );
    let token = emulator
        .client_builder()
        .access_token(VEEAM_STATIC_TOKEN)
        .build()
        .unwrap();
    seen.expect_err(token.trigger(&emulator.demo_request()).await, "veeam token");
    for client in [&client, &wrong, &token] {
        seen.debug(client);
    }
    for secret in [EMULATOR_PASSWORD, VEEAM_WRONG_PASSWORD, VEEAM_STATIC_TOKEN] {
        seen.secret(secret);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_in_traces_errors_or_debug_output() {
    let capture = Capture::default();
    // Everything at TRACE but the emulators' own debug lines: they print the faults
    // this test injects, whose bodies echo secrets on purpose (the test's input,
    // not the SDK's output).
    tracing_subscriber::fmt()
        .with_env_filter("trace,backup_core::emulator=info")
        .with_ansi(false)
        .with_span_events(FmtSpan::FULL)
        .with_writer(capture.clone())
        .try_init()
        .unwrap();

    let mut seen = Seen::default();
    azure(&mut seen).await;
    yandex(&mut seen).await;
    huawei(&mut seen).await;
    commvault(&mut seen).await;
    veeam(&mut seen).await;

    let traces = capture.text();
    // The capture works: request spans with their fields are in it.
    assert!(
        traces.contains("backup_request"),
        "no request span captured"
    );
    assert!(traces.contains("TRACE"), "nothing at TRACE captured");
    assert!(seen.errors >= 14, "{} errors", seen.errors);
    // The secrets the services echoed back (Yandex, Commvault) were redacted.
    let redacted = seen
        .texts
        .iter()
        .filter(|t| t.contains("<redacted>"))
        .count();
    assert!(
        redacted >= 4,
        "echoed secrets not redacted: {redacted} texts"
    );

    let mut leaks = Vec::new();
    for (name, text) in std::iter::once(("tracing output", traces.as_str())).chain(
        seen.texts
            .iter()
            .map(|t| ("an error or Debug text", t.as_str())),
    ) {
        for secret in &seen.secrets {
            if text.contains(secret.as_str()) {
                leaks.push(format!("{name} holds the secret {secret:?}"));
            }
        }
        for prefix in ISSUED_TOKEN_PREFIXES {
            if let Some(token) = issued_token_in(text, prefix) {
                leaks.push(format!("{name} holds an issued token {token:?}"));
            }
        }
        if let Some(jwt) = jwt_in(text) {
            leaks.push(format!("{name} holds a JWT {jwt:?}"));
        }
    }
    // The trace lines that hold a secret, to show where it came from.
    for line in traces
        .lines()
        .filter(|l| seen.secrets.iter().any(|s| l.contains(s.as_str())))
        .take(5)
    {
        leaks.push(format!(
            "  line: {}",
            line.chars().take(400).collect::<String>()
        ));
    }
    leaks.sort();
    leaks.dedup();
    assert!(
        leaks.is_empty(),
        "{} leaks:\n{}",
        leaks.len(),
        leaks.join("\n")
    );
}

#[test]
fn the_detectors_find_what_they_look_for() {
    assert_eq!(
        issued_token_in("x t1.0123456789abcdef0123 y", "t1."),
        Some("t1.0123456789abcdef0123".to_owned())
    );
    assert_eq!(issued_token_in("version t1.2", "t1."), None);
    assert!(jwt_in("Bearer eyJhbGciOiJQUzI1NiJ9.eyJpc3MiOiJhamUifQ.c2lnbmF0dXJlMTIz").is_some());
    assert!(jwt_in("eyJ.emu-access.0123").is_none());
}
