//! AnyClient, Target and prepared plans against every vendor's emulator.
#![cfg(all(feature = "full", feature = "emulator"))]

use std::time::Duration;

use backup_all::core::emulator::LifecycleSpec;
use backup_all::core::prelude::*;
use backup_all::core::{Error, OperationRef, OperationStatus, WaitOptions};
use backup_all::plan::PreparedPlan;
use backup_all::run::StopSignal;
use backup_all::{
    AnyClient, AnyConfig, AnyEmulator, AnyParams, AnyRequest, EnvNames, PlanSettings, Target,
    TargetOutcome, Vendor, azure, veeam, yandex,
};

fn fast() -> WaitOptions {
    WaitOptions::every(Duration::from_millis(10)).deadline(Some(Duration::from_secs(30)))
}

/// Triggers through AnyClient, waits, and reads the operation again from its printed
/// reference alone.
async fn round_trip(target: &Target, vendor: Vendor) -> usize {
    assert_eq!(target.vendor(), vendor);
    let operations = target.trigger().await.unwrap();
    assert!(!operations.is_empty());
    for operation in &operations {
        assert_eq!(operation.vendor(), vendor.as_str());
        let done = target.client.wait(operation.clone(), fast()).await.unwrap();
        assert!(done.status.is_success(), "{done:?}");
        let reference: OperationRef = done.reference.to_string().parse().unwrap();
        let again = target.client.status(&reference).await.unwrap();
        assert_eq!(again.status, done.status);
    }
    operations.len()
}

#[tokio::test]
async fn every_vendor_triggers_waits_and_reads_status_alike() {
    for vendor in Vendor::enabled() {
        let emulator = AnyEmulator::start(vendor).await.unwrap();
        let target = Target::new(
            vendor.as_str(),
            emulator.client().unwrap(),
            emulator.demo_request(),
        );
        let operations = round_trip(&target, vendor).await;
        // Veeam's demo policy protects two instances: one session each.
        assert_eq!(operations, if vendor == Vendor::Veeam { 2 } else { 1 });
        assert_eq!(emulator.as_dyn().accepted_backups(), 1, "{vendor}");
        emulator.shutdown().await;
    }
}

#[tokio::test]
async fn vendor_neutral_parameters_reach_the_vendor() {
    let yc = yandex::emulator::Emulator::start().await.unwrap();
    let client = AnyClient::from(yc.client_builder().build().unwrap());
    let params = AnyParams::Yandex(yandex::TriggerParams {
        policy: yandex::emulator::DEMO_POLICY_ID.into(),
        instance: yandex::emulator::DEMO_INSTANCE_ID.into(),
        idempotency_key: None,
    });
    let operations = client.trigger_params(&params).await.unwrap();
    assert_eq!(operations.len(), 1);
    assert_eq!(yc.accepted_backups(), 1);

    let az = azure::emulator::Emulator::start().await.unwrap();
    let client = AnyClient::from(az.client_builder().build().unwrap());
    let params = AnyParams::Azure(azure::TriggerParams {
        subscription: azure::emulator::DEMO_SUBSCRIPTION.into(),
        resource_group: azure::emulator::DEMO_RESOURCE_GROUP.into(),
        vault: azure::emulator::DEMO_VAULT.into(),
        fabric: "Azure".into(),
        vm: None,
        container: azure::emulator::DEMO_VM_CONTAINER.into(),
        item: azure::emulator::DEMO_VM_ITEM.into(),
        object_type: azure::ObjectType::IaasVm,
        backup_type: None,
        expiry: None,
        enable_compression: None,
    });
    let done = client
        .wait(
            client.trigger_params(&params).await.unwrap().remove(0),
            fast(),
        )
        .await
        .unwrap();
    assert_eq!(done.status, OperationStatus::Succeeded);
    assert_eq!(az.accepted_backups(), 1);

    // backupType belongs to workload requests only: refused before sending.
    let AnyParams::Azure(mut wrong) = params else {
        unreachable!()
    };
    wrong.backup_type = Some("Full".into());
    let error = AnyRequest::from_params(&AnyParams::Azure(wrong)).unwrap_err();
    assert!(
        matches!(&error, Error::InvalidInput { field, .. } if field == "backup_type"),
        "{error}"
    );
}

