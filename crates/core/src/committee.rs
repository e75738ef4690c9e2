//! Committee selection: which participants answer a request.
//!
//! DESIGN §2: the committee is drawn with randomness nobody could bias or predict when the request
//! was ordered, so every honest node computes the same committee and a coalition cannot place
//! itself on it. The node's seed is the hash of the cluster's unique threshold signature over
//! the request id, made only after the request is ordered (`byzvote-node`'s `protocol::beacon`).
//! This module is the deterministic part: given that seed and the request id, sample `m`
//! distinct participants uniformly.
//!
//! **Algorithm** (exact, so other implementations can reproduce it): a partial Fisher-Yates
//! shuffle of `[0, n)`. For step `i` in `0..m`, draw `r = u64_be(first 8 bytes of
//! sha256(BYZVOTE_COMMITTEE ‖ seed ‖ request ‖ u32_be(i) ‖ u32_be(attempt)))` for `attempt =
//! 0, 1, …` until `r < 2^64 - (2^64 mod (n - i))` (rejection sampling, no modulo bias); swap
//! position `i` with `i + r mod (n - i)`. The
//! committee is the first `m` positions, sorted ascending.
//!
//! Not yet here: weighting by reputation and the per-vendor cap of DESIGN §2/§4.

use crate::{commit::MemberId, namespace::BYZVOTE_COMMITTEE};
use commonware_cryptography::{Hasher, Sha256, sha256::Digest};
use thiserror::Error;

/// Why no committee could be drawn.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CommitteeError {
    /// The tier needs more members than the cluster has.
    #[error(
        "a committee of {m} needs at least {m} participants, but the cluster has {n}; use a lower tier or add nodes"
    )]
    TooFewParticipants {
        /// Requested committee size.
        m: u32,
        /// Participants available.
        n: u32,
    },
}

/// Draws `m` of the `n` participants (ids `0..n`) for `request`, using `seed` (module doc).
pub fn select(
    seed: &Digest,
    request: &Digest,
    n: u32,
    m: u32,
) -> Result<Vec<MemberId>, CommitteeError> {
    if m > n {
        return Err(CommitteeError::TooFewParticipants { m, n });
    }
    let mut ids: Vec<MemberId> = (0..n).collect();
    for i in 0..m {
        let range = u64::from(n - i);
        // Accept r < 2^64 - (2^64 mod range), i.e. r <= max: a whole number of `range` blocks.
        let max = u64::MAX - (u64::MAX % range + 1) % range;
        let mut attempt: u32 = 0;
        let r = loop {
            let d = Sha256::hash(&[
                BYZVOTE_COMMITTEE,
                seed.as_ref(),
                request.as_ref(),
                &i.to_be_bytes(),
                &attempt.to_be_bytes(),
            ]);
            let mut first = [0u8; 8];
            first.copy_from_slice(&d.0[..8]);
            let r = u64::from_be_bytes(first);
            if r <= max || attempt == u32::MAX {
                break r;
            }
            attempt += 1;
        };
        // r % range < n - i, so the index stays in bounds.
        let j = i as usize + usize::try_from(r % range).unwrap_or(0);
        ids.swap(i as usize, j);
    }
    ids.truncate(m as usize);
    ids.sort_unstable();
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_distinct_and_in_range() {
        let seed = Sha256::fill(1);
        for n in 1..20u32 {
            for m in 0..=n {
                let a = select(&seed, &Sha256::fill(2), n, m).unwrap();
                assert_eq!(a, select(&seed, &Sha256::fill(2), n, m).unwrap());
                assert_eq!(a.len(), m as usize);
                assert!(a.windows(2).all(|w| w[0] < w[1]));
                assert!(a.iter().all(|&x| x < n));
            }
        }
    }

    #[test]
    fn depends_on_seed_and_request() {
        let a = select(&Sha256::fill(1), &Sha256::fill(2), 100, 7).unwrap();
        let b = select(&Sha256::fill(3), &Sha256::fill(2), 100, 7).unwrap();
        let c = select(&Sha256::fill(1), &Sha256::fill(4), 100, 7).unwrap();
        assert_ne!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn too_few_participants() {
        assert_eq!(
            select(&Sha256::fill(1), &Sha256::fill(2), 3, 4),
            Err(CommitteeError::TooFewParticipants { m: 4, n: 3 })
        );
    }

    #[test]
    fn roughly_uniform() {
        // 4000 draws of 1 of 4: each participant chosen ~1000 times (a loose bound, deterministic).
        let mut counts = [0u32; 4];
        for k in 0..4000u32 {
            let req = Sha256::hash(&[&k.to_be_bytes()]);
            counts[select(&Sha256::fill(9), &req, 4, 1).unwrap()[0] as usize] += 1;
        }
        assert!(
            counts.iter().all(|&c| (850..1150).contains(&c)),
            "{counts:?}"
        );
    }
}
