//! The audit log: every finalized block this node applied and every certificate it
//! assembled, hash-chained, written before anything that depends on it is acknowledged.
//!
//! Each entry's `hash = sha256(BYZVOTE_AUDIT ‖ prev ‖ kind ‖ body)`, where `body` is the
//! binary content below, so the chain does not depend on JSON formatting:
//!
//! ```text
//! block:       height (8, BE) | timestamp_ms (8, BE) | parent (32) | (tx len (4, BE) | tx)*
//! certificate: request (32) | record len (4, BE) | record bytes | signature (96)
//! quick:       request len (4, BE) | request | timestamp_ms (8, BE) | record len (4, BE)
//!              | record | signer (4, BE) | signature len (4, BE) | signature
//!              | (answer len (4, BE) | signed answer)*
//! ```
//!
//! Replaying the block entries rebuilds the protocol state after a restart. A `quick` entry is
//! a tier-1/2 decision, which no block orders: the serving node appends it (with its identity
//! signature and each member's signed answer, see `audit_quick`) before the client hears it.
//!
//! The executor and the quick-tier actor append to the same log, so [`AuditLog`] is a cheap
//! handle to one shared writer: one chain per node, whatever served the vote.

use super::journal::{Journal, JournalError};
use bytes::Bytes;
use commonware_cryptography::{Hasher as _, Sha256};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::{Arc, Mutex};

const NAMESPACE: &[u8] = b"BYZVOTE_AUDIT";

/// What an entry holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Body {
    Block {
        height: u64,
        timestamp_ms: u64,
        #[serde(with = "hex::serde::no_prefix")]
        parent: [u8; 32],
        txs: Vec<HexBytes>,
    },
    Certificate {
        #[serde(with = "hex::serde::no_prefix")]
        request: [u8; 32],
        record: HexBytes,
        /// The group's signature over the root of the record's batch.
        signature: HexBytes,
        /// The record's inclusion proof in that batch (`byzvote_core::batch::Proof`). Absent
        /// (empty) only in logs written before certificates were batched (see `verify_chain`).
        #[serde(default)]
        proof: HexBytes,
    },
    Quick {
        /// The encoded request (what the client asked, after privacy masking).
        request: HexBytes,
        /// When the serving node decided (its clock, ms since the Unix epoch).
        timestamp_ms: u64,
        record: HexBytes,
        /// The serving node's member id, and its ed25519 signature over the record.
        signer: u32,
        signature: HexBytes,
        /// Each answering member's signed answer (`quick::wire::SignedAnswer` encoding).
        answers: Vec<HexBytes>,
    },
}

/// Bytes as hex in JSON.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HexBytes(#[serde(with = "hex::serde::no_prefix")] pub Vec<u8>);

impl From<&Bytes> for HexBytes {
    fn from(b: &Bytes) -> Self {
        Self(b.to_vec())
    }
}

/// One line of the log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub seq: u64,
    #[serde(with = "hex::serde::no_prefix")]
    pub prev: [u8; 32],
    #[serde(with = "hex::serde::no_prefix")]
    pub hash: [u8; 32],
    #[serde(flatten)]
    pub body: Body,
}

