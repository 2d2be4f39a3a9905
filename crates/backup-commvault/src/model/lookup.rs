//! `GET Client`: the clients of the CommServe (`clientProperties[].client.clientEntity`),
//! to find a client's id by its name (the job list wants `clientId`).

use serde::{Deserialize, Serialize};

use backup_core::lenient;

/// The answer to `GET Client`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ClientList {
    /// `clientProperties`.
    #[serde(default)]
    pub client_properties: Vec<ClientProperties>,
}

/// One `clientProperties` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ClientProperties {
    /// `client`.
    #[serde(default)]
    pub client: ClientInfo,
}

/// `client`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ClientInfo {
    /// `clientEntity`.
    #[serde(default)]
    pub client_entity: ClientEntity,
}

/// `clientEntity`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ClientEntity {
    /// `clientId`.
    #[serde(
        default,
        deserialize_with = "lenient::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub client_id: Option<String>,
    /// `clientName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
    /// `hostName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_name: Option<String>,
    /// `displayName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

impl ClientList {
    /// The id of the client named `name` (its `clientName`, else its `displayName`, in
    /// any case).
    #[must_use]
    pub fn id_of(&self, name: &str) -> Option<String> {
        let entities = || {
            self.client_properties
                .iter()
                .map(|p| &p.client.client_entity)
        };
        let named = |field: fn(&ClientEntity) -> Option<&String>| {
            entities().find(|e| field(e).is_some_and(|n| n.trim().eq_ignore_ascii_case(name)))
        };
        named(|e| e.client_name.as_ref())
            .or_else(|| named(|e| e.display_name.as_ref()))
            .and_then(|e| e.client_id.clone())
            .filter(|id| !id.trim().is_empty())
    }
}
