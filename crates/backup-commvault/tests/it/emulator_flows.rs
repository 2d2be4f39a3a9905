//! Trigger-and-wait runs on the emulator, with the faults the shared suite (`faults::*`)
//! does not cover (several in a row, Commvault's own bodies, job control, sessions),
//! asserting the outcome and how many backups the emulator started.
#![cfg(feature = "emulator")]

use std::time::Duration;

use backup_commvault::emulator::{
    DEMO_ACCESS_TOKEN, EmulatedSubclient, Emulator, EmulatorOptions, Fault, LifecycleSpec,
    RouteClass,
};
use backup_commvault::prelude::*;
use backup_commvault::{Client, ClientBuilder, Error, Format, OperationStatus, WaitOptions};

use crate::common::fast_retry;

fn every() -> WaitOptions {
    WaitOptions::every(Duration::from_millis(5)).deadline(Some(Duration::from_secs(10)))
}

fn client(emulator: &Emulator) -> Client {
    builder(emulator).build().unwrap()
}

fn builder(emulator: &Emulator) -> ClientBuilder {
    emulator.client_builder().retry(fast_retry())
}

#[tokio::test]
async fn trigger_and_wait_to_completed() {
    let emulator = Emulator::start().await.unwrap();
    let client = client(&emulator);
    let jobs = client.trigger(&emulator.demo_request()).await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].reference.to_string(), "commvault:5976");
    let mut seen = Vec::new();
    let done = client
        .wait(jobs[0].clone(), every())
        .run_with(|op| seen.push((op.vendor_status.clone().unwrap_or_default(), op.progress)))
        .await
        .unwrap();
    let expected = [
        (String::new(), None),
        ("Waiting".to_owned(), Some(0.0)),
        ("Running".to_owned(), Some(0.0)),
        ("Running".to_owned(), Some(50.0)),
        ("Completed".to_owned(), Some(100.0)),
    ];
    assert_eq!(seen, expected);
    assert_eq!(done.status, OperationStatus::Succeeded);
    assert_eq!(done.progress, Some(100.0));
    assert!(done.started_at.is_some() && done.finished_at.is_some());
    assert_eq!(emulator.accepted_backups(), 1);
    assert_eq!(emulator.logins(), 1);
    assert_eq!(emulator.requests().count(RouteClass::Trigger), 1);
}

#[tokio::test]
async fn status_from_a_reference_alone() {
    let emulator = Emulator::start().await.unwrap();
    let jobs = client(&emulator)
        .trigger(&emulator.demo_request())
        .await
        .unwrap();
    let printed = jobs[0].reference.to_string();
    // Another client (another process) with only the printed reference.
    let other = client(&emulator);
    let operation = other.status(&printed.parse().unwrap()).await.unwrap();
    assert_eq!(operation.vendor_status.as_deref(), Some("Waiting"));
    assert_eq!(operation.status, OperationStatus::Pending);
    let job = other.job("5976").await.unwrap();
    assert_eq!(job.backup_level_name.as_deref(), Some("Incremental"));
    assert_eq!(
        job.subclient.unwrap().subclient_name.as_deref(),
        Some("stestgroup")
    );
}

#[tokio::test]
async fn webconsole_path_xml_login_and_json_tasks() {
    let emulator = Emulator::start().await.unwrap();
    let client = builder(&emulator)
        .endpoint(emulator.webconsole_url().as_str())
        .login_format(Format::Xml)
        .format(Format::Json)
        .build()
        .unwrap();
    let jobs = client.trigger(&emulator.demo_request()).await.unwrap();
    client.wait(jobs[0].clone(), every()).await.unwrap();
    assert_eq!(emulator.accepted_backups(), 1);
    assert!(
        emulator
            .requests()
            .records()
            .iter()
            .all(|r| r.path().starts_with("/webconsole/api/"))
    );
}

