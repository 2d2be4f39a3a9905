//! Exit codes: the part of the contract scripts branch on.

use std::process::ExitCode;

use backup_all::core::{ApiErrorKind, Error, OperationStatus};

/// The exit codes, as `--help` documents them: a literal, for `concat!` into help texts.
macro_rules! exit_codes {
    () => {
        "\
Exit codes:
  0  succeeded (or accepted, without --wait)
  1  a backup failed or was cancelled
  2  usage or configuration error (nothing was sent)
  3  deadline passed while waiting (the backup goes on; resume with `backupctl wait <ref>`)
  4  authentication failed
  5  other API or transport error, including an unknown outcome
130  interrupted by SIGINT (Ctrl-C) while triggering or waiting: the operations still
     running are printed with `backupctl wait <ref>` (a second SIGINT exits at once)
143  interrupted by SIGTERM, as for 130"
    };
}
pub(crate) use exit_codes;

/// How `backupctl` ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    /// 0.
    Success = 0,
    /// 1.
    BackupFailed = 1,
    /// 2.
    Usage = 2,
    /// 3.
    Deadline = 3,
    /// 4.
    Auth = 4,
    /// 5.
    Api = 5,
    /// 130: SIGINT.
    Interrupted = 130,
    /// 143: SIGTERM.
    Terminated = 143,
}

impl Exit {
    /// The exit code for `error`.
    pub fn of(error: &Error) -> Exit {
        match error {
            Error::OperationFailed(_) => Exit::BackupFailed,
            Error::Timeout { .. } => Exit::Deadline,
            Error::Auth { .. } => Exit::Auth,
            Error::Api(api)
                if matches!(
                    api.kind,
                    ApiErrorKind::Unauthorized | ApiErrorKind::Forbidden
                ) =>
            {
                Exit::Auth
            }
            Error::InvalidInput { .. } | Error::Config { .. } | Error::Unsupported { .. } => {
                Exit::Usage
            }
            _ => Exit::Api,
        }
    }

    /// The exit code for an operation read without error.
    pub fn of_status(status: OperationStatus) -> Exit {
        match status {
            OperationStatus::Failed | OperationStatus::Cancelled => Exit::BackupFailed,
            _ => Exit::Success,
        }
    }

    /// The worse of two outcomes (the higher code; usage errors end a run before it
    /// starts, so they never meet another code).
    #[must_use]
    pub fn worst(self, other: Exit) -> Exit {
        self.max(other)
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit as u8)
    }
}

#[cfg(test)]
mod tests {
    use backup_all::core::{ApiError, Operation, OperationRef};

    use super::*;

    #[test]
    fn errors_map_to_documented_codes() {
        let op = Operation::new(
            OperationRef::new("veeam", "v8.1/s"),
            OperationStatus::Failed,
        );
        assert_eq!(
            Exit::of(&Error::OperationFailed(Box::new(op.clone()))),
            Exit::BackupFailed
        );
        let timeout = Error::Timeout {
            operation: Box::new(op),
            waited: std::time::Duration::ZERO,
        };
        assert_eq!(Exit::of(&timeout), Exit::Deadline);
        assert_eq!(Exit::of(&Error::auth("yandex", "no")), Exit::Auth);
        let api = |status| Error::Api(Box::new(ApiError::new("veeam", status, "x")));
        assert_eq!(Exit::of(&api(401)), Exit::Auth);
        assert_eq!(Exit::of(&api(403)), Exit::Auth);
        assert_eq!(Exit::of(&api(500)), Exit::Api);
        assert_eq!(Exit::of(&Error::config("veeam", "VEEAM_URL")), Exit::Usage);
        assert_eq!(
            Exit::of(&Error::invalid_input("veeam", "policy", "empty")),
            Exit::Usage
        );
        assert_eq!(Exit::Api.worst(Exit::Auth), Exit::Api);
        assert_eq!(Exit::Deadline as u8, 3);
        assert_eq!(Exit::Interrupted as u8, 130);
        assert_eq!(Exit::Terminated as u8, 143);
        assert_eq!(Exit::Api.worst(Exit::Interrupted), Exit::Interrupted);
    }
}
