//! Unit tests with hand-made vectors: each extractor, the pairwise rule, the grouping.

use super::lexicon::{self, NEGATIONS, NO, NOT_ENTITIES, NUMBER_WORDS, SCALES, YES};
use super::*;
use crate::MemberId;
use std::collections::BTreeMap;

fn nums(text: &str) -> Vec<String> {
    extract(text)
        .numbers
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn names(text: &str) -> Vec<String> {
    extract(text).entities
}

#[test]
fn word_lists_are_sorted_for_binary_search() {
    for list in [NEGATIONS, YES, NO, NOT_ENTITIES, lexicon::CLAUSE_WORDS] {
        assert!(list.windows(2).all(|w| w[0] < w[1]), "{list:?}");
    }
    assert!(NUMBER_WORDS.windows(2).all(|w| w[0].0 < w[1].0));
    assert!(SCALES.windows(2).all(|w| w[0].0 < w[1].0));
    assert!(lexicon::DIRECTIONS.windows(2).all(|w| w[0].0 < w[1].0));
    assert!(lexicon::is_negation("doesn't") && lexicon::is_negation("unsafe"));
    assert!(!lexicon::is_negation("note"));
}

#[test]
fn numbers_are_exact_decimals_from_digits_and_words() {
    assert_eq!(nums("17 is prime"), ["17"]);
    assert_eq!(nums("Seventeen is prime."), ["17"]);
    assert_eq!(nums("twenty-five, two hundred and fifty"), ["25", "250"]);
    assert_eq!(nums("It costs $1,200.50 or 1200.5 dollars"), ["1200.5"]);
    assert_eq!(nums("1.5 million people, 1,500,000 people"), ["1500000"]);
    assert_eq!(nums("three thousand"), ["3000"]);
    assert_eq!(nums("one thousand two hundred"), ["1200"]);
    assert_eq!(
        nums("Take 200-400 mg every 4 to 6 hours"),
        ["4", "6", "200", "400"]
    );
    assert_eq!(nums("It was -5 degrees, and COVID-19 spread"), ["-5", "19"]);
    assert_eq!(nums("0.50, .5 and 2.50"), ["0.5", "2.5"]);
    assert_eq!(nums("1,2 and 1,2345"), ["2", "2345"]);
    assert_eq!(nums("Take ２ tablets"), ["2"], "full-width digits via NFKC");
}

#[test]
fn the_number_one_is_an_article_not_a_claim() {
    assert!(nums("Take one tablet.").is_empty());
    assert!(nums("Take 1 tablet.").is_empty());
    assert_eq!(nums("one or two tablets"), ["2"]);
    assert_eq!(nums("1 in 10 people"), ["10"]);
    assert_eq!(nums("-1"), ["-1"]);
}

#[test]
fn spelled_numbers_split_where_english_would() {
    assert_eq!(nums("five six"), ["5", "6"]);
    assert_eq!(nums("twenty twenty"), ["20"]);
    assert_eq!(nums("ninety nine"), ["99"]);
    assert_eq!(nums("a hundred"), ["100"]);
    assert_eq!(nums("two and three"), ["2", "3"]);
}

#[test]
fn negations_count_words_contractions_and_negative_forms() {
    let f = extract("17 is not a prime number.");
    assert_eq!(f.negations, ["not"]);
    assert!(f.negated);
    assert!(extract("It isn’t safe").negated, "curly apostrophe");
    assert!(extract("You can't do that").negated);
    assert!(extract("It is unsafe for children").negated);
    assert!(!extract("It is not unsafe").negated, "double negation");
    assert!(!extract("17 is a prime number.").negated);
    assert!(!extract("Nothing is wrong with it").negated);
    assert!(
        extract("Withdrawals are tax-free.").negated,
        "X-free is without X"
    );
    assert!(!extract("Feel free to ask.").negated);
    assert!(extract("You can go without a lawyer.").negated);
}

#[test]
fn negation_is_per_clause_so_two_negated_clauses_stay_negated() {
    let f = extract("Antibiotics are not effective against viruses, so they will not cure a cold.");
    assert_eq!(f.negations, ["not", "not"]);
    assert!(f.negated);
    assert!(extract("It does not work and it is not safe").negated);
    assert!(extract("Yes, you can, but do not exceed the dose").negated);
}

#[test]
fn directions_are_up_down_or_both() {
    let f = extract("When interest rates rise, bond prices fall.");
    assert!(f.up && f.down);
    let g = extract("Index funds have lower fees.");
    assert!(!g.up && g.down);
    assert!(!extract("The capital is Canberra.").up);
}

#[test]
fn a_leading_yes_or_no_is_a_verdict_not_a_negation() {
    let f = extract("No, you should not take them together.");
    assert_eq!(f.verdict, Some(Verdict::No));
    assert_eq!(f.negations, ["not"]);
    assert_eq!(extract("Yes.").verdict, Some(Verdict::Yes));
    assert_eq!(extract("**False**: it is legal").verdict, Some(Verdict::No));
    let g = extract("No evidence links vaccines to autism.");
    assert_eq!(g.verdict, None);
    assert_eq!(g.negations, ["no"]);
}

#[test]
fn names_are_capitalised_mid_sentence_or_acronyms() {
    assert_eq!(
        names("The capital of Australia is Canberra."),
        ["australia", "canberra"]
    );
    assert_eq!(names("Paris is the capital of France."), ["france"]);
    assert_eq!(names("The FDA approved it. Then I left."), ["fda"]);
    assert_eq!(names("Short Answer: No. See the IRS's rules"), ["irs"]);
    assert_eq!(names("Ask your Doctor"), ["doctor"]);
    assert_eq!(
        extract("Canberra is the capital. The answer is yes.").possible_names,
        ["canberra"]
    );
}

#[test]
fn a_name_is_mentioned_by_a_word_with_its_stem() {
    let f = extract("Australian and Canadian sunlight, from Iraq");
    for name in ["australia", "canada", "sun", "iraq"] {
        assert!(f.mentions(name), "{name}");
    }
    for name in ["austria", "iran", "canberra", "x", ""] {
        assert!(!f.mentions(name) || name.is_empty(), "{name}");
    }
}

fn unit(v: &[f32]) -> Vec<f32> {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter().map(|x| x / n).collect()
}

/// Two answers whose embeddings have the given cosine (hand-made 2-d vectors).
fn pair(a: &str, b: &str, cos: f32) -> (Answer, Answer) {
    let s = (1.0 - cos * cos).max(0.0).sqrt();
    (
        Answer::new(a, vec![1.0, 0.0]),
        Answer::new(b, unit(&[cos, s])),
    )
}

fn verdict(a: &str, b: &str, cos: f32) -> Judgement {
    let (x, y) = pair(a, b, cos);
    let j = judge(&SemanticConfig::default(), &x, &y);
    let k = judge(&SemanticConfig::default(), &y, &x);
    assert_eq!(j.agree, k.agree, "the rule is symmetric");
    j
}

#[test]
fn the_rule_keeps_paraphrases_and_splits_what_cosine_blurs() {
    let j = verdict("17 is a prime number.", "Seventeen is prime.", 0.9);
    assert!(j.agree, "{}", j.reason);
    let j = verdict("17 is a prime number.", "17 is not a prime number.", 0.96);
    assert!(
        matches!(j.reason, Reason::OppositePolarity { .. }),
        "{}",
        j.reason
    );
    let j = verdict("Yes, it is safe.", "No, it is safe.", 0.95);
    assert!(
        matches!(j.reason, Reason::OppositeVerdicts { .. }),
        "{}",
        j.reason
    );
    let j = verdict(
        "The limit is 4 grams a day.",
        "The limit is 3 grams a day.",
        0.97,
    );
    assert_eq!(
        j.reason.to_string(),
        "different numbers: only A has 4; only B has 3"
    );
    let j = verdict(
        "The capital of Australia is Sydney.",
        "The capital of Australia is Canberra.",
        0.9,
    );
    assert!(
        matches!(j.reason, Reason::DifferentNames { .. }),
        "{}",
        j.reason
    );
    let j = verdict(
        "Paris is the capital of France.",
        "The capital of France is Paris.",
        0.99,
    );
    assert!(
        j.agree,
        "a name at a sentence start still counts as mentioned: {}",
        j.reason
    );
    let j = verdict(
        "Canberra is the capital of Australia.",
        "The capital of Australia is Sydney.",
        0.9,
    );
    assert!(
        matches!(j.reason, Reason::DifferentNames { .. }),
        "a possible name against a name: {}",
        j.reason
    );
    let j = verdict(
        "Everest is the highest peak.",
        "Everest is the highest peak on Earth.",
        0.95,
    );
    assert!(
        j.agree,
        "a name only one side adds is not a substitution: {}",
        j.reason
    );
    let j = verdict(
        "Index funds have lower fees.",
        "Index funds have higher fees.",
        0.97,
    );
    assert!(
        matches!(j.reason, Reason::OppositeDirections { .. }),
        "{}",
        j.reason
    );
    let j = verdict(
        "When rates rise, bond prices fall.",
        "Bond prices drop as rates go up.",
        0.9,
    );
    assert!(j.agree, "{}", j.reason);
    let j = verdict("17 is a prime number.", "Seventeen is prime.", 0.77);
    assert!(
        matches!(j.reason, Reason::Dissimilar { .. }),
        "{}",
        j.reason
    );
    assert!(
        j.reason.to_string().contains("0.770 < 0.775"),
        "{}",
        j.reason
    );
}

#[test]
fn a_nan_or_mismatched_embedding_never_agrees() {
    let a = Answer::new("x", vec![1.0, 0.0]);
    let b = Answer::new("x", vec![f32::NAN, 0.0]);
    assert!(!judge(&SemanticConfig::default(), &a, &b).agree);
    let c = Answer::new("x", vec![1.0, 0.0, 0.0]);
    assert!(!judge(&SemanticConfig::default(), &a, &c).agree);
    assert!(judge(&SemanticConfig::default(), &a, &a).agree);
}

#[test]
fn config_parses_and_prints_back() {
    let d: SemanticConfig = "semantic".parse().unwrap();
    assert_eq!(d, SemanticConfig::default());
    assert_eq!(d.to_string(), "semantic");
    for (s, milli, shown) in [
        ("semantic:0.85", 850, "semantic:0.85"),
        ("Semantic:.9", 900, "semantic:0.9"),
        ("semantic:1", 1000, "semantic:1"),
        ("semantic:0.805", 805, "semantic:0.805"),
        ("semantic:1.000", 1000, "semantic:1"),
    ] {
        let c: SemanticConfig = s.parse().unwrap();
        assert_eq!(c.threshold_milli(), milli, "{s}");
        assert_eq!(c.to_string(), shown);
        assert_eq!(shown.parse::<SemanticConfig>().unwrap(), c);
    }
    for bad in [
        "semantic:",
        "semantic:0",
        "semantic:1.5",
        "semantic:0.8555",
        "semantic:-0.5",
        "semantic:abc",
        "semantic:0.8:1",
        "semantic:1e-1",
    ] {
        let e = bad.parse::<SemanticConfig>().unwrap_err();
        assert!(
            matches!(e, SemanticConfigError::BadThreshold(_)),
            "{bad}: {e}"
        );
        assert!(e.to_string().contains("e.g. semantic:0.85"), "{e}");
    }
    assert!(matches!(
        "exact".parse::<SemanticConfig>(),
        Err(SemanticConfigError::NotSemantic(_))
    ));
    assert_eq!(
        SemanticConfig::from_param(Some("0.7")).unwrap().threshold(),
        0.7
    );
}

/// Agreement among members 0..n from a list of agreeing pairs.
fn relation(pairs: &[(MemberId, MemberId)]) -> impl FnMut(MemberId, MemberId) -> bool + '_ {
    |a, b| pairs.contains(&(a, b)) || pairs.contains(&(b, a))
}

