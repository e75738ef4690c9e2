//! Record encoding tests, including the golden vectors that pin the signed bytes.

use super::*;
use crate::{Canonical, Class, Outcome, Tally};
use commonware_codec::DecodeExt;

/// The fixed records whose encodings are pinned in `testdata/records.json`.
pub(crate) fn fixtures() -> Vec<(&'static str, DecisionRecord)> {
    vec![
        (
            "agreed_tier3_class",
            DecisionRecord {
                request: Sha256::fill(0x11),
                tier: 3,
                mode: "class:yes,no".parse().unwrap(),
                committee: vec![0, 1, 2, 3],
                outcome: OutcomeKind::Agreed,
                answer: Some("yes".into()),
                answer_digest: Some(answer_digest("yes")),
                supporters: vec![0, 2, 3],
                dissenters: vec![1],
                silent: vec![],
                height: 42,
                epoch: 1,
            },
        ),
        (
            "no_agreement_tier3_number",
            DecisionRecord {
                request: Sha256::fill(0x22),
                tier: 3,
                mode: Mode::Number { decimals: 2 },
                committee: vec![1, 4, 5, 9],
                outcome: OutcomeKind::NoAgreement,
                answer: None,
                answer_digest: None,
                supporters: vec![],
                dissenters: vec![1, 5],
                silent: vec![4, 9],
                height: 1_000_000,
                epoch: 0,
            },
        ),
        (
            "agreed_tier4_exact_unicode",
            DecisionRecord {
                request: Sha256::fill(0x33),
                tier: 4,
                mode: Mode::Exact,
                committee: (0..7).collect(),
                outcome: OutcomeKind::Agreed,
                answer: Some("café au lait".into()),
                answer_digest: Some(answer_digest("café au lait")),
                supporters: vec![0, 1, 2, 4, 6],
                dissenters: vec![3],
                silent: vec![5],
                height: u64::MAX,
                epoch: 300,
            },
        ),
    ]
}

#[derive(serde::Deserialize)]
struct Golden {
    name: String,
    record: DecisionRecord,
    encoding: String,
    signed_message: String,
}

fn golden() -> Vec<Golden> {
    serde_json::from_str(include_str!("../../testdata/records.json")).unwrap()
}

#[test]
fn golden_vectors_pin_the_encoding() {
    let golden = golden();
    let fixtures = fixtures();
    assert_eq!(golden.len(), fixtures.len());
    for (g, (name, record)) in golden.iter().zip(fixtures) {
        assert_eq!(g.name, name);
        // The JSON form and the in-code form agree (pins serde too).
        assert_eq!(g.record, record, "{name}: serde form changed");
        assert_eq!(
            hex::encode(record.encode()),
            g.encoding,
            "{name}: encoding changed"
        );
        assert_eq!(
            hex::encode(record.signed_message()),
            g.signed_message,
            "{name}: signed message changed"
        );
        let decoded = DecisionRecord::decode(hex::decode(&g.encoding).unwrap()).unwrap();
        assert_eq!(decoded, record, "{name}: decode");
    }
}

#[test]
fn layout_matches_the_documentation() {
    // Rebuild the first fixture by hand from the module doc, as an independent verifier would.
    let (_, r) = &fixtures()[0];
    let mut b = vec![1u8]; // version
    b.extend_from_slice(&[0x11; 32]); // request
    b.push(3); // tier
    b.extend_from_slice(&[1, 2, 3, b'y', b'e', b's', 2, b'n', b'o']); // class:yes,no
    b.push(4); // committee count
    for m in [0u32, 1, 2, 3] {
        b.extend_from_slice(&m.to_be_bytes());
    }
    b.push(0); // agreed
    b.extend_from_slice(&[1, 3, b'y', b'e', b's']); // answer
    b.push(1);
    b.extend_from_slice(&answer_digest("yes").0);
    b.push(3);
    for m in [0u32, 2, 3] {
        b.extend_from_slice(&m.to_be_bytes());
    }
    b.push(1);
    b.extend_from_slice(&1u32.to_be_bytes());
    b.push(0); // silent: empty
    b.extend_from_slice(&42u64.to_be_bytes());
    b.extend_from_slice(&1u64.to_be_bytes());
    assert_eq!(r.encode().to_vec(), b);
    assert_eq!(r.encode_size(), b.len());

    let mut signed = vec![17u8];
    signed.extend_from_slice(b"_BYZVOTE_DECISION");
    signed.extend_from_slice(&b);
    assert_eq!(r.signed_message(), signed);
}

