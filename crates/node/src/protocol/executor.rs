//! The executor: applies finalized blocks to the protocol state and acts on its events.
//!
//! Order of work for one finalized block (persist before you speak):
//!
//! 1. apply it to [`State`] (pure);
//! 2. append it to the audit log (fsync);
//! 3. acknowledge it to marshal;
//! 4. act: run the model for a new vote, reveal when the commitment set closes,
//!    partial-sign a decision.
//!
//! A commitment's secret (answer and salt) is synced to disk before the commit is sent, so a
//! restarted node can still reveal.
//!
//! On start, the audit log is replayed into the state with actions suppressed, then the
//! node resumes what it still owes: commits, reveals and partial signatures.
//!
//! Two inboxes: this node's own messages (blocks from marshal, model results, timer ticks)
//! are never dropped; what peers cause (their partial signatures, gossiped requests) goes
//! through a bounded [`super::intake::PeerInbox`] and is dropped when it is full, so a flood or a stalled
//! disk cannot grow memory without bound. Each of those is recoverable: partials are resent
//! every second, and a gossiped request is still in the mempool (the message only lets this
//! node answer before the request is ordered).

use super::audit::{AuditLog, Body, Entry, HexBytes};
use super::beacon::Beacons;
use super::bundle::{Item, SignedBundle};
use super::certify::Collect;
use super::intake::PeerInbox;
use super::journal::Journal;
use super::results::{Decided, Results};
use super::speculate::Speculation;
use super::state::{Event, State};
use super::tx::Tx;
use crate::chain::{
    app::Shared,
    block::Block,
    mempool::Mempool,
    types::{PrivateKey, PublicKey},
};
use bytes::Bytes;
use byzvote_core::batch::{Batch, Proof};
use byzvote_core::{
    Action, Canonical, Commit, DecisionRecord, Digest, MemberId, Reveal, Salt, Timeouts,
    canonicalize, namespace::BYZVOTE_DECISION,
};
use byzvote_dkg::{DkgOutput, PartialSignature};
use byzvote_models::{Completion, ModelBackend};
use commonware_actor::Feedback;
use commonware_codec::{DecodeExt as _, Encode as _, FixedSize as _};
use commonware_consensus::{Heightable as _, Reporter, marshal::Update};
use commonware_cryptography::{Digested, Digestible as _};
use commonware_p2p::{Recipients, Sender};
use commonware_runtime::{Clock, Spawner};
use commonware_utils::Acknowledgement as _;
use commonware_utils::acknowledgement::Exact;
use futures::StreamExt as _;
use futures::channel::mpsc;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, UNIX_EPOCH};
use tracing::{debug, info, warn};

/// What the executor needs.
pub struct Config {
    pub signer: PrivateKey,
    /// The cluster's identity keys, sorted; a member id indexes this list.
    pub participants: Vec<PublicKey>,
    /// Each participant's vendor, in `participants` order ("" for undeclared).
    pub vendors: Vec<String>,
    pub model: Arc<dyn ModelBackend>,
    pub dkg: Arc<DkgOutput>,
    pub timeouts: Timeouts,
    /// Directory for `audit.jsonl` and `secrets.jsonl`; `None` keeps them in memory.
    pub dir: Option<PathBuf>,
    /// A deliberate fault, for simulations only (see [`Fault`]).
    pub fault: Option<Fault>,
    /// Computes this node's similarity evidence for `semantic` votes (none without an
    /// embedder; see [`super::similarity`]).
    pub similarity: Arc<super::similarity::Checker>,
    /// Where this node publishes what its open votes await (for its proposals).
    pub awaiting: super::speculate::Awaiting,
    /// Where the ordered key spend is published for the HTTP API (see [`super::ledger`]).
    pub ledger: super::ledger::Ledger,
    /// Decided votes the state keeps whole ([`super::state::RETAIN`] in production).
    pub retain: usize,
}

/// Deliberate protocol faults a simulated node can commit (the model's own lies are
/// scripted in its backend instead). For simulations only (`byzvote-sim`): an honest node
/// has `fault: None` and none of these hooks changes what it does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Reveals an answer other than the one it committed to.
    WrongReveal,
    /// Commits but never reveals.
    NeverReveal,
    /// Signs and gossips a second, different commitment with its real one (in the same bundle).
    Equivocate,
    /// Sends its reveal only this long (runtime clock) after the commitment set closes.
    LateReveal(std::time::Duration),
    /// Partial-signs a forged decision record (another answer) instead of the real one.
    ForgedDecision,
    /// Seeds its own mempool with a transaction no validator accepts, so every block it
    /// proposes as leader is invalid (hook in `node::start`).
    InvalidProposals,
}

/// Messages to the executor (short-lived, so their size difference does not matter).
#[allow(clippy::large_enum_variant)]
pub enum Message {
    /// A finalized block from marshal, stored durably, in height order (again after a restart).
    Block(Digested<Block>, Exact),
    /// A block whose finalization certificate consensus has just reported, before marshal has
    /// stored it: applied at once if it is the next height on the last block applied here, else
    /// left to marshal. Safe to act on: a finalized block is final, and after a crash marshal
    /// delivers it again (a block already applied is skipped by height).
    Finalized(Digested<Block>),
    Inferred {
        id: Digest,
        result: Result<Completion, String>,
    },
    /// A peer's partial signature over a decision (`None` for this node's own).
    Partial(Option<PublicKey>, Digest, PartialSignature),
    /// A peer's partial signature over a request's committee beacon.
    BeaconPartial(Digest, PartialSignature),
    /// A transaction to submit now (a late reveal of [`Fault::LateReveal`], similarity
    /// evidence computed off the executor).
    Submit(Tx),
    /// A request reached this node's mempool (not ordered yet): see [`super::speculate`].
    Pending(byzvote_core::Request),
    /// The resend timer fired (every `RESEND_PERIOD`).
    Tick,
    /// The wait for more to say in one bundle is over ([`Executor::seal_when_due`]).
    Seal,
}

/// Marshal's reporter: forwards finalized blocks to the executor.
#[derive(Clone)]
pub struct Mailbox(mpsc::UnboundedSender<Message>);

impl Mailbox {
    /// Where consensus hands a block the moment its finalization is reported
    /// ([`Message::Finalized`]).
    pub fn on_finalized(&self) -> crate::chain::app::OnFinalized {
        let inbox = self.0.clone();
        std::sync::Arc::new(move |block| {
            // A closed inbox: the executor has stopped, marshal's delivery is moot too.
            let _ = inbox.unbounded_send(Message::Finalized(block));
        })
    }
}

impl Reporter for Mailbox {
    type Activity = Update<Block>;

