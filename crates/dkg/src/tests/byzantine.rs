//! Misbehaving dealers: detected, handled by the library's rules, key still consistent.

use super::cluster::{NAMESPACE, Scenario, all_ok, run, sorted_keys};
use crate::{Evidence, ceremony::Byzantine, threshold};
use commonware_cryptography::{Signer as _, bls12381::dkg::feldman_desmedt::DealerMessageError};

/// Dealer 0 sends player 2 a share that fails its commitment. Player 2 refuses to ack and
/// keeps evidence; the dealer's log must then reveal player 2's share, from which player 2
/// takes it. Everyone ends with the same key and player 2's share signs correctly.
#[test]
fn corrupted_share_is_detected_and_the_key_stays_consistent() {
    let keys = sorted_keys(4);
    for seed in 0..3 {
        let mut s = Scenario::honest(seed, 4);
        s.byzantine = Some((0, Byzantine::CorruptShareFor(keys[2].public_key())));
        let reports = all_ok(run(s).0, seed);
        let key = reports[0].output.group_public_key();
        assert!(
            reports.iter().all(|r| r.output.group_public_key() == key),
            "seed {seed}"
        );
        match reports[2].evidence.as_slice() {
            [
                Evidence::BadDealing {
                    dealer,
                    reason: DealerMessageError::InvalidDealerShare,
                },
            ] => {
                assert_eq!(*dealer, keys[0].public_key(), "seed {seed}")
            }
            other => panic!("seed {seed}: player 2 evidence {other:?}"),
        }
        for i in [0, 1, 3] {
            assert!(
                reports[i].evidence.is_empty(),
                "seed {seed}: node {i} blamed someone"
            );
        }
        // Player 2's share (rebuilt from the reveal) takes part in a valid signature.
        let msg = b"after a bad dealing";
        let partials: Vec<_> = [1, 2, 3]
            .iter()
            .map(|&i| threshold::partial_sign(reports[i].output.share(), NAMESPACE, msg))
            .collect();
        assert!(threshold::verify_partial(
            &reports[0].output,
            &partials[1],
            NAMESPACE,
            msg
        ));
        let sig = threshold::recover(&reports[0].output, &partials).unwrap();
        assert!(threshold::verify(key, NAMESPACE, msg, &sig), "seed {seed}");
    }
}

/// Dealer 1 deals a polynomial of the wrong degree to everyone: every honest player rejects
/// it, the dealer's log is unusable, and the key is built from the other three dealers.
#[test]
fn wrong_degree_dealer_is_excluded() {
    let keys = sorted_keys(4);
    let bad = keys[1].public_key();
    for seed in 0..2 {
        let mut s = Scenario::honest(seed, 4);
        s.byzantine = Some((1, Byzantine::WrongDegree));
        let reports = all_ok(run(s).0, seed);
        let out = &reports[0].output;
        assert!(
            reports.iter().all(|r| r.output.sharing() == out.sharing()),
            "seed {seed}"
        );
        assert!(
            !out.dealers().contains(&bad),
            "seed {seed}: bad dealer used"
        );
        assert_eq!(out.dealers().len(), 3, "seed {seed}");
        for i in [0, 2, 3] {
            assert!(
                reports[i].evidence.iter().any(|e| matches!(
                    e,
                    Evidence::BadDealing {
                        dealer,
                        reason: DealerMessageError::InvalidCommitmentDegree { .. }
                    } if *dealer == bad
                )),
                "seed {seed}: node {i} did not blame the dealer: {:?}",
                reports[i].evidence
            );
        }
    }
}
