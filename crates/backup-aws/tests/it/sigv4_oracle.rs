//! Our own SigV4 signer against `aws-sigv4` (the signer the crate used before, kept as
//! a dev-dependency to be the oracle): for many generated requests (methods, paths with
//! special characters and dot segments, unsorted and repeated query keys with reserved
//! characters, headers in mixed case with extra spaces and repeated names, bodies, with
//! and without a session token, Regions and dates), the headers our signer sets are
//! those `aws-sigv4` sets with the settings the crate used, byte for byte, in the same
//! order; and a pinned signature does not change.

use std::cell::Cell;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use backup_aws::auth::SigV4;
use backup_aws::auth::sigv4::{Keys, SigningKeys};
use backup_core::auth::{StaticToken, TokenCache};
use backup_core::testing::runner;
use backup_core::transport::Request;
use http::{HeaderName, HeaderValue, Method};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

/// The headers a signature sets (the old signer removed them before signing too).
const SIGNATURE_HEADERS: [&str; 4] = [
    "authorization",
    "x-amz-date",
    "x-amz-security-token",
    "x-amz-content-sha256",
];

/// `request` signed by `aws-sigv4` as the crate signed it before it had its own signer;
/// `None` when `aws-sigv4` refuses it.
fn oracle(
    request: &Request,
    region: &str,
    keys: Keys<'_>,
    time: SystemTime,
) -> Option<Vec<(String, Vec<u8>)>> {
    let mut request = request.clone();
    for name in SIGNATURE_HEADERS {
        request.headers.remove(name);
    }
    let identity = aws_credential_types::Credentials::new(
        keys.access_key_id,
        keys.secret_access_key,
        keys.session_token.map(str::to_owned),
        None,
        "oracle",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("backup")
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .ok()?
        .into();
    let mut headers = Vec::new();
    for (name, value) in &request.headers {
        headers.push((name.as_str(), value.to_str().ok()?));
    }
    let signable = SignableRequest::new(
        request.method.as_str(),
        request.url.as_str(),
        headers.into_iter(),
        SignableBody::Bytes(&request.body),
    )
    .ok()?;
    let (instructions, _) = sign(signable, &params).ok()?.into_parts();
    let (signed, _) = instructions.into_parts();
    for header in signed {
        request.headers.insert(
            HeaderName::from_static(header.name()),
            HeaderValue::from_str(header.value()).ok()?,
        );
    }
    Some(listed(&request))
}

/// Every header of `request`, in order.
fn listed(request: &Request) -> Vec<(String, Vec<u8>)> {
    request
        .headers
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), value.as_bytes().to_vec()))
        .collect()
}

fn signer(region: &str, keys: &Arc<SigningKeys>) -> SigV4 {
    let unused: Arc<TokenCache> = Arc::new(TokenCache::new(Arc::new(StaticToken::new("unused"))));
    SigV4::with_keys(unused, region, Arc::clone(keys))
}

/// A generated request and what it is signed with.
#[derive(Debug, Clone)]
struct Case {
    method: &'static str,
    base: &'static str,
    path: Vec<String>,
    raw_path: bool,
    query: Vec<(String, String)>,
    raw_query: bool,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    secret: String,
    token: Option<String>,
    region: &'static str,
    seconds: u64,
}

fn case() -> impl Strategy<Value = Case> {
    let text = "[a-zA-Z0-9 ._~%/+:@!$&'()*,;=?#ሴé-]{0,8}";
    (
        (
            select(vec!["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"]),
            select(vec![
                "https://backup.eu-central-1.amazonaws.com",
                "http://127.0.0.1:9",
                "https://localhost:443",
                "http://[::1]:8080",
                "http://Backup.Example.COM:80",
            ]),
            vec(
                prop_oneof![
                    Just(".".to_owned()),
                    Just("..".to_owned()),
                    Just(String::new()),
                    text.prop_map(String::from)
                ],
                0..5,
            ),
            any::<bool>(),
            vec((text, text), 0..5),
            any::<bool>(),
        ),
        (
            vec(
                (
                    select(vec![
                        "Content-Type",
                        "content-type",
                        "X-Amz-Target",
                        "X-Custom",
                        "x-custom",
                        "User-Agent",
                        "Accept",
                        "X-Amzn-Trace-Id",
                        "Content-Length",
                        "Host",
                        "Transfer-Encoding",
                        "Authorization",
                        "X-Amz-Date",
                        "X-Amz-Security-Token",
                        "X-Amz-Content-Sha256",
                    ]),
                    "[ a-zA-Z0-9\t,;=/:.-]{0,16}",
                ),
                0..6,
            ),
            vec(any::<u8>(), 0..64),
            "[A-Za-z0-9/+]{1,40}",
            proptest::option::of("[A-Za-z0-9/+= ]{1,40}"),
            select(vec![
                "us-east-1",
                "eu-central-1",
                "ap-southeast-2",
                "cn-north-1",
            ]),
            0u64..4_000_000_000,
        ),
    )
        .prop_map(
            |(
                (method, base, path, raw_path, query, raw_query),
                (headers, body, secret, token, region, seconds),
            )| Case {
                method,
                base,
                path,
                raw_path,
                query,
                raw_query,
                headers,
                body,
                secret,
                token,
                region,
                seconds,
            },
        )
}

