//! The few concrete types behind Commonware's generics, named once.

use commonware_cryptography::{
    bls12381::{
        dkg::feldman_desmedt,
        primitives::variant::{MinPk, PartialSignature as GenericPartial, Variant},
    },
    ed25519,
};

/// Signature variant: public keys in G1 (48 bytes), signatures in G2 (96 bytes), the layout
/// standard BLS libraries (py_ecc, blst `min_pk`) verify with the `POP` ciphersuite.
pub type GroupVariant = MinPk;

/// Identity key of a participant (its p2p identity, signs acks and dealer logs).
pub type Identity = ed25519::PublicKey;

/// Identity private key.
pub type IdentityKey = ed25519::PrivateKey;

/// The group public key (48 bytes encoded).
pub type GroupPublicKey = <MinPk as Variant>::Public;

/// A group (threshold) signature (96 bytes encoded).
pub type GroupSignature = <MinPk as Variant>::Signature;

/// A partial signature by one share.
pub type PartialSignature = GenericPartial<MinPk>;

/// A secret share of the group key.
pub type Share = commonware_cryptography::bls12381::primitives::group::Share;

/// The public polynomial committing to the group key and every share.
pub type Sharing = commonware_cryptography::bls12381::primitives::sharing::Sharing<MinPk>;

/// Public result of the DKG in Commonware's form.
pub type PublicOutput = feldman_desmedt::Output<MinPk, Identity>;

/// Round information every participant must build identically.
pub type RoundInfo = feldman_desmedt::Info<MinPk, Identity>;

/// A dealer's signed transcript: its commitment plus an ack or a revealed share per player.
pub type SignedLog = feldman_desmedt::SignedDealerLog<MinPk, Identity>;

/// The fault model: `n = 3f + 1`, quorum `2f + 1`.
pub type FaultModel = commonware_utils::N3f1;

/// Maximum number of participants accepted when decoding anything (bounds every read).
pub const MAX_PARTICIPANTS: u32 = 1024;
