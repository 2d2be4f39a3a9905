//! `backup-faults`: runs the fault matrix (every vendor through every fault on its
//! emulator), prints it as a table and exits non-zero when a cell fails.

use std::process::ExitCode;

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("backup-faults: cannot start the runtime: {error}");
            }
            return ExitCode::from(2);
        }
    };
    let started = std::time::Instant::now();
    let cells = runtime.block_on(backup_faults::run_all());
    let table = backup_faults::render(&cells);
    #[allow(clippy::print_stdout)]
    {
        println!("{table}");
        println!("matrix ran in {:.1} s", started.elapsed().as_secs_f64());
    }
    if cells.iter().all(backup_faults::Cell::passed) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
