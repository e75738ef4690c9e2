//! `audit show` over a log written by the node's own [`AuditLog`]: one vote with three agreeing
//! members and a fourth that equivocates, reveals its second commitment and signs its model
//! report with the wrong key; its certificate is a real 3-of-4 threshold signature.

use super::*;
use crate::protocol::{
    audit::{AuditLog, HexBytes, read_entries},
    meta::Meta,
};
use byzvote_core::{Mode, Reveal, Salt, answer_digest, canonicalize};
use commonware_codec::Encode as _;
use commonware_cryptography::{
    Signer as _,
    bls12381::{
        dkg::feldman_desmedt::deal_anonymous,
        primitives::{ops::threshold, sharing::Mode as SharingMode, variant::MinPk},
    },
    ed25519,
};
use commonware_parallel::Sequential;
use commonware_utils::{N3f1, NZU32, TestRng};
use std::path::PathBuf;

const T0: u64 = 1_764_097_200_000; // 2025-11-25 19:00:00 UTC

struct Fixture {
    path: PathBuf,
    id: String,
    keys: Keys,
    other_group_key: byzvote_dkg::GroupPublicKey,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn block(height: u64, txs: Vec<Tx>) -> Body {
    Body::Block {
        height,
        timestamp_ms: T0 + (height - 1) * 750,
        parent: [height as u8; 32],
        txs: txs.iter().map(|t| HexBytes(t.encode().to_vec())).collect(),
    }
}

fn group_key(seed: u64) -> (byzvote_dkg::GroupPublicKey, impl Fn(&[u8]) -> Vec<u8>) {
    let (sharing, shares) =
        deal_anonymous::<MinPk, N3f1>(TestRng::new(seed), SharingMode::NonZeroCounter, NZU32!(4));
    let key = *sharing.public();
    let sign = move |msg: &[u8]| {
        let ns = byzvote_core::namespace::BYZVOTE_DECISION;
        let partials: Vec<_> = shares[1..]
            .iter()
            .map(|s| threshold::sign_message::<MinPk>(s, ns, msg))
            .collect();
        threshold::recover::<MinPk, _>(&sharing, &partials, &Sequential)
            .unwrap()
            .encode()
            .to_vec()
    };
    (key, sign)
}

fn fixture(name: &str) -> Fixture {
    fixture_with(name, false, false)
}

/// The fixture's log; with `others`, its blocks also order another request, a commit and a
/// reveal for it (what a story must leave out); with `bundled`, each run of a member's
/// commits, reveals and reports signed by one key is one bundle under that key (what nodes
/// send now; the singles are what older logs hold).
fn fixture_with(name: &str, others: bool, bundled: bool) -> Fixture {
    let path = std::env::temp_dir().join(format!(
        "byzvote-audit-show-{name}-{}.jsonl",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&path);
    let mut keys: Vec<ed25519::PrivateKey> = (0..4).map(ed25519::PrivateKey::from_seed).collect();
    keys.sort_by_key(|k| k.public_key());
    let request = Request::new(
        vec![Message::system("Be brief."), Message::user("What is 2+2?")],
        Mode::Exact,
        3,
        64,
        7,
    )
    .unwrap();
    let id = request.id();
    let four = canonicalize(&Mode::Exact, "4").unwrap();
    let five = canonicalize(&Mode::Exact, "5").unwrap();
    let reveal = |member: u32, canonical: &byzvote_core::Canonical, salt: u8| Reveal {
        request: id,
        member,
        canonical: canonical.clone(),
        salt: Salt([salt; 32]),
    };
    let honest: Vec<Reveal> = (0..3).map(|m| reveal(m, &four, m as u8)).collect();
    // Member 3 commits to "4", then to "5", and reveals "5": equivocation and bad reveal.
    let first = reveal(3, &four, 30);
    let second = reveal(3, &five, 31);
    let mut commits: Vec<Tx> = honest
        .iter()
        .map(|r| Tx::Commit(r.commit().sign(&keys[r.member as usize])))
        .collect();
    commits.push(Tx::Commit(first.commit().sign(&keys[3])));
    commits.push(Tx::Commit(second.commit().sign(&keys[3])));
    let mut reveals: Vec<Tx> = honest
        .iter()
        .map(|r| Tx::Reveal(r.clone().sign(&keys[r.member as usize])))
        .collect();
    reveals.push(Tx::Reveal(second.sign(&keys[3])));
    let meta = |member: u32, key: &ed25519::PrivateKey| {
        Tx::Meta(
            Meta {
                request: id,
                member,
                latency_ms: 1200 + u64::from(member),
                prompt_tokens: 12,
                completion_tokens: 1,
                cost_micro_usd: 42,
                confidence_bp: Some(9_000),
                model: format!("model-{member}"),
            }
            .sign(key),
        )
    };
    reveals.insert(1, meta(0, &keys[0]));
    reveals.push(meta(3, &keys[0])); // signed with member 0's key
    let record = DecisionRecord {
        request: id,
        tier: 3,
        mode: Mode::Exact,
        committee: vec![0, 1, 2, 3],
        outcome: OutcomeKind::Agreed,
        answer: Some("4".into()),
        answer_digest: Some(answer_digest("4")),
        supporters: vec![0, 1, 2],
        dissenters: vec![],
        silent: vec![3],
        height: 4,
        epoch: 0,
        aggregation: None,
        cosines: None,
        pick: None,
    };
    let (key, sign) = group_key(11);
    let (other_group_key, _) = group_key(12);
    let record_bytes = record.encode().to_vec();
    let mut requests = vec![Tx::Request(request)];
    if others {
        let other = Request::new(vec![Message::user("And 3+3?")], Mode::Exact, 3, 64, 8).unwrap();
        let six = canonicalize(&Mode::Exact, "6").unwrap();
        let r = Reveal {
            request: other.id(),
            member: 0,
            canonical: six,
            salt: Salt([9; 32]),
        };
        requests.insert(0, Tx::Request(other));
        commits.insert(1, Tx::Commit(r.commit().sign(&keys[0])));
        reveals.insert(2, Tx::Reveal(r.sign(&keys[0])));
    }
    if bundled {
        commits = bundle_runs(commits, &keys);
        reveals = bundle_runs(reveals, &keys);
    }
    let (log, _) = AuditLog::open(&path).unwrap();
    log.append(block(1, requests)).unwrap();
    log.append(block(2, commits)).unwrap();
    log.append(block(3, reveals)).unwrap();
    // The serving node (member 1) charged the vote to a client key.
    let charge = crate::protocol::charge::Charge {
        key: [0xab; 32],
        request: id,
        member: 1,
        cost_micro_usd: 400,
        height: 3,
    };
    log.append(block(4, vec![Tx::Charge(charge.sign(&keys[1]))]))
        .unwrap();
    // A batch of one: the group signs its root.
    let batch = byzvote_core::batch::Batch::new(vec![record.clone()]);
    let proof = batch.proof(0).unwrap();
    log.append(Body::Certificate {
        request: id.as_ref().try_into().unwrap(),
        signature: HexBytes(sign(batch.root().as_ref())),
        record: HexBytes(record_bytes),
        proof: HexBytes(proof.encode().to_vec()),
    })
    .unwrap();
    Fixture {
        path,
        id: hex::encode(id),
        keys: Keys {
            participants: keys.iter().map(|k| k.public_key()).collect(),
            group_key: Some(key),
        },
        other_group_key,
    }
}

/// `txs` (single commits, reveals and reports) with each run of consecutive ones by the same
/// member under the same key made one bundle, signed by that key.
fn bundle_runs(txs: Vec<Tx>, keys: &[ed25519::PrivateKey]) -> Vec<Tx> {
    use crate::protocol::bundle::SignedBundle;
    let signer = |tx: &Tx| {
        keys.iter()
            .position(|k| match tx {
                Tx::Commit(c) => c.verify(&k.public_key()),
                Tx::Reveal(r) => r.verify(&k.public_key()),
                Tx::Meta(m) => m.verify(&k.public_key()),
                _ => false,
            })
            .expect("signed by one of the keys")
    };
    let mut runs: Vec<(usize, Vec<Item>)> = Vec::new();
    for tx in txs {
        let key = signer(&tx);
        let item = tx.items().unwrap().remove(0);
        match runs.last_mut() {
            Some((k, items)) if *k == key && items[0].member() == item.member() => items.push(item),
            _ => runs.push((key, vec![item])),
        }
    }
    runs.into_iter()
        .map(|(k, items)| Tx::Bundle(SignedBundle::sign(items[0].member(), items, &keys[k])))
        .collect()
}

#[test]
fn a_story_told_from_bundles_is_the_story_told_from_singles() {
    for others in [false, true] {
        let singles = fixture_with("singles", others, false);
        let bundled = fixture_with("bundled", others, true);
        let entries = read_entries(&bundled.path).unwrap();
        let bundles = entries
            .iter()
            .filter_map(|e| match &e.body {
                Body::Block { txs, .. } => Some(txs),
                _ => None,
            })
            .flatten()
            .filter(|t| matches!(Tx::decode(&t.0), Some(Tx::Bundle(b)) if b.items.len() > 1))
            .count();
        assert!(bundles >= 2, "the log holds bundles of several items");
        let story = story(&entries, &bundled.id, &bundled.keys).unwrap();
        let from_singles = story_file(&singles.path, &singles.id, &singles.keys).unwrap();
        assert_eq!(story, from_singles, "others {others}");
        assert_eq!(
            story_file(&bundled.path, &bundled.id, &bundled.keys).unwrap(),
            story
        );
        // The report signed with another member's key is still found out.
        let sigs: Vec<Check> = story.reports.iter().map(|r| r.signature).collect();
        assert_eq!(sigs, [Check::Valid, Check::Invalid]);
        assert_eq!(story.evidence.len(), 2, "{:?}", story.evidence);
    }
}

#[test]
fn story_of_a_vote_with_a_faulty_member() {
    let f = fixture("story");
    let entries = read_entries(&f.path).unwrap();
    let s = story(&entries, &f.id, &f.keys).unwrap();
    assert_eq!(s.chain_broken, None);
    let req = s.submitted.as_ref().unwrap();
    assert_eq!(
        (req.at.height, req.tier, req.mode.as_str()),
        (1, 3, "exact")
    );
    assert_eq!(s.commits.len(), 5);
    assert!(s.commits.iter().all(|c| c.signature == Check::Valid));
    assert_eq!(s.reveals.len(), 4);
    let opens: Vec<bool> = s.reveals.iter().map(|r| r.opens_commit).collect();
    assert_eq!(opens, [true, true, true, false]);
    let sigs: Vec<Check> = s.reports.iter().map(|r| r.signature).collect();
    assert_eq!(sigs, [Check::Valid, Check::Invalid]);
    assert_eq!(s.evidence.len(), 2, "{:?}", s.evidence);
    assert!(matches!(
        s.evidence[0],
        Evidence::Equivocation { member: 3, .. }
    ));
    assert!(matches!(
        s.evidence[1],
        Evidence::BadReveal { member: 3, .. }
    ));
    assert_eq!(s.decision.as_ref().unwrap().supporters, [0, 1, 2]);
    assert_eq!(s.certificate.as_ref().unwrap().verifies, Check::Valid);
    assert_eq!(s.charges.len(), 1);
    let c = &s.charges[0];
    assert_eq!((c.member, c.cost_micro_usd), (1, 400));
    assert_eq!((c.at.height, c.signature), (4, Check::Valid));
    assert_eq!(c.key, hex::encode([0xab; 32]));

    let text = render::story(&s);
    assert!(text.contains("charges to client keys"), "{text}");
    assert!(
        text.contains("key abababababababab…  cost $0.000400"),
        "{text}"
    );
    println!("{text}");
    for needle in [
        format!("vote {}", f.id).as_str(),
        "audit chain: intact",
        "ordered in block 1 at 2025-11-25 19:00:00.000 UTC (entry 0)",
        "mode exact · tier 3 · max_tokens 64 · client_nonce 7",
        "system: Be brief.",
        "user: What is 2+2?",
        "member 3   block 2        +0.750s  signature valid      commitment",
        "DOES NOT open its commit  answer \"5\"",
        "signature INVALID    model model-3",
        "member 3: FAULT, two different signed commits",
        "member 3: FAULT, its reveal does not open its commit",
        "agreed on \"4\", at block 4 (epoch 0)",
        "agreed    0, 1, 2",
        "disagreed -",
        "silent    3",
        "entry 4: signature",
        "verifies under the group key",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["certificate"]["verifies"], "valid");
    assert_eq!(json["evidence"][0]["kind"], "equivocation");
    assert_eq!(json["decision"]["answer"], "4");

    // A unique prefix names the same vote; the list shows it decided.
    assert_eq!(story(&entries, &f.id[..10], &f.keys).unwrap(), s);
    let listed = list(&entries);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].outcome, Some(OutcomeKind::Agreed));
    assert!(render::list(&listed).contains("agreed \"4\""));
}

