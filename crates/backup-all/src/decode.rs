//! Reading a vendor's `TriggerParams` or `Config` out of a TOML table, with every fault
//! named by its field.

use std::cell::Cell;

use serde::Deserializer;
use serde::de::{self, DeserializeOwned, Visitor};
use toml::{Table, Value};

/// A field that was refused, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldFault {
    /// The field (`policy`, `resources`, ...).
    pub field: String,
    /// Why it was refused.
    pub message: String,
}

impl FieldFault {
    /// A fault of `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// The field names of a struct that derives `Deserialize` (empty for other types).
#[must_use]
pub fn field_names<T: DeserializeOwned>() -> &'static [&'static str] {
    let fields = Cell::new(&[][..]);
    let _ = T::deserialize(FieldsOf(&fields));
    fields.get()
}

/// A deserializer that only records the fields a struct asks for.
struct FieldsOf<'a>(&'a Cell<&'static [&'static str]>);

impl<'de> Deserializer<'de> for FieldsOf<'_> {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.set(fields);
        Err(de::Error::custom("fields recorded"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
        byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
        identifier ignored_any
    }
}

/// Deserializes `table` into `T`, naming every unknown key (with the keys `T` takes)
/// and the field a type error is in.
///
/// # Errors
/// Every fault found.
pub fn decode_table<T: DeserializeOwned>(table: Table) -> Result<T, Vec<FieldFault>> {
    let known = field_names::<T>();
    let unknown: Vec<FieldFault> = table
        .keys()
        .filter(|key| !known.is_empty() && !known.contains(&key.as_str()))
        .map(|key| {
            FieldFault::new(
                key.as_str(),
                format!("unknown setting (expected one of {})", known.join(", ")),
            )
        })
        .collect();
    if !unknown.is_empty() {
        return Err(unknown);
    }
    let text = toml::to_string(&table).unwrap_or_default();
    Value::Table(table).try_into::<T>().map_err(|e| {
        let message = e.message().to_owned();
        let field = message
            .split('`')
            .nth(1)
            .filter(|_| message.contains("field `"))
            .map(str::to_owned)
            .or_else(|| field_at_error::<T>(&text))
            .unwrap_or_else(|| "?".to_owned());
        vec![FieldFault::new(field, message)]
    })
}

/// The key whose value `T` refuses: parsing the table's own TOML text again gives the
/// error a position, and the line there starts with the key.
fn field_at_error<T: DeserializeOwned>(text: &str) -> Option<String> {
    let error = toml::from_str::<T>(text).err()?;
    let start = error.span()?.start;
    let line_start = text.get(..start)?.rfind('\n').map_or(0, |i| i + 1);
    let line = text.get(line_start..)?.lines().next()?;
    let (key, _) = line.split_once('=')?;
    Some(key.trim().trim_matches('"').to_owned())
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Sample {
        policy: String,
        #[serde(default)]
        count: u8,
        #[serde(default)]
        resources: Vec<String>,
        #[serde(default)]
        auto_trigger: bool,
    }

    fn table(text: &str) -> Table {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn fields_are_read_from_the_derive() {
        assert_eq!(
            field_names::<Sample>(),
            ["policy", "count", "resources", "auto_trigger"]
        );
        assert!(field_names::<String>().is_empty());
    }

    #[test]
    fn every_unknown_key_is_named_with_the_known_ones() {
        let faults =
            decode_table::<Sample>(table("policy = \"p\"\nplicy = 1\nzone = 2")).unwrap_err();
        let fields: Vec<&str> = faults.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["plicy", "zone"]);
        assert!(
            faults[0].message.contains("expected one of policy, count"),
            "{faults:?}"
        );
    }

    #[test]
    fn type_errors_name_their_field() {
        let faults = decode_table::<Sample>(table("policy = \"p\"\ncount = \"x\"")).unwrap_err();
        assert_eq!(faults[0].field, "count");
        let faults = decode_table::<Sample>(table("count = 1")).unwrap_err();
        assert_eq!(faults[0].field, "policy");
        // A list given one value, a bool given text.
        let faults =
            decode_table::<Sample>(table("policy = \"p\"\nresources = \"r1\"")).unwrap_err();
        assert_eq!(faults[0].field, "resources");
        let faults =
            decode_table::<Sample>(table("policy = \"p\"\nauto_trigger = \"yes\"")).unwrap_err();
        assert_eq!(faults[0].field, "auto_trigger");
        assert_eq!(
            decode_table::<Sample>(table("policy = \"p\"")).unwrap(),
            Sample {
                policy: "p".into(),
                count: 0,
                resources: Vec::new(),
                auto_trigger: false,
            }
        );
    }
}
