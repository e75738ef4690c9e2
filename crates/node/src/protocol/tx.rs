//! Transactions: what a block orders.
//!
//! ```text
//! tag (1) | body
//!   0 = Request       (byzvote_core::Request encoding)
//!   1 = Commit        (SignedCommit encoding)
//!   2 = Reveal        (SignedReveal encoding)
//!   3 = Meta          (a member's signed report on its model call, see [`super::meta`])
//!   4 = Beacon        (request id (32) | the cluster's threshold signature over it (96),
//!                      see [`super::beacon`])
//!   5 = Verdict       (a node's signed verdict from its external verifier on a vote's
//!                      agreed answer, see [`super::verdict`])
//!   6 = Similarities  (a semantic vote's pairwise cosines with the texts they are of,
//!                      byzvote_core::semantic::Similarities encoding; unsigned: validators
//!                      re-check the cosines themselves, see [`super::similarity`])
//!   7 = Charge        (a serving node's signed charge of a request's cost to a client key,
//!                      see [`super::charge`] and [`super::spend`])
//! ```
//!
//! [`check`] is the stateless validity every validator applies before voting for a block:
//! the body decodes under bounds, and a commit or reveal is signed by the identity key of
//! the member it names. A beacon's threshold signature is checked by the state, against the
//! group key, when it matters (a request waiting for its committee). Stateful rules (member of the committee, phase, equivocation) are
//! the vote state machine's, applied to finalized blocks only.

use crate::chain::types::PublicKey;
use bytes::{BufMut, Bytes};
use byzvote_core::{Digest, Request, SignedCommit, SignedReveal, semantic::Similarities};
use byzvote_dkg::GroupSignature;
use commonware_codec::{DecodeExt as _, Encode as _};

pub(crate) const REQUEST: u8 = 0;
pub(crate) const COMMIT: u8 = 1;
pub(crate) const REVEAL: u8 = 2;
pub(crate) const META: u8 = 3;
pub(crate) const BEACON: u8 = 4;
const VERDICT: u8 = 5;
pub(crate) const SIMILARITIES: u8 = 6;
const CHARGE: u8 = 7;

/// One ordered transaction.
#[derive(Clone, Debug, PartialEq)]
pub enum Tx {
    Request(Request),
    Commit(SignedCommit),
    Reveal(SignedReveal),
    Meta(super::meta::SignedMeta),
    Beacon {
        request: Digest,
        signature: GroupSignature,
    },
    Verdict(super::verdict::SignedVerdict),
    Similarities(Similarities),
    Charge(super::charge::SignedCharge),
}

impl Tx {
    pub fn encode(&self) -> Bytes {
        let (tag, body) = match self {
            Tx::Request(r) => (REQUEST, r.encode()),
            Tx::Commit(c) => (COMMIT, c.encode()),
            Tx::Reveal(r) => (REVEAL, r.encode()),
            Tx::Meta(m) => (META, Bytes::from(m.encode())),
            Tx::Beacon { request, signature } => (BEACON, (*request, *signature).encode()),
            Tx::Verdict(v) => (VERDICT, Bytes::from(v.encode())),
            Tx::Similarities(s) => (SIMILARITIES, s.encode()),
            Tx::Charge(c) => (CHARGE, Bytes::from(c.encode())),
        };
        let mut out = Vec::with_capacity(1 + body.len());
        out.put_u8(tag);
        out.extend_from_slice(&body);
        Bytes::from(out)
    }

    /// Decodes a transaction; `None` for anything malformed (peer input never panics).
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let (&tag, body) = bytes.split_first()?;
        match tag {
            REQUEST => Request::decode(Bytes::copy_from_slice(body))
                .ok()
                .map(Tx::Request),
            COMMIT => SignedCommit::decode(Bytes::copy_from_slice(body))
                .ok()
                .map(Tx::Commit),
            META => super::meta::SignedMeta::decode(body).map(Tx::Meta),
            REVEAL => SignedReveal::decode(Bytes::copy_from_slice(body))
                .ok()
                .map(Tx::Reveal),
            BEACON => <(Digest, GroupSignature)>::decode(Bytes::copy_from_slice(body))
                .ok()
                .map(|(request, signature)| Tx::Beacon { request, signature }),
            VERDICT => super::verdict::SignedVerdict::decode(body).map(Tx::Verdict),
            SIMILARITIES => Similarities::decode(Bytes::copy_from_slice(body))
                .ok()
                .map(Tx::Similarities),
            CHARGE => super::charge::SignedCharge::decode(body).map(Tx::Charge),
            _ => None,
        }
    }
}

