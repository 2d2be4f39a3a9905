//! The lookups cvpysdk makes to find a subclient before backing it up (`GET Client`,
//! `Client/{id}`, `Agent`, `Instance`, `Backupset`, `Subclient`, `Schedules`), answered
//! from the [catalog](super::catalog) with the keys cvpysdk reads (its
//! `client.py`, `agent.py`, `instance.py`, `backupset.py`, `subclient.py`,
//! `schedules.py`) and the API reference names. JSON only.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State as Ext};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use serde_json::{Value, json};

use super::catalog::{ClientEntry, SubclientEntry};
use super::handlers::{access_denied, authorized, json_answer, not_found};
use super::state::State;

/// The lookup routes, added to the API router.
pub(crate) fn routes(api: Router<State>) -> Router<State> {
    api.route("/Client", get(clients))
        .route("/Client/{id}", get(client))
        .route("/VSAClientAndClientGroupList", get(access_nodes))
        .route("/Agent", get(agents))
        .route("/Instance", get(instances))
        .route("/Instance/{id}", get(instance))
        .route("/Backupset", get(backupsets))
        .route("/Backupset/{id}", get(backupset))
        .route("/Subclient", get(subclients))
        .route("/Subclient/{id}", get(subclient))
        .route("/Schedules", get(schedules))
}

type Params = Query<HashMap<String, String>>;

/// A numeric query parameter, its name in any case (`clientId`, `applicationId` ...).
fn number(query: &HashMap<String, String>, name: &str) -> Option<u64> {
    query
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.trim().parse().ok())
}

fn client_entity(client: &ClientEntry) -> Value {
    json!({
        "clientId": client.id,
        "clientName": client.name,
        "hostName": client.name,
        "displayName": client.name,
        "clientGUID": format!("0C1E{:08X}-EMULATOR", client.id),
        "_type_": 3,
    })
}

/// `GET Client` (and `?hiddenclients=true`: there are no hidden clients): every
/// client; `?PseudoClientType=VSPseudo`: no virtualization client.
async fn clients(Ext(state): Ext<State>, headers: HeaderMap, query: Params) -> Response {
    if !authorized(&state, &headers) {
        return access_denied();
    }
    if query.contains_key("PseudoClientType") {
        return json_answer(StatusCode::OK, &json!({"VSPseudoClientsList": []}));
    }
    let clients: Vec<Value> = state
        .catalog
        .clients
        .iter()
        .map(|c| json!({"client": {"clientEntity": client_entity(c)}}))
        .collect();
    json_answer(StatusCode::OK, &json!({"clientProperties": clients}))
}

/// `GET Client/{id}`: the client's properties, with what cvpysdk's `Client` reads
/// (`osInfo`, `cvdPort`, `TimeZone`, `versionInfo`, `clientProps.activityControl` and
/// `clientActivityControl`).
async fn client(Ext(state): Ext<State>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if !authorized(&state, &headers) {
        return access_denied();
    }
    let Some(client) = id.parse().ok().and_then(|id| state.catalog.client(id)) else {
        return json_answer(StatusCode::OK, &json!({}));
    };
    let activity = |kind: u32| json!({"activityType": kind, "enableActivityType": true});
    json_answer(
        StatusCode::OK,
        &json!({"clientProperties": [{
            "client": {
                "clientEntity": client_entity(client),
                "osInfo": {
                    "Type": "Windows",
                    "SubType": "Server",
                    "OsDisplayInfo": {"ProcessorType": "WinX64", "OSName": "Windows Server 2022 Datacenter"},
                },
                "cvdPort": 8400,
                "TimeZone": {"TimeZoneName": "(UTC) Coordinated Universal Time"},
                "versionInfo": {
                    "version": "ServicePack:44.0",
                    "GalaxyRelease": {"ReleaseString": "11.44"},
                },
                "installDirectory": "C:\\Program Files\\Commvault\\ContentStore",
            },
            "clientProps": {
                "activityControl": {
                    "EnableDataRecovery": true,
                    "EnableDataManagement": true,
                    "EnableOnlineContentIndex": false,
                },
                "clientActivityControl": {
                    "activityControlOptions": [activity(1), activity(2), activity(16)],
                },
                "EnableSnapBackups": false,
            },
        }]}),
    )
}

