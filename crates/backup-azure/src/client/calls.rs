//! The calls: trigger, and the reads that follow a backup (async operation, `Location`,
//! backup job).

use backup_core::contract::BackupClient;
use backup_core::path::{join_segments, validate_id};
use backup_core::transport::{Request, Response};
use backup_core::{Error, Operation, OperationRef, OperationStatus, Result};
use http::{HeaderName, HeaderValue, StatusCode};
use url::Url;

use super::Client;
use crate::VENDOR;
use crate::model::{JobResource, OperationStatusResponse, TriggerRequest};
use crate::operation::{
    MAX_REFERENCE_ID_LEN, Tracking, TrackingRef, from_job, from_operation_status,
};

/// The header of the async-operation URL.
const ASYNC_OPERATION: &str = "azure-asyncoperation";
/// The header of the operation-result URL.
const LOCATION: &str = "location";

/// The header of the caller-chosen request id.
const CLIENT_REQUEST_ID: &str = "x-ms-client-request-id";

pub(super) async fn trigger(client: &Client, request: &TriggerRequest) -> Result<Operation> {
    request.item.validate()?;
    super::lookup::check_client_request_id(request)?;
    let inner = &client.inner;
    let mut url = join_segments(VENDOR, &inner.endpoint, &request.item.backup_segments())?;
    url.set_query(Some(inner.api_version.query()));
    let mut http = Request::post(VENDOR, url)
        .trigger(format!("trigger backup of {}", request.item.item))
        .json(&request.body)?;
    if let Some(id) = &request.client_request_id {
        let value = HeaderValue::from_str(id).map_err(|_| {
            Error::invalid_input(VENDOR, "client_request_id", "must be a GUID (ARM's form)")
        })?;
        http = http.header(HeaderName::from_static(CLIENT_REQUEST_ID), value);
    }
    let response = inner.transport.send(http, &inner.auth).await?;
    accepted(client, &response)
}

/// The operation a trigger's answer starts.
fn accepted(client: &Client, response: &Response) -> Result<Operation> {
    let async_operation = followed_url(client, response, ASYNC_OPERATION)?;
    // ARM's rule: follow Azure-AsyncOperation when it is given, Location only when it
    // is not. So the reference keeps (and the trigger reads) only the URL followed.
    let location = match async_operation {
        Some(_) => None,
        None => followed_url(client, response, LOCATION)?,
    };
    let tracking = TrackingRef::new(async_operation, location).map_err(|_| {
        response
            .undecodable("the answer carries neither an Azure-AsyncOperation nor a Location URL")
    })?;
    let reference = tracking.to_reference();
    if reference.id.len() > MAX_REFERENCE_ID_LEN {
        return Err(response.undecodable(format!(
            "the status URL is too long to be followed (a reference holds at most \
             {MAX_REFERENCE_ID_LEN} bytes)"
        )));
    }
    Ok(Operation::new(reference, OperationStatus::Pending)
        .with_vendor_status("Accepted")
        .with_poll_after(response.retry_after()))
}

/// A status URL from the answer's `header`, exactly as given, if it points at the
/// configured endpoint's host.
fn followed_url(client: &Client, response: &Response, header: &str) -> Result<Option<Url>> {
    let Some(value) = response.headers.get(header) else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .map_err(|_| response.undecodable(format!("the {header} header is not text")))?;
    let url = Url::parse(text.trim()).map_err(|e| {
        response.undecodable(format!("the {header} header is not an absolute URL ({e})"))
    })?;
    if let Err(reason) = check_origin(client, &url) {
        return Err(response.undecodable(format!("the {header} URL {reason}")));
    }
    Ok(Some(url))
}

/// Whether `url` points at the endpoint's scheme, host and port; the bearer token is
/// sent to no other host.
pub(super) fn check_origin(client: &Client, url: &Url) -> std::result::Result<(), String> {
    let endpoint = &client.inner.endpoint;
    let same = url.scheme() == endpoint.scheme()
        && url.host_str() == endpoint.host_str()
        && url.port_or_known_default() == endpoint.port_or_known_default()
        && url.username().is_empty()
        && url.password().is_none();
    if same {
        Ok(())
    } else {
        Err(format!(
            "points at {}, not at the configured endpoint {}: it is not followed, so the \
             credential is sent nowhere else",
            origin(url),
            origin(endpoint)
        ))
    }
}

fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

pub(super) async fn status(client: &Client, reference: &OperationRef) -> Result<Operation> {
    let tracking = TrackingRef::from_reference(reference)?;
    for url in tracking.urls() {
        check_origin(client, url)
            .map_err(|reason| Error::invalid_input(VENDOR, "reference", reason))?;
    }
    if client.tracking == Tracking::Job
        && let Some(url) = tracking.job_url(client.inner.api_version)?
    {
        return read_job(client, &tracking, url).await;
    }
    match (
        &tracking.async_operation,
        &tracking.location,
        &tracking.job_id,
    ) {
        (Some(url), _, _) => read_async(client, &tracking, url.clone()).await,
        (None, Some(url), _) => read_location(client, &tracking, url.clone()).await,
        // A backup found in the job list: accepted, as its job exists.
        (None, None, Some(job_id)) => Ok(Operation::new(
            tracking.to_reference(),
            OperationStatus::Succeeded,
        )
        .with_job_id(Some(job_id.clone()))
        .with_vendor_status("Accepted")
        .with_message(Some(format!("the service runs the backup as job {job_id}")))),
        (None, None, None) => Err(Error::invalid_input(
            VENDOR,
            "reference",
            "needs an Azure-AsyncOperation or a Location URL",
        )),
    }
}