    fn report(&mut self, activity: Self::Activity) -> Feedback {
        match activity {
            Update::Block(block, ack) => match self.0.unbounded_send(Message::Block(block, ack)) {
                Ok(()) => Feedback::Ok,
                Err(_) => Feedback::Closed,
            },
            Update::Tip(..) => Feedback::Ok,
        }
    }
}

/// A commitment's secret, synced before the commit is sent.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Secret {
    #[serde(with = "hex::serde::no_prefix")]
    request: [u8; 32],
    canonical: String,
    #[serde(with = "hex::serde::no_prefix")]
    salt: [u8; 32],
}

fn digest_bytes(d: &Digest) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// The executor actor.
pub struct Executor<E, S> {
    context: E,
    cfg: Config,
    me: Option<MemberId>,
    state: State,
    audit: AuditLog,
    secrets_journal: Journal,
    /// Lines appended to `secrets_journal` since it last held only live secrets.
    secrets_appended: usize,
    secrets: HashMap<Digest, Secret>,
    mine: HashMap<Digest, Completion>,
    /// Ordered, so resends go out in the same order on every run (deterministic simulation).
    collecting: BTreeMap<Digest, Collect>,
    /// Committee beacons being gathered (requests whose committee is smaller than the cluster).
    beacons: Beacons,
    mempool: Mempool,
    shared: Shared,
    results: Results,
    txs: S,
    partials: S,
    inbox: mpsc::UnboundedReceiver<Message>,
    /// Messages caused by peers (bounded: see the module doc and [`super::intake`]).
    peers: mpsc::Receiver<Message>,
    peer_outbox: mpsc::Sender<Message>,
    outbox: mpsc::UnboundedSender<Message>,
    replaying: bool,
    /// Model calls in flight, and requests answered before they were ordered.
    speculation: Speculation,
    /// Votes for which the block being applied carries a counted commit by this node
    /// ([`super::speculate::counted_commits`]).
    committed_here: Vec<Digest>,
    /// The digest of the last block applied, when known (not after a restart until marshal
    /// delivers one): a block reported finalized is applied early only on top of it.
    tip: Option<Digest>,
    /// The batches with peers' partials but not decided here yet.
    early: super::certify::Early,
    /// Blocks applied whose audit entries are staged: acknowledged after the next flush.
    unacked: Vec<Exact>,
    /// Seeds the weights of the batch checks of recovered certificates (never sent).
    batch_secret: [u8; 32],
    /// What the state knew of each decided vote's members (revealed answers, reports) at its
    /// decision, until its certificate is published: the state may retire the vote first.
    unpublished_votes: HashMap<Digest, Breakdown>,
    /// This node's own transactions not yet in a finalized block, with when each was first
    /// and last gossiped (ms): gossiped again every [`RESEND_PERIOD`] (see
    /// [`Self::resend_own`]).
    own_pending: BTreeMap<Bytes, (u64, u64)>,
    /// What this node has said (commits, reveals, reports) since it last sealed: signed
    /// together, as one bundle, at a flush ([`Self::seal_when_due`]).
    unsealed: Vec<Item>,
    /// When this node last sealed a bundle (ms), and whether a [`Message::Seal`] is on its way.
    sealed_at_ms: u64,
    seal_armed: bool,
    /// Certified batches still in `collecting`, oldest first: the last [`KEEP_CERTIFIED`].
    /// Each keeps ~0.3 KB (this node's partial) to help a peer that is still collecting it
    /// (one restarted, or cut off, that decided it late).
    certified_roots: VecDeque<Digest>,
    /// Certificates recovered from partials, checked together at the next flush.
    recovered: Vec<(Digest, byzvote_dkg::GroupSignature)>,
    /// Certificates whose audit entries are staged: published after the next flush.
    /// The signature in its encoding (compressing the point costs a field inversion: done once
    /// per batch, not once per record and once per response).
    unpublished: Vec<(Digest, DecisionRecord, Bytes, Proof)>,
    /// Records decided while applying the current block: one batch ([`Self::close_batch`]).
    deciding: Vec<DecisionRecord>,
    /// This node's own quick-tier decisions found in the audit log at start (the newest
    /// [`crate::quick::REMEMBER`]), for the quick actor to serve again.
    recovered_quick: super::audit_quick::Recovered,
}

/// At most this many messages share one audit sync (bounds an answer's wait under load).
const MAX_BATCH: usize = 256;
/// Certified batches this node can still help a late peer certify (~0.3 KB each, ~20 MB in
/// all). A batch is one block's decisions: about half an hour of blocks at this cluster's top
/// rate here (~40 a second), much longer at a normal one. A node down longer than that
/// catches up on the chain but cannot certify the batches it missed (see the notes).
const KEEP_CERTIFIED: usize = 65_536;
/// Bundles are sealed at most every (open votes / this) ms ([`Executor::seal_wait_ms`]).
const OPEN_VOTES_PER_SEAL_MS: u64 = 16;
/// The longest wait between two bundles.
const MAX_SEAL_WAIT_MS: u64 = 10;
/// Items that are sealed at once, however recent the last bundle.
const MAX_UNSEALED: usize = 1024;
/// The secrets journal is rewritten with the live secrets once this many lines were appended
/// since (and at least twice as many as there are live ones): [`Executor::compact_secrets`].
const COMPACT_SECRETS_AFTER: usize = 1024;
/// Capacity of the inbox for messages caused by peers ([`super::intake`]).
const PEER_INBOX: usize = 4096;

/// Bound on the batches this node holds partials for without having decided them (keys
/// chosen by peers; see [`super::certify::Early`]).
const MAX_EARLY_VOTES: usize = 4096;
/// Partials for a batch not decided here are forgotten after this long.
const EARLY_TTL_MS: u64 = 60_000;
/// A committee beacon's partial is broadcast again every this many blocks while it is not
/// recovered (blocks keep coming while a vote waits for its committee).
const RESEND_EVERY: u64 = 10;
/// A decided but uncertified vote's partial is broadcast again after this long (a peer that
/// just restarted, or a lossy link, may have missed it). By time, not by blocks: once every
/// vote is decided the chain idles and no block would come to trigger it, and on a slow chain
/// (lossy links at n=10: a block every few seconds) ten blocks were too long (sim seed 10001).
const RESEND_PERIOD: Duration = Duration::from_secs(1);
/// At most this many partials are resent per period.
const MAX_RESENDS: usize = 16;
/// An own transaction is gossiped again for this long at most (longer than a vote's commit
/// and reveal windows by default: 60 s + 20 s).
const RESEND_OWN_FOR_MS: u64 = 120_000;
/// Own transactions waiting to be ordered that are gossiped again; one sent while this many
/// wait is gossiped once only (as before the resends).
const MAX_OWN_PENDING: usize = 16_384;

