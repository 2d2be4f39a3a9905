//! One module per subcommand.

mod demo;
mod emulate;
mod journal;
mod plan;
mod reference;
mod runs;
mod trigger;

use crate::cli::{Cli, Command, Output};
use crate::exit::Exit;
use crate::output::Printer;

/// Runs the parsed command line and returns how to exit.
pub async fn run(cli: Cli) -> Exit {
    let printer = Printer::new(cli.output);
    match cli.command {
        Command::Trigger(command) => trigger::run(command, cli.output).await,
        Command::Status(args) => reference::status(args, printer).await,
        Command::Wait(args) => reference::wait(args, cli.output).await,
        Command::Cancel(args) => reference::cancel(args, printer).await,
        Command::Run(args) => plan::run(args, cli.output).await,
        Command::Runs(args) => runs::run(args, printer).await,
        Command::Demo(args) => demo::run(args, cli.output).await,
        Command::Emulate(args) => emulate::run(args).await,
        Command::Completions { shell } => {
            if cli.output != Output::Text {
                Printer::stderr(
                    "error: --output does not apply to completions: it prints a shell script",
                );
                return Exit::Usage;
            }
            let mut out = std::io::stdout().lock();
            clap_complete::generate(shell, &mut crate::cli::command(), "backupctl", &mut out);
            Exit::Success
        }
    }
}

/// Warns (on stderr, through the logs) that certificates are not checked.
fn warn_insecure(insecure: bool) {
    if insecure {
        tracing::warn!(
            "--insecure: the server's certificate is not checked; anyone on the network path can read the credentials"
        );
    }
}