async fn get(client: &Client, url: Url, action: &'static str) -> Result<Response> {
    let inner = &client.inner;
    inner
        .transport
        .send(Request::get(VENDOR, url).action(action), &inner.auth)
        .await
}

/// A GET whose JSON answer is decoded, with the answer's `Retry-After`; an answer
/// that does not decode is read again within the retry policy.
pub(super) async fn get_json<T: serde::de::DeserializeOwned>(
    client: &Client,
    url: Url,
    action: &'static str,
) -> Result<(T, Option<std::time::Duration>)> {
    let inner = &client.inner;
    inner
        .transport
        .send_decoded(
            Request::get(VENDOR, url).action(action),
            &inner.auth,
            |response| Ok((response.json::<T>()?, response.retry_after())),
        )
        .await
}

/// Reads the `Azure-AsyncOperation` URL; once it succeeded, the job it names.
async fn read_async(client: &Client, tracking: &TrackingRef, url: Url) -> Result<Operation> {
    let (answer, retry_after): (OperationStatusResponse, _) =
        get_json(client, url, "read the backup's async operation").await?;
    let operation =
        from_operation_status(tracking.to_reference(), &answer).with_poll_after(retry_after);
    if operation.status != OperationStatus::Succeeded {
        return Ok(operation);
    }
    let job_id = answer
        .job_id()
        .filter(|id| validate_id(VENDOR, "job_id", id).is_ok())
        .map(str::to_owned);
    let Some(job_id) = job_id else {
        return Ok(operation.with_message(Some(
            "the service accepted the backup and named no backup job to follow".to_owned(),
        )));
    };
    let tracking = tracking.clone().with_job_id(Some(job_id.clone()));
    let accepted = from_operation_status(tracking.to_reference(), &answer);
    if client.tracking == Tracking::Accepted {
        return Ok(accepted);
    }
    let Some(job_url) = tracking.job_url(client.inner.api_version)? else {
        return Ok(accepted.with_message(Some(format!(
            "the service accepted the backup as job {job_id}, but its URL names no vault"
        ))));
    };
    match read_job(client, &tracking, job_url).await {
        Ok(operation) => Ok(operation),
        // The job is read on the next poll; the reference now names it.
        Err(error) => {
            let mut operation = accepted;
            operation.status = OperationStatus::Running;
            operation.message = Some(format!(
                "accepted as job {job_id}, which could not be read yet: {error}"
            ));
            Ok(operation)
        }
    }
}

/// Reads the `Location` URL: 202 while running, 200 or 204 once done.
async fn read_location(client: &Client, tracking: &TrackingRef, url: Url) -> Result<Operation> {
    let response = get(client, url, "read the backup's operation result").await?;
    let reference = tracking.to_reference();
    let operation = match response.status {
        StatusCode::OK | StatusCode::NO_CONTENT => {
            Operation::new(reference, OperationStatus::Succeeded)
                .with_vendor_status(response.status.as_u16().to_string())
                .with_message(Some(
                    "the service accepted the backup; the Location answer names no backup job"
                        .to_owned(),
                ))
        }
        status => Operation::new(reference, OperationStatus::Running)
            .with_vendor_status(status.as_u16().to_string()),
    };
    Ok(operation.with_poll_after(response.retry_after()))
}

/// Reads the backup job.
async fn read_job(client: &Client, tracking: &TrackingRef, url: Url) -> Result<Operation> {
    let (answer, retry_after): (JobResource, _) =
        get_json(client, url, "read the backup job").await?;
    let job_id = tracking.job_id.as_deref().unwrap_or_default();
    Ok(from_job(tracking.to_reference(), &answer, job_id).with_poll_after(retry_after))
}

pub(super) async fn cancel(client: &Client, reference: &OperationRef) -> Result<Operation> {
    let job_client = client.with_tracking(Tracking::Job);
    let mut tracking = TrackingRef::from_reference(reference)?;
    if tracking.job_id.is_none() {
        let current = job_client.status(reference).await?;
        tracking = TrackingRef::from_reference(&current.reference)?;
    }
    for url in tracking.urls() {
        check_origin(client, url)
            .map_err(|reason| Error::invalid_input(VENDOR, "reference", reason))?;
    }
    let Some(mut url) = tracking.job_url(client.inner.api_version)? else {
        return Err(Error::Unsupported {
            vendor: VENDOR,
            what: format!("cancelling {reference} before the service named its backup job"),
        });
    };
    url.path_segments_mut()
        .map_err(|()| Error::invalid_input(VENDOR, "reference", "cannot carry a path"))?
        .push("cancel");
    let inner = &client.inner;
    // ARM refuses a POST without a length (411): the transport sends
    // `Content-Length: 0` for a bodiless POST.
    let request = Request::post(VENDOR, url).action("cancel the backup job");
    inner.transport.send(request, &inner.auth).await?;
    job_client.status(&tracking.to_reference()).await
}
