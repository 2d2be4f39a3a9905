//! The matrix's expectations, for every vendor of the registry: never two backups; a
//! vendor whose trigger is idempotent recovers from every lost answer; the others
//! report an unknown outcome for a trigger that got no usable answer, with one backup
//! exactly when the service acted. (The cells themselves run in each vendor crate's
//! tests, through `backup_core::vendor_suite!`.)

use backup_all::{EmulatorVisitor, Vendor};
use backup_core::emulator::{RouteClass, VendorEmulator};
use backup_faults::{FaultCase, Outcome, expected};

struct Check;

impl EmulatorVisitor for Check {
    type Output = ();

    fn visit<E: VendorEmulator>(self) {
        for case in FaultCase::ALL {
            let expected = case.expected::<E>();
            assert!(expected.accepted <= 1);
            if expected.outcome == Outcome::OutcomeUnknown {
                assert!(!E::IDEMPOTENT_TRIGGER, "{case}");
                assert_eq!(
                    expected.accepted,
                    u64::from(case.trigger_reaches_service::<E>()),
                    "{case}"
                );
            }
            let aimed_at_trigger = matches!(case.fault::<E>(), Some((RouteClass::Trigger, _)));
            assert_eq!(
                case.fault::<E>().is_some(),
                !matches!(
                    case,
                    FaultCase::ExpiredTokenMidWait | FaultCase::ConnectionRefused
                ),
                "{case}"
            );
            if !aimed_at_trigger {
                assert_ne!(expected.outcome, Outcome::OutcomeUnknown, "{case}");
            }
        }
        // Answers lost after the service may have acted.
        for case in [
            FaultCase::ServerErrorOnTrigger,
            FaultCase::DropBeforeTrigger,
            FaultCase::DropAfterTrigger,
            FaultCase::SlowTrigger,
            FaultCase::HtmlTrigger,
            FaultCase::OversizedTrigger,
        ] {
            let want = if E::IDEMPOTENT_TRIGGER {
                Outcome::Recovered
            } else {
                Outcome::OutcomeUnknown
            };
            assert_eq!(case.expected::<E>().outcome, want, "{case}");
        }
        assert_eq!(
            FaultCase::ConnectionRefused.expected::<E>().outcome,
            Outcome::Transport
        );
    }
}

#[test]
fn expectations_follow_the_contract_for_every_vendor() {
    let mut checked = 0;
    for vendor in Vendor::enabled() {
        vendor.visit_emulator(Check).unwrap();
        checked += 1;
    }
    assert_eq!(checked, Vendor::ALL.len(), "every vendor is in this build");
    // At least one vendor of each kind, so both branches above were exercised.
    let idempotent = Vendor::enabled()
        .filter(|&v| {
            expected(v, FaultCase::DropAfterTrigger).unwrap().outcome == Outcome::Recovered
        })
        .count();
    assert!(idempotent >= 1 && idempotent < Vendor::ALL.len());
}
