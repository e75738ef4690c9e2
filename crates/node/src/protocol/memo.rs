//! Process-wide memos of pure cryptographic results that are computed again on the same
//! bytes.
//!
//! A node certifies each decision with BLS: it partial-signs the record (which hashes it to
//! G2), recovers the group signature and checks it (hash to G2 again, then a pairing). In
//! production one node runs per process and each of these happens once per vote, so the
//! memos below only cost a lookup. In the deterministic simulation every member runs in one
//! process and repeats the same computations on the same bytes (four members hash the same
//! record eight times and check the same certificate four times); there the memos cut a
//! seed's CPU time by about a fifth, while every node still runs exactly the production code.
//!
//! What makes this safe: each memo is keyed by a SHA-256 digest of *all* the bytes its
//! result depends on (length-prefixed, so parts cannot slide into each other) and holds the
//! result of the real computation on them, so a hit is what the computation would return
//! again. Keys are digests, not the bytes: a member may sign many large transactions (up to
//! 256 KiB each), and full-byte keys would let it make the memo hold gigabytes. A failed verification is never remembered (a peer cannot fill the memo with
//! garbage that costs nothing to make), and each memo is bounded ([`CAP`] entries per
//! generation, two generations). Checks that must stay independent of the nodes (the
//! simulator's certificate invariant, `audit verify`) call `byzvote_dkg::threshold::verify`,
//! which is not memoized.

use bytes::Bytes;
use byzvote_core::Digest;
use byzvote_dkg::{GroupPublicKey, GroupSignature, GroupVariant, PartialSignature, Share};
use commonware_codec::{DecodeExt as _, Encode as _};
use commonware_cryptography::bls12381::primitives::{ops, variant::Variant};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, OnceLock};

/// Entries per generation of each memo (the memo holds at most twice this).
pub const CAP: usize = 4096;

/// A memo key: the SHA-256 digest of `parts`, each prefixed by its length.
type Key = Digest;

fn key(parts: &[&[u8]]) -> Key {
    use commonware_cryptography::{Hasher as _, Sha256};
    let mut h = Sha256::default();
    for part in parts {
        h.update(&(part.len() as u64).to_be_bytes()).update(part);
    }
    h.finalize().1
}

/// A bounded map of computed results: when the current generation is full it becomes the
/// previous one (and the old previous one is dropped), so recent entries survive a turnover.
pub struct Memo<K, V> {
    generations: Mutex<(HashMap<K, V>, HashMap<K, V>)>,
    cap: usize,
}

impl<K: Hash + Eq, V: Clone> Memo<K, V> {
    pub fn new(cap: usize) -> Self {
        Self {
            generations: Mutex::new((HashMap::new(), HashMap::new())),
            cap: cap.max(1),
        }
    }

    /// The remembered value for `key`, if any.
    pub fn get(&self, key: &K) -> Option<V> {
        let g = self.generations.lock().unwrap_or_else(|e| e.into_inner());
        g.0.get(key).or_else(|| g.1.get(key)).cloned()
    }

    /// Remembers `value` for `key`.
    pub fn insert(&self, key: K, value: V) {
        let mut g = self.generations.lock().unwrap_or_else(|e| e.into_inner());
        if g.0.len() >= self.cap {
            g.1 = std::mem::take(&mut g.0);
        }
        g.0.insert(key, value);
    }

    /// The remembered value for `key`, or `compute()`'s, remembered when it is `Some`. The
    /// lock is not held while computing.
    pub fn get_or(&self, key: K, compute: impl FnOnce() -> Option<V>) -> Option<V> {
        if let Some(v) = self.get(&key) {
            return Some(v);
        }
        let v = compute()?;
        self.insert(key, v.clone());
        Some(v)
    }

