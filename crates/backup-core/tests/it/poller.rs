//! The poller: terminal detection, deadline, transient errors, hints, observer.

use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use backup_core::error::ApiError;
use backup_core::{Error, Operation, OperationRef, OperationStatus, Pollable, Poller, WaitOptions};
use futures_util::StreamExt;

/// One scripted answer: a state and progress, or an error status.
type Step = Result<(OperationStatus, Option<f64>), u16>;

/// Answers each poll with the next scripted result; the last one repeats.
struct Script {
    steps: Mutex<Vec<Step>>,
    polls: Mutex<Vec<tokio::time::Instant>>,
    hint: Option<Duration>,
}

impl Script {
    fn new(steps: Vec<Step>) -> Self {
        Self {
            steps: Mutex::new(steps),
            polls: Mutex::new(Vec::new()),
            hint: None,
        }
    }
}

#[async_trait]
impl Pollable for Script {
    async fn poll(&self, operation: &Operation) -> backup_core::Result<Operation> {
        self.polls.lock().unwrap().push(tokio::time::Instant::now());
        let mut steps = self.steps.lock().unwrap();
        let step = if steps.len() > 1 {
            steps.remove(0)
        } else {
            steps[0]
        };
        match step {
            Ok((status, progress)) => Ok(Operation::new(operation.reference.clone(), status)
                .with_progress(progress)
                .with_poll_after(self.hint)),
            Err(0) => Err(Error::decode("test", 200, "invalid JSON", b"{\"tru", None)),
            Err(status) => Err(ApiError::new("test", status, "scripted").into()),
        }
    }
}

fn start() -> Operation {
    Operation::new(OperationRef::new("test", "op-1"), OperationStatus::Pending)
}

fn fast() -> WaitOptions {
    WaitOptions::every(Duration::from_millis(10)).deadline(Some(Duration::from_secs(60)))
}

use OperationStatus::*;

#[tokio::test(start_paused = true)]
async fn ends_at_the_terminal_state() {
    let script = Script::new(vec![
        Ok((Running, Some(10.0))),
        Ok((Running, Some(50.0))),
        Ok((Succeeded, Some(100.0))),
    ]);
    let op = Poller::new(&script, start(), fast()).await.unwrap();
    assert_eq!(op.status, Succeeded);
    assert_eq!(script.polls.lock().unwrap().len(), 3);
}

#[tokio::test(start_paused = true)]
async fn failure_and_cancellation_are_errors_carrying_the_operation() {
    for status in [Failed, Cancelled] {
        let script = Script::new(vec![Ok((Running, None)), Ok((status, None))]);
        let err = Poller::new(&script, start(), fast()).await.unwrap_err();
        match err {
            Error::OperationFailed(op) => assert_eq!(op.status, status),
            other => panic!("{other:?}"),
        }
    }
    let script = Script::new(vec![Ok((SucceededWithWarnings, None))]);
    assert_eq!(
        Poller::new(&script, start(), fast()).await.unwrap().status,
        SucceededWithWarnings
    );
}

