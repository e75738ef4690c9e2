//! Quorum arithmetic, in one place.
//!
//! # Byzantine rule (tiers 3-5)
//!
//! A committee of `n` members tolerates `f = (n-1)/3` Byzantine members (so `n >= 3f+1`). An
//! answer wins when at least `quorum = 2f+1` members revealed it. (For sizes that are not of the
//! form `3f+1`, e.g. `n = 3` where `f = 0`, the quorum is `max(2f+1, n/2+1)` so that two answers
//! can never both win; every tier uses `n = 3f+1`, where this is exactly `2f+1`.)
//!
//! **Why 2f+1 is safe (quorum intersection).** Each member reveals exactly one answer, so the
//! answer classes are disjoint. Two different answers each reaching `2f+1` would need
//! `2(2f+1) = 4f+2 > 3f+1 >= n` members: impossible, so at most one answer wins. Put the other
//! way, any two quorums intersect in at least `2(2f+1) - n >= f+1` members, at least one of whom is
//! honest. And a winning class of `2f+1` contains at least `f+1` honest members, so a coalition of
//! `f` liars can never make its answer win on its own.
//!
//! **Why 2f+1 is live.** With at most `f` faulty members, `n - f >= 2f+1` honest members remain,
//! so if the honest members agree their answer reaches the quorum without any faulty help.
//!
//! `weak = f+1` is the smallest set guaranteed to contain an honest member (useful for "at least
//! one honest member saw this").
//!
//! # Majority rule (tier 2)
//!
//! Tier 2 asks three models in parallel and takes a simple majority (`m/2 + 1`, i.e. 2 of 3).
//! In BFT terms a committee of 3 has `f = 0`, which would make one answer a "quorum": the
//! majority rule exists so that one lying model out of three is outvoted. It tolerates
//! `(m-1)/2` wrong answers *when the rest agree*; it gives no guarantee against Byzantine nodes
//! beyond that (tier 2 is not certified by the group key, see DESIGN §3). Majorities are still
//! disjoint-safe: two classes of `> m/2` cannot coexist.
//!
//! All arithmetic is checked: constructors reject an empty committee, so `quorum <= n` always.

use thiserror::Error;

/// Why a committee size has no valid bounds.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum QuorumError {
    /// A committee must have at least one member.
    #[error("a committee needs at least one member; got 0")]
    EmptyCommittee,
    /// Tier outside 1..=5.
    #[error("tier {0} does not exist; use a tier from 1 to 5")]
    UnknownTier(u8),
}

/// Which counting rule a committee uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    /// `quorum = 2f+1` with `f = (n-1)/3`.
    Byzantine,
    /// `quorum = n/2 + 1` with `f = (n-1)/2` (tier 2).
    Majority,
}

/// The fault bounds of one committee: its size `n`, the faults `f` it tolerates and the size of a
/// winning class (`quorum`). Build with [`Bounds::for_committee`], [`Bounds::majority`] or
/// [`Bounds::for_tier`]; the fields are private so they always agree with each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Bounds {
    n: u32,
    f: u32,
    quorum: u32,
    rule: Rule,
}

impl Bounds {
    /// Byzantine bounds for a committee of `m`: `f = (m-1)/3`, `quorum = 2f+1` (or `m/2+1` if
    /// that is larger, which only happens when `m` is not `3f+1`).
    pub fn for_committee(m: u32) -> Result<Self, QuorumError> {
        let f = m.checked_sub(1).ok_or(QuorumError::EmptyCommittee)? / 3;
        // f <= (m-1)/3, so 2f+1 <= m and m/2+1 <= m: neither can overflow.
        let quorum = f.saturating_mul(2).saturating_add(1).max(m / 2 + 1);
        Ok(Self {
            n: m,
            f,
            quorum,
            rule: Rule::Byzantine,
        })
    }

    /// Simple-majority bounds for a committee of `m` (tier 2): `quorum = m/2 + 1`,
    /// `f = (m-1)/2`.
    pub fn majority(m: u32) -> Result<Self, QuorumError> {
        let f = m.checked_sub(1).ok_or(QuorumError::EmptyCommittee)? / 2;
        let quorum = m / 2 + 1;
        Ok(Self {
            n: m,
            f,
            quorum,
            rule: Rule::Majority,
        })
    }

