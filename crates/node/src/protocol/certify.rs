//! Gathering the partial signatures over one batch root (the decisions of one block, see
//! `byzvote_core::batch`) into the group signature their certificates share.
//!
//! Optimistic recovery. Checking a partial costs a pairing check (~1 ms here), recovering
//! the group signature from a threshold of partials ~0.5 ms, checking it ~1 ms. So partials
//! are not checked one by one on arrival: once partials with a threshold of distinct share
//! indices are in (counting this node's own), the signature is interpolated from them and
//! checked once against the group key.
//!
//! Why that is safe: a threshold signature is unique (one valid signature per message and
//! group key), so a recovered signature that verifies is *the* certificate, whichever
//! partials made it; nothing else from the partials is kept. If it does not verify, some
//! peer sent a bad partial: then every partial is checked on its own, the bad ones are
//! dropped, and from then on every partial of this vote is checked before use (the vote is
//! `suspicious`), so a Byzantine peer costs at most one wasted recovery per vote. Each
//! partial is checked at most once; unchecked partials are bounded by the caller.
//!
//! The executor checks the signatures recovered between two audit syncs together
//! ([`super::memo::verify_all`]): under load a block decides many votes at once, and one
//! batch check costs about as much as one signature check.

use crate::timing::Timings;
use byzvote_core::batch::{Batch, Proof};
use byzvote_core::namespace::BYZVOTE_DECISION;
use byzvote_dkg::{DkgOutput, GroupSignature, PartialSignature, threshold};
use std::collections::BTreeMap;

/// Partial signatures gathered for one batch of decisions (keyed by its root by the caller).
#[derive(Default)]
pub struct Collect {
    /// The batch, once this node applied the block that decided it (partials may come first).
    pub batch: Option<Batch>,
    /// Partials not checked yet (arrived before the decision, or optimistic).
    unchecked: Vec<PartialSignature>,
    /// Partials known valid (this node's own, or checked), by share index.
    verified: BTreeMap<u32, PartialSignature>,
    /// An optimistic recovery failed: check every partial before using it.
    suspicious: bool,
    /// The last recovery used unchecked partials.
    optimistic: bool,
    /// A recovered signature waits for its check (the executor checks them together).
    pub checking: bool,
    pub done: bool,
    /// This node's own partial, to answer a peer that is still collecting (e.g. one that
    /// restarted and decided this vote from backfilled blocks after the others finished).
    pub mine: Option<PartialSignature>,
    /// Peers answered that way, with the time of the last answer (ms): a peer is answered again
    /// only after half a resend period, so a peer cannot make us loop or amplify, yet one
    /// that crashed before our first answer arrived is answered when it asks again.
    pub answered: BTreeMap<crate::chain::types::PublicKey, u64>,
    /// When this node last broadcast its partial (ms since the epoch, runtime clock).
    pub sent_at: u64,
}

impl Collect {
    /// Certified (or found certified in the audit log): keeps only what answers a peer still
    /// collecting (this node's partial, whom it answered) and returns the batch, which is not
    /// needed here any more.
    pub fn finish(&mut self) -> Option<Batch> {
        self.done = true;
        self.unchecked = Vec::new();
        self.verified = BTreeMap::new();
        self.batch.take()
    }

    /// This node's own partial (valid by construction).
    pub fn add_own(&mut self, partial: PartialSignature) {
        self.mine = Some(partial.clone());
        self.verified.insert(partial.index.get(), partial);
    }

    /// A peer's partial, kept unchecked; `false` if it adds nothing (its index is already
    /// verified, it is a duplicate) or `max_unchecked` are already waiting.
    pub fn add(&mut self, partial: PartialSignature, max_unchecked: usize) -> bool {
        if self.done
            || self.verified.contains_key(&partial.index.get())
            || self.unchecked.len() >= max_unchecked
            || self.unchecked.contains(&partial)
        {
            return false;
        }
        self.unchecked.push(partial);
        true
    }

    /// Checks every unchecked partial against `msg`, keeping the valid ones.
    fn check_all(&mut self, dkg: &DkgOutput, msg: &[u8], timings: &Timings) {
        for partial in std::mem::take(&mut self.unchecked) {
            let index = partial.index.get();
            if !self.verified.contains_key(&index)
                && timings.time("sig.partial_verify", || {
                    threshold::verify_partial(dkg, &partial, BYZVOTE_DECISION, msg)
                })
            {
                self.verified.insert(index, partial);
            }
        }
    }

