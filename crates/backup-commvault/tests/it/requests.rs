//! Exact request assertions (wiremock): method, path, headers and body of every call.

use backup_commvault::prelude::*;
use backup_commvault::{Client, Credential, Error, Format, OperationStatus};
use backup_core::ApiErrorKind;

use crate::common::{SAMPLE_ERROR, SAMPLE_REQUEST, SAMPLE_RESPONSE, document_backup, fast_retry};
use serde_json::json;
use wiremock::matchers::{body_json, body_string, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const API: &str = "/commandcenter/api";

fn base(server: &MockServer) -> String {
    format!("{}{API}/", server.uri())
}

fn password_client(server: &MockServer) -> Client {
    Client::builder()
        .endpoint(&base(server))
        .username_password("admin", "pässword")
        .retry(fast_retry())
        .build()
        .unwrap()
}

fn token_client(server: &MockServer, token: &str) -> Client {
    Client::builder()
        .endpoint(&base(server))
        .token(token.to_owned())
        .retry(fast_retry())
        .build()
        .unwrap()
}

fn job_body(id: u64, status: &str) -> serde_json::Value {
    json!({"totalRecordsWithoutPaging": 1, "jobs": [{"jobSummary": {
        "jobId": id, "status": status, "percentComplete": 100, "pendingReason": "",
        "jobStartTime": 1_581_430_800, "jobEndTime": 1_581_431_100, "backupLevelName": "Incremental"
    }}]})
}

fn header_of<'r>(request: &'r Request, name: &str) -> Option<&'r str> {
    request.headers.get(name).and_then(|v| v.to_str().ok())
}

async fn mount_login(server: &MockServer, token: &str, times: u64) {
    Mock::given(method("POST"))
        .and(path(format!("{API}/Login")))
        .and(header("content-type", "application/json"))
        .and(header("accept", "application/json"))
        // base64("pässword") of its UTF-8 bytes
        .and(body_json(
            json!({"username": "admin", "password": "cMOkc3N3b3Jk", "deviceId": "backup-rs"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "aliasName": "1", "userGUID": "g", "loginAttempts": 0, "remainingLockTime": 0,
            "userName": "admin", "ccn": 0, "token": token
        })))
        .up_to_n_times(times)
        .expect(times)
        .mount(server)
        .await;
}

