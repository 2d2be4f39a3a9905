//! The canonical request of SigV4, written into one pre-sized buffer, as `aws-sigv4`
//! writes it with its default settings (double-encoded, normalized path; no
//! `x-amz-content-sha256`; session token signed).

use std::cmp::Ordering;

use backup_core::transport::Request;
use backup_core::{Error, Result};
use http::header::HOST;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha2::{Digest, Sha256};
use url::form_urlencoded;

use super::hex_into;
use crate::VENDOR;

/// Headers never signed: the signature itself, and those proxies change
/// (`aws-sigv4`'s default exclusions).
const EXCLUDED: [&str; 4] = [
    "authorization",
    "user-agent",
    "x-amzn-trace-id",
    "transfer-encoding",
];

/// `x-amz-date`.
const X_AMZ_DATE: &str = "x-amz-date";
/// `x-amz-security-token`.
const X_AMZ_SECURITY_TOKEN: &str = "x-amz-security-token";

/// A header as it is signed.
struct Signed<'a> {
    name: &'a str,
    value: &'a str,
    /// Whether the value is trimmed (the request's own headers) or taken as it is (the
    /// ones the signature adds).
    trim: bool,
}

/// The canonical request of `request` signed at `amz_date` (with `token`, the session
/// token); the signed header names, `;`-separated, go to `signed_headers`.
///
/// # Errors
/// [`Error::Auth`] for a header value that is no visible ASCII text, a URL without a
/// host.
pub(super) fn canonical_request(
    request: &Request,
    amz_date: &str,
    token: Option<&str>,
    signed_headers: &mut String,
) -> Result<String> {
    let url = &request.url;
    let path = url.path();
    let query = url.query().unwrap_or_default();
    let host = host_of(request)?;
    let headers = signed(request, &host, amz_date, token)?;
    let header_bytes: usize = headers
        .iter()
        .map(|h| h.name.len() + h.value.len() + 2)
        .sum();
    let mut out = String::with_capacity(
        request.method.as_str().len() + 3 * (path.len() + query.len()) + header_bytes + 80 + 64,
    );
    out.push_str(request.method.as_str());
    out.push('\n');
    write_path(&mut out, path);
    out.push('\n');
    write_query(&mut out, query);
    out.push('\n');
    write_headers(&mut out, signed_headers, &headers);
    out.push('\n');
    out.push_str(signed_headers);
    out.push('\n');
    let mut payload = [0u8; 64];
    hex_into(&Sha256::digest(&request.body), &mut payload);
    out.extend(payload.iter().copied().map(char::from));
    Ok(out)
}

/// The `host` to sign when the request has no such header: the URL's host, with its
/// port when it is not the scheme's default (the URL drops a default port).
fn host_of(request: &Request) -> Result<Option<String>> {
    if request.headers.contains_key(HOST) {
        return Ok(None);
    }
    let url = &request.url;
    let host = url
        .host_str()
        .ok_or_else(|| Error::auth(VENDOR, "cannot sign a request to a URL without a host"))?;
    Ok(Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }))
}

/// The headers to sign, sorted by name (a repeated header's values in their order).
fn signed<'a>(
    request: &'a Request,
    host: &'a Option<String>,
    amz_date: &'a str,
    token: Option<&'a str>,
) -> Result<Vec<Signed<'a>>> {
    let mut headers = Vec::with_capacity(request.headers.len() + 3);
    for (name, value) in &request.headers {
        let name = name.as_str();
        let replaced = name == X_AMZ_DATE || (token.is_some() && name == X_AMZ_SECURITY_TOKEN);
        if replaced || EXCLUDED.contains(&name) {
            continue;
        }
        let value = value
            .to_str()
            .map_err(|_| Error::auth(VENDOR, format!("header {name} is not text")))?;
        headers.push(Signed {
            name,
            value,
            trim: true,
        });
    }
    if let Some(host) = host {
        headers.push(Signed {
            name: HOST.as_str(),
            value: host,
            trim: false,
        });
    }
    headers.push(Signed {
        name: X_AMZ_DATE,
        value: amz_date,
        trim: false,
    });
    if let Some(token) = token {
        headers.push(Signed {
            name: X_AMZ_SECURITY_TOKEN,
            value: token,
            trim: false,
        });
    }
    // Stable: a repeated header keeps the order of its values.
    headers.sort_by(|a, b| a.name.cmp(b.name));
    Ok(headers)
}