impl<E: Clock + Spawner + rand_core::CryptoRng, S: Sender<PublicKey = PublicKey>> Executor<E, S> {
    /// Creates the executor and replays its audit log. Returns it with the mailbox marshal reports to.
    pub fn new(
        context: E,
        cfg: Config,
        mempool: Mempool,
        shared: Shared,
        results: Results,
        txs: S,
        partials: S,
    ) -> Result<(Self, Mailbox), super::audit::AuditError> {
        let (outbox, inbox) = mpsc::unbounded();
        let (peer_outbox, peers) = mpsc::channel(PEER_INBOX);
        let me = cfg
            .participants
            .iter()
            .position(|p| p == &commonware_cryptography::Signer::public_key(&cfg.signer))
            .map(|i| i as MemberId);
        let n = u32::try_from(cfg.participants.len()).unwrap_or(u32::MAX);
        let dir = cfg.dir.clone();
        let mut executor = Self {
            context,
            me,
            state: State::new(
                n,
                cfg.timeouts,
                cfg.dkg.round(),
                *cfg.dkg.group_public_key(),
            )
            .with_vendors(&cfg.vendors)
            .with_retain(cfg.retain),
            cfg,
            audit: AuditLog::memory(),
            secrets_journal: Journal::memory(),
            secrets_appended: 0,
            secrets: HashMap::new(),
            mine: HashMap::new(),
            collecting: BTreeMap::new(),
            certified_roots: VecDeque::new(),
            unpublished_votes: HashMap::new(),
            own_pending: BTreeMap::new(),
            unsealed: Vec::new(),
            sealed_at_ms: 0,
            seal_armed: false,
            beacons: Beacons::default(),
            mempool,
            shared,
            results,
            txs,
            partials,
            inbox,
            peers,
            peer_outbox,
            outbox: outbox.clone(),
            replaying: true,
            unacked: Vec::new(),
            batch_secret: [0; 32],
            recovered: Vec::new(),
            unpublished: Vec::new(),
            deciding: Vec::new(),
            speculation: Speculation::default(),
            committed_here: Vec::new(),
            tip: None,
            early: Default::default(),
            recovered_quick: super::audit_quick::Recovered::new(me, crate::quick::REMEMBER),
        };
        executor.context.fill_bytes(&mut executor.batch_secret);
        if let Some(dir) = dir {
            // One entry in memory at a time: the log holds every decision this node made.
            let audit = AuditLog::open_each(&dir.join("audit.jsonl"), |entry| {
                executor.replay(entry);
                Ok(())
            })?;
            executor.audit = audit;
            executor.secrets_journal = executor.load_secrets(&dir.join("secrets.jsonl"))?;
        }
        executor.resume();
        Ok((executor, Mailbox(outbox)))
    }

    /// Opens the commitment secrets' journal and keeps the secrets of the votes not decided
    /// yet (those not ordered yet included: a commit made before its request's block); the
    /// file is rewritten without the others, so it does not grow with every vote ever made.
    fn load_secrets(
        &mut self,
        path: &std::path::Path,
    ) -> Result<Journal, super::audit::AuditError> {
        let state = &self.state;
        let secrets = &mut self.secrets;
        let mut dropped = 0usize;
        let mut journal = Journal::open_each(path, |secret: Secret| {
            let id = Digest::from(secret.request);
            if state.settled(&id) {
                dropped += 1;
            } else {
                secrets.insert(id, secret);
            }
            Ok::<(), super::journal::JournalError>(())
        })?;
        if dropped > 0 {
            journal.rewrite(self.secrets.values())?;
        }
        Ok(journal)
    }

    /// Applies one entry of the audit log at start.
    fn replay(&mut self, entry: Entry) {
        match entry.body {
            Body::Block {
                height,
                timestamp_ms,
                parent: _,
                txs,
            } => {
                let txs: Vec<Bytes> = txs.into_iter().map(|t| Bytes::from(t.0)).collect();
                let events = self.state.apply(height, timestamp_ms, &txs);
                for event in events {
                    self.act(event);
                }
                self.close_batch();
            }
            Body::Certificate {
                request,
                record,
                signature,
                proof,
            } => {
                let id = Digest::from(request);
                // This node checked the signature before logging it, and the entry's hash is
                // checked as the log is read: its length is all that is checked again. (Decoding
                // it, a G2 subgroup check, was three quarters of a restart: once per record, and
                // every record of a batch carries the same signature.)
                let signature = Bytes::from(signature.0);
                let sig_ok = signature.len() == byzvote_dkg::GroupSignature::SIZE;
                let rec = DecisionRecord::decode(Bytes::from(record.0));
                let proof = Proof::decode(Bytes::from(proof.0));
                if let (true, Ok(record), Ok(proof)) = (sig_ok, rec, proof) {
                    self.finish(proof.root);
                    self.publish(id, record, signature, proof);
                }
            }
            // Quick-tier decisions are outside the chain's state (see `audit_quick`); the
            // quick actor serves this node's own again (`GET /v1/votes/{id}`).
            body @ Body::Quick { .. } => self.recovered_quick.push(&body),
        }
    }

    /// After the replay: resumes what this node still owes.
    fn resume(&mut self) {
        self.replaying = false;
        self.publish_awaited();
        self.shared
            .finalized
            .store(self.state.height(), Ordering::Release);
        let open: Vec<(Digest, Vec<MemberId>, Option<Vec<MemberId>>)> = self
            .state
            .open()
            .map(|v| {
                (
                    v.id(),
                    v.committee().to_vec(),
                    v.closed_set().map(<[MemberId]>::to_vec),
                )
            })
            .collect();
        let awaiting: Vec<Digest> = self.state.awaiting().copied().collect();
        for id in awaiting {
            self.act(Event::NeedBeacon { id });
        }
        let judging: Vec<(Digest, Vec<MemberId>, Vec<Canonical>)> = self
            .state
            .open()
            .filter_map(|v| {
                let c = v.awaiting_similarities()?;
                Some((
                    v.id(),
                    c.keys().copied().collect(),
                    c.values().cloned().collect(),
                ))
            })
            .collect();
        for (id, members, texts) in judging {
            self.act(Event::Vote {
                id,
                action: Action::NeedSimilarities { members, texts },
            });
        }
        for (id, committee, closed) in open {
            match closed {
                None => self.act(Event::Started { id, committee }),
                Some(members) => self.act(Event::Vote {
                    id,
                    action: Action::CloseCommits { members },
                }),
            }
        }
        let uncertified: Vec<Digest> = self
            .collecting
            .iter()
            .filter(|(_, c)| !c.done && c.batch.is_some())
            .map(|(root, _)| *root)
            .collect();
        for root in uncertified {
            self.sign_batch(root);
        }
    }

