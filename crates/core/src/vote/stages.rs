//! Rules 6 and 7 of the vote: the second stages of `semantic` (similarity evidence) and
//! `pick-best` (the ballot). See the parent module for the rules.

use super::{Action, Judging, Picking, Vote, ms};
use crate::{
    canonical::Canonical,
    commit::MemberId,
    mode::Mode,
    pick::{Candidates, ballot},
    record::DecisionRecord,
    semantic::Similarities,
};
use std::collections::BTreeMap;

impl Vote {
    /// At rule 5: starts the mode's second stage when it has one and at least a quorum
    /// revealed. Returns whether it did (then the vote does not decide yet).
    pub(super) fn start_stage(
        &mut self,
        counted: &BTreeMap<MemberId, Canonical>,
        timestamp_ms: u64,
        out: &mut Vec<Action>,
    ) -> bool {
        if counted.len() < 2 || !self.bounds.is_quorum(counted.len()) {
            return false;
        }
        match self.request.mode {
            Mode::Semantic(_) => {
                out.push(Action::NeedSimilarities {
                    members: counted.keys().copied().collect(),
                    texts: counted.values().cloned().collect(),
                });
                self.judging = Some(Judging {
                    counted: counted.clone(),
                    at_ms: timestamp_ms,
                    cosines: None,
                });
                true
            }
            Mode::PickBest => {
                let candidates = Candidates::of(counted);
                let request = ballot(&self.request, &self.id, &candidates);
                self.picking = Some(Picking {
                    ballot: request.id(),
                    candidates,
                });
                out.push(Action::Ballot(Box::new(request)));
                true
            }
            _ => false,
        }
    }

    /// The id of the ballot this `pick-best` vote waits for.
    pub fn ballot(&self) -> Option<crate::Digest> {
        match (&self.picking, &self.decision) {
            (Some(p), None) => Some(p.ballot),
            _ => None,
        }
    }

    /// The candidates of this `pick-best` vote once its ballot started (kept after the
    /// decision): their authors are exactly the members counted in stage 1.
    pub fn candidates(&self) -> Option<&Candidates> {
        self.picking.as_ref().map(|p| &p.candidates)
    }

    /// Rule 7: the ballot's decision decides this vote (at the ballot's height). Anything but
    /// the decision of this vote's own ballot is ignored.
    pub fn on_ballot_decided(&mut self, ballot: &DecisionRecord) -> Vec<Action> {
        let Some(p) = &self.picking else {
            return Vec::new();
        };
        if self.decision.is_some() || ballot.request != p.ballot {
            return Vec::new();
        }
        let record = DecisionRecord::from_ballot(
            self.id,
            self.request.tier,
            &self.committee,
            &p.candidates,
            ballot,
            self.epoch,
        );
        self.decision = Some(record.clone());
        vec![Action::Decide(record)]
    }

    /// Feeds one finalized similarity transaction (already well-formed). The first one whose
    /// members and texts are exactly this vote's counted reveals is kept; any other is ignored.
    pub fn on_similarities(&mut self, evidence: &Similarities) {
        let Some(j) = self.judging.as_mut() else {
            return;
        };
        if j.cosines.is_some()
            || self.decision.is_some()
            || evidence.request != self.id
            || !evidence.is_well_formed()
            || !j.counted.keys().eq(evidence.members.iter())
            || !j.counted.values().eq(evidence.texts.iter())
        {
            return;
        }
        j.cosines = Some(evidence.cosines.clone());
    }

    /// The counted reveals of a `semantic` vote waiting for its evidence.
    pub fn awaiting_similarities(&self) -> Option<&BTreeMap<MemberId, Canonical>> {
        match (&self.judging, &self.decision) {
            (Some(j), None) if j.cosines.is_none() => Some(&j.counted),
            _ => None,
        }
    }

    /// Rule 6: decides on the evidence once finalized, or without it at the deadline.
    pub(super) fn try_judge(&mut self, height: u64, timestamp_ms: u64, out: &mut Vec<Action>) {
        let Some(j) = &self.judging else { return };
        let deadline = j.at_ms.saturating_add(ms(self.timeouts.reveal));
        if j.cosines.is_none() && timestamp_ms < deadline {
            return;
        }
        let Mode::Semantic(config) = &self.request.mode else {
            return;
        };
        let d = crate::semantic::decide(
            config,
            self.bounds,
            &self.committee,
            &j.counted,
            j.cosines.as_deref(),
        );
        let record = DecisionRecord::from_semantic(
            self.id,
            self.request.tier,
            self.request.mode.clone(),
            &self.committee,
            d,
            height,
            self.epoch,
        );
        self.decision = Some(record.clone());
        out.push(Action::Decide(record));
    }
}
