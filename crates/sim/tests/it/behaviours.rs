//! Every named behaviour at n = 4 (one faulty member) for a few seeds: no invariant breaks,
//! and each behaviour leaves the trace it should (evidence against the culprit, the
//! culprit outside the supporters, ...).

use byzvote_core::{Evidence, OutcomeKind};
use byzvote_sim::{Outcome, Report, catalog, invariants, run};

const SEEDS: [u64; 2] = [1, 2];

fn runs(name: &str) -> Vec<Report> {
    SEEDS
        .iter()
        .map(|&seed| {
            let s = catalog::scenario(name, seed, 4, 1, 2).expect("known behaviour");
            let r = run(&s).unwrap_or_else(|e| panic!("{name} seed {seed}: {e}"));
            let v = invariants::check(&r);
            assert!(
                v.is_empty(),
                "{name} seed {seed} ({:?}): {v:#?}",
                s.behaviours
            );
            r
        })
        .collect()
}

/// The one misbehaving member.
fn culprit(r: &Report) -> u32 {
    r.members
        .iter()
        .find(|m| m.behaviour != byzvote_sim::Behaviour::Honest)
        .map(|m| m.member)
        .expect("one culprit")
}

/// Every follower's evidence, flattened.
fn evidence(r: &Report) -> Vec<Evidence> {
    r.followers().flat_map(|m| m.evidence.clone()).collect()
}

/// Every request agreed on its true answer, on every running follower.
fn agreed_on_truth(r: &Report) {
    assert_eq!(r.outcome(), Outcome::Agreed, "seed {}", r.seed);
    for q in &r.requests {
        for m in r.followers().filter(|m| m.running) {
            let d = &m.decisions[&q.id].record;
            assert_eq!(d.outcome, OutcomeKind::Agreed);
            assert_eq!(
                d.answer.as_deref(),
                Some(q.truth.as_str()),
                "seed {}",
                r.seed
            );
        }
    }
}

#[test]
fn honest_crash_and_restart() {
    for name in ["honest", "crash", "crash-restart"] {
        for r in runs(name) {
            agreed_on_truth(&r);
        }
    }
}

#[test]
fn silent_and_slow() {
    for r in runs("silent") {
        agreed_on_truth(&r);
        let c = culprit(&r);
        assert!(
            evidence(&r)
                .iter()
                .any(|e| matches!(e, Evidence::NeverCommitted { member, .. } if *member == c))
        );
    }
    for r in runs("slow") {
        agreed_on_truth(&r);
    }
}

#[test]
fn equivocation_and_bad_reveals_are_blamed() {
    for r in runs("equivocate") {
        agreed_on_truth(&r);
        let c = culprit(&r);
        assert!(
            evidence(&r)
                .iter()
                .any(|e| matches!(e, Evidence::Equivocation { member, .. } if *member == c)),
            "seed {}",
            r.seed
        );
    }
    for r in runs("wrong-reveal") {
        agreed_on_truth(&r);
        let c = culprit(&r);
        assert!(
            evidence(&r)
                .iter()
                .any(|e| matches!(e, Evidence::BadReveal { member, .. } if *member == c))
        );
    }
    for r in runs("late-reveal") {
        agreed_on_truth(&r);
    }
}

#[test]
fn lies_collusion_and_backdoors_lose() {
    for name in ["liar", "collude", "backdoor"] {
        for r in runs(name) {
            agreed_on_truth(&r);
            let c = culprit(&r);
            for q in &r.requests {
                let d = &r.members[0].decisions[&q.id].record;
                let lied = r.members[c as usize]
                    .behaviour
                    .answer(c, &q.prompt, &q.truth)
                    .as_deref()
                    != Some(q.truth.as_str());
                assert_eq!(
                    d.dissenters.contains(&c),
                    lied,
                    "{name} seed {}: {d:?}",
                    r.seed
                );
            }
        }
    }
}

#[test]
fn network_faults_heal() {
    for name in ["partition", "split", "lossy"] {
        runs(name);
    }
}

#[test]
fn byzantine_leader_and_forged_decisions_change_nothing() {
    for name in ["invalid-leader", "forged-decision"] {
        for r in runs(name) {
            agreed_on_truth(&r);
        }
    }
}
