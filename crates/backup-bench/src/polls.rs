//! Scenario 3: polls the SDK makes for a backup that ends at a known time, with a
//! known poll hint, against the fewest a client obeying the hint could make.

use std::time::{Duration, Instant};

use backup_all::EmulatorVisitor;
use backup_core::WaitOptions;
use backup_core::contract::BackupClient;
use backup_core::emulator::{LifecycleSpec, LoadOptions, RouteClass, VendorEmulator};
use serde_json::{Value, json};

use crate::vendors::{BoxFuture, Vendor, wait_counting};

/// How long after its acceptance the backup of every case ends: between two polls
/// for every hint of [`hint_for`] up to a second (2.2 hints of 1 s, 4.4 of 500 ms).
pub const DURATION: Duration = Duration::from_millis(2200);

/// The shortest poll hint a vendor whose hints come in steps of `unit` can send that
/// is at least 500 ms (the shortest interval `WaitOptions::default()` takes): 1 s for
/// whole seconds (Azure's `Retry-After`), 500 ms for finer steps (Yandex's
/// `x-operation-poll-interval`).
#[must_use]
pub fn hint_for(unit: Duration) -> Duration {
    let floor = Duration::from_millis(500);
    let unit = unit.max(Duration::from_millis(1));
    let steps = floor.as_nanos().div_ceil(unit.as_nanos());
    unit * u32::try_from(steps).unwrap_or(u32::MAX)
}

/// The fewest polls that see the end: polling exactly every `hint` from the
/// acceptance, poll `k` happens at `k * hint` and sees the end once `k * hint >= duration`.
#[must_use]
pub fn minimum_polls(hint: Duration, duration: Duration) -> u64 {
    let hint = hint.as_nanos().max(1);
    let polls = duration.as_nanos().div_ceil(hint).max(1);
    u64::try_from(polls).unwrap_or(u64::MAX)
}

/// One case: `E`'s emulator sends `hint` while the backup runs, and the backup ends
/// [`DURATION`] after its acceptance.
async fn run_case<E: VendorEmulator>(hint: Duration) -> Result<Value, String> {
    let name = <E::Client as BackupClient>::VENDOR;
    let duration = DURATION;
    // The hint comes with every answer about the running backup (for Azure, whose
    // `Retry-After` comes with its async operation only, the emulator keeps the
    // operation running as long as the backup).
    let load = LoadOptions::new(LifecycleSpec::default().after(duration)).poll_hint(hint);
    let emulator = E::start_for_load(load)
        .await
        .map_err(|e| format!("{name}: emulator: {e}"))?;
    let client = emulator
        .client()
        .map_err(|e| format!("{name}: client: {e}"))?;
    let started = Instant::now();
    let operations = client
        .trigger(&emulator.demo_request())
        .await
        .map_err(|e| format!("{name}: trigger: {e}"))?;
    let log = emulator.requests();
    let polls_before = log.count(RouteClass::Poll);
    let mut polls = 0_u64;
    for operation in operations {
        // The defaults a user gets (the vendor's hint wins, within 0.5 s ..= 60 s),
        // with a deadline of a minute instead of six hours.
        let options = WaitOptions::default().deadline(Some(Duration::from_secs(60)));
        let (_, made) = wait_counting(&client, operation, options)
            .await
            .map_err(|e| format!("{name}: wait: {e}"))?;
        polls += u64::from(made);
    }
    let took = started.elapsed();
    let poll_requests = log
        .count(backup_core::emulator::RouteClass::Poll)
        .saturating_sub(polls_before);
    emulator.shutdown().await;
    let minimum = minimum_polls(hint, duration);
    Ok(json!({
        "vendor": name,
        "hint_ms": hint.as_secs_f64() * 1e3,
        "backup_duration_ms": duration.as_secs_f64() * 1e3,
        "minimum_polls": minimum,
        "polls": polls,
        "poll_requests": poll_requests,
        "waited_ms": took.as_secs_f64() * 1e3,
        "noticed_after_end_ms": (took.as_secs_f64() - duration.as_secs_f64()) * 1e3,
        "target_met": polls <= minimum + 1,
    }))
}

/// The case of a vendor whose API sends a poll hint (`VendorEmulator::POLL_HINT_UNIT`);
/// `None` for the others.
struct Case;

impl EmulatorVisitor for Case {
    type Output = Option<BoxFuture<'static, Result<Value, String>>>;

    fn visit<E: VendorEmulator>(self) -> Self::Output {
        let unit = E::POLL_HINT_UNIT?;
        Some(Box::pin(run_case::<E>(hint_for(unit))))
    }
}

/// Runs scenario 3: one case per vendor whose API sends a poll hint, all at once.
///
/// # Errors
/// When a case cannot run.
pub async fn run() -> Result<Value, String> {
    let cases: Vec<_> = Vendor::enabled()
        .filter_map(|vendor| vendor.visit_emulator(Case).ok().flatten())
        .collect();
    let mut results = Vec::new();
    for result in futures_util::future::join_all(cases).await {
        results.push(result?);
    }
    Ok(json!({
        "wait_options": "WaitOptions::default() with a 60 s deadline",
        "cases": results,
    }))
}

/// The polls table.
#[must_use]
pub fn table(report: &Value) -> String {
    let mut out = String::from(
        "Scenario 3: polls (WaitOptions::default(), the vendor's hint)\n\
         vendor       hint ms  ends after ms  minimum  polls  poll requests  waited ms  late ms  met\n",
    );
    for case in report["cases"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "{:<12} {:>7.0} {:>14.0} {:>8} {:>6} {:>14} {:>10.0} {:>8.0}  {}\n",
            case["vendor"].as_str().unwrap_or("?"),
            case["hint_ms"].as_f64().unwrap_or(f64::NAN),
            case["backup_duration_ms"].as_f64().unwrap_or(f64::NAN),
            case["minimum_polls"].as_u64().unwrap_or(0),
            case["polls"].as_u64().unwrap_or(0),
            case["poll_requests"].as_u64().unwrap_or(0),
            case["waited_ms"].as_f64().unwrap_or(f64::NAN),
            case["noticed_after_end_ms"].as_f64().unwrap_or(f64::NAN),
            if case["target_met"].as_bool() == Some(true) {
                "yes"
            } else {
                "NO"
            },
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_are_the_shortest_the_vendor_can_say_from_half_a_second() {
        let ms = Duration::from_millis;
        assert_eq!(hint_for(Duration::from_secs(1)), ms(1000));
        assert_eq!(hint_for(ms(1)), ms(500));
        assert_eq!(hint_for(ms(300)), ms(600));
        assert_eq!(hint_for(Duration::ZERO), ms(500));
        // The backup ends between two polls for every hint up to a second.
        for hint in [ms(500), ms(600), ms(1000)] {
            assert_ne!(DURATION.as_millis() % hint.as_millis(), 0, "{hint:?}");
        }
    }

    #[test]
    fn minimum_is_the_first_poll_at_or_after_the_end() {
        let ms = Duration::from_millis;
        assert_eq!(minimum_polls(ms(1000), ms(2500)), 3);
        assert_eq!(minimum_polls(ms(500), ms(2200)), 5);
        assert_eq!(minimum_polls(ms(500), ms(2000)), 4);
        assert_eq!(minimum_polls(ms(500), ms(0)), 1);
        assert_eq!(minimum_polls(Duration::ZERO, ms(5)), 5_000_000);
    }
}