impl Body {
    fn kind(&self) -> &'static [u8] {
        match self {
            Body::Block { .. } => b"block",
            Body::Certificate { .. } => b"certificate",
            Body::Quick { .. } => b"quick",
        }
    }

    fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let len = |n: usize| u32::try_from(n).unwrap_or(u32::MAX).to_be_bytes();
        match self {
            Body::Block {
                height,
                timestamp_ms,
                parent,
                txs,
            } => {
                out.extend_from_slice(&height.to_be_bytes());
                out.extend_from_slice(&timestamp_ms.to_be_bytes());
                out.extend_from_slice(parent);
                for tx in txs {
                    out.extend_from_slice(&len(tx.0.len()));
                    out.extend_from_slice(&tx.0);
                }
            }
            Body::Certificate {
                request,
                record,
                signature,
                proof,
            } => {
                out.extend_from_slice(request);
                out.extend_from_slice(&len(record.0.len()));
                out.extend_from_slice(&record.0);
                out.extend_from_slice(&len(signature.0.len()));
                out.extend_from_slice(&signature.0);
                out.extend_from_slice(&len(proof.0.len()));
                out.extend_from_slice(&proof.0);
            }
            Body::Quick {
                request,
                timestamp_ms,
                record,
                signer,
                signature,
                answers,
            } => {
                out.extend_from_slice(&len(request.0.len()));
                out.extend_from_slice(&request.0);
                out.extend_from_slice(&timestamp_ms.to_be_bytes());
                out.extend_from_slice(&len(record.0.len()));
                out.extend_from_slice(&record.0);
                out.extend_from_slice(&signer.to_be_bytes());
                out.extend_from_slice(&len(signature.0.len()));
                out.extend_from_slice(&signature.0);
                for a in answers {
                    out.extend_from_slice(&len(a.0.len()));
                    out.extend_from_slice(&a.0);
                }
            }
        }
        out
    }

    /// The chained hash of this body after `prev`.
    pub fn hash(&self, prev: &[u8; 32]) -> [u8; 32] {
        let digest = Sha256::hash(&[NAMESPACE, prev, self.kind(), &self.bytes()]);
        let mut out = [0u8; 32];
        out.copy_from_slice(digest.as_ref());
        out
    }
}

/// Why the chain does not verify.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error("audit entry {seq}: {reason}")]
    Broken { seq: u64, reason: String },
}

/// Checks sequence numbers and the hash chain of `entries`.
pub fn verify_chain(entries: &[Entry]) -> Result<(), AuditError> {
    let mut chain = Chain::default();
    entries.iter().try_for_each(|e| chain.check(e))
}

/// The hash chain checked one entry at a time: the next sequence number and the last hash.
#[derive(Default)]
pub(crate) struct Chain {
    next: u64,
    prev: [u8; 32],
}

impl Chain {
    pub(crate) fn check(&mut self, e: &Entry) -> Result<(), AuditError> {
        let broken = |reason: &str| AuditError::Broken {
            seq: e.seq,
            reason: reason.to_string(),
        };
        let prev = self.prev;
        if e.seq != self.next {
            return Err(broken("sequence number out of order"));
        }
        if let Body::Certificate { proof, .. } = &e.body
            && proof.0.is_empty()
        {
            return Err(broken(
                "a certificate without a batch proof: this log was written by a byzvote from before \
                 certificates were batched (one signature per block), which this version cannot \
                 replay; keep that version's binary for this data, or start a new cluster with \
                 another --data",
            ));
        }
        if e.prev != prev {
            return Err(broken("prev does not match the previous entry's hash"));
        }
        if e.body.hash(&prev) != e.hash {
            return Err(broken("hash does not match the entry's content"));
        }
        self.next += 1;
        self.prev = e.hash;
        Ok(())
    }
}

/// The open log of this node: a handle to one writer shared by the executor and the quick
/// tiers (clones append to the same chain; each append is atomic under a lock).
#[derive(Clone)]
pub struct AuditLog(Arc<Mutex<Writer>>);

struct Writer {
    journal: Journal,
    next: u64,
    last: [u8; 32],
}

impl AuditLog {
    pub fn memory() -> Self {
        Self::from_writer(Writer {
            journal: Journal::memory(),
            next: 0,
            last: [0; 32],
        })
    }

    fn from_writer(w: Writer) -> Self {
        Self(Arc::new(Mutex::new(w)))
    }

    /// Opens the log, verifies its chain and returns it with its entries.
    pub fn open(path: &Path) -> Result<(Self, Vec<Entry>), AuditError> {
        let mut entries = Vec::new();
        let log = Self::open_each(path, |e| {
            entries.push(e);
            Ok(())
        })?;
        Ok((log, entries))
    }

    /// Opens the log at `path`, handing each entry to `each` in order once its place in the
    /// hash chain is checked, without holding the log in memory (it holds every decision).
    pub fn open_each(
        path: &Path,
        mut each: impl FnMut(Entry) -> Result<(), AuditError>,
    ) -> Result<Self, AuditError> {
        let mut chain = Chain::default();
        let journal = Journal::open_each(path, |e: Entry| {
            chain.check(&e)?;
            each(e)
        })?;
        Ok(Self::from_writer(Writer {
            journal,
            next: chain.next,
            last: chain.prev,
        }))
    }

