//! The consensus application: builds blocks from the mempool and checks peers' blocks.
//!
//! Simplex never idles: an application that always proposes produces empty blocks back to
//! back and holds the CPU (measured ~90% of two cores). So a leader with nothing to order
//! waits for a transaction, up to `idle` (kept below the leader timeout), and while votes are
//! open it waits at most `busy`, so that block timestamps — the protocol's clock for
//! deadlines — keep advancing. A transaction that an unfinalized ancestor already carries
//! does not count: it is ordered, only not final yet.
//!
//! The protocol shapes a proposal through [`Arrange`] (the chain knows no transaction
//! format): it orders the transactions and may ask the leader to wait up to `linger` for
//! more, so that a new vote's commits ride in its request's block.

use super::block::{Block, Limits};
use super::mempool::{Mempool, tx_digest};
use super::types::{Ctx, Scheme};
use bytes::Bytes;
use commonware_consensus::marshal::ancestry::Ancestry;
use commonware_consensus::{Heightable as _, types::Height};
use commonware_cryptography::{Digested, Digestible as _};
use commonware_runtime::Clock;
use commonware_utils::SystemTimeExt as _;
use futures::StreamExt as _;
use futures::future::BoxFuture;
use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How far ahead of a validator's clock a block timestamp may be.
const SYNCHRONY_BOUND_MS: u64 = 500;

/// Stateless validity of each of some transactions (decodes, signatures check, author known),
/// checked together (signatures are cheaper to check in a batch).
pub type TxCheck = Arc<dyn Fn(&[Bytes]) -> Vec<bool> + Send + Sync>;

/// The part of a transaction's check that is too slow for an async task (embedding texts):
/// `None` when the transaction needs none, otherwise a future that runs the slow work
/// elsewhere and resolves to the verdict. Applied after [`TxCheck`] passed.
pub type DeepCheck = Arc<dyn Fn(&Bytes) -> Option<BoxFuture<'static, bool>> + Send + Sync>;

/// Orders a proposal's transactions in place and says whether it is ready, or should wait
/// up to [`Pacing::linger`] for more (see `protocol::speculate::arrange`). The second argument
/// is what the unfinalized ancestors already order: a transaction there is not awaited again.
pub type Arrange = Arc<dyn Fn(&mut Vec<Bytes>, &[Bytes]) -> bool + Send + Sync>;

/// When a leader proposes.
#[derive(Clone, Copy, Debug)]
pub struct Pacing {
    /// Longest wait for a transaction when no vote is open.
    pub idle: Duration,
    /// Longest wait while votes are open (their deadlines run on block time).
    pub busy: Duration,
    /// Longest extra wait for a proposal that [`Arrange`] says is not ready.
    pub linger: Duration,
}

/// Called with a block whose finalization certificate consensus has just reported, if this
/// node holds the block (see [`Recent`]).
pub type OnFinalized = Arc<dyn Fn(Digested<Block>) + Send + Sync>;

/// Blocks kept by [`Recent`]: more than the views in flight at once.
const RECENT: usize = 32;

/// The last blocks this node proposed or accepted as valid, by digest. Marshal delivers a
/// finalized block only once it has stored it durably (measured ~1.4 ms after the certificate
/// on tmpfs, twice per vote); the executor can apply the block the moment the certificate is
/// seen, and this is where it finds the block.
#[derive(Clone, Default)]
pub struct Recent(Arc<Mutex<VecDeque<Digested<Block>>>>);

impl Recent {
    fn remember(&self, block: &Digested<Block>) {
        let mut blocks = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if blocks.iter().any(|b| b.digest() == block.digest()) {
            return;
        }
        if blocks.len() == RECENT {
            blocks.pop_front();
        }
        blocks.push_back(block.clone());
    }

    /// The block with `digest`, if it is among the last ones kept.
    pub fn get(&self, digest: &super::types::Digest) -> Option<Digested<Block>> {
        let blocks = self.0.lock().unwrap_or_else(|e| e.into_inner());
        blocks.iter().rev().find(|b| &b.digest() == digest).cloned()
    }
}

/// State the application shares with the executor.
#[derive(Clone, Default)]
pub struct Shared {
    /// Height of the last finalized block the executor has applied.
    pub finalized: Arc<AtomicU64>,
    /// Whether some vote is waiting for a deadline.
    pub busy: Arc<AtomicBool>,
    /// Where the time goes (off unless `BYZVOTE_TIMINGS=1`).
    pub timings: crate::timing::Timings,
    /// The blocks this node proposed or accepted lately.
    pub recent: Recent,
}

/// The [`commonware_consensus::Application`] of a byzvote node.
#[derive(Clone)]
pub struct App {
    pub mempool: Mempool,
    pub check: TxCheck,
    pub deep_check: DeepCheck,
    pub arrange: Arrange,
    pub shared: Shared,
    pub pacing: Pacing,
    pub limits: Limits,
    pub max_block_bytes: usize,
}

