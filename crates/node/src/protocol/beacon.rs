//! The committee beacon: the randomness that draws a committee of `m < n` members.
//!
//! A request's committee must be unknown when the request is ordered, and nobody must be able
//! to choose it (DESIGN §2; else a coalition places itself on the committee). The seed is the
//! hash of the cluster's BLS threshold signature over the request id, under
//! [`BYZVOTE_BEACON`]:
//! - a threshold signature is unique (one valid value per message and group key, whichever
//!   shares made it), so no leader and no coalition can bias it;
//! - honest nodes sign only a request that is already finalized, and recovering needs `2f+1`
//!   shares, so a coalition of at most `f` cannot learn the committee before the request is
//!   ordered, nor grind anything to change it.
//!
//! (The seed used to be the parent block's digest. The leader of that block chooses its
//! contents, so it could grind the digest until a pending request's committee suited it.)
//!
//! Flow: the state parks a request that needs a draw and emits
//! [`Event::NeedBeacon`](super::state::Event::NeedBeacon); every node partial-signs the id
//! and gossips its partial; whoever gathers a threshold recovers the signature and submits a
//! `Beacon` transaction; the first valid one in a finalized block fixes the committee and the
//! vote starts at that block's timestamp. It costs one partial exchange and one block.

use byzvote_core::{Digest, namespace::BYZVOTE_BEACON};
use byzvote_dkg::{DkgOutput, GroupPublicKey, GroupSignature, PartialSignature, threshold};
use commonware_codec::Encode as _;
use commonware_cryptography::{Hasher as _, Sha256};
use std::collections::BTreeMap;

/// Whether `signature` is the cluster's beacon for `request`.
pub fn verify(group: &GroupPublicKey, request: &Digest, signature: &GroupSignature) -> bool {
    threshold::verify(group, BYZVOTE_BEACON, request.as_ref(), signature)
}

/// The committee seed a beacon gives: SHA-256 of the signature's 96-byte encoding.
pub fn seed(signature: &GroupSignature) -> Digest {
    Sha256::hash(&[&signature.encode()])
}

/// Ids gathered before this node started them (peer-chosen: bounded).
const MAX_EARLY: usize = 1024;

/// One request's beacon being gathered.
#[derive(Default)]
struct Gather {
    /// This node's partial, once it signed (the request is finalized here).
    mine: Option<PartialSignature>,
    /// Verified partials by share index.
    verified: BTreeMap<u32, PartialSignature>,
    /// The recovered signature, once a threshold was in.
    recovered: Option<GroupSignature>,
    /// Height of the last (re)send.
    sent_at: u64,
}

/// The beacons this node is gathering, until each is ordered.
#[derive(Default)]
pub struct Beacons {
    open: BTreeMap<Digest, Gather>,
}

impl Beacons {
    /// Signs `id` (finalized at `height`) and returns the partial to gossip, and the beacon if
    /// the partials that arrived earlier already make a threshold with it.
    pub fn start(
        &mut self,
        dkg: &DkgOutput,
        id: Digest,
        height: u64,
    ) -> (PartialSignature, Option<GroupSignature>) {
        let partial = threshold::partial_sign(dkg.share(), BYZVOTE_BEACON, id.as_ref());
        let gather = self.open.entry(id).or_default();
        gather.mine = Some(partial.clone());
        gather.sent_at = height;
        gather.verified.insert(partial.index.get(), partial.clone());
        (partial, Self::try_recover(dkg, &id, gather))
    }

    /// A peer's partial for `id`. Returns the beacon the first time a threshold is reached.
    /// A partial that does not verify is dropped; so is one for an id this node has not
    /// started when too many such ids are buffered (its sender resends it).
    pub fn add(
        &mut self,
        dkg: &DkgOutput,
        id: Digest,
        partial: PartialSignature,
    ) -> Option<GroupSignature> {
        if !self.open.contains_key(&id) {
            let early = self.open.values().filter(|g| g.mine.is_none()).count();
            if early >= MAX_EARLY {
                return None;
            }
        }
        if !threshold::verify_partial(dkg, &partial, BYZVOTE_BEACON, id.as_ref()) {
            return None;
        }
        let gather = self.open.entry(id).or_default();
        if gather.recovered.is_some() {
            return None;
        }
        gather.verified.insert(partial.index.get(), partial);
        Self::try_recover(dkg, &id, gather)
    }

    fn try_recover(dkg: &DkgOutput, id: &Digest, gather: &mut Gather) -> Option<GroupSignature> {
        if gather.recovered.is_some() || gather.verified.len() < dkg.threshold() as usize {
            return None;
        }
        let signature = threshold::recover(dkg, gather.verified.values()).ok()?;
        if !verify(dkg.group_public_key(), id, &signature) {
            return None;
        }
        gather.recovered = Some(signature);
        gather.recovered
    }

    /// The beacon of `id` is ordered: forget it.
    pub fn finish(&mut self, id: &Digest) {
        self.open.remove(id);
    }

