//! A token bucket per peer for the quick tiers: what one peer can make this node spend.
//!
//! Any cluster member may ask this node to run its model for a tier-2 vote it serves. With a
//! paid backend each ask costs money, so a faulty or compromised peer must not be able to spend
//! this node's budget: each peer gets a bucket of `burst` asks that refills at `per_second`.
//! (`max_peer_calls` bounds concurrency; the bucket bounds the rate. An ask's tokens are
//! bounded by its `max_tokens`, so asks × the largest `max_tokens` bounds the tokens.)
//! Time is the runtime's clock, passed in, so a deterministic run replays exactly.

use crate::chain::types::PublicKey;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::{Duration, SystemTime};

/// Longest retry delay told to a client (a bucket refilling slower than this is refused by
/// [`PeerLimit::validate`] anyway; this also bounds a peer's claim in a refusal).
pub const MAX_RETRY_MS: u64 = 60_000;

/// `[quick]` in `node.toml`: the per-peer limit on quick asks.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerLimit {
    /// Asks per second one peer may make of this node's model, sustained.
    #[serde(default = "default_per_second")]
    pub peer_asks_per_second: f64,
    /// Asks one peer may make at once after being idle.
    #[serde(default = "default_burst")]
    pub peer_burst: u32,
}

fn default_per_second() -> f64 {
    50.0
}

fn default_burst() -> u32 {
    100
}

impl Default for PeerLimit {
    /// 50 asks/s sustained, bursts of 100: far above what a cluster's honest tier-2 traffic
    /// sends one member (each tier-2 vote asks two of the n-1 peers), far below what would let
    /// one peer run up a paid model's bill unnoticed for long.
    fn default() -> Self {
        Self {
            peer_asks_per_second: default_per_second(),
            peer_burst: default_burst(),
        }
    }
}

impl PeerLimit {
    /// Checks the numbers a user can get wrong; the message says what to change.
    pub fn validate(&self) -> Result<(), String> {
        let r = self.peer_asks_per_second;
        if !r.is_finite() || r * (MAX_RETRY_MS as f64 / 1000.0) < 1.0 || r > 1e6 {
            return Err(format!(
                "peer_asks_per_second must be between {} and 1000000 (one ask per minute at \
                 least); got {r}",
                1000.0 / MAX_RETRY_MS as f64
            ));
        }
        if self.peer_burst == 0 {
            return Err("peer_burst must be at least 1 (0 would refuse every peer ask)".into());
        }
        Ok(())
    }
}

/// The buckets, keyed by peer (only cluster members reach [`Buckets::take`], so the map
/// holds at most n entries).
#[derive(Default)]
pub struct Buckets(HashMap<PublicKey, Bucket>);

struct Bucket {
    tokens: f64,
    at: SystemTime,
}

impl Buckets {
    /// Takes one ask from `peer`'s bucket at `now`, or says how long until one is available.
    pub fn take(
        &mut self,
        limit: &PeerLimit,
        peer: &PublicKey,
        now: SystemTime,
    ) -> Result<(), Duration> {
        let burst = f64::from(limit.peer_burst.max(1));
        let rate = limit.peer_asks_per_second.max(f64::MIN_POSITIVE);
        let b = self.0.entry(peer.clone()).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        // A clock that went backwards refills nothing (and never panics).
        let elapsed = now.duration_since(b.at).unwrap_or_default();
        b.tokens = (b.tokens + elapsed.as_secs_f64() * rate).min(burst);
        b.at = now.max(b.at);
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            return Ok(());
        }
        let wait = ((1.0 - b.tokens) / rate).min(MAX_RETRY_MS as f64 / 1000.0);
        Err(Duration::from_secs_f64(wait))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_cryptography::{Signer as _, ed25519};

    fn peer(seed: u64) -> PublicKey {
        ed25519::PrivateKey::from_seed(seed).public_key()
    }

    #[test]
    fn a_peer_gets_its_burst_then_the_rate_and_others_are_unaffected() {
        let limit = PeerLimit {
            peer_asks_per_second: 2.0,
            peer_burst: 3,
        };
        let mut b = Buckets::default();
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
        for i in 0..3 {
            assert!(b.take(&limit, &peer(1), t0).is_ok(), "ask {i} of the burst");
        }
        let wait = b.take(&limit, &peer(1), t0).unwrap_err();
        assert_eq!(wait, Duration::from_millis(500));
        // Another peer has its own bucket.
        assert!(b.take(&limit, &peer(2), t0).is_ok());
        // Half a second refills one ask, not two.
        let t1 = t0 + Duration::from_millis(500);
        assert!(b.take(&limit, &peer(1), t1).is_ok());
        assert!(b.take(&limit, &peer(1), t1).is_err());
        // A long idle period refills only up to the burst.
        let t2 = t1 + Duration::from_secs(3600);
        for _ in 0..3 {
            assert!(b.take(&limit, &peer(1), t2).is_ok());
        }
        assert!(b.take(&limit, &peer(1), t2).is_err());
        // A clock going backwards neither panics nor refills.
        assert!(b.take(&limit, &peer(1), t0).is_err());
    }

    #[test]
    fn validation_refuses_nonsense_with_a_message() {
        assert!(PeerLimit::default().validate().is_ok());
        for (rate, burst) in [(0.0, 5), (f64::NAN, 5), (-1.0, 5), (0.001, 5), (5.0, 0)] {
            let l = PeerLimit {
                peer_asks_per_second: rate,
                peer_burst: burst,
            };
            let e = l.validate().unwrap_err();
            assert!(e.contains("peer_"), "{e}");
        }
    }
}
