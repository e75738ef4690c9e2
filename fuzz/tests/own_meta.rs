//! A transaction a node makes itself must pass the `check` every validator applies, or the node
//! proposes blocks its peers refuse. Found while writing the `meta` target: the executor cuts a model name
//! to 256 *characters* (`c.model.chars().take(256)`), while the wire allows 256 *bytes*; a
//! longer name is encoded with its full length and no bytes (`Meta::body`), so the signed meta
//! does not decode anywhere.

use byzvote_node::protocol::{
    meta::Meta,
    tx::{Tx, check},
};
use commonware_cryptography::{Hasher as _, Sha256};

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
    eprintln!("tx hex: {}", hex_lower(&bytes));
    assert!(check(&bytes, participants), "the node's own meta tx is refused by check");
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
