//! A member's commits, reveals and reports signed together: one identity signature for all
//! a node says at one moment, instead of one for each.
//!
//! A loaded node makes a commit for every vote its model answered and a reveal and a report
//! for every vote whose commitment set closed, many of them at once (a block closes many
//! votes); every peer then checks each signature. With one signature each, ed25519 was about
//! 30% of a loaded node's CPU. The executor now collects what it says while it works through
//! a burst of messages and signs it as one bundle before it syncs and sends (see
//! `Executor::seal`); at one vote at a time a bundle holds one commit, or one reveal and its
//! report, as before.
//!
//! ```text
//! member (4, BE) | count (2, BE, >= 1) | count × ( kind (1) | len (4, BE) | body )
//! | signature (64, ed25519 under BYZVOTE_BUNDLE over every byte before it)
//!   kind 1 = commit (byzvote_core::Commit encoding)
//!   kind 2 = reveal (byzvote_core::Reveal encoding)
//!   kind 3 = report (the body of a member's report, see [`super::meta`])
//! ```
//!
//! Every item names the bundle's member; a bundle that does not decode exactly is refused
//! whole. Evidence stays attributable: two conflicting commits, or a reveal that does not
//! open a commit, are each under the member's signature, in the bundles the audit log keeps.

use super::meta::Meta;
use super::tx::{COMMIT, META, REVEAL};
use crate::chain::types::{PrivateKey, PublicKey};
use bytes::{Buf as _, BufMut as _, Bytes};
use byzvote_core::{Commit, Digest, MemberId, Reveal, namespace::BYZVOTE_BUNDLE};
use commonware_codec::{DecodeExt as _, Encode as _, EncodeSize as _, FixedSize as _};
use commonware_cryptography::{Signer as _, Verifier as _, ed25519};

/// What a bundle carries: a member's commit, reveal or report.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    Commit(Commit),
    Reveal(Reveal),
    Meta(Meta),
}

impl Item {
    /// The transaction kind this item is (`COMMIT`, `REVEAL` or `META` of [`super::tx`]).
    pub fn kind(&self) -> u8 {
        match self {
            Item::Commit(_) => COMMIT,
            Item::Reveal(_) => REVEAL,
            Item::Meta(_) => META,
        }
    }

    /// The vote it is about.
    pub fn request(&self) -> Digest {
        match self {
            Item::Commit(c) => c.request,
            Item::Reveal(r) => r.request,
            Item::Meta(m) => m.request,
        }
    }

    /// The member it is by.
    pub fn member(&self) -> MemberId {
        match self {
            Item::Commit(c) => c.member,
            Item::Reveal(r) => r.member,
            Item::Meta(m) => m.member,
        }
    }

    /// The length of [`Self::body`], without encoding it.
    fn body_len(&self) -> usize {
        match self {
            Item::Commit(_) => Commit::SIZE,
            Item::Reveal(r) => r.encode_size(),
            Item::Meta(m) => m.body_len(),
        }
    }

    fn body(&self) -> Vec<u8> {
        match self {
            Item::Commit(c) => c.encode().to_vec(),
            Item::Reveal(r) => r.encode().to_vec(),
            Item::Meta(m) => m.body(),
        }
    }

    fn read(kind: u8, body: &[u8]) -> Option<Self> {
        match kind {
            COMMIT => Commit::decode(Bytes::copy_from_slice(body))
                .ok()
                .map(Item::Commit),
            REVEAL => Reveal::decode(Bytes::copy_from_slice(body))
                .ok()
                .map(Item::Reveal),
            META => match Meta::read_body(body)? {
                (meta, used) if used == body.len() => Some(Item::Meta(meta)),
                _ => None,
            },
            _ => None,
        }
    }
}

/// Bytes an item adds to a bundle besides its body: kind and length.
const ITEM_HEADER: usize = 1 + 4;
/// Bytes of a bundle besides its items: member, count and signature.
const OVERHEAD: usize = 4 + 2 + ed25519::Signature::SIZE;
/// A bundle the executor makes is at most this long (every item fits: a reveal is at most
/// 64 KiB), well inside a block's 256 KiB per transaction.
pub const MAX_BYTES: usize = 128 * 1024;

/// A member's items, signed together.
#[derive(Clone, Debug, PartialEq)]
pub struct SignedBundle {
    pub member: MemberId,
    pub items: Vec<Item>,
    pub signature: ed25519::Signature,
}

