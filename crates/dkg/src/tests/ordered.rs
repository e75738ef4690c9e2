//! Consensus-backed agreement ([`crate::OrderedLogs`]): tolerates `f` nodes down.

use super::cluster::{NAMESPACE, Scenario, run, sorted_keys};
use crate::threshold;
use commonware_cryptography::Signer as _;

#[test]
fn ordered_agreement_tolerates_one_node_down() {
    let keys = sorted_keys(4);
    for seed in 0..3 {
        let mut s = Scenario::honest(seed, 4);
        s.ordered = true;
        s.down = vec![2];
        let (results, _) = run(s);
        let reports: Vec<_> = results
            .into_iter()
            .enumerate()
            .filter(|(i, _)| *i != 2)
            .map(|(i, r)| match r {
                Some(Ok(r)) => r,
                other => panic!("seed {seed}: node {i}: {other:?}"),
            })
            .collect();
        let out = &reports[0].output;
        assert!(
            reports.iter().all(|r| r.output.sharing() == out.sharing()),
            "seed {seed}"
        );
        // The absent node never acknowledged: its share was revealed by every dealer, as the
        // library intends (at most f such players).
        assert_eq!(out.revealed(), &[keys[2].public_key()], "seed {seed}");
        assert!(
            !out.dealers().contains(&keys[2].public_key()),
            "seed {seed}"
        );
        let msg = b"three of four";
        let partials: Vec<_> = reports
            .iter()
            .map(|r| threshold::partial_sign(r.output.share(), NAMESPACE, msg))
            .collect();
        let sig = threshold::recover(out, &partials).unwrap();
        assert!(
            threshold::verify(out.group_public_key(), NAMESPACE, msg, &sig),
            "seed {seed}"
        );
    }
}

#[test]
fn ordered_agreement_with_all_up_uses_a_quorum_of_dealers() {
    for seed in 0..2 {
        let mut s = Scenario::honest(seed, 7);
        s.ordered = true;
        let reports = super::cluster::all_ok(run(s).0, seed);
        let out = &reports[0].output;
        assert!(
            reports.iter().all(|r| r.output.sharing() == out.sharing()),
            "seed {seed}"
        );
        assert!(out.revealed().is_empty(), "seed {seed}");
        assert_eq!(out.dealers().len(), 5, "seed {seed}: 2f+1 dealers");
    }
}
