//! The SQLite journal's one connection, on a thread of its own, with group commit.
//!
//! Every call is a job sent to the thread. The thread takes every job waiting (up to
//! [`MAX_BATCH`]), runs them in one transaction, each in a savepoint of its own (a job
//! that fails leaves nothing behind and does not fail the others), commits once, and
//! only then answers each caller: a step is on disk before its caller goes on, as
//! before, but a thousand targets' steps share one commit (one `fsync`) instead of
//! each paying for its own, and no statement is a round trip between threads.
//!
//! While the journal is busy, batches start at most every [`BUSY_SPACING`] so that
//! more jobs share each commit (see [`super::pacing`]).
//!
//! A caller that stops waiting (its future dropped) does not withdraw its job: it runs
//! and commits like the others.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::JournalError;
use super::pacing::{BUSY_SPACING, Pacing};

/// The most jobs one transaction takes.
const MAX_BATCH: usize = 1024;

/// Why the jobs after a transaction SQLite rolled back on its own are not run.
const ROLLED_BACK: &str =
    "the journal's transaction was rolled back by SQLite (a full disk or an I/O error?)";

/// Runs a job's statements on the batch's connection (`Err`: the batch could not
/// start, with why) and gives back what to answer once the batch is committed.
type Job = Box<dyn FnOnce(Result<&Connection, &str>) -> Answer + Send>;

/// Answers a job's caller with the commit's outcome (`Err`: why it failed).
type Answer = Box<dyn FnOnce(Result<(), &str>) + Send>;

/// The thread that owns the connection. Dropping the last handle lets the thread
/// finish the jobs it has and close the connection.
#[derive(Debug)]
pub(super) struct Writer {
    location: Arc<str>,
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the thread, which opens the connection with `open`; `open`'s error when
    /// it cannot.
    pub(super) async fn start(
        location: Arc<str>,
        open: impl FnOnce() -> Result<Connection, String> + Send + 'static,
    ) -> Result<Self, String> {
        Self::start_paced(location, open, BUSY_SPACING, std::thread::sleep).await
    }

    /// [`Writer::start`] with the busy journal's `spacing` between batches, waited
    /// through `pause`.
    async fn start_paced(
        location: Arc<str>,
        open: impl FnOnce() -> Result<Connection, String> + Send + 'static,
        spacing: Duration,
        pause: impl Fn(Duration) + Send + 'static,
    ) -> Result<Self, String> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let (opened, opening) = oneshot::channel();
        std::thread::Builder::new()
            .name("backupctl-journal".to_owned())
            .spawn(move || match open() {
                Ok(connection) => {
                    let _ = opened.send(Ok(()));
                    serve(&connection, &queue, spacing, &pause);
                }
                Err(message) => {
                    let _ = opened.send(Err(message));
                }
            })
            .map_err(|e| format!("cannot start the journal's thread: {e}"))?;
        opening
            .await
            .map_err(|_| "the journal's thread stopped while opening".to_owned())??;
        Ok(Self { location, jobs })
    }

    /// Runs `work` in the next batch's transaction (in a savepoint: when it fails,
    /// none of its writes stay) and answers after the commit.
    ///
    /// # Errors
    /// `work`'s error; [`JournalError::Store`] when the batch cannot start or commit.
    pub(super) async fn call<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, JournalError> + Send + 'static,
    ) -> Result<T, JournalError> {
        let (reply, answer) = oneshot::channel();
        let location = Arc::clone(&self.location);
        let job: Job = Box::new(move |connection| {
            let store = move |message: &str| JournalError::Store {
                location: location.to_string(),
                message: message.to_owned(),
            };
            let done = match connection {
                Ok(connection) => in_savepoint(connection, work),
                Err(message) => Err(message.to_owned()),
            };
            Box::new(move |committed: Result<(), &str>| {
                // The job's own database error says more than the commit's.
                let result = match (committed, done) {
                    (Ok(()), Ok(result)) => result,
                    (_, Err(message)) => Err(store(&message)),
                    (Err(message), Ok(_)) => Err(store(message)),
                };
                let _ = reply.send(result);
            })
        });
        self.jobs.send(job).map_err(|_| self.stopped())?;
        answer.await.map_err(|_| self.stopped())?
    }

    fn stopped(&self) -> JournalError {
        JournalError::Store {
            location: self.location.to_string(),
            message: "the journal's thread stopped".to_owned(),
        }
    }
}

