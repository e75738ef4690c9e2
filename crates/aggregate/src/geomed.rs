//! Geometric median by Weiszfeld's algorithm (with the usual smoothing so a vector that
//! coincides with the iterate cannot divide by zero). Requirement: `n >= 2f + 1` (breakdown
//! point 1/2).
//!
//! `z_{t+1} = sum_i w_i x_i / sum_i w_i` with `w_i = 1 / max(|x_i - z_t|, eps)`, starting from
//! the mean. Stops when `|z_{t+1} - z_t| <= tolerance * (1 + |z_t|)` or after the iteration cap,
//! and reports which happened. Each step is two passes over the data: distances (parallel over
//! vectors) and the weighted sum (parallel over coordinate chunks).

use crate::coordinate::stream_chunk;
use crate::float::{Float, distance, norm};
use crate::matrix::Vectors;
use rayon::prelude::*;

/// Outcome of the iteration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Convergence {
    /// Weiszfeld steps taken.
    pub iterations: usize,
    /// Whether the step fell below the tolerance before the cap.
    pub converged: bool,
}

/// Weighted mean `sum_i w_i x_i / sum_i w_i` into `out`.
fn weighted_mean<T: Float>(x: Vectors<'_, T>, w: &[f64], out: &mut [f64]) {
    let total: f64 = w.iter().sum();
    let width = stream_chunk(x.d());
    out.par_chunks_mut(width).enumerate().for_each(|(c, acc)| {
        let c0 = c * width;
        acc.iter_mut().for_each(|a| *a = 0.0);
        for (i, wi) in w.iter().enumerate() {
            for (a, v) in acc.iter_mut().zip(&x.row(i)[c0..]) {
                *a += wi * v.to_f64();
            }
        }
        acc.iter_mut().for_each(|a| *a /= total);
    });
}

/// Weiszfeld iteration. `eps` is scaled to the data so that it never dominates a real distance.
pub(crate) fn geometric_median<T: Float>(
    x: Vectors<'_, T>,
    tolerance: f64,
    max_iterations: usize,
) -> (Vec<T>, Convergence) {
    let (n, d) = (x.n(), x.d());
    let mut z = vec![0.0f64; d];
    weighted_mean(x, &vec![1.0; n], &mut z);
    let mut next = vec![0.0f64; d];
    let mut w = vec![0.0f64; n];
    let scale = (0..n)
        .into_par_iter()
        .map(|i| distance(x.row(i), &z))
        .reduce(|| 0.0, f64::max);
    let eps = (scale * 1e-12).max(f64::MIN_POSITIVE);
    let mut outcome = Convergence {
        iterations: 0,
        converged: scale == 0.0,
    };
    while !outcome.converged && outcome.iterations < max_iterations {
        w.par_iter_mut().enumerate().for_each(|(i, wi)| {
            *wi = 1.0 / distance(x.row(i), &z).max(eps);
        });
        weighted_mean(x, &w, &mut next);
        let step = next
            .iter()
            .zip(&z)
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f64>()
            .sqrt();
        outcome.iterations += 1;
        outcome.converged = step <= tolerance * (1.0 + norm(&z));
        std::mem::swap(&mut z, &mut next);
    }
    (z.into_iter().map(T::from_f64).collect(), outcome)
}
