//! All pairwise squared distances, computed once, through a Gram matrix.
//!
//! `|x_i - x_j|^2 = G_ii + G_jj - 2 G_ij` with `G = X X^T`: one matrix product (about
//! `n^2 d` multiply-adds, a blocked SIMD kernel from `matrixmultiply`) instead of `n^2/2`
//! separate distance loops that each stream two rows from memory.
//!
//! Accuracy: the formula cancels when vectors are close to each other but far from the origin.
//! The rows are therefore centred on their coordinate-wise mean first (distances are translation
//! invariant), which keeps the cancellation at the scale of the spread, not of the offset.

use crate::coordinate::mean;
use crate::float::Float;
use crate::matrix::Vectors;
use rayon::prelude::*;

/// Row-major `n x n` matrix of squared Euclidean distances, in `f64`, with a zero diagonal.
pub(crate) fn pairwise_sq_distances<T: Float>(x: Vectors<'_, T>) -> Vec<f64> {
    let (n, d) = (x.n(), x.d());
    let centre = mean(x);
    let mut centred = vec![T::ZERO; n * d];
    if d > 0 {
        centred
            .par_chunks_mut(d)
            .zip(x.data().par_chunks(d))
            .for_each(|(out, row)| {
                for ((o, v), c) in out.iter_mut().zip(row).zip(&centre) {
                    *o = *v - *c;
                }
            });
    }
    let mut gram = vec![T::ZERO; n * n];
    T::gram(&centred, n, d, &mut gram);
    let mut dist = vec![0.0f64; n * n];
    for i in 0..n {
        for j in 0..n {
            if i != j {
                let g = gram[i * n + i].to_f64() + gram[j * n + j].to_f64()
                    - 2.0 * gram[i * n + j].to_f64();
                dist[i * n + j] = g.max(0.0);
            }
        }
    }
    // Symmetrise: the kernel's rounding can differ between (i, j) and (j, i).
    for i in 0..n {
        for j in i + 1..n {
            let s = 0.5 * (dist[i * n + j] + dist[j * n + i]);
            dist[i * n + j] = s;
            dist[j * n + i] = s;
        }
    }
    dist
}
