//! Exact requests (method, path, query, headers, body) of every call, with wiremock.

use std::time::Duration;

use backup_core::auth::TokenProvider;
use backup_core::testing::SingleOperation;
use backup_core::{ApiErrorKind, Pollable, RequestSent};
use backup_yandex::auth::{
    JWT_AUDIENCE, JwtClaims, MetadataTokenProvider, OAuthTokenProvider, ServiceAccountKeyProvider,
    metadata_base,
};
use backup_yandex::prelude::*;
use backup_yandex::{
    Client, ClientBuilder, Credential, Error, OperationRef, OperationStatus, RetryPolicy,
    ServiceAccountKey, TriggerRequest, VENDOR,
};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};
use time::OffsetDateTime;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const KEY_JSON: &str = include_str!("../../src/emulator/demo-key.json");

fn fast() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
        budget: Duration::from_secs(5),
        jitter: false,
    }
}

fn builder(server: &MockServer, credential: Credential) -> ClientBuilder {
    Client::builder()
        .backup_endpoint(&server.uri())
        .operation_endpoint(&format!("{}/op/", server.uri()))
        .iam_endpoint(&format!("{}/iam-host", server.uri()))
        .metadata_address(&server.uri())
        .credential(credential)
        .retry(fast())
}

fn client(server: &MockServer) -> Client {
    builder(server, Credential::iam_token("t1.static"))
        .build()
        .unwrap()
}

fn operation_json(done: bool) -> Value {
    json!({
        "id": "cdgop1",
        "description": "Execute backup policy",
        "createdAt": "2026-01-02T03:04:05.123456789Z",
        "createdBy": "aje-sa",
        "modifiedAt": "2026-01-02T03:05:05Z",
        "done": done,
        "metadata": {
            "@type": "type.googleapis.com/yandex.cloud.backup.v1.ExecuteMetadata",
            "policyId": "p1",
            "computeInstanceId": "i1",
            "progressPercentage": if done { "100" } else { "10" }
        }
    })
}

fn header_of<'r>(request: &'r Request, name: &str) -> &'r str {
    request
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

#[tokio::test]
async fn execute_request_is_exact() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/backup/v1/policies/p1:execute"))
        .and(header("authorization", "Bearer t1.static"))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({ "computeInstanceId": "i1" })))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(operation_json(false))
                .insert_header("x-operation-poll-interval", "2"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let operation = client(&server)
        .trigger(&TriggerRequest::new("p1", "i1"))
        .await
        .unwrap()
        .single();
    assert_eq!(operation.reference, OperationRef::new("yandex", "cdgop1"));
    assert_eq!(operation.status, OperationStatus::Running);
    assert_eq!(operation.progress, Some(10.0));
    assert_eq!(operation.poll_after, Some(Duration::from_secs(2)));
    let requests = server.received_requests().await.unwrap();
    let request = &requests[0];
    assert_eq!(request.url.query(), None);
    let key = header_of(request, "idempotency-key");
    let key = uuid::Uuid::parse_str(key).unwrap();
    assert_eq!(key.get_version_num(), 4);
    assert!(header_of(request, "user-agent").contains("backup-yandex"));
}

#[tokio::test]
async fn caller_key_is_sent_verbatim_and_retries_reuse_the_key() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(500).set_body_json(json!({"code": 13, "message": "Internal"})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(operation_json(false)))
        .mount(&server)
        .await;
    client(&server)
        .trigger(&TriggerRequest::new("p1", "i1"))
        .await
        .unwrap();
    let key = "0b6f3c2e-7d1a-4c39-9b1e-2f5a8d7c6e40";
    client(&server)
        .trigger(&TriggerRequest::new("p1", "i1").idempotency_key(key))
        .await
        .unwrap();
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 3);
    let keys: Vec<_> = requests
        .iter()
        .map(|r| header_of(r, "idempotency-key"))
        .collect();
    assert_eq!(keys[0], keys[1], "the retry after 500 reuses the key");
    assert_eq!(keys[2], key);
}

