//! [`string_enum!`](crate::string_enum): the vendors' closed-but-growing word lists
//! (job states, backup types, policy types) as Rust enums that never fail to decode.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserializer;
use serde::de::{self, Visitor};

/// Declares an enum of a vendor's documented words, plus `Other(String)` for words the
/// documents do not list (kept as the vendor sent them), with `DOCUMENTED` (every
/// listed value, in the documents' order), `as_str`, `parse` (exact match first, then
/// ASCII case-insensitive, then `Other`), `Display`, `FromStr` (never fails), and serde
/// as the plain string.
///
/// ```
/// backup_core::string_enum! {
///     /// A job's state.
///     pub enum JobState {
///         /// Still going.
///         InProgress = "InProgress",
///         /// Done.
///         Completed = "Completed",
///     }
/// }
///
/// assert_eq!(JobState::parse("inprogress"), JobState::InProgress);
/// assert_eq!(JobState::parse("Paused"), JobState::Other("Paused".to_owned()));
/// assert_eq!(JobState::Completed.to_string(), "Completed");
/// assert_eq!(JobState::DOCUMENTED.len(), 2);
/// let state: JobState = serde_json::from_str("\"Completed\"").unwrap();
/// assert_eq!(serde_json::to_string(&state).unwrap(), "\"Completed\"");
/// ```
#[macro_export]
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value the documents do not list, kept as the service sent it.
            Other(::std::string::String),
        }

        impl $name {
            /// Every documented value, in the documents' order.
            pub const DOCUMENTED: &'static [$name] = &[ $( $name::$variant, )+ ];

            /// The value as the service spells it.
            #[must_use]
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $text, )+
                    $name::Other(text) => text,
                }
            }

            /// Parses a value: exact match first, then ASCII case-insensitive; unknown
            /// values become `Other`.
            #[must_use]
            pub fn parse(text: &str) -> Self {
                $( if text == $text { return $name::$variant; } )+
                $( if text.eq_ignore_ascii_case($text) { return $name::$variant; } )+
                $name::Other(text.to_owned())
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;

            fn from_str(text: &str) -> ::std::result::Result<Self, Self::Err> {
                Ok(Self::parse(text))
            }
        }

        impl $crate::__serde::Serialize for $name {
            fn serialize<S: $crate::__serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> $crate::__serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::__serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                $crate::enums::deserialize_parsed(deserializer, Self::parse)
            }
        }
    };
}

/// Deserializes a string through `parse` without copying it first (the support code of
/// [`string_enum!`](crate::string_enum)).
///
/// # Errors
/// When the value is not a string.
pub fn deserialize_parsed<'de, D: Deserializer<'de>, T>(
    deserializer: D,
    parse: fn(&str) -> T,
) -> Result<T, D::Error> {
    struct Parsed<T>(fn(&str) -> T, PhantomData<T>);

    impl<T> Visitor<'_> for Parsed<T> {
        type Value = T;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }

        fn visit_str<E: de::Error>(self, text: &str) -> Result<T, E> {
            Ok((self.0)(text))
        }
    }

    deserializer.deserialize_str(Parsed(parse, PhantomData))
}

#[cfg(test)]
mod tests {
    crate::string_enum! {
        /// A test enum.
        enum Word {
            /// One.
            One = "One",
            /// Two words.
            TwoWords = "Two Words",
        }
    }

    #[test]
    fn parse_is_exact_then_case_insensitive_then_other() {
        assert_eq!(Word::parse("One"), Word::One);
        assert_eq!(Word::parse("two words"), Word::TwoWords);
        assert_eq!(Word::parse("Three"), Word::Other("Three".to_owned()));
        assert_eq!(Word::parse("Three").as_str(), "Three");
        assert_eq!("One".parse::<Word>(), Ok(Word::One));
        assert_eq!(Word::DOCUMENTED, &[Word::One, Word::TwoWords]);
    }

    #[test]
    fn serde_is_the_plain_string() {
        let words: Vec<Word> = serde_json::from_str(r#"["Two Words","one","x"]"#).unwrap();
        assert_eq!(
            words,
            [Word::TwoWords, Word::One, Word::Other("x".to_owned())]
        );
        assert_eq!(
            serde_json::to_string(&words).unwrap(),
            r#"["Two Words","One","x"]"#
        );
        assert!(serde_json::from_str::<Word>("3").is_err());
    }
}
