//! The semantic decision over finalized cosines, its evidence codec, and the vote's rule 6.

use super::evidence::{Similarities, pair_count, pair_index, quantise};
use super::*;
use crate::{
    Action, Bounds, Canonical, DecisionRecord, MemberId, Mode, OutcomeKind, Request, Salt,
    Timeouts, Vote, commit::Reveal, request::Message,
};
use commonware_codec::{DecodeExt as _, Encode as _};
use std::collections::BTreeMap;
use std::time::Duration;

const TEXTS: [&str; 4] = [
    "Paris is the capital of France.",
    "The capital of France is Paris.",
    "Paris is not the capital of France.",
    "France's capital city is Paris.",
];

fn counted() -> BTreeMap<MemberId, Canonical> {
    TEXTS
        .iter()
        .enumerate()
        .map(|(i, t)| (i as MemberId, Canonical(t.to_string())))
        .collect()
}

/// Every pair close (0.95): only the negation check splits member 2 off.
fn close() -> Vec<i16> {
    vec![9500; pair_count(4)]
}

#[test]
fn pair_index_is_row_major() {
    let k = 4;
    let order: Vec<usize> = [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]
        .iter()
        .map(|&(i, j)| pair_index(k, i, j).unwrap())
        .collect();
    assert_eq!(order, (0..6).collect::<Vec<_>>());
    assert_eq!(pair_index(k, 3, 1), pair_index(k, 1, 3));
    assert_eq!(pair_index(k, 2, 2), None);
    assert_eq!(pair_index(k, 0, 4), None);
    assert_eq!(
        (quantise(0.97), quantise(1.5), quantise(f32::NAN)),
        (9700, 10000, 0)
    );
}

#[test]
fn paraphrases_win_and_the_contradiction_dissents() {
    let bounds = Bounds::for_committee(4).unwrap();
    let cfg = SemanticConfig::default();
    let d = decide(&cfg, bounds, &[0, 1, 2, 3], &counted(), Some(&close()));
    assert_eq!(d.supporters, vec![0, 1, 3]);
    assert_eq!(d.dissenters, vec![2]);
    assert!(d.silent.is_empty());
    assert_eq!(d.cosines, close());
    // The medoid: member 1 is closest to the other two.
    let mut cos = close();
    cos[pair_index(4, 0, 1).unwrap()] = 9900;
    cos[pair_index(4, 1, 3).unwrap()] = 9800;
    let d = decide(&cfg, bounds, &[0, 1, 2, 3], &counted(), Some(&cos));
    assert_eq!(d.answer.unwrap().as_str(), TEXTS[1]);
    // Equal scores: the lowest id.
    let d = decide(&cfg, bounds, &[0, 1, 2, 3], &counted(), Some(&close()));
    assert_eq!(d.answer.unwrap().as_str(), TEXTS[0]);
}

#[test]
fn low_cosines_missing_or_malformed_evidence_give_no_agreement() {
    let bounds = Bounds::for_committee(4).unwrap();
    let cfg: SemanticConfig = "semantic:0.96".parse().unwrap();
    let d = decide(&cfg, bounds, &[0, 1, 2, 3], &counted(), Some(&close()));
    assert_eq!((d.answer, d.dissenters.len()), (None, 4));
    let cfg = SemanticConfig::default();
    for cosines in [None, Some(&[9500i16; 5][..]), Some(&[20_000i16; 6][..])] {
        let d = decide(&cfg, bounds, &[0, 1, 2, 3], &counted(), cosines);
        assert_eq!(d.answer, None, "{cosines:?}");
        assert!(d.cosines.is_empty());
    }
}

#[test]
fn similarities_round_trip_and_refuse_bad_shapes() {
    let s = Similarities {
        request: crate::Digest::from([9; 32]),
        members: vec![0, 1, 2, 3],
        texts: counted().into_values().collect(),
        cosines: close(),
    };
    let bytes = s.encode();
    assert_eq!(Similarities::decode(bytes.clone()).unwrap(), s);
    assert!(Similarities::decode(bytes.slice(..bytes.len() - 1)).is_err());
    let mut bad = s.clone();
    bad.cosines[0] = -10_001;
    assert!(Similarities::decode(bad.encode()).is_err());
}

fn semantic_vote() -> Vote {
    let r = Request::new(
        vec![Message::user("What is the capital of France?")],
        "semantic".parse::<Mode>().unwrap(),
        3,
        32,
        1,
    )
    .unwrap();
    let id = r.id();
    let timeouts = Timeouts {
        commit: Duration::from_millis(1_000),
        reveal: Duration::from_millis(1_000),
    };
    Vote::new(
        r,
        id,
        vec![0, 1, 2, 3],
        Bounds::for_committee(4).unwrap(),
        1_000,
        timeouts,
    )
}

