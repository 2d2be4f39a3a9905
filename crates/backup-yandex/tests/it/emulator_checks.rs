//! The emulator checks requests and credentials the way Yandex documents them
//! (raw HTTP, not through our client).
#![cfg(feature = "emulator")]

use backup_core::emulator::RouteClass;
use backup_core::testing::SingleOperation;
use backup_yandex::auth::{JWT_AUDIENCE, JwtClaims};
use backup_yandex::emulator::{
    DEMO_INSTANCE_ID, DEMO_KEY_ID, DEMO_POLICY_ID, DEMO_SERVICE_ACCOUNT_ID,
    DEMO_SERVICE_ACCOUNT_KEY_JSON, Emulator, EmulatorOptions,
};
use backup_yandex::prelude::*;
use backup_yandex::{ClientBuilder, OperationStatus, WaitOptions};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use time::OffsetDateTime;

fn demo_private_key() -> EncodingKey {
    let key: Value = serde_json::from_str(DEMO_SERVICE_ACCOUNT_KEY_JSON).unwrap();
    let pem = key["private_key"].as_str().unwrap();
    let pem = &pem[pem.find("-----BEGIN").unwrap()..];
    EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap()
}

fn jwt(alg: Algorithm, kid: Option<&str>, claims: &JwtClaims) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, &demo_private_key()).unwrap()
}

fn claims(iss: &str, aud: &str, iat_offset: i64, lifetime: i64) -> JwtClaims {
    let iat = OffsetDateTime::now_utc().unix_timestamp() + iat_offset;
    JwtClaims {
        iss: iss.to_owned(),
        aud: aud.to_owned(),
        iat,
        exp: iat + lifetime,
    }
}

async fn post(
    emulator: &Emulator,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(emulator.url().join(path).unwrap())
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let answer = request.send().await.unwrap();
    let status = answer.status().as_u16();
    let text = answer.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn jwt_claims_and_signature_are_verified() {
    let emulator = Emulator::start_with(EmulatorOptions::default().service_account_key(
        "ajewrongpublickey003",
        DEMO_SERVICE_ACCOUNT_ID,
        // Another key's public key: the demo key's signature cannot verify against it.
        &wrong_public_key(),
    ))
    .await
    .unwrap();
    let good = claims(DEMO_SERVICE_ACCOUNT_ID, JWT_AUDIENCE, 0, 3600);
    let cases = [
        (
            "valid",
            jwt(Algorithm::PS256, Some(DEMO_KEY_ID), &good),
            200,
        ),
        (
            "RS256",
            jwt(Algorithm::RS256, Some(DEMO_KEY_ID), &good),
            401,
        ),
        ("no kid", jwt(Algorithm::PS256, None, &good), 401),
        (
            "unknown kid",
            jwt(Algorithm::PS256, Some("nope"), &good),
            401,
        ),
        (
            "signature of another key",
            jwt(Algorithm::PS256, Some("ajewrongpublickey003"), &good),
            401,
        ),
        (
            "wrong aud",
            jwt(
                Algorithm::PS256,
                Some(DEMO_KEY_ID),
                &claims(DEMO_SERVICE_ACCOUNT_ID, "https://example.com", 0, 3600),
            ),
            401,
        ),
        (
            "wrong iss",
            jwt(
                Algorithm::PS256,
                Some(DEMO_KEY_ID),
                &claims("ajeother", JWT_AUDIENCE, 0, 3600),
            ),
            401,
        ),
        (
            "exp more than an hour after iat",
            jwt(
                Algorithm::PS256,
                Some(DEMO_KEY_ID),
                &claims(DEMO_SERVICE_ACCOUNT_ID, JWT_AUDIENCE, 0, 3601),
            ),
            401,
        ),
        (
            "expired",
            jwt(
                Algorithm::PS256,
                Some(DEMO_KEY_ID),
                &claims(DEMO_SERVICE_ACCOUNT_ID, JWT_AUDIENCE, -7200, 3600),
            ),
            401,
        ),
        (
            "iat in the future",
            jwt(
                Algorithm::PS256,
                Some(DEMO_KEY_ID),
                &claims(DEMO_SERVICE_ACCOUNT_ID, JWT_AUDIENCE, 600, 3600),
            ),
            401,
        ),
        ("garbage", "not.a.jwt".to_owned(), 400),
    ];
    for (name, token, expected) in cases {
        let (status, body) = post(
            &emulator,
            "iam/v1/tokens",
            None,
            &[],
            &json!({ "jwt": token }).to_string(),
        )
        .await;
        assert_eq!(status, expected, "{name}: {body}");
        if expected == 200 {
            assert!(body["iamToken"].as_str().unwrap().starts_with("t1."));
            assert!(body["expiresAt"].as_str().is_some());
        } else {
            assert_eq!(body["code"], if expected == 401 { 16 } else { 3 }, "{name}");
            assert!(body["details"][0]["requestId"].is_string(), "{name}");
        }
    }
    assert_eq!(emulator.token_requests(), 1);
}

/// The public key of another key pair (the unregistered fixture key).
fn wrong_public_key() -> String {
    let key: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/unregistered-key.json"
        ))
        .unwrap(),
    )
    .unwrap();
    key["public_key"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn execute_requests_are_validated() {
    let emulator = Emulator::start().await.unwrap();
    let token = emulator.issue_iam_token();
    let path = format!("backup/v1/policies/{DEMO_POLICY_ID}:execute");
    let body = json!({ "computeInstanceId": DEMO_INSTANCE_ID }).to_string();
    type Case<'a> = (
        &'a str,
        Option<&'a str>,
        Vec<(&'a str, &'a str)>,
        String,
        u16,
        i64,
    );
    let cases: [Case<'_>; 5] = [
        ("no token", None, vec![], body.clone(), 401, 16),
        (
            "unknown token",
            Some("t1.forged"),
            vec![],
            body.clone(),
            401,
            16,
        ),
        ("not JSON", Some(&token), vec![], "{".to_owned(), 400, 3),
        ("no instance", Some(&token), vec![], "{}".to_owned(), 400, 3),
        (
            "key not a UUID",
            Some(&token),
            vec![("idempotency-key", "12345")],
            body.clone(),
            400,
            3,
        ),
    ];
    for (name, token, headers, body, status, code) in cases {
        let (got, answer) = post(&emulator, &path, token, &headers, &body).await;
        assert_eq!(got, status, "{name}: {answer}");
        assert_eq!(answer["code"], code, "{name}");
        assert!(answer["message"].is_string(), "{name}");
    }
    assert_eq!(emulator.accepted_backups(), 0);
    let (status, answer) = post(&emulator, &path, Some(&token), &[], &body).await;
    assert_eq!(status, 200);
    assert_eq!(answer["done"], false);
    assert_eq!(answer["metadata"]["progressPercentage"], "0");
    assert_eq!(
        answer["metadata"]["@type"],
        "type.googleapis.com/yandex.cloud.backup.v1.ExecuteMetadata"
    );
    assert_eq!(emulator.accepted_backups(), 1);
    assert_eq!(emulator.requests().count(RouteClass::Trigger), 6);
}