#[tokio::test]
async fn mismatched_vendors_are_refused_before_sending() {
    let yc = yandex::emulator::Emulator::start().await.unwrap();
    let vm = veeam::emulator::Emulator::start().await.unwrap();
    let client = AnyClient::from(yc.client_builder().build().unwrap());
    let request = AnyRequest::from(vm.demo_request());
    let error = client.trigger(&request).await.unwrap_err();
    assert!(matches!(error, Error::InvalidInput { .. }), "{error}");
    let error = client
        .status(&OperationRef::new("veeam", "v8.1/1"))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::InvalidInput { .. }), "{error}");
    assert_eq!(yc.accepted_backups(), 0);
    assert_eq!(vm.accepted_backups(), 0);

    // Settings of one vendor with parameters of another: refused, nothing built.
    let error = Target::from_env(
        "mixed",
        &AnyParams::from(yc.demo_params()),
        &AnyConfig::from(veeam::Config::default()),
        &EnvNames::default(),
    )
    .unwrap_err();
    assert!(
        matches!(&error, Error::InvalidInput { field, .. } if field == "config"),
        "{error}"
    );
}

#[tokio::test]
async fn cancel_goes_to_the_vendor() {
    let yc = yandex::emulator::Emulator::start().await.unwrap();
    yc.set_lifecycle(LifecycleSpec::after_polls(1000));
    let client = AnyClient::from(yc.client_builder().build().unwrap());
    let operation = client
        .trigger(&AnyRequest::from(yc.demo_request()))
        .await
        .unwrap()
        .remove(0);
    client.cancel(&operation.reference).await.unwrap();
    let error = client.wait(operation, fast()).await.unwrap_err();
    let Error::OperationFailed(ended) = error else {
        panic!("{error}")
    };
    assert_eq!(ended.status, OperationStatus::Cancelled);
}

#[tokio::test]
async fn a_prepared_plan_runs_every_vendor_and_reports() {
    let mut emulators = Vec::new();
    for &vendor in Vendor::ALL {
        emulators.push(AnyEmulator::start(vendor).await.unwrap());
    }
    // One vendor's backup fails; every target is named after its vendor.
    let failing = Vendor::Commvault;
    let index = |vendor: Vendor| Vendor::ALL.iter().position(|&v| v == vendor).unwrap();
    emulators[index(failing)]
        .as_dyn()
        .set_lifecycle(LifecycleSpec::after_polls(2).failing("tape jammed"));
    let plan = PreparedPlan {
        settings: PlanSettings {
            concurrency: 2,
            timeout: Some(Duration::from_secs(30)),
            fail_fast: false,
            poll_interval: Duration::from_millis(10),
            ..PlanSettings::default()
        },
        targets: emulators
            .iter()
            .map(|emulator| {
                Target::new(
                    emulator.vendor().as_str(),
                    emulator.client().unwrap(),
                    emulator.demo_request(),
                )
            })
            .collect(),
    };
    let seen = std::sync::Mutex::new(Vec::new());
    let report = plan
        .run(&|target, operation| {
            seen.lock()
                .unwrap()
                .push((target.to_owned(), operation.status));
        })
        .await;
    let outcomes: Vec<_> = report
        .targets
        .iter()
        .map(|t| (t.name.as_str(), t.outcome))
        .collect();
    let expected: Vec<_> = Vendor::ALL
        .iter()
        .map(|&vendor| {
            let outcome = if vendor == failing {
                TargetOutcome::Failed
            } else {
                TargetOutcome::Succeeded
            };
            (vendor.as_str(), outcome)
        })
        .collect();
    assert_eq!(outcomes, expected);
    assert!(report.targets.iter().all(|t| t.polls > 0));
    // Veeam's demo policy starts two sessions.
    assert_eq!(report.targets[index(Vendor::Veeam)].operations.len(), 2);
    let failed = report.targets[index(failing)].error.as_ref().unwrap();
    assert!(failed.to_string().contains("tape jammed"), "{failed}");
    let seen = seen.lock().unwrap();
    for vendor in Vendor::ALL {
        assert!(
            seen.iter().any(|(t, _)| t == vendor.as_str()),
            "{vendor} observed"
        );
    }
    for emulator in &emulators {
        assert_eq!(
            emulator.as_dyn().accepted_backups(),
            1,
            "{}",
            emulator.vendor()
        );
    }
}

#[tokio::test]
async fn run_target_reports_a_deadline_with_the_last_operation() {
    let yc = yandex::emulator::Emulator::start().await.unwrap();
    yc.set_lifecycle(LifecycleSpec::after_polls(1000));
    let target = Target::new(
        "yc",
        yc.client_builder().build().unwrap(),
        yc.demo_request(),
    );
    let wait =
        WaitOptions::every(Duration::from_millis(10)).deadline(Some(Duration::from_millis(60)));
    let attempt =
        backup_all::plan::run_target(&target, wait, StopSignal::never(), &|_, _| {}).await;
    assert!(
        matches!(attempt.error, Some(Error::Timeout { .. })),
        "{attempt:?}"
    );
    assert_eq!(attempt.operations.len(), 1);
    assert!(!attempt.operations[0].status.is_terminal());
    assert!(attempt.polls > 0);
}