    /// Runs the actor until the inbox closes (or the audit log cannot be written).
    ///
    /// Group commit: after one message, every message already waiting is handled too, then
    /// one sync of the audit log covers all of their entries, and only then are their
    /// blocks acknowledged to marshal and their certificates handed to the clients.
    pub async fn run(mut self) {
        // Certificates recovered while resuming after the replay.
        if !self.flush() {
            return;
        }
        // Stops at the first tick after the executor has stopped (its inbox is dropped).
        let ticker = self.outbox.clone();
        self.context
            .child("resend")
            .spawn(move |context| async move {
                loop {
                    context.sleep(RESEND_PERIOD).await;
                    if ticker.unbounded_send(Message::Tick).is_err() {
                        break;
                    }
                }
            });
        loop {
            // Own messages first (blocks unblock everything else). A closed peer inbox is
            // terminated and no longer polled; the own inbox never closes while we hold
            // `outbox`, except through `inbox.close()` on an audit error.
            let message = futures::select_biased! {
                m = self.inbox.next() => m,
                m = self.peers.next() => m,
                complete => None,
            };
            let Some(message) = message else { return };
            self.handle(message);
            for _ in 1..MAX_BATCH {
                let next = match self.inbox.try_recv() {
                    Ok(message) => message,
                    Err(_) => match self.peers.try_recv() {
                        Ok(message) => message,
                        Err(_) => break,
                    },
                };
                self.handle(next);
            }
            if !self.flush() {
                return;
            }
        }
    }

    /// Checks the recovered certificates and stages the valid ones, syncs the staged audit
    /// entries, then acknowledges their blocks and publishes their certificates. `false` if
    /// the log cannot be written: without it, acknowledging would lose a decided vote on
    /// restart, so the executor stops (marshal redelivers the blocks to the next start).
    fn flush(&mut self) -> bool {
        self.seal_when_due();
        self.check_recovered();
        if self.audit.has_staged() {
            let synced = self.shared.timings.now();
            let flushed = self.audit.flush();
            self.shared.timings.since("audit.sync", synced);
            if let Err(e) = flushed {
                warn!(error = %e, "cannot write the audit log; stopping the executor");
                return false;
            }
        }
        self.compact_secrets();
        for ack in self.unacked.drain(..) {
            ack.acknowledge();
        }
        for (id, record, signature, proof) in std::mem::take(&mut self.unpublished) {
            self.publish(id, record, signature, proof);
        }
        true
    }

    /// Rewrites the secrets journal with the live secrets only, once it holds many more
    /// lines than those: a decided vote's secret is dropped from memory, but its line stayed
    /// in the file until the next start (~170 bytes per vote: gigabytes a day under load).
    /// Called right after the audit sync: the decisions that settled the dropped secrets are
    /// durable, so a restart finds them settled and never needs their secrets again.
    fn compact_secrets(&mut self) {
        if self.secrets_appended < COMPACT_SECRETS_AFTER
            || self.secrets_appended < 2 * self.secrets.len()
        {
            return;
        }
        match self.secrets_journal.rewrite(self.secrets.values()) {
            Ok(()) => self.secrets_appended = self.secrets.len(),
            // The journal still holds every live secret; try again at a later flush.
            Err(e) => warn!(error = %e, "cannot compact the secrets journal"),
        }
    }

    fn handle(&mut self, message: Message) {
        match message {
            Message::Block(block, ack) => {
                self.apply(&block);
                self.unacked.push(ack);
            }
            Message::Finalized(block) => {
                let next = block.inner().height().get() == self.state.height() + 1;
                if next && self.tip == Some(block.inner().parent) {
                    self.apply(&block);
                }
            }
            Message::Inferred { id, result } => self.on_inferred(id, result),
            Message::Partial(from, id, partial) => self.on_partial(from, id, partial),
            Message::BeaconPartial(id, partial) => {
                if let Some(signature) = self.beacons.add(&self.cfg.dkg, id, partial) {
                    self.submit(Tx::Beacon {
                        request: id,
                        signature,
                    });
                }
            }
            Message::Submit(tx) => self.submit(tx),
            Message::Pending(request) => self.on_pending(request),
            Message::Seal => self.seal_armed = false,
            Message::Tick => {
                self.resend_partials();
                self.resend_own();
                let now = self.now_ms();
                for root in self.early.expire(now, EARLY_TTL_MS) {
                    self.collecting.remove(&root);
                }
            }
        }
    }

    /// Applies a finalized block (a block at or below the applied height is skipped), timed.
    fn apply(&mut self, block: &Digested<Block>) {
        let height = block.inner().height().get();
        if height <= self.state.height() {
            if height == self.state.height() {
                self.tip = Some(block.digest()); // marshal's copy of a block applied early
            }
            return;
        }
        let timings = self.shared.timings.clone();
        let stage = if block.inner().txs.is_empty() {
            "chain.finalize.empty"
        } else {
            "chain.finalize.txs"
        };
        let digest = block.digest();
        timings.end(stage, "proposed", digest.as_ref());
        timings.end("chain.applied", "finalized", digest.as_ref());
        timings.forget(digest.as_ref());
        let started = timings.now();
        self.on_block(block.inner());
        timings.since("executor.block", started);
        timings.value("chain.block_txs", block.inner().txs.len() as f64);
        self.tip = (self.state.height() == height).then_some(digest);
    }

    fn on_block(&mut self, block: &Block) {
        let height = block.height().get();
        // A block at or past an open vote's deadline counts towards that deadline's grace
        // (see core's `Vote`), a change of state even when it emits nothing.
        let counts = self
            .state
            .next_deadline_ms()
            .is_some_and(|d| block.timestamp_ms >= d);
        let events = self.state.apply(height, block.timestamp_ms, &block.txs);
        self.committed_here = match self.me {
            Some(me) => super::speculate::counted_commits(&block.txs, me),
            None => Vec::new(),
        };
        // A block that carries nothing and changes nothing (no deadline reached) is not
        // logged: replaying the log without it gives the same state, and the log does not
        // grow with heartbeat blocks. (Found by the 7-node chaos run: empty blocks past a
        // deadline were skipped, so a restarted node's replay counted fewer blocks of grace
        // and decided a vote at another height than its peers.)
        if block.txs.is_empty() && events.is_empty() && !counts {
            self.shared.finalized.store(height, Ordering::Release);
            self.resend_beacons(height);
            return;
        }
        let body = Body::Block {
            height,
            timestamp_ms: block.timestamp_ms,
            parent: digest_bytes(&block.parent),
            txs: block.txs.iter().map(HexBytes::from).collect(),
        };
        // Staged: synced (with the rest of this burst) before the block is acknowledged.
        // Acting on it before that sync is safe: marshal redelivers an unacknowledged block
        // after a crash, and what this node says about it is the same again (commits and
        // reveals come from secrets synced before the first send; partial signatures are
        // deterministic).
        if let Err(e) = self.audit.stage(body) {
            warn!(error = %e, "cannot encode an audit entry; stopping the executor");
            self.inbox.close();
            return;
        }
        self.mempool.remove(&block.txs);
        if !self.own_pending.is_empty() {
            for tx in &block.txs {
                self.own_pending.remove(tx);
            }
        }
        self.publish_awaited();
        self.shared.finalized.store(height, Ordering::Release);
        self.shared.busy.store(self.state.busy(), Ordering::Relaxed);
        for event in events {
            self.act(event);
        }
        self.close_batch();
        self.resend_beacons(height);
    }