#[tokio::test]
async fn failure_and_warnings_on_demand() {
    let emulator = Emulator::start().await.unwrap();
    let client = client(&emulator);
    emulator.set_lifecycle(LifecycleSpec::after_polls(1).failing("Disk full on the media agent."));
    let jobs = client.trigger(&emulator.demo_request()).await.unwrap();
    let err = client.wait(jobs[0].clone(), every()).await.unwrap_err();
    let Error::OperationFailed(op) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(op.status, OperationStatus::Failed);
    assert_eq!(op.vendor_status.as_deref(), Some("Failed"));
    assert_eq!(
        op.error.as_ref().unwrap().message,
        "Disk full on the media agent."
    );

    emulator.set_lifecycle(LifecycleSpec::after_polls(1).with_warning());
    let jobs = client.trigger(&emulator.demo_request()).await.unwrap();
    let done = client.wait(jobs[0].clone(), every()).await.unwrap();
    assert_eq!(done.status, OperationStatus::SucceededWithWarnings);
    assert_eq!(
        done.vendor_status.as_deref(),
        Some("Completed w/ one or more errors")
    );
    assert_eq!(emulator.accepted_backups(), 2);
}

#[tokio::test]
async fn unknown_subclient_is_the_documents_error_in_a_200() {
    let emulator = Emulator::start().await.unwrap();
    let client = client(&emulator);
    for request in [
        backup_commvault::TriggerRequest::new("no-such-client", "stestgroup"),
        backup_commvault::TriggerRequest::new("s-adhoc-object-storage", "no-such-subclient"),
        emulator.demo_request().backupset_name("otherBackupSet"),
    ] {
        let err = client.trigger(&request).await.unwrap_err();
        let api = err.api().unwrap_or_else(|| panic!("{err:?}"));
        assert_eq!(api.status, 200);
        assert_eq!(api.code.as_deref(), Some("587207178"));
        assert_eq!(
            api.message,
            "Failed to start backups as no eligible subclients were found."
        );
    }
    assert_eq!(emulator.accepted_backups(), 0);
}

#[tokio::test]
async fn names_with_markup_and_non_ascii_round_trip_through_the_server() {
    let odd = EmulatedSubclient {
        client_name: "cl<i>ent & \"co\"".to_owned(),
        instance_name: "inst 'ä'".to_owned(),
        backupset_name: "set ]]> <![CDATA[".to_owned(),
        subclient_name: "Ünïcødé ✓ 日本".to_owned(),
        app_name: "File System".to_owned(),
    };
    let emulator = Emulator::start_with(EmulatorOptions::default().subclient(odd.clone()))
        .await
        .unwrap();
    for format in [Format::Xml, Format::Json] {
        let client = builder(&emulator).format(format).build().unwrap();
        let jobs = client.trigger(&odd.backup_request()).await.unwrap();
        let job = client.job(&jobs[0].reference.id).await.unwrap();
        let subclient = job.subclient.unwrap();
        assert_eq!(
            subclient.client_name.as_deref(),
            Some(odd.client_name.as_str())
        );
        assert_eq!(
            subclient.subclient_name.as_deref(),
            Some(odd.subclient_name.as_str())
        );
    }
    assert_eq!(emulator.accepted_backups(), 2);
}

#[tokio::test]
async fn kill_cancels_the_job() {
    let emulator = Emulator::start().await.unwrap();
    emulator.set_lifecycle(LifecycleSpec::after_polls(50));
    let client = client(&emulator);
    let jobs = client.trigger(&emulator.demo_request()).await.unwrap();
    let after = client.cancel(&jobs[0].reference).await.unwrap();
    assert_eq!(after.vendor_status.as_deref(), Some("Kill Pending"));
    let err = client.wait(after, every()).await.unwrap_err();
    assert_eq!(err.operation().unwrap().status, OperationStatus::Cancelled);
    assert_eq!(
        err.operation().unwrap().vendor_status.as_deref(),
        Some("Killed")
    );
    // A finished job cannot be killed: Commvault's errorCode in a 200.
    let refused = client.cancel(&jobs[0].reference).await.unwrap_err();
    assert_eq!(refused.api().unwrap().status, 200);
    assert_eq!(refused.api().unwrap().code.as_deref(), Some("1"));
    assert_eq!(emulator.accepted_backups(), 1);
    assert_eq!(emulator.requests().count(RouteClass::Control), 2);
}

