//! Decided votes and the clients waiting for them, shared by the executor and the gateway.
//!
//! Only the last [`KEEP`] decisions are kept whole (~2 KB each: the record, its proof, the
//! revealed answers and reports); an older one is remembered by its id alone, so that asking
//! for it again gets a clear answer ([`Wait::Retired`]) instead of a vote that never comes
//! (the chain never votes a request twice). Its certificate stays in the audit log of every
//! node (`byzvote audit show`).

use byzvote_core::{DecisionRecord, Digest, MemberId};
use futures::channel::oneshot;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

/// A certified decision with what this node knows of the votes.
#[derive(Clone, Debug)]
pub struct Decided {
    pub record: DecisionRecord,
    /// The group's signature over the root of the record's batch, encoded (a compressed
    /// G2 point, as clients are given it).
    pub signature: bytes::Bytes,
    /// That the record is in that batch.
    pub proof: byzvote_core::batch::Proof,
    /// The canonical answer each member revealed (validity is in the record's lists).
    pub revealed: BTreeMap<MemberId, String>,
    /// The members' signed reports on their model calls (latency, tokens, cost, model).
    pub meta: BTreeMap<MemberId, crate::protocol::meta::Meta>,
}

/// Decisions kept whole for `GET /v1/votes/{id}` and repeated submissions: minutes of votes
/// at the cluster's top rate, hours at a normal one.
pub const KEEP: usize = 16_384;
/// Refusals kept (their reasons; older ones are simply forgotten: a refused request may be
/// sent again).
const KEEP_REFUSED: usize = 4_096;

struct Inner {
    keep: usize,
    done: HashMap<Digest, Decided>,
    /// The ids in `done`, oldest first.
    order: VecDeque<Digest>,
    /// Decided longer ago than the last `keep` (32 bytes each).
    retired: HashSet<Digest>,
    waiters: HashMap<Digest, Vec<oneshot::Sender<Decided>>>,
    refused: HashMap<Digest, String>,
    refused_order: VecDeque<Digest>,
}

/// Shared results.
#[derive(Clone)]
pub struct Results(Arc<Mutex<Inner>>);

impl Default for Results {
    fn default() -> Self {
        Self::keeping(KEEP)
    }
}

/// What a waiter learns.
pub enum Wait {
    Done(Box<Decided>),
    Refused(String),
    /// Decided before the last [`KEEP`] decisions: see the module doc.
    Retired,
    Pending(oneshot::Receiver<Decided>),
}

impl Results {
    /// Results that keep the last `keep` decisions whole (default [`KEEP`]).
    pub fn keeping(keep: usize) -> Self {
        Self(Arc::new(Mutex::new(Inner {
            keep,
            done: HashMap::new(),
            order: VecDeque::new(),
            retired: HashSet::new(),
            waiters: HashMap::new(),
            refused: HashMap::new(),
            refused_order: VecDeque::new(),
        })))
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn get(&self, id: &Digest) -> Option<Decided> {
        self.lock().done.get(id).cloned()
    }

    /// Whether `id` was decided before the last [`KEEP`] decisions.
    pub fn is_retired(&self, id: &Digest) -> bool {
        self.lock().retired.contains(id)
    }

    /// The result if known, else a receiver for it.
    pub fn wait(&self, id: Digest) -> Wait {
        let mut inner = self.lock();
        if let Some(d) = inner.done.get(&id) {
            return Wait::Done(Box::new(d.clone()));
        }
        if let Some(reason) = inner.refused.get(&id) {
            return Wait::Refused(reason.clone());
        }
        if inner.retired.contains(&id) {
            return Wait::Retired;
        }
        let (tx, rx) = oneshot::channel();
        inner.waiters.entry(id).or_default().push(tx);
        Wait::Pending(rx)
    }

    pub fn complete(&self, id: Digest, decided: Decided) {
        let mut inner = self.lock();
        for waiter in inner.waiters.remove(&id).unwrap_or_default() {
            let _ = waiter.send(decided.clone());
        }
        if inner.retired.contains(&id) {
            return; // published again long after (its waiters, if any, have it)
        }
        if inner.done.insert(id, decided).is_none() {
            inner.order.push_back(id);
        }
        while inner.order.len() > inner.keep {
            if let Some(old) = inner.order.pop_front() {
                inner.done.remove(&old);
                inner.retired.insert(old);
            }
        }
    }

    pub fn refuse(&self, id: Digest, reason: String) {
        let mut inner = self.lock();
        inner.waiters.remove(&id);
        if inner.refused.insert(id, reason).is_none() {
            inner.refused_order.push_back(id);
        }
        while inner.refused_order.len() > KEEP_REFUSED {
            if let Some(old) = inner.refused_order.pop_front() {
                inner.refused.remove(&old);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::beacon::tests::trusted_dealer_outputs;
    use crate::protocol::certify::tests::{batch, sign};

    fn decided() -> Decided {
        let dkg = trusted_dealer_outputs(4, 3);
        let b = batch("4");
        let partials: Vec<_> = dkg.iter().take(3).map(|d| sign(d, &b)).collect();
        Decided {
            record: b.records[0].clone(),
            signature: commonware_codec::Encode::encode(
                &byzvote_dkg::threshold::recover(&dkg[0], &partials).expect("3 of 4"),
            ),
            proof: b.proof(0).expect("in the batch"),
            revealed: BTreeMap::new(),
            meta: BTreeMap::new(),
        }
    }

    fn id(i: u8) -> Digest {
        Digest::from([i; 32])
    }

    #[test]
    fn only_the_last_decisions_are_kept_and_older_ones_are_told_apart() {
        let results = Results::keeping(2);
        let d = decided();
        let Wait::Pending(mut waiting) = results.wait(id(1)) else {
            panic!("nothing decided yet");
        };
        for i in 1..=3 {
            results.complete(id(i), d.clone());
        }
        assert!(waiting.try_recv().expect("answered").is_some());
        assert!(results.get(&id(1)).is_none() && results.is_retired(&id(1)));
        assert!(matches!(results.wait(id(1)), Wait::Retired));
        assert!(matches!(results.wait(id(3)), Wait::Done(_)));
        assert!(!results.is_retired(&id(2)) && results.get(&id(2)).is_some());
        // Completing a kept one again (a replay) does not push another out; a retired one
        // stays retired.
        results.complete(id(2), d.clone());
        results.complete(id(1), d);
        assert!(results.get(&id(1)).is_none() && results.is_retired(&id(1)));
        assert!(results.get(&id(2)).is_some() && results.get(&id(3)).is_some());
        assert!(matches!(results.wait(id(4)), Wait::Pending(_)));
    }
}
