//! Deserializers for values Commvault sends as numbers or as strings.

use serde::{Deserialize, Deserializer};

/// A number or a string, as text (`5976` and `"5976"` both give `"5976"`).
#[derive(Deserialize)]
#[serde(untagged)]
enum NumOrText {
    Int(i64),
    Float(f64),
    Text(String),
    Bool(bool),
}

impl NumOrText {
    fn into_text(self) -> String {
        match self {
            Self::Int(n) => n.to_string(),
            Self::Float(n) => n.to_string(),
            Self::Text(text) => text,
            Self::Bool(b) => b.to_string(),
        }
    }
}

/// An optional id sent as a number or a string.
pub(crate) fn opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<NumOrText>::deserialize(d)?.map(NumOrText::into_text))
}

/// A list of ids sent as numbers or strings.
pub(crate) fn text_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(Option::<Vec<NumOrText>>::deserialize(d)?
        .unwrap_or_default()
        .into_iter()
        .map(NumOrText::into_text)
        .collect())
}

/// An optional integer sent as a number or a string; unparsable text gives `None`.
pub(crate) fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(match Option::<NumOrText>::deserialize(d)? {
        Some(NumOrText::Int(n)) => Some(n),
        #[allow(clippy::cast_possible_truncation)]
        Some(NumOrText::Float(n)) if n.is_finite() => Some(n as i64),
        Some(NumOrText::Text(text)) => text.trim().parse().ok(),
        _ => None,
    })
}

/// An optional float sent as a number or a string; unparsable text gives `None`.
pub(crate) fn opt_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(match Option::<NumOrText>::deserialize(d)? {
        #[allow(clippy::cast_precision_loss)]
        Some(NumOrText::Int(n)) => Some(n as f64),
        Some(NumOrText::Float(n)) => Some(n),
        Some(NumOrText::Text(text)) => text.trim().parse().ok(),
        _ => None,
    })
}
