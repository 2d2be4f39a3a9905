//! `TMMsg_CreateTaskResp` and the other answers to `POST CreateTask`.
//!
//! | answer (HTTP 200 in every case) | result |
//! |---|---|
//! | `<TMMsg_CreateTaskResp taskId=".."><jobIds val=".."/>..</TMMsg_CreateTaskResp>` | [`CreateTaskResp`] with the job ids |
//! | `{"taskId": 4038, "jobIds": ["5976"]}` | the same |
//! | a task id and no job id | [`CreateTaskResp::is_scheduled_only`]; `trigger` reports "scheduled, no job started" |
//! | `<TMMsg_GenericResp errorCode="587207178" errorMessage=".."/>`, `CVGui_GenericResp`, `{errorCode, errorMessage}`, `errList` | `Error::Api` with status 200, the code and the message |
//! | anything else (HTML, truncated, empty) | `Error::OutcomeUnknown` (the job may have started) |

use serde::{Deserialize, Serialize};

use crate::error::{GenericError, parse_generic, xml_root};
use backup_core::lenient;

/// The answer to `POST CreateTask`: the task and the jobs it started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CreateTaskResp {
    /// `taskId`: the task created.
    pub task_id: String,
    /// `jobIds`: the jobs it started (none for a schedule).
    pub job_ids: Vec<String>,
}

impl CreateTaskResp {
    /// Whether the task started no job (a schedule, or nothing eligible to run now).
    #[must_use]
    pub fn is_scheduled_only(&self) -> bool {
        self.job_ids.is_empty()
    }
}

/// `<TMMsg_CreateTaskResp taskId=".."><jobIds val=".."/></TMMsg_CreateTaskResp>`.
#[derive(Debug, Deserialize)]
struct XmlCreateTaskResp {
    #[serde(rename = "@taskId", default)]
    task_id: Option<String>,
    #[serde(rename = "jobIds", default)]
    job_ids: Vec<XmlJobId>,
}

#[derive(Debug, Deserialize)]
struct XmlJobId {
    #[serde(rename = "@val", default)]
    val: Option<String>,
    #[serde(rename = "$text", default)]
    text: Option<String>,
}

/// `{"taskId": 4038, "jobIds": ["5976"]}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsonCreateTaskResp {
    #[serde(default, deserialize_with = "lenient::opt_text")]
    task_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::text_list")]
    job_ids: Vec<String>,
}

/// What the body of a 2xx `CreateTask` answer says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub enum CreateTaskAnswer {
    /// A task, with or without jobs.
    Task(CreateTaskResp),
    /// A non-zero `errorCode` (or an `errList`) and its message.
    Refused(GenericError),
    /// A generic answer with `errorCode` 0 and no task: nothing was started.
    NothingStarted(GenericError),
}

fn clean_ids(ids: impl IntoIterator<Item = String>) -> Vec<String> {
    ids.into_iter()
        .map(|id| id.trim().to_owned())
        .filter(|id| !id.is_empty())
        .collect()
}

impl CreateTaskAnswer {
    /// Parses the body of a 2xx answer to `POST CreateTask`, XML or JSON, whatever
    /// its content type.
    ///
    /// # Errors
    /// Why the body is none of the known forms (the caller turns it into
    /// `OutcomeUnknown`: the job may have started).
    pub fn parse(body: &[u8]) -> Result<Self, String> {
        let text = String::from_utf8_lossy(body);
        let text = text.trim_start_matches('\u{feff}').trim();
        if text.starts_with('<') {
            let root = xml_root(text.as_bytes()).unwrap_or_default();
            if root == "TMMsg_CreateTaskResp" {
                let parsed: XmlCreateTaskResp = quick_xml::de::from_str(text)
                    .map_err(|e| format!("invalid TMMsg_CreateTaskResp: {e}"))?;
                let task_id = parsed
                    .task_id
                    .map(|id| id.trim().to_owned())
                    .unwrap_or_default();
                if task_id.is_empty() {
                    return Err("TMMsg_CreateTaskResp without a taskId".to_owned());
                }
                let job_ids =
                    clean_ids(parsed.job_ids.into_iter().filter_map(|j| j.val.or(j.text)));
                return Ok(Self::Task(CreateTaskResp { task_id, job_ids }));
            }
            return Self::generic(text.as_bytes(), &root);
        }
        if text.starts_with('{') {
            let parsed: JsonCreateTaskResp =
                serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
            if let Some(found) = parse_generic(text.as_bytes())
                && found.failed
            {
                return Ok(Self::Refused(found));
            }
            return match parsed.task_id.map(|id| id.trim().to_owned()) {
                Some(task_id) if !task_id.is_empty() => Ok(Self::Task(CreateTaskResp {
                    task_id,
                    job_ids: clean_ids(parsed.job_ids),
                })),
                _ => Self::generic(text.as_bytes(), "JSON object"),
            };
        }
        Err("neither XML nor JSON".to_owned())
    }

    fn generic(body: &[u8], root: &str) -> Result<Self, String> {
        match parse_generic(body) {
            Some(found) if found.failed => Ok(Self::Refused(found)),
            Some(found) if found.code.is_some() => Ok(Self::NothingStarted(found)),
            _ => Err(format!("unexpected answer ({root}) without a taskId")),
        }
    }
}
