//! Reputation: each member's weight in the committee draw (see
//! [`crate::committee::select_diverse`]).
//!
//! It is a pure function of what finalized blocks prove, so every honest node holds the same
//! weights and draws the same committee: evidence lowers a member's weight, taking part in a
//! decision (revealing what it committed, whether it agreed or not) restores it. Weights stay
//! in `[FLOOR, FULL]`: a member is never excluded by reputation alone (the draw must not let
//! a coalition starve honest members off committees by framing them, and evidence is only
//! what the chain proves), it is only drawn less often.
//!
//! | event (finalized)                             | weight becomes          |
//! |-----------------------------------------------|-------------------------|
//! | equivocation or a reveal that does not open   | `FLOOR` (provable fault)|
//! | never committed / never revealed (absence)    | `w − ABSENCE`, ≥ `FLOOR`|
//! | supported or dissented in a decision          | `w + RECOVERY`, ≤ `FULL`|
//! | supported an answer one node's verifier failed | `w − VERDICT`, ≥ `VERDICT_FLOOR` (once per vote) |
//! | … and `f+1` distinct nodes' verifiers failed it | `w − CONFIRMED`, ≥ `FLOOR` (once per vote) |
//!
//! Absence costs little: an honest member that was slow or cut off is absent too (the sim's
//! lossy seeds), so absence only tilts the draw until the member takes part again.
//!
//! A failed external verification is a node's claim, not something the chain proves: the
//! node signs a `Verdict` transaction and, once finalized, every node applies it the same way.
//! A Byzantine node can claim failure for every answer, so one node's verdict (up to `f`
//! nodes' verdicts) costs the supporters only `VERDICT` once per vote and never takes them
//! below `VERDICT_FLOOR` (half weight): lying can at worst halve honest members' draw weight,
//! and taking part in decisions restores it. Only when `f+1` distinct nodes fail the same
//! answer — so at least one honest node's verifier did — is the penalty heavy (`CONFIRMED`,
//! down to `FLOOR`). The counting (distinct nodes per vote) is the node's state's.

use crate::{Evidence, commit::MemberId, record::DecisionRecord};

/// A member's weight with a clean record.
pub const FULL: u32 = 100;
/// The lowest weight.
pub const FLOOR: u32 = 1;
/// Weight lost per absence.
pub const ABSENCE: u32 = 20;
/// Weight regained per decision taken part in.
pub const RECOVERY: u32 = 10;
/// Weight lost by each supporter of an answer a single node's verifier failed.
pub const VERDICT: u32 = 10;
/// An unconfirmed failed verdict never lowers a weight below this.
pub const VERDICT_FLOOR: u32 = FULL / 2;
/// Weight lost by each supporter when `f+1` nodes' verifiers failed its answer.
pub const CONFIRMED: u32 = 50;

/// The weights of a cluster's members (member `i` at index `i`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reputation {
    weights: Vec<u32>,
}

impl Reputation {
    /// `n` members, all at [`FULL`].
    pub fn new(n: u32) -> Self {
        Self {
            weights: vec![FULL; n as usize],
        }
    }

    /// Member `m`'s weight ([`FLOOR`] for an unknown member).
    pub fn weight(&self, m: MemberId) -> u32 {
        self.weights.get(m as usize).copied().unwrap_or(FLOOR)
    }

    /// All weights, by member.
    pub fn weights(&self) -> &[u32] {
        &self.weights
    }

    /// Applies finalized evidence.
    pub fn on_evidence(&mut self, evidence: &Evidence) {
        let Some(w) = self.weights.get_mut(evidence.member() as usize) else {
            return;
        };
        *w = match evidence {
            Evidence::BadReveal { .. } | Evidence::Equivocation { .. } => FLOOR,
            Evidence::NeverCommitted { .. } | Evidence::NeverRevealed { .. } => {
                w.saturating_sub(ABSENCE).max(FLOOR)
            }
        };
    }

    /// Applies a failed external verification of an answer `supporters` voted for: `confirmed`
    /// when `f+1` distinct nodes failed it (see the module doc for why the bounds differ).
    pub fn on_failed_verification(&mut self, supporters: &[MemberId], confirmed: bool) {
        for &m in supporters {
            if let Some(w) = self.weights.get_mut(m as usize) {
                *w = if confirmed {
                    w.saturating_sub(CONFIRMED).max(FLOOR)
                } else if *w > VERDICT_FLOOR {
                    w.saturating_sub(VERDICT).max(VERDICT_FLOOR)
                } else {
                    *w
                };
            }
        }
    }

    /// Applies a decision: every member that revealed (supporter or dissenter) regains weight.
    pub fn on_decision(&mut self, record: &DecisionRecord) {
        for &m in record.supporters.iter().chain(&record.dissenters) {
            if let Some(w) = self.weights.get_mut(m as usize) {
                *w = (*w + RECOVERY).min(FULL);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_cryptography::Sha256;

    #[test]
    fn faults_floor_absence_tilts_and_taking_part_restores() {
        let request = Sha256::fill(1);
        let mut r = Reputation::new(4);
        r.on_evidence(&Evidence::BadReveal { member: 0, request });
        r.on_evidence(&Evidence::NeverRevealed { member: 1, request });
        assert_eq!(r.weights(), &[FLOOR, FULL - ABSENCE, FULL, FULL]);
        for _ in 0..10 {
            r.on_evidence(&Evidence::NeverCommitted { member: 2, request });
        }
        assert_eq!(r.weight(2), FLOOR, "never below the floor");
        assert_eq!(r.weight(9), FLOOR, "unknown member");
        r.on_evidence(&Evidence::NeverCommitted { member: 9, request });
        let record = DecisionRecord {
            supporters: vec![1, 3],
            dissenters: vec![2],
            silent: vec![0],
            ..crate::record::tests::fixtures().remove(0).1
        };
        r.on_decision(&record);
        assert_eq!(
            r.weights(),
            &[FLOOR, FULL - ABSENCE + RECOVERY, FLOOR + RECOVERY, FULL]
        );
    }

    #[test]
    fn an_unconfirmed_failed_verdict_never_takes_a_member_below_half() {
        let mut r = Reputation::new(4);
        for _ in 0..100 {
            r.on_failed_verification(&[0, 1], false);
        }
        assert_eq!(r.weights(), &[VERDICT_FLOOR, VERDICT_FLOOR, FULL, FULL]);
        // A member already below the verdict floor (by proven faults) is not raised by it.
        r.on_evidence(&Evidence::BadReveal {
            member: 2,
            request: Sha256::fill(2),
        });
        r.on_failed_verification(&[2], false);
        assert_eq!(r.weight(2), FLOOR);
        // A confirmed failure is heavy, down to the floor.
        r.on_failed_verification(&[0, 3, 9], true);
        assert_eq!(
            r.weights(),
            &[FLOOR, VERDICT_FLOOR, FLOOR, FULL - CONFIRMED]
        );
    }
}
