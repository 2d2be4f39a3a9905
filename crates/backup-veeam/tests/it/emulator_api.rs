//! The emulator speaks the vendor's API (not just what our client sends): raw HTTP
//! checks of its answers, status codes and error bodies.
#![cfg(feature = "emulator")]

use backup_core::emulator::{Fault, RouteClass};
use backup_veeam::emulator::{
    DEMO_POLICY_ID, EMULATOR_PASSWORD, EMULATOR_USERNAME, Emulator, PROBLEM_CONTENT_TYPE,
};
use backup_veeam::prelude::*;
use serde_json::Value;

struct Raw {
    http: reqwest::Client,
    base: String,
}

impl Raw {
    fn new(emulator: &Emulator) -> Self {
        Self {
            http: reqwest::Client::new(),
            base: emulator.url().as_str().trim_end_matches('/').to_owned(),
        }
    }

    async fn token(&self, form: &str) -> (u16, String, Value) {
        let answer = self
            .http
            .post(format!("{}/api/oauth2/token", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.to_owned())
            .send()
            .await
            .unwrap();
        read(answer).await
    }

    async fn login(&self) -> Value {
        let (status, _, body) = self
            .token(&format!(
                "grant_type=Password&username={EMULATOR_USERNAME}&password={EMULATOR_PASSWORD}"
            ))
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
    ) -> (u16, String, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        read(request.send().await.unwrap()).await
    }
}

async fn read(answer: reqwest::Response) -> (u16, String, Value) {
    let status = answer.status().as_u16();
    let content_type = answer
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let text = answer.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, content_type, body)
}

