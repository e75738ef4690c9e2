//! The fast implementations agree with naive, obviously-correct ones (full sorts, explicit
//! distance loops), including at sizes where the parallel tiling kicks in.

use byzvote_aggregate::{Matrix, Options, Rule, aggregate};
use proptest::prelude::*;

fn sorted_column(rows: &[Vec<f64>], j: usize) -> Vec<f64> {
    let mut c: Vec<f64> = rows.iter().map(|r| r[j]).collect();
    c.sort_by(f64::total_cmp);
    c
}

fn naive_median(rows: &[Vec<f64>]) -> Vec<f64> {
    (0..rows[0].len())
        .map(|j| {
            let c = sorted_column(rows, j);
            let n = c.len();
            if n % 2 == 1 {
                c[n / 2]
            } else {
                0.5 * (c[n / 2 - 1] + c[n / 2])
            }
        })
        .collect()
}

fn naive_trimmed(rows: &[Vec<f64>], f: usize) -> Vec<f64> {
    (0..rows[0].len())
        .map(|j| {
            let c = sorted_column(rows, j);
            let kept = &c[f..c.len() - f];
            kept.iter().sum::<f64>() / kept.len() as f64
        })
        .collect()
}

fn naive_krum_scores(rows: &[Vec<f64>], f: usize) -> Vec<f64> {
    let n = rows.len();
    (0..n)
        .map(|i| {
            let mut d: Vec<f64> = (0..n)
                .filter(|&j| j != i)
                .map(|j| {
                    rows[i]
                        .iter()
                        .zip(&rows[j])
                        .map(|(a, b)| (a - b) * (a - b))
                        .sum()
                })
                .collect();
            d.sort_by(f64::total_cmp);
            d[..n - f - 2].iter().sum()
        })
        .collect()
}

fn close(a: &[f64], b: &[f64], tol: f64) -> bool {
    a.iter()
        .zip(b)
        .all(|(x, y)| (x - y).abs() <= tol * (1.0 + x.abs().max(y.abs())))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn coordinate_rules_match_full_sort(
        (f, rows) in (0usize..=3, 0usize..4, 1usize..600).prop_flat_map(|(f, extra, d)| {
            (Just(f), prop::collection::vec(prop::collection::vec(-1e3..1e3f64, d), 2 * f + 1 + extra))
        })
    ) {
        let m = Matrix::from_rows(&rows).unwrap();
        let med = aggregate(Rule::Median, m.view(), f, &Options::default()).unwrap().vector;
        prop_assert!(close(&med, &naive_median(&rows), 1e-12));
        let tm = aggregate(Rule::TrimmedMean, m.view(), f, &Options::default()).unwrap().vector;
        prop_assert!(close(&tm, &naive_trimmed(&rows, f), 1e-12));
        let mean = aggregate(Rule::Mean, m.view(), f, &Options::default()).unwrap().vector;
        prop_assert!(close(&mean, &naive_trimmed(&rows, 0), 1e-12));
    }

    #[test]
    fn krum_matches_explicit_distances(
        (f, rows) in (0usize..=3, 0usize..4, 1usize..40).prop_flat_map(|(f, extra, d)| {
            (Just(f), prop::collection::vec(prop::collection::vec(-1e3..1e3f64, d), 2 * f + 3 + extra))
        })
    ) {
        let scores = naive_krum_scores(&rows, f);
        let best = (0..rows.len()).min_by(|&a, &b| scores[a].total_cmp(&scores[b])).unwrap();
        let m = Matrix::from_rows(&rows).unwrap();
        let krum = aggregate(Rule::Krum, m.view(), f, &Options::default()).unwrap();
        let chosen = krum.selected.unwrap()[0];
        // Equal up to rounding of near-tied scores.
        prop_assert!((scores[chosen] - scores[best]).abs() <= 1e-9 * (1.0 + scores[best]),
            "chose {chosen} (score {}) but best is {best} (score {})", scores[chosen], scores[best]);
    }
}

