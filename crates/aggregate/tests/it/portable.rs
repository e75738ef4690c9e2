//! `Options::portable`: the selection rules agree with the default (Gram-kernel) path on
//! clustered inputs, and the result does not depend on the rayon thread count.

use byzvote_aggregate::{Options, Rule, aggregate_rows};

fn rows(d: usize) -> Vec<Vec<f64>> {
    // Seven vectors of d: six honest ones near (1, 2, 3, …), one far outlier.
    (0..7)
        .map(|i| {
            (0..d)
                .map(|k| {
                    if i == 6 {
                        1e6 - k as f64
                    } else {
                        k as f64 + 0.01 * ((i * 7 + k) % 5) as f64
                    }
                })
                .collect()
        })
        .collect()
}

#[test]
fn portable_selection_matches_the_default_path() {
    let rows = rows(37);
    let portable = Options {
        portable: true,
        ..Options::default()
    };
    for rule in [Rule::Krum, Rule::MultiKrum, Rule::Bulyan] {
        let fast = aggregate_rows(rule, &rows, 1, &Options::default()).unwrap();
        let exact = aggregate_rows(rule, &rows, 1, &portable).unwrap();
        let mut a = fast.selected.clone().unwrap();
        let mut b = exact.selected.clone().unwrap();
        a.sort_unstable();
        b.sort_unstable();
        assert_eq!(
            a, b,
            "{rule}: the two distance paths select different vectors"
        );
        assert!(!b.contains(&6), "{rule}: the outlier was selected: {b:?}");
    }
}

#[test]
fn portable_result_is_the_same_on_one_thread_and_many() {
    // n * d above the crates' parallel thresholds, so the parallel paths (whose chunking
    // depends on the thread count) really run.
    let rows = rows(10_000);
    let portable = Options {
        portable: true,
        ..Options::default()
    };
    let one = rayon_pool(1);
    let four = rayon_pool(4);
    for rule in Rule::ALL {
        let a = one.install(|| aggregate_rows(rule, &rows, 1, &portable).unwrap());
        let b = four.install(|| aggregate_rows(rule, &rows, 1, &portable).unwrap());
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&a.vector), bits(&b.vector), "{rule}");
        assert_eq!(a.selected, b.selected, "{rule}");
    }
}

fn rayon_pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
}
