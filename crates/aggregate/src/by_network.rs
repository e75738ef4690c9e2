//! Median, trimmed mean and Bulyan's coordinate step through comparator networks
//! ([`crate::network`] builds them, [`crate::tiles`] runs them), for `n <= network::MAX_N`.

use crate::error::AggregateError;
use crate::float::Float;
use crate::matrix::Vectors;
use crate::network::{self, Network, batcher, prune_for};
use crate::tiles::{Finish, LANES, Simd, network_tiles};

/// Turns the tile engine's finiteness flag into the usual error (naming the first bad value,
/// found by a second scan that only runs on bad input).
fn checked<T: Float>(
    x: Vectors<'_, T>,
    (out, finite): (Vec<T>, bool),
) -> Result<Vec<T>, AggregateError> {
    if !finite {
        x.check_finite()?;
    }
    Ok(out)
}

/// Coordinate-wise median (mean of the two middle values for even `n`), checking finiteness.
pub(crate) fn median<T: Float>(x: Vectors<'_, T>) -> Result<Vec<T>, AggregateError> {
    median_with::<T, LANES>(x, Simd::detect())
}

pub(crate) fn median_with<T: Float, const L: usize>(
    x: Vectors<'_, T>,
    simd: Simd,
) -> Result<Vec<T>, AggregateError> {
    let n = x.n();
    let all: Vec<usize> = (0..n).collect();
    let middle = [n.saturating_sub(1) / 2, n / 2];
    let net = Network::new(&prune_for(&batcher(n), &middle, n), n, simd.wide());
    checked(
        x,
        network_tiles::<T, _, L>(x, &all, &net, simd, Middle { n }),
    )
}

/// The median from a tile whose middle wire(s) are in place.
struct Middle {
    n: usize,
}

impl<T: Float, const L: usize> Finish<T, L> for Middle {
    #[inline(always)]
    fn finish(&self, tile: &[[T; L]], out: &mut [T]) {
        let n = self.n;
        let upper = &tile[n / 2];
        if n % 2 == 1 {
            out.copy_from_slice(&upper[..out.len()]);
        } else {
            let lower = &tile[n / 2 - 1];
            for ((o, a), b) in out.iter_mut().zip(lower).zip(upper) {
                *o = (*a + *b) * T::from_f64(0.5);
            }
        }
    }
}

/// Coordinate-wise trimmed mean, checking finiteness: the network ([`network::trim`]) leaves
/// the `n - 2f` middle values of each coordinate on wires `f..n-f` (in no particular order),
/// which are summed in `f64` in wire order (exact, so independent of the order, for f32 inputs
/// within about 20 binades of each other) and scaled by `1 / (n - 2f)`. Requires `n >= 2f + 1`.
pub(crate) fn trimmed_mean<T: Float>(
    x: Vectors<'_, T>,
    f: usize,
) -> Result<Vec<T>, AggregateError> {
    trimmed_mean_with::<T, LANES>(x, f, Simd::detect())
}

pub(crate) fn trimmed_mean_with<T: Float, const L: usize>(
    x: Vectors<'_, T>,
    f: usize,
    simd: Simd,
) -> Result<Vec<T>, AggregateError> {
    let n = x.n();
    let all: Vec<usize> = (0..n).collect();
    let net = Network::new(&network::trim(n, f), n, simd.wide());
    let finish = MiddleSum {
        rows: f..n - f,
        scale: 1.0 / (n - 2 * f) as f64,
    };
    checked(x, network_tiles::<T, _, L>(x, &all, &net, simd, finish))
}

/// The scaled f64 sum of tile rows `rows`.
struct MiddleSum {
    rows: std::ops::Range<usize>,
    scale: f64,
}

