//! IAM token auth: `POST {iam}/v3/auth/tokens` with a password identity scoped to the
//! project; the token comes back in the `X-Subject-Token` header, lives 24 hours
//! (`token.expires_at` in the body) and is sent as `X-Auth-Token`.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use backup_core::auth::{AccessToken, ExposeSecret, NoAuth, SecretString, TokenProvider};
use backup_core::{Error, Request, Result, Transport, timefmt};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use url::Url;

use crate::VENDOR;

/// The header IAM returns the token in.
pub const X_SUBJECT_TOKEN: &str = "x-subject-token";
/// The header a token is sent in.
pub const X_AUTH_TOKEN: &str = "x-auth-token";
/// How long IAM tokens live when the answer does not say.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// An IAM user's password credentials: user name, password and the account (domain)
/// the user belongs to. The token is scoped to the client's project.
#[derive(Clone)]
pub struct IamPassword {
    user_name: String,
    password: SecretString,
    domain_name: String,
}

impl IamPassword {
    /// A user `user_name` of account `domain_name`.
    pub fn new(
        user_name: impl Into<String>,
        password: impl Into<String>,
        domain_name: impl Into<String>,
    ) -> Self {
        Self {
            user_name: user_name.into(),
            password: SecretString::from(password.into()),
            domain_name: domain_name.into(),
        }
    }

    /// The user name.
    #[must_use]
    pub fn user_name(&self) -> &str {
        &self.user_name
    }

    /// The account (domain) name.
    #[must_use]
    pub fn domain_name(&self) -> &str {
        &self.domain_name
    }

    /// Checks that nothing is empty.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the empty field.
    pub fn validate(&self) -> Result<()> {
        for (field, value) in [
            ("user_name", self.user_name.as_str()),
            ("password", self.password.expose_secret()),
            ("domain_name", self.domain_name.as_str()),
        ] {
            if value.trim().is_empty() {
                return Err(Error::invalid_input(VENDOR, field, "must not be empty"));
            }
        }
        Ok(())
    }

    /// The body of the token request, scoped to `project_id`.
    #[must_use]
    pub fn token_request(&self, project_id: &str) -> TokenRequest {
        TokenRequest {
            auth: TokenAuthBody {
                identity: Identity {
                    methods: vec!["password".to_owned()],
                    password: PasswordIdentity {
                        user: User {
                            name: self.user_name.clone(),
                            password: self.password.clone(),
                            domain: Domain {
                                name: self.domain_name.clone(),
                            },
                        },
                    },
                },
                scope: Scope {
                    project: ProjectScope {
                        id: project_id.to_owned(),
                    },
                },
            },
        }
    }
}

impl fmt::Debug for IamPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IamPassword")
            .field("user_name", &self.user_name)
            .field("password", &"<redacted>")
            .field("domain_name", &self.domain_name)
            .finish()
    }
}

/// `{"auth": {"identity": …, "scope": …}}`: the body of `POST /v3/auth/tokens`.
#[derive(Debug, Clone, Serialize)]
pub struct TokenRequest {
    /// The authentication.
    pub auth: TokenAuthBody,
}

/// `auth`: who and for which scope.
#[derive(Debug, Clone, Serialize)]
pub struct TokenAuthBody {
    /// The identity.
    pub identity: Identity,
    /// The scope of the token.
    pub scope: Scope,
}

/// `identity`: `methods: ["password"]` and the password identity.
#[derive(Debug, Clone, Serialize)]
pub struct Identity {
    /// The methods (`password`).
    pub methods: Vec<String>,
    /// The password identity.
    pub password: PasswordIdentity,
}

/// `password`: the user.
#[derive(Debug, Clone, Serialize)]
pub struct PasswordIdentity {
    /// The user.
    pub user: User,
}

/// `user`: name, password and domain.
#[derive(Clone, Serialize)]
pub struct User {
    /// The IAM user name.
    pub name: String,
    /// The password (serialised only into the request body).
    #[serde(serialize_with = "expose")]
    pub password: SecretString,
    /// The account the user belongs to.
    pub domain: Domain,
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("name", &self.name)
            .field("password", &"<redacted>")
            .field("domain", &self.domain)
            .finish()
    }
}

