//! Identity-signed commits and reveals.
//!
//! Each member signs its commit and its reveal with its ed25519 identity key. These signatures are
//! what make evidence attributable: a threshold signature proves the group agreed but cannot blame
//! anyone, while two signed conflicting commits, or a signed reveal that does not open a signed
//! commit, prove that one specific member misbehaved.
//!
//! The signed message is the commonware-codec encoding of the inner value, under the namespace
//! [`BYZVOTE_COMMIT`] or [`BYZVOTE_REVEAL`] (Commonware's ed25519 signs
//! `union_unique(namespace, msg)`). Wire encoding: inner encoding ‖ 64-byte signature.
//!
//! Nodes now send their commits and reveals signed together, many under one signature (the
//! node crate's `protocol::bundle`, namespace [`crate::namespace::BYZVOTE_BUNDLE`]); these
//! single forms are what older audit logs hold, and what is still read from them.

use crate::{
    commit::{Commit, Reveal},
    namespace::{BYZVOTE_COMMIT, BYZVOTE_REVEAL},
};
use bytes::BufMut;
use commonware_codec::{Buf, Encode, EncodeSize, Error, FixedSize, Read, ReadExt, Write};
use commonware_cryptography::{Signer, Verifier, ed25519};

/// A commit signed by its member's identity key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SignedCommit {
    /// The commit.
    pub commit: Commit,
    /// ed25519 signature over `commit.encode()` under [`BYZVOTE_COMMIT`].
    pub signature: ed25519::Signature,
}

impl SignedCommit {
    /// Signs `commit` with `key`.
    pub fn sign(commit: Commit, key: &ed25519::PrivateKey) -> Self {
        let signature = key.sign(BYZVOTE_COMMIT, &commit.encode());
        Self { commit, signature }
    }

    /// Whether the signature is `public_key`'s over this commit. The caller must also check that
    /// `public_key` belongs to `commit.member`.
    pub fn verify(&self, public_key: &ed25519::PublicKey) -> bool {
        let (namespace, message, signature) = self.signed_parts();
        public_key.verify(namespace, &message, signature)
    }

    /// What the signature covers — namespace and message — and the signature: what
    /// [`Self::verify`] checks, for checking many signatures together.
    pub fn signed_parts(&self) -> (&'static [u8], Vec<u8>, &ed25519::Signature) {
        (
            BYZVOTE_COMMIT,
            self.commit.encode().to_vec(),
            &self.signature,
        )
    }
}

impl Commit {
    /// Signs this commit (same as [`SignedCommit::sign`]).
    pub fn sign(self, key: &ed25519::PrivateKey) -> SignedCommit {
        SignedCommit::sign(self, key)
    }
}

/// A reveal signed by its member's identity key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SignedReveal {
    /// The reveal.
    pub reveal: Reveal,
    /// ed25519 signature over `reveal.encode()` under [`BYZVOTE_REVEAL`].
    pub signature: ed25519::Signature,
}

impl SignedReveal {
    /// Signs `reveal` with `key`.
    pub fn sign(reveal: Reveal, key: &ed25519::PrivateKey) -> Self {
        let signature = key.sign(BYZVOTE_REVEAL, &reveal.encode());
        Self { reveal, signature }
    }

    /// Whether the signature is `public_key`'s over this reveal. The caller must also check that
    /// `public_key` belongs to `reveal.member`.
    pub fn verify(&self, public_key: &ed25519::PublicKey) -> bool {
        let (namespace, message, signature) = self.signed_parts();
        public_key.verify(namespace, &message, signature)
    }

    /// What the signature covers — namespace and message — and the signature: what
    /// [`Self::verify`] checks, for checking many signatures together.
    pub fn signed_parts(&self) -> (&'static [u8], Vec<u8>, &ed25519::Signature) {
        (
            BYZVOTE_REVEAL,
            self.reveal.encode().to_vec(),
            &self.signature,
        )
    }
}

impl Reveal {
    /// Signs this reveal (same as [`SignedReveal::sign`]).
    pub fn sign(self, key: &ed25519::PrivateKey) -> SignedReveal {
        SignedReveal::sign(self, key)
    }
}

impl Write for SignedCommit {
    fn write(&self, buf: &mut impl BufMut) {
        self.commit.write(buf);
        self.signature.write(buf);
    }
}

impl FixedSize for SignedCommit {
    const SIZE: usize = Commit::SIZE + ed25519::Signature::SIZE;
}

impl Read for SignedCommit {
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(Self {
            commit: Commit::read(buf)?,
            signature: ed25519::Signature::read(buf)?,
        })
    }
}

impl Write for SignedReveal {
    fn write(&self, buf: &mut impl BufMut) {
        self.reveal.write(buf);
        self.signature.write(buf);
    }
}

impl EncodeSize for SignedReveal {
    fn encode_size(&self) -> usize {
        self.reveal.encode_size() + ed25519::Signature::SIZE
    }
}

impl Read for SignedReveal {
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(Self {
            reveal: Reveal::read(buf)?,
            signature: ed25519::Signature::read(buf)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Canonical, Salt};
    use commonware_codec::DecodeExt;
    use commonware_cryptography::{Hasher, Sha256};

    fn reveal() -> Reveal {
        Reveal {
            request: Sha256::hash(&[b"r"]),
            member: 1,
            canonical: Canonical("42".into()),
            salt: Salt([5; 32]),
        }
    }

    #[test]
    fn sign_verify_and_tamper() {
        let key = ed25519::PrivateKey::from_seed(1);
        let other = ed25519::PrivateKey::from_seed(2);
        let sc = reveal().commit().sign(&key);
        assert!(sc.verify(&key.public_key()));
        assert!(!sc.verify(&other.public_key()));
        let mut tampered = sc.clone();
        tampered.commit.member = 2;
        assert!(!tampered.verify(&key.public_key()));

        let sr = reveal().sign(&key);
        assert!(sr.verify(&key.public_key()));
        let mut tampered = sr.clone();
        tampered.reveal.canonical = Canonical("43".into());
        assert!(!tampered.verify(&key.public_key()));
    }

    #[test]
    fn commit_signature_is_not_a_reveal_signature() {
        // Namespaces separate the two: a signature made for one purpose never verifies as the
        // other, even over identical bytes.
        let key = ed25519::PrivateKey::from_seed(1);
        let commit = reveal().commit();
        let sig = key.sign(BYZVOTE_REVEAL, &commit.encode());
        let forged = SignedCommit {
            commit,
            signature: sig,
        };
        assert!(!forged.verify(&key.public_key()));
    }

    #[test]
    fn codec_round_trips() {
        let key = ed25519::PrivateKey::from_seed(3);
        let sc = reveal().commit().sign(&key);
        assert_eq!(sc.encode().len(), SignedCommit::SIZE);
        assert_eq!(SignedCommit::decode(sc.encode()).unwrap(), sc);
        let sr = reveal().sign(&key);
        assert_eq!(sr.encode().len(), sr.encode_size());
        let back = SignedReveal::decode(sr.encode()).unwrap();
        assert_eq!(back, sr);
        assert!(back.verify(&key.public_key()));
    }
}
