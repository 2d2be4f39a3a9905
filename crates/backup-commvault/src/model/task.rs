//! `POST CreateTask`: the `TMMsg_CreateTaskReq` of *Run Backup Job*, as typed structs.
//!
//! [`TriggerRequest`] says what to back up; [`TriggerRequest::to_task`] turns it into the
//! document's [`CreateTaskReq`] with the document's defaults for every other option,
//! which [`CreateTaskReq::to_xml`] (quick-xml, every name escaped) or
//! [`CreateTaskReq::to_json`] serialises. No string templates: names holding `<`, `&`,
//! quotes or non-ASCII text go through the XML writer's escaping.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::VENDOR;
use backup_core::{Error, Result};

/// The `backupLevel` of a backup job.
///
/// On the wire (and in its serde form) it is `FULL`, `INCREMENTAL` ...; in
/// [`TriggerParams`](crate::TriggerParams) (plans, `backupctl --level`) it is written
/// `full`, `incremental`, `differential`, `synthetic-full` ([`BackupLevel::param_name`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum BackupLevel {
    /// `FULL`.
    Full,
    /// `INCREMENTAL` (the document's sample and the default).
    #[default]
    Incremental,
    /// `DIFFERENTIAL`.
    Differential,
    /// `SYNTHETIC_FULL`.
    SyntheticFull,
}

impl BackupLevel {
    /// The value sent (`FULL`, `INCREMENTAL`, `DIFFERENTIAL`, `SYNTHETIC_FULL`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Full => "FULL",
            Self::Incremental => "INCREMENTAL",
            Self::Differential => "DIFFERENTIAL",
            Self::SyntheticFull => "SYNTHETIC_FULL",
        }
    }

    /// Every level, in the documents' order.
    pub const ALL: [BackupLevel; 4] = [
        Self::Full,
        Self::Incremental,
        Self::Differential,
        Self::SyntheticFull,
    ];

    /// The name plans and command lines use (`full`, `incremental`, `differential`,
    /// `synthetic-full`).
    #[must_use]
    pub fn param_name(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Incremental => "incremental",
            Self::Differential => "differential",
            Self::SyntheticFull => "synthetic-full",
        }
    }

    /// The level a plan or command line names ([`BackupLevel::param_name`]); `None`
    /// for anything else.
    #[must_use]
    pub fn from_param_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|level| level.param_name() == name)
    }
}

impl fmt::Display for BackupLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What to back up: the subclient (content group) and how.
///
/// ```
/// use backup_commvault::{BackupLevel, TriggerRequest};
///
/// let request = TriggerRequest::new("s-adhoc-object-storage", "stestgroup")
///     .instance_name("s-adhoc-object-storage")
///     .backupset_name("defaultBackupSet")
///     .app_name("Cloud Apps")
///     .storage_policy_name("default-plan")
///     .backup_level(BackupLevel::Incremental)
///     .ad_hoc("/sk/s-directive-file-blob.txt");
/// assert!(request.to_task().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TriggerRequest {
    /// `clientName`: the client (for object storage, the object storage client).
    pub client_name: String,
    /// `subclientName`: the subclient (content group).
    pub subclient_name: String,
    /// `instanceName`, when the agent has instances.
    pub instance_name: Option<String>,
    /// `backupsetName` (for example `defaultBackupSet`).
    pub backupset_name: Option<String>,
    /// `appName`, the agent (for example `Cloud Apps`, `File System`).
    pub app_name: Option<String>,
    /// `storagePolicyName`: the plan (storage policy) to write to; the subclient's own
    /// when `None`.
    pub storage_policy_name: Option<String>,
    /// `backupLevel`.
    pub backup_level: BackupLevel,
    /// `adHocBackup`: back up the items listed in [`Self::on_demand_input_file`].
    pub ad_hoc_backup: bool,
    /// `onDemandInputFile`: the path of the ad-hoc backup directive file.
    pub on_demand_input_file: Option<String>,
    /// Not sent: when the trigger was about to be sent (whole seconds), recorded by a
    /// run journal through [`BackupClient::idempotency_key`](backup_core::BackupClient::idempotency_key)
    /// so that [`BackupClient::recover_trigger`](backup_core::BackupClient::recover_trigger)
    /// can look for a job of this subclient started at or after it. Commvault has no
    /// idempotency key; this time is what stands in for one.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub trigger_time: Option<time::OffsetDateTime>,
}

impl TriggerRequest {
    /// A backup of `subclient_name` on `client_name` at the default level
    /// (`INCREMENTAL`), not ad hoc.
    pub fn new(client_name: impl Into<String>, subclient_name: impl Into<String>) -> Self {
        Self {
            client_name: client_name.into(),
            subclient_name: subclient_name.into(),
            instance_name: None,
            backupset_name: None,
            app_name: None,
            storage_policy_name: None,
            backup_level: BackupLevel::default(),
            ad_hoc_backup: false,
            on_demand_input_file: None,
            trigger_time: None,
        }
    }