impl<T: Float, const L: usize> Finish<T, L> for MiddleSum {
    #[inline(always)]
    fn finish(&self, tile: &[[T; L]], out: &mut [T]) {
        // Four rows per pass over the accumulator (64 f64: it lives in memory), so it is
        // loaded and stored a quarter as often (measured -9% for the whole trimmed mean);
        // `a + v0 + v1 + v2 + v3` still adds the rows one at a time in wire order.
        let mut acc = [0.0f64; L];
        let rows = &tile[self.rows.clone()];
        let quads = rows.chunks_exact(4);
        for row in quads.remainder() {
            for (a, v) in acc.iter_mut().zip(row) {
                *a += v.to_f64();
            }
        }
        for q in quads {
            for ((((a, v0), v1), v2), v3) in
                acc.iter_mut().zip(&q[0]).zip(&q[1]).zip(&q[2]).zip(&q[3])
            {
                *a = *a + v0.to_f64() + v1.to_f64() + v2.to_f64() + v3.to_f64();
            }
        }
        for (o, a) in out.iter_mut().zip(&acc) {
            *o = T::from_f64(*a * self.scale);
        }
    }
}

/// Bulyan's coordinate step: per coordinate, the mean of the `beta` of the `rows` values
/// closest to their median. In sorted order those form a window around the median; it is
/// found by dropping, `len - beta` times, whichever end is farther from the median (the upper
/// one on a tie, so the result depends only on the values). The input was checked already.
pub(crate) fn closest_to_median_mean<T: Float>(
    x: Vectors<'_, T>,
    rows: &[usize],
    beta: usize,
) -> Vec<T> {
    let k = rows.len();
    let simd = Simd::detect();
    let net = Network::new(&batcher(k), k, simd.wide());
    let finish = Window { k, beta };
    network_tiles::<T, _, LANES>(x, rows, &net, simd, finish).0
}

/// Bulyan's window mean from a sorted tile of `k` rows.
struct Window {
    k: usize,
    beta: usize,
}

