//! Configuration errors: every rule refuses an `(n, f)` that breaks its requirement, and the
//! message names the rule, `n`, `f` and the requirement.

use byzvote_aggregate::{AggregateError, Matrix, Options, Rule, Vectors, aggregate_rows};

fn rows(n: usize, d: usize) -> Vec<Vec<f64>> {
    (0..n)
        .map(|i| (0..d).map(|j| (i * d + j) as f64).collect())
        .collect()
}

#[test]
fn each_rule_refuses_n_below_its_requirement() {
    let cases = [
        (Rule::Median, 2, 5),
        (Rule::TrimmedMean, 2, 5),
        (Rule::Krum, 2, 7),
        (Rule::MultiKrum, 1, 5),
        (Rule::Bulyan, 2, 11),
        (Rule::GeometricMedian, 3, 7),
        (Rule::CenteredClipping, 1, 3),
        (Rule::Cgc, 1, 3),
    ];
    for (rule, f, min_n) in cases {
        // Exactly at the requirement it works ...
        aggregate_rows(rule, &rows(min_n, 3), f, &Options::default())
            .unwrap_or_else(|e| panic!("{rule} at n = {min_n}, f = {f} should pass: {e}"));
        // ... one below it is refused with the rule's own requirement in the message.
        let err = aggregate_rows::<f64, _>(rule, &rows(min_n - 1, 3), f, &Options::default())
            .unwrap_err();
        let AggregateError::Requirement {
            rule: r,
            n,
            f: ef,
            requirement,
        } = &err
        else {
            panic!("{rule}: expected a requirement error, got {err}");
        };
        assert_eq!((*r, *n, *ef), (rule, min_n - 1, f));
        let msg = err.to_string();
        for needle in [
            rule.name(),
            &format!("n = {}", min_n - 1),
            &format!("f = {f}"),
            requirement,
        ] {
            assert!(
                msg.contains(needle),
                "{rule}: message {msg:?} lacks {needle:?}"
            );
        }
    }
}

#[test]
fn mean_accepts_any_f_but_not_zero_vectors() {
    aggregate_rows(Rule::Mean, &rows(1, 2), 5, &Options::default()).unwrap();
    let empty: Vec<Vec<f64>> = Vec::new();
    let err = aggregate_rows(Rule::Mean, &empty, 0, &Options::default()).unwrap_err();
    assert_eq!(err, AggregateError::Empty { rule: Rule::Mean });
}

#[test]
fn non_finite_input_is_named() {
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let mut r = rows(5, 4);
        r[3][2] = bad;
        let err = aggregate_rows(Rule::Median, &r, 1, &Options::default()).unwrap_err();
        let AggregateError::NonFinite {
            index, coordinate, ..
        } = err
        else {
            panic!("expected NonFinite, got {err}");
        };
        assert_eq!((index, coordinate), (3, 2));
        assert!(
            err.to_string().contains("input vector 3, coordinate 2"),
            "{err}"
        );
    }
}

#[test]
fn multi_krum_m_out_of_range_is_refused() {
    for m in [0, 5] {
        let options = Options {
            m: Some(m),
            ..Options::default()
        };
        let err = aggregate_rows::<f64, _>(Rule::MultiKrum, &rows(5, 2), 1, &options).unwrap_err();
        assert_eq!(
            err,
            AggregateError::BadM {
                m,
                n: 5,
                f: 1,
                max: 4
            }
        );
        assert!(err.to_string().contains(&format!("m = {m}")));
    }
    let options = Options {
        m: Some(4),
        ..Options::default()
    };
    let out = aggregate_rows::<f64, _>(Rule::MultiKrum, &rows(5, 2), 1, &options).unwrap();
    assert_eq!(out.selected.unwrap().len(), 4);
}

#[test]
fn ragged_and_misshapen_inputs_are_refused() {
    let r = vec![vec![1.0, 2.0], vec![3.0], vec![4.0, 5.0]];
    let err = aggregate_rows::<f64, _>(Rule::Mean, &r, 0, &Options::default()).unwrap_err();
    assert_eq!(
        err,
        AggregateError::Ragged {
            index: 1,
            len: 1,
            expected: 2
        }
    );
    let err = Vectors::new(&[1.0f32, 2.0, 3.0], 2, 2).unwrap_err();
    assert_eq!(err, AggregateError::Shape { len: 3, n: 2, d: 2 });
    assert!(Matrix::from_flat(vec![1.0f64; 6], 2, 3).is_ok());
}

#[test]
fn bad_options_are_refused() {
    let r = rows(5, 2);
    let cases = [
        Options {
            tolerance: 0.0,
            ..Options::default()
        },
        Options {
            max_iterations: 0,
            ..Options::default()
        },
        Options {
            clip_radius: Some(-1.0),
            ..Options::default()
        },
        Options {
            center: Some(vec![0.0]),
            ..Options::default()
        },
        Options {
            center: Some(vec![0.0, f64::NAN]),
            ..Options::default()
        },
    ];
    for options in cases {
        let err = aggregate_rows::<f64, _>(Rule::CenteredClipping, &r, 1, &options).unwrap_err();
        assert!(
            matches!(err, AggregateError::BadOption { .. }),
            "{options:?}: {err}"
        );
    }
}

#[test]
fn rule_names_round_trip() {
    for rule in Rule::ALL {
        assert_eq!(rule.name().parse::<Rule>().unwrap(), rule);
        assert_eq!(rule.to_string(), rule.name());
    }
    let err = "krumm".parse::<Rule>().unwrap_err();
    assert!(err.to_string().contains("krumm") && err.to_string().contains("multi-krum"));
}

#[test]
fn zero_dimensional_vectors_give_an_empty_aggregate() {
    for rule in Rule::ALL {
        let (_, min_n) = rule.requirement(0);
        let rows: Vec<Vec<f64>> = vec![Vec::new(); min_n];
        let out = aggregate_rows(rule, &rows, 0, &Options::default()).unwrap();
        assert!(out.vector.is_empty(), "{rule}");
    }
}

#[test]
fn non_finite_f32_input_is_named() {
    let mut r: Vec<Vec<f32>> = vec![vec![1.0; 70]; 7];
    r[6][65] = f32::NAN;
    for rule in Rule::ALL {
        let err = aggregate_rows(rule, &r, 1, &Options::default()).unwrap_err();
        assert!(
            matches!(
                err,
                AggregateError::NonFinite {
                    index: 6,
                    coordinate: 65,
                    ..
                }
            ),
            "{rule}: {err}"
        );
    }
}

#[test]
fn numbers_are_one_coordinate_vectors() {
    use byzvote_aggregate::aggregate_numbers;
    let values = [3.0, 1.0, 2.0, 1e9, 2.5];
    let out = aggregate_numbers(Rule::Median, &values, 2, &Options::default()).unwrap();
    assert_eq!(out.vector, vec![2.5]);
    let err = aggregate_numbers(Rule::Median, &values, 3, &Options::default()).unwrap_err();
    assert!(matches!(
        err,
        AggregateError::Requirement { n: 5, f: 3, .. }
    ));
    let err = aggregate_numbers(Rule::Mean, &[1.0, f64::NAN], 0, &Options::default()).unwrap_err();
    assert!(matches!(
        err,
        AggregateError::NonFinite {
            index: 1,
            coordinate: 0,
            ..
        }
    ));
}
