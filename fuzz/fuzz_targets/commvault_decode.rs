//! Commvault: CreateTask answers (XML and JSON), generic error bodies in any status
//! (errors in a 200), job answers and job lists, pending reasons (HTML), JobDetails
//! answers, client lists, job states, CreateTask requests read back.
#![no_main]

mod common;

use backup_commvault::model::details::JobDetailsResponse;
use backup_commvault::model::job::JobResponse;
use backup_commvault::model::lookup::ClientList;
use backup_commvault::operation::operation_from_summary;
use backup_commvault::prelude::*;
use backup_commvault::{
    ApiErrors, Client, CreateTaskAnswer, CreateTaskReq, JobStatus, OperationRef, PendingReason,
    error_in_body, parse_generic, xml_root,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = format!("{:?}", CreateTaskAnswer::parse(data));
    let _ = xml_root(data);
    if let Some(generic) = parse_generic(data) {
        let _ = generic.to_api_error(&common::response(backup_commvault::VENDOR, 200, data));
    }
    for status in [200, 500] {
        let _ = error_in_body(&common::response(backup_commvault::VENDOR, status, data));
    }
    common::decode_errors(backup_commvault::VENDOR, &ApiErrors, data);
    if let Ok(jobs) = serde_json::from_slice::<JobResponse>(data) {
        for entry in &jobs.jobs {
            let _ = format!("{:?}", operation_from_summary("1", &entry.job_summary));
        }
    }

    if let Ok(details) = serde_json::from_slice::<JobDetailsResponse>(data) {
        let _ = format!("{details:?}");
    }
    if let Ok(clients) = serde_json::from_slice::<ClientList>(data) {
        let _ = clients.id_of("client");
    }

    let text = String::from_utf8_lossy(data);
    if let Some(reason) = PendingReason::parse(&text) {
        let _ = reason.to_error();
    }
    let status = JobStatus::parse(&text);
    let _ = (status.operation_status(), status.as_str().len());
    if let Ok(task) = CreateTaskReq::from_xml(&text) {
        let _ = task.to_xml();
        let _ = task.to_json();
    }
    let _ = Client::check_reference(&OperationRef::new(backup_commvault::VENDOR, text.as_ref()));
    let _ = Client::parse_reference(&text);
});
