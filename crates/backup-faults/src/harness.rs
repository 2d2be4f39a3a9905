//! One small adapter per vendor: start its emulator, build a client with fast retries
//! and short timeouts, trigger the demo backup, wait with short intervals, and read
//! what the emulator saw (accepted backups, token requests, the request log).

use std::fmt;
use std::time::Duration;

use backup_core::emulator::{Fault, Faults, LifecycleSpec, RequestLog};
use backup_core::{
    Error, Operation, OperationRef, Pollable, Poller, Result, RetryPolicy, WaitOptions,
};

/// The five vendors, in the order the matrix prints them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Vendor {
    /// Azure Recovery Services (`backup-azure`).
    Azure,
    /// Yandex Cloud Backup (`backup-yandex`).
    Yandex,
    /// Huawei Cloud CSBS (`backup-huawei-csbs`).
    HuaweiCsbs,
    /// Commvault / Metallic (`backup-commvault`).
    Commvault,
    /// Veeam Backup for Microsoft Azure (`backup-veeam`).
    Veeam,
}

impl Vendor {
    /// Every vendor.
    pub const ALL: [Vendor; 5] = [
        Vendor::Azure,
        Vendor::Yandex,
        Vendor::HuaweiCsbs,
        Vendor::Commvault,
        Vendor::Veeam,
    ];

    /// The vendor's name, as its crate's `VENDOR` constant spells it.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Vendor::Azure => backup_azure::VENDOR,
            Vendor::Yandex => backup_yandex::VENDOR,
            Vendor::HuaweiCsbs => backup_huawei_csbs::VENDOR,
            Vendor::Commvault => backup_commvault::VENDOR,
            Vendor::Veeam => backup_veeam::VENDOR,
        }
    }

    /// Whether a trigger carries an idempotency key the service honours, so that a
    /// trigger whose answer was lost can be sent again safely (Yandex only).
    #[must_use]
    pub fn idempotent_trigger(self) -> bool {
        self == Vendor::Yandex
    }

    /// The status the vendor answers a successful trigger with.
    #[must_use]
    pub fn trigger_success_status(self) -> u16 {
        match self {
            Vendor::Azure | Vendor::Veeam => 202,
            Vendor::Yandex | Vendor::HuaweiCsbs | Vendor::Commvault => 200,
        }
    }

    /// A refusal of the trigger worded in the vendor's own error format (from its
    /// documents), and the vendor error code the client must read out of it.
    #[must_use]
    pub fn vendor_error(self) -> (Fault, &'static str) {
        let json = |status: u16, body: &str| Fault::Respond {
            status,
            content_type: "application/json".to_owned(),
            body: body.to_owned(),
        };
        match self {
            Vendor::Azure => (
                json(
                    400,
                    r#"{"error":{"code":"UserErrorBackupOperationInProgress","message":"Backup is already in progress for this item."}}"#,
                ),
                "UserErrorBackupOperationInProgress",
            ),
            Vendor::Yandex => (
                json(
                    400,
                    r#"{"code":9,"message":"Policy is not applied to instance","details":[]}"#,
                ),
                "FAILED_PRECONDITION",
            ),
            Vendor::HuaweiCsbs => (
                json(
                    500,
                    r#"{"error_code":"CSBS.1001","error_msg":"The policy is executing backup."}"#,
                ),
                "CSBS.1001",
            ),
            Vendor::Commvault => (
                // Commvault's error inside a 200, as in the Run Backup Job document.
                Fault::Respond {
                    status: 200,
                    content_type: "application/xml".to_owned(),
                    body: r#"<TMMsg_GenericResp errorMessage="Failed to start backups as no eligible subclients were found. " errorCode="587207178" />"#.to_owned(),
                },
                "587207178",
            ),
            Vendor::Veeam => (
                Fault::Respond {
                    status: 400,
                    content_type: "application/problem+json".to_owned(),
                    body: r#"{"type":"https://tools.ietf.org/html/rfc7231#section-6.5.1","title":"One or more validation errors occurred.","status":400,"traceId":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00","errors":{"policyId":["The value is not valid."]}}"#.to_owned(),
                },
                // Veeam's problem details carry no code of their own: the `type` is it.
                "https://tools.ietf.org/html/rfc7231#section-6.5.1",
            ),
        }
    }
}

