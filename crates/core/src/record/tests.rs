//! Record encoding tests, including the golden vectors that pin the certified bytes.

use super::*;
use crate::{Canonical, Class, Outcome, Tally};
use commonware_codec::{DecodeExt, Encode};

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
                aggregation: None,
                cosines: None,
                pick: None,
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
                aggregation: None,
                cosines: None,
                pick: None,
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
                aggregation: None,
                cosines: None,
                pick: None,
            },
        ),
        (
            "agreed_tier3_vector_median",
            DecisionRecord {
                request: Sha256::fill(0x44),
                tier: 3,
                mode: "vector:median".parse().unwrap(),
                committee: vec![0, 1, 2, 3],
                outcome: OutcomeKind::Agreed,
                answer: Some("[1.25e0,2e0]".into()),
                answer_digest: Some(answer_digest("[1.25e0,2e0]")),
                supporters: vec![0, 1, 2, 3],
                dissenters: vec![],
                silent: vec![],
                height: 7,
                epoch: 2,
                aggregation: Some(crate::Aggregation {
                    values: 4,
                    f: 1,
                    reason: None,
                }),
                cosines: None,
                pick: None,
            },
        ),
        (
            "no_agreement_tier4_number_krum",
            DecisionRecord {
                request: Sha256::fill(0x55),
                tier: 4,
                mode: "number:2:krum".parse().unwrap(),
                committee: (0..7).collect(),
                outcome: OutcomeKind::NoAgreement,
                answer: None,
                answer_digest: None,
                supporters: vec![],
                dissenters: vec![0, 1, 2, 3, 5],
                silent: vec![4, 6],
                height: 8,
                epoch: 2,
                aggregation: Some(crate::Aggregation {
                    values: 4,
                    f: 2,
                    reason: Some(crate::NoAggregate::TooFewValues),
                }),
                cosines: None,
                pick: None,
            },
        ),
        (
            "agreed_tier3_semantic",
            DecisionRecord {
                request: Sha256::fill(0x66),
                tier: 3,
                mode: "semantic:0.8".parse().unwrap(),
                committee: vec![0, 1, 2, 3],
                outcome: OutcomeKind::Agreed,
                answer: Some("Paris is the capital of France.".into()),
                answer_digest: Some(answer_digest("Paris is the capital of France.")),
                supporters: vec![0, 1, 3],
                dissenters: vec![2],
                silent: vec![],
                height: 9,
                epoch: 2,
                aggregation: None,
                cosines: Some(vec![9712, 9604, 9890, 9455, 9801, 9523]),
                pick: None,
            },
        ),
        (
            "no_agreement_tier3_semantic_without_evidence",
            DecisionRecord {
                request: Sha256::fill(0x77),
                tier: 3,
                mode: "semantic".parse().unwrap(),
                committee: vec![0, 1, 2, 3],
                outcome: OutcomeKind::NoAgreement,
                answer: None,
                answer_digest: None,
                supporters: vec![],
                dissenters: vec![0, 1, 2],
                silent: vec![3],
                height: 10,
                epoch: 2,
                aggregation: None,
                cosines: Some(vec![]),
                pick: None,
            },
        ),
        (
            "agreed_tier3_pick_best",
            DecisionRecord {
                request: Sha256::fill(0x88),
                tier: 3,
                mode: Mode::PickBest,
                committee: vec![0, 1, 2, 3],
                outcome: OutcomeKind::Agreed,
                answer: Some("Use a mutex around the counter.".into()),
                answer_digest: Some(answer_digest("Use a mutex around the counter.")),
                supporters: vec![0, 2, 3],
                dissenters: vec![1],
                silent: vec![],
                height: 12,
                epoch: 2,
                aggregation: None,
                cosines: None,
                pick: Some(crate::pick::Pick {
                    ballot: Sha256::fill(0x99),
                    choice: 2,
                    authors: vec![1, 3],
                }),
            },
        ),
    ]
}