#[test]
fn grouping_takes_the_largest_clique_so_one_liar_cannot_split_the_honest() {
    // Honest 1, 2, 3 all agree; the liar 0 agrees with 1 only. Greedy in member order would
    // give {0, 1}, {2, 3}: no quorum of 3.
    let pairs = [(1, 2), (1, 3), (2, 3), (0, 1)];
    assert_eq!(
        group_by(&[0, 1, 2, 3], relation(&pairs)),
        vec![vec![1, 2, 3], vec![0]]
    );
}

#[test]
fn grouping_is_complete_linkage_never_a_chain() {
    // 0 ~ 1 ~ 2 but 0 !~ 2 ("X", "maybe X", "not X").
    let pairs = [(0, 1), (1, 2)];
    assert_eq!(
        group_by(&[0, 1, 2], relation(&pairs)),
        vec![vec![0, 1], vec![2]]
    );
    assert_eq!(group_by(&[], relation(&pairs)), Vec::<Vec<MemberId>>::new());
}

#[test]
fn grouping_ignores_the_input_order() {
    let pairs = [
        (0, 2),
        (2, 5),
        (0, 5),
        (1, 3),
        (3, 4),
        (1, 4),
        (4, 6),
        (3, 6),
        (1, 6),
    ];
    let want = group_by(&[0, 1, 2, 3, 4, 5, 6], relation(&pairs));
    assert_eq!(want, vec![vec![1, 3, 4, 6], vec![0, 2, 5]]);
    let mut ids: Vec<MemberId> = (0..7).collect();
    // Every rotation and the reversal of the member list.
    for r in 0..7 {
        ids.rotate_left(1);
        assert_eq!(group_by(&ids, relation(&pairs)), want, "rotation {r}");
    }
    ids.reverse();
    assert_eq!(group_by(&ids, relation(&pairs)), want);
}

