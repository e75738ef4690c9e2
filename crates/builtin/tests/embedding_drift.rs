//! Batch composition must not move the embedder's cosines anywhere near the validators'
//! tolerance (0.02, `DEFAULT_TOLERANCE`): a node embeds a vote's answers in one batch for its
//! evidence, while a peer re-checks the same answers in another batch, or reuses vectors it
//! computed alone or next to other texts (the node caches vectors by text). Runs on the texts
//! of the labelled table when the embedder is installed, prints SKIPPED otherwise. The
//! example `embed_drift` measures the same over thread counts and engines.

mod common;

use byzvote_builtin::{MiniLm, cosine};
use byzvote_core::semantic::{Embedder, evidence::DEFAULT_TOLERANCE};
use common::embedder;

/// The largest cosine deviation allowed between batchings: a fiftieth of the tolerance.
const BOUND: f32 = DEFAULT_TOLERANCE as f32 / 10_000.0 / 50.0;

fn texts() -> Vec<String> {
    let pairs = common::table();
    let mut out: Vec<String> = Vec::new();
    for t in pairs.into_iter().flat_map(|p| [p.a, p.b]) {
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// Each text's vector, embedded `size` at a time in `order`.
fn embed(e: &MiniLm, texts: &[&str], order: &[usize], size: usize) -> Vec<Vec<f32>> {
    let mut out = vec![Vec::new(); texts.len()];
    for chunk in order.chunks(size) {
        let batch: Vec<&str> = chunk.iter().map(|&i| texts[i]).collect();
        for (&i, v) in chunk.iter().zip(e.embed(&batch).unwrap()) {
            out[i] = v;
        }
    }
    out
}

/// The largest difference between the two embeddings' cosines over all pairs of texts.
fn deviation(a: &[Vec<f32>], b: &[Vec<f32>]) -> f32 {
    let mut worst = 0f32;
    for i in 0..a.len() {
        for j in i + 1..a.len() {
            worst = worst.max((cosine(&a[i], &a[j]) - cosine(&b[i], &b[j])).abs());
        }
    }
    worst
}

#[test]
fn embedding_drift_between_batchings_stays_far_under_the_tolerance() {
    let Some(e) = embedder() else { return };
    let owned = texts();
    let texts: Vec<&str> = owned.iter().map(String::as_str).collect();
    let n = texts.len();
    let in_order: Vec<usize> = (0..n).collect();
    let reversed: Vec<usize> = (0..n).rev().collect();
    let alone = embed(&e, &texts, &in_order, 1);
    for (name, order, size) in [
        ("batches of 8", &in_order, 8),
        ("batches of 8, reversed", &reversed, 8),
        ("one batch", &in_order, n),
    ] {
        let d = deviation(&alone, &embed(&e, &texts, order, size));
        eprintln!("{n} texts, alone vs {name}: max |d cosine| {d:.2e} (bound {BOUND:.0e})");
        assert!(d <= BOUND, "alone vs {name}: {d} > {BOUND}");
    }
}
