//! Signature Version 4 of our own: the signature `aws-sigv4` computes with its default
//! settings (the ones AWS Backup takes), with few allocations per call and the signing
//! key derived once a day per secret and Region.
//!
//! 1. The canonical request (module `canonical`) is written into one pre-sized buffer:
//!    `METHOD\nURI\nQUERY\nHEADERS\n\nSIGNED_HEADERS\nhex(sha256(body))`. The URI is the
//!    path normalized (dot and empty segments removed) and percent-encoded a second
//!    time (every byte but `A-Z a-z 0-9 - _ . ~` and `/`); the query's pairs are
//!    form-decoded, encoded (every byte but the unreserved ones), sorted by name then
//!    value; the signed headers are the request's (but `authorization`, `user-agent`,
//!    `x-amzn-trace-id` and `transfer-encoding`, as `aws-sigv4` excludes them), `host`
//!    (from the URL when the request has none), `x-amz-date` and, with a session token,
//!    `x-amz-security-token`, sorted by name, values trimmed of spaces with runs of
//!    spaces made one, the values of a repeated header joined by `,`. No
//!    `x-amz-content-sha256` header is added (AWS Backup does not ask for it).
//! 2. The string to sign, `AWS4-HMAC-SHA256\n{X-Amz-Date}\n{scope}\nhex(sha256(canonical
//!    request))`, is fed to the HMAC directly.
//! 3. The signing key (`HMAC` chain of `"AWS4" + secret`, date, Region, service,
//!    `aws4_request`) is derived once per secret, date, Region and service and kept
//!    keyed in [`SigningKeys`].
//!
//! `tests/it/sigv4_oracle.rs` checks the result byte for byte against `aws-sigv4`.

mod canonical;
mod key;

use std::fmt::{self, Write as _};
use std::time::{SystemTime, UNIX_EPOCH};

use backup_core::transport::Request;
use backup_core::{Error, Result};
use hmac::Mac;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

pub use key::SigningKeys;

use crate::VENDOR;

/// The algorithm name of SigV4.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The last element of a credential scope.
const TERMINATOR: &str = "aws4_request";

/// Access keys, borrowed from wherever they are kept. `Debug` shows the first four
/// characters of the access key id, never the secret key or the session token.
#[derive(Clone, Copy)]
pub struct Keys<'a> {
    /// The access key id (`AKIA...`, `ASIA...`).
    pub access_key_id: &'a str,
    /// The secret access key.
    pub secret_access_key: &'a str,
    /// The session token of temporary keys.
    pub session_token: Option<&'a str>,
}

impl fmt::Debug for Keys<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keys")
            .field("access_key_id", &super::mask_key(self.access_key_id))
            .field("secret_access_key", &"<redacted>")
            .field("session_token", &self.session_token.map(|_| "<redacted>"))
            .finish()
    }
}

impl<'a> From<&'a aws_credential_types::Credentials> for Keys<'a> {
    fn from(credentials: &'a aws_credential_types::Credentials) -> Self {
        Self {
            access_key_id: credentials.access_key_id(),
            secret_access_key: credentials.secret_access_key(),
            session_token: credentials.session_token(),
        }
    }
}

/// What a signature is for: the Region and the service's signing name.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    /// The Region (`eu-central-1`).
    pub region: &'a str,
    /// The signing name of the service (`backup`).
    pub service: &'a str,
}

/// The headers a signature sets (besides `x-amz-security-token`, the session token as
/// it is). `Debug` shows the date only.
pub struct Signature {
    /// `x-amz-date`: `YYYYMMDD'T'HHMMSS'Z'`.
    pub amz_date: String,
    /// `authorization`: `AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
    /// Signature=...`.
    pub authorization: String,
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signature")
            .field("amz_date", &self.amz_date)
            .field("authorization", &"<redacted>")
            .finish()
    }
}

