//! Evidence: what a vote records against an individual member.
//!
//! Two kinds are **faults** (provable misbehaviour, backed by the member's own signatures, which
//! the node keeps in its audit log): [`Evidence::BadReveal`] (a signed reveal that does not open the
//! member's signed commit) and [`Evidence::Equivocation`] (two different signed commits for one
//! request). Two are **absences** (a crashed or slow honest member produces them too):
//! [`Evidence::NeverCommitted`] and [`Evidence::NeverRevealed`]. Reputation should treat the two
//! groups differently; [`Evidence::is_fault`] tells them apart.
//!
//! **Encoding:** a tag byte (0 BadReveal, 1 Equivocation, 2 NeverRevealed, 3 NeverCommitted), the
//! member (u32 BE), the request id (32 bytes), then for Equivocation the first and second commit
//! digests (32 bytes each). **Serde:** `{"kind":"bad_reveal","member":1,"request":"<hex>"}` etc.

use crate::{commit::MemberId, wire::hex_digest};
use bytes::BufMut;
use commonware_codec::{Buf, EncodeSize, Error, Read, ReadExt, Write};
use commonware_cryptography::sha256::Digest;
use serde::{Deserialize, Serialize};

/// A record against one member in one vote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Evidence {
    /// The member's reveal did not open its commitment. Its answer was not counted.
    BadReveal {
        /// The culprit.
        member: MemberId,
        /// The request id.
        #[serde(with = "hex_digest")]
        request: Digest,
    },
    /// The member signed two different commitments for one request. The first one stands.
    Equivocation {
        /// The culprit.
        member: MemberId,
        /// The request id.
        #[serde(with = "hex_digest")]
        request: Digest,
        /// The commitment that stands.
        #[serde(with = "hex_digest")]
        first: Digest,
        /// The conflicting one.
        #[serde(with = "hex_digest")]
        second: Digest,
    },
    /// The member committed (was in the closed set) but did not reveal before the deadline.
    NeverRevealed {
        /// The absent member.
        member: MemberId,
        /// The request id.
        #[serde(with = "hex_digest")]
        request: Digest,
    },
    /// The member was on the committee but its commit was not in the closed set.
    NeverCommitted {
        /// The absent member.
        member: MemberId,
        /// The request id.
        #[serde(with = "hex_digest")]
        request: Digest,
    },
}

impl Evidence {
    /// The member this evidence is about.
    pub fn member(&self) -> MemberId {
        match self {
            Evidence::BadReveal { member, .. }
            | Evidence::Equivocation { member, .. }
            | Evidence::NeverRevealed { member, .. }
            | Evidence::NeverCommitted { member, .. } => *member,
        }
    }

    /// The request it concerns.
    pub fn request(&self) -> Digest {
        match self {
            Evidence::BadReveal { request, .. }
            | Evidence::Equivocation { request, .. }
            | Evidence::NeverRevealed { request, .. }
            | Evidence::NeverCommitted { request, .. } => *request,
        }
    }

    /// True for provable misbehaviour (bad reveal, equivocation); false for absence, which an
    /// honest member that crashed or was slow also produces.
    pub fn is_fault(&self) -> bool {
        matches!(
            self,
            Evidence::BadReveal { .. } | Evidence::Equivocation { .. }
        )
    }

    fn tag(&self) -> u8 {
        match self {
            Evidence::BadReveal { .. } => 0,
            Evidence::Equivocation { .. } => 1,
            Evidence::NeverRevealed { .. } => 2,
            Evidence::NeverCommitted { .. } => 3,
        }
    }
}

impl Write for Evidence {
    fn write(&self, buf: &mut impl BufMut) {
        self.tag().write(buf);
        self.member().write(buf);
        self.request().write(buf);
        if let Evidence::Equivocation { first, second, .. } = self {
            first.write(buf);
            second.write(buf);
        }
    }
}

impl EncodeSize for Evidence {
    fn encode_size(&self) -> usize {
        1 + 4
            + 32
            + match self {
                Evidence::Equivocation { .. } => 64,
                _ => 0,
            }
    }
}

impl Read for Evidence {
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        let tag = u8::read(buf)?;
        let member = u32::read(buf)?;
        let request = Digest::read(buf)?;
        Ok(match tag {
            0 => Evidence::BadReveal { member, request },
            1 => Evidence::Equivocation {
                member,
                request,
                first: Digest::read(buf)?,
                second: Digest::read(buf)?,
            },
            2 => Evidence::NeverRevealed { member, request },
            3 => Evidence::NeverCommitted { member, request },
            other => return Err(Error::InvalidEnum(other)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_codec::{DecodeExt, Encode};
    use commonware_cryptography::Sha256;

    fn all() -> Vec<Evidence> {
        let request = Sha256::fill(7);
        vec![
            Evidence::BadReveal { member: 1, request },
            Evidence::Equivocation {
                member: 2,
                request,
                first: Sha256::fill(1),
                second: Sha256::fill(2),
            },
            Evidence::NeverRevealed { member: 3, request },
            Evidence::NeverCommitted { member: 4, request },
        ]
    }

    #[test]
    fn codec_and_serde_round_trip() {
        for e in all() {
            let enc = e.encode();
            assert_eq!(enc.len(), e.encode_size());
            assert_eq!(Evidence::decode(enc).unwrap(), e);
            let j = serde_json::to_string(&e).unwrap();
            assert_eq!(serde_json::from_str::<Evidence>(&j).unwrap(), e, "{j}");
        }
    }

    #[test]
    fn serde_shape() {
        let j = serde_json::to_value(all()[0]).unwrap();
        assert_eq!(j["kind"], "bad_reveal");
        assert_eq!(j["member"], 1);
        assert_eq!(j["request"], "07".repeat(32));
    }

    #[test]
    fn faults_and_absences() {
        let kinds: Vec<bool> = all().iter().map(Evidence::is_fault).collect();
        assert_eq!(kinds, [true, true, false, false]);
        assert_eq!(
            all().iter().map(Evidence::member).collect::<Vec<_>>(),
            [1, 2, 3, 4]
        );
    }

    #[test]
    fn unknown_tag_is_rejected() {
        let mut bytes = all()[0].encode().to_vec();
        bytes[0] = 9;
        assert!(Evidence::decode(bytes).is_err());
    }
}
