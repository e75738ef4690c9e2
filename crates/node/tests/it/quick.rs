//! The quick tiers (1 and 2) on Commonware's deterministic runtime and simulated network:
//! direct asks, member-signed answers, a majority of three, a liar outvoted, a silent member,
//! and no consensus round anywhere.

use crate::common;

use byzvote_core::{
    Canonical, Message, Mode, OutcomeKind, Request, namespace::BYZVOTE_QUICK_DECISION,
};
use byzvote_models::{ModelBackend, Scripted};
use byzvote_node::chain::types::PublicKey;
use byzvote_node::protocol::audit::AuditLog;
use byzvote_node::quick::{self, QuickDecision};
use commonware_codec::Encode as _;
use commonware_cryptography::Verifier as _;
use commonware_runtime::Runner as _;
use std::sync::Arc;
use std::time::Duration;

/// Four nodes with the given model answers (`None`: a model that never answers); node 0
/// serves `request`. Returns the decision and the sorted participants.
fn run(
    seed: u64,
    answers: [Option<&'static str>; 4],
    request: Request,
) -> (QuickDecision, Vec<PublicKey>) {
    let (d, participants, _) = run_logged(seed, answers, request, AuditLog::memory());
    (d, participants)
}

/// Like [`run`], with node 0 appending to `audit`; also returns the limit each node applied.
fn run_logged(
    seed: u64,
    answers: [Option<&'static str>; 4],
    request: Request,
    audit: AuditLog,
) -> (QuickDecision, Vec<PublicKey>, AuditLog) {
    let log = audit.clone();
    let executor = common::runner(seed, Duration::from_secs(60));
    executor.start(|context| async move {
        let (handles, participants) = common::quick_nodes(&context, 4, |i, cfg| {
            let model: Arc<dyn ModelBackend> = match answers[i] {
                Some(a) => Arc::new(Scripted::constant(format!("m{i}"), a)),
                None => Arc::new(Scripted::silent(format!("m{i}"))),
            };
            quick::Config {
                model,
                audit: if i == 0 {
                    audit.clone()
                } else {
                    cfg.audit.clone()
                },
                ..cfg
            }
        })
        .await;
        let decision = handles[0].ask(request.clone()).await.unwrap().unwrap();
        // Asking again names the same vote (no second model call round).
        let again = handles[0].ask(request.clone()).await.unwrap().unwrap();
        assert_eq!(again.record, decision.record, "seed {seed}");
        let remembered = handles[0].get(request.id()).await.unwrap().unwrap();
        assert_eq!(remembered.record, decision.record);
        ((*decision).clone(), participants, log)
    })
}

fn request(tier: u8) -> Request {
    Request::new(
        vec![Message::user("Capital of France?")],
        Mode::Exact,
        tier,
        16,
        0,
    )
    .unwrap()
}

/// Every signature in the decision verifies, and each answer is for this request and member.
fn check_signatures(d: &QuickDecision, participants: &[PublicKey]) {
    let node = &participants[d.signer as usize];
    assert!(node.verify(BYZVOTE_QUICK_DECISION, &d.record.encode(), &d.signature));
    for (m, a) in &d.answers {
        assert_eq!(a.meta.member, *m);
        assert_eq!(a.meta.request, d.record.request);
        assert!(a.verify(&participants[*m as usize]), "member {m}");
    }
}

#[test]
fn tier_1_is_the_serving_nodes_own_model() {
    for seed in 0..3 {
        let (d, participants) = run(seed, [Some("Paris"); 4], request(1));
        assert_eq!(d.record.committee.len(), 1, "seed {seed}");
        assert_eq!(d.record.outcome, OutcomeKind::Agreed);
        assert_eq!(d.record.answer.as_deref(), Some("paris"));
        check_signatures(&d, &participants);
    }
}

#[test]
fn tier_2_is_a_majority_of_three_and_outvotes_one_liar() {
    for seed in 0..5 {
        let (d, participants) = run(seed, [Some("Paris"); 4], request(2));
        assert_eq!(d.record.committee.len(), 3, "seed {seed}");
        assert_eq!(d.record.supporters.len(), 3);
        check_signatures(&d, &participants);

        // Every node but the server lies the same way: the committee holds the server and two
        // liars, so no majority for the truth is possible — the record must say who said what.
        let (d, participants) = run(
            seed,
            [Some("Paris"), Some("Lyon"), Some("Lyon"), Some("Lyon")],
            request(2),
        );
        let server = d.signer;
        assert!(d.record.committee.contains(&server));
        assert_eq!(d.record.answer.as_deref(), Some("lyon"), "seed {seed}");
        assert_eq!(d.record.dissenters, vec![server]);
        check_signatures(&d, &participants);
    }
}

#[test]
fn a_single_liar_among_three_is_outvoted_wherever_it_sits() {
    // Node `liar` lies; whichever committee the request id picks, a liar in it is outvoted.
    for liar in 0..4 {
        let mut answers = [Some("Paris"); 4];
        answers[liar] = Some("Lyon");
        let (d, participants) = run(7, answers, request(2));
        assert_eq!(d.record.outcome, OutcomeKind::Agreed, "liar {liar}");
        assert_eq!(d.record.answer.as_deref(), Some("paris"), "liar {liar}");
        check_signatures(&d, &participants);
    }
}

#[test]
fn a_silent_member_is_recorded_silent_after_the_deadline() {
    for silent in 0..4 {
        let mut answers = [Some("Paris"); 4];
        answers[silent] = None;
        let (d, participants) = run(3, answers, request(2));
        // Two of three still agree when the silent one is in the committee (2 of 3 is a
        // majority); its absence is on the record.
        assert_eq!(d.record.outcome, OutcomeKind::Agreed, "silent {silent}");
        assert_eq!(d.record.supporters.len() + d.record.silent.len(), 3);
        assert!(d.answers.len() >= 2);
        for m in &d.record.silent {
            assert!(!d.answers.contains_key(m));
        }
        check_signatures(&d, &participants);
    }
}

#[test]
fn a_broken_model_abstains_and_never_forms_a_class() {
    assert_ne!(Canonical::abstention(0), Canonical::abstention(1));
    let (d, _) = run(1, [Some(""), Some(""), Some(""), Some("")], request(2));
    // Empty answers do not fit `exact`: every member abstains, no class reaches 2.
    assert_eq!(d.record.outcome, OutcomeKind::NoAgreement);
    assert_eq!(d.record.dissenters.len(), 3);
}
