//! A member's report on its own model call: which model, how long, how many tokens, what
//! it cost. Signed by the member and ordered like any transaction, so every node shows the
//! same vote breakdown; it is the member's own claim, not part of the commitment.
//!
//! ```text
//! request (32) | member (4, BE) | latency_ms (8, BE) | prompt_tokens (4, BE)
//! | completion_tokens (4, BE) | cost in micro-dollars (8, BE)
//! | confidence in basis points (2, BE; 0..=10000, 0xFFFF = none) | model len (2, BE) | model
//! | signature (64, ed25519 over BYZVOTE_META)
//! ```
//!
//! The confidence is the model's own, when its backend gives one (the built-in models: the
//! geometric mean of their chosen tokens' probabilities); it is a claim like the rest.

use crate::chain::types::{PrivateKey, PublicKey};
use bytes::{Buf as _, BufMut as _, Bytes};
use byzvote_core::{Digest, MemberId};
use byzvote_models::Completion;
use commonware_codec::{DecodeExt as _, Encode as _, FixedSize as _};
use commonware_cryptography::{Signer as _, Verifier as _, ed25519};

const NAMESPACE: &[u8] = b"_BYZVOTE_META";
/// Longest model name accepted from a peer.
const MAX_MODEL: usize = 256;

/// The longest prefix of `name` of at most `MAX_MODEL` (256) bytes that ends on a character
/// boundary: what the wire carries of a model name (a longer name was once encoded with its
/// full length and no bytes, a transaction every peer refused — found by fuzzing).
pub fn clip_model(name: &str) -> &str {
    let mut end = name.len().min(MAX_MODEL);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

#[derive(Clone, Debug, PartialEq)]
pub struct Meta {
    pub request: Digest,
    pub member: MemberId,
    pub latency_ms: u64,
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
    pub cost_micro_usd: u64,
    /// The model's confidence in basis points (0..=10000), when it reported one.
    pub confidence_bp: Option<u16>,
    pub model: String,
}

/// Bytes of a body before the model's name.
const HEADER: usize = 32 + 4 + 8 + 4 + 4 + 8 + 2 + 2;

/// Wire value of "no confidence".
const NO_CONFIDENCE: u16 = u16::MAX;

#[derive(Clone, Debug, PartialEq)]
pub struct SignedMeta {
    pub meta: Meta,
    pub signature: ed25519::Signature,
}

impl Meta {
    /// A member's report on a completed model call costing `cost_usd`.
    pub fn of(request: Digest, member: MemberId, c: &Completion, cost_usd: f64) -> Self {
        Self {
            request,
            member,
            latency_ms: u64::try_from(c.latency.as_millis()).unwrap_or(u64::MAX),
            prompt_tokens: c.usage.prompt_tokens,
            completion_tokens: c.usage.completion_tokens,
            cost_micro_usd: (cost_usd * 1e6).round() as u64,
            confidence_bp: c
                .confidence
                .filter(|x| x.is_finite())
                .map(|x| (x.clamp(0.0, 1.0) * 10_000.0).round() as u16),
            model: c.model.clone(),
        }
    }

    /// A member's report when its model call failed: only the model's name.
    pub fn failed(request: Digest, member: MemberId, model: String) -> Self {
        Self {
            request,
            member,
            latency_ms: 0,
            prompt_tokens: 0,
            completion_tokens: 0,
            cost_micro_usd: 0,
            confidence_bp: None,
            model,
        }
    }

    /// The confidence in [0, 1], when reported.
    pub fn confidence(&self) -> Option<f64> {
        self.confidence_bp.map(|bp| f64::from(bp) / 10_000.0)
    }

    /// Reads a body from the front of `bytes`: the meta and how many bytes it took; `None`
    /// for anything malformed (the one parser of this layout: signed metas and quick answers
    /// both embed it).
    pub(crate) fn read_body(bytes: &[u8]) -> Option<(Self, usize)> {
        let mut buf = bytes;
        if buf.len() < HEADER {
            return None;
        }
        let request = Digest::decode(Bytes::copy_from_slice(&buf[..32])).ok()?;
        buf.advance(32);
        let member = buf.get_u32();
        let latency_ms = buf.get_u64();
        let prompt_tokens = buf.get_u32();
        let completion_tokens = buf.get_u32();
        let cost_micro_usd = buf.get_u64();
        let confidence_bp = match buf.get_u16() {
            NO_CONFIDENCE => None,
            bp if bp <= 10_000 => Some(bp),
            _ => return None,
        };
        let len = usize::from(buf.get_u16());
        if len > MAX_MODEL || buf.len() < len {
            return None;
        }
        let model = String::from_utf8(buf[..len].to_vec()).ok()?;
        buf.advance(len);
        let meta = Meta {
            request,
            member,
            latency_ms,
            prompt_tokens,
            completion_tokens,
            cost_micro_usd,
            confidence_bp,
            model,
        };
        Some((meta, bytes.len() - buf.len()))
    }

    /// The length of [`Self::body`], without encoding it.
    pub(crate) fn body_len(&self) -> usize {
        HEADER + clip_model(&self.model).len()
    }

    pub(crate) fn body(&self) -> Vec<u8> {
        let model = clip_model(&self.model).as_bytes();
        let mut out = Vec::with_capacity(64 + model.len());
        out.extend_from_slice(self.request.as_ref());
        out.put_u32(self.member);
        out.put_u64(self.latency_ms);
        out.put_u32(self.prompt_tokens);
        out.put_u32(self.completion_tokens);
        out.put_u64(self.cost_micro_usd);
        out.put_u16(self.confidence_bp.unwrap_or(NO_CONFIDENCE));
        out.put_u16(model.len() as u16); // at most MAX_MODEL
        out.extend_from_slice(model);
        out
    }

    pub fn sign(self, key: &PrivateKey) -> SignedMeta {
        let signature = key.sign(NAMESPACE, &self.body());
        SignedMeta {
            meta: self,
            signature,
        }
    }
}

impl SignedMeta {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = self.meta.body();
        out.extend_from_slice(&self.signature.encode());
        out
    }

    /// Decodes; `None` for anything malformed.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let (meta, used) = Meta::read_body(bytes)?;
        let rest = &bytes[used..];
        if rest.len() != ed25519::Signature::SIZE {
            return None;
        }
        let signature = ed25519::Signature::decode(Bytes::copy_from_slice(rest)).ok()?;
        Some(Self { meta, signature })
    }

    pub fn verify(&self, key: &PublicKey) -> bool {
        let (namespace, message, signature) = self.signed_parts();
        key.verify(namespace, &message, signature)
    }

    /// What the signature covers — namespace and message — and the signature: what
    /// [`Self::verify`] checks, for checking many signatures together.
    pub fn signed_parts(&self) -> (&'static [u8], Vec<u8>, &ed25519::Signature) {
        (NAMESPACE, self.meta.body(), &self.signature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_cryptography::{Hasher as _, Sha256};

    #[test]
    fn long_and_non_ascii_model_names_are_clipped_on_a_character_boundary() {
        let key = ed25519::PrivateKey::from_seed(1);
        for name in ["é".repeat(200), "x".repeat(300), "ab€".repeat(100)] {
            let meta = Meta {
                request: Sha256::hash(&[b"r"]),
                member: 0,
                latency_ms: 1,
                prompt_tokens: 1,
                completion_tokens: 1,
                cost_micro_usd: 0,
                confidence_bp: None,
                model: name.clone(),
            };
            let decoded = SignedMeta::decode(&meta.sign(&key).encode()).expect("decodes");
            assert!(decoded.verify(&key.public_key()), "{name}");
            assert!(decoded.meta.model.len() <= MAX_MODEL);
            assert!(name.starts_with(&decoded.meta.model));
        }
    }

    #[test]
    fn roundtrip_and_forgery() {
        let key = ed25519::PrivateKey::from_seed(1);
        let other = ed25519::PrivateKey::from_seed(2);
        let meta = Meta {
            request: Sha256::hash(&[b"r"]),
            member: 2,
            latency_ms: 1234,
            prompt_tokens: 10,
            completion_tokens: 3,
            cost_micro_usd: 42,
            confidence_bp: Some(8_765),
            model: "qwen".into(),
        };
        let signed = meta.clone().sign(&key);
        let decoded = SignedMeta::decode(&signed.encode()).unwrap();
        assert_eq!(decoded, signed);
        assert!(decoded.verify(&key.public_key()));
        assert!(!decoded.verify(&other.public_key()));
        let mut tampered = signed.encode();
        tampered[40] ^= 1;
        assert!(
            !SignedMeta::decode(&tampered)
                .unwrap()
                .verify(&key.public_key())
        );
        assert!(SignedMeta::decode(&tampered[..20]).is_none());
    }
}
