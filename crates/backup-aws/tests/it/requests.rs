//! Exact requests (method, path, query, headers, body, signature) of every call, with
//! wiremock; signatures checked by the emulator's own SigV4 verifier (hence the
//! `emulator` feature).
#![cfg(feature = "emulator")]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, future};
use backup_aws::emulator::sigv4::{self, Received};
use backup_aws::prelude::*;
use backup_aws::{
    Client, ClientBuilder, Config, Credential, Error, OperationRef, RetryPolicy, TriggerRequest,
    VENDOR,
};
use backup_core::testing::SingleOperation;
use backup_core::{ApiErrorKind, RequestSent};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const KEY: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const VOLUME: &str = "arn:aws:ec2:us-east-1:123456789012:volume/vol-0123456789abcdef0";
const ROLE: &str = "arn:aws:iam::123456789012:role/service-role/AWSBackupDefaultServiceRole";
const JOB: &str = "7BA8D5F3-9B6E-4D4C-B5D2-8B1D5D0E7A11";

fn fast() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
        budget: Duration::from_secs(5),
        jitter: false,
    }
}

fn builder(server: &MockServer) -> ClientBuilder {
    Client::builder()
        .endpoint(&server.uri())
        .region("us-east-1")
        .credential(Credential::keys(KEY, SECRET))
        .retry(fast())
}

fn client(server: &MockServer) -> Client {
    builder(server).build().unwrap()
}

fn request() -> TriggerRequest {
    TriggerRequest::new("Default", VOLUME, ROLE)
}

fn started() -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("x-amzn-RequestId", "req-1")
        .set_body_json(
            json!({"BackupJobId": JOB, "CreationDate": 1_516_925_490.087, "IsParent": false}),
        )
}

fn header<'r>(request: &'r Request, name: &str) -> Option<&'r str> {
    request.headers.get(name).and_then(|v| v.to_str().ok())
}

/// Verifies the request's signature with the emulator's verifier, with `secret`.
fn verify(request: &Request, secret: &str, token: Option<&str>) -> sigv4::Verified {
    let headers: Vec<(String, String)> = request
        .headers
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap().to_owned()))
        .collect();
    let received = Received {
        method: request.method.as_str(),
        path: request.url.path(),
        query: request.url.query().unwrap_or_default(),
        headers: &headers,
        body: &request.body,
    };
    assert_eq!(sigv4::header(&headers, "x-amz-security-token"), token);
    sigv4::verify(&received, "backup", time::OffsetDateTime::now_utc(), |_| {
        Ok(secret.to_owned())
    })
    .unwrap_or_else(|refusal| panic!("{refusal:?}"))
}

fn body(request: &Request) -> Value {
    serde_json::from_slice(&request.body).unwrap()
}

#[tokio::test]
async fn start_backup_job_request_is_exact() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/backup-jobs"))
        .respond_with(started())
        .expect(1)
        .mount(&server)
        .await;
    let operation = client(&server)
        .trigger(
            &request()
                .idempotency_token("token-1")
                .start_window_minutes(120),
        )
        .await
        .unwrap()
        .single();
    assert_eq!(
        operation.reference.to_string(),
        format!("aws:us-east-1/{JOB}")
    );
    assert_eq!(operation.vendor_status.as_deref(), Some("CREATED"));
    let received = &server.received_requests().await.unwrap()[0];
    assert_eq!(received.url.query(), None);
    assert_eq!(header(received, "content-type"), Some("application/json"));
    assert_eq!(
        body(received),
        json!({"BackupVaultName": "Default", "ResourceArn": VOLUME, "IamRoleArn": ROLE,
               "IdempotencyToken": "token-1", "StartWindowMinutes": 120})
    );
    let authorization = header(received, "authorization").unwrap();
    assert!(
        authorization.starts_with(&format!("AWS4-HMAC-SHA256 Credential={KEY}/")),
        "{authorization}"
    );
    assert!(
        authorization.contains("/us-east-1/backup/aws4_request"),
        "{authorization}"
    );
    assert!(
        authorization.contains("SignedHeaders=content-type;host;x-amz-date"),
        "{authorization}"
    );
    let verified = verify(received, SECRET, None);
    assert_eq!(
        (verified.access_key_id.as_str(), verified.region.as_str()),
        (KEY, "us-east-1")
    );
}