    /// Number of entries held (both generations).
    pub fn len(&self) -> usize {
        let g = self.generations.lock().unwrap_or_else(|e| e.into_inner());
        g.0.len() + g.1.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The message point `H(namespace ‖ msg)` in G2, as Commonware's `sign_message` and
/// `verify_message` compute it (key: the exact bytes hashed).
fn hashed(namespace: &[u8], msg: &[u8]) -> GroupSignature {
    static MEMO: OnceLock<Memo<Key, GroupSignature>> = OnceLock::new();
    let memo = MEMO.get_or_init(|| Memo::new(CAP));
    let signed = byzvote_dkg::threshold::signed_message(namespace, msg);
    let k = key(&[&signed]);
    if let Some(hm) = memo.get(&k) {
        return hm;
    }
    let hm = ops::hash::<GroupVariant>(GroupVariant::MESSAGE, &signed);
    memo.insert(k, hm);
    hm
}

/// This share's partial signature over `msg`: the same as
/// `byzvote_dkg::threshold::partial_sign`, with the hash to G2 memoized.
pub fn partial_sign(share: &Share, namespace: &[u8], msg: &[u8]) -> PartialSignature {
    let hm = hashed(namespace, msg);
    PartialSignature {
        value: share.private.expose(|scalar| hm * scalar),
        index: share.index,
    }
}

/// Whether `sig` is the group's signature over `msg`: the same answer as
/// `byzvote_dkg::threshold::verify`, remembered when it is yes (key: the group key, the
/// namespace, the message and the signature, in full).
pub fn verify(group: &GroupPublicKey, namespace: &[u8], msg: &[u8], sig: &GroupSignature) -> bool {
    verified()
        .get_or(verify_key(group, namespace, msg, sig), || {
            let hm = hashed(namespace, msg);
            GroupVariant::verify(group, &hm, sig).is_ok().then_some(())
        })
        .is_some()
}

/// The memo of [`verify`] and [`verify_all`]: signatures known valid.
fn verified() -> &'static Memo<Key, ()> {
    static MEMO: OnceLock<Memo<Key, ()>> = OnceLock::new();
    MEMO.get_or_init(|| Memo::new(CAP))
}

fn verify_key(group: &GroupPublicKey, namespace: &[u8], msg: &[u8], sig: &GroupSignature) -> Key {
    let signed = byzvote_dkg::threshold::signed_message(namespace, msg);
    key(&[&group.encode(), &sig.encode(), &signed])
}

/// Which of `items` (message, signature) are the group's signatures over their messages:
/// the answers [`verify`] gives one by one, for the cost of about one check. The items not
/// remembered are checked together ([`byzvote_dkg::threshold::verify_together`]: two pairings
/// however many items); only if that fails is each checked on its own, to find the bad ones. The signatures must be in G2's
/// subgroup (recovered from decoded partials, they are).
///
/// The weights come from a generator seeded with the SHA-256 of `secret` (this node's, never
/// sent) and every item checked: unpredictable to whoever chose the signatures, and drawn
/// without touching the node's random stream, so a simulated run is the same whether or not
/// an earlier run in the process left these items in the memo.
pub fn verify_all(
    secret: &[u8; 32],
    group: &GroupPublicKey,
    namespace: &[u8],
    items: &[(&[u8], GroupSignature)],
) -> Vec<bool> {
    let keys: Vec<Key> = items
        .iter()
        .map(|(msg, sig)| verify_key(group, namespace, msg, sig))
        .collect();
    let mut valid: Vec<bool> = keys.iter().map(|k| verified().get(k).is_some()).collect();
    let open: Vec<usize> = (0..items.len()).filter(|&i| !valid[i]).collect();
    if open.len() < 2 {
        for &i in &open {
            valid[i] = verify(group, namespace, items[i].0, &items[i].1);
        }
        return valid;
    }
    let sigs: Vec<_> = open.iter().map(|&i| items[i].1.encode()).collect();
    let mut parts: Vec<&[u8]> = vec![secret, namespace];
    for (&i, sig) in open.iter().zip(&sigs) {
        parts.push(items[i].0);
        parts.push(sig);
    }
    let seed: [u8; 32] = key(&parts).as_ref().try_into().unwrap_or_default();
    let entries: Vec<(&[u8], GroupSignature)> = open.iter().map(|&i| items[i]).collect();
    let together = byzvote_dkg::threshold::verify_together(group, namespace, &entries, seed);
    for &i in &open {
        valid[i] = if together {
            verified().insert(keys[i], ());
            true
        } else {
            verify(group, namespace, items[i].0, &items[i].1)
        };
    }
    valid
}

/// A gossiped partial-signature message decoded: kind, request id, partial. Decoding checks
/// that the point is on the curve and in G2's subgroup (a square root and a scalar
/// multiplication): every member of a simulated cluster decodes the same bytes from each
/// peer. Key: the message bytes; only messages that decode are remembered.
pub fn decode_partial_message(bytes: &[u8]) -> Option<(u8, Digest, PartialSignature)> {
    static MEMO: OnceLock<Memo<Key, (u8, Digest, PartialSignature)>> = OnceLock::new();
    let memo = MEMO.get_or_init(|| Memo::new(CAP));
    let k = key(&[bytes]);
    if let Some(decoded) = memo.get(&k) {
        return Some(decoded);
    }
    let decoded = <(u8, Digest, PartialSignature)>::decode(Bytes::copy_from_slice(bytes)).ok()?;
    memo.insert(k, decoded.clone());
    Some(decoded)
}

fn signatures() -> &'static Memo<Key, ()> {
    static MEMO: OnceLock<Memo<Key, ()>> = OnceLock::new();
    MEMO.get_or_init(|| Memo::new(CAP))
}

