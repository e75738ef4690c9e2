//! One coordinator node: the ordering layer, the protocol executor and the gossip of
//! transactions and partial signatures, assembled over seven p2p channels.

use crate::chain::{
    app::{App, DeepCheck, Pacing, Shared, TxCheck},
    block::Limits,
    engine::{self, Timeouts},
    mempool::Mempool,
    types::{PrivateKey, PublicKey},
};
use crate::protocol::{
    audit::AuditError,
    executor::{self, Executor},
    results::{Results, Wait},
    similarity::{Checker, embeddings::Embeddings},
    tx::{self, Tx},
};
use byzvote_core::Request;
use byzvote_dkg::DkgOutput;
use byzvote_models::ModelBackend;
use commonware_cryptography::Signer as _;
use commonware_p2p::{Blocker, Provider, Receiver, Recipients, Sender};
use commonware_runtime::{Clock, Metrics, Spawner, Storage};
use commonware_utils::ordered::Set;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// p2p channel numbers (every node must use the same).
pub mod channel {
    pub const VOTES: u64 = 0;
    pub const CERTIFICATES: u64 = 1;
    pub const RESOLVER: u64 = 2;
    pub const BROADCAST: u64 = 3;
    pub const BACKFILL: u64 = 4;
    pub const TXS: u64 = 5;
    pub const PARTIALS: u64 = 6;
    pub const DKG: u64 = 7;
    /// Tiers 1-2: asks and signed answers, no consensus.
    pub const QUICK: u64 = 8;

    /// The channels of [`super::Channels`], in the order `Channels::from_ordered` takes them.
    pub const NODE: [u64; 7] = [
        VOTES,
        CERTIFICATES,
        RESOLVER,
        BROADCAST,
        BACKFILL,
        TXS,
        PARTIALS,
    ];

    /// Inbound rate per peer on the two fetch channels, [`RESOLVER`] (simplex's certificates)
    /// and [`BACKFILL`] (marshal's blocks). Their handlers preallocate a queue as long as the
    /// channel's capacity (peers × this burst), so a generous quota costs memory at every start:
    /// 100,000/s made zeroing them 40% of a simulated run. Fetching needs far less (marshal
    /// repairs at most 16 blocks at a time).
    pub fn fetch_quota() -> commonware_runtime::Quota {
        commonware_runtime::Quota::per_second(commonware_utils::NZU32!(1_000))
    }

    /// Rate per peer on every other channel of a real network: 10,000 messages a second, in
    /// bursts of at most 1,024. The burst sizes what p2p preallocates: each channel's inbound
    /// queue holds peers × burst messages and the shared outbound queue the sum of them all,
    /// at ~1 KB a slot, touched at start. With the burst left at the rate (10,000) an idle
    /// node held ~760 MB of empty queues (measured with heaptrack, 4 nodes); with 1,024,
    /// ~100 MB. A burst is what a node sends a peer at once: at most a few messages per vote
    /// in flight (commit, reveal, report), which 1,024 covers for hundreds of concurrent votes.
    pub fn message_quota() -> commonware_runtime::Quota {
        commonware_runtime::Quota::per_second(commonware_utils::NZU32!(10_000))
            .allow_burst(commonware_utils::NZU32!(1_024))
    }

    /// The inbound quota of channel `ch`: [`fetch_quota`] on the fetch channels, `rate` on
    /// the others.
    pub fn quota(ch: u64, rate: commonware_runtime::Quota) -> commonware_runtime::Quota {
        if ch == BACKFILL || ch == RESOLVER {
            fetch_quota()
        } else {
            rate
        }
    }
}

