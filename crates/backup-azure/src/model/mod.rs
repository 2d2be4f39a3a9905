//! Request and response types of the Recovery Services backup API, field for field as
//! the vendor documents them, plus the trigger's target ([`ProtectedItem`]).

mod enums;
mod item;
mod request;
mod response;

pub use enums::{BackupType, JobStatus, OperationStatusValue};
pub use item::{ProtectedItem, TriggerRequest};
pub use request::{
    AzureFileShareBackupRequest, AzureWorkloadBackupRequest, BackupRequest, BackupRequestResource,
    IaasVmBackupRequest,
};
pub use response::{
    CloudError, CloudErrorBody, ErrorAdditionalInfo, Job, JobErrorInfo, JobExtendedInfo,
    JobResource, JobResourceList, JobTaskDetails, OperationStatusError,
    OperationStatusExtendedInfo, OperationStatusResponse, RecoveryPoint, RecoveryPointResource,
    RecoveryPointResourceList, parse_duration, parse_size,
};
