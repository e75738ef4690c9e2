//! The external verification hook over HTTP: a passing command releases, a failing one
//! rejects with its reason, a slow one fails closed, a webhook decides the same way; every
//! verdict is logged.

use crate::common;

use byzvote_api::{
    ServerConfig, VoteResponse, VoteStatus,
    verifier::{Verifier, VerifierConfig},
};
use std::sync::Arc;

async fn ask(cfg: VerifierConfig, prompt: &str) -> (VoteResponse, String) {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("verification.jsonl");
    let verifier = Verifier::open(cfg, &log).unwrap();
    let base = common::start(ServerConfig {
        verifier: Some(Arc::new(verifier)),
        ..ServerConfig::default()
    })
    .await;
    let text = reqwest::Client::new()
        .post(format!("{base}/v1/votes"))
        .header("content-type", "application/json")
        .body(format!(r#"{{"prompt": "{prompt}"}}"#))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let vote = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    (vote, std::fs::read_to_string(&log).unwrap_or_default())
}

fn sh(script: &str) -> VerifierConfig {
    VerifierConfig {
        command: Some(vec!["sh".into(), "-c".into(), script.into()]),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_passing_check_releases_and_a_failing_one_rejects() {
    // The fake node answers the prompt upper-cased; the checker reads the JSON on stdin.
    let (vote, log) = ask(
        sh(r#"grep -q '"answer":"PARIS"' && echo looks right"#),
        "paris",
    )
    .await;
    assert_eq!(vote.status, VoteStatus::Decided);
    assert_eq!(vote.answer.as_deref(), Some("PARIS"));
    let v = vote.verification.unwrap();
    assert!(v.passed);
    assert_eq!(v.detail, "looks right");
    assert_eq!(log.lines().count(), 1, "{log}");

    let (vote, log) = ask(sh("echo capital is wrong; exit 1"), "lyon").await;
    assert_eq!(vote.status, VoteStatus::Rejected);
    assert_eq!(vote.answer, None);
    assert!(vote.certificate.is_none());
    assert_eq!(vote.verification.unwrap().detail, "capital is wrong");
    assert!(log.contains("\"passed\":false"), "{log}");
    // The node is told, so it can put the failure on the chain (where it lowers the
    // supporters' reputation on every node).
    let told = common::VERDICTS.lock().unwrap().clone();
    assert!(
        told.iter()
            .any(|(id, passed, v)| *id == vote.id && !passed && v == "sh"),
        "{told:?}"
    );
}

#[tokio::test]
async fn a_slow_or_broken_checker_fails_closed() {
    let mut slow = sh("sleep 5");
    slow.timeout_ms = Some(200);
    let (vote, _) = ask(slow, "paris").await;
    assert_eq!(vote.status, VoteStatus::Rejected);
    assert!(vote.verification.unwrap().detail.contains("no verdict"));
    let missing = VerifierConfig {
        command: Some(vec!["/nonexistent/checker".into()]),
        ..Default::default()
    };
    let (vote, _) = ask(missing, "paris").await;
    assert_eq!(vote.status, VoteStatus::Rejected);
    // A split has no answer to check: it passes through unchanged.
    let (vote, log) = ask(sh("exit 1"), "split").await;
    assert_eq!(vote.status, VoteStatus::Decided);
    assert!(vote.verification.is_none() && log.is_empty());
}

#[tokio::test]
async fn a_webhook_decides() {
    use axum::{Json, Router, routing::post};
    let app = Router::new().route(
        "/check",
        post(|Json(v): Json<serde_json::Value>| async move {
            let ok = v["answer"] == "PARIS";
            Json(serde_json::json!({"pass": ok, "detail": if ok { "ok" } else { "not Paris" }}))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/check", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let hook = || VerifierConfig {
        url: Some(url.clone()),
        ..Default::default()
    };
    let (vote, _) = ask(hook(), "paris").await;
    assert_eq!(vote.status, VoteStatus::Decided);
    let (vote, _) = ask(hook(), "rome").await;
    assert_eq!(vote.status, VoteStatus::Rejected);
    assert_eq!(vote.verification.unwrap().detail, "not Paris");
}

#[test]
fn bad_configs_are_refused() {
    let both = VerifierConfig {
        command: Some(vec!["x".into()]),
        url: Some("http://x".into()),
        ..Default::default()
    };
    assert!(both.validate().unwrap_err().contains("either"));
    let url = VerifierConfig {
        url: Some("ftp://x".into()),
        ..Default::default()
    };
    assert!(url.validate().unwrap_err().contains("http"));
}