impl App {
    /// Waits until the pool holds a transaction that `exclude` (the transactions of the
    /// not-yet-finalized ancestors) does not, or the pacing wait is over. Transactions already
    /// in flight are not work: proposing an empty block while they finalize would only spend
    /// CPU and disk syncs that their finalization needs (views advance at notarization, and a
    /// block's finalization does not wait for the next proposal).
    async fn wait_for_work<E: Clock>(
        &self,
        context: &E,
        exclude: &HashSet<commonware_cryptography::sha256::Digest>,
    ) {
        let wait = if self.shared.busy.load(Ordering::Relaxed) {
            self.pacing.busy
        } else {
            self.pacing.idle
        };
        let deadline = context.current() + wait;
        loop {
            let mut notified = std::pin::pin!(self.mempool.notified());
            notified.as_mut().enable();
            if self.mempool.has_outside(exclude) {
                return;
            }
            commonware_macros::select! {
                _ = notified => {},
                _ = context.sleep_until(deadline) => return,
            }
        }
    }

    /// The proposal's transactions, once [`Arrange`] says they are ready or `linger` is over.
    async fn select_ready<E: Clock>(
        &self,
        context: &E,
        exclude: &HashSet<commonware_cryptography::sha256::Digest>,
        ordered: &[Bytes],
    ) -> Vec<bytes::Bytes> {
        let deadline = context.current() + self.pacing.linger;
        loop {
            let mut notified = std::pin::pin!(self.mempool.notified());
            notified.as_mut().enable();
            let mut txs = self
                .mempool
                .select(self.limits.max_txs, self.max_block_bytes, exclude);
            if (self.arrange)(&mut txs, ordered) {
                return txs;
            }
            commonware_macros::select! {
                _ = notified => {},
                _ = context.sleep_until(deadline) => {
                    let mut txs = self
                        .mempool
                        .select(self.limits.max_txs, self.max_block_bytes, exclude);
                    (self.arrange)(&mut txs, ordered);
                    return txs;
                },
            }
        }
    }

    /// The transactions in not-yet-applied ancestors (oldest block first) and their digests,
    /// so a proposal neither repeats them nor waits for them.
    async fn in_flight(
        &self,
        parent: &Block,
        mut ancestry: impl Ancestry<Block>,
    ) -> (HashSet<commonware_cryptography::sha256::Digest>, Vec<Bytes>) {
        let finalized = Height::new(self.shared.finalized.load(Ordering::Acquire));
        let mut blocks = Vec::new();
        let mut block = Some(parent.clone());
        while let Some(b) = block {
            if b.height() <= finalized {
                break;
            }
            block = ancestry.next().await.map(|d| d.inner().clone());
            blocks.push(b);
        }
        let ordered: Vec<Bytes> = blocks.iter().rev().flat_map(|b| b.txs.clone()).collect();
        (ordered.iter().map(|tx| tx_digest(tx)).collect(), ordered)
    }
}

impl<E> commonware_consensus::Application<E> for App
where
    E: Clock + Send + Sync + 'static,
{
    type SigningScheme = Scheme;
    type Context = Ctx;
    type Block = Block;
    type Input = ();

    async fn propose(
        &mut self,
        (context, _): (E, Self::Context),
        mut ancestry: impl Ancestry<Self::Block>,
        _input: (),
    ) -> Option<Digested<Self::Block>> {
        let parent = ancestry.next().await?.inner().clone();
        let timings = self.shared.timings.clone();
        let (exclude, ordered) = self.in_flight(&parent, ancestry).await;
        let waited = timings.now();
        self.wait_for_work(&context, &exclude).await;
        timings.since("chain.propose_wait", waited);
        let lingered = timings.now();
        let txs = self.select_ready(&context, &exclude, &ordered).await;
        timings.since("chain.propose_linger", lingered);
        let timestamp_ms = context
            .current()
            .epoch_millis()
            .max(parent.timestamp_ms + 1);
        let block = Block::new(parent.digest(), parent.height().next(), timestamp_ms, txs);
        let digest = block.digest();
        timings.mark("proposed", digest.as_ref());
        let block = Digested::precomputed(block, digest);
        self.shared.recent.remember(&block);
        Some(block)
    }

    async fn verify(
        &mut self,
        (context, _): (E, Self::Context),
        mut ancestry: impl Ancestry<Self::Block>,
    ) -> bool {
        let Some(block) = ancestry.next().await else {
            return false;
        };
        let Some(parent) = ancestry.next().await else {
            return false;
        };
        let digested = block.clone();
        let (block, parent) = (block.inner(), parent.inner());
        if block.timestamp_ms <= parent.timestamp_ms
            || block.timestamp_ms > context.current().epoch_millis() + SYNCHRONY_BOUND_MS
        {
            return false;
        }
        let bytes: usize = block.txs.iter().map(|tx| tx.len()).sum();
        let timings = &self.shared.timings;
        // A transaction in this node's pool was checked when it entered the pool (gossip or
        // own submission): only the others are checked here (their ed25519 signatures
        // together, then the deep check awaited off this task for the few that need one).
        let unknown: Vec<Bytes> = block
            .txs
            .iter()
            .filter(|tx| !self.mempool.contains(&tx_digest(tx)))
            .cloned()
            .collect();
        let valid = timings.time("chain.verify", || {
            bytes <= self.max_block_bytes && (self.check)(&unknown).into_iter().all(|ok| ok)
        });
        if !valid {
            return false;
        }
        for tx in &unknown {
            if let Some(deep) = (self.deep_check)(tx)
                && !deep.await
            {
                return false;
            }
        }
        self.shared.recent.remember(&digested);
        true
    }
}
