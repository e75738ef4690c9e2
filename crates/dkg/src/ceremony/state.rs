//! One node's state during a round: its dealer, its player, and what it has sent.
//!
//! Pure with respect to I/O: handlers return the messages to send; the loop in
//! [`super::run`] sends them and owns the clock.

use crate::{
    agreement::{Agreement, Gossip},
    error::{CeremonyError, Evidence},
    types::{FaultModel, GroupVariant, Identity, IdentityKey, RoundInfo, SignedLog},
    wire::Message,
};
use commonware_cryptography::{
    Signer as _,
    bls12381::dkg::feldman_desmedt::{Dealer, DealerPrivMsg, DealerPubMsg, Player, PlayerAck},
};
use rand_core::CryptoRng;
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime};

/// A message and its recipient (`None` = every other participant).
pub(crate) type Outgoing = (Option<Identity>, Message);

/// Test-only misbehaviour of this node as a dealer.
#[cfg(test)]
#[derive(Clone, Debug)]
pub(crate) enum Byzantine {
    /// Send a random scalar instead of the real share to this player (log stays honest).
    CorruptShareFor(Identity),
    /// Deal with a polynomial of the wrong degree to everyone.
    WrongDegree,
}

/// My dealing until my log is published.
struct DealerPhase {
    dealer: Dealer<GroupVariant, IdentityKey>,
    public: DealerPubMsg<GroupVariant>,
    privates: BTreeMap<Identity, DealerPrivMsg>,
    acked: BTreeSet<Identity>,
    /// Set when a quorum acknowledged: the remaining players get until then.
    grace_until: Option<SystemTime>,
}

pub(crate) struct State<A: Agreement> {
    pub(crate) me: Identity,
    pub(crate) round: u64,
    pub(crate) info: RoundInfo,
    participants: Vec<Identity>,
    quorum: usize,
    grace: Duration,
    dealer: Option<DealerPhase>,
    pub(crate) player: Option<Player<GroupVariant, IdentityKey>>,
    acks_sent: BTreeMap<Identity, PlayerAck<Identity>>,
    blamed: BTreeSet<Identity>,
    pub(crate) evidence: Vec<Evidence>,
    pub(crate) agreement: A,
    /// Gossip already sent since the last resend tick (encoded), to send only news between ticks.
    gossiped: BTreeSet<Vec<u8>>,
    /// When a message of this round first came from each peer in this run (who is up: see
    /// `dealing_done`).
    heard: BTreeMap<Identity, SystemTime>,
    #[cfg(test)]
    pub(crate) byzantine: Option<Byzantine>,
}

