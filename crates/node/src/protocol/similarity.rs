//! Similarity evidence for `semantic` votes: computing it, and re-checking a peer's.
//!
//! DESIGN §2 step 5: floating point differs across machines, so a semantic decision is taken
//! on cosines proposed in a block ([`Tx::Similarities`]) that each validator re-checks within
//! a tolerance before voting for the block. Once a semantic vote's reveals are final
//! ([`byzvote_core::Action::NeedSimilarities`]), every node with an embedder embeds the
//! revealed texts and submits their pairwise cosines; the state keeps the first well-formed
//! one finalized for the vote (nodes on the same hardware produce the same bytes, which the
//! mempool deduplicates).
//!
//! [`Checker::check`] is part of the transaction check every validator applies to a proposed
//! block (and to gossiped transactions before pooling them, so that an honest leader never
//! proposes evidence its peers will refuse): it embeds the texts carried in the transaction
//! and refuses it when any cosine is more than the tolerance away from its own. It is
//! asynchronous: the embedding runs on a worker, never on the executor or consensus task, and
//! vectors already computed for the same texts (this node's own evidence, an earlier check)
//! are reused ([`embeddings`]). A transaction that passed at gossip sits in the mempool, which
//! block verification trusts without checking again.
//!
//! **A node without an embedder** (weights absent, or the embedder fails) cannot re-check:
//! it accepts well-formed evidence unchecked, logs that it did, and never submits evidence
//! itself. Refusing instead would stall the chain, not just the vote: the transaction stays
//! in every mempool until a block carrying it is final, so every leader with an embedder
//! would keep proposing blocks such a node refuses. Forged cosines therefore need the votes
//! of f+1 honest validators that have no embedder: the safety of a semantic decision requires
//! at least f+1 honest validators with the embedder (`byzvote up` installs it on every node;
//! a node started without it says so at start). A forger within the tolerance moves a cosine
//! by at most 0.02, and never the polarity, number or name checks, which read the texts.

use super::tx::Tx;
use byzvote_core::{
    Canonical, Digest, MemberId,
    semantic::{Similarities, evidence::DEFAULT_TOLERANCE},
};
use commonware_cryptography::{Hasher as _, Sha256};
use embeddings::{Embeddings, Known};
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use tracing::{debug, warn};

pub mod embeddings;

/// Most re-check results remembered (a block is verified by several paths: gossip, proposal).
const MAX_CACHED: usize = 1024;

/// Re-checks similarity evidence with this node's embedder (module doc).
pub struct Checker {
    embeddings: Option<Embeddings>,
    tolerance: u16,
    /// Verdicts by transaction digest.
    cache: Mutex<HashMap<Digest, bool>>,
}

impl Checker {
    /// A checker with `embeddings` (none: accept unchecked, see the module doc) and the default
    /// tolerance (0.02).
    pub fn new(embeddings: Option<Embeddings>) -> Self {
        Self::with_tolerance(embeddings, DEFAULT_TOLERANCE.unsigned_abs())
    }

    /// A checker accepting cosines within `tolerance` (1e-4 units) of its own.
    pub fn with_tolerance(embeddings: Option<Embeddings>, tolerance: u16) -> Self {
        Self {
            embeddings,
            tolerance,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Whether this node can compute and re-check evidence.
    pub fn has_embedder(&self) -> bool {
        self.embeddings.is_some()
    }

    /// The evidence for a vote's counted reveals, when this node has a working embedder.
    pub async fn compute(
        &self,
        request: Digest,
        counted: &BTreeMap<MemberId, Canonical>,
    ) -> Option<Similarities> {
        let embeddings = self.embeddings.as_ref()?;
        let texts: Vec<&str> = counted.values().map(Canonical::as_str).collect();
        let computed = match embeddings.get(&texts).await {
            Ok(vectors) => Similarities::compute(&Known::new(&texts, &vectors), request, counted),
            Err(e) => Err(e),
        };
        match computed {
            Ok(s) => Some(s),
            Err(e) => {
                warn!(?request, error = %e, "cannot embed a semantic vote's answers; not proposing similarities");
                None
            }
        }
    }

    /// Whether `bytes` need [`Checker::check`] (similarity evidence does, nothing else).
    pub fn concerns(bytes: &[u8]) -> bool {
        bytes.first() == Some(&super::tx::SIMILARITIES)
    }

    /// The similarity re-check of an encoded transaction: `true` for every transaction that is
    /// not similarity evidence (those have their own checks in [`super::tx::check_all`]).
    pub async fn check(&self, bytes: &[u8]) -> bool {
        let Some(Tx::Similarities(evidence)) = Tx::decode(bytes) else {
            return true;
        };
        let digest = Sha256::hash(&[bytes]);
        if let Some(&verdict) = self.lock().get(&digest) {
            return verdict;
        }
        let verdict = self.recheck(&evidence).await;
        let mut cache = self.lock();
        if cache.len() >= MAX_CACHED {
            cache.clear();
        }
        cache.insert(digest, verdict);
        verdict
    }

    async fn recheck(&self, evidence: &Similarities) -> bool {
        let request = evidence.request;
        let Some(embeddings) = self.embeddings.as_ref() else {
            debug!(
                ?request,
                "no embedder: accepting similarity evidence unchecked"
            );
            return evidence.is_well_formed();
        };
        if !evidence.is_well_formed() {
            return false;
        }
        let texts: Vec<&str> = evidence.texts.iter().map(Canonical::as_str).collect();
        let rechecked = match embeddings.get(&texts).await {
            Ok(vectors) => evidence.recheck(&Known::new(&texts, &vectors), self.tolerance),
            Err(e) => Err(e),
        };
        match rechecked {
            Ok(true) => true,
            Ok(false) => {
                warn!(
                    ?request,
                    "refusing similarity evidence: cosines differ from ours beyond the tolerance"
                );
                false
            }
            Err(e) => {
                warn!(?request, error = %e, "embedder failed: accepting similarity evidence unchecked");
                evidence.is_well_formed()
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Digest, bool>> {
        // A poisoned lock only means another thread panicked mid-insert of plain data.
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests;