impl Case {
    /// The request, or `None` when its URL does not parse.
    fn request(&self) -> Option<Request> {
        let mut url = if self.raw_path {
            url::Url::parse(&format!("{}/{}", self.base, self.path.join("/"))).ok()?
        } else {
            let mut url = url::Url::parse(self.base).ok()?;
            url.path_segments_mut().ok()?.extend(&self.path);
            url
        };
        if self.raw_query {
            let raw: Vec<String> = self.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
            url.set_query(Some(&raw.join("&")));
        } else if !self.query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (name, value) in &self.query {
                pairs.append_pair(name, value);
            }
        }
        let method = Method::from_bytes(self.method.as_bytes()).ok()?;
        let mut request = Request::new("aws", method, url);
        for (name, value) in &self.headers {
            request.headers.append(
                HeaderName::from_bytes(name.as_bytes()).ok()?,
                HeaderValue::from_str(value).ok()?,
            );
        }
        request.body = self.body.clone().into();
        Some(request)
    }
}

#[test]
fn our_signer_sets_the_headers_aws_sigv4_sets() {
    let keys = Arc::new(SigningKeys::new());
    let compared = Cell::new(0u32);
    let refused = Cell::new(0u32);
    runner(2048)
        .run(&case(), |case| {
            let Some(mut request) = case.request() else {
                return Ok(());
            };
            let keys_of = Keys {
                access_key_id: "AKIDEXAMPLE",
                secret_access_key: &case.secret,
                session_token: case.token.as_deref(),
            };
            let time = UNIX_EPOCH + Duration::from_millis(case.seconds * 1000 + 999);
            let expected = oracle(&request, case.region, keys_of, time);
            let ours = signer(case.region, &keys).sign_at(&mut request, keys_of, time);
            match expected {
                Some(expected) => {
                    prop_assert!(ours.is_ok(), "{ours:?} for {case:?}");
                    prop_assert_eq!(listed(&request), expected, "{:?}", case);
                    compared.set(compared.get() + 1);
                }
                None => refused.set(refused.get() + 1),
            }
            Ok(())
        })
        .unwrap();
    let (compared, refused) = (compared.get(), refused.get());
    assert!(
        compared > 1500,
        "only {compared} compared ({refused} refused by aws-sigv4)"
    );
}

#[test]
fn a_signature_does_not_change() {
    let url = url::Url::parse(
        "https://backup.eu-central-1.amazonaws.com/backup-jobs/A%2FB?maxResults=5&byState=RUNNING",
    )
    .unwrap();
    let mut request = Request::new("aws", Method::POST, url);
    request
        .headers
        .insert("content-type", HeaderValue::from_static("application/json"));
    request.body = br#"{"BackupVaultName":"Default"}"#.to_vec().into();
    let time = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let keys = Keys {
        access_key_id: "AKIDEXAMPLE",
        secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        session_token: Some("session-token"),
    };
    let expected = oracle(&request, "eu-central-1", keys, time).unwrap();
    signer("eu-central-1", &Arc::default())
        .sign_at(&mut request, keys, time)
        .unwrap();
    assert_eq!(listed(&request), expected);
    insta::assert_debug_snapshot!(listed_text(&request));
}

fn listed_text(request: &Request) -> Vec<(String, String)> {
    listed(request)
        .into_iter()
        .map(|(name, value)| (name, String::from_utf8_lossy(&value).into_owned()))
        .collect()
}
