//! Commvault's error answers -> [`ApiError`].
//!
//! Commvault reports most failures with HTTP 200 and an error body, so the same parser
//! serves two callers: [`ApiErrors`] (the transport's [`ErrorDecoder`] for
//! non-2xx answers) and [`error_in_body`] (every 2xx answer is checked for one).
//!
//! Error bodies seen in the documents and notes:
//!
//! - XML `<TMMsg_GenericResp errorMessage=".." errorCode=".."/>` (also
//!   `CVGui_GenericResp`, `GenericResp`); `errorCode="0"` means success;
//! - XML with `<errList errorCode=".." errLogMessage=".."/>` children;
//! - JSON `{"errorCode": 5, "errorMessage": "Access denied"}` (the 401 body);
//! - JSON `{"errList": [{"errorCode": .., "errLogMessage": ".."}]}` (failed login).

use backup_core::transport::{ErrorDecoder, Response};
use backup_core::{ApiError, ApiErrorKind};
use quick_xml::events::{BytesStart, Event};
use serde_json::Value;

use crate::VENDOR;

/// The environment variables to check when a credential is refused.
pub(crate) const AUTH_HINT: &str = "check COMMVAULT_USERNAME and COMMVAULT_PASSWORD (or COMMVAULT_AUTHTOKEN) and COMMVAULT_API_URL";

/// An error (or success) code and message found in a Commvault body.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct GenericError {
    /// The `errorCode` (as text; `"0"` is success), when present.
    pub code: Option<String>,
    /// The `errorMessage` or `errLogMessage`.
    pub message: Option<String>,
    /// Whether the body reported a failure (a non-zero `errorCode`, or an `errList`
    /// entry).
    pub failed: bool,
}

impl GenericError {
    /// The [`ApiError`] for this failure in an answer with `status`.
    #[must_use]
    pub fn to_api_error(&self, response: &Response) -> ApiError {
        let status = response.status.as_u16();
        let message = match (&self.message, &self.code) {
            (Some(message), _) if !message.trim().is_empty() => message.trim().to_owned(),
            (_, Some(code)) => format!("Commvault error {code}"),
            _ => "Commvault reported an error without a message".to_owned(),
        };
        let mut api = ApiError::new(VENDOR, status, message)
            .with_request_id(response.request_id.clone())
            .with_retry_after(response.retry_after());
        if let Some(code) = &self.code {
            api = api.with_code(code.clone());
        }
        api
    }
}

/// Finds Commvault's error fields in a body (XML or JSON), whatever the status.
/// `None` when the body is neither, or names no code, message or `errList`.
#[must_use]
pub fn parse_generic(body: &[u8]) -> Option<GenericError> {
    let text = std::str::from_utf8(body)
        .ok()?
        .trim_start_matches('\u{feff}')
        .trim();
    if text.starts_with('<') {
        parse_xml(text)
    } else if text.starts_with('{') {
        parse_json(text)
    } else {
        None
    }
}

fn is_nonzero(code: &str) -> bool {
    let code = code.trim();
    !code.is_empty() && code != "0"
}

fn json_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn parse_json(text: &str) -> Option<GenericError> {
    let value: Value = serde_json::from_str(text).ok()?;
    let object = value.as_object()?;
    let mut found = GenericError {
        code: object.get("errorCode").and_then(json_text),
        message: object.get("errorMessage").and_then(json_text),
        failed: false,
    };
    found.failed = found.code.as_deref().is_some_and(is_nonzero);
    if let Some(first) = object
        .get("errList")
        .and_then(Value::as_array)
        .and_then(|list| list.first())
    {
        let code = first.get("errorCode").and_then(json_text);
        let message = first
            .get("errLogMessage")
            .or_else(|| first.get("errorMessage"))
            .and_then(json_text);
        if code.is_some() || message.is_some() {
            found = GenericError {
                failed: code.as_deref().is_none_or(is_nonzero),
                code,
                message,
            };
        }
    }
    (found.code.is_some() || found.message.is_some()).then_some(found)
}

fn attribute(element: &BytesStart<'_>, name: &[u8]) -> Option<String> {
    element.attributes().flatten().find_map(|attr| {
        (attr.key.as_ref() == name)
            .then(|| attr.unescape_value().ok().map(std::borrow::Cow::into_owned))
            .flatten()
    })
}