#[tokio::test]
async fn suspend_and_resume() {
    let emulator = Emulator::start().await.unwrap();
    emulator.set_lifecycle(LifecycleSpec::after_polls(2).queued_for(0));
    let client = client(&emulator);
    let jobs = client.trigger(&emulator.demo_request()).await.unwrap();
    let suspended = client.suspend(&jobs[0].reference).await.unwrap();
    assert_eq!(suspended.vendor_status.as_deref(), Some("Suspended"));
    assert_eq!(suspended.status, OperationStatus::Running);
    assert!(!suspended.status.is_terminal());
    // Suspended jobs do not move.
    let again = client.status(&jobs[0].reference).await.unwrap();
    assert_eq!(again.vendor_status.as_deref(), Some("Suspended"));
    let resumed = client.resume(&jobs[0].reference).await.unwrap();
    assert_eq!(resumed.vendor_status.as_deref(), Some("Running"));
    let done = client.wait(resumed, every()).await.unwrap();
    assert_eq!(done.status, OperationStatus::Succeeded);
}

#[tokio::test]
async fn throttled_trigger_is_retried_once_taken() {
    let emulator = Emulator::start().await.unwrap();
    let client = client(&emulator);
    emulator
        .faults()
        .inject(RouteClass::Trigger, Fault::retry_after(429, Duration::ZERO));
    emulator
        .faults()
        .inject(RouteClass::Trigger, Fault::status(503));
    let jobs = client.trigger(&emulator.demo_request()).await.unwrap();
    client.wait(jobs[0].clone(), every()).await.unwrap();
    assert_eq!(emulator.accepted_backups(), 1);
    assert_eq!(emulator.requests().count(RouteClass::Trigger), 3);
}

#[tokio::test]
async fn slow_answer_within_the_timeout() {
    let emulator = Emulator::start().await.unwrap();
    let client = client(&emulator);
    emulator
        .faults()
        .inject(RouteClass::Trigger, Fault::Delay(Duration::from_millis(50)));
    emulator
        .faults()
        .inject(RouteClass::Poll, Fault::Delay(Duration::from_millis(50)));
    let jobs = client.trigger(&emulator.demo_request()).await.unwrap();
    client.wait(jobs[0].clone(), every()).await.unwrap();
    assert_eq!(emulator.accepted_backups(), 1);
}

#[tokio::test]
async fn error_in_a_200_injected() {
    let emulator = Emulator::start().await.unwrap();
    let client = client(&emulator);
    emulator.faults().inject(
        RouteClass::Trigger,
        Fault::Respond {
            status: 200,
            content_type: "application/xml".into(),
            body: r#"<CVGui_GenericResp errorMessage="Job limit reached" errorCode="1234"/>"#
                .into(),
        },
    );
    let err = client.trigger(&emulator.demo_request()).await.unwrap_err();
    let api = err.api().unwrap();
    assert_eq!(
        (api.status, api.code.as_deref(), api.message.as_str()),
        (200, Some("1234"), "Job limit reached")
    );
    assert_eq!(emulator.accepted_backups(), 0);
}

#[tokio::test]
async fn poll_faults_are_ridden_out() {
    let emulator = Emulator::start().await.unwrap();
    let client = client(&emulator);
    let jobs = client.trigger(&emulator.demo_request()).await.unwrap();
    for fault in [
        Fault::retry_after(429, Duration::ZERO),
        Fault::status(500),
        Fault::status(503),
        Fault::HtmlBody { status: 502 },
        Fault::DropBeforeHandling,
        Fault::DropAfterHandling,
        Fault::Delay(Duration::from_millis(20)),
    ] {
        emulator.faults().inject(RouteClass::Poll, fault);
    }
    let done = client.wait(jobs[0].clone(), every()).await.unwrap();
    assert_eq!(done.status, OperationStatus::Succeeded);
    assert_eq!(emulator.faults().pending(), 0);
    assert_eq!(emulator.accepted_backups(), 1);
}