/// `name:value[,value...]\n` per header name into `out`, the names `;`-separated into
/// `names`.
fn write_headers(out: &mut String, names: &mut String, headers: &[Signed<'_>]) {
    let mut previous: Option<&str> = None;
    for header in headers {
        if previous == Some(header.name) {
            out.push(',');
        } else {
            if previous.is_some() {
                out.push('\n');
                names.push(';');
            }
            out.push_str(header.name);
            out.push(':');
            names.push_str(header.name);
        }
        if header.trim {
            write_trimmed(out, header.value);
        } else {
            out.push_str(header.value);
        }
        previous = Some(header.name);
    }
    if previous.is_some() {
        out.push('\n');
    }
}

/// `value` without leading and trailing spaces, each run of spaces made one (spaces
/// only: tabs are kept, as AWS has it).
fn write_trimmed(out: &mut String, value: &str) {
    let mut after_space = false;
    for c in value.trim_matches(' ').chars() {
        if c == ' ' {
            if after_space {
                continue;
            }
            after_space = true;
        } else {
            after_space = false;
        }
        out.push(c);
    }
}

/// The canonical URI: `path` with dot segments resolved and empty segments dropped (a
/// trailing `/` kept), then percent-encoded (once more, for a path sent encoded).
fn write_path(out: &mut String, path: &str) {
    if path.starts_with('/') && !path.contains('.') && !path.contains("//") {
        encode_into(out, path, true);
        return;
    }
    let mut segments: Vec<&str> = Vec::with_capacity(path.len() / 2 + 1);
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    for segment in &segments {
        out.push('/');
        encode_into(out, segment, false);
    }
    let trailing = ["/", "/.", "/.."].iter().any(|end| path.ends_with(end));
    if segments.is_empty() || trailing {
        out.push('/');
    }
}

/// The canonical query: every `name=value` form-decoded, encoded, sorted by the encoded
/// name then value, joined by `&`.
fn write_query(out: &mut String, query: &str) {
    if query.is_empty() {
        return;
    }
    // The encoded pairs side by side in one buffer: (name start, value start, end).
    let mut encoded = String::with_capacity(3 * query.len());
    let mut pairs: Vec<(usize, usize, usize)> = Vec::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        let start = encoded.len();
        encode_into(&mut encoded, &name, false);
        let middle = encoded.len();
        encode_into(&mut encoded, &value, false);
        pairs.push((start, middle, encoded.len()));
    }
    let pair = |&(start, middle, end): &(usize, usize, usize)| {
        (
            encoded.get(start..middle).unwrap_or_default(),
            encoded.get(middle..end).unwrap_or_default(),
        )
    };
    pairs.sort_by(|a, b| -> Ordering { pair(a).cmp(&pair(b)) });
    for (index, entry) in pairs.iter().enumerate() {
        if index > 0 {
            out.push('&');
        }
        let (name, value) = pair(entry);
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
}

/// What AWS's URI encoding encodes: every byte but RFC 3986's unreserved ones (upper-case
/// hex, as percent-encoding writes it).
const ENCODED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// [`ENCODED`] but `/`, for a path kept whole.
const ENCODED_BUT_SLASH: &AsciiSet = &ENCODED.remove(b'/');

/// `text` percent-encoded into `out`: every byte but the unreserved ones (and `/` when
/// `keep_slash`) as `%XY`.
fn encode_into(out: &mut String, text: &str, keep_slash: bool) {
    let set = if keep_slash {
        ENCODED_BUT_SLASH
    } else {
        ENCODED
    };
    out.extend(utf8_percent_encode(text, set));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(path: &str) -> String {
        let mut out = String::new();
        write_path(&mut out, path);
        out
    }

    fn query(query: &str) -> String {
        let mut out = String::new();
        write_query(&mut out, query);
        out
    }

    #[test]
    fn paths_are_normalized_and_encoded_again() {
        assert_eq!(path(""), "/");
        assert_eq!(path("/"), "/");
        assert_eq!(path("/backup-jobs/A%2FB"), "/backup-jobs/A%252FB");
        assert_eq!(path("/a b/ሴ~"), "/a%20b/%E1%88%B4~");
        assert_eq!(path("/example1/example2/../.."), "/");
        assert_eq!(path("//example//"), "/example/");
        assert_eq!(path("/./a/./b/."), "/a/b/");
        assert_eq!(path("/a/../b"), "/b");
        assert_eq!(path("relative/x.y"), "/relative/x.y");
    }

    #[test]
    fn queries_are_decoded_encoded_and_sorted() {
        assert_eq!(query(""), "");
        assert_eq!(query("b=2&a=&a=1&%E1%88%B4=x"), "%E1%88%B4=x&a=&a=1&b=2");
        assert_eq!(query("x=a+b&flag&&y=%2F%zz"), "flag=&x=a%20b&y=%2F%25zz");
        // Sorted on the encoded text: `%2A` (`*`) before `-`.
        assert_eq!(query("-=1&*=2"), "%2A=2&-=1");
    }

    #[test]
    fn header_values_lose_their_extra_spaces_only() {
        let mut out = String::new();
        write_trimmed(&mut out, "  a   b \t c  ");
        assert_eq!(out, "a b \t c");
    }
}