fn expose<S: serde::Serializer>(secret: &SecretString, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(secret.expose_secret())
}

/// `domain`: the account name.
#[derive(Debug, Clone, Serialize)]
pub struct Domain {
    /// The account name.
    pub name: String,
}

/// `scope`: the project.
#[derive(Debug, Clone, Serialize)]
pub struct Scope {
    /// The project.
    pub project: ProjectScope,
}

/// `project`: its id.
#[derive(Debug, Clone, Serialize)]
pub struct ProjectScope {
    /// The project id.
    pub id: String,
}

/// The body IAM answers a token request with (only what is used).
#[derive(Debug, Clone, Deserialize)]
pub struct TokenResponse {
    /// The token's description.
    pub token: TokenBody,
}

/// `token`: when it expires and was issued.
#[derive(Debug, Clone, Deserialize)]
pub struct TokenBody {
    /// `2020-01-05T09:05:22.701000Z`.
    #[serde(default)]
    pub expires_at: Option<String>,
    /// When it was issued.
    #[serde(default)]
    pub issued_at: Option<String>,
    /// The methods used (`password`).
    #[serde(default)]
    pub methods: Vec<String>,
}

/// Fetches IAM tokens with a password identity (a [`TokenProvider`]).
pub struct IamTokenProvider {
    transport: Transport,
    url: Url,
    credential: IamPassword,
    project_id: String,
}

impl IamTokenProvider {
    /// A provider asking `iam_endpoint` (`https://iam.{region}.myhuaweicloud.com/`)
    /// for tokens of `credential` scoped to `project_id`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the endpoint cannot carry a path.
    pub fn new(
        transport: Transport,
        iam_endpoint: &Url,
        credential: IamPassword,
        project_id: impl Into<String>,
    ) -> Result<Self> {
        let url =
            backup_core::path::join_segments(VENDOR, iam_endpoint, &["v3", "auth", "tokens"])?;
        Ok(Self {
            transport,
            url,
            credential,
            project_id: project_id.into(),
        })
    }

    /// The token URL.
    #[must_use]
    pub fn url(&self) -> &Url {
        &self.url
    }
}

impl fmt::Debug for IamTokenProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IamTokenProvider")
            .field("url", &self.url.as_str())
            .field("credential", &self.credential)
            .field("project_id", &self.project_id)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl TokenProvider for IamTokenProvider {
    async fn fetch_token(&self) -> Result<AccessToken> {
        let body = self.credential.token_request(&self.project_id);
        let request = Request::post(VENDOR, self.url.clone())
            .action("get an IAM token")
            .idempotency(backup_core::Idempotency::Safe)
            .redacting(&self.credential.password)
            .json(&body)?;
        let response = self.transport.send(request, &NoAuth).await?;
        let token = response
            .header(X_SUBJECT_TOKEN)
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| Error::Auth {
                code: None,
                vendor: VENDOR,
                status: Some(response.status.as_u16()),
                message: "IAM answered without an X-Subject-Token header".to_owned(),
                request_id: response.request_id.clone(),
            })?
            .to_owned();
        let expires_at = response
            .json::<TokenResponse>()
            .ok()
            .and_then(|body| body.token.expires_at)
            .and_then(|text| timefmt::parse_timestamp(&text))
            .or_else(|| OffsetDateTime::now_utc().checked_add(time::Duration::seconds(86_400)));
        Ok(AccessToken::new(token, expires_at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_request_has_password_identity_and_project_scope() {
        let body = IamPassword::new("alice", "pw-SECRET", "acme").token_request("proj");
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"auth": {
                "identity": {"methods": ["password"], "password": {"user": {
                    "name": "alice", "password": "pw-SECRET", "domain": {"name": "acme"}}}},
                "scope": {"project": {"id": "proj"}}
            }})
        );
        assert!(!format!("{body:?}").contains("pw-SECRET"));
    }

    #[test]
    fn validate_names_the_field() {
        let err = IamPassword::new("a", "", "d").validate().unwrap_err();
        assert!(err.to_string().contains("password"));
        let err = IamPassword::new("a", "p", " ").validate().unwrap_err();
        assert!(err.to_string().contains("domain_name"));
    }
}
