//! A Signature Version 4 verifier of its own, written from AWS's SigV4 documentation and
//! checked against AWS's published signing test suite (the `v4` vectors that
//! `awslabs/aws-c-auth` and the AWS SDKs share: `tests/it/sigv4_vectors.rs`), never
//! against the client's signer (`auth::sigv4`, itself checked against `aws-sigv4`),
//! which the emulator is there to check.
//!
//! 1. Canonical request: `METHOD\nURI\nQUERY\nHEADERS\n\nSIGNED_HEADERS\nPAYLOAD_HASH`.
//!    The URI is the path with dot segments and empty segments removed (services other
//!    than S3 normalize) and every byte but the unreserved ones (`A-Z a-z 0-9 - _ . ~`)
//!    and `/` percent-encoded with upper-case hex: for a path as it was sent, already
//!    encoded once, this encodes it a second time, as AWS does for every service but S3.
//!    The query's names and values are decoded, encoded the same way, and sorted. Each
//!    signed header is `name:value` with the name in lower case, the value trimmed,
//!    runs of white space (folded lines included) made one space, and values of a
//!    repeated header joined by `,`.
//! 2. String to sign: `AWS4-HMAC-SHA256\n{X-Amz-Date}\n{date}/{region}/{service}/aws4_request\n
//!    hex(sha256(canonical request))`.
//! 3. Signing key: `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service),
//!    "aws4_request")`; signature `hex(HMAC(key, string to sign))`.

use std::fmt::Write as _;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::macros::format_description;

/// The algorithm name of SigV4.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// How far a request's `X-Amz-Date` may be from the emulator's clock: 15 minutes.
pub const MAX_SKEW: time::Duration = time::Duration::minutes(15);

/// A request as received: method, path and query as sent, headers, body.
#[derive(Debug, Clone, Copy)]
pub struct Received<'a> {
    /// `GET`, `PUT` ...
    pub method: &'a str,
    /// The path as sent (percent-encoded).
    pub path: &'a str,
    /// The query as sent, without `?` (empty for none).
    pub query: &'a str,
    /// Every header (names in any case; a repeated header appears repeatedly).
    pub headers: &'a [(String, String)],
    /// The body.
    pub body: &'a [u8],
}

/// The parts of an `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
/// Signature=...` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// The access key id.
    pub access_key_id: String,
    /// The scope's date (`20150830`).
    pub date: String,
    /// The scope's Region.
    pub region: String,
    /// The scope's service.
    pub service: String,
    /// The signed headers, in lower case.
    pub signed_headers: Vec<String>,
    /// The signature (64 hex digits).
    pub signature: String,
}

/// Why a signature was refused, and the AWS error it is answered with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The HTTP status.
    pub status: u16,
    /// The error code (`IncompleteSignature`, `InvalidSignatureException` ...).
    pub code: &'static str,
    /// The message.
    pub message: String,
}

impl Refusal {
    fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    fn incomplete(message: impl Into<String>) -> Self {
        Self::new(400, "IncompleteSignature", message)
    }
}

/// Parses the `Authorization` header.
///
/// # Errors
/// `IncompleteSignature` (400) when a part is missing or malformed.
pub fn parse_authorization(value: &str) -> Result<Authorization, Refusal> {
    let rest = value.trim().strip_prefix(ALGORITHM).ok_or_else(|| {
        Refusal::incomplete(format!("Unsupported algorithm; expected {ALGORITHM}"))
    })?;
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(value) = part.strip_prefix("Credential=") {
            credential = Some(value);
        } else if let Some(value) = part.strip_prefix("SignedHeaders=") {
            signed = Some(value);
        } else if let Some(value) = part.strip_prefix("Signature=") {
            signature = Some(value);
        }
    }
    let (Some(credential), Some(signed), Some(signature)) = (credential, signed, signature) else {
        return Err(Refusal::incomplete(
            "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters",
        ));
    };
    let scope: Vec<&str> = credential.split('/').collect();
    let [key, date, region, service, terminator] = scope.as_slice() else {
        return Err(Refusal::incomplete(format!(
            "Credential should be <key>/<date>/<region>/<service>/aws4_request, not {credential:?}"
        )));
    };
    if *terminator != "aws4_request" || key.is_empty() || date.len() != 8 {
        return Err(Refusal::incomplete(format!(
            "Credential should be <key>/<date>/<region>/<service>/aws4_request, not {credential:?}"
        )));
    }
    let signed_headers: Vec<String> = signed.split(';').map(str::to_owned).collect();
    if signed_headers.iter().any(String::is_empty)
        || signed_headers.iter().any(|h| h != &h.to_ascii_lowercase())
    {
        return Err(Refusal::incomplete(
            "SignedHeaders must be lower-case names separated by ';'",
        ));
    }
    if signature.len() != 64 || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Refusal::incomplete("Signature must be 64 hex digits"));
    }
    Ok(Authorization {
        access_key_id: (*key).to_owned(),
        date: (*date).to_owned(),
        region: (*region).to_owned(),
        service: (*service).to_owned(),
        signed_headers,
        signature: signature.to_ascii_lowercase(),
    })
}

