//! The protocol state: a pure function of the finalized blocks.
//!
//! Every honest node feeds the same finalized blocks in the same order, so every honest
//! node holds the same votes and emits the same [`Event`]s. Side effects (running the model,
//! sending commits and reveals, signing decisions) are the executor's, never this module's.
//!
//! Upon a finalized `Request`: when the cluster is exactly the tier's committee size, the
//! committee is everyone and a [`Vote`] starts at the block's timestamp. When the committee
//! is smaller, the request waits for its beacon (see [`super::beacon`]): the first valid
//! `Beacon` transaction finalized for it draws the committee (weighted by reputation, at most
//! `f` members per vendor: [`byzvote_core::select_diverse`]), and the vote starts at that
//! block's timestamp. Reputation ([`Reputation`]) follows the finalized evidence and
//! decisions, so every node draws with the same weights. Upon a finalized commit or reveal: it goes to its
//! vote. At the end of every block, every open vote sees the block's height and timestamp,
//! which is how deadlines pass.

use super::bundle::Item;
use super::tx::Tx;
use bytes::Bytes;
use byzvote_core::{
    Action, Bounds, Digest, MemberId, Reputation, Request, Seat, Timeouts, Vote, select_diverse,
};
use byzvote_dkg::GroupPublicKey;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

