//! Coordinate-wise rules: mean, median, trimmed mean, and the tiling that Bulyan reuses.
//!
//! Speed: the input is row-major, but these rules need all `n` values of one coordinate
//! together. Each rayon task takes a tile of [`TILE`] coordinates, copies the `n` short row runs
//! into a column-major scratch buffer (sequential reads, an L2-sized write), then runs a
//! selection (`select_nth_unstable_by`, O(n), not a sort) per coordinate. The scratch buffer is
//! allocated once per rayon split, never per element. For `n <= network::MAX_N` the median and
//! trimmed mean use the comparator networks of [`crate::by_network`] instead (measured faster).

use crate::by_network;
use crate::error::AggregateError;
use crate::float::Float;
use crate::matrix::Vectors;
use crate::network;
use rayon::prelude::*;

/// Coordinates per tile: `TILE * n` values of scratch (100 KB at n = 100, f32).
pub(crate) const TILE: usize = 256;

/// Coordinates per task for the streaming (row-by-row) rules: about two tasks per thread, so
/// each row is read in long sequential runs that the hardware prefetcher follows (a 4096-wide
/// chunk means 100 interleaved short streams and measured 3x slower), capped so that the
/// accumulator stays in L2.
pub(crate) fn stream_chunk(d: usize) -> usize {
    d.div_ceil(2 * rayon::current_num_threads())
        .clamp(1024, 32 * 1024)
}

/// Below this many values the work runs on the calling thread.
const PARALLEL_MIN: usize = 1 << 16;

/// Coordinate-wise mean (accumulated in `T`, row by row, so it runs at memory speed).
pub fn mean<T: Float>(x: Vectors<'_, T>) -> Vec<T> {
    let (n, d) = (x.n(), x.d());
    let mut out = vec![T::ZERO; d];
    let scale = T::from_f64(1.0 / n as f64);
    let chunk = stream_chunk(d);
    let body = |(c, acc): (usize, &mut [T])| {
        let (c0, w) = (c * chunk, acc.len());
        let run = |i: usize| &x.row(i)[c0..c0 + w];
        // Four rows per sweep: a quarter of the accumulator traffic.
        let mut i = 0;
        while i + 4 <= n {
            let (r0, r1, r2, r3) = (run(i), run(i + 1), run(i + 2), run(i + 3));
            for ((((a, v0), v1), v2), v3) in acc.iter_mut().zip(r0).zip(r1).zip(r2).zip(r3) {
                *a += (*v0 + *v1) + (*v2 + *v3);
            }
            i += 4;
        }
        for i in i..n {
            for (a, v) in acc.iter_mut().zip(run(i)) {
                *a += *v;
            }
        }
        for a in acc.iter_mut() {
            *a = *a * scale;
        }
    };
    if n * d >= PARALLEL_MIN {
        out.par_chunks_mut(chunk).enumerate().for_each(body);
    } else {
        out.chunks_mut(chunk).enumerate().for_each(body);
    }
    out
}

/// Runs `per_coordinate` on the values of each coordinate taken from the vectors `rows`
/// (indices into `x`), writing one result per coordinate. The slice handed to the closure is
/// scratch: the closure may reorder it.
pub(crate) fn per_coordinate<T, F>(x: Vectors<'_, T>, rows: &[usize], per_coordinate: F) -> Vec<T>
where
    T: Float,
    F: Fn(&mut [T]) -> T + Sync,
{
    let (k, d) = (rows.len(), x.d());
    let mut out = vec![T::ZERO; d];
    let body = |scratch: &mut Vec<T>, (t, tile_out): (usize, &mut [T])| {
        let c0 = t * TILE;
        let w = tile_out.len();
        scratch.resize(TILE * k, T::ZERO);
        for (slot, &i) in rows.iter().enumerate() {
            let run = &x.row(i)[c0..c0 + w];
            for (j, v) in run.iter().enumerate() {
                scratch[j * k + slot] = *v;
            }
        }
        for (j, o) in tile_out.iter_mut().enumerate() {
            *o = per_coordinate(&mut scratch[j * k..(j + 1) * k]);
        }
    };
    if k * d >= PARALLEL_MIN {
        out.par_chunks_mut(TILE)
            .enumerate()
            .for_each_init(Vec::new, body);
    } else {
        let mut scratch = Vec::new();
        out.chunks_mut(TILE)
            .enumerate()
            .for_each(|item| body(&mut scratch, item));
    }
    out
}

/// Median of `v` (mean of the two middle values when `v.len()` is even). Reorders `v`.
pub(crate) fn median_of<T: Float>(v: &mut [T]) -> T {
    let (len, k) = (v.len(), v.len() / 2);
    let (lower, mid, _) = v.select_nth_unstable_by(k, T::total_cmp);
    let mid = *mid;
    if len % 2 == 1 {
        mid
    } else {
        let below = lower
            .iter()
            .copied()
            .fold(lower[0], |a, b| if b > a { b } else { a });
        (below + mid) * T::from_f64(0.5)
    }
}

/// Mean of `v` after removing its `f` smallest and `f` largest values. Reorders `v`.
/// Requires `v.len() >= 2f + 1`.
pub(crate) fn trimmed_mean_of<T: Float>(v: &mut [T], f: usize) -> T {
    let n = v.len();
    let keep = n - 2 * f;
    let rest = if f == 0 {
        v
    } else {
        // After this, v[f..] holds the n - f largest values.
        v.select_nth_unstable_by(f, T::total_cmp);
        let rest = &mut v[f..];
        // Keep the `keep` smallest of those: drops the f largest overall.
        if keep < rest.len() {
            rest.select_nth_unstable_by(keep - 1, T::total_cmp);
        }
        rest
    };
    let mut sum = T::ZERO;
    for value in &rest[..keep] {
        sum += *value;
    }
    sum / T::from_usize(keep)
}

/// Coordinate-wise median, refusing NaN/infinite input. Requires `n >= 1` (robust when
/// `n >= 2f + 1`). A sorting network across coordinates for `n <= network::MAX_N` (with the
/// finiteness check fused into it), selection per coordinate above.
pub fn median<T: Float>(x: Vectors<'_, T>) -> Result<Vec<T>, AggregateError> {
    if x.n() <= network::MAX_N {
        return by_network::median(x);
    }
    x.check_finite()?;
    let rows: Vec<usize> = (0..x.n()).collect();
    Ok(per_coordinate(x, &rows, median_of))
}

/// Coordinate-wise trimmed mean cutting `f` values from each side, refusing NaN/infinite
/// input. Requires `n >= 2f + 1`.
pub fn trimmed_mean<T: Float>(x: Vectors<'_, T>, f: usize) -> Result<Vec<T>, AggregateError> {
    if x.n() <= network::MAX_N {
        return by_network::trimmed_mean(x, f);
    }
    x.check_finite()?;
    let rows: Vec<usize> = (0..x.n()).collect();
    Ok(per_coordinate(x, &rows, |v| trimmed_mean_of(v, f)))
}