/// Takes batches until every handle is gone; while the journal is busy, each batch
/// starts `spacing` after the last (`pause` waits), taking the jobs that came meanwhile.
fn serve(
    connection: &Connection,
    queue: &mpsc::Receiver<Job>,
    spacing: Duration,
    pause: &dyn Fn(Duration),
) {
    let mut pacing = Pacing::default();
    while let Ok(first) = queue.recv() {
        let wait = pacing.wait(Instant::now(), spacing);
        if !wait.is_zero() {
            pause(wait);
        }
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        pacing.started(Instant::now(), batch.len());
        run_batch(connection, batch);
    }
}

/// One transaction for every job of `batch`, then the answers.
fn run_batch(connection: &Connection, batch: Vec<Job>) {
    // IMMEDIATE: the write lock is taken (or waited for, up to the busy timeout) here,
    // not half-way through the batch.
    if let Err(error) = connection.execute_batch("BEGIN IMMEDIATE") {
        let message = describe(&error);
        for job in batch {
            job(Err(&message))(Err(&message));
        }
        return;
    }
    let answers: Vec<Answer> = batch
        .into_iter()
        .map(|job| {
            // SQLite rolls a whole transaction back on some errors (a full disk, an
            // I/O error): the jobs after it would otherwise run outside any
            // transaction, each committed on its own while its caller is told the
            // batch failed.
            if connection.is_autocommit() {
                job(Err(ROLLED_BACK))
            } else {
                job(Ok(connection))
            }
        })
        .collect();
    let committed = connection.execute_batch("COMMIT").map_err(|error| {
        // Nothing of the batch is kept.
        let _ = connection.execute_batch("ROLLBACK");
        describe(&error)
    });
    for answer in answers {
        answer(committed.as_ref().copied().map_err(String::as_str));
    }
}

/// `work` in a savepoint of its own, released when it succeeds and rolled back when it
/// fails (or panics: the panic becomes its error, and the thread goes on). `Ok` holds
/// the job's own outcome, `Err` the database's (or the panic's) message.
fn in_savepoint<T>(
    connection: &Connection,
    work: impl FnOnce(&Connection) -> Result<T, JournalError>,
) -> Result<Result<T, JournalError>, String> {
    let run = |sql: &str| -> Result<(), String> {
        connection
            .prepare_cached(sql)
            .and_then(|mut statement| statement.execute([]))
            .map(|_| ())
            .map_err(|e| describe(&e))
    };
    run("SAVEPOINT job")?;
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| work(connection)));
    if !matches!(result, Ok(Ok(_))) {
        run("ROLLBACK TO job")?;
    }
    run("RELEASE job")?;
    result.map_err(|_| "a journal statement panicked".to_owned())
}

