//! Property-named tests of the vote rules, on a committee of 4 (f=1, quorum 3) unless noted.
//! The request's block has timestamp 1000; commit timeout 1000 ms; reveal timeout 1000 ms.

use super::*;
use crate::{OutcomeKind, Salt, request::Message};

const T0: u64 = 1_000;

fn request() -> Request {
    Request {
        messages: vec![Message::user("Is 17 prime?")],
        mode: "class:yes,no".parse().unwrap(),
        tier: 3,
        max_tokens: 8,
        client_nonce: 1,
    }
}

fn vote_of(committee: Vec<MemberId>, bounds: Bounds) -> Vote {
    let r = request();
    let id = r.id();
    let timeouts = Timeouts {
        commit: Duration::from_millis(1_000),
        reveal: Duration::from_millis(1_000),
    };
    Vote::new(r, id, committee, bounds, T0, timeouts)
}

fn vote() -> Vote {
    vote_of(vec![0, 1, 2, 3], Bounds::for_committee(4).unwrap())
}

fn reveal(v: &Vote, member: MemberId, answer: &str) -> Reveal {
    Reveal {
        request: v.id(),
        member,
        canonical: Canonical(answer.to_string()),
        salt: Salt([member as u8 + 1; 32]),
    }
}

/// Commits `answers` (member, answer) in one block at `ts`, returning the block-end actions.
fn commit_all(v: &mut Vote, answers: &[(MemberId, &str)], height: u64, ts: u64) -> Vec<Action> {
    let mut out = Vec::new();
    for (m, a) in answers {
        let c = reveal(v, *m, a).commit();
        out.extend(v.on_commit(c));
    }
    out.extend(v.on_block_end(height, ts));
    out
}

fn reveal_all(v: &mut Vote, answers: &[(MemberId, &str)], height: u64, ts: u64) -> Vec<Action> {
    let mut out = Vec::new();
    for (m, a) in answers {
        let r = reveal(v, *m, a);
        out.extend(v.on_reveal(r));
    }
    out.extend(v.on_block_end(height, ts));
    out
}

fn decision(actions: &[Action]) -> Option<&DecisionRecord> {
    actions.iter().find_map(|a| match a {
        Action::Decide(r) => Some(r),
        _ => None,
    })
}

fn evidence(actions: &[Action]) -> Vec<Evidence> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Evidence(e) => Some(*e),
            _ => None,
        })
        .collect()
}

const YES4: [(MemberId, &str); 4] = [(0, "yes"), (1, "yes"), (2, "yes"), (3, "yes")];

#[test]
fn decides_when_all_reveal() {
    let mut v = vote();
    let a = commit_all(&mut v, &YES4, 1, T0 + 100);
    assert_eq!(
        a,
        vec![Action::CloseCommits {
            members: vec![0, 1, 2, 3]
        }]
    );
    assert_eq!(v.phase(), Phase::Revealing);
    assert!(reveal_all(&mut v, &YES4[..3], 2, T0 + 200).is_empty());
    let a = reveal_all(&mut v, &YES4[3..], 3, T0 + 300);
    let r = decision(&a).unwrap();
    assert_eq!(r.outcome, OutcomeKind::Agreed);
    assert_eq!(r.answer.as_deref(), Some("yes"));
    assert_eq!(r.supporters, vec![0, 1, 2, 3]);
    assert_eq!(r.height, 3);
    assert!(evidence(&a).is_empty());
    assert_eq!(v.phase(), Phase::Decided);
}

#[test]
fn no_early_close_at_quorum() {
    let mut v = vote();
    let a = commit_all(&mut v, &YES4[..3], 1, T0 + 100);
    assert!(
        a.is_empty(),
        "closed at the first 2f+1 before the deadline: {a:?}"
    );
    assert!(v.on_block_end(2, T0 + 999).is_empty());
    assert_eq!(v.phase(), Phase::Committing);
    // The slow honest member still gets in.
    let a = commit_all(&mut v, &YES4[3..], 3, T0 + 999);
    assert_eq!(
        a,
        vec![Action::CloseCommits {
            members: vec![0, 1, 2, 3]
        }]
    );
}

#[test]
fn closes_at_deadline_with_quorum() {
    let mut v = vote();
    commit_all(&mut v, &YES4[..3], 1, T0 + 100);
    assert!(
        v.on_block_end(2, T0 + 1_000).is_empty(),
        "closed at the first block past the deadline (f=1: the second one closes)"
    );
    let a = v.on_block_end(3, T0 + 1_010);
    assert_eq!(
        a[0],
        Action::CloseCommits {
            members: vec![0, 1, 2]
        }
    );
    assert_eq!(
        evidence(&a),
        vec![Evidence::NeverCommitted {
            member: 3,
            request: v.id()
        }]
    );
    let a = reveal_all(&mut v, &YES4[..3], 4, T0 + 1_100);
    let r = decision(&a).unwrap();
    assert_eq!(r.answer.as_deref(), Some("yes"));
    assert_eq!(r.silent, vec![3]);
}

