//! Safe URL building: validated ids, each path parameter encoded as one segment.
//!
//! An id holding `/`, `?`, `#`, `%` or spaces is percent-encoded so it stays one path
//! segment; `.` and `..` (which URL parsers resolve away) and control characters are
//! refused as [`Error::InvalidInput`]. Characters path segments allow (`;`, `:`, `=`,
//! `@`, `,`) stay as they are: Azure names such as
//! `IaasVMContainer;iaasvmcontainerv2;rg;vm` go through untouched.

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

/// Appends `segments` to `base`'s path, each percent-encoded as exactly one segment.
///
/// Callers validate ids with [`validate_id`] first; a `.` or `..` segment that slips
/// through is refused here too.
///
/// # Errors
/// [`Error::InvalidInput`] for a `.` or `..` segment or a base that cannot have a path.
pub fn join_segments<S: AsRef<str>>(
    vendor: &'static str,
    base: &Url,
    segments: &[S],
) -> Result<Url> {
    let mut url = base.clone();
    {
        let mut path = url
            .path_segments_mut()
            .map_err(|()| Error::invalid_input(vendor, "endpoint", "cannot carry a path"))?;
        path.pop_if_empty();
        for segment in segments {
            let segment = segment.as_ref();
            if segment == "." || segment == ".." {
                return Err(Error::invalid_input(
                    vendor,
                    "path",
                    "a path segment must not be `.` or `..`",
                ));
            }
            path.push(segment);
        }
    }
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
}
