//! Agreement on the dealer logs: the one input every node must see identically.
//!
//! Joint-Feldman gives the same key to everyone only if everyone finalizes with the same set
//! of signed dealer logs (`feldman_desmedt::observe` docs: "the log mapping dealers to their
//! log is the shared piece of information that the participants must all agree on"). The
//! library selects, from that set, the first `2f+1` usable logs in dealer order, so the set
//! alone fixes the key.
//!
//! Two implementations are intended:
//!
//! * [`AllDealers`] (here): no consensus. Each node broadcasts its own log; once it holds
//!   logs from **all `n`** dealers it gossips a digest of that set, and it finishes when every
//!   other participant confirmed the same digest. Safe against Byzantine dealers (a dealer
//!   that signs two logs makes honest confirmations differ: everyone stops with
//!   [`AgreementError::Conflict`] instead of splitting the key), but **not live with even one
//!   node down**: a first start needs all `n` nodes up.
//! * A consensus-backed hook (the node crate): `submit` proposes my log in a block; `agreed`
//!   resolves once finalized blocks hold valid logs of at least `2f+1` distinct dealers (first
//!   log per dealer wins, by block order), and returns the logs finalized up to that block.
//!   It tolerates `f` nodes down and needs no confirmations, because finality already is
//!   agreement.

use crate::{
    error::{AgreementError, Evidence},
    types::{Identity, SignedLog},
    wire::LogSetDigest,
};
use commonware_codec::Encode;
use sha2::{Digest as _, Sha256};
use std::{collections::BTreeMap, future::Future};

/// Something a hook asks the ceremony to broadcast on the DKG channel.
#[derive(Clone, Debug)]
pub enum Gossip {
    /// A signed dealer log.
    Log(Box<SignedLog>),
    /// My digest of the complete log set.
    Confirm(LogSetDigest),
}

/// How a ceremony learns the agreed, ordered set of dealer logs.
///
/// The ceremony calls the methods from one task, in this order of life: `submit` once (my own
/// log, when my dealing phase ends), `on_log`/`on_confirm` for each valid peer message,
/// `outbound` on every resend tick, and `agreed` again after each event. Logs handed to the
/// hook are already checked: validly signed by their dealer for this round.
pub trait Agreement: Send {
    /// My own signed log. A consensus hook proposes it for inclusion in a block.
    fn submit(&mut self, log: SignedLog)
    -> impl Future<Output = Result<(), AgreementError>> + Send;

    /// A log received on the DKG channel (`from` relayed it; the dealer signed it).
    fn on_log(&mut self, _from: &Identity, _dealer: &Identity, _log: SignedLog) {}

    /// A peer's confirmation of its complete log set.
    fn on_confirm(&mut self, _from: &Identity, _digest: LogSetDigest) {}

    /// Messages to broadcast now (called on every resend tick and after each event).
    fn outbound(&mut self) -> Vec<Gossip> {
        Vec::new()
    }

    /// Evidence gathered so far (drained).
    fn take_evidence(&mut self) -> Vec<Evidence> {
        Vec::new()
    }

    /// Resolves with the agreed logs (any order; the library orders by dealer), identical at
    /// every honest node. Must be cancel-safe: the ceremony drops and recreates this future
    /// whenever another event arrives.
    fn agreed(&mut self) -> impl Future<Output = Result<Vec<SignedLog>, AgreementError>> + Send;

    /// Peers whose contribution is still missing (for timeout reports).
    fn missing(&self) -> Vec<Identity> {
        Vec::new()
    }
}

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
        let mut hasher = Sha256::new();
        for log in self.logs.values() {
            hasher.update(log.encode());
        }
        Some(hasher.finalize().into())
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
