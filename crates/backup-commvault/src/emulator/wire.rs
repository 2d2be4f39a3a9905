//! What the emulator reads and writes on the wire, from the documents (not from the
//! client's types): the requests it accepts and Commvault's answers, XML written with
//! quick-xml's writer so that every value is escaped.

use quick_xml::Writer;
use quick_xml::events::{BytesEnd, BytesStart, Event};
use serde::Deserialize;

/// Turns JSON booleans and numbers into text, so that one set of structs (with text
/// fields, as XML has) reads both forms.
fn stringify_scalars(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Bool(b) => *value = Value::String(b.to_string()),
        Value::Number(n) => *value = Value::String(n.to_string()),
        Value::Array(items) => items.iter_mut().for_each(stringify_scalars),
        Value::Object(map) => map.values_mut().for_each(stringify_scalars),
        Value::Null | Value::String(_) => {}
    }
}

/// `"true"` / `"false"` (also `1` / `0`) as a boolean.
pub(crate) fn flag(text: Option<&str>) -> Option<bool> {
    match text?.trim() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

/// The parts of a `TMMsg_CreateTaskReq` the emulated CommServe looks at.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TaskRequest {
    #[serde(default)]
    pub task_info: Option<TaskInfoIn>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TaskInfoIn {
    #[serde(default)]
    pub task: Option<TaskIn>,
    #[serde(default)]
    pub associations: Vec<AssociationIn>,
    #[serde(default)]
    pub sub_tasks: Vec<SubTasksIn>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TaskIn {
    #[serde(default)]
    pub task_type: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AssociationIn {
    #[serde(default)]
    pub client_name: Option<String>,
    #[serde(default)]
    pub instance_name: Option<String>,
    #[serde(default)]
    pub backupset_name: Option<String>,
    #[serde(default)]
    pub subclient_name: Option<String>,
    #[serde(default)]
    pub app_name: Option<String>,
    #[serde(default)]
    pub subclient_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SubTasksIn {
    #[serde(default)]
    pub sub_task: Option<SubTaskIn>,
    #[serde(default)]
    pub options: Option<OptionsIn>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SubTaskIn {
    #[serde(default)]
    pub sub_task_type: Option<String>,
    #[serde(default)]
    pub operation_type: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OptionsIn {
    #[serde(default)]
    pub backup_opts: Option<BackupOptsIn>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BackupOptsIn {
    #[serde(default)]
    pub backup_level: Option<String>,
    #[serde(default)]
    pub ad_hoc_backup: Option<String>,
    #[serde(default)]
    pub on_demand_input_file: Option<String>,
}

/// `POST Login`, JSON form.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LoginIn {
    #[serde(default, alias = "@username")]
    pub username: Option<String>,
    #[serde(default, alias = "@password")]
    pub password: Option<String>,
}

/// `POST JobDetails`: `{"jobId": N}` or `<JobManager_JobDetailRequest jobId="N"/>`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct JobDetailIn {
    #[serde(default, alias = "@jobId")]
    pub job_id: Option<String>,
}

/// `POST RenewLoginToken`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RenewIn {
    #[serde(default)]
    pub session_id: Option<String>,
}

/// Parses a body as XML with root `root`, or as JSON.
pub(crate) fn parse_body<T: serde::de::DeserializeOwned>(
    body: &[u8],
    root: &str,
) -> Result<T, String> {
    let text = std::str::from_utf8(body).map_err(|_| "the body is not UTF-8".to_owned())?;
    let text = text.trim_start_matches('\u{feff}').trim();
    if text.starts_with('<') {
        let found = crate::error::xml_root(text.as_bytes()).unwrap_or_default();
        if found != root {
            return Err(format!("expected <{root}>, got <{found}>"));
        }
        quick_xml::de::from_str(text).map_err(|e| format!("invalid XML: {e}"))
    } else if text.starts_with('{') {
        let mut value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
        stringify_scalars(&mut value);
        serde_json::from_value(value).map_err(|e| format!("invalid request: {e}"))
    } else {
        Err("the body is neither XML nor JSON".to_owned())
    }
}

/// An element with attributes and children, written with quick-xml's writer.
pub(crate) struct Element {
    name: &'static str,
    attributes: Vec<(&'static str, String)>,
    children: Vec<Element>,
}

impl Element {
    pub(crate) fn new(name: &'static str) -> Self {
        Self {
            name,
            attributes: Vec::new(),
            children: Vec::new(),
        }
    }

    pub(crate) fn attr(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.attributes.push((name, value.into()));
        self
    }

    pub(crate) fn child(mut self, child: Element) -> Self {
        self.children.push(child);
        self
    }

    fn write(&self, writer: &mut Writer<Vec<u8>>) -> std::io::Result<()> {
        let mut start = BytesStart::new(self.name);
        for (name, value) in &self.attributes {
            start.push_attribute((*name, value.as_str()));
        }
        if self.children.is_empty() {
            return writer.write_event(Event::Empty(start));
        }
        writer.write_event(Event::Start(start))?;
        for child in &self.children {
            child.write(writer)?;
        }
        writer.write_event(Event::End(BytesEnd::new(self.name)))
    }

    /// The element as an XML document (no declaration).
    pub(crate) fn to_xml(&self) -> String {
        let mut writer = Writer::new(Vec::new());
        // Writing to a Vec cannot fail.
        let _ = self.write(&mut writer);
        String::from_utf8_lossy(&writer.into_inner()).into_owned()
    }
}
