//! The quick tiers (DESIGN.md §3): tier 1 asks one model, tier 2 asks three in parallel and
//! takes the majority. No commit-reveal and no consensus round: the serving node asks the
//! members directly over their own p2p channel, each member signs its answer with its identity
//! key, and the serving node signs the decision record. The only trust root is the serving node
//! (and the members' signatures on their own answers); a client who needs more asks tier 3+.
//!
//! Tier 1 is the serving node's own model. Tier 2 is the serving node plus two others chosen from
//! the request id, so load spreads over the cluster. (A client could grind `client_nonce` to
//! pick the two; tier 2 promises nothing against that, or against a lying serving node. A peer
//! can make this node run its model at most `max_peer_calls` at a time, and at most what its
//! token bucket allows over time (see [`limit`]); an ask over the limit is refused, the
//! refuser counts as silent, and if that costs the vote its majority the client gets an error
//! saying which member refused and when to retry.)
//!
//! Persist before you speak: a decision is appended to the node's audit log (see
//! `protocol::audit_quick`) before any waiting client hears it; if the log cannot be written,
//! the client gets an error, never an unrecorded answer.
//! The serving node waits for every member or the deadline; a member that does not answer in
//! time is silent, a model failure or an answer that fits no mode is an abstention (which never
//! forms a class), exactly as in the full protocol.

mod decision;
pub mod limit;
pub mod wire;

pub use decision::{QuickDecision, QuickError, QuickResult, committee};

use crate::chain::types::{PrivateKey, PublicKey};
use crate::protocol::audit::AuditLog;
use crate::protocol::audit_quick::QuickEntry;
use crate::protocol::meta::Meta;
use bytes::Bytes;
use byzvote_core::{
    Bounds, Canonical, DecisionRecord, Digest, MemberId, OutcomeKind, Request, canonicalize,
    namespace::BYZVOTE_QUICK_DECISION,
};
use byzvote_models::ModelBackend;
use commonware_codec::Encode as _;
use commonware_cryptography::Signer as _;
use commonware_p2p::{Receiver, Recipients, Sender};
use commonware_runtime::{Clock, Spawner};
use futures::StreamExt as _;
use futures::channel::{mpsc, oneshot};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;
use tracing::{debug, warn};
use wire::{QuickMsg, SignedAnswer};

/// How many decided quick votes a node remembers (for `GET /v1/votes/{id}` and repeats).
pub const REMEMBER: usize = 10_000;

pub struct Config {
    pub signer: PrivateKey,
    /// The cluster's identity keys, sorted (a member id indexes this list).
    pub participants: Arc<Vec<PublicKey>>,
    pub model: Arc<dyn ModelBackend>,
    /// How long the serving node waits for the members' answers.
    pub timeout: Duration,
    /// Most model calls running for peers at once (what a peer can make this node do).
    pub max_peer_calls: usize,
    /// How many asks each peer may make of this node's model over time.
    pub peer_limit: limit::PeerLimit,
    /// The node's audit log: each decision is appended (synced) before a client hears it.
    pub audit: AuditLog,
}

enum Input {
    Ask(Request, oneshot::Sender<QuickResult>),
    Get(Digest, oneshot::Sender<Option<Arc<QuickDecision>>>),
    Peer(PublicKey, Bytes),
    Answered(Option<PublicKey>, SignedAnswer),
    Deadline(Digest),
    Restore(Vec<QuickEntry>),
}

/// What the gateway holds.
#[derive(Clone)]
pub struct QuickHandle(mpsc::UnboundedSender<Input>);

impl QuickHandle {
    /// Runs a tier-1 or tier-2 request; resolves with its decision (at most the timeout later),
    /// once it is in the audit log.
    pub fn ask(&self, request: Request) -> oneshot::Receiver<QuickResult> {
        let (tx, rx) = oneshot::channel();
        let _ = self.0.unbounded_send(Input::Ask(request, tx));
        rx
    }

