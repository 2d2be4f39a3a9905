//! The `SDK-HMAC-SHA256` canonical request, string to sign and signature, as pure
//! functions (no clock, no I/O) so that they can be tested against Huawei's published
//! vector.
//!
//! The algorithm, as Huawei's API Gateway signing guide and its SDK signers describe it:
//!
//! ```text
//! CanonicalRequest =
//!     METHOD \n
//!     CanonicalURI \n           each path segment percent-encoded, `/` appended
//!     CanonicalQueryString \n   `k=v` pairs encoded, sorted, joined by `&`
//!     CanonicalHeaders \n       `name:value\n` per signed header, sorted
//!     SignedHeaders \n          `name;name;...`
//!     hex(sha256(body))
//! StringToSign = "SDK-HMAC-SHA256" \n X-Sdk-Date \n hex(sha256(CanonicalRequest))
//! Signature    = hex(hmac_sha256(SK, StringToSign))
//! ```
//!
//! Encoding keeps the unreserved characters `A-Z a-z 0-9 - _ . ~` and writes every
//! other byte as `%XX` with upper-case hex. The path of the URL as sent is
//! percent-decoded and split on `/` first (as the official SDKs do), so a URL that
//! the client encoded is canonicalised to the same text the gateway computes.

use std::borrow::Cow;

use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use sha2::{Digest, Sha256};

/// The name of the algorithm, first word of the `Authorization` header.
pub const ALGORITHM: &str = "SDK-HMAC-SHA256";

/// Every byte but the unreserved characters `A-Z a-z 0-9 - _ . ~`.
const SIGNING_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// One request as the signature sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningInput<'a> {
    /// The HTTP method (`GET`, `POST`).
    pub method: &'a str,
    /// The path as sent on the wire (percent-encoded, e.g. `/v1/p/checkpoint_items`).
    pub path: &'a str,
    /// The query as sent on the wire, without the `?` (`None` or empty for none).
    pub query: Option<&'a str>,
    /// The headers to sign, as `(name, value)`; names in any case.
    pub headers: &'a [(String, String)],
    /// The body bytes (empty for none).
    pub body: &'a [u8],
}

/// A canonical request and the `SignedHeaders` list it was built with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalRequest {
    /// The canonical request text.
    pub text: String,
    /// The signed header names, lower case, sorted, joined by `;`.
    pub signed_headers: String,
}

/// Percent-encodes `text` for signing.
#[must_use]
pub fn encode(text: &str) -> String {
    utf8_percent_encode(text, SIGNING_ENCODE).to_string()
}

/// Appends `bytes` percent-encoded for signing (unreserved kept, upper-case hex).
fn push_encoded(out: &mut String, bytes: &[u8]) {
    out.extend(percent_encoding::percent_encode(bytes, SIGNING_ENCODE));
}

/// The canonical URI: the path decoded, split on `/`, each segment encoded, joined by
/// `/`, with a `/` appended when it does not end with one.
#[must_use]
pub fn canonical_uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 2);
    push_canonical_uri(&mut out, path);
    out
}

/// Appends [`canonical_uri`] of `path` to `out`.
fn push_canonical_uri(out: &mut String, path: &str) {
    let decoded: Cow<'_, [u8]> = percent_decode_str(path).into();
    let start = out.len();
    if decoded.first() != Some(&b'/') {
        out.push('/');
    }
    for (index, segment) in decoded.split(|b| *b == b'/').enumerate() {
        if index > 0 {
            out.push('/');
        }
        push_encoded(out, segment);
    }
    if !out[start..].ends_with('/') {
        out.push('/');
    }
}

/// The canonical query string: each `key=value` pair of `query` percent-decoded (`+`
/// stays a literal plus) and re-encoded, `key=` for a key without a value, sorted by
/// key then value, joined by `&`. Empty pieces (`a=1&&b=2`) are skipped.
#[must_use]
pub fn canonical_query(query: Option<&str>) -> String {
    let mut out = String::new();
    push_canonical_query(&mut out, query);
    out
}

