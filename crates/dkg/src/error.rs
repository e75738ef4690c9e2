//! Typed failures and evidence. A failure says what the operator should do; evidence names a
//! peer and says whether it can be shown to others.

use crate::types::Identity;
use commonware_cryptography::bls12381::dkg::feldman_desmedt::{DealerMessageError, Error, Failure};
use std::time::Duration;
use thiserror::Error;

/// Misbehaviour observed during a ceremony.
#[derive(Clone, Debug)]
pub enum Evidence {
    /// The dealer sent me a dealing that fails its own commitment (or has the wrong degree).
    /// It came over the private authenticated channel, so only I can see it: it is not
    /// transferable proof. The library's answer is the reveal: since I do not acknowledge, the
    /// dealer must publish my share in its log or its log is unusable.
    BadDealing {
        /// The dealer.
        dealer: Identity,
        /// What was wrong.
        reason: DealerMessageError,
    },
    /// Two different logs, both validly signed by the same dealer. Transferable proof: both
    /// signatures are kept by whoever saw them.
    LogEquivocation {
        /// The dealer that signed both.
        dealer: Identity,
    },
    /// A peer confirmed a different set of dealer logs than mine (simple agreement only).
    ConflictingConfirm {
        /// The peer.
        peer: Identity,
    },
}

/// Why the agreement on dealer logs failed.
#[derive(Debug, Error)]
pub enum AgreementError {
    /// Two honest views of the log set differ: some dealer equivocated. Retry with round + 1
    /// (and exclude the equivocating dealer if the evidence names it).
    #[error(
        "peer {peer} confirmed a different set of dealer logs; retry the DKG with the next round number"
    )]
    Conflict {
        /// The peer whose confirmation differs from mine.
        peer: Box<Identity>,
    },
    /// The agreement backend (consensus) stopped.
    #[error("log agreement stopped: {0}")]
    Stopped(String),
}

/// Why a ceremony did not produce a key share.
#[derive(Debug, Error)]
pub enum CeremonyError {
    /// Bad inputs; nothing was sent.
    #[error("invalid DKG configuration: {0}")]
    Config(String),
    /// The DKG library refused the inputs or local state.
    #[error("DKG library error: {0}")]
    Library(#[from] Error),
    /// The deadline passed. `missing` lists peers whose contribution never arrived.
    #[error(
        "DKG timed out after {after:?} waiting for {missing:?}: check those nodes are running and reachable, then start this node again (with a progress file it resumes the same round; without one, every node must retry with the next round number)"
    )]
    Timeout {
        /// Elapsed time.
        after: Duration,
        /// Peers still missing (logs or confirmations).
        missing: Vec<Identity>,
    },
    /// The agreed logs could not be settled.
    #[error(transparent)]
    Agreement(#[from] AgreementError),
    /// The agreed set of logs does not yield a key (too few usable dealers).
    #[error("DKG failed: {0}; retry with the next round number")]
    Failed(String),
    /// The progress file could not be read or written (see [`crate::CeremonyConfig::progress`]).
    #[error("DKG progress file: {0}")]
    Persist(String),
    /// The network channel closed under the ceremony.
    #[error("DKG network channel closed: {0}")]
    Network(String),
}

impl From<Failure<Identity>> for CeremonyError {
    fn from(f: Failure<Identity>) -> Self {
        Self::Failed(f.to_string())
    }
}
