//! Answering a request before it is ordered, when its committee is already known.
//!
//! A request whose committee is the whole cluster (`m = n`: no draw) tells every member that
//! it must answer as soon as the request reaches its mempool. The executor then runs the
//! model at once, persists the commitment's secret and gossips the signed commit, so the
//! commit is ordered in the request's own block or the one right after it, not one whole
//! finalization (plus the model call) later: the commitment set closes about one block
//! after the request, and a vote needs two finalizations (request and commits, then
//! reveals) instead of three (issue 2, "Speed targets").
//!
//! Why it is safe:
//! - a commitment hides its answer (salted hash): committing early reveals nothing, and the
//!   answer is still fixed before any reveal is ordered;
//! - persist before you speak is unchanged: the secret is synced before the commit is sent;
//! - the state only counts commits of started votes: a commit ordered before its request
//!   is ignored, and the executor sends the same commit again when the vote starts;
//! - nothing about the committee is decided here: for `m < n` the committee is drawn from
//!   the beacon after ordering, and these requests are not speculated on;
//! - a request that is never ordered costs one model call, as it would if ordered; at most
//!   [`MAX_SPECULATIVE`] requests are held.

use super::bundle::Item;
use super::tx::{self, Tx};
use bytes::Bytes;
use byzvote_core::{Bounds, Digest, MemberId, Request};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

/// Requests speculated on and not yet answered (peers choose them: bounded).
pub const MAX_SPECULATIVE: usize = 1024;

/// Requests whose model call started before they were ordered.
#[derive(Default)]
pub struct Speculation {
    /// Requests whose model runs, before their vote started.
    requests: BTreeMap<Digest, Request>,
    /// Ids whose model call is in flight (speculative or not).
    running: BTreeSet<Digest>,
}

impl Speculation {
    /// Whether this node should run its model for `request` now: its committee is the whole
    /// cluster of `n` (so this node is on it), its model is not running for it, and fewer
    /// than [`MAX_SPECULATIVE`] requests are held. Records it if so.
    pub fn admit(&mut self, id: Digest, request: &Request, n: u32) -> bool {
        let everyone = Bounds::for_tier(request.tier).is_ok_and(|b| b.n() == n);
        if !everyone || self.running.contains(&id) || self.requests.len() >= MAX_SPECULATIVE {
            return false;
        }
        self.requests.insert(id, request.clone());
        self.running.insert(id);
        true
    }

    /// Marks a (non-speculative) model call for `id` as running; `false` if one already is.
    pub fn start(&mut self, id: Digest) -> bool {
        self.running.insert(id)
    }

    /// The request of a speculative model call.
    pub fn request(&self, id: &Digest) -> Option<&Request> {
        self.requests.get(id)
    }

    /// The model call for `id` returned.
    pub fn finish(&mut self, id: &Digest) {
        self.running.remove(id);
        self.requests.remove(id);
    }
}

/// The votes for which `txs` (one block, in order) carry a commit by `me` that the state
/// counts if the vote starts in this block: one placed after the transaction that starts it
/// (its request, or its beacon). A commit placed before it was ignored (the vote did not
/// exist yet), so the executor must send it again; a leader chooses the order, so this
/// happens (a member's speculative commit can reach the leader before the request does).
pub fn counted_commits(txs: &[Bytes], me: MemberId) -> Vec<Digest> {
    let mut started = BTreeSet::new();
    let mut counted = Vec::new();
    for bytes in txs {
        if !(matches!(bytes.first(), Some(&(tx::REQUEST | tx::BEACON)))
            || tx::may_carry_items(bytes))
        {
            continue;
        }
        match Tx::decode(bytes) {
            Some(Tx::Request(r)) => {
                started.insert(r.id());
            }
            Some(Tx::Beacon { request, .. }) => {
                started.insert(request);
            }
            Some(tx) => {
                for item in tx.items().unwrap_or_default() {
                    if let Item::Commit(c) = item
                        && c.member == me
                        && started.contains(&c.request)
                    {
                        counted.push(c.request);
                    }
                }
            }
            None => {}
        }
    }
    counted
}

