//! Verdicts: the encoding, and the reputation rule for an honest cluster whose verifiers catch
//! a wrong answer and for a lying node that fails every answer.

use super::*;
use byzvote_core::{Bounds, Canonical, Mode, reputation};
use commonware_cryptography::{Hasher as _, Sha256};

/// A decided vote of members 0..4 where 0, 1 and 2 agreed on "4" and 3 said "5".
fn decided(nonce: u64) -> DecisionRecord {
    let id = Sha256::hash(&[&nonce.to_be_bytes()]);
    let revealed: BTreeMap<MemberId, Canonical> = [(0, "4"), (1, "4"), (2, "4"), (3, "5")]
        .into_iter()
        .map(|(m, a)| (m, Canonical(a.to_string())))
        .collect();
    let bounds = Bounds::for_committee(4).unwrap();
    DecisionRecord::decide(id, 3, Mode::Exact, &[0, 1, 2, 3], bounds, &revealed, 5, 0)
}

fn fail(record: &DecisionRecord, member: MemberId) -> Verdict {
    Verdict {
        request: record.request,
        member,
        passed: false,
        verifier: "check-facts".into(),
    }
}

#[test]
fn roundtrip_forgery_and_malformed_input() {
    let key = ed25519::PrivateKey::from_seed(1);
    let v = fail(&decided(1), 2).sign(&key);
    let bytes = v.encode();
    let back = SignedVerdict::decode(&bytes).unwrap();
    assert_eq!(back, v);
    assert!(back.verify(&key.public_key()));
    assert!(!back.verify(&ed25519::PrivateKey::from_seed(2).public_key()));
    let mut flipped = back.clone();
    flipped.verdict.passed = true;
    assert!(
        !flipped.verify(&key.public_key()),
        "a flipped verdict must not verify"
    );
    for cut in 0..bytes.len() {
        assert!(
            SignedVerdict::decode(&bytes[..cut]).is_none(),
            "prefix {cut}"
        );
    }
    let mut bad_flag = bytes.clone();
    bad_flag[36] = 7;
    assert!(SignedVerdict::decode(&bad_flag).is_none());
    // A long verifier name is clipped, and still verifies.
    let long = Verdict {
        verifier: "é".repeat(300),
        ..fail(&decided(1), 2)
    }
    .sign(&key);
    let back = SignedVerdict::decode(&long.encode()).unwrap();
    assert!(back.verify(&key.public_key()));
    assert!(back.verdict.verifier.len() <= MAX_VERIFIER);
}

#[test]
fn an_answer_failed_by_f_plus_one_nodes_costs_its_supporters_heavily() {
    // n = 4, f = 1: two honest nodes' verifiers fail the answer 0, 1 and 2 agreed on.
    let record = decided(1);
    assert_eq!(record.supporters, vec![0, 1, 2]);
    let mut rep = Reputation::new(4);
    let mut v = Verdicts::default();
    assert_eq!(
        v.apply(&fail(&record, 3), Some(&record), 1, &mut rep),
        Applied::Unconfirmed
    );
    let after_one = reputation::FULL - reputation::VERDICT;
    assert_eq!(
        rep.weights(),
        &[after_one, after_one, after_one, reputation::FULL]
    );
    assert_eq!(
        v.apply(&fail(&record, 0), Some(&record), 1, &mut rep),
        Applied::Confirmed
    );
    let after_two = after_one - reputation::CONFIRMED;
    assert_eq!(
        rep.weights(),
        &[after_two, after_two, after_two, reputation::FULL]
    );
    // A third failure changes nothing more; nor does a pass.
    assert_eq!(
        v.apply(&fail(&record, 1), Some(&record), 1, &mut rep),
        Applied::Nothing
    );
    let pass = Verdict {
        passed: true,
        ..fail(&record, 2)
    };
    assert_eq!(v.apply(&pass, Some(&record), 1, &mut rep), Applied::Nothing);
    assert_eq!(v.failed(&record.request).map(BTreeSet::len), Some(3));
}

#[test]
fn a_lying_node_cannot_drive_honest_members_below_half_weight() {
    // Member 3 is Byzantine: it fails every answer, many times each.
    let mut rep = Reputation::new(4);
    let mut v = Verdicts::default();
    for nonce in 0..200 {
        let record = decided(nonce);
        for _ in 0..5 {
            let applied = v.apply(&fail(&record, 3), Some(&record), 1, &mut rep);
            assert_ne!(applied, Applied::Confirmed, "one node alone never confirms");
        }
    }
    for m in 0..3 {
        assert_eq!(rep.weight(m), reputation::VERDICT_FLOOR, "member {m}");
    }
    // Taking part in decisions restores them.
    let record = decided(1_000);
    for _ in 0..5 {
        rep.on_decision(&record);
    }
    assert_eq!(rep.weight(0), reputation::FULL);
}

#[test]
fn verdicts_on_votes_not_decided_or_not_agreed_change_nothing() {
    let mut rep = Reputation::new(4);
    let mut v = Verdicts::default();
    let record = decided(1);
    assert_eq!(
        v.apply(&fail(&record, 3), None, 1, &mut rep),
        Applied::Nothing
    );
    let mut split = record.clone();
    split.outcome = OutcomeKind::NoAgreement;
    assert_eq!(
        v.apply(&fail(&record, 3), Some(&split), 1, &mut rep),
        Applied::Nothing
    );
    // A verdict naming another vote than the record it is applied with.
    let other = decided(2);
    assert_eq!(
        v.apply(&fail(&other, 3), Some(&record), 1, &mut rep),
        Applied::Nothing
    );
    assert_eq!(rep, Reputation::new(4));
}
