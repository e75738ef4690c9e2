//! What each client key has spent across the cluster: a pure function of the ordered charges
//! ([`super::charge`]), the same on every node.
//!
//! # Trust model
//!
//! The chain cannot see who a client is: requests are not signed by clients, and only the node a
//! client talks to sees its API key. So a charge is a node's claim, and a lying node (up to `f`
//! of them) could try to charge someone else's key (all nodes hold the same key hashes) to
//! exhaust its budget everywhere, or to charge less than its clients spent. What the ledger
//! lets a charge do depends on what the chain can check:
//!
//! * **Checked charges** (tiers 3-5): the request is a vote decided on the chain, and its cost
//!   is the sum of the committee members' own signed reports ([`super::meta`]). Such a charge
//!   counts at most that recorded cost, and **once per request** whoever signs it (the first
//!   ordered charge wins). A lying node can therefore only attribute real, decided work that no
//!   earlier charge claimed, at its real cost, and every such charge is signed evidence in the
//!   audit log. A charge for a request the chain knows but has not decided is ignored (it
//!   could not be bounded yet, and must not block the honest charge that follows).
//! * **Unchecked charges** (tiers 1-2, answered without the chain): only the serving node
//!   witnessed the answer, so its claim cannot be checked. Each member's charge for a request
//!   counts once, into that member's own column of the key. A node counts its **own** column
//!   in full (so a client using one node is held to exactly its budget there), but another
//!   member's column at most `budget / (f+1)` ([`Spend::seen_by`]). So `f` lying nodes together
//!   can raise a key's spend by less than its budget: they can never exhaust an idle key on
//!   their own, the way one verdict cannot confirm a failure alone ([`super::verdict`]). The
//!   price is that a client spreading quick requests over several honest nodes can exceed its
//!   budget by at most a factor `1 + f/2` (the first node's full budget, then each further node
//!   fills up what the others' capped columns leave), instead of a factor `n` before.
//!
//! What the ledger does not stop: a node that answers a client and charges nothing (it can
//! serve for free anyway); and in the window before a charge is ordered, a client racing
//! requests over several nodes (each node counts its own unordered charges at once).
//!
//! # Bounds (peer-chosen keys)
//!
//! A charge counts only within [`WINDOW`] blocks after the height it names, so the ledger
//! remembers charged request ids for that window only, at most [`MAX_SEEN`] of them (when full,
//! new charges are ignored until old ones age out); at most [`MAX_KEYS`] key hashes are kept (a
//! new one beyond that evicts the key that spent least, so forged keys cannot grow memory).

use super::charge::{Charge, KeyHash};
use byzvote_core::{Digest, MemberId};
use std::collections::{BTreeMap, BTreeSet};

/// Blocks after its signed height within which a charge counts.
pub const WINDOW: u64 = 4_096;
/// Most charged request ids remembered (for deduplication) at once.
pub const MAX_SEEN: usize = 262_144;
/// Most key hashes with a recorded spend.
pub const MAX_KEYS: usize = 65_536;

/// The dedup column of checked charges (one per request, whoever signs).
const CHECKED: MemberId = MemberId::MAX;

/// One key's ordered spend, in micro-dollars.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Spend {
    /// Checked charges (votes decided on the chain), whoever served them.
    pub checked: u64,
    /// Unchecked charges (quick tiers), per serving member.
    pub unchecked: BTreeMap<MemberId, u64>,
}

impl Spend {
    /// Everything charged, uncapped (what eviction compares).
    pub fn total(&self) -> u64 {
        self.unchecked
            .values()
            .fold(self.checked, |a, &b| a.saturating_add(b))
    }

    /// What node `me` counts against a budget of `budget` micro-dollars in a cluster
    /// tolerating `f` faults: checked charges in full, its own unchecked column in full, each
    /// other member's unchecked column at most `budget / (f+1)` (see the module doc).
    pub fn seen_by(&self, me: Option<MemberId>, budget: u64, f: u32) -> u64 {
        let cap = budget / (u64::from(f) + 1);
        self.unchecked
            .iter()
            .map(|(&m, &v)| if Some(m) == me { v } else { v.min(cap) })
            .fold(self.checked, u64::saturating_add)
    }
}

