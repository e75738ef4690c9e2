//! The robust decision: outliers, requirements, invalid values, lengths, records.

use super::*;
use crate::{DecisionRecord, OutcomeKind, Vote, commit::Reveal, commit::Salt, vote::Action};
use commonware_codec::{DecodeExt, Encode};
use commonware_cryptography::Sha256;

fn mode(s: &str) -> Mode {
    s.parse().unwrap()
}

fn reveals(values: &[(MemberId, &str)]) -> BTreeMap<MemberId, Canonical> {
    values
        .iter()
        .map(|(m, v)| (*m, Canonical(v.to_string())))
        .collect()
}

fn bft(m: u32) -> Bounds {
    Bounds::for_committee(m).unwrap()
}

fn record(mode_str: &str, m: u32, values: &[(MemberId, &str)]) -> DecisionRecord {
    let committee: Vec<MemberId> = (0..m).collect();
    let r = DecisionRecord::decide(
        Sha256::fill(0x44),
        if m == 7 { 4 } else { 3 },
        mode(mode_str),
        &committee,
        bft(m),
        &reveals(values),
        9,
        0,
    );
    // Every record the decision makes satisfies the decoder's invariants and round-trips.
    assert_eq!(r.check(), Ok(()), "{r:?}");
    assert_eq!(DecisionRecord::decode(r.encode()).unwrap(), r);
    r
}

const HONEST3: [(MemberId, &str); 3] = [
    (0, "[1e0,2e0,3e0]"),
    (1, "[1.5e0,2e0,3e0]"),
    (2, "[1e0,2.5e0,3e0]"),
];

#[test]
fn median_ignores_one_byzantine_outlier() {
    let mut values = HONEST3.to_vec();
    values.push((3, "[1e300,-1e300,1e300]"));
    let r = record("vector:median", 4, &values);
    assert_eq!(r.outcome, OutcomeKind::Agreed);
    // Per coordinate, the mean of the two middle values: all honest.
    assert_eq!(r.answer.as_deref(), Some("[1.25e0,2e0,3e0]"));
    assert_eq!(
        r.supporters,
        vec![0, 1, 2, 3],
        "coordinate-wise: every value is used"
    );
    assert_eq!(
        r.aggregation,
        Some(Aggregation {
            values: 4,
            f: 1,
            reason: None
        })
    );
    // The mean would have been dragged to the outlier: the mode refuses it.
    assert_eq!("vector:mean".parse::<Mode>(), Err(ModeError::MeanNotRobust));
}

#[test]
fn krum_selects_an_honest_vector_and_names_it() {
    // Committee of 7 (f = 2): five honest vectors near (10, 10), two colluding outliers.
    let values = [
        (0, "[1e1,1e1]"),
        (1, "[1.01e1,1e1]"),
        (2, "[-5e3,5e3]"),
        (3, "[1e1,1.02e1]"),
        (4, "[9.9e0,1e1]"),
        (5, "[-5e3,5.001e3]"),
        (6, "[1e1,9.8e0]"),
    ];
    let r = record("vector:krum", 7, &values);
    assert_eq!(r.outcome, OutcomeKind::Agreed);
    assert_eq!(r.supporters.len(), 1);
    let chosen = r.supporters[0];
    assert!(![2, 5].contains(&chosen), "an outlier was selected: {r:?}");
    // Krum's aggregate is the chosen member's vector, bit for bit.
    let reveal = values.iter().find(|(m, _)| *m == chosen).unwrap().1;
    assert_eq!(r.answer.as_deref(), Some(reveal));
    assert_eq!(
        r.dissenters,
        vec![0, 1, 2, 3, 4, 5, 6]
            .into_iter()
            .filter(|m| *m != chosen)
            .collect::<Vec<_>>()
    );
    assert_eq!(r.aggregation.unwrap().f, 2);

    let multi = record("vector:multi-krum", 7, &values);
    assert_eq!(
        multi.supporters,
        vec![0, 1, 3, 4, 6],
        "n - f = 5 selected, all honest"
    );
    assert_eq!(multi.dissenters, vec![2, 5]);
}

