//! Krum and Multi-Krum (Blanchard, El Mhamdi, Guerraoui, Stainer, NeurIPS 2017).
//!
//! The score of vector `i` among a candidate set is the sum of its squared distances to its
//! `k - f - 2` nearest other candidates (`k` = set size). Krum returns the lowest-scoring vector;
//! Multi-Krum averages the `m` lowest-scoring ones. Requirement: `n >= 2f + 3`, so that every
//! score sums at least one distance and honest vectors outnumber the attackers' reach.
//! Ties go to the lower index; distances come from [`crate::distances`], computed once.

use crate::float::Float;
use crate::matrix::Vectors;

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
            scratch[..neighbours].iter().sum()
        })
        .collect()
}

/// Positions (into `set`) ordered by ascending score, ties by position.
pub(crate) fn ranked(scores: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]).then(a.cmp(&b)));
    order
}

/// Multi-Krum selection: the `m` lowest-scoring vectors among all `n`, best first.
pub(crate) fn multi_krum_select(dist: &[f64], n: usize, f: usize, m: usize) -> Vec<usize> {
    let all: Vec<usize> = (0..n).collect();
    let s = scores(dist, n, &all, f);
    ranked(&s).into_iter().take(m).collect()
}

/// Mean of the vectors `rows`, accumulated in `f64`.
pub(crate) fn mean_of_rows<T: Float>(x: Vectors<'_, T>, rows: &[usize]) -> Vec<T> {
    let mut acc = vec![0.0f64; x.d()];
    for &i in rows {
        for (a, v) in acc.iter_mut().zip(x.row(i)) {
            *a += v.to_f64();
        }
    }
    let scale = 1.0 / rows.len().max(1) as f64;
    acc.into_iter().map(|a| T::from_f64(a * scale)).collect()
}