/// `recover_trigger` (issue 18) is the same execute with the recorded key, once: the
/// answer is the operation the lost execute started.
#[tokio::test]
async fn recover_trigger_repeats_the_execute_with_the_recorded_key() {
    let server = MockServer::start().await;
    let key = "3f1d2c4b-5a69-4e7f-8a1b-9c0d1e2f3a4b";
    Mock::given(method("POST"))
        .and(path("/backup/v1/policies/p1:execute"))
        .and(header("authorization", "Bearer t1.static"))
        .and(header("idempotency-key", key))
        .and(body_json(json!({ "computeInstanceId": "i1" })))
        .respond_with(ResponseTemplate::new(200).set_body_json(operation_json(true)))
        .expect(1)
        .mount(&server)
        .await;
    let request = TriggerRequest::new("p1", "i1").idempotency_key(key);
    let recovered = client(&server).recover_trigger(&request).await.unwrap();
    let backup_core::contract::Recovered::Operations(operations) = recovered else {
        panic!("expected the operation, got {recovered:?}");
    };
    let operation = operations.single();
    assert_eq!(operation.reference, OperationRef::new("yandex", "cdgop1"));
    assert_eq!(operation.status, OperationStatus::Succeeded);
}

#[tokio::test]
async fn ids_are_percent_encoded_as_one_segment() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/backup/v1/policies/a%2Fb%3Fc%23d%25e:execute"))
        .respond_with(ResponseTemplate::new(200).set_body_json(operation_json(false)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/op/operations/x%2F..%3Fy"))
        .respond_with(ResponseTemplate::new(200).set_body_json(operation_json(false)))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    client
        .trigger(&TriggerRequest::new("a/b?c#d%e", "i1"))
        .await
        .unwrap();
    client
        .status(&OperationRef::new("yandex", "x/..?y"))
        .await
        .unwrap();
}

#[tokio::test]
async fn get_operation_and_cancel_are_exact() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/op/operations/cdgop1"))
        .and(header("authorization", "Bearer t1.static"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(operation_json(true))
                .insert_header("x-operation-poll-interval", "0.5"),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/op/operations/cdgop1:cancel"))
        .and(header("authorization", "Bearer t1.static"))
        .respond_with(ResponseTemplate::new(200).set_body_json(operation_json(false)))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let reference: OperationRef = "yandex:cdgop1".parse().unwrap();
    let status = client.status(&reference).await.unwrap();
    assert_eq!(status.status, OperationStatus::Succeeded);
    assert_eq!(status.poll_after, Some(Duration::from_millis(500)));
    assert_eq!(
        status.finished_at,
        Some(time::macros::datetime!(2026-01-02 03:05:05 UTC))
    );
    client.cancel(&reference).await.unwrap();
    for request in server.received_requests().await.unwrap() {
        assert!(request.body.is_empty());
        assert_eq!(request.url.query(), None);
    }
}

#[tokio::test]
async fn oauth_exchange_then_bearer() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/iam-host/iam/v1/tokens"))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({ "yandexPassportOauthToken": "y0_oauth" })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "iamToken": "t1.exchanged",
            "expiresAt": "2099-01-01T00:00:00.000000Z"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/op/operations/cdgop1"))
        .and(header("authorization", "Bearer t1.exchanged"))
        .respond_with(ResponseTemplate::new(200).set_body_json(operation_json(false)))
        .expect(2)
        .mount(&server)
        .await;
    let client = builder(&server, Credential::oauth_token("y0_oauth"))
        .build()
        .unwrap();
    let reference = OperationRef::new("yandex", "cdgop1");
    client.status(&reference).await.unwrap();
    client.status(&reference).await.unwrap();
    assert_eq!(client.token_cache().fetch_count(), 1);
}

#[tokio::test]
async fn service_account_jwt_is_ps256_with_kid_and_claims() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/iam-host/iam/v1/tokens"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "iamToken": "t1.fromjwt",
            "expiresAt": "2099-01-01T00:00:00Z"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(header("authorization", "Bearer t1.fromjwt"))
        .respond_with(ResponseTemplate::new(200).set_body_json(operation_json(false)))
        .mount(&server)
        .await;
    let key = ServiceAccountKey::from_json(KEY_JSON).unwrap();
    let client = builder(&server, key.into()).build().unwrap();
    client
        .status(&OperationRef::new("yandex", "cdgop1"))
        .await
        .unwrap();
    let requests = server.received_requests().await.unwrap();
    let body: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(body.as_object().unwrap().len(), 1);
    let jwt = body["jwt"].as_str().unwrap();
    let header = jsonwebtoken::decode_header(jwt).unwrap();
    assert_eq!(header.alg, Algorithm::PS256);
    assert_eq!(header.kid.as_deref(), Some("ajeemulatorkey000001"));
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    let public: Value = serde_json::from_str(KEY_JSON).unwrap();
    let decoding =
        DecodingKey::from_rsa_pem(public["public_key"].as_str().unwrap().as_bytes()).unwrap();
    let mut validation = Validation::new(Algorithm::PS256);
    validation.set_audience(&[JWT_AUDIENCE]);
    validation.set_issuer(&["ajeemulatorsa0000001"]);
    let claims = jsonwebtoken::decode::<JwtClaims>(jwt, &decoding, &validation)
        .unwrap()
        .claims;
    assert_eq!(claims.exp - claims.iat, 3600);
    assert!((claims.iat - OffsetDateTime::now_utc().unix_timestamp()).abs() < 60);
}

