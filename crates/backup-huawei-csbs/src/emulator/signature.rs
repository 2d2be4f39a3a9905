//! The emulator's own check of `SDK-HMAC-SHA256` signatures, written from Huawei's
//! description of the algorithm (API Gateway signing guide) and independent of the
//! client's signer in `crate::auth`, so that a mistake in one is caught by the other.
//!
//! It rebuilds the canonical request from what arrived on the wire (method, raw path,
//! raw query, the headers named in `SignedHeaders`, the body), signs it with the secret
//! key it knows for the access key, and compares in constant time. Before that it
//! refuses a missing or stale `X-Sdk-Date`, a `SignedHeaders` without `host` or
//! `x-sdk-date`, and a temporary access key whose `X-Security-Token` is missing, wrong
//! or unsigned.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::Duration;

use hmac::{Hmac, Mac};
use http::HeaderMap;
use sha2::{Digest, Sha256};
use time::{OffsetDateTime, PrimitiveDateTime};

/// A key pair the emulator accepts.
#[derive(Debug, Clone)]
pub(crate) struct KeyPair {
    pub(crate) secret_key: String,
    /// Set for temporary credentials: the security token that must come with them.
    pub(crate) security_token: Option<String>,
}

/// Why a signed request was refused (the text goes into `error_msg`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    Malformed(&'static str),
    UnknownAccessKey,
    MissingDate,
    BadDate,
    StaleDate,
    HostNotSigned,
    DateNotSigned,
    SignedHeaderMissing(String),
    SecurityToken(&'static str),
    SignatureMismatch,
}

impl Refusal {
    pub(crate) fn message(&self) -> String {
        let detail = match self {
            Self::Malformed(what) => format!("the Authorization header is malformed: {what}"),
            Self::UnknownAccessKey => "ak not exist".to_owned(),
            Self::MissingDate => "x-sdk-date is missing".to_owned(),
            Self::BadDate => "x-sdk-date is not YYYYMMDDTHHMMSSZ".to_owned(),
            Self::StaleDate => {
                "x-sdk-date is too far from the server time (more than 15 minutes)".to_owned()
            }
            Self::HostNotSigned => "the host header is not signed".to_owned(),
            Self::DateNotSigned => "the x-sdk-date header is not signed".to_owned(),
            Self::SignedHeaderMissing(name) => format!("signed header {name} is missing"),
            Self::SecurityToken(what) => format!("x-security-token {what}"),
            Self::SignatureMismatch => "verify aksk signature fail".to_owned(),
        };
        format!("Incorrect IAM authentication information: {detail}")
    }
}

/// The parts of `Authorization: SDK-HMAC-SHA256 Access=.., SignedHeaders=.., Signature=..`.
struct Parsed<'a> {
    access: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

fn parse_authorization(value: &str) -> Result<Parsed<'_>, Refusal> {
    let rest = value
        .trim()
        .strip_prefix("SDK-HMAC-SHA256")
        .ok_or(Refusal::Malformed("not SDK-HMAC-SHA256"))?;
    let mut access = None;
    let mut signed = None;
    let mut signature = None;
    for part in rest.split(',') {
        let Some((key, value)) = part.trim().split_once('=') else {
            return Err(Refusal::Malformed("expected key=value parts"));
        };
        match key.trim() {
            "Access" => access = Some(value.trim()),
            "SignedHeaders" => signed = Some(value.trim()),
            "Signature" => signature = Some(value.trim()),
            _ => {}
        }
    }
    let access = access.ok_or(Refusal::Malformed("no Access"))?;
    let signed = signed.ok_or(Refusal::Malformed("no SignedHeaders"))?;
    let signature = signature.ok_or(Refusal::Malformed("no Signature"))?;
    Ok(Parsed {
        access,
        signed_headers: signed.split(';').collect(),
        signature,
    })
}

/// Whether a byte is written as itself: `A-Z a-z 0-9 - _ . ~`.
fn unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~')
}

