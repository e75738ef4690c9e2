//! Every invariant can fire: each test fabricates a bad report from a good run and checks
//! that exactly the expected invariant reports it.

use byzvote_core::Evidence;
use byzvote_sim::{Invariant, Report, Scenario, invariants, run};
use commonware_codec::{DecodeExt as _, Encode as _};

fn good(seed: u64) -> Report {
    let report = run(&Scenario::honest(seed, 4, 2)).expect("run");
    assert_eq!(
        invariants::check(&report),
        vec![],
        "seed {seed}: the honest run must be clean"
    );
    report
}

fn fired(v: &[byzvote_sim::Violation]) -> Vec<Invariant> {
    let mut out: Vec<Invariant> = v.iter().map(|v| v.invariant).collect();
    out.dedup();
    out
}

#[test]
fn each_invariant_fires_on_a_fabricated_bad_report() {
    let report = good(11);
    let id = report.requests[0].id;

    // Agreement: one member certified another answer.
    let mut bad = report.clone();
    let d = bad.members[2].decisions.get_mut(&id).expect("decided");
    d.record.answer = Some("5".into());
    assert_eq!(
        fired(&invariants::agreement(&bad)),
        vec![Invariant::Agreement]
    );
    // ... which also breaks its certificate.
    assert_eq!(
        fired(&invariants::certificates(&bad)),
        vec![Invariant::Certificate]
    );

    // Certificate: one member's signature is a valid point but not the group's over the root,
    // or bytes that are not a point at all. The batch check fails, and the one-by-one checks
    // name that member and nobody else.
    let served = &report.members[2].decisions[&id].signature;
    let point = byzvote_dkg::GroupSignature::decode(served.clone()).expect("a point");
    for forged in [(-point).encode(), bytes::Bytes::from_static(&[0xff; 96])] {
        let mut bad = report.clone();
        let member = bad.members[2].member;
        let d = bad.members[2].decisions.get_mut(&id).expect("decided");
        d.signature = forged;
        let v = invariants::certificates(&bad);
        assert_eq!(fired(&v), vec![Invariant::Certificate]);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(
            v[0].detail.starts_with(&format!("member {member}:")),
            "{v:?}"
        );
    }

    // Validity: everyone "agreed" on an answer nobody revealed or gave.
    let mut bad = report.clone();
    for m in &mut bad.members {
        m.decisions.get_mut(&id).expect("decided").record.answer = Some("invented".into());
    }
    assert!(invariants::agreement(&bad).is_empty());
    let v = invariants::validity(&bad);
    assert_eq!(fired(&v), vec![Invariant::Validity]);
    assert!(
        v.iter()
            .any(|v| v.detail.contains("no protocol-following member gave"))
    );
    assert!(v.iter().any(|v| v.detail.contains("fewer than 3")));

    // Termination: a running honest member never certified a request.
    let mut bad = report.clone();
    bad.members[1].decisions.remove(&id);
    assert_eq!(
        fired(&invariants::termination(&bad)),
        vec![Invariant::Termination]
    );

    // Blame: a log accuses an honest member of a bad reveal, another of being absent, and
    // a node blocks an honest peer.
    let mut bad = report.clone();
    bad.members[0].evidence.push(Evidence::BadReveal {
        member: 3,
        request: id,
    });
    bad.members[0].evidence.push(Evidence::NeverCommitted {
        member: 2,
        request: id,
    });
    bad.blocked.push((1, 2));
    let v = invariants::blame(&bad);
    assert_eq!(v.len(), 3, "{v:?}");
    assert_eq!(fired(&v), vec![Invariant::Blame]);

    // Replay: a node's audit log replays to another record than it certified live, or
    // lacks a decision it certified.
    assert!(invariants::replay(&report).is_empty());
    let mut bad = report.clone();
    bad.members[1]
        .replayed
        .get_mut(&id)
        .expect("replayed")
        .answer = Some("5".into());
    bad.members[3].replayed.remove(&id);
    let v = invariants::replay(&bad);
    assert_eq!(v.len(), 2, "{v:?}");
    assert_eq!(fired(&v), vec![Invariant::Replay]);

    // Determinism: another digest for the same seed.
    let mut other = report.clone();
    other.digest.push('0');
    assert_eq!(
        fired(&invariants::determinism(&report, &other)),
        vec![Invariant::Determinism]
    );
}

#[test]
fn same_seed_same_digest_and_another_seed_another() {
    let a = run(&Scenario::honest(21, 4, 2)).expect("run");
    let b = run(&Scenario::honest(21, 4, 2)).expect("run");
    let c = run(&Scenario::honest(22, 4, 2)).expect("run");
    assert!(
        invariants::determinism(&a, &b).is_empty(),
        "seed 21 replays differently"
    );
    assert_ne!(a.digest, c.digest, "seeds 21 and 22 gave the same digest");
}
