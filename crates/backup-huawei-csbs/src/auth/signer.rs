//! [`AkSk`]: access key / secret key credentials that sign every request with
//! `SDK-HMAC-SHA256`.

use std::fmt;

use async_trait::async_trait;
use backup_core::auth::{AuthTicket, Authenticator, ExposeSecret, SecretString};
use backup_core::{Error, Request, Result};
use http::header::{AUTHORIZATION, HOST};
use http::{HeaderName, HeaderValue};
use time::OffsetDateTime;
use time::macros::format_description;

use super::canonical::{self, RequestParts};
use crate::VENDOR;

/// The header carrying the signing time.
pub const X_SDK_DATE: &str = "x-sdk-date";
/// The header carrying the session token of temporary credentials.
pub const X_SECURITY_TOKEN: &str = "x-security-token";

/// An access key (AK) and secret key (SK), with the security token of temporary
/// credentials when there is one.
///
/// As an [`Authenticator`] it signs each attempt anew: it sets `Host`, `X-Sdk-Date`
/// (now, UTC) and `X-Security-Token`, signs every header the request carries at that
/// point together with the method, path, query and body, and adds
/// `Authorization: SDK-HMAC-SHA256 Access=…, SignedHeaders=…, Signature=…`.
///
/// `Debug` shows the first four characters of the access key only.
#[derive(Clone)]
pub struct AkSk {
    access_key: String,
    secret_key: SecretString,
    security_token: Option<SecretString>,
}

impl AkSk {
    /// Permanent credentials.
    pub fn new(access_key: impl Into<String>, secret_key: impl Into<String>) -> Self {
        Self {
            access_key: access_key.into(),
            secret_key: SecretString::from(secret_key.into()),
            security_token: None,
        }
    }

    /// Temporary credentials: the security token is sent and signed as
    /// `X-Security-Token`.
    #[must_use]
    pub fn with_security_token(mut self, token: impl Into<String>) -> Self {
        self.security_token = Some(SecretString::from(token.into()));
        self
    }

    /// The access key.
    #[must_use]
    pub fn access_key(&self) -> &str {
        &self.access_key
    }

    /// The security token of temporary credentials.
    #[must_use]
    pub fn security_token(&self) -> Option<&SecretString> {
        self.security_token.as_ref()
    }

    /// Whether these are temporary credentials (with a security token).
    #[must_use]
    pub fn is_temporary(&self) -> bool {
        self.security_token.is_some()
    }

    /// Checks that the credentials can be used: both keys present.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the empty field.
    pub fn validate(&self) -> Result<()> {
        if self.access_key.trim().is_empty() {
            return Err(Error::invalid_input(
                VENDOR,
                "access_key",
                "must not be empty",
            ));
        }
        if self.secret_key.expose_secret().is_empty() {
            return Err(Error::invalid_input(
                VENDOR,
                "secret_key",
                "must not be empty",
            ));
        }
        if self
            .security_token
            .as_ref()
            .is_some_and(|t| t.expose_secret().is_empty())
        {
            return Err(Error::invalid_input(
                VENDOR,
                "security_token",
                "must not be empty when given",
            ));
        }
        Ok(())
    }

    /// Signs `request` as made at `at`: sets `Host`, `X-Sdk-Date`,
    /// `X-Security-Token` (temporary credentials) and `Authorization`.
    ///
    /// # Errors
    /// [`Error::Auth`] when a credential cannot be put in a header.
    pub fn sign(&self, request: &mut Request, at: OffsetDateTime) -> Result<()> {
        let vendor = request.vendor();
        let date = sdk_date(at);
        let host = host_of(&request.url)
            .ok_or_else(|| Error::auth(vendor, "the request URL has no host to sign"))?;
        request.headers.remove(AUTHORIZATION);
        request.headers.insert(
            HOST,
            HeaderValue::from_str(&host)
                .map_err(|_| Error::auth(vendor, "the host cannot be sent in a header"))?,
        );
        request.headers.insert(
            HeaderName::from_static(X_SDK_DATE),
            HeaderValue::from_str(&date)
                .map_err(|_| Error::auth(vendor, "the signing date cannot be formatted"))?,
        );
        if let Some(token) = &self.security_token {
            let mut value = HeaderValue::from_str(token.expose_secret()).map_err(|_| {
                Error::auth(
                    vendor,
                    "the security token holds characters that cannot be sent in a header",
                )
            })?;
            value.set_sensitive(true);
            request
                .headers
                .insert(HeaderName::from_static(X_SECURITY_TOKEN), value);
        }
        let authorization = canonical::sign_parts(
            &self.access_key,
            self.secret_key.expose_secret().as_bytes(),
            &date,
            RequestParts {
                method: request.method.as_str(),
                path: request.url.path(),
                query: request.url.query(),
                headers: request.headers.iter().map(|(name, value)| {
                    (name.as_str(), String::from_utf8_lossy(value.as_bytes()))
                }),
                body: &request.body,
            },
        );
        let mut value = HeaderValue::try_from(authorization).map_err(|_| {
            Error::auth(
                vendor,
                "the access key holds characters that cannot be sent in a header",
            )
        })?;
        value.set_sensitive(true);
        request.headers.insert(AUTHORIZATION, value);
        Ok(())
    }
}