    /// Serves again the decisions this node logged before a restart (oldest first; the newest
    /// [`REMEMBER`] are kept, like the live ones), so `GET /v1/votes/{id}` and a repeated ask
    /// still find them. Decisions made since the start are not replaced.
    pub fn restore(&self, entries: Vec<QuickEntry>) {
        let _ = self.0.unbounded_send(Input::Restore(entries));
    }

    /// A decided quick vote this node served, if it still remembers it.
    pub fn get(&self, id: Digest) -> oneshot::Receiver<Option<Arc<QuickDecision>>> {
        let (tx, rx) = oneshot::channel();
        let _ = self.0.unbounded_send(Input::Get(id, tx));
        rx
    }
}

struct Pending {
    request: Request,
    committee: Vec<MemberId>,
    answers: BTreeMap<MemberId, SignedAnswer>,
    /// Members that refused the ask (over their limit for this node), with their retry hint.
    refused: BTreeMap<MemberId, u64>,
    waiters: Vec<oneshot::Sender<QuickResult>>,
}

/// Starts the quick-tier actor and its receiver; returns the handle.
pub fn start<E, S, R>(context: E, cfg: Config, sender: S, receiver: R) -> Option<QuickHandle>
where
    E: Clock + Spawner,
    S: Sender<PublicKey = PublicKey>,
    R: Receiver<PublicKey = PublicKey>,
{
    let me = cfg
        .participants
        .iter()
        .position(|p| *p == cfg.signer.public_key())? as MemberId;
    let (tx, rx) = mpsc::unbounded();
    let forward = tx.clone();
    context
        .child("receive")
        .spawn(move |_| receive(receiver, forward));
    let actor = Actor {
        context: context.child("actor"),
        cfg,
        me,
        sender,
        inbox: rx,
        outbox: tx.clone(),
        pending: HashMap::new(),
        done: HashMap::new(),
        order: VecDeque::new(),
        peer_calls: 0,
        buckets: limit::Buckets::default(),
    };
    context.child("actor").spawn(move |_| actor.run());
    Some(QuickHandle(tx))
}

async fn receive<R: Receiver<PublicKey = PublicKey>>(
    mut receiver: R,
    outbox: mpsc::UnboundedSender<Input>,
) {
    while let Ok((from, msg)) = receiver.recv().await {
        let bytes = Bytes::copy_from_slice(msg.as_ref());
        if outbox.unbounded_send(Input::Peer(from, bytes)).is_err() {
            return;
        }
    }
}

struct Actor<E, S> {
    context: E,
    cfg: Config,
    me: MemberId,
    sender: S,
    inbox: mpsc::UnboundedReceiver<Input>,
    outbox: mpsc::UnboundedSender<Input>,
    pending: HashMap<Digest, Pending>,
    done: HashMap<Digest, Arc<QuickDecision>>,
    order: VecDeque<Digest>,
    peer_calls: usize,
    buckets: limit::Buckets,
}

impl<E: Clock + Spawner, S: Sender<PublicKey = PublicKey>> Actor<E, S> {
    async fn run(mut self) {
        while let Some(input) = self.inbox.next().await {
            match input {
                Input::Ask(request, reply) => self.ask(request, reply),
                Input::Get(id, reply) => {
                    let _ = reply.send(self.done.get(&id).cloned());
                }
                Input::Peer(from, bytes) => self.on_peer(from, &bytes),
                Input::Answered(None, answer) => self.on_answer(answer),
                Input::Answered(Some(asker), answer) => {
                    self.peer_calls = self.peer_calls.saturating_sub(1);
                    let msg = QuickMsg::Answer(answer).encode();
                    self.sender.send(Recipients::One(asker), msg, false);
                }
                Input::Deadline(id) => self.finish(id),
                Input::Restore(entries) => {
                    for e in entries {
                        let id = e.request.id();
                        if self.done.contains_key(&id) {
                            continue;
                        }
                        let decision = QuickDecision {
                            request: e.request,
                            timestamp_ms: e.timestamp_ms,
                            record: e.record,
                            signer: e.signer,
                            signature: e.signature,
                            answers: e.answers.into_iter().map(|a| (a.meta.member, a)).collect(),
                        };
                        self.remember(id, Arc::new(decision));
                    }
                }
            }
        }
    }