fn parse_xml(text: &str) -> Option<GenericError> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut root: Option<GenericError> = None;
    loop {
        let element = match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) => e,
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => continue,
        };
        if root.is_none() {
            let code = attribute(&element, b"errorCode");
            let message = attribute(&element, b"errorMessage");
            root = Some(GenericError {
                failed: code.as_deref().is_some_and(is_nonzero),
                code,
                message,
            });
        } else if element.local_name().as_ref() == b"errList" {
            let code = attribute(&element, b"errorCode");
            let message = attribute(&element, b"errLogMessage")
                .or_else(|| attribute(&element, b"errorMessage"));
            if code.is_some() || message.is_some() {
                return Some(GenericError {
                    failed: code.as_deref().is_none_or(is_nonzero),
                    code,
                    message,
                });
            }
        }
    }
    root.filter(|r| r.code.is_some() || r.message.is_some())
}

/// The name of the root element of an XML body, if it is XML.
#[must_use]
pub fn xml_root(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body)
        .ok()?
        .trim_start_matches('\u{feff}')
        .trim();
    if !text.starts_with('<') {
        return None;
    }
    let mut reader = quick_xml::Reader::from_str(text);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) => {
                return Some(String::from_utf8_lossy(e.name().as_ref()).into_owned());
            }
            Ok(Event::Eof) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

/// The error a successful (2xx) answer carries in its body, Commvault style:
/// a non-zero `errorCode` or an `errList` entry. The [`ApiError`] keeps the 2xx status.
#[must_use]
pub fn error_in_body(response: &Response) -> Option<ApiError> {
    let found = parse_generic(&response.body)?;
    found.failed.then(|| found.to_api_error(response))
}

/// The transport's decoder of Commvault's non-2xx answers.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiErrors;

impl ErrorDecoder for ApiErrors {
    fn decode_error(&self, response: &Response) -> ApiError {
        match parse_generic(&response.body) {
            Some(found) if found.code.is_some() || found.message.is_some() => {
                let api = found.to_api_error(response);
                // `{"errorCode":5,"errorMessage":"Access denied"}` rides on a 401; a 5
                // elsewhere is a permission problem.
                if response.status.as_u16() != 401 && found.code.as_deref() == Some("5") {
                    api.with_kind(ApiErrorKind::Forbidden)
                } else {
                    api
                }
            }
            _ => response.unparsed_error(),
        }
    }

    fn auth_hint(&self) -> &'static str {
        AUTH_HINT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_forms() {
        let xml = br#"<TMMsg_GenericResp errorMessage="Failed to start backups as no eligible subclients were found. " errorCode="587207178" />"#;
        let found = parse_generic(xml).unwrap();
        assert!(found.failed);
        assert_eq!(found.code.as_deref(), Some("587207178"));
        let ok = parse_generic(br#"<CVGui_GenericResp errorCode="0"/>"#).unwrap();
        assert!(!ok.failed);
        let json = parse_generic(br#"{"errorMessage":"Access denied","errorCode":5}"#).unwrap();
        assert!(json.failed);
        assert_eq!(json.code.as_deref(), Some("5"));
        let list =
            parse_generic(br#"{"errList":[{"errLogMessage":"bad","errorCode":1116}]}"#).unwrap();
        assert!(list.failed);
        assert_eq!(list.message.as_deref(), Some("bad"));
        let xml_list = parse_generic(
            br#"<DM2ContentIndexing_CheckCredentialResp><errList errLogMessage="x &amp; y" errorCode="1116"/></DM2ContentIndexing_CheckCredentialResp>"#,
        )
        .unwrap();
        assert_eq!(xml_list.message.as_deref(), Some("x & y"));
        assert!(parse_generic(b"<html><body>502</body></html>").is_none());
        assert!(parse_generic(b"").is_none());
        assert!(parse_generic(br#"{"taskId":1}"#).is_none());
        assert_eq!(
            xml_root(br#"<?xml version="1.0"?><A b="c"/>"#).as_deref(),
            Some("A")
        );
    }
}