#[test]
fn late_commit_ignored() {
    let mut v = vote();
    commit_all(&mut v, &YES4[..3], 1, T0 + 1_000);
    v.on_block_end(2, T0 + 1_001);
    assert_eq!(v.closed_set(), Some(&[0, 1, 2][..]));
    let a = commit_all(&mut v, &YES4[3..], 3, T0 + 1_100);
    assert!(a.is_empty());
    // Its reveal is not counted either.
    let a = reveal_all(&mut v, &YES4, 4, T0 + 1_200);
    let r = decision(&a).unwrap();
    assert_eq!(r.supporters, vec![0, 1, 2]);
    assert_eq!(r.silent, vec![3]);
}

#[test]
fn bad_reveal_is_evidence_and_not_counted() {
    let mut v = vote();
    commit_all(&mut v, &YES4, 1, T0 + 100);
    let mut lie = reveal(&v, 3, "yes");
    lie.canonical = Canonical("no".into());
    let a = v.on_reveal(lie);
    assert_eq!(
        evidence(&a),
        vec![Evidence::BadReveal {
            member: 3,
            request: v.id()
        }]
    );
    // A later honest-looking reveal from the same member is ignored.
    assert!(v.on_reveal(reveal(&v, 3, "yes")).is_empty());
    let a = reveal_all(&mut v, &YES4[..3], 2, T0 + 200);
    let r = decision(&a).unwrap();
    assert_eq!(r.supporters, vec![0, 1, 2]);
    assert_eq!(r.silent, vec![3]);
    assert!(
        evidence(&a).is_empty(),
        "a bad revealer is not also 'never revealed'"
    );
}

#[test]
fn equivocating_commit_is_evidence() {
    let mut v = vote();
    let first = reveal(&v, 1, "yes").commit();
    let second = reveal(&v, 1, "no").commit();
    assert!(v.on_commit(first).is_empty());
    assert!(
        v.on_commit(first).is_empty(),
        "a duplicate is not equivocation"
    );
    let a = v.on_commit(second);
    assert_eq!(
        evidence(&a),
        vec![Evidence::Equivocation {
            member: 1,
            request: v.id(),
            first: first.digest,
            second: second.digest,
        }]
    );
    let third = reveal(&v, 1, "maybe").commit();
    assert!(
        v.on_commit(third).is_empty(),
        "evidence is emitted once per member"
    );
    // The first commit stands: revealing it counts, revealing the second is a bad reveal.
    commit_all(&mut v, &[(0, "yes"), (2, "yes"), (3, "yes")], 1, T0 + 100);
    let a = v.on_reveal(reveal(&v, 1, "no"));
    assert_eq!(
        evidence(&a),
        vec![Evidence::BadReveal {
            member: 1,
            request: v.id()
        }]
    );
}

#[test]
fn silent_member_recorded() {
    let mut v = vote();
    commit_all(&mut v, &YES4, 1, T0 + 100);
    reveal_all(&mut v, &YES4[..3], 2, T0 + 200);
    assert!(
        v.on_block_end(3, T0 + 1_099).is_empty(),
        "decided before the reveal deadline"
    );
    assert!(
        v.on_block_end(4, T0 + 1_100).is_empty(),
        "decided at the first block past the reveal deadline (f=1: the second one decides)"
    );
    let a = v.on_block_end(5, T0 + 1_150);
    assert_eq!(
        evidence(&a),
        vec![Evidence::NeverRevealed {
            member: 3,
            request: v.id()
        }]
    );
    let r = decision(&a).unwrap();
    assert_eq!(r.outcome, OutcomeKind::Agreed);
    assert_eq!(r.silent, vec![3]);
    assert_eq!(r.height, 5);
}

#[test]
fn no_agreement_on_split() {
    let mut v = vote();
    let split = [(0, "yes"), (1, "no"), (2, "yes"), (3, "no")];
    commit_all(&mut v, &split, 1, T0 + 100);
    let a = reveal_all(&mut v, &split, 2, T0 + 200);
    let r = decision(&a).unwrap();
    assert_eq!(r.outcome, OutcomeKind::NoAgreement);
    assert_eq!(r.answer, None);
    assert_eq!(r.dissenters, vec![0, 1, 2, 3]);
}