/// Large enough (n * d >= 2^16) to take the parallel, tiled path, in f32.
#[test]
fn parallel_path_matches_naive_in_f32() {
    let (n, d, f) = (21usize, 5_000usize, 4usize);
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 40) as f32 / (1u64 << 24) as f32 * 200.0 - 100.0
    };
    let rows32: Vec<Vec<f32>> = (0..n).map(|_| (0..d).map(|_| next()).collect()).collect();
    let rows64: Vec<Vec<f64>> = rows32
        .iter()
        .map(|r| r.iter().map(|&v| v as f64).collect())
        .collect();
    let m = Matrix::from_rows(&rows32).unwrap();
    let to64 = |v: Vec<f32>| v.into_iter().map(f64::from).collect::<Vec<f64>>();
    let med = to64(
        aggregate(Rule::Median, m.view(), f, &Options::default())
            .unwrap()
            .vector,
    );
    assert!(close(&med, &naive_median(&rows64), 1e-6));
    let tm = to64(
        aggregate(Rule::TrimmedMean, m.view(), f, &Options::default())
            .unwrap()
            .vector,
    );
    assert!(close(&tm, &naive_trimmed(&rows64, f), 1e-5));
    let scores = naive_krum_scores(&rows64, f);
    let krum = aggregate(Rule::Krum, m.view(), f, &Options::default()).unwrap();
    let chosen = krum.selected.unwrap()[0];
    let best = scores.iter().cloned().fold(f64::MAX, f64::min);
    assert!(
        (scores[chosen] - best).abs() <= 1e-4 * best,
        "{} vs {best}",
        scores[chosen]
    );
}

/// Known answers for the iterative and clipping rules.
#[test]
fn geometric_median_and_clipping_known_answers() {
    // On a line the geometric median of an odd count is the middle point.
    let rows = vec![vec![0.0], vec![1.0], vec![2.0], vec![3.0], vec![100.0]];
    let options = Options {
        tolerance: 1e-12,
        max_iterations: 100_000,
        ..Options::default()
    };
    let gm = aggregate_rows_f64(Rule::GeometricMedian, &rows, 2, &options);
    assert!((gm.vector[0] - 2.0).abs() < 1e-4, "{:?}", gm.vector);
    assert!(gm.convergence.unwrap().converged);

    // A huge clipping radius makes one centered-clipping round exactly the mean.
    let options = Options {
        clip_radius: Some(1e12),
        clip_iterations: 1,
        ..Options::default()
    };
    let cc = aggregate_rows_f64(Rule::CenteredClipping, &rows, 1, &options);
    assert!((cc.vector[0] - 21.2).abs() < 1e-9, "{:?}", cc.vector);

    // CGC clips the largest-norm vector to the (n - f)-th norm: (0 + 1 + 2 + 3 + 3) / 5.
    let cgc = aggregate_rows_f64(Rule::Cgc, &rows, 1, &Options::default());
    assert!((cgc.vector[0] - 1.8).abs() < 1e-12, "{:?}", cgc.vector);

    // Bulyan (n = 7, f = 1): drops the outlier, then averages the beta closest to the median.
    let rows: Vec<Vec<f64>> = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 1e6]
        .iter()
        .map(|&v| vec![v])
        .collect();
    let b = aggregate_rows_f64(Rule::Bulyan, &rows, 1, &Options::default());
    let selected = b.selected.unwrap();
    assert_eq!(selected.len(), 5);
    assert!(!selected.contains(&6));
    assert!(b.vector[0] >= 1.0 && b.vector[0] <= 4.0, "{:?}", b.vector);
}

fn aggregate_rows_f64(
    rule: Rule,
    rows: &[Vec<f64>],
    f: usize,
    options: &Options,
) -> byzvote_aggregate::Aggregate<f64> {
    byzvote_aggregate::aggregate_rows(rule, rows, f, options).unwrap()
}

/// Above the sorting network's limit (n > 256) the selection path is used; it must agree too.
#[test]
fn selection_path_matches_naive_for_large_n() {
    let (n, d, f) = (301usize, 7usize, 60usize);
    let rows: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            (0..d)
                .map(|j| (((i * 7919 + j * 104_729) % 1009) as f64) - 500.0)
                .collect()
        })
        .collect();
    let m = Matrix::from_rows(&rows).unwrap();
    let med = aggregate(Rule::Median, m.view(), f, &Options::default())
        .unwrap()
        .vector;
    assert!(close(&med, &naive_median(&rows), 1e-12));
    let tm = aggregate(Rule::TrimmedMean, m.view(), f, &Options::default())
        .unwrap()
        .vector;
    assert!(close(&tm, &naive_trimmed(&rows, f), 1e-12));
    let even: Vec<Vec<f64>> = rows[..300].to_vec();
    let m = Matrix::from_rows(&even).unwrap();
    let med = aggregate(Rule::Median, m.view(), f, &Options::default())
        .unwrap()
        .vector;
    assert!(close(&med, &naive_median(&even), 1e-12));
}

