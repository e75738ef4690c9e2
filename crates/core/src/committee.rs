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
//! [`select_diverse`] is the draw the node uses: weighted by reputation (see
//! [`crate::reputation`]) and with at most `cap` members per vendor (DESIGN §2/§4), so that one
//! vendor's shared fault cannot fill more than `f` seats.

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
    /// Too few vendors to seat `m` members with at most `cap` per vendor.
    #[error(
        "a committee of {m} may hold at most {cap} member(s) per vendor, but the cluster's {vendors} vendor(s) cannot fill it; add coordinators from other vendors or use a lower tier"
    )]
    TooFewVendors {
        /// Requested committee size.
        m: u32,
        /// Most members per vendor (the committee's `f`).
        cap: u32,
        /// Distinct vendors in the cluster.
        vendors: u32,
    },
}

/// A participant as [`select_diverse`] sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seat {
    /// Its vendor, as an index into the cluster's vendor list (equal index, same vendor).
    pub vendor: u32,
    /// Its draw weight (its reputation); at least 1, so nobody is ever excluded by it.
    pub weight: u32,
}

/// Draws `m` of the participants `seats` (member `i` is `seats[i]`) for `request` from `seed`,
/// each step choosing among the members not yet drawn whose vendor has fewer than `cap`
/// seats, with probability proportional to their weight.
///
/// **Algorithm** (exact): for step `i` in `0..m`, let `E` be those members in ascending order
/// and `W` the sum of their weights (a weight of 0 counts as 1); draw `r < W` by rejection
/// sampling from `u64_be(first 8 bytes of sha256(BYZVOTE_COMMITTEE ‖ seed ‖ request ‖
/// u32_be(i) ‖ u32_be(attempt)))` as in [`select`]; take the first member of `E` whose
/// running weight sum exceeds `r`. The committee is sorted ascending.
///
/// The greedy draw never gets stuck: each pick lowers the seats still fillable,
/// `Σ_vendor min(members left, cap − drawn)`, by exactly one, so it succeeds whenever that
/// sum starts at `m` or more, and is refused up front otherwise.
pub fn select_diverse(
    seed: &Digest,
    request: &Digest,
    seats: &[Seat],
    m: u32,
    cap: u32,
) -> Result<Vec<MemberId>, CommitteeError> {
    check_diverse(seats.iter().map(|s| s.vendor), m, cap)?;
    let n = seats.len() as u32;
    let mut chosen = vec![false; seats.len()];
    let mut drawn: std::collections::BTreeMap<u32, u32> = Default::default();
    let mut out = Vec::with_capacity(m as usize);
    for i in 0..m {
        let eligible =
            |j: usize| !chosen[j] && drawn.get(&seats[j].vendor).copied().unwrap_or(0) < cap;
        let total: u64 = (0..seats.len())
            .filter(|&j| eligible(j))
            .map(|j| u64::from(seats[j].weight.max(1)))
            .sum();
        let r = draw(seed, request, i, total);
        let mut acc = 0u64;
        let Some(pick) = (0..seats.len()).filter(|&j| eligible(j)).find(|&j| {
            acc += u64::from(seats[j].weight.max(1));
            acc > r
        }) else {
            // Unreachable: `fillable` guarantees an eligible member and r < total.
            return Err(CommitteeError::TooFewParticipants { m, n });
        };
        chosen[pick] = true;
        *drawn.entry(seats[pick].vendor).or_default() += 1;
        out.push(pick as MemberId);
    }
    out.sort_unstable();
    Ok(out)
}

/// Whether members of these vendors can seat a committee of `m` with at most `cap` per
/// vendor (what [`select_diverse`] refuses up front), so a request can be refused before any
/// draw.
pub fn check_diverse(
    vendors: impl IntoIterator<Item = u32>,
    m: u32,
    cap: u32,
) -> Result<(), CommitteeError> {
    let mut per_vendor: std::collections::BTreeMap<u32, u32> = Default::default();
    let mut n = 0u32;
    for v in vendors {
        *per_vendor.entry(v).or_default() += 1;
        n = n.saturating_add(1);
    }
    if m > n {
        return Err(CommitteeError::TooFewParticipants { m, n });
    }
    let fillable: u64 = per_vendor.values().map(|&c| u64::from(c.min(cap))).sum();
    if fillable < u64::from(m) {
        return Err(CommitteeError::TooFewVendors {
            m,
            cap,
            vendors: per_vendor.len() as u32,
        });
    }
    Ok(())
}

