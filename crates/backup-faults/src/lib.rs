//! The fault matrix of backup-rs: every vendor of the registry through every fault of
//! backup-core's fault suite, printed as one table (`cargo xtask faults`).
//!
//! The suite itself ([`backup_core::testing::faults`]) is written once over
//! `VendorEmulator` and runs in every vendor crate's tests (`vendor_suite!`); this crate
//! runs it for every vendor of [`Vendor::ALL`] side by side and renders the result.
//!
//! ```no_run
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use backup_all::Vendor;
//! use backup_faults::{FaultCase, run_cell};
//!
//! let cell = run_cell(Vendor::Yandex, FaultCase::DropAfterTrigger).await.unwrap();
//! assert!(cell.passed(), "{:?}", cell.problems);
//! assert_eq!(cell.accepted, 1);
//! # }
//! ```

use std::fmt::Write as _;
use std::future::Future;
use std::pin::Pin;

use backup_all::{EmulatorVisitor, NotInBuild, Vendor};
use backup_core::emulator::VendorEmulator;
pub use backup_core::testing::faults::{Cell, Expected, FaultCase, Outcome};

/// A boxed future of cells.
type Cells = Pin<Box<dyn Future<Output = Vec<Cell>> + Send>>;

/// Runs some fault cases on one vendor's emulator.
struct RunCases(Vec<FaultCase>);

impl EmulatorVisitor for RunCases {
    type Output = Cells;

    fn visit<E: VendorEmulator>(self) -> Cells {
        Box::pin(async move {
            let mut cells = Vec::with_capacity(self.0.len());
            for case in self.0 {
                cells.push(backup_core::testing::faults::run_cell::<E>(case).await);
            }
            cells
        })
    }
}

/// Runs one cell: a fresh emulator of `vendor` and a client, the fault, trigger and
/// wait, and every check.
///
/// # Errors
/// [`NotInBuild`] when the vendor's feature is off.
pub async fn run_cell(vendor: Vendor, case: FaultCase) -> Result<Cell, NotInBuild> {
    let mut cells = vendor.visit_emulator(RunCases(vec![case]))?.await;
    Ok(cells.remove(0))
}

/// Runs every fault for `vendor`, one after the other.
///
/// # Errors
/// [`NotInBuild`] when the vendor's feature is off.
pub async fn run_vendor(vendor: Vendor) -> Result<Vec<Cell>, NotInBuild> {
    Ok(vendor
        .visit_emulator(RunCases(FaultCase::ALL.to_vec()))?
        .await)
}

/// Runs the whole matrix: every vendor in this build side by side, each vendor's
/// faults in turn.
pub async fn run_all() -> Vec<Cell> {
    let runs = Vendor::enabled().filter_map(|vendor| {
        vendor
            .visit_emulator(RunCases(FaultCase::ALL.to_vec()))
            .ok()
    });
    let all = futures_util::future::join_all(runs).await;
    all.into_iter().flatten().collect()
}

/// What a cell must end in for `vendor`.
///
/// # Errors
/// [`NotInBuild`] when the vendor's feature is off.
pub fn expected(vendor: Vendor, case: FaultCase) -> Result<Expected, NotInBuild> {
    struct Expect(FaultCase);
    impl EmulatorVisitor for Expect {
        type Output = Expected;
        fn visit<E: VendorEmulator>(self) -> Expected {
            self.0.expected::<E>()
        }
    }
    vendor.visit_emulator(Expect(case))
}

/// The matrix as a text table (fault rows, vendor columns; each cell: outcome,
/// accepted backups, PASS or FAIL), then the failures in detail.
#[must_use]
pub fn render(cells: &[Cell]) -> String {
    let vendors: Vec<&str> = Vendor::enabled().map(Vendor::as_str).collect();
    let first = FaultCase::ALL
        .iter()
        .map(|c| c.name().len())
        .max()
        .unwrap_or(0);
    let text = |cell: &Cell| {
        format!(
            "{} {} {}",
            cell.outcome,
            cell.accepted,
            if cell.passed() { "PASS" } else { "FAIL" }
        )
    };
    let width = cells
        .iter()
        .map(|c| text(c).len())
        .chain(vendors.iter().map(|v| v.len()))
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    let _ = write!(out, "{:first$}", "fault \\ vendor");
    for vendor in &vendors {
        let _ = write!(out, " | {vendor:width$}");
    }
    out.push('\n');
    out.push_str(&"-".repeat(first));
    for _ in &vendors {
        out.push_str("-+-");
        out.push_str(&"-".repeat(width));
    }
    out.push('\n');
    for case in FaultCase::ALL {
        let _ = write!(out, "{:first$}", case.name());
        for vendor in &vendors {
            let cell = cells.iter().find(|c| c.vendor == *vendor && c.case == case);
            let shown = cell.map_or_else(|| "-".to_owned(), text);
            let _ = write!(out, " | {shown:width$}");
        }
        out.push('\n');
    }
    let failed: Vec<&Cell> = cells.iter().filter(|c| !c.passed()).collect();
    let _ = writeln!(
        out,
        "\n{} cells: {} PASS, {} FAIL (outcome, backups the emulator started, verdict)",
        cells.len(),
        cells.len() - failed.len(),
        failed.len()
    );
    for cell in failed {
        let _ = writeln!(
            out,
            "FAIL {} / {}: {}{}",
            cell.vendor,
            cell.case,
            cell.problems.join("; "),
            cell.error
                .as_ref()
                .map(|e| format!(" [error: {e}]"))
                .unwrap_or_default()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn cell(vendor: &'static str, case: FaultCase, problems: Vec<String>) -> Cell {
        Cell {
            vendor,
            case,
            expected: Expected::new(Outcome::Recovered, 1),
            outcome: Outcome::Recovered,
            accepted: 1,
            triggers: 2,
            error: None,
            problems,
            elapsed: Duration::ZERO,
        }
    }

    #[test]
    fn render_shows_every_cell_and_details_failures() {
        let cells = vec![
            cell("yandex", FaultCase::DropAfterTrigger, Vec::new()),
            cell("veeam", FaultCase::Throttled, vec!["boom".to_owned()]),
        ];
        let table = render(&cells);
        assert!(table.contains("recovered 1 PASS"), "{table}");
        assert!(table.contains("recovered 1 FAIL"), "{table}");
        assert!(table.contains("2 cells: 1 PASS, 1 FAIL"), "{table}");
        assert!(
            table.contains("FAIL veeam / 429 + Retry-After (trigger): boom"),
            "{table}"
        );
        // Cells not run show as `-`.
        assert!(table.contains("| -"), "{table}");
    }
}