    /// Sets `instanceName`.
    #[must_use]
    pub fn instance_name(mut self, name: impl Into<String>) -> Self {
        self.instance_name = Some(name.into());
        self
    }

    /// Sets `backupsetName`.
    #[must_use]
    pub fn backupset_name(mut self, name: impl Into<String>) -> Self {
        self.backupset_name = Some(name.into());
        self
    }

    /// Sets `appName`.
    #[must_use]
    pub fn app_name(mut self, name: impl Into<String>) -> Self {
        self.app_name = Some(name.into());
        self
    }

    /// Sets `storagePolicyName` (the plan).
    #[must_use]
    pub fn storage_policy_name(mut self, name: impl Into<String>) -> Self {
        self.storage_policy_name = Some(name.into());
        self
    }

    /// Sets `backupLevel`.
    #[must_use]
    pub fn backup_level(mut self, level: BackupLevel) -> Self {
        self.backup_level = level;
        self
    }

    /// An ad-hoc backup of the items listed in the directive file at `path`
    /// (`adHocBackup` true, `onDemandInputFile`).
    #[must_use]
    pub fn ad_hoc(mut self, path: impl Into<String>) -> Self {
        self.ad_hoc_backup = true;
        self.on_demand_input_file = Some(path.into());
        self
    }

    /// Checks the names before any request: client and subclient present, no name
    /// empty, blank or holding control characters (which XML 1.0 cannot carry).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the field.
    pub fn validate(&self) -> Result<()> {
        check_name("client_name", Some(&self.client_name))?;
        check_name("subclient_name", Some(&self.subclient_name))?;
        check_name("instance_name", self.instance_name.as_deref())?;
        check_name("backupset_name", self.backupset_name.as_deref())?;
        check_name("app_name", self.app_name.as_deref())?;
        check_name("storage_policy_name", self.storage_policy_name.as_deref())?;
        check_name("on_demand_input_file", self.on_demand_input_file.as_deref())?;
        if self.ad_hoc_backup && self.on_demand_input_file.is_none() {
            return Err(Error::invalid_input(
                VENDOR,
                "on_demand_input_file",
                "an ad-hoc backup needs the directive file",
            ));
        }
        Ok(())
    }

    /// The document's `TMMsg_CreateTaskReq` for this backup (validated first).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] as for [`Self::validate`].
    pub fn to_task(&self) -> Result<CreateTaskReq> {
        self.validate()?;
        Ok(CreateTaskReq {
            processing_instruction_info: ProcessingInstructionInfo {},
            task_info: TaskInfo {
                task: Task::default(),
                associations: vec![Association {
                    subclient_name: self.subclient_name.clone(),
                    backupset_name: self.backupset_name.clone(),
                    instance_name: self.instance_name.clone(),
                    app_name: self.app_name.clone(),
                    client_name: self.client_name.clone(),
                }],
                sub_tasks: vec![SubTasks {
                    sub_task: SubTask::default(),
                    options: Options {
                        backup_opts: BackupOpts {
                            backup_level: self.backup_level,
                            media_opt: self.storage_policy_name.as_ref().map(|name| MediaOpt {
                                storage_policy: StoragePolicy {
                                    storage_policy_name: name.clone(),
                                },
                            }),
                            ad_hoc_backup: self.ad_hoc_backup,
                            on_demand_input_file: self.on_demand_input_file.clone(),
                            ..BackupOpts::default()
                        },
                        ..Options::default()
                    },
                    sub_task_operation: "OVERWRITE".to_owned(),
                }],
            },
        })
    }
}

fn check_name(field: &str, value: Option<&str>) -> Result<()> {
    let Some(value) = value else { return Ok(()) };
    let reason = if value.trim().is_empty() {
        "must not be empty"
    } else if value.chars().any(char::is_control) {
        "must not contain control characters"
    } else if value.len() > 4096 {
        "is longer than 4096 bytes"
    } else {
        return Ok(());
    };
    Err(Error::invalid_input(VENDOR, field, reason))
}

fn replace_line_ends(text: &str) -> String {
    text.replace('\u{2028}', "&#x2028;")
        .replace('\u{85}', "&#x85;")
}

/// `TMMsg_CreateTaskReq`: the body of `POST CreateTask`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "TMMsg_CreateTaskReq")]
pub struct CreateTaskReq {
    /// `processinginstructioninfo` (empty).
    #[serde(rename = "processinginstructioninfo", default)]
    pub processing_instruction_info: ProcessingInstructionInfo,
    /// `taskInfo`.
    #[serde(rename = "taskInfo")]
    pub task_info: TaskInfo,
}