#[derive(serde::Deserialize)]
struct Golden {
    name: String,
    record: DecisionRecord,
    encoding: String,
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
fn robust_records_pin_their_trailer() {
    // By hand from the module doc: the mode is tag 7 ‖ rule 1 (median), and after the epoch
    // come u32 values ‖ u32 f ‖ u8 reason.
    let (_, r) = &fixtures()[3];
    let bytes = r.encode().to_vec();
    let mode_at = 1 + 32 + 1;
    assert_eq!(&bytes[mode_at..mode_at + 2], &[7, 1]);
    let trailer = &bytes[bytes.len() - 9..];
    assert_eq!(trailer, &[0, 0, 0, 4, 0, 0, 0, 1, 0]);
    let epoch = &bytes[bytes.len() - 17..bytes.len() - 9];
    assert_eq!(epoch, &2u64.to_be_bytes());
    assert_eq!(r.encode_size(), bytes.len());
    // The first three fixtures (modes 0-3) end with the epoch: no trailer.
    for (name, old) in &fixtures()[..3] {
        let b = old.encode();
        assert_eq!(&b[b.len() - 8..], &old.epoch.to_be_bytes(), "{name}");
    }
}

#[test]
fn decode_rejects_broken_robust_invariants() {
    let base = fixtures()[3].1.clone();
    assert_eq!(base.check(), Ok(()));
    type Break = (&'static str, fn(&mut DecisionRecord));
    let breaks: Vec<Break> = vec![
        ("trailer dropped", |r| r.aggregation = None),
        ("trailer on an old mode", |r| {
            r.mode = Mode::Exact;
        }),
        ("reason while agreed", |r| {
            r.aggregation = Some(crate::Aggregation {
                values: 4,
                f: 1,
                reason: Some(crate::NoAggregate::Failed),
            })
        }),
        ("too few values claimed with enough", |r| {
            r.outcome = OutcomeKind::NoAgreement;
            r.answer = None;
            r.answer_digest = None;
            r.dissenters = std::mem::take(&mut r.supporters);
            r.aggregation = Some(crate::Aggregation {
                values: 4,
                f: 1,
                reason: Some(crate::NoAggregate::TooFewValues),
            })
        }),
        ("agreed below the requirement", |r| {
            r.aggregation = Some(crate::Aggregation {
                values: 2,
                f: 1,
                reason: None,
            })
        }),
        ("a supporter too few for the median", |r| {
            r.supporters = vec![0, 1, 2];
            r.dissenters = vec![3];
        }),
        ("answer not a canonical vector", |r| {
            r.answer = Some("[1.25, 2]".into());
            r.answer_digest = Some(answer_digest("[1.25, 2]"));
        }),
        ("more values than revealers", |r| {
            r.supporters = vec![0, 1, 2];
            r.silent = vec![3];
            r.aggregation = Some(crate::Aggregation {
                values: 4,
                f: 1,
                reason: None,
            })
        }),
    ];
    for (what, change) in breaks {
        let mut r = base.clone();
        change(&mut r);
        assert!(r.check().is_err(), "{what}");
        assert!(DecisionRecord::decode(r.encode()).is_err(), "{what}");
    }
    // A robust record cut before, or extended after, its trailer does not decode.
    let bytes = base.encode().to_vec();
    assert!(DecisionRecord::decode(bytes[..bytes.len() - 1].to_vec()).is_err());
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(DecisionRecord::decode(longer).is_err());
}

#[test]
fn every_byte_flip_is_detected_or_changes_the_record() {
    for (name, r) in fixtures() {
        let bytes = r.encode().to_vec();
        for i in 0..bytes.len() {
            for bit in 0..8 {
                let mut b = bytes.clone();
                b[i] ^= 1 << bit;
                if let Ok(decoded) = DecisionRecord::decode(b) {
                    assert_ne!(
                        decoded, r,
                        "{name}: flip at {i}.{bit} decoded to the same record"
                    );
                }
            }
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
            })
        })
        .collect();
    println!("{}", serde_json::to_string_pretty(&out).unwrap());
}