    fn act(&mut self, event: Event) {
        match event {
            Event::Charged { charge, touched } => {
                let charges = self.state.charges();
                let spends: Vec<_> = touched
                    .into_iter()
                    .map(|k| (k, charges.get(&k).cloned()))
                    .collect();
                self.cfg
                    .ledger
                    .ordered(&charge, spends, self.state.height());
            }
            Event::Started { id, committee } => {
                self.beacons.finish(&id);
                if self.replaying {
                    return;
                }
                let timings = &self.shared.timings;
                timings.mark("vote.started", id.as_ref());
                timings.between(
                    "vote.order_request",
                    "vote.submitted",
                    "vote.started",
                    id.as_ref(),
                );
                let Some(me) = self.me.filter(|m| committee.contains(m)) else {
                    return;
                };
                if let Some(secret) = self.secrets.get(&id).cloned() {
                    // Committed before the vote started (a restart, or speculation): again,
                    // unless this very block carries it (a commit ordered before its
                    // request does not count).
                    if !self.committed_here.contains(&id) {
                        self.send_commit(id, me, &secret);
                    }
                } else {
                    self.infer(id);
                }
            }
            Event::NeedBeacon { id } => {
                if self.replaying {
                    return; // signed once the replay is over, if still needed
                }
                let (partial, signature) =
                    self.beacons.start(&self.cfg.dkg, id, self.state.height());
                self.gossip_beacon(id, &partial, signature);
            }
            Event::Refused { id, reason } => {
                if !self.replaying {
                    info!(?id, %reason, "request refused");
                }
                self.results.refuse(id, reason);
            }
            Event::Vote {
                id,
                action: Action::CloseCommits { members },
            } => {
                if self.replaying {
                    return;
                }
                let timings = &self.shared.timings;
                timings.mark("vote.closed", id.as_ref());
                timings.between(
                    "vote.order_commits",
                    "vote.committed",
                    "vote.closed",
                    id.as_ref(),
                );
                let Some(me) = self.me.filter(|m| members.contains(m)) else {
                    return;
                };
                if let Some(secret) = self.secrets.get(&id).cloned() {
                    let canonical = match self.cfg.fault {
                        Some(Fault::NeverReveal) => return,
                        Some(Fault::WrongReveal) => format!("{} (changed)", secret.canonical),
                        _ => secret.canonical,
                    };
                    let reveal = Reveal {
                        request: id,
                        member: me,
                        canonical: Canonical(canonical),
                        salt: Salt(secret.salt),
                    };
                    if let Some(Fault::LateReveal(delay)) = self.cfg.fault {
                        let reveal = Tx::Bundle(SignedBundle::sign(
                            me,
                            vec![Item::Reveal(reveal)],
                            &self.cfg.signer,
                        ));
                        let outbox = self.outbox.clone();
                        self.context
                            .child("late_reveal")
                            .spawn(move |ctx| async move {
                                ctx.sleep(delay).await;
                                let _ = outbox.unbounded_send(Message::Submit(reveal));
                            });
                    } else {
                        self.unsealed.push(Item::Reveal(reveal));
                    }
                    if let Some(c) = self.mine.get(&id) {
                        let cost = self.cfg.model.info().cost(c.usage);
                        let meta = super::meta::Meta::of(id, me, c, cost);
                        self.unsealed.push(Item::Meta(meta));
                    }
                }
            }
            Event::Vote {
                id,
                action: Action::Evidence(evidence),
            } => {
                if !self.replaying {
                    warn!(?id, ?evidence, "evidence recorded");
                }
            }
            Event::Vote {
                id,
                action: Action::NeedSimilarities { members, texts },
            } => {
                if self.replaying || !self.cfg.similarity.has_embedder() {
                    return; // proposed once the replay is over, if still needed
                }
                // Embedding takes tens of ms: the worker does it, and the evidence comes
                // back as a message to submit.
                let counted: BTreeMap<MemberId, Canonical> =
                    members.into_iter().zip(texts).collect();
                let (checker, outbox) = (self.cfg.similarity.clone(), self.outbox.clone());
                self.context
                    .child("similarities")
                    .spawn(move |_| async move {
                        if let Some(evidence) = checker.compute(id, &counted).await {
                            let _ =
                                outbox.unbounded_send(Message::Submit(Tx::Similarities(evidence)));
                        }
                    });
            }
            // The state already started the ballot (and emitted its `Started`).
            Event::Vote {
                action: Action::Ballot(_),
                ..
            } => {}
            Event::Vote {
                id,
                action: Action::Decide(record),
            } => {
                // Decided: the answer was revealed, nothing needs the secret or the call again.
                self.secrets.remove(&id);
                self.mine.remove(&id);
                let view = (
                    self.state.revealed(&id).cloned().unwrap_or_default(),
                    self.state.meta(&id).cloned().unwrap_or_default(),
                );
                self.unpublished_votes.insert(id, view);
                self.deciding.push(record.clone());
                if !self.replaying {
                    let timings = &self.shared.timings;
                    timings.mark("vote.decided", id.as_ref());
                    timings.between(
                        "vote.order_reveals",
                        "vote.closed",
                        "vote.decided",
                        id.as_ref(),
                    );
                    info!(?id, outcome = ?record.outcome, answer = ?record.answer, "decided");
                }
            }
        }
    }

    /// A request in the mempool: answer it now if its committee is known to be everyone
    /// ([`super::speculate`]).
    fn on_pending(&mut self, request: byzvote_core::Request) {
        let id = request.id();
        let n = u32::try_from(self.cfg.participants.len()).unwrap_or(u32::MAX);
        if self.me.is_none()
            || self.state.knows(&id)
            || self.secrets.contains_key(&id)
            || !self.speculation.admit(id, &request, n)
        {
            return;
        }
        self.shared.timings.value("vote.speculated", 1.0);
        self.spawn_model(id, super::prompt::prompt(&request));
    }

    fn infer(&mut self, id: Digest) {
        let Some(vote) = self.state.vote(&id) else {
            return;
        };
        let prompt = super::prompt::prompt(vote.request());
        if self.speculation.start(id) {
            self.spawn_model(id, prompt);
        }
    }

