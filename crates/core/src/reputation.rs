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
//!
//! Absence costs little: an honest member that was slow or cut off is absent too (the sim's
//! lossy seeds), so absence only tilts the draw until the member takes part again. A failed
//! external verification is a verdict of one node, not of the chain, so it cannot change
//! these weights (every node must agree on them); it is recorded by the node that ran it.

use crate::{Evidence, commit::MemberId, record::DecisionRecord};

/// A member's weight with a clean record.
pub const FULL: u32 = 100;
/// The lowest weight.
pub const FLOOR: u32 = 1;
/// Weight lost per absence.
pub const ABSENCE: u32 = 20;
/// Weight regained per decision taken part in.
pub const RECOVERY: u32 = 10;

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
}
