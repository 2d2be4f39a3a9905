//! Every time format the vendors use, on the `time` crate.
//!
//! | vendor | example | function |
//! |---|---|---|
//! | Azure, Yandex, Veeam | `2020-02-03T14:25:03.2555023Z` (0-9 fraction digits) | [`parse_rfc3339`] |
//! | Huawei CSBS | `2016-12-06T21:20:29.898823` (no zone: UTC) | [`parse_naive_utc`] |
//! | Commvault | `1581430800` (Unix seconds) | [`from_unix_seconds`] |
//! | Veeam | `00:00:00.0077959`, `1.02:03:04.5` (.NET `TimeSpan`) | [`parse_dotnet_timespan`] |
//!
//! [`parse_timestamp`] accepts either of the first two forms.

use std::time::Duration;

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

/// Parses RFC 3339 with 0 to 9 fraction digits (more are cut to 9), `Z` or an offset,
/// `T` or `t` or a space between date and time.
#[must_use]
pub fn parse_rfc3339(text: &str) -> Option<OffsetDateTime> {
    let text = text.trim();
    if let Ok(value) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(value);
    }
    let (date_time, zone) = split_zone(text)?;
    let naive = parse_naive(date_time)?;
    let offset = if zone.eq_ignore_ascii_case("z") {
        time::UtcOffset::UTC
    } else {
        let sign: i8 = if zone.starts_with('-') { -1 } else { 1 };
        let (hours, minutes) = zone.get(1..)?.split_once(':')?;
        time::UtcOffset::from_hms(
            sign * hours.parse::<i8>().ok()?,
            sign * minutes.parse::<i8>().ok()?,
            0,
        )
        .ok()?
    };
    Some(naive.assume_offset(offset))
}

fn split_zone(text: &str) -> Option<(&str, &str)> {
    if let Some(stripped) = text.strip_suffix(['Z', 'z']) {
        return Some((stripped, "Z"));
    }
    let time_start = text.find(['T', 't', ' '])?;
    let zone_start = text[time_start..].rfind(['+', '-'])? + time_start;
    Some((&text[..zone_start], &text[zone_start..]))
}

/// Parses a zone-less `YYYY-MM-DDTHH:MM:SS[.f{0,9}]` as UTC.
#[must_use]
pub fn parse_naive_utc(text: &str) -> Option<OffsetDateTime> {
    parse_naive(text.trim()).map(PrimitiveDateTime::assume_utc)
}

fn parse_naive(text: &str) -> Option<PrimitiveDateTime> {
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text, None),
    };
    let value = parse_fixed_width(whole).or_else(|| parse_general(whole))?;
    let nanos = match fraction {
        None => 0,
        Some(digits) => parse_fraction_nanos(digits)?,
    };
    value.replace_nanosecond(nanos).ok()
}

/// `YYYY-MM-DD?HH:MM:SS` (`?` one of `T`, `t`, space) through `time`'s parser.
fn parse_general(text: &str) -> Option<PrimitiveDateTime> {
    let text = text.replacen(['t', ' '], "T", 1);
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    PrimitiveDateTime::parse(&text, &format).ok()
}

/// `YYYY-MM-DD?HH:MM:SS` (`?` one of `T`, `t`, space), the shape every vendor sends,
/// read without the general parser (it runs on every decoded operation); `None` for
/// any other shape, which the general parser then reads or refuses.
fn parse_fixed_width(text: &str) -> Option<PrimitiveDateTime> {
    let bytes = text.as_bytes();
    let shaped = bytes.len() == 19
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && matches!(bytes[10], b'T' | b't' | b' ')
        && bytes[13] == b':'
        && bytes[16] == b':';
    if !shaped {
        return None;
    }
    let number = |from: usize, to: usize| -> Option<u16> {
        bytes[from..to].iter().try_fold(0_u16, |value, byte| {
            byte.is_ascii_digit()
                .then(|| value * 10 + u16::from(byte - b'0'))
        })
    };
    let month = time::Month::try_from(u8::try_from(number(5, 7)?).ok()?).ok()?;
    let date = time::Date::from_calendar_date(
        i32::from(number(0, 4)?),
        month,
        u8::try_from(number(8, 10)?).ok()?,
    )
    .ok()?;
    let time = time::Time::from_hms(
        u8::try_from(number(11, 13)?).ok()?,
        u8::try_from(number(14, 16)?).ok()?,
        u8::try_from(number(17, 19)?).ok()?,
    )
    .ok()?;
    Some(PrimitiveDateTime::new(date, time))
}

/// Up to 9 significant digits of a fraction of a second, as nanoseconds; more digits
/// are cut, an empty fraction is zero.
fn parse_fraction_nanos(digits: &str) -> Option<u32> {
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let kept = &digits[..digits.len().min(9)];
    let mut nanos: u32 = 0;
    for (index, byte) in kept.bytes().enumerate() {
        let digit = u32::from(byte - b'0');
        nanos += digit * 10u32.pow(8 - u32::try_from(index).ok()?);
    }
    Some(nanos)
}

/// Parses RFC 3339, or failing that a zone-less timestamp as UTC.
#[must_use]
pub fn parse_timestamp(text: &str) -> Option<OffsetDateTime> {
    parse_rfc3339(text).or_else(|| parse_naive_utc(text))
}

/// Unix seconds to a timestamp; `0` (Commvault's "not yet") and out-of-range values
/// give `None`.
#[must_use]
pub fn from_unix_seconds(seconds: i64) -> Option<OffsetDateTime> {
    if seconds <= 0 {
        return None;
    }
    OffsetDateTime::from_unix_timestamp(seconds).ok()
}

