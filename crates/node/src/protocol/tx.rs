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
//!   8 = Bundle        (a member's commits, reveals and reports under one signature, see
//!                      [`super::bundle`]: what nodes send; 1–3 alone are still read, from
//!                      older audit logs)
//! ```
//!
//! [`check_all`] is the stateless validity every validator applies before voting for a block:
//! the body decodes under bounds, and a commit or reveal is signed by the identity key of
//! the member it names. A beacon's threshold signature is checked by the state, against the
//! group key, when it matters (a request waiting for its committee). Stateful rules (member of the committee, phase, equivocation) are
//! the vote state machine's, applied to finalized blocks only.

use super::bundle::Item;
use crate::chain::types::PublicKey;
use bytes::{BufMut, Bytes};
use byzvote_core::{Digest, Request, SignedCommit, SignedReveal, semantic::Similarities};
use byzvote_dkg::GroupSignature;
use commonware_codec::{DecodeExt as _, Encode as _};
use commonware_cryptography::ed25519;

pub(crate) const REQUEST: u8 = 0;
pub(crate) const COMMIT: u8 = 1;
pub(crate) const REVEAL: u8 = 2;
pub(crate) const META: u8 = 3;
pub(crate) const BEACON: u8 = 4;
const VERDICT: u8 = 5;
pub(crate) const SIMILARITIES: u8 = 6;
const CHARGE: u8 = 7;
pub(crate) const BUNDLE: u8 = 8;

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
    Bundle(super::bundle::SignedBundle),
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
            Tx::Bundle(b) => (BUNDLE, Bytes::from(b.encode())),
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
            BUNDLE => super::bundle::SignedBundle::decode(body).map(Tx::Bundle),
            _ => None,
        }
    }

    /// The member items (commits, reveals, reports) this transaction carries: itself, or a
    /// bundle's; `None` for any other transaction.
    pub fn items(self) -> Option<Vec<Item>> {
        match self {
            Tx::Commit(c) => Some(vec![Item::Commit(c.commit)]),
            Tx::Reveal(r) => Some(vec![Item::Reveal(r.reveal)]),
            Tx::Meta(m) => Some(vec![Item::Meta(m.meta)]),
            Tx::Bundle(b) => Some(b.items),
            _ => None,
        }
    }
}

/// Whether `bytes` may carry member items (see [`Tx::items`]), from its tag alone.
pub fn may_carry_items(bytes: &[u8]) -> bool {
    matches!(bytes.first(), Some(&(COMMIT | REVEAL | META | BUNDLE)))
}

/// [`check_all`] for a transaction this node has just made and signed with the identity key
/// `own`: it must decode and name this node's member id, but its signature is not checked
/// again (that was a tenth of a loaded node's CPU, and the key that made it is `own`).
pub fn check_own(bytes: &[u8], participants: &[PublicKey], own: &PublicKey) -> bool {
    match Tx::decode(bytes) {
        Some(tx) => match signed_parts(&tx) {
            Some((member, ..)) => key(participants, member) == Some(own),
            None => unsigned_valid(&tx),
        },
        None => false,
    }
}

/// Stateless validity of each of `txs` against the cluster's participants (sorted; a member
/// id is an index into this list): it decodes under bounds, and a signed transaction is
/// signed by the identity key of the member it names. Checked together (a burst of gossip,
/// a block's transactions this node has not seen): the signatures in one batch, see
/// [`super::memo::signed_by_all`]; `secret` is this node's, never sent, for the weights.
pub fn check_all(txs: &[Bytes], participants: &[PublicKey], secret: &[u8; 32]) -> Vec<bool> {
    let decoded: Vec<Option<Tx>> = txs.iter().map(|b| Tx::decode(b)).collect();
    let mut valid = vec![false; txs.len()];
    // By transaction index: the signer's key and what the signature covers.
    let mut signed = Vec::new();
    for (i, tx) in decoded.iter().enumerate() {
        let Some(tx) = tx else { continue };
        match signed_parts(tx) {
            Some((member, namespace, message, signature)) => {
                if let Some(key) = key(participants, member) {
                    signed.push((i, key, namespace, message, signature));
                }
            }
            None => valid[i] = unsigned_valid(tx),
        }
    }
    let items: Vec<super::memo::Signed<'_>> = signed
        .iter()
        .map(
            |(i, key, namespace, message, signature)| super::memo::Signed {
                key,
                tx: &txs[*i],
                namespace,
                message,
                signature,
            },
        )
        .collect();
    for ((i, ..), ok) in signed
        .iter()
        .zip(super::memo::signed_by_all(secret, &items))
    {
        valid[*i] = ok;
    }
    valid
}

/// Who signed an identity-signed transaction, what the signature covers (namespace and
/// message), and the signature; `None` for a transaction that carries no identity signature.
#[allow(clippy::type_complexity)]
fn signed_parts(tx: &Tx) -> Option<(u32, &'static [u8], Vec<u8>, &ed25519::Signature)> {
    let (member, (namespace, message, signature)) = match tx {
        Tx::Commit(c) => (c.commit.member, c.signed_parts()),
        Tx::Reveal(r) => (r.reveal.member, r.signed_parts()),
        Tx::Meta(m) => (m.meta.member, m.signed_parts()),
        Tx::Verdict(v) => (v.verdict.member, v.signed_parts()),
        Tx::Charge(c) => (c.charge.member, c.signed_parts()),
        Tx::Bundle(b) => (b.member, b.signed_parts()),
        Tx::Request(_) | Tx::Beacon { .. } | Tx::Similarities(_) => return None,
    };
    Some((member, namespace, message, signature))
}