    fn spawn_model(&mut self, id: Digest, prompt: byzvote_models::Prompt) {
        let model = self.cfg.model.clone();
        let outbox = self.outbox.clone();
        let timings = self.shared.timings.clone();
        self.context.child("infer").spawn(move |_| async move {
            let called = timings.now();
            let result = model.complete(&prompt).await.map_err(|e| e.to_string());
            timings.since("model.call", called);
            let _ = outbox.unbounded_send(Message::Inferred { id, result });
        });
    }

    fn on_inferred(&mut self, id: Digest, result: Result<Completion, String>) {
        let speculative = self.speculation.request(&id).cloned();
        self.speculation.finish(&id);
        let Some(me) = self.me else {
            return;
        };
        let mode = match (self.state.vote(&id), &speculative) {
            (Some(vote), _) => {
                if vote.closed_set().is_some() || vote.decision().is_some() {
                    return;
                }
                vote.request().mode.clone()
            }
            (None, Some(request)) => request.mode.clone(),
            (None, None) => return,
        };
        if self.secrets.contains_key(&id) {
            return;
        }
        // A member whose model fails, or whose answer does not fit the mode, still commits
        // (to its abstention), so the commitment set need not wait for the deadline.
        let abstain = || Canonical::abstention(me);
        let (canonical, completion) = match result {
            Ok(completion) => match canonicalize(&mode, &completion.text) {
                Ok(c) => (c, Some(completion)),
                Err(e) => {
                    warn!(?id, error = %e, text = %completion.text, "answer does not fit the mode; abstaining");
                    (abstain(), Some(completion))
                }
            },
            Err(e) => {
                warn!(?id, error = %e, "model call failed; abstaining");
                (abstain(), None)
            }
        };
        let mut salt = [0u8; 32];
        self.context.fill_bytes(&mut salt);
        let secret = Secret {
            request: digest_bytes(&id),
            canonical: canonical.as_str().to_string(),
            salt,
        };
        let synced = self.shared.timings.now();
        let appended = self.secrets_journal.append(&secret);
        self.shared.timings.since("secrets.sync", synced);
        if let Err(e) = appended {
            warn!(error = %e, "cannot persist the commitment secret; not committing");
            return;
        }
        self.secrets_appended += 1;
        self.secrets.insert(id, secret.clone());
        if let Some(completion) = completion {
            self.mine.insert(id, completion);
        }
        self.send_commit(id, me, &secret);
        let timings = &self.shared.timings;
        timings.mark("vote.committed", id.as_ref());
        timings.between(
            "vote.model_commit",
            "vote.started",
            "vote.committed",
            id.as_ref(),
        );
    }

    fn send_commit(&mut self, id: Digest, me: MemberId, secret: &Secret) {
        let commit = Commit::new(
            id,
            me,
            &Canonical(secret.canonical.clone()),
            &Salt(secret.salt),
        );
        self.unsealed.push(Item::Commit(commit));
        if self.cfg.fault == Some(Fault::Equivocate) {
            let other = Canonical(format!("{} (equivocation)", secret.canonical));
            let second = Commit::new(id, me, &other, &Salt(secret.salt));
            self.unsealed.push(Item::Commit(second));
        }
    }

    /// Called at every flush: seals what this node has said, unless it sealed less than
    /// [`Self::seal_wait_ms`] ago; then the items wait for a [`Message::Seal`] at the end of
    /// that wait (one such timer at a time), and whatever is said meanwhile joins them under
    /// the same signature. With few votes open the wait is none: what a burst of messages
    /// made this node say costs one signature here and one check at each peer, and waits no
    /// longer than the burst it was said in.
    fn seal_when_due(&mut self) {
        if self.unsealed.is_empty() {
            return;
        }
        let now = self.now_ms();
        let due = self.sealed_at_ms.saturating_add(self.seal_wait_ms());
        // A wall clock set back (`now` before the last seal) does not hold anything back.
        if now >= due || now < self.sealed_at_ms || self.unsealed.len() >= MAX_UNSEALED {
            self.sealed_at_ms = now;
            self.seal();
        } else if !self.seal_armed {
            self.seal_armed = true;
            let outbox = self.outbox.clone();
            let wait = Duration::from_millis(due - now);
            self.context.child("seal").spawn(move |context| async move {
                context.sleep(wait).await;
                let _ = outbox.unbounded_send(Message::Seal);
            });
        }
    }

    /// The shortest time between two bundles: none while few votes are open (a vote's
    /// commits and reveals are awaited by the leader, and each waits at most this long),
    /// growing with them up to [`MAX_SEAL_WAIT_MS`]. Under load, a bundle per burst of
    /// messages was ~0.37 signatures per vote per node, each checked by every peer (~15% of a
    /// peer's CPU); a vote then waits hundreds of milliseconds in queues anyway. Open votes
    /// are the finalized state's, the same on every node; a loaded vote spends about a third
    /// of its life open (before, its commits ride ahead of its request's block). Not the
    /// secrets held: those of requests never ordered (e.g. gossiped, then every node
    /// restarted) are kept for good and would slow a node's bundles for good.
    fn seal_wait_ms(&self) -> u64 {
        (self.state.open_len() as u64 / OPEN_VOTES_PER_SEAL_MS).min(MAX_SEAL_WAIT_MS)
    }

    /// Signs what this node has said since the last seal as one bundle (more than one only
    /// past [`super::bundle::MAX_BYTES`]) and submits it.
    fn seal(&mut self) {
        let items = std::mem::take(&mut self.unsealed);
        let Some(me) = self.me.filter(|_| !items.is_empty()) else {
            return;
        };
        let timings = self.shared.timings.clone();
        let started = timings.now();
        let bundles = SignedBundle::seal(me, items, &self.cfg.signer);
        timings.since("executor.seal", started);
        for bundle in bundles {
            self.submit(Tx::Bundle(bundle));
        }
    }

    /// Puts a transaction in the local pool and gossips it to every peer. A transaction the
    /// peers' `check` would refuse is dropped here (else every block this node proposes with
    /// it would be refused).
    fn submit(&mut self, tx: Tx) {
        let bytes = tx.encode();
        let own = commonware_cryptography::Signer::public_key(&self.cfg.signer);
        if !super::tx::check_own(&bytes, &self.cfg.participants, &own) {
            warn!("dropping an own transaction that peers would refuse (a bug)");
            return;
        }
        self.mempool.insert(bytes.clone());
        if self.own_pending.len() < MAX_OWN_PENDING {
            let now = self.now_ms();
            self.own_pending.insert(bytes.clone(), (now, now));
        }
        self.txs.send(Recipients::All, bytes, false);
    }

