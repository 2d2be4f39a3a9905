//! Request and response types, field for field as Commvault documents them.
//!
//! - [`task`]: the `TMMsg_CreateTaskReq` of *Run Backup Job* and the
//!   [`TriggerRequest`](task::TriggerRequest) it is built from;
//! - [`response`]: `TMMsg_CreateTaskResp` and the generic error answers
//!   (`TMMsg_GenericResp`, `CVGui_GenericResp`, JSON `errorCode` / `errList`);
//! - [`job`]: `GET Job/{jobId}` (and the job list) and its `jobSummary`;
//! - [`details`]: `POST JobDetails`;
//! - [`lookup`]: `GET Client`;
//! - [`login`]: `Login` and `RenewLoginToken`.
//!
//! Every response type tolerates unknown fields; numbers Commvault sometimes sends as
//! strings (and the other way round) are accepted in both forms
//! ([`backup_core::lenient`]).

mod create_task_xml;
pub mod details;
pub mod job;
pub mod login;
pub mod lookup;
pub mod response;
pub mod task;
mod task_xml;

/// The body format of a request: Commvault accepts XML and JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Format {
    /// `application/xml`, as the *Run Backup Job* document shows (the default).
    #[default]
    Xml,
    /// `application/json`.
    Json,
}

impl Format {
    /// The media type (`application/xml` or `application/json`).
    #[must_use]
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Xml => "application/xml",
            Self::Json => "application/json",
        }
    }
}
