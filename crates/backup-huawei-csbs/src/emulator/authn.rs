//! Checking the credential of a CSBS request: an `X-Auth-Token` issued by the emulated
//! IAM, or an AK/SK signature (see [`super::signature`]).

use axum::response::Response;
use backup_core::emulator::TokenCheck;
use http::{HeaderMap, Method, StatusCode, Uri};
use time::OffsetDateTime;

use super::reply;
use super::signature::{self, Incoming};
use super::state::EmuState;

/// `Ok` when the request carries a valid credential, else the gateway's 401.
pub(crate) fn authenticate(
    state: &EmuState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), Box<Response>> {
    if let Some(token) = headers.get("x-auth-token") {
        let token = token.to_str().unwrap_or_default().trim();
        return match state.tokens.check(token) {
            TokenCheck::Valid => Ok(()),
            TokenCheck::Expired => Err(Box::new(reply::error(
                StatusCode::UNAUTHORIZED,
                "APIGW.0307",
                "The token must be updated.",
            ))),
            TokenCheck::Unknown => Err(Box::new(reply::error(
                StatusCode::UNAUTHORIZED,
                "APIGW.0301",
                "Incorrect IAM authentication information: decrypt token fail",
            ))),
        };
    }
    if headers.get(http::header::AUTHORIZATION).is_none() {
        return Err(Box::new(reply::error(
            StatusCode::UNAUTHORIZED,
            "APIGW.0301",
            "Incorrect IAM authentication information: Authorization or X-Auth-Token is missing",
        )));
    }
    let incoming = Incoming {
        method: method.as_str(),
        path: uri.path(),
        query: uri.query(),
        headers,
        body,
    };
    signature::verify(
        &state.keys,
        &incoming,
        OffsetDateTime::now_utc(),
        state.max_skew,
    )
    .map_err(|refusal| {
        tracing::debug!(?refusal, "emulator: signature refused");
        Box::new(reply::error(
            StatusCode::UNAUTHORIZED,
            "APIGW.0301",
            &refusal.message(),
        ))
    })
}