/// What the open votes still wait for, published by the executor after each block for the
/// leader's [`arrange`]: by vote, the kind of transaction (`tx::COMMIT` or `tx::REVEAL`)
/// and the members it is still missing from ([`byzvote_core::Vote::awaited`]).
#[derive(Clone, Default)]
pub struct Awaiting(Arc<Mutex<BTreeMap<Digest, Awaited>>>);

/// The kind of transaction a vote awaits (`tx::COMMIT` or `tx::REVEAL`), and from whom.
pub type Awaited = (u8, BTreeSet<MemberId>);

impl Awaiting {
    /// Replaces what is awaited.
    pub fn publish(&self, awaited: BTreeMap<Digest, Awaited>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = awaited;
    }

    fn get(&self, id: &Digest) -> Option<Awaited> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned()
    }
}

/// Shapes a proposal (`txs`, oldest first) so that a vote moves one phase per block:
/// requests move first (a commit placed before its request is ignored), and the answer says
/// whether the proposal is ready or should wait a little (`Pacing::linger`) for more.
///
/// It is not ready while every vote it touches lacks a transaction it awaits: a new request
/// whose committee is the whole cluster (its members answer from the mempool) lacks some
/// member's commit, or a vote in [`Awaiting`] lacks a commit or a reveal its phase waits for.
/// Then the commitment set closes in the request's own block and every reveal lands in one
/// block, so a vote needs two finalizations. It is not ready either while it holds a commit
/// for a vote this node has not seen at all: a member gossips its commit as soon as it has
/// the request, so a peer's commit can outrun the request to this node, and a commit ordered
/// before its request does not count (proposed at once, it cost its vote the whole linger in
/// the next block and one more finalization; measured on about 3% of proposals at c=1).
/// Anything else (a beacon, a verdict, a reveal for a vote this node does not know) means
/// something waits on this block, and it is proposed at once. Members' signed reports (meta)
/// ride along and change nothing.
///
/// `ordered` is what the unfinalized ancestors already carry, which [`Awaiting`] (published
/// after each *applied* block) does not know yet: a commit, reveal or report there is not
/// awaited again, and a reveal or report for a vote whose request is there (a peer applied
/// that block before this node) waits for the vote's other reveals and reports. Without this, a proposal after a block that held some of a vote's reveals
/// waited the whole linger for reveals that were already ordered (and left the mempool).
pub fn arrange(txs: &mut Vec<Bytes>, ordered: &[Bytes], n: u32, awaiting: &Awaiting) -> bool {
    let sent = ordered_by_member(ordered);
    // The requests in unfinalized ancestors, and whether their committee is everyone. Their
    // block is not applied here yet, so [`Awaiting`] does not know their votes, but peers that
    // applied it already reveal (the leader proposes on notarization, before finalization).
    // A vote whose committee is everyone awaits every member's reveal and report, as it will
    // once this node applies the block.
    let ordered_requests: BTreeMap<Digest, bool> = ordered
        .iter()
        .filter(|t| t.first() == Some(&tx::REQUEST))
        .filter_map(|t| match Tx::decode(t)? {
            Tx::Request(r) => Some((r.id(), Bounds::for_tier(r.tier).is_ok_and(|b| b.n() == n))),
            _ => None,
        })
        .collect();
    let pending = |id: &Digest| ordered_requests.get(id) == Some(&true);
    let (mut requests, others): (Vec<Bytes>, Vec<Bytes>) = std::mem::take(txs)
        .into_iter()
        .partition(|t| t.first() == Some(&tx::REQUEST));
    // By (vote, transaction kind): the members still missing. A member's signed report
    // (meta) follows its reveal and carries its cost into the decision, so a vote that
    // awaits reveals awaits the same members' reports too.
    let mut missing: BTreeMap<(Digest, u8), BTreeSet<MemberId>> = BTreeMap::new();
    let mut loaded: BTreeSet<Digest> = BTreeSet::new();
    let mut urgent = false;
    // Votes this node knows nothing of: neither applied, nor ordered, nor in this proposal.
    let mut unseen: BTreeSet<Digest> = BTreeSet::new();
    let mut early = false;
    for bytes in &requests {
        match Tx::decode(bytes) {
            Some(Tx::Request(r)) if Bounds::for_tier(r.tier).is_ok_and(|b| b.n() == n) => {
                loaded.insert(r.id());
                missing.insert((r.id(), tx::COMMIT), (0..n).collect());
            }
            _ => urgent = true,
        }
    }
    for bytes in &others {
        if urgent {
            break;
        }
        let Some(items) = Tx::decode(bytes).and_then(Tx::items) else {
            urgent = true;
            continue;
        };
        for item in items {
            let (kind, id, member) = (item.kind(), item.request(), item.member());
            if loaded.insert(id) {
                let awaited = awaiting.get(&id);
                if awaited.is_none() && !ordered_requests.contains_key(&id) {
                    unseen.insert(id);
                }
                let awaited = awaited.or_else(|| {
                    (kind != tx::COMMIT && pending(&id)).then(|| (tx::REVEAL, (0..n).collect()))
                });
                if let Some((k, members)) = awaited {
                    let unsent = |kind: u8| -> BTreeSet<MemberId> {
                        let sent = |m: &MemberId| sent.contains(&(id, kind, *m));
                        members.iter().copied().filter(|m| !sent(m)).collect()
                    };
                    if k == tx::REVEAL {
                        missing.insert((id, tx::META), unsent(tx::META));
                    }
                    missing.insert((id, k), unsent(k));
                }
            }
            match missing.get_mut(&(id, kind)) {
                Some(members) => {
                    members.remove(&member);
                }
                // A report outside a reveal phase changes nothing.
                None if kind == tx::META => {}
                // A commit that outran its request (from another node): ordered before it, it
                // would not count, so wait (at most the linger) for the request.
                None if kind == tx::COMMIT && unseen.contains(&id) => early = true,
                None => urgent = true,
            }
        }
    }
    let ready = urgent || (!early && missing.values().all(BTreeSet::is_empty));
    requests.extend(others);
    *txs = requests;
    ready
}

