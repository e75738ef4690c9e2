//! Charge transactions through the pure state: a charge for a vote the chain decided counts
//! at most the members' reported cost, once; one for a request the chain does not know is a
//! quick-tier charge in its signer's column; replaying the same blocks gives the same spend.

use super::*;
use crate::protocol::charge::{Charge, KeyHash};
use crate::protocol::meta::Meta;
use crate::protocol::spend::Spend;
use byzvote_core::{Canonical, Message, Mode, Reveal, Salt, canonicalize};
use commonware_cryptography::{Signer as _, ed25519};
use std::time::Duration;

const TIMEOUTS: Timeouts = Timeouts {
    commit: Duration::from_secs(2),
    reveal: Duration::from_secs(1),
};
const KEY: KeyHash = [4; 32];

fn keys() -> Vec<ed25519::PrivateKey> {
    (0..4).map(ed25519::PrivateKey::from_seed).collect()
}

/// The blocks of a tier-3 vote all four members answer "4", each reporting a cost of 100
/// micro-dollars; the request's id.
fn vote_blocks(keys: &[ed25519::PrivateKey]) -> (Vec<Vec<Bytes>>, Digest) {
    vote_blocks_with(keys, 1)
}

/// [`vote_blocks`] for the request with client nonce `nonce`.
fn vote_blocks_with(keys: &[ed25519::PrivateKey], nonce: u64) -> (Vec<Vec<Bytes>>, Digest) {
    let request = Request::new(vec![Message::user("2+2?")], Mode::Exact, 3, 16, nonce).unwrap();
    let id = request.id();
    let reveals: Vec<Reveal> = (0..4u32)
        .map(|m| Reveal {
            request: id,
            member: m,
            canonical: canonicalize(&Mode::Exact, "4").unwrap_or_else(|_| Canonical::abstention(m)),
            salt: Salt([m as u8; 32]),
        })
        .collect();
    let sign = |m: u32| &keys[m as usize];
    let commits = reveals
        .iter()
        .map(|r| Tx::Commit(r.commit().sign(sign(r.member))).encode())
        .collect();
    let mut opened: Vec<Bytes> = reveals
        .iter()
        .map(|r| Tx::Reveal(r.clone().sign(sign(r.member))).encode())
        .collect();
    opened.extend((0..4u32).map(|m| {
        let meta = Meta {
            request: id,
            member: m,
            latency_ms: 1,
            prompt_tokens: 1,
            completion_tokens: 1,
            cost_micro_usd: 100,
            confidence_bp: None,
            model: format!("m{m}"),
        };
        Tx::Meta(meta.sign(sign(m))).encode()
    }));
    let blocks = vec![vec![Tx::Request(request).encode()], commits, opened];
    (blocks, id)
}

fn charge(
    keys: &[ed25519::PrivateKey],
    request: Digest,
    member: u32,
    cost: u64,
    height: u64,
) -> Bytes {
    let c = Charge {
        key: KEY,
        request,
        member,
        cost_micro_usd: cost,
        height,
    };
    Tx::Charge(c.sign(&keys[member as usize])).encode()
}

fn fresh() -> State {
    let dkg = super::super::beacon::tests::trusted_dealer_outputs(4, 1);
    State::new(4, TIMEOUTS, 0, *dkg[0].group_public_key())
}

/// Applies `blocks` from height 1 on; returns the key's spend.
fn run(blocks: &[Vec<Bytes>]) -> (State, Option<Spend>) {
    let mut state = fresh();
    for (i, txs) in blocks.iter().enumerate() {
        let h = i as u64 + 1;
        state.apply(h, 1_000 + 100 * h, txs);
    }
    let spend = state.charges().get(&KEY).cloned();
    (state, spend)
}

#[test]
fn a_charge_for_a_decided_vote_counts_at_most_its_recorded_cost_once() {
    let keys = keys();
    let (mut blocks, id) = vote_blocks(&keys);
    // Before the decision (ordered with the request): ignored, and no bar to the next.
    blocks[0].push(charge(&keys, id, 3, 5, 0));
    // Member 1 over-charges (10,000 for a vote its members say cost 400): clipped.
    blocks.push(vec![charge(&keys, id, 1, 10_000, 2)]);
    // Anyone charging it again: ignored.
    blocks.push(vec![
        charge(&keys, id, 2, 400, 3),
        charge(&keys, id, 1, 400, 3),
    ]);
    let (state, spend) = run(&blocks);
    assert!(state.vote(&id).and_then(Vote::decision).is_some());
    let spend = spend.expect("charged");
    assert_eq!(spend.checked, 400);
    assert!(spend.unchecked.is_empty());
}