/// Stateless validity of an encoded transaction against the cluster's participants
/// (sorted; a member id is an index into this list).
pub fn check(bytes: &[u8], participants: &[PublicKey]) -> bool {
    match Tx::decode(bytes) {
        Some(Tx::Request(r)) => r.validate().is_ok(),
        Some(Tx::Commit(c)) => signed(participants, c.commit.member, bytes, |k| c.verify(k)),
        Some(Tx::Reveal(r)) => signed(participants, r.reveal.member, bytes, |k| r.verify(k)),
        Some(Tx::Meta(m)) => signed(participants, m.meta.member, bytes, |k| m.verify(k)),
        Some(Tx::Beacon { .. }) => true,
        Some(Tx::Verdict(v)) => signed(participants, v.verdict.member, bytes, |k| v.verify(k)),
        // Well-formed by decoding; the cosines are re-checked by `similarity::Checker`.
        Some(Tx::Similarities(_)) => true,
        Some(Tx::Charge(c)) => signed(participants, c.charge.member, bytes, |k| c.verify(k)),
        None => false,
    }
}

/// Whether the transaction `bytes`, naming `member`, is signed by that member's key (the
/// check is memoized on the key and the bytes: see [`super::memo::signed_by`]).
fn signed(
    participants: &[PublicKey],
    member: u32,
    bytes: &[u8],
    verify: impl FnOnce(&PublicKey) -> bool,
) -> bool {
    key(participants, member).is_some_and(|k| super::memo::signed_by(k, bytes, || verify(k)))
}

fn key(participants: &[PublicKey], member: u32) -> Option<&PublicKey> {
    participants.get(usize::try_from(member).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use byzvote_core::{Commit, Message, Mode, Salt, canonicalize};
    use commonware_cryptography::{Signer as _, ed25519};

    fn request() -> Request {
        Request::new(vec![Message::user("2+2?")], Mode::Exact, 3, 64, 1).unwrap()
    }

    #[test]
    fn roundtrip_and_signature_check() {
        let keys: Vec<_> = (0..4).map(ed25519::PrivateKey::from_seed).collect();
        let participants: Vec<_> = keys.iter().map(|k| k.public_key()).collect();
        let req = request();
        let canonical = canonicalize(&Mode::Exact, "4").unwrap();
        let commit = Commit::new(req.id(), 1, &canonical, &Salt([7; 32]));
        let good = Tx::Commit(commit.sign(&keys[1])).encode();
        assert!(check(&good, &participants));
        assert_eq!(Tx::decode(&good), Some(Tx::Commit(commit.sign(&keys[1]))));
        // Signed by the wrong member's key.
        let forged = Tx::Commit(commit.sign(&keys[2])).encode();
        assert!(!check(&forged, &participants));
        assert!(check(&Tx::Request(req.clone()).encode(), &participants));
        // A verdict counts only signed by the member it names.
        let verdict = super::super::verdict::Verdict {
            request: req.id(),
            member: 2,
            passed: false,
            verifier: "v".into(),
        };
        let good = Tx::Verdict(verdict.clone().sign(&keys[2])).encode();
        assert!(check(&good, &participants));
        assert!(matches!(Tx::decode(&good), Some(Tx::Verdict(_))));
        let forged = Tx::Verdict(verdict.sign(&keys[3])).encode();
        assert!(!check(&forged, &participants));
        // So does a charge.
        let charge = super::super::charge::Charge {
            key: [5; 32],
            request: req.id(),
            member: 1,
            cost_micro_usd: 10,
            height: 3,
        };
        let good = Tx::Charge(charge.clone().sign(&keys[1])).encode();
        assert_eq!(good[0], 7);
        assert!(check(&good, &participants));
        assert!(matches!(Tx::decode(&good), Some(Tx::Charge(_))));
        let forged = Tx::Charge(charge.sign(&keys[0])).encode();
        assert!(!check(&forged, &participants));
    }

    #[test]
    fn garbage_is_rejected_without_panic() {
        for bytes in [&b""[..], &[9], &[0, 1, 2, 3], &[1; 40], &[2; 200]] {
            assert!(!check(bytes, &[]));
        }
    }
}
