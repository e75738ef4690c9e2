//! Charge transactions: a node's signed claim that it answered a request for a client key and
//! what the answer cost, so a key's budget holds across the whole cluster (DESIGN.md §1, issue 6).
//!
//! Client API keys are checked by the node a client talks to; before this, each node counted a
//! key's spend on its own, so a client could spend `n` budgets by spreading its requests over
//! the `n` nodes. Now the serving node, once it has answered, signs
//!
//! ```text
//! key (32: SHA-256 of the client's API key) | request (32) | member (4, BE)
//! | cost in micro-dollars (8, BE) | height (8, BE: the signer's last finalized height)
//! | signature (64, ed25519 over BYZVOTE_CHARGE)
//! ```
//!
//! and submits it as transaction tag 7. Once ordered, every node adds it to the same pure
//! ledger ([`super::spend::Charges`]), and each node admits a key's request only while the
//! ordered spend plus its own charges not ordered yet stay under the key's budget
//! ([`super::ledger::Ledger`]). Trust model and its bounds: see [`super::spend`].

use crate::chain::types::{PrivateKey, PublicKey};
use bytes::{Buf as _, BufMut as _, Bytes};
use byzvote_core::{Digest, MemberId};
use commonware_codec::{DecodeExt as _, Encode as _, FixedSize as _};
use commonware_cryptography::{Signer as _, Verifier as _, ed25519};

const NAMESPACE: &[u8] = b"_BYZVOTE_CHARGE";

/// The SHA-256 of a client API key (what the nodes store; never the key itself).
pub type KeyHash = [u8; 32];

/// Length of the signed body.
const BODY: usize = 32 + 32 + 4 + 8 + 8;

/// A node's claim: request `request`, answered through member `member` for key `key`, cost
/// `cost_micro_usd`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Charge {
    pub key: KeyHash,
    pub request: Digest,
    /// The serving node (and signer).
    pub member: MemberId,
    pub cost_micro_usd: u64,
    /// The signer's last finalized height when it signed: a charge is only counted within
    /// [`super::spend::WINDOW`] blocks of it, so an old charge gossiped again is refused and
    /// the ledger need not remember request ids forever.
    pub height: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedCharge {
    pub charge: Charge,
    pub signature: ed25519::Signature,
}

impl Charge {
    fn body(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(BODY);
        out.extend_from_slice(&self.key);
        out.extend_from_slice(self.request.as_ref());
        out.put_u32(self.member);
        out.put_u64(self.cost_micro_usd);
        out.put_u64(self.height);
        out
    }

    pub fn sign(self, key: &PrivateKey) -> SignedCharge {
        let signature = key.sign(NAMESPACE, &self.body());
        SignedCharge {
            charge: self,
            signature,
        }
    }
}

impl SignedCharge {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = self.charge.body();
        out.extend_from_slice(&self.signature.encode());
        out
    }

    /// Decodes; `None` for anything malformed (peer input never panics).
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != BODY + ed25519::Signature::SIZE {
            return None;
        }
        let (key, rest) = bytes.split_at(32);
        let (request, mut rest) = rest.split_at(32);
        let key: KeyHash = key.try_into().ok()?;
        let request = Digest::decode(Bytes::copy_from_slice(request)).ok()?;
        let member = rest.get_u32();
        let cost_micro_usd = rest.get_u64();
        let height = rest.get_u64();
        let signature = ed25519::Signature::decode(Bytes::copy_from_slice(rest)).ok()?;
        Some(Self {
            charge: Charge {
                key,
                request,
                member,
                cost_micro_usd,
                height,
            },
            signature,
        })
    }

    pub fn verify(&self, key: &PublicKey) -> bool {
        let (namespace, message, signature) = self.signed_parts();
        key.verify(namespace, &message, signature)
    }

    /// What the signature covers — namespace and message — and the signature: what
    /// [`Self::verify`] checks, for checking many signatures together.
    pub fn signed_parts(&self) -> (&'static [u8], Vec<u8>, &ed25519::Signature) {
        (NAMESPACE, self.charge.body(), &self.signature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn charge() -> Charge {
        Charge {
            key: [7; 32],
            request: Digest::from([9; 32]),
            member: 2,
            cost_micro_usd: 1_500,
            height: 42,
        }
    }

    #[test]
    fn roundtrip_and_only_the_named_member_signs() {
        let keys: Vec<_> = (0..4).map(ed25519::PrivateKey::from_seed).collect();
        let signed = charge().sign(&keys[2]);
        let bytes = signed.encode();
        assert_eq!(bytes.len(), 148);
        let back = SignedCharge::decode(&bytes).unwrap();
        assert_eq!(back, signed);
        assert!(back.verify(&keys[2].public_key()));
        assert!(!back.verify(&keys[1].public_key()));
        // Any change to the claim breaks the signature.
        let mut more = back.clone();
        more.charge.cost_micro_usd += 1;
        assert!(!more.verify(&keys[2].public_key()));
    }

    #[test]
    fn wrong_lengths_do_not_decode() {
        let bytes = charge().sign(&ed25519::PrivateKey::from_seed(0)).encode();
        assert!(SignedCharge::decode(&bytes[..bytes.len() - 1]).is_none());
        let mut long = bytes.clone();
        long.push(0);
        assert!(SignedCharge::decode(&long).is_none());
        assert!(SignedCharge::decode(&[]).is_none());
    }
}