#[tokio::test]
async fn the_idempotency_token_is_fresh_per_trigger_and_the_same_on_every_retry() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .respond_with(started())
        .mount(&server)
        .await;
    let client = client(&server);
    client.trigger(&request()).await.unwrap();
    client.trigger(&request()).await.unwrap();
    let tokens: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| body(r)["IdempotencyToken"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(tokens.len(), 4, "two failed attempts, then two triggers");
    assert_eq!(tokens[0], tokens[1]);
    assert_eq!(tokens[1], tokens[2], "the retries of the first trigger");
    assert_ne!(tokens[2], tokens[3], "a new trigger, a new token");
    for token in &tokens {
        let uuid = uuid::Uuid::parse_str(token).unwrap();
        assert_eq!(uuid.get_version_num(), 4);
    }
}

#[tokio::test]
async fn describe_stop_and_list_requests_are_exact() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/backup-jobs/{JOB}")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"BackupJobId": JOB, "State": "ABORTING", "IsParent": true})),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/backup-jobs/{JOB}")))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/backup-jobs/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"BackupJobs": []})))
        .mount(&server)
        .await;
    let client = client(&server);
    let reference = OperationRef::new(VENDOR, format!("eu-west-1/{JOB}"));
    let after = client.cancel(&reference).await.unwrap();
    assert_eq!(after.vendor_status.as_deref(), Some("ABORTING"));
    client.list_child_jobs(&reference).await.unwrap();
    let received = server.received_requests().await.unwrap();
    let calls: Vec<(String, String, Option<String>)> = received
        .iter()
        .map(|r| {
            (
                r.method.to_string(),
                r.url.path().to_owned(),
                r.url.query().map(str::to_owned),
            )
        })
        .collect();
    assert_eq!(
        calls,
        [
            ("POST".into(), format!("/backup-jobs/{JOB}"), None),
            ("GET".into(), format!("/backup-jobs/{JOB}"), None),
            (
                "GET".into(),
                "/backup-jobs/".into(),
                Some(format!("parentJobId={JOB}&maxResults=1000"))
            ),
        ]
    );
    assert!(received[0].body.is_empty(), "StopBackupJob has no body");
    for request in &received {
        // Signed for the reference's Region, not the client's.
        assert_eq!(verify(request, SECRET, None).region, "eu-west-1");
    }
}

#[tokio::test]
async fn session_keys_sign_the_security_token() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"State": "RUNNING"})))
        .mount(&server)
        .await;
    let client = builder(&server)
        .credential(Credential::session(
            "ASIAEXAMPLE",
            SECRET,
            "FQoGZXIvYXdzEXAMPLE",
        ))
        .build()
        .unwrap();
    client
        .status(&OperationRef::new(VENDOR, format!("us-east-1/{JOB}")))
        .await
        .unwrap();
    let received = &server.received_requests().await.unwrap()[0];
    assert!(
        header(received, "authorization")
            .unwrap()
            .contains("SignedHeaders=host;x-amz-date;x-amz-security-token")
    );
    verify(received, SECRET, Some("FQoGZXIvYXdzEXAMPLE"));
}

#[tokio::test]
async fn throttling_is_retried_as_aws_clients_retry_it() {
    for (status, code) in [
        (400, "ThrottlingException"),
        (400, "LimitExceededException"),
        (429, "TooManyRequestsException"),
        (400, "RequestTimeoutException"),
        (500, "ServiceUnavailableException"),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("PUT"))
            .respond_with(
                ResponseTemplate::new(status)
                    .insert_header("x-amzn-ErrorType", code)
                    .insert_header("x-amz-retry-after", "3")
                    .set_body_json(json!({"message": "slow down"})),
            )
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(method("PUT"))
            .respond_with(started())
            .mount(&server)
            .await;
        client(&server).trigger(&request()).await.unwrap();
        assert_eq!(server.received_requests().await.unwrap().len(), 2, "{code}");
    }
    // A refusal is not retried.
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(
            ResponseTemplate::new(400)
                .insert_header("x-amzn-ErrorType", "InvalidParameterValueException")
                .insert_header("x-amzn-RequestId", "req-9")
                .set_body_json(
                    json!({"Code": "InvalidParameterValueException", "Message": "bad ARN"}),
                ),
        )
        .mount(&server)
        .await;
    let error = client(&server).trigger(&request()).await.unwrap_err();
    let Error::Api(api) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(api.code.as_deref(), Some("InvalidParameterValueException"));
    assert_eq!(api.kind, ApiErrorKind::BadRequest);
    assert_eq!(api.request_id.as_deref(), Some("req-9"));
    assert_eq!(api.message, "bad ARN");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn resource_not_found_with_400_is_not_found() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(400)
                .insert_header(
                    "x-amzn-ErrorType",
                    "ResourceNotFoundException:http://internal.amazon.com/coral/x/",
                )
                .set_body_json(
                    json!({"Code": "ResourceNotFoundException", "Message": "no such job"}),
                ),
        )
        .mount(&server)
        .await;
    let error = client(&server)
        .status(&OperationRef::new(VENDOR, format!("us-east-1/{JOB}")))
        .await
        .unwrap_err();
    let api = error.api().unwrap();
    assert_eq!(
        (api.kind, api.code.as_deref()),
        (ApiErrorKind::NotFound, Some("ResourceNotFoundException"))
    );
}

