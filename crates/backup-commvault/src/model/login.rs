//! `POST Login` and `POST RenewLoginToken`.
//!
//! Login sends the password base64-encoded, as JSON
//! `{"username", "password", "domain"?, "deviceId"?}` or as XML
//! `<DM2ContentIndexing_CheckCredentialReq username=".." password=".."/>`; success
//! carries `token` (`QSDK ...`) and `userName`, failure `errList`.

use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// The password as Login wants it: base64 of its UTF-8 bytes.
#[must_use]
pub fn encode_password(password: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(password.as_bytes())
}

/// The JSON body of `POST Login` (the password already base64-encoded). No `Debug`:
/// it holds the password.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LoginJson<'a> {
    pub username: &'a str,
    pub password: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<&'a str>,
    pub device_id: &'a str,
}

/// The XML body of `POST Login`. No `Debug`: it holds the password.
#[derive(Serialize)]
#[serde(rename = "DM2ContentIndexing_CheckCredentialReq")]
pub(crate) struct LoginXml<'a> {
    #[serde(rename = "@mode")]
    pub mode: &'a str,
    #[serde(rename = "@username")]
    pub username: &'a str,
    #[serde(rename = "@password")]
    pub password: &'a str,
    #[serde(rename = "@domain", skip_serializing_if = "Option::is_none")]
    pub domain: Option<&'a str>,
    #[serde(rename = "@deviceId")]
    pub device_id: &'a str,
}

/// The JSON body of `POST RenewLoginToken`. No `Debug`: it holds the token.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RenewJson<'a> {
    pub session_id: &'a str,
    pub device_id: &'a str,
}

/// The fields of a Login or RenewLoginToken answer the client uses (JSON, or the
/// attributes of the XML root). No `Debug`: it holds the token.
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LoginAnswer {
    #[serde(default, alias = "@token")]
    pub token: Option<String>,
}
