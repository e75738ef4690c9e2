//! Property test: random committees with honest, silent, lying, equivocating and early-revealing
//! members, fed through finalized blocks with random spacing.
//!
//! Checked for every run: the vote terminates; exactly one decision, after at most one close; the
//! record is well-formed; an agreed answer was validly revealed by at least a quorum; evidence
//! never blames a member who followed the protocol; and when a quorum of timely honest members
//! agree, their answer wins. The seed is fixed (deterministic); proptest prints the failing case.

use super::*;
use crate::{Mode, Salt, request::Message};
use proptest::{
    prelude::*,
    test_runner::{Config, RngSeed},
};

const T0: u64 = 10_000;
const TIMEOUT_MS: u64 = 1_000;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Behaviour {
    /// Commits at block `at`, reveals `delay` blocks after the close.
    Honest { answer: u8, at: u64, delay: u64 },
    /// Like honest, but reveals in the same block as its commit (before the close).
    Early { answer: u8, at: u64 },
    /// Never sends anything.
    Silent,
    /// Commits, never reveals.
    CommitOnly { answer: u8, at: u64 },
    /// Commits to one answer, reveals another.
    BadReveal { answer: u8, at: u64, delay: u64 },
    /// Commits twice (different answers) in one block, reveals the first.
    Equivocate { answer: u8, at: u64, delay: u64 },
}

fn behaviour() -> impl Strategy<Value = Behaviour> {
    let answer = 0u8..3;
    let at = 1u64..30;
    let delay = 1u64..8;
    prop_oneof![
        4 => (answer.clone(), at.clone(), delay.clone())
            .prop_map(|(answer, at, delay)| Behaviour::Honest { answer, at, delay }),
        1 => (answer.clone(), at.clone()).prop_map(|(answer, at)| Behaviour::Early { answer, at }),
        1 => Just(Behaviour::Silent),
        1 => (answer.clone(), at.clone()).prop_map(|(answer, at)| Behaviour::CommitOnly { answer, at }),
        1 => (answer.clone(), at.clone(), delay.clone())
            .prop_map(|(answer, at, delay)| Behaviour::BadReveal { answer, at, delay }),
        1 => (answer, at, delay)
            .prop_map(|(answer, at, delay)| Behaviour::Equivocate { answer, at, delay }),
    ]
}

fn scenario() -> impl Strategy<Value = (bool, Vec<Behaviour>, u64)> {
    let sizes = prop_oneof![Just(1usize), Just(3), Just(4), Just(7)];
    (sizes, any::<bool>(), 20u64..400).prop_flat_map(|(m, majority, step)| {
        (
            Just(majority && m == 3),
            proptest::collection::vec(behaviour(), m),
            Just(step),
        )
    })
}

fn text(answer: u8) -> Canonical {
    Canonical(["a", "b", "c", "zzz"][usize::from(answer)].to_string())
}

fn reveal(id: Digest, member: MemberId, answer: u8) -> Reveal {
    Reveal {
        request: id,
        member,
        canonical: text(answer),
        salt: Salt([member as u8 ^ 0x5a; 32]),
    }
}

struct Run {
    actions: Vec<(u64, Action)>,
    /// Member → answer of its valid reveal delivered before the decision.
    delivered: BTreeMap<MemberId, u8>,
    closed: Option<(u64, Vec<MemberId>)>,
    quorum: u32,
}

