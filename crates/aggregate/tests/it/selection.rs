//! Krum and Multi-Krum select only honest vectors when the honest ones are clustered and the
//! `f` attackers (colluding at one point, or scattered) sit far from the cluster.

use byzvote_aggregate::{Matrix, Options, Rule, aggregate};
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Case {
    f: usize,
    rows: Vec<Vec<f64>>,
    honest: Vec<bool>,
}

/// Honest vectors within +-1 of a centre anywhere in [-1000, 1000]^d; attackers at least 1000
/// away in one coordinate, either all at the same point (collusion) or each on its own.
fn clustered() -> impl Strategy<Value = Case> {
    (0usize..=3, 0usize..=3, 1usize..=5, any::<bool>())
        .prop_flat_map(|(f, extra, d, collude)| {
            let n = 2 * f + 3 + extra;
            let centre = prop::collection::vec(-1000.0..1000.0f64, d);
            let noise = prop::collection::vec(prop::collection::vec(-1.0..1.0f64, d), n - f);
            let far = (
                0..d,
                prop_oneof![1000.0..1e6f64, -1e6..-1000.0f64],
                prop::collection::vec(-1.0..1.0f64, d),
            );
            let attackers = prop::collection::vec(far, f);
            (Just(f), Just(collude), centre, noise, attackers)
        })
        .prop_flat_map(|(f, collude, centre, noise, attackers)| {
            let honest: Vec<Vec<f64>> = noise
                .iter()
                .map(|e| centre.iter().zip(e).map(|(c, x)| c + x).collect())
                .collect();
            let bad: Vec<Vec<f64>> = (0..attackers.len())
                .map(|k| {
                    let (axis, offset, jitter) = if collude {
                        &attackers[0]
                    } else {
                        &attackers[k]
                    };
                    let mut v: Vec<f64> = centre.iter().zip(jitter).map(|(c, x)| c + x).collect();
                    v[*axis] += offset;
                    v
                })
                .collect();
            let tagged: Vec<(Vec<f64>, bool)> = honest
                .into_iter()
                .map(|r| (r, true))
                .chain(bad.into_iter().map(|r| (r, false)))
                .collect();
            Just(tagged).prop_shuffle().prop_map(move |t| {
                let (rows, honest) = t.into_iter().unzip();
                Case { f, rows, honest }
            })
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn krum_and_multi_krum_select_only_honest(case in clustered()) {
        let m = Matrix::from_rows(&case.rows).unwrap();
        let krum = aggregate(Rule::Krum, m.view(), case.f, &Options::default()).unwrap();
        let chosen = krum.selected.unwrap();
        prop_assert_eq!(chosen.len(), 1);
        prop_assert!(case.honest[chosen[0]], "krum chose attacker {}", chosen[0]);
        prop_assert_eq!(&krum.vector, &case.rows[chosen[0]]);

        // Default m = n - f: exactly the honest set.
        let multi = aggregate(Rule::MultiKrum, m.view(), case.f, &Options::default()).unwrap();
        let chosen = multi.selected.unwrap();
        prop_assert_eq!(chosen.len(), case.rows.len() - case.f);
        for i in chosen {
            prop_assert!(case.honest[i], "multi-krum chose attacker {}", i);
        }
    }
}
