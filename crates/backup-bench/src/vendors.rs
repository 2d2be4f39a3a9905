//! The five vendors behind one face: their emulators and their SDK clients.

use std::time::Duration;

use backup_core::emulator::{LifecycleSpec, RouteClass};
use backup_core::{Error, Operation, WaitOptions};
use futures_util::StreamExt;

/// The vendors, in report order.
pub const VENDORS: [Vendor; 5] = [
    Vendor::Azure,
    Vendor::Yandex,
    Vendor::Huawei,
    Vendor::Commvault,
    Vendor::Veeam,
];

/// One of the five vendors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vendor {
    /// Azure Recovery Services.
    Azure,
    /// Yandex Cloud Backup.
    Yandex,
    /// Huawei CSBS.
    Huawei,
    /// Commvault / Metallic.
    Commvault,
    /// Veeam Backup for Microsoft Azure.
    Veeam,
}

impl Vendor {
    /// The vendor name, as in `OperationRef`s.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Vendor::Azure => backup_azure::VENDOR,
            Vendor::Yandex => backup_yandex::VENDOR,
            Vendor::Huawei => backup_huawei_csbs::VENDOR,
            Vendor::Commvault => backup_commvault::VENDOR,
            Vendor::Veeam => backup_veeam::VENDOR,
        }
    }
}

/// How to start an emulator.
#[derive(Debug, Clone)]
pub struct EmuSetup {
    /// How backups unfold.
    pub lifecycle: LifecycleSpec,
    /// Distinct backup targets (Azure items, Huawei and Veeam policies), for vendors that refuse a
    /// second backup of a target still running; 0 for the demo target only.
    pub targets: usize,
    /// The poll hint the emulator sends, where the vendor has one (Azure `Retry-After`
    /// in whole seconds, Yandex `x-operation-poll-interval`).
    pub poll_hint: Option<Duration>,
    /// Azure only: how its async operations unfold (`None`: done at once, so that the
    /// job is followed from the first poll).
    pub azure_operation: Option<LifecycleSpec>,
}

/// A running emulator of one vendor.
#[derive(Debug)]
pub enum Emulator {
    /// Azure.
    Azure(backup_azure::emulator::Emulator),
    /// Yandex.
    Yandex(backup_yandex::emulator::Emulator),
    /// Huawei CSBS.
    Huawei(backup_huawei_csbs::emulator::Emulator),
    /// Commvault.
    Commvault(backup_commvault::emulator::Emulator),
    /// Veeam.
    Veeam(backup_veeam::emulator::Emulator),
}

fn azure_item(i: usize) -> backup_azure::ProtectedItem {
    use backup_azure::emulator::{DEMO_FABRIC, DEMO_RESOURCE_GROUP, DEMO_SUBSCRIPTION, DEMO_VAULT};
    backup_azure::ProtectedItem::new(
        DEMO_SUBSCRIPTION,
        DEMO_RESOURCE_GROUP,
        DEMO_VAULT,
        DEMO_FABRIC,
        format!("IaasVMContainer;iaasvmcontainerv2;benchrg;benchvm{i:05}"),
        format!("VM;iaasvmcontainerv2;benchrg;benchvm{i:05}"),
    )
}

fn huawei_plan(i: usize) -> String {
    format!("00000000-0000-4000-8000-{i:012}")
}

fn huawei_resource(i: usize) -> String {
    format!("10000000-0000-4000-8000-{i:012}")
}

fn veeam_policy(i: usize) -> String {
    format!("00000000-0000-4000-8000-{i:012}")
}