/// How the chain knows the charged request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Known {
    /// Not at all (a quick-tier request, or a made-up id): an unchecked charge.
    Unknown,
    /// Ordered but not decided: the charge is ignored.
    Undecided,
    /// Decided, with the sum of its members' reported costs.
    Decided(u64),
}

/// What applying a charge did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    /// Micro-dollars added to the key (0: ignored, a repeat, or free).
    pub counted: u64,
    /// Keys whose spend changed (the charged one, and one evicted to make room).
    pub touched: Vec<KeyHash>,
}

/// Every key's ordered spend.
#[derive(Debug, Default)]
pub struct Charges {
    by_key: BTreeMap<KeyHash, Spend>,
    /// Charged (request, column) → the charge's signed height.
    seen: BTreeMap<(Digest, MemberId), u64>,
    /// The same, by height, to forget what left the window.
    by_height: BTreeSet<(u64, Digest, MemberId)>,
}

impl Charges {
    /// One key's spend, if any charge counted for it.
    pub fn get(&self, key: &KeyHash) -> Option<&Spend> {
        self.by_key.get(key)
    }

    /// How many request ids are remembered (bounded by [`MAX_SEEN`]).
    pub fn remembered(&self) -> usize {
        self.seen.len()
    }

    /// How many keys have a spend (bounded by [`MAX_KEYS`]).
    pub fn keys(&self) -> usize {
        self.by_key.len()
    }

    /// Applies one ordered charge in a block at `height`.
    pub fn apply(&mut self, charge: &Charge, known: Known, height: u64) -> Applied {
        self.forget_before(height.saturating_sub(WINDOW - 1));
        let nothing = Applied {
            counted: 0,
            touched: Vec::new(),
        };
        if charge.height > height || height - charge.height >= WINDOW {
            return nothing;
        }
        let (column, amount) = match known {
            Known::Undecided => return nothing,
            Known::Decided(recorded) => (CHECKED, charge.cost_micro_usd.min(recorded)),
            Known::Unknown => (charge.member, charge.cost_micro_usd),
        };
        let id = (charge.request, column);
        if self.seen.contains_key(&id) || self.seen.len() >= MAX_SEEN {
            return nothing;
        }
        self.seen.insert(id, charge.height);
        self.by_height
            .insert((charge.height, charge.request, column));
        if amount == 0 {
            return nothing;
        }
        let mut touched = vec![charge.key];
        if !self.by_key.contains_key(&charge.key)
            && self.by_key.len() >= MAX_KEYS
            && let Some(evicted) = self.least()
        {
            self.by_key.remove(&evicted);
            touched.push(evicted);
        }
        let spend = self.by_key.entry(charge.key).or_default();
        match known {
            Known::Decided(_) => spend.checked = spend.checked.saturating_add(amount),
            _ => {
                let v = spend.unchecked.entry(charge.member).or_default();
                *v = v.saturating_add(amount);
            }
        }
        Applied {
            counted: amount,
            touched,
        }
    }

    /// The key that spent least (ties: the smallest hash), evicted to make room.
    fn least(&self) -> Option<KeyHash> {
        self.by_key
            .iter()
            .min_by_key(|(k, s)| (s.total(), **k))
            .map(|(k, _)| *k)
    }

    /// Forgets the request ids of charges signed below `height` (they can no longer count).
    fn forget_before(&mut self, height: u64) {
        while let Some(&first) = self.by_height.first() {
            if first.0 >= height {
                break;
            }
            self.by_height.pop_first();
            self.seen.remove(&(first.1, first.2));
        }
    }
}

#[cfg(test)]
#[path = "spend_tests.rs"]
mod tests;
