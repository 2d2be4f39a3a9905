//! `backupctl status | wait | cancel <operation-ref>`.

use backup_all::core::WaitOptions;
use backup_all::core::contract::process_env;
use backup_all::plan::follow;
use backup_all::{AnyClient, Vendor};

use crate::cli::{Output, RefArgs, WaitRefArgs};
use crate::connect;
use crate::exit::Exit;
use crate::output::Printer;
use crate::progress::Progress;

fn client(
    args: RefArgs,
    printer: Printer,
) -> Result<(AnyClient, backup_all::core::OperationRef), Exit> {
    let reference = args.reference;
    let vendor: Vendor = match reference.vendor.parse() {
        Ok(vendor) => vendor,
        Err(error) => {
            Printer::stderr(&format!("error: {reference}: {error}"));
            return Err(Exit::Usage);
        }
    };
    let built = connect::config(vendor, &args.connect).and_then(|config| {
        super::warn_insecure(connect::insecure(&config));
        AnyClient::from_config(&config, &process_env)
    });
    match built {
        Ok(client) => Ok((client, reference)),
        Err(error) => {
            printer.failure(vendor.as_str(), &error);
            Err(Exit::of(&error))
        }
    }
}

pub async fn status(args: RefArgs, printer: Printer) -> Exit {
    let (client, reference) = match client(args, printer) {
        Ok(found) => found,
        Err(exit) => return exit,
    };
    match client.status(&reference).await {
        Ok(operation) => {
            printer.operation(&operation, None);
            Exit::of_status(operation.status)
        }
        Err(error) => {
            printer.failure(&reference.vendor, &error);
            Exit::of(&error)
        }
    }
}

pub async fn cancel(args: RefArgs, printer: Printer) -> Exit {
    let (client, reference) = match client(args, printer) {
        Ok(found) => found,
        Err(exit) => return exit,
    };
    match client.cancel(&reference).await {
        Ok(operation) => {
            printer.operation(&operation, None);
            Exit::Success
        }
        Err(error) => {
            printer.failure(&reference.vendor, &error);
            Exit::of(&error)
        }
    }
}

pub async fn wait(args: WaitRefArgs, output: Output) -> Exit {
    let printer = Printer::new(output);
    let (client, reference) = match client(args.target, printer) {
        Ok(found) => found,
        Err(exit) => return exit,
    };
    let operation = match client.status(&reference).await {
        Ok(operation) => operation,
        Err(error) => {
            printer.failure(&reference.vendor, &error);
            return Exit::of(&error);
        }
    };
    let mut options = WaitOptions::every(args.poll_interval);
    if let Some(timeout) = args.timeout {
        options = options.deadline(Some(timeout));
    }
    let progress = Progress::new(output);
    let followed = follow(&client, operation, options, &|op| progress.observe("", op)).await;
    progress.finish();
    printer.operation(&followed.last, followed.error.as_ref());
    followed.error.as_ref().map_or(Exit::Success, Exit::of)
}
