//! The emulator's SigV4 verifier against AWS's published signing test suite (the `v4`
//! vectors the AWS SDKs share, as `awslabs/aws-c-auth` publishes them in
//! `tests/aws-signing-test-suite/v4/`): the signature is AWS's, the signed request
//! verifies, and any change to it does not.
//!
//! Three of the suite's published examples are written out below (their requests and
//! signatures are AWS's facts). The whole suite (38 vectors, each with its canonical
//! request and string to sign) is data of AWS's, kept out of this repository: put its
//! `v4` directory at `../shared/aws-signing-test-suite/v4` next to the workspace (or
//! name it in `BACKUP_RS_SIGV4_SUITE`) and `every_vector_of_the_suite` checks all of
//! it.
#![cfg(feature = "emulator")]

use std::path::{Path, PathBuf};

use backup_aws::emulator::sigv4::{
    self, Received, canonical_request, parse_authorization, signature, signing_key, string_to_sign,
};
use serde_json::Value;

/// A request of the suite: method, target, headers (folded lines kept), body.
struct Parsed {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn parse(text: &str) -> Parsed {
    let (head, body) = match text.split_once("\n\n") {
        Some((head, body)) => (head, body.as_bytes().to_vec()),
        None => (text.trim_end_matches('\n'), Vec::new()),
    };
    let mut lines = head.lines();
    let request_line = lines.next().unwrap();
    let (method, rest) = request_line.split_once(' ').unwrap();
    let target = rest.strip_suffix(" HTTP/1.1").unwrap();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.starts_with([' ', '\t']) {
            let last = headers.last_mut().unwrap();
            last.1.push('\n');
            last.1.push_str(line);
        } else {
            let (name, value) = line.split_once(':').unwrap();
            headers.push((name.to_owned(), value.to_owned()));
        }
    }
    Parsed {
        method: method.to_owned(),
        path: path.to_owned(),
        query: query.to_owned(),
        headers,
        body,
    }
}

impl Parsed {
    fn received(&self) -> Received<'_> {
        Received {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &self.headers,
            body: &self.body,
        }
    }
}

/// The suite's directory, when it is next to the workspace (or named by
/// `BACKUP_RS_SIGV4_SUITE`).
fn suite() -> Option<PathBuf> {
    let dir = std::env::var_os("BACKUP_RS_SIGV4_SUITE").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/aws-signing-test-suite/v4"),
        PathBuf::from,
    );
    dir.is_dir().then_some(dir)
}