    /// The committee size and rule of each tier (DESIGN §3): 1 → 1 member, 2 → majority of 3,
    /// 3 → 4 (f=1), 4 → 7 (f=2), 5 → 10 (f=3).
    pub fn for_tier(tier: u8) -> Result<Self, QuorumError> {
        match tier {
            1 => Self::for_committee(1),
            2 => Self::majority(3),
            3 => Self::for_committee(4),
            4 => Self::for_committee(7),
            5 => Self::for_committee(10),
            other => Err(QuorumError::UnknownTier(other)),
        }
    }

    /// Committee size.
    pub fn n(&self) -> u32 {
        self.n
    }

    /// Number of faulty members tolerated.
    pub fn f(&self) -> u32 {
        self.f
    }

    /// Members needed for an answer to win: `2f+1` (Byzantine, for `n = 3f+1`) or `n/2+1`
    /// (majority).
    pub fn quorum(&self) -> u32 {
        self.quorum
    }

    /// `f+1`: the smallest set that must contain an honest member.
    pub fn weak(&self) -> u32 {
        self.f.saturating_add(1)
    }

    /// The counting rule.
    pub fn rule(&self) -> Rule {
        self.rule
    }

    /// Whether `count` members are enough to win.
    pub fn is_quorum(&self, count: usize) -> bool {
        u32::try_from(count).map_or(true, |c| c >= self.quorum)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byzantine_table() {
        // (m, f, quorum, weak)
        let rows = [
            (1, 0, 1, 1),
            (2, 0, 2, 1),
            (3, 0, 2, 1),
            (4, 1, 3, 2),
            (5, 1, 3, 2),
            (6, 1, 4, 2),
            (7, 2, 5, 3),
            (10, 3, 7, 4),
            (13, 4, 9, 5),
            (100, 33, 67, 34),
        ];
        for (m, f, q, w) in rows {
            let b = Bounds::for_committee(m).unwrap();
            assert_eq!((b.n(), b.f(), b.quorum(), b.weak()), (m, f, q, w), "m={m}");
            assert_eq!(b.rule(), Rule::Byzantine);
        }
    }

    #[test]
    fn majority_table() {
        let rows = [(1, 0, 1), (2, 0, 2), (3, 1, 2), (4, 1, 3), (5, 2, 3)];
        for (m, f, q) in rows {
            let b = Bounds::majority(m).unwrap();
            assert_eq!((b.n(), b.f(), b.quorum()), (m, f, q), "m={m}");
        }
    }

    #[test]
    fn empty_committee_is_an_error() {
        assert_eq!(Bounds::for_committee(0), Err(QuorumError::EmptyCommittee));
        assert_eq!(Bounds::majority(0), Err(QuorumError::EmptyCommittee));
    }

    #[test]
    fn tiers() {
        assert_eq!(Bounds::for_tier(1).unwrap().quorum(), 1);
        assert_eq!(Bounds::for_tier(2).unwrap().quorum(), 2);
        assert_eq!(Bounds::for_tier(2).unwrap().rule(), Rule::Majority);
        assert_eq!(Bounds::for_tier(3).unwrap().quorum(), 3);
        assert_eq!(Bounds::for_tier(4).unwrap().n(), 7);
        assert_eq!(Bounds::for_tier(5).unwrap().f(), 3);
        assert_eq!(Bounds::for_tier(0), Err(QuorumError::UnknownTier(0)));
        assert_eq!(Bounds::for_tier(6), Err(QuorumError::UnknownTier(6)));
    }

    #[test]
    fn two_quorums_cannot_be_disjoint() {
        for m in 1..=200u32 {
            for b in [
                Bounds::for_committee(m).unwrap(),
                Bounds::majority(m).unwrap(),
            ] {
                assert!(b.quorum() <= b.n(), "quorum must be reachable, m={m}");
                assert!(2 * b.quorum() > b.n(), "two disjoint quorums, m={m}");
            }
            let b = Bounds::for_committee(m).unwrap();
            assert!(b.n() > 3 * b.f());
            // A quorum contains at least f+1 honest members.
            assert!(b.quorum() - b.f() >= b.weak());
            // Liveness: the honest members alone form a quorum.
            assert!(b.n() - b.f() >= b.quorum());
        }
    }

    #[test]
    fn is_quorum_counts() {
        let b = Bounds::for_committee(4).unwrap();
        assert!(!b.is_quorum(2));
        assert!(b.is_quorum(3));
        assert!(b.is_quorum(4));
    }
}
