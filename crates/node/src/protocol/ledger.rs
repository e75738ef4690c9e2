//! This node's view of the key spend, shared by the executor (which writes the ordered spend
//! after each block) and the HTTP API (which reads it to admit a request).
//!
//! A key's spend as this node sees it is the ordered spend ([`super::spend::Spend::seen_by`])
//! plus this node's own charges that are signed and gossiped but not ordered yet, so a client
//! cannot outrun the chain at one node. An own charge leaves the pending set when a block
//! orders it, or when it can no longer be ordered (older than [`super::spend::WINDOW`]). At
//! most [`MAX_PENDING`] charges wait at once (beyond that the oldest is dropped: it is the
//! ordered spend's job, and the API's own per-node record covers a restart).

use super::charge::{Charge, KeyHash};
use super::spend::{Spend, WINDOW};
use byzvote_core::{Digest, MemberId};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

/// Most own charges waiting to be ordered.
pub const MAX_PENDING: usize = 65_536;

#[derive(Default)]
struct Inner {
    me: Option<MemberId>,
    f: u32,
    spends: HashMap<KeyHash, Spend>,
    /// Own charges not ordered yet: request → (key, cost, signed height).
    pending: BTreeMap<Digest, (KeyHash, u64, u64)>,
}

/// The shared view (cheap to clone).
#[derive(Clone, Default)]
pub struct Ledger(Arc<Mutex<Inner>>);

impl Ledger {
    /// A ledger for member `me` (none: an observer) of a cluster tolerating `f` faults.
    pub fn new(me: Option<MemberId>, f: u32) -> Self {
        Self(Arc::new(Mutex::new(Inner {
            me,
            f,
            ..Inner::default()
        })))
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What `key` has spent as this node counts it against `budget` (micro-dollars).
    pub fn spent(&self, key: &KeyHash, budget: u64) -> u64 {
        let inner = self.lock();
        let ordered = inner
            .spends
            .get(key)
            .map_or(0, |s| s.seen_by(inner.me, budget, inner.f));
        inner
            .pending
            .values()
            .filter(|(k, _, _)| k == key)
            .fold(ordered, |a, (_, c, _)| a.saturating_add(*c))
    }

    /// Records an own charge, signed and gossiped, until a block orders it.
    pub fn pend(&self, charge: &Charge) {
        let mut inner = self.lock();
        if inner.pending.len() >= MAX_PENDING
            && let Some(oldest) = inner
                .pending
                .iter()
                .min_by_key(|(_, (_, _, h))| *h)
                .map(|(id, _)| *id)
        {
            inner.pending.remove(&oldest);
        }
        inner.pending.insert(
            charge.request,
            (charge.key, charge.cost_micro_usd, charge.height),
        );
    }

    /// A block at `height` ordered `charge`: the ordered spends of the `touched` keys are now
    /// `spends` (`None`: evicted), and an own charge stops pending. One lock, so a reader never
    /// sees the charge twice or not at all.
    pub fn ordered(
        &self,
        charge: &Charge,
        touched: impl IntoIterator<Item = (KeyHash, Option<Spend>)>,
        height: u64,
    ) {
        let mut inner = self.lock();
        for (key, spend) in touched {
            match spend {
                Some(s) => inner.spends.insert(key, s),
                None => inner.spends.remove(&key),
            };
        }
        if Some(charge.member) == inner.me {
            inner.pending.remove(&charge.request);
        }
        inner
            .pending
            .retain(|_, (_, _, h)| h.saturating_add(WINDOW) > height);
    }

    /// How many own charges wait to be ordered.
    pub fn pending(&self) -> usize {
        self.lock().pending.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_own_charge_counts_while_pending_and_once_ordered() {
        let ledger = Ledger::new(Some(0), 1);
        let key = [3; 32];
        let charge = Charge {
            key,
            request: Digest::from([1; 32]),
            member: 0,
            cost_micro_usd: 40,
            height: 5,
        };
        ledger.pend(&charge);
        assert_eq!(ledger.spent(&key, 100), 40);
        let spend = Spend {
            checked: 0,
            unchecked: [(0, 40)].into(),
        };
        ledger.ordered(&charge, [(key, Some(spend))], 6);
        assert_eq!(ledger.spent(&key, 100), 40);
        assert_eq!(ledger.pending(), 0);
        // A charge that can no longer be ordered stops pending.
        let stale = Charge {
            request: Digest::from([2; 32]),
            ..charge.clone()
        };
        ledger.pend(&stale);
        assert_eq!(ledger.spent(&key, 100), 80);
        let other = Charge {
            member: 1,
            request: Digest::from([9; 32]),
            ..charge
        };
        ledger.ordered(&other, [], 5 + WINDOW);
        assert_eq!(ledger.pending(), 0);
        assert_eq!(ledger.spent(&key, 100), 40);
    }
}
