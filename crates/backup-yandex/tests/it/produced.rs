//! What a backup produced (`BackupClient::produced`, made by `wait` after a successful
//! end): the exact reads with wiremock, and the emulator's `Backup.List` behind them.

use std::time::Duration;

use backup_core::testing::SingleOperation;
use backup_yandex::prelude::*;
use backup_yandex::{Client, Credential, Error, OperationStatus, RetryPolicy, WaitOptions};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn fast() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
        budget: Duration::from_secs(5),
        jitter: false,
    }
}

fn client(server: &MockServer) -> Client {
    Client::builder()
        .backup_endpoint(&server.uri())
        .operation_endpoint(&format!("{}/op/", server.uri()))
        .credential(Credential::iam_token("t1.static"))
        .retry(fast())
        .build()
        .unwrap()
}

fn every() -> WaitOptions {
    WaitOptions::every(Duration::from_millis(5))
}

/// A `Policy.Execute` operation that ran from 03:04:05 to 03:09:05.
fn operation(error: Option<Value>) -> Value {
    let mut op = json!({
        "id": "cdgop1",
        "description": "Execute backup policy",
        "createdAt": "2026-01-02T03:04:05.123456789Z",
        "createdBy": "aje-sa",
        "modifiedAt": "2026-01-02T03:09:05Z",
        "done": true,
        "metadata": {
            "@type": "type.googleapis.com/yandex.cloud.backup.v1.ExecuteMetadata",
            "policyId": "p1",
            "computeInstanceId": "i1",
            "progressPercentage": "100"
        }
    });
    match error {
        Some(error) => op["error"] = error,
        None => op["response"] = json!({ "@type": "type.googleapis.com/google.protobuf.Empty" }),
    }
    op
}

fn backup(id: &str, created_at: &str, size: &str) -> Value {
    json!({
        "id": id,
        "vaultId": "vault1",
        "archiveId": "archive1",
        "createdAt": created_at,
        "size": size,
        "computeInstanceId": "i1",
        "type": "INCREMENTAL",
        "deleted": false,
        "policyId": "p1",
    })
}

