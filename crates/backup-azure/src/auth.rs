//! Credentials: any `azure_identity` [`TokenCredential`] asked for the ARM scope of the
//! client's cloud, or a static bearer token; both become a backup-core
//! [`TokenProvider`] whose tokens a [`backup_core::auth::TokenCache`] keeps.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use azure_core::credentials::{Secret, TokenCredential};
use azure_core::http::ClientOptions;
use backup_core::auth::{AccessToken, ExposeSecret, SecretString, StaticToken, TokenProvider};
use backup_core::contract::EnvVar;
use backup_core::{Error, Result};

use crate::VENDOR;
use crate::cloud::Cloud;

/// `AZURE_ACCESS_TOKEN`: a bearer token for ARM (e.g. from
/// `az account get-access-token --query accessToken -o tsv`).
pub const ENV_ACCESS_TOKEN: &str = "AZURE_ACCESS_TOKEN";
/// `AZURE_TENANT_ID`: the Entra ID tenant.
pub const ENV_TENANT_ID: &str = "AZURE_TENANT_ID";
/// `AZURE_CLIENT_ID`: the application (service principal or workload identity).
pub const ENV_CLIENT_ID: &str = "AZURE_CLIENT_ID";
/// `AZURE_CLIENT_SECRET`: the service principal's secret.
pub const ENV_CLIENT_SECRET: &str = "AZURE_CLIENT_SECRET";
/// `AZURE_FEDERATED_TOKEN_FILE`: the Kubernetes service account token of a workload
/// identity.
pub const ENV_FEDERATED_TOKEN_FILE: &str = "AZURE_FEDERATED_TOKEN_FILE";

/// The variables [`Credential::from_vars`] reads, in order of precedence.
pub const ENVIRONMENT: &[EnvVar] = &[
    EnvVar::new(
        ENV_ACCESS_TOKEN,
        "a bearer token (az account get-access-token)",
    ),
    EnvVar::new(
        ENV_TENANT_ID,
        "a service principal's tenant (with AZURE_CLIENT_ID, AZURE_CLIENT_SECRET)",
    ),
    EnvVar::new(
        ENV_CLIENT_ID,
        "a service principal's application id (with AZURE_TENANT_ID, AZURE_CLIENT_SECRET)",
    ),
    EnvVar::new(ENV_CLIENT_SECRET, "a service principal's secret"),
    EnvVar::new(
        ENV_FEDERATED_TOKEN_FILE,
        "a workload identity's token file (+ AZURE_TENANT_ID, AZURE_CLIENT_ID); \
         otherwise the developer tools' login (Azure CLI)",
    ),
];

/// How the client authenticates to ARM.
///
/// `Debug` names the kind of credential (and the tenant and client ids, which are not
/// secret), never a secret or a token.
#[derive(Clone)]
#[non_exhaustive]
pub enum Credential {
    /// Any `azure_identity` credential (`ClientSecretCredential`,
    /// `ManagedIdentityCredential`, `WorkloadIdentityCredential`,
    /// `DeveloperToolsCredential` ...), asked for the scope of the client's cloud.
    TokenCredential(Arc<dyn TokenCredential>),
    /// A bearer token given once, never refreshed.
    BearerToken(SecretString),
    /// A service principal with a secret: `ClientSecretCredential`, built for the
    /// client's cloud.
    ClientSecret {
        /// The tenant.
        tenant_id: String,
        /// The application id.
        client_id: String,
        /// The secret.
        secret: SecretString,
    },
    /// A Kubernetes workload identity: `WorkloadIdentityCredential`, built for the
    /// client's cloud.
    WorkloadIdentity {
        /// The tenant (`AZURE_TENANT_ID` when `None`).
        tenant_id: Option<String>,
        /// The application id (`AZURE_CLIENT_ID` when `None`).
        client_id: Option<String>,
        /// The federated token file.
        token_file: PathBuf,
    },
    /// The developer tools' login (Azure CLI, then Azure Developer CLI):
    /// `DeveloperToolsCredential`.
    DeveloperTools,
}

impl Credential {
    /// A static bearer token.
    pub fn bearer_token(token: impl Into<String>) -> Self {
        Self::BearerToken(SecretString::from(token.into()))
    }