/// Parses a .NET `TimeSpan` in its invariant form `[-][d.]hh:mm:ss[.fffffff]`.
/// Negative spans give `None` (a duration cannot be negative).
#[must_use]
pub fn parse_dotnet_timespan(text: &str) -> Option<Duration> {
    let text = text.trim();
    if text.starts_with('-') {
        return None;
    }
    let (clock, fraction) = match text.rsplit_once('.') {
        Some((clock, fraction)) if !fraction.contains(':') => (clock, Some(fraction)),
        _ => (text, None),
    };
    let mut parts = clock.split(':');
    let (first, minutes, seconds) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let (days, hours) = match first.split_once('.') {
        Some((days, hours)) => (days.parse::<u64>().ok()?, hours.parse::<u64>().ok()?),
        None => (0, first.parse::<u64>().ok()?),
    };
    let minutes = minutes.parse::<u64>().ok()?;
    let seconds = seconds.parse::<u64>().ok()?;
    if hours > 23 || minutes > 59 || seconds > 59 {
        return None;
    }
    let nanos = match fraction {
        Some(digits) if !digits.is_empty() => parse_fraction_nanos(digits)?,
        Some(_) => return None,
        None => 0,
    };
    let whole = days
        .checked_mul(86_400)?
        .checked_add(hours * 3_600 + minutes * 60 + seconds)?;
    Some(Duration::new(whole, nanos))
}

/// Formats a timestamp as RFC 3339 (for JSON output and request bodies).
#[must_use]
pub fn format_rfc3339(value: OffsetDateTime) -> String {
    value
        .format(&Rfc3339)
        .unwrap_or_else(|_| value.unix_timestamp().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn rfc3339_from_the_documents() {
        // Veeam's sample: seven fraction digits.
        assert_eq!(
            parse_rfc3339("2020-02-03T14:25:03.2555023Z"),
            Some(datetime!(2020-02-03 14:25:03.2555023 UTC))
        );
        for (text, expected) in [
            ("2024-01-02T03:04:05Z", datetime!(2024-01-02 03:04:05 UTC)),
            (
                "2024-01-02T03:04:05.1Z",
                datetime!(2024-01-02 03:04:05.1 UTC),
            ),
            (
                "2024-01-02T03:04:05.123456789Z",
                datetime!(2024-01-02 03:04:05.123456789 UTC),
            ),
            (
                "2024-01-02T03:04:05.1234567891Z",
                datetime!(2024-01-02 03:04:05.123456789 UTC),
            ),
            ("2024-01-02T03:04:05.Z", datetime!(2024-01-02 03:04:05 UTC)),
            (
                "2024-01-02T03:04:05+03:00",
                datetime!(2024-01-02 00:04:05 UTC),
            ),
            (
                "2024-01-02t03:04:05.5-01:30",
                datetime!(2024-01-02 04:34:05.5 UTC),
            ),
        ] {
            assert_eq!(parse_rfc3339(text), Some(expected), "{text}");
        }
        for bad in [
            "",
            "2024-01-02",
            "yesterday",
            "2024-13-02T03:04:05Z",
            "2024-01-02T03:04:05.1x2Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn naive_from_the_huawei_document() {
        assert_eq!(
            parse_naive_utc("2016-12-06T21:20:29.898823"),
            Some(datetime!(2016-12-06 21:20:29.898823 UTC))
        );
        assert_eq!(
            parse_naive_utc("2017-04-18T01:21:52.701973"),
            Some(datetime!(2017-04-18 01:21:52.701973 UTC))
        );
        assert_eq!(
            parse_naive_utc("2017-04-18 01:21:52"),
            Some(datetime!(2017-04-18 01:21:52 UTC))
        );
        assert_eq!(
            parse_timestamp("2016-12-06T21:20:29.898823"),
            Some(datetime!(2016-12-06 21:20:29.898823 UTC))
        );
        assert_eq!(parse_naive_utc("2016-12-06"), None);
    }

    #[test]
    fn unix_seconds() {
        assert_eq!(
            from_unix_seconds(1_581_430_800),
            Some(datetime!(2020-02-11 14:20:00 UTC))
        );
        assert_eq!(from_unix_seconds(0), None);
        assert_eq!(from_unix_seconds(-5), None);
        assert_eq!(from_unix_seconds(i64::MAX), None);
    }

    #[test]
    fn dotnet_timespans_from_the_veeam_documents() {
        assert_eq!(
            parse_dotnet_timespan("00:00:00.0077959"),
            Some(Duration::from_nanos(7_795_900))
        );
        assert_eq!(
            parse_dotnet_timespan("00:00:31.8370930"),
            Some(Duration::new(31, 837_093_000))
        );
        assert_eq!(
            parse_dotnet_timespan("01:02:03"),
            Some(Duration::from_secs(3723))
        );
        assert_eq!(
            parse_dotnet_timespan("2.01:00:00.5"),
            Some(Duration::new(2 * 86_400 + 3_600, 500_000_000))
        );
        for bad in [
            "",
            "00:00",
            "-00:00:01",
            "00:60:00",
            "24:00:00",
            "a:b:c",
            "00:00:00.",
            "00:00:00.x",
        ] {
            assert_eq!(parse_dotnet_timespan(bad), None, "{bad}");
        }
    }

    #[test]
    fn format_round_trips() {
        let value = datetime!(2020-02-03 14:25:03.2555023 UTC);
        assert_eq!(parse_rfc3339(&format_rfc3339(value)), Some(value));
    }

    proptest::proptest! {
        /// The fixed-width reader agrees with the general parser on every text of
        /// that shape, valid or not.
        #[test]
        fn fixed_width_reads_like_the_general_parser(
            text in "[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}",
        ) {
            proptest::prop_assert_eq!(parse_fixed_width(&text), parse_general(&text));
        }
    }
}