/// The operation answers "running" once (the `status` that starts the wait), then
/// `body`.
async fn mount_operation(server: &MockServer, body: Value) {
    let mut running = body.clone();
    running["done"] = json!(false);
    running.as_object_mut().unwrap().remove("response");
    running.as_object_mut().unwrap().remove("error");
    Mock::given(method("GET"))
        .and(path("/op/operations/cdgop1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(running))
        .up_to_n_times(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/op/operations/cdgop1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

async fn list_requests(server: &MockServer) -> usize {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/backup/v1/backups")
        .count()
}

async fn operation_reads(server: &MockServer) -> usize {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/op/operations/cdgop1")
        .count()
}

#[tokio::test]
async fn list_backups_request_is_exact() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/backup/v1/backups"))
        .and(query_param("instancePolicy.computeInstanceId", "i 1/x"))
        .and(query_param("instancePolicy.policyId", "p1"))
        .and(query_param("pageSize", "100"))
        .and(header("authorization", "Bearer t1.static"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    let list = client(&server).list_backups("p1", "i 1/x").await.unwrap();
    assert!(list.backups.is_empty());
    let requests = server.received_requests().await.unwrap();
    assert_eq!(
        requests[0].url.query(),
        Some("instancePolicy.computeInstanceId=i+1%2Fx&instancePolicy.policyId=p1&pageSize=100")
    );
    assert_eq!(requests[0].method.as_str(), "GET");
    assert!(requests[0].body.is_empty());
}

#[tokio::test]
async fn bad_ids_are_refused_before_listing() {
    let server = MockServer::start().await;
    let client = client(&server);
    for (policy, instance, field) in [
        ("", "i1", "policy_id"),
        ("p1", "", "compute_instance_id"),
        ("p1", &"i".repeat(51), "compute_instance_id"),
    ] {
        let error = client.list_backups(policy, instance).await.unwrap_err();
        assert!(
            matches!(&error, Error::InvalidInput { field: f, .. } if f == field),
            "{error}"
        );
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn wait_reads_the_operation_then_the_backup_it_made() {
    let server = MockServer::start().await;
    mount_operation(&server, operation(None)).await;
    Mock::given(method("GET"))
        .and(path("/backup/v1/backups"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "backups": [
                // Newest first: one after the run (a scheduled backup), the run's own,
                // and one before the run.
                backup("later", "2026-01-02T03:30:00Z", "100"),
                backup("mine", "2026-01-02T03:04:07Z", "52428800"),
                backup("earlier", "2026-01-01T03:00:00Z", "1610612736"),
            ]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let start = client
        .status(&backup_yandex::OperationRef::new("yandex", "cdgop1"))
        .await
        .unwrap();
    assert_eq!(operation_reads(&server).await, 1);
    let done = client.wait(start, every()).await.unwrap();
    assert_eq!(done.status, OperationStatus::Succeeded);
    assert_eq!(done.produced.len(), 1);
    assert_eq!(
        (done.produced[0].kind.as_str(), done.produced[0].id.as_str()),
        ("backup", "mine")
    );
    assert_eq!(done.size_bytes, Some(52_428_800));
    assert_eq!(done.duration(), Some(Duration::new(299, 876_543_211)));
    assert!(done.warnings.is_empty(), "{:?}", done.warnings);
    // The wait's poll that sees it done, then the follow-up: the operation once more
    // and one list.
    assert_eq!(operation_reads(&server).await, 1 + 1 + 1);
    assert_eq!(list_requests(&server).await, 1);
}

#[tokio::test]
async fn follow_up_off_reads_nothing_more() {
    let server = MockServer::start().await;
    mount_operation(&server, operation(None)).await;
    let client = client(&server);
    let start = client
        .status(&backup_yandex::OperationRef::new("yandex", "cdgop1"))
        .await
        .unwrap();
    let done = client.wait(start, every().follow_up(false)).await.unwrap();
    assert!(done.produced.is_empty());
    assert_eq!(done.size_bytes, None);
    assert_eq!(operation_reads(&server).await, 1 + 1);
    assert_eq!(list_requests(&server).await, 0);
}

#[tokio::test]
async fn a_failed_run_reads_no_backups() {
    let server = MockServer::start().await;
    mount_operation(
        &server,
        operation(Some(
            json!({"code": 13, "message": "agent lost", "details": []}),
        )),
    )
    .await;
    let client = client(&server);
    let start = client
        .status(&backup_yandex::OperationRef::new("yandex", "cdgop1"))
        .await
        .unwrap();
    let Error::OperationFailed(failed) = client.wait(start, every()).await.unwrap_err() else {
        panic!("not a failure");
    };
    assert_eq!(failed.status, OperationStatus::Failed);
    // `produced` itself leaves an operation that did not succeed alone.
    let same = client.produced(&failed).await.unwrap();
    assert_eq!(same, *failed);
    assert_eq!(list_requests(&server).await, 0);
}

#[tokio::test]
async fn no_backup_of_the_run_is_a_warning() {
    let server = MockServer::start().await;
    mount_operation(&server, operation(None)).await;
    Mock::given(method("GET"))
        .and(path("/backup/v1/backups"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "backups": [backup("earlier", "2026-01-01T03:00:00Z", "1")]
        })))
        .mount(&server)
        .await;
    let client = client(&server);
    let start = client
        .status(&backup_yandex::OperationRef::new("yandex", "cdgop1"))
        .await
        .unwrap();
    let done = client.wait(start, every()).await.unwrap();
    assert_eq!(done.status, OperationStatus::Succeeded);
    assert!(done.produced.is_empty());
    assert_eq!(
        done.warnings,
        [
            "Cloud Backup lists no backup of instance i1 by policy p1 created while operation \
          cdgop1 ran (from 2026-01-02T03:04:05.123456789Z to 2026-01-02T03:09:05Z)"
        ]
    );
}

#[tokio::test]
async fn a_refused_list_is_a_warning_and_the_operation_stands() {
    let server = MockServer::start().await;
    mount_operation(&server, operation(None)).await;
    Mock::given(method("GET"))
        .and(path("/backup/v1/backups"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({
            "code": 7,
            "message": "Permission denied",
            "details": [{"@type": "type.googleapis.com/google.rpc.RequestInfo", "requestId": "r-403"}]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let start = client
        .status(&backup_yandex::OperationRef::new("yandex", "cdgop1"))
        .await
        .unwrap();
    let done = client.wait(start, every()).await.unwrap();
    assert_eq!(done.status, OperationStatus::Succeeded);
    assert!(done.produced.is_empty());
    assert_eq!(done.warnings.len(), 1);
    let warning = &done.warnings[0];
    assert!(
        warning.starts_with("could not read what the backup made:")
            && warning.contains("PERMISSION_DENIED")
            && warning.contains("r-403"),
        "{warning}"
    );
}

#[tokio::test]
async fn several_backups_in_the_run_report_the_first() {
    let server = MockServer::start().await;
    mount_operation(&server, operation(None)).await;
    let mut deleted = backup("gone", "2026-01-02T03:04:06Z", "1");
    deleted["deleted"] = json!(true);
    Mock::given(method("GET"))
        .and(path("/backup/v1/backups"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "backups": [
                backup("second", "2026-01-02T03:08:00Z", "2"),
                backup("first", "2026-01-02T03:04:07Z", "3"),
                deleted,
                // Another policy's backup of the instance is not this run's.
                json!({"id": "other", "createdAt": "2026-01-02T03:04:06Z", "policyId": "p2",
                       "computeInstanceId": "i1"}),
            ]
        })))
        .mount(&server)
        .await;
    let client = client(&server);
    let start = client
        .status(&backup_yandex::OperationRef::new("yandex", "cdgop1"))
        .await
        .unwrap();
    let done = client.wait(start, every()).await.unwrap();
    assert_eq!(done.produced[0].id, "first");
    assert_eq!(done.size_bytes, Some(3));
    assert_eq!(
        done.warnings,
        [
            "backup gone made while operation cdgop1 ran is already deleted",
            "2 backups were created while operation cdgop1 ran; first, the first, is reported \
             (the others: second)"
        ]
    );
}

#[cfg(feature = "emulator")]
mod on_the_emulator {
    use super::*;
    use backup_core::emulator::{LifecycleSpec, RouteClass};
    use backup_yandex::emulator::{DEMO_FOLDER_ID, DEMO_INSTANCE_ID, DEMO_POLICY_ID, Emulator};
    use backup_yandex::model::{BackupType, ListBackupsResponse};

    async fn raw_list(emulator: &Emulator, query: &str) -> (u16, Value) {
        let url = emulator
            .url()
            .join(&format!("backup/v1/backups?{query}"))
            .unwrap();
        let answer = reqwest::Client::new()
            .get(url)
            .bearer_auth(emulator.issue_iam_token())
            .send()
            .await
            .unwrap();
        let status = answer.status().as_u16();
        (
            status,
            serde_json::from_str(&answer.text().await.unwrap()).unwrap(),
        )
    }

    #[tokio::test]
    async fn each_run_reports_the_backup_it_made() {
        let emulator = Emulator::start().await.unwrap();
        let client = emulator.client_builder().build().unwrap();
        let mut made = Vec::new();
        for (expected_type, expected_size) in [
            (BackupType::Full, 1_610_612_736),
            (BackupType::Incremental, 52_428_800),
        ] {
            let operation = client
                .trigger(&emulator.demo_request())
                .await
                .unwrap()
                .single();
            let done = client.wait(operation, every()).await.unwrap();
            assert_eq!(done.status, OperationStatus::Succeeded);
            assert_eq!(done.produced.len(), 1, "{:?}", done.warnings);
            assert_eq!(done.produced[0].kind, "backup");
            assert_eq!(done.size_bytes, Some(expected_size));
            assert!(done.duration().is_some());
            assert!(done.warnings.is_empty(), "{:?}", done.warnings);
            let list = client
                .list_backups(DEMO_POLICY_ID, DEMO_INSTANCE_ID)
                .await
                .unwrap();
            let newest = &list.backups[0];
            assert_eq!(newest.id, done.produced[0].id);
            assert_eq!(newest.backup_type, Some(expected_type));
            assert_eq!(newest.size_bytes(), Some(expected_size));
            assert_eq!(newest.policy_id.as_deref(), Some(DEMO_POLICY_ID));
            made.push(done.produced[0].id.clone());
        }
        assert_ne!(made[0], made[1]);
        // Newest first by default, oldest first when asked; every selector finds them.
        let (status, ascending) = raw_list(
            &emulator,
            &format!("computeInstanceId={DEMO_INSTANCE_ID}&orderBy=createdAt%20asc"),
        )
        .await;
        assert_eq!(status, 200);
        let ascending: ListBackupsResponse = serde_json::from_value(ascending).unwrap();
        let ids: Vec<&str> = ascending.backups.iter().map(|b| b.id.as_str()).collect();
        assert_eq!(ids, [made[0].as_str(), made[1].as_str()]);
        for query in [
            format!("policyId={DEMO_POLICY_ID}"),
            format!("folderId={DEMO_FOLDER_ID}"),
            format!("instancePolicy.computeInstanceId={DEMO_INSTANCE_ID}&pageSize=1"),
        ] {
            let (status, body) = raw_list(&emulator, &query).await;
            assert_eq!(status, 200, "{query}");
            let expected = if query.ends_with("pageSize=1") { 1 } else { 2 };
            assert_eq!(
                body["backups"].as_array().unwrap().len(),
                expected,
                "{query}"
            );
            // int64 sizes are strings in the REST mapping.
            assert!(body["backups"][0]["size"].is_string(), "{query}");
        }
        assert_eq!(emulator.accepted_backups(), 2);
    }

    #[tokio::test]
    async fn failed_and_running_runs_make_no_backup() {
        let emulator = Emulator::start().await.unwrap();
        emulator.set_lifecycle(LifecycleSpec::after_polls(2).failing("disk full"));
        let client = emulator.client_builder().build().unwrap();
        let operation = client
            .trigger(&emulator.demo_request())
            .await
            .unwrap()
            .single();
        let Error::OperationFailed(failed) = client.wait(operation, every()).await.unwrap_err()
        else {
            panic!("not a failure");
        };
        assert!(failed.produced.is_empty());
        // The operation's error carries the request id of the execute that started it.
        let (raw, _) = client.get_operation(&failed.reference).await.unwrap();
        let request_id = raw.error.as_ref().and_then(|e| e.request_id()).unwrap();
        assert!(uuid::Uuid::parse_str(request_id).is_ok(), "{request_id}");
        // A run still going has made nothing yet either.
        emulator.set_lifecycle(LifecycleSpec::after_polls(100));
        client.trigger(&emulator.demo_request()).await.unwrap();
        let list = client
            .list_backups(DEMO_POLICY_ID, DEMO_INSTANCE_ID)
            .await
            .unwrap();
        assert!(list.backups.is_empty());
        assert_eq!(emulator.requests().count(RouteClass::Trigger), 2);
    }

    #[tokio::test]
    async fn list_queries_are_validated() {
        let emulator = Emulator::start().await.unwrap();
        for (query, status, code) in [
            ("", 400, 3),
            (
                &format!("computeInstanceId={DEMO_INSTANCE_ID}&policyId={DEMO_POLICY_ID}") as &str,
                400,
                3,
            ),
            (
                &format!("computeInstanceId={DEMO_INSTANCE_ID}&filter=created_at%3E%222026%22"),
                400,
                3,
            ),
            (
                &format!("computeInstanceId={DEMO_INSTANCE_ID}&limit=5"),
                400,
                3,
            ),
            (
                &format!("computeInstanceId={DEMO_INSTANCE_ID}&orderBy=size"),
                400,
                3,
            ),
            (
                &format!("computeInstanceId={DEMO_INSTANCE_ID}&pageSize=1001"),
                400,
                3,
            ),
            ("folderId=b1gotherfolder", 404, 5),
            ("archive.archiveId=a1", 400, 3),
            ("instancePolicy.policyId=", 400, 3),
        ] {
            let (got, body) = raw_list(&emulator, query).await;
            assert_eq!(
                (got, body["code"].as_i64()),
                (status, Some(code)),
                "{query}: {body}"
            );
            assert_eq!(
                body["details"][0]["@type"],
                "type.googleapis.com/google.rpc.RequestInfo"
            );
        }
        // Without a token: UNAUTHENTICATED.
        let url = emulator
            .url()
            .join(&format!(
                "backup/v1/backups?computeInstanceId={DEMO_INSTANCE_ID}"
            ))
            .unwrap();
        let answer = reqwest::get(url).await.unwrap();
        assert_eq!(answer.status(), 401);
        let body: Value = serde_json::from_str(&answer.text().await.unwrap()).unwrap();
        assert_eq!(body["code"], 16);
    }
}
