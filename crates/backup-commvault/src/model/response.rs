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

use super::create_task_xml;
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
#[derive(Debug, Deserialize, PartialEq, Eq)]
struct XmlCreateTaskResp {
    #[serde(rename = "@taskId", default)]
    task_id: Option<String>,
    #[serde(rename = "jobIds", default)]
    job_ids: Vec<XmlJobId>,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
struct XmlJobId {
    #[serde(rename = "@val", default)]
    val: Option<String>,
    #[serde(rename = "$text", default)]
    text: Option<String>,
}

impl From<create_task_xml::TaskAnswer> for XmlCreateTaskResp {
    fn from(read: create_task_xml::TaskAnswer) -> Self {
        Self {
            task_id: read.task_id,
            job_ids: read
                .job_ids
                .into_iter()
                .map(|val| XmlJobId { val, text: None })
                .collect(),
        }
    }
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
            // The usual answer from its events; any other form the general way.
            let read = create_task_xml::read(text);
            let root = match read {
                Some(_) => String::new(),
                None => xml_root(text.as_bytes()).unwrap_or_default(),
            };
            if read.is_some() || root == "TMMsg_CreateTaskResp" {
                let parsed = match read {
                    Some(read) => XmlCreateTaskResp::from(read),
                    None => quick_xml::de::from_str(text)
                        .map_err(|e| format!("invalid TMMsg_CreateTaskResp: {e}"))?,
                };
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The task id and job ids as `parse` makes them of a decoded answer.
    fn ids(parsed: XmlCreateTaskResp) -> (Option<String>, Vec<String>) {
        (
            parsed.task_id,
            clean_ids(parsed.job_ids.into_iter().filter_map(|j| j.val.or(j.text))),
        )
    }

    /// Checks that where the event reader answers, the deserializer reads the same.
    fn same_as_the_deserializer(text: &str) -> bool {
        let Some(read) = create_task_xml::read(text) else {
            return false;
        };
        let general: XmlCreateTaskResp =
            quick_xml::de::from_str(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(ids(XmlCreateTaskResp::from(read)), ids(general), "{text}");
        true
    }

    #[test]
    fn the_usual_answers_are_read_from_events() {
        for text in [
            r#"<TMMsg_CreateTaskResp taskId="4040"/>"#,
            "<?xml version=\"1.0\"?>\n<TMMsg_CreateTaskResp taskId=\"4042\"><jobIds val=\"1\"/><jobIds val=\"2\"/></TMMsg_CreateTaskResp>",
            "<TMMsg_CreateTaskResp jobIds=\"9\" taskId=\" 7 \">\n  <jobIds val=\"&#53;\"></jobIds>\n  <!-- x -->\n  <jobIds other=\"a\" val=\"\"/>\n</TMMsg_CreateTaskResp>\n",
            r#"<TMMsg_CreateTaskResp><jobIds val="3"/></TMMsg_CreateTaskResp>"#,
            r#"<TMMsg_CreateTaskResp taskId="1"><jobIds/></TMMsg_CreateTaskResp>"#,
        ] {
            assert!(same_as_the_deserializer(text), "{text}");
        }
    }

    #[test]
    fn other_forms_are_left_to_the_deserializer() {
        for text in [
            r#"<TMMsg_CreateTaskResp taskId="1"><jobIds>5</jobIds></TMMsg_CreateTaskResp>"#,
            r#"<TMMsg_CreateTaskResp taskId="1" taskId="2"/>"#,
            r#"<TMMsg_CreateTaskResp x:taskId="1"/>"#,
            r#"<TMMsg_CreateTaskResp taskId="1"><other/></TMMsg_CreateTaskResp>"#,
            r#"<TMMsg_CreateTaskResp taskId="1">text</TMMsg_CreateTaskResp>"#,
            r#"<TMMsg_CreateTaskResp taskId="1"/><more/>"#,
            r#"<TMMsg_CreateTaskResp taskId="1"><jobIds val="1"/>"#,
            r#"<TMMsg_CreateTaskResp taskId="&bad;"/>"#,
            r#"<TMMsg_GenericResp errorCode="0" errorMessage=""/>"#,
        ] {
            assert_eq!(create_task_xml::read(text), None, "{text}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn the_event_reader_agrees_with_the_deserializer(
            declaration in any::<bool>(),
            task_id in proptest::option::of("[0-9 a&<>\"'\u{e9}]{0,6}"),
            children in proptest::collection::vec(
                (0_u8..5, "[0-9 a&<>\"'\u{e9}]{0,4}"),
                0..4,
            ),
            spaces in "[ \n]{0,2}",
        ) {
            let escape = |text: &str| quick_xml::escape::escape(text).into_owned();
            let mut text = String::new();
            if declaration {
                text.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
            }
            text.push_str("<TMMsg_CreateTaskResp");
            if let Some(id) = &task_id {
                text.push_str(&format!(" taskId=\"{}\"", escape(id)));
            }
            text.push('>');
            for (form, value) in &children {
                text.push_str(&spaces);
                let value = escape(value);
                text.push_str(&match form {
                    0 => format!("<jobIds val=\"{value}\"/>"),
                    1 => format!("<jobIds val=\"{value}\"></jobIds>"),
                    2 => format!("<jobIds>{value}</jobIds>"),
                    3 => "<!-- note -->".to_owned(),
                    _ => format!("<jobIds a=\"x\" val=\"{value}\" />"),
                });
            }
            text.push_str(&spaces);
            text.push_str("</TMMsg_CreateTaskResp>");
            text.push_str(&spaces);
            let read = same_as_the_deserializer(&text);
            let only_usual = children.iter().all(|(form, _)| *form != 2);
            prop_assert_eq!(read, only_usual, "{}", text);
        }
    }
}
