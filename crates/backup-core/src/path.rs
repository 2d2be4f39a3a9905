//! Safe URL building: validated ids, each path parameter encoded as one segment.
//!
//! An id holding `/`, `?`, `#`, `%` or spaces is percent-encoded so it stays one path
//! segment; `.` and `..` (which URL parsers resolve away) and control characters are
//! refused as [`Error::InvalidInput`]. Characters path segments allow (`;`, `:`, `=`,
//! `@`, `,`) stay as they are: Azure names such as
//! `IaasVMContainer;iaasvmcontainerv2;rg;vm` go through untouched.

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use url::Url;

use crate::{Error, Result};

/// Checks that `value` can name a resource: not empty, not `.` or `..`, no control
/// characters, at most 1024 bytes.
///
/// # Errors
/// [`Error::InvalidInput`] naming `field`.
pub fn validate_id(vendor: &'static str, field: &str, value: &str) -> Result<()> {
    let reason = if value.trim().is_empty() {
        "must not be empty"
    } else if value == "." || value == ".." {
        "must not be `.` or `..`"
    } else if value.chars().any(char::is_control) {
        "must not contain control characters"
    } else if value.len() > 1024 {
        "is longer than 1024 bytes"
    } else if value.trim() != value {
        "must not start or end with white space"
    } else {
        return Ok(());
    };
    Err(Error::invalid_input(vendor, field, reason))
}

/// Parses an endpoint URL: `http` or `https`, a host, no query or fragment. A missing
/// trailing `/` is added so that paths append below it.
///
/// # Errors
/// [`Error::InvalidInput`] naming `field`.
pub fn parse_endpoint(vendor: &'static str, field: &str, value: &str) -> Result<Url> {
    let mut url = Url::parse(value.trim())
        .map_err(|e| Error::invalid_input(vendor, field, format!("not a URL ({e}): {value:?}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::invalid_input(
            vendor,
            field,
            format!("must be http or https, not {:?}", url.scheme()),
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Error::invalid_input(vendor, field, "has no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::invalid_input(
            vendor,
            field,
            "must not have a query or fragment",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::invalid_input(
            vendor,
            field,
            "must not carry credentials; use the credential settings",
        ));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// What a path segment percent-encodes: the set the `url` crate uses for a segment of
/// an `http(s)` URL (controls, non-ASCII, space, `"` `<` `>` `` ` `` `#` `?` `{` `}`),
/// plus `/`, `%` and `\\` so that a value stays one segment.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'#')
    .add(b'?')
    .add(b'{')
    .add(b'}')
    .add(b'/')
    .add(b'%')
    .add(b'\\');

/// Appends `segments` to `base`'s path, each percent-encoded as exactly one segment.
///
/// Callers validate ids with [`validate_id`] first; a `.` or `..` segment that slips
/// through is refused here too. The path is written out once and parsed once (not
/// once per segment): this runs on every request.
///
/// # Errors
/// [`Error::InvalidInput`] for a `.` or `..` segment or a base that cannot have a path.
pub fn join_segments<S: AsRef<str>>(
    vendor: &'static str,
    base: &Url,
    segments: &[S],
) -> Result<Url> {
    if base.cannot_be_a_base() {
        return Err(Error::invalid_input(
            vendor,
            "endpoint",
            "cannot carry a path",
        ));
    }
    // Like `path_segments_mut().pop_if_empty()`: a trailing `/` goes, once.
    let base_path = base.path();
    let base_path = base_path.strip_suffix('/').unwrap_or(base_path);
    let added: usize = segments.iter().map(|s| s.as_ref().len() + 1).sum();
    let mut path = String::with_capacity(base_path.len() + added);
    path.push_str(base_path);
    for segment in segments {
        let segment = segment.as_ref();
        if segment == "." || segment == ".." {
            return Err(Error::invalid_input(
                vendor,
                "path",
                "a path segment must not be `.` or `..`",
            ));
        }
        path.push('/');
        path.extend(utf8_percent_encode(segment, SEGMENT));
    }
    let mut url = base.clone();
    url.set_path(&path);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        parse_endpoint("t", "endpoint", "http://127.0.0.1:8080/api").unwrap()
    }

    #[test]
    fn segments_stay_single() {
        let url = join_segments("t", &base(), &["v1", "a/b?c#d%e f", "end"]).unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:8080/api/v1/a%2Fb%3Fc%23d%25e%20f/end"
        );
        assert_eq!(url.path_segments().unwrap().count(), 4);
    }

    #[test]
    fn azure_names_go_through_untouched() {
        let url = join_segments(
            "t",
            &base(),
            &[
                "protectionContainers",
                "IaasVMContainer;iaasvmcontainerv2;testrg;v1win2012r",
            ],
        )
        .unwrap();
        assert!(
            url.path()
                .ends_with("/IaasVMContainer;iaasvmcontainerv2;testrg;v1win2012r")
        );
    }

    #[test]
    fn dots_and_controls_refused() {
        for bad in ["", " ", ".", "..", "a\nb", "a\u{0}", " a"] {
            assert!(validate_id("t", "id", bad).is_err(), "{bad:?}");
        }
        for good in ["a", "...", "a.b", "%2e%2e", "ü", "a/b"] {
            assert!(validate_id("t", "id", good).is_ok(), "{good:?}");
        }
        assert!(join_segments("t", &base(), &[".."]).is_err());
        let encoded_dots = join_segments("t", &base(), &["%2e%2e"]).unwrap();
        assert!(
            encoded_dots.path().ends_with("/%252e%252e"),
            "{encoded_dots}"
        );
    }

    #[test]
    fn endpoints_checked() {
        assert_eq!(base().as_str(), "http://127.0.0.1:8080/api/");
        for bad in [
            "ftp://x",
            "not a url",
            "http://x/?a=1",
            "https://u:p@x/",
            "http://x/#f",
        ] {
            let err = parse_endpoint("t", "endpoint", bad).unwrap_err();
            assert!(matches!(err, Error::InvalidInput { .. }), "{bad}");
        }
    }

    /// What `join_segments` must equal: the `url` crate pushing one segment at a time
    /// (for non-empty values without tab, CR or LF: that crate drops those three
    /// silently, where `join_segments` encodes them, and squeezes empty segments;
    /// `validate_id` refuses both before either runs).
    fn pushed_one_by_one(base: &Url, segments: &[String]) -> Url {
        let mut url = base.clone();
        {
            let mut path = url.path_segments_mut().unwrap();
            path.pop_if_empty();
            for segment in segments {
                path.push(segment);
            }
        }
        url
    }

    proptest::proptest! {
        #[test]
        fn joins_like_the_url_crate_pushing_segments(
            base_path in "(/[a-z%;]{1,4}){0,3}/?",
            segments in proptest::collection::vec(
                "[a-zA-Z0-9 /?#%{}<>`\"\\\\;:=@,.~\u{0}-\u{8}\u{b}\u{c}\u{e}-\u{1f}\u{7f}\u{e9}\u{4e2d}-]{0,12}",
                0..5,
            ),
        ) {
            let base = Url::parse(&format!("https://h.example:8443{base_path}")).unwrap();
            let segments: Vec<String> = segments
                .into_iter()
                .filter(|s| !s.is_empty() && s != "." && s != "..")
                .collect();
            let joined = join_segments("t", &base, &segments).unwrap();
            let expected = pushed_one_by_one(&base, &segments);
            proptest::prop_assert_eq!(joined.as_str(), expected.as_str());
        }
    }
}
