//! Transactions waiting to be ordered.
//!
//! Every node keeps one: its own transactions and those gossiped by peers. A transaction
//! stays until a finalized block carries it, so a proposal that is later orphaned loses
//! nothing. The pool is bounded (peers choose what goes in): when full, new transactions
//! are refused and the sender retries. Everything in it passed `tx::check_all` on the way in
//! (gossip) or was made by this node, so block verification need not check it again.

use bytes::Bytes;
use commonware_cryptography::{Hasher, Sha256, sha256::Digest};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::Notify;

/// The digest that identifies a transaction in the pool and in blocks.
pub fn tx_digest(tx: &[u8]) -> Digest {
    Sha256::hash(&[tx])
}

#[derive(Default)]
struct Inner {
    next: u64,
    by_order: BTreeMap<u64, (Digest, Bytes)>,
    by_digest: HashMap<Digest, u64>,
    bytes: usize,
}

/// A shared, bounded pool of pending transactions.
#[derive(Clone)]
pub struct Mempool {
    inner: Arc<Mutex<Inner>>,
    notify: Arc<Notify>,
    max_txs: usize,
    max_bytes: usize,
}

impl Mempool {
    pub fn new(max_txs: usize, max_bytes: usize) -> Self {
        Self {
            inner: Arc::default(),
            notify: Arc::new(Notify::new()),
            max_txs,
            max_bytes,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A poisoned lock only means another thread panicked mid-update of plain data.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a transaction; `false` if it was already present or the pool is full.
    pub fn insert(&self, tx: Bytes) -> bool {
        let digest = tx_digest(&tx);
        let mut inner = self.lock();
        if inner.by_digest.contains_key(&digest)
            || inner.by_order.len() >= self.max_txs
            || inner.bytes + tx.len() > self.max_bytes
        {
            return false;
        }
        let seq = inner.next;
        inner.next += 1;
        inner.bytes += tx.len();
        inner.by_digest.insert(digest, seq);
        inner.by_order.insert(seq, (digest, tx));
        drop(inner);
        self.notify.notify_waiters();
        true
    }

    /// Up to `max` transactions (oldest first) whose digests are not in `exclude`.
    pub fn select(&self, max: usize, max_bytes: usize, exclude: &HashSet<Digest>) -> Vec<Bytes> {
        let inner = self.lock();
        let mut out = Vec::new();
        let mut bytes = 0;
        for (digest, tx) in inner.by_order.values() {
            if out.len() >= max || bytes + tx.len() > max_bytes {
                break;
            }
            if !exclude.contains(digest) {
                bytes += tx.len();
                out.push(tx.clone());
            }
        }
        out
    }

    /// Drops transactions that a finalized block carried.
    pub fn remove<'a>(&self, txs: impl IntoIterator<Item = &'a Bytes>) {
        let mut inner = self.lock();
        for tx in txs {
            if let Some(seq) = inner.by_digest.remove(&tx_digest(tx))
                && let Some((_, tx)) = inner.by_order.remove(&seq)
            {
                inner.bytes -= tx.len();
            }
        }
    }

    /// Whether the pool holds the transaction with this digest.
    pub fn contains(&self, digest: &Digest) -> bool {
        self.lock().by_digest.contains_key(digest)
    }

    /// Whether the pool holds a transaction whose digest is not in `exclude`.
    pub fn has_outside(&self, exclude: &HashSet<Digest>) -> bool {
        let inner = self.lock();
        let excluded_here = exclude
            .iter()
            .filter(|d| inner.by_digest.contains_key(*d))
            .count();
        inner.by_order.len() > excluded_here
    }

    pub fn len(&self) -> usize {
        self.lock().by_order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A future that resolves at the next insertion. Create it *before* checking
    /// [`Mempool::is_empty`] (and `enable` it), so an insertion in between is not missed.
    pub fn notified(&self) -> tokio::sync::futures::Notified<'_> {
        self.notify.notified()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedup_bound_and_remove() {
        let pool = Mempool::new(2, 1024);
        assert!(pool.insert(Bytes::from_static(b"a")));
        assert!(!pool.insert(Bytes::from_static(b"a")));
        assert!(pool.insert(Bytes::from_static(b"b")));
        assert!(!pool.insert(Bytes::from_static(b"c")), "full");
        let exclude = HashSet::from([tx_digest(b"a")]);
        assert_eq!(
            pool.select(10, 1024, &exclude),
            vec![Bytes::from_static(b"b")]
        );
        assert!(pool.has_outside(&exclude));
        assert!(!pool.has_outside(&HashSet::from([tx_digest(b"a"), tx_digest(b"b")])));
        pool.remove([&Bytes::from_static(b"a")]);
        assert_eq!(pool.len(), 1);
        assert!(pool.insert(Bytes::from_static(b"c")));
    }
}