/// The XML declaration the document's sample starts with.
pub const XML_DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="no" ?>"#;

/// Characters an XML 1.1 reader (quick-xml's among them) normalises to `\n`, when
/// written as they are: `U+2028 LINE SEPARATOR` and `U+0085 NEXT LINE`.
const LINE_END_CHARS: [char; 2] = ['\u{2028}', '\u{85}'];

impl CreateTaskReq {
    /// The XML body: the document's declaration, then the request, every text escaped
    /// (`<`, `>`, `&`, `"` and `'`), non-ASCII text as UTF-8, except the characters an
    /// XML 1.1 reader turns into line ends (U+2028, U+0085), which are written as
    /// character references so that every reader gets the name as given.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] if the serialiser refuses a value.
    pub fn to_xml(&self) -> Result<String> {
        let mut body = String::from(XML_DECLARATION);
        body.push('\n');
        let mut serializer = quick_xml::se::Serializer::new(&mut body);
        serializer.set_quote_level(quick_xml::se::QuoteLevel::Full);
        self.serialize(serializer)
            .map_err(|e| Error::invalid_input(VENDOR, "body", format!("cannot write XML: {e}")))?;
        // Element names are fixed ASCII: these characters can only be in values.
        if body.contains(LINE_END_CHARS) {
            body = replace_line_ends(&body);
        }
        Ok(body)
    }

    /// Appends `text` escaped as [`CreateTaskReq::to_xml`] escapes text (`<`, `>`, `&`,
    /// `"`, `'`, and the line-end characters of XML 1.1 as character references).
    pub(crate) fn push_escaped(out: &mut String, text: &str) {
        let escaped = quick_xml::escape::escape(text);
        if escaped.contains(LINE_END_CHARS) {
            out.push_str(&replace_line_ends(&escaped));
        } else {
            out.push_str(&escaped);
        }
    }

    /// The JSON body (`{"processinginstructioninfo":{},"taskInfo":{...}}`).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] if the serialiser refuses a value.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self)
            .map_err(|e| Error::invalid_input(VENDOR, "body", format!("cannot write JSON: {e}")))
    }

    /// Reads a request back from XML (the emulator and the round-trip tests use it).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the XML is not a `TMMsg_CreateTaskReq`.
    pub fn from_xml(xml: &str) -> Result<Self> {
        quick_xml::de::from_str(xml).map_err(|e| {
            Error::invalid_input(VENDOR, "body", format!("not a TMMsg_CreateTaskReq: {e}"))
        })
    }
}

/// `processinginstructioninfo`: empty in the document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessingInstructionInfo {}

/// `taskInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskInfo {
    /// `task`.
    pub task: Task,
    /// `associations`: the subclients to back up.
    #[serde(default)]
    pub associations: Vec<Association>,
    /// `subTasks`.
    #[serde(default)]
    pub sub_tasks: Vec<SubTasks>,
}

/// `task`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    /// `taskFlags`.
    pub task_flags: TaskFlags,
    /// `policyType`: `DATA_PROTECTION`.
    pub policy_type: String,
    /// `taskType`: `IMMEDIATE` (a job now; anything else is a schedule).
    pub task_type: String,
    /// `initiatedFrom`: `COMMANDLINE`.
    pub initiated_from: String,
}

impl Default for Task {
    fn default() -> Self {
        Self {
            task_flags: TaskFlags::default(),
            policy_type: "DATA_PROTECTION".to_owned(),
            task_type: "IMMEDIATE".to_owned(),
            initiated_from: "COMMANDLINE".to_owned(),
        }
    }
}

/// `taskFlags`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskFlags {
    /// `disabled`: false.
    pub disabled: bool,
    /// `isEdgeDrive`: false.
    pub is_edge_drive: bool,
}

/// `associations`: one subclient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Association {
    /// `subclientName`.
    pub subclient_name: String,
    /// `backupsetName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backupset_name: Option<String>,
    /// `instanceName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_name: Option<String>,
    /// `appName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_name: Option<String>,
    /// `clientName`.
    pub client_name: String,
}

/// `subTasks`: a sub task with its options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubTasks {
    /// `subTask`.
    pub sub_task: SubTask,
    /// `options`.
    pub options: Options,
    /// `subTaskOperation`: `OVERWRITE`.
    pub sub_task_operation: String,
}

/// `subTask`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubTask {
    /// `subTaskType`: `BACKUP`.
    pub sub_task_type: String,
    /// `operationType`: `BACKUP`.
    pub operation_type: String,
}

impl Default for SubTask {
    fn default() -> Self {
        Self {
            sub_task_type: "BACKUP".to_owned(),
            operation_type: "BACKUP".to_owned(),
        }
    }
}

