//! The node's privacy rules over HTTP: identifiers are masked before the gateway (the ordered
//! log and every model) sees the request; the client alone gets the placeholder map back.

use crate::common;

use byzvote_api::{ServerConfig, VoteResponse};
use byzvote_core::privacy::{PrivacyRules, Redactor};
use std::sync::Arc;

#[tokio::test]
async fn identifiers_never_reach_the_gateway() {
    let rules = PrivacyRules {
        builtin: vec!["email".into()],
        names: vec!["Alice Smith".into()],
        ..Default::default()
    };
    let base = common::start(ServerConfig {
        privacy: Some(Arc::new(Redactor::new(&rules).unwrap())),
        ..ServerConfig::default()
    })
    .await;
    // The fake gateway answers with the prompt it received, upper-cased.
    let body = r#"{"prompt": "alice smith <alice@corp.example>"}"#;
    let text = reqwest::Client::new()
        .post(format!("{base}/v1/votes"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let vote: VoteResponse = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(
        vote.answer.as_deref(),
        Some("[NAME_1] <[EMAIL_1]>"),
        "{text}"
    );
    assert_eq!(
        vote.masked.get("[EMAIL_1]").map(String::as_str),
        Some("alice@corp.example")
    );
    assert_eq!(
        vote.masked.get("[NAME_1]").map(String::as_str),
        Some("alice smith")
    );

    // The OpenAI route masks the same way.
    let body = r#"{"model": "byzvote", "messages": [{"role": "user", "content": "mail alice@corp.example"}]}"#;
    let text = reqwest::Client::new()
        .post(format!("{base}/v1/chat/completions"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!text.to_lowercase().contains("mail alice@corp"), "{text}");
    assert!(text.contains("MAIL [EMAIL_1]"), "{text}");
}

#[tokio::test]
async fn without_rules_nothing_is_masked() {
    let base = common::start(ServerConfig::default()).await;
    let text = reqwest::Client::new()
        .post(format!("{base}/v1/votes"))
        .header("content-type", "application/json")
        .body(r#"{"prompt": "alice@corp.example"}"#)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let vote: VoteResponse = serde_json::from_str(&text).unwrap();
    assert_eq!(vote.answer.as_deref(), Some("ALICE@CORP.EXAMPLE"));
    assert!(vote.masked.is_empty());
    assert!(!text.contains("masked"), "an empty map is not sent: {text}");
}
