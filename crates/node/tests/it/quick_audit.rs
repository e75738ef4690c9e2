//! Quick-tier decisions in the audit log (persist before you speak) and the per-peer limit on
//! quick asks, on Commonware's deterministic runtime and simulated network.

use crate::common;

use byzvote_core::{Message, Mode, OutcomeKind, Request};
use byzvote_node::chain::types::PublicKey;
use byzvote_node::protocol::audit::{AuditLog, Body, Entry, read_entries, verify_file};
use byzvote_node::protocol::audit_show::{Keys, story};
use byzvote_node::quick::{self, QuickError, QuickHandle, limit::PeerLimit};
use commonware_cryptography::bls12381::{
    dkg::feldman_desmedt::deal_anonymous,
    primitives::{sharing::Mode as SharingMode, variant::MinPk},
};
use commonware_runtime::Runner as _;
use commonware_utils::{N3f1, NZU32, TestRng};
use std::path::{Path, PathBuf};
use std::time::Duration;

fn request(tier: u8, nonce: u64) -> Request {
    Request::new(
        vec![Message::user("Capital of France?")],
        Mode::Exact,
        tier,
        16,
        nonce,
    )
    .unwrap()
}

/// A fresh audit log path in a temporary directory, removed when the guard drops (also when
/// the test fails).
fn temp_log(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::Builder::new()
        .prefix(&format!("byzvote-quick-{name}-"))
        .tempdir()
        .unwrap();
    let path = dir.path().join("audit.jsonl");
    (dir, path)
}

/// Starts four quick actors whose models all answer "Paris"; node 0 logs to `path`. Runs
/// `body` with node 0's handle; returns the participants.
fn cluster<F, Fut>(seed: u64, path: &Path, limit: PeerLimit, body: F) -> Vec<PublicKey>
where
    F: FnOnce(QuickHandle) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let (audit, _) = AuditLog::open(path).unwrap();
    let runner = common::runner(seed, Duration::from_secs(120));
    runner.start(|context| async move {
        let (mut handles, participants) =
            common::quick_nodes(&context, 4, |i, cfg| quick::Config {
                max_peer_calls: 64,
                peer_limit: limit,
                audit: if i == 0 {
                    audit.clone()
                } else {
                    cfg.audit.clone()
                },
                ..cfg
            })
            .await;
        body(handles.swap_remove(0)).await;
        participants
    })
}

fn quick_entries(entries: &[Entry]) -> usize {
    entries
        .iter()
        .filter(|e| matches!(e.body, Body::Quick { .. }))
        .count()
}

#[test]
fn a_quick_decision_is_in_the_log_before_the_client_hears_it_and_verifies() {
    let (_dir, path) = temp_log("logged");
    let file = path.clone();
    let participants = cluster(1, &path, PeerLimit::default(), move |h| async move {
        for (tier, nonce) in [(1, 0), (2, 1)] {
            let d = h.ask(request(tier, nonce)).await.unwrap().unwrap();
            // The answer is out: the log on disk already holds it.
            let entries = read_entries(&file).unwrap();
            assert_eq!(quick_entries(&entries), usize::from(tier), "tier {tier}");
            assert_eq!(d.record.outcome, OutcomeKind::Agreed);
        }
        // A repeat is served from memory and not logged twice.
        h.ask(request(2, 1)).await.unwrap().unwrap();
        assert_eq!(quick_entries(&read_entries(&file).unwrap()), 2);
    });
    // No certificates in this log: any group key will do.
    let (sharing, _) =
        deal_anonymous::<MinPk, N3f1>(TestRng::new(0), SharingMode::NonZeroCounter, NZU32!(4));
    let group_key = *sharing.public();
    let summary = verify_file(&path, &group_key, &participants).unwrap();
    assert_eq!(summary.quick, 2);
    assert_eq!(summary.entries, 2);

    // `audit show` tells the tier-2 story with each member's signed report.
    let entries = read_entries(&path).unwrap();
    let id = hex::encode(request(2, 1).id());
    let keys = Keys {
        participants: participants.clone(),
        group_key: None,
    };
    let s = story(&entries, &id, &keys).unwrap();
    let q = s.quick.as_ref().expect("a quick step");
    assert_eq!(q.answers.len(), 3);
    assert!(q.problem.is_none(), "{:?}", q.problem);
    assert!(q.answers.iter().all(|a| a.model.starts_with('m')));
    let text = byzvote_node::protocol::audit_show::render::story(&s);
    assert!(text.contains("quick tier"), "{text}");
    assert!(
        text.contains("verifies under the serving node's identity key"),
        "{text}"
    );

    // Tampering: any change to the logged answer breaks the hash chain ...
    let original = std::fs::read_to_string(&path).unwrap();
    let tampered = original.replacen("7061726973", "6c796f6e00", 1); // "paris" → "lyon\0"
    assert_ne!(
        tampered, original,
        "the answer must be in the log to tamper with"
    );
    std::fs::write(&path, &tampered).unwrap();
    assert!(verify_file(&path, &group_key, &participants).is_err());

    // ... and a log rewritten with a consistent chain still fails on the signatures.
    let mut entries: Vec<Entry> = original
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    if let Body::Quick { signer, .. } = &mut entries[1].body {
        *signer = (*signer + 1) % 4; // blame another node for the decision
    }
    let (_dir_rechained, rechained) = temp_log("rechained");
    let (log, _) = AuditLog::open(&rechained).unwrap();
    for e in entries {
        log.append(e.body).unwrap();
    }
    let err = verify_file(&rechained, &group_key, &participants).unwrap_err();
    assert!(err.to_string().contains("signature"), "{err}");
    // Without the cluster's keys a quick entry cannot be checked, and verify says so.
    std::fs::write(&path, &original).unwrap();
    assert!(verify_file(&path, &group_key, &participants).is_ok());
    let err = verify_file(&path, &group_key, &[]).unwrap_err();
    assert!(err.to_string().contains("dkg.key"), "{err}");
}

