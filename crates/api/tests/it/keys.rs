//! Client API keys over a real listener: open without keys, 401 without or with a wrong key,
//! per-key rate limit and budget, keys added while the node runs, hashes only on disk.

use crate::common;

use byzvote_api::{
    ApiError, ServerConfig,
    keys::{Caller, KeyEntry, KeyFile, KeyStore, SpendLedger, hash},
};
use reqwest::StatusCode;
use std::sync::{Arc, Mutex};

const BODY: &str = r#"{"model": "byzvote", "messages": [{"role": "user", "content": "hi"}]}"#;

async fn call(base: &str, key: Option<&str>) -> (StatusCode, String) {
    let mut req = reqwest::Client::new()
        .post(format!("{base}/v1/chat/completions"))
        .header("content-type", "application/json")
        .body(BODY);
    if let Some(k) = key {
        req = req.header("authorization", format!("Bearer {k}"));
    }
    let resp = req.send().await.unwrap();
    (resp.status(), resp.text().await.unwrap())
}

fn code(text: &str) -> String {
    let e: ApiError = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"));
    e.error.code.unwrap_or_default()
}

fn entry(name: &str, key: &str) -> KeyEntry {
    KeyEntry {
        name: name.into(),
        sha256: hash(key),
        requests_per_minute: None,
        budget_usd: None,
    }
}

async fn start_with(file: &KeyFile) -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("api-keys.json");
    file.save(&path).unwrap();
    let store = KeyStore::open(path).unwrap();
    let base = common::start(ServerConfig {
        keys: Some(store),
        ..ServerConfig::default()
    })
    .await;
    (base, dir)
}

#[tokio::test]
async fn no_keys_means_an_open_api() {
    let (base, _dir) = start_with(&KeyFile::default()).await;
    let (status, text) = call(&base, None).await;
    assert_eq!(status, StatusCode::OK, "{text}");
}

/// A node started without a keys file serves an open API (and does not read the missing file
/// again on every request), until one is created: then keys are needed at once.
#[tokio::test]
async fn a_keys_file_created_while_the_node_runs_closes_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("api-keys.json");
    let store = KeyStore::open(path.clone()).unwrap();
    let base = common::start(ServerConfig {
        keys: Some(store),
        ..ServerConfig::default()
    })
    .await;
    for _ in 0..2 {
        let (status, text) = call(&base, None).await;
        assert_eq!(status, StatusCode::OK, "{text}");
    }
    KeyFile {
        keys: vec![entry("alice", "bzv-alice")],
    }
    .save(&path)
    .unwrap();
    let (status, text) = call(&base, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{text}");
    let (status, text) = call(&base, Some("bzv-alice")).await;
    assert_eq!(status, StatusCode::OK, "{text}");
}

