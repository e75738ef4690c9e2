//! The fuzz targets' stable replay, in the main test suite: every committed seed and every saved
//! crash of every target (`fuzz/corpus/NAME/`, `fuzz/regressions/NAME/`) runs through the same
//! function libFuzzer calls, so CI exercises the corpora without nightly or libFuzzer. The
//! targets live in `fuzz/src/lib.rs` (the fuzz directory is its own workspace); this crate
//! depends on every crate they decode with, so it compiles them as a module.

#[path = "../../../fuzz/src/lib.rs"]
mod byzvote_fuzz;

use byzvote_node::protocol::{meta::Meta, tx::Tx};
use commonware_cryptography::{Hasher as _, Sha256};
use std::path::Path;

#[test]
fn corpora_and_regressions_replay_without_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut total = 0;
    for (name, target) in byzvote_fuzz::TARGETS {
        let seeds = byzvote_fuzz::replay_dir(*target, &root.join("corpus").join(name)).unwrap();
        assert!(
            seeds > 0,
            "target {name} has no seed corpus: run `cargo run --example make_seeds` in fuzz/"
        );
        let fixed =
            byzvote_fuzz::replay_dir(*target, &root.join("regressions").join(name)).unwrap();
        total += seeds + fixed;
    }
    eprintln!("replayed {total} inputs");
}

/// A transaction a node makes itself must pass the `check` every validator applies, or the node
/// proposes blocks its peers refuse. Found while writing the `meta` target: the executor cut a
/// model name to 256 *characters* (`c.model.chars().take(256)`), while the wire allows 256
/// *bytes*; a longer name was encoded with its full length and no bytes, so the signed meta did
/// not decode anywhere.
#[test]
fn a_meta_with_a_long_non_ascii_model_name_passes_check() {
    let (participants, keys) = byzvote_fuzz::participants();
    // 200 characters, 400 bytes: what `chars().take(256)` lets through.
    let model: String = "é".repeat(200).chars().take(256).collect();
    let meta = Meta {
        request: Sha256::hash(&[b"r"]),
        member: 0,
        latency_ms: 1,
        prompt_tokens: 1,
        completion_tokens: 1,
        cost_micro_usd: 0,
        confidence_bp: None,
        model,
    };
    let bytes = Tx::Meta(meta.sign(&keys[0])).encode();
    assert!(
        byzvote_fuzz::check(&bytes, participants),
        "the node's own meta tx is refused by check: {}",
        hex::encode(&bytes)
    );
}