/// A uniform draw below `range` (> 0) for step `i`, by rejection sampling (no modulo bias).
fn draw(seed: &Digest, request: &Digest, i: u32, range: u64) -> u64 {
    let range = range.max(1);
    let max = u64::MAX - (u64::MAX % range + 1) % range;
    let mut attempt: u32 = 0;
    loop {
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
            return r % range;
        }
        attempt += 1;
    }
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
        let r = draw(seed, request, i, u64::from(n - i));
        // r < n - i, so the index stays in bounds.
        let j = i as usize + usize::try_from(r).unwrap_or(0);
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

    fn seats(vendors: &[u32], weights: &[u32]) -> Vec<Seat> {
        vendors
            .iter()
            .zip(weights)
            .map(|(&vendor, &weight)| Seat { vendor, weight })
            .collect()
    }

    #[test]
    fn diverse_draw_never_seats_more_than_cap_per_vendor() {
        // 10 members of 4 vendors: 4 + 3 + 2 + 1.
        let v = [0, 0, 0, 0, 1, 1, 1, 2, 2, 3];
        let s = seats(&v, &[100; 10]);
        for k in 0..500u32 {
            let req = Sha256::hash(&[&k.to_be_bytes()]);
            let c = select_diverse(&Sha256::fill(1), &req, &s, 7, 2).unwrap();
            assert_eq!(c.len(), 7);
            assert!(c.windows(2).all(|w| w[0] < w[1]), "{c:?}");
            for vendor in 0..4 {
                let seated = c.iter().filter(|&&m| v[m as usize] == vendor).count();
                assert!(
                    seated <= 2,
                    "request {k}: vendor {vendor} has {seated}: {c:?}"
                );
            }
            assert_eq!(c, select_diverse(&Sha256::fill(1), &req, &s, 7, 2).unwrap());
        }
    }

    #[test]
    fn diverse_draw_refuses_what_the_vendors_cannot_fill() {
        let s = seats(&[0, 0, 0, 1, 1, 2, 2], &[1; 7]);
        assert_eq!(
            select_diverse(&Sha256::fill(1), &Sha256::fill(2), &s, 4, 1),
            Err(CommitteeError::TooFewVendors {
                m: 4,
                cap: 1,
                vendors: 3
            })
        );
        assert!(select_diverse(&Sha256::fill(1), &Sha256::fill(2), &s, 3, 1).is_ok());
        assert_eq!(
            select_diverse(&Sha256::fill(1), &Sha256::fill(2), &s, 8, 3),
            Err(CommitteeError::TooFewParticipants { m: 8, n: 7 })
        );
    }

    #[test]
    fn weight_tilts_the_draw() {
        // Member 0 has weight 1, the others 100: drawn 1 seat of 4, member 0 should be
        // picked about 1/301 of the time (loose bound, deterministic).
        let s = seats(&[0, 1, 2, 3], &[1, 100, 100, 100]);
        let mut low = 0;
        for k in 0..3000u32 {
            let req = Sha256::hash(&[&k.to_be_bytes()]);
            if select_diverse(&Sha256::fill(5), &req, &s, 1, 1).unwrap() == vec![0] {
                low += 1;
            }
        }
        assert!(low < 40, "{low}");
        // Equal weights: uniform.
        let s = seats(&[0, 1, 2, 3], &[7; 4]);
        let mut counts = [0u32; 4];
        for k in 0..4000u32 {
            let req = Sha256::hash(&[&k.to_be_bytes()]);
            counts[select_diverse(&Sha256::fill(9), &req, &s, 1, 1).unwrap()[0] as usize] += 1;
        }
        assert!(
            counts.iter().all(|&c| (850..1150).contains(&c)),
            "{counts:?}"
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