#[tokio::test]
async fn login_json_then_create_task_xml_as_the_document() {
    let server = MockServer::start().await;
    mount_login(&server, "QSDK 3f3a", 1).await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/CreateTask")))
        .and(header("authtoken", "QSDK 3f3a"))
        .and(header("content-type", "application/xml"))
        .and(header("accept", "application/xml"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(SAMPLE_RESPONSE, "application/xml"))
        .expect(1)
        .mount(&server)
        .await;
    let client = password_client(&server);
    let operations = client.trigger(&document_backup()).await.unwrap();
    assert_eq!(operations.len(), 1);
    assert_eq!(operations[0].reference.to_string(), "commvault:5976");
    assert_eq!(operations[0].job_id.as_deref(), Some("5976"));
    assert_eq!(operations[0].status, OperationStatus::Pending);
    assert_eq!(
        operations[0].message.as_deref(),
        Some("started by task 4038")
    );

    let requests = server.received_requests().await.unwrap();
    let create = requests
        .iter()
        .find(|r| r.url.path().ends_with("/CreateTask"))
        .unwrap();
    let body = String::from_utf8(create.body.clone()).unwrap();
    let squeeze = |s: &str| s.split_whitespace().collect::<String>();
    assert_eq!(squeeze(&body), squeeze(SAMPLE_REQUEST));
    assert!(
        header_of(create, "user-agent")
            .unwrap()
            .starts_with("backup-rs/")
    );
    assert!(header_of(create, "authorization").is_none());
}

#[tokio::test]
async fn login_in_xml_form() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/Login")))
        .and(header("content-type", "application/xml"))
        .and(body_string(
            r#"<DM2ContentIndexing_CheckCredentialReq mode="Webconsole" username="admin&amp;co" password="cMOkc3N3b3Jk" deviceId="dev-1"/>"#,
        ))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"<DM2ContentIndexing_CheckCredentialResp aliasName="1" userName="admin&amp;co" token="QSDK 77aa" forcePasswordChange="false"><capability/></DM2ContentIndexing_CheckCredentialResp>"#,
            "application/xml",
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/Job/5976")))
        .and(header("authtoken", "QSDK 77aa"))
        .and(header("accept", "application/json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(job_body(5976, "Completed")))
        .expect(1)
        .mount(&server)
        .await;
    let client = Client::builder()
        .endpoint(&base(&server))
        .username_password("admin&co", "pässword")
        .device_id("dev-1")
        .login_format(Format::Xml)
        .build()
        .unwrap();
    let operation = client
        .status(&"commvault:5976".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(operation.status, OperationStatus::Succeeded);
}

#[tokio::test]
async fn failed_login_is_an_auth_error_with_the_code() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/Login")))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"errList": [{"errLogMessage": "Invalid Username or Password", "errorCode": 5}]}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let err = password_client(&server)
        .trigger(&document_backup())
        .await
        .unwrap_err();
    let text = err.to_string();
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
    assert!(
        text.contains("Invalid Username or Password") && text.contains("error 5"),
        "{text}"
    );
    assert!(text.contains("COMMVAULT_USERNAME"), "{text}");
    assert_eq!(
        err.code(),
        Some("5"),
        "the login's errorCode is the error's code"
    );
    assert!(
        server
            .received_requests()
            .await
            .unwrap()
            .iter()
            .all(|r| !r.url.path().ends_with("CreateTask"))
    );
}

#[tokio::test]
async fn supplied_token_gets_the_qsdk_prefix_once() {
    for (given, sent) in [("abc123", "QSDK abc123"), ("QSDK abc123", "QSDK abc123")] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path(format!("{API}/Job/42")))
            .and(header("authtoken", sent))
            .respond_with(ResponseTemplate::new(200).set_body_json(job_body(42, "Running")))
            .expect(1)
            .mount(&server)
            .await;
        let operation = token_client(&server, given)
            .status(&"commvault:42".parse().unwrap())
            .await
            .unwrap();
        assert_eq!(operation.status, OperationStatus::Running);
    }
}

#[tokio::test]
async fn metallic_bearer_form() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/Job/42")))
        .and(header("authorization", "Bearer eyJ.access"))
        .respond_with(ResponseTemplate::new(200).set_body_json(job_body(42, "Waiting")))
        .expect(1)
        .mount(&server)
        .await;
    let client = Client::builder()
        .endpoint(&base(&server))
        .credential(Credential::bearer("eyJ.access".to_owned()))
        .build()
        .unwrap();
    let operation = client
        .status(&"commvault:42".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(operation.status, OperationStatus::Pending);
    let requests = server.received_requests().await.unwrap();
    assert!(header_of(&requests[0], "authtoken").is_none());
}

