//! Coordinate-wise sorting with a sorting network, vectorised across coordinates.
//!
//! Why: a selection per coordinate (`select_nth_unstable_by`) is O(n) but branchy, about a
//! microsecond per coordinate at n = 100. A sorting network has no data-dependent branches: a
//! compare-exchange of rows `a` and `b` is an element-wise min/max of two runs of [`LANES`]
//! coordinates, which the compiler turns into SIMD min/max. Batcher's odd-even merge sort needs
//! about `n log^2 n / 4` compare-exchanges, each shared by `LANES` coordinates, so it is several
//! times faster than selection for the `n` of a vote or a training round (up to [`MAX_N`]);
//! above that, the callers fall back to selection.
//!
//! A tile is `n` rows of `LANES` values (25 KB at n = 100, f32: it stays in L1); after the sort,
//! row `k` of the tile holds the `k`-th smallest value of every coordinate.

use crate::float::Float;
use crate::matrix::Vectors;
use rayon::prelude::*;

/// Coordinates per tile.
pub(crate) const LANES: usize = 64;

/// Largest `n` sorted with the network; selection is used above it.
pub(crate) const MAX_N: usize = 256;

/// Below this many input values the work runs on the calling thread.
const PARALLEL_MIN: usize = 1 << 16;

/// Batcher's odd-even merge sort for `n` inputs: the network for the next power of two, with
/// every comparator that touches an index `>= n` dropped (those inputs act as `+inf` padding,
/// which such a comparator would never move).
pub(crate) fn batcher(n: usize) -> Vec<(usize, usize)> {
    let size = n.next_power_of_two();
    let mut pairs = Vec::new();
    let mut p = 1;
    while p < size {
        let mut k = p;
        while k >= 1 {
            let mut j = k % p;
            while j + k < size {
                for i in 0..k {
                    let (a, b) = (i + j, i + j + k);
                    if b < n && a / (2 * p) == b / (2 * p) {
                        pairs.push((a, b));
                    }
                }
                j += 2 * k;
            }
            k /= 2;
        }
        p *= 2;
    }
    pairs
}

/// Keeps only the comparators that can influence the output `rows` (a backward pass: a
/// comparator matters if either of its wires is still needed later, and then both are).
/// For the median this drops the final merge steps that only order the outer values.
pub(crate) fn prune_for(pairs: &[(usize, usize)], rows: &[usize], n: usize) -> Vec<(usize, usize)> {
    let mut needed = vec![false; n];
    for &r in rows {
        needed[r] = true;
    }
    let mut kept: Vec<(usize, usize)> = Vec::new();
    for &(a, b) in pairs.iter().rev() {
        if needed[a] || needed[b] {
            needed[a] = true;
            needed[b] = true;
            kept.push((a, b));
        }
    }
    kept.reverse();
    kept
}

/// Sorts each of the `LANES` columns of `tile` (`n` rows of `LANES` values) ascending.
/// (An AVX2 multiversioned copy of this loop measured slower, 77-88 ms against 31-49 ms for the
/// median at n = 100, d = 100,000, and explicit 256-bit AVX min/max intrinsics no faster,
/// 21.6-22.0 ms against 19.0-20.1 ms: the tile copy and memory traffic, not the compare-exchange
/// width, dominate. Both were dropped.)
fn sort_tile<T: Float>(tile: &mut [T], pairs: &[(usize, usize)]) {
    for &(a, b) in pairs {
        let (low, high) = tile.split_at_mut(b * LANES);
        let row_a = &mut low[a * LANES..(a + 1) * LANES];
        let row_b = &mut high[..LANES];
        for (x, y) in row_a.iter_mut().zip(row_b.iter_mut()) {
            let (p, q) = (*x, *y);
            let swap = q < p;
            *x = if swap { q } else { p };
            *y = if swap { p } else { q };
        }
    }
}

/// For every tile of `LANES` coordinates, sorts the `n` values of each coordinate and hands
/// the sorted tile (`n` rows of `LANES`) and the output chunk (its first `out.len()` lanes are
/// real coordinates) to `finish`. Sorts the vectors `rows` (indices into `x`); requires
/// `rows.len() <= MAX_N`. With `outputs`, only those sorted positions are guaranteed correct
/// (the network is pruned to them).
pub(crate) fn sorted_tiles<T, F>(
    x: Vectors<'_, T>,
    rows: &[usize],
    outputs: Option<&[usize]>,
    finish: F,
) -> Vec<T>
where
    T: Float,
    F: Fn(&[T], &mut [T]) + Sync,
{
    let (n, d) = (rows.len(), x.d());
    let pairs = match outputs {
        Some(outputs) => prune_for(&batcher(n), outputs, n),
        None => batcher(n),
    };
    let mut out = vec![T::ZERO; d];
    let body = |tile: &mut Vec<T>, (t, chunk): (usize, &mut [T])| {
        let (c0, w) = (t * LANES, chunk.len());
        tile.resize(n * LANES, T::ZERO);
        for (slot, &i) in rows.iter().enumerate() {
            let dst = &mut tile[slot * LANES..(slot + 1) * LANES];
            dst[..w].copy_from_slice(&x.row(i)[c0..c0 + w]);
            dst[w..].fill(T::ZERO);
        }
        sort_tile(tile, &pairs);
        finish(tile, chunk);
    };
    if n * d >= PARALLEL_MIN {
        out.par_chunks_mut(LANES)
            .enumerate()
            .with_min_len(4)
            .for_each_init(Vec::new, body);
    } else {
        let mut tile = Vec::new();
        out.chunks_mut(LANES)
            .enumerate()
            .for_each(|item| body(&mut tile, item));
    }
    out
}

