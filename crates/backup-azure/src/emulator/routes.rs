//! Which endpoint a request reaches. ARM paths are case-insensitive in their literal
//! segments (`Subscriptions` in the document's status URLs), so they are matched by
//! hand rather than by a router.

use axum::http::Method;
use backup_core::emulator::RouteClass;
use percent_encoding::percent_decode_str;

/// A path's endpoint, with its decoded parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    /// `.../protectedItems/{item}/backup`: the six item names.
    Trigger([String; 6]),
    /// `.../protectedItems/{item}/operationsStatus/{opId}`.
    OperationStatus([String; 6], String),
    /// `.../protectedItems/{item}/operationResults/{opId}`.
    OperationResult([String; 6], String),
    /// `.../vaults/{vault}/backupJobs/{jobId}`: the three vault names and the job.
    Job([String; 3], String),
    /// `.../vaults/{vault}/backupJobs/{jobId}/cancel`.
    CancelJob([String; 3], String),
    /// `.../vaults/{vault}/backupJobs` (`BackupJobs_List`).
    JobList([String; 3]),
    /// `.../vaults/{vault}/backupJobs/{jobId}/operationResults/{opId}`
    /// (`JobOperationResults_Get`: the cancel's result).
    JobOperationResult([String; 3], String, String),
    /// `.../vaults/{vault}/backupOperations/{opId}` (`BackupOperationStatuses_Get`).
    VaultOperationStatus([String; 3], String),
    /// `.../vaults/{vault}/backupOperationResults/{opId}` (`BackupOperationResults_Get`).
    VaultOperationResult([String; 3], String),
    /// `.../protectedItems/{item}/recoveryPoints` (`RecoveryPoints_List`).
    RecoveryPoints([String; 6]),
    /// `.../protectedItems/{item}/recoveryPoints/{id}` (`RecoveryPoints_Get`).
    RecoveryPoint([String; 6], String),
    /// Anything else.
    Unknown,
}

impl Route {
    /// The route of `path` (as sent, percent-encoded).
    pub(crate) fn parse(path: &str) -> Self {
        let segments: Vec<String> = path
            .trim_start_matches('/')
            .split('/')
            .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
            .collect();
        let literal = |index: usize, text: &str| {
            segments
                .get(index)
                .is_some_and(|s| s.eq_ignore_ascii_case(text))
        };
        let name = |index: usize| segments.get(index).cloned().unwrap_or_default();
        let vault_prefix = literal(0, "subscriptions")
            && literal(2, "resourceGroups")
            && literal(4, "providers")
            && literal(5, "Microsoft.RecoveryServices")
            && literal(6, "vaults")
            && segments.len() > 8;
        if !vault_prefix {
            return Self::Unknown;
        }
        let vault = [name(1), name(3), name(7)];
        if segments.iter().skip(8).any(String::is_empty) {
            return Self::Unknown;
        }
        match segments.len() {
            9 if literal(8, "backupJobs") => return Self::JobList(vault),
            10 if literal(8, "backupJobs") => return Self::Job(vault, name(9)),
            10 if literal(8, "backupOperations") => {
                return Self::VaultOperationStatus(vault, name(9));
            }
            10 if literal(8, "backupOperationResults") => {
                return Self::VaultOperationResult(vault, name(9));
            }
            11 if literal(8, "backupJobs") && literal(10, "cancel") => {
                return Self::CancelJob(vault, name(9));
            }
            12 if literal(8, "backupJobs") && literal(10, "operationResults") => {
                return Self::JobOperationResult(vault, name(9), name(11));
            }
            _ => {}
        }
        let item_prefix = literal(8, "backupFabrics")
            && literal(10, "protectionContainers")
            && literal(12, "protectedItems");
        if !item_prefix || segments.iter().any(String::is_empty) {
            return Self::Unknown;
        }
        let item = [name(1), name(3), name(7), name(9), name(11), name(13)];
        match segments.len() {
            15 if literal(14, "backup") => Self::Trigger(item),
            16 if literal(14, "operationsStatus") => Self::OperationStatus(item, name(15)),
            16 if literal(14, "operationResults") => Self::OperationResult(item, name(15)),
            15 if literal(14, "recoveryPoints") => Self::RecoveryPoints(item),
            16 if literal(14, "recoveryPoints") => Self::RecoveryPoint(item, name(15)),
            _ => Self::Unknown,
        }
    }