    /// Started beacons not ordered `every` blocks after their last send, marked sent at
    /// `height`: each with this node's partial (peers that missed it) and the signature if
    /// recovered (a lost transaction). Ids in order, so a simulation replays the same way.
    pub fn due(
        &mut self,
        height: u64,
        every: u64,
    ) -> Vec<(Digest, PartialSignature, Option<GroupSignature>)> {
        let mut out = Vec::new();
        for (id, gather) in self.open.iter_mut() {
            let Some(mine) = &gather.mine else { continue };
            if height >= gather.sent_at.saturating_add(every) {
                gather.sent_at = height;
                out.push((*id, mine.clone(), gather.recovered));
            }
        }
        out
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use byzvote_dkg::{FaultModel, GroupVariant, Identity, IdentityKey};
    use commonware_cryptography::Signer as _;
    use commonware_cryptography::bls12381::{dkg::feldman_desmedt, primitives::sharing::Mode};
    use commonware_utils::{TestRng, ordered::Set};

    /// Shares of an `n`-member cluster from Commonware's trusted dealer (tests only).
    pub(crate) fn trusted_dealer_outputs(n: u64, seed: u64) -> Vec<DkgOutput> {
        let mut keys: Vec<Identity> = (0..n)
            .map(|i| IdentityKey::from_seed(i).public_key())
            .collect();
        keys.sort();
        let players = Set::try_from(keys.clone()).unwrap();
        let (output, shares) = feldman_desmedt::deal::<GroupVariant, Identity, FaultModel>(
            TestRng::new(seed),
            Mode::NonZeroCounter,
            players,
        )
        .unwrap();
        keys.iter()
            .map(|k| {
                DkgOutput::new(0, output.clone(), shares.get_value(k).unwrap().clone()).unwrap()
            })
            .collect()
    }

    /// The cluster's beacon for `id`, from a threshold of the dealt shares.
    pub(crate) fn sign(outputs: &[DkgOutput], id: &Digest) -> GroupSignature {
        let partials: Vec<PartialSignature> = outputs
            .iter()
            .map(|o| threshold::partial_sign(o.share(), BYZVOTE_BEACON, id.as_ref()))
            .collect();
        threshold::recover(&outputs[0], partials.iter()).unwrap()
    }

    #[test]
    fn a_threshold_of_partials_gives_the_unique_beacon() {
        let outputs = trusted_dealer_outputs(4, 7);
        let id = Sha256::hash(&[b"request"]);
        let mut nodes: Vec<Beacons> = (0..4).map(|_| Beacons::default()).collect();
        let partials: Vec<PartialSignature> = (0..4)
            .map(|i| nodes[i].start(&outputs[i], id, 1).0)
            .collect();
        // Node 0 gets partials 1 and 2: with its own, a threshold (3 of 4).
        assert_eq!(nodes[0].add(&outputs[0], id, partials[1].clone()), None);
        let a = nodes[0]
            .add(&outputs[0], id, partials[2].clone())
            .expect("beacon");
        // Node 3 gets 0 and 1: another set of shares, the same signature.
        nodes[3].add(&outputs[3], id, partials[0].clone());
        let b = nodes[3]
            .add(&outputs[3], id, partials[1].clone())
            .expect("beacon");
        assert_eq!(a, b);
        assert!(verify(outputs[0].group_public_key(), &id, &a));
        assert!(!verify(
            outputs[0].group_public_key(),
            &Sha256::hash(&[b"other"]),
            &a
        ));
        assert_ne!(seed(&a), Sha256::hash(&[b"request"]));
    }

    #[test]
    fn partials_for_another_id_or_duplicated_do_not_count() {
        let outputs = trusted_dealer_outputs(4, 7);
        let id = Sha256::hash(&[b"request"]);
        let other = Sha256::hash(&[b"other"]);
        let mut node = Beacons::default();
        node.start(&outputs[0], id, 1);
        let wrong = threshold::partial_sign(outputs[1].share(), BYZVOTE_BEACON, other.as_ref());
        assert_eq!(node.add(&outputs[0], id, wrong), None);
        let p1 = threshold::partial_sign(outputs[1].share(), BYZVOTE_BEACON, id.as_ref());
        assert_eq!(node.add(&outputs[0], id, p1.clone()), None);
        assert_eq!(node.add(&outputs[0], id, p1), None, "the same share twice");
    }

    #[test]
    fn resends_come_due_and_stop_once_finished() {
        let outputs = trusted_dealer_outputs(4, 7);
        let id = Sha256::hash(&[b"request"]);
        let mut node = Beacons::default();
        node.start(&outputs[0], id, 5);
        assert!(node.due(10, 10).is_empty());
        assert_eq!(node.due(15, 10).len(), 1);
        assert!(node.due(16, 10).is_empty(), "marked sent at 15");
        node.finish(&id);
        assert!(node.due(100, 10).is_empty());
    }
}