#[tokio::test]
async fn a_401_renews_the_token_once_then_replays() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/Job/42")))
        .and(header("authtoken", "QSDK old"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"errorMessage": "Access denied", "errorCode": 5})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/RenewLoginToken")))
        .and(header("authtoken", "QSDK old"))
        .and(header("content-type", "application/json"))
        .and(body_json(
            json!({"sessionId": "QSDK old", "deviceId": "backup-rs"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"token": "QSDK new"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/Job/42")))
        .and(header("authtoken", "QSDK new"))
        .respond_with(ResponseTemplate::new(200).set_body_json(job_body(42, "Completed")))
        .expect(1)
        .mount(&server)
        .await;
    let operation = token_client(&server, "old")
        .status(&"commvault:42".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(operation.status, OperationStatus::Succeeded);
}

#[tokio::test]
async fn a_failed_renewal_logs_in_again() {
    let server = MockServer::start().await;
    mount_login(&server, "QSDK first", 1).await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/CreateTask")))
        .and(header("authtoken", "QSDK first"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"errorMessage": "Access denied", "errorCode": 5})),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/RenewLoginToken")))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"errorMessage": "Access denied", "errorCode": 5})),
        )
        .expect(1)
        .mount(&server)
        .await;
    // The second login answers another token.
    Mock::given(method("POST"))
        .and(path(format!("{API}/Login")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"token": "QSDK second", "userName": "admin"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/CreateTask")))
        .and(header("authtoken", "QSDK second"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"taskId": 7, "jobIds": ["8"]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let operations = password_client(&server)
        .trigger(&document_backup())
        .await
        .unwrap();
    assert_eq!(operations[0].reference.id, "8");
}

#[tokio::test]
async fn a_second_401_is_an_auth_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/Job/42")))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"errorMessage": "Access denied", "errorCode": 5})),
        )
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/RenewLoginToken")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"token": "QSDK new"})))
        .expect(1)
        .mount(&server)
        .await;
    let err = token_client(&server, "old")
        .status(&"commvault:42".parse().unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Auth {
                status: Some(401),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("Access denied"), "{err}");
}

#[tokio::test]
async fn logout_posts_the_token_and_forgets_it() {
    let server = MockServer::start().await;
    mount_login(&server, "QSDK s1", 2).await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/Logout")))
        .and(header("authtoken", "QSDK s1"))
        .respond_with(ResponseTemplate::new(200).set_body_string("User logged out"))
        .expect(1)
        .mount(&server)
        .await;
    let client = password_client(&server);
    client.login().await.unwrap();
    client.logout().await.unwrap();
    // Nothing to log out any more.
    client.logout().await.unwrap();
    // The next request logs in again.
    client.login().await.unwrap();
}

#[tokio::test]
async fn job_control_paths() {
    let server = MockServer::start().await;
    for action in ["kill", "pause", "resume"] {
        Mock::given(method("POST"))
            .and(path(format!("{API}/Job/5976/action/{action}")))
            .and(header("authtoken", "QSDK t"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"errorCode": 0})))
            .expect(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path(format!("{API}/Job/5976")))
        .respond_with(ResponseTemplate::new(200).set_body_json(job_body(5976, "Killed")))
        .expect(3)
        .mount(&server)
        .await;
    let client = token_client(&server, "t");
    let reference = "commvault:5976".parse().unwrap();
    assert_eq!(
        client.cancel(&reference).await.unwrap().status,
        OperationStatus::Cancelled
    );
    client.suspend(&reference).await.unwrap();
    client.resume(&reference).await.unwrap();
}

#[tokio::test]
async fn refused_kill_is_an_api_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/Job/5976/action/kill")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"errorCode": 2, "errorMessage": "Job is already finished"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = token_client(&server, "t")
        .cancel(&"commvault:5976".parse().unwrap())
        .await
        .unwrap_err();
    let api = err.api().unwrap();
    assert_eq!((api.status, api.code.as_deref()), (200, Some("2")));
}

#[tokio::test]
async fn error_in_a_200_is_an_api_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/CreateTask")))
        .respond_with(ResponseTemplate::new(200).set_body_raw(SAMPLE_ERROR, "application/xml"))
        .expect(1)
        .mount(&server)
        .await;
    let err = token_client(&server, "t")
        .trigger(&document_backup())
        .await
        .unwrap_err();
    let api = err.api().unwrap();
    assert_eq!(api.status, 200);
    assert_eq!(api.code.as_deref(), Some("587207178"));
    assert_eq!(
        api.message,
        "Failed to start backups as no eligible subclients were found."
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn json_error_forms_in_a_200() {
    for body in [
        json!({"errorCode": 587_207_178, "errorMessage": "no eligible subclients"}),
        json!({"errList": [{"errorCode": 587_207_178, "errLogMessage": "no eligible subclients"}]}),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(format!("{API}/CreateTask")))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(&server)
            .await;
        let err = token_client(&server, "t")
            .trigger(&document_backup())
            .await
            .unwrap_err();
        let api = err.api().unwrap();
        assert_eq!(
            (api.status, api.code.as_deref(), api.message.as_str()),
            (200, Some("587207178"), "no eligible subclients")
        );
    }
}

#[tokio::test]
async fn a_task_without_jobs_is_never_a_success() {
    for body in [
        r#"<TMMsg_CreateTaskResp taskId="4038"/>"#,
        r#"{"taskId":4038,"jobIds":[]}"#,
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(format!("{API}/CreateTask")))
            .respond_with(ResponseTemplate::new(200).set_body_string(body))
            .mount(&server)
            .await;
        let client = token_client(&server, "t");
        let err = client.trigger(&document_backup()).await.unwrap_err();
        assert!(err.to_string().contains("task 4038"), "{err}");
        assert!(
            err.to_string().contains("scheduled, no job started"),
            "{err}"
        );
        assert_eq!(err.api().unwrap().status, 200);
        let task = client.create_task(&document_backup()).await.unwrap();
        assert!(task.is_scheduled_only());
    }
}

#[tokio::test]
async fn json_request_format() {
    let server = MockServer::start().await;
    let expected: serde_json::Value =
        serde_json::from_str(&document_backup().to_task().unwrap().to_json().unwrap()).unwrap();
    Mock::given(method("POST"))
        .and(path(format!("{API}/CreateTask")))
        .and(header("content-type", "application/json"))
        .and(header("accept", "application/json"))
        .and(body_json(expected))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"taskId": 4038, "jobIds": ["149806", "149807"]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = Client::builder()
        .endpoint(&base(&server))
        .token("t".to_owned())
        .format(Format::Json)
        .build()
        .unwrap();
    let operations = client.trigger(&document_backup()).await.unwrap();
    let ids: Vec<_> = operations.iter().map(|o| o.reference.to_string()).collect();
    assert_eq!(ids, ["commvault:149806", "commvault:149807"]);
}

#[tokio::test]
async fn ids_stay_one_path_segment() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/Job/a%2Fb%3Fc%23d%25e")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"jobs": [{"jobSummary": {"status": "Running"}}]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = token_client(&server, "t");
    // A raw read takes any usable id, sent as one path segment.
    let job = client.job("a/b?c#d%e").await.unwrap();
    assert_eq!(job.status.as_deref(), Some("Running"));
    // A reference holds a job id (a positive integer): anything else is refused
    // before a request, for a read as for a kill.
    for id in ["a/b?c#d%e", "../1"] {
        let reference = backup_commvault::OperationRef::new("commvault", id);
        for err in [
            client.status(&reference).await.unwrap_err(),
            client.cancel(&reference).await.unwrap_err(),
        ] {
            assert!(
                matches!(&err, Error::InvalidInput { field, .. } if field == "reference"),
                "{err:?}"
            );
        }
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn invalid_input_sends_nothing() {
    let server = MockServer::start().await;
    let client = token_client(&server, "t");
    for id in ["", " ", "..", ".", "a\nb", "abc", "-1", "0", "007", "5976 "] {
        let err = client
            .status(&backup_commvault::OperationRef::new("commvault", id))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::InvalidInput { field, .. } if field == "reference"),
            "{err:?}"
        );
    }
    for id in ["", "..", "a\nb"] {
        let err = client.job(id).await.unwrap_err();
        assert!(
            matches!(&err, Error::InvalidInput { field, .. } if field == "job_id"),
            "{err:?}"
        );
    }
    let err = client
        .status(&"veeam:1".parse().unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput { field, .. } if field == "reference"),
        "{err:?}"
    );
    for (request, field) in [
        (
            backup_commvault::TriggerRequest::new("", "s"),
            "client_name",
        ),
        (
            backup_commvault::TriggerRequest::new("c", " "),
            "subclient_name",
        ),
        (
            backup_commvault::TriggerRequest::new("c", "s").app_name("a\u{0}"),
            "app_name",
        ),
    ] {
        let err = client.trigger(&request).await.unwrap_err();
        assert!(
            matches!(&err, Error::InvalidInput { field: f, .. } if f == field),
            "{err:?}"
        );
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn builder_checks_its_settings() {
    let cases: [(backup_commvault::ClientBuilder, &str); 5] = [
        (Client::builder().token("t".to_owned()), "endpoint"),
        (
            Client::builder().endpoint("ftp://x").token("t".to_owned()),
            "endpoint",
        ),
        (
            Client::builder().endpoint("https://cs.example.com"),
            "credential",
        ),
        (
            Client::builder()
                .endpoint("https://cs.example.com")
                .token(" ".to_owned()),
            "credential",
        ),
        (
            Client::builder()
                .endpoint("https://cs.example.com")
                .username_password("", "p"),
            "username",
        ),
    ];
    for (builder, field) in cases {
        let err = builder.build().unwrap_err();
        assert!(
            matches!(&err, Error::InvalidInput { field: f, .. } if f == field),
            "{err:?}"
        );
    }
    let client = Client::builder()
        .endpoint("https://cs.example.com")
        .token("t".to_owned())
        .build()
        .unwrap();
    assert_eq!(
        client.endpoint().as_str(),
        "https://cs.example.com/commandcenter/api/"
    );
    let client = Client::builder()
        .endpoint("http://cs:81/webconsole/api")
        .token("t".to_owned())
        .build()
        .unwrap();
    assert_eq!(client.endpoint().as_str(), "http://cs:81/webconsole/api/");
    // A private CA for an on-premises CommServe (test-only certificate, no key kept).
    let client = Client::builder()
        .endpoint("https://cs.example.com")
        .token("t".to_owned())
        .root_certificate_pem(include_bytes!("../fixtures/test-only-ca.pem").to_vec())
        .build();
    assert!(client.is_ok(), "{client:?}");
    assert!(
        Client::builder()
            .endpoint("https://cs.example.com")
            .token("t".to_owned())
            .danger_accept_invalid_certs(true)
            .build()
            .is_ok()
    );
}

#[tokio::test]
async fn from_environment_names() {
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    };
    let builder = backup_commvault::ClientBuilder::from_lookup(&env(&[
        (
            "COMMVAULT_API_URL",
            "https://cs.example.com/webconsole/api/",
        ),
        ("COMMVAULT_USERNAME", "admin"),
        ("COMMVAULT_PASSWORD", "secret-pw"),
    ]))
    .unwrap();
    assert!(format!("{builder:?}").contains("Password"));
    assert_eq!(
        builder.build().unwrap().endpoint().path(),
        "/webconsole/api/"
    );
    let builder = backup_commvault::ClientBuilder::from_lookup(&env(&[
        ("COMMVAULT_API_URL", "https://cs.example.com"),
        ("COMMVAULT_AUTHTOKEN", "QSDK abc"),
    ]))
    .unwrap();
    assert!(format!("{builder:?}").contains("Token"));
    for pairs in [
        &[("COMMVAULT_USERNAME", "a"), ("COMMVAULT_PASSWORD", "b")][..],
        &[("COMMVAULT_API_URL", "https://x")][..],
        &[
            ("COMMVAULT_API_URL", "https://x"),
            ("COMMVAULT_USERNAME", "a"),
        ][..],
    ] {
        let pairs: &'static [(&'static str, &'static str)] =
            Box::leak(pairs.to_vec().into_boxed_slice());
        let err = backup_commvault::ClientBuilder::from_lookup(&env(pairs)).unwrap_err();
        assert!(matches!(err, Error::Config { .. }), "{err:?}");
        assert!(err.to_string().contains("COMMVAULT_"), "{err}");
    }
}

#[test]
fn config_endpoint_wins_and_the_ca_file_is_read() {
    use backup_commvault::{ClientBuilder, Config};

    let env = |name: &str| match name {
        "COMMVAULT_API_URL" => Some("https://from-env.example.com".to_owned()),
        "COMMVAULT_AUTHTOKEN" => Some("QSDK abc".to_owned()),
        _ => None,
    };
    let from_env = ClientBuilder::from_config(&Config::default(), &env)
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(
        from_env.endpoint().as_str(),
        "https://from-env.example.com/commandcenter/api/"
    );
    let ca = format!(
        "{}/tests/fixtures/test-only-ca.pem",
        env!("CARGO_MANIFEST_DIR")
    );
    let config = Config {
        endpoint: Some("https://from-config.example.com/webconsole/api/".to_owned()),
        ca_cert: Some(ca.into()),
        insecure: true,
    };
    let client = ClientBuilder::from_config(&config, &env)
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(
        client.endpoint().as_str(),
        "https://from-config.example.com/webconsole/api/"
    );
    // The endpoint may come from the config alone; credentials never do.
    let only_token = |name: &str| (name == "COMMVAULT_AUTHTOKEN").then(|| "t".to_owned());
    let config = Config {
        endpoint: Some("https://cs.example.com".to_owned()),
        ..Config::default()
    };
    assert!(ClientBuilder::from_config(&config, &only_token).is_ok());
    let err = ClientBuilder::from_config(&config, &|_: &str| None).unwrap_err();
    assert!(matches!(err, Error::Config { .. }), "{err:?}");
    assert!(err.to_string().contains("COMMVAULT_AUTHTOKEN"), "{err}");
    let err = ClientBuilder::from_config(&Config::default(), &only_token).unwrap_err();
    assert!(matches!(err, Error::Config { .. }), "{err:?}");
    assert!(err.to_string().contains("COMMVAULT_API_URL"), "{err}");
    // An unreadable CA file is a configuration error naming the file.
    let config = Config {
        ca_cert: Some("/nonexistent/commvault-ca.pem".into()),
        ..Config::default()
    };
    let err = ClientBuilder::from_config(&config, &env).unwrap_err();
    assert!(matches!(err, Error::Config { .. }), "{err:?}");
    assert!(
        err.to_string().contains("/nonexistent/commvault-ca.pem"),
        "{err}"
    );
}

#[test]
fn params_make_the_request_or_name_the_field_at_fault() {
    use backup_commvault::{BackupLevel, TriggerParams, TriggerRequest};

    let params = TriggerParams {
        client: "s-adhoc-object-storage".to_owned(),
        instance: "s-adhoc-object-storage".to_owned(),
        backupset: "defaultBackupSet".to_owned(),
        subclient: "stestgroup".to_owned(),
        app_name: "Cloud Apps".to_owned(),
        storage_policy: Some("default-plan".to_owned()),
        level: None,
        directive_file: Some("/sk/s-directive-file-blob.txt".into()),
    };
    assert_eq!(Client::request(&params).unwrap(), document_backup());
    let full = TriggerParams {
        level: Some(BackupLevel::Full),
        storage_policy: None,
        directive_file: None,
        ..params.clone()
    };
    assert_eq!(
        Client::request(&full).unwrap(),
        TriggerRequest::new("s-adhoc-object-storage", "stestgroup")
            .instance_name("s-adhoc-object-storage")
            .backupset_name("defaultBackupSet")
            .app_name("Cloud Apps")
            .backup_level(BackupLevel::Full)
    );
    type Spoil = fn(&mut TriggerParams);
    let cases: [(Spoil, &str); 7] = [
        (|p| p.client = String::new(), "client"),
        (|p| p.instance = " ".to_owned(), "instance"),
        (|p| p.backupset = "..".to_owned(), "backupset"),
        (|p| p.subclient = "a\nb".to_owned(), "subclient"),
        (|p| p.app_name = " File System".to_owned(), "app_name"),
        (|p| p.storage_policy = Some(String::new()), "storage_policy"),
        (|p| p.directive_file = Some("".into()), "directive_file"),
    ];
    for (spoil, field) in cases {
        let mut bad = params.clone();
        spoil(&mut bad);
        let err = Client::request(&bad).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidInput { field: f, .. } if f == field),
            "{field}: {err:?}"
        );
    }
    // Plans name the level as they always have.
    let toml_like = serde_json::json!({
        "client": "c", "instance": "i", "backupset": "b", "subclient": "s",
        "app_name": "File System", "level": "synthetic-full",
    });
    let parsed: TriggerParams = serde_json::from_value(toml_like).unwrap();
    assert_eq!(parsed.level, Some(BackupLevel::SyntheticFull));
    let unknown = serde_json::json!({
        "client": "c", "instance": "i", "backupset": "b", "subclient": "s",
        "app_name": "a", "plan": "x",
    });
    assert!(serde_json::from_value::<TriggerParams>(unknown).is_err());
}