/// `GET VSAClientAndClientGroupList`: no virtualization access node.
async fn access_nodes(Ext(state): Ext<State>, headers: HeaderMap) -> Response {
    if !authorized(&state, &headers) {
        return access_denied();
    }
    json_answer(StatusCode::OK, &json!({"clients": []}))
}

/// The subclients matching the query's `clientId`, `applicationId`, `instanceId`,
/// `backupsetId` (each when given).
fn matching<'a>(
    state: &'a State,
    query: &'a HashMap<String, String>,
) -> impl Iterator<Item = &'a SubclientEntry> {
    let client = number(query, "clientId");
    let application = number(query, "applicationId");
    let instance = number(query, "instanceId");
    let backupset = number(query, "backupsetId");
    state.catalog.subclients.iter().filter(move |s| {
        client.is_none_or(|id| id == s.client_id)
            && application.is_none_or(|id| id == s.application_id)
            && instance.is_none_or(|id| id == s.instance_id)
            && backupset.is_none_or(|id| id == s.backupset_id)
    })
}

/// The first entry of each distinct key, in order.
fn distinct<'a, K: PartialEq>(
    entries: impl Iterator<Item = &'a SubclientEntry>,
    key: impl Fn(&SubclientEntry) -> K,
) -> Vec<&'a SubclientEntry> {
    let mut seen: Vec<K> = Vec::new();
    let mut out = Vec::new();
    for entry in entries {
        let k = key(entry);
        if !seen.contains(&k) {
            seen.push(k);
            out.push(entry);
        }
    }
    out
}

/// `GET Agent?clientId=N[&applicationId=M&propertyLevel=30]`: the client's agents
/// (`idaEntity`).
async fn agents(Ext(state): Ext<State>, headers: HeaderMap, query: Params) -> Response {
    if !authorized(&state, &headers) {
        return access_denied();
    }
    let agents: Vec<Value> = distinct(matching(&state, &query), |s| {
        (s.client_id, s.application_id)
    })
    .into_iter()
    .map(|s| {
        json!({"idaEntity": {
            "clientName": s.subclient.client_name,
            "clientId": s.client_id,
            "appName": s.subclient.app_name,
            "applicationId": s.application_id,
        }})
    })
    .collect();
    json_answer(StatusCode::OK, &json!({"agentProperties": agents}))
}

fn instance_entity(s: &SubclientEntry) -> Value {
    json!({
        "clientName": s.subclient.client_name,
        "clientId": s.client_id,
        "instanceName": s.subclient.instance_name,
        "instanceId": s.instance_id,
        "appName": s.subclient.app_name,
        "applicationId": s.application_id,
    })
}

/// One `instanceProperties` entry; a Cloud Apps instance says it is Amazon S3
/// (`cloudAppsInstance.instanceType` 5, cvpysdk's table) as the demo client is object
/// storage.
fn instance_properties(s: &SubclientEntry) -> Value {
    let mut properties = json!({
        "instance": instance_entity(s),
        "instanceActivityControl": {"activityControlOptions": []},
    });
    if s.application_id == 134 {
        properties["cloudAppsInstance"] = json!({"instanceType": 5});
    }
    properties
}

/// `GET Instance?clientId=N`: the client's instances.
async fn instances(Ext(state): Ext<State>, headers: HeaderMap, query: Params) -> Response {
    if !authorized(&state, &headers) {
        return access_denied();
    }
    let list: Vec<Value> = distinct(matching(&state, &query), |s| {
        (s.client_id, s.application_id, s.instance_id)
    })
    .into_iter()
    .map(instance_properties)
    .collect();
    json_answer(StatusCode::OK, &json!({"instanceProperties": list}))
}