#[test]
fn checks_depend_on_the_keys() {
    let f = fixture("keys");
    let entries = read_entries(&f.path).unwrap();
    let wrong = Keys {
        participants: f.keys.participants.clone(),
        group_key: Some(f.other_group_key),
    };
    let s = story(&entries, &f.id, &wrong).unwrap();
    assert_eq!(s.certificate.as_ref().unwrap().verifies, Check::Invalid);
    assert!(render::story(&s).contains("DOES NOT verify under the group key"));
    let none = story(&entries, &f.id, &Keys::default()).unwrap();
    assert!(none.commits.iter().all(|c| c.signature == Check::Unchecked));
    assert_eq!(none.certificate.unwrap().verifies, Check::Unchecked);
}

#[test]
fn unknown_id_bad_id_missing_file_and_broken_chain() {
    let f = fixture("errors");
    let mut entries = read_entries(&f.path).unwrap();
    let unknown = story(&entries, &"ab".repeat(32), &f.keys).unwrap_err();
    assert!(matches!(unknown, ShowError::Unknown { known: 1, .. }));
    assert!(
        unknown.to_string().contains("byzvote audit list"),
        "{unknown}"
    );
    for bad in ["xyz", "abc", &"a".repeat(65)] {
        let err = story(&entries, bad, &f.keys).unwrap_err();
        assert!(matches!(err, ShowError::BadId(_)), "{bad}: {err}");
    }
    let missing = read_entries(&f.path.with_extension("missing")).unwrap_err();
    assert!(missing.to_string().contains("missing"), "{missing}");
    // Tampering with a logged block is shown, not hidden.
    if let Body::Block { timestamp_ms, .. } = &mut entries[2].body {
        *timestamp_ms += 1;
    }
    let s = story(&entries, &f.id, &f.keys).unwrap();
    assert!(s.chain_broken.as_deref().unwrap().contains("entry 2"));
    assert!(render::story(&s).contains("audit chain: BROKEN"));
}