/// Appends [`canonical_query`] of `query` to `out`.
fn push_canonical_query(out: &mut String, query: Option<&str>) {
    let Some(query) = query.filter(|query| !query.is_empty()) else {
        return;
    };
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (key, value) = piece.split_once('=').unwrap_or((piece, ""));
            let key: Cow<'_, [u8]> = percent_decode_str(key).into();
            let value: Cow<'_, [u8]> = percent_decode_str(value).into();
            let mut encoded = (String::new(), String::new());
            push_encoded(&mut encoded.0, &key);
            push_encoded(&mut encoded.1, &value);
            encoded
        })
        .collect();
    pairs.sort();
    for (index, (key, value)) in pairs.iter().enumerate() {
        if index > 0 {
            out.push('&');
        }
        out.push_str(key);
        out.push('=');
        out.push_str(value);
    }
}

/// The canonical headers block (`name:value\n` each, names lower case, values trimmed,
/// sorted by name; repeated names joined with `,`) and the `SignedHeaders` list.
#[must_use]
pub fn canonical_headers(headers: &[(String, String)]) -> (String, String) {
    let mut block = String::new();
    let mut signed = String::new();
    push_canonical_headers(
        &mut block,
        &mut signed,
        headers
            .iter()
            .map(|(name, value)| (name.as_str(), Cow::Borrowed(value.as_str()))),
    );
    (block, signed)
}

/// Appends the canonical headers block of `headers` to `block` and their
/// `SignedHeaders` list to `signed` (see [`canonical_headers`]).
fn push_canonical_headers<'a>(
    block: &mut String,
    signed: &mut String,
    headers: impl Iterator<Item = (&'a str, Cow<'a, str>)>,
) {
    let mut sorted: Vec<(Cow<'a, str>, Cow<'a, str>)> = headers
        .map(|(name, value)| (lower_case(name.trim()), value))
        .collect();
    // Stable: the values of a repeated name keep the order they were given in.
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut previous: Option<&str> = None;
    for (name, value) in &sorted {
        if previous == Some(name) {
            // `block` ends with the previous value's `\n`: join this value to it.
            block.pop();
            block.push(',');
        } else {
            if previous.is_some() {
                signed.push(';');
            }
            signed.push_str(name);
            block.push_str(name);
            block.push(':');
        }
        block.push_str(value.trim());
        block.push('\n');
        previous = Some(name);
    }
}

/// `name` in lower case, borrowed when it already is.
fn lower_case(name: &str) -> Cow<'_, str> {
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(name.to_ascii_lowercase())
    } else {
        Cow::Borrowed(name)
    }
}

/// Appends `bytes` as lower-case hex.
fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
}

/// `hex(sha256(data))`.
#[must_use]
pub fn sha256_hex(data: &[u8]) -> String {
    let mut out = String::with_capacity(64);
    push_hex(&mut out, &Sha256::digest(data));
    out
}

/// Builds the canonical request of `input`.
#[must_use]
pub fn canonical_request(input: &SigningInput<'_>) -> CanonicalRequest {
    let mut text = String::new();
    let mut signed_headers = String::new();
    push_canonical_request(
        &mut text,
        &mut signed_headers,
        input.method,
        input.path,
        input.query,
        input
            .headers
            .iter()
            .map(|(name, value)| (name.as_str(), Cow::Borrowed(value.as_str()))),
        input.body,
    );
    CanonicalRequest {
        text,
        signed_headers,
    }
}

/// Appends the canonical request to `text` and the `SignedHeaders` list to
/// `signed_headers` (see [`canonical_request`]): written in place, no piece of it
/// allocated on its own.
fn push_canonical_request<'a>(
    text: &mut String,
    signed_headers: &mut String,
    method: &str,
    path: &str,
    query: Option<&str>,
    headers: impl Iterator<Item = (&'a str, Cow<'a, str>)>,
    body: &[u8],
) {
    text.push_str(&method.to_ascii_uppercase());
    text.push('\n');
    push_canonical_uri(text, path);
    text.push('\n');
    push_canonical_query(text, query);
    text.push('\n');
    push_canonical_headers(text, signed_headers, headers);
    text.push('\n');
    text.push_str(signed_headers);
    text.push('\n');
    push_hex(text, &Sha256::digest(body));
}

/// The string to sign for a canonical request made at `sdk_date` (`YYYYMMDDTHHMMSSZ`).
#[must_use]
pub fn string_to_sign(sdk_date: &str, canonical: &CanonicalRequest) -> String {
    format!(
        "{ALGORITHM}\n{sdk_date}\n{}",
        sha256_hex(canonical.text.as_bytes())
    )
}