/// Decided votes whose whole state is kept (request, commits, reveals, reports, verdicts);
/// older ones are retired ([`State::retired`]). A vote is acted on (revealed, certified,
/// charged, verified) within seconds of its decision, so this is many minutes of votes at
/// the cluster's top rate, and ~5 KB each: about 80 MB instead of every vote ever.
pub const RETAIN: usize = 16_384;

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
    /// An ordered charge was applied (counted or not, see [`super::spend`]); `touched` are the
    /// keys whose spend changed.
    Charged {
        charge: super::charge::Charge,
        touched: Vec<super::charge::KeyHash>,
    },
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
    /// Each member's vendor, as an index (equal index, same vendor).
    vendors: Vec<u32>,
    reputation: Reputation,
    open: BTreeSet<Digest>,
    /// Every reveal's canonical answer, for the vote breakdown (validity is the vote's call).
    revealed: BTreeMap<Digest, BTreeMap<MemberId, String>>,
    /// Each committee member's signed report on its model call (first one counts).
    meta: BTreeMap<Digest, BTreeMap<MemberId, super::meta::Meta>>,
    /// Failed external verifications counted per vote (see [`super::verdict`]).
    verdicts: super::verdict::Verdicts,
    height: u64,
    /// `pick-best` ballots (derived votes) → the vote each decides (see [`ballot`]).
    ballots: BTreeMap<Digest, Digest>,
    /// Every client key's ordered spend (see [`super::spend`]).
    charges: super::spend::Charges,
    /// Decided votes still kept whole, oldest decision first (at most [`RETAIN`]).
    decided: VecDeque<Digest>,
    /// Votes decided before the last [`RETAIN`]: only what later transactions about them
    /// need — that the request was served (so it is never voted again) and the cost its
    /// members reported (what a late charge is clipped to). ~50 bytes a vote.
    retired: HashMap<Digest, u64>,
    retain: usize,
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
            vendors: (0..n).collect(),
            reputation: Reputation::new(n),
            open: BTreeSet::new(),
            revealed: BTreeMap::new(),
            meta: BTreeMap::new(),
            verdicts: Default::default(),
            height: 0,
            ballots: BTreeMap::new(),
            charges: Default::default(),
            decided: VecDeque::new(),
            retired: HashMap::new(),
            retain: RETAIN,
        }
    }

    /// Keeps only the last `retain` decided votes whole (default [`RETAIN`]; small in tests).
    pub fn with_retain(mut self, retain: usize) -> Self {
        self.retain = retain;
        self
    }

    /// Whether the chain has ordered request `id` (open, waiting for its committee, decided
    /// or retired): it is never voted again.
    pub fn knows(&self, id: &Digest) -> bool {
        self.votes.contains_key(id)
            || self.awaiting.contains_key(id)
            || self.retired.contains_key(id)
    }

    /// Whether vote `id` is decided (or retired): nothing about it is owed any more.
    pub fn settled(&self, id: &Digest) -> bool {
        self.retired.contains_key(id) || self.votes.get(id).is_some_and(|v| v.decision().is_some())
    }

    /// Whether vote `id` was decided so long ago that only its id and cost are kept.
    pub fn retired(&self, id: &Digest) -> bool {
        self.retired.contains_key(id)
    }

    /// The sum of the costs vote `id`'s members reported.
    fn reported_cost(&self, id: &Digest) -> u64 {
        self.meta.get(id).map_or(0, |m| {
            m.values()
                .fold(0u64, |a, x| a.saturating_add(x.cost_micro_usd))
        })
    }

    /// Queues the votes a block decided for retirement.
    fn decided(&mut self, events: &[Event]) {
        for event in events {
            if let Event::Vote {
                id,
                action: Action::Decide(_),
            } = event
            {
                self.decided.push_back(*id);
            }
        }
    }

    /// Retires the votes decided before the last `retain` (the same ones on every node: the
    /// order of decisions is the chain's). Called as the next block starts, so that whoever
    /// acts on a block's events finds every vote they name.
    fn retire(&mut self) {
        while self.decided.len() > self.retain {
            let Some(id) = self.decided.pop_front() else {
                break;
            };
            if !self.votes.contains_key(&id) {
                continue; // a decision reported twice would be retired once
            }
            let cost = self.reported_cost(&id);
            self.votes.remove(&id);
            self.revealed.remove(&id);
            self.meta.remove(&id);
            self.ballots.remove(&id);
            self.verdicts.forget(&id);
            self.retired.insert(id, cost);
        }
    }

    /// Every client key's ordered spend.
    pub fn charges(&self) -> &super::spend::Charges {
        &self.charges
    }

    /// Applies an ordered charge at the current height: checked against the vote it names
    /// when the chain decided it (at most the members' reported cost), unchecked otherwise.
    fn charge(&mut self, charge: super::charge::Charge) -> Event {
        use super::spend::Known;
        let id = charge.request;
        let known = match self.votes.get(&id) {
            Some(vote) if vote.decision().is_some() => Known::Decided(self.reported_cost(&id)),
            Some(_) => Known::Undecided,
            None if self.awaiting.contains_key(&id) => Known::Undecided,
            None => match self.retired.get(&id) {
                Some(&cost) => Known::Decided(cost),
                None => Known::Unknown,
            },
        };
        let applied = self.charges.apply(&charge, known, self.height);
        Event::Charged {
            charge,
            touched: applied.touched,
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

    /// How many votes are open.
    pub fn open_len(&self) -> usize {
        self.open.len()
    }

    /// Open votes, oldest first by id order.
    pub fn open(&self) -> impl Iterator<Item = &Vote> {
        self.open.iter().filter_map(|id| self.votes.get(id))
    }

    /// Declares each member's vendor (member `i` runs `vendors[i]`'s model), so that a drawn
    /// committee seats at most `f` members per vendor. An empty name is a vendor of its own
    /// (undeclared: nothing to cap). By default every member is its own vendor.
    pub fn with_vendors(mut self, vendors: &[String]) -> Self {
        let mut index: BTreeMap<&str, u32> = BTreeMap::new();
        for (i, v) in self.vendors.iter_mut().enumerate() {
            match vendors.get(i).map(String::as_str) {
                Some(name) if !name.is_empty() => {
                    let next = index.len() as u32;
                    *v = *index.entry(name).or_insert(next);
                }
                _ => *v = u32::MAX - i as u32,
            }
        }
        self
    }

    /// The members' current draw weights.
    pub fn reputation(&self) -> &Reputation {
        &self.reputation
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
        if bounds.n() < self.n {
            byzvote_core::committee::check_diverse(
                self.vendors.iter().copied(),
                bounds.n(),
                bounds.f(),
            )
            .map_err(|e| e.to_string())?;
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
        .with_epoch(self.epoch)
        // The cluster's f+1: any of its members proposes blocks (see `Vote`'s *Grace*).
        .with_grace((self.n.saturating_sub(1) / 3).saturating_add(1));
        self.votes.insert(id, vote);
        self.open.insert(id);
        Event::Started { id, committee }
    }

    /// Applies one member's commit, reveal or report (its signature checked before the block
    /// was voted for).
    fn item(&mut self, item: Item, events: &mut Vec<Event>) {
        match item {
            Item::Commit(commit) => {
                let id = commit.request;
                if let Some(vote) = self.votes.get_mut(&id) {
                    let actions = vote.on_commit(commit);
                    events.extend(actions.into_iter().map(|action| Event::Vote { id, action }));
                }
            }
            Item::Reveal(reveal) => {
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
            Item::Meta(meta) => {
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
        }
    }

    /// Applies one finalized block. Blocks at or below the applied height are ignored
    /// (marshal delivers at least once).
    pub fn apply(&mut self, height: u64, timestamp_ms: u64, txs: &[Bytes]) -> Vec<Event> {
        if height <= self.height {
            return Vec::new();
        }
        self.height = height;
        self.retire();
        let mut events = Vec::new();
        for tx in txs {
            match Tx::decode(tx) {
                Some(Tx::Request(request)) => {
                    let id = request.id();
                    if self.knows(&id) {
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
                    let seats: Vec<Seat> = (0..self.n)
                        .map(|m| Seat {
                            vendor: self.vendors[m as usize],
                            weight: self.reputation.weight(m),
                        })
                        .collect();
                    match select_diverse(&seed, &request, &seats, bounds.n(), bounds.f()) {
                        Ok(committee) => {
                            events.push(self.start(req, request, committee, bounds, timestamp_ms));
                        }
                        Err(e) => events.push(Event::Refused {
                            id: request,
                            reason: e.to_string(),
                        }),
                    }
                }
                Some(Tx::Similarities(evidence)) => {
                    if let Some(vote) = self.votes.get_mut(&evidence.request) {
                        vote.on_similarities(&evidence);
                    }
                }
                Some(tx @ (Tx::Commit(_) | Tx::Reveal(_) | Tx::Meta(_) | Tx::Bundle(_))) => {
                    for item in tx.items().unwrap_or_default() {
                        self.item(item, &mut events);
                    }
                }
                Some(Tx::Verdict(signed)) => {
                    let v = signed.verdict;
                    // A ballot is never served, so never verified (see [`reputation`]).
                    let record = self
                        .votes
                        .get(&v.request)
                        .filter(|_| !self.is_ballot(&v.request))
                        .and_then(Vote::decision);
                    // The cluster's f: f+1 distinct nodes include an honest one.
                    let f = self.n.saturating_sub(1) / 3;
                    self.verdicts.apply(&v, record, f, &mut self.reputation);
                }
                Some(Tx::Charge(signed)) => events.push(self.charge(signed.charge)),
                None => {}
            }
        }
        let open: Vec<Digest> = self.open.iter().copied().collect();
        let first = events.len();
        for id in open {
            if let Some(vote) = self.votes.get_mut(&id) {
                let actions = vote.on_block_end(height, timestamp_ms);
                events.extend(actions.into_iter().map(|action| Event::Vote { id, action }));
                if vote.decision().is_some() {
                    self.open.remove(&id);
                }
            }
        }
        self.run_stages(&mut events, first, timestamp_ms);
        self.update_reputation(&events);
        self.decided(&events);
        events
    }
}

mod ballot;
mod reputation;

#[cfg(test)]
mod tests {
    use super::*;
    use byzvote_core::{Message, Mode};
    use std::time::Duration;

    const TIMEOUTS: Timeouts = Timeouts {
        commit: Duration::from_secs(2),
        reveal: Duration::from_secs(1),
    };

    /// The decision among `events`.
    fn decision(events: &[Event]) -> &byzvote_core::DecisionRecord {
        events
            .iter()
            .find_map(|e| match e {
                Event::Vote {
                    action: Action::Decide(r),
                    ..
                } => Some(r),
                _ => None,
            })
            .expect("decided")
    }

    fn request_tx(tier: u8, nonce: u64) -> (Digest, Bytes) {
        let r = Request::new(vec![Message::user("2+2?")], Mode::Exact, tier, 16, nonce).unwrap();
        (r.id(), Tx::Request(r).encode())
    }

    #[test]
    fn a_committee_the_vendors_cannot_fill_is_refused_before_any_beacon() {
        let dkg = super::super::beacon::tests::trusted_dealer_outputs(4, 1);
        let group = *dkg[0].group_public_key();
        let vendors: Vec<String> = ["a", "a", "a", "a", "b", "b", "c"]
            .iter()
            .map(|v| v.to_string())
            .collect();
        let mut state = State::new(7, TIMEOUTS, 0, group).with_vendors(&vendors);
        let (id, tx) = request_tx(3, 1);
        let events = state.apply(1, 1000, &[tx]);
        match events.as_slice() {
            [
                Event::Refused {
                    id: refused,
                    reason,
                },
            ] => {
                assert_eq!(*refused, id);
                assert!(reason.contains("per vendor"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        // Four vendors can seat it: the request waits for its beacon.
        let vendors: Vec<String> = ["a", "a", "a", "d", "b", "b", "c"]
            .iter()
            .map(|v| v.to_string())
            .collect();
        let mut state = State::new(7, TIMEOUTS, 0, group).with_vendors(&vendors);
        let (id, tx) = request_tx(3, 2);
        assert_eq!(state.apply(1, 1000, &[tx]), vec![Event::NeedBeacon { id }]);
        assert!(state.busy());
        // A beacon that is not the cluster's signature over this id starts nothing.
        let (other, _) = request_tx(3, 3);
        let wrong = super::super::beacon::tests::sign(&dkg, &other);
        let bad = Tx::Beacon {
            request: id,
            signature: wrong,
        };
        assert_eq!(state.apply(2, 1100, &[bad.encode()]), vec![]);
        let good = Tx::Beacon {
            request: id,
            signature: super::super::beacon::tests::sign(&dkg, &id),
        };
        match state.apply(3, 1200, &[good.encode()]).as_slice() {
            [
                Event::Started {
                    id: started,
                    committee,
                },
            ] => {
                assert_eq!(*started, id);
                assert_eq!(committee.len(), 4);
            }
            other => panic!("{other:?}"),
        }
    }

    /// A member's commits, reveals and reports count the same signed one by one (older audit
    /// logs) or together in bundles, and an item ordered twice (in two bundles) counts once.
    #[test]
    fn bundled_and_single_transactions_decide_the_same() {
        use super::super::bundle::{Item, SignedBundle};
        use super::super::meta::Meta;
        use byzvote_core::{Canonical, Reveal, Salt};
        use commonware_cryptography::ed25519;
        let dkg = super::super::beacon::tests::trusted_dealer_outputs(4, 1);
        use commonware_cryptography::Signer as _;
        let keys: Vec<_> = (0..4).map(ed25519::PrivateKey::from_seed).collect();
        let (id, request) = request_tx(3, 7);
        let answers = ["4", "4", "5", "4"];
        let reveals: Vec<Reveal> = (0..4u32)
            .map(|m| Reveal {
                request: id,
                member: m,
                canonical: Canonical(answers[m as usize].into()),
                salt: Salt([m as u8 + 1; 32]),
            })
            .collect();
        let meta = |m: u32| Meta {
            request: id,
            member: m,
            latency_ms: 10 + u64::from(m),
            prompt_tokens: 5,
            completion_tokens: 1,
            cost_micro_usd: 100 * u64::from(m),
            confidence_bp: None,
            model: format!("m{m}"),
        };
        let key = |m: &u32| &keys[*m as usize];
        let singles: [Vec<Bytes>; 2] = [
            reveals
                .iter()
                .map(|r| Tx::Commit(r.commit().sign(key(&r.member))).encode())
                .collect(),
            reveals
                .iter()
                .flat_map(|r| {
                    [
                        Tx::Reveal(r.clone().sign(key(&r.member))).encode(),
                        Tx::Meta(meta(r.member).sign(key(&r.member))).encode(),
                    ]
                })
                .collect(),
        ];
        let bundle =
            |m: u32, items: Vec<Item>| Tx::Bundle(SignedBundle::sign(m, items, key(&m))).encode();
        let bundled: [Vec<Bytes>; 2] = [
            reveals
                .iter()
                .map(|r| bundle(r.member, vec![Item::Commit(r.commit())]))
                .collect(),
            reveals
                .iter()
                .flat_map(|r| {
                    let items = vec![Item::Reveal(r.clone()), Item::Meta(meta(r.member))];
                    // Member 3's reveal is ordered twice: alone, then with its report.
                    let again = (r.member == 3).then(|| bundle(3, vec![items[0].clone()]));
                    again.into_iter().chain([bundle(r.member, items)])
                })
                .collect(),
        ];
        let run = |blocks: &[Vec<Bytes>; 2]| {
            let mut state = State::new(4, TIMEOUTS, 0, *dkg[0].group_public_key());
            let mut events = state.apply(1, 1000, std::slice::from_ref(&request));
            events.extend(state.apply(2, 1100, &blocks[0]));
            events.extend(state.apply(3, 1200, &blocks[1]));
            let revealed = state.revealed(&id).cloned();
            let metas = state.meta(&id).cloned();
            (events, revealed, metas)
        };
        let (events, revealed, metas) = run(&bundled);
        assert_eq!(
            (events.clone(), revealed.clone(), metas.clone()),
            run(&singles)
        );
        let record = decision(&events);
        assert_eq!(record.supporters, vec![0, 1, 3]);
        assert_eq!(record.dissenters, vec![2]);
        assert_eq!(revealed.map(|r| r.len()), Some(4));
        assert_eq!(metas.map(|m| m[&2].model.clone()), Some("m2".into()));
        assert!(
            !events.iter().any(|e| matches!(
                e,
                Event::Vote {
                    action: Action::Evidence(_),
                    ..
                }
            )),
            "{events:?}"
        );
    }

    /// A semantic vote decides on the first well-formed similarity transaction for its
    /// counted reveals; malformed or out-of-range evidence is ignored.
    #[test]
    fn a_similarity_transaction_decides_a_semantic_vote() {
        use byzvote_core::semantic::Similarities;
        use byzvote_core::{Canonical, Commit, OutcomeKind, Reveal, Salt};
        use commonware_cryptography::{Signer as _, ed25519};
        let dkg = super::super::beacon::tests::trusted_dealer_outputs(4, 1);
        let mut state = State::new(4, TIMEOUTS, 0, *dkg[0].group_public_key());
        let r = Request::new(
            vec![Message::user("Capital of France?")],
            "semantic".parse().unwrap(),
            3,
            16,
            1,
        )
        .unwrap();
        let id = r.id();
        assert!(matches!(
            state.apply(1, 1000, &[Tx::Request(r).encode()]).as_slice(),
            [Event::Started { .. }]
        ));
        let texts = [
            "Paris is the capital of France.",
            "The capital of France is Paris.",
            "Paris is not the capital of France.",
            "France's capital is Paris.",
        ];
        let keys: Vec<_> = (0..4).map(ed25519::PrivateKey::from_seed).collect();
        let reveals: Vec<Reveal> = (0..4u32)
            .map(|m| Reveal {
                request: id,
                member: m,
                canonical: Canonical(texts[m as usize].into()),
                salt: Salt([m as u8; 32]),
            })
            .collect();
        let commits: Vec<Bytes> = reveals
            .iter()
            .map(|rv| {
                let c = Commit::new(id, rv.member, &rv.canonical, &rv.salt);
                Tx::Commit(c.sign(&keys[rv.member as usize])).encode()
            })
            .collect();
        state.apply(2, 1100, &commits);
        let signed: Vec<Bytes> = reveals
            .iter()
            .map(|rv| Tx::Reveal(rv.clone().sign(&keys[rv.member as usize])).encode())
            .collect();
        let events = state.apply(3, 1200, &signed);
        assert!(
            events.iter().any(|e| matches!(
                e,
                Event::Vote {
                    action: Action::NeedSimilarities { .. },
                    ..
                }
            )),
            "{events:?}"
        );
        let good = Similarities {
            request: id,
            members: vec![0, 1, 2, 3],
            texts: texts.iter().map(|t| Canonical(t.to_string())).collect(),
            cosines: vec![9500; 6],
        };
        let mut out_of_range = good.clone();
        out_of_range.cosines[0] = 12_000;
        let mut truncated = Tx::Similarities(good.clone()).encode().to_vec();
        truncated.pop();
        let ignored = [
            Tx::Similarities(out_of_range).encode(),
            Bytes::from(truncated),
            Bytes::from_static(&[5, 1, 2, 3]),
        ];
        assert_eq!(state.apply(4, 1300, &ignored), vec![]);
        let events = state.apply(5, 1400, &[Tx::Similarities(good).encode()]);
        let record = decision(&events);
        assert_eq!(record.outcome, OutcomeKind::Agreed);
        assert_eq!(record.supporters, vec![0, 1, 3]);
        assert_eq!(record.dissenters, vec![2]);
        assert_eq!(record.cosines, Some(vec![9500; 6]));
        assert!(!state.busy());
    }
}

#[cfg(test)]
#[path = "state_verdict_tests.rs"]
mod verdict_tests;

#[cfg(test)]
#[path = "state_charge_tests.rs"]
mod charge_tests;
#[cfg(test)]
#[path = "state_fuzz_tests.rs"]
mod fuzz_tests;
#[cfg(test)]
#[path = "state_pick_tests.rs"]
mod pick_tests;
