//! Failing seeds found by sweeps, kept as named tests.

use byzvote_sim::{Invariant, catalog, invariants, run};

/// Found by the sweep (seed 1003, `crash-restart`, n = 4, 2 votes): member 2 decides
/// vote 0 at height 5, sends its partial, and crashes at 304 ms before the answers of the
/// peers (which had already certified) arrive. Each peer answers a given peer's partial
/// only once per vote (`Collect::answered` in the executor), so after the restart at
/// 801 ms member 2 rebroadcasts its partial every 10 blocks and nobody answers it again:
/// it never certifies vote 0 (its clients would wait forever; safety is unaffected).
///
/// This test asserts the bug is still there, so that fixing it makes this test fail and
/// prompts moving it to `fixed_*` with the opposite assertion.
#[test]
fn known_bug_restarted_member_never_certifies_a_vote_decided_before_its_crash() {
    let s = catalog::scenario("crash-restart", 1003, 4, 1, 2).expect("scenario");
    let r = run(&s).expect("run");
    let v = invariants::check(&r);
    assert_eq!(r.violations, v, "run() reports what check() finds");
    assert!(
        !v.is_empty() && v.iter().all(|v| v.invariant == Invariant::Termination),
        "{v:?}"
    );
    let restarted = &r.members[2];
    assert!(
        restarted.running && restarted.decisions.len() == 1,
        "{restarted:?}"
    );
    // The others certified both votes, the same way.
    assert!(invariants::agreement(&r).is_empty());
    assert!(
        r.members
            .iter()
            .filter(|m| m.member != 2)
            .all(|m| m.decisions.len() == 2)
    );
}

/// Found by the sweep (seed 40, `lossy-net`, n = 4, 3 votes, replayed): the same seed gave
/// two digests. All three votes decide at height 5 and, with lossy links, stay uncertified
/// on some node for a while; `Executor::resend_partials` iterates `collecting`, a
/// `std::collections::HashMap` (random iteration order per map), so the partials go out in
/// a different order on each run. With `collecting` a `BTreeMap` the seed replays
/// identically (checked by hand). The order is random, so one replay may match by chance:
/// this runs ten. Ignored until that one-line change lands in the executor, then it should
/// pass and lose its `#[ignore]`.
#[test]
#[ignore = "known bug: executor resends partials in HashMap order (see doc comment)"]
fn same_seed_same_digest_when_partials_are_resent() {
    let s = catalog::scenario("lossy-net", 40, 4, 1, 3).expect("scenario");
    let a = run(&s).expect("run");
    for _ in 0..10 {
        let b = run(&s).expect("run");
        assert_eq!(invariants::determinism(&a, &b), vec![]);
    }
}