/// `hex(hmac_sha256(secret_key, string_to_sign))`.
#[must_use]
pub fn signature(secret_key: &[u8], string_to_sign: &str) -> String {
    let mut out = String::with_capacity(64);
    push_signature(&mut out, secret_key, &[string_to_sign.as_bytes()]);
    out
}

/// Appends `hex(hmac_sha256(secret_key, parts joined))` to `out`.
fn push_signature(out: &mut String, secret_key: &[u8], parts: &[&[u8]]) {
    // HMAC accepts keys of any length; the error case cannot happen.
    if let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret_key) {
        for part in parts {
            mac.update(part);
        }
        push_hex(out, &mac.finalize().into_bytes());
    }
}

/// The `Authorization` value of one request, signed with `secret_key` at `sdk_date`:
/// the canonical request written into one buffer, its hash and the string to sign fed
/// to the HMAC without being assembled, the value written once. The same text as
/// [`canonical_request`], [`string_to_sign`], [`signature`] and [`authorization`] in
/// turn (a property test holds them together).
#[must_use]
pub fn sign_parts<'a>(
    access_key: &str,
    secret_key: &[u8],
    sdk_date: &str,
    request: RequestParts<'a, impl Iterator<Item = (&'a str, Cow<'a, str>)>>,
) -> String {
    let mut text = String::with_capacity(256 + request.path.len());
    let mut signed_headers = String::with_capacity(64);
    push_canonical_request(
        &mut text,
        &mut signed_headers,
        request.method,
        request.path,
        request.query,
        request.headers,
        request.body,
    );
    let mut hashed = String::with_capacity(64);
    push_hex(&mut hashed, &Sha256::digest(text.as_bytes()));
    let mut value =
        String::with_capacity(ALGORITHM.len() + access_key.len() + signed_headers.len() + 100);
    value.push_str(ALGORITHM);
    value.push_str(" Access=");
    value.push_str(access_key);
    value.push_str(", SignedHeaders=");
    value.push_str(&signed_headers);
    value.push_str(", Signature=");
    push_signature(
        &mut value,
        secret_key,
        &[
            ALGORITHM.as_bytes(),
            b"\n",
            sdk_date.as_bytes(),
            b"\n",
            hashed.as_bytes(),
        ],
    );
    value
}

/// One request as [`sign_parts`] reads it: [`SigningInput`] with the headers as an
/// iterator of `(name, value)` (names in any case), so that a request's own header map
/// is read without being copied.
#[derive(Debug)]
pub struct RequestParts<'a, H> {
    /// The HTTP method (`GET`, `POST`).
    pub method: &'a str,
    /// The path as sent on the wire.
    pub path: &'a str,
    /// The query as sent on the wire, without the `?`.
    pub query: Option<&'a str>,
    /// The headers to sign.
    pub headers: H,
    /// The body bytes (empty for none).
    pub body: &'a [u8],
}