#[tokio::test]
async fn malformed_or_oversized_poll_answers_are_decode_errors() {
    let emulator = Emulator::start().await.unwrap();
    let client = builder(&emulator).body_cap(64 * 1024).build().unwrap();
    let jobs = client.trigger(&emulator.demo_request()).await.unwrap();
    for fault in [
        Fault::MalformedBody { status: 200 },
        Fault::EmptyBody { status: 200 },
        Fault::OversizedBody { bytes: 128 * 1024 },
    ] {
        emulator.faults().inject(RouteClass::Poll, fault.clone());
        let err = client.status(&jobs[0].reference).await.unwrap_err();
        assert!(
            matches!(err, Error::Decode { status: 200, .. }),
            "{fault:?}: {err:?}"
        );
    }
    // Waiting again from the same operation works.
    client.wait(jobs[0].clone(), every()).await.unwrap();
    assert_eq!(emulator.accepted_backups(), 1);
}

#[tokio::test]
async fn expired_token_is_renewed_and_the_request_replayed() {
    let emulator = Emulator::start().await.unwrap();
    let client = client(&emulator);
    let jobs = client.trigger(&emulator.demo_request()).await.unwrap();
    emulator.expire_tokens();
    let done = client.wait(jobs[0].clone(), every()).await.unwrap();
    assert_eq!(done.status, OperationStatus::Succeeded);
    assert_eq!((emulator.logins(), emulator.renewals()), (1, 1));
    emulator.expire_tokens();
    client.trigger(&emulator.demo_request()).await.unwrap();
    assert_eq!(emulator.renewals(), 2);
    assert_eq!(emulator.accepted_backups(), 2);
    assert_eq!(emulator.open_sessions(), 1);
}

#[tokio::test]
async fn unrenewable_token_logs_in_again() {
    let emulator = Emulator::start_with(EmulatorOptions::default().renew_expired(false))
        .await
        .unwrap();
    let client = client(&emulator);
    client.login().await.unwrap();
    emulator.expire_tokens();
    let jobs = client.trigger(&emulator.demo_request()).await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!((emulator.logins(), emulator.renewals()), (2, 0));
    assert_eq!(emulator.accepted_backups(), 1);
}

#[tokio::test]
async fn idle_expiry_is_configurable() {
    let options = EmulatorOptions::default().idle_timeout(Duration::from_millis(200));
    let emulator = Emulator::start_with(options).await.unwrap();
    let client = client(&emulator);
    client.login().await.unwrap();
    tokio::time::sleep(Duration::from_millis(250)).await;
    let jobs = client.trigger(&emulator.demo_request()).await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(emulator.renewals(), 1);
    assert_eq!(emulator.accepted_backups(), 1);
    // The trigger answered 401 first, then was replayed once.
    assert_eq!(emulator.requests().count(RouteClass::Trigger), 2);
}

#[tokio::test]
async fn supplied_token_is_renewed_but_not_replaced_by_a_login() {
    let emulator = Emulator::start().await.unwrap();
    let login = reqwest_login(&emulator).await;
    let client = ClientBuilder::new()
        .endpoint(emulator.url().as_str())
        .token(login.trim_start_matches("QSDK ").to_owned())
        .retry(fast_retry())
        .build()
        .unwrap();
    client.trigger(&emulator.demo_request()).await.unwrap();
    emulator.expire_tokens();
    client.trigger(&emulator.demo_request()).await.unwrap();
    assert_eq!(emulator.renewals(), 1);
    client.logout().await.unwrap();
    let err = client.trigger(&emulator.demo_request()).await.unwrap_err();
    assert!(matches!(err, Error::Auth { .. }), "{err:?}");
    assert_eq!(emulator.accepted_backups(), 2);
}