#[tokio::test]
async fn metadata_token_request_is_exact() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(
            "/computeMetadata/v1/instance/service-accounts/default/token",
        ))
        .and(header("metadata-flavor", "Google"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "t1.vm",
            "expires_in": 43167,
            "token_type": "Bearer"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/op/operations/cdgop1"))
        .and(header("authorization", "Bearer t1.vm"))
        .respond_with(ResponseTemplate::new(200).set_body_json(operation_json(false)))
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server, Credential::Metadata).build().unwrap();
    client
        .status(&OperationRef::new("yandex", "cdgop1"))
        .await
        .unwrap();
}

#[tokio::test]
async fn fetched_tokens_are_refreshed_hourly() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "iamToken": "t1.x",
            "expiresAt": "2099-01-01T00:00:00Z"
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "t1.vm",
            "expires_in": 43200,
            "token_type": "Bearer"
        })))
        .mount(&server)
        .await;
    let transport = backup_core::Transport::builder(VENDOR, "test")
        .build()
        .unwrap();
    let url = url::Url::parse(&format!("{}/iam/v1/tokens", server.uri())).unwrap();
    let providers: Vec<Box<dyn TokenProvider>> = vec![
        Box::new(OAuthTokenProvider::new(
            transport.clone(),
            url.clone(),
            "y0".to_owned().into(),
        )),
        Box::new(ServiceAccountKeyProvider::new(
            transport.clone(),
            url,
            ServiceAccountKey::from_json(KEY_JSON).unwrap(),
        )),
        Box::new(
            MetadataTokenProvider::new(transport, &metadata_base(&server.uri()).unwrap()).unwrap(),
        ),
    ];
    for provider in providers {
        let token = provider.fetch_token().await.unwrap();
        let left = token.expires_at.unwrap() - OffsetDateTime::now_utc();
        assert!(
            left <= time::Duration::HOUR && left > time::Duration::minutes(59),
            "{provider:?}: {left}"
        );
    }
}

#[tokio::test]
async fn yandex_error_body_is_mapped() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(json!({
                    "code": 9,
                    "message": "Policy p1 is not applied to instance i1",
                    "details": [{
                        "@type": "type.googleapis.com/google.rpc.RequestInfo",
                        "requestId": "req-from-details"
                    }]
                }))
                .insert_header("x-request-id", "req-from-header"),
        )
        .mount(&server)
        .await;
    let err = client(&server)
        .trigger(&TriggerRequest::new("p1", "i1"))
        .await
        .unwrap_err();
    let api = err.api().unwrap();
    assert_eq!(api.vendor, "yandex");
    assert_eq!(api.status, 400);
    assert_eq!(api.kind, ApiErrorKind::PreconditionFailed);
    assert_eq!(api.code.as_deref(), Some("FAILED_PRECONDITION"));
    assert_eq!(api.message, "Policy p1 is not applied to instance i1");
    assert_eq!(api.request_id.as_deref(), Some("req-from-details"));
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn request_id_falls_back_to_headers() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(json!({"code": 5, "message": "Operation x not found"}))
                .insert_header("x-server-trace-id", "trace-1"),
        )
        .mount(&server)
        .await;
    let err = client(&server)
        .status(&OperationRef::new("yandex", "x"))
        .await
        .unwrap_err();
    assert_eq!(err.api().unwrap().kind, ApiErrorKind::NotFound);
    assert_eq!(err.code(), Some("NOT_FOUND"));
    assert_eq!(err.request_id(), Some("trace-1"));
}