#[tokio::test]
async fn refused_credentials_are_auth_errors() {
    for (status, code) in [
        (403, "UnrecognizedClientException"),
        (403, "InvalidSignatureException"),
        (400, "IncompleteSignature"),
        (403, "ExpiredTokenException"),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("PUT"))
            .respond_with(
                ResponseTemplate::new(status)
                    .insert_header("x-amzn-ErrorType", code)
                    .set_body_json(json!({"message": "The security token included in the request is invalid."})),
            )
            .mount(&server)
            .await;
        let error = client(&server).trigger(&request()).await.unwrap_err();
        let Error::Auth {
            status: Some(got),
            message,
            ..
        } = &error
        else {
            panic!("{code}: {error:?}")
        };
        assert_eq!(*got, status, "{code}");
        assert!(message.contains("AWS_ACCESS_KEY_ID"), "{message}");
        // Static keys cannot be refreshed: one request.
        assert_eq!(server.received_requests().await.unwrap().len(), 1, "{code}");
    }
}

/// Credentials that change at every fetch, as a role's do.
#[derive(Debug, Default)]
struct Rotating(AtomicUsize);

impl ProvideCredentials for Rotating {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        let n = self.0.fetch_add(1, Ordering::SeqCst);
        future::ProvideCredentials::ready(Ok(Credentials::new(
            format!("ASIA{n}"),
            SECRET,
            Some(format!("token-{n}")),
            Some(SystemTime::now() + Duration::from_secs(3600)),
            "rotating",
        )))
    }
}

#[tokio::test]
async fn an_expired_session_token_gets_fresh_credentials_once() {
    let server = MockServer::start().await;
    let expired = || {
        ResponseTemplate::new(403)
            .insert_header("x-amzn-ErrorType", "ExpiredTokenException")
            .set_body_json(
                json!({"message": "The security token included in the request is expired"}),
            )
    };
    Mock::given(method("GET"))
        .respond_with(expired())
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"State": "RUNNING"})))
        .mount(&server)
        .await;
    let rotating = Arc::new(Rotating::default());
    let client = builder(&server)
        .credential(Credential::Provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(RotatingRef(
                rotating.clone(),
            )),
        ))
        .build()
        .unwrap();
    let reference = OperationRef::new(VENDOR, format!("us-east-1/{JOB}"));
    client.status(&reference).await.unwrap();
    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 2);
    assert_eq!(
        header(&received[0], "x-amz-security-token"),
        Some("token-0")
    );
    assert_eq!(
        header(&received[1], "x-amz-security-token"),
        Some("token-1")
    );
    assert_eq!(rotating.0.load(Ordering::SeqCst), 2);

    // Expired again right after the refresh: an authentication error, no loop.
    server.reset().await;
    Mock::given(method("GET"))
        .respond_with(expired())
        .mount(&server)
        .await;
    let error = client.status(&reference).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Auth {
                status: Some(403),
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[derive(Debug)]
struct RotatingRef(Arc<Rotating>);

impl ProvideCredentials for RotatingRef {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        self.0.provide_credentials()
    }
}

#[tokio::test]
async fn a_trigger_whose_answers_are_all_lost_is_an_unknown_outcome_naming_the_token() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(
            ResponseTemplate::new(500).set_body_json(json!({"__type": "InternalFailure"})),
        )
        .mount(&server)
        .await;
    let error = client(&server)
        .trigger(&request().idempotency_token("keep-me"))
        .await
        .unwrap_err();
    let Error::OutcomeUnknown { reason, .. } = &error else {
        panic!("{error:?}")
    };
    assert!(reason.contains("IdempotencyToken keep-me"), "{reason}");
    assert!(error.to_string().contains("check before triggering again"));
    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 3, "every attempt of the policy");
    assert!(
        received
            .iter()
            .all(|r| body(r)["IdempotencyToken"] == "keep-me")
    );
}

