//! Agreement without consensus: all `n` logs, confirmed by all `n` (see the parent module).

use super::{Agreement, Gossip};
use crate::{
    error::{AgreementError, Evidence},
    types::{Identity, SignedLog},
    wire::LogSetDigest,
};

use std::{collections::BTreeMap, future::Future};

/// Agreement without consensus: all `n` logs, confirmed by all `n` (see module docs).
pub struct AllDealers {
    me: Identity,
    participants: Vec<Identity>,
    logs: BTreeMap<Identity, SignedLog>,
    confirms: BTreeMap<Identity, LogSetDigest>,
    evidence: Vec<Evidence>,
    conflict: Option<Identity>,
}

impl AllDealers {
    /// For participant `me` among `participants` (the same list as the ceremony's).
    pub fn new(me: Identity, participants: Vec<Identity>) -> Self {
        Self {
            me,
            participants,
            logs: BTreeMap::new(),
            confirms: BTreeMap::new(),
            evidence: Vec::new(),
            conflict: None,
        }
    }

    fn insert(&mut self, dealer: &Identity, log: SignedLog) {
        if !self.participants.contains(dealer) {
            return;
        }
        match self.logs.get(dealer) {
            None => {
                self.logs.insert(dealer.clone(), log);
            }
            Some(known) if *known != log => {
                // First log wins locally; a split between honest nodes shows up as
                // differing confirmations.
                tracing::debug!(?dealer, "dealer signed two different logs");
                self.evidence.push(Evidence::LogEquivocation {
                    dealer: dealer.clone(),
                });
            }
            Some(_) => {}
        }
    }

    fn complete(&self) -> bool {
        self.logs.len() == self.participants.len()
    }

    /// Digest of my complete set: SHA-256 over the encoded logs in dealer order.
    fn digest(&self) -> Option<LogSetDigest> {
        if !self.complete() {
            return None;
        }
        Some(super::log_set_digest(self.logs.values()))
    }

    fn check_confirms(&mut self) {
        let Some(mine) = self.digest() else { return };
        if self.conflict.is_some() {
            return;
        }
        if let Some((peer, _)) = self.confirms.iter().find(|(_, d)| **d != mine) {
            self.evidence
                .push(Evidence::ConflictingConfirm { peer: peer.clone() });
            self.conflict = Some(peer.clone());
        }
    }
}

impl Agreement for AllDealers {
    fn submit(
        &mut self,
        log: SignedLog,
    ) -> impl Future<Output = Result<(), AgreementError>> + Send {
        let me = self.me.clone();
        self.insert(&me, log);
        self.check_confirms();
        async { Ok(()) }
    }

    fn on_log(&mut self, _from: &Identity, dealer: &Identity, log: SignedLog) {
        self.insert(dealer, log);
        self.check_confirms();
    }

    fn on_confirm(&mut self, from: &Identity, digest: LogSetDigest) {
        if *from == self.me || !self.participants.contains(from) {
            return;
        }
        self.confirms.insert(from.clone(), digest);
        self.check_confirms();
    }

    /// My own log and, once complete, my confirmation. Logs of others are not relayed: a
    /// dealer resends its own until it has every confirmation, and a peer only confirms
    /// once it holds all logs, so relaying would only multiply (costly) point decoding.
    fn outbound(&mut self) -> Vec<Gossip> {
        let mut out: Vec<Gossip> = self
            .logs
            .get(&self.me)
            .map(|l| Gossip::Log(Box::new(l.clone())))
            .into_iter()
            .collect();
        if let Some(digest) = self.digest() {
            out.push(Gossip::Confirm(digest));
        }
        out
    }

    fn needs_everyone(&self) -> bool {
        true
    }

    fn take_evidence(&mut self) -> Vec<Evidence> {
        std::mem::take(&mut self.evidence)
    }

    fn agreed(&mut self) -> impl Future<Output = Result<Vec<SignedLog>, AgreementError>> + Send {
        let result = if let Some(peer) = self.conflict.clone() {
            Some(Err(AgreementError::Conflict {
                peer: Box::new(peer),
            }))
        } else {
            let confirmed = self.complete()
                && self
                    .participants
                    .iter()
                    .filter(|p| **p != self.me)
                    .all(|p| self.confirms.contains_key(p));
            confirmed.then(|| Ok(self.logs.values().cloned().collect()))
        };
        async move {
            match result {
                Some(r) => r,
                // State changes only through the other methods, after which the ceremony
                // asks again.
                None => futures::future::pending().await,
            }
        }
    }

    fn missing(&self) -> Vec<Identity> {
        self.participants
            .iter()
            .filter(|p| {
                !self.logs.contains_key(*p) || (**p != self.me && !self.confirms.contains_key(*p))
            })
            .cloned()
            .collect()
    }
}