#[tokio::test]
async fn metadata_needs_the_flavor_header() {
    let emulator = Emulator::start().await.unwrap();
    let url = emulator
        .url()
        .join("computeMetadata/v1/instance/service-accounts/default/token")
        .unwrap();
    let http = reqwest::Client::new();
    let refused = http.get(url.clone()).send().await.unwrap();
    assert_eq!(refused.status(), 403);
    let answer = http
        .get(url)
        .header("Metadata-Flavor", "Google")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let body: Value = serde_json::from_str(&answer.text().await.unwrap()).unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 12 * 3600);
    assert_eq!(emulator.token_requests(), 1);
}

#[tokio::test]
async fn key_from_env_as_json_content_or_path() {
    let emulator = Emulator::start().await.unwrap();
    let path = format!("{}/src/emulator/demo-key.json", env!("CARGO_MANIFEST_DIR"));
    for value in [DEMO_SERVICE_ACCOUNT_KEY_JSON.to_owned(), path] {
        let client = ClientBuilder::from_lookup(&|name: &str| {
            (name == "YC_SERVICE_ACCOUNT_KEY_FILE").then(|| value.clone())
        })
        .unwrap()
        .backup_endpoint(emulator.url().as_str())
        .operation_endpoint(emulator.url().as_str())
        .iam_endpoint(emulator.url().as_str())
        .retry(backup_yandex::emulator::fast_retry())
        .build()
        .unwrap();
        let operation = client
            .trigger(&emulator.demo_request())
            .await
            .unwrap()
            .single();
        let done = client
            .wait(
                operation,
                WaitOptions::every(std::time::Duration::from_millis(5)),
            )
            .await
            .unwrap();
        assert_eq!(done.status, OperationStatus::Succeeded);
    }
    assert_eq!(emulator.token_requests(), 2);
    assert_eq!(emulator.accepted_backups(), 2);
}
