//! Honest clusters: completion, agreement, threshold signing, determinism, crash intolerance.

use super::cluster::{NAMESPACE, Scenario, all_ok, run, sorted_keys};
use crate::{CeremonyError, threshold};
use commonware_cryptography::Signer as _;

const MSG: &[u8] = b"decision record bytes";

#[test]
fn four_nodes_agree_on_the_group_key() {
    for seed in 0..3 {
        let (results, _) = run(Scenario::honest(seed, 4));
        let reports = all_ok(results, seed);
        let key = *reports[0].output.group_public_key();
        for (i, r) in reports.iter().enumerate() {
            assert_eq!(
                *r.output.group_public_key(),
                key,
                "seed {seed}: node {i} key differs"
            );
            assert_eq!(
                r.output.sharing(),
                reports[0].output.sharing(),
                "seed {seed}"
            );
            assert_eq!(
                r.output.share().index.get() as usize,
                i,
                "seed {seed}: share index"
            );
            assert!(r.evidence.is_empty(), "seed {seed}: {:?}", r.evidence);
            assert_eq!(r.output.threshold(), 3);
            assert!(r.output.revealed().is_empty(), "seed {seed}");
        }
        let expected: Vec<_> = sorted_keys(4).iter().map(|k| k.public_key()).collect();
        assert_eq!(reports[0].output.participants(), expected.as_slice());
    }
}

#[test]
fn any_three_partials_recover_a_signature_that_verifies() {
    let seed = 11;
    let reports = all_ok(run(Scenario::honest(seed, 4)).0, seed);
    let out = &reports[0].output;
    let partials: Vec<_> = reports
        .iter()
        .map(|r| threshold::partial_sign(r.output.share(), NAMESPACE, MSG))
        .collect();
    for p in &partials {
        assert!(
            threshold::verify_partial(out, p, NAMESPACE, MSG),
            "seed {seed}"
        );
        assert!(
            !threshold::verify_partial(out, p, NAMESPACE, b"other"),
            "seed {seed}"
        );
    }
    let mut sigs = Vec::new();
    for skip in 0..4 {
        let subset: Vec<_> = (0..4)
            .filter(|i| *i != skip)
            .map(|i| &partials[i])
            .collect();
        let sig = threshold::recover(out, subset).unwrap();
        assert!(
            threshold::verify(out.group_public_key(), NAMESPACE, MSG, &sig),
            "seed {seed}"
        );
        assert!(!threshold::verify(
            out.group_public_key(),
            b"other-ns",
            MSG,
            &sig
        ));
        sigs.push(sig);
    }
    assert!(
        sigs.windows(2).all(|w| w[0] == w[1]),
        "threshold signatures are unique"
    );
    assert!(
        threshold::recover(out, &partials[..2]).is_err(),
        "2 < threshold"
    );

    // Hex round trip of what goes into a certificate.
    let key_hex = threshold::key_to_hex(out.group_public_key());
    let sig_hex = threshold::signature_to_hex(&sigs[0]);
    assert_eq!((key_hex.len(), sig_hex.len()), (96, 192));
    assert_eq!(
        threshold::key_from_hex(&key_hex).unwrap(),
        *out.group_public_key()
    );
    assert_eq!(threshold::signature_from_hex(&sig_hex).unwrap(), sigs[0]);
    assert!(threshold::signature_from_hex(&sig_hex[..190]).is_err());
}

#[test]
fn same_seed_gives_same_group_key() {
    let key = |seed| {
        let reports = all_ok(run(Scenario::honest(seed, 4)).0, seed);
        *reports[0].output.group_public_key()
    };
    assert_eq!(key(7), key(7));
    assert_ne!(key(7), key(8));
}

#[test]
fn seven_nodes_complete() {
    let seed = 3;
    let reports = all_ok(run(Scenario::honest(seed, 7)).0, seed);
    assert!(
        reports
            .iter()
            .all(|r| r.output.group_public_key() == reports[0].output.group_public_key())
    );
    assert_eq!(reports[0].output.threshold(), 5);
}

/// The trade-off of the consensus-free agreement: one node down stops the ceremony, and
/// the error names it.
#[test]
fn all_dealers_rule_times_out_naming_the_down_node() {
    let seed = 5;
    let mut s = Scenario::honest(seed, 4);
    s.down = vec![2];
    s.timeouts.total = std::time::Duration::from_secs(5);
    let (results, _) = run(s);
    let down = sorted_keys(4)[2].public_key();
    for (i, r) in results.into_iter().enumerate() {
        match r {
            None => assert_eq!(i, 2),
            Some(Err(CeremonyError::Timeout { missing, .. })) => {
                assert!(
                    missing.contains(&down),
                    "seed {seed}: node {i}: {missing:?}"
                )
            }
            Some(other) => panic!("seed {seed}: node {i}: expected timeout, got {other:?}"),
        }
    }
}

/// Junk from an outsider is dropped; the only evidence names the outsider.
#[test]
fn junk_from_an_outsider_is_dropped() {
    let seed = 13;
    let mut s = Scenario::honest(seed, 4);
    s.noise = true;
    let reports = all_ok(run(s).0, seed);
    let outsider = commonware_cryptography::ed25519::PrivateKey::from_seed(1000).public_key();
    // The junk did arrive: the outsider's dealing was refused and recorded.
    assert!(
        reports.iter().all(|r| !r.evidence.is_empty()),
        "seed {seed}: no junk seen"
    );
    for (i, r) in reports.iter().enumerate() {
        assert_eq!(
            r.output.group_public_key(),
            reports[0].output.group_public_key()
        );
        for e in &r.evidence {
            match e {
                crate::Evidence::BadDealing { dealer, .. } => {
                    assert_eq!(*dealer, outsider, "seed {seed}: node {i}: {e:?}")
                }
                other => panic!("seed {seed}: node {i}: unexpected {other:?}"),
            }
        }
    }
}

/// Lost messages are resent until answered: a lossy network only slows the ceremony.
#[test]
fn lossy_links_still_complete() {
    for seed in 0..3 {
        let mut s = Scenario::honest(seed, 4);
        s.success_rate = 0.7;
        // A node done lingers, answering, then leaves: at 30% loss the last confirmation a
        // straggler needs must get several resends (400 ms = 2 left ~3% of seeds stuck).
        s.timeouts.linger = std::time::Duration::from_secs(1);
        let reports = all_ok(run(s).0, seed);
        let key = reports[0].output.group_public_key();
        assert!(
            reports.iter().all(|r| r.output.group_public_key() == key),
            "seed {seed}"
        );
    }
}

/// An operator starts a node well after the others' dealing grace: the dealers wait for it
/// (without it there is no key: all logs are needed) instead of publishing its shares.
#[test]
fn a_node_started_late_gets_its_shares_dealt_not_revealed() {
    for seed in 0..2 {
        let mut s = Scenario::honest(seed, 4);
        s.late = Some((3, std::time::Duration::from_secs(3)));
        let reports = all_ok(run(s).0, seed);
        let key = reports[0].output.group_public_key();
        for (i, r) in reports.iter().enumerate() {
            assert_eq!(r.output.group_public_key(), key, "seed {seed}: node {i}");
            assert!(
                r.output.revealed().is_empty(),
                "seed {seed}: node {i}: revealed {:?}",
                r.output.revealed()
            );
        }
    }
}