fn signed_key(key: &crate::chain::types::PublicKey, tx: &[u8]) -> Key {
    self::key(&[&key.encode(), tx])
}

/// One identity-signed transaction for [`signed_by_all`]: the signer's key, the transaction's
/// bytes and what its signature covers.
pub struct Signed<'a> {
    pub key: &'a crate::chain::types::PublicKey,
    pub tx: &'a [u8],
    pub namespace: &'a [u8],
    pub message: &'a [u8],
    pub signature: &'a commonware_cryptography::ed25519::Signature,
}

/// Whether each transaction's identity signature checks: remembered when it does (key: the
/// public key and the transaction's bytes in full, which are all a signature check depends
/// on), so every member of a simulated cluster checks a gossiped transaction once. Those not
/// remembered are checked together (ed25519 batch verification, measured here 2.3× cheaper
/// per signature for 8 and about 3× from 16 on), and one by one only if that fails, to find
/// the bad ones. The weights come from `secret` and the items, as in [`verify_all`].
pub fn signed_by_all(secret: &[u8; 32], items: &[Signed<'_>]) -> Vec<bool> {
    use commonware_cryptography::{BatchEntry, BatchVerifier as _, Verifier as _, ed25519};
    use rand::SeedableRng as _;
    let keys: Vec<Key> = items.iter().map(|s| signed_key(s.key, s.tx)).collect();
    let mut valid: Vec<bool> = keys.iter().map(|k| signatures().get(k).is_some()).collect();
    let open: Vec<usize> = (0..items.len()).filter(|&i| !valid[i]).collect();
    let alone = |s: &Signed<'_>| s.key.verify(s.namespace, s.message, s.signature);
    let together = open.len() >= 2 && {
        let mut parts: Vec<&[u8]> = vec![secret];
        parts.extend(open.iter().map(|&i| keys[i].as_ref()));
        let seed: [u8; 32] = key(&parts).as_ref().try_into().unwrap_or_default();
        let mut rng = rand::rngs::StdRng::from_seed(seed);
        ed25519::PublicKey::verify_batch(
            &mut rng,
            &open,
            |_, &i| BatchEntry {
                namespace: items[i].namespace,
                message: items[i].message,
                public_key: items[i].key,
                signature: items[i].signature,
            },
            &commonware_parallel::Sequential,
        )
    };
    for &i in &open {
        valid[i] = together || alone(&items[i]);
        if valid[i] {
            signatures().insert(keys[i], ());
        }
    }
    valid
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::beacon::tests::trusted_dealer_outputs;
    use byzvote_dkg::threshold;

    const NS: &[u8] = b"memo-test";

    #[test]
    fn memoized_signing_and_verifying_agree_with_the_plain_functions() {
        let dkg = trusted_dealer_outputs(4, 3);
        for msg in [&b"one"[..], b"two", b"one"] {
            let mine: Vec<_> = dkg
                .iter()
                .map(|o| partial_sign(o.share(), NS, msg))
                .collect();
            let plain: Vec<_> = dkg
                .iter()
                .map(|o| threshold::partial_sign(o.share(), NS, msg))
                .collect();
            assert_eq!(mine, plain);
            let sig = threshold::recover(&dkg[0], mine.iter().take(3)).unwrap();
            let group = dkg[0].group_public_key();
            assert!(verify(group, NS, msg, &sig));
            assert!(verify(group, NS, msg, &sig), "again, from the memo");
            assert!(!verify(group, NS, b"another message", &sig));
            assert!(!verify(group, b"other-namespace", msg, &sig));
        }
    }

    #[test]
    fn a_failed_verification_is_not_remembered_and_a_remembered_one_needs_every_byte() {
        let dkg = trusted_dealer_outputs(4, 3);
        let group = dkg[0].group_public_key();
        let partials: Vec<_> = dkg
            .iter()
            .map(|o| partial_sign(o.share(), NS, b"x"))
            .collect();
        let good = threshold::recover(&dkg[0], partials.iter().take(3)).unwrap();
        // A signature recovered from a forged partial: never valid, however often asked.
        let mut forged = partials.clone();
        forged[1] = partial_sign(dkg[1].share(), NS, b"y");
        let bad = threshold::recover(&dkg[0], forged.iter().take(3)).unwrap();
        for _ in 0..3 {
            assert!(!verify(group, NS, b"x", &bad));
        }
        assert!(verify(group, NS, b"x", &good));
        assert!(
            !verify(group, NS, b"x", &bad),
            "a valid one does not vouch for another"
        );
        assert!(!verify(group, NS, b"x2", &good));
    }

    #[test]
    fn checking_together_answers_what_checking_one_by_one_does() {
        let secret = &[7u8; 32];
        let dkg = trusted_dealer_outputs(4, 3);
        let group = dkg[0].group_public_key();
        let sign = |msg: &[u8]| {
            let partials: Vec<_> = dkg
                .iter()
                .map(|o| threshold::partial_sign(o.share(), NS, msg))
                .collect();
            threshold::recover(&dkg[0], partials.iter().take(3)).unwrap()
        };
        let msgs: Vec<Vec<u8>> = (0..6u8).map(|i| vec![b'b', b'a', b't', i]).collect();
        let sigs: Vec<_> = msgs.iter().map(|m| sign(m)).collect();
        let items = |sigs: &[GroupSignature]| -> Vec<(&[u8], GroupSignature)> {
            msgs.iter()
                .map(|m| m.as_slice())
                .zip(sigs.iter().copied())
                .collect()
        };
        // All valid: one batch check, and each is remembered.
        assert_eq!(verify_all(secret, group, NS, &items(&sigs)), vec![true; 6]);
        // Two are valid signatures over other messages, a third is another item's: the batch
        // fails, and exactly those three are refused.
        let mut mixed: Vec<GroupSignature> = msgs[..4].iter().map(|m| sign(m)).collect();
        let others: Vec<_> = (10..12u8).map(|i| sign(&[b'x', i])).collect();
        mixed.extend(others);
        mixed.swap(1, 4);
        let valid = verify_all(secret, group, NS, &items(&mixed[..]));
        let one_by_one: Vec<bool> = items(&mixed[..])
            .iter()
            .map(|(m, s)| threshold::verify(group, NS, m, s))
            .collect();
        assert_eq!(valid, one_by_one);
        assert_eq!(valid, vec![true, false, true, true, false, false]);
        // Nothing, and one alone.
        assert!(verify_all(secret, group, NS, &[]).is_empty());
        assert_eq!(
            verify_all(secret, group, NS, &[(b"lone".as_slice(), sigs[0])]),
            vec![false]
        );
    }

    #[test]
    fn decoding_a_partial_message_agrees_with_the_codec_and_refuses_what_it_refuses() {
        let dkg = trusted_dealer_outputs(4, 3);
        let partial = partial_sign(dkg[2].share(), NS, b"z");
        let id = <commonware_cryptography::Sha256 as commonware_cryptography::Hasher>::hash(&[
            &b"id"[..],
        ]);
        let msg = (0u8, id, partial.clone()).encode().to_vec();
        for _ in 0..2 {
            assert_eq!(decode_partial_message(&msg), Some((0, id, partial.clone())));
        }
        // A point off the curve (or out of the subgroup) never decodes.
        let mut bad = msg.clone();
        let last = bad.len() - 1;
        bad[last] ^= 0x01;
        assert!(<(u8, Digest, PartialSignature)>::decode(Bytes::from(bad.clone())).is_err());
        assert_eq!(decode_partial_message(&bad), None);
        assert_eq!(decode_partial_message(&msg[..msg.len() - 1]), None);
    }

    #[test]
    fn a_signature_check_is_remembered_per_key_and_bytes_and_only_when_it_passes() {
        use commonware_cryptography::{Signer as _, ed25519};
        let (ka, kb) = (
            ed25519::PrivateKey::from_seed(1),
            ed25519::PrivateKey::from_seed(2),
        );
        let (a, b) = (ka.public_key(), kb.public_key());
        const NS: &[u8] = b"memo-signed";
        let good = ka.sign(NS, b"memo msg");
        let bad = kb.sign(NS, b"memo msg");
        // Memo key: the public key and `tx`; the signature checked is the item's.
        let item = |key, tx: &'static [u8], signature| Signed {
            key,
            tx,
            namespace: NS,
            message: b"memo msg",
            signature,
        };
        let check = |items: &[Signed<'_>]| signed_by_all(&[3; 32], items);
        assert_eq!(check(&[item(&a, b"memo tx 1", &bad)]), [false]);
        assert_eq!(
            check(&[item(&a, b"memo tx 1", &bad), item(&a, b"memo tx 1", &good)]),
            [false, true],
            "a failure is not remembered; a batch that fails is checked one by one"
        );
        assert_eq!(check(&[item(&a, b"memo tx 1", &bad)]), [true], "remembered");
        assert_eq!(check(&[item(&b, b"memo tx 1", &bad)]), [true], "b's own");
        assert_eq!(
            check(&[item(&b, b"memo tx 2", &good), item(&a, b"memo tx 2", &bad)]),
            [false, false],
            "other bytes, and keys, are checked again"
        );
        assert!(check(&[]).is_empty());
    }

    #[test]
    fn the_memo_is_bounded_and_keeps_the_newest() {
        let memo: Memo<u32, u32> = Memo::new(4);
        for i in 0..100 {
            memo.insert(i, i * 2);
            assert!(memo.len() <= 8);
        }
        assert_eq!(memo.get(&99), Some(198));
        assert_eq!(memo.get(&0), None);
        assert_eq!(
            memo.get_or(7, || None),
            None,
            "nothing computed, nothing kept"
        );
        assert_eq!(memo.get_or(7, || Some(1)), Some(1));
        assert_eq!(memo.get_or(7, || Some(2)), Some(1), "computed once");
    }
}
