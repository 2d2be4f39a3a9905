//! backup-core: timestamps, retry hints, operation references, body excerpts.
#![no_main]

use backup_core::OperationRef;
use backup_core::error::body_excerpt;
use backup_core::timefmt;
use backup_core::transport::retry_after;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for parsed in [
        timefmt::parse_rfc3339(&text),
        timefmt::parse_naive_utc(&text),
        timefmt::parse_timestamp(&text),
    ]
    .into_iter()
    .flatten()
    {
        let _ = timefmt::format_rfc3339(parsed);
    }
    let _ = timefmt::parse_dotnet_timespan(&text);
    if let Ok(bytes) = <[u8; 8]>::try_from(data.get(..8).unwrap_or_default()) {
        let _ = timefmt::from_unix_seconds(i64::from_le_bytes(bytes));
    }

    if let Ok(value) = http::HeaderValue::from_bytes(data) {
        for name in ["retry-after", "retry-after-ms", "x-ms-retry-after-ms"] {
            let mut headers = http::HeaderMap::new();
            headers.insert(name, value.clone());
            let _ = retry_after(&headers);
        }
    }

    if let Ok(reference) = text.parse::<OperationRef>() {
        // What parses prints back to the same reference.
        let again: OperationRef = reference
            .to_string()
            .parse()
            .expect("printed reference parses");
        assert_eq!(again, reference);
        let json = serde_json::to_string(&reference).expect("reference serialises");
        let back: OperationRef = serde_json::from_str(&json).expect("serialised reference parses");
        assert_eq!(back, reference);
    }
    let _ = serde_json::from_slice::<OperationRef>(data);
    let excerpt = body_excerpt(data);
    assert!(!excerpt.chars().any(char::is_control));
});
