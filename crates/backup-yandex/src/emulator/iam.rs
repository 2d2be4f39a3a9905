//! `POST /iam/v1/tokens` (OAuth token or JWT) and the VM metadata token.

use axum::body::Bytes;
use axum::extract::State as Extract;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;

use crate::auth::{JWT_AUDIENCE, JWT_LIFETIME_SECS, JwtClaims};
use crate::model::GrpcCode;

use super::answer::{Refusal, error, json_answer};
use super::state::{State, rfc3339};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TokenRequest {
    #[serde(default)]
    yandex_passport_oauth_token: Option<String>,
    #[serde(default)]
    jwt: Option<String>,
}

/// How far in the future `iat` may lie (clock skew).
const SKEW_SECS: i64 = 60;

pub(crate) async fn tokens(Extract(state): Extract<State>, body: Bytes) -> Response {
    let Ok(request) = serde_json::from_slice::<TokenRequest>(&body) else {
        return error(GrpcCode::InvalidArgument, "Request body is not valid JSON");
    };
    let checked = match (request.yandex_passport_oauth_token, request.jwt) {
        (Some(oauth), None) => {
            if state.0.oauth_tokens.contains(&oauth) {
                Ok(())
            } else {
                Err(Refusal::new(
                    GrpcCode::Unauthenticated,
                    "The OAuth token is invalid",
                ))
            }
        }
        (None, Some(jwt)) => verify_jwt(&state, &jwt),
        _ => Err(Refusal::new(
            GrpcCode::InvalidArgument,
            "Exactly one of yandexPassportOauthToken and jwt must be set",
        )),
    };
    if let Err(refusal) = checked {
        return refusal.answer();
    }
    let token = state.0.tokens.issue(state.0.token_ttl);
    state.0.shared.token_requests().increment();
    let expires_at = OffsetDateTime::now_utc()
        + time::Duration::try_from(state.0.token_ttl).unwrap_or(time::Duration::HOUR);
    json_answer(
        StatusCode::OK,
        &json!({ "iamToken": token, "expiresAt": rfc3339(expires_at) }),
    )
}

/// Verifies a JWT as IAM does: PS256, a known `kid`, the signature against that key's
/// public key, `iss` = the key's service account, `aud`, and an `exp` window of at
/// most an hour after `iat`.
fn verify_jwt(state: &State, jwt: &str) -> Result<(), Refusal> {
    let invalid =
        |why: &str| Refusal::new(GrpcCode::Unauthenticated, format!("Invalid JWT: {why}"));
    let header = jsonwebtoken::decode_header(jwt)
        .map_err(|_| Refusal::new(GrpcCode::InvalidArgument, "JWT is malformed"))?;
    if header.alg != Algorithm::PS256 {
        return Err(invalid("the algorithm must be PS256"));
    }
    let kid = header.kid.ok_or_else(|| invalid("the header has no kid"))?;
    let key = state
        .0
        .keys
        .get(&kid)
        .ok_or_else(|| invalid("unknown key id"))?;
    let decoding = DecodingKey::from_rsa_pem(key.public_key_pem.as_bytes())
        .map_err(|_| Refusal::new(GrpcCode::Internal, "the registered public key is unusable"))?;
    let mut validation = Validation::new(Algorithm::PS256);
    validation.set_audience(&[JWT_AUDIENCE]);
    validation.set_issuer(&[key.service_account_id.as_str()]);
    validation.set_required_spec_claims(&["exp", "aud", "iss"]);
    validation.leeway = 0;
    let claims = jsonwebtoken::decode::<JwtClaims>(jwt, &decoding, &validation)
        .map_err(|e| invalid(&e.to_string()))?
        .claims;
    let now = OffsetDateTime::now_utc().unix_timestamp();
    if claims.iat > now + SKEW_SECS {
        return Err(invalid("iat is in the future"));
    }
    if claims.exp.saturating_sub(claims.iat) > JWT_LIFETIME_SECS {
        return Err(invalid("exp must be at most one hour after iat"));
    }
    Ok(())
}

/// `GET /computeMetadata/v1/instance/service-accounts/default/token`.
pub(crate) async fn metadata_token(Extract(state): Extract<State>, headers: HeaderMap) -> Response {
    let flavor = headers.get("metadata-flavor").and_then(|v| v.to_str().ok());
    if flavor != Some("Google") {
        return (
            StatusCode::FORBIDDEN,
            "Missing required header: Metadata-Flavor: Google",
        )
            .into_response();
    }
    let token = state.0.tokens.issue(state.0.token_ttl);
    state.0.shared.token_requests().increment();
    json_answer(
        StatusCode::OK,
        &json!({
            "access_token": token,
            "expires_in": state.0.token_ttl.as_secs(),
            "token_type": "Bearer",
        }),
    )
}
