//! Client settings from the connection flags of `status`, `wait` and `cancel`, for
//! the vendor a reference names.

use backup_all::core::Error;
use backup_all::{AnyConfig, Vendor};

use crate::cli::ConnectArgs;

/// The settings of `vendor`'s client from the flags given.
///
/// # Errors
/// [`Error::InvalidInput`] naming the first flag that does not apply to `vendor` or is
/// malformed (with every other one in its reason); nothing is sent.
pub fn config(vendor: Vendor, connect: &ConnectArgs) -> Result<AnyConfig, Error> {
    let mut table = toml::Table::new();
    let strings = [
        ("endpoint", &connect.endpoint),
        ("operation_endpoint", &connect.operation_endpoint),
        ("iam_endpoint", &connect.iam_endpoint),
        ("project_id", &connect.project_id),
        ("region", &connect.region),
        ("api_version", &connect.api_version),
    ];
    for (key, value) in strings {
        if let Some(value) = value {
            table.insert(key.to_owned(), value.clone().into());
        }
    }
    if let Some(path) = &connect.tls.ca_cert {
        table.insert(
            "ca_cert".to_owned(),
            path.to_string_lossy().into_owned().into(),
        );
    }
    if connect.tls.insecure {
        table.insert("insecure".to_owned(), true.into());
    }
    AnyConfig::from_toml(vendor, table).map_err(|faults| {
        let mut faults = faults.iter().map(|fault| {
            let flag = format!("--{}", fault.field.replace('_', "-"));
            if fault.message.starts_with("unknown setting") {
                (flag, format!("does not apply to {vendor}"))
            } else {
                (flag, fault.message.clone())
            }
        });
        let (flag, mut reason) = faults
            .next()
            .unwrap_or_else(|| ("--endpoint".to_owned(), "refused".to_owned()));
        for (other, why) in faults {
            reason.push_str(&format!("; {other}: {why}"));
        }
        Error::invalid_input(vendor.as_str(), flag, reason)
    })
}

/// `error` with the field it names spelt as the flag of `backupctl trigger <vendor>`
/// that gives it (`policy_id` is `--policy`, `backup_endpoint` is `--endpoint`: see
/// `backup_all::plan::key_of_field`); other errors, and fields no flag gives, as they
/// are.
#[must_use]
pub fn name_flag(vendor: Vendor, error: Error) -> Error {
    match error {
        Error::InvalidInput {
            vendor: name,
            field,
            reason,
        } => {
            let flag =
                backup_all::plan::key_of_field(vendor, &field).and_then(|key| flag_of(vendor, key));
            Error::InvalidInput {
                vendor: name,
                field: flag.unwrap_or(field),
                reason,
            }
        }
        other => other,
    }
}

/// `--flag`, the long flag of `backupctl trigger <vendor>` whose argument is `key`.
fn flag_of(vendor: Vendor, key: &str) -> Option<String> {
    let command = crate::cli::command();
    let sub = command
        .find_subcommand("trigger")?
        .find_subcommand(vendor.as_str())?;
    sub.get_arguments()
        .find(|arg| arg.get_id() == key)
        .and_then(clap::Arg::get_long)
        .map(|long| format!("--{long}"))
}

/// Whether `config` turns certificate checks off.
#[must_use]
pub fn insecure(config: &AnyConfig) -> bool {
    config.to_json()["insecure"].as_bool().unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;
    use crate::cli::Cli;

    /// The long flags of `backupctl <path...>`.
    fn flags(path: &[&str]) -> Vec<String> {
        let mut command = Cli::command();
        command.build();
        let mut command = &command;
        for name in path {
            command = command
                .find_subcommand(name)
                .unwrap_or_else(|| panic!("no subcommand {name}"));
        }
        command
            .get_arguments()
            .filter_map(|arg| arg.get_long().map(str::to_owned))
            .collect()
    }

    /// Every setting a vendor's `trigger` takes, `status`, `wait` and `cancel` take
    /// under the same flag, and turn into the vendor's settings.
    #[test]
    fn every_connection_flag_of_trigger_is_one_of_status_wait_and_cancel() {
        for &vendor in Vendor::ALL {
            let keys = AnyConfig::keys(vendor);
            assert!(!keys.is_empty(), "{vendor}");
            let trigger = flags(&["trigger", vendor.as_str()]);
            for key in keys {
                let flag = key.replace('_', "-");
                assert!(trigger.contains(&flag), "trigger {vendor} lacks --{flag}");
                for command in ["status", "wait", "cancel"] {
                    assert!(
                        flags(&[command]).contains(&flag),
                        "{command} lacks --{flag} of {vendor}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_flag_of_another_vendor_names_the_flag_and_the_vendor() {
        use clap::Parser;
        for &vendor in Vendor::ALL {
            let keys = AnyConfig::keys(vendor);
            let Some(foreign) = ["operation-endpoint", "region", "ca-cert", "api-version"]
                .into_iter()
                .find(|flag| !keys.contains(&flag.replace('-', "_").as_str()))
            else {
                continue;
            };
            let reference = format!("{vendor}:x");
            let value = if foreign == "ca-cert" { "/ca.pem" } else { "x" };
            let cli = Cli::try_parse_from([
                "backupctl",
                "status",
                reference.as_str(),
                &format!("--{foreign}"),
                value,
            ])
            .unwrap();
            let crate::cli::Command::Status(args) = cli.command else {
                panic!("not status");
            };
            let error = config(vendor, &args.connect).unwrap_err();
            let text = error.to_string();
            assert!(matches!(error, Error::InvalidInput { .. }), "{text}");
            assert!(text.contains(&format!("--{foreign}")), "{text}");
            assert!(
                text.contains(&format!("does not apply to {vendor}")),
                "{text}"
            );
        }
    }
}
