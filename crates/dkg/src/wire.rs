//! Messages of the DKG channel, encoded with commonware-codec.
//!
//! Every read is bounded by the participant count given as the decoding config, so a peer
//! cannot make a node allocate more than one maximal log. Every message carries the round so
//! that stragglers from an earlier attempt are dropped, not mixed in.

use crate::types::{GroupVariant, Identity, SignedLog};
use bytes::BufMut;
use commonware_codec::{Buf, EncodeSize, Error as CodecError, Read, ReadExt, Write};
use commonware_cryptography::bls12381::dkg::feldman_desmedt::{
    DealerPrivMsg, DealerPubMsg, PlayerAck,
};
use std::num::NonZeroU32;

/// Digest of a set of dealer logs (SHA-256 over the encoded logs in dealer order).
pub type LogSetDigest = [u8; 32];

/// One message on the DKG channel.
#[derive(Clone, Debug, PartialEq)]
pub enum Message {
    /// Dealer to one player: the public commitment and that player's private share.
    /// Only ever sent to its player over the encrypted, authenticated channel.
    Dealing {
        /// Round.
        round: u64,
        /// Commitment to the dealer's polynomial (same for every player).
        public: DealerPubMsg<GroupVariant>,
        /// The player's evaluation.
        private: DealerPrivMsg,
    },
    /// Player to dealer: signed acknowledgement of a valid dealing.
    Ack {
        /// Round.
        round: u64,
        /// The player's signature over (round, dealer, commitment).
        ack: PlayerAck<Identity>,
    },
    /// Any node to all: a dealer's signed log (relayable: the signature is the dealer's).
    Log {
        /// Round.
        round: u64,
        /// The log.
        log: Box<SignedLog>,
    },
    /// Any node to all: "I hold logs from every dealer, and this is their digest".
    Confirm {
        /// Round.
        round: u64,
        /// Digest of the sender's complete log set.
        digest: LogSetDigest,
    },
}

impl Message {
    /// The round the message belongs to.
    pub const fn round(&self) -> u64 {
        match self {
            Self::Dealing { round, .. }
            | Self::Ack { round, .. }
            | Self::Log { round, .. }
            | Self::Confirm { round, .. } => *round,
        }
    }
}

const DEALING: u8 = 0;
const ACK: u8 = 1;
const LOG: u8 = 2;
const CONFIRM: u8 = 3;

impl Write for Message {
    fn write(&self, buf: &mut impl BufMut) {
        match self {
            Self::Dealing {
                round,
                public,
                private,
            } => {
                DEALING.write(buf);
                round.write(buf);
                public.write(buf);
                private.write(buf);
            }
            Self::Ack { round, ack } => {
                ACK.write(buf);
                round.write(buf);
                ack.write(buf);
            }
            Self::Log { round, log } => {
                LOG.write(buf);
                round.write(buf);
                log.write(buf);
            }
            Self::Confirm { round, digest } => {
                CONFIRM.write(buf);
                round.write(buf);
                digest.write(buf);
            }
        }
    }
}

impl EncodeSize for Message {
    fn encode_size(&self) -> usize {
        1 + 8
            + match self {
                Self::Dealing {
                    public, private, ..
                } => public.encode_size() + private.encode_size(),
                Self::Ack { ack, .. } => ack.encode_size(),
                Self::Log { log, .. } => log.encode_size(),
                Self::Confirm { digest, .. } => digest.encode_size(),
            }
    }
}

impl Read for Message {
    /// Number of participants: bounds polynomial degree and log length.
    type Cfg = NonZeroU32;

    fn read_cfg(buf: &mut impl Buf, n: &NonZeroU32) -> Result<Self, CodecError> {
        let tag = u8::read(buf)?;
        let round = u64::read(buf)?;
        Ok(match tag {
            DEALING => Self::Dealing {
                round,
                public: DealerPubMsg::read_cfg(buf, n)?,
                private: DealerPrivMsg::read(buf)?,
            },
            ACK => Self::Ack {
                round,
                ack: PlayerAck::read(buf)?,
            },
            LOG => Self::Log {
                round,
                log: Box::new(SignedLog::read_cfg(buf, n)?),
            },
            CONFIRM => Self::Confirm {
                round,
                digest: <[u8; 32]>::read(buf)?,
            },
            other => return Err(CodecError::InvalidEnum(other)),
        })
    }
}

/// Largest encoded message for `n` participants: configure the p2p channel's `max_size` (and
/// any message-size limit of the transport) to at least this.
pub fn max_message_size(n: NonZeroU32) -> usize {
    1 + 8 + SignedLog::max_encode_size(n)
}