    /// Interpolates the group signature from `partials` (not checked).
    fn interpolate<'a>(
        dkg: &DkgOutput,
        timings: &Timings,
        partials: impl IntoIterator<Item = &'a PartialSignature>,
    ) -> Option<GroupSignature> {
        timings
            .time("sig.recover", || threshold::recover(dkg, partials))
            .ok()
    }

    /// The group signature recovered from a threshold of partials, once they are in, not
    /// checked yet: the caller checks it (with others: [`super::memo::verify_all`]) and calls
    /// [`Collect::rejected`] if it is not valid. `None` while too few partials are in.
    pub fn recover(
        &mut self,
        dkg: &DkgOutput,
        msg: &[u8],
        timings: &Timings,
    ) -> Option<GroupSignature> {
        if self.done || self.batch.is_none() {
            return None;
        }
        let needed = dkg.threshold() as usize;
        if self.suspicious {
            self.check_all(dkg, msg, timings);
        }
        // Verified partials first, then one unchecked partial per missing index.
        let mut chosen: BTreeMap<u32, &PartialSignature> =
            self.verified.iter().map(|(i, p)| (*i, p)).collect();
        for p in &self.unchecked {
            if chosen.len() >= needed {
                break;
            }
            chosen.entry(p.index.get()).or_insert(p);
        }
        if chosen.len() < needed {
            return None;
        }
        self.optimistic = chosen.len() > self.verified.len().min(needed);
        Self::interpolate(dkg, timings, chosen.into_values().take(needed))
    }

    /// The signature [`Collect::recover`] returned did not verify. If it used unchecked
    /// partials, some peer sent a bad one: every partial is checked on its own, the bad ones
    /// are dropped, every later one is checked before use, and the signature is recovered
    /// again from the valid ones and checked. `None` while too few valid partials are in.
    pub fn rejected(
        &mut self,
        dkg: &DkgOutput,
        msg: &[u8],
        timings: &Timings,
    ) -> Option<GroupSignature> {
        if !std::mem::take(&mut self.optimistic) {
            return None; // verified partials that do not recover: nothing more to try
        }
        timings.value("sig.optimistic_failed", 1.0);
        self.suspicious = true;
        self.check_all(dkg, msg, timings);
        if self.verified.len() < dkg.threshold() as usize {
            return None;
        }
        let signature = Self::interpolate(
            dkg,
            timings,
            self.verified.values().take(dkg.threshold() as usize),
        )?;
        timings
            .time("sig.verify", || {
                super::memo::verify(dkg.group_public_key(), BYZVOTE_DECISION, msg, &signature)
            })
            .then_some(signature)
    }

    /// [`Collect::recover`], checked on its own (then [`Collect::rejected`] if it fails).
    #[cfg(test)]
    pub fn try_recover(
        &mut self,
        dkg: &DkgOutput,
        msg: &[u8],
        timings: &Timings,
    ) -> Option<GroupSignature> {
        let signature = self.recover(dkg, msg, timings)?;
        if timings.time("sig.verify", || {
            super::memo::verify(dkg.group_public_key(), BYZVOTE_DECISION, msg, &signature)
        }) {
            return Some(signature);
        }
        self.rejected(dkg, msg, timings)
    }
}

/// The batch roots this node holds peers' partials for but has not decided itself yet (keys
/// chosen by peers), with when each was first heard of (ms), so that they stay bounded in
/// number and in age. Decided roots do not count: a long-running node keeps one entry per
/// batch it certified (to answer late peers), and counting those once filled the bound after
/// 4,096 batches, from then on dropping every partial that arrived before this node's own
/// decision; the vote then waited 1-2 s for its signer's resend (seen as certification stalls
/// of 1.3-2.1 s at c=32-128 after a few thousand votes).
#[derive(Default)]
pub struct Early(BTreeMap<byzvote_core::Digest, u64>);

impl Early {
    /// Whether a partial for `root`, not decided here, may be buffered at `now`: it is
    /// already, or fewer than `max` are.
    pub fn admit(&mut self, root: byzvote_core::Digest, now: u64, max: usize) -> bool {
        if self.0.contains_key(&root) {
            return true;
        }
        if self.0.len() >= max {
            return false;
        }
        self.0.insert(root, now);
        true
    }

    /// This node decided `root`: its partials are no longer early.
    pub fn decided(&mut self, root: &byzvote_core::Digest) {
        self.0.remove(root);
    }

    /// Forgets, and returns, the roots first heard of before `now - ttl` and still not
    /// decided here (a peer's forged root, or a vote far ahead of this node: its signers
    /// answer again when this node broadcasts its own partial).
    pub fn expire(&mut self, now: u64, ttl: u64) -> Vec<byzvote_core::Digest> {
        let old: Vec<_> = self
            .0
            .iter()
            .filter(|&(_, &at)| now >= at.saturating_add(ttl))
            .map(|(root, _)| *root)
            .collect();
        for root in &old {
            self.0.remove(root);
        }
        old
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.0.len()
    }
}

