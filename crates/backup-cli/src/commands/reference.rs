//! `backupctl status | wait | cancel <operation-ref>`.

use std::sync::PoisonError;

use backup_all::core::contract::BackupClient;
use backup_all::core::contract::process_env;
use backup_all::core::transport::with_deadline;
use backup_all::core::{Operation, OperationStatus, WaitOptions};
use backup_all::plan::follow;
use backup_all::{AnyClient, Vendor, VendorVisitor};

use crate::cli::{Output, RefArgs, WaitRefArgs};
use crate::connect;
use crate::exit::Exit;
use crate::output::Printer;
use crate::progress::Progress;
use crate::signals::Signals;

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
    // A malformed reference is refused before anything else is looked at (credentials
    // included): nothing is sent.
    if let Err(error) = check_reference(vendor, &reference) {
        printer.failure(vendor.as_str(), &error);
        return Err(Exit::of(&error));
    }
    // A reference resumes with what it carries (Huawei's project): the connection
    // flags only add to it.
    let built = connect::config(vendor, &args.connect).and_then(|config| {
        super::warn_insecure(connect::insecure(&config));
        AnyClient::for_reference(&reference, &config, &process_env, &args.timeouts.settings())
    });
    match built {
        Ok(client) => Ok((client, reference)),
        Err(error) => {
            let error = connect::name_flag(vendor, error);
            printer.failure(vendor.as_str(), &error);
            Err(Exit::of(&error))
        }
    }
}

/// The vendor's own check of a reference (`BackupClient::check_reference`).
fn check_reference(
    vendor: Vendor,
    reference: &backup_all::core::OperationRef,
) -> Result<(), backup_all::core::Error> {
    struct Check<'a>(&'a backup_all::core::OperationRef);
    impl VendorVisitor for Check<'_> {
        type Output = backup_all::core::Result<()>;
        fn visit<C: BackupClient>(self) -> Self::Output {
            C::check_reference(self.0)
        }
    }
    vendor.visit(Check(reference))?
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
            // A cancel of an operation that had ended leaves it as it ended: nothing
            // was cancelled (a cancelled one is cancelled, whoever did it).
            let cancelled =
                !operation.status.is_terminal() || operation.status == OperationStatus::Cancelled;
            printer.cancel_result(&operation, cancelled);
            if cancelled {
                Exit::Success
            } else {
                Exit::of_status(operation.status)
            }
        }
        Err(error) => {
            // The vendor may refuse to cancel what has ended: read it to say so.
            if matches!(
                error,
                backup_all::core::Error::Api(_) | backup_all::core::Error::Unsupported { .. }
            ) && let Ok(operation) = client.status(&reference).await
                && operation.status.is_terminal()
            {
                printer.cancel_result(&operation, false);
                return Exit::of_status(operation.status);
            }
            printer.failure(&reference.vendor, &error);
            Exit::of(&error)
        }
    }
}

/// `wait <ref>`: follows the operation to its end, or to the deadline. SIGINT or
/// SIGTERM stops it at once: the operation is printed as last seen, with how to
/// resume, and the exit code is 130 or 143.
pub async fn wait(args: WaitRefArgs, output: Output) -> Exit {
    let printer = Printer::new(output);
    let (client, reference) = match client(args.target, printer) {
        Ok(found) => found,
        Err(exit) => return exit,
    };
    let signals = Signals::install();
    let mut stop = signals.stop_signal();
    let mut options = WaitOptions::every(args.poll_interval);
    if let Some(timeout) = args.timeout {
        options = options.deadline(Some(timeout));
    }
    let progress = Progress::new(output);
    let last = std::sync::Mutex::new(None::<Operation>);
    let waited = async {
        // The first read is under the deadline too.
        let first = match options.deadline {
            Some(deadline) => {
                let at = tokio::time::Instant::now() + deadline;
                let read = with_deadline(at, client.status(&reference));
                let timeout = || backup_all::core::Error::Timeout {
                    operation: Box::new(Operation::new(
                        reference.clone(),
                        OperationStatus::Pending,
                    )),
                    waited: deadline,
                };
                match tokio::time::timeout_at(at, read).await {
                    Ok(Ok(operation)) => Ok(operation),
                    // Cut off by the deadline (not sent, or no answer before it).
                    Ok(Err(_)) if tokio::time::Instant::now() >= at => Err(timeout()),
                    Ok(Err(error)) => Err(error),
                    Err(_) => Err(timeout()),
                }
            }
            None => client.status(&reference).await,
        };
        let operation = first?;
        *last.lock().unwrap_or_else(PoisonError::into_inner) = Some(operation.clone());
        Ok(follow(&client, operation, options, &|op| {
            *last.lock().unwrap_or_else(PoisonError::into_inner) = Some(op.clone());
            progress.observe("", op);
        })
        .await)
    };
    let waited = tokio::select! {
        waited = waited => Some(waited),
        () = stop.interrupted() => None,
    };
    progress.finish();
    match waited {
        Some(Ok(followed)) => {
            printer.operation(&followed.last, followed.error.as_ref());
            followed.error.as_ref().map_or(Exit::Success, Exit::of)
        }
        Some(Err(error)) => {
            printer.failure(&reference.vendor, &error);
            Exit::of(&error)
        }
        None => {
            let signal = signals
                .received()
                .map_or(Exit::Interrupted, crate::signals::Signal::exit);
            let seen = last.lock().unwrap_or_else(PoisonError::into_inner).take();
            match seen {
                Some(operation) => printer.operation_interrupted(&operation, None, true),
                None if printer.is_json() => {
                    let error = backup_all::core::Error::Timeout {
                        operation: Box::new(Operation::new(
                            reference.clone(),
                            OperationStatus::Pending,
                        )),
                        waited: std::time::Duration::ZERO,
                    };
                    let mut value = crate::output::failure_json(&reference.vendor, &error);
                    value["operation"] = reference.to_string().into();
                    value["error"] = serde_json::Value::Null;
                    printer.raw_json(&crate::output::mark_interrupted(value, true));
                }
                None => {}
            }
            if !printer.is_json() {
                Printer::stderr(&format!(
                    "interrupted: the backup goes on; resume with: backupctl wait '{reference}'"
                ));
            }
            signal
        }
    }
}
