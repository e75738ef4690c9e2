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
use crate::tiles::Simd;
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
    mean_with(x, Simd::detect())
}

fn mean_with<T: Float>(x: Vectors<'_, T>, simd: Simd) -> Vec<T> {
    let d = x.d();
    let mut out = vec![T::ZERO; d];
    let chunk = stream_chunk(d);
    let body = |(c, acc): (usize, &mut [T])| mean_chunk_dispatch(simd, x, c * chunk, acc);
    if x.n() * d >= PARALLEL_MIN {
        out.par_chunks_mut(chunk).enumerate().for_each(body);
    } else {
        out.chunks_mut(chunk).enumerate().for_each(body);
    }
    out
}

/// The mean of coordinates `c0..c0 + acc.len()` into `acc`. Rows are added four at a time,
/// `acc += (v0 + v1) + (v2 + v3)`, and eight rows per pass over `acc` (the sum after the first
/// four stays in a register: the same additions in the same order as one pass per four rows,
/// with half the accumulator traffic). `inline(always)` so that the AVX2 / AVX-512 copies below
/// compile it at their width: at SSE2 the loop is bound by instructions, not memory (measured
/// mean / memory floor 1.1-1.3x with SSE2).
#[inline(always)]
fn mean_chunk<T: Float>(x: Vectors<'_, T>, c0: usize, acc: &mut [T]) {
    let (n, w) = (x.n(), acc.len());
    let scale = T::from_f64(1.0 / n as f64);
    let run = |i: usize| &x.row(i)[c0..c0 + w];
    let mut i = 0;
    while i + 8 <= n {
        let r: [&[T]; 8] = std::array::from_fn(|k| run(i + k));
        for (j, a) in acc.iter_mut().enumerate() {
            let first = *a + ((r[0][j] + r[1][j]) + (r[2][j] + r[3][j]));
            *a = first + ((r[4][j] + r[5][j]) + (r[6][j] + r[7][j]));
        }
        i += 8;
    }
    if i + 4 <= n {
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
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn mean_chunk_avx2<T: Float>(x: Vectors<'_, T>, c0: usize, acc: &mut [T]) {
    mean_chunk(x, c0, acc)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn mean_chunk_avx512<T: Float>(x: Vectors<'_, T>, c0: usize, acc: &mut [T]) {
    mean_chunk(x, c0, acc)
}

fn mean_chunk_dispatch<T: Float>(simd: Simd, x: Vectors<'_, T>, c0: usize, acc: &mut [T]) {
    #[cfg(target_arch = "x86_64")]
    {
        if simd.avx512() {
            // SAFETY: `Simd::avx512` is true only after `is_x86_feature_detected!("avx512f")`.
            return unsafe { mean_chunk_avx512(x, c0, acc) };
        }
        if simd.avx2() {
            // SAFETY: `Simd::avx2` is true only after `is_x86_feature_detected!("avx2")`.
            return unsafe { mean_chunk_avx2(x, c0, acc) };
        }
    }
    let _ = simd;
    mean_chunk(x, c0, acc)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every SIMD copy of the mean adds the same values in the same order: bit-identical
    /// results, for row counts that exercise the 8-row, 4-row and single-row steps.
    #[test]
    fn mean_is_bit_identical_on_every_simd_path() {
        let mut state = 5u64;
        for n in [1, 3, 4, 7, 8, 13, 100] {
            let d = 1000;
            let data: Vec<f32> = (0..n * d)
                .map(|_| {
                    state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                    (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
                })
                .collect();
            let x = Vectors::new(&data, n, d).unwrap();
            let portable: Vec<u32> = mean_with(x, Simd::available()[0])
                .iter()
                .map(|v| v.to_bits())
                .collect();
            for simd in Simd::available() {
                let got: Vec<u32> = mean_with(x, simd).iter().map(|v| v.to_bits()).collect();
                assert_eq!(got, portable, "n = {n}, {}", simd.name());
            }
            // And the same additions as adding rows four at a time, in order.
            for j in [0, 517, d - 1] {
                let mut acc = 0f32;
                let mut i = 0;
                while i + 4 <= n {
                    let v = |k: usize| data[(i + k) * d + j];
                    acc += (v(0) + v(1)) + (v(2) + v(3));
                    i += 4;
                }
                for i in i..n {
                    acc += data[i * d + j];
                }
                assert_eq!(
                    (acc * (1.0 / n as f64) as f32).to_bits(),
                    portable[j],
                    "n = {n}"
                );
            }
        }
    }
}
