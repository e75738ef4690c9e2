//! The concrete Commonware types of a byzvote cluster, in one place.

use commonware_consensus::simplex;
use commonware_cryptography::{ed25519, sha256};

/// Identity key of a node (p2p, consensus votes, commit/reveal signatures).
pub type PublicKey = ed25519::PublicKey;
pub type PrivateKey = ed25519::PrivateKey;
/// Block and transaction digests.
pub type Digest = sha256::Digest;
/// Simplex votes are ed25519: measured ~3.5x faster than threshold-BLS votes at n=4 here;
/// the threshold certificate is made separately, over each decision record.
pub type Scheme = simplex::scheme::ed25519::Scheme;
/// The consensus context handed to the application.
pub type Ctx = simplex::types::Context<Digest, PublicKey>;

/// The public key of an identity key.
pub fn public_key(key: &PrivateKey) -> PublicKey {
    commonware_cryptography::Signer::public_key(key)
}
