//! Commit and reveal: binding a member to its answer before anyone sees the others'.
//!
//! A committee member first publishes a commitment to its canonical answer, and only after the
//! commitment set has closed reveals the answer and the salt. The commitment hides the answer
//! (the 32-byte salt is secret and random, chosen by the caller) and binds the member to it
//! (sha256 collision resistance): nobody can copy an answer they have not yet seen, and nobody can
//! change their answer after seeing others.
//!
//! **Commitment preimage** (exact bytes):
//!
//! ```text
//! sha256( "_BYZVOTE_COMMITMENT"           (19 bytes, namespace::BYZVOTE_COMMITMENT)
//!       ‖ request id                      (32 bytes)
//!       ‖ member                          (u32, big-endian, 4 bytes)
//!       ‖ len(canonical)                  (u32, big-endian, 4 bytes)
//!       ‖ canonical                       (UTF-8 bytes)
//!       ‖ salt )                          (32 bytes)
//! ```
//!
//! **Wire encodings** (commonware-codec): `Commit` = request (32) ‖ member (u32 BE) ‖ digest (32);
//! `Reveal` = request (32) ‖ member (u32 BE) ‖ varint len ‖ canonical (≤ 64 KiB) ‖ salt (32).

use crate::{
    canonical::{Canonical, MAX_CANONICAL},
    namespace::BYZVOTE_COMMITMENT,
    wire::{hex_digest, read_str, str_size, write_str},
};
use bytes::BufMut;
use commonware_codec::{Buf, EncodeSize, Error, FixedSize, Read, ReadExt, Write};
use commonware_cryptography::{Hasher, Sha256, sha256::Digest};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A committee member: its index in the cluster's participant list (sorted by public key).
pub type MemberId = u32;

/// The secret randomness that hides a committed answer. Provided by the caller (the node draws it
/// from its runtime's RNG and persists it before committing).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Salt(pub [u8; 32]);

impl fmt::Debug for Salt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Salt({})", hex::encode(self.0))
    }
}

impl Serialize for Salt {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(self.0))
    }
}

impl<'de> Deserialize<'de> for Salt {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let bytes = hex::decode(&s).map_err(serde::de::Error::custom)?;
        let arr: [u8; 32] = bytes
            .try_into()
            .map_err(|_| serde::de::Error::custom("salt must be 32 bytes of hex"))?;
        Ok(Salt(arr))
    }
}

impl Write for Salt {
    fn write(&self, buf: &mut impl BufMut) {
        buf.put_slice(&self.0);
    }
}

impl FixedSize for Salt {
    const SIZE: usize = 32;
}

impl Read for Salt {
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(Salt(<[u8; 32]>::read(buf)?))
    }
}

/// The commitment to `canonical` by `member` for `request` (preimage in the module doc).
pub fn commitment(
    request: &Digest,
    member: MemberId,
    canonical: &Canonical,
    salt: &Salt,
) -> Digest {
    // Canonical answers are bounded by MAX_CANONICAL (64 KiB), far below u32::MAX; saturate
    // rather than panic on an impossible input.
    let len = u32::try_from(canonical.as_bytes().len()).unwrap_or(u32::MAX);
    Sha256::hash(&[
        BYZVOTE_COMMITMENT,
        request.as_ref(),
        &member.to_be_bytes(),
        &len.to_be_bytes(),
        canonical.as_bytes(),
        &salt.0,
    ])
}

/// A member's commitment for one request (signed as [`crate::SignedCommit`]). Serde: digests as
/// hex.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Commit {
    /// The request id.
    #[serde(with = "hex_digest")]
    pub request: Digest,
    /// Who commits.
    pub member: MemberId,
    /// The commitment ([`commitment`]).
    #[serde(with = "hex_digest")]
    pub digest: Digest,
}

impl Commit {
    /// The commit for an answer and salt.
    pub fn new(request: Digest, member: MemberId, canonical: &Canonical, salt: &Salt) -> Self {
        Self {
            request,
            member,
            digest: commitment(&request, member, canonical, salt),
        }
    }
}

/// A member's opening of its commitment (signed as [`crate::SignedReveal`]). Serde: digest and
/// salt as hex.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Reveal {
    /// The request id.
    #[serde(with = "hex_digest")]
    pub request: Digest,
    /// Who reveals.
    pub member: MemberId,
    /// The committed answer.
    pub canonical: Canonical,
    /// The committed salt.
    pub salt: Salt,
}

