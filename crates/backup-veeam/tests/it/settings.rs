//! The contract's flat types and constructors: `TriggerParams` -> `TriggerRequest`,
//! `Config` (serde; set values win over the environment; the CA file read at
//! `from_config`), `ENVIRONMENT`, and the reference ids this vendor accepts.

use std::path::PathBuf;

use backup_veeam::prelude::*;
use backup_veeam::{
    ApiVersion, Client, ClientBuilder, Config, ENVIRONMENT, Error, OperationRef, TriggerParams,
    TriggerRequest,
};
use wiremock::matchers::{method, path};

use crate::common::{password_client, vars};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
}

#[test]
fn params_make_the_request_and_name_the_field_at_fault() {
    let params = TriggerParams {
        policy: "4094906f-2d81-4a73-b9bc-00482690c285".to_owned(),
    };
    assert_eq!(
        Client::request(&params).unwrap(),
        TriggerRequest::new("4094906f-2d81-4a73-b9bc-00482690c285")
    );
    for bad in ["", " ", "..", "a\nb", " padded"] {
        let err = Client::request(&TriggerParams {
            policy: bad.to_owned(),
        })
        .unwrap_err();
        assert!(
            matches!(err, Error::InvalidInput { ref field, .. } if field == "policy"),
            "{bad:?}: {err:?}"
        );
    }
}

