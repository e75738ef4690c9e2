//! Robustness properties from issue 4, checked with proptest (failing seeds are persisted and
//! printed by proptest). Sizes are kept small so the whole file runs in seconds.

use byzvote_aggregate::{Matrix, Options, Rule, aggregate};
use proptest::prelude::*;

const CASES: u32 = 64;

/// `h` honest vectors of dimension `d` with coordinates in `[-100, 100]`.
fn honest(h: usize, d: usize) -> impl Strategy<Value = Vec<Vec<f64>>> {
    prop::collection::vec(prop::collection::vec(-100.0..100.0f64, d), h)
}

/// Attackers chosen after seeing the honest vectors: per coordinate, just outside the honest
/// range (either side), a huge value, or a copy of an honest value.
fn adversarial(honest: &[Vec<f64>], f: usize) -> impl Strategy<Value = Vec<Vec<f64>>> + use<> {
    let d = honest[0].len();
    let lo: Vec<f64> = (0..d)
        .map(|j| honest.iter().map(|v| v[j]).fold(f64::MAX, f64::min))
        .collect();
    let hi: Vec<f64> = (0..d)
        .map(|j| honest.iter().map(|v| v[j]).fold(f64::MIN, f64::max))
        .collect();
    let coord = move |j: usize| {
        let (lo, hi) = (lo[j], hi[j]);
        prop_oneof![
            (0.0..10.0f64).prop_map(move |e| hi + 1.0 + e),
            (0.0..10.0f64).prop_map(move |e| lo - 1.0 - e),
            Just(1e12),
            Just(-1e12),
            lo..=hi,
        ]
    };
    let vector: Vec<_> = (0..d).map(coord).collect();
    prop::collection::vec(vector, f)
}

/// A generated attack: `rows` in a random order, `honest[i]` tells whether row `i` is honest.
#[derive(Debug, Clone)]
struct Case {
    f: usize,
    rows: Vec<Vec<f64>>,
    honest: Vec<bool>,
}

impl Case {
    fn honest_rows(&self) -> Vec<&Vec<f64>> {
        self.rows
            .iter()
            .zip(&self.honest)
            .filter(|(_, h)| **h)
            .map(|(r, _)| r)
            .collect()
    }
}

/// Mixes `honest` and `adversarial` rows in a random order.
fn shuffled(
    f: usize,
    honest: Vec<Vec<f64>>,
    adversarial: Vec<Vec<f64>>,
) -> impl Strategy<Value = Case> {
    let tagged: Vec<(Vec<f64>, bool)> = honest
        .into_iter()
        .map(|r| (r, true))
        .chain(adversarial.into_iter().map(|r| (r, false)))
        .collect();
    Just(tagged).prop_shuffle().prop_map(move |t| {
        let (rows, honest) = t.into_iter().unzip();
        Case { f, rows, honest }
    })
}

/// `n - f` honest rows and `f` adversarial rows chosen after them, `n >= min_n(f)`.
fn attacked(min_n: fn(usize) -> usize) -> impl Strategy<Value = Case> {
    (0usize..=3, 0usize..=3, 1usize..=5)
        .prop_flat_map(move |(f, extra, d)| {
            let n = min_n(f) + extra;
            honest(n - f, d).prop_map(move |h| (f, h))
        })
        .prop_flat_map(|(f, h)| {
            let adv = adversarial(&h, f);
            (Just(f), Just(h), adv)
        })
        .prop_flat_map(|(f, h, a)| shuffled(f, h, a))
}

fn run(
    rule: Rule,
    rows: &[Vec<f64>],
    f: usize,
    options: &Options,
) -> byzvote_aggregate::Aggregate<f64> {
    let m = Matrix::from_rows(rows).unwrap();
    aggregate(rule, m.view(), f, options).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// Median and trimmed mean stay inside the honest per-coordinate range.
    #[test]
    fn median_and_trimmed_mean_stay_in_honest_range(case in attacked(|f| 2 * f + 1)) {
        let honest = case.honest_rows();
        for rule in [Rule::Median, Rule::TrimmedMean] {
            let out = run(rule, &case.rows, case.f, &Options::default()).vector;
            for (j, value) in out.iter().enumerate() {
                let lo = honest.iter().map(|v| v[j]).fold(f64::MAX, f64::min);
                let hi = honest.iter().map(|v| v[j]).fold(f64::MIN, f64::max);
                prop_assert!(*value >= lo - 1e-9 && *value <= hi + 1e-9,
                    "{rule}: coordinate {j} = {value} outside honest range [{lo}, {hi}]");
            }
        }
    }
}