/// Everything one node needs.
pub struct Config {
    pub signer: PrivateKey,
    /// Identity keys of the whole cluster (any order; sorted here).
    pub participants: Vec<PublicKey>,
    /// Namespace of consensus signatures (one per cluster).
    pub namespace: Vec<u8>,
    /// Where the audit log and commitment secrets live; `None` keeps them in memory.
    pub dir: Option<PathBuf>,
    /// Prefix of the runtime storage partitions.
    pub partition: String,
    pub model: Arc<dyn ModelBackend>,
    pub dkg: Arc<DkgOutput>,
    pub vote_timeouts: byzvote_core::Timeouts,
    pub chain_timeouts: Timeouts,
    pub pacing: Pacing,
    /// Each participant's declared vendor (a drawn committee seats at most `f` per vendor);
    /// a participant missing here is a vendor of its own. Every node must hold the same map.
    pub vendors: std::collections::BTreeMap<PublicKey, String>,
    /// A deliberate fault, for simulations only.
    pub fault: Option<executor::Fault>,
    /// The sentence embedder `semantic` votes are decided with (the built-in MiniLM in
    /// production). `None`: this node neither proposes nor re-checks similarity evidence
    /// (see [`crate::protocol::similarity`]).
    pub embedder: Option<Arc<dyn byzvote_core::Embedder>>,
    /// Decided votes kept whole in the state; older ones are retired
    /// ([`crate::protocol::state::RETAIN`] in production; a handful in simulations, so that
    /// retirement runs under the whole protocol). The results served to clients and the
    /// certified batches kept to help late peers have their own bounds.
    pub retain: usize,
}

/// The node's p2p channels.
pub struct Channels<S, R> {
    pub chain: engine::Channels<S, R>,
    pub txs: (S, R),
    pub partials: (S, R),
}