#[test]
fn no_agreement_when_quorum_never_commits() {
    let mut v = vote();
    commit_all(&mut v, &YES4[..2], 1, T0 + 100);
    assert!(
        v.on_block_end(2, T0 + 1_500).is_empty(),
        "waits past the commit deadline"
    );
    // The commit deadline is still due: blocks past it count towards its grace.
    assert_eq!(v.next_deadline_ms(), Some(T0 + 1_000));
    let a = v.on_block_end(3, T0 + 2_000);
    let r = decision(&a).unwrap();
    assert_eq!(r.outcome, OutcomeKind::NoAgreement);
    assert_eq!(r.silent, vec![0, 1, 2, 3]);
    let e = evidence(&a);
    assert_eq!(e.len(), 2);
    assert!(
        e.iter()
            .all(|e| matches!(e, Evidence::NeverCommitted { member: 2 | 3, .. }))
    );
}

#[test]
fn quorum_after_commit_deadline_closes() {
    let mut v = vote();
    commit_all(&mut v, &YES4[..2], 1, T0 + 100);
    assert!(v.on_block_end(2, T0 + 1_200).is_empty());
    let a = commit_all(&mut v, &YES4[2..3], 3, T0 + 1_300);
    assert_eq!(
        a[0],
        Action::CloseCommits {
            members: vec![0, 1, 2]
        }
    );
}

#[test]
fn early_reveal_counted_after_close() {
    let mut v = vote();
    for (m, a) in YES4 {
        v.on_commit(reveal(&v, m, a).commit());
        v.on_reveal(reveal(&v, m, a));
    }
    // All committed and all revealed: closes and decides at the same block end.
    let a = v.on_block_end(1, T0 + 100);
    assert!(matches!(a[0], Action::CloseCommits { .. }));
    assert_eq!(decision(&a).unwrap().supporters, vec![0, 1, 2, 3]);
}

#[test]
fn reveal_before_commit_is_checked_when_the_commit_arrives() {
    let mut v = vote();
    let honest = reveal(&v, 0, "yes");
    assert!(v.on_reveal(honest.clone()).is_empty());
    assert!(v.on_commit(honest.commit()).is_empty());
    let mut lie = reveal(&v, 1, "yes");
    let commit = lie.commit();
    lie.canonical = Canonical("no".into());
    v.on_reveal(lie);
    let a = v.on_commit(commit);
    assert_eq!(
        evidence(&a),
        vec![Evidence::BadReveal {
            member: 1,
            request: v.id()
        }]
    );
}

#[test]
fn reveal_from_outside_the_closed_set_is_ignored() {
    let mut v = vote();
    v.on_reveal(reveal(&v, 3, "yes")); // held, but 3 never commits in time
    commit_all(&mut v, &YES4[..3], 1, T0 + 1_000);
    assert!(v.on_reveal(reveal(&v, 3, "yes")).is_empty());
    let a = reveal_all(&mut v, &YES4[..3], 2, T0 + 1_100);
    assert_eq!(decision(&a).unwrap().silent, vec![3]);
}

#[test]
fn other_requests_and_non_members_are_ignored() {
    let mut v = vote();
    let mut foreign = reveal(&v, 0, "yes");
    foreign.request = Digest([9; 32]);
    assert!(v.on_commit(foreign.commit()).is_empty());
    assert!(v.on_commit(reveal(&v, 7, "yes").commit()).is_empty());
    assert!(v.on_block_end(1, T0 + 1).is_empty());
    assert_eq!(v.phase(), Phase::Committing);
}

#[test]
fn each_action_is_emitted_once() {
    let mut v = vote();
    commit_all(&mut v, &YES4, 1, T0 + 100);
    assert!(
        v.on_block_end(2, T0 + 150).is_empty(),
        "close is emitted once"
    );
    let a = reveal_all(&mut v, &YES4, 3, T0 + 200);
    assert!(decision(&a).is_some());
    assert!(v.on_block_end(4, T0 + 10_000).is_empty());
    assert!(v.on_reveal(reveal(&v, 0, "yes")).is_empty());
    assert!(v.on_commit(reveal(&v, 0, "no").commit()).is_empty());
    assert_eq!(v.next_deadline_ms(), None);
    assert_eq!(v.decision().unwrap().height, 3);
}

#[test]
fn tier2_majority_of_three() {
    let mut v = vote_of(vec![5, 6, 7], Bounds::majority(3).unwrap());
    let answers = [(5, "yes"), (6, "no"), (7, "yes")];
    commit_all(&mut v, &answers, 1, T0 + 10);
    let a = reveal_all(&mut v, &answers, 2, T0 + 20);
    let r = decision(&a).unwrap();
    assert_eq!(r.answer.as_deref(), Some("yes"));
    assert_eq!(r.supporters, vec![5, 7]);
    assert_eq!(r.dissenters, vec![6]);
}