/// Coordinate-wise median through the network.
pub(crate) fn median<T: Float>(x: Vectors<'_, T>) -> Vec<T> {
    let n = x.n();
    let half = T::from_f64(0.5);
    let all: Vec<usize> = (0..n).collect();
    let middle = [n.saturating_sub(1) / 2, n / 2];
    sorted_tiles(x, &all, Some(&middle), |tile, out| {
        let upper = &tile[(n / 2) * LANES..];
        if n % 2 == 1 {
            out.copy_from_slice(&upper[..out.len()]);
        } else {
            let lower = &tile[(n / 2 - 1) * LANES..];
            for ((o, a), b) in out.iter_mut().zip(lower).zip(upper) {
                *o = (*a + *b) * half;
            }
        }
    })
}

/// Coordinate-wise trimmed mean through the network: the sum of sorted rows `f..n-f`.
pub(crate) fn trimmed_mean<T: Float>(x: Vectors<'_, T>, f: usize) -> Vec<T> {
    let n = x.n();
    let scale = T::from_f64(1.0 / (n - 2 * f) as f64);
    let all: Vec<usize> = (0..n).collect();
    sorted_tiles(x, &all, None, |tile, out| {
        out.fill(T::ZERO);
        for row in tile.chunks_exact(LANES).take(n - f).skip(f) {
            for (o, v) in out.iter_mut().zip(row) {
                *o += *v;
            }
        }
        for o in out.iter_mut() {
            *o = *o * scale;
        }
    })
}

/// Bulyan's coordinate step through the network: per coordinate, the mean of the `beta` of the
/// `rows` values closest to their median. In sorted order those form a window around the
/// median; it is found by dropping, `len - beta` times, whichever end is farther from the
/// median (the upper one on a tie, so the result depends only on the values).
pub(crate) fn closest_to_median_mean<T: Float>(
    x: Vectors<'_, T>,
    rows: &[usize],
    beta: usize,
) -> Vec<T> {
    let k = rows.len();
    let half = T::from_f64(0.5);
    let scale = T::from_f64(1.0 / beta as f64);
    sorted_tiles(x, rows, None, |tile, out| {
        let at = |r: usize, j: usize| tile[r * LANES + j];
        for (j, o) in out.iter_mut().enumerate() {
            let med = if k % 2 == 1 {
                at(k / 2, j)
            } else {
                (at(k / 2 - 1, j) + at(k / 2, j)) * half
            };
            let (mut lo, mut hi) = (0, k - 1);
            while hi + 1 - lo > beta {
                if med - at(lo, j) > at(hi, j) - med {
                    lo += 1;
                } else {
                    hi -= 1;
                }
            }
            let mut sum = T::ZERO;
            for r in lo..=hi {
                sum += at(r, j);
            }
            *o = sum * scale;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pruned_network_still_finds_the_median() {
        let mut state = 99u64;
        for n in 1..=70 {
            let middle = [(n - 1) / 2, n / 2];
            let full = batcher(n);
            let pairs = prune_for(&full, &middle, n);
            assert!(pairs.len() <= full.len());
            for _ in 0..20 {
                let mut v: Vec<u64> = (0..n)
                    .map(|_| {
                        state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                        (state >> 33) % 1000
                    })
                    .collect();
                let mut sorted = v.clone();
                sorted.sort_unstable();
                for &(a, b) in &pairs {
                    if v[b] < v[a] {
                        v.swap(a, b);
                    }
                }
                for &m in &middle {
                    assert_eq!(v[m], sorted[m], "n = {n}");
                }
            }
        }
    }

    #[test]
    fn batcher_sorts_every_size_up_to_70() {
        let mut state = 12345u64;
        for n in 1..=70 {
            let pairs = batcher(n);
            for _ in 0..20 {
                let mut v: Vec<u64> = (0..n)
                    .map(|_| {
                        state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                        (state >> 59) % 7
                    })
                    .collect();
                for &(a, b) in &pairs {
                    if v[b] < v[a] {
                        v.swap(a, b);
                    }
                }
                assert!(v.windows(2).all(|w| w[0] <= w[1]), "n = {n}: {v:?}");
            }
        }
    }
}
