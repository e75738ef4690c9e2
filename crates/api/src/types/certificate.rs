//! The certificate: one BLS12-381 threshold signature by the cluster's group key over the
//! Merkle root of the decision records one finalized block made (see `byzvote_core::batch`),
//! and the proof that this decision's record is in that batch. `CERTIFICATE.md` in this crate
//! documents how any BLS implementation checks it; [`crate::verify::verify_certificate`] checks
//! it here.

use crate::core_types::DecisionRecord;
use commonware_codec::Encode;
use commonware_cryptography::bls12381::primitives::variant::{MinPk, Variant};
use serde::{Deserialize, Serialize};

/// The value of [`Certificate::scheme`].
pub const SCHEME: &str = "bls12381-threshold-minpk";
/// The value of [`Certificate::ciphersuite`]: the IETF BLS signature ciphersuite (proof of
/// possession variant, signatures in G2) whose DST is used to hash the message to the curve.
pub const CIPHERSUITE: &str = "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";
/// Length of a compressed G1 group public key.
pub const GROUP_KEY_LEN: usize = 48;
/// Length of a compressed G2 signature.
pub const SIGNATURE_LEN: usize = 96;

/// The namespace the group signs batch roots of decision records under (UTF-8), from
/// `byzvote-core`.
pub fn decision_namespace() -> &'static str {
    // The core constant is ASCII; fall back to the empty string only if it ever were not, which
    // would make every certificate fail verification loudly rather than silently.
    std::str::from_utf8(byzvote_core::namespace::BYZVOTE_DECISION).unwrap_or("")
}

/// A decision's certificate, as carried in a [`crate::VoteResponse`] and by `byzvote verify`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Certificate {
    /// Always `bls12381-threshold-minpk`: BLS12-381, public keys in G1 (48 bytes), signatures in
    /// G2 (96 bytes), the key shared by threshold among the nodes.
    pub scheme: String,
    /// Always `BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_`, the hash-to-curve DST.
    pub ciphersuite: String,
    /// The group public key, hex of the 48-byte compressed G1 point.
    pub group_public_key: String,
    /// The threshold signature, hex of the 96-byte compressed G2 point.
    pub signature: String,
    /// The signing namespace as UTF-8 text (the decision namespace of `byzvote-core`).
    pub namespace: String,
    /// Hex of the exact bytes hashed to the curve: `varint(len(namespace)) ‖ namespace ‖
    /// batch.root`.
    pub signed_message: String,
    /// The decision record, decoded, with the agreed text in `answer`.
    pub record: DecisionRecord,
    /// Hex of the record's canonical encoding (a leaf of the signed batch).
    pub record_bytes: String,
    /// That `record_bytes` is in the batch whose root was signed.
    pub batch: BatchProof,
}

/// A record's place in the batch of decisions whose Merkle root the group signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchProof {
    /// Hex of the 32-byte root (what `signed_message` ends with).
    pub root: String,
    /// The record's position in the batch, from 0.
    pub index: u32,
    /// How many records the batch holds.
    pub leaves: u32,
    /// Hex of each 32-byte sibling digest, from the leaf up.
    pub siblings: Vec<String>,
}

impl BatchProof {
    /// The JSON form of a core proof.
    pub fn from_proof(proof: &byzvote_core::batch::Proof) -> Self {
        Self {
            root: hex::encode(proof.root),
            index: proof.index,
            leaves: proof.leaves,
            siblings: proof.siblings.iter().map(hex::encode).collect(),
        }
    }
}

impl Certificate {
    /// Builds the certificate for `record` from the group key, the recovered threshold
    /// signature over `union_unique(namespace, proof.root)` and the record's batch proof. Does
    /// not check anything: call [`crate::verify::verify_certificate`] for that.
    pub fn new(
        group_public_key: &<MinPk as Variant>::Public,
        signature: &<MinPk as Variant>::Signature,
        record: DecisionRecord,
        proof: &byzvote_core::batch::Proof,
    ) -> Self {
        Self::with_encoded(
            &group_public_key.encode(),
            &signature.encode(),
            record,
            proof,
        )
    }

    /// [`Self::new`] from the encodings of the group key and the signature (compressed
    /// points), for a caller that holds them: compressing a point costs a field inversion,
    /// which a loaded node spent on every response.
    pub fn with_encoded(
        group_public_key: &[u8],
        signature: &[u8],
        record: DecisionRecord,
        proof: &byzvote_core::batch::Proof,
    ) -> Self {
        let record_bytes = record.encode();
        let namespace = decision_namespace();
        let signed_message = commonware_utils::union_unique(namespace.as_bytes(), &proof.root);
        Self {
            scheme: SCHEME.to_string(),
            ciphersuite: CIPHERSUITE.to_string(),
            group_public_key: hex::encode(group_public_key),
            signature: hex::encode(signature),
            namespace: namespace.to_string(),
            signed_message: hex::encode(signed_message),
            record,
            record_bytes: hex::encode(record_bytes),
            batch: BatchProof::from_proof(proof),
        }
    }
}