    /// The credential [`BackupClientBuilder::from_env`](crate::BackupClientBuilder::from_env)
    /// picks, reading variables through `var` ([`ENVIRONMENT`]):
    /// `AZURE_ACCESS_TOKEN`; else `AZURE_TENANT_ID` + `AZURE_CLIENT_ID` +
    /// `AZURE_CLIENT_SECRET`; else a workload identity when
    /// `AZURE_FEDERATED_TOKEN_FILE` is set; else the developer tools. Empty values
    /// count as unset.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Self {
        let get = |name: &str| var(name).filter(|value| !value.trim().is_empty());
        if let Some(token) = get(ENV_ACCESS_TOKEN) {
            return Self::BearerToken(SecretString::from(token.trim().to_owned()));
        }
        if let (Some(tenant_id), Some(client_id), Some(secret)) = (
            get(ENV_TENANT_ID),
            get(ENV_CLIENT_ID),
            get(ENV_CLIENT_SECRET),
        ) {
            return Self::ClientSecret {
                tenant_id,
                client_id,
                secret: SecretString::from(secret),
            };
        }
        if let Some(token_file) = get(ENV_FEDERATED_TOKEN_FILE) {
            return Self::WorkloadIdentity {
                tenant_id: get(ENV_TENANT_ID),
                client_id: get(ENV_CLIENT_ID),
                token_file: PathBuf::from(token_file),
            };
        }
        Self::DeveloperTools
    }

    /// What kind of credential this is, for `Debug` output and messages.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::TokenCredential(_) => "token_credential",
            Self::BearerToken(_) => "bearer_token",
            Self::ClientSecret { .. } => "client_secret",
            Self::WorkloadIdentity { .. } => "workload_identity",
            Self::DeveloperTools => "developer_tools",
        }
    }

    /// The token provider for ARM in `cloud`, asking for `scope`.
    ///
    /// # Errors
    /// [`Error::Config`] when `azure_identity` refuses to build the credential.
    pub fn into_provider(self, cloud: Cloud, scope: &str) -> Result<Arc<dyn TokenProvider>> {
        let credential: Arc<dyn TokenCredential> = match self {
            Self::BearerToken(token) => return Ok(Arc::new(StaticToken::from_secret(token))),
            Self::TokenCredential(credential) => credential,
            Self::ClientSecret {
                tenant_id,
                client_id,
                secret,
            } => {
                let options = azure_identity::ClientSecretCredentialOptions {
                    client_options: client_options(cloud),
                };
                azure_identity::ClientSecretCredential::new(
                    &tenant_id,
                    client_id,
                    Secret::new(secret.expose_secret().to_owned()),
                    Some(options),
                )
                .map_err(|e| config_error("ClientSecretCredential", &e))?
            }
            Self::WorkloadIdentity {
                tenant_id,
                client_id,
                token_file,
            } => {
                let mut options = azure_identity::WorkloadIdentityCredentialOptions::default();
                options.credential_options.client_options = client_options(cloud);
                options.tenant_id = tenant_id;
                options.client_id = client_id;
                options.token_file_path = Some(token_file);
                azure_identity::WorkloadIdentityCredential::new(Some(options))
                    .map_err(|e| config_error("WorkloadIdentityCredential", &e))?
            }
            Self::DeveloperTools => {
                let credential = azure_identity::DeveloperToolsCredential::new(None)
                    .map_err(|e| config_error("DeveloperToolsCredential", &e))?;
                let mut provider = ArmTokenProvider::new(credential, scope);
                provider.last_resort = true;
                return Ok(Arc::new(provider));
            }
        };
        Ok(Arc::new(ArmTokenProvider::new(credential, scope)))
    }
}

fn client_options(cloud: Cloud) -> ClientOptions {
    ClientOptions {
        cloud: Some(Arc::new(cloud.configuration())),
        ..ClientOptions::default()
    }
}

fn config_error(what: &str, error: &azure_core::Error) -> Error {
    Error::config(VENDOR, format!("cannot build the {what}: {error}"))
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TokenCredential(credential) => {
                f.debug_tuple("TokenCredential").field(credential).finish()
            }
            Self::BearerToken(_) => f.write_str("BearerToken(<redacted>)"),
            Self::ClientSecret {
                tenant_id,
                client_id,
                ..
            } => f
                .debug_struct("ClientSecret")
                .field("tenant_id", tenant_id)
                .field("client_id", client_id)
                .field("secret", &"<redacted>")
                .finish(),
            Self::WorkloadIdentity {
                tenant_id,
                client_id,
                token_file,
            } => f
                .debug_struct("WorkloadIdentity")
                .field("tenant_id", tenant_id)
                .field("client_id", client_id)
                .field("token_file", token_file)
                .finish(),
            Self::DeveloperTools => f.write_str("DeveloperTools"),
        }
    }
}

/// A [`TokenCredential`] asked for one scope, as a backup-core [`TokenProvider`].
#[derive(Clone)]
pub struct ArmTokenProvider {
    credential: Arc<dyn TokenCredential>,
    scope: String,
    /// The developer tools, tried because no credential variable is set: their
    /// failure is a configuration error naming the variables to set.
    last_resort: bool,
}

