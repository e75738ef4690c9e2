//! The end-of-run invariants, checked once every node is up and the mesh healed:
//!
//! 1. every accepted request is certified on every node, with the same record and signature as
//!    the answer the client got (polled with a bound: the 200 is the signal), and any decision
//!    one node logged reaches every node's log;
//! 2. every accepted request's certificate passes `byzvote verify`;
//! 3. after the nodes are stopped: `byzvote audit verify` passes on every node; every node's
//!    audit log holds exactly one decision (one record, one signature) per decided request, the
//!    same on every node, and every accepted request is among them.
//!
//! Each check returns its violations as lines instead of panicking at the first, so a failure
//! report shows them all.

use super::client::Sent;
use super::cluster::Cluster;
use crate::common::{byzvote, http, listed};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

/// The fields that must agree wherever a decision is read.
fn decision(v: &serde_json::Value) -> (String, String, String, String) {
    (
        v["outcome"].to_string(),
        v["answer"].to_string(),
        v["certificate"]["record"].to_string(),
        v["certificate"]["signature"].to_string(),
    )
}

/// Check 1: polls every (accepted request, node) pair until certified, at most `bound` in all.
/// Returns the violations and one decided response per request (for check 2).
pub fn converged(
    cluster: &Cluster,
    sent: &[Sent],
    bound: Duration,
) -> (Vec<String>, BTreeMap<usize, serde_json::Value>) {
    let mut bad = Vec::new();
    let mut reference: BTreeMap<usize, serde_json::Value> = BTreeMap::new();
    let mut pending: Vec<(usize, usize, String)> = Vec::new();
    for s in sent {
        let (Some(id), Some((_, v))) = (s.id(), &s.accepted) else {
            continue;
        };
        if v["status"] == "decided" {
            reference.insert(s.index, v.clone());
        }
        for node in 0..cluster.n {
            pending.push((s.index, node, id.to_string()));
        }
    }
    let deadline = Instant::now() + bound;
    while !pending.is_empty() && Instant::now() < deadline {
        pending.retain(|(index, node, id)| {
            let got = http(
                &cluster.endpoints[*node],
                "GET",
                &format!("/v1/votes/{id}"),
                None,
                Duration::from_secs(30),
            );
            let Ok((200, body)) = got else { return true };
            let Ok(v) = serde_json::from_str::<serde_json::Value>(&body) else {
                return true;
            };
            if v["status"] != "decided" || !v["certificate"].is_object() {
                return true;
            }
            let first = reference.entry(*index).or_insert_with(|| v.clone());
            if decision(first) != decision(&v) {
                bad.push(format!(
                    "request {index} ({id}): node-{node} decided {:?}, elsewhere {:?}",
                    decision(&v),
                    decision(first)
                ));
            }
            false
        });
        if !pending.is_empty() {
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    for (index, node, id) in pending {
        bad.push(format!(
            "request {index} ({id}) accepted but node-{node} never certified it within {bound:?}"
        ));
    }
    (bad, reference)
}

/// The decided requests in each node's audit log (running nodes: `audit list` reads the file).
fn decided_sets(cluster: &Cluster) -> Vec<BTreeMap<String, (String, String)>> {
    (0..cluster.n)
        .map(|node| decided_sets_one(cluster, node))
        .collect()
}

fn decided_sets_one(cluster: &Cluster, node: usize) -> BTreeMap<String, (String, String)> {
    listed(&cluster.data(node))
        .iter()
        .filter(|l| !l["outcome"].is_null())
        .map(|l| {
            (
                l["id"].as_str().unwrap_or("").to_string(),
                (l["outcome"].to_string(), l["answer"].to_string()),
            )
        })
        .collect()
}

/// Check 1b: a decision any node logged reaches every node's log (requests whose client gave
/// up, after a 504 or refused connections, included), polled with a bound.
pub fn settled(cluster: &Cluster, bound: Duration) -> Vec<String> {
    let deadline = Instant::now() + bound;
    loop {
        let sets = decided_sets(cluster);
        let mut union: BTreeMap<&String, BTreeSet<&(String, String)>> = BTreeMap::new();
        for set in &sets {
            for (id, d) in set {
                union.entry(id).or_default().insert(d);
            }
        }
        let mut bad: Vec<String> = union
            .iter()
            .filter(|(_, ds)| ds.len() > 1)
            .map(|(id, ds)| format!("request {id}: nodes logged different decisions {ds:?}"))
            .collect();
        for (node, set) in sets.iter().enumerate() {
            let missing = union.keys().filter(|id| !set.contains_key(**id)).count();
            if missing > 0 {
                bad.push(format!(
                    "node-{node}: {missing} decisions other nodes logged are missing from its audit log after {bound:?}"
                ));
            }
        }
        if bad.is_empty() || Instant::now() >= deadline {
            return bad;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Check 2: `byzvote verify` on each decided response, under the cluster's group key.
pub fn certificates(
    cluster: &Cluster,
    decided: &BTreeMap<usize, serde_json::Value>,
) -> Vec<String> {
    let dir = cluster.dir.join("certificates");
    std::fs::create_dir_all(&dir).unwrap();
    let mut bad = Vec::new();
    for (index, v) in decided {
        let path = dir.join(format!("{index}.json"));
        std::fs::write(&path, serde_json::to_vec(v).unwrap()).unwrap();
        let o = byzvote(&[
            "verify",
            path.to_str().unwrap(),
            "--group-key",
            &cluster.group_key,
        ]);
        if !o.status.success() {
            bad.push(format!(
                "request {index}: byzvote verify failed: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            ));
        }
    }
    bad
}

/// Every certificate entry of a node's raw audit log: request → the distinct
/// (record, signature) pairs, and how many entries there were in all.
fn certificate_entries(
    cluster: &Cluster,
    node: usize,
) -> (BTreeMap<String, Vec<(String, String)>>, usize) {
    let text = std::fs::read_to_string(cluster.data(node).join("audit.jsonl")).unwrap_or_default();
    let mut out: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let mut entries = 0;
    for line in text.lines() {
        let Ok(e) = serde_json::from_str::<serde_json::Value>(line) else {
            continue; // a torn last line after SIGKILL; `audit verify` judges the file
        };
        if e["kind"] != "certificate" {
            continue;
        }
        entries += 1;
        let pair = (e["record"].to_string(), e["signature"].to_string());
        let list = out
            .entry(e["request"].as_str().unwrap_or("").to_string())
            .or_default();
        if !list.contains(&pair) {
            list.push(pair);
        }
    }
    (out, entries)
}

/// Check 3, on stopped nodes. Returns the violations and the number of duplicate (same
/// decision written again) certificate entries, summed over nodes.
pub fn audit_logs(cluster: &Cluster, sent: &[Sent]) -> (Vec<String>, usize) {
    let mut bad = Vec::new();
    let mut duplicates = 0;
    let mut reference: Option<BTreeMap<String, Vec<(String, String)>>> = None;
    let mut listed_ref: Option<BTreeMap<String, (String, String)>> = None;
    for node in 0..cluster.n {
        let data = cluster.data(node);
        let a = byzvote(&[
            "audit",
            "verify",
            "--data",
            data.to_str().unwrap(),
            "--group-key",
            &cluster.group_key,
        ]);
        if !a.status.success() {
            bad.push(format!(
                "node-{node}: byzvote audit verify failed: {}",
                String::from_utf8_lossy(&a.stderr).trim()
            ));
        }
        let (certs, entries) = certificate_entries(cluster, node);
        duplicates += entries - certs.len();
        for (request, pairs) in &certs {
            if pairs.len() != 1 {
                bad.push(format!(
                    "node-{node}: request {request} has {} different certified decisions",
                    pairs.len()
                ));
            }
        }
        let decided = decided_sets_one(cluster, node);
        for s in sent {
            if let Some(id) = s.id()
                && !decided.contains_key(id)
            {
                bad.push(format!(
                    "node-{node}: accepted request {} ({id}) has no decision in its audit log",
                    s.index
                ));
            }
        }
        match (&reference, &listed_ref) {
            (Some(r), Some(l)) => {
                if *r != certs {
                    bad.push(format!(
                        "node-{node}: certified decisions differ from node-0's ({} vs {} requests)",
                        certs.len(),
                        r.len()
                    ));
                }
                if *l != decided {
                    bad.push(format!(
                        "node-{node}: `audit list` differs from node-0's ({} vs {} decided)",
                        decided.len(),
                        l.len()
                    ));
                }
            }
            _ => {
                reference = Some(certs);
                listed_ref = Some(decided);
            }
        }
    }
    (bad, duplicates)
}
