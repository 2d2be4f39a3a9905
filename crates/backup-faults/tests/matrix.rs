//! Every cell of the fault matrix, asserted: one test per vendor (they run side by
//! side), each running every fault of the issue on a fresh emulator.

use backup_faults::{FaultCase, Outcome, Vendor, render, run_vendor};

async fn vendor_passes(vendor: Vendor) {
    let cells = run_vendor(vendor).await;
    assert_eq!(cells.len(), FaultCase::ALL.len());
    for cell in &cells {
        assert!(cell.accepted <= 1, "{vendor} / {}: two backups", cell.case);
    }
    let failed: Vec<_> = cells.iter().filter(|c| !c.passed()).collect();
    assert!(failed.is_empty(), "{}", render(&cells));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn azure() {
    vendor_passes(Vendor::Azure).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn yandex() {
    vendor_passes(Vendor::Yandex).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huawei_csbs() {
    vendor_passes(Vendor::HuaweiCsbs).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commvault() {
    vendor_passes(Vendor::Commvault).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn veeam() {
    vendor_passes(Vendor::Veeam).await;
}

/// The expectations themselves follow the issue: never two backups; Yandex recovers
/// from every lost answer; the others report an unknown outcome for a trigger that got
/// no usable answer, with one backup exactly when the service acted.
#[test]
fn expectations_follow_the_issue() {
    for vendor in Vendor::ALL {
        for case in FaultCase::ALL {
            let expected = case.expected(vendor);
            assert!(expected.accepted <= 1);
            if expected.outcome == Outcome::OutcomeUnknown {
                assert_ne!(vendor, Vendor::Yandex, "{case}");
                assert_eq!(
                    expected.accepted,
                    u64::from(case.trigger_reaches_service(vendor)),
                    "{vendor} / {case}"
                );
            }
        }
    }
    for case in [
        FaultCase::ServerErrorOnTrigger,
        FaultCase::DropBeforeTrigger,
        FaultCase::DropAfterTrigger,
        FaultCase::SlowTrigger,
        FaultCase::HtmlTrigger,
        FaultCase::OversizedTrigger,
    ] {
        assert_eq!(case.expected(Vendor::Yandex).outcome, Outcome::Recovered);
        assert_eq!(
            case.expected(Vendor::Veeam).outcome,
            Outcome::OutcomeUnknown
        );
    }
    assert_eq!(
        FaultCase::ConnectionRefused
            .expected(Vendor::Yandex)
            .outcome,
        Outcome::Transport
    );
}