    /// Gossips again, once a [`RESEND_PERIOD`] has passed since it was last sent, each own
    /// transaction that no finalized block has carried yet (at most [`MAX_RESENDS`] a tick),
    /// for [`RESEND_OWN_FOR_MS`] at most. A gossip message can be lost (a peer's full inbox
    /// drops it; a lossy link): without this, a reveal lost on its way to every other node
    /// reached a block only when its member led a view, and with every link lossy a vote's
    /// four reveals all missed the reveal deadline (sim lossy-net, seed 120011).
    fn resend_own(&mut self) {
        let now = self.now_ms();
        let period = RESEND_PERIOD.as_millis() as u64;
        self.own_pending
            .retain(|_, (first, _)| now < first.saturating_add(RESEND_OWN_FOR_MS));
        let mut sent = 0;
        for (bytes, (_, last)) in self.own_pending.iter_mut() {
            if sent >= MAX_RESENDS {
                break;
            }
            if now < last.saturating_add(period) {
                continue;
            }
            *last = now;
            self.txs.send(Recipients::All, bytes.clone(), false);
            sent += 1;
        }
    }

    /// Gossips again this node's beacon partials (and recovered beacons) that are not ordered
    /// after a resend period: a peer or a leader may have missed them.
    fn resend_beacons(&mut self, height: u64) {
        for (id, partial, signature) in self.beacons.due(height, RESEND_EVERY) {
            self.gossip_beacon(id, &partial, signature);
        }
    }

    /// Sends this node's beacon partial for `id` to every peer, and submits the beacon
    /// transaction once recovered.
    fn gossip_beacon(
        &mut self,
        id: Digest,
        partial: &PartialSignature,
        signature: Option<byzvote_dkg::GroupSignature>,
    ) {
        let msg = partial_message(BEACON_PARTIAL, &id, partial);
        self.partials.send(Recipients::All, msg, false);
        if let Some(signature) = signature {
            self.submit(Tx::Beacon {
                request: id,
                signature,
            });
        }
    }

    /// Tells this node's proposer what the open votes still wait for (see
    /// [`super::speculate::arrange`]).
    fn publish_awaited(&self) {
        use byzvote_core::Phase;
        let awaited = self
            .state
            .open()
            .filter_map(|v| {
                let kind = match v.phase() {
                    Phase::Committing => super::tx::COMMIT,
                    Phase::Revealing => super::tx::REVEAL,
                    Phase::Decided => return None,
                };
                let members = v.awaited();
                (!members.is_empty()).then(|| (v.id(), (kind, members.into_iter().collect())))
            })
            .collect();
        self.cfg.awaiting.publish(awaited);
    }

    /// Milliseconds since the Unix epoch on the runtime's clock (simulated in the sim).
    fn now_ms(&self) -> u64 {
        let since = self.context.current().duration_since(UNIX_EPOCH);
        u64::try_from(since.unwrap_or_default().as_millis()).unwrap_or(u64::MAX)
    }

    /// Broadcasts again this node's partial for votes it decided but could not certify yet.
    fn resend_partials(&mut self) {
        let now = self.now_ms();
        let period = RESEND_PERIOD.as_millis() as u64;
        let mut sent = 0;
        for (id, collect) in self.collecting.iter_mut() {
            if sent >= MAX_RESENDS {
                break;
            }
            let Some(mine) = &collect.mine else { continue };
            if collect.done || now < collect.sent_at.saturating_add(period) {
                continue;
            }
            collect.sent_at = now;
            self.partials.send(
                Recipients::All,
                partial_message(DECISION_PARTIAL, id, mine),
                false,
            );
            sent += 1;
        }
    }

    /// Makes the decisions of the block just applied one batch, and signs its root (see
    /// [`byzvote_core::batch`]): every node forms the same batches, so one threshold
    /// signature per block certifies all of its decisions.
    fn close_batch(&mut self) {
        if self.deciding.is_empty() {
            return;
        }
        let batch = Batch::new(std::mem::take(&mut self.deciding));
        let root = batch.root();
        self.early.decided(&root);
        self.collecting.entry(root).or_default().batch = Some(batch);
        if !self.replaying {
            self.sign_batch(root);
        }
    }

    /// Signs the root of a batch this node formed, sends the partial and tries to certify.
    fn sign_batch(&mut self, root: Digest) {
        let Some(batch) = self.collecting.get(&root).and_then(|c| c.batch.as_ref()) else {
            return;
        };
        let signed = match self.cfg.fault {
            Some(Fault::ForgedDecision) => {
                Batch::new(batch.records.iter().map(forged).collect()).root()
            }
            _ => root,
        };
        // The hash to G2 is memoized: a simulated cluster's members sign the same root.
        let partial = self.shared.timings.time("sig.partial_sign", || {
            super::memo::partial_sign(self.cfg.dkg.share(), BYZVOTE_DECISION, signed.as_ref())
        });
        self.partials.send(
            Recipients::All,
            partial_message(DECISION_PARTIAL, &root, &partial),
            false,
        );
        let now = self.now_ms();
        let collect = self.collecting.entry(root).or_default();
        collect.sent_at = now;
        collect.add_own(partial);
        self.try_certify(root);
    }

    /// A peer's partial signature over the root `id` of a batch of decisions.
    fn on_partial(&mut self, from: Option<PublicKey>, id: Digest, partial: PartialSignature) {
        let now = self.now_ms();
        let decided = self
            .collecting
            .get(&id)
            .is_some_and(|c| c.batch.is_some() || c.done);
        if !decided && !self.early.admit(id, now, MAX_EARLY_VOTES) {
            debug!(?id, "dropping a partial for an unknown vote: buffer full");
            return;
        }
        let max_pending = 2 * self.cfg.participants.len();
        let half_period = RESEND_PERIOD.as_millis() as u64 / 2;
        let collect = self.collecting.entry(id).or_default();
        if collect.done {
            // The sender is still collecting: help it with this node's partial.
            // Done means decided here, so this node may sign the root.
            let share = self.cfg.dkg.share();
            let mine = collect
                .mine
                .get_or_insert_with(|| {
                    super::memo::partial_sign(share, BYZVOTE_DECISION, id.as_ref())
                })
                .clone();
            if let Some(peer) = from
                && collect
                    .answered
                    .get(&peer)
                    .is_none_or(|&at| now >= at.saturating_add(half_period))
                && (collect.answered.contains_key(&peer)
                    || collect.answered.len() < self.cfg.participants.len())
            {
                collect.answered.insert(peer.clone(), now);
                let msg = partial_message(DECISION_PARTIAL, &id, &mine);
                self.partials.send(Recipients::One(peer), msg, false);
            }
            return;
        }
        if !collect.add(partial, max_pending) {
            debug!(
                ?id,
                "dropping a partial: known, duplicate, or too many unchecked"
            );
            return;
        }
        self.try_certify(id);
    }

