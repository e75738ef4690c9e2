//! Beyond the bound: more than `f` colluding liars in a committee of `3f+1` (n = 4, f = 1).
//!
//! What is and is not detectable:
//!
//! * `f+1` colluders (2 of 4) giving the same wrong answer: the honest members are `2f`, the
//!   colluders `f+1`, and neither class reaches the quorum `2f+1`, so every vote ends
//!   `no_agreement`: the system refuses to decide. Nothing is certified wrong, and nothing
//!   can be blamed either (a consistent lie is not provable misbehaviour).
//! * `2f+1` colluders (3 of 4): their answer reaches the quorum and is certified, with a
//!   valid certificate. No node can tell it from the truth — the protocol only sees answers,
//!   not which one is true — so the cluster cannot detect it; only the simulation, which
//!   knows the truth, flags it (the validity invariant fires: an answer no honest member
//!   gave). This is the limit every answer-voting scheme has.

use byzvote_core::OutcomeKind;
use byzvote_sim::{Invariant, Outcome, catalog, invariants, run};

#[test]
fn f_plus_one_colluders_get_no_agreement() {
    for seed in [1, 2] {
        let s = catalog::scenario("collude", seed, 4, 2, 2).expect("scenario");
        let r = run(&s).expect("run");
        assert_eq!(r.outcome(), Outcome::NoAgreement, "seed {seed}");
        for m in r.followers() {
            for d in m.decisions.values() {
                assert_eq!(d.record.outcome, OutcomeKind::NoAgreement, "seed {seed}");
                assert_eq!(d.record.answer, None);
            }
        }
        // Safety holds: agreement, validity (nothing agreed), certificates, blame.
        assert_eq!(invariants::check(&r), vec![], "seed {seed}");
    }
}

#[test]
fn two_f_plus_one_colluders_win_undetectably() {
    let s = catalog::scenario("collude", 3, 4, 3, 2).expect("scenario");
    let r = run(&s).expect("run");
    assert_eq!(r.outcome(), Outcome::Agreed);
    let honest = r.followers().next().expect("one honest member");
    for q in &r.requests {
        let d = &honest.decisions[&q.id].record;
        assert_eq!(d.answer.as_deref(), Some("collusion"));
        assert_eq!(d.supporters.len(), 3);
    }
    // The certificates verify, the honest member agrees with itself, nobody is blamed:
    // from inside the cluster the run looks clean...
    assert!(invariants::certificates(&r).is_empty());
    assert!(invariants::agreement(&r).is_empty());
    assert!(invariants::blame(&r).is_empty());
    // ... and only the truth the simulation holds shows the wrong answer.
    let v = invariants::validity(&r);
    assert!(
        !v.is_empty() && v.iter().all(|v| v.invariant == Invariant::Validity),
        "{v:?}"
    );
}