fn run(majority: bool, behaviours: &[Behaviour], step: u64) -> Run {
    let m = u32::try_from(behaviours.len()).unwrap();
    let bounds = if majority {
        Bounds::majority(m)
    } else {
        Bounds::for_committee(m)
    }
    .unwrap();
    let request = Request {
        messages: vec![Message::user("q")],
        mode: Mode::Exact,
        tier: 3,
        max_tokens: 1,
        client_nonce: 0,
    };
    let id = request.id();
    let timeouts = Timeouts {
        commit: Duration::from_millis(TIMEOUT_MS),
        reveal: Duration::from_millis(TIMEOUT_MS),
    };
    let mut vote = Vote::new(request, id, (0..m).collect(), bounds, T0, timeouts);
    let mut r = Run {
        actions: Vec::new(),
        delivered: BTreeMap::new(),
        closed: None,
        quorum: bounds.quorum(),
    };
    for h in 1..=400u64 {
        let mut out = Vec::new();
        for (i, b) in behaviours.iter().enumerate() {
            let member = i as MemberId;
            let revealing = |delay: u64| {
                r.closed
                    .as_ref()
                    .is_some_and(|(c, set)| h == c + delay && set.contains(&member))
            };
            match *b {
                Behaviour::Honest { answer, at, delay } => {
                    if h == at {
                        out.extend(vote.on_commit(reveal(id, member, answer).commit()));
                    }
                    if revealing(delay) {
                        out.extend(vote.on_reveal(reveal(id, member, answer)));
                        r.delivered.insert(member, answer);
                    }
                }
                Behaviour::Early { answer, at } if h == at => {
                    out.extend(vote.on_commit(reveal(id, member, answer).commit()));
                    out.extend(vote.on_reveal(reveal(id, member, answer)));
                    r.delivered.insert(member, answer);
                }
                Behaviour::CommitOnly { answer, at } if h == at => {
                    out.extend(vote.on_commit(reveal(id, member, answer).commit()));
                }
                Behaviour::BadReveal { answer, at, delay } => {
                    if h == at {
                        out.extend(vote.on_commit(reveal(id, member, answer).commit()));
                    }
                    if revealing(delay) {
                        out.extend(vote.on_reveal(reveal(id, member, (answer + 1) % 3)));
                    }
                }
                Behaviour::Equivocate { answer, at, delay } => {
                    if h == at {
                        out.extend(vote.on_commit(reveal(id, member, answer).commit()));
                        out.extend(vote.on_commit(reveal(id, member, 3).commit()));
                    }
                    if revealing(delay) {
                        out.extend(vote.on_reveal(reveal(id, member, answer)));
                        r.delivered.insert(member, answer);
                    }
                }
                _ => {}
            }
        }
        out.extend(vote.on_block_end(h, T0 + h * step));
        let decided = out.iter().any(|a| matches!(a, Action::Decide(_)));
        for a in out {
            if let Action::CloseCommits { members } = &a {
                r.closed = Some((h, members.clone()));
            }
            r.actions.push((h, a));
        }
        if decided {
            break;
        }
    }
    // Reveals that were not delivered by the member being in the closed set do not count.
    if let Some((_, set)) = &r.closed {
        r.delivered.retain(|m, _| set.contains(m));
    } else {
        r.delivered.clear();
    }
    r
}

fn follows_protocol(b: &Behaviour) -> bool {
    matches!(b, Behaviour::Honest { .. } | Behaviour::Early { .. })
}

