//! Clipping rules.
//!
//! **Centered clipping** (Karimireddy, He, Jaggi, ICML 2021). From a starting point `v`, repeat
//! `L` times: `v <- v + (1/n) sum_i (x_i - v) * min(1, tau / |x_i - v|)`. A far-away vector can
//! move `v` by at most `tau / n`. The paper starts from the previous round's momentum; as a
//! stateless function the default start is the coordinate-wise median, and the default `tau`
//! is the median distance of the inputs to that start. Requirement: `n >= 2f + 1`.
//!
//! **Comparative gradient clipping, CGC** (Gupta & Vaidya 2020). Sort the vectors by norm; the
//! `f` largest are scaled down to the norm of the `(n - f)`-th smallest; return the mean (the
//! paper sums; the mean is the same direction at the scale of the other rules).
//! Requirement: `n >= 2f + 1`.

use crate::coordinate::{median, stream_chunk};
use crate::error::AggregateError;
use crate::float::{Float, distance, norm};
use crate::matrix::Vectors;
use rayon::prelude::*;

/// Returns the median of `values` (upper median for even length). Reorders `values`.
fn median_f64(values: &mut [f64]) -> f64 {
    let k = values.len() / 2;
    *values.select_nth_unstable_by(k, f64::total_cmp).1
}

/// Centered clipping; `center` and `radius` default as in the module docs.
pub(crate) fn centered_clipping<T: Float>(
    x: Vectors<'_, T>,
    center: Option<&[f64]>,
    radius: Option<f64>,
    iterations: usize,
) -> Result<Vec<T>, AggregateError> {
    let n = x.n();
    let mut v: Vec<f64> = match center {
        Some(c) => c.to_vec(),
        None => median(x)?.into_iter().map(Float::to_f64).collect(),
    };
    let mut dist: Vec<f64> = (0..n)
        .into_par_iter()
        .map(|i| distance(x.row(i), &v))
        .collect();
    let tau = radius.unwrap_or_else(|| median_f64(&mut dist.clone()));
    for round in 0..iterations {
        if round > 0 {
            dist.par_iter_mut()
                .enumerate()
                .for_each(|(i, di)| *di = distance(x.row(i), &v));
        }
        // Scale of each input's pull: min(1, tau / |x_i - v|) / n.
        let weights: Vec<f64> = dist
            .iter()
            .map(|&di| if di > tau { tau / di } else { 1.0 } / n as f64)
            .collect();
        let width = stream_chunk(x.d());
        v.par_chunks_mut(width).enumerate().for_each(|(c, chunk)| {
            let c0 = c * width;
            let base = chunk.to_vec();
            for (i, wi) in weights.iter().enumerate() {
                for ((o, b), a) in chunk.iter_mut().zip(&base).zip(&x.row(i)[c0..]) {
                    *o += wi * (a.to_f64() - b);
                }
            }
        });
    }
    Ok(v.into_iter().map(T::from_f64).collect())
}

/// Comparative gradient clipping.
pub(crate) fn cgc<T: Float>(x: Vectors<'_, T>, f: usize) -> Vec<T> {
    let n = x.n();
    let norms: Vec<f64> = (0..n).into_par_iter().map(|i| norm(x.row(i))).collect();
    let mut sorted = norms.clone();
    sorted.sort_by(f64::total_cmp);
    let threshold = sorted[n - f - 1];
    let weights: Vec<f64> = norms
        .iter()
        .map(|&r| if r > threshold { threshold / r } else { 1.0 } / n as f64)
        .collect();
    let mut acc = vec![0.0f64; x.d()];
    let width = stream_chunk(x.d());
    acc.par_chunks_mut(width)
        .enumerate()
        .for_each(|(c, chunk)| {
            let c0 = c * width;
            for (i, wi) in weights.iter().enumerate() {
                for (o, a) in chunk.iter_mut().zip(&x.row(i)[c0..]) {
                    *o += wi * a.to_f64();
                }
            }
        });
    acc.into_iter().map(T::from_f64).collect()
}