/// Logs in over plain HTTP, as a script would, and returns the `QSDK` token.
async fn reqwest_login(emulator: &Emulator) -> String {
    let body = serde_json::json!({
        "username": "admin",
        "password": backup_commvault::model::login::encode_password("emulator-password"),
    });
    let answer: serde_json::Value = reqwest::Client::new()
        .post(emulator.url().join("Login").unwrap())
        .header("accept", "application/json")
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn metallic_bearer_token() {
    let emulator = Emulator::start().await.unwrap();
    let client = ClientBuilder::new()
        .endpoint(emulator.url().as_str())
        .bearer_token(DEMO_ACCESS_TOKEN.to_owned())
        .retry(fast_retry())
        .build()
        .unwrap();
    let jobs = client.trigger(&emulator.demo_request()).await.unwrap();
    client.wait(jobs[0].clone(), every()).await.unwrap();
    assert_eq!(emulator.token_requests(), 0);
    emulator.expire_tokens();
    let err = client.trigger(&emulator.demo_request()).await.unwrap_err();
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
    assert!(err.to_string().contains("Access denied"));
    assert_eq!(emulator.accepted_backups(), 1);
}

#[tokio::test]
async fn wrong_password_and_auth_faults() {
    let emulator = Emulator::start().await.unwrap();
    let wrong = ClientBuilder::new()
        .endpoint(emulator.url().as_str())
        .username_password("admin", "not-the-password".to_owned())
        .retry(fast_retry())
        .build()
        .unwrap();
    let err = wrong.trigger(&emulator.demo_request()).await.unwrap_err();
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
        err.to_string().contains("Invalid Username or Password"),
        "{err}"
    );
    assert!(!err.to_string().contains("not-the-password"));

    // A failing Login is retried (it starts nothing).
    emulator
        .faults()
        .inject(RouteClass::Auth, Fault::status(500));
    emulator
        .faults()
        .inject(RouteClass::Auth, Fault::DropBeforeHandling);
    let client = client(&emulator);
    client.trigger(&emulator.demo_request()).await.unwrap();
    assert_eq!(emulator.accepted_backups(), 1);
}

#[tokio::test]
async fn control_faults() {
    let emulator = Emulator::start().await.unwrap();
    emulator.set_lifecycle(LifecycleSpec::after_polls(50));
    let client = client(&emulator);
    let jobs = client.trigger(&emulator.demo_request()).await.unwrap();
    emulator
        .faults()
        .inject(RouteClass::Control, Fault::status(503));
    let after = client.cancel(&jobs[0].reference).await.unwrap();
    assert_eq!(after.vendor_status.as_deref(), Some("Kill Pending"));
    emulator
        .faults()
        .inject(RouteClass::Control, Fault::status(500));
    let err = client.resume(&jobs[0].reference).await.unwrap_err();
    assert_eq!(err.api().unwrap().status, 500);
}

#[tokio::test]
async fn logout_ends_the_session() {
    let emulator = Emulator::start().await.unwrap();
    let client = client(&emulator);
    client.login().await.unwrap();
    assert_eq!(emulator.open_sessions(), 1);
    client.logout().await.unwrap();
    assert_eq!((emulator.logouts(), emulator.open_sessions()), (1, 0));
    // A password client logs in again on the next request.
    client.trigger(&emulator.demo_request()).await.unwrap();
    assert_eq!(emulator.logins(), 2);
}

#[tokio::test]
async fn concurrent_triggers_share_one_login() {
    let emulator = Emulator::start().await.unwrap();
    let client = client(&emulator);
    let request = emulator.demo_request();
    let runs = (0..8).map(|_| client.trigger(&request));
    let results = futures_util::future::join_all(runs).await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(emulator.logins(), 1);
    assert_eq!(emulator.accepted_backups(), 8);
}