impl SignedBundle {
    /// Signs `items` (at least one, each by `member`) with `key`, `member`'s identity key.
    pub fn sign(member: MemberId, items: Vec<Item>, key: &PrivateKey) -> Self {
        debug_assert!(!items.is_empty() && items.iter().all(|i| i.member() == member));
        let signature = key.sign(BYZVOTE_BUNDLE, &signed_message(member, &items));
        Self {
            member,
            items,
            signature,
        }
    }

    /// Splits `items` (each by `member`, in order) into bundles of at most [`MAX_BYTES`] and
    /// signs each.
    pub fn seal(member: MemberId, items: Vec<Item>, key: &PrivateKey) -> Vec<Self> {
        let mut bundles = Vec::new();
        let mut current = Vec::new();
        let mut size = OVERHEAD;
        for item in items {
            let len = ITEM_HEADER + item.body_len();
            if !current.is_empty()
                && (size + len > MAX_BYTES || current.len() == usize::from(u16::MAX))
            {
                bundles.push(Self::sign(member, std::mem::take(&mut current), key));
                size = OVERHEAD;
            }
            size += len;
            current.push(item);
        }
        if !current.is_empty() {
            bundles.push(Self::sign(member, current, key));
        }
        bundles
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = signed_message(self.member, &self.items);
        out.extend_from_slice(&self.signature.encode());
        out
    }

    /// Decodes; `None` for anything malformed: no items, an item that does not decode
    /// exactly or names another member, or bytes left over.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let mut buf = bytes;
        if buf.len() < OVERHEAD {
            return None;
        }
        let member = buf.get_u32();
        let count = buf.get_u16();
        if count == 0 {
            return None;
        }
        let mut items = Vec::with_capacity(usize::from(count).min(1024));
        for _ in 0..count {
            if buf.len() < ITEM_HEADER {
                return None;
            }
            let kind = buf.get_u8();
            let len = usize::try_from(buf.get_u32()).ok()?;
            if buf.len() < len {
                return None;
            }
            let item = Item::read(kind, &buf[..len])?;
            if item.member() != member {
                return None;
            }
            items.push(item);
            buf.advance(len);
        }
        if buf.len() != ed25519::Signature::SIZE {
            return None;
        }
        let signature = ed25519::Signature::decode(Bytes::copy_from_slice(buf)).ok()?;
        Some(Self {
            member,
            items,
            signature,
        })
    }

    /// Whether the signature is `key`'s. The caller checks that `key` is the member's.
    pub fn verify(&self, key: &PublicKey) -> bool {
        let (namespace, message, signature) = self.signed_parts();
        key.verify(namespace, &message, signature)
    }

    /// What the signature covers — namespace and message — and the signature: what
    /// [`Self::verify`] checks, for checking many signatures together.
    pub fn signed_parts(&self) -> (&'static [u8], Vec<u8>, &ed25519::Signature) {
        (
            BYZVOTE_BUNDLE,
            signed_message(self.member, &self.items),
            &self.signature,
        )
    }
}

