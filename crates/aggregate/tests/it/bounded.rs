//! Bounded influence (DESIGN.md section 5): with at most `f` adversarial vectors, however large,
//! the rules that need not stay inside the honest range still stay within a bounded distance of
//! the honest vectors.
//!
//! * Bulyan: per coordinate within the honest range widened by its width on each side (a kept
//!   Byzantine value is never farther from the median than a dropped honest one).
//! * Geometric median: `|z - c| <= 2(n - f)/(n - 2f) * r` where `c` is the honest mean and `r`
//!   the largest honest distance to it (Chen, Su, Xu 2017, Lemma 2.1 with alpha = f/n).
//! * Centered clipping: each round moves at most `tau`, so `|v - start| <= rounds * tau` and
//!   `tau` (the median distance to the start) is at most the largest honest distance to it.
//! * CGC: every clipped vector has norm at most the (n - f)-th smallest norm, so the output norm
//!   is at most the largest honest norm.

use byzvote_aggregate::{Matrix, Options, Rule, aggregate};
use proptest::prelude::*;

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

fn dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt()
}

/// `(f, honest, adversarial)` with `n = min_n(f) + extra`; attackers anywhere up to 1e9.
fn case(min_n: fn(usize) -> usize) -> impl Strategy<Value = (usize, Vec<Vec<f64>>, Vec<Vec<f64>>)> {
    (0usize..=2, 0usize..=3, 1usize..=4).prop_flat_map(move |(f, extra, d)| {
        let n = min_n(f) + extra;
        let honest = prop::collection::vec(prop::collection::vec(-10.0..10.0f64, d), n - f);
        let big = prop_oneof![-1e9..1e9f64, -100.0..100.0f64];
        let adversarial = prop::collection::vec(prop::collection::vec(big, d), f);
        (Just(f), honest, adversarial)
    })
}

fn rows(honest: &[Vec<f64>], adversarial: &[Vec<f64>]) -> Matrix<f64> {
    let all: Vec<Vec<f64>> = adversarial.iter().chain(honest).cloned().collect();
    Matrix::from_rows(&all).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn bulyan_stays_near_the_honest_range((f, honest, adv) in case(|f| 4 * f + 3)) {
        let out = aggregate(Rule::Bulyan, rows(&honest, &adv).view(), f, &Options::default()).unwrap();
        for (j, v) in out.vector.iter().enumerate() {
            let lo = honest.iter().map(|h| h[j]).fold(f64::MAX, f64::min);
            let hi = honest.iter().map(|h| h[j]).fold(f64::MIN, f64::max);
            let w = hi - lo;
            prop_assert!(*v >= lo - w - 1e-9 && *v <= hi + w + 1e-9, "coordinate {j}: {v} vs [{lo}, {hi}]");
        }
    }

    #[test]
    fn geometric_median_stays_within_its_bound((f, honest, adv) in case(|f| 2 * f + 1)) {
        let n = honest.len() + adv.len();
        let d = honest[0].len();
        let c: Vec<f64> = (0..d).map(|j| honest.iter().map(|h| h[j]).sum::<f64>() / honest.len() as f64).collect();
        let r = honest.iter().map(|h| dist(h, &c)).fold(0.0, f64::max);
        let options = Options { tolerance: 1e-10, max_iterations: 100_000, ..Options::default() };
        let out = aggregate(Rule::GeometricMedian, rows(&honest, &adv).view(), f, &options).unwrap();
        let bound = 2.0 * (n - f) as f64 / (n - 2 * f) as f64 * r;
        let got = dist(&out.vector, &c);
        prop_assert!(got <= bound * (1.0 + 1e-6) + 1e-6, "distance {got} > bound {bound}");
    }

    #[test]
    fn centered_clipping_moves_at_most_rounds_times_tau((f, honest, adv) in case(|f| 2 * f + 1)) {
        let m = rows(&honest, &adv);
        let start = aggregate(Rule::Median, m.view(), f, &Options::default()).unwrap().vector;
        let tau = honest.iter().map(|h| dist(h, &start)).fold(0.0, f64::max);
        let options = Options::default();
        let out = aggregate(Rule::CenteredClipping, m.view(), f, &options).unwrap();
        let moved = dist(&out.vector, &start);
        let bound = options.clip_iterations as f64 * tau;
        prop_assert!(moved <= bound * (1.0 + 1e-9) + 1e-9, "moved {moved} > {bound}");
    }

    #[test]
    fn cgc_output_norm_is_at_most_the_largest_honest_norm((f, honest, adv) in case(|f| 2 * f + 1)) {
        let out = aggregate(Rule::Cgc, rows(&honest, &adv).view(), f, &Options::default()).unwrap();
        let largest = honest.iter().map(|h| norm(h)).fold(0.0, f64::max);
        prop_assert!(norm(&out.vector) <= largest * (1.0 + 1e-9) + 1e-12);
    }
}