fn token_of(login: &Value) -> String {
    login["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_token_endpoint_follows_the_oauth_form() {
    let emulator = Emulator::start().await.unwrap();
    let raw = Raw::new(&emulator);
    let login = raw.login().await;
    for field in [
        "access_token",
        "refresh_token",
        "token_type",
        ".issued",
        ".expires",
    ] {
        assert!(login[field].is_string(), "{field}: {login}");
    }
    // The v8.1 spec's `Login` types both times `date-time`.
    for field in [".issued", ".expires"] {
        let text = login[field].as_str().unwrap();
        assert!(
            backup_core::timefmt::parse_rfc3339(text).is_some(),
            "{field}: {text}"
        );
    }
    assert_eq!(login["expires_in"], 3600);
    // Grant names are capitalised as the API wants.
    let (status, content_type, body) = raw
        .token(&format!(
            "grant_type=password&username={EMULATOR_USERNAME}&password={EMULATOR_PASSWORD}"
        ))
        .await;
    assert_eq!(status, 400);
    assert_eq!(content_type, PROBLEM_CONTENT_TYPE);
    assert!(body["errors"]["grant_type"].is_array(), "{body}");
    // JSON is not accepted.
    let answer = raw
        .http
        .post(format!("{}/api/oauth2/token", raw.base))
        .header("content-type", "application/json")
        .body(r#"{"grant_type":"Password"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 415);
    // A wrong password.
    let (status, _, body) = raw
        .token(&format!(
            "grant_type=Password&username={EMULATOR_USERNAME}&password=nope"
        ))
        .await;
    assert_eq!(status, 401);
    assert!(
        body["traceId"].as_str().unwrap().starts_with("00-"),
        "{body}"
    );
    assert_eq!(emulator.token_requests(), 4);
}

#[tokio::test]
async fn refresh_tokens_rotate_and_logout_revokes_both_tokens() {
    let emulator = Emulator::start().await.unwrap();
    let raw = Raw::new(&emulator);
    let login = raw.login().await;
    let first_refresh = login["refresh_token"].as_str().unwrap().to_owned();
    let (status, _, renewed) = raw
        .token(&format!(
            "grant_type=Refresh_token&refresh_token={first_refresh}"
        ))
        .await;
    assert_eq!(status, 200);
    assert_ne!(renewed["refresh_token"].as_str().unwrap(), first_refresh);
    // The spent refresh token is refused.
    let (status, _, _) = raw
        .token(&format!(
            "grant_type=Refresh_token&refresh_token={first_refresh}"
        ))
        .await;
    assert_eq!(status, 400);
    // Logout revokes the access token and its refresh token.
    let token = token_of(&renewed);
    let (status, _, _) = raw
        .call(reqwest::Method::DELETE, "/api/oauth2/token", Some(&token))
        .await;
    assert_eq!(status, 204);
    let (status, _, _) = raw
        .call(
            reqwest::Method::GET,
            "/api/v8.1/jobSessions/1",
            Some(&token),
        )
        .await;
    assert_eq!(status, 401);
    let refresh = renewed["refresh_token"].as_str().unwrap();
    let (status, _, _) = raw
        .token(&format!("grant_type=Refresh_token&refresh_token={refresh}"))
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn the_api_checks_tokens_layouts_and_answers_problems() {
    let emulator = Emulator::start().await.unwrap();
    let raw = Raw::new(&emulator);
    let token = token_of(&raw.login().await);
    let post = reqwest::Method::POST;
    // No token, an unknown token, an expired token.
    let start_v81 = format!("/api/v8.1/policies/virtualMachines/{DEMO_POLICY_ID}/start");
    let (status, content_type, _) = raw.call(post.clone(), &start_v81, None).await;
    assert_eq!((status, content_type.as_str()), (401, PROBLEM_CONTENT_TYPE));
    let (status, _, _) = raw.call(post.clone(), &start_v81, Some("forged")).await;
    assert_eq!(status, 401);
    // The layouts belong to their versions.
    let (status, _, _) = raw
        .call(
            post.clone(),
            &format!("/api/v8.1/policies/{DEMO_POLICY_ID}/start"),
            Some(&token),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _, _) = raw
        .call(
            post.clone(),
            &format!("/api/v1/policies/virtualMachines/{DEMO_POLICY_ID}/start"),
            Some(&token),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _, _) = raw
        .call(
            post.clone(),
            &format!("/api/v9/policies/virtualMachines/{DEMO_POLICY_ID}/start"),
            Some(&token),
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(emulator.accepted_backups(), 0);
    // v1 answers 200 with the document's fields; a second start is a 409 naming the session.
    let (status, _, sessions) = raw
        .call(
            post.clone(),
            &format!("/api/v1/policies/{DEMO_POLICY_ID}/start"),
            Some(&token),
        )
        .await;
    assert_eq!(status, 200);
    let sessions = sessions.as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions[0]["type"], "PolicySnapshot");
    assert_eq!(sessions[1]["type"], "PolicyBackup");
    assert_eq!(sessions[0]["usn"], 0);
    assert_eq!(sessions[0]["backupJobInfo"]["policyName"], "Backup Policy");
    assert!(
        sessions[0]["_links"]["log"]["href"]
            .as_str()
            .unwrap()
            .ends_with("/log")
    );
    let (status, content_type, conflict) = raw.call(post.clone(), &start_v81, Some(&token)).await;
    assert_eq!((status, content_type.as_str()), (409, PROBLEM_CONTENT_TYPE));
    assert_eq!(conflict["resourceId"], DEMO_POLICY_ID);
    assert_eq!(conflict["sessionId"], sessions[0]["id"]);
    assert_eq!(emulator.accepted_backups(), 1);
    // Sessions read in v8.1 carry localizedType and policyType, not usn.
    let id = sessions[0]["id"].as_str().unwrap();
    let (status, _, session) = raw
        .call(
            reqwest::Method::GET,
            &format!("/api/v8.1/jobSessions/{id}"),
            Some(&token),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(session["localizedType"], "Policy Snapshot");
    assert_eq!(session["backupJobInfo"]["policyType"], "VirtualMachines");
    assert!(session.get("usn").is_none());
    let (_, _, log) = raw
        .call(
            reqwest::Method::GET,
            &format!("/api/v8.1/jobSessions/{id}/log"),
            Some(&token),
        )
        .await;
    assert_eq!(log["jobSessionId"], id);
    assert!(log["log"].as_array().unwrap()[0]["message"].is_string());
    // One read so far: the default lifecycle shows it queued once.
    assert_eq!(emulator.session_status(id).as_deref(), Some("Pending"));
    let (status, _, _) = raw
        .call(
            reqwest::Method::GET,
            "/api/v8.1/jobSessions/999",
            Some(&token),
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn injected_faults_answer_in_the_vendors_error_format() {
    let emulator = Emulator::start().await.unwrap();
    let raw = Raw::new(&emulator);
    emulator.faults().inject(
        RouteClass::Auth,
        Fault::retry_after(429, std::time::Duration::from_secs(2)),
    );
    let answer = raw
        .http
        .post(format!("{}/api/oauth2/token", raw.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=Password")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 429);
    assert_eq!(answer.headers()["retry-after"], "2");
    let (_, content_type, body) = read(answer).await;
    assert_eq!(content_type, PROBLEM_CONTENT_TYPE);
    assert_eq!(body["status"], 429);
    assert_eq!(body["title"], "Too Many Requests");
    assert_eq!(
        emulator.token_requests(),
        0,
        "a refused request is not served"
    );
}

/// The v8.1 spec's list reads: `PageOfJobSession` with its filters, a session's
/// `PageOfProtectedItem`, the `PageOfVirtualMachineRestorePoint` (v6+ only); malformed query values
/// are `400` problems naming the parameter; none of them is a poll.
#[tokio::test]
async fn the_lists_answer_the_specs_shapes_and_filters() {
    let emulator = Emulator::start().await.unwrap();
    let raw = Raw::new(&emulator);
    let token = token_of(&raw.login().await);
    let get = reqwest::Method::GET;
    let start = format!("/api/v8.1/policies/virtualMachines/{DEMO_POLICY_ID}/start");
    let (status, _, sessions) = raw.call(reqwest::Method::POST, &start, Some(&token)).await;
    assert_eq!(status, 202);
    let ids: Vec<&str> = sessions
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    // Read both sessions to their end (done at the fourth read by default).
    for _ in 0..4 {
        for id in &ids {
            raw.call(
                get.clone(),
                &format!("/api/v8.1/jobSessions/{id}"),
                Some(&token),
            )
            .await;
        }
    }
    let (status, _, page) = raw
        .call(
            get.clone(),
            &format!("/api/v8.1/jobSessions?policyId={DEMO_POLICY_ID}&FromUtc=2000-01-01T00:00:00Z&Status=Success,Warning&Types=PolicyBackup&Offset=0&Limit=-1"),
            Some(&token),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(page["totalCount"], 1);
    assert_eq!(page["results"][0]["id"], ids[1]);
    assert_eq!(
        page["results"][0]["backupJobInfo"]["protectedInstancesCount"],
        2
    );
    for key in ["offset", "limit", "_links"] {
        assert!(page.get(key).is_some(), "{key}");
    }
    let (_, _, none) = raw
        .call(
            get.clone(),
            "/api/v8.1/jobSessions?PolicyId=00000000-0000-4000-8000-000000000000",
            Some(&token),
        )
        .await;
    assert_eq!(none["results"], serde_json::json!([]));
    for bad in ["FromUtc=yesterday", "Offset=-3", "Limit=x"] {
        let (status, content_type, problem) = raw
            .call(
                get.clone(),
                &format!("/api/v8.1/jobSessions?{bad}"),
                Some(&token),
            )
            .await;
        assert_eq!(
            (status, content_type.as_str()),
            (400, PROBLEM_CONTENT_TYPE),
            "{bad}"
        );
        let name = bad.split('=').next().unwrap();
        assert!(problem["errors"].get(name).is_some(), "{bad}: {problem}");
    }
    // Protected items: the policy's VMs, each with this session's run and its rates.
    let (status, _, items) = raw
        .call(
            get.clone(),
            &format!("/api/v8.1/jobSessions/{}/protectedItems", ids[1]),
            Some(&token),
        )
        .await;
    assert_eq!(status, 200);
    let results = items["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["resource"]["name"], "vm-web-01");
    assert_eq!(results[0]["runs"][0]["jobSessionId"], ids[1]);
    assert_eq!(results[0]["runs"][0]["status"], "Success");
    assert!(
        results[0]["runs"][0]["rates"]["transferredDataBytes"]
            .as_u64()
            .unwrap()
            > 0
    );
    // Restore points: a page; OnlyLatest keeps one per VM and destination.
    let (status, _, points) = raw
        .call(
            get.clone(),
            "/api/v8.1/restorePoints/virtualMachines?OnlyLatest=true",
            Some(&token),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(points["totalCount"], 4);
    let points = points["results"].as_array().unwrap();
    assert_eq!(points.len(), 4);
    let from_backup: Vec<&Value> = points
        .iter()
        .filter(|p| p["jobSessionId"] == ids[1])
        .collect();
    assert_eq!(from_backup.len(), 2);
    assert!(
        from_backup
            .iter()
            .all(|p| p["backupDestination"] == "AzureBlob")
    );
    assert!(from_backup.iter().all(|p| p["type"] == "Full"));
    let vm = points[0]["resourceHashId"].as_str().unwrap();
    let (_, _, one_vm) = raw
        .call(
            get.clone(),
            &format!("/api/v8.1/restorePoints/virtualMachines?VirtualMachineId={vm}"),
            Some(&token),
        )
        .await;
    assert_eq!(one_vm["results"].as_array().unwrap().len(), 2);
    let (status, _, _) = raw
        .call(
            get.clone(),
            "/api/v8.1/restorePoints/virtualMachines?OnlyLatest=maybe",
            Some(&token),
        )
        .await;
    assert_eq!(status, 400);
    let (status, _, _) = raw
        .call(
            get.clone(),
            "/api/v1/restorePoints/virtualMachines",
            Some(&token),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _, _) = raw.call(get.clone(), "/api/v8.1/jobSessions", None).await;
    assert_eq!(status, 401);
    // The eight session reads were polls; the lists, items and points were not.
    assert_eq!(emulator.requests().count(RouteClass::Poll), 8);
}