#[tokio::test]
async fn a_schedule_creates_a_task_and_no_job() {
    let emulator = Emulator::start().await.unwrap();
    let client = client(&emulator);
    let mut task = emulator.demo_request().to_task().unwrap();
    task.task_info.task.task_type = "SCHEDULE".to_owned();
    let created = client.submit_task(&task).await.unwrap();
    assert!(created.is_scheduled_only());
    let err = client.trigger_task(&task).await.unwrap_err();
    assert!(
        err.to_string().contains("scheduled, no job started"),
        "{err}"
    );
    assert_eq!(err.api().unwrap().status, 200);
    assert_eq!(
        (emulator.accepted_backups(), emulator.scheduled_tasks()),
        (0, 2)
    );
}

#[tokio::test]
async fn one_task_for_two_subclients_starts_two_jobs() {
    let second = EmulatedSubclient::new("fs-client", "default");
    let emulator = Emulator::start_with(EmulatorOptions::default().subclient(second.clone()))
        .await
        .unwrap();
    let client = client(&emulator);
    let mut task = emulator.demo_request().to_task().unwrap();
    let extra = second.backup_request().to_task().unwrap();
    task.task_info
        .associations
        .extend(extra.task_info.associations);
    let jobs = client.trigger_task(&task).await.unwrap();
    assert_eq!(jobs.len(), 2);
    for job in jobs {
        client.wait(job, every()).await.unwrap();
    }
    assert_eq!(emulator.accepted_backups(), 2);
    task.task_info.associations.clear();
    let err = client.trigger_task(&task).await.unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput { field, .. } if field == "associations"),
        "{err:?}"
    );
}

