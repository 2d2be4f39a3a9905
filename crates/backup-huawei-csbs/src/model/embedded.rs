//! [`EmbeddedJson`]: a field CSBS documents as a `String` holding JSON (`extra_info`,
//! `resource_graph`), decoded leniently.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// A JSON document sent inside a string, kept raw and parsed when it parses.
///
/// It never fails to decode: a JSON-encoded string is parsed into [`value`](Self::value)
/// (or left `None` when it is not valid JSON: the raw text stays); an object or any
/// other JSON value sent directly is kept as both. Absent or `null` fields are
/// `Option::None` around it.
#[derive(Clone, PartialEq, Eq)]
pub struct EmbeddedJson {
    /// The text as received (for a direct JSON value, its compact serialisation).
    pub raw: String,
    /// The parsed document, when the text is valid JSON.
    pub value: Option<Value>,
}

impl EmbeddedJson {
    /// From the text of a JSON-encoded string.
    #[must_use]
    pub fn from_text(raw: impl Into<String>) -> Self {
        let raw = raw.into();
        let value = serde_json::from_str(&raw).ok();
        Self { raw, value }
    }

    /// A string field of the parsed object (`extra_info.get_str("created_by")`).
    #[must_use]
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.value.as_ref()?.get(key)?.as_str()
    }
}

impl fmt::Debug for EmbeddedJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmbeddedJson")
            .field("raw", &self.raw)
            .field("value", &self.value)
            .finish()
    }
}

impl<'de> Deserialize<'de> for EmbeddedJson {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Value::deserialize(deserializer)? {
            Value::String(text) => Self::from_text(text),
            other => Self {
                raw: other.to_string(),
                value: Some(other),
            },
        })
    }
}

impl Serialize for EmbeddedJson {
    /// As the vendor sends it: a string holding the raw text.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Holder {
        #[serde(default)]
        extra_info: Option<EmbeddedJson>,
    }

    fn decode(json: &str) -> Option<EmbeddedJson> {
        serde_json::from_str::<Holder>(json).unwrap().extra_info
    }

    #[test]
    fn every_form_decodes() {
        assert_eq!(decode("{}"), None);
        assert_eq!(decode(r#"{"extra_info": null}"#), None);
        let encoded = decode(r#"{"extra_info": "{\"created_by\": \"manual\"}"}"#).unwrap();
        assert_eq!(encoded.raw, r#"{"created_by": "manual"}"#);
        assert_eq!(encoded.get_str("created_by"), Some("manual"));
        let broken = decode(r#"{"extra_info": "{\"created_by\": \"man"}"#).unwrap();
        assert_eq!(broken.raw, r#"{"created_by": "man"#);
        assert_eq!(broken.value, None);
        let direct = decode(r#"{"extra_info": {"a": 1}}"#).unwrap();
        assert_eq!(direct.raw, r#"{"a":1}"#);
        assert_eq!(direct.value, Some(serde_json::json!({"a": 1})));
        let plain = decode(r#"{"extra_info": "not json"}"#).unwrap();
        assert_eq!(plain.raw, "not json");
        assert_eq!(plain.value, None);
    }
}