/// `GET Instance/{id}?association/entity/clientId=N&association/entity/applicationId=M`.
async fn instance(
    Ext(state): Ext<State>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Params,
) -> Response {
    if !authorized(&state, &headers) {
        return access_denied();
    }
    let client = number(&query, "association/entity/clientId");
    let application = number(&query, "association/entity/applicationId");
    let found = id.parse::<u64>().ok().and_then(|id| {
        state.catalog.subclients.iter().find(|s| {
            s.instance_id == id
                && client.is_none_or(|c| c == s.client_id)
                && application.is_none_or(|a| a == s.application_id)
        })
    });
    match found {
        Some(s) => json_answer(
            StatusCode::OK,
            &json!({"instanceProperties": [instance_properties(s)]}),
        ),
        None => json_answer(StatusCode::OK, &json!({})),
    }
}

fn backupset_properties(s: &SubclientEntry) -> Value {
    json!({
        "backupSetEntity": {
            "clientName": s.subclient.client_name,
            "clientId": s.client_id,
            "instanceName": s.subclient.instance_name,
            "instanceId": s.instance_id,
            "appName": s.subclient.app_name,
            "applicationId": s.application_id,
            "backupsetName": s.subclient.backupset_name,
            "backupsetId": s.backupset_id,
            "_type_": 6,
        },
        "commonBackupSet": {
            "isDefaultBackupSet": s.subclient.backupset_name.eq_ignore_ascii_case("defaultBackupSet"),
        },
        "planEntity": {},
    })
}

/// `GET Backupset?clientId=N&propertyLevel=10&applicationId=M`: the backup sets.
async fn backupsets(Ext(state): Ext<State>, headers: HeaderMap, query: Params) -> Response {
    if !authorized(&state, &headers) {
        return access_denied();
    }
    let list: Vec<Value> = distinct(matching(&state, &query), |s| s.backupset_id)
        .into_iter()
        .map(backupset_properties)
        .collect();
    json_answer(StatusCode::OK, &json!({"backupsetProperties": list}))
}

/// `GET Backupset/{id}`.
async fn backupset(Ext(state): Ext<State>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if !authorized(&state, &headers) {
        return access_denied();
    }
    let found = id.parse::<u64>().ok().and_then(|id| {
        state
            .catalog
            .subclients
            .iter()
            .find(|s| s.backupset_id == id)
    });
    match found {
        Some(s) => json_answer(
            StatusCode::OK,
            &json!({"backupsetProperties": [backupset_properties(s)]}),
        ),
        None => json_answer(StatusCode::OK, &json!({})),
    }
}

fn subclient_properties(s: &SubclientEntry) -> Value {
    json!({
        "subClientEntity": s.entity(),
        "commonProperties": {
            "isDefaultSubclient": s.subclient.subclient_name.eq_ignore_ascii_case("default"),
        },
        "planEntity": {},
    })
}

/// `GET Subclient?clientId=N&applicationId=M[&backupsetId=B|&instanceId=I]&propertyLevel=20`.
async fn subclients(Ext(state): Ext<State>, headers: HeaderMap, query: Params) -> Response {
    if !authorized(&state, &headers) {
        return access_denied();
    }
    let list: Vec<Value> = matching(&state, &query).map(subclient_properties).collect();
    json_answer(StatusCode::OK, &json!({"subClientProperties": list}))
}

/// `GET Subclient/{id}`: its properties (`subClientEntity`, which cvpysdk sends back as
/// the CreateTask association).
async fn subclient(Ext(state): Ext<State>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if !authorized(&state, &headers) {
        return access_denied();
    }
    match id.parse().ok().and_then(|id| state.catalog.subclient(id)) {
        Some(s) => json_answer(
            StatusCode::OK,
            &json!({"subClientProperties": [subclient_properties(s)]}),
        ),
        None => not_found().await,
    }
}

/// `GET Schedules?clientId=...`: the emulator keeps no schedule.
async fn schedules(Ext(state): Ext<State>, headers: HeaderMap) -> Response {
    if !authorized(&state, &headers) {
        return access_denied();
    }
    json_answer(StatusCode::OK, &json!({"taskDetail": []}))
}
