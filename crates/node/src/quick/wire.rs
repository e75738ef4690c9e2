//! Messages of the quick tiers (1 and 2) on their own p2p channel.
//!
//! ```text
//! ask    = 0 | request (byzvote_core::Request encoding)
//! answer = 1 | meta body (see protocol::meta) | answer len (4, BE) | answer (UTF-8)
//!            | signature (64, ed25519 over BYZVOTE_QUICK_ANSWER)
//! refused = 2 | request id (32) | retry after, ms (8, BE)
//! ```
//!
//! A refusal is unsigned: the p2p channel already authenticates its sender, and it only tells
//! the serving node to give up on one of its own asks.
//!
//! The answer is signed by the member that gave it, so the serving node can show each member's
//! answer to the client without being able to forge one.

use crate::chain::types::{PrivateKey, PublicKey};
use crate::protocol::meta::Meta;
use bytes::{Buf as _, BufMut as _, Bytes};
use byzvote_core::{Digest, MAX_CANONICAL, Request, namespace::BYZVOTE_QUICK_ANSWER};
use commonware_codec::{DecodeExt as _, Encode as _, FixedSize as _};
use commonware_cryptography::{Signer as _, Verifier as _, ed25519};

const ASK: u8 = 0;
const ANSWER: u8 = 1;
const REFUSED: u8 = 2;

/// One member's signed answer to a quick request.
#[derive(Clone, Debug, PartialEq)]
pub struct SignedAnswer {
    /// Which request and member, and the member's report on its model call.
    pub meta: Meta,
    /// The canonical answer, or the member's abstention.
    pub answer: String,
    pub signature: ed25519::Signature,
}

fn body(meta: &Meta, answer: &str) -> Vec<u8> {
    let mut out = meta.body();
    out.put_u32(answer.len() as u32);
    out.extend_from_slice(answer.as_bytes());
    out
}

impl SignedAnswer {
    pub fn sign(meta: Meta, answer: String, key: &PrivateKey) -> Self {
        let signature = key.sign(BYZVOTE_QUICK_ANSWER, &body(&meta, &answer));
        Self {
            meta,
            answer,
            signature,
        }
    }

    pub fn verify(&self, key: &PublicKey) -> bool {
        key.verify(
            BYZVOTE_QUICK_ANSWER,
            &body(&self.meta, &self.answer),
            &self.signature,
        )
    }

    /// Reads [`SignedAnswer::encode`]'s output back; `None` for anything malformed.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        decode_answer(bytes)
    }

    /// The signed bytes followed by the signature (what a client needs to check it).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = body(&self.meta, &self.answer);
        out.extend_from_slice(&self.signature.encode());
        out
    }
}

/// A message on the quick channel.
#[derive(Clone, Debug, PartialEq)]
pub enum QuickMsg {
    /// "Answer this with your model."
    Ask(Request),
    /// A member's answer.
    Answer(SignedAnswer),
    /// "I will not run my model for you now" (the sender's per-peer limit is exhausted).
    Refused {
        request: Digest,
        retry_after_ms: u64,
    },
}

impl QuickMsg {
    pub fn encode(&self) -> Bytes {
        let mut out = Vec::new();
        match self {
            QuickMsg::Ask(r) => {
                out.push(ASK);
                out.extend_from_slice(&r.encode());
            }
            QuickMsg::Answer(a) => {
                out.push(ANSWER);
                out.extend_from_slice(&a.encode());
            }
            QuickMsg::Refused {
                request,
                retry_after_ms,
            } => {
                out.push(REFUSED);
                out.extend_from_slice(request.as_ref());
                out.extend_from_slice(&retry_after_ms.to_be_bytes());
            }
        }
        Bytes::from(out)
    }