fn vectors(root: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// The published credentials of every vector of the suite.
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

/// Three published vectors (region us-east-1, service `service`, 2015-08-30T12:36:00Z):
/// the signed request and its signature.
const PUBLISHED: [(&str, &str, &str); 3] = [
    (
        "get-vanilla",
        "GET / HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z\nAuthorization:AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31\n\n",
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    ),
    (
        "get-vanilla-with-session-token",
        "GET / HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Security-Token:6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267\nX-Amz-Date:20150830T123600Z\nAuthorization:AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8\n\n",
        "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8",
    ),
    (
        "post-x-www-form-urlencoded",
        "POST / HTTP/1.1\nContent-Type:application/x-www-form-urlencoded\nHost:example.amazonaws.com\nContent-Length:13\nX-Amz-Date:20150830T123600Z\nx-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e\nAuthorization:AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date, Signature=d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b\n\nParam1=value1",
        "d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b",
    ),
];

/// The published vector `name`'s signed request.
fn published(name: &str) -> Parsed {
    let (_, text, _) = PUBLISHED.iter().find(|(n, _, _)| *n == name).unwrap();
    parse(text)
}

#[test]
fn the_published_examples_sign_and_verify() {
    for (name, text, expected) in PUBLISHED {
        let signed = parse(text);
        let authorization =
            parse_authorization(sigv4::header(&signed.headers, "authorization").unwrap()).unwrap();
        let amz_date = sigv4::header(&signed.headers, "x-amz-date").unwrap();
        let canonical =
            canonical_request(&signed.received(), &authorization.signed_headers, true).unwrap();
        let scope = format!("{}/us-east-1/service/aws4_request", &amz_date[..8]);
        let to_sign = string_to_sign(amz_date, &scope, &canonical);
        let key = signing_key(SECRET, &amz_date[..8], "us-east-1", "service");
        assert_eq!(signature(&key, &to_sign), expected, "{name}");
        assert_eq!(authorization.signature, expected, "{name}");
        let now = sigv4::parse_amz_date(amz_date).unwrap();
        let ok = sigv4::verify(
            &signed.received(),
            "service",
            now,
            |_| Ok(SECRET.to_owned()),
        );
        assert!(ok.is_ok(), "{name}: {ok:?}");
        let wrong = sigv4::verify(&signed.received(), "service", now, |_| {
            Ok(format!("{SECRET}x"))
        });
        assert_eq!(
            wrong.unwrap_err().code,
            "InvalidSignatureException",
            "{name}"
        );
    }
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
}

#[test]
#[allow(clippy::print_stderr)] // says why the whole suite did not run
fn every_vector_of_the_suite() {
    let Some(root) = suite() else {
        eprintln!(
            "SKIPPED: AWS's SigV4 suite is not at ../shared/aws-signing-test-suite/v4 (or BACKUP_RS_SIGV4_SUITE); the published examples above still ran"
        );
        return;
    };
    let dirs = vectors(&root);
    assert_eq!(dirs.len(), 38, "the v4 suite has 38 vectors");
    let mut verified = 0;
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy();
        let context: Value = serde_json::from_str(&read(dir, "context.json")).unwrap();
        let secret = context["credentials"]["secret_access_key"]
            .as_str()
            .unwrap();
        let normalize = context["normalize"].as_bool().unwrap();
        let region = context["region"].as_str().unwrap();
        let service = context["service"].as_str().unwrap();
        let signed = parse(&read(dir, "header-signed-request.txt"));
        let authorization =
            parse_authorization(sigv4::header(&signed.headers, "authorization").unwrap()).unwrap();
        let amz_date = sigv4::header(&signed.headers, "x-amz-date").unwrap();

        // 1. The canonical request.
        let canonical =
            canonical_request(&signed.received(), &authorization.signed_headers, normalize)
                .unwrap();
        assert_eq!(
            canonical,
            read(dir, "header-canonical-request.txt"),
            "{name}"
        );
        // 2. The string to sign.
        let scope = format!("{}/{region}/{service}/aws4_request", &amz_date[..8]);
        let to_sign = string_to_sign(amz_date, &scope, &canonical);
        assert_eq!(to_sign, read(dir, "header-string-to-sign.txt"), "{name}");
        // 3. The signature.
        let key = signing_key(secret, &amz_date[..8], region, service);
        let expected = read(dir, "header-signature.txt");
        assert_eq!(signature(&key, &to_sign), expected.trim(), "{name}");
        assert_eq!(authorization.signature, expected.trim(), "{name}");

        // 4. The signed request verifies as of its time (the emulator normalizes, as
        //    every service but S3 does), and with another secret it does not.
        if normalize {
            let now = sigv4::parse_amz_date(amz_date).unwrap();
            let ok = sigv4::verify(&signed.received(), service, now, |_| Ok(secret.to_owned()));
            assert!(ok.is_ok(), "{name}: {ok:?}");
            let wrong = sigv4::verify(&signed.received(), service, now, |_| {
                Ok(format!("{secret}x"))
            });
            assert_eq!(
                wrong.unwrap_err().code,
                "InvalidSignatureException",
                "{name}"
            );
            verified += 1;
        }
    }
    assert!(verified >= 29, "only {verified} vectors verified");
}

#[test]
fn a_changed_request_no_longer_verifies() {
    let secret = SECRET.to_owned();
    let signed = published("post-x-www-form-urlencoded");
    let date = sigv4::header(&signed.headers, "x-amz-date")
        .unwrap()
        .to_owned();
    let now = sigv4::parse_amz_date(&date).unwrap();
    let check = |request: &Parsed| {
        sigv4::verify(&request.received(), "service", now, |_| Ok(secret.clone())).map(drop)
    };
    assert_eq!(check(&signed), Ok(()));

    let mut body = published("post-x-www-form-urlencoded");
    body.body = b"Param1=value2".to_vec();
    assert_eq!(check(&body).unwrap_err().code, "XAmzContentSHA256Mismatch");

    let mut header = published("post-x-www-form-urlencoded");
    for (name, value) in &mut header.headers {
        if name.eq_ignore_ascii_case("content-type") {
            *value = "application/json".into();
        }
    }
    assert_eq!(
        check(&header).unwrap_err().code,
        "InvalidSignatureException"
    );

    let mut path = published("post-x-www-form-urlencoded");
    path.path = "/other".into();
    assert_eq!(check(&path).unwrap_err().code, "InvalidSignatureException");

    // Fifteen minutes and a second later, the signature has expired.
    let late = now + time::Duration::seconds(15 * 60 + 1);
    let expired = sigv4::verify(&signed.received(), "service", late, |_| Ok(secret.clone()));
    assert!(
        expired
            .unwrap_err()
            .message
            .starts_with("Signature expired")
    );

    // For another service.
    let other = sigv4::verify(&signed.received(), "backup", now, |_| Ok(secret.clone()));
    assert_eq!(other.unwrap_err().code, "InvalidSignatureException");
}
