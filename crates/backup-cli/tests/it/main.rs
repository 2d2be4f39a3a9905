//! The integration tests of `backupctl`, in one binary: the real binary run as a
//! subprocess against emulators started in this process. `every_vendor` and `plan`
//! loop over the registry; each vendor's module holds what only that vendor does.

mod common;
mod emulate;
mod every_vendor;
mod exit_codes;
mod habits;
mod interruptions;
mod journal;
mod plan;

mod azure;
mod commvault;
mod huawei_csbs;
mod veeam;
mod yandex;