/// The `Authorization` header value.
#[must_use]
pub fn authorization(access_key: &str, signed_headers: &str, signature: &str) -> String {
    format!(
        "{ALGORITHM} Access={access_key}, SignedHeaders={signed_headers}, Signature={signature}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// Huawei's published vector (API Gateway signing guide, reproduced in the notes).
    #[test]
    fn published_vector() {
        let headers = headers(&[
            ("Content-Type", "application/json"),
            ("Host", "service.region.example.com"),
            ("X-Sdk-Date", "20191115T033655Z"),
        ]);
        let input = SigningInput {
            method: "GET",
            path: "/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs",
            query: Some("limit=2&marker=13551d6b-755d-4757-b956-536f674975c0"),
            headers: &headers,
            body: b"",
        };
        let canonical = canonical_request(&input);
        assert_eq!(
            canonical.text,
            "GET\n/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs/\n\
             limit=2&marker=13551d6b-755d-4757-b956-536f674975c0\n\
             content-type:application/json\nhost:service.region.example.com\nx-sdk-date:20191115T033655Z\n\n\
             content-type;host;x-sdk-date\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let to_sign = string_to_sign("20191115T033655Z", &canonical);
        let sig = signature(b"MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc", &to_sign);
        assert_eq!(
            sig,
            "7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe"
        );
        assert_eq!(
            authorization("QTWAOYTTINDUT2QVKYUC", &canonical.signed_headers, &sig),
            "SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-sdk-date, \
             Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe"
        );
    }

    #[test]
    fn uri_gets_a_trailing_slash_once() {
        assert_eq!(canonical_uri("/v1/p/vpcs"), "/v1/p/vpcs/");
        assert_eq!(canonical_uri("/v1/p/vpcs/"), "/v1/p/vpcs/");
        assert_eq!(canonical_uri("/"), "/");
        assert_eq!(canonical_uri(""), "/");
    }

    #[test]
    fn uri_segments_are_re_encoded_in_upper_case() {
        // Already encoded on the wire (lower-case hex) or not: the same canonical form.
        assert_eq!(canonical_uri("/v1/a%3ab/c d"), "/v1/a%3Ab/c%20d/");
        assert_eq!(canonical_uri("/v1/a:b/c%20d"), "/v1/a%3Ab/c%20d/");
        // Unreserved characters stay.
        assert_eq!(canonical_uri("/v1/A-z_0.9~"), "/v1/A-z_0.9~/");
        // Non-ASCII is encoded byte by byte from UTF-8.
        assert_eq!(canonical_uri("/v1/%C3%BC"), "/v1/%C3%BC/");
        assert_eq!(canonical_uri("/v1/ü"), "/v1/%C3%BC/");
    }

    #[test]
    fn query_is_encoded_and_sorted() {
        assert_eq!(canonical_query(None), "");
        assert_eq!(canonical_query(Some("")), "");
        assert_eq!(canonical_query(Some("b=2&a=1")), "a=1&b=2");
        // Reserved characters and spaces encoded, upper-case hex.
        assert_eq!(
            canonical_query(Some("q=a%2fb%20c&x=%7e")),
            "q=a%2Fb%20c&x=~"
        );
        // A literal `+` is a plus, not a space.
        assert_eq!(canonical_query(Some("q=a+b")), "q=a%2Bb");
        assert_eq!(canonical_query(Some("k=a=b")), "k=a%3Db");
    }

    #[test]
    fn query_repeated_keys_are_sorted_by_value() {
        assert_eq!(
            canonical_query(Some("tag=b&tag=a&limit=1&tag=c")),
            "limit=1&tag=a&tag=b&tag=c"
        );
    }

    #[test]
    fn query_empty_values() {
        assert_eq!(canonical_query(Some("flag&b=")), "b=&flag=");
        assert_eq!(canonical_query(Some("a=1&&b=2&")), "a=1&b=2");
    }

    #[test]
    fn query_non_ascii() {
        assert_eq!(
            canonical_query(Some("name=%E5%A4%87%E4%BB%BD")),
            "name=%E5%A4%87%E4%BB%BD"
        );
        assert_eq!(
            canonical_query(Some("name=备份")),
            "name=%E5%A4%87%E4%BB%BD"
        );
        assert_eq!(canonical_query(Some("n%C3%A4me=x")), "n%C3%A4me=x");
    }

    #[test]
    fn headers_lower_cased_trimmed_sorted_and_joined() {
        let (block, signed) = canonical_headers(&headers(&[
            ("X-Sdk-Date", " 20191115T033655Z "),
            ("Host", "h"),
            ("X-Custom", "a"),
            ("x-custom", "b"),
        ]));
        assert_eq!(block, "host:h\nx-custom:a,b\nx-sdk-date:20191115T033655Z\n");
        assert_eq!(signed, "host;x-custom;x-sdk-date");
    }

    /// The functions as they were before they wrote into one buffer (issue 20): the
    /// oracle of the buffered ones.
    mod before {
        use std::fmt::Write as _;

        use super::super::*;

        fn encode_bytes(bytes: &[u8]) -> String {
            percent_encoding::percent_encode(bytes, SIGNING_ENCODE).to_string()
        }

        pub fn canonical_uri(path: &str) -> String {
            let decoded: Vec<u8> = percent_decode_str(path).collect();
            let mut out = decoded
                .split(|b| *b == b'/')
                .map(encode_bytes)
                .collect::<Vec<_>>()
                .join("/");
            if !out.starts_with('/') {
                out.insert(0, '/');
            }
            if !out.ends_with('/') {
                out.push('/');
            }
            out
        }

        pub fn canonical_query(query: Option<&str>) -> String {
            let Some(query) = query else {
                return String::new();
            };
            let mut pairs: Vec<(String, String)> = query
                .split('&')
                .filter(|piece| !piece.is_empty())
                .map(|piece| {
                    let (key, value) = piece.split_once('=').unwrap_or((piece, ""));
                    let key: Vec<u8> = percent_decode_str(key).collect();
                    let value: Vec<u8> = percent_decode_str(value).collect();
                    (encode_bytes(&key), encode_bytes(&value))
                })
                .collect();
            pairs.sort();
            pairs
                .iter()
                .map(|(key, value)| format!("{key}={value}"))
                .collect::<Vec<_>>()
                .join("&")
        }

        pub fn canonical_headers(headers: &[(String, String)]) -> (String, String) {
            let mut sorted: Vec<(String, String)> = Vec::with_capacity(headers.len());
            for (name, value) in headers {
                let name = name.trim().to_ascii_lowercase();
                let value = value.trim();
                match sorted.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, existing)) => {
                        existing.push(',');
                        existing.push_str(value);
                    }
                    None => sorted.push((name, value.to_owned())),
                }
            }
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            let mut block = String::new();
            for (name, value) in &sorted {
                let _ = writeln!(block, "{name}:{value}");
            }
            let signed = sorted
                .iter()
                .map(|(name, _)| name.as_str())
                .collect::<Vec<_>>()
                .join(";");
            (block, signed)
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        #[test]
        fn buffered_pieces_write_what_they_wrote_before(
            path in "[/a-zA-Z0-9%:~ _.\\-\u{e9}\u{5907}]{0,40}",
            query in proptest::option::of("[a-zA-Z0-9%=&+~ .\\-\u{e9}]{0,40}"),
            headers in proptest::collection::vec(
                ("[ a-zA-Z\\-]{1,8}", "[ a-zA-Z0-9,;:\\-]{0,12}"),
                0..6,
            ),
            body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64),
        ) {
            proptest::prop_assert_eq!(canonical_uri(&path), before::canonical_uri(&path));
            proptest::prop_assert_eq!(
                canonical_query(query.as_deref()),
                before::canonical_query(query.as_deref())
            );
            let headers: Vec<(String, String)> = headers;
            proptest::prop_assert_eq!(canonical_headers(&headers), before::canonical_headers(&headers));
            let input = SigningInput {
                method: "post",
                path: &path,
                query: query.as_deref(),
                headers: &headers,
                body: &body,
            };
            let canonical = canonical_request(&input);
            let (block, signed) = before::canonical_headers(&headers);
            proptest::prop_assert_eq!(
                &canonical.text,
                &format!(
                    "POST\n{}\n{}\n{block}\n{signed}\n{}",
                    before::canonical_uri(&path),
                    before::canonical_query(query.as_deref()),
                    hex::encode(Sha256::digest(&body)),
                )
            );
            let date = "20240102T030405Z";
            let signature = signature(b"secret", &string_to_sign(date, &canonical));
            proptest::prop_assert_eq!(
                sign_parts(
                    "AK",
                    b"secret",
                    date,
                    RequestParts {
                        method: "post",
                        path: &path,
                        query: query.as_deref(),
                        headers: headers
                            .iter()
                            .map(|(name, value)| (name.as_str(), Cow::Borrowed(value.as_str()))),
                        body: &body,
                    },
                ),
                authorization("AK", &canonical.signed_headers, &signature)
            );
        }
    }

    #[test]
    fn body_changes_the_signature() {
        let headers = headers(&[("host", "h"), ("x-sdk-date", "20240101T000000Z")]);
        let sign = |body: &[u8]| {
            let canonical = canonical_request(&SigningInput {
                method: "POST",
                path: "/v1/p/x",
                query: None,
                headers: &headers,
                body,
            });
            signature(b"sk", &string_to_sign("20240101T000000Z", &canonical))
        };
        assert_ne!(sign(b"{}"), sign(b"{ }"));
        assert_eq!(sign(b"{}"), sign(b"{}"));
        assert_eq!(sign(b"").len(), 64);
    }
}
