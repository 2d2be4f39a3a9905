//! A local, stateful fake of AWS Backup's backup-job API (and of the EC2 instance
//! metadata service, for temporary credentials), built from AWS's API model and API
//! reference, for tests and demos.
//!
//! One server answers every API, in any Region (the Region is the signature's scope;
//! jobs are kept per Region):
//!
//! | request | what it does |
//! |---|---|
//! | `PUT /backup-jobs` (`StartBackupJob`) | checks the body against the model (`MissingParameterValueException`, `InvalidParameterValueException`), the vault (`ResourceNotFoundException`), honours `IdempotencyToken` (a repeat answers the same job and starts nothing); a CloudFormation stack of [`EmulatorOptions::stacks`] starts a parent job with one child job per resource |
//! | `GET /backup-jobs/{id}` (`DescribeBackupJob`) | moves the job along its [`LifecycleSpec`]: `CREATED`, `PENDING`, `RUNNING` (`PercentDone`, `BytesTransferred`), `COMPLETED` (`CompletionDate`, `BackupSizeInBytes`, `RecoveryPointArn`) or `FAILED` (`StatusMessage`); `EXPIRED` once its start window passed before it ran; a parent shows `NumberOfChildJobs` and `ChildJobsInState`, and ends `PARTIAL` when the lifecycle ends with a warning (its last child `FAILED`) |
//! | `POST /backup-jobs/{id}` (`StopBackupJob`) | `ABORTING` at the next read, `ABORTED` after; `InvalidRequestException` for a job that ended or a resource AWS cannot stop (RDS, Aurora, Neptune, DocumentDB, FSx, SAP HANA) |
//! | `GET /backup-jobs/?parentJobId=...` (`ListBackupJobs`) | the child jobs of a parent (also `state`, `resourceArn`, `backupVaultName`, `maxResults`, `nextToken`) |
//! | `PUT /latest/api/token`, `GET /latest/meta-data/iam/security-credentials/[{role}]`, `GET /latest/meta-data/placement/region` | IMDSv2: temporary credentials of [`EmulatorOptions::session_ttl`], counted as tokens issued |
//!
//! Every backup-job request must carry a valid Signature Version 4 (service `backup`),
//! checked by the emulator's own verifier ([`sigv4`]): `MissingAuthenticationToken`,
//! `IncompleteSignature`, `InvalidSignatureException`, `UnrecognizedClientException`
//! and, for a session whose token expired (by time or [`Emulator::expire_tokens`]),
//! `ExpiredTokenException`. Errors carry `x-amzn-ErrorType` and a `{Code, Message}`
//! body; every answer has an `x-amzn-RequestId`.
//!
//! Faults ([`Emulator::faults`]) are aimed by [`RouteClass`]: `Auth` (instance
//! metadata), `Trigger` (`StartBackupJob`), `Poll` (`DescribeBackupJob`,
//! `ListBackupJobs`), `Control` (`StopBackupJob`).
//!
//! # Example
//!
//! ```
//! use std::time::Duration;
//! use backup_aws::emulator::Emulator;
//! use backup_aws::prelude::*;
//! use backup_aws::{OperationStatus, WaitOptions};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let emulator = Emulator::start().await?;
//! let client = emulator.client_builder().build()?;
//! for operation in client.trigger(&emulator.demo_request()).await? {
//!     let done = client.wait(operation, WaitOptions::every(Duration::from_millis(10))).await?;
//!     assert_eq!(done.status, OperationStatus::Succeeded);
//!     assert_eq!(done.size_bytes, Some(8 << 30));
//! }
//! assert_eq!(emulator.accepted_backups(), 1);
//! # Ok(())
//! # }
//! ```

mod answer;
mod imds;
mod jobs;
pub mod sigv4;
mod state;

use std::fmt;
use std::time::Duration;

