//! Bulyan (El Mhamdi, Guerraoui, Rouault, ICML 2018). Requirement: `n >= 4f + 3`.
//!
//! 1. Selection: apply Krum repeatedly, each time to the vectors not yet chosen, until
//!    `theta = n - 2f` are chosen (distances are reused from one Gram matrix).
//! 2. Aggregation: per coordinate, average the `beta = theta - 2f` chosen values closest to
//!    their median.

use crate::coordinate::{median_of, per_coordinate};
use crate::float::Float;
use crate::krum::{ranked, scores};
use crate::matrix::Vectors;

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

/// Mean of the `beta` values of `v` closest to the median of `v`. Reorders `v`.
fn closest_to_median_mean<T: Float>(v: &mut [T], beta: usize) -> T {
    let med = median_of(v);
    if beta < v.len() {
        v.select_nth_unstable_by(beta - 1, |a, b| {
            (*a - med).abs().total_cmp(&(*b - med).abs())
        });
    }
    let mut sum = T::ZERO;
    for value in &v[..beta] {
        sum += *value;
    }
    sum / T::from_usize(beta)
}

/// Bulyan aggregate of `x` given the selection from [`bulyan_select`].
pub(crate) fn bulyan_aggregate<T: Float>(
    x: Vectors<'_, T>,
    selected: &[usize],
    f: usize,
) -> Vec<T> {
    let beta = selected.len() - 2 * f;
    per_coordinate(x, selected, |v| closest_to_median_mean(v, beta))
}
