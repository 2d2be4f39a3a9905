//! The vendor registry: the one list of vendors in Rust code.
//!
//! Every vendor crate appears here once, with its cargo feature (named as the vendor),
//! and everything that has one case per vendor is generated from this list:
//! [`Vendor`], [`AnyClient`], [`AnyRequest`], [`AnyParams`], [`AnyConfig`],
//! `AnyEmulator` (feature `emulator`) and `TriggerCommand` (feature `cli`). Code
//! elsewhere that needs a vendor's types goes through [`Vendor::visit`] (or
//! `Vendor::visit_emulator`) and stays generic over backup-core's traits.
//!
//! Adding a vendor: one line below, its optional dependency and feature in this
//! crate's `Cargo.toml` (see `docs/vendor-crate-guide.md`).

use std::fmt;
use std::str::FromStr;

use backup_core::contract::{BackupClient, EnvVar, Lookup, Recovered};
// Used by the arms of enabled vendors only.
#[allow(unused_imports)]
use backup_core::contract::BackupClientBuilder;
use backup_core::{Error, Operation, OperationRef, Pollable, Poller, Result, WaitOptions};
use serde::{Deserialize, Serialize};

// Used by the arms of enabled vendors only.
#[allow(unused_imports)]
use crate::decode::{FieldFault, decode_table, field_names};
#[cfg(feature = "emulator")]
#[allow(unused_imports)]
use backup_core::emulator::VendorEmulator as _;

/// Code generic over one vendor's client type, run by [`Vendor::visit`].
pub trait VendorVisitor {
    /// What the visit gives.
    type Output;

    /// Runs with `C`, the vendor's client type.
    fn visit<C: BackupClient>(self) -> Self::Output;
}

/// Code generic over one vendor's emulator type, run by `Vendor::visit_emulator`.
#[cfg(feature = "emulator")]
#[cfg_attr(docsrs, doc(cfg(feature = "emulator")))]
pub trait EmulatorVisitor {
    /// What the visit gives.
    type Output;

    /// Runs with `E`, the vendor's emulator type.
    fn visit<E: backup_core::emulator::VendorEmulator>(self) -> Self::Output;
}

/// A vendor that this build does not include (its cargo feature is off).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0} is not in this build (enable the cargo feature `{0}` of backup-all)")]
pub struct NotInBuild(pub Vendor);

impl From<NotInBuild> for Error {
    fn from(missing: NotInBuild) -> Self {
        Error::Unsupported {
            vendor: missing.0.as_str(),
            what: missing.to_string(),
        }
    }
}

/// A name that is not one of the [`Vendor`]s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown vendor {name:?} (expected one of {})", Vendor::names().join(", "))]
pub struct UnknownVendor {
    /// The name given (cut to 40 characters).
    pub name: String,
}