/// Signs `request` (as it is: headers set later are not signed) with `keys` for `scope`
/// as of `time`, the signing key taken from (or derived into) `cache`.
///
/// # Errors
/// [`Error::Auth`] for a header value that is no visible ASCII text, a URL without a
/// host, or a time outside the years 0 to 9999.
pub fn sign(
    request: &Request,
    keys: Keys<'_>,
    scope: Scope<'_>,
    time: SystemTime,
    cache: &SigningKeys,
) -> Result<Signature> {
    let amz_date = amz_date(time)?;
    let date = &amz_date[..8];
    let mut signed_headers = String::with_capacity(128);
    let canonical =
        canonical::canonical_request(request, &amz_date, keys.session_token, &mut signed_headers)?;
    let mut hashed = [0u8; 64];
    hex_into(&Sha256::digest(canonical.as_bytes()), &mut hashed);

    let mut mac = cache.key(keys.secret_access_key, date, scope);
    for part in [
        ALGORITHM,
        "\n",
        &amz_date,
        "\n",
        date,
        "/",
        scope.region,
        "/",
        scope.service,
        "/",
        TERMINATOR,
        "\n",
    ] {
        mac.update(part.as_bytes());
    }
    mac.update(&hashed);
    let mut signature = [0u8; 64];
    hex_into(&mac.finalize().into_bytes(), &mut signature);

    let mut authorization = String::with_capacity(
        160 + keys.access_key_id.len()
            + scope.region.len()
            + scope.service.len()
            + signed_headers.len(),
    );
    // Writing into a String cannot fail.
    let _ = write!(
        authorization,
        "{ALGORITHM} Credential={}/{date}/{}/{}/{TERMINATOR}, SignedHeaders={signed_headers}, \
         Signature=",
        keys.access_key_id, scope.region, scope.service
    );
    authorization.extend(signature.iter().copied().map(char::from));
    Ok(Signature {
        amz_date,
        authorization,
    })
}

/// `time` as `YYYYMMDD'T'HHMMSS'Z'` (UTC, seconds truncated).
fn amz_date(time: SystemTime) -> Result<String> {
    let at = match time.duration_since(UNIX_EPOCH) {
        Ok(after) => time::Duration::try_from(after)
            .ok()
            .and_then(|after| OffsetDateTime::UNIX_EPOCH.checked_add(after)),
        Err(before) => time::Duration::try_from(before.duration())
            .ok()
            .and_then(|before| OffsetDateTime::UNIX_EPOCH.checked_sub(before)),
    };
    let at = at
        .filter(|at| (0..=9999).contains(&at.year()))
        .ok_or_else(|| Error::auth(VENDOR, "cannot sign as of a time outside the years 0-9999"))?;
    let mut text = String::with_capacity(16);
    let _ = write!(
        text,
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    );
    Ok(text)
}

/// Lower-case hex digits.
const HEX: &[u8; 16] = b"0123456789abcdef";

/// `bytes` (32 of them) as 64 lower-case hex digits into `out`.
fn hex_into(bytes: &[u8], out: &mut [u8; 64]) {
    for (pair, byte) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = HEX[usize::from(byte >> 4)];
        pair[1] = HEX[usize::from(byte & 0x0f)];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_formatted_in_utc_or_refused() {
        let at = UNIX_EPOCH + std::time::Duration::from_secs(1_440_938_160);
        assert_eq!(amz_date(at).unwrap(), "20150830T123600Z");
        let before = UNIX_EPOCH - std::time::Duration::from_millis(500);
        assert_eq!(amz_date(before).unwrap(), "19691231T235959Z");
        let far = UNIX_EPOCH + std::time::Duration::from_secs(400_000_000_000);
        assert!(amz_date(far).is_err());
    }

    #[test]
    fn keys_debug_hides_the_secrets() {
        let keys = Keys {
            access_key_id: "AKIDEXAMPLE",
            secret_access_key: "wJalrXUtnFEMI",
            session_token: Some("token-value"),
        };
        let text = format!("{keys:?}");
        assert!(text.contains("AKID"), "{text}");
        for secret in ["AKIDEXAMPLE", "wJalrXUtnFEMI", "token-value"] {
            assert!(!text.contains(secret), "{text}");
        }
    }
}
