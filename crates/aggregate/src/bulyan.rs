//! Bulyan (El Mhamdi, Guerraoui, Rouault, ICML 2018). Requirement: `n >= 4f + 3`.
//!
//! 1. Selection: apply Krum repeatedly, each time to the vectors not yet chosen, until
//!    `theta = n - 2f` are chosen (distances are reused from one Gram matrix).
//! 2. Aggregation: per coordinate, average the `beta = theta - 2f` chosen values closest to
//!    their median (a window of the sorted values; see [`by_network::closest_to_median_mean`]).

use crate::by_network;
use crate::coordinate::per_coordinate;
use crate::float::Float;
use crate::krum::{ranked, scores};
use crate::matrix::Vectors;
use crate::network;

/// Bulyan's iterated-Krum selection, in the order chosen.
pub(crate) fn bulyan_select<T: Float>(x: Vectors<'_, T>, dist: &[f64], f: usize) -> Vec<usize> {
    let n = x.n();
    let theta = n - 2 * f;
    let mut remaining: Vec<usize> = (0..n).collect();
    let mut chosen = Vec::with_capacity(theta);
    while chosen.len() < theta {
        let s = scores(dist, n, &remaining, f);
        let best = ranked(x, &remaining, &s)[0];
        chosen.push(remaining.remove(best));
    }
    chosen
}

/// Mean of the `beta` values of `v` closest to the median of `v` (same window rule as
/// [`by_network::closest_to_median_mean`]). Sorts `v`; used only above the network's size limit.
fn closest_to_median_mean<T: Float>(v: &mut [T], beta: usize) -> T {
    v.sort_unstable_by(T::total_cmp);
    let k = v.len();
    let med = if k % 2 == 1 {
        v[k / 2]
    } else {
        (v[k / 2 - 1] + v[k / 2]) * T::from_f64(0.5)
    };
    let (mut lo, mut hi) = (0, k - 1);
    while hi + 1 - lo > beta {
        if med - v[lo] > v[hi] - med {
            lo += 1;
        } else {
            hi -= 1;
        }
    }
    let mut sum = T::ZERO;
    for value in &v[lo..=hi] {
        sum += *value;
    }
    sum * T::from_f64(1.0 / beta as f64)
}

/// Bulyan aggregate of `x` given the selection from [`bulyan_select`].
pub(crate) fn bulyan_aggregate<T: Float>(
    x: Vectors<'_, T>,
    selected: &[usize],
    f: usize,
) -> Vec<T> {
    let beta = selected.len() - 2 * f;
    if selected.len() <= network::MAX_N {
        return by_network::closest_to_median_mean(x, selected, beta);
    }
    per_coordinate(x, selected, |v| closest_to_median_mean(v, beta))
}