/// Why a logged certificate does not hold.
#[derive(Debug, thiserror::Error)]
pub enum CertificateError {
    #[error("signature does not decode")]
    Signature,
    #[error("proof does not decode")]
    Proof,
    #[error("record is not in the batch its proof names")]
    NotInBatch,
    #[error("signature does not verify under the group key")]
    Invalid,
}

/// Checks a certificate as the audit log holds it: `record` is in the batch of `proof`, and
/// `signature` is the group's over that batch's root. Not memoized (an independent check of
/// what the node logged).
pub fn verify(
    group: &byzvote_dkg::GroupPublicKey,
    record: &[u8],
    signature: &[u8],
    proof: &[u8],
) -> Result<(), CertificateError> {
    let (root, signature) = signed_root(record, signature, proof)?;
    if !threshold::verify(group, BYZVOTE_DECISION, root.as_ref(), &signature) {
        return Err(CertificateError::Invalid);
    }
    Ok(())
}

/// A logged certificate's batch root and signature, once its record is shown to be in that
/// batch: what is left to check is that the signature is the group's over the root.
pub fn signed_root(
    record: &[u8],
    signature: &[u8],
    proof: &[u8],
) -> Result<(byzvote_core::Digest, GroupSignature), CertificateError> {
    use commonware_codec::DecodeExt as _;
    let signature = GroupSignature::decode(bytes::Bytes::copy_from_slice(signature))
        .map_err(|_| CertificateError::Signature)?;
    let proof =
        Proof::decode(bytes::Bytes::copy_from_slice(proof)).map_err(|_| CertificateError::Proof)?;
    if !proof.includes(record) {
        return Err(CertificateError::NotInBatch);
    }
    Ok((proof.root, signature))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn decided_roots_do_not_fill_the_early_bound() {
        let root = |i: u32| commonware_cryptography::Sha256::hash(&[&i.to_be_bytes()]);
        let mut early = Early::default();
        // Many batches heard of early, then decided here: none of them counts any more.
        for i in 0..10_000 {
            assert!(early.admit(root(i), 0, 4), "batch {i}");
            early.decided(&root(i));
        }
        assert_eq!(early.len(), 0);
        // Undecided ones are bounded...
        for i in 0..4 {
            assert!(early.admit(root(20_000 + i), 10, 4));
        }
        assert!(!early.admit(root(30_000), 10, 4), "a fifth undecided root");
        assert!(
            early.admit(root(20_000), 10, 4),
            "a known root is still admitted"
        );
        // ...and in age: expired ones make room.
        assert!(early.expire(15, 10).is_empty());
        assert_eq!(early.expire(20, 10).len(), 4);
        assert!(early.admit(root(30_000), 20, 4));
        assert_eq!(early.len(), 1);
    }
    use crate::protocol::beacon::tests::trusted_dealer_outputs;
    use byzvote_core::{DecisionRecord, OutcomeKind};
    use commonware_codec::Encode as _;
    use commonware_cryptography::Hasher as _;

    fn record(answer: &str) -> DecisionRecord {
        DecisionRecord {
            request: commonware_cryptography::Sha256::hash(&[b"request"]),
            tier: 3,
            mode: byzvote_core::Mode::Exact,
            committee: vec![0, 1, 2, 3],
            outcome: OutcomeKind::Agreed,
            answer: Some(answer.into()),
            answer_digest: Some(byzvote_core::answer_digest(answer)),
            supporters: vec![0, 1, 2, 3],
            dissenters: vec![],
            silent: vec![],
            height: 4,
            epoch: 0,
            aggregation: None,
            cosines: None,
            pick: None,
        }
    }

    pub(crate) fn batch(answer: &str) -> Batch {
        Batch::new(vec![record(answer), record(&format!("{answer} again"))])
    }

    pub(crate) fn sign(dkg: &DkgOutput, b: &Batch) -> PartialSignature {
        threshold::partial_sign(dkg.share(), BYZVOTE_DECISION, b.root().as_ref())
    }

    #[test]
    fn honest_partials_recover_without_checking_each() {
        let dkg = trusted_dealer_outputs(4, 3);
        let b = batch("4");
        let root = b.root();
        let msg = root.as_ref();
        let timings = Timings::enabled();
        let mut c = Collect {
            batch: Some(b.clone()),
            ..Collect::default()
        };
        c.add_own(sign(&dkg[0], &b));
        assert!(c.add(sign(&dkg[1], &b), 8));
        assert!(!c.add(sign(&dkg[1], &b), 8), "duplicate");
        assert!(c.try_recover(&dkg[0], msg, &timings).is_none(), "2 of 3");
        assert!(c.add(sign(&dkg[2], &b), 8));
        let sig = c.try_recover(&dkg[0], msg, &timings).expect("certificate");
        assert!(threshold::verify(
            dkg[0].group_public_key(),
            BYZVOTE_DECISION,
            msg,
            &sig
        ));
        let stages = timings.snapshot();
        assert!(
            !stages.iter().any(|s| s.stage == "sig.partial_verify"),
            "no partial was checked on its own"
        );
    }

    #[test]
    fn a_bad_partial_is_dropped_and_the_rest_certify() {
        let dkg = trusted_dealer_outputs(4, 3);
        let b = batch("4");
        let root = b.root();
        let msg = root.as_ref();
        let timings = Timings::enabled();
        let mut c = Collect {
            batch: Some(b.clone()),
            ..Collect::default()
        };
        c.add_own(sign(&dkg[0], &b));
        c.add(sign(&dkg[1], &batch("forged")), 8); // a Byzantine peer's partial
        c.add(sign(&dkg[2], &b), 8);
        assert!(c.try_recover(&dkg[0], msg, &timings).is_none());
        assert!(c.suspicious);
        // The bad one is gone; an honest third partial completes the threshold.
        assert!(c.add(sign(&dkg[3], &b), 8));
        let sig = c.try_recover(&dkg[0], msg, &timings).expect("certificate");
        assert!(threshold::verify(
            dkg[0].group_public_key(),
            BYZVOTE_DECISION,
            msg,
            &sig
        ));
        assert_eq!(c.verified.len(), 3);
    }

    #[test]
    fn a_finished_batch_keeps_only_its_own_partial() {
        let dkg = trusted_dealer_outputs(4, 3);
        let b = batch("4");
        let mut c = Collect {
            batch: Some(b.clone()),
            ..Collect::default()
        };
        c.add_own(sign(&dkg[0], &b));
        assert!(c.add(sign(&dkg[1], &b), 8));
        assert_eq!(c.finish().map(|f| f.root()), Some(b.root()));
        assert!(c.done && c.batch.is_none());
        assert!(c.unchecked.is_empty() && c.verified.is_empty());
        assert_eq!(c.mine, Some(sign(&dkg[0], &b)), "kept to help a late peer");
        assert!(
            !c.add(sign(&dkg[2], &b), 8),
            "a finished batch takes no partial"
        );
        assert!(c.finish().is_none(), "finished once");
    }

    #[test]
    fn partials_before_the_decision_wait_and_are_bounded() {
        let dkg = trusted_dealer_outputs(4, 3);
        let b = batch("4");
        let root = b.root();
        let mut c = Collect::default();
        assert!(c.add(sign(&dkg[1], &b), 2));
        assert!(c.add(sign(&dkg[2], &b), 2));
        assert!(!c.add(sign(&dkg[3], &b), 2), "bound");
        assert!(
            c.try_recover(&dkg[0], root.as_ref(), &Timings::default())
                .is_none()
        );
        c.batch = Some(b.clone());
        c.add_own(sign(&dkg[0], &b));
        assert!(
            c.try_recover(&dkg[0], root.as_ref(), &Timings::default())
                .is_some()
        );
    }

    /// What `audit verify` and the simulator check of every logged certificate.
    #[test]
    fn a_logged_certificate_holds_only_for_its_own_record_batch_and_group() {
        let dkg = trusted_dealer_outputs(4, 3);
        let b = batch("4");
        let partials: Vec<_> = dkg.iter().map(|o| sign(o, &b)).collect();
        let sig = threshold::recover(&dkg[0], partials.iter().take(3))
            .unwrap()
            .encode();
        let group = dkg[0].group_public_key();
        for (i, r) in b.records.iter().enumerate() {
            let proof = b.proof(i).unwrap().encode();
            assert!(
                verify(group, &r.encode(), &sig, &proof).is_ok(),
                "record {i}"
            );
        }
        let proof0 = b.proof(0).unwrap().encode();
        let other = b.records[1].encode();
        assert!(matches!(
            verify(group, &other, &sig, &proof0),
            Err(CertificateError::NotInBatch)
        ));
        let forged = record("5").encode();
        assert!(matches!(
            verify(group, &forged, &sig, &proof0),
            Err(CertificateError::NotInBatch)
        ));
        // The same proof under another batch's signature.
        let other_batch = batch("5");
        let partials: Vec<_> = dkg.iter().map(|o| sign(o, &other_batch)).collect();
        let other_sig = threshold::recover(&dkg[0], partials.iter().take(3))
            .unwrap()
            .encode();
        assert!(matches!(
            verify(group, &b.records[0].encode(), &other_sig, &proof0),
            Err(CertificateError::Invalid)
        ));
        assert!(matches!(
            verify(group, &b.records[0].encode(), &sig[..95], &proof0),
            Err(CertificateError::Signature)
        ));
        assert!(matches!(
            verify(group, &b.records[0].encode(), &sig, &proof0[..31]),
            Err(CertificateError::Proof)
        ));
    }
}
