//! Threshold signing with the DKG output: what a node does to certify a decision record.
//!
//! Signatures follow Commonware's `MinPk` `sign_message`: the point hashed to G2 (DST
//! `BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_`) is [`signed_message`]`(namespace, msg)`
//! = varint(len(namespace)) ‖ namespace ‖ msg. An independent BLS library verifies a group
//! signature as a standard POP-ciphersuite signature over exactly those bytes with the
//! 48-byte group key (checked with py_ecc: `tests/py_ecc_check.py`).
//!
//! A group signature proves that `2f+1` shares signed but names nobody: keep identity
//! signatures for blame.

use crate::{
    output::DkgOutput,
    types::{GroupPublicKey, GroupSignature, GroupVariant, PartialSignature, Share},
};
use commonware_codec::{DecodeExt as _, Encode as _};
use commonware_cryptography::bls12381::primitives::ops;
use thiserror::Error;

/// Why a threshold operation failed.
#[derive(Debug, Error)]
pub enum ThresholdError {
    /// Fewer distinct partial signatures than the threshold.
    #[error("not enough partial signatures to recover the group signature: {0}")]
    Recover(String),
    /// Hex that is not a valid key or signature.
    #[error("invalid {what}: {reason}")]
    Decode {
        /// "group public key" or "signature".
        what: &'static str,
        /// Why.
        reason: String,
    },
}

/// The exact bytes hashed to the curve for `msg` under `namespace` (the certificate's
/// `signed_message`).
pub fn signed_message(namespace: &[u8], msg: &[u8]) -> Vec<u8> {
    commonware_utils::union_unique(namespace, msg)
}

/// My partial signature over `msg`.
pub fn partial_sign(share: &Share, namespace: &[u8], msg: &[u8]) -> PartialSignature {
    ops::threshold::sign_message::<GroupVariant>(share, namespace, msg)
}

/// Whether `partial` is a valid partial signature over `msg` by the share at its index.
/// Check partials from peers before [`recover`]: recovery itself checks nothing.
pub fn verify_partial(
    output: &DkgOutput,
    partial: &PartialSignature,
    namespace: &[u8],
    msg: &[u8],
) -> bool {
    ops::threshold::verify_message::<GroupVariant>(output.sharing(), namespace, msg, partial)
        .is_ok()
}

/// Interpolates the group signature from at least `threshold` (= `2f+1`) partials with
/// distinct indices (extra ones are ignored). It does not verify: feed it verified partials
/// or [`verify`] the result, since invalid partials give an invalid signature.
pub fn recover<'a>(
    output: &DkgOutput,
    partials: impl IntoIterator<Item = &'a PartialSignature>,
) -> Result<GroupSignature, ThresholdError> {
    ops::threshold::recover::<GroupVariant, _>(
        output.sharing(),
        partials,
        &commonware_parallel::Sequential,
    )
    .map_err(|e| ThresholdError::Recover(e.to_string()))
}

/// Whether `sig` is the group's signature over `msg` under `namespace`.
pub fn verify(
    group_key: &GroupPublicKey,
    namespace: &[u8],
    msg: &[u8],
    sig: &GroupSignature,
) -> bool {
    ops::verify_message::<GroupVariant>(group_key, namespace, msg, sig).is_ok()
}

/// Whether every `(msg, sig)` of `items` is the group's signature over `msg` under
/// `namespace`, for about the cost of one [`verify`] however many there are: Commonware's
/// `batch::verify_same_signer` (a random linear combination with 128-bit weights; two
/// pairings). The weights are drawn from `seed`, which whoever chose the signatures must not
/// be able to predict: derive it from a secret, or hash all the items into it. The signatures
/// must be in G2's subgroup (decoded or recovered ones are). `false` says only that one or more
/// is bad: check each with [`verify`] to find which. `true` for no items.
pub fn verify_together(
    group_key: &GroupPublicKey,
    namespace: &[u8],
    items: &[(&[u8], GroupSignature)],
    seed: [u8; 32],
) -> bool {
    use rand::SeedableRng as _;
    let mut rng = rand::rngs::StdRng::from_seed(seed);
    let entries = items.iter().map(|(msg, sig)| (namespace, *msg, *sig));
    commonware_utils::iter::NonEmpty::try_new(entries).is_none_or(|entries| {
        ops::batch::verify_same_signer::<_, GroupVariant, _>(
            &mut rng,
            group_key,
            entries,
            &commonware_parallel::Sequential,
        )
        .is_ok()
    })
}

/// Lowercase hex of the 48-byte compressed group key.
pub fn key_to_hex(key: &GroupPublicKey) -> String {
    hex::encode(key.encode())
}

/// Parses a 48-byte compressed group key (rejects points off the curve or subgroup).
pub fn key_from_hex(s: &str) -> Result<GroupPublicKey, ThresholdError> {
    let err = |reason: String| ThresholdError::Decode {
        what: "group public key (expected 96 hex characters)",
        reason,
    };
    let bytes = hex::decode(s.trim()).map_err(|e| err(e.to_string()))?;
    GroupPublicKey::decode(bytes).map_err(|e| err(e.to_string()))
}

/// Lowercase hex of the 96-byte compressed signature.
pub fn signature_to_hex(sig: &GroupSignature) -> String {
    hex::encode(sig.encode())
}

/// Parses a 96-byte compressed signature (rejects points off the curve or subgroup).
pub fn signature_from_hex(s: &str) -> Result<GroupSignature, ThresholdError> {
    let err = |reason: String| ThresholdError::Decode {
        what: "signature (expected 192 hex characters)",
        reason,
    };
    let bytes = hex::decode(s.trim()).map_err(|e| err(e.to_string()))?;
    GroupSignature::decode(bytes).map_err(|e| err(e.to_string()))
}