#[test]
fn too_few_values_is_no_agreement_with_a_reason() {
    // Two valid vectors, one abstention, one silent member: median needs 2f+1 = 3.
    let values = [
        (0, "[1e0]"),
        (1, "[2e0]"),
        (2, "(no valid answer from member 2)"),
    ];
    let r = record("vector:median", 4, &values);
    assert_eq!(r.outcome, OutcomeKind::NoAgreement);
    assert_eq!(r.answer, None);
    assert!(r.supporters.is_empty());
    assert_eq!(r.dissenters, vec![0, 1, 2]);
    assert_eq!(r.silent, vec![3]);
    assert_eq!(
        r.aggregation,
        Some(Aggregation {
            values: 2,
            f: 1,
            reason: Some(NoAggregate::TooFewValues)
        })
    );
    // Krum needs 2f+3 = 5: with a committee of 4 it never meets it.
    let r = record(
        "vector:krum",
        4,
        &[(0, "[1e0]"), (1, "[1e0]"), (2, "[1e0]"), (3, "[1e0]")],
    );
    assert_eq!(
        r.aggregation.unwrap().reason,
        Some(NoAggregate::TooFewValues)
    );
}

#[test]
fn a_vector_of_the_wrong_length_is_an_invalid_answer() {
    let mut values = HONEST3.to_vec();
    values.push((3, "[1e9,1e9]"));
    let r = record("vector:median", 4, &values);
    assert_eq!(r.outcome, OutcomeKind::Agreed);
    assert_eq!(r.supporters, vec![0, 1, 2]);
    assert_eq!(r.dissenters, vec![3]);
    assert_eq!(r.answer.as_deref(), Some("[1e0,2e0,3e0]"));
    // A tie between two lengths goes to the smaller one (here: too few of it).
    let tie = [
        (0, "[1e0]"),
        (1, "[1e0]"),
        (2, "[1e0,2e0]"),
        (3, "[1e0,2e0]"),
    ];
    let r = record("vector:median", 4, &tie);
    assert_eq!(r.aggregation.unwrap().values, 2);
    assert_eq!(r.outcome, OutcomeKind::NoAgreement);
}

#[test]
fn malformed_and_non_canonical_reveals_are_invalid_answers() {
    for bad in [
        "[1,2,3]",
        "[NaN,1e0,1e0]",
        "[]",
        "",
        "[1e0, 2e0, 3e0]",
        "[1e999,1e0,1e0]",
    ] {
        let mut values = HONEST3.to_vec();
        values.push((3, bad));
        let r = record("vector:median", 4, &values);
        assert_eq!(r.supporters, vec![0, 1, 2], "{bad:?}");
        assert_eq!(r.dissenters, vec![3], "{bad:?}");
    }
}

#[test]
fn number_aggregate_rounds_like_number_mode() {
    let values = [(0, "3.20"), (1, "3.30"), (2, "3.1"), (3, "1000000.00")];
    // "3.1" is not the number:2 form of itself: invalid. Median of 3.20, 3.30, 1e6 is 3.30.
    let r = record("number:2:median", 4, &values);
    assert_eq!(r.answer.as_deref(), Some("3.30"));
    assert_eq!(r.supporters, vec![0, 1, 3]);
    assert_eq!(r.dissenters, vec![2]);
    // An even count: the mean of the middle two, 3.25, rounded half away from zero.
    let values = [(0, "3.2"), (1, "3.3"), (2, "0.0"), (3, "9.9")];
    let r = record("number:1:median", 4, &values);
    assert_eq!(r.answer.as_deref(), Some("3.3"));
    let r = record(
        "number:0:trimmed-mean",
        4,
        &[(0, "-2"), (1, "-3"), (2, "-4"), (3, "100")],
    );
    // Cuts -4 and 100; the mean of -3 and -2 is -2.5, rounded half away from zero.
    assert_eq!(r.answer.as_deref(), Some("-3"));
}

#[test]
fn an_overflowing_aggregate_fails_without_panicking() {
    let big = "[1.7976931348623157e308]";
    let values = [(0, big), (1, big), (2, big), (3, big)];
    let r = record("vector:trimmed-mean", 4, &values);
    assert_eq!(r.outcome, OutcomeKind::NoAgreement);
    assert_eq!(r.aggregation.unwrap().reason, Some(NoAggregate::Failed));
}