/// Generates every per-vendor type from the list at the end of this file.
macro_rules! registry {
    ($(
        $(#[$doc:meta])*
        $variant:ident = $name:literal => $krate:ident as $module:ident;
    )+) => {
        /// Each vendor crate's README (`crates/backup-<vendor>/README.md`), whose
        /// snippets run as this crate's doctests (see `crate::readme`).
        #[cfg(doctest)]
        #[allow(dead_code)]
        mod readmes {
            $(
                #[cfg(all(feature = $name, feature = "emulator"))]
                #[doc = include_str!(concat!("../../backup-", $name, "/README.md"))]
                pub struct $variant;
            )+
        }

        /// The vendor crates of this build, each under its short name
        /// (`backup_all::huawei_csbs` is `backup_huawei_csbs`).
        pub mod vendors {
            $(
                #[cfg(feature = $name)]
                #[cfg_attr(docsrs, doc(cfg(feature = $name)))]
                #[doc(inline)]
                pub use $krate as $module;
            )+
        }

        /// One of the backup services backup-rs knows, whatever the enabled features;
        /// [`Vendor::is_enabled`] tells whether this build can talk to it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum Vendor {
            $(
                $(#[$doc])*
                #[serde(rename = $name)]
                $variant,
            )+
        }

        impl Vendor {
            /// Every vendor, in a stable order.
            pub const ALL: &'static [Vendor] = &[$(Vendor::$variant),+];

            /// The vendor's name, as in references, cargo features and plans
            /// (`huawei-csbs`).
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Vendor::$variant => $name,)+
                }
            }

            /// Whether this build includes the vendor (its cargo feature is on).
            #[must_use]
            pub fn is_enabled(self) -> bool {
                match self {
                    $(Vendor::$variant => cfg!(feature = $name),)+
                }
            }

            /// Runs `visitor` with the vendor's client type.
            ///
            /// # Errors
            /// [`NotInBuild`] when the vendor's feature is off.
            pub fn visit<V: VendorVisitor>(
                self,
                #[allow(unused_variables)] visitor: V,
            ) -> Result<V::Output, NotInBuild> {
                match self {
                    $(
                        #[cfg(feature = $name)]
                        Vendor::$variant => Ok(visitor.visit::<$krate::Client>()),
                    )+
                    #[allow(unreachable_patterns)]
                    other => Err(NotInBuild(other)),
                }
            }

            /// Runs `visitor` with the vendor's emulator type.
            ///
            /// # Errors
            /// [`NotInBuild`] when the vendor's feature is off.
            #[cfg(feature = "emulator")]
            #[cfg_attr(docsrs, doc(cfg(feature = "emulator")))]
            pub fn visit_emulator<V: EmulatorVisitor>(
                self,
                #[allow(unused_variables)] visitor: V,
            ) -> Result<V::Output, NotInBuild> {
                match self {
                    $(
                        #[cfg(feature = $name)]
                        Vendor::$variant => Ok(visitor.visit::<$krate::emulator::Emulator>()),
                    )+
                    #[allow(unreachable_patterns)]
                    other => Err(NotInBuild(other)),
                }
            }
        }

        /// A client of any enabled vendor: trigger, status, wait and cancel alike for
        /// all. Build one with [`AnyClient::from_config`] or wrap a vendor client built
        /// by hand (`AnyClient::from(backup_yandex::Client)`).
        #[derive(Debug, Clone)]
        #[non_exhaustive]
        pub enum AnyClient {
            $(
                $(#[$doc])*
                #[cfg(feature = $name)]
                #[cfg_attr(docsrs, doc(cfg(feature = $name)))]
                $variant($krate::Client),
            )+
        }

        /// A trigger request of any enabled vendor, in the vendor crate's own type.
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum AnyRequest {
            $(
                $(#[$doc])*
                #[cfg(feature = $name)]
                #[cfg_attr(docsrs, doc(cfg(feature = $name)))]
                $variant($krate::TriggerRequest),
            )+
        }

        /// The flat trigger parameters of any enabled vendor (the vendor crate's
        /// `TriggerParams`), as plans and `backupctl trigger` give them.
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum AnyParams {
            $(
                $(#[$doc])*
                #[cfg(feature = $name)]
                #[cfg_attr(docsrs, doc(cfg(feature = $name)))]
                $variant($krate::TriggerParams),
            )+
        }

        /// The client settings of any enabled vendor (the vendor crate's `Config`:
        /// endpoints, API version, region, TLS; never credentials).
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum AnyConfig {
            $(
                $(#[$doc])*
                #[cfg(feature = $name)]
                #[cfg_attr(docsrs, doc(cfg(feature = $name)))]
                $variant($krate::Config),
            )+
        }

        $(
            #[cfg(feature = $name)]
            impl From<$krate::Client> for AnyClient {
                fn from(client: $krate::Client) -> Self {
                    AnyClient::$variant(client)
                }
            }

            #[cfg(feature = $name)]
            impl From<$krate::TriggerRequest> for AnyRequest {
                fn from(request: $krate::TriggerRequest) -> Self {
                    AnyRequest::$variant(request)
                }
            }

            #[cfg(feature = $name)]
            impl From<$krate::TriggerParams> for AnyParams {
                fn from(params: $krate::TriggerParams) -> Self {
                    AnyParams::$variant(params)
                }
            }

            #[cfg(feature = $name)]
            impl From<$krate::Config> for AnyConfig {
                fn from(config: $krate::Config) -> Self {
                    AnyConfig::$variant(config)
                }
            }
        )+

        // With no vendor enabled every match is empty: arguments go unused.
        #[allow(unused_variables, unreachable_code)]
        impl AnyClient {
            /// The vendor of the client.
            #[must_use]
            pub fn vendor(&self) -> Vendor {
                match *self {
                    $(
                        #[cfg(feature = $name)]
                        AnyClient::$variant(_) => Vendor::$variant,
                    )+
                }
            }

            /// A client of `config`'s vendor: `config`, completed by the vendor's
            /// environment names read through `lookup` (credentials always).
            ///
            /// # Errors
            /// [`Error::Config`] when a credential is missing, [`Error::InvalidInput`]
            /// for a malformed setting. Nothing is sent.
            pub fn from_config(
                config: &AnyConfig,
                #[allow(unused_variables)] lookup: Lookup<'_>,
            ) -> Result<AnyClient> {
                Self::build(config, lookup, None, &crate::client::TransportSettings::default())
            }

            /// The client of `config`'s vendor, completed with what `reference` carries,
            /// with transport `settings` applied (`crate::client::build_client`).
            pub(crate) fn build(
                config: &AnyConfig,
                lookup: Lookup<'_>,
                reference: Option<&OperationRef>,
                settings: &crate::client::TransportSettings,
            ) -> Result<AnyClient> {
                match *config {
                    $(
                        #[cfg(feature = $name)]
                        AnyConfig::$variant(ref config) => {
                            crate::client::build_client::<$krate::ClientBuilder>(
                                config, lookup, reference, settings,
                            )
                            .map(AnyClient::$variant)
                        }
                    )+
                }
            }

            /// Starts the backup `request` describes: one operation per job or session
            /// the vendor started, never empty on success.
            ///
            /// # Errors
            /// The vendor client's error; [`Error::InvalidInput`] when the request is
            /// for another vendor (nothing is sent).
            pub async fn trigger(&self, request: &AnyRequest) -> Result<Vec<Operation>> {
                #[allow(unreachable_patterns)]
                let operations = match (self, request) {
                    $(
                        #[cfg(feature = $name)]
                        (AnyClient::$variant(client), AnyRequest::$variant(request)) => {
                            client.trigger(request).await?
                        }
                    )+
                    (client, request) => {
                        return Err(Error::invalid_input(
                            client.vendor().as_str(),
                            "request",
                            format!(
                                "a {} request cannot be sent with a {} client",
                                request.vendor(),
                                client.vendor()
                            ),
                        ));
                    }
                };
                crate::client::never_empty(self.vendor(), operations)
            }

            /// Finds what a trigger of `request` started when its answer never arrived
            /// (backup-core's `BackupClient::recover_trigger`).
            ///
            /// # Errors
            /// The vendor client's error; [`Error::InvalidInput`] when the request is
            /// for another vendor (nothing is sent).
            pub async fn recover_trigger(&self, request: &AnyRequest) -> Result<Recovered> {
                #[allow(unreachable_patterns)]
                let recovered = match (self, request) {
                    $(
                        #[cfg(feature = $name)]
                        (AnyClient::$variant(client), AnyRequest::$variant(request)) => {
                            client.recover_trigger(request).await?
                        }
                    )+
                    (client, request) => {
                        return Err(Error::invalid_input(
                            client.vendor().as_str(),
                            "request",
                            format!(
                                "a {} request cannot be sent with a {} client",
                                request.vendor(),
                                client.vendor()
                            ),
                        ));
                    }
                };
                match recovered {
                    Recovered::Operations(operations) => {
                        crate::client::never_empty(self.vendor(), operations).map(Recovered::Operations)
                    }
                    other => Ok(other),
                }
            }

            /// Reads the operation `reference` names again.
            ///
            /// # Errors
            /// The vendor client's error ([`Error::InvalidInput`] for another vendor's
            /// reference: nothing is sent).
            pub async fn status(&self, reference: &OperationRef) -> Result<Operation> {
                match *self {
                    $(
                        #[cfg(feature = $name)]
                        AnyClient::$variant(ref client) => client.status(reference).await,
                    )+
                }
            }

            /// Asks the vendor to cancel the operation; [`Error::Unsupported`] where the
            /// vendor cannot.
            ///
            /// # Errors
            /// The vendor client's error ([`Error::InvalidInput`] for another vendor's
            /// reference: nothing is sent).
            pub async fn cancel(&self, reference: &OperationRef) -> Result<Operation> {
                match *self {
                    $(
                        #[cfg(feature = $name)]
                        AnyClient::$variant(ref client) => client.cancel(reference).await,
                    )+
                }
            }

            /// Follows `operation` to its end with the vendor client's own poller (a
            /// stream of changes and a future of the end).
            pub fn wait(&self, operation: Operation, options: WaitOptions) -> Poller<'_> {
                match *self {
                    $(
                        #[cfg(feature = $name)]
                        AnyClient::$variant(ref client) => client.wait(operation, options),
                    )+
                }
            }
        }

        // With no vendor enabled every match is empty: arguments go unused.
        #[allow(unused_variables, unreachable_code)]
        #[async_trait::async_trait]
        impl Pollable for AnyClient {
            async fn poll(&self, operation: &Operation) -> Result<Operation> {
                match *self {
                    $(
                        #[cfg(feature = $name)]
                        AnyClient::$variant(ref client) => client.refresh(operation).await,
                    )+
                }
            }

            async fn follow_up(&self, operation: &Operation) -> Result<Operation> {
                match *self {
                    $(
                        #[cfg(feature = $name)]
                        AnyClient::$variant(ref client) => client.produced(operation).await,
                    )+
                }
            }
        }

        // With no vendor enabled every match is empty: arguments go unused.
        #[allow(unused_variables, unreachable_code)]
        impl AnyRequest {
            /// The vendor of the request.
            #[must_use]
            pub fn vendor(&self) -> Vendor {
                match *self {
                    $(
                        #[cfg(feature = $name)]
                        AnyRequest::$variant(_) => Vendor::$variant,
                    )+
                }
            }

            /// The vendor crate's request for `params`, checked before anything is sent.
            ///
            /// # Errors
            /// [`Error::InvalidInput`] naming the field at fault.
            pub fn from_params(params: &AnyParams) -> Result<AnyRequest> {
                match *params {
                    $(
                        #[cfg(feature = $name)]
                        AnyParams::$variant(ref params) => {
                            <$krate::Client as BackupClient>::request(params).map(AnyRequest::$variant)
                        }
                    )+
                }
            }

            /// Sets the vendor's idempotency key on the request (`key`, else a fresh
            /// one) and returns it; `None`, the request unchanged, where the vendor has
            /// none (backup-core's `BackupClient::idempotency_key`).
            pub fn idempotency_key(&mut self, key: Option<&str>) -> Option<String> {
                match *self {
                    $(
                        #[cfg(feature = $name)]
                        AnyRequest::$variant(ref mut request) => {
                            <$krate::Client as BackupClient>::idempotency_key(request, key)
                        }
                    )+
                }
            }
        }

        // With no vendor enabled every match is empty: arguments go unused.
        #[allow(unused_variables, unreachable_code)]
        impl AnyParams {
            /// The vendor these parameters are for.
            #[must_use]
            pub fn vendor(&self) -> Vendor {
                match *self {
                    $(
                        #[cfg(feature = $name)]
                        AnyParams::$variant(_) => Vendor::$variant,
                    )+
                }
            }

            /// `vendor`'s parameters from a TOML table (a plan target's keys), every unknown
            /// key named.
            ///
            /// # Errors
            /// Every field serde refuses, or [`NotInBuild`] as a fault of `vendor`.
            pub fn from_toml(vendor: Vendor, #[allow(unused_variables)] table: toml::Table) -> Result<AnyParams, Vec<FieldFault>> {
                match vendor {
                    $(
                        #[cfg(feature = $name)]
                        Vendor::$variant => decode_table::<$krate::TriggerParams>(table).map(AnyParams::$variant),
                    )+
                    #[allow(unreachable_patterns)]
                    other => Err(vec![FieldFault::new("vendor", NotInBuild(other).to_string())]),
                }
            }

            /// The parameter names `vendor` takes (its `TriggerParams`' fields).
            #[must_use]
            pub fn keys(vendor: Vendor) -> &'static [&'static str] {
                match vendor {
                    $(
                        #[cfg(feature = $name)]
                        Vendor::$variant => field_names::<$krate::TriggerParams>(),
                    )+
                    #[allow(unreachable_patterns)]
                    _ => &[],
                }
            }

            /// The parameters as the vendor crate serializes them.
            #[must_use]
            pub fn to_json(&self) -> serde_json::Value {
                match *self {
                    $(
                        #[cfg(feature = $name)]
                        AnyParams::$variant(ref params) => serde_json::to_value(params).unwrap_or_default(),
                    )+
                }
            }
        }

        // With no vendor enabled every match is empty: arguments go unused.
        #[allow(unused_variables, unreachable_code)]
        impl AnyConfig {
            /// The vendor of these settings.
            #[must_use]
            pub fn vendor(&self) -> Vendor {
                match *self {
                    $(
                        #[cfg(feature = $name)]
                        AnyConfig::$variant(_) => Vendor::$variant,
                    )+
                }
            }

            /// The settings as the vendor crate serializes them.
            #[must_use]
            pub fn to_json(&self) -> serde_json::Value {
                match *self {
                    $(
                        #[cfg(feature = $name)]
                        AnyConfig::$variant(ref config) => serde_json::to_value(config).unwrap_or_default(),
                    )+
                }
            }

            /// `vendor`'s default settings (its public endpoints).
            ///
            /// # Errors
            /// [`NotInBuild`] when the vendor's feature is off.
            pub fn default_for(vendor: Vendor) -> Result<AnyConfig, NotInBuild> {
                match vendor {
                    $(
                        #[cfg(feature = $name)]
                        Vendor::$variant => Ok(AnyConfig::$variant(Default::default())),
                    )+
                    #[allow(unreachable_patterns)]
                    other => Err(NotInBuild(other)),
                }
            }

            /// The setting names `vendor` takes (its `Config`'s fields).
            #[must_use]
            pub fn keys(vendor: Vendor) -> &'static [&'static str] {
                match vendor {
                    $(
                        #[cfg(feature = $name)]
                        Vendor::$variant => field_names::<$krate::Config>(),
                    )+
                    #[allow(unreachable_patterns)]
                    _ => &[],
                }
            }

            /// `vendor`'s settings from a TOML table.
            ///
            /// # Errors
            /// Every field serde refuses, or [`NotInBuild`] as a fault of `vendor`.
            pub fn from_toml(vendor: Vendor, #[allow(unused_variables)] table: toml::Table) -> Result<AnyConfig, Vec<FieldFault>> {
                match vendor {
                    $(
                        #[cfg(feature = $name)]
                        Vendor::$variant => decode_table::<$krate::Config>(table).map(AnyConfig::$variant),
                    )+
                    #[allow(unreachable_patterns)]
                    other => Err(vec![FieldFault::new("vendor", NotInBuild(other).to_string())]),
                }
            }
        }

        /// The emulator of any enabled vendor (feature `emulator`).
        #[cfg(feature = "emulator")]
        #[cfg_attr(docsrs, doc(cfg(feature = "emulator")))]
        #[derive(Debug)]
        #[non_exhaustive]
        pub enum AnyEmulator {
            $(
                $(#[$doc])*
                #[cfg(feature = $name)]
                #[cfg_attr(docsrs, doc(cfg(feature = $name)))]
                $variant($krate::emulator::Emulator),
            )+
        }

        #[cfg(feature = "emulator")]
        #[allow(unused_variables, unreachable_code)]
        impl AnyEmulator {
            /// Starts `vendor`'s emulator with its demo resources on a free local port.
            ///
            /// # Errors
            /// When no port can be bound, or the vendor is not in this build.
            pub async fn start(vendor: Vendor) -> std::io::Result<AnyEmulator> {
                match vendor {
                    $(
                        #[cfg(feature = $name)]
                        Vendor::$variant => $krate::emulator::Emulator::start().await.map(AnyEmulator::$variant),
                    )+
                    #[allow(unreachable_patterns)]
                    other => Err(std::io::Error::other(NotInBuild(other))),
                }
            }

            /// Starts `vendor`'s emulator as a local service for other programs, where
            /// and as `options` say (backup-core's `VendorEmulator::serve`).
            ///
            /// # Errors
            /// When the address cannot be bound, or the vendor is not in this build.
            pub async fn serve(
                vendor: Vendor,
                options: backup_core::emulator::ServeOptions,
            ) -> std::io::Result<AnyEmulator> {
                match vendor {
                    $(
                        #[cfg(feature = $name)]
                        Vendor::$variant => $krate::emulator::Emulator::serve(options).await.map(AnyEmulator::$variant),
                    )+
                    #[allow(unreachable_patterns)]
                    other => Err(std::io::Error::other(NotInBuild(other))),
                }
            }

            /// The credentials it also accepts besides [`AnyEmulator::environment`]'s
            /// (every value a secret).
            #[must_use]
            pub fn other_credentials(&self) -> Vec<(&'static str, String)> {
                match *self {
                    $(
                        #[cfg(feature = $name)]
                        AnyEmulator::$variant(ref emulator) => emulator.other_credentials(),
                    )+
                }
            }

            /// The settings of [`AnyEmulator::config`] under the vendor's environment
            /// names, where it reads them from there.
            #[must_use]
            pub fn settings_environment(&self) -> Vec<(&'static str, String)> {
                match *self {
                    $(
                        #[cfg(feature = $name)]
                        AnyEmulator::$variant(ref emulator) => emulator.settings_environment(),
                    )+
                }
            }

            /// The vendor it emulates.
            #[must_use]
            pub fn vendor(&self) -> Vendor {
                match *self {
                    $(
                        #[cfg(feature = $name)]
                        AnyEmulator::$variant(_) => Vendor::$variant,
                    )+
                }
            }

            /// The emulator as its vendor-neutral interface.
            #[must_use]
            pub fn as_dyn(&self) -> &dyn crate::emulator::DynEmulator {
                match *self {
                    $(
                        #[cfg(feature = $name)]
                        AnyEmulator::$variant(ref emulator) => emulator,
                    )+
                }
            }

            /// A client of the emulator, with its credentials and fast retries.
            ///
            /// # Errors
            /// As the vendor builder's `build`.
            pub fn client(&self) -> Result<AnyClient> {
                match *self {
                    $(
                        #[cfg(feature = $name)]
                        AnyEmulator::$variant(ref emulator) => emulator.client().map(AnyClient::$variant),
                    )+
                }
            }

            /// A trigger request it accepts.
            #[must_use]
            pub fn demo_request(&self) -> AnyRequest {
                match *self {
                    $(
                        #[cfg(feature = $name)]
                        AnyEmulator::$variant(ref emulator) => AnyRequest::$variant(emulator.demo_request()),
                    )+
                }
            }

            /// The same backup as [`AnyEmulator::demo_request`], as flat parameters.
            #[must_use]
            pub fn demo_params(&self) -> AnyParams {
                match *self {
                    $(
                        #[cfg(feature = $name)]
                        AnyEmulator::$variant(ref emulator) => AnyParams::$variant(emulator.demo_params()),
                    )+
                }
            }

            /// The environment with which `backupctl` and plans reach it (credentials;
            /// every value a secret).
            #[must_use]
            pub fn environment(&self) -> Vec<(&'static str, String)> {
                match *self {
                    $(
                        #[cfg(feature = $name)]
                        AnyEmulator::$variant(ref emulator) => emulator.environment(),
                    )+
                }
            }

            /// Client settings pointing every endpoint at it.
            #[must_use]
            pub fn config(&self) -> AnyConfig {
                match *self {
                    $(
                        #[cfg(feature = $name)]
                        AnyEmulator::$variant(ref emulator) => AnyConfig::$variant(emulator.config()),
                    )+
                }
            }

            /// Stops the server and waits until its port is closed.
            pub async fn shutdown(self) {
                match self {
                    $(
                        #[cfg(feature = $name)]
                        AnyEmulator::$variant(emulator) => emulator.shutdown().await,
                    )+
                }
            }
        }

        /// `backupctl trigger <vendor>`: one subcommand per enabled vendor, its flags
        /// the vendor crate's `TriggerParams` and `Config` (feature `cli`).
        #[cfg(feature = "cli")]
        #[cfg_attr(docsrs, doc(cfg(feature = "cli")))]
        #[derive(Debug, clap::Subcommand)]
        #[non_exhaustive]
        pub enum TriggerCommand {
            $(
                $(#[$doc])*
                #[cfg(feature = $name)]
                #[command(
                    name = $name,
                    about = crate::cli::about::<$krate::Client>(),
                    after_help = crate::cli::environment_help::<$krate::Client>(),
                )]
                $variant(crate::cli::VendorArgs<$krate::TriggerParams, $krate::Config>),
            )+
        }

        #[cfg(feature = "cli")]
        impl TriggerCommand {
            /// The vendor of the subcommand.
            #[must_use]
            pub fn vendor(&self) -> Vendor {
                match *self {
                    $(
                        #[cfg(feature = $name)]
                        TriggerCommand::$variant(_) => Vendor::$variant,
                    )+
                }
            }

            /// What to trigger and how to connect.
            #[must_use]
            pub fn into_parts(self) -> (AnyParams, AnyConfig) {
                match self {
                    $(
                        #[cfg(feature = $name)]
                        TriggerCommand::$variant(args) => (
                            AnyParams::$variant(args.params),
                            AnyConfig::$variant(args.config),
                        ),
                    )+
                }
            }
        }
    };
}

