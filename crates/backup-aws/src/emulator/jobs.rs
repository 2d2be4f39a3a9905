//! `StartBackupJob` (`PUT /backup-jobs`), `DescribeBackupJob` (`GET /backup-jobs/{id}`),
//! `StopBackupJob` (`POST /backup-jobs/{id}`) and `ListBackupJobs` (`GET /backup-jobs/`),
//! each after the request's SigV4 signature is verified.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Request, State as Extract};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use backup_core::emulator::{Lifecycle, Phase, random_hex};
use serde_json::{Value, json};
use time::OffsetDateTime;
use tokio::time::Instant;

use super::answer::{error, json_answer, refusal};
use super::sigv4::{self, Received};
use super::state::{DEFAULT_START_WINDOW, Job, State, job_key, lock};
use crate::auth::SERVICE_NAME;
use crate::model::epoch_seconds::to_seconds;

/// A request read in full, with what its signature named.
pub(crate) struct Signed {
    pub(crate) region: String,
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) query: String,
    pub(crate) body: Bytes,
}

/// Reads `request` and verifies its signature; the refusal answer otherwise.
pub(crate) async fn authenticate(state: &State, request: Request) -> Result<Signed, Response> {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
        return Err(error(
            400,
            "SerializationException",
            "The request body could not be read",
        ));
    };
    let headers = header_list(&parts.headers);
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().unwrap_or_default().to_owned();
    let received = Received {
        method: parts.method.as_str(),
        path: &path,
        query: &query,
        headers: &headers,
        body: &body,
    };
    let token = sigv4::header(&headers, "x-amz-security-token");
    let verified = sigv4::verify(&received, SERVICE_NAME, OffsetDateTime::now_utc(), |key| {
        state.secret_of(key, token)
    })
    .map_err(|r| refusal(&r))?;
    Ok(Signed {
        region: verified.region,
        method: parts.method,
        path,
        query,
        body,
    })
}

fn header_list(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect()
}

fn invalid(message: &str) -> Response {
    error(400, "InvalidParameterValueException", message)
}

fn missing(member: &str) -> Response {
    error(
        400,
        "MissingParameterValueException",
        &format!("{member} is required"),
    )
}

/// The kind of resource an ARN names (`ResourceType`), and whether its recovery point
/// is known from the start (EFS, DynamoDB: "only returned for Amazon EFS and Advanced
/// DynamoDB resources").
fn resource_type(arn: &str) -> (&'static str, bool) {
    let service = arn.split(':').nth(2).unwrap_or_default();
    let resource = arn.splitn(6, ':').nth(5).unwrap_or_default();
    match service {
        "ec2" if resource.starts_with("volume/") => ("EBS", false),
        "ec2" => ("EC2", false),
        "elasticfilesystem" => ("EFS", true),
        "dynamodb" => ("DynamoDB", true),
        "rds" => ("RDS", false),
        "fsx" => ("FSx", false),
        "s3" => ("S3", false),
        "cloudformation" => ("CloudFormation", false),
        "storagegateway" => ("Storage Gateway", false),
        _ => ("Other", false),
    }
}

/// Whether `StopBackupJob` refuses jobs of this resource ("not supported for Aurora,
/// DocumentDB, FSx, Neptune, SAP HANA on EC2 and RDS").
fn cannot_stop(arn: &str) -> bool {
    matches!(arn.split(':').nth(2), Some("rds" | "fsx" | "ssm-sap"))
}

fn is_arn(text: &str) -> bool {
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    parts.len() == 6 && parts[0] == "arn" && !parts[2].is_empty() && !parts[5].is_empty()
}

fn option_word(word: &str) -> bool {
    (1..=50).contains(&word.len())
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn text<'v>(body: &'v Value, member: &str) -> Option<&'v str> {
    body.get(member).and_then(Value::as_str)
}

/// The recovery point ARN of a job of `resource_type`.
fn recovery_point(state: &State, region: &str, resource_type: &str) -> String {
    if resource_type == "EBS" || resource_type == "EC2" {
        format!("arn:aws:ec2:{region}::snapshot/snap-{}", random_hex(17))
    } else {
        format!(
            "arn:aws:backup:{region}:{}:recovery-point:{}",
            state.0.account,
            uuid::Uuid::new_v4().to_string().to_ascii_uppercase()
        )
    }
}

