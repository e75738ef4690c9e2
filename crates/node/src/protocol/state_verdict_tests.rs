//! Verdict transactions through the pure state: a decided vote, then finalized verdicts lower
//! its supporters' draw weights the same way on every node (bounded for one liar).

use super::*;
use crate::protocol::verdict::Verdict;
use byzvote_core::{Canonical, Message, Mode, Reveal, Salt, canonicalize, reputation};
use commonware_cryptography::{Signer as _, ed25519};
use std::time::Duration;

const TIMEOUTS: Timeouts = Timeouts {
    commit: Duration::from_secs(2),
    reveal: Duration::from_secs(1),
};

/// A 4-node state where members 0, 1, 2 agreed on "4" and 3 said "5" (tier 3, everyone).
fn decided(keys: &[ed25519::PrivateKey]) -> (State, Digest) {
    let dkg = super::super::beacon::tests::trusted_dealer_outputs(4, 1);
    let mut state = State::new(4, TIMEOUTS, 0, *dkg[0].group_public_key());
    let request = Request::new(vec![Message::user("2+2?")], Mode::Exact, 3, 16, 1).unwrap();
    let id = request.id();
    state.apply(1, 1_000, &[Tx::Request(request).encode()]);
    let reveals: Vec<Reveal> = (0..4u32)
        .map(|m| Reveal {
            request: id,
            member: m,
            canonical: canonicalize(&Mode::Exact, if m == 3 { "5" } else { "4" })
                .unwrap_or_else(|_| Canonical::abstention(m)),
            salt: Salt([m as u8; 32]),
        })
        .collect();
    let commits: Vec<Bytes> = reveals
        .iter()
        .map(|r| Tx::Commit(r.commit().sign(&keys[r.member as usize])).encode())
        .collect();
    state.apply(2, 1_100, &commits);
    let opened: Vec<Bytes> = reveals
        .iter()
        .map(|r| Tx::Reveal(r.clone().sign(&keys[r.member as usize])).encode())
        .collect();
    state.apply(3, 1_200, &opened);
    let record = state.vote(&id).and_then(Vote::decision).expect("decided");
    assert_eq!(record.supporters, vec![0, 1, 2]);
    (state, id)
}

fn verdict(keys: &[ed25519::PrivateKey], id: Digest, member: u32, passed: bool) -> Bytes {
    let v = Verdict {
        request: id,
        member,
        passed,
        verifier: "facts".into(),
    };
    Tx::Verdict(v.sign(&keys[member as usize])).encode()
}

fn keys() -> Vec<ed25519::PrivateKey> {
    (0..4).map(ed25519::PrivateKey::from_seed).collect()
}

#[test]
fn finalized_failed_verdicts_lower_the_supporters_and_f_plus_one_confirm() {
    let keys = keys();
    let (mut state, id) = decided(&keys);
    // Decided: everyone took part, so everyone is at full weight.
    let before = state.reputation().weights().to_vec();
    assert_eq!(before, vec![reputation::FULL; 4]);
    state.apply(4, 1_300, &[verdict(&keys, id, 1, true)]);
    assert_eq!(
        state.reputation().weights(),
        before.as_slice(),
        "a pass changes nothing"
    );
    state.apply(5, 1_400, &[verdict(&keys, id, 3, false)]);
    let one = reputation::FULL - reputation::VERDICT;
    assert_eq!(
        state.reputation().weights(),
        &[one, one, one, reputation::FULL]
    );
    state.apply(6, 1_500, &[verdict(&keys, id, 0, false)]);
    let two = one - reputation::CONFIRMED;
    assert_eq!(
        state.reputation().weights(),
        &[two, two, two, reputation::FULL]
    );
}

#[test]
fn one_lying_node_repeating_its_verdict_is_counted_once() {
    let keys = keys();
    let (mut state, id) = decided(&keys);
    let lies: Vec<Bytes> = (0..10).map(|_| verdict(&keys, id, 3, false)).collect();
    state.apply(4, 1_300, &lies);
    state.apply(5, 1_400, &lies);
    let one = reputation::FULL - reputation::VERDICT;
    assert_eq!(
        state.reputation().weights(),
        &[one, one, one, reputation::FULL]
    );
    // A verdict on a vote this state never saw changes nothing either.
    let mut other = id.as_ref().to_vec();
    other[0] ^= 1;
    let unknown = Digest::from(<[u8; 32]>::try_from(other.as_slice()).unwrap());
    state.apply(6, 1_500, &[verdict(&keys, unknown, 0, false)]);
    assert_eq!(
        state.reputation().weights(),
        &[one, one, one, reputation::FULL]
    );
}