use aws_config::imds::credentials::ImdsCredentialsProvider;
use axum::Router;
use axum::http::Method;
use axum::routing::{get, put};
use backup_core::RetryPolicy;
use backup_core::emulator::{
    EmulatorConfig, EmulatorServer, EmulatorShared, Fault, LifecycleSpec, RouteClass,
    VendorEmulator,
};
use url::Url;

use crate::auth::Credential;
use crate::{Client, ClientBuilder, Config, TriggerParams, TriggerRequest};

use state::State;

/// The Region of the demo resources (and of instance metadata).
pub const DEMO_REGION: &str = "us-east-1";
/// The account of the demo resources (AWS's documentation account).
pub const DEMO_ACCOUNT: &str = "123456789012";
/// The backup vault the emulator has (every account's default vault is `Default`).
pub const DEMO_VAULT: &str = "Default";
/// An EBS volume to back up.
pub const DEMO_RESOURCE_ARN: &str =
    "arn:aws:ec2:us-east-1:123456789012:volume/vol-0123456789abcdef0";
/// An EFS file system (its recovery point is named by `StartBackupJob` already).
pub const DEMO_FILE_SYSTEM_ARN: &str =
    "arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-0123456789abcdef0";
/// A DynamoDB table.
pub const DEMO_TABLE_ARN: &str = "arn:aws:dynamodb:us-east-1:123456789012:table/orders";
/// An RDS database (AWS cannot stop its backup jobs).
pub const DEMO_DATABASE_ARN: &str = "arn:aws:rds:us-east-1:123456789012:db:orders-db";
/// A CloudFormation stack: a parent (composite) job with a child job for
/// [`DEMO_TABLE_ARN`] and one for [`DEMO_FILE_SYSTEM_ARN`].
pub const DEMO_STACK_ARN: &str = "arn:aws:cloudformation:us-east-1:123456789012:stack/demo-app/0f3c1b70-9c2b-11ef-8d3e-0a1b2c3d4e5f";
/// The role AWS Backup assumes (the default service role's name).
pub const DEMO_ROLE_ARN: &str =
    "arn:aws:iam::123456789012:role/service-role/AWSBackupDefaultServiceRole";
/// The access key id the emulator accepts (AWS's documentation example).
pub const DEMO_ACCESS_KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
/// The secret of [`DEMO_ACCESS_KEY_ID`] (AWS's documentation example).
///
/// TEST-ONLY: it grants nothing anywhere.
pub const DEMO_SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
/// The instance role whose credentials instance metadata hands out.
pub const DEMO_INSTANCE_ROLE: &str = "backup-rs-demo-instance-role";

/// How the emulator behaves.
#[derive(Debug, Clone)]
pub struct EmulatorOptions {
    /// How each accepted backup unfolds (default: running for 3 reads, then done).
    pub lifecycle: LifecycleSpec,
    /// The Region instance metadata names (default [`DEMO_REGION`]).
    pub region: String,
    /// The account of every job (default [`DEMO_ACCOUNT`]).
    pub account: String,
    /// Long-term access keys and their secrets.
    pub access_keys: Vec<(String, String)>,
    /// The backup vaults of every Region.
    pub vaults: Vec<String>,
    /// CloudFormation stacks and the resources of each (a parent job's children).
    pub stacks: Vec<(String, Vec<String>)>,
    /// How long instance metadata credentials live (default 6 hours, on the tokio
    /// clock).
    pub session_ttl: Duration,
    /// The instance role (default [`DEMO_INSTANCE_ROLE`]).
    pub role_name: String,
}

impl Default for EmulatorOptions {
    fn default() -> Self {
        Self {
            lifecycle: LifecycleSpec::after_polls(3),
            region: DEMO_REGION.to_owned(),
            account: DEMO_ACCOUNT.to_owned(),
            access_keys: vec![(
                DEMO_ACCESS_KEY_ID.to_owned(),
                DEMO_SECRET_ACCESS_KEY.to_owned(),
            )],
            vaults: vec![DEMO_VAULT.to_owned()],
            stacks: vec![(
                DEMO_STACK_ARN.to_owned(),
                vec![DEMO_TABLE_ARN.to_owned(), DEMO_FILE_SYSTEM_ARN.to_owned()],
            )],
            session_ttl: Duration::from_secs(6 * 3600),
            role_name: DEMO_INSTANCE_ROLE.to_owned(),
        }
    }
}

