//! [`SigningKeys`]: the derived SigV4 signing keys, kept per secret, date, Region and
//! service, so that a request costs one HMAC instead of five.

use std::fmt;
use std::sync::{Mutex, PoisonError};

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

use super::{Scope, TERMINATOR};

/// HMAC-SHA256.
pub(super) type HmacSha256 = Hmac<Sha256>;

/// How many keys are kept (the oldest goes first): one a day per Region signed for.
const CAPACITY: usize = 8;

/// Derived signing keys, each kept ready to sign (as an HMAC keyed with it).
///
/// Shared by the signers of one client; `Debug` shows how many keys are kept, never a
/// secret or a key.
#[derive(Default)]
pub struct SigningKeys {
    entries: Mutex<Vec<Entry>>,
}

struct Entry {
    secret: SecretString,
    date: [u8; 8],
    region: Box<str>,
    service: Box<str>,
    /// The HMAC keyed with the signing key (its key already mixed in).
    mac: HmacSha256,
}

impl Entry {
    fn is_for(&self, secret: &str, date: &[u8], scope: Scope<'_>) -> bool {
        self.date == date
            && *self.region == *scope.region
            && *self.service == *scope.service
            && self.secret.expose_secret() == secret
    }
}

impl fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kept = self.lock().len();
        f.debug_struct("SigningKeys").field("kept", &kept).finish()
    }
}

impl SigningKeys {
    /// No keys yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Entry>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// An HMAC keyed with the signing key of `secret` for `date` (`YYYYMMDD`) and
    /// `scope`, derived on first use.
    pub(super) fn key(&self, secret: &str, date: &str, scope: Scope<'_>) -> HmacSha256 {
        let date = date.as_bytes();
        if let Some(entry) = self.lock().iter().find(|e| e.is_for(secret, date, scope)) {
            return entry.mac.clone();
        }
        let mac = keyed(&derive(secret, date, scope));
        let mut entries = self.lock();
        if let Ok(date) = <[u8; 8]>::try_from(date)
            && !entries.iter().any(|e| e.is_for(secret, &date, scope))
        {
            if entries.len() >= CAPACITY {
                entries.remove(0);
            }
            entries.push(Entry {
                secret: SecretString::from(secret),
                date,
                region: scope.region.into(),
                service: scope.service.into(),
                mac: mac.clone(),
            });
        }
        mac
    }
}

/// An HMAC keyed with `key` (HMAC takes keys of any length).
fn keyed(key: &[u8]) -> HmacSha256 {
    <HmacSha256 as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"))
}

/// `HMAC(key, data)`.
fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = keyed(key);
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// The signing key: `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service),
/// "aws4_request")`.
fn derive(secret: &str, date: &[u8], scope: Scope<'_>) -> [u8; 32] {
    // Zeroed when dropped, as the secret it holds.
    let first = SecretString::from(format!("AWS4{secret}"));
    let date_key = hmac(first.expose_secret().as_bytes(), date);
    let region_key = hmac(&date_key, scope.region.as_bytes());
    let service_key = hmac(&region_key, scope.service.as_bytes());
    hmac(&service_key, TERMINATOR.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCOPE: Scope<'static> = Scope {
        region: "us-east-1",
        service: "iam",
    };

    #[test]
    fn the_documented_key_is_derived() {
        // AWS's documented example (Signature Version 4, "derive a signing key").
        let key = derive(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            b"20150830",
            SCOPE,
        );
        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
        );
    }

    #[test]
    fn keys_are_kept_per_secret_date_and_scope() {
        let keys = SigningKeys::new();
        let sign = |secret: &str, date: &str, scope| {
            let mut mac = keys.key(secret, date, scope);
            mac.update(b"x");
            mac.finalize().into_bytes()
        };
        let first = sign("s1", "20150830", SCOPE);
        assert_eq!(sign("s1", "20150830", SCOPE), first);
        assert_ne!(sign("s2", "20150830", SCOPE), first);
        assert_ne!(sign("s1", "20150831", SCOPE), first);
        let other = Scope {
            region: "eu-west-1",
            ..SCOPE
        };
        assert_ne!(sign("s1", "20150830", other), first);
        assert_eq!(format!("{keys:?}"), "SigningKeys { kept: 4 }");
        for day in 10..30 {
            sign("s1", &format!("201508{day}"), SCOPE);
        }
        assert_eq!(keys.lock().len(), CAPACITY);
        assert_eq!(sign("s1", "20150830", SCOPE), first);
    }
}
