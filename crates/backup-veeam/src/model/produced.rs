//! What a session made: the Azure resources it protected and the restore points it
//! created, as the v8.1 spec describes them (`ProtectedItem`, `PageOfProtectedItem`,
//! `PageOfVirtualMachineRestorePoint`). Every field is optional and unknown fields are
//! ignored; the v1 document's protected item (`item` instead of `resource`) is read
//! too.

use serde::{Deserialize, Deserializer, Serialize};

use super::session::null_list;

/// An Azure resource (the v8.1 spec's `AzureResource`; v1: `VirtualMachine`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AzureResource {
    /// The appliance's id of the resource.
    #[serde(default, deserialize_with = "backup_core::lenient::opt_text")]
    pub id: Option<String>,
    /// Its name.
    pub name: Option<String>,
    /// Its Azure name.
    pub display_name: Option<String>,
    /// Its resource group.
    pub resource_group_name: Option<String>,
    /// Its type (`VirtualMachine` ...), as sent.
    #[serde(default, deserialize_with = "backup_core::lenient::opt_text")]
    pub resource_type: Option<String>,
    /// Its region's name.
    pub region_name: Option<String>,
}

/// The data statistics of one run (the v8.1 spec's `Rates`), in bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rates {
    /// "Total size of all protected items."
    #[serde(default, deserialize_with = "backup_core::lenient::opt_i64")]
    pub total_data_bytes: Option<i64>,
    /// Data read.
    #[serde(default, deserialize_with = "backup_core::lenient::opt_i64")]
    pub read_data_bytes: Option<i64>,
    /// Data processed.
    #[serde(default, deserialize_with = "backup_core::lenient::opt_i64")]
    pub processed_data_bytes: Option<i64>,
    /// Data transferred.
    #[serde(default, deserialize_with = "backup_core::lenient::opt_i64")]
    pub transferred_data_bytes: Option<i64>,
    /// Processing rate, bytes per second.
    #[serde(default, deserialize_with = "backup_core::lenient::opt_i64")]
    pub processing_rate_bytes_per_second: Option<i64>,
}

/// One session's run over a protected resource (the v8.1 spec's `ProtectedProgress`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProtectedRun {
    /// The session of the run.
    #[serde(default, deserialize_with = "backup_core::lenient::opt_text")]
    pub job_session_id: Option<String>,
    /// Its status (a `JobStatus` word).
    #[serde(default, deserialize_with = "backup_core::lenient::opt_text")]
    pub status: Option<String>,
    /// When it started, as sent.
    pub start_time: Option<String>,
    /// When it ended, as sent.
    pub end_time: Option<String>,
    /// Its data statistics.
    pub rates: Option<Rates>,
}

/// A resource protected by a backup session
/// (`GET /api/{v}/jobSessions/{id}/protectedItems`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProtectedItem {
    /// The resource (v1: `item`).
    #[serde(alias = "item")]
    pub resource: Option<AzureResource>,
    /// The runs over it.
    #[serde(default, deserialize_with = "null_list")]
    pub runs: Vec<ProtectedRun>,
    /// Successful backups of it.
    #[serde(default, deserialize_with = "backup_core::lenient::opt_i64")]
    pub success_count: Option<i64>,
    /// Failed backup attempts.
    #[serde(default, deserialize_with = "backup_core::lenient::opt_i64")]
    pub failure_count: Option<i64>,
}

impl ProtectedItem {
    /// The run of session `session_id`, if the item lists one.
    #[must_use]
    pub fn run_of(&self, session_id: &str) -> Option<&ProtectedRun> {
        self.runs
            .iter()
            .find(|run| run.job_session_id.as_deref() == Some(session_id))
    }
}

/// A restore point of an Azure VM (`GET /api/{v}/restorePoints/virtualMachines`: the
/// v8.1 spec's `VirtualMachineRestorePoint`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RestorePoint {
    /// Its id.
    #[serde(default, deserialize_with = "backup_core::lenient::opt_text")]
    pub id: Option<String>,
    /// `Full`, `Incremental` ..., as sent.
    #[serde(
        rename = "type",
        default,
        deserialize_with = "backup_core::lenient::opt_text"
    )]
    pub point_type: Option<String>,
    /// When it was created, as sent.
    pub point_in_time: Option<String>,
    /// "Size of the restore point file (in bytes)."
    #[serde(default, deserialize_with = "backup_core::lenient::opt_i64")]
    pub backup_size_bytes: Option<i64>,
    /// The VM's name.
    pub vm_name: Option<String>,
    /// `Snapshot`, `AzureBlob` ..., as sent.
    #[serde(default, deserialize_with = "backup_core::lenient::opt_text")]
    pub backup_destination: Option<String>,
    /// The session that created it.
    #[serde(default, deserialize_with = "backup_core::lenient::opt_text")]
    pub job_session_id: Option<String>,
}

/// A list of `T`: a page `{offset, limit, totalCount, results, _links}` as the v8.1
/// spec's `PageOf...` schemas give them (sessions, protected items, restore points),
/// or a bare array (accepted too).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Listing<T> {
    /// How many items the appliance has for the query, when it says.
    pub total_count: Option<i64>,
    /// The items of this page.
    pub results: Vec<T>,
}

impl<T> Default for Listing<T> {
    fn default() -> Self {
        Self {
            total_count: None,
            results: Vec::new(),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Listing<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        #[serde(bound = "T: Deserialize<'de>")]
        struct Page<T> {
            #[serde(default, deserialize_with = "backup_core::lenient::opt_i64")]
            total_count: Option<i64>,
            #[serde(default, deserialize_with = "null_list")]
            results: Vec<T>,
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        #[serde(bound = "T: Deserialize<'de>")]
        enum Shape<T> {
            Items(Vec<T>),
            Page(Page<T>),
        }
        Ok(match Shape::deserialize(deserializer)? {
            Shape::Items(results) => Self {
                total_count: None,
                results,
            },
            Shape::Page(page) => Self {
                total_count: page.total_count,
                results: page.results,
            },
        })
    }
}