#[test]
fn a_story_read_as_a_stream_is_the_story_of_the_whole_log() {
    let f = fixture_with("stream", true, false);
    let entries = read_entries(&f.path).unwrap();
    assert_eq!(list(&entries).len(), 2);
    assert_eq!(list_file(&f.path).unwrap(), list(&entries));
    let whole = story(&entries, &f.id, &f.keys).unwrap();
    assert_eq!(
        whole.commits.len(),
        5,
        "the other vote's commit is not this one's"
    );
    assert_eq!(story_file(&f.path, &f.id, &f.keys).unwrap(), whole);
    assert_eq!(story_file(&f.path, &f.id[..10], &f.keys).unwrap(), whole);
    let unknown = story_file(&f.path, &"ab".repeat(32), &f.keys).unwrap_err();
    assert!(
        matches!(unknown, ShowError::Unknown { known: 2, .. }),
        "{unknown}"
    );
    let bad = story_file(&f.path, "xyz", &f.keys).unwrap_err();
    assert!(matches!(bad, ShowError::BadId(_)), "{bad}");
    let missing = story_file(&f.path.with_extension("missing"), &f.id, &f.keys).unwrap_err();
    assert!(missing.to_string().contains("missing"), "{missing}");

    // A tampered entry breaks the chain at the same place either way.
    let mut tampered = entries.clone();
    if let Body::Block { timestamp_ms, .. } = &mut tampered[2].body {
        *timestamp_ms += 1;
    }
    let text: String = tampered
        .iter()
        .map(|e| serde_json::to_string(e).unwrap() + "\n")
        .collect();
    std::fs::write(&f.path, text).unwrap();
    let streamed = story_file(&f.path, &f.id, &f.keys).unwrap();
    assert!(
        streamed
            .chain_broken
            .as_deref()
            .unwrap()
            .contains("entry 2")
    );
    assert_eq!(streamed, story(&tampered, &f.id, &f.keys).unwrap());
}

#[test]
fn utc_dates() {
    assert_eq!(render::utc(0), "1970-01-01 00:00:00.000 UTC");
    assert_eq!(render::utc(951_782_400_123), "2000-02-29 00:00:00.123 UTC");
    assert_eq!(render::utc(T0 + 3_723_004), "2025-11-25 20:02:03.004 UTC");
}
