//! Scenario 3: polls the SDK makes for a backup that ends at a known time, with a
//! known poll hint, against the fewest a client obeying the hint could make.

use std::time::{Duration, Instant};

use backup_core::WaitOptions;
use backup_core::emulator::LifecycleSpec;
use serde_json::{Value, json};

use crate::vendors::{EmuSetup, Emulator, Vendor};

/// One case: a vendor, its hint and how long the backup runs.
#[derive(Debug, Clone, Copy)]
pub struct Case {
    /// The vendor.
    pub vendor: Vendor,
    /// What the emulator sends: Azure `Retry-After` (whole seconds), Yandex
    /// `x-operation-poll-interval`.
    pub hint: Duration,
    /// How long after its acceptance the backup ends.
    pub duration: Duration,
}

/// The cases run: the two vendors whose APIs send a poll hint.
pub const CASES: [Case; 2] = [
    Case {
        vendor: Vendor::Azure,
        hint: Duration::from_secs(1),
        duration: Duration::from_millis(2500),
    },
    Case {
        vendor: Vendor::Yandex,
        hint: Duration::from_millis(500),
        duration: Duration::from_millis(2200),
    },
];

/// The fewest polls that see the end: polling exactly every `hint` from the
/// acceptance, poll `k` happens at `k * hint` and sees the end once `k * hint >= duration`.
#[must_use]
pub fn minimum_polls(hint: Duration, duration: Duration) -> u64 {
    let hint = hint.as_nanos().max(1);
    let polls = duration.as_nanos().div_ceil(hint).max(1);
    u64::try_from(polls).unwrap_or(u64::MAX)
}

async fn run_case(case: Case) -> Result<Value, String> {
    let name = case.vendor.name();
    let setup = EmuSetup {
        lifecycle: LifecycleSpec::default().after(case.duration),
        targets: 0,
        poll_hint: Some(case.hint),
        // Azure sends Retry-After on its async operation, not on the job: the
        // operation runs as long as the backup, so the hint holds throughout.
        azure_operation: Some(LifecycleSpec::default().after(case.duration)),
    };
    let emulator = Emulator::start(case.vendor, &setup)
        .await
        .map_err(|e| format!("{name}: emulator: {e}"))?;
    let sdk = emulator
        .client(None, false)
        .map_err(|e| format!("{name}: client: {e}"))?;
    let started = Instant::now();
    let operations = sdk
        .trigger(None)
        .await
        .map_err(|e| format!("{name}: trigger: {e}"))?;
    let polls_before = emulator.poll_requests();
    let mut polls = 0_u64;
    for operation in operations {
        // The defaults a user gets (the vendor's hint wins, within 0.5 s ..= 60 s),
        // with a deadline of a minute instead of six hours.
        let options = WaitOptions::default().deadline(Some(Duration::from_secs(60)));
        let (_, made) = sdk
            .wait(operation, options)
            .await
            .map_err(|e| format!("{name}: wait: {e}"))?;
        polls += u64::from(made);
    }
    let took = started.elapsed();
    let poll_requests = emulator.poll_requests().saturating_sub(polls_before);
    emulator.shutdown().await;
    let minimum = minimum_polls(case.hint, case.duration);
    Ok(json!({
        "vendor": name,
        "hint_ms": case.hint.as_secs_f64() * 1e3,
        "backup_duration_ms": case.duration.as_secs_f64() * 1e3,
        "minimum_polls": minimum,
        "polls": polls,
        "poll_requests": poll_requests,
        "waited_ms": took.as_secs_f64() * 1e3,
        "noticed_after_end_ms": (took.as_secs_f64() - case.duration.as_secs_f64()) * 1e3,
        "target_met": polls <= minimum + 1,
    }))
}

/// Runs scenario 3 (the cases at once).
///
/// # Errors
/// When a case cannot run.
pub async fn run() -> Result<Value, String> {
    let runs = CASES.map(run_case);
    let [azure, yandex] = runs;
    let (azure, yandex) = tokio::join!(azure, yandex);
    Ok(json!({
        "wait_options": "WaitOptions::default() with a 60 s deadline",
        "cases": [azure?, yandex?],
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
    fn minimum_is_the_first_poll_at_or_after_the_end() {
        let ms = Duration::from_millis;
        assert_eq!(minimum_polls(ms(1000), ms(2500)), 3);
        assert_eq!(minimum_polls(ms(500), ms(2200)), 5);
        assert_eq!(minimum_polls(ms(500), ms(2000)), 4);
        assert_eq!(minimum_polls(ms(500), ms(0)), 1);
        assert_eq!(minimum_polls(Duration::ZERO, ms(5)), 5_000_000);
    }
}
