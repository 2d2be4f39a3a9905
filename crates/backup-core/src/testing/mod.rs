//! Test building blocks shared by every vendor crate (feature `testing`):
//!
//! - property-test strategies and helpers (fixture edits, odd JSON, awkward ids,
//!   path segments read back from an emulator), re-exported here;
//! - [`secrets`]: the secret-hygiene audit (traces at TRACE, errors and Debug output
//!   checked for secrets, issued tokens and JWTs) each vendor runs on its own flows;
//! - with the `emulator` feature, [`faults`] and [`conformance`]: the suites every
//!   vendor crate's tests call with [`vendor_suite!`](crate::vendor_suite), the way
//!   object_store's `integration.rs` serves every store.

mod props;
pub mod secrets;

pub use props::*;

use crate::Operation;

/// The one operation of a trigger that starts one (Azure, Yandex, Huawei), for tests.
pub trait SingleOperation {
    /// The only operation.
    ///
    /// # Panics
    /// When there is not exactly one.
    fn single(self) -> Operation;
}

impl SingleOperation for Vec<Operation> {
    fn single(mut self) -> Operation {
        assert_eq!(self.len(), 1, "expected exactly one operation: {self:?}");
        self.remove(0)
    }
}

#[cfg(feature = "emulator")]
pub mod conformance;
#[cfg(feature = "emulator")]
pub mod faults;

/// Runs the shared suites on a vendor's emulator: one test per fault of
/// [`faults::FaultCase::ALL`] (module `faults`) and one per check of [`conformance`]
/// (module `contract`). Call it once from the vendor crate's tests, with the full path
/// of its emulator type:
///
/// ```ignore
/// backup_core::vendor_suite!(backup_yandex::emulator::Emulator);
/// ```
///
/// The tests need `tokio` (macros, rt) among the crate's dev-dependencies.
#[cfg(feature = "emulator")]
#[macro_export]
macro_rules! vendor_suite {
    ($emulator:ty) => {
        /// Every fault of the shared fault suite on this vendor's emulator.
        mod faults {
            $crate::vendor_suite!(@faults $emulator;
                throttled_trigger Throttled,
                unavailable_trigger Unavailable,
                server_error_on_trigger ServerErrorOnTrigger,
                server_error_on_poll ServerErrorOnPoll,
                dropped_before_trigger DropBeforeTrigger,
                dropped_after_trigger DropAfterTrigger,
                dropped_poll DropOnPoll,
                slow_trigger SlowTrigger,
                slow_poll SlowPoll,
                malformed_trigger MalformedTrigger,
                malformed_poll MalformedPoll,
                html_trigger HtmlTrigger,
                html_poll HtmlPoll,
                empty_trigger EmptyTrigger,
                empty_poll EmptyPoll,
                oversized_trigger OversizedTrigger,
                oversized_poll OversizedPoll,
                expired_token_mid_wait ExpiredTokenMidWait,
                vendor_error VendorError,
                connection_refused ConnectionRefused,
            );

            #[test]
            fn the_suite_covers_every_fault() {
                assert_eq!(COVERED.len(), $crate::testing::faults::FaultCase::ALL.len());
                for case in $crate::testing::faults::FaultCase::ALL {
                    assert!(COVERED.contains(&case), "{case:?} has no test");
                }
            }
        }

        /// The shared contract checks on this vendor's client and emulator.
        mod contract {
            $crate::vendor_suite!(@contract $emulator;
                demo_backup_runs_to_the_end_and_resumes_from_its_printed_reference,
                demo_params_make_the_demo_request,
                config_and_environment_reach_the_emulator,
                foreign_and_malformed_references_are_refused_before_sending,
                cancel_stops_a_running_backup_or_is_unsupported,
                dropping_a_wait_mid_poll_leaves_nothing_behind,
                a_timeout_carries_the_operation_and_waiting_resumes,
                one_token_refresh_for_a_thousand_concurrent_calls,
                token_failures_before_the_trigger_never_leave_an_unknown_outcome,
                load_targets_back_up_at_once_and_end_on_time,
                load_poll_hint_comes_with_every_running_backup,
            );
        }
    };
    (@faults $emulator:ty; $($name:ident $case:ident),+ $(,)?) => {
        const COVERED: &[$crate::testing::faults::FaultCase] =
            &[$($crate::testing::faults::FaultCase::$case),+];
        $(
            #[::tokio::test]
            async fn $name() {
                $crate::testing::faults::run_cell::<$emulator>(
                    $crate::testing::faults::FaultCase::$case,
                )
                .await
                .assert_passed();
            }
        )+
    };
    (@contract $emulator:ty; $($check:ident),+ $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                $crate::testing::conformance::$check::<$emulator>().await;
            }
        )+
    };
}