#[tokio::test(start_paused = true)]
async fn the_deadline_gives_timeout_with_the_last_operation() {
    let script = Script::new(vec![Ok((Running, Some(42.0)))]);
    let options =
        WaitOptions::every(Duration::from_secs(1)).deadline(Some(Duration::from_secs(10)));
    let err = Poller::new(&script, start(), options).await.unwrap_err();
    match err {
        Error::Timeout { operation, waited } => {
            assert_eq!(operation.status, Running);
            assert_eq!(operation.progress, Some(42.0));
            assert!(waited >= Duration::from_secs(10));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn transient_poll_errors_are_survived() {
    let script = Script::new(vec![
        Err(503),
        Err(500),
        Ok((Running, None)),
        Err(429),
        Ok((Succeeded, None)),
    ]);
    let op = Poller::new(&script, start(), fast()).await.unwrap();
    assert_eq!(op.status, Succeeded);
    assert_eq!(op.reference.id, "op-1");
}

#[tokio::test(start_paused = true)]
async fn too_many_transient_errors_or_a_permanent_one_end_the_wait() {
    let script = Script::new(vec![Err(404)]);
    let err = Poller::new(&script, start(), fast()).await.unwrap_err();
    assert_eq!(err.status(), Some(404));

    let script = Script::new(vec![Err(503)]);
    let options = WaitOptions {
        max_poll_errors: 3,
        ..fast()
    };
    let err = Poller::new(&script, start(), options).await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(script.polls.lock().unwrap().len(), 4);
}

#[tokio::test(start_paused = true)]
async fn the_stream_yields_each_change_once() {
    let script = Script::new(vec![
        Ok((Pending, None)),
        Ok((Running, Some(10.0))),
        Ok((Running, Some(10.0))),
        Ok((Running, Some(60.0))),
        Ok((Running, Some(60.0))),
        Ok((Succeeded, Some(100.0))),
    ]);
    let seen: Vec<_> = Poller::new(&script, start(), fast())
        .map(|item| {
            let op = item.unwrap();
            (op.status, op.progress)
        })
        .collect()
        .await;
    assert_eq!(
        seen,
        vec![
            (Pending, None),
            (Running, Some(10.0)),
            (Running, Some(60.0)),
            (Succeeded, Some(100.0))
        ]
    );

    let script = Script::new(vec![
        Ok((Running, Some(5.0))),
        Ok((Running, Some(5.0))),
        Ok((Succeeded, None)),
    ]);
    let mut observed = Vec::new();
    Poller::new(&script, start(), fast())
        .run_with(|op| observed.push(op.status))
        .await
        .unwrap();
    assert_eq!(observed, vec![Pending, Running, Succeeded]);
}

#[tokio::test(start_paused = true)]
async fn vendor_hints_win_within_limits() {
    let mut script = Script::new(vec![
        Ok((Running, None)),
        Ok((Running, None)),
        Ok((Succeeded, None)),
    ]);
    script.hint = Some(Duration::from_secs(7));
    let options = WaitOptions::every(Duration::from_secs(1))
        .interval_limits(Duration::from_secs(1), Duration::from_secs(5))
        .deadline(None);
    Poller::new(&script, start(), options).await.unwrap();
    let polls = script.polls.lock().unwrap().clone();
    // First poll after the initial interval, then the 7 s hint clamped to 5 s.
    assert_eq!(polls[1] - polls[0], Duration::from_secs(5));
    assert_eq!(polls[2] - polls[1], Duration::from_secs(5));
}

#[tokio::test(start_paused = true)]
async fn the_interval_backs_off_up_to_the_maximum() {
    let script = Script::new(vec![
        Ok((Running, None)),
        Ok((Running, None)),
        Ok((Running, None)),
        Ok((Succeeded, None)),
    ]);
    let options = WaitOptions {
        initial_interval: Duration::from_secs(1),
        backoff_factor: 2.0,
        max_interval: Duration::from_secs(3),
        ..WaitOptions::default()
    };
    Poller::new(&script, start(), options).await.unwrap();
    let polls = script.polls.lock().unwrap().clone();
    assert_eq!(polls[1] - polls[0], Duration::from_secs(2));
    assert_eq!(polls[2] - polls[1], Duration::from_secs(3));
    assert_eq!(polls[3] - polls[2], Duration::from_secs(3));
}

#[tokio::test(start_paused = true)]
async fn an_operation_already_terminal_is_not_polled() {
    let script = Script::new(vec![Ok((Running, None))]);
    let done = Operation::new(OperationRef::new("test", "x"), Succeeded);
    assert_eq!(
        Poller::new(&script, done, fast()).await.unwrap().status,
        Succeeded
    );
    assert!(script.polls.lock().unwrap().is_empty());
}

#[tokio::test(start_paused = true)]
async fn dropping_the_poller_stops_polling() {
    let script = Script::new(vec![Ok((Running, None))]);
    {
        let mut poller = Poller::new(&script, start(), fast());
        let _ = poller.next().await;
        let _ = tokio::time::timeout(Duration::from_millis(35), poller.next()).await;
    }
    let polls = script.polls.lock().unwrap().len();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(script.polls.lock().unwrap().len(), polls);
}

/// Ends at once, then answers the follow-up read with a produced recovery point, or
/// with an error.
struct Producing {
    fail: bool,
    follow_ups: Mutex<u32>,
}

#[async_trait]
impl Pollable for Producing {
    async fn poll(&self, operation: &Operation) -> backup_core::Result<Operation> {
        Ok(Operation::new(operation.reference.clone(), Succeeded))
    }

    async fn follow_up(&self, operation: &Operation) -> backup_core::Result<Operation> {
        *self.follow_ups.lock().unwrap() += 1;
        if self.fail {
            return Err(ApiError::new("test", 500, "no recovery point list").into());
        }
        Ok(operation
            .clone()
            .with_produced(vec![backup_core::operation::Produced::new(
                "recovery_point",
                "rp-1",
            )])
            .with_size(Some(4096)))
    }
}

#[tokio::test(start_paused = true)]
async fn a_successful_end_is_followed_by_one_read_of_what_it_made() {
    let source = Producing {
        fail: false,
        follow_ups: Mutex::new(0),
    };
    let done = Poller::new(&source, start(), fast()).await.unwrap();
    assert_eq!(done.produced[0].id, "rp-1");
    assert_eq!(done.size_bytes, Some(4096));
    assert_eq!(*source.follow_ups.lock().unwrap(), 1);
    // The stream's last item carries it too.
    let seen: Vec<_> = Poller::new(&source, start(), fast()).collect().await;
    let last = seen.last().unwrap().as_ref().unwrap();
    assert_eq!(last.produced.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn the_follow_up_can_be_switched_off_and_its_failure_is_a_warning() {
    let source = Producing {
        fail: false,
        follow_ups: Mutex::new(0),
    };
    let done = Poller::new(&source, start(), fast().follow_up(false))
        .await
        .unwrap();
    assert!(done.produced.is_empty());
    assert_eq!(*source.follow_ups.lock().unwrap(), 0);

    let failing = Producing {
        fail: true,
        follow_ups: Mutex::new(0),
    };
    let done = Poller::new(&failing, start(), fast()).await.unwrap();
    assert_eq!(done.status, Succeeded);
    assert!(done.produced.is_empty());
    assert!(
        done.warnings[0].contains("could not read what the backup made"),
        "{:?}",
        done.warnings
    );
}

#[tokio::test(start_paused = true)]
async fn a_failed_end_is_not_followed_up() {
    struct Failing(Mutex<u32>);
    #[async_trait]
    impl Pollable for Failing {
        async fn poll(&self, operation: &Operation) -> backup_core::Result<Operation> {
            Ok(Operation::new(operation.reference.clone(), Failed))
        }
        async fn follow_up(&self, operation: &Operation) -> backup_core::Result<Operation> {
            *self.0.lock().unwrap() += 1;
            Ok(operation.clone())
        }
    }
    let source = Failing(Mutex::new(0));
    assert!(Poller::new(&source, start(), fast()).await.is_err());
    assert_eq!(*source.0.lock().unwrap(), 0);
}