/// `options`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Options {
    /// `backupOpts`.
    pub backup_opts: BackupOpts,
    /// `restoreOptions`.
    #[serde(default)]
    pub restore_options: RestoreOptions,
    /// `adminOpts`.
    #[serde(default)]
    pub admin_opts: AdminOpts,
    /// `commonOpts`.
    #[serde(default)]
    pub common_opts: CommonOpts,
}

/// `backupOpts`, with the document's defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupOpts {
    /// `backupLevel`.
    pub backup_level: BackupLevel,
    /// `mediaOpt`: the plan; left out to use the subclient's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_opt: Option<MediaOpt>,
    /// `dataOpt`.
    #[serde(default)]
    pub data_opt: DataOpt,
    /// `dbBackupOptions`.
    #[serde(default)]
    pub db_backup_options: DbBackupOptions,
    /// `runIncrementalBackup`: false.
    #[serde(default)]
    pub run_incremental_backup: bool,
    /// `incLevel`: `BEFORE_SYNTH`.
    pub inc_level: String,
    /// `doNotTruncateLog`: false.
    #[serde(default)]
    pub do_not_truncate_log: bool,
    /// `sybaseSkipFullafterLogBkp`: false.
    #[serde(default)]
    pub sybase_skip_fullafter_log_bkp: bool,
    /// `truncateLogsOnSource`: false.
    #[serde(default)]
    pub truncate_logs_on_source: bool,
    /// `notSynthesizeFullFromPrevBackup`: false.
    #[serde(default)]
    pub not_synthesize_full_from_prev_backup: bool,
    /// `adHocBackup`.
    #[serde(default)]
    pub ad_hoc_backup: bool,
    /// `onDemandInputFile`: the ad-hoc directive file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_demand_input_file: Option<String>,
}

impl Default for BackupOpts {
    fn default() -> Self {
        Self {
            backup_level: BackupLevel::default(),
            media_opt: None,
            data_opt: DataOpt::default(),
            db_backup_options: DbBackupOptions::default(),
            run_incremental_backup: false,
            inc_level: "BEFORE_SYNTH".to_owned(),
            do_not_truncate_log: false,
            sybase_skip_fullafter_log_bkp: false,
            truncate_logs_on_source: false,
            not_synthesize_full_from_prev_backup: false,
            ad_hoc_backup: false,
            on_demand_input_file: None,
        }
    }
}

/// `mediaOpt`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaOpt {
    /// `storagePolicy`.
    pub storage_policy: StoragePolicy,
}

/// `storagePolicy`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoragePolicy {
    /// `storagePolicyName`: the plan.
    pub storage_policy_name: String,
}

/// `dataOpt`, with the document's defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(clippy::struct_excessive_bools)]
pub struct DataOpt {
    /// `createNewIndex`: false.
    pub create_new_index: bool,
    /// `followMountPoints`: true.
    pub follow_mount_points: bool,
    /// `useCatalogServer`: false.
    pub use_catalog_server: bool,
    /// `enforceTransactionLogUsage`: false.
    pub enforce_transaction_log_usage: bool,
    /// `skipConsistencyCheck`: false.
    pub skip_consistency_check: bool,
    /// `skipCatalogPhaseForSnapBackup`: true.
    pub skip_catalog_phase_for_snap_backup: bool,
}

impl Default for DataOpt {
    fn default() -> Self {
        Self {
            create_new_index: false,
            follow_mount_points: true,
            use_catalog_server: false,
            enforce_transaction_log_usage: false,
            skip_consistency_check: false,
            skip_catalog_phase_for_snap_backup: true,
        }
    }
}

/// `dbBackupOptions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DbBackupOptions {
    /// `maxDbBackupType`: `UNKNOWN`.
    pub max_db_backup_type: String,
}

impl Default for DbBackupOptions {
    fn default() -> Self {
        Self {
            max_db_backup_type: "UNKNOWN".to_owned(),
        }
    }
}

/// `restoreOptions`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RestoreOptions {
    /// `virtualServerRstOption`.
    pub virtual_server_rst_option: VirtualServerRstOption,
}

/// `virtualServerRstOption`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VirtualServerRstOption {
    /// `isBlockLevelReplication`: false.
    pub is_block_level_replication: bool,
}

/// `adminOpts`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminOpts {
    /// `contentIndexingOption`.
    pub content_indexing_option: ContentIndexingOption,
}

/// `contentIndexingOption`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContentIndexingOption {
    /// `subClientBasedAnalytics`: false.
    pub sub_client_based_analytics: bool,
}

/// `commonOpts`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommonOpts {
    /// `perfJobOpts` (empty).
    #[serde(default)]
    pub perf_job_opts: PerfJobOpts,
    /// `notifyUserOnJobCompletion`: false.
    #[serde(default)]
    pub notify_user_on_job_completion: bool,
}

/// `perfJobOpts`: empty in the document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PerfJobOpts {}
