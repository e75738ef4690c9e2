use super::*;
use byzvote_core::semantic::{BagOfWords, evidence::quantise};

fn counted() -> BTreeMap<MemberId, Canonical> {
    [
        "Paris is the capital of France.",
        "The capital of France is Paris.",
        "Paris is not the capital of France.",
    ]
    .iter()
    .enumerate()
    .map(|(i, t)| (i as MemberId, Canonical(t.to_string())))
    .collect()
}

fn encoded(s: &Similarities) -> Vec<u8> {
    Tx::Similarities(s.clone()).encode().to_vec()
}

#[test]
fn honest_evidence_is_accepted_and_forged_cosines_are_refused() {
    let checker = Checker::new(Some(Arc::new(BagOfWords)));
    let id = Digest::from([3u8; 32]);
    let honest = checker.compute(id, &counted()).unwrap();
    assert_eq!(honest.cosines.len(), 3);
    assert!(checker.check(&encoded(&honest)));

    // Within the tolerance (0.01 off): accepted.
    let mut near = honest.clone();
    near.cosines[1] -= 100;
    assert!(checker.check(&encoded(&near)));

    // The contradiction's cosine pushed down by 0.05: beyond the tolerance, refused.
    let mut forged = honest.clone();
    forged.cosines[1] -= 500;
    assert!(!checker.check(&encoded(&forged)));
    // Refused again from the cache, and by a fresh checker.
    assert!(!checker.check(&encoded(&forged)));
    assert!(!Checker::new(Some(Arc::new(BagOfWords))).check(&encoded(&forged)));

    // Texts swapped under the same cosines: refused.
    let mut swapped = honest.clone();
    swapped.texts[0] = Canonical("Lyon is the largest city of France.".into());
    assert!(!checker.check(&encoded(&swapped)));
}

#[test]
fn a_node_without_embedder_accepts_well_formed_evidence_and_computes_none() {
    let checker = Checker::new(None);
    assert!(!checker.has_embedder());
    let id = Digest::from([4u8; 32]);
    assert!(checker.compute(id, &counted()).is_none());
    let s = Similarities {
        request: id,
        members: vec![0, 1],
        texts: vec![Canonical("a".into()), Canonical("b".into())],
        cosines: vec![quantise(0.5)],
    };
    assert!(checker.check(&encoded(&s)));
}

#[test]
fn malformed_evidence_never_decodes() {
    let id = Digest::from([5u8; 32]);
    let good = Similarities {
        request: id,
        members: vec![0, 1],
        texts: vec![Canonical("a".into()), Canonical("b".into())],
        cosines: vec![100],
    };
    let bytes = encoded(&good);
    assert!(Tx::decode(&bytes).is_some());
    // Out-of-range cosine, unsorted members, one member, truncated: all refused.
    let mut out_of_range = good.clone();
    out_of_range.cosines = vec![10_001];
    let mut unsorted = good.clone();
    unsorted.members = vec![1, 0];
    let mut single = good.clone();
    single.members = vec![0];
    single.texts.truncate(1);
    single.cosines.clear();
    for bad in [out_of_range, unsorted, single] {
        assert!(Tx::decode(&encoded(&bad)).is_none(), "{bad:?}");
    }
    assert!(Tx::decode(&bytes[..bytes.len() - 1]).is_none());
    // Non-similarity transactions pass this check untouched.
    assert!(Checker::new(None).check(&[9, 9]));
}