/// A SQLite error in a sentence: its message and extended code.
pub(super) fn describe(error: &rusqlite::Error) -> String {
    match error {
        rusqlite::Error::SqliteFailure(failure, Some(message)) => {
            format!("{message} (code {})", failure.extended_code)
        }
        rusqlite::Error::SqliteFailure(failure, None) => {
            format!("{failure} (code {})", failure.extended_code)
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn writer() -> (Writer, tempfile::TempDir, std::path::PathBuf) {
        writer_paced(BUSY_SPACING, std::thread::sleep).await
    }

    /// A writer on a new file with a table `steps`, its batches paced by `spacing`
    /// and `pause`.
    async fn writer_paced(
        spacing: Duration,
        pause: impl Fn(Duration) + Send + 'static,
    ) -> (Writer, tempfile::TempDir, std::path::PathBuf) {
        let (dir, path) = crate::journal::tests::temp_path("journal.sqlite");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let file = path.clone();
        let open = move || {
            let connection = Connection::open(&file).map_err(|e| describe(&e))?;
            connection
                .execute_batch("CREATE TABLE IF NOT EXISTS steps (n INTEGER NOT NULL)")
                .map_err(|e| describe(&e))?;
            Ok(connection)
        };
        let writer = Writer::start_paced("test".into(), open, spacing, pause)
            .await
            .unwrap();
        (writer, dir, path)
    }

    fn insert(n: i64) -> impl FnOnce(&Connection) -> Result<(), JournalError> + Send {
        move |connection| {
            connection
                .execute("INSERT INTO steps (n) VALUES (?1)", [n])
                .map(|_| ())
                .map_err(|e| JournalError::Store {
                    location: "test".to_owned(),
                    message: describe(&e),
                })
        }
    }

    fn steps(path: &std::path::Path) -> Vec<i64> {
        let connection = Connection::open(path).unwrap();
        let mut statement = connection
            .prepare("SELECT n FROM steps ORDER BY n")
            .unwrap();
        statement
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// A job that holds the thread (in a batch of its own: it is running) until the
    /// sender is used, so that the jobs sent meanwhile form the next batch together.
    async fn hold_the_thread(
        writer: &std::sync::Arc<Writer>,
    ) -> (
        tokio::task::JoinHandle<Result<(), JournalError>>,
        std::sync::mpsc::Sender<()>,
    ) {
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let (running, started) = oneshot::channel::<()>();
        let busy = tokio::spawn({
            let writer = writer.clone();
            async move {
                writer
                    .call(move |_| {
                        let _ = running.send(());
                        let _ = hold.recv();
                        Ok(())
                    })
                    .await
            }
        });
        started.await.unwrap();
        (busy, release)
    }

    /// Jobs queued while the thread is busy share one batch; one that fails leaves
    /// nothing of its own and fails nothing else; each caller's answer comes after the
    /// commit.
    #[tokio::test(flavor = "current_thread")]
    async fn a_batch_commits_every_job_but_the_one_that_failed() {
        let (writer, _dir, path) = writer().await;
        let writer = std::sync::Arc::new(writer);
        let (busy, release) = hold_the_thread(&writer).await;
        let queued: Vec<_> = [1, 2, 3]
            .into_iter()
            .map(|n| {
                let writer = writer.clone();
                tokio::spawn(async move {
                    writer
                        .call(move |connection| {
                            insert(n)(connection)?;
                            if n == 2 {
                                return Err(JournalError::LostClaim {
                                    run_id: "r".to_owned(),
                                    target: "t".to_owned(),
                                    worker: "w".to_owned(),
                                });
                            }
                            Ok(n)
                        })
                        .await
                })
            })
            .collect();
        // Each spawned caller sends its job at its first poll.
        tokio::task::yield_now().await;
        release.send(()).unwrap();
        busy.await.unwrap().unwrap();
        let mut answers = Vec::new();
        for caller in queued {
            answers.push(caller.await.unwrap());
        }
        assert!(matches!(answers[0], Ok(1)), "{answers:?}");
        assert!(
            matches!(answers[1], Err(JournalError::LostClaim { .. })),
            "{answers:?}"
        );
        assert!(matches!(answers[2], Ok(3)), "{answers:?}");
        assert_eq!(steps(&path), [1, 3]);
    }

    /// When SQLite ends the transaction under a job, the jobs after it in the batch
    /// are not run outside it: they fail, and none of their writes stays.
    #[tokio::test(flavor = "current_thread")]
    async fn jobs_after_a_transaction_sqlite_rolled_back_are_not_run() {
        let (writer, _dir, path) = writer().await;
        let writer = std::sync::Arc::new(writer);
        let (busy, release) = hold_the_thread(&writer).await;
        let first = tokio::spawn({
            let writer = writer.clone();
            async move {
                writer
                    .call(|connection| {
                        insert(1)(connection)?;
                        // What SQLite does on a full disk: the whole transaction goes.
                        connection.execute_batch("ROLLBACK").unwrap();
                        Ok(())
                    })
                    .await
            }
        });
        let second = tokio::spawn({
            let writer = writer.clone();
            async move { writer.call(insert(2)).await }
        });
        tokio::task::yield_now().await;
        release.send(()).unwrap();
        busy.await.unwrap().unwrap();
        let first = first.await.unwrap();
        let second = second.await.unwrap();
        assert!(first.is_err(), "{first:?}");
        let text = second.unwrap_err().to_string();
        assert!(text.contains("rolled back"), "{text}");
        assert_eq!(steps(&path), Vec::<i64>::new());
    }

    /// Spawns a caller of `job` and lets it send the job (at its first poll).
    async fn send<T: Send + 'static>(
        writer: &std::sync::Arc<Writer>,
        job: impl FnOnce(&Connection) -> Result<T, JournalError> + Send + 'static,
    ) -> tokio::task::JoinHandle<Result<T, JournalError>> {
        let writer = writer.clone();
        let caller = tokio::spawn(async move { writer.call(job).await });
        tokio::task::yield_now().await;
        caller
    }

    /// After a batch of more than one job, the next batch first waits (here until the
    /// test resumes it, not for a time) and takes every job sent meanwhile into one
    /// transaction; after a batch of one job, the next does not wait.
    #[tokio::test(flavor = "current_thread")]
    async fn a_busy_journal_paces_its_batches_and_a_lone_job_does_not_wait() {
        const SPACING: Duration = Duration::from_secs(3600);
        const PATIENCE: Duration = Duration::from_secs(60);
        let (paused, pauses) = std::sync::mpsc::channel::<Duration>();
        let (resume, resumed) = std::sync::mpsc::channel::<()>();
        let (writer, _dir, path) = writer_paced(SPACING, move |wait| {
            paused.send(wait).unwrap();
            resumed.recv().unwrap();
        })
        .await;
        let writer = std::sync::Arc::new(writer);

        // One job alone, then two together: no pause before either.
        let (busy, release) = hold_the_thread(&writer).await;
        let two = [
            send(&writer, insert(1)).await,
            send(&writer, insert(2)).await,
        ];
        release.send(()).unwrap();
        busy.await.unwrap().unwrap();
        for caller in two {
            caller.await.unwrap().unwrap();
        }
        assert!(pauses.try_recv().is_err(), "no batch before was busy");

        // After the busy batch, the next waits; the jobs sent meanwhile join it.
        let third = send(&writer, insert(3)).await;
        let wait = pauses.recv_timeout(PATIENCE).expect("the writer paused");
        assert!(!wait.is_zero() && wait <= SPACING, "{wait:?}");
        let fourth = send(&writer, insert(4)).await;
        let committed_before = path.clone();
        let fifth = send(&writer, move |connection: &Connection| {
            insert(5)(connection)?;
            let count = |connection: &Connection| -> i64 {
                connection
                    .query_row("SELECT COUNT(*) FROM steps", [], |row| row.get(0))
                    .unwrap()
            };
            let reader = Connection::open(&committed_before).unwrap();
            Ok((count(connection), count(&reader)))
        })
        .await;
        resume.send(()).unwrap();
        third.await.unwrap().unwrap();
        fourth.await.unwrap().unwrap();
        // The fifth job saw 3, 4 and 5 in its transaction, none of them committed yet.
        assert_eq!(fifth.await.unwrap().unwrap(), (5, 2));

        // That batch was busy: a lone job after it waits too ...
        let sixth = send(&writer, insert(6)).await;
        pauses.recv_timeout(PATIENCE).expect("the writer paused");
        resume.send(()).unwrap();
        sixth.await.unwrap().unwrap();
        // ... and, after that batch of one, the next does not.
        send(&writer, insert(7)).await.await.unwrap().unwrap();
        assert!(pauses.try_recv().is_err(), "no pause after a lone job");
        assert_eq!(steps(&path), [1, 2, 3, 4, 5, 6, 7]);
    }
}