/// The (vote, kind, member) of each commit, reveal and report in `txs`.
fn ordered_by_member(txs: &[Bytes]) -> BTreeSet<(Digest, u8, MemberId)> {
    txs.iter()
        .filter(|t| tx::may_carry_items(t))
        .filter_map(|t| Tx::decode(t)?.items())
        .flatten()
        .map(|i| (i.request(), i.kind(), i.member()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use byzvote_core::{Canonical, Commit, Message, Mode, Salt};
    use commonware_cryptography::{Signer as _, ed25519};

    #[test]
    fn a_commit_ordered_before_its_request_does_not_count() {
        let key = ed25519::PrivateKey::from_seed(1);
        let r = request(3, "2+2?");
        let commit = |m: MemberId| {
            let c = Commit::new(r.id(), m, &Canonical("4".into()), &Salt([1; 32]));
            Tx::Commit(c.sign(&key)).encode()
        };
        let req = Tx::Request(r.clone()).encode();
        assert_eq!(counted_commits(&[req.clone(), commit(2)], 2), vec![r.id()]);
        assert!(counted_commits(&[commit(2), req.clone()], 2).is_empty());
        assert!(
            counted_commits(&[req, commit(1)], 2).is_empty(),
            "another member's"
        );
    }

    #[test]
    fn a_proposal_waits_for_the_transactions_its_votes_await_unless_something_else_waits() {
        let key = ed25519::PrivateKey::from_seed(1);
        let n = Bounds::for_tier(3).unwrap().n();
        let none = Awaiting::default();
        let r = request(3, "2+2?");
        let other = request(3, "3+3?");
        let commit = |r: &Request, m: MemberId| {
            let c = Commit::new(r.id(), m, &Canonical("4".into()), &Salt([1; 32]));
            Tx::Commit(c.sign(&key)).encode()
        };
        let req = Tx::Request(r.clone()).encode();

        // A peer's commit that arrived before the request moves after it.
        let mut txs = vec![commit(&r, 1), req.clone()];
        assert!(!arrange(&mut txs, &[], n, &none), "3 commits missing");
        assert_eq!(txs, vec![req.clone(), commit(&r, 1)]);
        assert_eq!(counted_commits(&txs, 1), vec![r.id()]);

        // Every member's commit: ready.
        let mut txs = vec![req.clone()];
        txs.extend((0..n).map(|m| commit(&r, m)));
        assert!(arrange(&mut txs, &[], n, &none));

        // A commit for a vote this node has not seen: its request is on its way, wait for it
        // (ordered before its request, the commit would not count)...
        let mut txs = vec![commit(&other, 0)];
        assert!(!arrange(&mut txs, &[], n, &none));
        let mut txs = vec![req.clone(), commit(&other, 0), commit(&other, 1)];
        txs.extend((0..n).map(|m| commit(&r, m)));
        assert!(
            !arrange(&mut txs, &[], n, &none),
            "r is ready, other is not"
        );
        // ... unless its request is already ordered (in an unfinalized ancestor): then it
        // counts in this block, whatever the committee.
        let ordered_other = [Tx::Request(other.clone()).encode()];
        let mut txs = vec![commit(&other, 0)];
        assert!(arrange(&mut txs, &ordered_other, n, &none));
        assert!(arrange(&mut txs, &ordered_other, 7, &none));
        // ... or something else waits on this block (a reveal for a vote it does not know).
        let stray = byzvote_core::Reveal {
            request: other.id(),
            member: 2,
            canonical: Canonical("4".into()),
            salt: Salt([1; 32]),
        };
        let mut txs = vec![commit(&other, 0), Tx::Reveal(stray.sign(&key)).encode()];
        assert!(arrange(&mut txs, &[], n, &none));

        // ... but one for a vote that awaits commits from members 0 and 2 waits for both.
        let awaiting = Awaiting::default();
        awaiting.publish(BTreeMap::from([(
            other.id(),
            (tx::COMMIT, BTreeSet::from([0, 2])),
        )]));
        let mut txs = vec![commit(&other, 0)];
        assert!(!arrange(&mut txs, &[], n, &awaiting));
        txs.push(commit(&other, 2));
        assert!(arrange(&mut txs, &[], n, &awaiting));

        // Reveals of a closed set: all of them, or wait.
        let reveal = |m: MemberId| {
            let c = Canonical("4".into());
            let rv = byzvote_core::Reveal {
                request: other.id(),
                member: m,
                canonical: c,
                salt: Salt([1; 32]),
            };
            Tx::Reveal(byzvote_core::SignedReveal::sign(rv, &key)).encode()
        };
        awaiting.publish(BTreeMap::from([(
            other.id(),
            (tx::REVEAL, BTreeSet::from([1, 3])),
        )]));
        // ... and the same members' signed reports, which carry their cost.
        let meta = |m: MemberId| Tx::Meta(report(&other, m).sign(&key)).encode();
        let mut txs = vec![reveal(1), meta(1)];
        assert!(!arrange(&mut txs, &[], n, &awaiting));
        txs.push(reveal(3));
        assert!(
            !arrange(&mut txs, &[], n, &awaiting),
            "member 3's report is missing"
        );
        txs.push(meta(3));
        assert!(arrange(&mut txs, &[], n, &awaiting));
        let mut txs = vec![meta(3), meta(1), reveal(3), reveal(1)];
        assert!(arrange(&mut txs, &[], n, &awaiting), "in any order");
        // Reveals and reports already in an unfinalized ancestor are not awaited again.
        let mut txs = vec![reveal(3), meta(3)];
        assert!(
            !arrange(&mut txs, &[], n, &awaiting),
            "member 1's are missing"
        );
        assert!(arrange(&mut txs, &[reveal(1), meta(1)], n, &awaiting));
        assert!(
            !arrange(&mut txs, &[reveal(1)], n, &awaiting),
            "member 1's report is neither here nor ordered"
        );
        let mut txs = vec![reveal(1), commit(&other, 1)];
        assert!(
            arrange(&mut txs, &[], n, &awaiting),
            "a commit in the reveal phase"
        );

        // A reveal arriving before this node applied the block of its vote's request (the
        // request is still in an unfinalized ancestor, so nothing is published for it): the
        // vote will await every member's reveal and report, so the proposal waits for them.
        let ordered = vec![Tx::Request(other.clone()).encode()];
        let mut txs = vec![reveal(1), meta(1)];
        assert!(
            !arrange(&mut txs, &ordered, n, &none),
            "a peer ahead of the leader"
        );
        txs.extend([0, 2, 3].into_iter().flat_map(|m| [reveal(m), meta(m)]));
        assert!(arrange(&mut txs, &ordered, n, &none));
        // ... not for a vote whose committee is drawn later, nor without its request there.
        let mut txs = vec![reveal(1)];
        assert!(arrange(&mut txs, &ordered, 7, &none));
        assert!(arrange(&mut txs, &[], n, &none));

        // A committee drawn later (tier 3 on 7 nodes) is not waited for.
        let mut txs = vec![req.clone()];
        assert!(arrange(&mut txs, &[], 7, &none));

        // Nothing to wait for.
        assert!(arrange(&mut Vec::new(), &[], n, &none));
    }

    /// A bundle's items count as the same transactions sent alone: its commits after their
    /// request are counted, and a proposal waits for, or is ready with, what its items are.
    #[test]
    fn a_bundle_is_arranged_as_its_items() {
        use super::super::bundle::SignedBundle;
        let key = ed25519::PrivateKey::from_seed(1);
        let n = Bounds::for_tier(3).unwrap().n();
        let none = Awaiting::default();
        let r = request(3, "2+2?");
        let other = request(3, "3+3?");
        let reveal = |r: &Request, m: MemberId| byzvote_core::Reveal {
            request: r.id(),
            member: m,
            canonical: Canonical("4".into()),
            salt: Salt([m as u8; 32]),
        };
        let bundle =
            |m: MemberId, items: Vec<Item>| Tx::Bundle(SignedBundle::sign(m, items, &key)).encode();
        let req = Tx::Request(r.clone()).encode();
        let commits = |m: MemberId| {
            bundle(
                m,
                vec![
                    Item::Commit(reveal(&other, m).commit()),
                    Item::Commit(reveal(&r, m).commit()),
                ],
            )
        };
        // Member 2's commits, the second after its request: that one counts.
        assert_eq!(counted_commits(&[req.clone(), commits(2)], 2), vec![r.id()]);
        assert!(counted_commits(&[commits(2), req.clone()], 2).is_empty());
        assert!(counted_commits(&[req.clone(), commits(1)], 2).is_empty());
        // Every member's commit for r, but the bundles also carry commits for a vote this
        // node has not seen: wait for its request; with it ordered, ready.
        let mut txs = vec![req.clone()];
        txs.extend((0..n).map(commits));
        assert!(!arrange(&mut txs, &[], n, &none));
        let ordered_other = [Tx::Request(other.clone()).encode()];
        assert!(arrange(&mut txs, &ordered_other, n, &none));
        // Reveals and reports awaited from members 1 and 3, in one bundle each.
        let awaiting = Awaiting::default();
        awaiting.publish(BTreeMap::from([(
            other.id(),
            (tx::REVEAL, BTreeSet::from([1, 3])),
        )]));
        let said = |m: MemberId| {
            let items = vec![
                Item::Reveal(reveal(&other, m)),
                Item::Meta(report(&other, m)),
            ];
            bundle(m, items)
        };
        let mut txs = vec![said(1)];
        assert!(
            !arrange(&mut txs, &[], n, &awaiting),
            "member 3's are missing"
        );
        assert!(
            arrange(&mut txs, &[said(3)], n, &awaiting),
            "already ordered"
        );
        txs.push(said(3));
        assert!(arrange(&mut txs, &[], n, &awaiting));
    }

    /// Member `m`'s report on its model call for `r`.
    fn report(r: &Request, m: MemberId) -> super::super::meta::Meta {
        let c = byzvote_models::Completion {
            text: "4".into(),
            usage: Default::default(),
            model: "m".into(),
            latency: std::time::Duration::ZERO,
            confidence: None,
        };
        super::super::meta::Meta::of(r.id(), m, &c, 0.0)
    }

    fn request(tier: u8, text: &str) -> Request {
        Request::new(vec![Message::user(text)], Mode::Exact, tier, 64, 1).unwrap()
    }

    #[test]
    fn only_requests_whose_committee_is_everyone_once_each() {
        let mut s = Speculation::default();
        let r = request(3, "2+2?");
        let n = Bounds::for_tier(3).unwrap().n();
        assert!(s.admit(r.id(), &r, n));
        assert!(!s.admit(r.id(), &r, n), "already running");
        assert!(s.request(&r.id()).is_some());
        s.finish(&r.id());
        assert!(s.request(&r.id()).is_none());
        assert!(
            !s.admit(r.id(), &r, n + 3),
            "a drawn committee is not known yet"
        );
        assert!(s.start(r.id()));
        assert!(!s.start(r.id()), "one model call at a time");
    }
}