#[tokio::test]
async fn an_answer_without_a_job_id_is_an_unknown_outcome() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"IsParent": false})))
        .mount(&server)
        .await;
    let error = client(&server).trigger(&request()).await.unwrap_err();
    assert!(matches!(error, Error::OutcomeUnknown { .. }), "{error:?}");
}

#[tokio::test]
async fn bad_input_is_refused_before_any_request() {
    let server = MockServer::start().await;
    let client = client(&server);
    for bad in [
        TriggerRequest::new("x", VOLUME, ROLE),
        TriggerRequest::new("Default", "not-an-arn", ROLE),
        TriggerRequest::new("Default", VOLUME, VOLUME),
        request().start_window_minutes(30),
        request().idempotency_token(""),
    ] {
        let error = client.trigger(&bad).await.unwrap_err();
        assert!(matches!(error, Error::InvalidInput { .. }), "{error:?}");
        assert_eq!(error.request_sent(), RequestSent::No);
    }
    for id in ["job", "us-east-1/", "US/job", "us-east-1/a/b"] {
        let reference = OperationRef::new(VENDOR, id);
        assert!(
            matches!(
                client.status(&reference).await,
                Err(Error::InvalidInput { .. })
            ),
            "{id}"
        );
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[test]
fn config_and_environment_pick_region_endpoint_credentials_and_attempts() {
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        }
    };
    let lookup = env(&[
        ("AWS_ACCESS_KEY_ID", "AKID"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
        ("AWS_REGION", "eu-west-1"),
        ("AWS_DEFAULT_REGION", "us-west-2"),
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:1/all/"),
        ("AWS_ENDPOINT_URL_BACKUP", "http://127.0.0.1:1/backup/"),
        ("AWS_MAX_ATTEMPTS", "7"),
    ]);
    let mut builder = ClientBuilder::from_config(&Config::default(), &lookup).unwrap();
    assert_eq!(builder.transport_options_mut().retry.max_attempts, 7);
    let client = builder.build().unwrap();
    assert_eq!(
        client.endpoint_for("eu-west-1").unwrap().as_str(),
        "http://127.0.0.1:1/backup/"
    );
    assert!(format!("{client:?}").contains("eu-west-1"));
    // The config wins over the environment.
    let config = Config {
        region: Some("ap-south-1".into()),
        endpoint: None,
    };
    let client = ClientBuilder::from_config(&config, &env(&[("AWS_REGION", "eu-west-1")]))
        .unwrap()
        .build()
        .unwrap();
    assert!(format!("{client:?}").contains("ap-south-1"));
    assert_eq!(
        client.endpoint_for("ap-south-1").unwrap().as_str(),
        "https://backup.ap-south-1.amazonaws.com/"
    );
    // FIPS and dual-stack from the environment.
    let client = ClientBuilder::from_config(
        &config,
        &env(&[
            ("AWS_USE_FIPS_ENDPOINT", "true"),
            ("AWS_USE_DUALSTACK_ENDPOINT", "TRUE"),
        ]),
    )
    .unwrap()
    .build()
    .unwrap();
    assert_eq!(
        client.endpoint_for("us-gov-west-1").unwrap().as_str(),
        "https://backup-fips.us-gov-west-1.api.aws/"
    );
    // Refusals, before anything is sent.
    for (lookup, what) in [
        (env(&[("AWS_ACCESS_KEY_ID", "AKID")]), "half a key pair"),
        (env(&[("AWS_MAX_ATTEMPTS", "0")]), "zero attempts"),
        (
            env(&[("AWS_USE_FIPS_ENDPOINT", "yes")]),
            "a flag that is not true or false",
        ),
    ] {
        assert!(
            matches!(
                ClientBuilder::from_config(&Config::default(), &lookup),
                Err(Error::Config { .. })
            ),
            "{what}"
        );
    }
    let fips_custom = ClientBuilder::new()
        .endpoint("http://127.0.0.1:1/")
        .use_fips(true)
        .build();
    assert!(matches!(fips_custom, Err(Error::InvalidInput { .. })));
    assert!(matches!(
        ClientBuilder::new().region("Not A Region").build(),
        Err(Error::InvalidInput { .. })
    ));
}
