//! The pick-best stages: candidates, the derived ballot, and the vote's rule 7.

use super::*;
use crate::{
    Action, Bounds, DecisionRecord, OutcomeKind, Salt, Timeouts, Vote, canonicalize, commit::Reveal,
};
use commonware_codec::{DecodeExt as _, Encode as _};
use std::time::Duration;

fn parent() -> Request {
    Request::new(
        vec![Message::user("How do I share a counter between threads?")],
        Mode::PickBest,
        3,
        64,
        9,
    )
    .unwrap()
}

fn counted(texts: &[&str]) -> BTreeMap<MemberId, Canonical> {
    texts
        .iter()
        .enumerate()
        .map(|(i, t)| (i as MemberId, Canonical(t.to_string())))
        .collect()
}

#[test]
fn candidates_are_distinct_texts_numbered_by_first_author() {
    let c = Candidates::of(&counted(&["B", "A", "B", "C"]));
    assert_eq!(
        c.texts,
        vec![
            Canonical("B".into()),
            Canonical("A".into()),
            Canonical("C".into())
        ]
    );
    assert_eq!(c.authors, vec![vec![0, 2], vec![1], vec![3]]);
    assert_eq!(
        chosen(&c, Some("1")).map(|(n, t, a)| (n, t.as_str(), a)),
        Some((1, "B", &[0u32, 2][..]))
    );
    assert_eq!(chosen(&c, Some("4")), None);
    assert_eq!(chosen(&c, Some("0")), None);
    assert_eq!(chosen(&c, None), None);
}

#[test]
fn the_ballot_is_a_valid_class_vote_derived_from_finalized_bytes_only() {
    let p = parent();
    let id = p.id();
    let long = "x".repeat(MAX_SHOWN + 10);
    let c = Candidates::of(&counted(&["Use a mutex.", "Use an atomic integer.", &long]));
    let b = ballot(&p, &id, &c);
    assert_eq!(b, ballot(&p, &id, &c), "deterministic");
    b.validate().unwrap();
    assert_eq!(b.mode, Mode::class(&["1", "2", "3"]).unwrap());
    assert_eq!((b.tier, b.max_tokens), (3, BALLOT_TOKENS));
    let shown = &b.messages.last().unwrap().content;
    assert!(shown.contains("1. Use a mutex.") && shown.contains("2. Use an atomic integer."));
    assert!(shown.len() < 2 * MAX_SHOWN, "a long candidate is cut");
    // Another parent gives another ballot id even over the same candidates.
    let mut other = p.clone();
    other.client_nonce = 10;
    assert_ne!(ballot(&other, &other.id(), &c).id(), b.id());
    // A member's "The best is 2." canonicalises to the label "2".
    assert_eq!(
        canonicalize(&b.mode, "The best is 2.").unwrap().as_str(),
        "2"
    );
}

fn pick_vote() -> Vote {
    let p = parent();
    let id = p.id();
    let t = Timeouts {
        commit: Duration::from_millis(1_000),
        reveal: Duration::from_millis(1_000),
    };
    Vote::new(
        p,
        id,
        vec![0, 1, 2, 3],
        Bounds::for_committee(4).unwrap(),
        1_000,
        t,
    )
}

fn reveals(v: &Vote, texts: &[&str]) -> Vec<Reveal> {
    counted(texts)
        .into_iter()
        .map(|(m, c)| Reveal {
            request: v.id(),
            member: m,
            canonical: c,
            salt: Salt([m as u8; 32]),
        })
        .collect()
}

/// Commits all of `texts`, then reveals the first `shown` of them at 1200 (2100 when not all).
fn run_stage_one(v: &mut Vote, texts: &[&str], shown: usize) -> Vec<Action> {
    let all = reveals(v, texts);
    for r in &all {
        v.on_commit(r.commit());
    }
    v.on_block_end(1, 1_100);
    let n = all.len();
    for r in all.into_iter().take(shown) {
        v.on_reveal(r);
    }
    if shown == n {
        return v.on_block_end(2, 1_200);
    }
    // Past the reveal deadline: it takes effect at the f+1-th such block (f = 1).
    let mut out = v.on_block_end(2, 2_100);
    out.extend(v.on_block_end(3, 2_150));
    out
}

