//! The XML body of a [`TriggerRequest`], written straight out.
//!
//! [`CreateTaskReq::to_xml`] goes through serde and quick-xml's serializer, which checks
//! every element name as it writes it: on a trigger call that cost more than the HTTP
//! exchange itself (see `docs/performance.md`). A [`TriggerRequest`] only fills a few
//! values into a fixed task, so its body is the document's template with those values
//! escaped in. The tests hold it to be byte for byte what the serializer writes for
//! [`TriggerRequest::to_task`].

use backup_core::Result;

use super::task::{CreateTaskReq, TriggerRequest, XML_DECLARATION};

/// Everything before the first association value.
const HEAD: &str = "<TMMsg_CreateTaskReq><processinginstructioninfo/><taskInfo><task>\
<taskFlags><disabled>false</disabled><isEdgeDrive>false</isEdgeDrive></taskFlags>\
<policyType>DATA_PROTECTION</policyType><taskType>IMMEDIATE</taskType>\
<initiatedFrom>COMMANDLINE</initiatedFrom></task><associations>";

/// From the end of the association to the backup level.
const BEFORE_LEVEL: &str = "</associations><subTasks><subTask><subTaskType>BACKUP</subTaskType>\
<operationType>BACKUP</operationType></subTask><options><backupOpts><backupLevel>";

/// From the storage policy to the ad-hoc flag.
const BEFORE_AD_HOC: &str = "<dataOpt><createNewIndex>false</createNewIndex>\
<followMountPoints>true</followMountPoints><useCatalogServer>false</useCatalogServer>\
<enforceTransactionLogUsage>false</enforceTransactionLogUsage>\
<skipConsistencyCheck>false</skipConsistencyCheck>\
<skipCatalogPhaseForSnapBackup>true</skipCatalogPhaseForSnapBackup></dataOpt>\
<dbBackupOptions><maxDbBackupType>UNKNOWN</maxDbBackupType></dbBackupOptions>\
<runIncrementalBackup>false</runIncrementalBackup><incLevel>BEFORE_SYNTH</incLevel>\
<doNotTruncateLog>false</doNotTruncateLog>\
<sybaseSkipFullafterLogBkp>false</sybaseSkipFullafterLogBkp>\
<truncateLogsOnSource>false</truncateLogsOnSource>\
<notSynthesizeFullFromPrevBackup>false</notSynthesizeFullFromPrevBackup><adHocBackup>";

/// Everything after the directive file.
const TAIL: &str = "</backupOpts><restoreOptions><virtualServerRstOption>\
<isBlockLevelReplication>false</isBlockLevelReplication></virtualServerRstOption>\
</restoreOptions><adminOpts><contentIndexingOption>\
<subClientBasedAnalytics>false</subClientBasedAnalytics></contentIndexingOption></adminOpts>\
<commonOpts><perfJobOpts/><notifyUserOnJobCompletion>false</notifyUserOnJobCompletion>\
</commonOpts></options><subTaskOperation>OVERWRITE</subTaskOperation></subTasks></taskInfo>\
</TMMsg_CreateTaskReq>";

impl TriggerRequest {
    /// The XML body of `POST CreateTask` for this backup (validated first): the same
    /// bytes as `self.to_task()?.to_xml()`, written without building the task.
    ///
    /// # Errors
    /// [`backup_core::Error::InvalidInput`] as for [`TriggerRequest::validate`].
    pub fn to_xml(&self) -> Result<String> {
        self.validate()?;
        let values: usize = [
            Some(&self.client_name),
            Some(&self.subclient_name),
            self.instance_name.as_ref(),
            self.backupset_name.as_ref(),
            self.app_name.as_ref(),
            self.storage_policy_name.as_ref(),
            self.on_demand_input_file.as_ref(),
        ]
        .into_iter()
        .flatten()
        .map(|value| value.len() + 64)
        .sum();
        let mut out = String::with_capacity(
            XML_DECLARATION.len()
                + HEAD.len()
                + BEFORE_LEVEL.len()
                + BEFORE_AD_HOC.len()
                + TAIL.len()
                + values
                + 64,
        );
        out.push_str(XML_DECLARATION);
        out.push('\n');
        out.push_str(HEAD);
        element(&mut out, "subclientName", Some(&self.subclient_name));
        element(&mut out, "backupsetName", self.backupset_name.as_deref());
        element(&mut out, "instanceName", self.instance_name.as_deref());
        element(&mut out, "appName", self.app_name.as_deref());
        element(&mut out, "clientName", Some(&self.client_name));
        out.push_str(BEFORE_LEVEL);
        out.push_str(self.backup_level.as_str());
        out.push_str("</backupLevel>");
        if let Some(policy) = &self.storage_policy_name {
            out.push_str("<mediaOpt><storagePolicy>");
            element(&mut out, "storagePolicyName", Some(policy));
            out.push_str("</storagePolicy></mediaOpt>");
        }
        out.push_str(BEFORE_AD_HOC);
        out.push_str(if self.ad_hoc_backup { "true" } else { "false" });
        out.push_str("</adHocBackup>");
        element(
            &mut out,
            "onDemandInputFile",
            self.on_demand_input_file.as_deref(),
        );
        out.push_str(TAIL);
        Ok(out)
    }
}

/// `<name>value</name>`, escaped as [`CreateTaskReq::to_xml`] escapes text; nothing
/// for `None`.
fn element(out: &mut String, name: &str, value: Option<&str>) {
    let Some(value) = value else { return };
    out.push('<');
    out.push_str(name);
    out.push('>');
    CreateTaskReq::push_escaped(out, value);
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::task::BackupLevel;

    fn same_as_the_serializer(request: &TriggerRequest) {
        assert_eq!(
            request.to_xml().unwrap(),
            request.to_task().unwrap().to_xml().unwrap(),
            "{request:?}"
        );
    }

    #[test]
    fn matches_the_serializer() {
        same_as_the_serializer(&TriggerRequest::new("client1", "default"));
        same_as_the_serializer(
            &TriggerRequest::new("s-adhoc-object-storage", "stestgroup")
                .instance_name("s-adhoc-object-storage")
                .backupset_name("defaultBackupSet")
                .app_name("Cloud Apps")
                .storage_policy_name("default-plan")
                .backup_level(BackupLevel::SyntheticFull)
                .ad_hoc("/sk/s-directive-file-blob.txt"),
        );
        same_as_the_serializer(
            &TriggerRequest::new("cl<i>ent & \"co\" 'x'", "Ünïcødé ✓ 日本 <sub>")
                .backupset_name("]]> <![CDATA[ x ]]>")
                .instance_name("a&amp;b")
                .app_name("line\u{2028}separator")
                .backup_level(BackupLevel::Full),
        );
    }

    #[test]
    fn refuses_what_validate_refuses() {
        assert!(TriggerRequest::new("", "sub").to_xml().is_err());
        assert!(TriggerRequest::new("c", "s\u{1}").to_xml().is_err());
    }
}
