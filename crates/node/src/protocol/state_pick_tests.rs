//! A `pick-best` vote through the pure state moves reputation once (see
//! [`super::reputation`]): one recovery for taking part, one absence for missing it, however
//! many stages the vote has.

use super::*;
use byzvote_core::{Message, Mode, Reveal, Salt, canonicalize, reputation};
use commonware_cryptography::{Signer as _, ed25519};
use std::time::Duration;

const TIMEOUTS: Timeouts = Timeouts {
    commit: Duration::from_secs(2),
    reveal: Duration::from_secs(1),
};

/// A 4-node chain fed one block at a time, 100 ms apart.
struct Chain {
    state: State,
    keys: Vec<ed25519::PrivateKey>,
    height: u64,
    ts: u64,
}

impl Chain {
    fn new() -> Self {
        let dkg = super::super::beacon::tests::trusted_dealer_outputs(4, 1);
        Self {
            state: State::new(4, TIMEOUTS, 0, *dkg[0].group_public_key()),
            keys: (0..4).map(ed25519::PrivateKey::from_seed).collect(),
            height: 0,
            ts: 1_000,
        }
    }

    fn block(&mut self, txs: &[Bytes]) -> Vec<Event> {
        self.height += 1;
        self.ts += 100;
        self.state.apply(self.height, self.ts, txs)
    }

    /// Runs vote `id` (mode `mode`, started at `started_ms`) where member `m` answers
    /// `answers[m]` (`None`: absent, never commits). Returns the block events.
    fn vote(
        &mut self,
        id: Digest,
        mode: &Mode,
        started_ms: u64,
        answers: [Option<&str>; 4],
    ) -> Vec<Event> {
        let reveals: Vec<Reveal> = (0..4u32)
            .filter_map(|m| {
                let text = answers[m as usize]?;
                Some(Reveal {
                    request: id,
                    member: m,
                    canonical: canonicalize(mode, text).unwrap_or_else(|e| panic!("{e}")),
                    salt: Salt([m as u8; 32]),
                })
            })
            .collect();
        let commits: Vec<Bytes> = reveals
            .iter()
            .map(|r| Tx::Commit(r.commit().sign(&self.keys[r.member as usize])).encode())
            .collect();
        let mut events = self.block(&commits);
        if reveals.len() < 4 {
            // The set closes at the f+1 = 2nd block at or past the commit deadline.
            self.ts = self.ts.max(started_ms + 2_000 - 100);
            events.extend(self.block(&[]));
            events.extend(self.block(&[]));
        }
        let opened: Vec<Bytes> = reveals
            .iter()
            .map(|r| Tx::Reveal(r.clone().sign(&self.keys[r.member as usize])).encode())
            .collect();
        events.extend(self.block(&opened));
        events
    }

    /// Submits `request`; returns its id and the timestamp its vote started at.
    fn submit(&mut self, request: Request) -> (Digest, u64) {
        let id = request.id();
        let events = self.block(&[Tx::Request(request).encode()]);
        assert!(
            matches!(events.as_slice(), [Event::Started { .. }]),
            "{events:?}"
        );
        (id, self.ts)
    }
}

fn decisions(events: &[Event]) -> Vec<(Digest, &byzvote_core::DecisionRecord)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Vote {
                id,
                action: Action::Decide(r),
            } => Some((*id, r)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_pick_best_vote_moves_reputation_once() {
    let mut chain = Chain::new();
    // An exact vote member 0 misses: it loses one absence, the others stay full.
    let exact = Request::new(vec![Message::user("2+2?")], Mode::Exact, 3, 16, 1).unwrap();
    let (id, started) = chain.submit(exact);
    let events = chain.vote(
        id,
        &Mode::Exact,
        started,
        [None, Some("4"), Some("4"), Some("4")],
    );
    assert_eq!(decisions(&events).len(), 1);
    let after_miss = reputation::FULL - reputation::ABSENCE;
    assert_eq!(
        chain.state.reputation().weights(),
        &[
            after_miss,
            reputation::FULL,
            reputation::FULL,
            reputation::FULL
        ]
    );

    // A pick-best vote: member 0 takes part in both stages, member 3 misses both.
    let pick = Request::new(vec![Message::user("Lock?")], Mode::PickBest, 3, 16, 2).unwrap();
    let (parent, started) = chain.submit(pick);
    let answers = [
        Some("Use a mutex."),
        Some("Use a mutex."),
        Some("Use an atomic."),
        None,
    ];
    let events = chain.vote(parent, &Mode::PickBest, started, answers);
    let ballot = events
        .iter()
        .find_map(|e| match e {
            Event::Vote {
                action: Action::Ballot(b),
                ..
            } => Some((**b).clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no ballot: {events:?}"));
    let (ballot_id, ballot_started) = (ballot.id(), chain.ts);
    let votes = [Some("1"), Some("1"), Some("1"), None];
    let events = chain.vote(ballot_id, &ballot.mode, ballot_started, votes);
    let decided = decisions(&events);
    let ids: Vec<Digest> = decided.iter().map(|(id, _)| *id).collect();
    assert_eq!(
        ids,
        vec![ballot_id, parent],
        "the ballot decides its parent"
    );
    let (_, record) = decided[1];
    assert_eq!(record.answer.as_deref(), Some("Use a mutex."));
    assert_eq!(record.supporters, vec![0, 1, 2]);

    // One recovery for member 0 (not two), one absence for member 3 (not two).
    assert_eq!(
        chain.state.reputation().weights(),
        &[
            after_miss + reputation::RECOVERY,
            reputation::FULL,
            reputation::FULL,
            reputation::FULL - reputation::ABSENCE,
        ]
    );
}

/// A member that wrote a candidate and then missed the ballot is charged for the ballot.
#[test]
fn missing_only_the_ballot_is_charged_once() {
    let mut chain = Chain::new();
    let pick = Request::new(vec![Message::user("Lock?")], Mode::PickBest, 3, 16, 3).unwrap();
    let (parent, started) = chain.submit(pick);
    let answers = [Some("A."), Some("A."), Some("B."), Some("C.")];
    let events = chain.vote(parent, &Mode::PickBest, started, answers);
    let ballot = events
        .iter()
        .find_map(|e| match e {
            Event::Vote {
                action: Action::Ballot(b),
                ..
            } => Some((**b).clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no ballot: {events:?}"));
    assert_eq!(chain.state.reputation().weights(), &[reputation::FULL; 4]);
    let (ballot_id, ballot_started) = (ballot.id(), chain.ts);
    let votes = [Some("1"), Some("1"), Some("1"), None];
    let events = chain.vote(ballot_id, &ballot.mode, ballot_started, votes);
    assert_eq!(decisions(&events).len(), 2);
    assert_eq!(
        chain.state.reputation().weights(),
        &[
            reputation::FULL,
            reputation::FULL,
            reputation::FULL,
            reputation::FULL - reputation::ABSENCE,
        ]
    );
    // The serving node verifies the parent; a verdict naming the ballot is ignored.
    let key = chain.keys[1].clone();
    let verdict = |request| {
        let v = crate::protocol::verdict::Verdict {
            request,
            member: 1,
            passed: false,
            verifier: "facts".into(),
        };
        Tx::Verdict(v.sign(&key)).encode()
    };
    let on_ballot = verdict(ballot_id);
    chain.block(&[on_ballot]);
    assert_eq!(chain.state.reputation().weight(0), reputation::FULL);
    let on_parent = verdict(parent);
    chain.block(&[on_parent]);
    assert_eq!(
        chain.state.reputation().weight(0),
        reputation::FULL - reputation::VERDICT
    );
}
