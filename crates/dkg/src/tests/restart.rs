//! A node that crashes mid-ceremony and starts again: with its progress file it resumes the
//! round and every node ends with the same key; without it, the round cannot finish.

use super::cluster::{Scenario, all_ok, run};
use crate::CeremonyError;
use std::time::Duration;

/// Crash points (simulated ms from the start) across the ceremony: before any dealing was
/// taken, after one, after all three, after its own log and some, all logs, one, two and all
/// three confirmations (the last ones while its peers are done and lingering).
const CRASH_AT_MS: &[u64] = &[25, 45, 85, 95, 105, 115, 125, 140, 160];

#[test]
fn a_node_restarted_mid_ceremony_resumes_it_from_its_progress_file() {
    for (seed, &at) in CRASH_AT_MS.iter().enumerate() {
        let seed = 40 + seed as u64;
        let (results, _) = run(Scenario {
            persist: true,
            restart: Some((2, Duration::from_millis(at))),
            ..Scenario::honest(seed, 4)
        });
        let reports = all_ok(results, seed);
        let key = *reports[0].output.group_public_key();
        for (i, r) in reports.iter().enumerate() {
            assert_eq!(
                *r.output.group_public_key(),
                key,
                "seed {seed}, crash at {at} ms: node {i}'s key differs"
            );
            assert_eq!(
                r.output.sharing(),
                reports[0].output.sharing(),
                "seed {seed}"
            );
            // Nobody saw the restarted dealer deal twice or sign two logs.
            assert!(
                r.evidence.is_empty(),
                "seed {seed}, crash at {at} ms: node {i}: {:?}",
                r.evidence
            );
        }
    }
}

#[test]
fn without_a_progress_file_a_restarted_node_cannot_rejoin_the_round() {
    let seed = 46;
    let (results, _) = run(Scenario {
        persist: false,
        restart: Some((2, Duration::from_millis(45))),
        ..Scenario::honest(seed, 4)
    });
    let failed = results
        .iter()
        .filter(|r| {
            matches!(
                r,
                Some(Err(
                    CeremonyError::Timeout { .. } | CeremonyError::Agreement(_)
                ))
            )
        })
        .count();
    assert!(
        failed > 0,
        "seed {seed}: the round finished without persistence"
    );
}

/// Crash points after which the peers finish without the crashed node (it had sent its
/// confirmation), then linger and leave.
const AFTER_ITS_CONFIRMATION_MS: &[u64] = &[95, 105, 115];

#[test]
fn a_node_back_after_its_peers_finished_gets_the_agreed_logs_from_them() {
    for (k, &at) in AFTER_ITS_CONFIRMATION_MS.iter().enumerate() {
        let seed = 60 + k as u64;
        let scenario = |answer| Scenario {
            persist: true,
            restart: Some((2, Duration::from_millis(at))),
            // Far past the others' lingering (400 ms).
            down_for: Duration::from_secs(2),
            answer,
            ..Scenario::honest(seed, 4)
        };
        let reports = all_ok(run(scenario(true)).0, seed);
        let key = *reports[0].output.group_public_key();
        assert!(
            reports.iter().all(|r| *r.output.group_public_key() == key),
            "seed {seed}, crash at {at} ms"
        );
        // Without the finished nodes answering, it waits for them until its deadline.
        let (results, _) = run(scenario(false));
        assert!(
            matches!(results[2], Some(Err(CeremonyError::Timeout { .. }))),
            "seed {seed}, crash at {at} ms: {:?}",
            results[2].as_ref().map(|r| r.as_ref().map(|_| ()))
        );
    }
}
