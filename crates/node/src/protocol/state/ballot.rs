//! `pick-best` in the state: starting a vote's ballot and deciding the vote by it.
//!
//! A ballot has no transaction: every node derives the same ballot request from the
//! finalized candidates ([`byzvote_core::pick::ballot`]) at the same block, so every node
//! starts the same vote (same id, same committee, same start time) without it being
//! ordered. When the ballot decides, its parent decides at the same block.

use super::{Event, State};
use byzvote_core::{Action, Bounds, Digest};

impl State {
    /// Acts on the stage events a block produced (from `first` on): starts each requested
    /// ballot, and decides each parent whose ballot decided. Events appended here are scanned
    /// too.
    pub(super) fn run_stages(&mut self, events: &mut Vec<Event>, first: usize, timestamp_ms: u64) {
        let mut i = first;
        while i < events.len() {
            match &events[i] {
                Event::Vote {
                    id,
                    action: Action::Ballot(request),
                } => {
                    let (parent, request) = (*id, (**request).clone());
                    let ballot = request.id();
                    let committee = self.votes.get(&parent).map(|v| v.committee().to_vec());
                    if let (Some(committee), Ok(bounds), false) = (
                        committee,
                        Bounds::for_tier(request.tier),
                        self.votes.contains_key(&ballot),
                    ) {
                        self.ballots.insert(ballot, parent);
                        let started = self.start(request, ballot, committee, bounds, timestamp_ms);
                        events.push(started);
                    }
                }
                Event::Vote {
                    id,
                    action: Action::Decide(record),
                } => {
                    if let Some(parent) = self.ballots.get(id).copied() {
                        let record = record.clone();
                        self.decide_by_ballot(parent, &record, events);
                    }
                }
                _ => {}
            }
            i += 1;
        }
    }

    fn decide_by_ballot(
        &mut self,
        parent: Digest,
        ballot: &byzvote_core::DecisionRecord,
        events: &mut Vec<Event>,
    ) {
        let Some(vote) = self.votes.get_mut(&parent) else {
            return;
        };
        let actions = vote.on_ballot_decided(ballot);
        if vote.decision().is_some() {
            self.open.remove(&parent);
        }
        events.extend(
            actions
                .into_iter()
                .map(|action| Event::Vote { id: parent, action }),
        );
    }
}