impl<T: Float, const L: usize> Finish<T, L> for Window {
    #[inline(always)]
    fn finish(&self, tile: &[[T; L]], out: &mut [T]) {
        let (k, beta) = (self.k, self.beta);
        let half = T::from_f64(0.5);
        let scale = T::from_f64(1.0 / beta as f64);
        let at = |r: usize, j: usize| tile[r][j];
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            self.0 >> 33
        }
    }

    /// Values on a 1/64 grid below 2^10 in magnitude, with many ties: sums of up to 256 of
    /// them are exact in f64 (and each is exact in f32), so the trimmed mean has one right
    /// answer whatever order the middle values are added in.
    fn grid_values<T: Float>(rng: &mut Lcg, len: usize, levels: u64) -> Vec<T> {
        (0..len)
            .map(|_| T::from_f64((rng.next() % levels) as f64 / 64.0 - (levels / 128) as f64))
            .collect()
    }

    /// Per coordinate: sort, then the median / the f64 sum of the middle `n - 2f` values
    /// scaled by `1 / (n - 2f)`, rounded to `T` once (what `trimmed_mean` promises).
    fn reference<T: Float>(x: Vectors<'_, T>, f: usize) -> (Vec<T>, Vec<T>) {
        let (n, d) = (x.n(), x.d());
        let (mut med, mut tm) = (Vec::new(), Vec::new());
        for j in 0..d {
            let mut v: Vec<T> = (0..n).map(|i| x.row(i)[j]).collect();
            v.sort_by(T::total_cmp);
            med.push(if n % 2 == 1 {
                v[n / 2]
            } else {
                (v[n / 2 - 1] + v[n / 2]) * T::from_f64(0.5)
            });
            let sum: f64 = v[f..n - f].iter().map(|v| v.to_f64()).sum();
            tm.push(T::from_f64(sum * (1.0 / (n - 2 * f) as f64)));
        }
        (med, tm)
    }

    fn bits<T: Float>(v: &[T]) -> Vec<f64> {
        v.iter().map(|x| x.to_f64()).collect()
    }

    /// Every SIMD copy this CPU runs (portable, AVX2, AVX-512F) gives bit-identical medians and
    /// trimmed means, equal to a sort-based reference; sizes cover partial tiles (d not a
    /// multiple of 64), partial register blocks (n not a multiple of 8), the trim network's
    /// halves construction and its Batcher fallback (f close to n / 2), and n = MAX_N.
    fn paths_agree<T: Float>() {
        let mut rng = Lcg(2026);
        let cases = [
            (100, 20, 130),
            (100, 0, 64),
            (37, 5, 70),
            (9, 4, 65),
            (16, 3, 1),
            (41, 20, 64),
            (256, 60, 66),
            (255, 127, 3),
            (2, 0, 129),
            (1, 0, 5),
        ];
        let available = Simd::available();
        for (n, f, d) in cases {
            for levels in [8, 1 << 16] {
                let data = grid_values::<T>(&mut rng, n * d, levels);
                let x = Vectors::new(&data, n, d).unwrap();
                let (med, tm) = reference(x, f);
                for &simd in &available {
                    let what = format!("n = {n}, f = {f}, d = {d}, {}", simd.name());
                    let m = median_with::<T, LANES>(x, simd).unwrap();
                    let t = trimmed_mean_with::<T, LANES>(x, f, simd).unwrap();
                    assert_eq!(bits(&m), bits(&med), "median, {what}");
                    assert_eq!(bits(&t), bits(&tm), "trimmed mean, {what}");
                }
            }
        }
    }

    #[test]
    fn every_simd_path_matches_the_sort_reference_f32() {
        paths_agree::<f32>();
    }

    #[test]
    fn every_simd_path_matches_the_sort_reference_f64() {
        paths_agree::<f64>();
    }

    /// On values that are not on a grid the f64 sum depends (in its last bits) on the order
    /// of the middle values, which differs from sorted order: the paths still agree with each
    /// other bit for bit (same network, same order), and with the reference to f32 rounding.
    #[test]
    fn paths_agree_bit_for_bit_on_arbitrary_values() {
        let mut rng = Lcg(77);
        let (n, f, d) = (100, 20, 200);
        let data: Vec<f32> = (0..n * d)
            .map(|_| (rng.next() as f32 / (1u64 << 31) as f32 - 0.5) * 1e3)
            .collect();
        let x = Vectors::new(&data, n, d).unwrap();
        let (_, tm) = reference(x, f);
        let portable = trimmed_mean_with::<f32, LANES>(x, f, Simd::available()[0]).unwrap();
        for simd in Simd::available() {
            let t = trimmed_mean_with::<f32, LANES>(x, f, simd).unwrap();
            assert_eq!(bits(&t), bits(&portable), "{}", simd.name());
        }
        for (a, b) in portable.iter().zip(&tm) {
            assert!((a - b).abs() <= 1e-4 * b.abs().max(1.0), "{a} vs {b}");
        }
    }

    /// The finiteness check fused into the tile copy names the first bad value, including in
    /// a partial last tile, for every SIMD path.
    #[test]
    fn non_finite_values_are_named_on_every_path() {
        let (n, d) = (12, 70);
        for (at, bad) in [(5 * d + 3, f32::NAN), (11 * d + 69, f32::INFINITY)] {
            let mut data = vec![1.0f32; n * d];
            data[at] = bad;
            let x = Vectors::new(&data, n, d).unwrap();
            for simd in Simd::available() {
                for err in [
                    median_with::<f32, LANES>(x, simd).unwrap_err(),
                    trimmed_mean_with::<f32, LANES>(x, 2, simd).unwrap_err(),
                ] {
                    match err {
                        AggregateError::NonFinite {
                            index, coordinate, ..
                        } => assert_eq!((index, coordinate), (at / d, at % d)),
                        other => panic!("{other:?}"),
                    }
                }
            }
        }
    }
}
