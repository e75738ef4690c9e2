//! Decided votes and the clients waiting for them, shared by the executor and the gateway.

use byzvote_core::{DecisionRecord, Digest, MemberId};
use byzvote_dkg::GroupSignature;
use futures::channel::oneshot;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

/// A certified decision with what this node knows of the votes.
#[derive(Clone, Debug)]
pub struct Decided {
    pub record: DecisionRecord,
    /// The group's signature over the root of the record's batch.
    pub signature: GroupSignature,
    /// That the record is in that batch.
    pub proof: byzvote_core::batch::Proof,
    /// The canonical answer each member revealed (validity is in the record's lists).
    pub revealed: BTreeMap<MemberId, String>,
    /// The members' signed reports on their model calls (latency, tokens, cost, model).
    pub meta: BTreeMap<MemberId, crate::protocol::meta::Meta>,
}

#[derive(Default)]
struct Inner {
    done: HashMap<Digest, Decided>,
    waiters: HashMap<Digest, Vec<oneshot::Sender<Decided>>>,
    refused: HashMap<Digest, String>,
}

/// Shared results.
#[derive(Clone, Default)]
pub struct Results(Arc<Mutex<Inner>>);

/// What a waiter learns.
pub enum Wait {
    Done(Box<Decided>),
    Refused(String),
    Pending(oneshot::Receiver<Decided>),
}

impl Results {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn get(&self, id: &Digest) -> Option<Decided> {
        self.lock().done.get(id).cloned()
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
        let (tx, rx) = oneshot::channel();
        inner.waiters.entry(id).or_default().push(tx);
        Wait::Pending(rx)
    }

    pub fn complete(&self, id: Digest, decided: Decided) {
        let mut inner = self.lock();
        for waiter in inner.waiters.remove(&id).unwrap_or_default() {
            let _ = waiter.send(decided.clone());
        }
        inner.done.insert(id, decided);
    }

    pub fn refuse(&self, id: Digest, reason: String) {
        let mut inner = self.lock();
        inner.waiters.remove(&id);
        inner.refused.insert(id, reason);
    }
}