#[test]
fn a_charge_for_an_unknown_request_is_quick_and_capped_at_other_nodes() {
    let keys = keys();
    let quick = Digest::from([0xaa; 32]);
    let events = {
        let mut state = fresh();
        let events = state.apply(1, 1_000, &[charge(&keys, quick, 2, 900, 0)]);
        let spend = state.charges().get(&KEY).cloned().expect("charged");
        assert_eq!(spend.unchecked[&2], 900);
        // Member 2 counts its own charge in full; others at most budget / (f+1).
        assert_eq!(spend.seen_by(Some(2), 1_000, 1), 900);
        assert_eq!(spend.seen_by(Some(0), 1_000, 1), 500);
        events
    };
    match events.as_slice() {
        [Event::Charged { charge, touched }] => {
            assert_eq!(charge.member, 2);
            assert_eq!(touched, &vec![KEY]);
        }
        other => panic!("{other:?}"),
    }
}

/// A restart replays the audit log's blocks into a fresh state: same spend. A block
/// redelivered after the replay (marshal delivers at least once) is not counted again.
#[test]
fn replaying_the_blocks_after_a_restart_gives_the_same_spend() {
    let keys = keys();
    let (mut blocks, id) = vote_blocks(&keys);
    blocks.push(vec![
        charge(&keys, id, 0, 400, 3),
        charge(&keys, Digest::from([1; 32]), 0, 70, 3),
    ]);
    let (mut state, before) = run(&blocks);
    let (_, replayed) = run(&blocks);
    assert_eq!(before, replayed);
    let last = blocks.len() as u64;
    state.apply(last, 9_999, &blocks[blocks.len() - 1]);
    assert_eq!(state.charges().get(&KEY).cloned(), before);
    let before = before.expect("charged");
    assert_eq!((before.checked, before.unchecked[&0]), (400, 70));
}

/// A vote decided before the last `retain` is retired: its state is dropped, but the chain
/// still knows the request (never voted again) and a late charge is still clipped to the
/// members' reported cost and counted once.
#[test]
fn a_retired_vote_is_never_voted_again_and_its_late_charge_still_counts_once() {
    let keys = keys();
    let (first, a) = vote_blocks_with(&keys, 1);
    let (second, b) = vote_blocks_with(&keys, 2);
    let mut blocks: Vec<Vec<Bytes>> = first.iter().chain(&second).cloned().collect();
    let apply = |blocks: &[Vec<Bytes>]| {
        let mut state = fresh().with_retain(1);
        let mut events = Vec::new();
        for (i, txs) in blocks.iter().enumerate() {
            let h = i as u64 + 1;
            events.push(state.apply(h, 1_000 + 100 * h, txs));
        }
        (state, events)
    };
    let (state, _) = apply(&blocks[..first.len() + 1]);
    assert!(state.vote(&a).and_then(Vote::decision).is_some());
    assert!(!state.retired(&a) && state.settled(&a));
    assert!(state.vote(&b).is_some() && !state.settled(&b), "b is open");
    assert!(!state.knows(&Digest::from([9; 32])) && !state.settled(&Digest::from([9; 32])));

    // Retired as the block after b's decision starts (a block's events find their votes).
    let (state, _) = apply(&blocks);
    assert!(state.vote(&a).is_some() && !state.retired(&a));
    blocks.push(Vec::new());
    let (state, _) = apply(&blocks);
    assert!(state.vote(&a).is_none() && state.meta(&a).is_none() && state.revealed(&a).is_none());
    assert!(state.retired(&a) && state.knows(&a) && state.settled(&a));
    assert!(state.vote(&b).and_then(Vote::decision).is_some() && state.settled(&b));

    // The same request ordered again starts nothing; its late charges: clipped, once.
    blocks.push(first[0].clone());
    blocks.push(vec![charge(&keys, a, 1, 10_000, 6)]);
    blocks.push(vec![charge(&keys, a, 2, 400, 7)]);
    let (state, events) = apply(&blocks);
    let again = &events[second.len() + first.len() + 1];
    assert!(again.is_empty(), "{again:?}");
    assert!(state.vote(&a).is_none());
    let spend = state.charges().get(&KEY).cloned().expect("charged");
    assert_eq!((spend.checked, spend.unchecked.len()), (400, 0));
}
