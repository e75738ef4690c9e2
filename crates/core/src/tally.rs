//! The tally: from the revealed answers to an outcome (DESIGN §2 step 5).
//!
//! **Rule.** Only committee members' reveals count (others are ignored). Members with the same
//! canonical answer form a class. A class with at least `bounds.quorum()` members wins (2f+1, or a
//! simple majority for tier 2); otherwise the outcome is [`Outcome::NoAgreement`], never a guess.
//! Since each member has one answer, classes are disjoint, and by quorum intersection (see
//! [`crate::quorum`]) at most one class can win.
//!
//! **Determinism.** Every node computes the same tally from the same finalized reveals: classes are
//! sorted by size (largest first), then by answer bytes; member lists are sorted ascending.

use crate::{canonical::Canonical, commit::MemberId, quorum::Bounds};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Members who revealed the same answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Class {
    /// The shared canonical answer.
    pub answer: Canonical,
    /// Who revealed it, ascending.
    pub members: Vec<MemberId>,
}

/// The result of a vote. Serde: `{"outcome":"agreed","answer":…,"supporters":[…]}` or
/// `{"outcome":"no_agreement"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// One class reached the quorum.
    Agreed {
        /// The winning answer.
        answer: Canonical,
        /// Its class, ascending.
        supporters: Vec<MemberId>,
    },
    /// No class reached the quorum.
    NoAgreement,
}

/// The full breakdown of a vote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// The outcome.
    pub outcome: Outcome,
    /// All classes, largest first, ties by answer bytes.
    pub classes: Vec<Class>,
    /// Committee members with no counted reveal, ascending.
    pub silent: Vec<MemberId>,
}

impl Tally {
    /// Members who revealed an answer other than the winning one (all revealers when there is no
    /// agreement), ascending.
    pub fn dissenters(&self) -> Vec<MemberId> {
        let winners: &[MemberId] = match &self.outcome {
            Outcome::Agreed { supporters, .. } => supporters,
            Outcome::NoAgreement => &[],
        };
        let mut out: Vec<MemberId> = self
            .classes
            .iter()
            .flat_map(|c| c.members.iter().copied())
            .filter(|m| !winners.contains(m))
            .collect();
        out.sort_unstable();
        out
    }
}

