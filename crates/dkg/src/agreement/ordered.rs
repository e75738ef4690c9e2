//! Agreement through an ordered log the node already has: its consensus.
//!
//! Rule (identical at every node because it reads only finalized blocks, in order):
//! walk the finalized blocks; keep the first validly signed log of each dealer; after each
//! block, if the kept logs yield a key (`feldman_desmedt::observe` succeeds: at least `2f+1`
//! usable logs), stop and use exactly the kept logs. Later logs are ignored.
//!
//! The node's part: put the logs that come out of [`OrderedFeed::proposals`] into the blocks
//! it proposes (they include peers' logs, so any leader can carry everyone's), and push the
//! DKG logs found in each finalized block, in order, into [`OrderedFeed::finalized`]
//! (an empty `Vec` for a block without any is fine but not needed).

use super::{Agreement, Gossip};
use crate::{
    config::CeremonyConfig,
    error::{AgreementError, CeremonyError},
    types::{FaultModel, GroupVariant, Identity, RoundInfo, SignedLog},
};
use commonware_cryptography::bls12381::dkg::feldman_desmedt::{Logs, observe};
use futures::{
    StreamExt as _,
    channel::mpsc::{UnboundedReceiver, UnboundedSender, unbounded},
};
use rand_core::CryptoRng;
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

/// The node's ends of an [`OrderedLogs`].
pub struct OrderedFeed {
    /// Logs to include in proposed blocks (mine and those gossiped by peers), once each.
    pub proposals: UnboundedReceiver<SignedLog>,
    /// Push the DKG logs of each finalized block here, in block order.
    pub finalized: UnboundedSender<Vec<SignedLog>>,
}

/// Consensus-backed agreement (see the module docs). `R` supplies the randomness of batch
/// signature checks: pass the runtime context.
pub struct OrderedLogs<R> {
    info: RoundInfo,
    participants: Vec<Identity>,
    rng: R,
    me: Option<SignedLog>,
    proposals: UnboundedSender<SignedLog>,
    proposed: BTreeSet<Identity>,
    finalized: UnboundedReceiver<Vec<SignedLog>>,
    kept: BTreeMap<Identity, SignedLog>,
    done: Option<Vec<SignedLog>>,
}

impl<R: CryptoRng + Send> OrderedLogs<R> {
    /// A hook for the ceremony configured by `config`, and the node's feed.
    pub fn new(config: &CeremonyConfig, rng: R) -> Result<(Self, OrderedFeed), CeremonyError> {
        let info = config.round_info()?;
        let (proposals_tx, proposals_rx) = unbounded();
        let (finalized_tx, finalized_rx) = unbounded();
        let hook = Self {
            info,
            participants: config.participants.clone(),
            rng,
            me: None,
            proposals: proposals_tx,
            proposed: BTreeSet::new(),
            finalized: finalized_rx,
            kept: BTreeMap::new(),
            done: None,
        };
        let feed = OrderedFeed {
            proposals: proposals_rx,
            finalized: finalized_tx,
        };
        Ok((hook, feed))
    }

    /// Hands a valid log to the proposer once per dealer.
    fn propose(&mut self, dealer: Identity, log: SignedLog) {
        if self.proposed.insert(dealer) {
            let _ = self.proposals.unbounded_send(log);
        }
    }

    /// Applies one finalized block; true once the kept logs yield a key.
    fn apply(&mut self, block: Vec<SignedLog>) -> bool {
        for log in block {
            let Some((dealer, _)) = log.clone().check(&self.info) else {
                tracing::debug!("finalized DKG log with a bad signature ignored");
                continue;
            };
            self.kept.entry(dealer).or_insert(log);
        }
        let mut logs = Logs::<GroupVariant, Identity, FaultModel>::new(self.info.clone());
        for log in self.kept.values() {
            if let Some((dealer, log)) = log.clone().check(&self.info) {
                logs.record(dealer, log);
            }
        }
        let strategy = commonware_parallel::Sequential;
        observe::<GroupVariant, Identity, FaultModel>(&mut self.rng, logs, &strategy).is_ok()
    }
}

impl<R: CryptoRng + Send> Agreement for OrderedLogs<R> {
    fn submit(
        &mut self,
        log: SignedLog,
    ) -> impl Future<Output = Result<(), AgreementError>> + Send {
        let result = match log.clone().check(&self.info) {
            Some((dealer, _)) => {
                self.me = Some(log.clone());
                self.propose(dealer, log);
                Ok(())
            }
            None => Err(AgreementError::Stopped(
                "my own log does not check against this round".into(),
            )),
        };
        async move { result }
    }

    fn on_log(&mut self, _from: &Identity, dealer: &Identity, log: SignedLog) {
        self.propose(dealer.clone(), log);
    }

    fn outbound(&mut self) -> Vec<Gossip> {
        match (&self.me, &self.done) {
            (Some(log), None) => vec![Gossip::Log(Box::new(log.clone()))],
            _ => Vec::new(),
        }
    }

    async fn agreed(&mut self) -> Result<Vec<SignedLog>, AgreementError> {
        loop {
            if let Some(done) = &self.done {
                return Ok(done.clone());
            }
            // The only await point: cancelling here loses nothing.
            let Some(block) = self.finalized.next().await else {
                return Err(AgreementError::Stopped(
                    "the finalized-log feed was closed".into(),
                ));
            };
            if self.apply(block) {
                self.done = Some(self.kept.values().cloned().collect());
            }
        }
    }

    fn missing(&self) -> Vec<Identity> {
        self.participants
            .iter()
            .filter(|d| !self.kept.contains_key(*d))
            .cloned()
            .collect()
    }
}
