//! Batches of decision records: the cluster signs once per finalized block, not once per vote.
//!
//! Every decision a finalized block makes (the same list, in the same order, on every node:
//! decisions are a pure function of finalized state) goes into one binary Merkle tree,
//! Commonware's BMT over SHA-256, and the group's threshold signature is over its root. A
//! vote's certificate is that signature plus its record's inclusion [`Proof`]. Under load a
//! block decides dozens of votes, and the BLS work (partial signing, recovery, checking) is
//! paid once for all of them.
//!
//! # The tree (what an independent verifier recomputes)
//!
//! ```text
//! leaf_i  = sha256(u32_be(i) ‖ sha256(record_bytes_i))       i = 0..n, in decision order
//! node    = sha256(left ‖ right)           an odd level's last node is paired with itself
//! root    = sha256(u32_be(n) ‖ top)                            binds the count of leaves
//! signed  = varint(len(BYZVOTE_DECISION)) ‖ BYZVOTE_DECISION ‖ root
//! ```
//!
//! A [`Proof`] holds the root, the leaf's index, the number of leaves and the siblings from
//! the leaf up (a leaf with no sibling on its level consumes none).

use crate::Digest;
use crate::record::DecisionRecord;
use bytes::BufMut;
use commonware_codec::{
    Buf, Encode as _, EncodeSize, Error as CodecError, RangeCfg, Read, ReadExt as _, Write,
};
use commonware_cryptography::{Hasher as _, Sha256};

/// At most this many siblings in a proof: a batch holds fewer than 2^32 records.
pub const MAX_SIBLINGS: usize = 32;

/// That one record is in the batch whose root the group signed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proof {
    /// The batch's root (the message the group signed, after the namespace framing).
    pub root: Digest,
    /// The record's position in the batch (decision order), from 0.
    pub index: u32,
    /// The number of records in the batch.
    pub leaves: u32,
    /// The sibling digests from the leaf up.
    pub siblings: Vec<Digest>,
}

impl Proof {
    /// Whether `record_bytes` is leaf [`Proof::index`] of a tree of [`Proof::leaves`] leaves
    /// with root [`Proof::root`].
    pub fn includes(&self, record_bytes: &[u8]) -> bool {
        let proof = commonware_storage::bmt::Proof {
            leaf_count: self.leaves,
            siblings: self.siblings.clone(),
        };
        proof
            .verify_element_inclusion::<Sha256>(
                &Sha256::hash(&[record_bytes]),
                self.index,
                &self.root,
            )
            .is_ok()
    }
}

impl Write for Proof {
    fn write(&self, buf: &mut impl BufMut) {
        self.root.write(buf);
        self.index.write(buf);
        self.leaves.write(buf);
        self.siblings.write(buf);
    }
}

impl EncodeSize for Proof {
    fn encode_size(&self) -> usize {
        self.root.encode_size()
            + self.index.encode_size()
            + self.leaves.encode_size()
            + self.siblings.encode_size()
    }
}

impl Read for Proof {
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        let root = Digest::read(buf)?;
        let index = u32::read(buf)?;
        let leaves = u32::read(buf)?;
        let siblings = Vec::<Digest>::read_cfg(buf, &(RangeCfg::from(0..=MAX_SIBLINGS), ()))?;
        Ok(Self {
            root,
            index,
            leaves,
            siblings,
        })
    }
}

/// The decisions of one finalized block and their tree.
#[derive(Clone, Debug)]
pub struct Batch {
    /// The records, in decision order.
    pub records: Vec<DecisionRecord>,
    tree: commonware_storage::bmt::Tree<Digest>,
}

impl Batch {
    /// The batch of `records` (in the order the state decided them).
    pub fn new(records: Vec<DecisionRecord>) -> Self {
        let mut builder = commonware_storage::bmt::Builder::<Sha256>::new(records.len());
        for r in &records {
            builder.add(&Sha256::hash(&[&r.encode()]));
        }
        Self {
            records,
            tree: builder.build(),
        }
    }