proptest! {
    #![proptest_config(Config {
        cases: 512,
        rng_seed: RngSeed::Fixed(0xB12_407E),
        failure_persistence: None,
        ..Config::default()
    })]

    #[test]
    fn decision_is_safe_and_blames_only_the_guilty((majority, behaviours, step) in scenario()) {
        let r = run(majority, &behaviours, step);
        let decides: Vec<&DecisionRecord> = r.actions.iter().filter_map(|(_, a)| match a {
            Action::Decide(d) => Some(d), _ => None }).collect();
        prop_assert_eq!(decides.len(), 1, "terminates with exactly one decision");
        let record = decides[0];
        prop_assert_eq!(record.check(), Ok(()));
        let closes = r.actions.iter().filter(|(_, a)| matches!(a, Action::CloseCommits { .. })).count();
        prop_assert!(closes <= 1);

        // Safety: an agreed answer was validly revealed by at least a quorum of members.
        if let Some(answer) = &record.answer {
            let backers: Vec<MemberId> = r.delivered.iter()
                .filter(|(_, a)| text(**a).as_str() == answer)
                .map(|(m, _)| *m).collect();
            prop_assert!(backers.len() as u32 >= r.quorum, "{answer} backed by {backers:?}");
            for s in &record.supporters {
                prop_assert!(backers.contains(s), "supporter {s} did not reveal {answer}");
            }
        }

        // Blame: faults only for misbehaving members; absences only when true.
        let closed: Vec<MemberId> = r.closed.as_ref().map(|(_, s)| s.clone()).unwrap_or_default();
        for (_, a) in &r.actions {
            if let Action::Evidence(e) = a {
                let m = e.member();
                let b = &behaviours[m as usize];
                if e.is_fault() {
                    prop_assert!(!follows_protocol(b), "fault evidence against {b:?}: {e:?}");
                }
                match e {
                    Evidence::NeverCommitted { .. } => prop_assert!(!closed.contains(&m)),
                    Evidence::NeverRevealed { .. } => {
                        prop_assert!(closed.contains(&m));
                        prop_assert!(!r.delivered.contains_key(&m), "{m} did reveal");
                    }
                    _ => {}
                }
            }
        }

        // Liveness: a quorum of timely honest members with one answer wins.
        for answer in 0..3u8 {
            let timely = behaviours.iter().filter(|b| match **b {
                Behaviour::Honest { answer: a, at, delay } =>
                    a == answer && at * step < TIMEOUT_MS && delay * step < TIMEOUT_MS,
                _ => false,
            }).count();
            if timely as u32 >= r.quorum {
                let want = text(answer);
                prop_assert_eq!(record.answer.as_deref(), Some(want.as_str()));
            }
        }
    }
}

/// `m = 3f+1` members: `f` faulty (any misbehaviour, any timing), the rest honest, agreeing and
/// timely. The honest answer must always win: this is what closing at the first 2f+1 commits
/// would break.
fn honest_majority() -> impl Strategy<Value = (Vec<Behaviour>, u64)> {
    let faulty = prop_oneof![
        Just(Behaviour::Silent),
        (0u8..3, 1u64..10).prop_map(|(answer, at)| Behaviour::CommitOnly { answer, at }),
        (0u8..3, 1u64..10, 1u64..8).prop_map(|(answer, at, delay)| Behaviour::BadReveal {
            answer,
            at,
            delay
        }),
        (1u8..3, 1u64..10, 1u64..8).prop_map(|(answer, at, delay)| Behaviour::Equivocate {
            answer,
            at,
            delay
        }),
    ];
    (prop_oneof![Just(1usize), Just(2)], 20u64..100).prop_flat_map(move |(f, step)| {
        let max = TIMEOUT_MS / step;
        let honest = (1..max, 1..max).prop_map(|(at, delay)| Behaviour::Honest {
            answer: 0,
            at,
            delay,
        });
        (
            proptest::collection::vec(faulty.clone(), f),
            proptest::collection::vec(honest, 2 * f + 1),
            Just(step),
        )
            .prop_flat_map(|(bad, good, step)| {
                let all: Vec<Behaviour> = bad.into_iter().chain(good).collect();
                (Just(all).prop_shuffle(), Just(step))
            })
    })
}

proptest! {
    #![proptest_config(Config {
        cases: 256,
        rng_seed: RngSeed::Fixed(0xB12_407F),
        failure_persistence: None,
        ..Config::default()
    })]

    #[test]
    fn honest_quorum_always_wins((behaviours, step) in honest_majority()) {
        let r = run(false, &behaviours, step);
        let record = r.actions.iter().find_map(|(_, a)| match a {
            Action::Decide(d) => Some(d), _ => None });
        prop_assert_eq!(record.and_then(|d| d.answer.as_deref()), Some("a"));
        for (_, a) in &r.actions {
            if let Action::Evidence(e) = a {
                prop_assert!(!follows_protocol(&behaviours[e.member() as usize]), "{e:?}");
            }
        }
    }
}
