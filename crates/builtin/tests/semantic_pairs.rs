//! The semantic rule on the labelled table `crates/core/testdata/semantic_pairs.json`, with real
//! all-MiniLM-L6-v2 embeddings. Runs when the embedder is installed (`byzvote models fetch`, or
//! `BYZVOTE_MODELS_DIR`), prints SKIPPED otherwise.
//!
//! Positive class = "agree" (category `paraphrase`); the other categories must be split:
//! `contradiction`, `different-number` and `different-entity` are near-copies that differ in one
//! claim (high cosine: the extractors must catch them), `different-claim` are answers on the
//! same topic that say different things (the cosine threshold must catch them). Precision matters more than recall:
//! merging a contradiction lets a wrong answer reach a quorum, splitting a paraphrase only
//! escalates the request.

use std::collections::BTreeMap;

use byzvote_core::semantic::{Answer, Embedder, SemanticConfig, judge};
use common::{embedder, table};

mod common;

/// Confusion counts for one threshold: (true pos, false pos, false neg, true neg).
fn score(results: &[(bool, bool)]) -> (usize, usize, usize, usize) {
    let mut c = (0, 0, 0, 0);
    for &(want, got) in results {
        match (want, got) {
            (true, true) => c.0 += 1,
            (false, true) => c.1 += 1,
            (true, false) => c.2 += 1,
            (false, false) => c.3 += 1,
        }
    }
    c
}

fn ratio(n: usize, d: usize) -> f64 {
    if d == 0 { 1.0 } else { n as f64 / d as f64 }
}

#[test]
fn semantic_rule_on_the_labelled_pairs() {
    let pairs = table();
    let Some(e) = embedder() else { return };
    let texts: Vec<&str> = pairs
        .iter()
        .flat_map(|p| [p.a.as_str(), p.b.as_str()])
        .collect();
    let vectors = e.embed(&texts).unwrap();
    let answers: Vec<(Answer, Answer)> = pairs
        .iter()
        .enumerate()
        .map(|(i, p)| {
            (
                Answer::new(&p.a, vectors[2 * i].clone()),
                Answer::new(&p.b, vectors[2 * i + 1].clone()),
            )
        })
        .collect();

    // The sweep that chose the default threshold: cosine alone, and the full rule.
    eprintln!("threshold  cosine-only P/R   rule P/R");
    for milli in (600..=950).step_by(25) {
        let config = SemanticConfig::with_threshold_milli(milli).unwrap();
        let (mut alone, mut rule) = (Vec::new(), Vec::new());
        for (p, (a, b)) in pairs.iter().zip(&answers) {
            let want = p.category == "paraphrase";
            let j = judge(&config, a, b);
            alone.push((want, j.cosine >= config.threshold()));
            rule.push((want, j.agree));
        }
        let (ta, fa, na, _) = score(&alone);
        let (tr, fr, nr, _) = score(&rule);
        eprintln!(
            "{:>9.3}  {:>6.2} / {:>4.2}     {:>4.2} / {:>4.2}",
            f32::from(milli) / 1000.0,
            ratio(ta, ta + fa),
            ratio(ta, ta + na),
            ratio(tr, tr + fr),
            ratio(tr, tr + nr)
        );
    }

    let config = SemanticConfig::default();
    let mut results = Vec::new();
    let mut per_category: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (p, (a, b)) in pairs.iter().zip(&answers) {
        let want = p.category == "paraphrase";
        let j = judge(&config, a, b);
        results.push((want, j.agree));
        let entry = per_category.entry(p.category.as_str()).or_default();
        entry.1 += 1;
        if j.agree == want {
            entry.0 += 1;
        } else {
            eprintln!(
                "WRONG [{}] cos {:.3} {:?} / {:?}: {}",
                p.category, j.cosine, p.a, p.b, j.reason
            );
        }
    }
    let (tp, fp, fneg, tn) = score(&results);
    let precision = ratio(tp, tp + fp);
    let recall = ratio(tp, tp + fneg);
    eprintln!(
        "{config}: {} pairs, precision {precision:.3}, recall {recall:.3} (tp {tp}, fp {fp}, fn {fneg}, tn {tn})",
        pairs.len()
    );
    for (category, (right, total)) in &per_category {
        eprintln!(
            "  {category:<17} {right}/{total} = {:.2}",
            ratio(*right, *total)
        );
    }
    assert!(precision >= 0.95, "precision {precision:.3}");
    assert!(recall >= 0.85, "recall {recall:.3}");
}