impl EmulatorOptions {
    /// Sets the lifecycle of backups.
    #[must_use]
    pub fn lifecycle(mut self, spec: LifecycleSpec) -> Self {
        self.lifecycle = spec;
        self
    }

    /// Accepts another access key.
    #[must_use]
    pub fn access_key(mut self, access_key_id: &str, secret: &str) -> Self {
        self.access_keys
            .push((access_key_id.to_owned(), secret.to_owned()));
        self
    }

    /// Adds a backup vault.
    #[must_use]
    pub fn vault(mut self, name: &str) -> Self {
        self.vaults.push(name.to_owned());
        self
    }

    /// Sets how long instance metadata credentials live.
    #[must_use]
    pub fn session_ttl(mut self, ttl: Duration) -> Self {
        self.session_ttl = ttl;
        self
    }
}

/// The running emulator. Dropping it stops the server.
pub struct Emulator {
    server: EmulatorServer,
    state: State,
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("url", &self.server.url().as_str())
            .field("accepted_backups", &self.accepted_backups())
            .finish_non_exhaustive()
    }
}

fn classify(method: &Method, path: &str) -> RouteClass {
    if path.starts_with("/latest/") {
        RouteClass::Auth
    } else if path == "/backup-jobs" || path == "/backup-jobs/" {
        if *method == Method::PUT {
            RouteClass::Trigger
        } else {
            RouteClass::Poll
        }
    } else if path.starts_with("/backup-jobs/") {
        if *method == Method::POST {
            RouteClass::Control
        } else {
            RouteClass::Poll
        }
    } else {
        RouteClass::Other
    }
}

impl Emulator {
    /// Starts an emulator with `options`.
    ///
    /// # Errors
    /// When the local port cannot be bound.
    pub async fn start_with(options: EmulatorOptions) -> std::io::Result<Self> {
        let state = State::new(&options);
        let router = Router::new()
            .route("/backup-jobs", put(jobs::start))
            .route("/backup-jobs/", put(jobs::start).get(jobs::list))
            .route("/backup-jobs/{id}", get(jobs::job).post(jobs::job))
            .route("/latest/api/token", put(imds::token))
            .route(
                "/latest/meta-data/iam/security-credentials/",
                get(imds::role),
            )
            .route(
                "/latest/meta-data/iam/security-credentials/{role}",
                get(imds::credentials),
            )
            .route("/latest/meta-data/placement/region", get(imds::region))
            .fallback(jobs::fallback)
            .with_state(state.clone());
        let config = EmulatorConfig::new(router)
            .classify(classify)
            .error_body(answer::fault_body)
            .shared(state.0.shared.clone());
        // The control API's reset forgets backup jobs and idempotency tokens (keys and
        // sessions stay valid).
        let weak = std::sync::Arc::downgrade(&state.0);
        state.0.shared.on_reset(move || {
            if let Some(inner) = weak.upgrade() {
                state::lock(&inner.jobs).clear();
                state::lock(&inner.idempotency).clear();
            }
        });
        let server = EmulatorServer::start(config).await?;
        Ok(Self { server, state })
    }

    /// A credential that fetches temporary credentials from this emulator's instance
    /// metadata service, with `aws-config`'s own IMDS provider (IMDSv2).
    ///
    /// # Errors
    /// When `aws-config` refuses the endpoint.
    pub fn instance_credential(&self) -> crate::Result<Credential> {
        let client = aws_config::imds::Client::builder()
            .endpoint(self.url().as_str())
            .map_err(|e| crate::Error::config(crate::VENDOR, e.to_string()))?
            .build();
        Ok(Credential::provider(
            ImdsCredentialsProvider::builder()
                .imds_client(client)
                .build(),
        ))
    }
}