#[test]
fn params_and_config_are_strict_serde() {
    let params: TriggerParams = serde_json::from_str(r#"{"policy":"p"}"#).unwrap();
    assert_eq!(params.policy, "p");
    assert!(serde_json::from_str::<TriggerParams>(r#"{"policy":"p","instance":"i"}"#).is_err());
    assert!(serde_json::from_str::<TriggerParams>("{}").is_err());

    assert_eq!(serde_json::to_string(&Config::default()).unwrap(), "{}");
    let config: Config = serde_json::from_str(
        r#"{"endpoint":"https://veeam.example.com","api_version":"v8.1","ca_cert":"/etc/ca.pem","insecure":true}"#,
    )
    .unwrap();
    assert_eq!(
        config,
        Config {
            endpoint: Some("https://veeam.example.com".to_owned()),
            api_version: Some(ApiVersion::V8_1),
            ca_cert: Some(PathBuf::from("/etc/ca.pem")),
            insecure: true,
        }
    );
    let back: Config = serde_json::from_str(&serde_json::to_string(&config).unwrap()).unwrap();
    assert_eq!(back, config);
    // Versions read as leniently as VEEAM_API_VERSION; unknown ones and fields refused.
    let lenient: Config = serde_json::from_str(r#"{"api_version":"V1"}"#).unwrap();
    assert_eq!(lenient.api_version, Some(ApiVersion::V1));
    assert!(serde_json::from_str::<Config>(r#"{"api_version":"v9"}"#).is_err());
    assert!(serde_json::from_str::<Config>(r#"{"region":"eu"}"#).is_err());
}

#[test]
fn the_environment_lists_every_variable_credentials_first() {
    let names: Vec<&str> = ENVIRONMENT.iter().map(|v| v.name).collect();
    assert_eq!(
        names,
        [
            "VEEAM_USERNAME",
            "VEEAM_PASSWORD",
            "VEEAM_ACCESS_TOKEN",
            "VEEAM_URL",
            "VEEAM_API_VERSION"
        ]
    );
    assert_eq!(Client::ENVIRONMENT, ENVIRONMENT);
    assert!(ENVIRONMENT.iter().all(|v| !v.meaning.is_empty()));
}

#[tokio::test]
async fn config_values_win_over_the_environment() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/jobSessions/15"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(r#"{"id":"15","status":"Running"}"#, "application/json"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let config = Config {
        endpoint: Some(server.uri()),
        api_version: Some(ApiVersion::V1),
        ..Config::default()
    };
    // Neither the URL nor the (malformed) version of the environment is read.
    let client = ClientBuilder::from_config(
        &config,
        &vars(&[
            ("VEEAM_URL", "https://elsewhere.invalid"),
            ("VEEAM_API_VERSION", "v2"),
            ("VEEAM_ACCESS_TOKEN", "t"),
        ]),
    )
    .unwrap()
    .fetch_log(false)
    .build()
    .unwrap();
    assert_eq!(client.api_version(), ApiVersion::V1);
    let op = client
        .status(&OperationRef::new("veeam", "15"))
        .await
        .unwrap();
    assert_eq!(op.reference.to_string(), "veeam:v1/15");
    // Credentials never come from the config: without them, nothing is built.
    let err = ClientBuilder::from_config(&config, &vars(&[])).unwrap_err();
    assert!(matches!(err, Error::Config { .. }), "{err:?}");
    assert!(err.to_string().contains("VEEAM_ACCESS_TOKEN"), "{err}");
    // The environment fills what the config leaves out.
    let client = ClientBuilder::from_config(
        &Config::default(),
        &vars(&[
            ("VEEAM_URL", "https://veeam.example.com"),
            ("VEEAM_API_VERSION", "v7"),
            ("VEEAM_ACCESS_TOKEN", "t"),
        ]),
    )
    .unwrap()
    .build()
    .unwrap();
    assert_eq!(client.api_version(), ApiVersion::V7);
}

#[test]
fn the_ca_file_is_read_by_from_config_and_named_when_it_cannot_be() {
    let env = vars(&[
        ("VEEAM_URL", "https://veeam.example.com"),
        ("VEEAM_ACCESS_TOKEN", "t"),
    ]);
    let with = |ca_cert: PathBuf| Config {
        ca_cert: Some(ca_cert),
        ..Config::default()
    };
    ClientBuilder::from_config(&with(fixture_path("test-ca.pem")), &env)
        .unwrap()
        .build()
        .unwrap();
    let missing = fixture_path("no-such-ca.pem");
    let err = ClientBuilder::from_config(&with(missing.clone()), &env).unwrap_err();
    assert!(matches!(err, Error::Config { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&missing.display().to_string()),
        "{err}"
    );
    // A readable file without a certificate is refused when the client is built.
    let err = ClientBuilder::from_config(&with(fixture_path("README.md")), &env)
        .unwrap()
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Config { .. }), "{err:?}");
    // Accepting any certificate is possible, but only when asked for.
    let insecure = Config {
        insecure: true,
        ..Config::default()
    };
    let builder = ClientBuilder::from_config(&insecure, &env).unwrap();
    assert!(format!("{builder:?}").contains("accept_invalid_certs: true"));
    builder.build().unwrap();
    let builder = ClientBuilder::from_config(&Config::default(), &env).unwrap();
    assert!(format!("{builder:?}").contains("accept_invalid_certs: false"));
}

#[tokio::test]
async fn malformed_reference_ids_are_refused_before_sending() {
    for bad in ["v9/14", "/14", "x/../../admin", "v1/", "v8.1/ 14", ""] {
        let err = Client::check_reference_id(bad).unwrap_err();
        assert!(
            matches!(err, Error::InvalidInput { ref field, .. } if field == "reference"),
            "{bad:?}: {err:?}"
        );
        assert!(Client::parse_reference(&format!("veeam:{bad}")).is_err());
    }
    let err = Client::check_reference_id("v9/14").unwrap_err();
    assert!(err.to_string().contains("v9"), "{err}");
    for good in [
        "15",
        "v1/15",
        "v8.1/60a7fe13-6155-460b-8beb-42c3243fef05",
        "v6/a/b",
    ] {
        Client::check_reference_id(good).unwrap();
    }
    let server = MockServer::start().await;
    let client = password_client(&server.uri(), ApiVersion::V8_1);
    let malformed = OperationRef::new("veeam", "v9/14");
    assert!(matches!(
        client.status(&malformed).await,
        Err(Error::InvalidInput { .. })
    ));
    assert!(matches!(
        client.cancel(&malformed).await,
        Err(Error::InvalidInput { .. })
    ));
    assert!(server.received_requests().await.unwrap().is_empty());
}