#[test]
fn decode_rejects_broken_invariants() {
    let base = fixtures()[0].1.clone();
    type Break = (&'static str, fn(&mut DecisionRecord));
    let breaks: Vec<Break> = vec![
        ("answer changed", |r| {
            r.answer = Some("no".into());
            assert!(!r.answer_matches_digest());
        }),
        ("digest dropped", |r| r.answer_digest = None),
        ("no agreement with answer", |r| {
            r.outcome = OutcomeKind::NoAgreement
        }),
        ("member in two lists", |r| r.silent = vec![1]),
        ("member missing", |r| r.dissenters = vec![]),
        ("unsorted committee", |r| r.committee = vec![1, 0, 2, 3]),
        ("tier 0", |r| r.tier = 0),
        ("unsorted supporters", |r| r.supporters = vec![3, 2, 0]),
    ];
    assert!(base.answer_matches_digest());
    for (what, change) in breaks {
        let mut r = base.clone();
        change(&mut r);
        assert!(r.check().is_err(), "{what}");
        assert!(DecisionRecord::decode(r.encode()).is_err(), "{what}");
    }
    let mut bytes = base.encode().to_vec();
    bytes[0] = 2;
    assert!(DecisionRecord::decode(bytes).is_err(), "unknown version");
}

#[test]
fn every_byte_flip_is_detected_or_changes_the_record() {
    let (_, r) = &fixtures()[0];
    let bytes = r.encode().to_vec();
    for i in 0..bytes.len() {
        let mut b = bytes.clone();
        b[i] ^= 0x01;
        if let Ok(decoded) = DecisionRecord::decode(b) {
            assert_ne!(&decoded, r, "flip at {i} decoded to the same record");
        }
    }
}

#[test]
fn from_tally_fills_every_list() {
    let tally = Tally {
        outcome: Outcome::Agreed {
            answer: Canonical("yes".into()),
            supporters: vec![0, 2, 3],
        },
        classes: vec![
            Class {
                answer: Canonical("yes".into()),
                members: vec![0, 2, 3],
            },
            Class {
                answer: Canonical("no".into()),
                members: vec![1],
            },
        ],
        silent: vec![],
    };
    let r = DecisionRecord::from_tally(
        Sha256::fill(0x11),
        3,
        "class:yes,no".parse().unwrap(),
        &[3, 2, 1, 0],
        &tally,
        42,
        1,
    );
    assert_eq!(r, fixtures()[0].1);
    assert_eq!(r.check(), Ok(()));
}

#[test]
fn serde_uses_hex_and_snake_case() {
    let (_, r) = &fixtures()[1];
    let j = serde_json::to_value(r).unwrap();
    assert_eq!(j["outcome"], "no_agreement");
    assert_eq!(j["request"], "22".repeat(32));
    assert!(j["answer"].is_null());
    assert!(j["answer_digest"].is_null());
    assert_eq!(j["mode"], "number:2");
}

/// Prints the golden file; run with `--ignored --nocapture` only when the layout is meant to
/// change (and bump RECORD_VERSION).
#[test]
#[ignore]
fn print_golden_vectors() {
    let out: Vec<serde_json::Value> = fixtures()
        .into_iter()
        .map(|(name, r)| {
            serde_json::json!({
                "name": name,
                "record": r,
                "encoding": hex::encode(r.encode()),
                "signed_message": hex::encode(r.signed_message()),
            })
        })
        .collect();
    println!("{}", serde_json::to_string_pretty(&out).unwrap());
}