impl VendorEmulator for Emulator {
    type Client = Client;

    const TRIGGER_SUCCESS_STATUS: u16 = 200;
    const IDEMPOTENT_TRIGGER: bool = true;

    async fn start() -> std::io::Result<Self> {
        Self::start_with(EmulatorOptions::default()).await
    }

    fn server(&self) -> &EmulatorServer {
        &self.server
    }

    fn into_server(self) -> EmulatorServer {
        self.server
    }

    fn shared(&self) -> &EmulatorShared {
        &self.state.0.shared
    }

    /// Expires every temporary credential issued so far (requests signed with one are
    /// answered `ExpiredTokenException`; instance metadata hands out new ones).
    fn expire_tokens(&self) {
        self.state.0.session_tokens.expire_all();
    }

    /// The endpoint at `base`, [`DEMO_REGION`], the demo access key and a retry policy
    /// with millisecond backoffs.
    fn client_builder_at(&self, base: &Url) -> ClientBuilder {
        ClientBuilder::new()
            .endpoint(base.as_str())
            .region(DEMO_REGION)
            .credential(Credential::keys(DEMO_ACCESS_KEY_ID, DEMO_SECRET_ACCESS_KEY))
            .retry(fast_retry())
    }

    /// Temporary credentials from the emulator's instance metadata (they expire, the
    /// demo access key does not).
    fn token_client_builder(&self) -> ClientBuilder {
        let builder = self.client_builder();
        match self.instance_credential() {
            Ok(credential) => builder.credential(credential),
            Err(_) => builder,
        }
    }

    /// The demo access key as `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`.
    fn environment(&self) -> Vec<(&'static str, String)> {
        vec![
            (crate::ENV_ACCESS_KEY_ID, DEMO_ACCESS_KEY_ID.to_owned()),
            (
                crate::ENV_SECRET_ACCESS_KEY,
                DEMO_SECRET_ACCESS_KEY.to_owned(),
            ),
        ]
    }

    /// The emulator as `AWS_ENDPOINT_URL_BACKUP` (read by every AWS SDK) and
    /// [`DEMO_REGION`] as `AWS_REGION`.
    fn settings_environment(&self) -> Vec<(&'static str, String)> {
        vec![
            (crate::ENV_REGION, DEMO_REGION.to_owned()),
            (crate::ENV_ENDPOINT_URL_BACKUP, self.url().to_string()),
        ]
    }

    /// The emulator as the endpoint, in [`DEMO_REGION`].
    fn config(&self) -> Config {
        Config {
            region: Some(DEMO_REGION.to_owned()),
            endpoint: Some(self.url().to_string()),
        }
    }

    fn demo_request(&self) -> TriggerRequest {
        TriggerRequest::new(DEMO_VAULT, DEMO_RESOURCE_ARN, DEMO_ROLE_ARN)
    }

    fn demo_params(&self) -> TriggerParams {
        TriggerParams::new(DEMO_VAULT, DEMO_RESOURCE_ARN, DEMO_ROLE_ARN)
    }

    /// `InvalidParameterValueException` (400) as AWS Backup's error shapes word it.
    fn vendor_error() -> (Fault, &'static str) {
        (
            Fault::Respond {
                status: 400,
                content_type: "application/json".to_owned(),
                body: r#"{"Code":"InvalidParameterValueException","Message":"Invalid ARN: arn:aws:ec2:us-east-1:123456789012:volume/vol-0123456789abcdef0","Type":"User","Context":""}"#
                    .to_owned(),
            },
            "InvalidParameterValueException",
        )
    }
}

/// Millisecond backoffs, for tests against the emulator.
#[must_use]
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 5,
        base_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(50),
        budget: Duration::from_secs(10),
        jitter: false,
    }
}