#[test]
fn grouping_answers_splits_the_negation_and_picks_the_medoid() {
    let texts = [
        (0, "17 is a prime number.", [1.0, 0.0, 0.0]),
        (1, "Yes, 17 is prime.", [0.95, 0.3, 0.0]),
        (2, "17 is not a prime number.", [0.97, 0.0, 0.2]),
        (3, "Seventeen is a prime.", [0.97, 0.15, 0.0]),
    ];
    let answers: BTreeMap<MemberId, Answer> = texts
        .iter()
        .map(|(m, t, v)| (*m, Answer::new(*t, unit(v))))
        .collect();
    let groups = group(&SemanticConfig::default(), &answers);
    assert_eq!(groups, vec![vec![0, 1, 3], vec![2]]);
    assert_eq!(representative(&groups[0], &answers), Some(3));
    assert_eq!(representative(&[], &answers), None);
}

#[test]
fn decimals_order_by_value() {
    let mut v: Vec<Decimal> = [
        "-5", "-0.5", "0", "0.05", "0.5", "2", "10", "12", "120", "1e3",
    ]
    .iter()
    .map(|s| {
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        let neg = int.starts_with('-');
        match int.split_once('e') {
            Some((m, _)) => Decimal::from_parts(false, m, "").shifted(3),
            None => Decimal::from_parts(neg, int, frac),
        }
    })
    .collect();
    let want: Vec<String> = v.iter().map(ToString::to_string).collect();
    v.reverse();
    v.sort();
    let got: Vec<String> = v.iter().map(ToString::to_string).collect();
    assert_eq!(got, want);
    assert_eq!(
        want,
        [
            "-5", "-0.5", "0", "0.05", "0.5", "2", "10", "12", "120", "1000"
        ]
    );
}
