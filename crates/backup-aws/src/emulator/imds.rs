//! The EC2 instance metadata service (IMDSv2), as far as credentials and the Region
//! go: `PUT /latest/api/token`, then with `X-aws-ec2-metadata-token`
//! `GET /latest/meta-data/iam/security-credentials/` (the role's name),
//! `GET /latest/meta-data/iam/security-credentials/{role}` (temporary credentials) and
//! `GET /latest/meta-data/placement/region`.

use std::time::Duration;

use axum::extract::{Path, State as Extract};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::json;
use time::OffsetDateTime;

use super::answer::answer;
use super::state::State;

/// The header that asks for a token's lifetime, in seconds (1-21600).
const TTL_HEADER: &str = "x-aws-ec2-metadata-token-ttl-seconds";
/// The header that carries the token.
const TOKEN_HEADER: &str = "x-aws-ec2-metadata-token";

fn text(status: StatusCode, body: impl Into<String>) -> Response {
    answer(status, "text/plain", body.into())
}

/// `PUT /latest/api/token`.
pub(crate) async fn token(Extract(state): Extract<State>, headers: HeaderMap) -> Response {
    let ttl = headers
        .get(TTL_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|ttl| (1..=21_600).contains(ttl));
    let Some(ttl) = ttl else {
        return text(StatusCode::BAD_REQUEST, "");
    };
    let token = state.0.imds_tokens.issue(Duration::from_secs(ttl));
    let mut response = text(StatusCode::OK, token);
    response
        .headers_mut()
        .insert(TTL_HEADER, HeaderValue::from(ttl));
    response
}

fn authorized(state: &State, headers: &HeaderMap) -> bool {
    headers
        .get(TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|token| state.0.imds_tokens.check(token).is_valid())
}

/// `GET /latest/meta-data/iam/security-credentials/`.
pub(crate) async fn role(Extract(state): Extract<State>, headers: HeaderMap) -> Response {
    if !authorized(&state, &headers) {
        return text(StatusCode::UNAUTHORIZED, "");
    }
    text(StatusCode::OK, state.0.role_name.clone())
}

/// `GET /latest/meta-data/iam/security-credentials/{role}`.
pub(crate) async fn credentials(
    Extract(state): Extract<State>,
    Path(role): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !authorized(&state, &headers) {
        return text(StatusCode::UNAUTHORIZED, "");
    }
    if role != state.0.role_name {
        return text(StatusCode::NOT_FOUND, "");
    }
    let session = state.instance_session();
    let format = |at: OffsetDateTime| {
        backup_core::timefmt::format_rfc3339(at.replace_nanosecond(0).unwrap_or(at))
    };
    let body = json!({
        "Code": "Success",
        "LastUpdated": format(OffsetDateTime::now_utc()),
        "Type": "AWS-HMAC",
        "AccessKeyId": session.access_key_id,
        "SecretAccessKey": session.secret,
        "Token": session.token,
        "Expiration": format(session.expires_at),
    });
    answer(StatusCode::OK, "text/plain", body.to_string())
}

/// `GET /latest/meta-data/placement/region`.
pub(crate) async fn region(Extract(state): Extract<State>, headers: HeaderMap) -> Response {
    if !authorized(&state, &headers) {
        return text(StatusCode::UNAUTHORIZED, "");
    }
    text(StatusCode::OK, state.0.region.clone())
}