impl fmt::Display for Vendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a [`Harness`] builds its client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The time allowed for one attempt (default 5 s).
    pub request_timeout: Duration,
    /// The largest answer read (default 64 KiB, far above any emulator answer).
    pub body_cap: usize,
    /// Use a token flow where the default credential has none (Huawei: the IAM
    /// password instead of AK/SK), so that tokens can expire.
    pub token_flow: bool,
    /// Point every endpoint of the client at a local port nobody listens on.
    pub unreachable: bool,
    /// The retry policy (default [`fast_retry`]).
    pub retry: RetryPolicy,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(5),
            body_cap: 64 * 1024,
            token_flow: false,
            unreachable: false,
            retry: fast_retry(),
        }
    }
}

/// Retries with millisecond backoffs: 4 attempts, 2 ms doubling to 20 ms, no jitter.
#[must_use]
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_backoff: Duration::from_millis(2),
        max_backoff: Duration::from_millis(20),
        budget: Duration::from_secs(10),
        jitter: false,
    }
}

/// Short waits: a poll every 5 ms (hints clamped to 1..=50 ms), a 10 s deadline.
#[must_use]
pub fn fast_wait() -> WaitOptions {
    WaitOptions::every(Duration::from_millis(5))
        .interval_limits(Duration::from_millis(1), Duration::from_millis(50))
        .deadline(Some(Duration::from_secs(10)))
}

/// A `http://127.0.0.1:PORT/` where nothing listens (the port was bound, then freed).
///
/// # Errors
/// When no local port can be bound.
pub fn unreachable_url() -> std::io::Result<String> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
    let port = listener.local_addr()?.port();
    drop(listener);
    Ok(format!("http://127.0.0.1:{port}/"))
}

enum Inner {
    Azure(backup_azure::emulator::Emulator, backup_azure::Client),
    Yandex(backup_yandex::emulator::Emulator, backup_yandex::Client),
    HuaweiCsbs(
        backup_huawei_csbs::emulator::Emulator,
        backup_huawei_csbs::Client,
    ),
    Commvault(
        backup_commvault::emulator::Emulator,
        backup_commvault::Client,
    ),
    Veeam(backup_veeam::emulator::Emulator, backup_veeam::Client),
}

/// A vendor's emulator and a client of it, driven the same way for every vendor.
pub struct Harness {
    vendor: Vendor,
    inner: Inner,
}

impl fmt::Debug for Harness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Harness")
            .field("vendor", &self.vendor)
            .field("accepted_backups", &self.accepted_backups())
            .finish_non_exhaustive()
    }
}

/// Applies the transport settings every vendor builder has.
macro_rules! transport {
    ($builder:expr, $settings:expr) => {
        $builder
            .retry($settings.retry.clone())
            .request_timeout($settings.request_timeout)
            .connect_timeout(Duration::from_secs(2))
            .body_cap($settings.body_cap)
    };
}

