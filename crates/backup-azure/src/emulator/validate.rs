//! The checks of the trigger's body against the protected item.

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use backup_core::timefmt::parse_rfc3339;
use serde_json::Value;

use super::answers::{bad_request, cloud_error};
use super::options::ItemKind;

fn refuse(code: &str, message: &str) -> Box<Response> {
    Box::new(bad_request(code, message))
}

/// Checks the `BackupRequestResource` against the item's kind.
pub(crate) fn validate_body(
    headers: &HeaderMap,
    body: &[u8],
    kind: ItemKind,
) -> Result<(), Box<Response>> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type
        .to_ascii_lowercase()
        .starts_with("application/json")
    {
        return Err(Box::new(cloud_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
            &format!(
                "The content media type '{content_type}' is not supported. Only 'application/json' is supported."
            ),
        )));
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        refuse(
            "InvalidRequestContent",
            &format!("The request content was invalid and could not be deserialized: '{e}'."),
        )
    })?;
    let Some(properties) = value.get("properties").filter(|p| p.is_object()) else {
        return Err(refuse(
            "BadRequest",
            "The 'properties' of the backup request are missing.",
        ));
    };
    let object_type = properties
        .get("objectType")
        .and_then(Value::as_str)
        .unwrap_or("");
    if object_type != kind.object_type() {
        return Err(refuse(
            "BMSUserErrorInvalidInput",
            &format!(
                "Input provided for the call is invalid: objectType '{object_type}' does not fit the item; expected '{}'.",
                kind.object_type()
            ),
        ));
    }
    if let Some(expiry) = properties.get("recoveryPointExpiryTimeInUTC")
        && expiry.as_str().and_then(parse_rfc3339).is_none()
    {
        return Err(refuse(
            "BMSUserErrorInvalidInput",
            "Input provided for the call is invalid: recoveryPointExpiryTimeInUTC is not a date and time.",
        ));
    }
    if let Some(backup_type) = properties.get("backupType") {
        let known = backup_type.as_str().is_some_and(|t| {
            crate::model::BackupType::DOCUMENTED
                .iter()
                .any(|d| d.as_str() == t)
        });
        if !known || kind != ItemKind::AzureWorkload {
            return Err(refuse(
                "BMSUserErrorInvalidInput",
                "Input provided for the call is invalid: backupType.",
            ));
        }
    }
    if let Some(compression) = properties.get("enableCompression")
        && (!compression.is_boolean() || kind != ItemKind::AzureWorkload)
    {
        return Err(refuse(
            "BMSUserErrorInvalidInput",
            "Input provided for the call is invalid: enableCompression.",
        ));
    }
    Ok(())
}
