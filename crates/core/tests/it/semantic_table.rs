//! The labelled table of the semantic rule (`testdata/semantic_pairs.json`) is well formed.
//! The rule itself is scored on it with real embeddings in `byzvote-builtin`'s
//! `tests/semantic_pairs.rs` (it needs the embedder).

use std::collections::{BTreeMap, BTreeSet};

#[test]
fn the_semantic_table_has_enough_balanced_distinct_pairs() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/semantic_pairs.json");
    let pairs: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(pairs.len() >= 40, "{} pairs", pairs.len());
    let mut categories: BTreeMap<&str, usize> = BTreeMap::new();
    let mut seen = BTreeSet::new();
    for p in &pairs {
        let (c, a, b) = (
            p["category"].as_str().unwrap(),
            p["a"].as_str().unwrap(),
            p["b"].as_str().unwrap(),
        );
        assert!(
            [
                "paraphrase",
                "contradiction",
                "different-number",
                "different-entity",
                "different-claim"
            ]
            .contains(&c),
            "{c}"
        );
        assert!(["health", "finance", "legal", "general"].contains(&p["domain"].as_str().unwrap()));
        assert_ne!(a, b);
        assert!(seen.insert((a, b)), "duplicate pair {a:?} / {b:?}");
        *categories.entry(c).or_default() += 1;
    }
    let agree = categories["paraphrase"];
    let disagree = pairs.len() - agree;
    assert!(
        agree.abs_diff(disagree) <= pairs.len() / 5,
        "{categories:?}"
    );
    assert!(categories.values().all(|&n| n >= 8), "{categories:?}");
}