impl ArmTokenProvider {
    /// Asks `credential` for `scope` (`https://management.azure.com/.default`).
    pub fn new(credential: Arc<dyn TokenCredential>, scope: impl Into<String>) -> Self {
        Self {
            credential,
            scope: scope.into(),
            last_resort: false,
        }
    }

    /// The scope asked for.
    #[must_use]
    pub fn scope(&self) -> &str {
        &self.scope
    }
}

impl fmt::Debug for ArmTokenProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArmTokenProvider")
            .field("credential", &self.credential)
            .field("scope", &self.scope)
            .finish()
    }
}

#[async_trait]
impl TokenProvider for ArmTokenProvider {
    async fn fetch_token(&self) -> Result<AccessToken> {
        let token = self
            .credential
            .get_token(&[self.scope.as_str()], None)
            .await
            .map_err(|e| {
                if self.last_resort {
                    return Error::config(
                        VENDOR,
                        format!(
                            "no credential: none of {ENV_ACCESS_TOKEN}, {ENV_TENANT_ID} + \
                             {ENV_CLIENT_ID} + {ENV_CLIENT_SECRET} or \
                             {ENV_FEDERATED_TOKEN_FILE} is set, and the developer tools \
                             (Azure CLI) gave no token for {}: {e}; set them, or run `az login`",
                            self.scope
                        ),
                    );
                }
                Error::auth(
                    VENDOR,
                    format!(
                        "could not get a token for {}: {e}; check AZURE_ACCESS_TOKEN, or \
                         AZURE_TENANT_ID / AZURE_CLIENT_ID / AZURE_CLIENT_SECRET, or `az login`",
                        self.scope
                    ),
                )
            })?;
        Ok(AccessToken::new(
            token.token.secret().to_owned(),
            Some(token.expires_on),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn env_order_is_token_then_secret_then_workload_then_developer_tools() {
        let all = [
            (ENV_ACCESS_TOKEN, "tok"),
            (ENV_TENANT_ID, "t"),
            (ENV_CLIENT_ID, "c"),
            (ENV_CLIENT_SECRET, "s"),
            (ENV_FEDERATED_TOKEN_FILE, "/f"),
        ];
        assert_eq!(Credential::from_vars(vars(&all)).kind(), "bearer_token");
        assert_eq!(
            Credential::from_vars(vars(&all[1..])).kind(),
            "client_secret"
        );
        let workload = Credential::from_vars(vars(&[
            (ENV_TENANT_ID, "t"),
            (ENV_CLIENT_ID, "c"),
            (ENV_FEDERATED_TOKEN_FILE, "/f"),
        ]));
        assert!(matches!(
            workload,
            Credential::WorkloadIdentity { ref token_file, .. } if token_file == &PathBuf::from("/f")
        ));
        assert_eq!(
            Credential::from_vars(vars(&[(ENV_ACCESS_TOKEN, " "), (ENV_TENANT_ID, "t")])).kind(),
            "developer_tools"
        );
    }

    #[test]
    fn environment_lists_what_from_vars_reads_in_order() {
        let names: Vec<&str> = ENVIRONMENT.iter().map(|var| var.name).collect();
        assert_eq!(
            names,
            [
                ENV_ACCESS_TOKEN,
                ENV_TENANT_ID,
                ENV_CLIENT_ID,
                ENV_CLIENT_SECRET,
                ENV_FEDERATED_TOKEN_FILE
            ]
        );
        assert!(ENVIRONMENT.iter().all(|var| !var.meaning.is_empty()));
        // Every variable read is listed.
        let read = std::sync::Mutex::new(Vec::new());
        let _ = Credential::from_vars(|name: &str| {
            read.lock().unwrap().push(name.to_owned());
            None
        });
        for name in read.into_inner().unwrap() {
            assert!(names.contains(&name.as_str()), "{name} is not listed");
        }
    }

    #[test]
    fn debug_hides_secrets() {
        let secret = Credential::from_vars(vars(&[
            (ENV_TENANT_ID, "tenant"),
            (ENV_CLIENT_ID, "client"),
            (ENV_CLIENT_SECRET, "SENTINEL-SECRET"),
        ]));
        let text = format!("{secret:?}");
        assert!(
            text.contains("tenant") && !text.contains("SENTINEL"),
            "{text}"
        );
        let token = format!("{:?}", Credential::bearer_token("SENTINEL-TOKEN"));
        assert!(!token.contains("SENTINEL"), "{token}");
    }
}