/// Bulyan's coordinate step: the mean of the beta values closest to the median, computed here
/// by brute force over the rows Bulyan selected; both the network path (theta <= 256) and the
/// sort path (theta > 256) must agree with it.
#[test]
#[allow(clippy::needless_range_loop)]
fn bulyan_matches_brute_force_on_its_selection() {
    for (n, f, d) in [(11usize, 2usize, 300usize), (15, 3, 5), (300, 10, 3)] {
        let rows: Vec<Vec<f64>> = (0..n)
            .map(|i| {
                (0..d)
                    .map(|j| (((i * 7919 + j * 104_729 + i * j) % 2003) as f64) * 0.37 - 300.0)
                    .collect()
            })
            .collect();
        let m = Matrix::from_rows(&rows).unwrap();
        let out = aggregate(Rule::Bulyan, m.view(), f, &Options::default()).unwrap();
        let selected = out.selected.unwrap();
        assert_eq!(selected.len(), n - 2 * f);
        let beta = n - 4 * f;
        for j in 0..d {
            let mut c: Vec<f64> = selected.iter().map(|&i| rows[i][j]).collect();
            c.sort_by(f64::total_cmp);
            let k = c.len();
            let med = if k % 2 == 1 {
                c[k / 2]
            } else {
                0.5 * (c[k / 2 - 1] + c[k / 2])
            };
            // Brute force: the best window of beta consecutive sorted values by the largest
            // distance to the median (ties may pick another window of equal quality).
            let best = (0..=k - beta)
                .map(|s| (med - c[s]).max(c[s + beta - 1] - med))
                .fold(f64::MAX, f64::min);
            let windows: Vec<f64> = (0..=k - beta)
                .filter(|&s| (med - c[s]).max(c[s + beta - 1] - med) == best)
                .map(|s| c[s..s + beta].iter().sum::<f64>() / beta as f64)
                .collect();
            assert!(
                windows
                    .iter()
                    .any(|w| (w - out.vector[j]).abs() <= 1e-9 * (1.0 + w.abs())),
                "n = {n}, f = {f}, coordinate {j}: {} not in {windows:?}",
                out.vector[j]
            );
        }
    }
}

/// Vectors clustered far from the origin in f32, with d spanning several Gram tiles: the
/// centring keeps the Gram-matrix distances accurate enough for Krum to tell the tight honest
/// cluster (spread 0.01) from attackers 0.1 away per coordinate, all around 1000.
#[test]
fn krum_in_f32_far_from_origin_across_gram_tiles() {
    let (n, f, d) = (9usize, 2usize, 20_000usize);
    let mut state = 7u64;
    let mut noise = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.02
    };
    let rows: Vec<Vec<f32>> = (0..n)
        .map(|i| {
            let shift = if i < f { 0.1 } else { 0.0 };
            (0..d).map(|_| 1000.0 + shift + noise()).collect()
        })
        .collect();
    let m = Matrix::from_rows(&rows).unwrap();
    let krum = aggregate(Rule::Krum, m.view(), f, &Options::default()).unwrap();
    assert!(krum.selected.unwrap()[0] >= f);
    let multi = aggregate(Rule::MultiKrum, m.view(), f, &Options::default()).unwrap();
    let mut selected = multi.selected.unwrap();
    selected.sort_unstable();
    assert_eq!(selected, (f..n).collect::<Vec<_>>());
    // Same distances as an explicit loop, to f32 accuracy.
    let rows64: Vec<Vec<f64>> = rows
        .iter()
        .map(|r| r.iter().map(|&v| v as f64).collect())
        .collect();
    let scores = naive_krum_scores(&rows64, f);
    let best = (0..n)
        .min_by(|&a, &b| scores[a].total_cmp(&scores[b]))
        .unwrap();
    assert!(best >= f);
}
