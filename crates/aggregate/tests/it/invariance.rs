//! Every rule is permutation-invariant, and returns the common vector when all inputs agree.

use byzvote_aggregate::{Matrix, Options, Rule, aggregate};
use proptest::prelude::*;

/// Rows that satisfy every rule's requirement for `f` (Bulyan's `n >= 4f + 3` is the largest).
fn rows_for_all_rules() -> impl Strategy<Value = (usize, Vec<Vec<f64>>, Vec<usize>)> {
    (0usize..=2, 0usize..=3, 1usize..=6).prop_flat_map(|(f, extra, d)| {
        let n = 4 * f + 3 + extra;
        let rows = prop::collection::vec(prop::collection::vec(-50.0..50.0f64, d), n);
        let perm = Just((0..n).collect::<Vec<usize>>()).prop_shuffle();
        (Just(f), rows, perm)
    })
}

fn close(a: &[f64], b: &[f64], tol: f64) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| (x - y).abs() <= tol * (1.0 + x.abs().max(y.abs())))
}

fn options() -> Options {
    Options {
        tolerance: 1e-12,
        max_iterations: 10_000,
        ..Options::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn every_rule_is_permutation_invariant((f, rows, perm) in rows_for_all_rules()) {
        let permuted: Vec<Vec<f64>> = perm.iter().map(|&i| rows[i].clone()).collect();
        let a = Matrix::from_rows(&rows).unwrap();
        let b = Matrix::from_rows(&permuted).unwrap();
        for rule in Rule::ALL {
            let x = aggregate(rule, a.view(), f, &options()).unwrap();
            let y = aggregate(rule, b.view(), f, &options()).unwrap();
            // Summation order changes with the permutation, so compare up to rounding
            // (and the geometric median up to its stopping tolerance).
            let tol = if rule == Rule::GeometricMedian { 1e-6 } else { 1e-9 };
            prop_assert!(close(&x.vector, &y.vector, tol), "{rule}: {:?} vs {:?}", x.vector, y.vector);
            if let (Some(sx), Some(sy)) = (&x.selected, &y.selected) {
                let mut sx = sx.clone();
                let mut sy: Vec<usize> = sy.iter().map(|&i| perm[i]).collect();
                sx.sort_unstable();
                sy.sort_unstable();
                prop_assert_eq!(sx, sy, "{}: selected sets differ", rule);
            }
        }
    }

    #[test]
    fn identical_inputs_give_that_input(v in prop::collection::vec(-1e3..1e3f64, 1..8), f in 0usize..=2, extra in 0usize..3) {
        let n = 4 * f + 3 + extra;
        let rows = vec![v.clone(); n];
        let m = Matrix::from_rows(&rows).unwrap();
        for rule in Rule::ALL {
            let out = aggregate(rule, m.view(), f, &Options::default()).unwrap();
            prop_assert!(close(&out.vector, &v, 1e-12), "{rule}: {:?} vs {:?}", out.vector, v);
        }
        // Also in f32.
        let rows32: Vec<Vec<f32>> = vec![v.iter().map(|&x| x as f32).collect(); n];
        let m32 = Matrix::from_rows(&rows32).unwrap();
        for rule in Rule::ALL {
            let out = aggregate(rule, m32.view(), f, &Options::default()).unwrap();
            for (o, e) in out.vector.iter().zip(&rows32[0]) {
                prop_assert!((o - e).abs() <= 1e-5 * (1.0 + e.abs()), "{rule} f32: {o} vs {e}");
            }
        }
    }
}
