//! The protocol state: a pure function of the finalized blocks.
//!
//! Every honest node feeds the same finalized blocks in the same order, so every honest
//! node holds the same votes and emits the same [`Event`]s. Side effects (running the model,
//! sending commits and reveals, signing decisions) are the executor's, never this module's.
//!
//! Upon a finalized `Request`: when the cluster is exactly the tier's committee size, the
//! committee is everyone and a [`Vote`] starts at the block's timestamp. When the committee
//! is smaller, the request waits for its beacon (see [`super::beacon`]): the first valid
//! `Beacon` transaction finalized for it draws the committee, and the vote starts at that
//! block's timestamp. Upon a finalized commit or reveal: it goes to its
//! vote. At the end of every block, every open vote sees the block's height and timestamp,
//! which is how deadlines pass.

use super::tx::Tx;
use bytes::Bytes;
use byzvote_core::{Action, Bounds, Digest, MemberId, Request, Timeouts, Vote, select_committee};
use byzvote_dkg::GroupPublicKey;
use std::collections::{BTreeMap, BTreeSet};

/// What the finalized state asks the node to act on.
#[allow(clippy::large_enum_variant)] // one per vote event, consumed at once
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// A vote started; the committee members must answer.
    Started {
        id: Digest,
        committee: Vec<MemberId>,
    },
    /// A request waits for its committee beacon; every node must partial-sign it.
    NeedBeacon { id: Digest },
    /// A request the cluster cannot serve (tier larger than the cluster); it is dropped.
    Refused { id: Digest, reason: String },
    /// An action of a vote's state machine.
    Vote { id: Digest, action: Action },
}

/// All votes, open and decided.
pub struct State {
    n: u32,
    timeouts: Timeouts,
    epoch: u64,
    /// The cluster's group key, which beacons are checked against.
    group: GroupPublicKey,
    votes: BTreeMap<Digest, Vote>,
    /// Ordered requests waiting for their beacon, with their committee size.
    awaiting: BTreeMap<Digest, (Request, Bounds)>,
    open: BTreeSet<Digest>,
    /// Every reveal's canonical answer, for the vote breakdown (validity is the vote's call).
    revealed: BTreeMap<Digest, BTreeMap<MemberId, String>>,
    /// Each committee member's signed report on its model call (first one counts).
    meta: BTreeMap<Digest, BTreeMap<MemberId, super::meta::Meta>>,
    height: u64,
}

impl State {
    pub fn new(n: u32, timeouts: Timeouts, epoch: u64, group: GroupPublicKey) -> Self {
        Self {
            n,
            timeouts,
            epoch,
            group,
            votes: BTreeMap::new(),
            awaiting: BTreeMap::new(),
            open: BTreeSet::new(),
            revealed: BTreeMap::new(),
            meta: BTreeMap::new(),
            height: 0,
        }
    }

    /// Height of the last applied block.
    pub fn height(&self) -> u64 {
        self.height
    }

    pub fn vote(&self, id: &Digest) -> Option<&Vote> {
        self.votes.get(id)
    }

    pub fn revealed(&self, id: &Digest) -> Option<&BTreeMap<MemberId, String>> {
        self.revealed.get(id)
    }

    pub fn meta(&self, id: &Digest) -> Option<&BTreeMap<MemberId, super::meta::Meta>> {
        self.meta.get(id)
    }

    /// Open votes, oldest first by id order.
    pub fn open(&self) -> impl Iterator<Item = &Vote> {
        self.open.iter().filter_map(|id| self.votes.get(id))
    }

    /// Requests waiting for their beacon, in id order.
    pub fn awaiting(&self) -> impl Iterator<Item = &Digest> {
        self.awaiting.keys()
    }

    /// Whether anything waits on the chain: an open vote or a request without its beacon.
    pub fn busy(&self) -> bool {
        !self.open.is_empty() || !self.awaiting.is_empty()
    }

    /// The earliest deadline of an open vote, in block time.
    pub fn next_deadline_ms(&self) -> Option<u64> {
        self.open().filter_map(Vote::next_deadline_ms).min()
    }