/// Whether `byte` is kept as it is by AWS's URI encoding.
fn unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~')
}

/// AWS's URI encoding: every byte but the unreserved ones as `%XY`; `/` kept when
/// `keep_slash`.
#[must_use]
pub fn uri_encode(text: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if unreserved(byte) || (keep_slash && byte == b'/') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// Percent-decodes `text` (`+` as a space, as form encoding has it); a `%` not followed
/// by two hex digits stays as it is.
#[must_use]
pub fn uri_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(byte) => {
                        out.push(byte);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The path with `.` and `..` segments resolved and empty segments dropped (RFC 3986's
/// dot-segment removal, as AWS normalizes paths); a trailing `/` is kept.
#[must_use]
pub fn normalize_path(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let mut out = String::from("/");
    out.push_str(&segments.join("/"));
    let trailing = path.ends_with('/') || path.ends_with("/.") || path.ends_with("/..");
    if trailing && !segments.is_empty() {
        out.push('/');
    }
    out
}

/// The canonical URI of `path`, normalized or not.
#[must_use]
pub fn canonical_uri(path: &str, normalize: bool) -> String {
    let path = if path.is_empty() { "/" } else { path };
    if normalize {
        uri_encode(&normalize_path(path), true)
    } else {
        uri_encode(path, true)
    }
}

/// The canonical query: every `name=value` decoded, encoded, sorted by name then value.
#[must_use]
pub fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (
                uri_encode(&uri_decode(name), false),
                uri_encode(&uri_decode(value), false),
            )
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// A header value trimmed, with runs of white space made one space.
fn canonical_value(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The canonical headers of `signed` (lower-case names), each `name:value\n`; an
/// error names a signed header the request lacks.
///
/// # Errors
/// `InvalidSignatureException` (403) for a signed header that is not sent.
pub fn canonical_headers(
    headers: &[(String, String)],
    signed: &[String],
) -> Result<String, Refusal> {
    let mut sorted: Vec<&String> = signed.iter().collect();
    sorted.sort();
    let mut out = String::new();
    for name in sorted {
        let values: Vec<String> = headers
            .iter()
            .filter(|(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| canonical_value(value))
            .collect();
        if values.is_empty() {
            return Err(Refusal::new(
                403,
                "InvalidSignatureException",
                format!("The request signs header {name}, which it does not send"),
            ));
        }
        let _ = writeln!(out, "{name}:{}", values.join(","));
    }
    Ok(out)
}

/// `hex(sha256(bytes))`.
#[must_use]
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The canonical request of `request` with the `signed` headers.
///
/// # Errors
/// As [`canonical_headers`].
pub fn canonical_request(
    request: &Received<'_>,
    signed: &[String],
    normalize: bool,
) -> Result<String, Refusal> {
    let payload = header(request.headers, "x-amz-content-sha256")
        .map_or_else(|| sha256_hex(request.body), str::to_owned);
    let mut sorted = signed.to_vec();
    sorted.sort();
    Ok(format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        request.method,
        canonical_uri(request.path, normalize),
        canonical_query(request.query),
        canonical_headers(request.headers, signed)?,
        sorted.join(";"),
        payload
    ))
}

/// The string to sign.
#[must_use]
pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// The signing key of `secret` for a date, Region and service.
#[must_use]
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let date_key = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let region_key = hmac(&date_key, region.as_bytes());
    let service_key = hmac(&region_key, service.as_bytes());
    hmac(&service_key, b"aws4_request")
}

/// The signature of `string_to_sign` with `key`.
#[must_use]
pub fn signature(key: &[u8], string_to_sign: &str) -> String {
    hex::encode(hmac(key, string_to_sign.as_bytes()))
}

/// The first value of header `name`.
#[must_use]
pub fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(header, _)| header.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

/// Parses `20150830T123600Z`.
#[must_use]
pub fn parse_amz_date(text: &str) -> Option<OffsetDateTime> {
    let format = format_description!("[year][month][day]T[hour][minute][second]Z");
    time::PrimitiveDateTime::parse(text, &format)
        .ok()
        .map(time::PrimitiveDateTime::assume_utc)
}

/// What a verified request was signed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The access key id.
    pub access_key_id: String,
    /// The Region of the scope.
    pub region: String,
}

/// Verifies the signature of `request` for `service` as of `now`; `secret_of` gives the
/// secret of an access key id (and refuses unknown or expired ones itself).
///
/// # Errors
/// The [`Refusal`] AWS would answer: `MissingAuthenticationToken` (403) without an
/// `Authorization` header, `IncompleteSignature` (400) for a malformed one or a missing
/// `X-Amz-Date`, `InvalidSignatureException` (403) for a signature that does not match,
/// a scope for another service or date, or a date more than 15 minutes off; whatever
/// `secret_of` refuses.
pub fn verify(
    request: &Received<'_>,
    service: &str,
    now: OffsetDateTime,
    secret_of: impl FnOnce(&str) -> Result<String, Refusal>,
) -> Result<Verified, Refusal> {
    let Some(value) = header(request.headers, "authorization") else {
        return Err(Refusal::new(
            403,
            "MissingAuthenticationToken",
            "Missing Authentication Token",
        ));
    };
    let authorization = parse_authorization(value)?;
    let amz_date = header(request.headers, "x-amz-date").ok_or_else(|| {
        Refusal::incomplete(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header",
        )
    })?;
    let signed_at = parse_amz_date(amz_date).ok_or_else(|| {
        Refusal::incomplete(format!(
            "X-Amz-Date {amz_date:?} is not YYYYMMDD'T'HHMMSS'Z'"
        ))
    })?;
    if !authorization.signed_headers.iter().any(|h| h == "host") {
        return Err(Refusal::new(
            403,
            "InvalidSignatureException",
            "'Host' must be a 'SignedHeader' in the AWS Authorization.",
        ));
    }
    if !amz_date.starts_with(&authorization.date) {
        return Err(Refusal::new(
            403,
            "InvalidSignatureException",
            format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}'",
                authorization.date,
                &amz_date[..amz_date.len().min(8)]
            ),
        ));
    }
    if authorization.service != service {
        return Err(Refusal::new(
            403,
            "InvalidSignatureException",
            format!("Credential should be scoped to correct service: '{service}'."),
        ));
    }
    if (now - signed_at).abs() > MAX_SKEW {
        return Err(Refusal::new(
            403,
            "InvalidSignatureException",
            format!("Signature expired: {amz_date} is more than 15 minutes from the server's time"),
        ));
    }
    if let Some(claimed) = header(request.headers, "x-amz-content-sha256")
        && claimed != "UNSIGNED-PAYLOAD"
        && claimed != sha256_hex(request.body)
    {
        return Err(Refusal::new(
            400,
            "XAmzContentSHA256Mismatch",
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        ));
    }
    let secret = secret_of(&authorization.access_key_id)?;
    let canonical = canonical_request(request, &authorization.signed_headers, true)?;
    let scope = format!(
        "{}/{}/{}/aws4_request",
        authorization.date, authorization.region, authorization.service
    );
    let expected = signature(
        &signing_key(
            &secret,
            &authorization.date,
            &authorization.region,
            &authorization.service,
        ),
        &string_to_sign(amz_date, &scope, &canonical),
    );
    if !constant_time_eq(expected.as_bytes(), authorization.signature.as_bytes()) {
        return Err(Refusal::new(
            403,
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. \
             Check your AWS Secret Access Key and signing method. Consult the service \
             documentation for details.",
        ));
    }
    Ok(Verified {
        access_key_id: authorization.access_key_id,
        region: authorization.region,
    })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_decoding_and_normalization() {
        assert_eq!(uri_encode("a b/ሴ~", true), "a%20b/%E1%88%B4~");
        assert_eq!(uri_encode("a/b", false), "a%2Fb");
        assert_eq!(uri_decode("%E1%88%B4+x%2"), "ሴ x%2");
        assert_eq!(normalize_path("/example1/example2/../.."), "/");
        assert_eq!(normalize_path("//example//"), "/example/");
        assert_eq!(normalize_path("/./"), "/");
        assert_eq!(
            canonical_uri("/backup-jobs/A%2FB", true),
            "/backup-jobs/A%252FB"
        );
        assert_eq!(
            canonical_query("b=2&a=&a=1&%E1%88%B4=x"),
            "%E1%88%B4=x&a=&a=1&b=2"
        );
    }

    #[test]
    fn authorization_headers_parse_or_are_incomplete() {
        let parsed = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/backup/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        )
        .unwrap();
        assert_eq!(parsed.region, "us-east-1");
        assert_eq!(parsed.signed_headers, ["host", "x-amz-date"]);
        for bad in [
            "Bearer x",
            "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/backup, SignedHeaders=host, Signature=00",
            "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=00",
        ] {
            assert_eq!(parse_authorization(bad).unwrap_err().status, 400, "{bad}");
        }
    }
}
