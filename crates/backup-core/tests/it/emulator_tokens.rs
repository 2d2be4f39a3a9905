//! The emulator's token issuer, on a paused clock.
#![cfg(feature = "emulator")]

use std::collections::HashSet;
use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue, header::AUTHORIZATION};
use backup_core::emulator::{TokenCheck, TokenIssuer, bearer_token};

#[tokio::test(start_paused = true)]
async fn tokens_expire_with_the_clock() {
    let issuer = TokenIssuer::new("ya29.");
    let short = issuer.issue(Duration::from_secs(60));
    let long = issuer.issue(Duration::from_secs(3600));
    assert!(short.starts_with("ya29."));
    assert_eq!(short.len(), "ya29.".len() + 32);
    assert_ne!(short, long);
    assert_eq!(issuer.check(&short), TokenCheck::Valid);

    tokio::time::advance(Duration::from_secs(59)).await;
    assert_eq!(issuer.check(&short), TokenCheck::Valid);
    tokio::time::advance(Duration::from_secs(1)).await;
    assert_eq!(
        issuer.check(&short),
        TokenCheck::Expired,
        "expired at its TTL"
    );
    assert_eq!(issuer.check(&long), TokenCheck::Valid);

    tokio::time::sleep(Duration::from_secs(3600)).await;
    assert_eq!(issuer.check(&long), TokenCheck::Expired);
    assert_eq!(issuer.issued(), 2);
}

#[tokio::test(start_paused = true)]
async fn expire_all_expires_what_was_issued_so_far() {
    let issuer = TokenIssuer::default();
    let before: Vec<String> = (0..3)
        .map(|_| issuer.issue(Duration::from_secs(3600)))
        .collect();
    issuer.expire_all();
    for token in &before {
        assert_eq!(issuer.check(token), TokenCheck::Expired);
    }
    let after = issuer.issue(Duration::from_secs(3600));
    assert_eq!(
        issuer.check(&after),
        TokenCheck::Valid,
        "a new login works again"
    );
    assert_eq!(issuer.issued(), 4);
}

#[tokio::test(start_paused = true)]
async fn unknown_revoked_and_single_expiry() {
    let issuer = TokenIssuer::default();
    let token = issuer.issue(Duration::from_secs(60));
    let other = issuer.issue(Duration::from_secs(60));
    assert_eq!(
        issuer.check("emu-00000000000000000000000000000000"),
        TokenCheck::Unknown
    );
    assert_eq!(issuer.check(""), TokenCheck::Unknown);

    assert!(issuer.expire(&token));
    assert_eq!(issuer.check(&token), TokenCheck::Expired);
    assert_eq!(issuer.check(&other), TokenCheck::Valid);

    assert!(issuer.revoke(&other));
    assert!(!issuer.revoke(&other));
    assert_eq!(issuer.check(&other), TokenCheck::Unknown);
    assert!(!issuer.expire("nope"));
}

#[tokio::test(start_paused = true)]
async fn clones_share_tokens_and_bearer_headers_are_checked() {
    let issuer = TokenIssuer::new("tok-");
    let clone = issuer.clone();
    let token = clone.issue(Duration::from_secs(10));
    assert_eq!(issuer.issued(), 1);

    let mut headers = HeaderMap::new();
    assert_eq!(issuer.check_bearer(&headers), TokenCheck::Unknown);
    let value = HeaderValue::from_str(&format!("Bearer {token}")).expect("header");
    headers.insert(AUTHORIZATION, value);
    assert_eq!(bearer_token(&headers), Some(token.as_str()));
    assert_eq!(issuer.check_bearer(&headers), TokenCheck::Valid);
    assert!(issuer.check_bearer(&headers).is_valid());

    tokio::time::advance(Duration::from_secs(10)).await;
    assert_eq!(issuer.check_bearer(&headers), TokenCheck::Expired);
    assert!(!TokenCheck::Expired.is_valid());
}

#[test]
fn tokens_are_unique() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let issuer = TokenIssuer::default();
        let tokens: HashSet<String> = (0..1000)
            .map(|_| issuer.issue(Duration::from_secs(1)))
            .collect();
        assert_eq!(tokens.len(), 1000);
        assert_eq!(issuer.issued(), 1000);
    });
}