#[tokio::test]
async fn unparsable_bodies_give_clear_errors() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/op/operations/html"))
        .respond_with(ResponseTemplate::new(502).set_body_raw(
            "<html><body><h1>502 Bad Gateway</h1></body></html>",
            "text/html",
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/op/operations/empty"))
        .respond_with(ResponseTemplate::new(403))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/op/operations/truncated"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("{\"id\": \"cdg", "application/json"))
        .mount(&server)
        .await;
    let client = client(&server);
    let err = client
        .status(&OperationRef::new("yandex", "html"))
        .await
        .unwrap_err();
    let api = err.api().unwrap();
    assert_eq!(api.kind, ApiErrorKind::Server);
    assert!(api.message.contains("502 Bad Gateway"), "{api}");
    let err = client
        .status(&OperationRef::new("yandex", "empty"))
        .await
        .unwrap_err();
    assert_eq!(err.api().unwrap().kind, ApiErrorKind::Forbidden);
    assert!(err.to_string().contains("empty body"), "{err}");
    let err = client
        .status(&OperationRef::new("yandex", "truncated"))
        .await
        .unwrap_err();
    match &err {
        Error::Decode { body_excerpt, .. } => assert!(body_excerpt.contains("cdg")),
        other => panic!("{other:?}"),
    }
    // An undecodable answer to a GET is asked for again (3 attempts in all).
    let truncated = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path().ends_with("/truncated"))
        .count();
    assert_eq!(truncated, 3);
}

#[tokio::test]
async fn execute_lost_every_time_is_outcome_unknown() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(500).set_body_json(json!({"code": 13, "message": "Internal"})),
        )
        .mount(&server)
        .await;
    let err = client(&server)
        .trigger(&TriggerRequest::new("p1", "i1"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::OutcomeUnknown {
                status: Some(500),
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(err.request_sent(), RequestSent::Maybe);
    assert!(err.to_string().contains("Idempotency-Key"), "{err}");
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn not_found_is_tolerated_three_times_in_poll() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(404).set_body_json(json!({"code": 5, "message": "not found"})),
        )
        .mount(&server)
        .await;
    let client = client(&server);
    let operation = backup_yandex::operation::to_operation(
        &serde_json::from_value(operation_json(false)).unwrap(),
        None,
    );
    for _ in 0..3 {
        assert_eq!(client.poll(&operation).await.unwrap(), operation);
    }
    let err = client.poll(&operation).await.unwrap_err();
    assert_eq!(err.api().unwrap().kind, ApiErrorKind::NotFound);
}

#[tokio::test]
async fn bad_endpoints_and_missing_credentials_are_refused() {
    for (builder, field) in [
        (
            Client::builder().backup_endpoint("ftp://x"),
            "backup_endpoint",
        ),
        (
            Client::builder().operation_endpoint("not a url"),
            "operation_endpoint",
        ),
        (
            Client::builder().iam_endpoint("http://x/?q=1"),
            "iam_endpoint",
        ),
        (Client::builder().metadata_address(""), "metadata_address"),
    ] {
        match builder.credential(Credential::iam_token("t")).build() {
            Err(Error::InvalidInput { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    assert!(matches!(
        Client::builder().build(),
        Err(Error::Config { .. })
    ));
    let client = Client::builder()
        .credential(Credential::iam_token("t"))
        .build()
        .unwrap();
    assert_eq!(
        client.backup_endpoint().as_str(),
        "https://backup.api.cloud.yandex.net/"
    );
    assert_eq!(
        client.operation_endpoint().as_str(),
        "https://operation.api.cloud.yandex.net/"
    );
}

/// A 401 whose body is Yandex's documented error (`error-unauthenticated.json`): an
/// authentication error carrying the gRPC code and the `RequestInfo` request id, which
/// `backupctl --output json` prints as `error.code` and `error.request_id`.
#[tokio::test]
async fn a_refused_token_keeps_the_grpc_code_and_request_id() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/op/operations/cdgop1"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_string(include_str!("../fixtures/error-unauthenticated.json")),
        )
        .mount(&server)
        .await;
    let reference: OperationRef = "yandex:cdgop1".parse().unwrap();
    let error = client(&server).status(&reference).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Auth {
                status: Some(401),
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(error.code(), Some("UNAUTHENTICATED"));
    assert_eq!(
        error.request_id(),
        Some("e38e71c3-adc6-4584-98a4-b0f103d55f61")
    );
}