impl Harness {
    /// Starts `vendor`'s emulator (demo resources) and builds a client of it.
    ///
    /// # Errors
    /// When the emulator cannot bind a port or the client cannot be built.
    pub async fn start(vendor: Vendor, settings: &Settings) -> std::result::Result<Self, Error> {
        let io = |e: std::io::Error| Error::config("faults", format!("emulator: {e}"));
        let dead = if settings.unreachable {
            Some(unreachable_url().map_err(io)?)
        } else {
            None
        };
        let inner = match vendor {
            Vendor::Azure => {
                let emulator = backup_azure::emulator::Emulator::start()
                    .await
                    .map_err(io)?;
                let mut builder = transport!(emulator.client_builder(), settings);
                if let Some(dead) = &dead {
                    builder = builder.endpoint(dead);
                }
                let client = builder.build()?;
                Inner::Azure(emulator, client)
            }
            Vendor::Yandex => {
                let emulator = backup_yandex::emulator::Emulator::start()
                    .await
                    .map_err(io)?;
                let mut builder = transport!(emulator.client_builder(), settings);
                if let Some(dead) = &dead {
                    builder = builder
                        .backup_endpoint(dead)
                        .operation_endpoint(dead)
                        .iam_endpoint(dead)
                        .metadata_address(dead);
                }
                let client = builder.build()?;
                Inner::Yandex(emulator, client)
            }
            Vendor::HuaweiCsbs => {
                let emulator = backup_huawei_csbs::emulator::Emulator::start()
                    .await
                    .map_err(io)?;
                let builder = if settings.token_flow {
                    emulator.client_builder_password()
                } else {
                    emulator.client_builder()
                };
                let mut builder = transport!(builder, settings);
                if let Some(dead) = &dead {
                    builder = builder.endpoint(dead).iam_endpoint(dead);
                }
                let client = builder.build()?;
                Inner::HuaweiCsbs(emulator, client)
            }
            Vendor::Commvault => {
                let emulator = backup_commvault::emulator::Emulator::start()
                    .await
                    .map_err(io)?;
                let mut builder = transport!(emulator.client_builder(), settings);
                if let Some(dead) = &dead {
                    builder = builder.endpoint(&format!("{dead}commandcenter/api/"));
                }
                let client = builder.build()?;
                Inner::Commvault(emulator, client)
            }
            Vendor::Veeam => {
                let emulator = backup_veeam::emulator::Emulator::start()
                    .await
                    .map_err(io)?;
                let mut builder = transport!(emulator.client_builder(), settings);
                if let Some(dead) = &dead {
                    builder = builder.endpoint(dead);
                }
                let client = builder.build()?;
                Inner::Veeam(emulator, client)
            }
        };
        Ok(Self { vendor, inner })
    }

    /// The vendor.
    #[must_use]
    pub fn vendor(&self) -> Vendor {
        self.vendor
    }

    /// The emulator's fault queue.
    #[must_use]
    pub fn faults(&self) -> &Faults {
        match &self.inner {
            Inner::Azure(e, _) => e.faults(),
            Inner::Yandex(e, _) => e.faults(),
            Inner::HuaweiCsbs(e, _) => e.faults(),
            Inner::Commvault(e, _) => e.faults(),
            Inner::Veeam(e, _) => e.faults(),
        }
    }

    /// Queues `fault` on the next request of class `target`.
    pub fn inject(&self, target: backup_core::emulator::RouteClass, fault: Fault) {
        self.faults().inject(target, fault);
    }

    /// Queues `fault` on the next `n` requests of class `target`.
    pub fn inject_n(&self, target: backup_core::emulator::RouteClass, fault: Fault, n: usize) {
        self.faults().inject_n(target, fault, n);
    }

    /// Every request the emulator received.
    #[must_use]
    pub fn requests(&self) -> RequestLog {
        match &self.inner {
            Inner::Azure(e, _) => e.requests(),
            Inner::Yandex(e, _) => e.requests(),
            Inner::HuaweiCsbs(e, _) => e.requests(),
            Inner::Commvault(e, _) => e.requests(),
            Inner::Veeam(e, _) => e.requests(),
        }
    }

    /// How many backups the emulator started.
    #[must_use]
    pub fn accepted_backups(&self) -> u64 {
        match &self.inner {
            Inner::Azure(e, _) => e.accepted_backups(),
            Inner::Yandex(e, _) => e.accepted_backups(),
            Inner::HuaweiCsbs(e, _) => e.accepted_backups(),
            Inner::Commvault(e, _) => e.accepted_backups(),
            Inner::Veeam(e, _) => e.accepted_backups(),
        }
    }

    /// How many tokens the emulator issued (logins, exchanges, refreshes, renewals).
    #[must_use]
    pub fn token_requests(&self) -> u64 {
        match &self.inner {
            Inner::Azure(e, _) => e.token_requests(),
            Inner::Yandex(e, _) => e.token_requests(),
            Inner::HuaweiCsbs(e, _) => u64::try_from(e.token_requests()).unwrap_or(u64::MAX),
            Inner::Commvault(e, _) => e.token_requests(),
            Inner::Veeam(e, _) => e.token_requests(),
        }
    }