/// The ballot's own vote (members' labels), decided at height 5.
fn ballot_record(b: &Request, votes: &[(MemberId, &str)]) -> DecisionRecord {
    let counted = votes
        .iter()
        .map(|(m, l)| (*m, Canonical(l.to_string())))
        .collect();
    DecisionRecord::decide(
        b.id(),
        b.tier,
        b.mode.clone(),
        &[0, 1, 2, 3],
        Bounds::for_committee(4).unwrap(),
        &counted,
        5,
        0,
    )
}

#[test]
fn the_ballot_decides_the_parent_with_the_winning_text() {
    let mut v = pick_vote();
    let texts = [
        "Use a mutex.",
        "Use an atomic.",
        "Use a mutex.",
        "Use a channel.",
    ];
    let actions = run_stage_one(&mut v, &texts, 4);
    let [Action::Ballot(b)] = actions.as_slice() else {
        panic!("{actions:?}");
    };
    assert_eq!(v.ballot(), Some(b.id()));
    assert_eq!(v.on_block_end(3, 60_000), vec![], "no deadline of its own");
    // Another vote's decision changes nothing.
    let mut unrelated = ballot_record(b, &[(0, "1"), (1, "1"), (2, "1")]);
    unrelated.request = crate::Digest::from([7; 32]);
    assert_eq!(v.on_ballot_decided(&unrelated), vec![]);
    let rec = ballot_record(b, &[(0, "2"), (1, "2"), (2, "2"), (3, "1")]);
    let actions = v.on_ballot_decided(&rec);
    let [Action::Decide(r)] = actions.as_slice() else {
        panic!("{actions:?}");
    };
    assert_eq!(r.outcome, OutcomeKind::Agreed);
    assert_eq!(r.answer.as_deref(), Some("Use an atomic."));
    assert_eq!(
        (r.supporters.clone(), r.dissenters.clone()),
        (vec![0, 1, 2], vec![3])
    );
    let pick = r.pick.as_ref().unwrap();
    assert_eq!(
        (pick.ballot, pick.choice, pick.authors.clone()),
        (b.id(), 2, vec![1])
    );
    assert_eq!(r.height, 5);
    assert_eq!(&DecisionRecord::decode(r.encode()).unwrap(), r);
    assert_eq!(v.on_ballot_decided(&rec), vec![], "decided once");
}

#[test]
fn a_split_ballot_or_too_few_candidates_give_no_agreement() {
    let mut v = pick_vote();
    let actions = run_stage_one(&mut v, &["A", "B", "C", "D"], 4);
    let [Action::Ballot(b)] = actions.as_slice() else {
        panic!("{actions:?}");
    };
    let rec = ballot_record(b, &[(0, "1"), (1, "2"), (2, "3"), (3, "4")]);
    let actions = v.on_ballot_decided(&rec);
    let [Action::Decide(r)] = actions.as_slice() else {
        panic!("{actions:?}");
    };
    assert_eq!(r.outcome, OutcomeKind::NoAgreement);
    assert_eq!(r.dissenters, vec![0, 1, 2, 3]);
    assert_eq!(r.pick.as_ref().unwrap().choice, 0);
    assert_eq!(&DecisionRecord::decode(r.encode()).unwrap(), r);

    // Only two candidates by the reveal deadline: no ballot.
    let mut v = pick_vote();
    let actions = run_stage_one(&mut v, &["A", "B", "C", "D"], 2);
    let r = actions
        .iter()
        .find_map(|a| match a {
            Action::Decide(r) => Some(r),
            _ => None,
        })
        .unwrap();
    assert_eq!(r.outcome, OutcomeKind::NoAgreement);
    assert_eq!(
        r.pick.as_ref().unwrap().ballot,
        crate::Digest::from([0; 32])
    );
    assert_eq!(&DecisionRecord::decode(r.encode()).unwrap(), r);
    // Tiers 1-2 refuse pick-best; its string round-trips.
    assert!(Request::new(vec![Message::user("q")], Mode::PickBest, 2, 8, 1).is_err());
    assert_eq!(
        "pick-best".parse::<Mode>().unwrap().to_string(),
        "pick-best"
    );
}
