//! Test support: certificates signed by a dealer-made 3-of-4 threshold key, exactly as the node
//! makes them (partial signatures by 3 shares, recovered into one group signature). Dealer-made
//! keys are for tests only; the node's keys come from the DKG.

use crate::{
    core_types::{DecisionRecord, Digest, Mode, OutcomeKind, answer_digest},
    types::Certificate,
};
use commonware_cryptography::bls12381::{
    dkg::feldman_desmedt::deal_anonymous,
    primitives::{ops::threshold, sharing::Mode as SharingMode, variant::MinPk},
};
use commonware_parallel::Sequential;
use commonware_utils::{N3f1, NZU32, TestRng};

/// A decided record with `answer` agreed by members 0, 1 and 2 of a committee of 4; 3 silent.
pub fn record(answer: &str) -> DecisionRecord {
    DecisionRecord {
        request: Digest([7; 32]),
        tier: 3,
        mode: Mode::Exact,
        committee: vec![0, 1, 2, 3],
        outcome: OutcomeKind::Agreed,
        answer: Some(answer.to_string()),
        answer_digest: Some(answer_digest(answer)),
        supporters: vec![0, 1, 2],
        dissenters: vec![],
        silent: vec![3],
        height: 42,
        epoch: 0,
        aggregation: None,
        cosines: None,
        pick: None,
    }
}

/// Signs `record`, in a batch with two other records (it is the second), with a fresh
/// 3-of-4 threshold key from `seed`; returns its certificate.
pub fn certificate(seed: u64, record: DecisionRecord) -> Certificate {
    let (sharing, shares) =
        deal_anonymous::<MinPk, N3f1>(TestRng::new(seed), SharingMode::NonZeroCounter, NZU32!(4));
    let namespace = byzvote_core::namespace::BYZVOTE_DECISION;
    let neighbour = |answer: &str| DecisionRecord {
        answer: Some(answer.to_string()),
        answer_digest: Some(byzvote_core::answer_digest(answer)),
        ..record.clone()
    };
    let batch = byzvote_core::batch::Batch::new(vec![
        neighbour("before"),
        record.clone(),
        neighbour("after"),
    ]);
    let root = batch.root();
    let partials: Vec<_> = shares
        .iter()
        .skip(1)
        .map(|s| threshold::sign_message::<MinPk>(s, namespace, root.as_ref()))
        .collect();
    let signature = threshold::recover::<MinPk, _>(&sharing, &partials, &Sequential)
        .unwrap_or_else(|e| panic!("recovery failed for seed {seed}: {e:?}"));
    let proof = batch
        .proof(1)
        .unwrap_or_else(|| panic!("no proof for seed {seed}"));
    Certificate::new(sharing.public(), &signature, record, &proof)
}