/// Tallies `revealed` (member → counted canonical answer) for `committee` under `bounds`.
pub fn tally(
    bounds: Bounds,
    committee: &[MemberId],
    revealed: &BTreeMap<MemberId, Canonical>,
) -> Tally {
    let committee: BTreeSet<MemberId> = committee.iter().copied().collect();
    let mut by_answer: BTreeMap<&Canonical, Vec<MemberId>> = BTreeMap::new();
    for (member, answer) in revealed {
        if committee.contains(member) {
            by_answer.entry(answer).or_default().push(*member);
        }
    }
    let mut classes: Vec<Class> = by_answer
        .into_iter()
        .map(|(answer, members)| Class {
            answer: answer.clone(),
            members,
        })
        .collect();
    classes.sort_by(|a, b| {
        b.members
            .len()
            .cmp(&a.members.len())
            .then_with(|| a.answer.as_bytes().cmp(b.answer.as_bytes()))
    });
    let outcome = match classes.first() {
        Some(top) if bounds.is_quorum(top.members.len()) => Outcome::Agreed {
            answer: top.answer.clone(),
            supporters: top.members.clone(),
        },
        _ => Outcome::NoAgreement,
    };
    let silent = committee
        .iter()
        .copied()
        .filter(|m| !revealed.contains_key(m))
        .collect();
    Tally {
        outcome,
        classes,
        silent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Canonical {
        Canonical(s.to_string())
    }

    /// One row: committee, bounds, reveals as (member, answer), expected winner and supporters,
    /// expected silent.
    struct Row {
        name: &'static str,
        bounds: Bounds,
        committee: Vec<MemberId>,
        reveals: Vec<(MemberId, &'static str)>,
        winner: Option<(&'static str, Vec<MemberId>)>,
        silent: Vec<MemberId>,
    }

    fn bft(m: u32) -> Bounds {
        Bounds::for_committee(m).unwrap()
    }

    #[test]
    fn tally_table() {
        let rows = vec![
            Row {
                name: "unanimous",
                bounds: bft(4),
                committee: vec![0, 1, 2, 3],
                reveals: vec![(0, "a"), (1, "a"), (2, "a"), (3, "a")],
                winner: Some(("a", vec![0, 1, 2, 3])),
                silent: vec![],
            },
            Row {
                name: "3-1",
                bounds: bft(4),
                committee: vec![0, 1, 2, 3],
                reveals: vec![(0, "a"), (1, "b"), (2, "a"), (3, "a")],
                winner: Some(("a", vec![0, 2, 3])),
                silent: vec![],
            },
            Row {
                name: "2-2 split",
                bounds: bft(4),
                committee: vec![0, 1, 2, 3],
                reveals: vec![(0, "a"), (1, "b"), (2, "a"), (3, "b")],
                winner: None,
                silent: vec![],
            },
            Row {
                name: "2-1-1",
                bounds: bft(4),
                committee: vec![0, 1, 2, 3],
                reveals: vec![(0, "a"), (1, "b"), (2, "a"), (3, "c")],
                winner: None,
                silent: vec![],
            },
            Row {
                name: "all silent",
                bounds: bft(4),
                committee: vec![0, 1, 2, 3],
                reveals: vec![],
                winner: None,
                silent: vec![0, 1, 2, 3],
            },
            Row {
                name: "one silent, rest agree",
                bounds: bft(4),
                committee: vec![0, 1, 2, 3],
                reveals: vec![(0, "a"), (1, "a"), (3, "a")],
                winner: Some(("a", vec![0, 1, 3])),
                silent: vec![2],
            },
            Row {
                name: "one silent, one dissent",
                bounds: bft(4),
                committee: vec![0, 1, 2, 3],
                reveals: vec![(0, "a"), (1, "a"), (3, "b")],
                winner: None,
                silent: vec![2],
            },
            Row {
                name: "non-member reveals ignored",
                bounds: bft(4),
                committee: vec![0, 1, 2, 3],
                reveals: vec![(0, "a"), (1, "a"), (9, "a"), (10, "a")],
                winner: None,
                silent: vec![2, 3],
            },
            Row {
                name: "tier-2 majority 2-1",
                bounds: Bounds::majority(3).unwrap(),
                committee: vec![4, 5, 6],
                reveals: vec![(4, "x"), (5, "y"), (6, "x")],
                winner: Some(("x", vec![4, 6])),
                silent: vec![],
            },
            Row {
                name: "tier-2 all different",
                bounds: Bounds::majority(3).unwrap(),
                committee: vec![4, 5, 6],
                reveals: vec![(4, "x"), (5, "y"), (6, "z")],
                winner: None,
                silent: vec![],
            },
            Row {
                name: "tier-1 single member",
                bounds: bft(1),
                committee: vec![0],
                reveals: vec![(0, "only")],
                winner: Some(("only", vec![0])),
                silent: vec![],
            },
            Row {
                name: "f=2: 5 of 7 wins",
                bounds: bft(7),
                committee: (0..7).collect(),
                reveals: vec![
                    (0, "a"),
                    (1, "a"),
                    (2, "a"),
                    (3, "a"),
                    (4, "a"),
                    (5, "b"),
                    (6, "c"),
                ],
                winner: Some(("a", vec![0, 1, 2, 3, 4])),
                silent: vec![],
            },
            Row {
                name: "f=2: 4 of 7 loses",
                bounds: bft(7),
                committee: (0..7).collect(),
                reveals: vec![(0, "a"), (1, "a"), (2, "a"), (3, "a"), (5, "b")],
                winner: None,
                silent: vec![4, 6],
            },
        ];
        for row in rows {
            let revealed: BTreeMap<MemberId, Canonical> =
                row.reveals.iter().map(|(m, a)| (*m, c(a))).collect();
            let t = tally(row.bounds, &row.committee, &revealed);
            let want = match row.winner {
                Some((a, s)) => Outcome::Agreed {
                    answer: c(a),
                    supporters: s,
                },
                None => Outcome::NoAgreement,
            };
            assert_eq!(t.outcome, want, "{}", row.name);
            assert_eq!(t.silent, row.silent, "{}", row.name);
            // Every committee member is exactly one of: in a class, or silent.
            let counted: usize = t.classes.iter().map(|c| c.members.len()).sum();
            assert_eq!(
                counted + t.silent.len(),
                row.committee.len(),
                "{}",
                row.name
            );
        }
    }

    #[test]
    fn classes_are_sorted_deterministically() {
        let revealed: BTreeMap<MemberId, Canonical> =
            [(0, c("b")), (1, c("a")), (2, c("c")), (3, c("c"))].into();
        let t = tally(bft(4), &[0, 1, 2, 3], &revealed);
        let order: Vec<&str> = t.classes.iter().map(|c| c.answer.as_str()).collect();
        assert_eq!(order, ["c", "a", "b"]);
        assert_eq!(t.dissenters(), [0, 1, 2, 3]);
    }

    #[test]
    fn abstentions_never_form_a_class() {
        let revealed: BTreeMap<MemberId, Canonical> =
            (0..4).map(|m| (m, Canonical::abstention(m))).collect();
        let t = tally(bft(4), &[0, 1, 2, 3], &revealed);
        assert_eq!(t.outcome, Outcome::NoAgreement);
        assert_eq!(t.classes.len(), 4);
        // Three real answers still win beside one abstention.
        let mut revealed = revealed;
        for m in 0..3 {
            revealed.insert(m, c("a"));
        }
        let t = tally(bft(4), &[0, 1, 2, 3], &revealed);
        assert!(matches!(t.outcome, Outcome::Agreed { .. }));
        assert_eq!(t.dissenters(), [3]);
    }

    #[test]
    fn dissenters_exclude_supporters() {
        let revealed: BTreeMap<MemberId, Canonical> =
            [(0, c("a")), (1, c("b")), (2, c("a")), (3, c("a"))].into();
        let t = tally(bft(4), &[3, 2, 1, 0], &revealed);
        assert_eq!(t.dissenters(), [1]);
    }
}