    fn ask(&mut self, request: Request, reply: oneshot::Sender<QuickResult>) {
        let id = request.id();
        if let Some(d) = self.done.get(&id) {
            let _ = reply.send(Ok(d.clone()));
            return;
        }
        if let Some(p) = self.pending.get_mut(&id) {
            p.waiters.push(reply);
            return;
        }
        let n = self.cfg.participants.len() as u32;
        let committee = committee(request.tier, self.me, n, &id);
        for &m in &committee {
            if m == self.me {
                self.infer(request.clone(), None);
            } else if let Some(pk) = self.cfg.participants.get(m as usize) {
                let msg = QuickMsg::Ask(request.clone()).encode();
                self.sender.send(Recipients::One(pk.clone()), msg, false);
            }
        }
        self.pending.insert(
            id,
            Pending {
                request,
                committee,
                answers: BTreeMap::new(),
                refused: BTreeMap::new(),
                waiters: vec![reply],
            },
        );
        let outbox = self.outbox.clone();
        let timeout = self.cfg.timeout;
        self.context.child("deadline").spawn(move |ctx| async move {
            ctx.sleep(timeout).await;
            let _ = outbox.unbounded_send(Input::Deadline(id));
        });
    }

    /// Runs this node's model on `request`; the signed answer comes back as `Answered`.
    fn infer(&mut self, request: Request, asker: Option<PublicKey>) {
        let model = self.cfg.model.clone();
        let key = self.cfg.signer.clone();
        let outbox = self.outbox.clone();
        let me = self.me;
        self.context.child("infer").spawn(move |_| async move {
            let result = model
                .complete(&crate::protocol::prompt::prompt(&request))
                .await;
            let (answer, meta) = match &result {
                Ok(c) => (
                    canonicalize(&request.mode, &c.text)
                        .unwrap_or_else(|_| Canonical::abstention(me)),
                    Meta::of(request.id(), me, c, model.info().cost(c.usage)),
                ),
                Err(_) => (
                    Canonical::abstention(me),
                    Meta::failed(request.id(), me, model.info().name.clone()),
                ),
            };
            let signed = SignedAnswer::sign(meta, answer.as_str().to_string(), &key);
            let _ = outbox.unbounded_send(Input::Answered(asker, signed));
        });
    }

    fn on_peer(&mut self, from: PublicKey, bytes: &[u8]) {
        match QuickMsg::decode(bytes) {
            Some(QuickMsg::Ask(request)) if request.tier <= 2 => {
                if !self.cfg.participants.contains(&from) {
                    debug!(?from, "dropping a quick ask from outside the cluster");
                    return;
                }
                if self.peer_calls >= self.cfg.max_peer_calls {
                    debug!(?from, "too many quick calls in flight; dropping an ask");
                    return;
                }
                let now = self.context.current();
                if let Err(wait) = self.buckets.take(&self.cfg.peer_limit, &from, now) {
                    debug!(?from, ?wait, "peer over its quick-ask limit; refusing");
                    let retry_after_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
                    let msg = QuickMsg::Refused {
                        request: request.id(),
                        retry_after_ms,
                    };
                    self.sender.send(Recipients::One(from), msg.encode(), false);
                    return;
                }
                self.peer_calls += 1;
                self.infer(request, Some(from));
            }
            Some(QuickMsg::Refused {
                request,
                retry_after_ms,
            }) => self.on_refused(&from, request, retry_after_ms),
            Some(QuickMsg::Answer(answer)) => {
                let index = self.cfg.participants.iter().position(|p| *p == from);
                if index != Some(answer.meta.member as usize) || !answer.verify(&from) {
                    debug!(?from, "dropping a quick answer not signed by its member");
                    return;
                }
                self.on_answer(answer);
            }
            _ => debug!(?from, "dropping a malformed quick message"),
        }
    }