#[test]
fn tier1_single_member() {
    let mut v = vote_of(vec![2], Bounds::for_committee(1).unwrap());
    commit_all(&mut v, &[(2, "no")], 1, T0 + 10);
    let a = reveal_all(&mut v, &[(2, "no")], 2, T0 + 20);
    assert_eq!(decision(&a).unwrap().answer.as_deref(), Some("no"));
}

#[test]
fn reveal_deadline_counts_from_close() {
    let mut v = vote();
    commit_all(&mut v, &YES4[..3], 1, T0 + 1_400);
    // Past the commit deadline but within its grace: the deadline is still due.
    assert_eq!(v.next_deadline_ms(), Some(T0 + 1_000));
    v.on_block_end(2, T0 + 1_500); // closes at 2500
    assert_eq!(v.next_deadline_ms(), Some(T0 + 2_500));
    reveal_all(&mut v, &YES4[..2], 3, T0 + 1_600);
    assert!(v.on_block_end(4, T0 + 2_499).is_empty());
    assert!(v.on_block_end(5, T0 + 2_500).is_empty(), "grace block");
    let a = v.on_block_end(6, T0 + 2_501);
    assert_eq!(decision(&a).unwrap().outcome, OutcomeKind::NoAgreement);
}

/// The n=10 `lossy` finding (sim seed 3007): the first block past the reveal deadline came
/// after a stall, from a proposer that lacked some honest reveals; they arrived one block later.
/// A deadline takes effect only at the `f+1`-th block past it, so they count and nobody honest
/// is blamed.
#[test]
fn reveals_in_the_blocks_after_a_stall_still_count() {
    let bounds = Bounds::for_committee(10).unwrap();
    let mut v = vote_of((0..10).collect(), bounds);
    let all: Vec<(MemberId, &str)> = (0..10).map(|m| (m, "yes")).collect();
    commit_all(&mut v, &all, 1, T0 + 100); // closes at T0+100: reveal deadline T0+1100
    let late = reveal_all(&mut v, &all[..7], 2, T0 + 1_151); // the block after the stall
    assert!(late.is_empty(), "{late:?}");
    assert!(
        v.on_block_end(3, T0 + 1_200).is_empty(),
        "grace block 2 of 4"
    );
    let a = reveal_all(&mut v, &all[7..], 4, T0 + 1_300);
    assert!(evidence(&a).is_empty(), "an honest member blamed: {a:?}");
    let r = decision(&a).unwrap();
    assert_eq!(r.supporters, (0..10).collect::<Vec<_>>());
}

/// The grace is `f+1` blocks, no more: an absent member of a 10-member committee (f=3) is
/// recorded at the fourth block past the deadline.
#[test]
fn an_absent_member_is_recorded_after_f_plus_one_blocks_past_the_deadline() {
    let mut v = vote_of((0..10).collect(), Bounds::for_committee(10).unwrap());
    let all: Vec<(MemberId, &str)> = (0..10).map(|m| (m, "yes")).collect();
    commit_all(&mut v, &all, 1, T0 + 100);
    reveal_all(&mut v, &all[..9], 2, T0 + 200);
    for h in 3..6 {
        assert!(v.on_block_end(h, T0 + 1_100 + h).is_empty(), "height {h}");
    }
    let a = v.on_block_end(6, T0 + 1_200);
    assert_eq!(
        evidence(&a),
        vec![Evidence::NeverRevealed {
            member: 9,
            request: v.id()
        }]
    );
}

#[test]
fn awaited_names_the_missing_commits_then_the_missing_reveals_then_nobody() {
    let mut v = vote();
    assert_eq!(v.awaited(), vec![0, 1, 2, 3]);
    commit_all(&mut v, &YES4[..2], 1, T0 + 100);
    assert_eq!(v.awaited(), vec![2, 3]);
    commit_all(&mut v, &YES4[2..], 2, T0 + 200);
    assert_eq!(v.phase(), Phase::Revealing);
    assert_eq!(v.awaited(), vec![0, 1, 2, 3]);
    // A reveal that does not open its commitment is not awaited any more either.
    v.on_reveal(reveal(&v, 1, "no"));
    reveal_all(&mut v, &YES4[..1], 3, T0 + 300);
    assert_eq!(v.awaited(), vec![2, 3]);
    reveal_all(&mut v, &YES4[2..], 4, T0 + 400);
    assert_eq!(v.phase(), Phase::Decided);
    assert!(v.awaited().is_empty());
}