registry! {
    /// Azure Recovery Services (feature `azure`).
    Azure = "azure" => backup_azure as azure;
    /// Yandex Cloud Backup (feature `yandex`).
    Yandex = "yandex" => backup_yandex as yandex;
    /// Huawei Cloud CSBS (feature `huawei-csbs`).
    HuaweiCsbs = "huawei-csbs" => backup_huawei_csbs as huawei_csbs;
    /// Commvault / Metallic (feature `commvault`).
    Commvault = "commvault" => backup_commvault as commvault;
    /// Veeam Backup for Microsoft Azure (feature `veeam`).
    Veeam = "veeam" => backup_veeam as veeam;
    /// AWS Backup (feature `aws`).
    Aws = "aws" => backup_aws as aws;
}

impl Vendor {
    /// The vendors this build includes.
    pub fn enabled() -> impl Iterator<Item = Vendor> {
        Self::ALL.iter().copied().filter(|v| v.is_enabled())
    }

    /// Every vendor's name.
    #[must_use]
    pub fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|v| v.as_str()).collect()
    }

    /// The service's name for people (`Huawei Cloud CSBS`), when in this build.
    #[must_use]
    pub fn service(self) -> Option<&'static str> {
        struct Service;
        impl VendorVisitor for Service {
            type Output = &'static str;
            fn visit<C: BackupClient>(self) -> &'static str {
                C::SERVICE
            }
        }
        self.visit(Service).ok()
    }

    /// The environment variables the vendor reads, when in this build.
    #[must_use]
    pub fn environment(self) -> &'static [EnvVar] {
        struct Environment;
        impl VendorVisitor for Environment {
            type Output = &'static [EnvVar];
            fn visit<C: BackupClient>(self) -> &'static [EnvVar] {
                C::ENVIRONMENT
            }
        }
        self.visit(Environment).unwrap_or_default()
    }
}

impl fmt::Display for Vendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Vendor {
    type Err = UnknownVendor;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| UnknownVendor {
                name: s.chars().take(40).collect(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for &v in Vendor::ALL {
            assert_eq!(v.as_str().parse::<Vendor>().unwrap(), v);
            assert_eq!(v.to_string(), v.as_str());
            assert_eq!(
                serde_json::to_string(&v).unwrap(),
                format!("\"{}\"", v.as_str())
            );
        }
        assert!("Azure".parse::<Vendor>().is_err());
        assert!("".parse::<Vendor>().is_err());
    }

    #[test]
    fn each_enabled_vendor_is_its_crate() {
        struct Name;
        impl VendorVisitor for Name {
            type Output = &'static str;
            fn visit<C: BackupClient>(self) -> &'static str {
                C::VENDOR
            }
        }
        for &vendor in Vendor::ALL {
            match vendor.visit(Name) {
                Ok(name) => assert_eq!(name, vendor.as_str()),
                Err(missing) => {
                    assert!(!vendor.is_enabled());
                    assert_eq!(missing.0, vendor);
                }
            }
        }
    }
}
