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

/// Coordinates per Gram tile: `n x GRAM_TILE` centred values (3.2 MB at n = 100, f32) are
/// rebuilt in one reused buffer per tile, instead of allocating and faulting in a centred copy
/// of the whole input; each tile's product is added into an `f64` Gram matrix, which also
/// limits the rounding of the `f32` products to one tile's worth.
const GRAM_TILE: usize = 8192;

/// Row-major `n x n` matrix of squared Euclidean distances, in `f64`, with a zero diagonal.
pub(crate) fn pairwise_sq_distances<T: Float>(x: Vectors<'_, T>) -> Vec<f64> {
    let (n, d) = (x.n(), x.d());
    let centre = mean(x);
    let mut gram = vec![0.0f64; n * n];
    let mut tile = vec![T::ZERO; n * GRAM_TILE.min(d)];
    let mut partial = vec![T::ZERO; n * n];
    let mut c0 = 0;
    while c0 < d {
        let w = GRAM_TILE.min(d - c0);
        let centre = &centre[c0..c0 + w];
        tile[..n * w]
            .par_chunks_mut(w)
            .enumerate()
            .for_each(|(i, out)| {
                for ((o, v), c) in out.iter_mut().zip(&x.row(i)[c0..c0 + w]).zip(centre) {
                    *o = *v - *c;
                }
            });
        T::gram(&tile[..n * w], n, w, &mut partial);
        for (g, p) in gram.iter_mut().zip(&partial) {
            *g += p.to_f64();
        }
        c0 += w;
    }
    let mut dist = vec![0.0f64; n * n];
    for i in 0..n {
        for j in 0..n {
            if i != j {
                let g = gram[i * n + i] + gram[j * n + j] - 2.0 * gram[i * n + j];
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

/// The same matrix as [`pairwise_sq_distances`], computed directly: `sum_k (x_ik - x_jk)^2`
/// in `f64`, in coordinate order, for each pair `i < j`, then mirrored. No kernel dispatch and
/// no parallel split of a sum, so every machine gets the same bits (see `Options::portable`).
pub(crate) fn direct_sq_distances<T: Float>(x: Vectors<'_, T>) -> Vec<f64> {
    let n = x.n();
    let mut dist = vec![0.0f64; n * n];
    for i in 0..n {
        for j in i + 1..n {
            let mut s = 0.0f64;
            for (a, b) in x.row(i).iter().zip(x.row(j)) {
                let t = a.to_f64() - b.to_f64();
                s += t * t;
            }
            dist[i * n + j] = s;
            dist[j * n + i] = s;
        }
    }
    dist
}