/// The checks of `StartBackupJob`'s input: the refusal of the first one that fails.
fn check_start(state: &State, body: &Value) -> Option<Response> {
    for member in ["BackupVaultName", "ResourceArn", "IamRoleArn"] {
        if text(body, member).is_none_or(str::is_empty) {
            return Some(missing(member));
        }
    }
    let vault = text(body, "BackupVaultName").unwrap_or_default();
    if !(2..=50).contains(&vault.len())
        || !vault
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Some(invalid(
            "BackupVaultName must match ^[a-zA-Z0-9\\-\\_]{2,50}$",
        ));
    }
    for member in [
        "ResourceArn",
        "IamRoleArn",
        "LogicallyAirGappedBackupVaultArn",
    ] {
        if let Some(arn) = body.get(member)
            && !arn.as_str().is_some_and(is_arn)
        {
            return Some(invalid(&format!("{member} is not a valid ARN")));
        }
    }
    let role = text(body, "IamRoleArn").unwrap_or_default();
    if role.split(':').nth(2) != Some("iam") || !role.contains(":role/") {
        return Some(invalid("IamRoleArn must be the ARN of an IAM role"));
    }
    if let Some(minutes) = body.get("StartWindowMinutes") {
        match minutes.as_i64() {
            Some(m) if (60..=52_560_000).contains(&m) => {}
            _ => return Some(invalid("StartWindowMinutes must be from 60 to 52560000")),
        }
    }
    if let Some(minutes) = body.get("CompleteWindowMinutes") {
        match minutes.as_i64() {
            Some(m) if (1..=52_560_000).contains(&m) => {}
            _ => return Some(invalid("CompleteWindowMinutes must be from 1 to 52560000")),
        }
    }
    if let Some(lifecycle) = body.get("Lifecycle") {
        let days = |member: &str| lifecycle.get(member).and_then(Value::as_i64);
        if lifecycle.get("DeleteAfterEvent").is_some() {
            return Some(invalid("DeleteAfterEvent is not valid as an input"));
        }
        if let (Some(cold), Some(delete)) =
            (days("MoveToColdStorageAfterDays"), days("DeleteAfterDays"))
            && delete < cold + 90
        {
            return Some(invalid(
                "DeleteAfterDays must be at least 90 days after MoveToColdStorageAfterDays",
            ));
        }
    }
    if let Some(options) = body.get("BackupOptions") {
        let valid = options.as_object().is_some_and(|map| {
            map.iter()
                .all(|(k, v)| option_word(k) && v.as_str().is_some_and(option_word))
        });
        if !valid {
            return Some(invalid(
                "BackupOptions keys and values must match ^[a-zA-Z0-9\\-\\_\\.]{1,50}$",
            ));
        }
    }
    if let Some(index) = body.get("Index")
        && !matches!(index.as_str(), Some("ENABLED" | "DISABLED"))
    {
        return Some(invalid("Index must be ENABLED or DISABLED"));
    }
    if let Some(token) = body.get("IdempotencyToken")
        && !token.is_string()
    {
        return Some(error(
            400,
            "SerializationException",
            "IdempotencyToken must be a string",
        ));
    }
    if !state.0.vaults.contains(vault) {
        return Some(error(
            400,
            "ResourceNotFoundException",
            &format!("Backup vault {vault} does not exist"),
        ));
    }
    None
}