#[tokio::test]
async fn the_emulator_wants_the_password_base64_encoded() {
    let emulator = Emulator::start().await.unwrap();
    let answer: serde_json::Value = reqwest::Client::new()
        .post(emulator.url().join("Login").unwrap())
        .json(&serde_json::json!({"username": "admin", "password": "emulator-password"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["errList"][0]["errorCode"], 5);
    assert_eq!(emulator.logins(), 0);
    // Without a token, every other endpoint answers the notes' 401 body.
    let denied = reqwest::Client::new()
        .get(emulator.url().join("Job/5976").unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 401);
    assert_eq!(
        denied.text().await.unwrap(),
        r#"{"errorMessage":"Access denied","errorCode":5}"#
    );
}

#[tokio::test]
async fn an_unknown_job_is_not_found() {
    let emulator = Emulator::start().await.unwrap();
    let err = client(&emulator)
        .status(&"commvault:999".parse().unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.api().unwrap().kind, backup_core::ApiErrorKind::NotFound);
}

/// Issue 15 on the emulator: the size, the duration, the job as what was produced, the
/// subclient as the item, read from the summary and one `JobDetails` after the end.
#[tokio::test]
async fn the_emulator_reports_what_a_job_produced() {
    let emulator = Emulator::start().await.unwrap();
    let client = client(&emulator);
    let jobs = client.trigger(&emulator.demo_request()).await.unwrap();
    let done = client.wait(jobs[0].clone(), every()).await.unwrap();
    assert_eq!(done.status, OperationStatus::Succeeded);
    assert_eq!(done.size_bytes, Some(100 * 1_048_576));
    assert!(done.finished_at.is_some() && done.duration().is_some());
    assert_eq!(
        done.produced,
        [backup_core::operation::Produced::new("job", "5976")]
    );
    assert_eq!(done.items.len(), 1);
    let item = &done.items[0];
    assert_eq!(
        item.name.as_deref(),
        Some("s-adhoc-object-storage/s-adhoc-object-storage/defaultBackupSet/stestgroup")
    );
    assert_eq!(
        (item.id.as_str(), item.status, item.size_bytes),
        ("20", OperationStatus::Succeeded, Some(100 * 1_048_576))
    );
    assert!(done.warnings.is_empty(), "{:?}", done.warnings);
    let details = emulator
        .requests()
        .records()
        .iter()
        .filter(|r| r.path().ends_with("/JobDetails"))
        .count();
    assert_eq!(details, 1);
}

#[tokio::test]
async fn warnings_and_failures_carry_the_vendors_details() {
    let emulator = Emulator::start().await.unwrap();
    let client = client(&emulator);
    emulator.set_lifecycle(LifecycleSpec::after_polls(1).with_warning());
    let jobs = client.trigger(&emulator.demo_request()).await.unwrap();
    let done = client.wait(jobs[0].clone(), every()).await.unwrap();
    assert_eq!(done.status, OperationStatus::SucceededWithWarnings);
    assert_eq!(
        done.warnings,
        [
            "Some items could not be backed up.",
            "2 files failed to back up",
            "2 items were skipped"
        ]
    );

    emulator.set_lifecycle(LifecycleSpec::after_polls(1).failing("The media agent is offline."));
    let jobs = client.trigger(&emulator.demo_request()).await.unwrap();
    let err = client.wait(jobs[0].clone(), every()).await.unwrap_err();
    let Error::OperationFailed(op) = &err else {
        panic!("{err:?}")
    };
    let error = op.error.as_ref().unwrap();
    assert_eq!(error.code.as_deref(), Some("19:1131"));
    assert_eq!(error.message, "The media agent is offline.");
    assert_eq!(
        op.message.as_deref(),
        Some("Error Code: [19:1131] Description: The media agent is offline.")
    );
    assert!(op.produced.is_empty());
    assert!(op.finished_at.is_some());
}

/// Issue 18 on the emulator: the trigger's answer is lost after the CommServe took it;
/// the job is found through `GET Client` and `GET Job?clientId=...`, and no second job
/// starts.
#[tokio::test]
async fn a_lost_trigger_is_found_on_the_emulator() {
    use backup_core::contract::Recovered;

    let emulator = Emulator::start().await.unwrap();
    let client = client(&emulator);
    // A job of the same subclient from before the trigger is not taken for it.
    client.trigger(&emulator.demo_request()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;

    let mut request = emulator.demo_request();
    Client::idempotency_key(&mut request, None).unwrap();
    emulator
        .faults()
        .inject(RouteClass::Trigger, Fault::DropAfterHandling);
    let err = client.trigger(&request).await.unwrap_err();
    assert!(matches!(err, Error::OutcomeUnknown { .. }), "{err:?}");
    assert_eq!(emulator.accepted_backups(), 2);

    let Recovered::Operations(found) = client.recover_trigger(&request).await.unwrap() else {
        panic!("not found")
    };
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].reference.to_string(), "commvault:5977");
    let done = client.wait(found[0].clone(), every()).await.unwrap();
    assert_eq!(done.status, OperationStatus::Succeeded);
    assert_eq!(emulator.accepted_backups(), 2);

    // Another subclient's request finds nothing (the FS client has no job).
    let mut other = EmulatedSubclient::new(
        backup_commvault::emulator::DEMO_FS_CLIENT,
        backup_commvault::emulator::DEMO_FS_SUBCLIENT,
    )
    .backup_request();
    Client::idempotency_key(&mut other, None).unwrap();
    let Recovered::Unknown(what) = client.recover_trigger(&other).await.unwrap() else {
        panic!("found")
    };
    assert!(what.contains("no job of subclient \"default\""), "{what}");
    assert_eq!(emulator.accepted_backups(), 2);
}

/// Issue 16: the CreateTask JSON cvpysdk builds (numeric taskType / subTaskType /
/// operationType, the level as `Synthetic_full`) starts a job; its errors come with
/// HTTP 200; a schedule is answered with its task id only.
#[tokio::test]
async fn cvpysdks_create_task_json_is_accepted() {
    let emulator = Emulator::start().await.unwrap();
    let token = reqwest_login(&emulator).await;
    let post = |body: serde_json::Value| {
        let token = token.clone();
        let url = emulator.url().join("CreateTask").unwrap();
        async move {
            let answer = reqwest::Client::new()
                .post(url)
                .header("Authtoken", token)
                .header("Accept", "application/json")
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = answer.status().as_u16();
            (status, answer.json::<serde_json::Value>().await.unwrap())
        }
    };
    let task: serde_json::Value =
        serde_json::from_str(include_str!("../fixtures/cvpysdk_create_task.json")).unwrap();
    let (status, answer) = post(task.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(answer["jobIds"], serde_json::json!(["5976"]), "{answer}");
    let job = client(&emulator).job("5976").await.unwrap();
    assert_eq!(job.backup_level_name.as_deref(), Some("Synthetic Full"));
    assert_eq!(
        job.subclient.unwrap().client_name.as_deref(),
        Some(backup_commvault::emulator::DEMO_FS_CLIENT)
    );

    let mut schedule = task.clone();
    schedule["taskInfo"]["task"]["taskType"] = serde_json::json!(2);
    let (status, answer) = post(schedule).await;
    assert_eq!(status, 200);
    assert_eq!(
        answer.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["taskId"]
    );

    for (change, code) in [
        (
            serde_json::json!({"subTaskType": 3, "operationType": 2}),
            "1",
        ),
        (
            serde_json::json!({"subTaskType": 2, "operationType": 2}),
            "587207178",
        ),
    ] {
        let mut refused = task.clone();
        refused["taskInfo"]["subTasks"][0]["subTask"] = change;
        refused["taskInfo"]["associations"][0]["subclientName"] = serde_json::json!("nowhere");
        let (status, answer) = post(refused).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["errorCode"].to_string(), code, "{answer}");
    }
    let (status, answer) = post(serde_json::json!({"nothing": true})).await;
    assert_eq!(
        (status, answer["errorCode"].clone()),
        (200, serde_json::json!(1))
    );
    assert_eq!(
        (emulator.accepted_backups(), emulator.scheduled_tasks()),
        (1, 1)
    );
}

/// Issue 16: what cvpysdk's `Commcell()` and its lookups read: the service probe,
/// WhoAmI for a token, the clients and a subclient's entity with its ids.
#[tokio::test]
async fn the_probe_whoami_and_lookups_answer() {
    let emulator = Emulator::start().await.unwrap();
    let http = reqwest::Client::new();
    for base in [emulator.url(), emulator.webconsole_url()] {
        let probe = http.get(base.clone()).send().await.unwrap();
        assert_eq!(probe.status(), 200, "{base}");
    }
    let token = reqwest_login(&emulator).await;
    let get = |at: &str| {
        let request = http
            .get(emulator.url().join(at).unwrap())
            .header("Authtoken", token.clone())
            .header("Accept", "application/json");
        async move {
            request
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };
    let who = http
        .post(emulator.url().join("WhoAmI").unwrap())
        .header("Authtoken", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(who.status(), 200);
    let who: serde_json::Value = who.json().await.unwrap();
    assert_eq!(who["user"]["userName"], "admin");
    let clients = get("Client").await;
    let names: Vec<_> = clients["clientProperties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["client"]["clientEntity"]["clientName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["s-adhoc-object-storage", "emulator-fs-client"]);
    let agents = get("Agent?clientId=3").await;
    assert_eq!(
        agents["agentProperties"][0]["idaEntity"]["applicationId"],
        33
    );
    let subclients = get("Subclient?clientId=3&applicationId=33&backupsetId=11").await;
    let entity = &subclients["subClientProperties"][0]["subClientEntity"];
    assert_eq!(
        (
            entity["subclientName"].as_str(),
            entity["subclientId"].as_u64()
        ),
        (Some("default"), Some(21))
    );
    assert_eq!(
        get("Subclient/21").await["subClientProperties"][0]["subClientEntity"],
        *entity
    );
    assert_eq!(
        client(&emulator)
            .client_id("EMULATOR-FS-CLIENT")
            .await
            .unwrap()
            .as_deref(),
        Some("3")
    );
    // Without a token: the 401 of the notes.
    let denied = http
        .post(emulator.url().join("WhoAmI").unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 401);
}