    /// The committee size `request` needs, or why this cluster cannot serve it.
    fn bounds(&self, request: &Request) -> Result<Bounds, String> {
        let bounds = Bounds::for_tier(request.tier).map_err(|e| e.to_string())?;
        if bounds.n() > self.n {
            return Err(format!(
                "tier {} needs {} coordinators; this cluster has {}",
                request.tier,
                bounds.n(),
                self.n
            ));
        }
        Ok(bounds)
    }

    fn start(
        &mut self,
        request: Request,
        id: Digest,
        committee: Vec<MemberId>,
        bounds: Bounds,
        timestamp_ms: u64,
    ) -> Event {
        let vote = Vote::new(
            request,
            id,
            committee.clone(),
            bounds,
            timestamp_ms,
            self.timeouts,
        )
        .with_epoch(self.epoch);
        self.votes.insert(id, vote);
        self.open.insert(id);
        Event::Started { id, committee }
    }

    /// Applies one finalized block. Blocks at or below the applied height are ignored
    /// (marshal delivers at least once).
    pub fn apply(&mut self, height: u64, timestamp_ms: u64, txs: &[Bytes]) -> Vec<Event> {
        if height <= self.height {
            return Vec::new();
        }
        self.height = height;
        let mut events = Vec::new();
        for tx in txs {
            match Tx::decode(tx) {
                Some(Tx::Request(request)) => {
                    let id = request.id();
                    if self.votes.contains_key(&id) || self.awaiting.contains_key(&id) {
                        continue;
                    }
                    match self.bounds(&request) {
                        Ok(bounds) if bounds.n() == self.n => {
                            let everyone = (0..self.n).collect();
                            events.push(self.start(request, id, everyone, bounds, timestamp_ms));
                        }
                        Ok(bounds) => {
                            self.awaiting.insert(id, (request, bounds));
                            events.push(Event::NeedBeacon { id });
                        }
                        Err(reason) => events.push(Event::Refused { id, reason }),
                    }
                }
                Some(Tx::Beacon { request, signature }) => {
                    if !self.awaiting.contains_key(&request)
                        || !super::beacon::verify(&self.group, &request, &signature)
                    {
                        continue;
                    }
                    let Some((req, bounds)) = self.awaiting.remove(&request) else {
                        continue;
                    };
                    let seed = super::beacon::seed(&signature);
                    match select_committee(&seed, &request, self.n, bounds.n()) {
                        Ok(committee) => {
                            events.push(self.start(req, request, committee, bounds, timestamp_ms));
                        }
                        Err(e) => events.push(Event::Refused {
                            id: request,
                            reason: e.to_string(),
                        }),
                    }
                }
                Some(Tx::Commit(signed)) => {
                    let id = signed.commit.request;
                    if let Some(vote) = self.votes.get_mut(&id) {
                        let actions = vote.on_commit(signed.commit);
                        events.extend(actions.into_iter().map(|action| Event::Vote { id, action }));
                    }
                }
                Some(Tx::Reveal(signed)) => {
                    let reveal = signed.reveal;
                    let id = reveal.request;
                    if let Some(vote) = self.votes.get_mut(&id) {
                        self.revealed
                            .entry(id)
                            .or_default()
                            .entry(reveal.member)
                            .or_insert_with(|| reveal.canonical.as_str().to_string());
                        let actions = vote.on_reveal(reveal);
                        events.extend(actions.into_iter().map(|action| Event::Vote { id, action }));
                    }
                }
                Some(Tx::Meta(signed)) => {
                    let meta = signed.meta;
                    let id = meta.request;
                    if self
                        .votes
                        .get(&id)
                        .is_some_and(|v| v.committee().contains(&meta.member))
                    {
                        self.meta
                            .entry(id)
                            .or_default()
                            .entry(meta.member)
                            .or_insert(meta);
                    }
                }
                None => {}
            }
        }
        let open: Vec<Digest> = self.open.iter().copied().collect();
        for id in open {
            if let Some(vote) = self.votes.get_mut(&id) {
                let actions = vote.on_block_end(height, timestamp_ms);
                events.extend(actions.into_iter().map(|action| Event::Vote { id, action }));
                if vote.decision().is_some() {
                    self.open.remove(&id);
                }
            }
        }
        events
    }
}
