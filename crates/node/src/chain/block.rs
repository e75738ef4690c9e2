//! The block: an ordered batch of opaque transactions.
//!
//! The consensus layer does not interpret transactions; it only bounds their number and
//! size. The protocol layer ([`crate::protocol`]) decodes and checks them. Encoding:
//!
//! ```text
//! parent (32) | height (varint) | timestamp_ms (varint) | tx count (varint) | (len (varint) | tx bytes)*
//! ```
//!
//! The digest is `sha256(BYZVOTE_BLOCK ‖ encoding)`, computed once when the block is built
//! or decoded.

use bytes::BufMut;
use bytes::Bytes;
use commonware_codec::{Buf, EncodeSize, Error, RangeCfg, Read, ReadExt, Write, varint::UInt};
use commonware_consensus::{Heightable, types::Height};
use commonware_cryptography::{Digestible, Hasher, Sha256, sha256::Digest};

/// Domain tag of block digests.
const NAMESPACE: &[u8] = b"BYZVOTE_BLOCK";

/// Limits on what a peer may put in a block.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_txs: usize,
    pub max_tx_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_txs: 4096,
            max_tx_bytes: 256 * 1024,
        }
    }
}

/// A block of transactions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    pub parent: Digest,
    pub height: Height,
    /// The proposer's clock in milliseconds since the Unix epoch; strictly increasing along
    /// the chain and checked against each validator's clock (see [`super::app`]).
    pub timestamp_ms: u64,
    pub txs: Vec<Bytes>,
    digest: Digest,
}

impl Block {
    pub fn new(parent: Digest, height: Height, timestamp_ms: u64, txs: Vec<Bytes>) -> Self {
        let mut block = Self {
            parent,
            height,
            timestamp_ms,
            txs,
            digest: parent,
        };
        block.digest = block.compute_digest();
        block
    }

    /// The genesis block every node starts from.
    pub fn genesis() -> Self {
        Self::new(
            Sha256::hash(&[b"byzvote genesis"]),
            Height::zero(),
            0,
            Vec::new(),
        )
    }

    /// The digest of [`Block::genesis`].
    pub fn genesis_digest() -> Digest {
        Self::genesis().digest()
    }

    fn compute_digest(&self) -> Digest {
        let mut buf = Vec::with_capacity(self.encode_size());
        self.write(&mut buf);
        Sha256::hash(&[NAMESPACE, &buf])
    }
}

impl Write for Block {
    fn write(&self, writer: &mut impl BufMut) {
        self.parent.write(writer);
        self.height.write(writer);
        UInt(self.timestamp_ms).write(writer);
        self.txs.write(writer);
    }
}

impl EncodeSize for Block {
    fn encode_size(&self) -> usize {
        self.parent.encode_size()
            + self.height.encode_size()
            + UInt(self.timestamp_ms).encode_size()
            + self.txs.encode_size()
    }
}

impl Read for Block {
    type Cfg = Limits;

    fn read_cfg(reader: &mut impl Buf, cfg: &Limits) -> Result<Self, Error> {
        let parent = Digest::read(reader)?;
        let height = Height::read(reader)?;
        let timestamp_ms = UInt::<u64>::read(reader)?.0;
        let txs = Vec::<Bytes>::read_cfg(
            reader,
            &(
                RangeCfg::new(0..=cfg.max_txs),
                RangeCfg::new(1..=cfg.max_tx_bytes),
            ),
        )?;
        Ok(Self::new(parent, height, timestamp_ms, txs))
    }
}

impl Digestible for Block {
    type Digest = Digest;

    fn digest(&self) -> Digest {
        self.digest
    }
}

impl Heightable for Block {
    fn height(&self) -> Height {
        self.height
    }
}

impl commonware_consensus::Block for Block {
    fn parent(&self) -> Digest {
        self.parent
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_codec::{Decode as _, Encode as _};

    #[test]
    fn roundtrip_keeps_digest() {
        let block = Block::new(
            Block::genesis().digest(),
            Height::new(1),
            42,
            vec![Bytes::from_static(b"a"), Bytes::from_static(b"bc")],
        );
        let bytes = block.encode();
        let decoded = Block::decode_cfg(bytes.clone(), &Limits::default()).unwrap();
        assert_eq!(decoded, block);
        assert_eq!(decoded.digest(), block.digest());
    }

    #[test]
    fn oversized_tx_is_rejected() {
        let block = Block::new(
            Block::genesis().digest(),
            Height::new(1),
            1,
            vec![Bytes::from(vec![0u8; 10])],
        );
        let bytes = block.encode();
        let limits = Limits {
            max_txs: 4,
            max_tx_bytes: 9,
        };
        assert!(Block::decode_cfg(bytes, &limits).is_err());
    }
}