/// `PUT /backup-jobs`.
pub(crate) async fn start(Extract(state): Extract<State>, request: Request) -> Response {
    let signed = match authenticate(&state, request).await {
        Ok(signed) => signed,
        Err(refused) => return refused,
    };
    let Ok(body) = serde_json::from_slice::<Value>(&signed.body) else {
        return error(
            400,
            "SerializationException",
            "The request body is not valid JSON",
        );
    };
    if !body.is_object() {
        return error(
            400,
            "SerializationException",
            "The request body is not a JSON object",
        );
    }
    if let Some(refused) = check_start(&state, &body) {
        return refused;
    }
    let region = signed.region;
    let mut keys = lock(&state.0.idempotency);
    let mut jobs = lock(&state.0.jobs);
    // "Retrying a successful request with the same idempotency token results in a
    // success message with no action taken."
    let token_key = text(&body, "IdempotencyToken").map(|token| job_key(&region, token));
    if let Some(job) = token_key
        .as_ref()
        .and_then(|key| keys.get(key))
        .and_then(|key| jobs.get(key))
    {
        return json_answer(StatusCode::OK, &start_answer(job));
    }
    let resource_arn = text(&body, "ResourceArn").unwrap_or_default().to_owned();
    let (kind, at_start) = resource_type(&resource_arn);
    let spec = state.0.shared.lifecycle();
    let start_window = body
        .get("StartWindowMinutes")
        .and_then(Value::as_u64)
        .map_or(DEFAULT_START_WINDOW, |m| {
            Duration::from_secs(m.saturating_mul(60))
        });
    let id = uuid::Uuid::new_v4().to_string().to_ascii_uppercase();
    let key = job_key(&region, &id);
    let children: Vec<String> = state
        .0
        .stacks
        .get(&resource_arn)
        .cloned()
        .unwrap_or_default();
    let lifecycle = Lifecycle::new(spec);
    let mut child_keys = Vec::new();
    for (index, child_arn) in children.iter().enumerate() {
        let child_id = uuid::Uuid::new_v4().to_string().to_ascii_uppercase();
        let child_key = job_key(&region, &child_id);
        let (child_kind, child_at_start) = resource_type(child_arn);
        jobs.insert(
            child_key.clone(),
            Job {
                id: child_id,
                region: region.clone(),
                vault: text(&body, "BackupVaultName")
                    .unwrap_or_default()
                    .to_owned(),
                resource_arn: child_arn.clone(),
                resource_type: child_kind.to_owned(),
                role_arn: text(&body, "IamRoleArn").unwrap_or_default().to_owned(),
                lifecycle: lifecycle.clone(),
                created: Instant::now(),
                start_window,
                expired: false,
                queued_reads: 0,
                parent: Some(key.clone()),
                children: Vec::new(),
                fails_on_warning: index + 1 == children.len(),
                recovery_point_arn: recovery_point(&state, &region, child_kind),
                recovery_point_at_start: child_at_start,
                size_bytes: size_of(child_kind),
                backup_options: BTreeMap::new(),
                recovery_point_lifecycle: body.get("Lifecycle").cloned(),
            },
        );
        child_keys.push(child_key);
    }
    let backup_options = body
        .get("BackupOptions")
        .and_then(Value::as_object)
        .map(|map| {
            map.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    let job = Job {
        id,
        region: region.clone(),
        vault: text(&body, "BackupVaultName")
            .unwrap_or_default()
            .to_owned(),
        resource_arn,
        resource_type: kind.to_owned(),
        role_arn: text(&body, "IamRoleArn").unwrap_or_default().to_owned(),
        lifecycle,
        created: Instant::now(),
        start_window,
        expired: false,
        queued_reads: 0,
        parent: None,
        children: child_keys,
        fails_on_warning: false,
        recovery_point_arn: recovery_point(&state, &region, kind),
        recovery_point_at_start: at_start,
        size_bytes: size_of(kind),
        backup_options,
        recovery_point_lifecycle: body.get("Lifecycle").cloned(),
    };
    let answer = start_answer(&job);
    jobs.insert(key.clone(), job);
    if let Some(token_key) = token_key {
        keys.insert(token_key, key);
    }
    state.0.shared.accepted().increment();
    json_answer(StatusCode::OK, &answer)
}

/// The demo sizes: an EBS volume reports its provisioned size (8 GiB here), anything
/// else 1 GiB.
fn size_of(kind: &str) -> i64 {
    if kind == "EBS" { 8 << 30 } else { 1 << 30 }
}

fn start_answer(job: &Job) -> Value {
    let mut answer = json!({
        "BackupJobId": job.id,
        "CreationDate": to_seconds(job.lifecycle.created_at()),
        "IsParent": !job.children.is_empty(),
    });
    if job.recovery_point_at_start {
        answer["RecoveryPointArn"] = json!(job.recovery_point_arn);
    }
    answer
}

/// The job id of `/backup-jobs/{id}`, decoded.
fn job_id_of(path: &str) -> Option<String> {
    let id = path.strip_prefix("/backup-jobs/")?;
    (!id.is_empty() && !id.contains('/')).then(|| sigv4::uri_decode(&id.replace('+', "%2B")))
}

/// `GET` and `POST /backup-jobs/{id}`.
pub(crate) async fn job(Extract(state): Extract<State>, request: Request) -> Response {
    let signed = match authenticate(&state, request).await {
        Ok(signed) => signed,
        Err(refused) => return refused,
    };
    let Some(id) = job_id_of(&signed.path) else {
        return missing("BackupJobId");
    };
    let key = job_key(&signed.region, &id);
    if signed.method == Method::POST {
        stop(&state, &key, &id)
    } else {
        describe(&state, &key, &id)
    }
}

fn not_found(id: &str) -> Response {
    error(
        400,
        "ResourceNotFoundException",
        &format!("Backup job {id} does not exist"),
    )
}

/// The phase of `job` (a child's is its parent's), observing it when `observe`.
fn phase_of(
    jobs: &mut std::collections::HashMap<String, Job>,
    key: &str,
    observe: bool,
) -> Option<(Phase, Lifecycle)> {
    let parent = jobs.get(key)?.parent.clone();
    let owner = parent.as_deref().unwrap_or(key);
    let owner_job = jobs.get_mut(owner)?;
    let phase = if observe && parent.is_none() {
        owner_job.lifecycle.observe()
    } else {
        owner_job.lifecycle.peek()
    };
    let times = owner_job.lifecycle.clone();
    let job = jobs.get_mut(key)?;
    if matches!(phase, Phase::Queued) {
        if observe {
            job.queued_reads = job.queued_reads.saturating_add(1);
        }
        if Instant::now().saturating_duration_since(job.created) >= job.start_window {
            job.expired = true;
        }
    }
    Some((phase, times))
}

fn describe(state: &State, key: &str, id: &str) -> Response {
    let mut jobs = lock(&state.0.jobs);
    let Some((phase, times)) = phase_of(&mut jobs, key, true) else {
        return not_found(id);
    };
    let Some(job) = jobs.get(key) else {
        return not_found(id);
    };
    let is_parent = !job.children.is_empty();
    let children = is_parent.then(|| {
        let mut counts: BTreeMap<&'static str, i64> = BTreeMap::new();
        for child in job.children.iter().filter_map(|k| jobs.get(k)) {
            let (child_state, _) = State::state_of(child, &phase, false);
            *counts.entry(child_state).or_default() += 1;
        }
        counts
    });
    let (job_state, message) = State::state_of(job, &phase, is_parent);
    let view = state.view(
        job,
        &times,
        &phase,
        job_state,
        message.as_deref(),
        children.as_ref(),
    );
    json_answer(StatusCode::OK, &view)
}

fn stop(state: &State, key: &str, id: &str) -> Response {
    let mut jobs = lock(&state.0.jobs);
    let Some((phase, _)) = phase_of(&mut jobs, key, false) else {
        return not_found(id);
    };
    let Some(job) = jobs.get(key) else {
        return not_found(id);
    };
    if cannot_stop(&job.resource_arn) {
        return error(
            400,
            "InvalidRequestException",
            &format!(
                "StopBackupJob is not supported for {} resources",
                job.resource_type
            ),
        );
    }
    if phase.is_terminal() || job.expired {
        let (job_state, _) = State::state_of(job, &phase, !job.children.is_empty());
        return error(
            400,
            "InvalidRequestException",
            &format!("Backup job {id} is {job_state} and cannot be stopped"),
        );
    }
    let owner = job.parent.clone().unwrap_or_else(|| key.to_owned());
    if let Some(owner) = jobs.get_mut(&owner) {
        owner.lifecycle.request_cancel();
    }
    crate::emulator::answer::answer(StatusCode::OK, "application/json", String::new())
}

/// `GET /backup-jobs/` with `parentJobId`, `state`, `resourceArn`, `backupVaultName`,
/// `maxResults` (1-1000) and `nextToken`.
pub(crate) async fn list(Extract(state): Extract<State>, request: Request) -> Response {
    let signed = match authenticate(&state, request).await {
        Ok(signed) => signed,
        Err(refused) => return refused,
    };
    let query: Vec<(String, String)> = signed
        .query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (sigv4::uri_decode(k), sigv4::uri_decode(v))
        })
        .collect();
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let max = match param("maxResults").map(str::parse::<usize>) {
        None => 1000,
        Some(Ok(n)) if (1..=1000).contains(&n) => n,
        Some(_) => return invalid("maxResults must be from 1 to 1000"),
    };
    let start = match param("nextToken").map(str::parse::<usize>) {
        None => 0,
        Some(Ok(n)) => n,
        Some(Err(_)) => return invalid("nextToken is not valid"),
    };
    let parent = param("parentJobId").map(|id| job_key(&signed.region, id));
    let mut jobs = lock(&state.0.jobs);
    let mut keys: Vec<String> = jobs
        .iter()
        .filter(|(_, job)| job.region == signed.region)
        .filter(|(_, job)| parent.is_none() || job.parent == parent)
        .filter(|(_, job)| param("resourceArn").is_none_or(|arn| job.resource_arn == arn))
        .filter(|(_, job)| param("backupVaultName").is_none_or(|vault| job.vault == vault))
        .map(|(key, _)| key.clone())
        .collect();
    keys.sort();
    let mut listed = Vec::new();
    for key in &keys {
        let Some((phase, times)) = phase_of(&mut jobs, key, false) else {
            continue;
        };
        let Some(job) = jobs.get(key) else { continue };
        let (job_state, message) = State::state_of(job, &phase, !job.children.is_empty());
        if param("state").is_some_and(|wanted| wanted != job_state) {
            continue;
        }
        listed.push(state.view(job, &times, &phase, job_state, message.as_deref(), None));
    }
    let page: Vec<Value> = listed.iter().skip(start).take(max).cloned().collect();
    let mut body = json!({ "BackupJobs": page });
    if start + max < listed.len() {
        body["NextToken"] = json!((start + max).to_string());
    }
    json_answer(StatusCode::OK, &body)
}

/// Anything else.
pub(crate) async fn fallback() -> Response {
    error(404, "UnknownOperationException", "Unknown operation")
}