    /// The root the group signs.
    pub fn root(&self) -> Digest {
        self.tree.root()
    }

    /// The inclusion proof of record `index`; `None` past the end.
    pub fn proof(&self, index: usize) -> Option<Proof> {
        let index = u32::try_from(index).ok()?;
        if index as usize >= self.records.len() {
            return None;
        }
        let proof = self.tree.proof(index).ok()?;
        Some(Proof {
            root: self.root(),
            index,
            leaves: proof.leaf_count,
            siblings: proof.siblings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_codec::DecodeExt as _;

    fn record(height: u64, answer: &str) -> DecisionRecord {
        DecisionRecord {
            request: Sha256::hash(&[answer.as_bytes()]),
            tier: 3,
            mode: crate::Mode::Exact,
            committee: vec![0, 1, 2, 3],
            outcome: crate::OutcomeKind::Agreed,
            answer: Some(answer.into()),
            answer_digest: Some(crate::answer_digest(answer)),
            supporters: vec![0, 1, 2],
            dissenters: vec![],
            silent: vec![3],
            height,
            epoch: 0,
            aggregation: None,
            cosines: None,
            pick: None,
        }
    }

    #[test]
    fn every_record_of_a_batch_is_proven_and_no_other() {
        for n in [1usize, 2, 3, 5, 8, 13] {
            let records: Vec<_> = (0..n).map(|i| record(7, &format!("answer {i}"))).collect();
            let batch = Batch::new(records.clone());
            assert!(batch.proof(n).is_none());
            for (i, r) in records.iter().enumerate() {
                let p = batch.proof(i).unwrap();
                assert_eq!(
                    (p.root, p.index, p.leaves),
                    (batch.root(), i as u32, n as u32)
                );
                assert!(p.includes(&r.encode()), "n={n} i={i}");
                // Through the codec, as it travels in the audit log.
                let back = Proof::decode(p.encode()).unwrap();
                assert_eq!(back, p);
                // Another record, another position, another count: refused.
                assert!(!p.includes(&record(7, "forged").encode()));
                let mut moved = p.clone();
                moved.index = (moved.index + 1) % n as u32;
                if n > 1 {
                    assert!(!moved.includes(&r.encode()), "n={n} i={i} moved");
                }
                let mut recount = p.clone();
                recount.leaves += 1;
                assert!(!recount.includes(&r.encode()));
            }
        }
    }

    /// The tree is the one the module doc describes (what CERTIFICATE.md tells verifiers).
    #[test]
    fn the_root_is_the_documented_construction() {
        let h = |parts: &[&[u8]]| {
            let mut s = Sha256::default();
            for p in parts {
                s.update(p);
            }
            s.finalize().1
        };
        let records: Vec<_> = (0..3).map(|i| record(9, &format!("r{i}"))).collect();
        let leaf = |i: u32| {
            h(&[
                &i.to_be_bytes(),
                h(&[&records[i as usize].encode()]).as_ref(),
            ])
        };
        let (l0, l1, l2) = (leaf(0), leaf(1), leaf(2));
        let top = h(&[
            h(&[l0.as_ref(), l1.as_ref()]).as_ref(),
            h(&[l2.as_ref(), l2.as_ref()]).as_ref(),
        ]);
        let root = h(&[&3u32.to_be_bytes(), top.as_ref()]);
        assert_eq!(Batch::new(records.clone()).root(), root);
        let one = Batch::new(records[..1].to_vec());
        assert_eq!(one.root(), h(&[&1u32.to_be_bytes(), l0.as_ref()]));
        assert!(one.proof(0).unwrap().siblings.is_empty());
    }

    #[test]
    fn a_proof_with_too_many_siblings_does_not_decode() {
        let p = Proof {
            root: Sha256::hash(&[b"r"]),
            index: 0,
            leaves: 1,
            siblings: vec![Sha256::hash(&[b"s"]); MAX_SIBLINGS + 1],
        };
        assert!(Proof::decode(p.encode()).is_err());
    }
}
