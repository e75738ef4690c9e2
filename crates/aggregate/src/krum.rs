//! Krum and Multi-Krum (Blanchard, El Mhamdi, Guerraoui, Stainer, NeurIPS 2017).
//!
//! The score of vector `i` among a candidate set is the sum of its squared distances to its
//! `k - f - 2` nearest other candidates (`k` = set size). Krum returns the lowest-scoring vector;
//! Multi-Krum averages the `m` lowest-scoring ones. Requirement: `n >= 2f + 3`, so that every
//! score sums at least one distance and honest vectors outnumber the attackers' reach.
//! Distances come from [`crate::distances`], computed once.
//!
//! Ties: exact ties are real (two mutual nearest neighbours score the same), and breaking
//! them by input index would make the result depend on the order of the inputs. Scores are
//! therefore compared at a relative resolution of 2^-32 (so that rounding noise from a different
//! input order does not decide), and ties are broken by comparing the vectors themselves
//! lexicographically, which does not depend on the order.

use crate::coordinate::stream_chunk;
use crate::float::Float;
use crate::matrix::Vectors;
use rayon::prelude::*;

/// Krum scores of the candidates `set` (indices into the `n x n` distance matrix `dist`).
pub(crate) fn scores(dist: &[f64], n: usize, set: &[usize], f: usize) -> Vec<f64> {
    let neighbours = set.len().saturating_sub(f + 2);
    let mut scratch = Vec::with_capacity(set.len());
    set.iter()
        .map(|&i| {
            scratch.clear();
            scratch.extend(set.iter().filter(|&&j| j != i).map(|&j| dist[i * n + j]));
            if neighbours == 0 {
                return 0.0;
            }
            if neighbours < scratch.len() {
                scratch.select_nth_unstable_by(neighbours - 1, f64::total_cmp);
            }
            // Sum in ascending order so the score does not depend on the input order.
            let nearest = &mut scratch[..neighbours];
            nearest.sort_unstable_by(f64::total_cmp);
            nearest.iter().sum()
        })
        .collect()
}

/// A score rounded down to 2^-32 relative resolution; scores are `>= 0`, so the bit pattern
/// orders like the value.
fn coarse(score: f64) -> u64 {
    score.to_bits() & !((1u64 << 20) - 1)
}

/// Positions (into `set`) ordered by ascending score; near-ties broken by the vectors' values.
pub(crate) fn ranked<T: Float>(x: Vectors<'_, T>, set: &[usize], scores: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| {
        coarse(scores[a])
            .cmp(&coarse(scores[b]))
            .then_with(|| lexicographic(x.row(set[a]), x.row(set[b])))
            .then(a.cmp(&b))
    });
    order
}

fn lexicographic<T: Float>(a: &[T], b: &[T]) -> std::cmp::Ordering {
    a.iter()
        .zip(b)
        .map(|(u, v)| u.total_cmp(v))
        .find(|o| o.is_ne())
        .unwrap_or(std::cmp::Ordering::Equal)
}

/// Multi-Krum selection: the `m` lowest-scoring vectors among all `n`, best first.
pub(crate) fn multi_krum_select<T: Float>(
    x: Vectors<'_, T>,
    dist: &[f64],
    f: usize,
    m: usize,
) -> Vec<usize> {
    let n = x.n();
    let all: Vec<usize> = (0..n).collect();
    let s = scores(dist, n, &all, f);
    ranked(x, &all, &s).into_iter().take(m).collect()
}

/// Mean of the vectors `rows`, accumulated in `f64`, parallel over coordinate chunks.
pub(crate) fn mean_of_rows<T: Float>(x: Vectors<'_, T>, rows: &[usize]) -> Vec<T> {
    let width = stream_chunk(x.d());
    let scale = 1.0 / rows.len().max(1) as f64;
    let mut out = vec![T::ZERO; x.d()];
    out.par_chunks_mut(width).enumerate().for_each_init(
        Vec::new,
        |acc: &mut Vec<f64>, (c, chunk)| {
            let c0 = c * width;
            acc.clear();
            acc.resize(chunk.len(), 0.0);
            for &i in rows {
                for (a, v) in acc.iter_mut().zip(&x.row(i)[c0..]) {
                    *a += v.to_f64();
                }
            }
            for (o, a) in chunk.iter_mut().zip(acc.iter()) {
                *o = T::from_f64(a * scale);
            }
        },
    );
    out
}