/// Turns `%XX` back into bytes (an invalid escape stays as it is).
fn unescape(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        if byte == b'%'
            && let (Some(hi), Some(lo)) = (
                bytes.get(index + 1).and_then(|b| (*b as char).to_digit(16)),
                bytes.get(index + 2).and_then(|b| (*b as char).to_digit(16)),
            )
            && let Ok(value) = u8::try_from(hi * 16 + lo)
        {
            out.push(value);
            index += 3;
            continue;
        }
        out.push(byte);
        index += 1;
    }
    out
}

/// Writes bytes with every reserved byte as `%XX` (upper-case); `keep_slash` leaves `/`.
fn escape(bytes: &[u8], keep_slash: bool) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for &byte in bytes {
        if unreserved(byte) || (keep_slash && byte == b'/') {
            out.push(char::from(byte));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// The URI line: the path unescaped, escaped again with `/` kept, ending in `/`.
fn uri_line(path: &str) -> String {
    let mut line = escape(&unescape(path), true);
    if !line.starts_with('/') {
        line.insert(0, '/');
    }
    if !line.ends_with('/') {
        line.push('/');
    }
    line
}

/// The query line: `k=v` pairs, unescaped then escaped, sorted, joined by `&`.
fn query_line(query: Option<&str>) -> String {
    let mut pairs: Vec<String> = query
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let mut halves = pair.splitn(2, '=');
            let key = halves.next().unwrap_or_default();
            let value = halves.next().unwrap_or_default();
            (
                escape(&unescape(key), false),
                escape(&unescape(value), false),
            )
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|(k, v)| {
            // Sort by key, then value: pad so that "a=1" sorts with key "a" first.
            format!("{k}\u{0}{v}")
        })
        .collect();
    pairs.sort();
    pairs
        .into_iter()
        .map(|p| p.replacen('\u{0}', "=", 1))
        .collect::<Vec<_>>()
        .join("&")
}

fn parse_sdk_date(text: &str) -> Option<OffsetDateTime> {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    PrimitiveDateTime::parse(text.trim(), &format)
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

/// What a request looks like to the verifier.
pub(crate) struct Incoming<'a> {
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    pub(crate) query: Option<&'a str>,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a [u8],
}

/// Checks the signature of `request` against `keys` at time `now`.
pub(crate) fn verify(
    keys: &HashMap<String, KeyPair>,
    request: &Incoming<'_>,
    now: OffsetDateTime,
    max_skew: Duration,
) -> Result<(), Refusal> {
    let authorization = request
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(Refusal::Malformed("missing"))?;
    let parsed = parse_authorization(authorization)?;
    let pair = keys.get(parsed.access).ok_or(Refusal::UnknownAccessKey)?;

    let date_text = request
        .headers
        .get("x-sdk-date")
        .and_then(|v| v.to_str().ok())
        .ok_or(Refusal::MissingDate)?;
    let date = parse_sdk_date(date_text).ok_or(Refusal::BadDate)?;
    let skew = (now - date).unsigned_abs();
    if skew > max_skew {
        return Err(Refusal::StaleDate);
    }
    if !parsed.signed_headers.contains(&"host") {
        return Err(Refusal::HostNotSigned);
    }
    if !parsed.signed_headers.contains(&"x-sdk-date") {
        return Err(Refusal::DateNotSigned);
    }
    if let Some(expected) = &pair.security_token {
        let sent = request
            .headers
            .get("x-security-token")
            .and_then(|v| v.to_str().ok())
            .ok_or(Refusal::SecurityToken("is missing"))?;
        if sent != expected {
            return Err(Refusal::SecurityToken("is invalid"));
        }
        if !parsed.signed_headers.contains(&"x-security-token") {
            return Err(Refusal::SecurityToken("is not signed"));
        }
    }

    let mut header_lines = String::new();
    for name in &parsed.signed_headers {
        let values: Vec<String> = request
            .headers
            .get_all(*name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_owned())
            .collect();
        if values.is_empty() {
            return Err(Refusal::SignedHeaderMissing((*name).to_owned()));
        }
        header_lines.push_str(name);
        header_lines.push(':');
        header_lines.push_str(&values.join(","));
        header_lines.push('\n');
    }
    let canonical = [
        request.method.to_owned(),
        uri_line(request.path),
        query_line(request.query),
        header_lines,
        parsed.signed_headers.join(";"),
        hex::encode(Sha256::digest(request.body)),
    ]
    .join("\n");
    let string_to_sign = format!(
        "SDK-HMAC-SHA256\n{}\n{}",
        date_text.trim(),
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    let sent = hex::decode(parsed.signature).map_err(|_| Refusal::SignatureMismatch)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(pair.secret_key.as_bytes())
        .map_err(|_| Refusal::SignatureMismatch)?;
    mac.update(string_to_sign.as_bytes());
    mac.verify_slice(&sent)
        .map_err(|_| Refusal::SignatureMismatch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    /// The published vector, checked from the server's side.
    #[test]
    fn accepts_the_published_vector() {
        let mut keys = HashMap::new();
        keys.insert(
            "QTWAOYTTINDUT2QVKYUC".to_owned(),
            KeyPair {
                secret_key: "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc".to_owned(),
                security_token: None,
            },
        );
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        headers.insert(
            "host",
            HeaderValue::from_static("service.region.example.com"),
        );
        headers.insert("x-sdk-date", HeaderValue::from_static("20191115T033655Z"));
        headers.insert("authorization", HeaderValue::from_static(
            "SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-sdk-date, Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe",
        ));
        let request = Incoming {
            method: "GET",
            path: "/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs",
            query: Some("marker=13551d6b-755d-4757-b956-536f674975c0&limit=2"),
            headers: &headers,
            body: b"",
        };
        let at = time::macros::datetime!(2019-11-15 03:40:00 UTC);
        assert_eq!(
            verify(&keys, &request, at, Duration::from_secs(900)),
            Ok(())
        );
        let late = time::macros::datetime!(2019-11-15 04:00:00 UTC);
        assert_eq!(
            verify(&keys, &request, late, Duration::from_secs(900)),
            Err(Refusal::StaleDate)
        );
        let other_body = Incoming {
            body: b"{}",
            ..request
        };
        assert_eq!(
            verify(&keys, &other_body, at, Duration::from_secs(900)),
            Err(Refusal::SignatureMismatch)
        );
    }

    #[test]
    fn lines_are_canonical() {
        assert_eq!(uri_line("/v1/a%2fb/c"), "/v1/a/b/c/");
        assert_eq!(uri_line("/v1/%C3%BC/"), "/v1/%C3%BC/");
        assert_eq!(query_line(Some("b=2&a=x y&a=1&e")), "a=1&a=x%20y&b=2&e=");
        assert_eq!(query_line(None), "");
    }

    fn signed(temporary: bool) -> (HashMap<String, KeyPair>, HeaderMap, OffsetDateTime) {
        let url =
            url::Url::parse("http://127.0.0.1:8080/v1/p/checkpoint_items?checkpoint_id=c").unwrap();
        let mut signer = crate::AkSk::new("AK", "SK");
        if temporary {
            signer = signer.with_security_token("session");
        }
        let mut keys = HashMap::new();
        keys.insert(
            "AK".to_owned(),
            KeyPair {
                secret_key: "SK".to_owned(),
                security_token: temporary.then(|| "session".to_owned()),
            },
        );
        let mut request = backup_core::Request::get(crate::VENDOR, url);
        let now = OffsetDateTime::now_utc();
        signer.sign(&mut request, now).unwrap();
        (keys, request.headers, now)
    }

    fn check(
        keys: &HashMap<String, KeyPair>,
        headers: &HeaderMap,
        now: OffsetDateTime,
    ) -> Result<(), Refusal> {
        let request = Incoming {
            method: "GET",
            path: "/v1/p/checkpoint_items",
            query: Some("checkpoint_id=c"),
            headers,
            body: b"",
        };
        verify(keys, &request, now, Duration::from_secs(900))
    }

    fn replace_auth(headers: &mut HeaderMap, from: &str, to: &str) {
        let auth = headers["authorization"].to_str().unwrap().replace(from, to);
        headers.insert("authorization", HeaderValue::from_str(&auth).unwrap());
    }

    #[test]
    fn refusals_name_what_is_wrong() {
        let (keys, headers, now) = signed(false);
        assert_eq!(check(&keys, &headers, now), Ok(()));

        let mut unsigned_date = headers.clone();
        replace_auth(&mut unsigned_date, "host;x-sdk-date", "host");
        assert_eq!(
            check(&keys, &unsigned_date, now),
            Err(Refusal::DateNotSigned)
        );

        let mut no_date = headers.clone();
        no_date.remove("x-sdk-date");
        assert_eq!(check(&keys, &no_date, now), Err(Refusal::MissingDate));

        let mut bad_date = headers.clone();
        bad_date.insert("x-sdk-date", HeaderValue::from_static("2024-01-01"));
        assert_eq!(check(&keys, &bad_date, now), Err(Refusal::BadDate));

        let mut garbled = headers.clone();
        garbled.insert(
            "authorization",
            HeaderValue::from_static("SDK-HMAC-SHA256 nonsense"),
        );
        assert!(matches!(
            check(&keys, &garbled, now),
            Err(Refusal::Malformed(_))
        ));

        let mut other_scheme = headers;
        other_scheme.insert("authorization", HeaderValue::from_static("Bearer x"));
        assert!(matches!(
            check(&keys, &other_scheme, now),
            Err(Refusal::Malformed(_))
        ));
    }

    #[test]
    fn temporary_keys_need_their_signed_token() {
        let (keys, headers, now) = signed(true);
        assert_eq!(check(&keys, &headers, now), Ok(()));

        let mut wrong = headers.clone();
        wrong.insert("x-security-token", HeaderValue::from_static("other"));
        assert_eq!(
            check(&keys, &wrong, now),
            Err(Refusal::SecurityToken("is invalid"))
        );

        let mut unsigned = headers;
        replace_auth(&mut unsigned, ";x-security-token", "");
        assert_eq!(
            check(&keys, &unsigned, now),
            Err(Refusal::SecurityToken("is not signed"))
        );
    }

    proptest::proptest! {
        /// The client's signer and this verifier, written apart, agree on any path,
        /// query and body; and a changed body is always refused.
        #[test]
        fn client_signatures_verify(
            segments in proptest::collection::vec(".{1,12}", 1..4),
            pairs in proptest::collection::vec((".{0,8}", ".{0,8}"), 0..4),
            body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64),
            temporary in proptest::prelude::any::<bool>(),
        ) {
            let segments: Vec<String> = segments
                .into_iter()
                .filter(|s| s != "." && s != "..")
                .collect();
            let base = url::Url::parse("http://127.0.0.1:8080/").unwrap();
            let mut url = backup_core::path::join_segments(crate::VENDOR, &base, &segments).unwrap();
            if !pairs.is_empty() {
                let mut query = url.query_pairs_mut();
                for (k, v) in &pairs {
                    query.append_pair(k, v);
                }
            }
            let mut signer = crate::AkSk::new("AK", "SK");
            let mut keys = HashMap::new();
            let security_token = temporary.then(|| "session".to_owned());
            if temporary {
                signer = signer.with_security_token("session");
            }
            keys.insert("AK".to_owned(), KeyPair { secret_key: "SK".to_owned(), security_token });
            let mut request = backup_core::Request::post(crate::VENDOR, url.clone())
                .body("application/octet-stream", body.clone());
            let now = OffsetDateTime::now_utc();
            signer.sign(&mut request, now).unwrap();
            let incoming = Incoming {
                method: "POST",
                path: url.path(),
                query: url.query(),
                headers: &request.headers,
                body: &body,
            };
            proptest::prop_assert_eq!(verify(&keys, &incoming, now, Duration::from_secs(900)), Ok(()));
            let mut other = body.clone();
            other.push(b'x');
            let changed = Incoming { body: &other, ..incoming };
            proptest::prop_assert_eq!(
                verify(&keys, &changed, now, Duration::from_secs(900)),
                Err(Refusal::SignatureMismatch)
            );
        }
    }
}
