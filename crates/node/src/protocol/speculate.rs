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

use byzvote_core::{Bounds, Digest, Request};
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

#[cfg(test)]
mod tests {
    use super::*;
    use byzvote_core::{Message, Mode};

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