/// Commits and reveals every text; returns the actions of the reveal block (at 1200).
fn reveal_texts(v: &mut Vote) -> Vec<Action> {
    let reveals: Vec<Reveal> = counted()
        .into_iter()
        .map(|(m, c)| Reveal {
            request: v.id(),
            member: m,
            canonical: c,
            salt: Salt([m as u8; 32]),
        })
        .collect();
    for r in &reveals {
        v.on_commit(r.commit());
    }
    v.on_block_end(1, 1_100);
    for r in reveals {
        v.on_reveal(r);
    }
    v.on_block_end(2, 1_200)
}

fn decided(actions: &[Action]) -> Option<&DecisionRecord> {
    actions.iter().find_map(|a| match a {
        Action::Decide(r) => Some(r),
        _ => None,
    })
}

#[test]
fn a_semantic_vote_waits_for_evidence_then_decides_on_it() {
    let mut v = semantic_vote();
    let actions = reveal_texts(&mut v);
    let texts: Vec<Canonical> = counted().into_values().collect();
    assert_eq!(
        actions,
        vec![Action::NeedSimilarities {
            members: vec![0, 1, 2, 3],
            texts: texts.clone(),
        }]
    );
    assert!(v.awaiting_similarities().is_some());
    let good = Similarities {
        request: v.id(),
        members: vec![0, 1, 2, 3],
        texts: texts.clone(),
        cosines: close(),
    };
    // Evidence for other texts, other members or another vote is ignored.
    let mut other_text = good.clone();
    other_text.texts[2] = Canonical("Paris is the capital of France.".into());
    let mut other_members = good.clone();
    other_members.members = vec![0, 1, 2, 4];
    let mut other_vote = good.clone();
    other_vote.request = crate::Digest::from([1; 32]);
    for bad in [&other_text, &other_members, &other_vote] {
        v.on_similarities(bad);
    }
    assert_eq!(v.on_block_end(3, 1_300), vec![]);
    // The first matching one counts; a later one changes nothing.
    v.on_similarities(&good);
    let mut later = good.clone();
    later.cosines = vec![0; 6];
    v.on_similarities(&later);
    let actions = v.on_block_end(4, 1_400);
    let r = decided(&actions).expect("decided");
    assert_eq!(r.outcome, OutcomeKind::Agreed);
    assert_eq!(
        (r.supporters.clone(), r.dissenters.clone()),
        (vec![0, 1, 3], vec![2])
    );
    assert_eq!(r.cosines.as_deref(), Some(&close()[..]));
    assert_eq!(r.height, 4);
    // The record round-trips with its trailer.
    assert_eq!(&DecisionRecord::decode(r.encode()).unwrap(), r);
}

#[test]
fn a_semantic_vote_without_evidence_gives_no_agreement_at_the_deadline() {
    let mut v = semantic_vote();
    reveal_texts(&mut v);
    assert_eq!(v.next_deadline_ms(), Some(2_200));
    assert_eq!(v.on_block_end(3, 2_199), vec![]);
    let actions = v.on_block_end(4, 2_200);
    let r = decided(&actions).expect("decided");
    assert_eq!(r.outcome, OutcomeKind::NoAgreement);
    assert_eq!(r.cosines, Some(vec![]));
    assert_eq!(&DecisionRecord::decode(r.encode()).unwrap(), r);
}

#[test]
fn record_decoding_enforces_the_semantic_trailer() {
    let mut v = semantic_vote();
    reveal_texts(&mut v);
    v.on_similarities(&Similarities {
        request: v.id(),
        members: vec![0, 1, 2, 3],
        texts: counted().into_values().collect(),
        cosines: close(),
    });
    let actions = v.on_block_end(3, 1_300);
    let base = decided(&actions).unwrap().clone();
    let mut wrong_count = base.clone();
    wrong_count.cosines = Some(vec![9500; 5]);
    let mut agreed_without = base.clone();
    agreed_without.cosines = Some(vec![]);
    let mut out_of_range = base.clone();
    out_of_range.cosines = Some(vec![10_001; 6]);
    let mut missing = base.clone();
    missing.cosines = None;
    for bad in [wrong_count, agreed_without, out_of_range, missing] {
        assert!(bad.check().is_err(), "{bad:?}");
    }
    // Mode tag 4 with its threshold, and `semantic:0.8` parses and prints back.
    let m: Mode = "semantic:0.8".parse().unwrap();
    assert_eq!(m.encode().as_ref(), &[4, 0x03, 0x20]);
    assert_eq!(m.to_string(), "semantic:0.8");
    assert_eq!(Mode::decode(m.encode()).unwrap(), m);
    assert!(Mode::decode(bytes::Bytes::from_static(&[4u8, 0x03, 0xe9])).is_err()); // 1001 thousandths
    assert!("semantic:1.5".parse::<Mode>().is_err());
}

#[test]
fn semantic_is_refused_below_tier_3_and_keeps_case() {
    let m: Mode = "semantic".parse().unwrap();
    assert!(Request::new(vec![Message::user("q")], m.clone(), 2, 8, 1).is_err());
    let c = crate::canonicalize(&m, "  Paris  is\n the capital. ").unwrap();
    assert_eq!(c.as_str(), "Paris is the capital.");
    assert!(crate::canonicalize(&m, " \n ").is_err());
}
