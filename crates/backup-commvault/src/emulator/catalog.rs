//! The entities of the emulated CommServe with the ids Commvault gives them: clients,
//! agents (applications), instances, backup sets and subclients, as the lookups
//! (`GET Client`, `Agent`, `Instance`, `Backupset`, `Subclient`) and the job summaries
//! show them.

use super::EmulatedSubclient;

/// The application id of an agent: `File System` is 33 (cvpysdk's
/// `AppIDAType.WINDOWS_FILE_SYSTEM`), `Cloud Apps` 134; any other agent gets an id from
/// 1000 on.
fn application_id(app_name: &str, others: &mut Vec<String>) -> u64 {
    match app_name.to_ascii_lowercase().as_str() {
        "file system" => 33,
        "cloud apps" => 134,
        _ => {
            let index = others
                .iter()
                .position(|known| known.eq_ignore_ascii_case(app_name))
                .unwrap_or_else(|| {
                    others.push(app_name.to_owned());
                    others.len() - 1
                });
            1000 + index as u64
        }
    }
}

/// A client of the CommServe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ClientEntry {
    pub id: u64,
    pub name: String,
}

/// A subclient with every id of its path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SubclientEntry {
    pub subclient: EmulatedSubclient,
    pub client_id: u64,
    pub application_id: u64,
    /// 1 for `DefaultInstanceName` (as Commvault numbers the default instance).
    pub instance_id: u64,
    pub backupset_id: u64,
    pub subclient_id: u64,
}

impl SubclientEntry {
    /// `subClientEntity` / a job's `subclient`: every name and id.
    pub(crate) fn entity(&self) -> serde_json::Value {
        let s = &self.subclient;
        serde_json::json!({
            "clientName": s.client_name,
            "clientId": self.client_id,
            "instanceName": s.instance_name,
            "instanceId": self.instance_id,
            "backupsetName": s.backupset_name,
            "backupsetId": self.backupset_id,
            "subclientName": s.subclient_name,
            "subclientId": self.subclient_id,
            "appName": s.app_name,
            "applicationId": self.application_id,
            "displayName": s.subclient_name,
            "_type_": 7,
        })
    }
}

/// Every entity of the CommServe, numbered once at start.
#[derive(Debug, Clone, Default)]
pub(crate) struct Catalog {
    pub clients: Vec<ClientEntry>,
    pub subclients: Vec<SubclientEntry>,
}

impl Catalog {
    /// Numbers the entities of `subclients`: clients from 2 on (in order of first
    /// appearance), backup sets from 10 on, other instances from 2 on, subclients from
    /// 20 on.
    pub(crate) fn new(subclients: &[EmulatedSubclient]) -> Self {
        let mut catalog = Self::default();
        let mut apps = Vec::new();
        let mut instances: Vec<(u64, u64, String)> = Vec::new();
        let mut backupsets: Vec<(u64, u64, u64, String)> = Vec::new();
        for subclient in subclients {
            let client_id = match catalog
                .clients
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case(&subclient.client_name))
            {
                Some(client) => client.id,
                None => {
                    let id = 2 + catalog.clients.len() as u64;
                    catalog.clients.push(ClientEntry {
                        id,
                        name: subclient.client_name.clone(),
                    });
                    id
                }
            };
            let application_id = application_id(&subclient.app_name, &mut apps);
            let instance_id = if subclient
                .instance_name
                .eq_ignore_ascii_case("DefaultInstanceName")
            {
                1
            } else {
                let key = (
                    client_id,
                    application_id,
                    subclient.instance_name.to_lowercase(),
                );
                match instances.iter().position(|known| *known == key) {
                    Some(index) => 2 + index as u64,
                    None => {
                        instances.push(key);
                        1 + instances.len() as u64
                    }
                }
            };
            let key = (
                client_id,
                application_id,
                instance_id,
                subclient.backupset_name.to_lowercase(),
            );
            let backupset_id = match backupsets.iter().position(|known| *known == key) {
                Some(index) => 10 + index as u64,
                None => {
                    backupsets.push(key);
                    9 + backupsets.len() as u64
                }
            };
            let subclient_id = 20 + catalog.subclients.len() as u64;
            catalog.subclients.push(SubclientEntry {
                subclient: subclient.clone(),
                client_id,
                application_id,
                instance_id,
                backupset_id,
                subclient_id,
            });
        }
        catalog
    }

    /// The client with id `id`.
    pub(crate) fn client(&self, id: u64) -> Option<&ClientEntry> {
        self.clients.iter().find(|c| c.id == id)
    }

    /// The subclient with id `id`.
    pub(crate) fn subclient(&self, id: u64) -> Option<&SubclientEntry> {
        self.subclients.iter().find(|s| s.subclient_id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_shared_along_the_path() {
        let demo = EmulatedSubclient::demo();
        let fs = EmulatedSubclient::new("fs", "default");
        let mut fs2 = EmulatedSubclient::new("fs", "logs");
        fs2.app_name = "Oracle".to_owned();
        let fs3 = EmulatedSubclient::new("fs", "other");
        let catalog = Catalog::new(&[demo, fs, fs2, fs3]);
        let ids: Vec<_> = catalog
            .subclients
            .iter()
            .map(|s| {
                (
                    s.client_id,
                    s.application_id,
                    s.instance_id,
                    s.backupset_id,
                    s.subclient_id,
                )
            })
            .collect();
        assert_eq!(
            ids,
            [
                (2, 134, 2, 10, 20),
                (3, 33, 1, 11, 21),
                (3, 1000, 1, 12, 22),
                (3, 33, 1, 11, 23)
            ]
        );
        assert_eq!(catalog.client(2).unwrap().name, "s-adhoc-object-storage");
        assert!(catalog.subclient(99).is_none());
    }
}