#[tokio::test]
async fn unknown_job_is_not_found() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/Job/9")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"totalRecordsWithoutPaging": 0})),
        )
        .mount(&server)
        .await;
    let err = token_client(&server, "t")
        .status(&"commvault:9".parse().unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.api().unwrap().kind, ApiErrorKind::NotFound);
}

#[tokio::test]
async fn unparsable_answers_give_clear_errors() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/Job/1")))
        .respond_with(ResponseTemplate::new(502).set_body_raw(
            "<html><body><h1>502 Bad Gateway</h1></body></html>",
            "text/html",
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/Job/2")))
        .respond_with(ResponseTemplate::new(200).set_body_raw("{\"jobs\": [", "application/json"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/CreateTask")))
        .respond_with(ResponseTemplate::new(200).set_body_raw("<html>proxy</html>", "text/html"))
        .expect(1)
        .mount(&server)
        .await;
    let client = Client::builder()
        .endpoint(&base(&server))
        .token("t".to_owned())
        .retry(backup_core::RetryPolicy::never())
        .build()
        .unwrap();
    let err = client
        .status(&"commvault:1".parse().unwrap())
        .await
        .unwrap_err();
    let api = err.api().unwrap();
    assert_eq!(api.status, 502);
    assert!(api.message.contains("502 Bad Gateway"), "{api:?}");
    let err = client
        .status(&"commvault:2".parse().unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode { status: 200, .. }), "{err:?}");
    let err = client.trigger(&document_backup()).await.unwrap_err();
    assert!(matches!(err, Error::OutcomeUnknown { .. }), "{err:?}");
    assert!(err.to_string().contains("proxy"), "{err}");
}

#[tokio::test]
async fn non_2xx_commvault_bodies_are_decoded() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/Job/1")))
        .respond_with(
            ResponseTemplate::new(404)
                .insert_header("x-request-id", "rid-1")
                .set_body_raw(
                    r#"<CVGui_GenericResp errorMessage="Job not found" errorCode="2"/>"#,
                    "application/xml",
                ),
        )
        .mount(&server)
        .await;
    let err = token_client(&server, "t")
        .status(&"commvault:1".parse().unwrap())
        .await
        .unwrap_err();
    let api = err.api().unwrap();
    assert_eq!(
        (api.status, api.kind, api.code.as_deref()),
        (404, ApiErrorKind::NotFound, Some("2"))
    );
    assert_eq!(api.message, "Job not found");
    assert_eq!(err.request_id(), Some("rid-1"));
}