#[tokio::test]
async fn a_key_is_needed_and_checked() {
    let (base, dir) = start_with(&KeyFile {
        keys: vec![entry("alice", "bzv-alice")],
    })
    .await;
    let (status, text) = call(&base, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{text}");
    assert_eq!(code(&text), "invalid_api_key");
    assert!(text.contains("byzvote keys create"), "{text}");
    let (status, text) = call(&base, Some("bzv-mallory")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{text}");
    let (status, text) = call(&base, Some("bzv-alice")).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    // Health and the API document stay open (load balancers, client generators).
    let health = reqwest::get(format!("{base}/healthz")).await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    // Only the hash is on disk.
    let on_disk = std::fs::read_to_string(dir.path().join("api-keys.json")).unwrap();
    assert!(!on_disk.contains("bzv-alice"), "{on_disk}");
    assert!(on_disk.contains(&hash("bzv-alice")));

    // A key added while the node runs works at once.
    let file = KeyFile {
        keys: vec![entry("alice", "bzv-alice"), entry("bob", "bzv-bob")],
    };
    file.save(&dir.path().join("api-keys.json")).unwrap();
    let (status, text) = call(&base, Some("bzv-bob")).await;
    assert_eq!(status, StatusCode::OK, "{text}");
}

#[tokio::test]
async fn rate_limit_and_budget_are_per_key() {
    let mut slow = entry("slow", "bzv-slow");
    slow.requests_per_minute = Some(2);
    let mut broke = entry("broke", "bzv-broke");
    broke.budget_usd = Some(0.0);
    let (base, _dir) = start_with(&KeyFile {
        keys: vec![slow, broke, entry("free", "bzv-free")],
    })
    .await;
    for _ in 0..2 {
        assert_eq!(call(&base, Some("bzv-slow")).await.0, StatusCode::OK);
    }
    let (status, text) = call(&base, Some("bzv-slow")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{text}");
    assert_eq!(code(&text), "rate_limit_exceeded");
    let (status, text) = call(&base, Some("bzv-broke")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{text}");
    assert_eq!(code(&text), "insufficient_quota");
    // Other keys are not affected.
    assert_eq!(call(&base, Some("bzv-free")).await.0, StatusCode::OK);
}

#[test]
fn spending_the_budget_closes_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("api-keys.json");
    let mut k = entry("k", "bzv-k");
    k.budget_usd = Some(0.01);
    KeyFile { keys: vec![k] }.save(&path).unwrap();
    let store = KeyStore::open(path).unwrap();
    assert_eq!(store.len(), 1);
    let caller = Caller(hash("bzv-k"));
    // Admission is checked through the middleware; here the accounting itself.
    store.charge(&caller, 0.006);
    assert!(!store.is_exhausted(&caller));
    store.charge(&caller, 0.006);
    assert!(store.is_exhausted(&caller));
    // A restarted node remembers what the key spent.
    let again = KeyStore::open(dir.path().join("api-keys.json")).unwrap();
    assert!(again.is_exhausted(&caller));
}

#[test]
fn a_broken_keys_file_is_an_error_not_an_open_api() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("api-keys.json");
    std::fs::write(&path, "{not json").unwrap();
    let e = KeyStore::open(path).unwrap_err();
    assert!(e.contains("not a valid keys file"), "{e}");
}

/// A stand-in for the node's cluster-wide ledger: what the other nodes charged, and what this
/// node charged through it.
#[derive(Default)]
struct FakeLedger {
    spent: Mutex<f64>,
    charged: Mutex<Vec<(String, String, f64)>>,
}

impl SpendLedger for FakeLedger {
    fn spent_usd(&self, key_hash: &str, _budget_usd: f64) -> f64 {
        if key_hash == hash("bzv-shared") {
            *self.spent.lock().unwrap()
        } else {
            0.0
        }
    }

    fn charge(&self, key_hash: &str, request_id: &str, cost_usd: f64) {
        self.charged
            .lock()
            .unwrap()
            .push((key_hash.into(), request_id.into(), cost_usd));
    }
}

/// The budget holds across the cluster: spend charged on other nodes (as the ledger reports
/// it) closes the key here with the usual OpenAI error, and this node's charges go to the
/// ledger vote by vote.
#[tokio::test]
async fn spend_on_other_nodes_closes_the_key_here() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("api-keys.json");
    let mut shared = entry("shared", "bzv-shared");
    shared.budget_usd = Some(0.01);
    let mut other = entry("other", "bzv-other");
    other.budget_usd = Some(0.01);
    KeyFile {
        keys: vec![shared, other],
    }
    .save(&path)
    .unwrap();
    let store = KeyStore::open(path).unwrap();
    let ledger = Arc::new(FakeLedger::default());
    store.set_ledger(ledger.clone());
    let base = common::start(ServerConfig {
        keys: Some(store.clone()),
        ..ServerConfig::default()
    })
    .await;
    let (status, text) = call(&base, Some("bzv-shared")).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    // Another node served the key its whole budget (nothing was spent through this one).
    *ledger.spent.lock().unwrap() = 0.0101;
    let (status, text) = call(&base, Some("bzv-shared")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{text}");
    assert_eq!(code(&text), "insufficient_quota");
    assert!(text.contains("across the cluster"), "{text}");
    let caller = Caller(hash("bzv-shared"));
    assert!(store.is_exhausted(&caller));
    assert_eq!(call(&base, Some("bzv-other")).await.0, StatusCode::OK);

    // This node's charges reach the ledger per vote (free votes are not charged).
    let other = Caller(hash("bzv-other"));
    store.charge_vote(&other, "ab", 0.004);
    store.charge_vote(&other, "cd", 0.0);
    assert_eq!(
        *ledger.charged.lock().unwrap(),
        vec![(hash("bzv-other"), "ab".to_string(), 0.004)]
    );
    // ... and into the node's own record, which counts even if the ledger forgot (a restart
    // before the chain ordered the charge).
    store.charge_vote(&other, "ef", 0.007);
    assert!(store.is_exhausted(&other));
}