impl Emulator {
    /// Starts the emulator of `vendor` on 127.0.0.1.
    ///
    /// # Errors
    /// When no port can be bound.
    pub async fn start(vendor: Vendor, setup: &EmuSetup) -> std::io::Result<Self> {
        let spec = setup.lifecycle.clone();
        Ok(match vendor {
            Vendor::Azure => {
                use backup_azure::emulator::{EmulatorOptions, ItemKind};
                let mut options = EmulatorOptions::new()
                    .lifecycle(spec)
                    .operation_lifecycle(
                        setup
                            .azure_operation
                            .clone()
                            .unwrap_or_else(|| LifecycleSpec::default().after(Duration::ZERO)),
                    )
                    .retry_after(setup.poll_hint.unwrap_or(Duration::ZERO));
                for i in 0..setup.targets {
                    options = options.protected_item(&azure_item(i), ItemKind::IaasVm);
                }
                Self::Azure(backup_azure::emulator::Emulator::start_with(options).await?)
            }
            Vendor::Yandex => {
                let mut options =
                    backup_yandex::emulator::EmulatorOptions::default().lifecycle(spec);
                options.poll_interval = setup.poll_hint;
                Self::Yandex(backup_yandex::emulator::Emulator::start_with(options).await?)
            }
            Vendor::Huawei => {
                let options = backup_huawei_csbs::emulator::EmulatorOptions {
                    lifecycle: spec,
                    extra_plans: (0..setup.targets)
                        .map(|i| (huawei_plan(i), vec![huawei_resource(i)]))
                        .collect(),
                    ..Default::default()
                };
                Self::Huawei(backup_huawei_csbs::emulator::Emulator::start_with(options).await?)
            }
            Vendor::Commvault => {
                let options =
                    backup_commvault::emulator::EmulatorOptions::default().lifecycle(spec);
                Self::Commvault(backup_commvault::emulator::Emulator::start_with(options).await?)
            }
            Vendor::Veeam => {
                use backup_veeam::emulator::SessionTypeChoice;
                let options = backup_veeam::emulator::EmulatorOptions::default().lifecycle(spec);
                let emulator = backup_veeam::emulator::Emulator::start_with(options).await?;
                for i in 0..setup.targets {
                    emulator.add_policy(
                        &veeam_policy(i),
                        &format!("Bench policy {i}"),
                        &[SessionTypeChoice::Backup],
                    );
                }
                Self::Veeam(emulator)
            }
        })
    }

    /// The base URL.
    #[must_use]
    pub fn url(&self) -> url::Url {
        match self {
            Self::Azure(e) => e.url(),
            Self::Yandex(e) => e.url(),
            Self::Huawei(e) => e.url(),
            Self::Commvault(e) => e.url(),
            Self::Veeam(e) => e.url(),
        }
    }

    /// Token or login requests served (for Azure, tokens its credential handed out).
    #[must_use]
    pub fn token_requests(&self) -> u64 {
        match self {
            Self::Azure(e) => e.token_requests(),
            Self::Yandex(e) => e.token_requests(),
            Self::Huawei(e) => u64::try_from(e.token_requests()).unwrap_or(u64::MAX),
            Self::Commvault(e) => e.token_requests(),
            Self::Veeam(e) => e.token_requests(),
        }
    }

    /// Backups accepted.
    #[must_use]
    pub fn accepted_backups(&self) -> u64 {
        match self {
            Self::Azure(e) => e.accepted_backups(),
            Self::Yandex(e) => e.accepted_backups(),
            Self::Huawei(e) => e.accepted_backups(),
            Self::Commvault(e) => e.accepted_backups(),
            Self::Veeam(e) => e.accepted_backups(),
        }
    }

    fn log(&self) -> backup_core::emulator::RequestLog {
        match self {
            Self::Azure(e) => e.requests(),
            Self::Yandex(e) => e.requests(),
            Self::Huawei(e) => e.requests(),
            Self::Commvault(e) => e.requests(),
            Self::Veeam(e) => e.requests(),
        }
    }

    /// Every request served.
    #[must_use]
    pub fn requests_total(&self) -> usize {
        self.log().total()
    }

    /// Poll requests served.
    #[must_use]
    pub fn poll_requests(&self) -> usize {
        self.log().count(RouteClass::Poll)
    }

    /// A client of this emulator, at `endpoint` (the emulator itself when `None`: every
    /// endpoint of the vendor is set to it). Huawei uses AK/SK signing, or the IAM
    /// password flow (a token) when `huawei_iam`.
    ///
    /// # Errors
    /// When the builder refuses the configuration.
    pub fn client(&self, endpoint: Option<&str>, huawei_iam: bool) -> Result<Sdk, Error> {
        let own = self.url();
        let url = endpoint.unwrap_or(own.as_str());
        Ok(match self {
            Self::Azure(e) => Sdk::Azure(
                e.client_builder().endpoint(url).build()?,
                backup_azure::emulator::Emulator::demo_request(),
            ),
            Self::Yandex(e) => Sdk::Yandex(
                e.client_builder()
                    .backup_endpoint(url)
                    .operation_endpoint(url)
                    .iam_endpoint(url)
                    .metadata_address(url)
                    .build()?,
                e.demo_request(),
            ),
            Self::Huawei(e) => {
                let builder = if huawei_iam {
                    e.client_builder_password()
                } else {
                    e.client_builder()
                };
                Sdk::Huawei(
                    builder.endpoint(url).iam_endpoint(url).build()?,
                    e.demo_request(),
                )
            }
            Self::Commvault(e) => {
                Sdk::Commvault(e.client_builder().endpoint(url).build()?, e.demo_request())
            }
            Self::Veeam(e) => {
                Sdk::Veeam(e.client_builder().endpoint(url).build()?, e.demo_request())
            }
        })
    }