    /// Expires every token the emulator issued so far (the next use gets a 401).
    pub fn expire_tokens(&self) {
        match &self.inner {
            Inner::Azure(e, _) => e.expire_tokens(),
            Inner::Yandex(e, _) => e.expire_tokens(),
            Inner::HuaweiCsbs(e, _) => e.expire_tokens(),
            Inner::Commvault(e, _) => e.expire_tokens(),
            Inner::Veeam(e, _) => e.expire_tokens(),
        }
    }

    /// How backups started from now on unfold.
    pub fn set_lifecycle(&self, spec: LifecycleSpec) {
        match &self.inner {
            Inner::Azure(e, _) => e.set_lifecycle(spec),
            Inner::Yandex(e, _) => e.set_lifecycle(spec),
            Inner::HuaweiCsbs(e, _) => e.set_lifecycle(spec),
            Inner::Commvault(e, _) => e.set_lifecycle(spec),
            Inner::Veeam(e, _) => e.set_lifecycle(spec),
        }
    }

    /// Triggers the emulator's demo backup; one operation per job or session.
    ///
    /// # Errors
    /// The client's error.
    pub async fn trigger(&self) -> Result<Vec<Operation>> {
        match &self.inner {
            Inner::Azure(_, c) => Ok(vec![
                c.trigger(&backup_azure::emulator::Emulator::demo_request())
                    .await?,
            ]),
            Inner::Yandex(e, c) => Ok(vec![c.trigger(&e.demo_request()).await?]),
            Inner::HuaweiCsbs(e, c) => Ok(vec![c.trigger(&e.demo_request()).await?]),
            Inner::Commvault(e, c) => c.trigger(&e.demo_request()).await,
            Inner::Veeam(e, c) => c.trigger(&e.demo_request()).await,
        }
    }

    /// Reads an operation again from its reference.
    ///
    /// # Errors
    /// The client's error.
    pub async fn status(&self, reference: &OperationRef) -> Result<Operation> {
        match &self.inner {
            Inner::Azure(_, c) => c.status(reference).await,
            Inner::Yandex(_, c) => c.status(reference).await,
            Inner::HuaweiCsbs(_, c) => c.status(reference).await,
            Inner::Commvault(_, c) => c.status(reference).await,
            Inner::Veeam(_, c) => c.status(reference).await,
        }
    }

    /// The client, as the poller sees it.
    #[must_use]
    pub fn pollable(&self) -> &dyn Pollable {
        match &self.inner {
            Inner::Azure(_, c) => c,
            Inner::Yandex(_, c) => c,
            Inner::HuaweiCsbs(_, c) => c,
            Inner::Commvault(_, c) => c,
            Inner::Veeam(_, c) => c,
        }
    }

    /// The client's `wait(operation, options)`.
    #[must_use]
    pub fn wait(&self, operation: Operation, options: WaitOptions) -> Poller<'_> {
        match &self.inner {
            Inner::Azure(_, c) => c.wait(operation, options),
            Inner::Yandex(_, c) => c.wait(operation, options),
            Inner::HuaweiCsbs(_, c) => c.wait(operation, options),
            Inner::Commvault(_, c) => c.wait(operation, options),
            Inner::Veeam(_, c) => c.wait(operation, options),
        }
    }

    /// Waits for every operation in turn, calling `observer` with each change.
    ///
    /// # Errors
    /// The first wait that fails.
    pub async fn wait_all(
        &self,
        operations: Vec<Operation>,
        options: &WaitOptions,
        mut observer: impl FnMut(&Operation) + Send,
    ) -> Result<Vec<Operation>> {
        let mut done = Vec::with_capacity(operations.len());
        for operation in operations {
            done.push(
                self.wait(operation, options.clone())
                    .run_with(&mut observer)
                    .await?,
            );
        }
        Ok(done)
    }

    /// Stops the emulator and waits until its port is closed.
    pub async fn shutdown(self) {
        match self.inner {
            Inner::Azure(e, _) => e.shutdown().await,
            Inner::Yandex(e, _) => e.shutdown().await,
            Inner::HuaweiCsbs(e, _) => e.shutdown().await,
            Inner::Commvault(e, _) => e.shutdown().await,
            Inner::Veeam(e, _) => e.shutdown().await,
        }
    }
}