    /// Recovers the certificate once partials with a threshold of share indices are in
    /// (optimistically: see [`super::certify`]); it is checked, with the others recovered
    /// meanwhile, before the next audit sync ([`Self::check_recovered`]).
    fn try_certify(&mut self, root: Digest) {
        let dkg = self.cfg.dkg.clone();
        let timings = self.shared.timings.clone();
        let Some(collect) = self.collecting.get_mut(&root) else {
            return;
        };
        if collect.checking {
            return; // recovered already; checked at the next flush
        }
        if let Some(signature) = collect.recover(&dkg, root.as_ref(), &timings) {
            collect.checking = true;
            self.recovered.push((root, signature));
        }
    }

    /// Checks the certificates recovered since the last flush, all together (one batch
    /// check for the cost of about one: see [`super::memo::verify_all`]); logs the valid
    /// ones and gives each invalid one to [`super::certify::Collect::rejected`].
    fn check_recovered(&mut self) {
        let recovered = std::mem::take(&mut self.recovered);
        let mut items = Vec::with_capacity(recovered.len());
        for (id, signature) in recovered {
            let Some(collect) = self.collecting.get_mut(&id) else {
                continue;
            };
            collect.checking = false;
            if !collect.done && collect.batch.is_some() {
                items.push((id, signature));
            }
        }
        if items.is_empty() {
            return;
        }
        let timings = self.shared.timings.clone();
        let checked: Vec<(&[u8], byzvote_dkg::GroupSignature)> = items
            .iter()
            .map(|(root, sig)| (root.as_ref(), *sig))
            .collect();
        let group = *self.cfg.dkg.group_public_key();
        let valid = timings.time("sig.verify", || {
            super::memo::verify_all(&self.batch_secret, &group, BYZVOTE_DECISION, &checked)
        });
        timings.value("sig.verify_batch", items.len() as f64);
        let dkg = self.cfg.dkg.clone();
        for ((root, signature), valid) in items.into_iter().zip(valid) {
            let signature = if valid {
                Some(signature)
            } else {
                self.collecting
                    .get_mut(&root)
                    .and_then(|c| c.rejected(&dkg, root.as_ref(), &timings))
            };
            if let Some(signature) = signature {
                self.certified(root, signature);
            }
        }
    }

    /// Logs the certificate of each decision of a batch whose root's signature checked; their
    /// clients hear of them after the audit sync.
    fn certified(&mut self, root: Digest, signature: byzvote_dkg::GroupSignature) {
        let timings = self.shared.timings.clone();
        let formed = self
            .collecting
            .get(&root)
            .is_some_and(|c| c.batch.is_some());
        let Some(batch) = formed.then(|| self.finish(root)).flatten() else {
            return;
        };
        let signature = signature.encode();
        for (i, record) in batch.records.iter().cloned().enumerate() {
            let Some(proof) = batch.proof(i) else {
                continue;
            };
            let id = record.request;
            let body = Body::Certificate {
                request: digest_bytes(&id),
                record: HexBytes(record.encode().to_vec()),
                signature: HexBytes(signature.to_vec()),
                proof: HexBytes(proof.encode().to_vec()),
            };
            // Persist before you speak: clients hear of it after the next flush.
            if let Err(e) = self.audit.stage(body) {
                warn!(error = %e, "cannot write the certificate to the audit log");
                return;
            }
            timings.mark("vote.certified", id.as_ref());
            timings.between(
                "vote.certify",
                "vote.decided",
                "vote.certified",
                id.as_ref(),
            );
            timings.between(
                "vote.total",
                "vote.submitted",
                "vote.certified",
                id.as_ref(),
            );
            timings.between(
                "vote.total_from_order",
                "vote.started",
                "vote.certified",
                id.as_ref(),
            );
            timings.forget(id.as_ref());
            self.unpublished
                .push((id, record, signature.clone(), proof));
        }
    }

    /// Marks batch `root` certified, and forgets the oldest certified batches beyond
    /// [`KEEP_CERTIFIED`] (a peer that still collects one of those gets no help from here).
    /// Returns the batch, if this node formed it and had not finished it yet.
    fn finish(&mut self, root: Digest) -> Option<Batch> {
        let collect = self.collecting.entry(root).or_default();
        if collect.done {
            return None;
        }
        let batch = collect.finish();
        self.certified_roots.push_back(root);
        while self.certified_roots.len() > KEEP_CERTIFIED {
            if let Some(old) = self.certified_roots.pop_front() {
                self.collecting.remove(&old);
            }
        }
        batch
    }

    /// Hands a certified decision, with what the finalized state knows of its votes, to the
    /// waiting clients: the state's view now (a report ordered after the decision counts),
    /// or, if the state retired the vote before it was certified here, the view at its
    /// decision.
    fn publish(&mut self, id: Digest, record: DecisionRecord, signature: Bytes, proof: Proof) {
        let at_decision = self.unpublished_votes.remove(&id);
        let (revealed, meta) = match (self.state.revealed(&id), at_decision) {
            (Some(revealed), _) => (
                revealed.clone(),
                self.state.meta(&id).cloned().unwrap_or_default(),
            ),
            (None, Some(view)) => view,
            (None, None) => Default::default(),
        };
        let decided = Decided {
            record,
            signature,
            proof,
            revealed,
            meta,
        };
        self.results.complete(id, decided);
    }
}

/// A vote's revealed answers and its members' reports, as a client is shown them.
type Breakdown = (
    BTreeMap<MemberId, String>,
    BTreeMap<MemberId, super::meta::Meta>,
);

/// [`Fault::ForgedDecision`]: the record with another agreed answer.
fn forged(record: &DecisionRecord) -> DecisionRecord {
    let answer = "forged".to_string();
    DecisionRecord {
        outcome: byzvote_core::OutcomeKind::Agreed,
        answer_digest: Some(byzvote_core::answer_digest(&answer)),
        answer: Some(answer),
        ..record.clone()
    }
}

/// Kinds of partial signature on the partials channel.
pub(super) const DECISION_PARTIAL: u8 = 0;
pub(super) const BEACON_PARTIAL: u8 = 1;

/// The gossip message of a partial signature: its kind (1 byte), the id (a request id for a
/// beacon, a batch root for decisions), then the partial.
fn partial_message(kind: u8, id: &Digest, partial: &PartialSignature) -> Bytes {
    let mut msg = vec![kind];
    msg.extend_from_slice(id.as_ref());
    msg.extend_from_slice(&partial.encode());
    Bytes::from(msg)
}

impl<E, S> Executor<E, S> {
    /// A sender into this executor's bounded inbox, for what peers cause.
    pub fn peer_inbox(&self) -> PeerInbox {
        PeerInbox::new(self.peer_outbox.clone())
    }

    /// The node's audit log, shared with the quick tiers (which log their decisions in it).
    pub fn audit(&self) -> AuditLog {
        self.audit.clone()
    }

    /// This node's quick decisions found in the audit log at start, oldest first (once).
    pub fn take_recovered_quick(&mut self) -> Vec<super::audit_quick::QuickEntry> {
        self.recovered_quick.take()
    }
}
