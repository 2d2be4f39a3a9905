//! The IAM token endpoint: `POST /v3/auth/tokens` with a password identity and a
//! project scope; the token goes back in `X-Subject-Token`, its end in
//! `token.expires_at`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use backup_core::emulator::random_hex;
use http::{HeaderValue, StatusCode};
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::reply;
use super::state::EmuState;

fn text<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    value.pointer(pointer).and_then(Value::as_str)
}

fn rfc3339_micros(at: OffsetDateTime) -> String {
    format!("{}Z", reply::naive(at))
}

/// `POST /v3/auth/tokens`.
pub(crate) async fn issue_token(State(state): State<Arc<EmuState>>, body: Bytes) -> Response {
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return reply::iam_error(StatusCode::BAD_REQUEST, "The request body is not JSON.");
    };
    let methods_ok = request
        .pointer("/auth/identity/methods")
        .and_then(Value::as_array)
        .is_some_and(|m| m.iter().any(|v| v == "password"));
    if !methods_ok {
        return reply::iam_error(
            StatusCode::BAD_REQUEST,
            "auth.identity.methods must contain password.",
        );
    }
    let (user, password, domain) = &state.user;
    let user_ok = text(&request, "/auth/identity/password/user/name") == Some(user.as_str())
        && text(&request, "/auth/identity/password/user/password") == Some(password.as_str())
        && text(&request, "/auth/identity/password/user/domain/name") == Some(domain.as_str());
    if !user_ok {
        return reply::iam_error(
            StatusCode::UNAUTHORIZED,
            "The username or password is wrong.",
        );
    }
    let project_ok = text(&request, "/auth/scope/project/id") == Some(state.project_id.as_str())
        || text(&request, "/auth/scope/project/name") == Some(state.project_name.as_str());
    if !project_ok {
        return reply::iam_error(
            StatusCode::BAD_REQUEST,
            "The project in auth.scope does not exist or the user cannot access it.",
        );
    }
    let token = state.tokens.issue(state.token_ttl);
    state.shared.token_requests().increment();
    let now = OffsetDateTime::now_utc();
    let expires = now
        .checked_add(time::Duration::try_from(state.token_ttl).unwrap_or(time::Duration::DAY))
        .unwrap_or(now);
    let mut response = reply::json(
        StatusCode::CREATED,
        &json!({"token": {
            "expires_at": rfc3339_micros(expires),
            "issued_at": rfc3339_micros(now),
            "methods": ["password"],
            "catalog": [],
            "roles": [{"name": "op_service", "id": random_hex(32)}],
            "project": {
                "id": state.project_id,
                "name": state.project_name,
                "domain": {"id": random_hex(32), "name": domain},
            },
            "user": {
                "id": random_hex(32),
                "name": user,
                "domain": {"id": random_hex(32), "name": domain},
                "password_expires_at": "",
            },
        }}),
    );
    if let Ok(value) = HeaderValue::from_str(&token) {
        response.headers_mut().insert("x-subject-token", value);
    }
    response
}
