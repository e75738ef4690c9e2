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

use super::tx::{self, Tx};
use bytes::Bytes;
use byzvote_core::{Bounds, Digest, MemberId, Request};
use std::collections::{BTreeMap, BTreeSet};

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
        match bytes.first() {
            Some(&tx::REQUEST) | Some(&tx::BEACON) | Some(&tx::COMMIT) => {}
            _ => continue,
        }
        match Tx::decode(bytes) {
            Some(Tx::Request(r)) => {
                started.insert(r.id());
            }
            Some(Tx::Beacon { request, .. }) => {
                started.insert(request);
            }
            Some(Tx::Commit(c)) if c.commit.member == me && started.contains(&c.commit.request) => {
                counted.push(c.commit.request);
            }
            _ => {}
        }
    }
    counted
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
