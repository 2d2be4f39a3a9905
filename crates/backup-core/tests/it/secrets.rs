//! No secret in any Debug, Display or error output.

use std::sync::Arc;
use std::time::Duration;

use backup_core::auth::{AccessToken, StaticToken, TokenAuth, TokenCache};
use backup_core::{Request, RetryPolicy, Transport};
use secrecy::SecretString;
use url::Url;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request as Seen, ResponseTemplate};

const SENTINEL: &str = "sEnTiNeL-9f3b1c";

#[test]
fn debug_of_secret_holders_hides_the_secret() {
    let token = AccessToken::new(SENTINEL, None);
    let fixed = StaticToken::new(SENTINEL);
    let cache = TokenCache::shared(
        Arc::new(StaticToken::new(SENTINEL)),
        Duration::from_secs(60),
    );
    let auth = TokenAuth::bearer(cache.clone());
    let request = Request::post(
        "test",
        Url::parse(&format!("http://127.0.0.1/?key={SENTINEL}")).unwrap(),
    )
    .body(
        "application/x-www-form-urlencoded",
        format!("grant_type=Password&password={SENTINEL}"),
    )
    .header(
        http::header::AUTHORIZATION,
        http::HeaderValue::from_str(&format!("Bearer {SENTINEL}")).unwrap(),
    )
    .redacting(&SecretString::from(SENTINEL));
    for text in [
        format!("{token:?}"),
        format!("{fixed:?}"),
        format!("{cache:?}"),
        format!("{auth:?}"),
        format!("{request:?}"),
    ] {
        assert!(!text.contains(SENTINEL), "{text}");
    }
}

#[tokio::test]
async fn errors_built_from_answers_that_echo_the_secret_do_not_show_it() {
    let server = MockServer::start().await;
    // A service that echoes the whole request (headers and body) into its error body.
    Mock::given(method("POST"))
        .respond_with(|request: &Seen| {
            let echo = format!(
                "{{\"message\": \"bad request: {:?} {}\"}}",
                request.headers,
                String::from_utf8_lossy(&request.body)
            );
            ResponseTemplate::new(400).set_body_string(echo)
        })
        .mount(&server)
        .await;
    let transport = Transport::builder("test", "t")
        .retry(RetryPolicy::never())
        .build()
        .unwrap();
    let auth = TokenAuth::bearer(Arc::new(TokenCache::new(Arc::new(StaticToken::new(
        SENTINEL,
    )))));
    let password = SecretString::from(format!("pw-{SENTINEL}"));
    let request = Request::post("test", Url::parse(&server.uri()).unwrap())
        .body(
            "application/x-www-form-urlencoded",
            format!("password=pw-{SENTINEL}"),
        )
        .redacting(&password)
        .timeout(Duration::from_secs(5));
    let err = transport.send(request, &auth).await.unwrap_err();
    let display = err.to_string();
    let debug = format!("{err:?}");
    assert!(display.contains("<redacted>"), "{display}");
    assert!(!display.contains(SENTINEL), "{display}");
    assert!(!debug.contains(SENTINEL), "{debug}");
}
