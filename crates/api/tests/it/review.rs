//! Human review over HTTP: held answers are hidden until a listed reviewer signs a verdict;
//! the queue survives a restart; the OpenAI route refuses held answers.

use crate::common;

use byzvote_api::{
    ServerConfig, VoteResponse, VoteStatus,
    review::{ReviewPolicy, ReviewQueue, Verdict, verdict_message},
};
use byzvote_core::namespace::BYZVOTE_REVIEW;
use commonware_codec::Encode as _;
use commonware_cryptography::{Signer as _, ed25519};
use reqwest::StatusCode;
use std::sync::Arc;

fn reviewer() -> ed25519::PrivateKey {
    ed25519::PrivateKey::from_seed(42)
}

fn hexkey(k: &ed25519::PrivateKey) -> String {
    hex::encode(k.public_key().encode())
}

fn verdict(key: &ed25519::PrivateKey, id: &str, approve: bool, note: &str) -> Verdict {
    let sig = key.sign(BYZVOTE_REVIEW, &verdict_message(id, approve, note));
    Verdict {
        approve,
        note: note.into(),
        reviewer: hexkey(key),
        signature: hex::encode(sig.encode()),
    }
}

async fn start(path: &std::path::Path) -> String {
    let policy = ReviewPolicy {
        reviewers: vec![hexkey(&reviewer())],
        ..ReviewPolicy::default()
    };
    let queue = ReviewQueue::open(path, policy).unwrap();
    common::start(ServerConfig {
        review: Some(Arc::new(queue)),
        ..ServerConfig::default()
    })
    .await
}

async fn post(url: &str, body: String) -> (StatusCode, String) {
    let r = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn get(url: &str) -> (StatusCode, String) {
    let r = reqwest::get(url).await.unwrap();
    (r.status(), r.text().await.unwrap())
}

fn vote(text: &str) -> VoteResponse {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[tokio::test]
async fn tier_5_is_held_until_a_reviewer_signs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("review.jsonl");
    let base = start(&path).await;
    let (status, text) = post(
        &format!("{base}/v1/votes"),
        r#"{"prompt": "paris", "tier": 5}"#.into(),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{text}");
    let held = vote(&text);
    assert_eq!(held.status, VoteStatus::PendingReview);
    assert_eq!(held.answer, None);
    assert!(held.certificate.is_none() && held.votes.iter().all(|v| v.class.is_none()));
    assert!(held.review.as_ref().unwrap().reason.contains("tier 5"));
    let id = held.id.clone();
    let (_, text) = get(&format!("{base}/v1/votes/{id}")).await;
    assert_eq!(vote(&text).status, VoteStatus::PendingReview);
    // The reviewer sees the answer.
    let (_, text) = get(&format!("{base}/v1/reviews")).await;
    assert!(text.contains("PARIS"), "{text}");

    // Not a reviewer; a reviewer's signature over another verdict: both refused.
    let stranger = ed25519::PrivateKey::from_seed(7);
    let (status, _) = post(
        &format!("{base}/v1/reviews/{id}"),
        serde_json::to_string(&verdict(&stranger, &id, true, "")).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let mut forged = verdict(&reviewer(), &id, false, "no");
    forged.approve = true;
    let (status, _) = post(
        &format!("{base}/v1/reviews/{id}"),
        serde_json::to_string(&forged).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, text) = post(
        &format!("{base}/v1/reviews/{id}"),
        serde_json::to_string(&verdict(&reviewer(), &id, true, "checked")).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let released = vote(&text);
    assert_eq!(released.status, VoteStatus::Decided);
    assert_eq!(released.answer.as_deref(), Some("PARIS"));
    assert_eq!(released.review.as_ref().unwrap().verdict, "approved");
    let (status, _) = post(
        &format!("{base}/v1/reviews/{id}"),
        serde_json::to_string(&verdict(&reviewer(), &id, false, "")).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // A restarted node replays the queue: the verdict stands.
    let base = start(&path).await;
    let (_, text) = get(&format!("{base}/v1/votes/{id}")).await;
    assert_eq!(vote(&text).answer.as_deref(), Some("PARIS"));
}

#[tokio::test]
async fn a_policy_match_is_held_and_a_rejection_never_releases() {
    let dir = tempfile::tempdir().unwrap();
    let base = start(&dir.path().join("review.jsonl")).await;
    let (status, text) = post(
        &format!("{base}/v1/votes"),
        r#"{"prompt": "delete all backups"}"#.into(),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{text}");
    let held = vote(&text);
    assert!(held.review.unwrap().reason.contains("irreversible"));
    let (_, text) = post(
        &format!("{base}/v1/reviews/{}", held.id),
        serde_json::to_string(&verdict(&reviewer(), &held.id, false, "too risky")).unwrap(),
    )
    .await;
    let rejected = vote(&text);
    assert_eq!(rejected.status, VoteStatus::Rejected);
    assert_eq!(rejected.answer, None);
    assert!(rejected.certificate.is_none());

    // Ordinary questions are not held.
    let (status, _) = post(&format!("{base}/v1/votes"), r#"{"prompt": "rome"}"#.into()).await;
    assert_eq!(status, StatusCode::OK);

    // The OpenAI route: a held answer is a refusal that says how to follow up.
    let (status, text) = post(
        &format!("{base}/v1/chat/completions"),
        r#"{"model": "byzvote-tier5", "messages": [{"role": "user", "content": "x"}]}"#.into(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let c: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(c["choices"][0]["message"]["content"].is_null(), "{text}");
    assert!(
        c["choices"][0]["message"]["refusal"]
            .as_str()
            .unwrap()
            .contains("human review"),
        "{text}"
    );
}

#[test]
fn a_bad_reviewer_key_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    let policy = ReviewPolicy {
        reviewers: vec!["zz".into()],
        ..ReviewPolicy::default()
    };
    let e = ReviewQueue::open(&dir.path().join("r.jsonl"), policy).unwrap_err();
    assert!(e.contains("zz"), "{e}");
}
