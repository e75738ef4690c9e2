//! Which finalized events move the draw weights ([`byzvote_core::reputation`]), so that a
//! `pick-best` vote counts once.
//!
//! A `pick-best` vote is two votes on the chain (its candidates, then its derived ballot,
//! see [`super::ballot`]) but one request of one client, so it must move reputation like one
//! vote. Counting both stages used to give every member who took part two recoveries and
//! every absent member two absences for one request. The rules:
//!
//! * **Decision: the parent's record counts, the ballot's does not.** The parent always
//!   decides (with too few candidates it decides `no_agreement` without a ballot, so the
//!   ballot's record cannot be the one that counts); its record is the one served to the
//!   client, certified with the answer and checked by verifiers; and its supporters and
//!   dissenters are the ballot's, so taking part in the ballot is what earns recovery.
//! * **Absence is charged once per request.** A member absent from stage 1 already lost
//!   `ABSENCE` for this request; its absence from the ballot (on candidates it never saw
//!   through) is not charged again. A member that wrote a candidate and then missed the
//!   ballot is charged once, for the ballot.
//! * **Provable faults** (a bad reveal, an equivocation) in either stage floor the member, as
//!   in any vote (flooring twice is flooring once).
//! * **Verdicts on a ballot are ignored** (see [`State::apply`]): a ballot is never served to
//!   a client, so nobody verifies it, and counting them would let one liar charge the
//!   supporters of one `pick-best` vote twice.

use super::{Event, State};
use byzvote_core::{Action, Evidence, Vote};

impl State {
    /// Applies the reputation effects of one block's events (module doc).
    pub(super) fn update_reputation(&mut self, events: &[Event]) {
        for event in events {
            let Event::Vote { id, action } = event else {
                continue;
            };
            let parent = self.ballots.get(id).and_then(|p| self.votes.get(p));
            match (action, parent) {
                (Action::Evidence(e), None) => self.reputation.on_evidence(e),
                (Action::Evidence(e), Some(parent)) if charged_in_ballot(parent, e) => {
                    self.reputation.on_evidence(e)
                }
                (Action::Decide(record), None) => self.reputation.on_decision(record),
                _ => {}
            }
        }
    }

    /// Whether `id` is a `pick-best` ballot (a derived vote, never served to a client).
    pub(super) fn is_ballot(&self, id: &byzvote_core::Digest) -> bool {
        self.ballots.contains_key(id)
    }
}

/// Whether evidence from `parent`'s ballot is charged: an absence only when the member took
/// part in stage 1 (wrote a counted candidate); anything else always.
fn charged_in_ballot(parent: &Vote, evidence: &Evidence) -> bool {
    match evidence {
        Evidence::NeverCommitted { member, .. } | Evidence::NeverRevealed { member, .. } => parent
            .candidates()
            .is_some_and(|c| c.authors.iter().flatten().any(|m| m == member)),
        Evidence::BadReveal { .. } | Evidence::Equivocation { .. } => true,
    }
}