#[test]
fn a_peer_over_its_limit_is_refused_and_the_client_is_told() {
    // One ask per peer, refilled once a minute: the second tier-2 ask for the same members
    // within the minute is refused by them.
    let limit = PeerLimit {
        peer_asks_per_second: 1.0 / 60.0,
        peer_burst: 1,
    };
    let (_dir, path) = temp_log("limited");
    let file = path.clone();
    cluster(2, &path, limit, move |h| async move {
        // Each tier-2 ask uses two of the three peers, one ask each per minute: a member that
        // refuses is silent at once, and the vote stands while the other two agree; once both
        // peers refuse, no majority is possible and the client is told why.
        let mut refused = None;
        let mut thinned = 0;
        for nonce in 0..8 {
            match h.ask(request(2, nonce)).await.unwrap() {
                Ok(d) => {
                    assert_eq!(d.record.outcome, OutcomeKind::Agreed, "nonce {nonce}");
                    thinned += usize::from(!d.record.silent.is_empty());
                }
                Err(e) => {
                    refused = Some(e);
                    break;
                }
            }
        }
        assert!(
            thinned >= 1,
            "a refusing member is silent while two still agree"
        );
        let e = refused.expect("some ask finds both its peers over their limit");
        assert!(
            matches!(e, QuickError::RateLimited { retry_after_ms, .. } if retry_after_ms > 0 && retry_after_ms <= 60_000),
            "{e:?}"
        );
        assert!(e.to_string().contains("retry in"), "{e}");
        // A refused ask is not logged; tier 1 (this node's own model) is not limited.
        let logged = quick_entries(&read_entries(&file).unwrap());
        h.ask(request(1, 100)).await.unwrap().unwrap();
        assert_eq!(quick_entries(&read_entries(&file).unwrap()), logged + 1);
    });
}

/// Quick decisions are in no chain state: after a restart the node reads its own back from the
/// audit log and serves them again (`GET /v1/votes/{id}`, and a repeat is not asked again).
#[test]
fn quick_decisions_are_served_again_after_a_restart() {
    use byzvote_node::protocol::audit_quick::Recovered;
    let (_dir, path) = temp_log("restart");
    let asked = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = asked.clone();
    cluster(3, &path, PeerLimit::default(), move |h| async move {
        for (tier, nonce) in [(1, 0), (2, 1)] {
            let d = h.ask(request(tier, nonce)).await.unwrap().unwrap();
            record.lock().unwrap().push(d.record.clone());
        }
    });
    let before = asked.lock().unwrap().clone();
    let file = path.clone();
    // The restarted node: same log, fresh memory.
    cluster(4, &path, PeerLimit::default(), move |h| async move {
        let id = request(1, 0).id();
        assert!(h.get(id).await.unwrap().is_none(), "fresh memory");
        let entries = read_entries(&file).unwrap();
        let mut recovered = Recovered::new(Some(0), quick::REMEMBER);
        for e in &entries {
            recovered.push(&e.body);
        }
        // Another node's decisions are not this node's to serve.
        let mut other = Recovered::new(Some(1), quick::REMEMBER);
        for e in &entries {
            other.push(&e.body);
        }
        assert!(other.take().is_empty());
        h.restore(recovered.take());
        for (i, (tier, nonce)) in [(1, 0), (2, 1)].into_iter().enumerate() {
            let d = h.get(request(tier, nonce).id()).await.unwrap();
            let d = d.unwrap_or_else(|| panic!("tier {tier} forgotten after the restart"));
            assert_eq!(d.record, before[i]);
            assert_eq!(d.answers.len(), usize::from(tier) * 2 - 1);
        }
        // A repeat is served from the restored decision, not asked and logged again.
        let logged = quick_entries(&read_entries(&file).unwrap());
        h.ask(request(1, 0)).await.unwrap().unwrap();
        assert_eq!(quick_entries(&read_entries(&file).unwrap()), logged);
    });
}