impl<S, R> Channels<S, R> {
    /// The channels from one registration per id of [`channel::NODE`], in that order;
    /// `None` if there are fewer.
    pub fn from_ordered(registered: impl IntoIterator<Item = (S, R)>) -> Option<Self> {
        let mut r = registered.into_iter();
        Some(Self {
            chain: engine::Channels {
                votes: r.next()?,
                certificates: r.next()?,
                resolver: r.next()?,
                broadcast: r.next()?,
                backfill: r.next()?,
            },
            txs: r.next()?,
            partials: r.next()?,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error("this node's key is not one of the cluster's participants")]
    NotAParticipant,
    #[error("the participant list has duplicates")]
    DuplicateParticipant,
    #[error(transparent)]
    Audit(#[from] AuditError),
}

/// A running node, as the gateway sees it.
#[derive(Clone)]
pub struct Handle<S> {
    pub results: Results,
    pub participants: Arc<Vec<PublicKey>>,
    pub group_key: byzvote_dkg::GroupPublicKey,
    /// The node's audit log (the quick tiers append their decisions to it).
    pub audit: crate::protocol::audit::AuditLog,
    /// Where this node's time goes (off unless `BYZVOTE_TIMINGS=1`).
    pub timings: crate::timing::Timings,
    mempool: Mempool,
    txs: S,
    /// This node's identity key and member id (to sign its verifier's verdicts).
    signer: PrivateKey,
    me: byzvote_core::MemberId,
    /// The executor's inbox (a submitted request may be answered before it is ordered).
    executor: crate::protocol::intake::PeerInbox,
    /// What each client key has spent, as this node counts it (see `protocol::spend`).
    pub ledger: crate::protocol::ledger::Ledger,
    /// The last finalized height the executor applied (a charge names it).
    finalized: Arc<std::sync::atomic::AtomicU64>,
    /// This node's quick decisions found in its audit log at start (taken once).
    recovered_quick: Arc<std::sync::Mutex<Vec<crate::protocol::audit_quick::QuickEntry>>>,
}

impl<S: Sender<PublicKey = PublicKey>> Handle<S> {
    /// Submits a (validated) request for ordering and returns how to wait for its decision.
    pub fn submit(&mut self, request: Request) -> Wait {
        let id = request.id();
        let wait = self.results.wait(id);
        if matches!(wait, Wait::Pending(_)) {
            self.timings.mark("vote.submitted", id.as_ref());
            let bytes = Tx::Request(request.clone()).encode();
            if self.mempool.insert(bytes.clone()) {
                self.executor.offer(executor::Message::Pending(request));
            }
            self.txs.send(Recipients::All, bytes, false);
        }
        wait
    }

    /// Signs this node's external verifier verdict on vote `request` and submits it for
    /// ordering; once finalized, every node applies it to reputation the same way (see
    /// `protocol::verdict`).
    pub fn submit_verdict(&mut self, request: byzvote_core::Digest, passed: bool, verifier: &str) {
        let verdict = crate::protocol::verdict::Verdict {
            request,
            member: self.me,
            passed,
            verifier: verifier.to_string(),
        };
        let bytes = Tx::Verdict(verdict.sign(&self.signer)).encode();
        self.mempool.insert(bytes.clone());
        self.txs.send(Recipients::All, bytes, false);
    }

    /// Charges `cost_micro_usd` for vote `request`, answered through this node, to the client
    /// key whose SHA-256 is `key`: signed and submitted for ordering (so every node counts it,
    /// see `protocol::spend`), and counted by this node at once until then.
    pub fn submit_charge(
        &mut self,
        key: crate::protocol::charge::KeyHash,
        request: byzvote_core::Digest,
        cost_micro_usd: u64,
    ) {
        let charge = crate::protocol::charge::Charge {
            key,
            request,
            member: self.me,
            cost_micro_usd,
            height: self.finalized.load(std::sync::atomic::Ordering::Acquire),
        };
        self.ledger.pend(&charge);
        let bytes = Tx::Charge(charge.sign(&self.signer)).encode();
        self.mempool.insert(bytes.clone());
        self.txs.send(Recipients::All, bytes, false);
    }

    /// This node's quick-tier decisions found in its audit log at start, oldest first, for
    /// [`crate::quick::QuickHandle::restore`] (empty after the first call).
    pub fn take_recovered_quick(&self) -> Vec<crate::protocol::audit_quick::QuickEntry> {
        self.recovered_quick
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default()
    }
}

/// Starts a node; its tasks run until the runtime stops.
pub async fn start<E, B, P, S, R>(
    context: E,
    cfg: Config,
    blocker: B,
    provider: P,
    channels: Channels<S, R>,
) -> Result<Handle<S>, NodeError>
where
    E: Clock + rand::Rng + rand_core::CryptoRng + Spawner + Storage + Metrics,
    B: Blocker<PublicKey = PublicKey>,
    P: Provider<PublicKey = PublicKey>,
    S: Sender<PublicKey = PublicKey> + Clone,
    R: Receiver<PublicKey = PublicKey>,
{
    let me = cfg.signer.public_key();
    let signer = cfg.signer.clone();
    let set =
        Set::try_from(cfg.participants.clone()).map_err(|_| NodeError::DuplicateParticipant)?;
    let participants: Arc<Vec<PublicKey>> = Arc::new(set.iter().cloned().collect());
    let Some(my_index) = participants.iter().position(|p| *p == me) else {
        return Err(NodeError::NotAParticipant);
    };
    let my_index = my_index as byzvote_core::MemberId;
    let limits = Limits::default();
    let mempool = Mempool::new(100_000, 64 << 20);
    if cfg.fault == Some(executor::Fault::InvalidProposals) {
        // For simulations only: bytes that decode as no transaction, so `tx::check_all` fails
        // and every other validator refuses any block this node proposes with them.
        mempool.insert(bytes::Bytes::from_static(&[0xff, 0x00, 0xff]));
    }
    let shared = Shared {
        timings: crate::timing::Timings::from_env(),
        ..Shared::default()
    };
    let timings = shared.timings.clone();
    let finalized = shared.finalized.clone();
    let results = Results::default();
    let f = (participants.len().saturating_sub(1) / 3) as u32;
    let ledger = crate::protocol::ledger::Ledger::new(Some(my_index), f);
    let (txs_sender, txs_receiver) = channels.txs;
    let (partials_sender, partials_receiver) = channels.partials;
    let group_key = *cfg.dkg.group_public_key();
    // The embedder runs on a worker of its own, never on the executor or consensus tasks.
    let embeddings = cfg
        .embedder
        .map(|e| Embeddings::spawn(context.child("embedder"), e));
    let similarity = Arc::new(Checker::new(embeddings));
    // Every validator applies the same check to gossiped transactions and to proposed blocks,
    // so an honest leader never proposes what its peers refuse.
    let check_participants = participants.clone();
    let weights = batch_weights_secret(&cfg.signer);
    let check: TxCheck =
        Arc::new(move |txs: &[bytes::Bytes]| tx::check_all(txs, &check_participants, &weights));
    let check_similarity = similarity.clone();
    let deep_check: DeepCheck = Arc::new(move |bytes: &bytes::Bytes| {
        if !Checker::concerns(bytes) {
            return None;
        }
        let (checker, bytes) = (check_similarity.clone(), bytes.clone());
        Some(Box::pin(async move { checker.check(&bytes).await }))
    });

    let awaiting = crate::protocol::speculate::Awaiting::default();
    let exec_cfg = executor::Config {
        signer: cfg.signer.clone(),
        participants: participants.to_vec(),
        vendors: participants
            .iter()
            .map(|p| cfg.vendors.get(p).cloned().unwrap_or_default())
            .collect(),
        model: cfg.model,
        dkg: cfg.dkg,
        timeouts: cfg.vote_timeouts,
        dir: cfg.dir,
        fault: cfg.fault,
        similarity,
        awaiting: awaiting.clone(),
        ledger: ledger.clone(),
        retain: cfg.retain,
    };
    let (mut exec, mailbox) = Executor::new(
        context.child("executor"),
        exec_cfg,
        mempool.clone(),
        shared.clone(),
        results.clone(),
        txs_sender.clone(),
        partials_sender,
    )?;
    let peer_inbox = exec.peer_inbox();
    let audit = exec.audit();
    let inbox_for_handle = peer_inbox.clone();
    let recovered_quick = Arc::new(std::sync::Mutex::new(exec.take_recovered_quick()));
    context.child("executor").spawn(move |_| exec.run());
    let pool = mempool.clone();
    let gossip_check = (check.clone(), deep_check.clone());
    let to_executor = peer_inbox.clone();
    context.child("tx_gossip").spawn(move |_| {
        crate::protocol::intake::receive_txs(txs_receiver, gossip_check, pool, to_executor)
    });
    context
        .child("partial_gossip")
        .spawn(move |_| crate::protocol::intake::receive_partials(partials_receiver, peer_inbox));

    let n = participants.len() as u32;
    let app = App {
        mempool: mempool.clone(),
        check,
        deep_check,
        arrange: Arc::new(move |txs, ordered| {
            crate::protocol::speculate::arrange(txs, ordered, n, &awaiting)
        }),
        shared,
        pacing: cfg.pacing,
        limits,
        max_block_bytes: 8 << 20,
    };
    let chain_cfg = engine::Config {
        signer: cfg.signer,
        participants: set,
        namespace: cfg.namespace,
        partition: cfg.partition,
        blocker,
        provider,
        app,
        timeouts: cfg.chain_timeouts,
        on_finalized: Some(mailbox.on_finalized()),
    };
    engine::start(context.child("chain"), chain_cfg, mailbox, channels.chain).await;
    Ok(Handle {
        results,
        participants,
        group_key,
        audit,
        timings,
        mempool,
        txs: txs_sender,
        me: my_index,
        signer,
        executor: inbox_for_handle,
        ledger,
        finalized,
        recovered_quick,
    })
}

/// The secret that seeds the weights of this node's batched identity-signature checks: derived
/// from its identity key (so that a simulated run draws nothing more from its random stream),
/// never sent, so a peer cannot choose signatures that cancel out in a batch.
fn batch_weights_secret(signer: &crate::chain::types::PrivateKey) -> [u8; 32] {
    use commonware_codec::Encode as _;
    use commonware_cryptography::{Hasher as _, Sha256};
    let mut hasher = Sha256::default();
    hasher
        .update(b"_BYZVOTE_BATCH_WEIGHTS")
        .update(&signer.encode());
    let mut secret = [0; 32];
    secret.copy_from_slice(hasher.finalize().1.as_ref());
    secret
}

/// Default pacing: idle blocks at most every 500 ms, and every 50 ms while a vote waits on a
/// deadline. The idle wait plus the proposal's trip to the slowest peer must stay under the
/// 1 s leader timeout, or an idle cluster nullifies every view (found by the simulation with
/// an 800 ms wait and ~200 ms links): 500 ms leaves half a second for the network.
///
/// A proposal of new requests waits up to 20 ms for their commits (see
/// `protocol::speculate::arrange`): with fast models the commits arrive within a few
/// milliseconds and the vote saves a whole finalization; with slow ones the request goes
/// alone, 20 ms later, against a model call of seconds.
pub const DEFAULT_PACING: Pacing = Pacing {
    idle: Duration::from_millis(500),
    busy: Duration::from_millis(50),
    linger: Duration::from_millis(20),
};
