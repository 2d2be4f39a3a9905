use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use backup_core::{OperationRef, OperationStatus};

use super::*;

fn items(n: usize) -> Vec<RunItem<usize>> {
    (0..n)
        .map(|i| RunItem {
            name: format!("t{i}"),
            vendor: Vendor::Yandex,
            item: i,
        })
        .collect()
}

fn done(i: usize, status: OperationStatus) -> Operation {
    Operation::new(OperationRef::new("yandex", format!("op-{i}")), status)
}

#[tokio::test(start_paused = true)]
async fn concurrency_is_bounded_and_order_kept() {
    let in_flight = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let options = RunOptions {
        concurrency: 2,
        ..RunOptions::default()
    };
    let report = run_bounded(items(5), &options, |i, _, _| {
        let in_flight = in_flight.clone();
        let peak = peak.clone();
        async move {
            let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            // Later items finish first, to prove the report keeps the given order.
            tokio::time::sleep(Duration::from_millis(100 - 10 * i as u64)).await;
            in_flight.fetch_sub(1, Ordering::SeqCst);
            Attempt {
                operations: vec![done(i, OperationStatus::Succeeded)],
                polls: 3,
                ..Attempt::default()
            }
        }
    })
    .await;
    assert_eq!(peak.load(Ordering::SeqCst), 2);
    let names: Vec<_> = report.targets.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["t0", "t1", "t2", "t3", "t4"]);
    assert!(report.is_success());
    assert_eq!(report.targets[0].polls, 3);
    assert_eq!(report.targets[0].duration, Duration::from_millis(100));
}

#[tokio::test(start_paused = true)]
async fn run_all_reports_every_outcome() {
    let report = run_bounded(items(4), &RunOptions::default(), |i, _, _| async move {
        let op = done(i, OperationStatus::Failed);
        let error = match i {
            0 => None,
            1 => Some(Error::OperationFailed(Box::new(op.clone()))),
            2 => Some(Error::Timeout {
                operation: Box::new(op.clone()),
                waited: Duration::from_secs(1),
            }),
            _ => Some(Error::auth("yandex", "token rejected")),
        };
        Attempt {
            operations: vec![op],
            error,
            ..Attempt::default()
        }
    })
    .await;
    let outcomes: Vec<_> = report.targets.iter().map(|t| t.outcome).collect();
    assert_eq!(
        outcomes,
        [
            TargetOutcome::Succeeded,
            TargetOutcome::Failed,
            TargetOutcome::TimedOut,
            TargetOutcome::Error
        ]
    );
    assert!(!report.is_success());
    assert_eq!(report.count(TargetOutcome::Failed), 1);
}

#[tokio::test(start_paused = true)]
async fn fail_fast_skips_the_rest_and_abandons_waits() {
    let started = Arc::new(AtomicUsize::new(0));
    let options = RunOptions {
        concurrency: 2,
        fail_fast: true,
        ..RunOptions::default()
    };
    let report = run_bounded(items(4), &options, |i, _, mut stop| {
        let started = started.clone();
        async move {
            started.fetch_add(1, Ordering::SeqCst);
            if i == 0 {
                tokio::time::sleep(Duration::from_millis(10)).await;
                return Attempt {
                    error: Some(Error::auth("yandex", "no")),
                    ..Attempt::default()
                };
            }
            // A long wait that fail-fast cuts short.
            tokio::select! {
                () = tokio::time::sleep(Duration::from_secs(3600)) => Attempt::default(),
                () = stop.stopped() => Attempt {
                    operations: vec![done(i, OperationStatus::Running)],
                    abandoned: true,
                    ..Attempt::default()
                },
            }
        }
    })
    .await;
    let outcomes: Vec<_> = report.targets.iter().map(|t| t.outcome).collect();
    assert_eq!(
        outcomes,
        [
            TargetOutcome::Error,
            TargetOutcome::Abandoned,
            TargetOutcome::Skipped,
            TargetOutcome::Skipped
        ]
    );
    assert_eq!(started.load(Ordering::SeqCst), 2);
    assert!(report.duration < Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn the_deadline_is_shared_and_skips_late_targets() {
    let options = RunOptions {
        concurrency: 1,
        deadline: Some(Duration::from_millis(150)),
        fail_fast: false,
    };
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let report = run_bounded(items(3), &options, |_, remaining, _| {
        let seen = seen.clone();
        async move {
            seen.lock().unwrap().push(remaining);
            tokio::time::sleep(Duration::from_millis(100)).await;
            Attempt::default()
        }
    })
    .await;
    assert_eq!(
        *seen.lock().unwrap(),
        [
            Some(Duration::from_millis(150)),
            Some(Duration::from_millis(50))
        ]
    );
    assert_eq!(report.targets[2].outcome, TargetOutcome::Skipped);
}

#[test]
fn a_never_signal_is_not_stopped() {
    assert!(!StopSignal::never().is_stopped());
}