/// The validity of a transaction without an identity signature.
fn unsigned_valid(tx: &Tx) -> bool {
    match tx {
        Tx::Request(r) => r.validate().is_ok(),
        // Checked by the state, against the group key, when it matters.
        Tx::Beacon { .. } => true,
        // Well-formed by decoding; the cosines are re-checked by `similarity::Checker`.
        Tx::Similarities(_) => true,
        _ => false,
    }
}

fn key(participants: &[PublicKey], member: u32) -> Option<&PublicKey> {
    participants.get(usize::try_from(member).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use byzvote_core::{Commit, Message, Mode, Salt, canonicalize};
    use commonware_cryptography::{Signer as _, ed25519};

    /// One transaction checked on its own.
    fn check(bytes: &[u8], participants: &[PublicKey]) -> bool {
        check_all(&[Bytes::copy_from_slice(bytes)], participants, &[0; 32])[0]
    }

    /// Four members' identity keys, and their public keys in member order.
    fn cluster() -> (Vec<ed25519::PrivateKey>, Vec<PublicKey>) {
        let keys: Vec<_> = (0..4).map(ed25519::PrivateKey::from_seed).collect();
        let participants = keys.iter().map(|k| k.public_key()).collect();
        (keys, participants)
    }

    fn request() -> Request {
        Request::new(vec![Message::user("2+2?")], Mode::Exact, 3, 64, 1).unwrap()
    }

    #[test]
    fn roundtrip_and_signature_check() {
        let (keys, participants) = cluster();
        let req = request();
        let canonical = canonicalize(&Mode::Exact, "4").unwrap();
        let commit = Commit::new(req.id(), 1, &canonical, &Salt([7; 32]));
        let good = Tx::Commit(commit.sign(&keys[1])).encode();
        assert!(check(&good, &participants));
        assert_eq!(Tx::decode(&good), Some(Tx::Commit(commit.sign(&keys[1]))));
        // Signed by the wrong member's key.
        let forged = Tx::Commit(commit.sign(&keys[2])).encode();
        assert!(!check(&forged, &participants));
        // An own transaction: it must name this node's member id.
        assert!(check_own(&good, &participants, &participants[1]));
        assert!(!check_own(&good, &participants, &participants[2]));
        assert!(!check_own(
            &good[..good.len() - 1],
            &participants,
            &participants[1]
        ));
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
    fn checked_together_as_one_by_one_and_a_forgery_spoils_only_itself() {
        let (keys, participants) = cluster();
        // Salts of their own: nothing here is in the process-wide memo yet.
        let req = request();
        let canonical = canonicalize(&Mode::Exact, "4").unwrap();
        let commit = |m: u32, salt: u8, key: usize| {
            let c = Commit::new(req.id(), m, &canonical, &Salt([salt; 32]));
            Tx::Commit(c.sign(&keys[key])).encode()
        };
        let verdict = |m: u32, key: usize| {
            let v = super::super::verdict::Verdict {
                request: req.id(),
                member: m,
                passed: true,
                verifier: format!("together-{m}-{key}"),
            };
            Tx::Verdict(v.sign(&keys[key])).encode()
        };
        let txs = vec![
            commit(0, 201, 0),
            commit(1, 202, 1),
            commit(2, 203, 3), // signed by another member's key
            Tx::Request(req.clone()).encode(),
            commit(3, 204, 3),
            verdict(2, 2),
            verdict(1, 0), // forged
            Bytes::from_static(&[1, 2, 3]),
            commit(9, 205, 0), // no such member
        ];
        let expected = [true, true, false, true, true, true, false, false, false];
        assert_eq!(check_all(&txs, &participants, &[7; 32]), expected);
        let alone: Vec<bool> = txs.iter().map(|t| check(t, &participants)).collect();
        assert_eq!(alone, expected);
        // Only valid signatures: one batch; and again, from the memo.
        let good = vec![commit(0, 211, 0), commit(1, 212, 1), verdict(3, 3)];
        assert_eq!(check_all(&good, &participants, &[7; 32]), [true; 3]);
        assert_eq!(check_all(&good, &participants, &[8; 32]), [true; 3]);
        assert!(check_all(&[], &participants, &[7; 32]).is_empty());
    }

    #[test]
    fn a_bundle_counts_only_signed_by_the_member_it_names() {
        use super::super::bundle::{Item, SignedBundle};
        let (keys, participants) = cluster();
        let req = request();
        let canonical = canonicalize(&Mode::Exact, "4").unwrap();
        let reveal = byzvote_core::Reveal {
            request: req.id(),
            member: 1,
            canonical,
            salt: Salt([9; 32]),
        };
        let items = vec![Item::Commit(reveal.commit()), Item::Reveal(reveal.clone())];
        let good = Tx::Bundle(SignedBundle::sign(1, items.clone(), &keys[1])).encode();
        assert_eq!(good[0], BUNDLE);
        assert!(check(&good, &participants));
        assert!(check_own(&good, &participants, &participants[1]));
        assert!(!check_own(&good, &participants, &participants[0]));
        assert_eq!(Tx::decode(&good).and_then(Tx::items), Some(items.clone()));
        let forged = Tx::Bundle(SignedBundle::sign(1, items, &keys[2])).encode();
        assert!(!check(&forged, &participants));
        // Singles carry their one item; other transactions none.
        let single = Tx::Reveal(reveal.clone().sign(&keys[1]));
        assert_eq!(single.items(), Some(vec![Item::Reveal(reveal)]));
        assert_eq!(Tx::Request(req).items(), None);
        assert!(may_carry_items(&good) && !may_carry_items(&[REQUEST]));
    }

    #[test]
    fn garbage_is_rejected_without_panic() {
        for bytes in [&b""[..], &[9], &[0, 1, 2, 3], &[1; 40], &[2; 200]] {
            assert!(!check(bytes, &[]));
        }
    }
}
