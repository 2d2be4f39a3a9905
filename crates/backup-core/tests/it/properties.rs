//! Property tests of the vendor-neutral parsing and URL building.

use backup_core::error::{BODY_EXCERPT_LIMIT, body_excerpt};
use backup_core::path::{join_segments, parse_endpoint, validate_id};
use backup_core::timefmt;
use backup_core::transport::retry_after;
use backup_core::{Error, OperationRef};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any id is either refused as InvalidInput or becomes exactly one path segment
    /// that decodes back to the same text.
    #[test]
    fn ids_are_refused_or_one_exact_segment(id in "\\PC*|[./%?#;:@ \\\\]{0,6}|.{0,40}") {
        let base = parse_endpoint("t", "endpoint", "http://127.0.0.1:9/base/").unwrap();
        match validate_id("t", "id", &id) {
            Err(Error::InvalidInput { field, .. }) => prop_assert_eq!(field, "id"),
            Err(other) => prop_assert!(false, "unexpected error {other:?}"),
            Ok(()) => {
                let url = join_segments("t", &base, &["v1", id.as_str(), "tail"]).unwrap();
                let segments: Vec<_> = url.path_segments().unwrap().collect();
                prop_assert_eq!(segments.len(), 4, "{}", url);
                let decoded = percent_encoding::percent_decode_str(segments[2]).decode_utf8().unwrap();
                prop_assert_eq!(decoded, id.as_str());
                prop_assert_eq!(url.query(), None);
                prop_assert_eq!(url.fragment(), None);
            }
        }
    }

    #[test]
    fn time_parsers_never_panic(text in ".{0,64}") {
        let _ = timefmt::parse_rfc3339(&text);
        let _ = timefmt::parse_naive_utc(&text);
        let _ = timefmt::parse_timestamp(&text);
        let _ = timefmt::parse_dotnet_timespan(&text);
    }

    #[test]
    fn unix_seconds_never_panic(seconds in any::<i64>()) {
        let _ = timefmt::from_unix_seconds(seconds);
    }

    #[test]
    fn retry_hints_never_panic(value in "[ -~]{0,40}") {
        for name in ["retry-after", "retry-after-ms", "x-ms-retry-after-ms"] {
            let mut headers = http::HeaderMap::new();
            if let Ok(v) = http::HeaderValue::from_str(&value) {
                headers.insert(name, v);
            }
            let _ = retry_after(&headers);
        }
    }

    #[test]
    fn operation_refs_round_trip(vendor in "[a-z][a-z0-9-]{0,15}", id in ".{1,80}") {
        let reference = OperationRef::new(vendor, id);
        let parsed: OperationRef = reference.to_string().parse().unwrap();
        prop_assert_eq!(&parsed, &reference);
        let json = serde_json::to_string(&reference).unwrap();
        prop_assert_eq!(serde_json::from_str::<OperationRef>(&json).unwrap(), reference);
    }

    #[test]
    fn body_excerpts_are_short_and_printable(body in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let excerpt = body_excerpt(&body);
        prop_assert!(excerpt.chars().count() <= BODY_EXCERPT_LIMIT + 1);
        prop_assert!(!excerpt.chars().any(char::is_control));
    }
}
