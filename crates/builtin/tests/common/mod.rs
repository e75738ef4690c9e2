//! What the embedder tests share: the labelled table and the installed embedder.
#![allow(dead_code)] // each test binary uses its part

use byzvote_builtin::{MiniLm, catalog, list, models_dir};

/// One labelled pair of `crates/core/testdata/semantic_pairs.json`.
#[derive(serde::Deserialize)]
pub struct Pair {
    pub category: String,
    pub a: String,
    pub b: String,
}

/// The labelled table.
pub fn table() -> Vec<Pair> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../core/testdata/semantic_pairs.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The installed MiniLM on one thread, or `None` (and SKIPPED printed) when it is absent.
pub fn embedder() -> Option<MiniLm> {
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        // SAFETY: each binary has one test, which calls this before any candle call.
        unsafe { std::env::set_var("RAYON_NUM_THREADS", "1") };
    }
    let dir = models_dir(None).ok()?;
    let name = catalog::MINILM.name;
    if !list(&dir).iter().any(|m| m.name == name && m.present) {
        eprintln!(
            "SKIPPED: {name} is not installed in {} (run `byzvote models fetch` or set BYZVOTE_MODELS_DIR)",
            dir.display()
        );
        return None;
    }
    Some(MiniLm::load(&dir).unwrap())
}