#[test]
fn the_decision_does_not_depend_on_who_sent_what() {
    // The same multiset of values under two member assignments gives the same aggregate (up
    // to rounding for the iterative rules).
    let a = ["[1e0,5e0]", "[2e0,4e0]", "[3e0,3e0]", "[1e9,-1e9]"];
    for rule in [
        "median",
        "trimmed-mean",
        "geometric-median",
        "centered-clipping",
        "cgc",
    ] {
        let first = record(
            &format!("vector:{rule}"),
            4,
            &[(0, a[0]), (1, a[1]), (2, a[2]), (3, a[3])],
        );
        let second = record(
            &format!("vector:{rule}"),
            4,
            &[(0, a[3]), (1, a[2]), (2, a[0]), (3, a[1])],
        );
        // Selection-based rules are exactly order-invariant; the iterative ones sum in member
        // order (fixed, so every node agrees), which may differ in the last bits.
        let (a, b) = (first.answer.unwrap(), second.answer.unwrap());
        if ["median", "trimmed-mean"].contains(&rule) {
            assert_eq!(a, b, "{rule}");
        } else {
            let (x, y) = (vector::decode(&a).unwrap(), vector::decode(&b).unwrap());
            for (u, v) in x.iter().zip(&y) {
                assert!(
                    (u - v).abs() <= 1e-9 * (1.0 + u.abs()),
                    "{rule}: {a} vs {b}"
                );
            }
        }
    }
}

#[test]
fn a_full_vote_decides_the_aggregate() {
    let request = crate::Request::new(
        vec![crate::request::Message::user("scores?")],
        mode("vector:median"),
        3,
        16,
        1,
    )
    .unwrap();
    let id = request.id();
    let timeouts = crate::Timeouts {
        commit: std::time::Duration::from_secs(1),
        reveal: std::time::Duration::from_secs(1),
    };
    let mut vote = Vote::new(request, id, vec![0, 1, 2, 3], bft(4), 0, timeouts);
    let mut values = HONEST3.to_vec();
    values.push((3, "[-1e300,1e300,-1e300]"));
    let reveals: Vec<Reveal> = values
        .iter()
        .map(|(m, v)| Reveal {
            request: id,
            member: *m,
            canonical: Canonical(v.to_string()),
            salt: Salt([*m as u8; 32]),
        })
        .collect();
    for r in &reveals {
        vote.on_commit(r.commit());
    }
    vote.on_block_end(1, 10);
    for r in &reveals {
        vote.on_reveal(r.clone());
    }
    let actions = vote.on_block_end(2, 20);
    // Per coordinate the mean of the two middle values: (1+1)/2, (2+2.5)/2, (3+3)/2.
    let record = actions
        .iter()
        .find_map(|a| match a {
            Action::Decide(r) => Some(r.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(record.answer.as_deref(), Some("[1e0,2.25e0,3e0]"));
    assert_eq!(record.aggregation.unwrap().f, 1);
}

#[test]
fn requests_refuse_a_rule_their_tier_cannot_satisfy() {
    let ask = |m: &str, tier| {
        crate::Request::new(
            vec![crate::request::Message::user("x")],
            mode(m),
            tier,
            8,
            0,
        )
    };
    assert!(ask("vector:median", 1).is_ok());
    assert!(ask("vector:median", 3).is_ok());
    assert!(ask("vector:krum", 4).is_ok());
    let err = ask("vector:krum", 3).unwrap_err();
    assert!(
        err.to_string().contains("krum requires n >= 2f + 3"),
        "{err}"
    );
    assert!(
        ask("vector:bulyan", 5).is_err(),
        "bulyan needs 4f+3 > 3f+1 members"
    );
}

#[test]
fn rule_codes_are_stable_and_distinct() {
    let names: Vec<(u8, &str)> = AggregateRule::ALL
        .into_iter()
        .map(|r| (rule_code(r), r.name()))
        .collect();
    assert_eq!(
        names,
        [
            (0, "mean"),
            (1, "median"),
            (2, "trimmed-mean"),
            (3, "krum"),
            (4, "multi-krum"),
            (5, "bulyan"),
            (6, "geometric-median"),
            (7, "centered-clipping"),
            (8, "cgc"),
        ]
    );
    assert_eq!(rule_from_code(0), None, "the mean is never a vote's rule");
    assert_eq!(rule_from_code(9), None);
}