    /// The method the route answers.
    pub(crate) fn method(&self) -> Method {
        match self {
            Self::Trigger(_) | Self::CancelJob(..) => Method::POST,
            _ => Method::GET,
        }
    }

    /// The vendor-neutral class of the route, for faults and the log.
    pub(crate) fn class(&self) -> RouteClass {
        match self {
            Self::Trigger(_) => RouteClass::Trigger,
            Self::OperationStatus(..)
            | Self::OperationResult(..)
            | Self::Job(..)
            | Self::VaultOperationStatus(..)
            | Self::VaultOperationResult(..)
            | Self::JobOperationResult(..) => RouteClass::Poll,
            Self::CancelJob(..) => RouteClass::Control,
            // Finding backups (after a lost trigger) and what they made: not the reads
            // that follow a backup.
            Self::JobList(_)
            | Self::RecoveryPoints(_)
            | Self::RecoveryPoint(..)
            | Self::Unknown => RouteClass::Other,
        }
    }
}

/// The class of a request, for [`backup_core::emulator::EmulatorConfig::classify`].
pub(crate) fn classify(method: &Method, path: &str) -> RouteClass {
    let route = Route::parse(path);
    if route.method() == method {
        route.class()
    } else {
        RouteClass::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VAULT: &str =
        "/Subscriptions/s/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v";

    #[test]
    fn routes_parse_case_insensitively_and_decode_names() {
        let trigger = format!(
            "{VAULT}/backupFabrics/Azure/protectionContainers/IaasVMContainer;a;b/protectedItems/VM;a%2Fb/backup"
        );
        let Route::Trigger(item) = Route::parse(&trigger) else {
            panic!("not a trigger: {trigger}");
        };
        assert_eq!(item[4], "IaasVMContainer;a;b");
        assert_eq!(item[5], "VM;a/b");
        assert_eq!(classify(&Method::POST, &trigger), RouteClass::Trigger);
        assert_eq!(classify(&Method::GET, &trigger), RouteClass::Other);
        let job = format!("{}/BACKUPJOBS/j1", VAULT.to_lowercase());
        assert!(matches!(Route::parse(&job), Route::Job(_, ref id) if id == "j1"));
        let cancel = format!("{VAULT}/backupJobs/j1/cancel");
        assert!(matches!(Route::parse(&cancel), Route::CancelJob(_, ref id) if id == "j1"));
        assert_eq!(classify(&Method::POST, &cancel), RouteClass::Control);
        let status = format!(
            "{VAULT}/backupFabrics/f/protectionContainers/c/protectedItems/i/operationsStatus/o"
        );
        assert!(matches!(Route::parse(&status), Route::OperationStatus(_, ref op) if op == "o"));
        assert!(matches!(
            Route::parse(&format!("{VAULT}/backupJobs")),
            Route::JobList(ref v) if v[2] == "v"
        ));
        assert_eq!(
            classify(&Method::GET, &format!("{VAULT}/backupJobs")),
            RouteClass::Other
        );
        assert!(matches!(
            Route::parse(&format!("{VAULT}/backupJobs/j1/operationResults/o1")),
            Route::JobOperationResult(_, ref j, ref o) if j == "j1" && o == "o1"
        ));
        assert!(matches!(
            Route::parse(&format!("{VAULT}/BackupOperations/o1")),
            Route::VaultOperationStatus(_, ref o) if o == "o1"
        ));
        assert!(matches!(
            Route::parse(&format!("{VAULT}/backupOperationResults/o1")),
            Route::VaultOperationResult(_, ref o) if o == "o1"
        ));
        let points = format!(
            "{VAULT}/backupFabrics/f/protectionContainers/c/protectedItems/i/recoveryPoints"
        );
        assert!(matches!(Route::parse(&points), Route::RecoveryPoints(_)));
        assert!(matches!(
            Route::parse(&format!("{points}/123")),
            Route::RecoveryPoint(_, ref id) if id == "123"
        ));
        for bad in [
            "/",
            "/subscriptions/s",
            &format!("{VAULT}/backupJobs/"),
            &format!("{VAULT}/x/y"),
        ] {
            assert_eq!(Route::parse(bad), Route::Unknown, "{bad}");
        }
    }
}
