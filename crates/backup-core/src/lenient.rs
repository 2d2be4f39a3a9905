//! Deserializers for fields vendors send in more than one form: ids as numbers or
//! strings, sizes as numbers or numeric strings, free-form values that must never fail
//! the whole answer. Use them with `#[serde(default, deserialize_with = "...")]`.
//!
//! ```
//! #[derive(serde::Deserialize)]
//! struct Job {
//!     #[serde(default, deserialize_with = "backup_core::lenient::opt_text")]
//!     id: Option<String>,
//!     #[serde(default, deserialize_with = "backup_core::lenient::opt_i64")]
//!     size: Option<i64>,
//! }
//!
//! let job: Job = serde_json::from_str(r#"{"id": 5976, "size": "1024"}"#).unwrap();
//! assert_eq!(job.id.as_deref(), Some("5976"));
//! assert_eq!(job.size, Some(1024));
//! let odd: Job = serde_json::from_str(r#"{"id": {"a": 1}, "size": "n/a"}"#).unwrap();
//! assert_eq!(odd.id.as_deref(), Some(r#"{"a":1}"#));
//! assert_eq!(odd.size, None);
//! ```

use std::fmt;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// Any value as text: a string as it is, a number or boolean as written, an object or
/// array as its compact JSON; `null` or absent is `None`. Never fails on a well-formed
/// document.
///
/// # Errors
/// Only the deserializer's own errors (malformed input).
pub fn opt_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    deserializer.deserialize_any(Text)
}

/// A list of values as text ([`opt_text`] for each); `null` is an empty list, and a
/// single value a list of one.
///
/// # Errors
/// Only the deserializer's own errors (malformed input).
pub fn text_list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    deserializer.deserialize_any(TextList)
}

/// An integer sent as a number or as numeric text; anything else (a fraction is cut
/// toward zero) is `None`.
///
/// # Errors
/// Only the deserializer's own errors (malformed input).
pub fn opt_i64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    Ok(deserializer.deserialize_any(Number)?.and_then(Num::as_i64))
}

/// A number sent as a number or as numeric text; anything else is `None`.
///
/// # Errors
/// Only the deserializer's own errors (malformed input).
pub fn opt_f64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
    Ok(deserializer.deserialize_any(Number)?.map(Num::as_f64))
}

/// A number as it came.
#[derive(Debug, Clone, Copy)]
enum Num {
    Int(i128),
    Float(f64),
}

impl Num {
    fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        text.parse::<i128>().map(Num::Int).ok().or_else(|| {
            text.parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .map(Num::Float)
        })
    }

    fn as_i64(self) -> Option<i64> {
        match self {
            Num::Int(n) => i64::try_from(n).ok(),
            // Cut toward zero; out-of-range fractions are refused rather than saturated.
            #[allow(clippy::cast_possible_truncation)]
            Num::Float(f) if f.is_finite() && f.abs() < 9.2e18 => Some(f.trunc() as i64),
            Num::Float(_) => None,
        }
    }

    #[allow(clippy::cast_precision_loss)]
    fn as_f64(self) -> f64 {
        match self {
            Num::Int(n) => n as f64,
            Num::Float(f) => f,
        }
    }
}

struct Text;

impl<'de> Visitor<'de> for Text {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(Text)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(v))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let value = serde_json::Value::deserialize(MapAccessDeserializer::new(map))?;
        Ok(Some(value.to_string()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let value = serde_json::Value::deserialize(SeqAccessDeserializer::new(seq))?;
        Ok(Some(value.to_string()))
    }
}

/// One element of a [`TextList`].
struct TextItem(Option<String>);

impl<'de> Deserialize<'de> for TextItem {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(Text).map(TextItem)
    }
}

struct TextList;

impl<'de> Visitor<'de> for TextList {
    type Value = Vec<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(TextList)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(TextItem(item)) = seq.next_element()? {
            out.extend(item);
        }
        Ok(out)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(vec![v.to_owned()])
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(vec![v.to_string()])
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(vec![v.to_string()])
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        Ok(Text.visit_map(map)?.into_iter().collect())
    }
}

struct Number;

impl<'de> Visitor<'de> for Number {
    type Value = Option<Num>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(Number)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(Num::Int(i128::from(v))))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(Num::Int(i128::from(v))))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(v.is_finite().then_some(Num::Float(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Num::parse(v))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Fields {
        #[serde(default, deserialize_with = "super::opt_text")]
        text: Option<String>,
        #[serde(default, deserialize_with = "super::text_list")]
        list: Vec<String>,
        #[serde(default, deserialize_with = "super::opt_i64")]
        int: Option<i64>,
        #[serde(default, deserialize_with = "super::opt_f64")]
        float: Option<f64>,
    }

    fn fields(json: &str) -> Fields {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn text_takes_every_form() {
        for (json, want) in [
            (r#"{"text":"a"}"#, Some("a")),
            (r#"{"text":12}"#, Some("12")),
            (r#"{"text":-3}"#, Some("-3")),
            (r#"{"text":true}"#, Some("true")),
            (r#"{"text":1.5}"#, Some("1.5")),
            (r#"{"text":[1,"x"]}"#, Some(r#"[1,"x"]"#)),
            (r#"{"text":{"k":null}}"#, Some(r#"{"k":null}"#)),
            (r#"{"text":null}"#, None),
            ("{}", None),
        ] {
            assert_eq!(fields(json).text.as_deref(), want, "{json}");
        }
    }

    #[test]
    fn lists_take_numbers_strings_nulls_and_single_values() {
        assert_eq!(fields(r#"{"list":[5,"6",null]}"#).list, ["5", "6"]);
        assert_eq!(fields(r#"{"list":null}"#).list, Vec::<String>::new());
        assert_eq!(fields(r#"{"list":7}"#).list, ["7"]);
    }

    #[test]
    fn numbers_come_from_numbers_or_numeric_text() {
        let f = fields(r#"{"int":" 42 ","float":"2.5"}"#);
        assert_eq!((f.int, f.float), (Some(42), Some(2.5)));
        let f = fields(r#"{"int":3.9,"float":7}"#);
        assert_eq!((f.int, f.float), (Some(3), Some(7.0)));
        let f = fields(r#"{"int":"n/a","float":{"x":[1]}}"#);
        assert_eq!((f.int, f.float), (None, None));
        let f = fields(r#"{"int":1e300,"float":true}"#);
        assert_eq!((f.int, f.float), (None, None));
        let f = fields(r#"{"int":18446744073709551615}"#);
        assert_eq!(f.int, None);
    }
}