    /// Stops the emulator.
    pub async fn shutdown(self) {
        match self {
            Self::Azure(e) => e.shutdown().await,
            Self::Yandex(e) => e.shutdown().await,
            Self::Huawei(e) => e.shutdown().await,
            Self::Commvault(e) => e.shutdown().await,
            Self::Veeam(e) => e.shutdown().await,
        }
    }
}

/// An SDK client of one vendor with its demo trigger request.
#[derive(Debug)]
pub enum Sdk {
    /// Azure.
    Azure(backup_azure::Client, backup_azure::TriggerRequest),
    /// Yandex.
    Yandex(backup_yandex::Client, backup_yandex::TriggerRequest),
    /// Huawei CSBS.
    Huawei(
        backup_huawei_csbs::Client,
        backup_huawei_csbs::TriggerRequest,
    ),
    /// Commvault.
    Commvault(backup_commvault::Client, backup_commvault::BackupRequest),
    /// Veeam.
    Veeam(backup_veeam::Client, backup_veeam::StartPolicyRequest),
}

impl Sdk {
    /// Triggers the demo backup (target `target` where the emulator has several:
    /// see [`EmuSetup::targets`]; `None` for the demo target).
    ///
    /// # Errors
    /// The SDK's error.
    pub async fn trigger(&self, target: Option<usize>) -> Result<Vec<Operation>, Error> {
        match (self, target) {
            (Self::Azure(client, _), Some(i)) => {
                let request = backup_azure::TriggerRequest::azure_vm(azure_item(i));
                Ok(vec![client.trigger(&request).await?])
            }
            (Self::Azure(client, request), None) => Ok(vec![client.trigger(request).await?]),
            (Self::Yandex(client, request), _) => Ok(vec![client.trigger(request).await?]),
            (Self::Huawei(client, _), Some(i)) => {
                let request = backup_huawei_csbs::TriggerRequest::new(huawei_plan(i));
                Ok(vec![client.trigger(&request).await?])
            }
            (Self::Huawei(client, request), None) => Ok(vec![client.trigger(request).await?]),
            (Self::Commvault(client, request), _) => client.trigger(request).await,
            (Self::Veeam(client, _), Some(i)) => {
                let request = backup_veeam::StartPolicyRequest::new(veeam_policy(i));
                client.trigger(&request).await
            }
            (Self::Veeam(client, request), None) => client.trigger(request).await,
        }
    }

    /// Waits for `operation` to end; returns it and the number of polls made.
    ///
    /// # Errors
    /// A poll error, a timeout, or the backup failed.
    pub async fn wait(
        &self,
        operation: Operation,
        options: WaitOptions,
    ) -> Result<(Operation, u32), Error> {
        let mut poller = match self {
            Self::Azure(client, _) => client.wait(operation, options),
            Self::Yandex(client, _) => client.wait(operation, options),
            Self::Huawei(client, _) => client.wait(operation, options),
            Self::Commvault(client, _) => client.wait(operation, options),
            Self::Veeam(client, _) => client.wait(operation, options),
        };
        let mut last = None;
        // The poller ends after a terminal state or an error, and stops at its deadline.
        while let Some(item) = poller.next().await {
            last = Some(item?);
        }
        let polls = poller.polls();
        match last {
            Some(operation) if operation.status.is_success() => Ok((operation, polls)),
            Some(operation) => Err(Error::OperationFailed(Box::new(operation))),
            None => Err(Error::Unsupported {
                vendor: "bench",
                what: "a poller that yielded nothing".to_owned(),
            }),
        }
    }
}
