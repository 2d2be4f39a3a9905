//! The contract suite: what every vendor's client and emulator must do the same way,
//! checked on the emulator (demo backup to the end, resuming from a printed
//! reference, references of other vendors and malformed ones refused before anything
//! is sent, parameters that agree with the request, cancel or a clear "unsupported").

use std::time::Duration;

use crate::contract::{BackupClient, BackupClientBuilder};
use crate::emulator::{LifecycleSpec, VendorEmulator};
use crate::testing::faults::{fast_retry, fast_wait};
use crate::{Error, OperationRef, OperationStatus};

async fn start<E: VendorEmulator>() -> (E, E::Client) {
    let emulator = E::start().await.expect("the emulator starts");
    let mut builder = emulator.client_builder();
    builder.transport_options_mut().retry = fast_retry();
    let client = builder.build().expect("the emulator's builder builds");
    (emulator, client)
}

/// The demo backup runs to its end; its reference, printed and parsed back, reads the
/// same operation again; the emulator started exactly one backup.
///
/// # Panics
/// When a check fails.
pub async fn demo_backup_runs_to_the_end_and_resumes_from_its_printed_reference<
    E: VendorEmulator,
>() {
    let (emulator, client) = start::<E>().await;
    let operations = client
        .trigger(&emulator.demo_request())
        .await
        .expect("the demo trigger is accepted");
    assert!(!operations.is_empty(), "a trigger returns its operations");
    for operation in operations {
        assert_eq!(operation.vendor(), <E::Client as BackupClient>::VENDOR);
        let printed = operation.reference.to_string();
        let parsed = E::Client::parse_reference(&printed).expect("a printed reference parses");
        assert_eq!(parsed, operation.reference);
        let done = client
            .wait(operation, fast_wait())
            .await
            .expect("the demo backup succeeds");
        assert_eq!(done.status, OperationStatus::Succeeded);
        let again = client
            .status(&parsed)
            .await
            .expect("status from the reference");
        assert_eq!(again.reference, parsed);
        assert_eq!(again.status, OperationStatus::Succeeded);
    }
    assert_eq!(emulator.accepted_backups(), 1);
}

/// The demo parameters make the demo request, and survive serde.
///
/// # Panics
/// When a check fails.
pub async fn demo_params_make_the_demo_request<E: VendorEmulator>() {
    let emulator = E::start().await.expect("the emulator starts");
    let params = emulator.demo_params();
    let request = E::Client::request(&params).expect("the demo parameters are valid");
    assert_eq!(request, emulator.demo_request());
    let json = serde_json::to_string(&params).expect("parameters serialize");
    let back: <E::Client as BackupClient>::Params =
        serde_json::from_str(&json).expect("parameters deserialize");
    assert_eq!(back, params);
    let config = <E::Client as BackupClient>::Config::default();
    let json = serde_json::to_string(&config).expect("the config serializes");
    let back: <E::Client as BackupClient>::Config =
        serde_json::from_str(&json).expect("the config deserializes");
    assert_eq!(back, config);
}

/// Another vendor's reference and malformed ones are refused as invalid input, and
/// nothing reaches the emulator.
///
/// # Panics
/// When a check fails.
pub async fn foreign_and_malformed_references_are_refused_before_sending<E: VendorEmulator>() {
    let (emulator, client) = start::<E>().await;
    let vendor = <E::Client as BackupClient>::VENDOR;
    let other = if vendor == "azure" { "yandex" } else { "azure" };
    let foreign = OperationRef::new(other, "op-1");
    for result in [client.status(&foreign).await, client.cancel(&foreign).await] {
        match result {
            Err(Error::InvalidInput { field, reason, .. }) => {
                assert_eq!(field, "reference");
                assert!(
                    reason.contains(other) && reason.contains(vendor),
                    "{reason}"
                );
            }
            other => panic!("{vendor}: a foreign reference gave {other:?}"),
        }
    }
    for id in ["", " ", "a\nb", &"x".repeat(5000)] {
        let malformed = OperationRef::new(vendor, id);
        assert!(
            matches!(
                E::Client::check_reference(&malformed),
                Err(Error::InvalidInput { .. })
            ),
            "{vendor}: {id:?} was taken as a reference id"
        );
        assert!(
            matches!(
                client.status(&malformed).await,
                Err(Error::InvalidInput { .. })
            ),
            "{vendor}: status of {id:?} was not refused"
        );
    }
    assert!(
        E::Client::parse_reference(&format!("{other}:op-1")).is_err(),
        "{vendor} parsed another vendor's reference"
    );
    assert_eq!(emulator.requests().total(), 0, "nothing may be sent");
}

/// Cancelling a running backup either works (the wait then ends cancelled, and
/// nothing more is started) or says clearly that the vendor cannot cancel.
///
/// # Panics
/// When a check fails.
pub async fn cancel_stops_a_running_backup_or_is_unsupported<E: VendorEmulator>() {
    let (emulator, client) = start::<E>().await;
    emulator.set_lifecycle(LifecycleSpec::after_polls(1000));
    let operations = client
        .trigger(&emulator.demo_request())
        .await
        .expect("the demo trigger is accepted");
    for operation in operations {
        match client.cancel(&operation.reference).await {
            Ok(after) => {
                assert_eq!(after.reference.vendor, operation.reference.vendor);
                let wait = fast_wait().deadline(Some(Duration::from_secs(10)));
                match client.wait(after, wait).await {
                    Err(Error::OperationFailed(op)) => {
                        assert_eq!(op.status, OperationStatus::Cancelled, "{op:?}");
                    }
                    other => panic!("a cancelled backup ended {other:?}"),
                }
            }
            Err(Error::Unsupported { vendor, .. }) => {
                assert_eq!(vendor, <E::Client as BackupClient>::VENDOR);
            }
            Err(other) => panic!("cancel failed: {other}"),
        }
    }
    assert_eq!(emulator.accepted_backups(), 1);
}