impl<A: Agreement> State<A> {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        rng: &mut impl CryptoRng,
        signer: IdentityKey,
        participants: Vec<Identity>,
        round: u64,
        info: RoundInfo,
        grace: Duration,
        agreement: A,
        #[cfg(test)] byzantine: Option<Byzantine>,
    ) -> Result<Self, CeremonyError> {
        let me = signer.public_key();
        let n = participants.len();
        let quorum = n - (n - 1) / 3;
        #[cfg(test)]
        let (dealer, public, privates) = match byzantine {
            Some(Byzantine::WrongDegree) => Dealer::start::<commonware_utils::N5f1>(
                &mut *rng,
                info.clone(),
                signer.clone(),
                None,
            )?,
            _ => Dealer::start::<FaultModel>(&mut *rng, info.clone(), signer.clone(), None)?,
        };
        #[cfg(not(test))]
        let (dealer, public, privates) =
            Dealer::start::<FaultModel>(&mut *rng, info.clone(), signer.clone(), None)?;
        let player = Player::new(info.clone(), signer)?;
        Ok(Self {
            me,
            round,
            info,
            participants,
            quorum,
            grace,
            dealer: Some(DealerPhase {
                dealer,
                public,
                privates: privates.into_iter().collect(),
                acked: BTreeSet::new(),
                grace_until: None,
            }),
            player: Some(player),
            acks_sent: BTreeMap::new(),
            blamed: BTreeSet::new(),
            evidence: Vec::new(),
            agreement,
            gossiped: BTreeSet::new(),
            heard: BTreeMap::new(),
            #[cfg(test)]
            byzantine,
        })
    }

    /// Dealings to every player that has not acknowledged yet (my own is handled locally).
    pub(crate) fn dealings(&mut self, rng: &mut impl CryptoRng) -> Vec<Outgoing> {
        #[cfg(not(test))]
        let _ = rng; // used only by test-time misbehaviour
        self.deal_to_self();
        let Some(phase) = &self.dealer else {
            return Vec::new();
        };
        phase
            .privates
            .iter()
            .filter(|(p, _)| **p != self.me && !phase.acked.contains(*p))
            .map(|(p, private)| {
                #[cfg(test)]
                let private = match &self.byzantine {
                    Some(Byzantine::CorruptShareFor(victim)) if victim == p => {
                        use commonware_math::algebra::Random as _;
                        DealerPrivMsg::new(
                            commonware_cryptography::bls12381::primitives::group::Scalar::random(
                                &mut *rng,
                            ),
                        )
                    }
                    _ => private.clone(),
                };
                #[cfg(not(test))]
                let private = private.clone();
                let msg = Message::Dealing {
                    round: self.round,
                    public: phase.public.clone(),
                    private,
                };
                (Some(p.clone()), msg)
            })
            .collect()
    }

    /// My player takes my own dealing (once; locally, nothing is sent).
    pub(crate) fn deal_to_self(&mut self) {
        let Some(phase) = &self.dealer else {
            return;
        };
        if !phase.acked.contains(&self.me)
            && let Some(private) = phase.privates.get(&self.me).cloned()
        {
            let public = phase.public.clone();
            let me = self.me.clone();
            self.on_dealing(&me, public, private);
        }
    }

    /// A dealing for my player. Returns the ack to send back (also on a retransmission).
    pub(crate) fn on_dealing(
        &mut self,
        dealer: &Identity,
        public: DealerPubMsg<GroupVariant>,
        private: DealerPrivMsg,
    ) -> Option<Outgoing> {
        let player = self.player.as_mut()?;
        let ack = match player.dealer_message::<FaultModel>(dealer.clone(), public, private) {
            Ok(Some(ack)) => {
                self.acks_sent.insert(dealer.clone(), ack.clone());
                ack
            }
            // Retransmission: my ack was lost, send it again.
            Ok(None) => self.acks_sent.get(dealer)?.clone(),
            Err(reason) => {
                tracing::debug!(?dealer, %reason, "rejected dealing");
                if self.blamed.insert(dealer.clone()) {
                    self.evidence.push(Evidence::BadDealing {
                        dealer: dealer.clone(),
                        reason,
                    });
                }
                return None;
            }
        };
        if *dealer == self.me {
            self.on_ack(&self.me.clone(), ack);
            return None;
        }
        Some((
            Some(dealer.clone()),
            Message::Ack {
                round: self.round,
                ack,
            },
        ))
    }

    /// Notes that `peer` sent a message of this round (received at `now`).
    pub(crate) fn heard_from(&mut self, peer: &Identity, now: SystemTime) {
        if !self.heard.contains_key(peer) {
            self.heard.insert(peer.clone(), now);
        }
    }

    /// Other participants no message of this round came from yet.
    pub(crate) fn silent(&self) -> Vec<Identity> {
        self.participants
            .iter()
            .filter(|p| **p != self.me && !self.heard.contains_key(*p))
            .cloned()
            .collect()
    }

    /// Whether my player has acknowledged `dealer`'s dealing.
    pub(crate) fn acked_dealing_of(&self, dealer: &Identity) -> bool {
        self.acks_sent.contains_key(dealer)
    }

    /// A player's acknowledgement of my dealing.
    pub(crate) fn on_ack(&mut self, player: &Identity, ack: PlayerAck<Identity>) {
        let Some(phase) = self.dealer.as_mut() else {
            return;
        };
        match phase.dealer.receive_player_ack(player.clone(), ack) {
            Ok(()) => {
                phase.acked.insert(player.clone());
            }
            Err(e) => tracing::debug!(?player, %e, "rejected ack"),
        }
    }

    /// Starts the grace period once a quorum acknowledged; tells whether my log is due: when
    /// all acknowledged, or after the grace (with [`Agreement::needs_everyone`], once every
    /// player that has not acknowledged was heard from a grace ago).
    pub(crate) fn dealing_done(&mut self, now: SystemTime) -> bool {
        let Some(phase) = self.dealer.as_mut() else {
            return false;
        };
        if phase.acked.len() == self.participants.len() {
            return true;
        }
        if phase.acked.len() >= self.quorum && phase.grace_until.is_none() {
            phase.grace_until = Some(now + self.grace);
        }
        // A dealer nobody acknowledges would never publish; the misbehaving test dealer
        // publishes anyway (a silent one would just stall `AllDealers`, as documented).
        #[cfg(test)]
        if matches!(self.byzantine, Some(Byzantine::WrongDegree)) && phase.grace_until.is_none() {
            phase.grace_until = Some(now + self.grace);
        }
        if phase.grace_until.is_none_or(|t| now < t) {
            return false;
        }
        if !self.agreement.needs_everyone() {
            return true;
        }
        // A player not heard from yet is not running (yet): its share is revealed only when
        // the key can be made without it. One heard from late gets a grace of its own to
        // acknowledge. An operator who starts a node minutes after the others must not find
        // its share published.
        let grace = self.grace;
        self.participants.iter().all(|p| {
            *p == self.me
                || phase.acked.contains(p)
                || self.heard.get(p).is_some_and(|at| now >= *at + grace)
        })
    }

    /// Ends my dealing: unacknowledged shares are revealed in the signed log.
    pub(crate) fn finish_dealing(&mut self) -> Option<SignedLog> {
        let phase = self.dealer.take()?;
        #[cfg(test)]
        if matches!(self.byzantine, Some(Byzantine::WrongDegree)) {
            return Some(phase.dealer.finalize::<commonware_utils::N5f1>());
        }
        Some(phase.dealer.finalize::<FaultModel>())
    }

    /// Players that have not acknowledged my dealing yet.
    pub(crate) fn unacked(&self) -> Vec<Identity> {
        self.dealer.as_ref().map_or_else(Vec::new, |phase| {
            self.participants
                .iter()
                .filter(|p| !phase.acked.contains(*p))
                .cloned()
                .collect()
        })
    }

    /// Gossip from the agreement hook; with `fresh_only`, what was not sent since the last tick.
    pub(crate) fn gossip(&mut self, fresh_only: bool) -> Vec<Outgoing> {
        if !fresh_only {
            self.gossiped.clear();
        }
        let mut out = Vec::new();
        for item in self.agreement.outbound() {
            let msg = match item {
                Gossip::Log(log) => Message::Log {
                    round: self.round,
                    log,
                },
                Gossip::Confirm(digest) => Message::Confirm {
                    round: self.round,
                    digest,
                },
            };
            let key = commonware_codec::Encode::encode(&msg).to_vec();
            if self.gossiped.insert(key) {
                out.push((None, msg));
            }
        }
        out
    }
}
