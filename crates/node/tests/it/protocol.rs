//! The voting protocol end to end on Commonware's deterministic runtime and simulated
//! network: the DKG ceremony, then votes with scripted models and deliberate faults.

use crate::common;

use byzvote_core::{Message, Mode, OutcomeKind, Request, namespace::BYZVOTE_DECISION};
use byzvote_dkg::{DkgOutput, GroupSignature, threshold};
use byzvote_models::{ModelBackend, Scripted};
use byzvote_node::node;
use byzvote_node::protocol::executor::Fault;
use byzvote_node::protocol::results::{Decided, Wait};
use commonware_codec::{DecodeExt as _, Encode as _};
use commonware_cryptography::Signer as _;
use commonware_runtime::{Clock as _, Runner as _, Supervisor as _};
use std::sync::Arc;
use std::time::Duration;

/// How one of the four nodes behaves.
#[derive(Clone)]
enum Node {
    Honest(&'static str),
    /// Takes part in the DKG, then never starts.
    Crashed,
    Faulty(&'static str, Fault),
    /// `pick-best`: writes `write` as its candidate, and on the ballot votes for the first
    /// candidate whose text contains `prefer` (ignoring case).
    Picker {
        write: &'static str,
        prefer: &'static str,
    },
}

struct Outcome {
    decided: Vec<Option<Decided>>,
    digest: String,
    /// The request's id, and every node's DKG output (the same group key).
    id: byzvote_core::Digest,
    dkg: Vec<Arc<DkgOutput>>,
}

fn run(seed: u64, nodes: Vec<Node>, mode: Mode) -> Outcome {
    run_tier(seed, nodes, mode, 3, &[])
}

/// `vendors[i]` is member `i`'s declared vendor (none declared when empty).
fn run_tier(
    seed: u64,
    nodes: Vec<Node>,
    mode: Mode,
    tier: u8,
    vendors: &'static [&'static str],
) -> Outcome {
    let executor = common::runner(seed, Duration::from_secs(300));
    executor.start(|context| async move {
        let (keys, participants, oracle) = common::network(&context, nodes.len()).await;
        // The DKG: every node, no dealer.
        let outputs = common::dkg(&context, &oracle, &keys, &participants).await;
        let group_key = *outputs[0].group_public_key();
        assert!(
            outputs.iter().all(|o| *o.group_public_key() == group_key),
            "seed {seed}: group keys differ"
        );

        let mut handles = Vec::new();
        for (i, behaviour) in nodes.iter().enumerate() {
            let (answer, fault) = match behaviour {
                Node::Crashed => {
                    handles.push(None);
                    continue;
                }
                Node::Honest(a) | Node::Picker { write: a, .. } => (*a, None),
                Node::Faulty(a, f) => (*a, Some(*f)),
            };
            let control = oracle.control(keys[i].public_key());
            let channels = common::channels(&oracle, &keys[i].public_key()).await;
            let model: Arc<dyn ModelBackend> = match behaviour {
                Node::Picker { write, prefer } => Arc::new(picker(i, write, prefer)),
                _ => Arc::new(Scripted::constant(format!("model-{i}"), answer)),
            };
            let cfg = node::Config {
                embedder: Some(Arc::new(byzvote_core::semantic::BagOfWords)),
                vendors: participants
                    .iter()
                    .zip(vendors)
                    .map(|(p, v)| (p.clone(), v.to_string()))
                    .collect(),
                fault,
                ..common::config(i, &keys[i], &participants, outputs[i].clone(), model)
            };
            let handle = node::start(
                context.child("node"),
                cfg,
                control.clone(),
                oracle.manager(),
                channels,
            )
            .await
            .unwrap();
            handles.push(Some(handle));
        }

        let request =
            Request::new(vec![Message::user("What is 2+2?")], mode, tier, 32, seed).unwrap();
        let id = request.id();
        let gateway = handles.iter().flatten().next().unwrap().clone();
        let wait = gateway.clone().submit(request);
        let _first = match wait {
            Wait::Pending(rx) => rx.await.expect("decision"),
            Wait::Done(d) => *d,
            Wait::Refused(r) => panic!("seed {seed}: refused: {r}"),
            Wait::Retired => panic!("seed {seed}: a fresh vote cannot be retired"),
        };
        // Every running node assembles the certificate too.
        let mut decided = Vec::new();
        for h in &handles {
            match h {
                None => decided.push(None),
                Some(h) => loop {
                    if let Some(d) = h.results.get(&id) {
                        decided.push(Some(d));
                        break;
                    }
                    context.sleep(Duration::from_millis(50)).await;
                },
            }
        }
        for d in decided.iter().flatten() {
            assert!(
                d.proof.includes(&d.record.encode())
                    && threshold::verify(
                        &group_key,
                        BYZVOTE_DECISION,
                        d.proof.root.as_ref(),
                        &GroupSignature::decode(d.signature.clone()).expect("a group signature")
                    ),
                "seed {seed}: certificate does not verify"
            );
        }
        Outcome {
            decided,
            digest: context.auditor().state(),
            id,
            dkg: outputs,
        }
    })
}

/// A scripted `pick-best` member (see [`Node::Picker`]).
fn picker(i: usize, write: &'static str, prefer: &'static str) -> Scripted {
    Scripted::new(format!("model-{i}"), move |prompt| {
        let last = prompt.messages.last().map_or("", |m| m.content.as_str());
        if !last.contains("Which candidate answers best?") {
            return byzvote_models::ScriptedReply::Answer(write.to_string());
        }
        let choice = last
            .lines()
            .filter_map(|l| l.split_once(". "))
            .find(|(_, text)| text.to_lowercase().contains(prefer))
            .map_or("none", |(n, _)| n);
        byzvote_models::ScriptedReply::Answer(format!("Candidate {choice} is best."))
    })
}

fn agreed(o: &Outcome) -> &Decided {
    let first = o.decided.iter().flatten().next().unwrap();
    for d in o.decided.iter().flatten() {
        assert_eq!(d.record, first.record, "nodes disagree on the decision");
    }
    first
}

#[test]
fn four_honest_nodes_decide() {
    let o = run(1, vec![Node::Honest("4"); 4], Mode::Number { decimals: 0 });
    let d = agreed(&o);
    assert_eq!(d.record.outcome, OutcomeKind::Agreed);
    assert_eq!(d.record.answer.as_deref(), Some("4"));
    assert_eq!(d.record.supporters, vec![0, 1, 2, 3]);
    // Every member's signed report on its model call reached the decision.
    assert_eq!(
        d.meta.keys().copied().collect::<Vec<_>>(),
        vec![0, 1, 2, 3],
        "{:?}",
        d.meta
    );
    assert!(d.meta.values().all(|m| m.model.starts_with("model-")));
}

#[test]
fn one_crashed_node_still_decides() {
    let o = run(
        2,
        vec![
            Node::Honest("4"),
            Node::Honest("4"),
            Node::Crashed,
            Node::Honest("The answer is 4."),
        ],
        Mode::Number { decimals: 0 },
    );
    let d = agreed(&o);
    assert_eq!(d.record.answer.as_deref(), Some("4"));
    assert_eq!(d.record.silent, vec![2]);
}

#[test]
fn wrong_reveal_is_rejected_and_others_decide() {
    let o = run(
        3,
        vec![
            Node::Honest("4"),
            Node::Faulty("4", Fault::WrongReveal),
            Node::Honest("4"),
            Node::Honest("4"),
        ],
        Mode::Exact,
    );
    let d = agreed(&o);
    assert_eq!(d.record.answer.as_deref(), Some("4"));
    assert!(
        d.record.silent.contains(&1),
        "the bad reveal must not count: {:?}",
        d.record
    );
    assert!(!d.record.supporters.contains(&1));
}

#[test]
fn never_revealing_node_is_silent() {
    let o = run(
        4,
        vec![
            Node::Honest("4"),
            Node::Honest("4"),
            Node::Faulty("4", Fault::NeverReveal),
            Node::Honest("4"),
        ],
        Mode::Exact,
    );
    let d = agreed(&o);
    assert_eq!(d.record.answer.as_deref(), Some("4"));
    assert_eq!(d.record.silent, vec![2]);
}

#[test]
fn split_answers_give_no_agreement() {
    let o = run(
        5,
        vec![
            Node::Honest("4"),
            Node::Honest("4"),
            Node::Honest("5"),
            Node::Honest("5"),
        ],
        Mode::Exact,
    );
    let d = agreed(&o);
    assert_eq!(d.record.outcome, OutcomeKind::NoAgreement);
    assert_eq!(d.record.answer, None);
}

#[test]
fn same_seed_same_digest() {
    let a = run(6, vec![Node::Honest("4"); 4], Mode::Exact);
    let b = run(6, vec![Node::Honest("4"); 4], Mode::Exact);
    assert_eq!(a.digest, b.digest);
}

/// Tier 3 on a 7-node cluster: a committee of 4, drawn from the request's beacon (the
/// cluster's threshold signature over the request id, made once it is ordered). Every node
/// draws the same committee; it is exactly the draw that the unique beacon gives, whichever
/// shares made it; and a crashed node outside or inside the committee does not stop it.
#[test]
fn seven_nodes_draw_a_committee_of_four_from_the_beacon() {
    use byzvote_core::namespace::BYZVOTE_BEACON;
    use byzvote_node::protocol::beacon;
    let mut nodes = vec![Node::Honest("4"); 7];
    nodes[5] = Node::Crashed;
    let o = run_tier(7, nodes, Mode::Number { decimals: 0 }, 3, &[]);
    let d = agreed(&o);
    assert_eq!(d.record.committee.len(), 4, "{:?}", d.record);
    // The beacon anyone can recompute from any threshold (5 of 7) of shares.
    let partials: Vec<_> = o.dkg[2..7]
        .iter()
        .map(|out| threshold::partial_sign(out.share(), BYZVOTE_BEACON, o.id.as_ref()))
        .collect();
    let signature = threshold::recover(&o.dkg[0], partials.iter()).unwrap();
    assert!(beacon::verify(
        o.dkg[0].group_public_key(),
        &o.id,
        &signature
    ));
    // Undeclared vendors (each its own) and clean records: equal weights.
    let seats: Vec<byzvote_core::Seat> = (0..7)
        .map(|vendor| byzvote_core::Seat {
            vendor,
            weight: byzvote_core::reputation::FULL,
        })
        .collect();
    let expected =
        byzvote_core::select_diverse(&beacon::seed(&signature), &o.id, &seats, 4, 1).unwrap();
    assert_eq!(d.record.committee, expected);
    if d.record.committee.contains(&5) {
        assert_eq!(d.record.silent, vec![5]);
    } else {
        assert_eq!(d.record.outcome, OutcomeKind::Agreed);
        assert_eq!(d.record.supporters, expected);
    }
}

/// Declared vendors cap the draw: with members 0–2 from vendor a, 3–4 from b, 5 from c and 6
/// from d, a tier-3 committee (f = 1) seats exactly one member of each vendor, so no vendor's
/// shared fault can fill more than f seats.
#[test]
fn a_drawn_committee_seats_at_most_f_members_per_vendor() {
    const VENDORS: &[&str] = &["a", "a", "a", "b", "b", "c", "d"];
    let o = run_tier(
        8,
        vec![Node::Honest("4"); 7],
        Mode::Number { decimals: 0 },
        3,
        VENDORS,
    );
    let d = agreed(&o);
    let mut seated: Vec<&str> = d
        .record
        .committee
        .iter()
        .map(|&m| VENDORS[m as usize])
        .collect();
    seated.sort();
    assert_eq!(seated, ["a", "b", "c", "d"], "{:?}", d.record.committee);
    assert_eq!(d.record.outcome, OutcomeKind::Agreed);
}

#[test]
fn a_wild_vector_does_not_move_the_certified_median() {
    // Member 3's model answers a wild vector; it commits and reveals it like any answer. The
    // certified decision is the coordinate-wise median (f = 1) of the four revealed vectors,
    // which stays within the honest ones.
    let o = run(
        7,
        vec![
            Node::Honest("[1, 2, 3]"),
            Node::Honest("The scores: [1.5, 2, 3]"),
            Node::Honest("```json\n[1, 2.5, 3]\n```"),
            Node::Honest("[1e300, -1e300, 1e300]"),
        ],
        "vector:median".parse().unwrap(),
    );
    let d = agreed(&o);
    let r = &d.record;
    assert_eq!(r.outcome, OutcomeKind::Agreed, "{r:?}");
    assert_eq!(r.mode.to_string(), "vector:median");
    assert_eq!(r.answer.as_deref(), Some("[1.25e0,2e0,3e0]"));
    assert_eq!(r.supporters, vec![0, 1, 2, 3]);
    assert_eq!(
        r.aggregation,
        Some(byzvote_core::Aggregation {
            values: 4,
            f: 1,
            reason: None
        })
    );
    assert_eq!(
        d.revealed.get(&3).map(String::as_str),
        Some("[1e300,-1e300,1e300]")
    );
}

/// `semantic`: three honest members answer with paraphrases, one with the contradiction. The
/// similarities are proposed in a block, re-checked by every validator, and every node decides
/// from the finalized cosines: the paraphrase wins, the contradiction dissents.
#[test]
fn semantic_paraphrases_win_over_a_contradiction() {
    let o = run(
        8,
        vec![
            Node::Honest("Paris is the capital of France."),
            Node::Honest("The capital of France is Paris."),
            Node::Honest("Paris is the capital city of France."),
            Node::Honest("Paris is not the capital of France."),
        ],
        "semantic:0.8".parse().unwrap(),
    );
    let d = agreed(&o);
    let r = &d.record;
    assert_eq!(r.outcome, OutcomeKind::Agreed, "{r:?}");
    assert_eq!(r.supporters, vec![0, 1, 2]);
    assert_eq!(r.dissenters, vec![3]);
    assert!(
        r.answer.as_deref().is_some_and(|a| !a.contains("not")),
        "{r:?}"
    );
    // The record names the cosines decided on: one per pair of the four revealers.
    let cosines = r.cosines.as_ref().expect("semantic records carry cosines");
    assert_eq!(cosines.len(), 6);
    assert_eq!(cosines[0], 10_000, "identical bags of words: {cosines:?}");
}

/// `pick-best`: the committee writes candidates, then votes for the best by number in a
/// derived ballot (an exact class vote). Three members prefer a mutex, one a global variable:
/// the mutex candidate wins, and the record names the ballot, the number and the authors.
#[test]
fn pick_best_certifies_the_candidate_the_committee_votes_for() {
    let o = run(
        9,
        vec![
            Node::Picker {
                write: "Use a mutex.",
                prefer: "mutex",
            },
            Node::Picker {
                write: "Wrap the counter in a Mutex.",
                prefer: "mutex",
            },
            Node::Picker {
                write: "Use a mutex.",
                prefer: "mutex",
            },
            Node::Picker {
                write: "Use a global variable.",
                prefer: "global",
            },
        ],
        Mode::PickBest,
    );
    let d = agreed(&o);
    let r = &d.record;
    assert_eq!(r.outcome, OutcomeKind::Agreed, "{r:?}");
    assert_eq!(r.answer.as_deref(), Some("Use a mutex."));
    assert_eq!(
        (r.supporters.clone(), r.dissenters.clone()),
        (vec![0, 1, 2], vec![3])
    );
    let pick = r
        .pick
        .as_ref()
        .expect("pick-best records name their ballot");
    assert_eq!((pick.choice, pick.authors.clone()), (1, vec![0, 2]));
    // The ballot was certified too, as a class vote on the numbers.
    let node = o.decided.iter().flatten().next().unwrap();
    assert_eq!(node.record.request, o.id);
    assert_ne!(pick.ballot, o.id);
}

/// A node that certifies a vote after its state retired it still shows the vote's revealed
/// answers and reports (the executor keeps them from the decision until it publishes). Nodes
/// keep one decided vote whole; node 3 is cut off while four votes are decided by the other
/// three, then catches up: it applies the backfilled blocks faster than its peers' partials
/// come back, so the earlier votes are retired before it certifies them.
#[test]
fn a_vote_certified_after_it_was_retired_keeps_its_breakdown() {
    let seed = 11;
    let executor = common::runner(seed, Duration::from_secs(600));
    executor.start(|context| async move {
        let model = |i: usize| -> Arc<dyn ModelBackend> {
            Arc::new(Scripted::constant(format!("model-{i}"), "4"))
        };
        let (handles, participants, oracle) =
            common::cluster(&context, 4, model, |cfg| node::Config { retain: 1, ..cfg }).await;
        let cut = participants[3].clone();
        for p in &participants[..3] {
            oracle.remove_link(p.clone(), cut.clone()).await.unwrap();
            oracle.remove_link(cut.clone(), p.clone()).await.unwrap();
        }
        let mut ids = Vec::new();
        for k in 0..4u64 {
            let request = Request::new(
                vec![Message::user(format!("question {k}"))],
                Mode::Number { decimals: 0 },
                3,
                32,
                seed + k,
            )
            .unwrap();
            ids.push(request.id());
            match handles[0].clone().submit(request) {
                Wait::Pending(rx) => {
                    let d = rx.await.expect("decision");
                    assert_eq!(d.record.supporters, vec![0, 1, 2], "seed {seed}");
                }
                _ => panic!("seed {seed}: request {k} was not pending"),
            }
        }
        let link = common::link();
        for p in &participants[..3] {
            oracle
                .add_link(p.clone(), cut.clone(), link.clone())
                .await
                .unwrap();
            oracle
                .add_link(cut.clone(), p.clone(), link.clone())
                .await
                .unwrap();
        }
        for id in &ids {
            let d = loop {
                if let Some(d) = handles[3].results.get(id) {
                    break d;
                }
                context.sleep(Duration::from_millis(10)).await;
            };
            assert_eq!(d.record.supporters, vec![0, 1, 2], "seed {seed}");
            assert_eq!(
                d.revealed.keys().copied().collect::<Vec<_>>(),
                vec![0, 1, 2],
                "seed {seed}: node 3's result for {id:?} lost the revealed answers"
            );
            assert_eq!(
                d.meta.keys().copied().collect::<Vec<_>>(),
                vec![0, 1, 2],
                "seed {seed}: node 3's result for {id:?} lost the reports"
            );
        }
    });
}
