//! External verification verdicts on the chain, and what they do to reputation.
//!
//! The verification hook (DESIGN.md §6) runs on the node that served the client: its verdict
//! is that node's, not the chain's. To let a failed verdict lower the reputation of the members
//! who voted for the answer — the same way on every node, so every node still draws the same
//! committees — the serving node signs it with its identity key and submits it as a
//! transaction:
//!
//! ```text
//! request (32) | member (4, BE) | passed (1: 0 or 1) | verifier len (2, BE) | verifier (UTF-8)
//! | signature (64, ed25519 over BYZVOTE_VERDICT)
//! ```
//!
//! Once finalized, [`Verdicts::apply`] (pure) counts the distinct members that failed each
//! decided, agreed vote. The first failure costs the vote's supporters a little and never
//! below half weight; the `f+1`-th distinct failure (at least one from an honest node) costs
//! them heavily (`core::reputation` has the numbers and the argument). A single Byzantine node
//! can therefore not drive honest members to the floor however many verdicts it signs:
//! duplicates for one vote count once, and its failures alone never reach `f+1`.

use crate::chain::types::{PrivateKey, PublicKey};
use bytes::{Buf as _, BufMut as _, Bytes};
use byzvote_core::{DecisionRecord, Digest, MemberId, OutcomeKind, Reputation};
use commonware_codec::{DecodeExt as _, Encode as _, FixedSize as _};
use commonware_cryptography::{Signer as _, Verifier as _, ed25519};
use std::collections::{BTreeMap, BTreeSet};

const NAMESPACE: &[u8] = b"_BYZVOTE_VERDICT";
/// Longest verifier name carried (a command's program or a webhook URL, clipped).
pub const MAX_VERIFIER: usize = 256;

/// A node's verdict on a vote's agreed answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub request: Digest,
    /// The node that ran the verifier (and signs this).
    pub member: MemberId,
    pub passed: bool,
    /// Which verifier (clipped to [`MAX_VERIFIER`] bytes on a character boundary).
    pub verifier: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedVerdict {
    pub verdict: Verdict,
    pub signature: ed25519::Signature,
}

impl Verdict {
    fn body(&self) -> Vec<u8> {
        let name = super::meta::clip_model(&self.verifier).as_bytes();
        let mut out = Vec::with_capacity(39 + name.len());
        out.extend_from_slice(self.request.as_ref());
        out.put_u32(self.member);
        out.put_u8(u8::from(self.passed));
        out.put_u16(name.len() as u16); // at most MAX_VERIFIER
        out.extend_from_slice(name);
        out
    }

    pub fn sign(mut self, key: &PrivateKey) -> SignedVerdict {
        self.verifier = super::meta::clip_model(&self.verifier).to_string();
        let signature = key.sign(NAMESPACE, &self.body());
        SignedVerdict {
            verdict: self,
            signature,
        }
    }
}

impl SignedVerdict {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = self.verdict.body();
        out.extend_from_slice(&self.signature.encode());
        out
    }

    /// Decodes; `None` for anything malformed (peer input never panics).
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        if bytes.len() < 39 {
            return None;
        }
        let (id, mut rest) = bytes.split_at(32);
        let request = Digest::decode(Bytes::copy_from_slice(id)).ok()?;
        let member = rest.get_u32();
        let passed = match rest.get_u8() {
            0 => false,
            1 => true,
            _ => return None,
        };
        let len = rest.get_u16() as usize;
        if len > MAX_VERIFIER || rest.len() != len + ed25519::Signature::SIZE {
            return None;
        }
        let (name, sig) = rest.split_at(len);
        let verifier = String::from_utf8(name.to_vec()).ok()?;
        let signature = ed25519::Signature::decode(Bytes::copy_from_slice(sig)).ok()?;
        Some(Self {
            verdict: Verdict {
                request,
                member,
                passed,
                verifier,
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
        (NAMESPACE, self.verdict.body(), &self.signature)
    }
}

/// Failed verdicts counted so far: per vote, the distinct members that failed it (only decided,
/// agreed votes get an entry, and each holds at most n members).
#[derive(Debug, Default)]
pub struct Verdicts {
    failed: BTreeMap<Digest, BTreeSet<MemberId>>,
}

/// What a finalized verdict did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// Nothing: a pass, a repeat, an undecided or unagreed vote, or a count between 2 and f.
    Nothing,
    /// The first failure: the supporters lost a little (bounded).
    Unconfirmed,
    /// The `f+1`-th distinct failure: the supporters lost heavily.
    Confirmed,
}

impl Verdicts {
    /// Applies one finalized verdict for the vote decided by `record` (`None`: not decided
    /// here) in a cluster tolerating `f` faults.
    pub fn apply(
        &mut self,
        verdict: &Verdict,
        record: Option<&DecisionRecord>,
        f: u32,
        reputation: &mut Reputation,
    ) -> Applied {
        let Some(record) = record.filter(|r| r.outcome == OutcomeKind::Agreed) else {
            return Applied::Nothing;
        };
        if verdict.passed || record.request != verdict.request {
            return Applied::Nothing;
        }
        let failed = self.failed.entry(verdict.request).or_default();
        if !failed.insert(verdict.member) {
            return Applied::Nothing;
        }
        let count = failed.len() as u64;
        if count == u64::from(f) + 1 {
            reputation.on_failed_verification(&record.supporters, true);
            Applied::Confirmed
        } else if count == 1 {
            reputation.on_failed_verification(&record.supporters, false);
            Applied::Unconfirmed
        } else {
            Applied::Nothing
        }
    }

    /// Forgets vote `id` (retired: see [`super::state::RETAIN`]); a later verdict on it finds
    /// no decided record and counts for nothing.
    pub fn forget(&mut self, id: &Digest) {
        self.failed.remove(id);
    }

    /// The members that failed vote `id`'s answer so far.
    pub fn failed(&self, id: &Digest) -> Option<&BTreeSet<MemberId>> {
        self.failed.get(id)
    }
}

#[cfg(test)]
#[path = "verdict_tests.rs"]
mod tests;
