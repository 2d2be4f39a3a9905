//! A `TMMsg_CreateTaskResp` of the usual form, read from quick-xml's events.
//!
//! quick-xml's serde deserializer costs several times an event walk of the same few
//! hundred bytes, on every trigger (see `docs/performance.md`). The answer is almost
//! always `<TMMsg_CreateTaskResp taskId="..."><jobIds val="..."/>...</TMMsg_CreateTaskResp>`;
//! [`read`] reads exactly that form and gives up (`None`) on anything else: another
//! root, text, an element other than an empty `jobIds`, a prefixed attribute name, a
//! reference, a syntax error, content after the root. The caller then decodes the body
//! with the deserializer as before, so every other answer, and every error, is what it
//! was. A property test holds [`read`] to the deserializer where it answers.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

/// The root element read here.
pub const ROOT: &[u8] = b"TMMsg_CreateTaskResp";

/// What a `TMMsg_CreateTaskResp` holds: its `taskId` attribute and the `val` of each
/// `jobIds` child, as the deserializer reads them (unescaped, untrimmed).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TaskAnswer {
    /// `taskId`, when the root has one.
    pub task_id: Option<String>,
    /// Each `jobIds` child's `val`, `None` for a child without one.
    pub job_ids: Vec<Option<String>>,
}

/// The answer in `text`, when it has the usual form; `None` for anything else (the
/// caller decodes it the general way).
#[must_use]
pub fn read(text: &str) -> Option<TaskAnswer> {
    let mut reader = Reader::from_str(text);
    let mut answer = loop {
        match reader.read_event().ok()? {
            Event::Decl(_) | Event::Comment(_) => {}
            Event::Text(t) if is_blank(&t) => {}
            Event::Start(root) if root.name().as_ref() == ROOT => {
                break TaskAnswer {
                    task_id: attribute(&root, b"taskId")?,
                    job_ids: Vec::new(),
                };
            }
            Event::Empty(root) if root.name().as_ref() == ROOT => {
                let answer = TaskAnswer {
                    task_id: attribute(&root, b"taskId")?,
                    job_ids: Vec::new(),
                };
                return at_end(&mut reader).then_some(answer);
            }
            _ => return None,
        }
    };
    loop {
        match reader.read_event().ok()? {
            Event::Comment(_) => {}
            Event::Text(t) if is_blank(&t) => {}
            Event::Empty(child) if child.name().as_ref() == b"jobIds" => {
                answer.job_ids.push(attribute(&child, b"val")?);
            }
            Event::Start(child) if child.name().as_ref() == b"jobIds" => {
                // Without `val`, the deserializer would read the element's text.
                let val = Some(attribute(&child, b"val")??);
                match reader.read_event().ok()? {
                    Event::End(end) if end.name().as_ref() == b"jobIds" => {
                        answer.job_ids.push(val);
                    }
                    _ => return None,
                }
            }
            Event::End(end) if end.name().as_ref() == ROOT => break,
            _ => return None,
        }
    }
    at_end(&mut reader).then_some(answer)
}

/// Whether only blanks and comments follow.
fn at_end(reader: &mut Reader<&[u8]>) -> bool {
    loop {
        match reader.read_event() {
            Ok(Event::Eof) => return true,
            Ok(Event::Comment(_)) => {}
            Ok(Event::Text(t)) if is_blank(&t) => {}
            _ => return false,
        }
    }
}

/// Whether `text` is white space only.
fn is_blank(text: &[u8]) -> bool {
    text.iter().all(u8::is_ascii_whitespace)
}

/// The unescaped value of attribute `name` of `element`: `Some(None)` when it has
/// none; `None` (give up) for a duplicate or malformed attribute, a prefixed name or a
/// value that does not unescape.
fn attribute(element: &BytesStart<'_>, name: &[u8]) -> Option<Option<String>> {
    let mut found = None;
    for attribute in element.attributes() {
        let attribute = attribute.ok()?;
        let key = attribute.key.as_ref();
        if key.contains(&b':') {
            return None;
        }
        if key == name {
            found = Some(attribute.unescape_value().ok()?.into_owned());
        }
    }
    Some(found)
}