/// `YYYYMMDDTHHMMSSZ` in UTC.
#[must_use]
pub fn sdk_date(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    let Ok(year) = u16::try_from(at.year()) else {
        return formatted_sdk_date(at);
    };
    if year > 9999 {
        return formatted_sdk_date(at);
    }
    // Written digit by digit: this runs on every signed request, and the general
    // formatter cost more than the rest of the signature's text.
    let mut out = String::with_capacity(16);
    push_digits(&mut out, year, 4);
    push_digits(&mut out, u16::from(u8::from(at.month())), 2);
    push_digits(&mut out, u16::from(at.day()), 2);
    out.push('T');
    push_digits(&mut out, u16::from(at.hour()), 2);
    push_digits(&mut out, u16::from(at.minute()), 2);
    push_digits(&mut out, u16::from(at.second()), 2);
    out.push('Z');
    out
}

/// `value` as `width` decimal digits, zero-padded.
fn push_digits(out: &mut String, value: u16, width: u32) {
    for place in (0..width).rev() {
        let digit = (value / 10_u16.pow(place)) % 10;
        out.push(char::from(b'0' + u8::try_from(digit).unwrap_or(0)));
    }
}

/// [`sdk_date`] through the general formatter (years outside 0..=9999).
fn formatted_sdk_date(at: OffsetDateTime) -> String {
    let format = format_description!("[year][month][day]T[hour][minute][second]Z");
    at.format(&format).unwrap_or_default()
}

/// The `Host` header value for `url`: the host, with the port when it is not the
/// scheme's default.
fn host_of(url: &url::Url) -> Option<String> {
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

impl fmt::Debug for AkSk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: String = self.access_key.chars().take(4).collect();
        f.debug_struct("AkSk")
            .field("access_key", &format_args!("{shown}…"))
            .field("secret_key", &"<redacted>")
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

#[async_trait]
impl Authenticator for AkSk {
    async fn authorize(&self, request: &mut Request) -> Result<AuthTicket> {
        self.sign(request, OffsetDateTime::now_utc())?;
        Ok(AuthTicket::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn sdk_dates_are_written_like_the_formatter() {
        for at in [
            datetime!(2026-12-01 07:05:09 UTC),
            datetime!(0001-01-01 00:00:00 UTC),
            datetime!(9999-12-31 23:59:59.999 +03:00),
            OffsetDateTime::from_unix_timestamp(1_234_567_890).unwrap(),
        ] {
            assert_eq!(
                sdk_date(at),
                formatted_sdk_date(at.to_offset(time::UtcOffset::UTC))
            );
        }
        assert_eq!(
            sdk_date(datetime!(2026-12-01 07:05:09 UTC)),
            "20261201T070509Z"
        );
    }

    fn request(url: &str) -> Request {
        Request::get(VENDOR, url::Url::parse(url).unwrap())
    }

    #[test]
    fn signs_the_published_vector_through_a_request() {
        let signer = AkSk::new(
            "QTWAOYTTINDUT2QVKYUC",
            "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc",
        );
        let mut request = request(
            "https://service.region.example.com/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs?limit=2&marker=13551d6b-755d-4757-b956-536f674975c0",
        )
        .header_static("content-type", "application/json");
        signer
            .sign(&mut request, datetime!(2019-11-15 03:36:55 UTC))
            .unwrap();
        assert_eq!(request.headers["x-sdk-date"], "20191115T033655Z");
        assert_eq!(request.headers["host"], "service.region.example.com");
        assert_eq!(
            request.headers["authorization"],
            "SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-sdk-date, Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe"
        );
        assert!(request.headers["authorization"].is_sensitive());
    }

    #[test]
    fn temporary_credentials_sign_the_security_token() {
        let signer = AkSk::new("AK", "SK").with_security_token("session-token");
        let mut request = request("http://127.0.0.1:8080/v1/p/checkpoint_items?checkpoint_id=c");
        signer
            .sign(&mut request, datetime!(2024-01-02 03:04:05 UTC))
            .unwrap();
        assert_eq!(request.headers["host"], "127.0.0.1:8080");
        assert_eq!(request.headers["x-security-token"], "session-token");
        let auth = request.headers["authorization"].to_str().unwrap();
        assert!(
            auth.contains("SignedHeaders=host;x-sdk-date;x-security-token,"),
            "{auth}"
        );
    }

    #[test]
    fn signing_again_replaces_the_previous_signature() {
        let signer = AkSk::new("AK", "SK");
        let mut request = request("https://h/v1");
        signer
            .sign(&mut request, datetime!(2024-01-02 03:04:05 UTC))
            .unwrap();
        let first = request.headers["authorization"].clone();
        signer
            .sign(&mut request, datetime!(2024-01-02 03:04:06 UTC))
            .unwrap();
        assert_ne!(request.headers["authorization"], first);
        assert_eq!(request.headers.get_all("authorization").iter().count(), 1);
        let auth = request.headers["authorization"].to_str().unwrap();
        assert!(!auth.contains("authorization"), "{auth}");
    }

    #[test]
    fn debug_hides_secrets() {
        let signer = AkSk::new("AKIDEXAMPLE", "SECRET-SK").with_security_token("SECRET-TOKEN");
        let text = format!("{signer:?}");
        assert!(!text.contains("SECRET"), "{text}");
        assert!(!text.contains("AKIDEXAMPLE"), "{text}");
        assert!(text.contains("AKID…"), "{text}");
    }

    #[test]
    fn validate_names_the_field() {
        let err = AkSk::new("", "sk").validate().unwrap_err();
        assert!(err.to_string().contains("access_key"), "{err}");
        let err = AkSk::new("ak", "").validate().unwrap_err();
        assert!(err.to_string().contains("secret_key"), "{err}");
        assert!(AkSk::new("ak", "sk").validate().is_ok());
    }
}
