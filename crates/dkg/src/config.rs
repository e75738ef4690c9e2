//! What one node brings to a ceremony, validated before any message is sent.

use crate::{
    error::CeremonyError,
    types::{FaultModel, Identity, IdentityKey, MAX_PARTICIPANTS, RoundInfo},
};
use commonware_cryptography::{
    Signer as _,
    bls12381::{
        dkg::feldman_desmedt::{Info, Reveal},
        primitives::sharing::Mode,
    },
};
use commonware_utils::ordered::Set;
use std::time::Duration;

/// Timing of a ceremony. The DKG is synchronous: `deal` must exceed the worst message delay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// Grace period for the last acknowledgements. It starts once a quorum (`2f+1`) of players
    /// acknowledged my dealing, so nodes that start minutes apart do not get their shares
    /// revealed; after it, I publish my log with the missing players' shares revealed.
    pub deal: Duration,
    /// Interval between retransmissions (dealings not yet acknowledged, gossip). Peers that are
    /// not connected yet silently miss a message, so everything is resent until answered.
    pub resend: Duration,
    /// Give up after this long (reports which peers are missing).
    pub total: Duration,
    /// After finishing, keep answering peers this long so that none is left waiting for me.
    pub linger: Duration,
}

impl Default for Timeouts {
    /// Defaults for real networks: generous, since the ceremony runs once per cluster.
    fn default() -> Self {
        Self {
            deal: Duration::from_secs(5),
            resend: Duration::from_secs(1),
            total: Duration::from_secs(600),
            linger: Duration::from_secs(3),
        }
    }
}

/// Inputs of one DKG round for one node.
#[derive(Clone)]
pub struct CeremonyConfig {
    /// My identity key (the p2p identity; signs acks and my dealer log).
    pub signer: IdentityKey,
    /// All participants, sorted ascending, no duplicates; each is a dealer and a player.
    pub participants: Vec<Identity>,
    /// Application namespace binding every signature of the round (fixed for the cluster).
    pub namespace: Vec<u8>,
    /// Round counter: increment it for every new attempt, including after a failed one.
    pub round: u64,
    /// Timing.
    pub timeouts: Timeouts,
    /// Where the ceremony persists what a restart must not forget, so that a node restarted
    /// mid-round resumes it (the node's data dir; holds secrets, created `0600`). Remove it
    /// once the key is saved. `None`: memory only, and a restarted node cannot rejoin the
    /// round (every node must then retry with the next round number).
    pub progress: Option<std::path::PathBuf>,
    /// How to name participants to an operator (e.g. "node-3 at 10.0.0.3:7600"), when the
    /// ceremony says whom it waits for; unnamed ones by their public key.
    pub labels: std::collections::BTreeMap<Identity, String>,
}

impl CeremonyConfig {
    /// The round information this config yields (what [`crate::OrderedLogs`] checks logs
    /// against). Fails on the same inputs as the ceremony.
    pub fn round_info(&self) -> Result<RoundInfo, CeremonyError> {
        Ok(self.validate()?.1)
    }

    /// Checks the inputs and builds the round information every participant must share.
    pub(crate) fn validate(&self) -> Result<(Set<Identity>, RoundInfo), CeremonyError> {
        let n = self.participants.len();
        if n == 0 || n > MAX_PARTICIPANTS as usize {
            return Err(CeremonyError::Config(format!(
                "need between 1 and {MAX_PARTICIPANTS} participants, got {n}"
            )));
        }
        if !self.participants.windows(2).all(|w| w[0] < w[1]) {
            return Err(CeremonyError::Config(
                "participants must be sorted ascending without duplicates (every node must list \
                 them identically)"
                    .into(),
            ));
        }
        if !self.participants.contains(&self.signer.public_key()) {
            return Err(CeremonyError::Config(
                "my identity key is not in the participant list: check the node's key file and \
                 the cluster config"
                    .into(),
            ));
        }
        let t = &self.timeouts;
        if t.resend.is_zero() || t.deal.is_zero() || t.total <= t.deal {
            return Err(CeremonyError::Config(
                "timeouts: resend and deal must be > 0 and total > deal".into(),
            ));
        }
        let set = Set::try_from(self.participants.clone())
            .map_err(|e| CeremonyError::Config(format!("participants: {e}")))?;
        let info = Info::new::<FaultModel>(
            &self.namespace,
            self.round,
            None,
            Mode::NonZeroCounter,
            Reveal::V1,
            set.clone(),
            set.clone(),
        )?;
        Ok((set, info))
    }
}