    /// Decodes; `None` for anything malformed (peer input: never panics).
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let (&tag, rest) = bytes.split_first()?;
        match tag {
            ASK => Request::decode(Bytes::copy_from_slice(rest))
                .ok()
                .filter(|r| r.validate().is_ok())
                .map(QuickMsg::Ask),
            ANSWER => decode_answer(rest).map(QuickMsg::Answer),
            REFUSED if rest.len() == 40 => {
                let (id, after) = rest.split_at(32);
                Some(QuickMsg::Refused {
                    request: Digest::decode(Bytes::copy_from_slice(id)).ok()?,
                    retry_after_ms: u64::from_be_bytes(after.try_into().ok()?),
                })
            }
            _ => None,
        }
    }
}

fn decode_answer(bytes: &[u8]) -> Option<SignedAnswer> {
    let sig = ed25519::Signature::SIZE;
    if bytes.len() < sig + 4 {
        return None;
    }
    let (signed, signature) = bytes.split_at(bytes.len() - sig);
    let (meta, meta_len) = Meta::read_body(signed)?;
    if signed.len() < meta_len + 4 {
        return None;
    }
    let mut rest = &signed[meta_len..];
    let len = rest.get_u32() as usize;
    if len > MAX_CANONICAL || rest.len() != len {
        return None;
    }
    let answer = String::from_utf8(rest.to_vec()).ok()?;
    let signature = ed25519::Signature::decode(Bytes::copy_from_slice(signature)).ok()?;
    Some(SignedAnswer {
        meta,
        answer,
        signature,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use byzvote_core::{Message, Mode};
    use commonware_cryptography::{Hasher as _, Sha256};

    fn answer(text: &str) -> SignedAnswer {
        let meta = Meta {
            request: Sha256::hash(&[b"r"]),
            member: 1,
            latency_ms: 7,
            prompt_tokens: 3,
            completion_tokens: 1,
            cost_micro_usd: 0,
            confidence_bp: Some(7_777),
            model: "m".into(),
        };
        SignedAnswer::sign(meta, text.into(), &ed25519::PrivateKey::from_seed(1))
    }

    #[test]
    fn roundtrip_and_forgery() {
        let key = ed25519::PrivateKey::from_seed(1).public_key();
        let a = answer("paris");
        let msg = QuickMsg::Answer(a.clone());
        let back = QuickMsg::decode(&msg.encode()).unwrap();
        assert_eq!(back, msg);
        assert!(a.verify(&key));
        assert!(!a.verify(&ed25519::PrivateKey::from_seed(2).public_key()));
        let mut other = a.clone();
        other.answer = "rome".into();
        assert!(!other.verify(&key), "a changed answer must not verify");
        let ask =
            QuickMsg::Ask(Request::new(vec![Message::user("2+2?")], Mode::Exact, 2, 8, 0).unwrap());
        assert_eq!(QuickMsg::decode(&ask.encode()).unwrap(), ask);
        let refused = QuickMsg::Refused {
            request: Sha256::hash(&[b"r"]),
            retry_after_ms: 250,
        };
        let bytes = refused.encode();
        assert_eq!(QuickMsg::decode(&bytes).unwrap(), refused);
        assert!(QuickMsg::decode(&bytes[..bytes.len() - 1]).is_none());
    }

    #[test]
    fn malformed_input_is_refused_not_a_panic() {
        let good = QuickMsg::Answer(answer("paris")).encode();
        for cut in 0..good.len() {
            assert!(
                QuickMsg::decode(&good[..cut]).is_none(),
                "prefix of {cut} bytes"
            );
        }
        let mut long = good.to_vec();
        long.push(0);
        assert!(QuickMsg::decode(&long).is_none());
        assert!(QuickMsg::decode(&[9, 1, 2]).is_none());
        // Every single-byte corruption either fails to decode or fails to verify.
        let key = ed25519::PrivateKey::from_seed(1).public_key();
        for i in 1..good.len() {
            let mut bad = good.to_vec();
            bad[i] ^= 0x40;
            if let Some(QuickMsg::Answer(a)) = QuickMsg::decode(&bad) {
                assert!(!a.verify(&key), "byte {i}");
            }
        }
    }
}