    /// The writer. One poisoned by a panic elsewhere still holds a consistent chain: `next` and
    /// `last` change only after the journal took the entry.
    fn writer(&self) -> std::sync::MutexGuard<'_, Writer> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Appends and syncs one entry (with any staged before it); returns its sequence number.
    pub fn append(&self, body: Body) -> Result<u64, AuditError> {
        let seq = self.stage(body)?;
        self.flush()?;
        Ok(seq)
    }

    /// Chains one entry and stages it: it is on disk after the next [`AuditLog::flush`]
    /// (group commit: one sync for all the entries of a burst). Acknowledging a block or
    /// answering a client from a staged entry must wait for that flush.
    pub fn stage(&self, body: Body) -> Result<u64, AuditError> {
        let mut w = self.writer();
        let hash = body.hash(&w.last);
        let seq = w.next;
        let entry = Entry {
            seq,
            prev: w.last,
            hash,
            body,
        };
        w.journal.stage(&entry)?;
        w.next += 1;
        w.last = hash;
        Ok(seq)
    }

    /// Writes and syncs the staged entries.
    pub fn flush(&self) -> Result<(), AuditError> {
        Ok(self.writer().journal.flush()?)
    }

    /// Whether entries are staged but not yet on disk.
    pub fn has_staged(&self) -> bool {
        self.writer().journal.has_staged()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(h: u64) -> Body {
        Body::Block {
            height: h,
            timestamp_ms: h * 10,
            parent: [h as u8; 32],
            txs: vec![HexBytes(vec![1, 2, 3])],
        }
    }

    /// `verify_file` checks each batch's signature once and many batches together; a bad
    /// one among good ones is still found, and the error names the first in log order.
    #[test]
    fn certificates_are_checked_by_batch_and_the_first_bad_one_is_named() {
        use crate::protocol::beacon::tests::trusted_dealer_outputs;
        use crate::protocol::certify::tests::{batch, sign};
        use commonware_codec::Encode as _;
        let dkg = trusted_dealer_outputs(4, 3);
        let group = *dkg[0].group_public_key();
        let certified = |answer: &str| {
            let b = batch(answer);
            let partials: Vec<_> = dkg.iter().take(3).map(|d| sign(d, &b)).collect();
            let sig = byzvote_dkg::threshold::recover(&dkg[0], &partials).expect("3 of 4");
            (b, sig)
        };
        let append =
            |log: &AuditLog, b: &byzvote_core::batch::Batch, sig: &byzvote_dkg::GroupSignature| {
                for (i, record) in b.records.iter().enumerate() {
                    log.append(Body::Certificate {
                        request: record.request.as_ref().try_into().unwrap(),
                        record: HexBytes(record.encode().to_vec()),
                        signature: HexBytes(sig.encode().to_vec()),
                        proof: HexBytes(b.proof(i).unwrap().encode().to_vec()),
                    })
                    .unwrap();
                }
            };
        let path =
            std::env::temp_dir().join(format!("byzvote-audit-sigs-{}.jsonl", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let (log, _) = AuditLog::open(&path).unwrap();
        let good: Vec<_> = ["a", "b", "c"].into_iter().map(certified).collect();
        for (b, sig) in &good {
            append(&log, b, sig);
        }
        let summary = verify_file(&path, &group, &[]).unwrap();
        assert_eq!((summary.certificates, summary.entries), (6, 6));
        // Valid group signatures, over other roots: entries 6 and 7, then 8 and 9.
        append(&log, &batch("y"), &good[0].1);
        append(&log, &batch("z"), &good[1].1);
        match verify_file(&path, &group, &[]) {
            Err(AuditError::Broken { seq: 6, reason }) => {
                assert!(reason.contains("does not verify"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn chain_detects_tampering() {
        let log = AuditLog::memory();
        let mut entries: Vec<Entry> = Vec::new();
        for h in 1..4 {
            let body = block(h);
            let prev = entries.last().map_or([0; 32], |e| e.hash);
            let seq = log.append(body.clone()).unwrap();
            entries.push(Entry {
                seq,
                prev,
                hash: body.hash(&prev),
                body,
            });
        }
        verify_chain(&entries).unwrap();
        let mut tampered = entries.clone();
        if let Body::Block { txs, .. } = &mut tampered[1].body {
            txs[0].0[0] = 9;
        }
        assert!(verify_chain(&tampered).is_err());
        let json = serde_json::to_string(&entries[0]).unwrap();
        let back: Entry = serde_json::from_str(&json).unwrap();
        assert_eq!(back, entries[0]);
    }

    /// A log from before batched certificates (no `proof`) is refused with a message that
    /// says so, not reported as tampered with, and not truncated as a torn tail.
    #[test]
    fn a_log_from_before_batched_certificates_is_refused_with_the_reason() {
        let path =
            std::env::temp_dir().join(format!("byzvote-audit-old-{}.jsonl", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let (log, _) = AuditLog::open(&path).unwrap();
        log.append(block(1)).unwrap();
        log.append(Body::Certificate {
            request: [1; 32],
            record: HexBytes(vec![1]),
            signature: HexBytes(vec![2]),
            proof: HexBytes(vec![3]),
        })
        .unwrap();
        log.append(block(2)).unwrap();
        drop(log);
        // Rewrite the certificate line as the old format wrote it.
        let text = std::fs::read_to_string(&path).unwrap();
        let old: Vec<String> = text
            .lines()
            .map(|l| {
                let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
                if let Some(o) = v.as_object_mut() {
                    o.remove("proof");
                }
                v.to_string()
            })
            .collect();
        std::fs::write(&path, old.join("\n") + "\n").unwrap();
        let err = AuditLog::open(&path)
            .err()
            .expect("an old log opened")
            .to_string();
        let _ = std::fs::remove_file(&path);
        assert!(err.contains("before certificates were batched"), "{err}");
    }
}

/// What [`verify_file`] found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub entries: usize,
    pub blocks: usize,
    pub certificates: usize,
    /// Quick-tier (1-2) decisions, each signed by its serving node.
    pub quick: usize,
}

/// Reads the entries of an audit log file without modifying it or checking the chain. A torn
/// tail (a crash during a flush that never returned) is ignored, as on restart; any other
/// line that is not an entry is an error naming it.
pub fn read_entries(path: &Path) -> Result<Vec<Entry>, AuditError> {
    let mut entries = Vec::new();
    super::journal::read_each(path, |e| {
        entries.push(e);
        Ok::<(), AuditError>(())
    })?;
    Ok(entries)
}

/// Checks an audit log offline: the hash chain, that every certificate's signature
/// verifies under `group_key` over its record, and that every quick-tier decision is signed
/// by its serving node and its members under `participants` (the cluster's sorted identity
/// keys; see `audit_quick`). A torn last line, left by a crash, is ignored as on restart.
/// Reads the file without modifying it.
pub fn verify_file(
    path: &Path,
    group_key: &byzvote_dkg::GroupPublicKey,
    participants: &[crate::chain::types::PublicKey],
) -> Result<Summary, AuditError> {
    let mut summary = Summary::default();
    let mut chain = Chain::default();
    let mut signatures = Signatures::new(group_key);
    // One entry in memory at a time: a node's log holds every decision it made.
    super::journal::read_each(path, |e: Entry| {
        let checked = chain
            .check(&e)
            .and_then(|()| check_entry(&e, participants, &mut signatures));
        match checked {
            Ok(kind) => {
                summary.entries += 1;
                match kind {
                    Kind::Block => summary.blocks += 1,
                    Kind::Quick => summary.quick += 1,
                    Kind::Certificate => summary.certificates += 1,
                }
                Ok(())
            }
            Err(e) => {
                signatures.check()?; // a bad signature earlier in the log is the first error
                Err(e)
            }
        }
    })?;
    signatures.check()?;
    Ok(summary)
}

/// What [`check_entry`] found an entry to be.
enum Kind {
    Block,
    Quick,
    Certificate,
}

/// Checks one entry but for the chain and its certificate's signature, which goes to
/// `signatures` (checked later, with others).
fn check_entry(
    e: &Entry,
    participants: &[crate::chain::types::PublicKey],
    signatures: &mut Signatures<'_>,
) -> Result<Kind, AuditError> {
    use commonware_codec::DecodeExt as _;
    match &e.body {
        Body::Block { .. } => Ok(Kind::Block),
        Body::Quick { .. } => {
            let broken = |reason: String| AuditError::Broken { seq: e.seq, reason };
            if participants.is_empty() {
                return Err(broken(
                    "a quick-tier decision needs the cluster's identity keys to check; \
                     give the node's data directory (with dkg.key)"
                        .into(),
                ));
            }
            super::audit_quick::QuickEntry::from_body(&e.body)
                .map_err(broken)?
                .map(|q| q.check(participants))
                .transpose()
                .map_err(broken)?;
            Ok(Kind::Quick)
        }
        Body::Certificate {
            record,
            signature,
            proof,
            ..
        } => {
            let broken = |reason: &str| AuditError::Broken {
                seq: e.seq,
                reason: reason.to_string(),
            };
            byzvote_core::DecisionRecord::decode(Bytes::from(record.0.clone()))
                .map_err(|_| broken("the certificate's record does not decode"))?;
            let (root, signature) = super::certify::signed_root(&record.0, &signature.0, &proof.0)
                .map_err(|e| broken(&format!("the certificate {e}")))?;
            signatures.add(e.seq, root, signature)?;
            Ok(Kind::Certificate)
        }
    }
}

/// The certificates' signatures, checked in chunks: a batch's certificates share one root and
/// one signature (threshold signatures are unique), so each distinct pair is checked once, and
/// up to [`Signatures::CHUNK`] pairs together for about the cost of one
/// ([`byzvote_dkg::threshold::verify_together`]; one pairing each made `audit verify` of
/// 150,000 votes take almost 4 minutes). Only a chunk that fails is checked pair by pair, to
/// name the first bad entry.
struct Signatures<'a> {
    group: &'a byzvote_dkg::GroupPublicKey,
    /// Fresh randomness for the batch weights: whoever wrote the log cannot predict it.
    salt: [u8; 32],
    checked: std::collections::HashSet<(byzvote_core::Digest, Vec<u8>)>,
    /// Pairs not checked yet, with the first entry that carries each.
    pending: Vec<(u64, byzvote_core::Digest, byzvote_dkg::GroupSignature)>,
}

impl<'a> Signatures<'a> {
    const CHUNK: usize = 1024;

    fn new(group: &'a byzvote_dkg::GroupPublicKey) -> Self {
        Self {
            group,
            salt: rand::random(),
            checked: Default::default(),
            pending: Vec::new(),
        }
    }

    fn add(
        &mut self,
        seq: u64,
        root: byzvote_core::Digest,
        signature: byzvote_dkg::GroupSignature,
    ) -> Result<(), AuditError> {
        use commonware_codec::Encode as _;
        if self.checked.insert((root, signature.encode().to_vec())) {
            self.pending.push((seq, root, signature));
        }
        if self.pending.len() >= Self::CHUNK {
            self.check()?;
        }
        Ok(())
    }

    /// Checks the pending pairs; the first bad one (in log order) is the error.
    fn check(&mut self) -> Result<(), AuditError> {
        use commonware_codec::Encode as _;
        use commonware_cryptography::{Hasher as _, Sha256};
        let pending = std::mem::take(&mut self.pending);
        let items: Vec<(&[u8], byzvote_dkg::GroupSignature)> = pending
            .iter()
            .map(|(_, root, sig)| (root.as_ref(), *sig))
            .collect();
        let mut h = Sha256::default();
        h.update(&self.salt);
        for (root, sig) in &items {
            h.update(root).update(&sig.encode());
        }
        let (_, digest) = h.finalize();
        let seed: [u8; 32] = digest.as_ref().try_into().unwrap_or_default();
        let namespace = byzvote_core::namespace::BYZVOTE_DECISION;
        if byzvote_dkg::threshold::verify_together(self.group, namespace, &items, seed) {
            return Ok(());
        }
        for (seq, root, sig) in &pending {
            if !byzvote_dkg::threshold::verify(self.group, namespace, root.as_ref(), sig) {
                return Err(AuditError::Broken {
                    seq: *seq,
                    reason: format!(
                        "the certificate {}",
                        super::certify::CertificateError::Invalid
                    ),
                });
            }
        }
        Ok(())
    }
}
