//! Reading [`Links`] straight from the decoder, without a `serde_json::Value` in
//! between: every session answer carries them, and the detour through `Value` (the
//! whole `_links` tree built, then its strings copied out) cost as much as the rest of
//! the session. The result is what [`Links::from_value`] makes of the same JSON (a test
//! holds them together): map entries in key order (the last of a repeated key), array
//! elements in order, elements of any other shape skipped, never an error.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::session::{Link, Links};

impl<'de> Deserialize<'de> for Links {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(LinksVisitor)
    }
}

/// `_links` in either form; anything else is no link.
struct LinksVisitor;

impl<'de> Visitor<'de> for LinksVisitor {
    type Value = Links;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map or an array of links")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Links, A::Error> {
        let mut by_rel: BTreeMap<String, Option<Link>> = BTreeMap::new();
        while let Some(rel) = map.next_key::<String>()? {
            let link = map.next_value::<LinkShape>()?.0;
            by_rel.insert(rel, link);
        }
        Ok(Links(
            by_rel
                .into_iter()
                .filter_map(|(rel, link)| {
                    link.map(|link| Link {
                        rel: Some(rel),
                        ..link
                    })
                })
                .collect(),
        ))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Links, A::Error> {
        let mut links = Vec::new();
        while let Some(LinkShape(link)) = seq.next_element()? {
            links.extend(link);
        }
        Ok(Links(links))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Links, E> {
        Ok(Links::default())
    }

    fn visit_none<E: de::Error>(self) -> Result<Links, E> {
        Ok(Links::default())
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Links, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Links, E> {
        Ok(Links::default())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Links, E> {
        Ok(Links::default())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Links, E> {
        Ok(Links::default())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Links, E> {
        Ok(Links::default())
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Links, E> {
        Ok(Links::default())
    }
}

/// One link as sent: a string (the URL) or an object (`rel`, `href`, `method`, each
/// kept only when it is a string); `None` for any other value.
struct LinkShape(Option<Link>);

impl<'de> Deserialize<'de> for LinkShape {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(LinkShapeVisitor)
    }
}

struct LinkShapeVisitor;

impl<'de> Visitor<'de> for LinkShapeVisitor {
    type Value = LinkShape;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a link")
    }

    fn visit_str<E: de::Error>(self, href: &str) -> Result<LinkShape, E> {
        Ok(LinkShape(Some(Link {
            rel: None,
            href: Some(href.to_owned()),
            method: None,
        })))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<LinkShape, A::Error> {
        let mut link = Link::default();
        while let Some(key) = map.next_key::<FieldName>()? {
            let text = match key {
                FieldName::Other => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
                _ => map.next_value::<Text>()?.0,
            };
            match key {
                FieldName::Rel => link.rel = text,
                FieldName::Href => link.href = text,
                FieldName::Method => link.method = text,
                FieldName::Other => {}
            }
        }
        Ok(LinkShape(Some(link)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<LinkShape, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(LinkShape(None))
    }

    fn visit_unit<E: de::Error>(self) -> Result<LinkShape, E> {
        Ok(LinkShape(None))
    }

    fn visit_none<E: de::Error>(self) -> Result<LinkShape, E> {
        Ok(LinkShape(None))
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<LinkShape, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<LinkShape, E> {
        Ok(LinkShape(None))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<LinkShape, E> {
        Ok(LinkShape(None))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<LinkShape, E> {
        Ok(LinkShape(None))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<LinkShape, E> {
        Ok(LinkShape(None))
    }
}

/// The fields of a link object that are read.
enum FieldName {
    Rel,
    Href,
    Method,
    Other,
}

impl<'de> Deserialize<'de> for FieldName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NameVisitor;
        impl Visitor<'_> for NameVisitor {
            type Value = FieldName;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<FieldName, E> {
                Ok(match name {
                    "rel" => FieldName::Rel,
                    "href" => FieldName::Href,
                    "method" => FieldName::Method,
                    _ => FieldName::Other,
                })
            }
        }
        deserializer.deserialize_str(NameVisitor)
    }
}

/// A string value; `None` for a value of any other type (consumed whole).
struct Text(Option<String>);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Text, E> {
                Ok(Text(Some(text.to_owned())))
            }
            fn visit_string<E: de::Error>(self, text: String) -> Result<Text, E> {
                Ok(Text(Some(text)))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Text, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Text, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Text, E> {
                Ok(Text(None))
            }
        }
        deserializer.deserialize_any(TextVisitor)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::*;

    /// JSON values of every shape, links-like ones most often.
    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(|f| json!(f)),
            "(rel|href|method|self|log|x|\\u{e9}|)".prop_map(Value::String),
            "[a-z:/.]{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::vec(("(rel|href|method|self|log|x)", inner), 0..5)
                    .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn reads_what_the_value_detour_read(value in any_json()) {
            let text = serde_json::to_string(&value).unwrap();
            let direct: Links = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(direct, Links::from_value(value));
        }
    }

    #[test]
    fn repeated_keys_keep_the_last_as_the_value_did() {
        let text = r#"{"self": {"href": "a", "href": "b"}, "log": "x", "self": "c"}"#;
        let direct: Links = serde_json::from_str(text).unwrap();
        let detour = Links::from_value(serde_json::from_str(text).unwrap());
        assert_eq!(direct, detour);
    }
}