impl Reveal {
    /// Whether this reveal opens `commit`: same request, same member, and the commitment of
    /// `(canonical, salt)` equals the committed digest.
    pub fn opens(&self, commit: &Commit) -> bool {
        self.request == commit.request
            && self.member == commit.member
            && commitment(&self.request, self.member, &self.canonical, &self.salt) == commit.digest
    }

    /// The commit this reveal opens.
    pub fn commit(&self) -> Commit {
        Commit::new(self.request, self.member, &self.canonical, &self.salt)
    }
}

impl Write for Commit {
    fn write(&self, buf: &mut impl BufMut) {
        self.request.write(buf);
        self.member.write(buf);
        self.digest.write(buf);
    }
}

impl FixedSize for Commit {
    const SIZE: usize = 32 + 4 + 32;
}

impl Read for Commit {
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(Self {
            request: Digest::read(buf)?,
            member: u32::read(buf)?,
            digest: Digest::read(buf)?,
        })
    }
}

impl Write for Reveal {
    fn write(&self, buf: &mut impl BufMut) {
        self.request.write(buf);
        self.member.write(buf);
        write_str(self.canonical.as_str(), buf);
        self.salt.write(buf);
    }
}

impl EncodeSize for Reveal {
    fn encode_size(&self) -> usize {
        32 + 4 + str_size(self.canonical.as_str()) + 32
    }
}

impl Read for Reveal {
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(Self {
            request: Digest::read(buf)?,
            member: u32::read(buf)?,
            canonical: Canonical(read_str(buf, MAX_CANONICAL, "reveal answer")?),
            salt: Salt::read(buf)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_codec::{DecodeExt, Encode};

    fn reveal() -> Reveal {
        Reveal {
            request: Sha256::fill(1),
            member: 2,
            canonical: Canonical("yes".into()),
            salt: Salt([9; 32]),
        }
    }

    #[test]
    fn commitment_preimage_is_pinned() {
        let r = reveal();
        let mut preimage = Vec::new();
        preimage.extend_from_slice(b"_BYZVOTE_COMMITMENT");
        preimage.extend_from_slice(&[1; 32]);
        preimage.extend_from_slice(&[0, 0, 0, 2]);
        preimage.extend_from_slice(&[0, 0, 0, 3]);
        preimage.extend_from_slice(b"yes");
        preimage.extend_from_slice(&[9; 32]);
        assert_eq!(
            commitment(&r.request, r.member, &r.canonical, &r.salt),
            Sha256::hash(&[&preimage])
        );
    }

    #[test]
    fn reveal_opens_its_commit_only() {
        let r = reveal();
        let c = r.commit();
        assert!(r.opens(&c));
        let changes: Vec<fn(&mut Reveal)> = vec![
            |r| r.canonical = Canonical("no".into()),
            |r| r.salt = Salt([8; 32]),
            |r| r.member = 3,
            |r| r.request = Sha256::fill(2),
            |r| r.canonical = Canonical("yes ".into()),
        ];
        for change in changes {
            let mut bad = reveal();
            change(&mut bad);
            assert!(!bad.opens(&c), "{bad:?}");
        }
    }

    #[test]
    fn length_prefix_prevents_shifting_bytes_into_the_salt() {
        // "ab" + salt(c, …) vs "abc" + salt(…) must differ even if the concatenation were equal.
        let req = Sha256::fill(0);
        let mut s1 = [0u8; 32];
        s1[0] = b'c';
        let a = commitment(&req, 0, &Canonical("ab".into()), &Salt(s1));
        let b = commitment(&req, 0, &Canonical("abc".into()), &Salt([0; 32]));
        assert_ne!(a, b);
    }

    #[test]
    fn codec_round_trips() {
        let r = reveal();
        let c = r.commit();
        assert_eq!(c.encode().len(), Commit::SIZE);
        assert_eq!(Commit::decode(c.encode()).unwrap(), c);
        assert_eq!(r.encode().len(), r.encode_size());
        assert_eq!(Reveal::decode(r.encode()).unwrap(), r);
        let mut too_long = r.clone();
        too_long.canonical = Canonical("x".repeat(MAX_CANONICAL + 1));
        assert!(Reveal::decode(too_long.encode()).is_err());
    }

    #[test]
    fn salt_serde_is_hex() {
        let s = Salt([0xab; 32]);
        let j = serde_json::to_string(&s).unwrap();
        assert_eq!(j, format!("\"{}\"", "ab".repeat(32)));
        assert_eq!(serde_json::from_str::<Salt>(&j).unwrap(), s);
        assert!(serde_json::from_str::<Salt>("\"abcd\"").is_err());
    }
}
