//! The emulator's backup lifecycles, by polls and by time (paused clock).
#![cfg(feature = "emulator")]

use std::time::Duration;

use backup_core::emulator::{Lifecycle, LifecycleSpec, Outcome, Phase};

fn observe_all(life: &mut Lifecycle, polls: usize) -> Vec<Phase> {
    (0..polls).map(|_| life.observe()).collect()
}

#[tokio::test(start_paused = true)]
async fn by_polls_queued_then_running_then_done() {
    let spec = LifecycleSpec::after_polls(4).queued_for(2);
    let mut life = Lifecycle::new(spec);
    assert_eq!(life.peek(), Phase::Queued);
    let phases = observe_all(&mut life, 8);
    assert_eq!(
        phases,
        [
            Phase::Queued,
            Phase::Queued,
            Phase::Running { progress: 0 },
            Phase::Running { progress: 25 },
            Phase::Running { progress: 50 },
            Phase::Running { progress: 75 },
            Phase::Done(Outcome::Success),
            Phase::Done(Outcome::Success),
        ]
    );
    assert_eq!(life.peek(), Phase::Done(Outcome::Success));
    assert_eq!(life.polls(), 8);
    assert_eq!(phases.last().map(Phase::progress), Some(100));
}

#[tokio::test(start_paused = true)]
async fn progress_rises_monotonically_below_100() {
    let mut life = Lifecycle::new(LifecycleSpec::after_polls(250));
    let mut last = 0;
    for _ in 0..250 {
        let phase = life.observe();
        assert!(matches!(phase, Phase::Running { .. }), "{phase:?}");
        assert!(phase.progress() >= last && phase.progress() <= 99);
        last = phase.progress();
    }
    assert_eq!(last, 99);
    assert!(life.observe().is_terminal());
}

#[tokio::test(start_paused = true)]
async fn outcomes_failure_and_warning() {
    let mut failing = Lifecycle::new(LifecycleSpec::after_polls(1).failing("disk full"));
    assert_eq!(failing.observe(), Phase::Running { progress: 0 });
    let done = failing.observe();
    assert_eq!(
        done,
        Phase::Done(Outcome::Failure {
            reason: "disk full".to_owned()
        })
    );
    assert_eq!(
        done.outcome(),
        Some(&Outcome::Failure {
            reason: "disk full".to_owned()
        })
    );

    let mut warning = Lifecycle::new(LifecycleSpec::after_polls(0).with_warning());
    assert_eq!(warning.observe(), Phase::Done(Outcome::Warning));

    let mut queued_only = Lifecycle::new(LifecycleSpec::after_polls(0).queued_for(1));
    assert_eq!(queued_only.observe(), Phase::Queued);
    assert_eq!(queued_only.started_at(), None);
    assert_eq!(queued_only.observe(), Phase::Done(Outcome::Success));
    assert_eq!(queued_only.started_at(), queued_only.finished_at());
}

#[tokio::test(start_paused = true)]
async fn by_time_the_clock_decides() {
    let mut life = Lifecycle::new(LifecycleSpec::default().after(Duration::from_secs(100)));
    let created = life.created_at();
    assert_eq!(
        life.started_at(),
        Some(created),
        "a timed backup runs at once"
    );
    assert_eq!(life.observe(), Phase::Running { progress: 0 });
    // Polls alone do not move it.
    assert_eq!(
        observe_all(&mut life, 10).last(),
        Some(&Phase::Running { progress: 0 })
    );

    tokio::time::advance(Duration::from_secs(30)).await;
    assert_eq!(
        life.peek(),
        Phase::Running { progress: 30 },
        "peek follows the clock"
    );
    assert_eq!(life.observe(), Phase::Running { progress: 30 });
    assert_eq!(life.finished_at(), None);

    tokio::time::advance(Duration::from_secs(69)).await;
    assert_eq!(life.observe(), Phase::Running { progress: 99 });

    tokio::time::advance(Duration::from_secs(5)).await;
    assert!(life.peek().is_terminal());
    assert_eq!(
        life.finished_at(),
        Some(created + Duration::from_secs(100)),
        "before it is observed"
    );
    assert_eq!(life.observe(), Phase::Done(Outcome::Success));
    assert_eq!(
        life.finished_at(),
        Some(created + Duration::from_secs(100)),
        "the exact end, not the poll time"
    );
}

#[tokio::test(start_paused = true)]
async fn timestamps_follow_the_paused_clock() {
    let mut life = Lifecycle::new(LifecycleSpec::after_polls(1).queued_for(1));
    let created = life.created_at();
    tokio::time::advance(Duration::from_secs(10)).await;
    assert_eq!(life.observe(), Phase::Queued);
    tokio::time::advance(Duration::from_secs(10)).await;
    assert_eq!(life.observe(), Phase::Running { progress: 0 });
    assert_eq!(life.started_at(), Some(created + Duration::from_secs(20)));
    tokio::time::advance(Duration::from_secs(10)).await;
    assert!(life.observe().is_terminal());
    assert_eq!(life.finished_at(), Some(created + Duration::from_secs(30)));
}

#[tokio::test(start_paused = true)]
async fn cancel_at_once() {
    let mut life = Lifecycle::new(LifecycleSpec::after_polls(5));
    life.observe();
    assert!(life.cancel());
    assert_eq!(life.peek(), Phase::Done(Outcome::Cancelled));
    assert_eq!(life.observe(), Phase::Done(Outcome::Cancelled));
    assert!(!life.cancel(), "already finished");
    assert!(!life.request_cancel());
    assert!(life.finished_at().is_some());

    // A finished backup cannot be cancelled.
    let mut done = Lifecycle::new(LifecycleSpec::after_polls(0));
    assert_eq!(done.observe(), Phase::Done(Outcome::Success));
    assert!(!done.cancel());
    assert_eq!(done.observe(), Phase::Done(Outcome::Success));

    // Nor a timed one whose time is up, even unobserved.
    let mut timed = Lifecycle::new(LifecycleSpec::default().after(Duration::from_secs(1)));
    tokio::time::advance(Duration::from_secs(2)).await;
    assert!(!timed.cancel());
    assert_eq!(timed.observe(), Phase::Done(Outcome::Success));
}

#[tokio::test(start_paused = true)]
async fn request_cancel_takes_one_poll() {
    let mut life = Lifecycle::new(LifecycleSpec::default().after(Duration::from_secs(60)));
    assert!(life.request_cancel());
    assert!(!life.request_cancel(), "already requested");
    assert_eq!(life.peek(), Phase::Cancelling);
    assert_eq!(life.finished_at(), None);
    tokio::time::advance(Duration::from_secs(120)).await;
    assert_eq!(
        life.observe(),
        Phase::Cancelling,
        "the clock no longer decides"
    );
    assert_eq!(life.observe(), Phase::Done(Outcome::Cancelled));
    assert_eq!(life.peek(), Phase::Done(Outcome::Cancelled));
    assert!(life.finished_at().is_some());
}