/// Every byte of a bundle before its signature.
fn signed_message(member: MemberId, items: &[Item]) -> Vec<u8> {
    let bodies: Vec<Vec<u8>> = items.iter().map(Item::body).collect();
    let len = 6 + bodies.iter().map(|b| ITEM_HEADER + b.len()).sum::<usize>();
    let mut out = Vec::with_capacity(len + ed25519::Signature::SIZE);
    out.put_u32(member);
    out.put_u16(u16::try_from(items.len()).unwrap_or(u16::MAX));
    for (item, body) in items.iter().zip(bodies) {
        out.put_u8(item.kind());
        out.put_u32(u32::try_from(body.len()).unwrap_or(u32::MAX));
        out.extend_from_slice(&body);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use byzvote_core::{Canonical, Salt};
    use commonware_cryptography::{Hasher as _, Sha256};

    fn items(member: MemberId, answer: &str) -> Vec<Item> {
        let request = Sha256::hash(&[answer.as_bytes()]);
        let reveal = Reveal {
            request,
            member,
            canonical: Canonical(answer.into()),
            salt: Salt([member as u8; 32]),
        };
        let meta = Meta {
            request,
            member,
            latency_ms: 12,
            prompt_tokens: 3,
            completion_tokens: 1,
            cost_micro_usd: 7,
            confidence_bp: Some(9_000),
            model: "m".into(),
        };
        vec![
            Item::Commit(reveal.commit()),
            Item::Reveal(reveal),
            Item::Meta(meta),
        ]
    }

    #[test]
    fn round_trips_and_only_the_members_key_signs_it() {
        let key = ed25519::PrivateKey::from_seed(1);
        let other = ed25519::PrivateKey::from_seed(2);
        let bundle = SignedBundle::sign(2, items(2, "paris"), &key);
        let bytes = bundle.encode();
        let decoded = SignedBundle::decode(&bytes).expect("decodes");
        assert_eq!(decoded, bundle);
        assert!(decoded.verify(&key.public_key()));
        assert!(!decoded.verify(&other.public_key()));
        // Any changed byte before the signature breaks it (or the decoding).
        for i in 0..bytes.len() - ed25519::Signature::SIZE {
            let mut changed = bytes.clone();
            changed[i] ^= 1;
            assert!(
                SignedBundle::decode(&changed).is_none_or(|b| !b.verify(&key.public_key())),
                "byte {i}"
            );
        }
    }

    #[test]
    fn an_items_length_is_its_bodys() {
        let mut all = items(1, "x");
        if let Item::Meta(m) = &mut all[2] {
            m.model = "é".repeat(200); // clipped on the wire
        }
        for item in &all {
            assert_eq!(item.body_len(), item.body().len(), "{item:?}");
        }
    }

    #[test]
    fn malformed_bundles_are_refused_whole() {
        let key = ed25519::PrivateKey::from_seed(1);
        let good = SignedBundle::sign(1, items(1, "x"), &key).encode();
        // Truncated anywhere, or with a byte too many.
        for len in 0..good.len() {
            assert!(SignedBundle::decode(&good[..len]).is_none(), "{len}");
        }
        let mut longer = good.clone();
        longer.push(0);
        assert!(SignedBundle::decode(&longer).is_none());
        // An item by another member.
        let mut mixed = items(1, "x");
        mixed.extend(items(3, "y"));
        let forged = SignedBundle {
            member: 1,
            signature: key.sign(BYZVOTE_BUNDLE, &signed_message(1, &mixed)),
            items: mixed,
        };
        assert!(SignedBundle::decode(&forged.encode()).is_none());
        // No items; an unknown kind.
        let empty = SignedBundle {
            member: 1,
            items: Vec::new(),
            signature: key.sign(BYZVOTE_BUNDLE, &signed_message(1, &[])),
        };
        assert!(SignedBundle::decode(&empty.encode()).is_none());
        let mut unknown = good.clone();
        unknown[6] = 9;
        assert!(SignedBundle::decode(&unknown).is_none());
        // An item whose length claims more, or less, than its body.
        let mut short = good;
        short[10] ^= 1;
        assert!(SignedBundle::decode(&short).is_none());
    }

    #[test]
    fn sealing_splits_at_the_size_bound_and_keeps_the_order() {
        let key = ed25519::PrivateKey::from_seed(1);
        let big = |i: usize| {
            let mut item = items(0, &format!("{i}"))[1].clone();
            if let Item::Reveal(r) = &mut item {
                r.canonical = Canonical(format!("{i}").repeat(40_000 / format!("{i}").len()));
            }
            item
        };
        let all: Vec<Item> = (0..7).map(big).collect();
        let bundles = SignedBundle::seal(0, all.clone(), &key);
        assert!(bundles.len() >= 3, "{} bundles", bundles.len());
        for b in &bundles {
            assert!(b.encode().len() <= MAX_BYTES);
            assert!(b.verify(&key.public_key()));
        }
        let resealed: Vec<Item> = bundles.into_iter().flat_map(|b| b.items).collect();
        assert_eq!(resealed, all);
        // The longest reveal fits with others, and the bound splits after it.
        let mut longest = big(1);
        if let Item::Reveal(r) = &mut longest {
            r.canonical = Canonical("z".repeat(byzvote_core::MAX_CANONICAL));
        }
        let bundles = SignedBundle::seal(0, vec![big(2), longest.clone(), big(3)], &key);
        assert_eq!(bundles.len(), 2);
        assert_eq!(bundles[0].items, vec![big(2), longest]);
        assert!(SignedBundle::seal(0, Vec::new(), &key).is_empty());
    }
}