    /// A committee member refused our ask (its limit for this node is exhausted): it counts
    /// as silent at once, so the vote need not wait for the deadline. If the others still
    /// decide, the answer stands (the record shows the member silent); if the refusal cost the
    /// majority, the clients hear why (see [`Actor::finish`]). So an honest node's limit
    /// reaches the client that overspends, while a Byzantine member's refusals can only make
    /// it silent — as it could anyway — not block a vote the other two agree on.
    fn on_refused(&mut self, from: &PublicKey, id: Digest, retry_after_ms: u64) {
        let Some(member) = self.cfg.participants.iter().position(|p| p == from) else {
            return;
        };
        let member = member as MemberId;
        let me = self.me;
        let Some(p) = self.pending.get_mut(&id) else {
            return;
        };
        if member == me || !p.committee.contains(&member) || p.answers.contains_key(&member) {
            return;
        }
        p.refused
            .entry(member)
            .or_insert(retry_after_ms.min(limit::MAX_RETRY_MS));
        if p.answers.len() + p.refused.len() >= p.committee.len() {
            self.finish(id);
        }
    }

    fn on_answer(&mut self, answer: SignedAnswer) {
        let id = answer.meta.request;
        let Some(p) = self.pending.get_mut(&id) else {
            return;
        };
        if !p.committee.contains(&answer.meta.member) {
            return;
        }
        if p.refused.contains_key(&answer.meta.member) {
            return;
        }
        p.answers.entry(answer.meta.member).or_insert(answer);
        if p.answers.len() + p.refused.len() >= p.committee.len() {
            self.finish(id);
        }
    }

    fn finish(&mut self, id: Digest) {
        let Some(p) = self.pending.remove(&id) else {
            return;
        };
        let bounds = Bounds::for_tier(p.request.tier)
            .or_else(|_| Bounds::for_committee(p.committee.len() as u32));
        let Ok(bounds) = bounds else {
            return;
        };
        let revealed: BTreeMap<MemberId, Canonical> = p
            .answers
            .iter()
            .map(|(m, a)| (*m, Canonical(a.answer.clone())))
            .collect();
        let record = DecisionRecord::decide(
            id,
            p.request.tier,
            p.request.mode.clone(),
            &p.committee,
            bounds,
            &revealed,
            0,
            0,
        );
        // A refusal that cost the majority: tell the clients why instead of a split.
        if record.outcome != OutcomeKind::Agreed
            && let Some((&member, &retry_after_ms)) = p.refused.iter().next()
        {
            let err = QuickError::RateLimited {
                member,
                retry_after_ms,
            };
            for w in p.waiters {
                let _ = w.send(Err(err.clone()));
            }
            return;
        }
        let signature = self
            .cfg
            .signer
            .sign(BYZVOTE_QUICK_DECISION, &record.encode());
        let timestamp_ms = self
            .context
            .current()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let entry = QuickEntry {
            request: p.request,
            timestamp_ms,
            record,
            signer: self.me,
            signature,
            answers: p.answers.values().cloned().collect(),
        };
        // Persist before you speak: the client hears nothing the log does not hold.
        if let Err(e) = self.cfg.audit.append(entry.body()) {
            warn!(error = %e, "cannot write a quick decision to the audit log");
            let err = QuickError::Unrecorded(e.to_string());
            for w in p.waiters {
                let _ = w.send(Err(err.clone()));
            }
            return;
        }
        let decision = Arc::new(QuickDecision {
            request: entry.request,
            timestamp_ms,
            record: entry.record,
            signer: self.me,
            signature: entry.signature,
            answers: p.answers,
        });
        for w in p.waiters {
            let _ = w.send(Ok(decision.clone()));
        }
        self.remember(id, decision);
    }

    /// Keeps a decision for `GET /v1/votes/{id}` and repeats, forgetting the oldest beyond
    /// [`REMEMBER`].
    fn remember(&mut self, id: Digest, decision: Arc<QuickDecision>) {
        self.done.insert(id, decision);
        self.order.push_back(id);
        while self.order.len() > REMEMBER {
            if let Some(old) = self.order.pop_front() {
                self.done.remove(&old);
            }
        }
    }
}
